#include "deliver/unsubscribe.h"

#include <errno.h>
#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "compose/compose.h"
#include "core/buf.h"
#include "core/fsutil.h"

#define MAC_LEN 16    /* bytes of the HMAC kept: 128 bits */
#define ADDR_MAX 254

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
					 : -1;
}

int unsub_key_load(const char *path, int create, struct unsub_key *key, struct err *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !create)
			return err_set(err, "unsubscribe key %s: %s", path, strerror(errno));
		char hex[2 * sizeof key->k + 2];
		if (getrandom(key->k, sizeof key->k, 0) != (ssize_t)sizeof key->k)
			return err_set(err, "unsubscribe key: no random bytes: %s", strerror(errno));
		for (size_t i = 0; i < sizeof key->k; i++)
			snprintf(hex + 2 * i, 3, "%02x", key->k[i]);
		hex[2 * sizeof key->k] = '\n';
		hex[2 * sizeof key->k + 1] = '\0';
		int r = fs_mkdir_parent_mode(path, 0700, err) < 0 ? -1
			: fs_write_atomic_mode(path, hex, strlen(hex), 0600, err);
		explicit_bzero(hex, sizeof hex);
		return r;
	}
	if (st.st_mode & 077)
		return err_set(err, "unsubscribe key %s: readable by others; chmod 600 it", path);
	size_t len;
	char *data = fs_read_file(path, 4096, &len, err);
	if (!data)
		return -1;
	size_t n = 0;
	int bad = 0;
	for (size_t i = 0; i < len && !bad; i++) {
		if (data[i] == '\n' || data[i] == '\r' || data[i] == ' ')
			continue;
		int v = hexval((unsigned char)data[i]);
		if (v < 0 || n >= 2 * sizeof key->k)
			bad = 1;
		else if (n % 2 == 0)
			key->k[n / 2] = (unsigned char)(v << 4);
		else
			key->k[n / 2] |= (unsigned char)v;
		n++;
	}
	explicit_bzero(data, len);
	free(data);
	if (bad || n != 2 * sizeof key->k)
		return err_set(err, "unsubscribe key %s: expected %zu hex digits", path,
			       2 * sizeof key->k);
	return 0;
}

static void mac(const struct unsub_key *key, const char *list, const char *lower,
		uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx ctx;
	hmac_sha256_set_key(&ctx, sizeof key->k, key->k);
	hmac_sha256_update(&ctx, strlen(list), (const uint8_t *)list);
	hmac_sha256_update(&ctx, 1, (const uint8_t *)"\n");
	hmac_sha256_update(&ctx, strlen(lower), (const uint8_t *)lower);
	hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	explicit_bzero(&ctx, sizeof ctx);
}

/* base64url without padding into out (room for BASE64_ENCODE_LENGTH + 3). */
static void b64url(const uint8_t *in, size_t n, char *out)
{
	struct base64_encode_ctx e;
	base64url_encode_init(&e);
	size_t k = base64_encode_update(&e, out, n, in);
	k += base64_encode_final(&e, out + k);
	while (k && out[k - 1] == '=')
		k--;
	out[k] = '\0';
}

/* Decodes base64url (no padding) of at most max bytes; -1 when invalid. */
static long unb64url(const char *in, size_t n, uint8_t *out, size_t max)
{
	if (n > BASE64_ENCODE_LENGTH(max) + 2)
		return -1;
	struct base64_decode_ctx d;
	base64url_decode_init(&d);
	char padded[BASE64_ENCODE_LENGTH(ADDR_MAX) + 8];
	if (n + 4 > sizeof padded)
		return -1;
	memcpy(padded, in, n);
	while (n % 4)
		padded[n++] = '=';
	size_t got = max;
	if (!base64_decode_update(&d, &got, out, n, padded) || !base64_decode_final(&d))
		return -1;
	return (long)got;
}

static char *lower_dup(const char *a)
{
	char *l = strdup(a);
	for (char *p = l; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

char *unsub_token(const struct unsub_key *key, const char *list, const char *address)
{
	char *lower = lower_dup(address);
	if (!lower || strlen(lower) > ADDR_MAX) {
		free(lower);
		return NULL;
	}
	uint8_t m[SHA256_DIGEST_SIZE];
	mac(key, list ? list : "", lower, m);
	char a[BASE64_ENCODE_LENGTH(ADDR_MAX) + 8], b[BASE64_ENCODE_LENGTH(MAC_LEN) + 8];
	b64url((const uint8_t *)lower, strlen(lower), a);
	b64url(m, MAC_LEN, b);
	free(lower);
	char *tok = malloc(strlen(a) + strlen(b) + 2);
	if (tok)
		sprintf(tok, "%s.%s", a, b);
	return tok;
}

char *unsub_token_verify(const struct unsub_key *key, const char *list, const char *token)
{
	const char *dot = token ? strchr(token, '.') : NULL;
	if (!dot || strchr(dot + 1, '.'))
		return NULL;
	uint8_t addr[ADDR_MAX + 16], got[MAC_LEN + 16];
	long an = unb64url(token, (size_t)(dot - token), addr, ADDR_MAX);
	long mn = unb64url(dot + 1, strlen(dot + 1), got, MAC_LEN);
	if (an <= 0 || mn != MAC_LEN || memchr(addr, '\0', (size_t)an))
		return NULL;
	addr[an] = '\0';
	char *lower = lower_dup((const char *)addr);
	if (!lower)
		return NULL;
	uint8_t m[SHA256_DIGEST_SIZE];
	mac(key, list ? list : "", lower, m);
	/* Constant time: a forger learns nothing from how long it took. */
	if (!memeql_sec(m, got, MAC_LEN)) {
		free(lower);
		return NULL;
	}
	return lower;
}

const char *unsub_list(const struct config *c)
{
	return c->list_id ? c->list_id : c->from_address;
}

_Static_assert(UNSUB_TOKEN_MAX == BASE64_ENCODE_LENGTH(ADDR_MAX) + 1 + BASE64_ENCODE_LENGTH(MAC_LEN),
	       "UNSUB_TOKEN_MAX is the longest token");

char *unsub_token_find(const struct unsub_key *key, const char *list, const char *text)
{
	const char *p = text;
	for (int tries = 0; p && tries < UNSUB_FIND_MAX && (p = strstr(p, "token=")); tries++) {
		p += 6;
		size_t n = strspn(p, UNSUB_TOKEN_CHARS);
		if (n < 3 || n > UNSUB_TOKEN_MAX)
			continue;
		char tok[UNSUB_TOKEN_MAX + 1];
		memcpy(tok, p, n);
		tok[n] = '\0';
		char *addr = unsub_token_verify(key, list, tok);
		if (addr)
			return addr;
		p += n;
	}
	return NULL;
}

int unsub_links(const char *configured, const char *token, char **header, char **footer)
{
	*header = *footer = NULL;
	struct buf h = BUF_INIT;
	char *copy = configured ? strdup(configured) : NULL, *save = NULL;
	int rc = configured && !copy ? -1 : 0;
	for (char *u = copy ? strtok_r(copy, ", \t", &save) : NULL; u && !rc;
	     u = strtok_r(NULL, ", \t", &save)) {
		int https = !strncmp(u, "https://", 8);
		if (!https && strncmp(u, "mailto:", 7))
			continue;
		if (h.len && buf_puts(&h, ", ") < 0)
			rc = -1;
		else if (buf_puts(&h, u) < 0)
			rc = -1;
		else if (https && token &&
			 buf_printf(&h, "%stoken=%s", strchr(u, '?') ? "&" : "?", token) < 0)
			rc = -1;
		if (!rc && https && token && !*footer) {
			/* the last URL written: this member's one-click link */
			const char *start = strrchr(buf_str(&h), ' ');
			start = start ? start + 1 : buf_str(&h);
			if (!(*footer = strdup(start)))
				rc = -1;
		}
	}
	free(copy);
	if (!rc && !*footer && configured)
		*footer = compose_unsubscribe_url(configured, 0);
	if (!rc && h.len && !(*header = buf_steal(&h)))
		rc = -1;
	buf_free(&h);
	if (rc) {
		free(*header);
		free(*footer);
		*header = *footer = NULL;
	}
	return rc;
}
