#include "core/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define REPLACEMENT 0xFFFDu

size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n == 0)
		return 0;
	unsigned c = u[0];
	size_t need;
	uint32_t v, min;
	if (c < 0x80)
		need = 0, v = c, min = 0;
	else if (c >= 0xC2 && c <= 0xDF)
		need = 1, v = c & 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2, v = c & 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (u[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if (cp)
		*cp = v;
	return need + 1;
}

/* One character at s (n > 0 bytes available): the bytes consumed (>= 1) and
 * the code point, or U+FFFD for a bad byte (consuming just that byte, so
 * resynchronisation is immediate). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = utf8_decode((const char *)s, n, cp);
	if (k == 0) {
		*cp = REPLACEMENT;
		k = 1;
	}
	return k;
}

int utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t k = utf8_decode(s + i, len - i, NULL);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- output with whitespace folding ------------------------------------ */

/* Whitespace is never written directly: it becomes a pending space or
 * pending line breaks, flushed before the next visible character. That
 * trims both ends and folds runs for free. */
struct emit {
	struct buf b;
	int space;    /* a space is pending */
	int nl;       /* pending line breaks, 0..2 (2 = one blank line) */
	int oom;
};

static int is_space_cp(uint32_t cp)
{
	/* NBSP folds too: downstream rules match words, and "1 100" with a
	 * no-break space should read like any other space. */
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' ||
	       cp == '\v' || cp == 0xA0;
}

static int is_space_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Invisible characters: soft hyphen, zero-width ones, C0/C1 controls,
 * and the bidirectional controls (embeddings, overrides, isolates, marks)
 * that let a title display as something other than what it says. */
static int is_dropped_cp(uint32_t cp)
{
	return cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 || cp == 0xFEFF ||
	       cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C;
}

static void emit_break(struct emit *e, int n)
{
	if (n > e->nl)
		e->nl = n > 2 ? 2 : n;
}

static void emit_cp(struct emit *e, uint32_t cp)
{
	if (is_space_cp(cp)) {
		e->space = 1;
		return;
	}
	if (is_dropped_cp(cp))
		return;
	if (e->b.len > 0) {
		if (e->nl) {
			if (buf_append(&e->b, "\n\n", (size_t)e->nl) < 0)
				e->oom = 1;
		} else if (e->space) {
			if (buf_putc(&e->b, ' ') < 0)
				e->oom = 1;
		}
	}
	e->nl = 0;
	e->space = 0;
	/* Called once per character of every summary: write in place rather
	 * than through buf_append's checks (the bench showed it in profiles). */
	if (e->b.cap - e->b.len < 8 && buf_reserve(&e->b, 8) < 0) {
		e->oom = 1;
		return;
	}
	e->b.len += utf8_encode(cp, e->b.data + e->b.len);
	e->b.data[e->b.len] = '\0';
}

static char *emit_finish(struct emit *e)
{
	if (e->oom) {
		buf_free(&e->b);
		return NULL;
	}
	/* Items keep these strings for the whole run: give back the slack
	 * the doubling left (up to half the buffer). */
	if (e->b.data && e->b.cap > e->b.len + 1) {
		char *p = realloc(e->b.data, e->b.len + 1);
		if (p)
			e->b.data = p, e->b.cap = e->b.len + 1;
	}
	return buf_steal(&e->b);
}

/* ---- entities ----------------------------------------------------------- */

/* HTML 4 Latin-1 names, code points 160..255 in order. */
static const char *const latin1_names[96] = {
	"nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",
	"uml",    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",
	"deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",  "para",   "middot",
	"cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest",
	"Agrave", "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil",
	"Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave", "Iacute", "Icirc",  "Iuml",
	"ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",   "times",
	"Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",
	"agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
	"egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",
	"eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
	"oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml",
};

static const struct {
	const char *name;
	uint32_t cp;
} other_entities[] = {
	{"quot", 0x22},    {"amp", 0x26},     {"apos", 0x27},    {"lt", 0x3C},
	{"gt", 0x3E},      {"OElig", 0x152},  {"oelig", 0x153},  {"Scaron", 0x160},
	{"scaron", 0x161}, {"Yuml", 0x178},   {"fnof", 0x192},   {"circ", 0x2C6},
	{"tilde", 0x2DC},  {"ensp", 0x2002},  {"emsp", 0x2003},  {"thinsp", 0x2009},
	{"zwnj", 0x200C},  {"zwj", 0x200D},   {"lrm", 0x200E},   {"rlm", 0x200F},
	{"ndash", 0x2013}, {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
	{"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"bdquo", 0x201E},
	{"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022}, {"hellip", 0x2026},
	{"permil", 0x2030}, {"prime", 0x2032}, {"Prime", 0x2033}, {"lsaquo", 0x2039},
	{"rsaquo", 0x203A}, {"euro", 0x20AC}, {"trade", 0x2122}, {"larr", 0x2190},
	{"uarr", 0x2191},  {"rarr", 0x2192},  {"darr", 0x2193},  {"harr", 0x2194},
	{"minus", 0x2212}, {"le", 0x2264},    {"ge", 0x2265},    {"ne", 0x2260},
	{"asymp", 0x2248}, {"infin", 0x221E}, {"hyphen", 0x2010}, {"nbhy", 0x2011},
	{"Alpha", 0x391},  {"alpha", 0x3B1},  {"beta", 0x3B2},   {"mu", 0x3BC},
	{"check", 0x2713},
};

static uint32_t entity_by_name(const char *name, size_t n)
{
	/* The usual ones first; then strncmp stops at the table name's NUL,
	 * so no strlen per entry (this ran for every &amp; in a feed). */
	if (n == 3 && !memcmp(name, "amp", 3))
		return '&';
	if (n == 2 && name[1] == 't' && (name[0] == 'l' || name[0] == 'g'))
		return name[0] == 'l' ? '<' : '>';
	for (size_t i = 0; i < 96; i++)
		if (strncmp(latin1_names[i], name, n) == 0 && latin1_names[i][n] == '\0')
			return 160 + (uint32_t)i;
	for (size_t i = 0; i < sizeof other_entities / sizeof other_entities[0]; i++)
		if (strncmp(other_entities[i].name, name, n) == 0 && other_entities[i].name[n] == '\0')
			return other_entities[i].cp;
	return 0;
}

unsigned long text_html_entity(const char *name, size_t len)
{
	return entity_by_name(name, len);
}

/* Numeric references 128..159 mean windows-1252 in practice (HTML5 does
 * the same), e.g. &#150; is an en dash. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0] == '&'. Decodes one reference; returns bytes consumed, or 0 when
 * this '&' does not start a reference we know (it is then literal text). */
static size_t decode_entity(const char *s, size_t n, uint32_t *cp)
{
	size_t i = 1;
	if (i < n && s[i] == '#') {
		i++;
		int hex = 0;
		if (i < n && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		size_t start = i;
		uint32_t v = 0;
		int big = 0;
		for (; i < n; i++) {
			int d = hex ? hexval((unsigned char)s[i]) : (is_digit(s[i]) ? s[i] - '0' : -1);
			if (d < 0)
				break;
			if (v > 0x10FFFF)
				big = 1;
			else
				v = v * (hex ? 16u : 10u) + (uint32_t)d;
		}
		if (i == start)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		if (big || v > 0x10FFFF || v == 0 || (v >= 0xD800 && v <= 0xDFFF))
			v = REPLACEMENT;
		else if (v >= 0x80 && v <= 0x9F)
			v = cp1252_high[v - 0x80];
		*cp = v;
		return i;
	}
	size_t start = i;
	while (i < n && i - start < 32 && is_alnum((unsigned char)s[i]))
		i++;
	if (i == start || i >= n || s[i] != ';')
		return 0;
	uint32_t v = entity_by_name(s + start, i - start);
	if (!v)
		return 0;
	*cp = v;
	return i + 1;
}

/* ---- HTML ---------------------------------------------------------------- */

/* What a tag does to the text around it. */
enum tag_kind { TAG_INLINE = 0, TAG_PARA, TAG_LINE, TAG_CELL, TAG_BR, TAG_SKIP };

static int lc_is(const char *lc, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(lc, name, n) == 0;
}

/* Runs for every tag of every summary: the name is lowercased once and
 * only the names with its first letter are compared. Paragraph-like
 * elements get a blank line around them, line-like ones a line break,
 * table cells a space; skipped ones are dropped with their content. */
static enum tag_kind tag_kind(const char *name, size_t n)
{
	char lc[12];
	if (n == 0 || n > 10) /* no name below is longer */
		return TAG_INLINE;
	for (size_t i = 0; i < n; i++)
		lc[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	lc[n] = '\0';
#define IS(s) lc_is(lc, n, s)
	switch (lc[0]) {
	case 'a':
		return IS("address") || IS("article") || IS("aside") ? TAG_PARA : TAG_INLINE;
	case 'b':
		return IS("br") ? TAG_BR : IS("blockquote") ? TAG_PARA : TAG_INLINE;
	case 'c':
		return IS("caption") || IS("center") ? TAG_LINE : TAG_INLINE;
	case 'd':
		if (IS("dl") || IS("details"))
			return TAG_PARA;
		return IS("div") || IS("dt") || IS("dd") ? TAG_LINE : TAG_INLINE;
	case 'f':
		if (IS("figure") || IS("footer") || IS("fieldset") || IS("form"))
			return TAG_PARA;
		return IS("figcaption") ? TAG_LINE : TAG_INLINE;
	case 'h':
		if (n == 2 && lc[1] >= '1' && lc[1] <= '6')
			return TAG_PARA;
		if (IS("hr") || IS("header"))
			return TAG_PARA;
		return IS("head") ? TAG_SKIP : TAG_INLINE;
	case 'l':
		return IS("li") || IS("legend") ? TAG_LINE : TAG_INLINE;
	case 'm':
		return IS("main") ? TAG_PARA : TAG_INLINE;
	case 'n':
		return IS("nav") ? TAG_PARA : TAG_INLINE;
	case 'o':
		return IS("ol") ? TAG_PARA : IS("option") ? TAG_LINE : TAG_INLINE;
	case 'p':
		return IS("p") || IS("pre") ? TAG_PARA : TAG_INLINE;
	case 's':
		if (IS("section"))
			return TAG_PARA;
		if (IS("summary"))
			return TAG_LINE;
		return IS("script") || IS("style") ? TAG_SKIP : TAG_INLINE;
	case 't':
		if (IS("table"))
			return TAG_PARA;
		if (IS("tr") || IS("thead") || IS("tbody") || IS("tfoot"))
			return TAG_LINE;
		if (IS("td") || IS("th"))
			return TAG_CELL;
		return IS("template") || IS("title") ? TAG_SKIP : TAG_INLINE;
	case 'u':
		return IS("ul") ? TAG_PARA : TAG_INLINE;
	default:
		return TAG_INLINE;
	}
#undef IS
}

/* Finds "</name" (any case) at or after s; returns its offset or n. */
static size_t find_end_tag(const char *s, size_t n, const char *name, size_t nlen)
{
	for (size_t i = 0; i + 2 + nlen <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' && strncasecmp(s + i + 2, name, nlen) == 0 &&
		    (i + 2 + nlen == n || !is_alnum((unsigned char)s[i + 2 + nlen])))
			return i;
	return n;
}

/* From just after the tag name, skips attributes (honouring quotes) to
 * the closing '>'; returns the offset after it, or n when there is none. */
static size_t skip_tag_rest(const char *s, size_t i, size_t n)
{
	char q = 0;
	for (; i < n; i++) {
		if (q) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			q = s[i];
		} else if (s[i] == '>') {
			return i + 1;
		}
	}
	return n;
}

/* s[0] == '<'. Handles one markup construct; returns bytes consumed, or 0
 * when this '<' is literal text ("a < b", "<3"). */
static size_t handle_markup(struct emit *e, const char *s, size_t n)
{
	if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
		for (size_t i = 4; i + 3 <= n; i++)
			if (memcmp(s + i, "-->", 3) == 0)
				return i + 3;
		return n;
	}
	if (n >= 2 && (s[1] == '!' || s[1] == '?')) {
		const char *gt = memchr(s, '>', n);
		return gt ? (size_t)(gt - s) + 1 : n;
	}
	size_t i = 1;
	int closing = 0;
	if (i < n && s[i] == '/') {
		closing = 1;
		i++;
	}
	if (i >= n || !is_alpha((unsigned char)s[i]))
		return 0;
	size_t ns = i;
	while (i < n && (is_alnum((unsigned char)s[i]) || s[i] == '-' || s[i] == ':'))
		i++;
	const char *name = s + ns;
	size_t nlen = i - ns;
	/* "c<d" at the end is text; "<a href=..." cut off is a broken tag. */
	size_t rest = i < n ? n - i : 0;
	if (!memchr(s + i, '>', rest) &&
	    (i == n || !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '/')))
		return 0;
	size_t end = skip_tag_rest(s, i, n);

	enum tag_kind kind = tag_kind(name, nlen);
	if (kind == TAG_PARA)
		emit_break(e, 2);
	else if (kind == TAG_LINE)
		emit_break(e, 1);
	else if (kind == TAG_BR)
		e->nl = e->nl < 2 ? e->nl + 1 : 2; /* <br><br> is a blank line */
	else if (kind == TAG_CELL)
		e->space = 1;

	if (!closing && kind == TAG_SKIP &&
	    !(end >= 2 && s[end - 2] == '/')) {
		size_t close = end + find_end_tag(s + end, n - end, name, nlen);
		return close >= n ? n : skip_tag_rest(s, close + 2 + nlen, n);
	}
	return end;
}

/* Printable ASCII that is not markup: written as it is. */
static int is_run_byte(unsigned char c, int html)
{
	return c > 0x20 && c < 0x7F && !(html && (c == '<' || c == '&'));
}

static void convert(struct emit *e, const char *s, size_t n, int html)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = 0;
		if (is_run_byte(u[i], html) ||
		    (u[i] == 0xC3 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80)) {
			/* Plain ASCII words (and single spaces between them) are
			 * copied as they are: emit_cp per byte would write the same. */
			k = utf8_next(u + i, n - i, &cp);
			emit_cp(e, cp);
			i += k;
			if (e->oom || buf_reserve(&e->b, n - i) < 0) {
				e->oom = 1;
				return;
			}
			/* Scanned first, then copied whole: the bytes go out as
			 * they came in. */
			size_t st = i;
			while (i < n) {
				if (is_run_byte(u[i], html))
					i++;
				else if (u[i] == 0xC3 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80)
					/* U+00C0..U+00FF (å, ä, ö, æ, ø, é...): letters, never
					 * spaces or dropped characters */
					i += 2;
				else if (u[i] == ' ' && i + 1 < n && is_run_byte(u[i + 1], html))
					i++;
				else
					break;
			}
			memcpy(e->b.data + e->b.len, u + st, i - st);
			e->b.len += i - st;
			e->b.data[e->b.len] = '\0';
			continue;
		}
		if (html && s[i] == '<')
			k = handle_markup(e, s + i, n - i);
		if (k) {
			i += k;
			continue;
		}
		if (html && s[i] == '&' && (k = decode_entity(s + i, n - i, &cp)) > 0) {
			emit_cp(e, cp);
			i += k;
			continue;
		}
		if (!html && (s[i] == '\n' || s[i] == '\r')) {
			/* Plain text keeps its line structure (at most a blank line). */
			size_t lines = 0;
			while (i < n && is_space_byte(s[i])) {
				if (s[i] == '\n')
					lines++;
				else if (s[i] == '\r' && !(i + 1 < n && s[i + 1] == '\n'))
					lines++;
				i++;
			}
			emit_break(e, (int)lines);
			continue;
		}
		k = utf8_next(u + i, n - i, &cp);
		emit_cp(e, cp);
		i += k;
	}
}

char *text_from_html(const char *html, size_t len)
{
	struct emit e = {BUF_INIT, 0, 0, 0};
	/* The text is rarely longer than its source: one allocation. */
	if (buf_reserve(&e.b, len < 65536 ? len : 65536) < 0)
		return NULL;
	e.b.data[0] = '\0';
	convert(&e, html ? html : "", html ? len : 0, 1);
	return emit_finish(&e);
}

char *text_clean(const char *s, size_t len)
{
	struct emit e = {BUF_INIT, 0, 0, 0};
	convert(&e, s ? s : "", s ? len : 0, 0);
	return emit_finish(&e);
}

static int convert_into(struct buf *b, const char *s, size_t len, int html)
{
	struct emit e = {*b, 0, 0, 0};
	buf_reset(&e.b);
	if (buf_reserve(&e.b, len < 65536 ? len : 65536) < 0)
		return -1;
	e.b.data[0] = '\0';
	convert(&e, s ? s : "", s ? len : 0, html);
	*b = e.b;
	return e.oom ? -1 : 0;
}

int text_from_html_buf(struct buf *b, const char *html, size_t len)
{
	return convert_into(b, html, len, 1);
}

int text_clean_buf(struct buf *b, const char *s, size_t len)
{
	return convert_into(b, s, len, 0);
}

void text_truncate(char *s, size_t max)
{
	static const char ell[] = "\xE2\x80\xA6"; /* … */
	size_t len = strlen(s);
	if (len <= max)
		return;
	size_t room = max >= 3 ? max - 3 : max;
	size_t cut = room;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	/* Prefer the last space, unless that throws away more than half. */
	size_t sp = cut;
	while (sp > 0 && !is_space_byte(s[sp]))
		sp--;
	if (sp > 0 && sp >= cut / 2)
		cut = sp;
	while (cut > 0 && (is_space_byte(s[cut - 1]) || s[cut - 1] == ',' ||
			   s[cut - 1] == ';' || s[cut - 1] == ':'))
		cut--;
	if (max >= 3) {
		memcpy(s + cut, ell, 3);
		s[cut + 3] = '\0';
	} else {
		s[cut] = '\0';
	}
}

/* Upper case at s: ASCII, or Å Ä Ö Æ Ø É as UTF-8 (C3 80..9E). */
static int starts_upper(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	return (u[0] >= 'A' && u[0] <= 'Z') || (u[0] == 0xC3 && u[1] >= 0x80 && u[1] <= 0x9E);
}

void text_summary_cut(char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return;
	/* A sentence ends at ". ", "! " or "? " followed by a capital and
	 * preceded by a word of three letters or more: "bl.a. Region" and
	 * "t.ex. Oslo" are not sentence ends. */
	size_t best = 0;
	for (size_t i = 3; i + 2 < len && i + 1 <= max; i++) {
		if (!strchr(".!?", s[i]) || s[i + 1] != ' ' || !starts_upper(s + i + 2))
			continue;
		int letters = 0;
		for (size_t k = i; k > 0 && letters < 3; k--) {
			unsigned char c = (unsigned char)s[k - 1];
			if (c == '.' || is_space_byte((char)c))
				break;
			if ((c & 0xC0) != 0x80)
				letters++;
		}
		if (letters >= 3)
			best = i + 1;
	}
	if (best >= max / 2) {
		s[best] = '\0';
		return;
	}
	text_truncate(s, max);
}

void text_one_line(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		char ch = *r == '\r' || *r == '\n' || *r == '\t' ? ' ' : *r;
		if (ch == ' ' && (w == s || w[-1] == ' '))
			continue;
		*w++ = ch;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}
