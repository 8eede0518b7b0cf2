/* RFC 5322 header fields and MIME structure (RFC 2045-2047), read within
 * fixed bounds from bytes that may be cut short or hostile. */
#include "mailbox/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/address.h"
#include "core/charset.h"
#include "core/text.h"

static int lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ---- header fields ---- */

void msg_header_free(struct msg_header *h)
{
	for (size_t i = 0; h->v && i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* Ends the field being built: trailing blanks trimmed, NULs made spaces. */
static int field_finish(struct msg_header *h, struct buf *name, struct buf *val)
{
	if (!name->len)
		return 0;
	while (val->len && (val->data[val->len - 1] == ' ' || val->data[val->len - 1] == '\t'))
		val->len--;
	for (size_t i = 0; i < val->len; i++)
		if (val->data[i] == '\0')
			val->data[i] = ' ';
	if (val->data)
		val->data[val->len] = '\0';
	struct msg_field *v = realloc(h->v, (h->n + 1) * sizeof *v);
	if (!v)
		return -1;
	h->v = v;
	char *n = buf_steal(name), *value = buf_steal(val);
	if (!n || !value) { /* an append ran out of memory */
		free(n);
		free(value);
		return -1;
	}
	v[h->n].name = n;
	v[h->n].value = value;
	h->n++;
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	if (!n || n > 76)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == ':')
			return 0;
	}
	return 1;
}

int msg_header_parse(const char *data, size_t len, struct msg_header *h, size_t *body_off,
		     unsigned *warn)
{
	h->v = NULL;
	h->n = 0;
	struct buf name = BUF_INIT, val = BUF_INIT;
	size_t pos = 0;
	int ended = 0, rc = 0, dropping = 0, first = 1;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - data) : len;
		size_t next = nl ? eol + 1 : len;
		size_t l = eol - pos;
		if (l && data[pos + l - 1] == '\r')
			l--;
		const char *line = data + pos;
		int was_first = first;
		pos = next;
		first = 0;
		if (!nl)
			*warn |= MSG_W_TRUNCATED; /* the last line may be cut */
		if (l == 0) {
			ended = 1;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!name.len || dropping)
				continue;
			size_t k = 0;
			while (k < l && (line[k] == ' ' || line[k] == '\t'))
				k++;
			if (val.len + 1 + (l - k) > MSG_MAX_FIELD) {
				*warn |= MSG_W_TOO_MANY;
				continue;
			}
			if ((val.len && buf_putc(&val, ' ')) || buf_append(&val, line + k, l - k)) {
				rc = -1;
				break;
			}
			continue;
		}
		if (field_finish(h, &name, &val) < 0) {
			rc = -1;
			break;
		}
		buf_reset(&name);
		buf_reset(&val);
		dropping = 0;
		const char *colon = memchr(line, ':', l);
		size_t nl_len = colon ? (size_t)(colon - line) : 0;
		while (nl_len && (line[nl_len - 1] == ' ' || line[nl_len - 1] == '\t'))
			nl_len--;
		if (!colon || !valid_name(line, nl_len)) {
			/* an mbox "From " line, or junk: skipped */
			if (!was_first)
				*warn |= MSG_W_BAD_MIME;
			dropping = 1;
			continue;
		}
		if (h->n >= MSG_MAX_FIELDS) {
			*warn |= MSG_W_TOO_MANY;
			dropping = 1;
			continue;
		}
		size_t k = (size_t)(colon - line) + 1;
		while (k < l && (line[k] == ' ' || line[k] == '\t'))
			k++;
		size_t vl = l - k > MSG_MAX_FIELD ? MSG_MAX_FIELD : l - k;
		if (buf_append(&name, line, nl_len) || buf_append(&val, line + k, vl) ||
		    buf_reserve(&val, 1)) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && field_finish(h, &name, &val) < 0)
		rc = -1;
	buf_free(&name);
	buf_free(&val);
	if (!ended && len)
		*warn |= MSG_W_TRUNCATED;
	if (body_off)
		*body_off = ended ? pos : len;
	if (rc < 0)
		msg_header_free(h);
	return rc;
}

const char *msg_header_next(const struct msg_header *h, const char *name, size_t from, size_t *at)
{
	for (size_t i = from; i < h->n; i++) {
		if (!strcasecmp(h->v[i].name, name)) {
			if (at)
				*at = i;
			return h->v[i].value;
		}
	}
	return NULL;
}

const char *msg_header_get(const struct msg_header *h, const char *name)
{
	return msg_header_next(h, name, 0, NULL);
}

/* ---- structured values ---- */

/* Skips a (nested) comment starting at s[0] == '('; returns the byte after. */
static const char *skip_comment(const char *s)
{
	int depth = 0;
	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return s;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int mime_param(const char *value, const char *name, char *out, size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (!value || !outlen)
		return 0;
	size_t nlen = strlen(name);
	const char *p = value;
	/* Past the type: params start after the first ';' outside quotes. */
	for (int q = 0; *p && (q || *p != ';'); p++) {
		if (*p == '"')
			q = !q;
		else if (*p == '\\' && q && p[1])
			p++;
	}
	while (*p == ';') {
		p++;
		while (is_ws(*p) || *p == ';')
			p++;
		if (*p == '(')
			p = skip_comment(p);
		while (is_ws(*p))
			p++;
		const char *n0 = p;
		while (*p && *p != '=' && *p != ';' && !is_ws(*p))
			p++;
		size_t nl = (size_t)(p - n0);
		while (is_ws(*p))
			p++;
		int match = nl == nlen && !strncasecmp(n0, name, nlen);
		if (*p != '=') {
			while (*p && *p != ';')
				p++;
			continue;
		}
		p++;
		while (is_ws(*p))
			p++;
		size_t o = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (match && o + 1 < outlen)
					out[o++] = *p;
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ';' && !is_ws(*p) && *p != '('; p++)
				if (match && o + 1 < outlen)
					out[o++] = *p;
		}
		if (match) {
			out[o] = '\0';
			return 1;
		}
		while (*p && *p != ';') {
			if (*p == '"') { /* a stray quoted string after a token */
				for (p++; *p && *p != '"'; p++)
					if (*p == '\\' && p[1])
						p++;
				if (*p)
					p++;
			} else {
				p++;
			}
		}
	}
	return 0;
}

/* The media type of a Content-Type value, lower case; "text/plain" when
 * empty or unreadable. */
static void media_type(const char *ctype, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = ctype ? ctype : "";
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p && *p != ';' && *p != ' ' && *p != '\t' && *p != '(' && o + 1 < outlen; p++)
		out[o++] = (char)lower_ascii((unsigned char)*p);
	out[o] = '\0';
	if (!strchr(out, '/'))
		snprintf(out, outlen, "text/plain");
}

static void copy_lower_token(const char *v, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = v ? v : "";
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p && *p != ' ' && *p != ';' && *p != '(' && o + 1 < outlen; p++)
		out[o++] = (char)lower_ascii((unsigned char)*p);
	out[o] = '\0';
}

/* ---- MIME structure ---- */

static void add_leaf(struct msg *m, const char *ctype, const char *cte, const char *body,
		     size_t len)
{
	if (m->nparts >= MSG_MAX_PARTS) {
		m->warn |= MSG_W_TOO_MANY;
		return;
	}
	struct msg_part *p = &m->parts[m->nparts++];
	media_type(ctype, p->type, sizeof p->type);
	p->ctype = ctype ? ctype : "";
	copy_lower_token(cte, p->cte, sizeof p->cte);
	p->body = body;
	p->len = len;
}

/* Part headers stay alive for their leaves' ctype pointers. */
struct hdr_pool {
	struct msg_header v[MSG_MAX_PARTS + 8];
	size_t n;
};

/* 1 when data[i..len) starts a delimiter line "--boundary" ("--boundary--"
 * sets *close). */
static int is_delim(const char *data, size_t len, size_t i, const char *b, size_t bl, int *close)
{
	if (len - i < bl + 2 || data[i] != '-' || data[i + 1] != '-' || memcmp(data + i + 2, b, bl))
		return 0;
	size_t k = i + 2 + bl;
	*close = len - k >= 2 && data[k] == '-' && data[k + 1] == '-';
	if (*close)
		k += 2;
	while (k < len && (data[k] == ' ' || data[k] == '\t'))
		k++;
	return k == len || data[k] == '\r' || data[k] == '\n';
}

static int walk(struct msg *m, struct hdr_pool *pool, const char *ctype, const char *cte,
		const char *body, size_t len, int depth);

/* One part of a multipart at depth: its header block (kept in the pool
 * for its leaves' ctype), then its body. */
static int walk_part(struct msg *m, struct hdr_pool *pool, const char *part, size_t len, int depth)
{
	if (pool->n >= sizeof pool->v / sizeof *pool->v) {
		m->warn |= MSG_W_TOO_MANY;
		return 0;
	}
	struct msg_header *ph = &pool->v[pool->n++];
	size_t off = 0;
	unsigned w = 0;
	if (msg_header_parse(part, len, ph, &off, &w) < 0)
		return -1;
	m->warn |= w & ~(unsigned)MSG_W_TRUNCATED; /* a part without a body is fine */
	return walk(m, pool, msg_header_get(ph, "Content-Type"),
		    msg_header_get(ph, "Content-Transfer-Encoding"), part + off, len - off, depth + 1);
}

static int walk(struct msg *m, struct hdr_pool *pool, const char *ctype, const char *cte,
		const char *body, size_t len, int depth)
{
	char type[80], boundary[200];
	media_type(ctype, type, sizeof type);
	if (strncmp(type, "multipart/", 10)) {
		add_leaf(m, ctype, cte, body, len);
		return 0;
	}
	if (depth >= MSG_MAX_DEPTH) {
		m->warn |= MSG_W_TOO_MANY;
		return 0;
	}
	if (!mime_param(ctype, "boundary", boundary, sizeof boundary) || !boundary[0]) {
		m->warn |= MSG_W_BAD_MIME;
		add_leaf(m, "text/plain", cte, body, len);
		return 0;
	}
	size_t bl = strlen(boundary), pos = 0, start = 0;
	int in_part = 0, closed = 0, found = 0;
	while (pos <= len && !closed) {
		int close = 0;
		if (pos < len && is_delim(body, len, pos, boundary, bl, &close)) {
			found = 1;
			if (in_part) {
				/* The CRLF before a delimiter belongs to it. */
				size_t end = pos;
				if (end > start && body[end - 1] == '\n')
					end--;
				if (end > start && body[end - 1] == '\r')
					end--;
				if (walk_part(m, pool, body + start, end - start, depth) < 0)
					return -1;
			}
			closed = close;
			in_part = !close;
			const char *nl = memchr(body + pos, '\n', len - pos);
			pos = nl ? (size_t)(nl - body) + 1 : len;
			start = pos;
			if (!nl)
				break;
			continue;
		}
		const char *nl = pos < len ? memchr(body + pos, '\n', len - pos) : NULL;
		if (!nl)
			break;
		pos = (size_t)(nl - body) + 1;
	}
	if (!found) {
		m->warn |= MSG_W_BAD_MIME;
		add_leaf(m, "text/plain", cte, body, len);
		return 0;
	}
	if (in_part && start < len) {
		/* cut short: the last part runs to the end of what we have */
		m->warn |= MSG_W_TRUNCATED;
		return walk_part(m, pool, body + start, len - start, depth);
	}
	if (in_part)
		m->warn |= MSG_W_TRUNCATED;
	return 0;
}

int msg_parse(const char *data, size_t len, struct msg *m)
{
	memset(m, 0, sizeof *m);
	size_t off = 0;
	if (msg_header_parse(data, len, &m->h, &off, &m->warn) < 0)
		return -1;
	m->header_ended = off < len || (len >= 1 && data[len - 1] == '\n' &&
					(len == 1 || data[len - 2] == '\n' ||
					 (len >= 3 && data[len - 2] == '\r' && data[len - 3] == '\n')));
	m->pool = calloc(1, sizeof(struct hdr_pool));
	if (!m->pool) {
		msg_header_free(&m->h);
		return -1;
	}
	const char *ct = msg_header_get(&m->h, "Content-Type");
	m->top_ctype = ct ? ct : "";
	media_type(ct, m->top_type, sizeof m->top_type);
	if (walk(m, (struct hdr_pool *)m->pool, ct, msg_header_get(&m->h, "Content-Transfer-Encoding"),
		 data + off, len - off, 0) < 0) {
		msg_free(m);
		return -1;
	}
	return 0;
}

void msg_free(struct msg *m)
{
	struct hdr_pool *pool = (struct hdr_pool *)m->pool;
	for (size_t i = 0; pool && i < pool->n; i++)
		msg_header_free(&pool->v[i]);
	free(pool);
	msg_header_free(&m->h);
	memset(m, 0, sizeof *m);
}

/* ---- transfer encodings ---- */

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower_ascii(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int b64_decode(const char *s, size_t n, struct buf *out, unsigned *warn)
{
	unsigned acc = 0;
	int bits = 0;
	if (buf_reserve(out, n / 4 * 3 + 3))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=')
			break;
		int v = b64_val(c);
		if (v < 0) {
			if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
				*warn |= MSG_W_BAD_ENCODING;
			continue;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (char)((acc >> bits) & 0xff);
		}
	}
	out->data[out->len] = '\0';
	return 0;
}

/* Quoted-printable; q_words: RFC 2047 "Q" (underscore is a space). */
static int qp_decode(const char *s, size_t n, int q_words, struct buf *out)
{
	if (buf_reserve(out, n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=' && i + 1 < n) {
			if (s[i + 1] == '\n') {
				i++;
				continue;
			}
			if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n') {
				i += 2;
				continue;
			}
			int h = hex_val((unsigned char)s[i + 1]);
			int l = i + 2 < n ? hex_val((unsigned char)s[i + 2]) : -1;
			if (h >= 0 && l >= 0) {
				out->data[out->len++] = (char)(h * 16 + l);
				i += 2;
				continue;
			}
		}
		out->data[out->len++] = q_words && c == '_' ? ' ' : (char)c;
	}
	out->data[out->len] = '\0';
	return 0;
}

int msg_part_decode(const struct msg_part *p, struct buf *out, unsigned *warn)
{
	if (!strcmp(p->cte, "base64"))
		return b64_decode(p->body, p->len, out, warn);
	if (!strcmp(p->cte, "quoted-printable"))
		return qp_decode(p->body, p->len, 0, out);
	return buf_append(out, p->body, p->len);
}

/* bytes[0..n) in charset (NULL: guess) as UTF-8 appended to out. */
static int to_utf8(const char *bytes, size_t n, const char *charset, struct buf *out)
{
	char label[96];
	struct buf tmp = BUF_INIT;
	struct err err;
	if (charset && *charset)
		snprintf(label, sizeof label, "text/plain; charset=\"%.60s\"", charset);
	int rc = charset_to_utf8(bytes, n, charset && *charset ? label : NULL, &tmp, NULL, 0, &err);
	if (rc == 0)
		rc = buf_append(out, tmp.data ? tmp.data : "", tmp.len);
	buf_free(&tmp);
	return rc;
}

int msg_part_text(const struct msg_part *p, size_t max, struct buf *out, unsigned *warn)
{
	struct buf raw = BUF_INIT, utf = BUF_INIT;
	struct msg_part cut = *p;
	if (cut.len > max)
		cut.len = max;
	char cs[64];
	mime_param(p->ctype, "charset", cs, sizeof cs);
	int rc = msg_part_decode(&cut, &raw, warn);
	if (rc == 0)
		rc = to_utf8(raw.data ? raw.data : "", raw.len, cs, &utf);
	if (rc == 0) {
		for (size_t i = 0; i < utf.len; i++)
			if (utf.data[i] == '\0')
				utf.data[i] = ' ';
		if (!strcmp(p->type, "text/html")) {
			struct buf t = BUF_INIT;
			rc = text_from_html_buf(&t, utf.data ? utf.data : "", utf.len);
			if (rc == 0)
				rc = buf_append(out, t.data ? t.data : "", t.len);
			buf_free(&t);
		} else {
			rc = buf_append(out, utf.data ? utf.data : "", utf.len);
		}
	}
	buf_free(&raw);
	buf_free(&utf);
	return rc;
}

/* ---- header text ---- */

/* One encoded word at s ("=?cs?E?text?="): its length, with charset,
 * encoding and text spans; 0 when s does not start one. */
static size_t encoded_word(const char *s, const char **cs, size_t *csl, char *enc,
			   const char **txt, size_t *txl)
{
	if (s[0] != '=' || s[1] != '?')
		return 0;
	const char *c = s + 2, *q = strchr(c, '?');
	if (!q || q == c || q - c > 60 || !q[1] || q[2] != '?')
		return 0;
	char e = (char)lower_ascii((unsigned char)q[1]);
	if (e != 'q' && e != 'b')
		return 0;
	const char *t = q + 3, *end = strstr(t, "?=");
	if (!end || end - t > 1000)
		return 0;
	for (const char *k = t; k < end; k++)
		if (*k == ' ' || *k == '\t')
			return 0;
	*cs = c;
	*csl = (size_t)(q - c);
	*enc = e;
	*txt = t;
	*txl = (size_t)(end - t);
	return (size_t)(end + 2 - s);
}

int msg_header_text(const char *raw, struct buf *out, unsigned *warn)
{
	const char *p = raw ? raw : "";
	size_t start = out->len;
	int last_was_word = 0;
	while (*p) {
		const char *cs, *txt;
		size_t csl, txl;
		char enc;
		size_t wl = encoded_word(p, &cs, &csl, &enc, &txt, &txl);
		if (wl) {
			char charset[64];
			snprintf(charset, sizeof charset, "%.*s", (int)csl, cs);
			char *star = strchr(charset, '*'); /* RFC 2231 language */
			if (star)
				*star = '\0';
			struct buf bytes = BUF_INIT;
			unsigned w = 0;
			int rc = enc == 'b' ? b64_decode(txt, txl, &bytes, &w)
					    : qp_decode(txt, txl, 1, &bytes);
			if (rc == 0)
				rc = to_utf8(bytes.data ? bytes.data : "", bytes.len, charset, out);
			buf_free(&bytes);
			if (rc)
				return -1;
			*warn |= w;
			p += wl;
			last_was_word = 1;
			continue;
		}
		/* Whitespace between two encoded words is not part of the text. */
		size_t ws = strspn(p, " \t");
		if (ws && last_was_word) {
			const char *a, *b;
			size_t al, bl2;
			char e2;
			if (encoded_word(p + ws, &a, &al, &e2, &b, &bl2)) {
				p += ws;
				continue;
			}
		}
		/* A run of plain text up to the next possible encoded word. */
		size_t n = ws;
		while (p[n] && !(p[n] == '=' && p[n + 1] == '?'))
			n++;
		if (n == 0)
			n = 1;
		int high = 0;
		for (size_t i = 0; i < n; i++)
			high |= (unsigned char)p[i] >= 0x80;
		if (high && !utf8_valid(p, n))
			*warn |= MSG_W_8BIT_HEADER;
		if ((high ? to_utf8(p, n, NULL, out) : buf_append(out, p, n)) < 0)
			return -1;
		p += n;
		last_was_word = 0;
	}
	for (size_t i = start; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = ' ';
	return buf_reserve(out, 0);
}

/* ---- addresses and ids ---- */

/* The address in s[0..n) with comments, quotes and blanks dropped, lower
 * case, when mail_address_valid accepts it. */
static int clean_addr(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '"' || c == '<' || c == '>')
			continue;
		out[o++] = (char)lower_ascii(c);
	}
	out[o] = '\0';
	/* a source route "@a,@b:x@y" keeps only x@y */
	char *colon = strrchr(out, ':');
	if (colon && out[0] == '@')
		memmove(out, colon + 1, strlen(colon + 1) + 1);
	return mail_address_valid(out);
}

/* The index of the ')' that closes the (nested) comment opening at
 * s[i], or n when it never closes. */
static size_t comment_end(const char *s, size_t n, size_t i)
{
	for (int d = 0; i < n; i++) {
		if (s[i] == '(')
			d++;
		else if (s[i] == ')' && --d == 0)
			break;
	}
	return i;
}

/* One address of a list at s[0..n). */
static int one_address(const char *s, size_t n, char *out, size_t outlen)
{
	/* Prefer <angle-addr>, outside quotes and comments. */
	int q = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
		} else if (s[i] == '"') {
			q = !q;
		} else if (!q && s[i] == '(') {
			i = comment_end(s, n, i);
		} else if (!q && s[i] == '<') {
			const char *gt = memchr(s + i, '>', n - i);
			if (gt)
				return clean_addr(s + i + 1, (size_t)(gt - (s + i) - 1), out, outlen);
		}
	}
	/* Else the token with an @, comments dropped. */
	char tmp[512];
	size_t t = 0;
	for (size_t i = 0; i < n && t + 1 < sizeof tmp; i++) {
		if (s[i] == '(') {
			i = comment_end(s, n, i);
			tmp[t++] = ' ';
			continue;
		}
		tmp[t++] = s[i];
	}
	tmp[t] = '\0';
	for (char *tok = tmp; *tok;) {
		size_t l = strcspn(tok, " \t");
		if (memchr(tok, '@', l))
			return clean_addr(tok, l, out, outlen);
		tok += l;
		tok += strspn(tok, " \t");
	}
	if (outlen)
		out[0] = '\0';
	return 0;
}

size_t msg_addresses(const char *value, char out[][256], size_t max)
{
	size_t k = 0;
	const char *p = value ? value : "";
	while (*p && k < max) {
		/* the next comma outside quotes, comments and <> */
		size_t n = 0;
		int q = 0, d = 0, a = 0;
		for (; p[n]; n++) {
			char c = p[n];
			if (c == '\\' && p[n + 1])
				n++;
			else if (c == '"' && !d)
				q = !q;
			else if (!q && c == '(')
				d++;
			else if (!q && c == ')' && d)
				d--;
			else if (!q && !d && c == '<')
				a = 1;
			else if (!q && !d && c == '>')
				a = 0;
			else if (!q && !d && !a && c == ',')
				break;
		}
		if (one_address(p, n, out[k], 256))
			k++;
		p += n;
		if (*p == ',')
			p++;
	}
	return k;
}

int msg_address(const char *value, char *out, size_t outlen)
{
	char one[1][256];
	if (!msg_addresses(value, one, 1)) {
		if (outlen)
			out[0] = '\0';
		return 0;
	}
	snprintf(out, outlen, "%s", one[0]);
	return 1;
}

int msg_id(const char *value, char *out, size_t outlen)
{
	if (outlen)
		out[0] = '\0';
	if (!value || !outlen)
		return 0;
	const char *lt = strchr(value, '<'), *s = value, *e;
	if (lt && (e = strchr(lt, '>'))) {
		s = lt + 1;
	} else {
		s += strspn(s, " \t");
		e = s + strcspn(s, " \t");
	}
	size_t o = 0;
	int at = 0;
	for (; s < e && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c >= 0x7f)
			return out[0] = '\0', 0;
		at |= c == '@';
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (s < e || !at || o < 3) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}
