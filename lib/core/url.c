#include "core/url.h"

#include <string.h>

/* Where the authority after "://" ends: the path, query or fragment, or
 * anything that cannot be inside a URL as messages quote it. */
static size_t authority_len(const char *p)
{
	size_t n = 0;
	while (p[n] && !strchr("/?#\"'<> \t\r\n", p[n]))
		n++;
	return n;
}

const char *url_redact(const char *text, char *out, size_t outlen)
{
	size_t o = 0;
	if (!outlen)
		return out;
#define PUT(c)                           \
	do {                             \
		if (o + 1 < outlen)      \
			out[o++] = (c);  \
	} while (0)
	const char *p = text ? text : "";
	while (*p) {
		const char *sep = strstr(p, "://");
		if (!sep) {
			for (; *p; p++)
				PUT(*p);
			break;
		}
		for (const char *q = p; q < sep + 3; q++)
			PUT(*q);
		const char *auth = sep + 3;
		size_t n = authority_len(auth);
		const char *at = NULL;
		for (size_t i = 0; i < n; i++)
			if (auth[i] == '@')
				at = auth + i; /* the last one: a password may hold an '@' */
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			for (const char *q = auth; q <= colon; q++)
				PUT(*q);
			PUT('*');
			PUT('*');
			PUT('*');
			p = at;
		} else {
			p = auth;
		}
	}
#undef PUT
	out[o] = '\0';
	return out;
}
