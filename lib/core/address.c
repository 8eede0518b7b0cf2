/* The address check that guards every SMTP command, the config's addresses
 * and the member list. */
#include "core/address.h"

#include <ctype.h>
#include <string.h>

#include "core/text.h"

int mail_address_valid(const char *addr)
{
	if (!addr)
		return 0;
	size_t total = strlen(addr);
	const char *at = strchr(addr, '@');
	if (total == 0 || total > 254 || !at || strchr(at + 1, '@'))
		return 0;
	size_t llen = (size_t)(at - addr);
	if (llen == 0 || llen > 64 || addr[0] == '.' || at[-1] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)addr; p < (const unsigned char *)at;) {
		if (*p >= 0x80) {
			size_t l = utf8_decode((const char *)p, (size_t)(at - (const char *)p), NULL);
			if (l == 0)
				return 0;
			p += l;
			continue;
		}
		if (*p <= ' ' || *p == 0x7F || strchr("\"<>(),;:\\[]", *p))
			return 0;
		if (*p == '.' && p[1] == '.')
			return 0;
		p++;
	}
	const unsigned char *d = (const unsigned char *)at + 1;
	if (!*d || !strchr((const char *)d, '.'))
		return 0;
	/* Labels of letters, digits and hyphens (UTF-8 letters allowed), no
	 * empty label, no hyphen at either end. */
	size_t lab = 0;
	unsigned char prev = '.';
	while (*d) {
		if (*d == '.') {
			if (lab == 0 || prev == '-')
				return 0;
			lab = 0;
			prev = *d++;
			continue;
		}
		if (*d >= 0x80) {
			size_t l = utf8_decode((const char *)d, (size_t)(addr + total - (const char *)d), NULL);
			if (l == 0)
				return 0;
			d += l;
			lab += l;
			prev = 'a';
		} else if (isalnum(*d) || *d == '-') {
			if (*d == '-' && lab == 0)
				return 0;
			prev = *d++;
			lab++;
		} else {
			return 0;
		}
		if (lab > 63)
			return 0;
	}
	return lab > 0 && prev != '-';
}
