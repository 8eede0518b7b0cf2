#include "core/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

/* Beyond the rules in charset.h, two things learnt from real feeds:
 *  - rule 2 also takes UTF-8 with some damage (valid multi-byte sequences
 *    outnumber invalid ones): reading it as Windows-1252 would spoil every
 *    å in the document to save one cut-off character;
 *  - an HTML meta charset in the output is rewritten to UTF-8 like the XML
 *    declaration, since libxml2's HTML parser switches encoding on it. */

/* Labels are hostile input and end up in iconv_open() and in logs: only
 * plain charset-name characters, bounded. '/' is excluded on purpose
 * (glibc reads "//TRANSLIT" and similar suffixes from it). */
#define LABEL_MAX 40
/* Browsers look for <meta charset> in the first 1024 bytes; feeds and
 * older pages put it later, so we look a little further. */
#define META_SCAN 4096
/* An XML declaration longer than this is not one. */
#define XMLDECL_MAX 512

static const char REPL[] = "\xEF\xBF\xBD"; /* U+FFFD */

struct label {
	char name[LABEL_MAX + 1];
	const char *src; /* "Content-Type", "XML declaration", "HTML meta" */
	int bad;         /* characters outside the charset-name alphabet */
};

/* HTML's whitespace: XML's and form feed. */
static int is_ws(int c) { return text_is_ws(c) || c == '\f'; }

static int label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == ':' || c == '+' || c == '(' || c == ')';
}

static int label_plain(const char *s, size_t n)
{
	if (n == 0 || n > LABEL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!label_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Copies a label, trimmed, with anything odd shown as '?' and flagged. */
static void label_set(struct label *l, const char *s, size_t n, const char *src)
{
	while (n && is_ws((unsigned char)*s))
		s++, n--;
	while (n && is_ws((unsigned char)s[n - 1]))
		n--;
	l->bad = n == 0 || n > LABEL_MAX;
	if (n > LABEL_MAX)
		n = LABEL_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!label_char(c)) {
			l->bad = 1;
			c = '?';
		}
		l->name[i] = (char)c;
	}
	l->name[n] = '\0';
	l->src = src;
}

static int label_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return 1;
	return 0;
}

static const char *const LATIN1_LABELS[] = {
	"iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "latin1", "l1", "us-ascii", "ascii",
	"iso_8859-1:1987", "cp819", "ibm819", "iso-ir-100", "csisolatin1", "x-cp1252", "ansi_x3.4-1968",
	"latin-1", NULL};
static const char *const UTF8_LABELS[] = {"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8",
					  "unicode20utf8", "utf_8", NULL};

/* Code units of an encoding: how far to skip past a byte it rejects. */
static size_t label_unit(const char *name)
{
	if (strncasecmp(name, "utf-16", 6) == 0 || strncasecmp(name, "utf16", 5) == 0 ||
	    strncasecmp(name, "ucs-2", 5) == 0 || strncasecmp(name, "ucs2", 4) == 0 ||
	    strcasecmp(name, "unicode") == 0 || strncasecmp(name, "unicodelittle", 13) == 0 ||
	    strncasecmp(name, "unicodebig", 10) == 0)
		return 2;
	if (strncasecmp(name, "utf-32", 6) == 0 || strncasecmp(name, "utf32", 5) == 0 ||
	    strncasecmp(name, "ucs-4", 5) == 0 || strncasecmp(name, "ucs4", 4) == 0)
		return 4;
	return 1;
}

/* ---- finding labels ------------------------------------------------------ */

/* The charset parameter of a Content-Type value. */
static int ct_charset(const char *ct, struct label *l)
{
	const char *p = strchr(ct, ';');
	while (p) {
		p++;
		while (is_ws((unsigned char)*p))
			p++;
		const char *name = p;
		while (*p && *p != '=' && *p != ';' && !is_ws((unsigned char)*p))
			p++;
		size_t nlen = (size_t)(p - name);
		while (is_ws((unsigned char)*p))
			p++;
		if (*p != '=') {
			p = strchr(p, ';');
			continue;
		}
		p++;
		while (is_ws((unsigned char)*p))
			p++;
		const char *v = p;
		size_t vlen;
		if (*p == '"') {
			v = ++p;
			while (*p && *p != '"')
				p++;
			vlen = (size_t)(p - v);
		} else {
			while (*p && *p != ';' && !is_ws((unsigned char)*p))
				p++;
			vlen = (size_t)(p - v);
		}
		if (nlen == 7 && strncasecmp(name, "charset", 7) == 0 && vlen) {
			label_set(l, v, vlen, "Content-Type");
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}

/* Span of the encoding value in an XML declaration at the start of d (after
 * optional whitespace), or 0. *decl_start gets where "<?xml" begins. */
static int xml_decl_encoding(const char *d, size_t n, size_t *decl_start, size_t *off, size_t *len)
{
	size_t i = 0;
	while (i < n && is_ws((unsigned char)d[i]))
		i++;
	if (n - i < 6 || memcmp(d + i, "<?xml", 5) != 0 || !is_ws((unsigned char)d[i + 5]))
		return 0;
	*decl_start = i;
	size_t end = i + XMLDECL_MAX < n ? i + XMLDECL_MAX : n;
	i += 5;
	/* Pseudo-attributes: name = "value" | 'value', up to "?>". */
	for (;;) {
		while (i < end && is_ws((unsigned char)d[i]))
			i++;
		if (i >= end || d[i] == '?' || d[i] == '>')
			return 0;
		size_t name = i;
		while (i < end && d[i] != '=' && !is_ws((unsigned char)d[i]) && d[i] != '?')
			i++;
		size_t nlen = i - name;
		while (i < end && is_ws((unsigned char)d[i]))
			i++;
		if (i >= end || d[i] != '=')
			return 0;
		i++;
		while (i < end && is_ws((unsigned char)d[i]))
			i++;
		if (i >= end || (d[i] != '"' && d[i] != '\''))
			return 0;
		char q = d[i++];
		size_t v = i;
		while (i < end && d[i] != q && d[i] != '<' && d[i] != '>')
			i++;
		if (i >= end || d[i] != q)
			return 0;
		if (nlen == 8 && memcmp(d + name, "encoding", 8) == 0) {
			*off = v;
			*len = i - v;
			return 1;
		}
		i++;
	}
}

/* Reads one attribute of a tag at d[*i]; returns 0 at the tag's end. The
 * value span is [*v, *v + *vlen); unquoted and valueless forms allowed. */
static int tag_attr(const char *d, size_t n, size_t *i, size_t *a, size_t *alen, size_t *v,
		    size_t *vlen)
{
	size_t p = *i;
	while (p < n && (is_ws((unsigned char)d[p]) || d[p] == '/'))
		p++;
	if (p >= n || d[p] == '>')
		return 0;
	*a = p;
	while (p < n && !is_ws((unsigned char)d[p]) && d[p] != '=' && d[p] != '>' && d[p] != '/')
		p++;
	*alen = p - *a;
	while (p < n && is_ws((unsigned char)d[p]))
		p++;
	*v = p, *vlen = 0;
	if (p < n && d[p] == '=') {
		p++;
		while (p < n && is_ws((unsigned char)d[p]))
			p++;
		if (p < n && (d[p] == '"' || d[p] == '\'')) {
			char q = d[p++];
			*v = p;
			while (p < n && d[p] != q)
				p++;
			*vlen = p - *v;
			if (p < n)
				p++;
		} else {
			*v = p;
			while (p < n && !is_ws((unsigned char)d[p]) && d[p] != '>')
				p++;
			*vlen = p - *v;
		}
	}
	if (*alen == 0) /* a stray '=' or similar: step over it */
		p = p > *i ? p : *i + 1;
	*i = p;
	return 1;
}

/* The charset= value inside a content="text/html; charset=..." string. */
static int content_charset(const char *d, size_t off, size_t len, size_t *coff, size_t *clen)
{
	for (size_t i = off; i + 7 <= off + len; i++) {
		if (strncasecmp(d + i, "charset", 7) != 0)
			continue;
		size_t p = i + 7;
		while (p < off + len && is_ws((unsigned char)d[p]))
			p++;
		if (p >= off + len || d[p] != '=')
			continue;
		p++;
		while (p < off + len && is_ws((unsigned char)d[p]))
			p++;
		if (p < off + len && (d[p] == '"' || d[p] == '\''))
			p++;
		size_t s = p;
		while (p < off + len && !is_ws((unsigned char)d[p]) && d[p] != ';' && d[p] != '"' &&
		       d[p] != '\'')
			p++;
		if (p == s)
			return 0;
		*coff = s, *clen = p - s;
		return 1;
	}
	return 0;
}

/* Span of the charset named by the first <meta charset> or <meta
 * http-equiv="content-type" content="...charset=..."> in the first
 * META_SCAN bytes, comments skipped. */
static int html_meta_charset(const char *d, size_t n, size_t *off, size_t *len)
{
	if (n > META_SCAN)
		n = META_SCAN;
	for (size_t i = 0; i + 5 < n; i++) {
		if (d[i] != '<')
			continue;
		if (n - i >= 4 && memcmp(d + i, "<!--", 4) == 0) {
			size_t j = i + 4;
			while (j + 3 <= n && memcmp(d + j, "-->", 3) != 0)
				j++;
			i = j + 2;
			continue;
		}
		if (strncasecmp(d + i, "<meta", 5) != 0 || (!is_ws((unsigned char)d[i + 5]) && d[i + 5] != '/'))
			continue;
		size_t p = i + 5, a, alen, v, vlen;
		int equiv = 0, have_content = 0;
		size_t coff = 0, clen = 0;
		while (tag_attr(d, n, &p, &a, &alen, &v, &vlen)) {
			if (alen == 7 && strncasecmp(d + a, "charset", 7) == 0 && vlen) {
				*off = v, *len = vlen;
				return 1;
			}
			if (alen == 10 && strncasecmp(d + a, "http-equiv", 10) == 0 && vlen == 12 &&
			    strncasecmp(d + v, "content-type", 12) == 0)
				equiv = 1;
			if (alen == 7 && strncasecmp(d + a, "content", 7) == 0)
				have_content = content_charset(d, v, vlen, &coff, &clen);
		}
		if (equiv && have_content) {
			*off = coff, *len = clen;
			return 1;
		}
		i = p;
	}
	return 0;
}

/* ---- converting ---------------------------------------------------------- */

/* Length of the longest prefix at s that could start a valid UTF-8
 * sequence but is cut short (at least 1): one U+FFFD per such prefix, as
 * Unicode recommends ("maximal subpart"). */
static size_t utf8_bad_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 1;
	size_t k = 1;
	if (k < n && k <= need && s[k] >= lo && s[k] <= hi) {
		k++;
		while (k < n && k <= need && (s[k] & 0xC0) == 0x80)
			k++;
	}
	return k;
}

/* Counts valid multi-byte sequences and invalid subparts. */
static void utf8_scan(const char *d, size_t n, size_t *multi, size_t *bad)
{
	size_t i = 0;
	*multi = *bad = 0;
	while (i < n) {
		if ((unsigned char)d[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_decode(d + i, n - i, NULL);
		if (k) {
			(*multi)++;
			i += k;
		} else {
			(*bad)++;
			i += utf8_bad_len((const unsigned char *)d + i, n - i);
		}
	}
}

/* Appends d as UTF-8, each invalid subpart replaced; counts replacements. */
static int utf8_copy(const char *d, size_t n, struct buf *out, size_t *replaced)
{
	size_t i = 0, run = 0;
	while (i < n) {
		size_t k = (unsigned char)d[i] < 0x80 ? 1 : utf8_decode(d + i, n - i, NULL);
		if (k) {
			i += k;
			continue;
		}
		if (buf_append(out, d + run, i - run) < 0 || buf_append(out, REPL, 3) < 0)
			return -1;
		(*replaced)++;
		i += utf8_bad_len((const unsigned char *)d + i, n - i);
		run = i;
	}
	return buf_append(out, d + run, n - run);
}

/* iconv from `from` to UTF-8. Bytes iconv rejects (EILSEQ, or EINVAL for a
 * cut-off sequence) become U+FFFD and we skip one code unit, so every
 * round consumes input and the loop ends. Windows-1252's five undefined
 * bytes (0x81 0x8D 0x8F 0x90 0x9D) land here too. */
static int iconv_copy(const char *from, size_t unit, const char *d, size_t n, struct buf *out,
		      size_t *replaced, struct err *err)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return err_set(err, "charset: cannot convert from %s: %s", from, strerror(errno));
	char chunk[16384];
	char *in = (char *)d;
	size_t inleft = n;
	int rc = 0;
	for (;;) {
		char *op = chunk;
		size_t opleft = sizeof chunk;
		int flushing = inleft == 0; /* input done: emit any pending shift state */
		size_t r = flushing ? iconv(cd, NULL, NULL, &op, &opleft)
				    : iconv(cd, &in, &inleft, &op, &opleft);
		int e = errno;
		if (buf_append(out, chunk, (size_t)(op - chunk)) < 0) {
			rc = err_set(err, "charset: out of memory");
			break;
		}
		if (r != (size_t)-1) {
			if (flushing)
				break;
			continue;
		}
		if (e == E2BIG && op != chunk)
			continue;
		if (flushing || (e != EILSEQ && e != EINVAL)) {
			rc = err_set(err, "charset: converting from %s: %s", from, strerror(e));
			break;
		}
		if (buf_append(out, REPL, 3) < 0) {
			rc = err_set(err, "charset: out of memory");
			break;
		}
		(*replaced)++;
		size_t skip = unit < inleft ? unit : inleft;
		in += skip;
		inleft -= skip;
		iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
	}
	iconv_close(cd);
	return rc;
}

/* Replaces out->data[off, off+len) with s, moving the tail. */
static int buf_splice(struct buf *out, size_t off, size_t len, const char *s)
{
	size_t sl = strlen(s);
	size_t tail = out->len - off - len;
	if (sl > len) {
		size_t grow = sl - len;
		char pad[16] = {0};
		if (grow > sizeof pad || buf_append(out, pad, grow) < 0)
			return -1;
		memmove(out->data + off + sl, out->data + off + len, tail);
	} else if (sl < len) {
		memmove(out->data + off + sl, out->data + off + len, tail);
		out->len -= len - sl;
		out->data[out->len] = '\0';
	}
	memcpy(out->data + off, s, sl);
	return 0;
}

/* The converted text must not announce its old encoding: a leading BOM
 * goes, an XML declaration's encoding (or else an HTML meta charset) says
 * UTF-8. Whitespace before an XML declaration goes too (libxml2 rejects a
 * declaration that is not at the very start). */
static int fix_declarations(struct buf *out, size_t start)
{
	if (out->len - start >= 3 && memcmp(out->data + start, "\xEF\xBB\xBF", 3) == 0 &&
	    buf_splice(out, start, 3, "") < 0)
		return -1;
	size_t ds, off, len;
	if (xml_decl_encoding(out->data + start, out->len - start, &ds, &off, &len)) {
		if (buf_splice(out, start + off, len, "UTF-8") < 0)
			return -1;
		return ds ? buf_splice(out, start, ds, "") : 0;
	}
	size_t i = start;
	while (i < out->len && is_ws((unsigned char)out->data[i]))
		i++;
	if (out->len - i >= 6 && memcmp(out->data + i, "<?xml", 5) == 0 &&
	    is_ws((unsigned char)out->data[i + 5])) {
		return i > start ? buf_splice(out, start, i - start, "") : 0;
	}
	/* Only a plausible label is rewritten: an unclosed quote makes the
	 * span run to the scan limit, which may fall inside a UTF-8 sequence. */
	if (html_meta_charset(out->data + start, out->len - start, &off, &len) &&
	    label_plain(out->data + start + off, len) &&
	    !(len == 5 && strncasecmp(out->data + start + off, "utf-8", 5) == 0))
		return buf_splice(out, start + off, len, "UTF-8");
	return 0;
}

/* ---- deciding ------------------------------------------------------------ */

/* A bounded list of notes for `used`, joined by ", ". */
struct used {
	char *s;
	size_t cap;
	size_t n;
};

static void used_add(struct used *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void used_add(struct used *u, const char *fmt, ...)
{
	if (u->n + 3 >= u->cap)
		return;
	if (u->n) {
		memcpy(u->s + u->n, ", ", 3);
		u->n += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(u->s + u->n, u->cap - u->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		u->n += (size_t)k < u->cap - u->n ? (size_t)k : u->cap - u->n - 1;
}

/* "NAME (why; note, note)", parts left out when empty. */
static void used_write(char *used, size_t usedlen, const char *name, const char *why, const char *notes)
{
	if (!used || !usedlen)
		return;
	if (why[0] && notes[0])
		snprintf(used, usedlen, "%s (%s; %s)", name, why, notes);
	else if (why[0] || notes[0])
		snprintf(used, usedlen, "%s (%s)", name, why[0] ? why : notes);
	else
		snprintf(used, usedlen, "%s", name);
}

static int can_convert(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

const char *charset_binary(const char *d, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} magic[] = {
		{"\x1F\x8B", 2, "gzip data"},           {"PK\x03\x04", 4, "zip data"},
		{"%PDF-", 5, "a PDF document"},          {"\x89PNG\r\n\x1A\n", 8, "an image"},
		{"\xFF\xD8\xFF", 3, "an image"},        {"GIF8", 4, "an image"},
		{"BZh", 3, "bzip2 data"},                {"\xFD" "7zXZ", 5, "xz data"},
		{"\x28\xB5\x2F\xFD", 4, "zstd data"},
	};
	const unsigned char *u = (const unsigned char *)d;
	for (size_t i = 0; i < sizeof magic / sizeof *magic; i++)
		if (n >= magic[i].len && !memcmp(d, magic[i].magic, magic[i].len))
			return magic[i].what;
	/* UTF-16/32 (BOM, or '<' beside NUL bytes) is text. */
	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF) ||
		       (u[0] == '<' && u[1] == 0) || (u[0] == 0 && (u[1] == '<' || u[1] == 0))))
		return NULL;
	/* Text has no NUL and hardly any other control byte near its start. */
	size_t ctl = 0, k = n < 1024 ? n : 1024;
	for (size_t i = 0; i < k; i++)
		if (u[i] == 0 || (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r' &&
				  u[i] != '\f' && u[i] != 0x1B) || u[i] == 0x7F)
			ctl += u[i] == 0 ? 8 : 1;
	return ctl >= 8 ? "binary data" : NULL;
}

int charset_to_utf8(const char *data, size_t len, const char *content_type, struct buf *out,
		    char *used, size_t usedlen, struct err *err)
{
	const unsigned char *u = (const unsigned char *)data;
	const size_t start = out->len;
	char why[128] = "", notes[256] = "";
	struct used wb = {why, sizeof why, 0}, nb = {notes, sizeof notes, 0};
	const char *name = NULL; /* iconv name; NULL for the UTF-8 path */
	const char *shown = NULL;
	size_t unit = 1, skip = 0, replaced = 0;
	int utf8 = 0;

	if (!data)
		data = "", u = (const unsigned char *)data, len = 0;
	if (used && usedlen)
		used[0] = '\0';
	const char *bin = charset_binary(data, len);
	if (bin)
		return err_set(err, "%s, not a feed or page%s", bin,
			       !strcmp(bin, "gzip data") ? " (compressed without saying so)" : "");

	/* 1. Byte-order mark; failing that, XML's rule for UTF-16 without one
	 * ('<' and other ASCII interleaved with NULs). */
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		utf8 = 1, skip = 3, shown = "UTF-8";
		used_add(&wb, "BOM");
	} else if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
		name = shown = "UTF-32BE", unit = 4, skip = 4;
		used_add(&wb, "BOM");
	} else if (len >= 4 && u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) {
		name = shown = "UTF-32LE", unit = 4, skip = 4;
		used_add(&wb, "BOM");
	} else if (len >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] == '<') {
		name = shown = "UTF-32BE", unit = 4;
		used_add(&wb, "no BOM, NUL bytes");
	} else if (len >= 4 && u[0] == '<' && u[1] == 0 && u[2] == 0 && u[3] == 0) {
		name = shown = "UTF-32LE", unit = 4;
		used_add(&wb, "no BOM, NUL bytes");
	} else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		name = shown = "UTF-16LE", unit = 2, skip = 2;
		used_add(&wb, "BOM");
	} else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		name = shown = "UTF-16BE", unit = 2, skip = 2;
		used_add(&wb, "BOM");
	} else if (len >= 4 && u[0] == '<' && u[1] == 0 && u[2] && u[2] < 0x80 && u[3] == 0) {
		name = shown = "UTF-16LE", unit = 2;
		used_add(&wb, "no BOM, NUL bytes");
	} else if (len >= 4 && u[0] == 0 && u[1] == '<' && u[2] == 0 && u[3] && u[3] < 0x80) {
		name = shown = "UTF-16BE", unit = 2;
		used_add(&wb, "no BOM, NUL bytes");
	}

	struct label labels[3];
	size_t nlabels = 0;
	if (!name && !utf8) {
		if (content_type && ct_charset(content_type, &labels[nlabels]))
			nlabels++;
		size_t ds, off, l;
		if (xml_decl_encoding(data, len, &ds, &off, &l) && l)
			label_set(&labels[nlabels++], data + off, l, "XML declaration");
		if (html_meta_charset(data, len, &off, &l))
			label_set(&labels[nlabels++], data + off, l, "HTML meta");
	}

	/* 2. UTF-8 by its bytes. Text in a single-byte charset practically
	 * never forms valid multi-byte sequences, so when the valid ones
	 * outnumber the broken ones this is UTF-8 with some damage (a CMS that
	 * cut a string mid-character), not Latin-1: keep the rest intact. */
	if (!name && !utf8) {
		size_t multi, bad;
		utf8_scan(data, len, &multi, &bad);
		if (multi == 0 && bad == 0) {
			/* Pure ASCII (NUL included) reads the same in every label
			 * we would honour. */
			utf8 = 1, shown = "US-ASCII";
		} else if (multi > bad) {
			utf8 = 1, shown = "UTF-8";
			for (size_t i = 0; i < nlabels; i++)
				if (!label_in(labels[i].name, UTF8_LABELS)) {
					used_add(&nb, "label %s from %s ignored", labels[i].name,
						 labels[i].src);
					break;
				}
		}
	}

	/* 3. The first usable label. */
	for (size_t i = 0; !name && !utf8 && i < nlabels; i++) {
		struct label *l = &labels[i];
		if (l->bad) {
			used_add(&nb, "unknown label %s from %s ignored", l->name, l->src);
		} else if (label_in(l->name, LATIN1_LABELS)) {
			name = shown = "windows-1252";
			used_add(&wb, "label %s from %s", l->name, l->src);
		} else if (label_in(l->name, UTF8_LABELS)) {
			name = shown = "windows-1252";
			used_add(&wb, "labelled UTF-8 but not UTF-8");
		} else if (label_unit(l->name) > 1 && strcmp(l->src, "Content-Type") != 0) {
			/* We just read this label as ASCII bytes: the document
			 * cannot be in UTF-16/32 itself. */
			used_add(&nb, "label %s from %s ignored", l->name, l->src);
		} else if (!can_convert(l->name)) {
			used_add(&nb, "unknown label %s from %s ignored", l->name, l->src);
		} else {
			name = shown = l->name, unit = label_unit(l->name);
			used_add(&wb, "%s", l->src);
		}
	}

	/* 4. Nothing usable: what browsers assume for Western European text. */
	if (!name && !utf8) {
		name = shown = "windows-1252";
		used_add(&wb, nb.n ? "no usable label" : "no label");
	}

	int rc = 0;
	if (utf8)
		rc = utf8_copy(data + skip, len - skip, out, &replaced);
	else if (iconv_copy(name, unit, data + skip, len - skip, out, &replaced, err) < 0)
		goto fail; /* err says why */
	if (rc == 0 && out->data && !utf8_valid(out->data + start, out->len - start)) {
		/* iconv should never emit invalid UTF-8; make sure of it. */
		struct buf tmp = BUF_INIT;
		rc = buf_append(&tmp, out->data + start, out->len - start);
		if (rc == 0) {
			out->len = start;
			out->data[start] = '\0';
			rc = utf8_copy(tmp.data, tmp.len, out, &replaced);
		}
		buf_free(&tmp);
	}
	if (rc == 0)
		rc = out->data ? fix_declarations(out, start) : buf_append(out, "", 0);
	if (rc < 0) {
		err_set(err, "charset: out of memory");
		goto fail;
	}
	if (replaced)
		used_add(&nb, "%zu invalid sequence%s replaced", replaced,
			 replaced == 1 ? "" : "s");
	used_write(used, usedlen, shown, why, notes);
	return 0;

fail:
	if (out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return -1;
}
