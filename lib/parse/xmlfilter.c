#include "parse/xmlfilter.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

#define SLICE (64 * 1024)

enum { F_TEXT = 0, F_CDATA, F_COMMENT, F_PI, F_DOCTYPE };

static int is_name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

/* Length of the reference at s[0] == '&', or 0 when it is not one;
 * *more when the answer depends on bytes not yet seen. */
static size_t ref_len(const char *s, size_t n, int *named, int *more)
{
	size_t i = 1;
	*named = *more = 0;
	if (i >= n) {
		*more = 1;
		return 0;
	}
	if (s[i] == '#') {
		i++;
		int hex = i < n && s[i] == 'x';
		i += (size_t)hex;
		size_t st = i;
		while (i < n && i - st < 10 &&
		       ((s[i] >= '0' && s[i] <= '9') ||
			(hex && ((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))))
			i++;
		if (i >= n) {
			*more = 1;
			return 0;
		}
		return i > st && s[i] == ';' ? i + 1 : 0;
	}
	size_t st = i;
	while (i < n && i - st < 32 && is_name_char((unsigned char)s[i]))
		i++;
	if (i >= n) {
		*more = 1;
		return 0;
	}
	if (i == st || s[i] != ';' || (s[st] >= '0' && s[st] <= '9'))
		return 0;
	*named = 1;
	return i + 1;
}

/* The character reference for a predefined entity name, or NULL. */
static const char *predefined(const char *s, size_t n)
{
	switch (n) {
	case 2:
		return s[1] != 't' ? NULL : s[0] == 'l' ? "&#60;" : s[0] == 'g' ? "&#62;" : NULL;
	case 3:
		return !memcmp(s, "amp", 3) ? "&#38;" : NULL;
	case 4:
		return !memcmp(s, "quot", 4) ? "&#34;" : !memcmp(s, "apos", 4) ? "&#39;" : NULL;
	default:
		return NULL;
	}
}

/* memmem for the end of a CDATA section, comment or PI, whose first
 * byte is rare in their text: memchr for it does the scanning. */
static const char *find_end(const char *s, size_t n, const char *end, size_t el)
{
	const char *f = s, *stop = s + n;
	while ((f = memchr(f, end[0], (size_t)(stop - f)))) {
		if ((size_t)(stop - f) < el)
			return NULL;
		if (!memcmp(f, end, el))
			return f;
		f++;
	}
	return NULL;
}

/* The first c in d[i..n) (n when none), given the one found before:
 * `at`, or SIZE_MAX when none was looked for yet. */
static size_t next_special(const char *d, size_t i, size_t n, char c, size_t at)
{
	if (at != SIZE_MAX && at >= i)
		return at;
	const char *f = memchr(d + i, c, n - i);
	return f ? (size_t)(f - d) : n;
}

/* A reference at d[i] (rem bytes left): what replaces it (NULL: nothing)
 * and its length in *k; *hold when more bytes are needed to decide. */
static const char *fix_ref(struct xmlfilter *f, const char *d, size_t rem, int final, size_t *k,
			   char cref[16], int *hold)
{
	int named, more;
	*hold = 0;
	*k = ref_len(d, rem, &named, &more);
	if (more && !final && rem < XMLFILTER_HOLD) {
		*hold = 1;
		return NULL;
	}
	if (!*k) {
		*k = 1;
		return "&amp;"; /* a bare '&' */
	}
	if (!named)
		return NULL;
	const char *pre = predefined(d + 1, *k - 2);
	if (pre || f->has_entities)
		return pre;
	unsigned long cp = text_html_entity(d + 1, *k - 2);
	if (cp) {
		snprintf(cref, 16, "&#%lu;", cp);
		return cref;
	}
	*k = 1;
	return "&amp;"; /* unknown: literal text */
}

/* Scans d[0..n) and hands the repaired bytes to out; the bytes that
 * cannot be decided yet go to f->hold. */
static int filter(struct xmlfilter *f, const char *d, size_t n, int final, xmlfilter_out_fn out,
		  void *ctx)
{
	struct buf *o = &f->out;
	size_t i = 0, done = 0, next_amp = SIZE_MAX, next_bang = SIZE_MAX, next_q = SIZE_MAX;
	int changed = 0;
	buf_reset(o);
	while (i < n) {
		switch (f->state) {
		case F_TEXT: {
			/* Only '&' and the '<' of "<!" and "<?" matter here. Every
			 * tag has a '<'; '&', '!' and '?' are far rarer, so each is
			 * found with memchr (vectorised) and its position kept
			 * until passed. */
			next_amp = next_special(d, i, n, '&', next_amp);
			next_bang = next_special(d, i, n, '!', next_bang);
			next_q = next_special(d, i, n, '?', next_q);
			size_t j = next_amp < next_bang ? next_amp : next_bang;
			j = j < next_q ? j : next_q;
			if (j >= n) {
				/* A '<' at the end waits: a '!' or '?' may follow. */
				if (!final && d[n - 1] == '<') {
					i = n - 1;
					goto hold;
				}
				i = n;
				break;
			}
			if (d[j] != '&') {
				if (j == i || d[j - 1] != '<') {
					i = j + 1; /* punctuation in text */
					break;
				}
				i = j - 1;
				size_t rem = n - i;
				if (rem < 9 && !final)
					goto hold;
				if (d[j] == '?')
					f->state = F_PI, i += 2;
				else if (rem >= 9 && !memcmp(d + i, "<![CDATA[", 9))
					f->state = F_CDATA, i += 9;
				else if (rem >= 4 && !memcmp(d + i, "<!--", 4))
					f->state = F_COMMENT, i += 4;
				else if (rem >= 9 && !memcmp(d + i, "<!DOCTYPE", 9))
					f->state = F_DOCTYPE, i += 9, f->dt_depth = 0, f->dt_quote = 0;
				else
					i = j + 1;
				break;
			}
			i = j;
			size_t k;
			char cref[16];
			int wait;
			const char *rep = fix_ref(f, d + i, n - i, final, &k, cref, &wait);
			if (wait)
				goto hold;
			if (rep) {
				if (buf_append(o, d + done, i - done) < 0 || buf_puts(o, rep) < 0)
					return -1;
				done = i + k;
				changed = 1;
			}
			i += k;
			break;
		}
		case F_CDATA:
		case F_COMMENT:
		case F_PI: {
			const char *end = f->state == F_CDATA ? "]]>" : f->state == F_COMMENT ? "-->" : "?>";
			size_t el = strlen(end);
			const char *e = find_end(d + i, n - i, end, el);
			if (e) {
				i = (size_t)(e - d) + el;
				f->state = F_TEXT;
			} else if (final) {
				i = n;
			} else {
				/* the end marker may start in the last bytes */
				i = n - i < el ? i : n - (el - 1);
				goto hold;
			}
			break;
		}
		case F_DOCTYPE:
			for (; i < n; i++) {
				char ch = d[i];
				if (f->dt_quote) {
					if (ch == f->dt_quote)
						f->dt_quote = 0;
				} else if (ch == '"' || ch == '\'') {
					f->dt_quote = ch;
				} else if (ch == '[') {
					f->dt_depth++;
				} else if (ch == ']') {
					if (f->dt_depth)
						f->dt_depth--;
				} else if (ch == '<') {
					if (n - i < 8 && !final)
						goto hold;
					if (n - i >= 8 && !memcmp(d + i, "<!ENTITY", 8))
						f->has_entities = 1;
				} else if (ch == '>' && !f->dt_depth) {
					i++;
					f->state = F_TEXT;
					break;
				}
			}
			break;
		}
	}
	i = n;
hold:
	if (n - i > XMLFILTER_HOLD) /* cannot happen; be safe */
		i = n - XMLFILTER_HOLD;
	memcpy(f->hold, d + i, n - i);
	f->holdlen = n - i;
	if (changed) {
		if (buf_append(o, d + done, i - done) < 0)
			return -1;
		return out(ctx, o->data, o->len) ? 1 : 0;
	}
	return i && out(ctx, d, i) ? 1 : 0;
}

int xmlfilter_push(struct xmlfilter *f, const char *data, size_t len, int final,
		   xmlfilter_out_fn out, void *ctx)
{
	size_t off = 0;
	int rc = 0;
	while (off < len && !rc) {
		size_t take = len - off < SLICE ? len - off : SLICE;
		const char *d = data + off;
		size_t n = take;
		if (f->holdlen) { /* held bytes go first */
			buf_reset(&f->in);
			if (buf_append(&f->in, f->hold, f->holdlen) < 0 || buf_append(&f->in, d, n) < 0)
				return -1;
			f->holdlen = 0;
			d = f->in.data;
			n = f->in.len;
		}
		off += take;
		rc = filter(f, d, n, final && off == len, out, ctx);
	}
	if (!rc && final && f->holdlen) {
		/* the held tail, decided now that nothing follows */
		buf_reset(&f->in);
		if (buf_append(&f->in, f->hold, f->holdlen) < 0)
			return -1;
		f->holdlen = 0;
		rc = filter(f, f->in.data, f->in.len, 1, out, ctx);
	}
	return rc;
}

void xmlfilter_free(struct xmlfilter *f)
{
	buf_free(&f->in);
	buf_free(&f->out);
}
