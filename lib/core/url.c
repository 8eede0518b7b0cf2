#include "core/url.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"

/* HTML's whitespace: XML's and form feed. */
static int is_ws(int c) { return text_is_ws(c) || c == '\f'; }

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The punctuation canonical_http passes as it is: -_~!$&'()*+,;=:@ */
static const unsigned char url_plain[128] = {
	['-'] = 1, ['_'] = 1, ['~'] = 1, ['!'] = 1, ['$'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1,
	[')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, [';'] = 1, ['='] = 1, [':'] = 1, ['@'] = 1,
};

/* 1 when s[0..n) is an absolute http(s) URL that libcurl would hand back
 * unchanged: lowercase scheme and host, a path, only URL-safe characters,
 * well-formed escapes, no dot segments, no port or user info. Most links
 * in feeds are such; parsing and rebuilding them dominated the profile. */
static int canonical_http(const char *s, size_t n)
{
	size_t i;
	if (n > 7 && !memcmp(s, "http://", 7))
		i = 7;
	else if (n > 8 && !memcmp(s, "https://", 8))
		i = 8;
	else
		return 0;
	size_t h = i;
	int prev_dot = 1;
	for (; i < n && s[i] != '/'; i++) {
		char c = s[i];
		if (c == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			prev_dot = 0;
		} else {
			return 0;
		}
	}
	if (i == h || i == n || prev_dot)
		return 0;
	int part = 0; /* 0 path, 1 query, 2 fragment */
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c < 0x80 && url_plain[c]) || c == '.')
			continue;
		if (c == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			continue;
		}
		if (c == '/') {
			if (part == 0 && i + 1 < n && s[i + 1] == '.')
				return 0; /* possible dot segment: let libcurl decide */
			continue;
		}
		if (c == '?') {
			if (part == 0 && (i + 1 == n || s[i + 1] == '#'))
				return 0; /* libcurl drops an empty query */
			if (part == 0)
				part = 1;
			continue;
		}
		if (c == '#' && part < 2) {
			part = 2;
			if (i + 1 == n)
				return 0;
			continue;
		}
		return 0;
	}
	return 1;
}

/* An absolute reference ("scheme://") needs no base: skip parsing one. */
static int has_authority(const char *r, size_t n)
{
	size_t k = 0;
	while (k < n && ((r[k] >= 'a' && r[k] <= 'z') || (r[k] >= 'A' && r[k] <= 'Z') ||
			 (k && ((r[k] >= '0' && r[k] <= '9') || r[k] == '+' || r[k] == '-' ||
				r[k] == '.'))))
		k++;
	return k > 0 && k + 2 < n && r[k] == ':' && r[k + 1] == '/' && r[k + 2] == '/';
}

void url_resolver_free(struct url_resolver *r)
{
	if (r && r->cu) {
		curl_url_cleanup(r->cu);
		r->cu = NULL;
	}
}

/* The libcurl path: a new string from libcurl (curl_free it) or NULL;
 * *oom when memory ran out. */
static char *curl_resolve(struct url_resolver *r, const char *base, const char *ref,
			  size_t n, unsigned flags, int *oom)
{
	char *h = strndup(ref, n); /* libcurl wants a C string */
	if (!h || (!r->cu && !(r->cu = curl_url()))) {
		free(h);
		*oom = 1;
		return NULL;
	}
	CURLU *cu = r->cu;
	/* CURLU_NON_SUPPORT_SCHEME: a base or link with a scheme this libcurl
	 * was built without still resolves (URL_HTTP_ONLY filters after).
	 * CURLU_URLENCODE: spaces and non-ASCII bytes are escaped, as a
	 * browser sends them. */
	if (!has_authority(h, n) &&
	    (!base || curl_url_set(cu, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK))
		curl_url_set(cu, CURLUPART_URL, NULL, 0); /* no base: only absolute refs */
	char *out = NULL, *scheme = NULL;
	CURLUcode rc = curl_url_set(cu, CURLUPART_URL, h, CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE);
	free(h);
	if (rc == CURLUE_OUT_OF_MEMORY)
		*oom = 1;
	if (rc != CURLUE_OK)
		return NULL;
	if (flags & URL_HTTP_ONLY) {
		if (curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
			curl_free(scheme);
			return NULL;
		}
		curl_free(scheme);
	}
	if ((rc = curl_url_get(cu, CURLUPART_URL, &out, 0)) != CURLUE_OK) {
		if (rc == CURLUE_OUT_OF_MEMORY)
			*oom = 1;
		return NULL;
	}
	return out;
}

static void trim(const char **ref, size_t *n)
{
	while (*n && is_ws((unsigned char)**ref))
		(*ref)++, (*n)--;
	while (*n && is_ws((unsigned char)(*ref)[*n - 1]))
		(*n)--;
}

int url_resolve_buf(struct url_resolver *r, struct buf *out, const char *base,
		    const char *ref, size_t n, unsigned flags)
{
	if (!ref)
		return 0;
	trim(&ref, &n);
	if (!n || n > URL_REF_MAX)
		return 0;
	if (canonical_http(ref, n)) {
		buf_reset(out);
		return buf_append(out, ref, n) < 0 ? -1 : 1;
	}
	int oom = 0;
	char *u = curl_resolve(r, base, ref, n, flags, &oom);
	if (!u)
		return oom ? -1 : 0;
	buf_reset(out);
	int rc = buf_puts(out, u) < 0 ? -1 : 1;
	curl_free(u);
	return rc;
}

char *url_resolve(struct url_resolver *r, const char *base, const char *ref, size_t n,
		  unsigned flags)
{
	struct buf b = BUF_INIT;
	if (url_resolve_buf(r, &b, base, ref, n, flags) != 1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

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
