/* The CSS selector subset the chair copies from a browser's inspector,
 * translated to XPath 1.0 for libxml2. */
#include "parse/css.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"

#define CSS_MAX 1024 /* longer selectors are no hand-written config */

struct css {
	const char *s; /* the whole selector, for columns */
	const char *p;
	struct buf out;
	struct err *err;
	int oom;
};

static int col(const struct css *c, const char *at) { return (int)(at - c->s) + 1; }

static int bad(struct css *c, const char *at, const char *what)
{
	return err_set(c->err, "column %d: unsupported %s (use XPath for this)", col(c, at), what);
}

static void put(struct css *c, const char *s)
{
	if (buf_puts(&c->out, s) < 0)
		c->oom = 1;
}

static void putn(struct css *c, const char *s, size_t n)
{
	if (buf_append(&c->out, s, n) < 0)
		c->oom = 1;
}

/* CSS's whitespace: XML's and form feed. */
static int is_ws(int ch) { return text_is_ws(ch) || ch == '\f'; }

static int is_ident(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* An element or attribute name at p: ASCII, not starting with a digit or
 * '-' (HTML's names are ASCII, and libxml2's XPath knows only XML 1.0's
 * older letter tables); its length, or 0. */
static size_t name_len(const char *p)
{
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	size_t n = 1;
	while (is_ident(p[n]))
		n++;
	return n;
}

/* A class, id or unquoted value at p: ASCII name characters and any
 * non-ASCII character (it becomes an XPath string); stops at anything
 * else, invalid UTF-8 and U+FFFE/U+FFFF included. */
static size_t ident_len(const char *p)
{
	size_t n = 0, k;
	uint32_t cp;
	for (;;) {
		if (is_ident(p[n]))
			n++;
		else if ((unsigned char)p[n] >= 0x80 && (k = utf8_decode(p + n, strnlen(p + n, 4), &cp)) &&
			 cp != 0xFFFE && cp != 0xFFFF)
			n += k;
		else
			return n;
	}
}

/* Element and attribute names: the HTML parser lowercases them. */
static void put_lower(struct css *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
		putn(c, &ch, 1);
	}
}

/* An XPath string literal; XPath 1.0 has no escapes, so a value holding
 * both quote kinds cannot be written. */
static int put_literal(struct css *c, const char *s, size_t n, const char *at)
{
	const char *q = memchr(s, '\'', n) ? "\"" : "'";
	if (*q == '"' && memchr(s, '"', n))
		return bad(c, at, "value with both quote kinds");
	put(c, q);
	putn(c, s, n);
	put(c, q);
	return 0;
}

/* [attr] or [attr=value]; c->p at '['. */
static int attribute(struct css *c)
{
	const char *open = c->p;
	const char *p = c->p + 1;
	while (is_ws(*p))
		p++;
	size_t n = name_len(p);
	if (!n)
		return *p == '\0' ? err_set(c->err, "column %d: unclosed [", col(c, open))
				  : bad(c, p, "attribute name");
	const char *name = p;
	p += n;
	while (is_ws(*p))
		p++;
	put(c, "[@");
	put_lower(c, name, n);
	if (*p == '=') {
		p++;
		while (is_ws(*p))
			p++;
		const char *v = p;
		size_t vn;
		if (*p == '"' || *p == '\'') {
			const char *end = strchr(p + 1, *p);
			if (!end)
				return err_set(c->err, "column %d: unclosed quote", col(c, p));
			v = p + 1;
			vn = (size_t)(end - v);
			const char *bs = memchr(v, '\\', vn);
			if (bs)
				return bad(c, bs, "escape");
			for (size_t i = 0; i < vn; i++)
				if ((unsigned char)v[i] < 0x20 && v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
					return bad(c, v + i, "control character");
			if (!utf8_valid(v, vn))
				return bad(c, v, "value that is not UTF-8");
			p = end + 1;
		} else {
			vn = ident_len(p);
			if (!vn)
				return bad(c, p, "attribute value");
			p += vn;
		}
		put(c, "=");
		if (put_literal(c, v, vn, v) < 0)
			return -1;
		while (is_ws(*p))
			p++;
	} else if (*p && *p != ']') {
		return bad(c, p, *p == '~' || *p == '|' || *p == '^' || *p == '$' || *p == '*'
				      ? "attribute operator"
				      : "attribute syntax");
	}
	if (*p != ']')
		return *p ? bad(c, p, "attribute syntax")
			  : err_set(c->err, "column %d: unclosed [", col(c, open));
	put(c, "]");
	c->p = p + 1;
	return 0;
}

/* One compound selector: [type|*] then .class, #id, [attr], :first-child. */
static int compound(struct css *c)
{
	const char *p = c->p;
	size_t n;
	if (*p == '*') {
		put(c, "*");
		p++;
	} else if ((n = name_len(p)) > 0) {
		put_lower(c, p, n);
		p += n;
	} else if (*p == '.' || *p == '#' || *p == '[' || *p == ':') {
		put(c, "*");
	} else if (*p == '\0') {
		return err_set(c->err, "column %d: selector ends where an element was expected",
			       col(c, p));
	} else {
		if (*p == '+' || *p == '~')
			return bad(c, p, "combinator");
		return bad(c, p, *p == '\\' ? "escape" : "syntax");
	}
	for (;;) {
		c->p = p;
		if (*p == '.' || *p == '#') {
			n = ident_len(p + 1);
			if (!n)
				return bad(c, p + 1, *p == '.' ? "class name" : "id");
			if (*p == '.') {
				put(c, "[contains(concat(' ', normalize-space(@class), ' '), ' ");
				putn(c, p + 1, n);
				put(c, " ')]");
			} else {
				put(c, "[@id='");
				putn(c, p + 1, n);
				put(c, "']");
			}
			p += 1 + n;
		} else if (*p == '[') {
			if (attribute(c) < 0)
				return -1;
			p = c->p;
		} else if (*p == ':') {
			if (strncmp(p, ":first-child", 12) == 0 && !is_ident(p[12]) && p[12] != '(') {
				put(c, "[not(preceding-sibling::*)]");
				p += 12;
			} else {
				return bad(c, p, p[1] == ':' ? "pseudo-element" : "pseudo-class");
			}
		} else {
			break;
		}
	}
	c->p = p;
	return 0;
}

/* One complex selector up to ',' or the end. */
static int complex_sel(struct css *c, int relative)
{
	while (is_ws(*c->p))
		c->p++;
	if (*c->p == '>' && relative) {
		/* "> a": a child of the item, as in :scope > a. */
		put(c, "./");
		c->p++;
		while (is_ws(*c->p))
			c->p++;
	} else {
		put(c, relative ? ".//" : "//");
	}
	for (;;) {
		if (compound(c) < 0)
			return -1;
		const char *p = c->p;
		int ws = 0;
		while (is_ws(*p))
			p++, ws = 1;
		if (*p == '\0' || *p == ',') {
			c->p = p;
			return 0;
		}
		if (*p == '>') {
			put(c, "/");
			p++;
			while (is_ws(*p))
				p++;
		} else if (*p == '+' || *p == '~') {
			return bad(c, p, "combinator");
		} else if (*p == '\\') {
			return bad(c, p, "escape");
		} else if (ws) {
			put(c, "//");
		} else {
			return bad(c, p, "syntax");
		}
		c->p = p;
	}
}

char *css_to_xpath(const char *css, int relative, struct err *err)
{
	if (!css) {
		err_set(err, "column 1: empty selector");
		return NULL;
	}
	if (strlen(css) > CSS_MAX) {
		err_set(err, "selector longer than %d bytes", CSS_MAX);
		return NULL;
	}
	struct css c = {css, css, BUF_INIT, err, 0};
	const char *p = css;
	while (is_ws(*p))
		p++;
	if (!*p) {
		err_set(err, "column 1: empty selector");
		return NULL;
	}
	for (;;) {
		if (complex_sel(&c, relative) < 0) {
			buf_free(&c.out);
			return NULL;
		}
		if (*c.p == '\0')
			break;
		c.p++; /* ',' */
		const char *q = c.p;
		while (is_ws(*q))
			q++;
		if (!*q) {
			err_set(err, "column %d: selector list ends with ','", col(&c, c.p - 1));
			buf_free(&c.out);
			return NULL;
		}
		put(&c, " | ");
	}
	if (c.oom) {
		buf_free(&c.out);
		err_set(err, "out of memory");
		return NULL;
	}
	return buf_steal(&c.out);
}
