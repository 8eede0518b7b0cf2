/* JSON Lines into items: see jsonl.h.
 *
 * The fast path accepts a line only when jansson (JSON_REJECT_DUPLICATES)
 * would parse it and item_from_json would take it, and then builds the
 * same item; for anything it is not sure of it answers "ask jansson". So
 * it checks what jansson checks (UTF-8 as strict as jansson's, escapes,
 * \u0000, lone surrogates, control characters, duplicate keys, what may
 * follow the object) and gives up on what it does not read itself. */
#include "parse/jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "core/timefmt.h"

/* Keys of one object the fast path keeps for the duplicate check. */
#define FAST_MAX_KEYS 64
/* Digits of an integer it reads itself: never out of range. */
#define FAST_MAX_DIGITS 18

/* A byte inside a string: 0 plain, 1 quote, 2 backslash, 3 control
 * character (jansson refuses it), 4 the start of a multi-byte sequence. */
static const unsigned char str_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* What the fast path answers: read, ask jansson, out of memory. */
enum { FAST_JANSSON = 0, FAST_OK = 1, FAST_NOMEM = -1 };

struct jp {
	const unsigned char *p, *end;
};

/* A string seen but not yet copied: its bytes between the quotes. */
struct jstr {
	const unsigned char *s;
	size_t n;
	int escaped;
};

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* The character after optional whitespace, or -1 at the end. */
static int peek(struct jp *j)
{
	skip_ws(j);
	return j->p < j->end ? *j->p : -1;
}

static int hex4(const unsigned char *s, unsigned *v)
{
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		x = x << 4 | d;
	}
	*v = x;
	return 1;
}

/* At a quote: finds the string's end, checking it as jansson would (no
 * control character, valid UTF-8, known escapes, no \u0000, surrogates in
 * pairs). 1 with *out and j->p past the closing quote, or FAST_JANSSON. */
static int scan_str(struct jp *j, struct jstr *out)
{
	const unsigned char *p = j->p + 1, *end = j->end;
	out->s = p;
	out->escaped = 0;
	for (;;) {
		while (p < end && !str_class[*p])
			p++;
		if (p >= end)
			return FAST_JANSSON;
		switch (str_class[*p]) {
		case 1:
			out->n = (size_t)(p - out->s);
			j->p = p + 1;
			return FAST_OK;
		case 2: {
			out->escaped = 1;
			if (end - p < 2)
				return FAST_JANSSON;
			unsigned char e = p[1];
			if (e != 'u') {
				if (!e || !strchr("\"\\/bfnrt", e))
					return FAST_JANSSON;
				p += 2;
				break;
			}
			unsigned v, w;
			if (end - p < 6 || !hex4(p + 2, &v) || v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
				return FAST_JANSSON;
			p += 6;
			if (v >= 0xD800 && v <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &w) ||
				    w < 0xDC00 || w > 0xDFFF)
					return FAST_JANSSON;
				p += 6;
			}
			break;
		}
		case 3:
			return FAST_JANSSON;
		default: {
			/* å ä ö æ ø and the like inline; the rest through the
			 * decoder, which is as strict as jansson */
			if (*p >= 0xC2 && *p <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
				p += 2;
				break;
			}
			size_t k = utf8_decode((const char *)p, (size_t)(end - p), NULL);
			if (!k)
				return FAST_JANSSON;
			p += k;
		}
		}
	}
}

/* A checked string's text, unescaped, NUL-terminated; NULL when out of
 * memory. The text is never longer than its source. */
static char *take_str(const struct jstr *s)
{
	char *out = malloc(s->n + 1);
	if (!out)
		return NULL;
	if (!s->escaped) {
		memcpy(out, s->s, s->n);
		out[s->n] = '\0';
		return out;
	}
	const unsigned char *p = s->s, *end = s->s + s->n;
	char *o = out;
	while (p < end) {
		if (*p != '\\') {
			*o++ = (char)*p++;
			continue;
		}
		unsigned char e = p[1];
		p += 2;
		switch (e) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned v, w;
			hex4(p, &v);
			p += 4;
			if (v >= 0xD800 && v <= 0xDBFF) {
				hex4(p + 2, &w);
				p += 6;
				v = ((v - 0xD800) << 10) + (w - 0xDC00) + 0x10000;
			}
			o += utf8_encode(v, o);
			break;
		}
		default: *o++ = (char)e; /* " \ / */
		}
	}
	*o = '\0';
	return out;
}

/* 1 (and past it) when the value is null. */
static int is_null(struct jp *j)
{
	if (peek(j) != 'n' || j->end - j->p < 4 || memcmp(j->p, "null", 4))
		return 0;
	j->p += 4;
	return 1;
}

/* A string or null into *dst (NULL for null). FAST_OK, FAST_JANSSON, FAST_NOMEM. */
static int str_or_null(struct jp *j, char **dst)
{
	if (is_null(j))
		return FAST_OK;
	struct jstr s;
	if (peek(j) != '"' || scan_str(j, &s) != FAST_OK)
		return FAST_JANSSON;
	return (*dst = take_str(&s)) ? FAST_OK : FAST_NOMEM;
}

/* An integer as jansson reads one into a json_integer, if short enough to
 * be in range; reals (., e, E) are left to jansson. */
static int integer(struct jp *j, long long *v)
{
	const unsigned char *p = j->p, *end = j->end;
	int neg = p < end && *p == '-';
	p += neg;
	const unsigned char *d = p;
	long long x = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if (p - d < FAST_MAX_DIGITS) /* past that, jansson's anyway */
			x = x * 10 + (*p - '0');
	size_t nd = (size_t)(p - d);
	if (!nd || nd > FAST_MAX_DIGITS || (*d == '0' && nd > 1))
		return FAST_JANSSON;
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return FAST_JANSSON;
	*v = neg ? -x : x;
	j->p = p;
	return FAST_OK;
}

/* A scalar for a key the item does not read: checked, not kept. */
static int skip_scalar(struct jp *j)
{
	int c = peek(j);
	struct jstr s;
	long long v;
	static const char *const words[] = {"null", "true", "false"};
	switch (c) {
	case '"': return scan_str(j, &s);
	case 'n':
	case 't':
	case 'f':
		for (size_t i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if (c == words[i][0] && (size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
				j->p += n;
				return FAST_OK;
			}
		}
		return FAST_JANSSON;
	default: return c == '-' || (c >= '0' && c <= '9') ? integer(j, &v) : FAST_JANSSON;
	}
}

/* '[' elem (',' elem)* ']' or '[' ']': calls each(j, ctx) at every
 * element. For arrays whose elements the fast path reads. */
static int each_elem(struct jp *j, int (*each)(struct jp *, void *), void *ctx)
{
	if (peek(j) != '[')
		return FAST_JANSSON;
	j->p++;
	if (peek(j) == ']') {
		j->p++;
		return FAST_OK;
	}
	for (;;) {
		int rc = each(j, ctx);
		if (rc != FAST_OK)
			return rc;
		int c = peek(j);
		j->p++;
		if (c == ']')
			return FAST_OK;
		if (c != ',')
			return FAST_JANSSON;
	}
}

static int skip_elem(struct jp *j, void *ctx)
{
	(void)ctx;
	return skip_scalar(j);
}

/* A value of a key the item does not read: a scalar or an array of them. */
static int skip_value(struct jp *j)
{
	return peek(j) == '[' ? each_elem(j, skip_elem, NULL) : skip_scalar(j);
}

/* The keys of one object so far, for JSON_REJECT_DUPLICATES. Keys with an
 * escape never get here, so their bytes are their text. */
struct keys {
	const unsigned char *s[FAST_MAX_KEYS];
	size_t n[FAST_MAX_KEYS];
	size_t count;
};

/* The next key of an object and the ':' after it: FAST_OK, or FAST_JANSSON for
 * an escape in a key, a duplicate, too many keys, bad syntax. */
static int next_key(struct jp *j, struct keys *k, struct jstr *key)
{
	if (peek(j) != '"' || scan_str(j, key) != FAST_OK || key->escaped || k->count == FAST_MAX_KEYS)
		return FAST_JANSSON;
	for (size_t i = 0; i < k->count; i++)
		if (k->n[i] == key->n && !memcmp(k->s[i], key->s, key->n))
			return FAST_JANSSON;
	k->s[k->count] = key->s;
	k->n[k->count++] = key->n;
	if (peek(j) != ':')
		return FAST_JANSSON;
	j->p++;
	return FAST_OK;
}

/* '{' (key ':' value (',' key ':' value)*)? '}': calls member(j, key,
 * ctx) with j at each value. */
static int each_member(struct jp *j, int (*member)(struct jp *, const struct jstr *, void *), void *ctx)
{
	struct keys k;
	k.count = 0;
	if (peek(j) != '{')
		return FAST_JANSSON;
	j->p++;
	if (peek(j) == '}') {
		j->p++;
		return FAST_OK;
	}
	for (;;) {
		struct jstr key;
		int rc = next_key(j, &k, &key);
		if (rc == FAST_OK)
			rc = member(j, &key, ctx);
		if (rc != FAST_OK)
			return rc;
		int c = peek(j);
		j->p++;
		if (c == '}')
			return FAST_OK;
		if (c != ',')
			return FAST_JANSSON;
	}
}

static int key_is(const struct jstr *k, const char *name)
{
	size_t n = strlen(name);
	return k->n == n && !memcmp(k->s, name, n);
}

/* categories: strings only (item_from_json refuses anything else). */
static int category(struct jp *j, void *ctx)
{
	struct item *it = ctx;
	struct jstr s;
	if (peek(j) != '"' || scan_str(j, &s) != FAST_OK)
		return FAST_JANSSON;
	if ((it->ncategories & (it->ncategories - 1)) == 0) { /* 0, 1, 2, 4 ...: grow */
		size_t cap = it->ncategories ? it->ncategories * 2 : 1;
		char **v = realloc(it->categories, cap * sizeof *v);
		if (!v)
			return FAST_NOMEM;
		it->categories = v;
	}
	if (!(it->categories[it->ncategories] = take_str(&s)))
		return FAST_NOMEM;
	it->ncategories++;
	return FAST_OK;
}

/* An enclosure object as item_to_jsonl writes it: url, type, length. */
struct encl {
	struct enclosure e;
	int has_url;
};

static int encl_member(struct jp *j, const struct jstr *key, void *ctx)
{
	struct encl *x = ctx;
	if (key_is(key, "url")) {
		if (peek(j) != '"')
			return FAST_JANSSON;
		x->has_url = 1;
		return str_or_null(j, &x->e.url);
	}
	if (key_is(key, "type"))
		return str_or_null(j, &x->e.type);
	if (key_is(key, "length"))
		return integer(j, &x->e.length);
	return FAST_JANSSON; /* a key item_from_json ignores: rare, jansson's */
}

static int enclosure(struct jp *j, void *ctx)
{
	struct item *it = ctx;
	struct encl x;
	memset(&x, 0, sizeof x);
	int rc = each_member(j, encl_member, &x);
	if (rc == FAST_OK && !x.has_url)
		rc = FAST_JANSSON;
	if (rc == FAST_OK && (it->nenclosures & (it->nenclosures - 1)) == 0) {
		size_t cap = it->nenclosures ? it->nenclosures * 2 : 1;
		struct enclosure *v = realloc(it->enclosures, cap * sizeof *v);
		if (v)
			it->enclosures = v;
		else
			rc = FAST_NOMEM;
	}
	if (rc != FAST_OK) {
		free(x.e.url);
		free(x.e.type);
		return rc;
	}
	it->enclosures[it->nenclosures++] = x.e;
	return FAST_OK;
}

/* The top-level object: the item's fields, and "id" aside (it is the key
 * only when "key" is missing or null; then it must be a string or null). */
struct top {
	struct item *it;
	char *id;
	int id_bad;
};

static int time_field(struct jp *j, time_t *dst)
{
	char *s = NULL;
	int rc = str_or_null(j, &s);
	if (rc == FAST_OK && s && !(*dst = time_parse_rfc3339(s)))
		rc = FAST_JANSSON; /* item_from_json's error */
	free(s);
	return rc;
}

static int top_member(struct jp *j, const struct jstr *key, void *ctx)
{
	struct top *t = ctx;
	struct item *it = t->it;
	static const char *const names[] = {"key", "url", "title", "summary", "content", "author", "source"};
	char **fields[] = {&it->key, &it->url, &it->title, &it->summary, &it->content, &it->author, &it->source};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (key_is(key, names[i]))
			return str_or_null(j, fields[i]);
	if (key_is(key, "published"))
		return time_field(j, &it->published);
	if (key_is(key, "updated"))
		return time_field(j, &it->updated);
	if (key_is(key, "categories"))
		return is_null(j) ? FAST_OK : each_elem(j, category, it);
	if (key_is(key, "enclosures"))
		return is_null(j) ? FAST_OK : each_elem(j, enclosure, it);
	if (key_is(key, "id")) {
		int c = peek(j);
		if (c == '"' || c == 'n')
			return str_or_null(j, &t->id);
		t->id_bad = 1; /* fine while "key" is a string */
	}
	return skip_value(j);
}

int item_from_jsonl_fast(const char *line, size_t n, struct item *it)
{
	memset(it, 0, sizeof *it);
	struct jp j = {(const unsigned char *)line, (const unsigned char *)line + n};
	struct top t = {it, NULL, 0};
	int rc = each_member(&j, top_member, &t);
	if (rc == FAST_OK && peek(&j) != -1)
		rc = FAST_JANSSON; /* more after the object */
	if (rc == FAST_OK && !it->key) {
		if (t.id_bad)
			rc = FAST_JANSSON;
		else
			it->key = t.id, t.id = NULL;
	}
	free(t.id);
	if (rc != FAST_OK)
		item_free(it);
	return rc;
}

int item_from_jsonl(const char *line, size_t n, struct item *it, struct err *err)
{
	int fast = item_from_jsonl_fast(line, n, it);
	if (fast == FAST_OK)
		return JSONL_OK;
	if (fast == FAST_NOMEM) {
		err_set(err, "out of memory");
		return JSONL_NOMEM;
	}
	json_error_t je;
	json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (!obj) {
		err_set(err, "%d: %s", je.column, je.text);
		return JSONL_SYNTAX;
	}
	int rc = item_from_json(obj, it, err) < 0 ? JSONL_ITEM : JSONL_OK;
	json_decref(obj);
	return rc;
}

/* --- the reader ------------------------------------------------------------- */

#define READ_CHUNK (256u << 10)

int jsonl_open(struct jsonl_reader *r, const char *path, struct err *err)
{
	memset(r, 0, sizeof *r);
	r->path = path;
	r->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (r->fd < 0) {
		err_set(err, "%s: %s", path, strerror(errno));
		return JSONL_READ;
	}
	return 0;
}

void jsonl_close(struct jsonl_reader *r)
{
	if (r->fd > STDIN_FILENO)
		close(r->fd);
	free(r->buf);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

/* More bytes after buf[end]: moves the unread ones to the front, grows
 * the buffer while a line may still fit. 1 read, 0 end of file, or a
 * negative status. */
static int fill(struct jsonl_reader *r, struct err *err)
{
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scanned -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK / 2 && r->cap < JSONL_MAX_LINE + 1) {
		size_t cap = r->cap ? r->cap * 2 : READ_CHUNK;
		if (cap > JSONL_MAX_LINE + 1)
			cap = JSONL_MAX_LINE + 1;
		char *b = realloc(r->buf, cap);
		if (!b) {
			err_set(err, "%s:%ld: out of memory", r->path, r->lineno + 1);
			return JSONL_NOMEM;
		}
		r->buf = b;
		r->cap = cap;
	}
	for (;;) {
		ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (got > 0) {
			r->end += (size_t)got;
			return 1;
		}
		if (got == 0)
			return 0;
		if (errno != EINTR) {
			err_set(err, "%s: %s", r->path, strerror(errno));
			return JSONL_READ;
		}
	}
}

int jsonl_next_line(struct jsonl_reader *r, const char **line, size_t *n, struct err *err)
{
	for (;;) {
		char *nl = r->end > r->scanned ? memchr(r->buf + r->scanned, '\n', r->end - r->scanned) : NULL;
		size_t len;
		if (nl) {
			len = (size_t)(nl - (r->buf + r->start)) + 1;
		} else if (r->end - r->start > JSONL_MAX_LINE) {
			len = r->end - r->start; /* too long whatever follows */
		} else if (!r->eof) {
			r->scanned = r->end;
			int rc = fill(r, err);
			if (rc < 0)
				return rc;
			r->eof = rc == 0;
			continue;
		} else if (r->end > r->start) {
			len = r->end - r->start; /* the last line has no newline */
		} else {
			return 0;
		}
		r->lineno++;
		if (len > JSONL_MAX_LINE) {
			err_set(err, "%s:%ld: line longer than %u bytes", r->path, r->lineno, JSONL_MAX_LINE);
			return JSONL_LONG;
		}
		const char *s = r->buf + r->start;
		r->start += len;
		r->scanned = r->start;
		size_t i = 0;
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i < len) {
			*line = s;
			*n = len;
			return 1;
		}
	}
}

int jsonl_next_item(struct jsonl_reader *r, struct item *it, struct err *err)
{
	const char *line;
	size_t n;
	memset(it, 0, sizeof *it);
	int rc = jsonl_next_line(r, &line, &n, err);
	if (rc <= 0)
		return rc;
	struct err e;
	rc = item_from_jsonl(line, n, it, &e);
	if (rc == JSONL_OK)
		return 1;
	err_set(err, "%s:%ld:%s%s", r->path, r->lineno, rc == JSONL_SYNTAX ? "" : " ", e.msg);
	return rc;
}
