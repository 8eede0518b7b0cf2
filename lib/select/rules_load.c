/* The .rules language: the parser. The language is documented for
 * editors in bulletin-rules(5) and at the top of feeds/primarvard.rules:
 *
 *   threshold N               before the first topic: the global threshold;
 *                             inside a topic: that topic's own threshold
 *   field NAME W              before the first topic: matches in field NAME
 *                             count W times the rule's weight
 *   group ID                  starts a group: context words, listed with
 *   word PATTERN              (a group's words score nothing themselves)
 *   topic ID "Title"          starts a topic; ID is [a-z0-9_-]+
 *   include W PATTERN         W > 0 times the field's weight, once per
 *                             distinct match per field
 *   include W @ID             W x topic ID's own score
 *   exclude PATTERN           inside a topic: vetoes that topic; before the
 *                             first topic: vetoes every item it matches
 *   headline wins             inside a topic: its own words in the title
 *                             take the item from every other topic
 *
 * Before PATTERN, optional scopes in brackets: [title, summary] (fields),
 * [from NAME, ...] (sources), and on include [with NAME, ...]: the rule
 * counts only when a word of group NAME, or another include word of topic
 * NAME, also matched in the item (at another place of the text).
 *
 * PATTERN is one of
 *   stem          at a word start, open to the right (compounds); caseless;
 *                 whitespace matches any run of spaces (NBSP too), '-' any
 *                 hyphen or an en dash; a trailing '*' means the same
 *   *stem         the same, but may start anywhere inside a word
 *   -stem         ends a word, with an inflection ending or none: -jour is
 *                 nattjour, läkarjouren, jourer; not journal
 *   "word"        whole word (or phrase) only, exact case; "word"i caseless
 *   /regex/flags  raw PCRE2, caseless unless the flag c is given
 * Everything is compiled with PCRE2_UTF|PCRE2_UCP. Columns in messages count
 * characters (code points), 1-based, as editors show them. A file with
 * mistakes is reported whole: every bad line, not only the first. */
#include "select/ruleset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "select/litindex.h"

/* At most this many errors are listed for one file. */
#define LOAD_MAX_ERRORS 12

struct lctx {
	struct rules *r;
	const char *name;
	unsigned lineno;
	const char *line; /* start of the current line */
	long topic;       /* current topic in this file, -1 before the first */
	long group;       /* current group in this file, -1 outside one */
	int global_threshold_set;
	int line_failed;  /* this line had an error */
	struct buf errs;  /* every error of the file, one per line */
	unsigned nerrs;
	/* the [...] scope of the rule being read; moved into the rule */
	unsigned scope_fields;
	char **scope_from;
	size_t scope_nfrom;
	char **scope_with;
	size_t scope_nwith;
	int decimals; /* most decimals of any weight read */
};

static void free_names(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static void scope_reset(struct lctx *c)
{
	free_names(&c->scope_from, &c->scope_nfrom);
	free_names(&c->scope_with, &c->scope_nwith);
	c->scope_fields = 0;
}

/* 1-based column in code points of p within the line. */
static unsigned colof(const struct lctx *c, const char *p)
{
	unsigned col = 1;
	for (const char *q = c->line; q < p; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	return col;
}

/* Records an error of the current line (the first only: the rest of a bad
 * line is not read). Returns -1. */
static int lerr(struct lctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lerr(struct lctx *c, const char *at, const char *fmt, ...)
{
	if (c->line_failed)
		return -1;
	c->line_failed = 1;
	if (c->nerrs++ >= LOAD_MAX_ERRORS)
		return -1;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	buf_printf(&c->errs, "%s%s:%u:%u: %s", c->errs.len ? "\n" : "", c->name, c->lineno,
		   colof(c, at), msg);
	return -1;
}

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* After the last argument only whitespace or a comment may follow. */
static int expect_end(struct lctx *c, const char *p, const char *end)
{
	p = skip_ws(p, end);
	if (p < end && *p != '#')
		return lerr(c, p, "unexpected text after the arguments (start a comment with #)");
	return 0;
}

/* Validates UTF-8 and rejects NUL; returns NULL or the first bad byte. */
static const char *utf8_bad(const char *s, size_t n)
{
	for (const char *e = s + n; s < e;) {
		size_t k = utf8_decode(s, (size_t)(e - s), NULL);
		if (k == 0 || *s == '\0')
			return s;
		s += k;
	}
	return NULL;
}

/* A positive decimal number: digits with an optional fraction. No signs,
 * exponents or locale surprises (strtod would accept "inf" and "0x1p3").
 * The value is the integer of its digits divided by a power of ten, so
 * 1.25 is exactly the double nearest 1.25. */
static int parse_number(struct lctx *c, const char *p, const char *end, const char **after,
			double *out)
{
	const char *q = p;
	unsigned long long m = 0;
	int digits = 0, fd = 0;
	while (q < end && *q >= '0' && *q <= '9' && digits < 12) {
		m = m * 10 + (unsigned)(*q++ - '0');
		digits++;
	}
	if (!digits)
		return -1;
	if (q < end && *q == '.') {
		q++;
		while (q < end && *q >= '0' && *q <= '9' && fd < 6) {
			m = m * 10 + (unsigned)(*q++ - '0');
			fd++;
		}
		if (!fd)
			return -1;
	}
	if (q < end && !is_ws(*q) && *q != '#')
		return -1;
	double v = (double)m;
	for (int i = 0; i < fd; i++)
		v /= 10;
	if (v <= 0 || v > RULES_MAX_WEIGHT)
		return -1;
	while (fd > 0 && m % 10 == 0) /* 1.50 has one decimal */
		m /= 10, fd--;
	if (fd > c->decimals)
		c->decimals = fd;
	*after = q;
	*out = v;
	return 0;
}

/* The token starting at p up to whitespace, for messages. */
static int toklen(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && !is_ws(*q) && q - p < 60)
		q++;
	return (int)(q - p);
}

static int push_rule(struct rules *r, struct rule *ru)
{
	if (r->nrules == r->caprules) {
		size_t cap = r->caprules ? r->caprules * 2 : 64;
		struct rule *v = realloc(r->rv, cap * sizeof *v);
		if (!v)
			return -1;
		r->rv = v;
		r->caprules = cap;
	}
	r->rv[r->nrules++] = *ru;
	return 0;
}

static int append_escaped_literal(struct buf *b, const char *s, size_t n)
{
	static const char ws[] = "[\\s\\x{00A0}\\x{202F}]+";
	static const char hy[] = "[-\\x{2010}\\x{2011}\\x{2013}]";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int rc;
		if (is_ws((char)ch)) {
			while (i + 1 < n && is_ws(s[i + 1]))
				i++;
			rc = buf_puts(b, ws);
		} else if (ch == '-') {
			rc = buf_puts(b, hy);
		} else if (ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z')) {
			rc = buf_putc(b, (char)ch);
		} else if (ch < 0x20) {
			rc = buf_printf(b, "\\x{%02x}", ch);
		} else {
			char e[3] = {'\\', (char)ch, 0};
			rc = buf_puts(b, e);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* -stem: the inflection endings a noun's last part may carry in Swedish,
 * Norwegian (both forms) and Danish (-en -et -er -ar -or -erna -arna -ene
 * -ane -erne -a -e -s ...), then the end of the word. */
#define WORD_END "(?:[aeo]?[nr]?(?:na|ne|a|e)?|e?t)s?(?![\\p{L}\\p{N}])"

/* Where the unmatched '(' of a regex is, or NULL: PCRE2 reports a missing
 * ')' at the end of the pattern, but the chair must look at the '('. */
static const char *unmatched_paren(const char *re, size_t n)
{
	const char *stack[64];
	size_t depth = 0, over = 0;
	for (size_t i = 0; i < n; i++) {
		if (re[i] == '\\') {
			if (i + 1 < n && re[i + 1] == 'Q') { /* \Q...\E is literal */
				const char *e = NULL;
				for (size_t k = i + 2; k + 1 < n && !e; k++)
					if (re[k] == '\\' && re[k + 1] == 'E')
						e = re + k;
				if (!e)
					break;
				i = (size_t)(e - re) + 1;
			} else {
				i++;
			}
		} else if (re[i] == '[') {
			size_t k = i + 1;
			if (k < n && re[k] == '^')
				k++;
			if (k < n && re[k] == ']')
				k++;
			for (; k < n && re[k] != ']'; k++) {
				if (re[k] == '\\')
					k++;
				else if (re[k] == '[' && k + 1 < n && re[k + 1] == ':') {
					const char *e = strstr(re + k, ":]");
					if (e && (size_t)(e - re) < n)
						k = (size_t)(e - re) + 1;
				}
			}
			i = k;
		} else if (re[i] == '(') {
			if (i + 2 < n && re[i + 1] == '?' && re[i + 2] == '#') { /* comment */
				while (i < n && re[i] != ')')
					i++;
				continue;
			}
			if (depth < sizeof stack / sizeof *stack)
				stack[depth++] = re + i;
			else
				over++;
		} else if (re[i] == ')') {
			if (over)
				over--;
			else if (depth)
				depth--;
		}
	}
	return depth && !over ? stack[depth - 1] : NULL;
}

/* Compiles pattern text; a PCRE2 error is reported at `at` + PCRE2's
 * offset when offsets map onto the written text (the /regex/ form), else at
 * the pattern start. */
static int compile_rule(struct lctx *c, const char *regex, size_t len, int caseless,
			const char *pstart, const char *at, int offsets_map, pcre2_code **out)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, len, rules_pcre2_options(caseless), &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR m[256];
		if (pcre2_get_error_message(ec, m, sizeof m) < 0)
			snprintf((char *)m, sizeof m, "PCRE2 error %d", ec);
		const char *where = at;
		if (offsets_map && eo <= len)
			where = at + eo;
		if (offsets_map && ec == PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS) {
			const char *open = unmatched_paren(regex, len);
			if (open)
				return lerr(c, at + (open - regex), "bad pattern: this ( has no closing parenthesis");
		}
		return lerr(c, where, "bad pattern: %s", (const char *)m);
	}
	uint32_t minlen = 1;
	if (pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen) == 0 && minlen == 0) {
		pcre2_code_free(code);
		return lerr(c, pstart, "pattern can match empty text; it must require at least one character");
	}
	/* JIT is an optimisation only: without it (no support, no executable
	 * memory) the interpreter gives the same results. */
	if (rules_use_jit())
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	*out = code;
	return 0;
}

/* A [with NAME] names a group or a topic defined above. */
static int resolve_with(struct lctx *c, struct rule *ru, const char *at)
{
	struct rules *r = c->r;
	for (size_t i = 0; i < c->scope_nwith; i++) {
		const char *n = c->scope_with[i];
		long t = rules_topic_index(r, n);
		long g = -1;
		for (size_t k = 0; t < 0 && k < r->ngroups; k++)
			if (!strcmp(r->gv[k].id, n))
				g = (long)k;
		if (t < 0 && g < 0)
			return lerr(c, at, "[with %s]: no group or topic of that name above", n);
		ru->with[ru->nwith++] = (struct ctx_ref){g >= 0, g >= 0 ? g : t};
	}
	ru->with_names = c->scope_with;
	ru->nwith = c->scope_nwith;
	c->scope_with = NULL;
	c->scope_nwith = 0;
	return 0;
}

static int make_where(struct lctx *c, struct rule *ru, const char *pstart, const char *pend)
{
	ru->text = strndup(pstart, (size_t)(pend - pstart));
	ru->col = colof(c, pstart);
	struct buf w = BUF_INIT;
	if (buf_printf(&w, "%s:%u", c->name, c->lineno) == 0)
		ru->where = buf_steal(&w);
	buf_free(&w);
	ru->fields = c->scope_fields ? c->scope_fields : FIELDS_DEFAULT;
	ru->from = c->scope_from;
	ru->nfrom = c->scope_nfrom;
	c->scope_from = NULL;
	c->scope_nfrom = 0;
	if (resolve_with(c, ru, pstart) < 0) {
		rules_rule_clear(ru);
		return -1;
	}
	ru->info = (struct rule_info){ru->text, ru->where, ru->regex, ru->topic, ru->ref,
				      ru->weight, ru->exclude, ru->caseless, ru->fields,
				      (const char *const *)ru->from, ru->nfrom,
				      ru->group, (const char *const *)ru->with_names, ru->nwith};
	if (!ru->text || !ru->where || push_rule(c->r, ru) < 0) {
		rules_rule_clear(ru);
		return lerr(c, pstart, "out of memory");
	}
	return 0;
}

/* The next name of a list in [q, close): names are separated by commas
 * or blanks. Returns 0 at the end, else 1 with the name in *t, *tl. */
static int next_name(const char **q, const char *close, const char **t, size_t *tl)
{
	for (;;) {
		const char *p = skip_ws(*q, close);
		if (p >= close)
			return 0;
		*t = p;
		while (p < close && *p != ',' && !is_ws(*p))
			p++;
		*tl = (size_t)(p - *t);
		p = skip_ws(p, close);
		if (p < close && *p == ',')
			p++;
		*q = p;
		if (*tl)
			return 1;
	}
}

/* One name list of a scope, appended to v. Returns the number of names,
 * or -1 after reporting. */
static int scope_names(struct lctx *c, const char *q, const char *close, char ***v, size_t *n)
{
	int got = 0;
	const char *t;
	size_t tl;
	while (next_name(&q, close, &t, &tl)) {
		char **nv = realloc(*v, (*n + 1) * sizeof *nv);
		if (!nv)
			return lerr(c, t, "out of memory");
		*v = nv;
		if (!(nv[*n] = strndup(t, tl)))
			return lerr(c, t, "out of memory");
		(*n)++;
		got++;
	}
	return got;
}

/* [title, summary] limits the rule to those fields, [from a, b] to the
 * items of those sources, [with g] to items that also have a word of g.
 * Any of them, in any order. Returns where the pattern starts, or NULL
 * after reporting an error. */
static const char *parse_scope(struct lctx *c, const char *p, const char *end)
{
	while (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close) {
			lerr(c, p, "unterminated [ ]: the closing ] is missing");
			return NULL;
		}
		const char *q = skip_ws(p + 1, close);
		int from = close - q >= 4 && !memcmp(q, "from", 4) &&
			   (q + 4 == close || is_ws(q[4]) || q[4] == ':');
		int with = close - q >= 4 && !memcmp(q, "with", 4) &&
			   (q + 4 == close || is_ws(q[4]) || q[4] == ':');
		if (from || with) {
			q += 4;
			if (q < close && *q == ':')
				q++;
			if ((from && c->scope_nfrom) || (with && c->scope_nwith)) {
				lerr(c, p, from ? "sources given twice: list them in one [from a, b]"
						: "contexts given twice: list them in one [with a, b]");
				return NULL;
			}
			int n = from ? scope_names(c, q, close, &c->scope_from, &c->scope_nfrom)
				     : scope_names(c, q, close, &c->scope_with, &c->scope_nwith);
			if (n < 0)
				return NULL;
			if (!n) {
				lerr(c, p, from ? "[from] names no source" : "[with] names no group or topic");
				return NULL;
			}
			if (with && c->scope_nwith > RULES_MAX_WITH) {
				lerr(c, p, "[with] names more than %d groups or topics", RULES_MAX_WITH);
				return NULL;
			}
		} else {
			if (c->scope_fields) {
				lerr(c, p, "fields given twice: list them in one [title, summary]");
				return NULL;
			}
			size_t n = 0;
			const char *t;
			size_t tl;
			while (next_name(&q, close, &t, &tl)) {
				int f = match_field_by_name(t, tl);
				if (f < 0) {
					lerr(c, t, "unknown field '%.*s' (fields: title, summary, content, "
						   "categories, url, source; sources: [from NAME, ...]; "
						   "context: [with NAME, ...])",
					     (int)tl, t);
					return NULL;
				}
				c->scope_fields |= 1u << f;
				n++;
			}
			if (!n) {
				lerr(c, p, "empty [ ]: name fields, e.g. [title], or sources, e.g. [from lakartidningen]");
				return NULL;
			}
		}
		p = skip_ws(close + 1, end);
	}
	return p;
}

/* "@topic": the current topic borrows weight x that topic's own score. */
static int add_ref(struct lctx *c, const char *p, const char *end, double weight, int kind)
{
	const char *q = p + 1;
	while (q < end && !is_ws(*q) && *q != '#')
		q++;
	if (kind != 0)
		return lerr(c, p, "@topic works only with include");
	if (c->scope_fields || c->scope_nfrom || c->scope_nwith)
		return lerr(c, p, "[...] cannot limit @topic: it borrows the other topic's whole score");
	if (q == p + 1)
		return lerr(c, p, "missing topic id after @");
	char id[80];
	snprintf(id, sizeof id, "%.*s", (int)(q - p - 1), p + 1);
	long t = rules_topic_index(c->r, id);
	if (t < 0)
		return lerr(c, p + 1, "unknown topic '%s': @ can only name a topic defined above", id);
	if (t == c->topic)
		return lerr(c, p, "a topic cannot borrow its own score");
	if (expect_end(c, q, end) < 0)
		return -1;
	struct rule ru = {0};
	ru.weight = weight;
	ru.topic = c->topic;
	ru.ref = t;
	ru.group = -1;
	if (c->r->tv[c->topic].lender < 0)
		c->r->tv[c->topic].lender = t;
	return make_where(c, &ru, p, q);
}

/* The flags after a /pattern/ or "word" (c: case-sensitive, i: caseless),
 * from q to the next blank or comment. Returns where they end, or NULL after
 * reporting an unknown flag (WHAT names the pattern kind and the choices). */
static const char *parse_flags(struct lctx *c, const char *q, const char *end, int *caseless,
			       const char *what)
{
	for (; q < end && !is_ws(*q) && *q != '#'; q++) {
		if (*q == 'c')
			*caseless = 0;
		else if (*q == 'i')
			*caseless = 1;
		else {
			lerr(c, q, "unknown flag '%c' after %s", *q, what);
			return NULL;
		}
	}
	return q;
}

enum { KIND_INCLUDE, KIND_EXCLUDE, KIND_WORD };

/* Parses PATTERN at p (the rest of the line) and adds the rule. */
static int add_pattern(struct lctx *c, const char *p, const char *end, double weight, int kind)
{
	struct rules *r = c->r;
	if (!(p = parse_scope(c, p, end)))
		return -1;
	if (p >= end || *p == '#')
		return lerr(c, p, "missing pattern");
	if (c->scope_nwith && kind != KIND_INCLUDE)
		return lerr(c, p, "[with] works only with include: %s", kind == KIND_WORD
				? "a group's words are the context"
				: "an exclude vetoes on its own");
	if (r->nrules >= RULES_MAX_PATTERNS)
		return lerr(c, p, "too many patterns (at most %d)", RULES_MAX_PATTERNS);
	if (*p == '@')
		return add_ref(c, p, end, weight, kind);

	const char *pstart = p, *pend;
	struct buf re = BUF_INIT;
	int caseless = 1, offsets_map = 0, rc = -1;
	const char *regex_at = p; /* where PCRE2 offsets count from */
	pcre2_code *code = NULL;
	char *litkey = NULL; /* for the literal index; NULL when not a plain literal */
	int lit_anywhere = 0;

	if (*p == '/') {
		const char *q = p + 1;
		while (q < end && *q != '/') {
			if (*q == '\\' && q + 1 < end)
				q++;
			q++;
		}
		if (q >= end)
			return lerr(c, p, "unterminated /pattern/: the closing / is missing");
		if (q == p + 1)
			return lerr(c, p, "empty pattern");
		if (buf_append(&re, p + 1, (size_t)(q - p - 1)) < 0)
			goto oom;
		regex_at = p + 1;
		offsets_map = 1;
		int word_start;
		litkey = lit_regex_key(re.data, re.len, &word_start);
		lit_anywhere = !word_start;
		pend = parse_flags(c, q + 1, end, &caseless,
				   "/pattern/ (use c for case-sensitive, i for caseless)");
		if (!pend)
			goto out;
	} else if (*p == '"') {
		struct buf lit = BUF_INIT;
		const char *q = p + 1;
		while (q < end && *q != '"') {
			if (*q == '\\' && q + 1 < end && (q[1] == '"' || q[1] == '\\'))
				q++;
			if (buf_putc(&lit, *q) < 0) {
				buf_free(&lit);
				goto oom;
			}
			q++;
		}
		if (q >= end) {
			buf_free(&lit);
			return lerr(c, p, "unterminated \"word\": the closing quote is missing");
		}
		if (lit.len == 0) {
			buf_free(&lit);
			return lerr(c, p, "empty pattern");
		}
		caseless = 0;
		pend = parse_flags(c, q + 1, end, &caseless,
				   "\"word\" (use i for caseless, c for exact case)");
		if (!pend) {
			buf_free(&lit);
			goto out;
		}
		litkey = lit_make(lit.data, lit.len);
		int ok = buf_puts(&re, "(?<![\\p{L}\\p{N}])") == 0 &&
			 append_escaped_literal(&re, lit.data, lit.len) == 0 &&
			 buf_puts(&re, "(?![\\p{L}\\p{N}])") == 0;
		buf_free(&lit);
		if (!ok)
			goto oom;
	} else {
		/* A bare stem runs to the end of the line or to a comment
		 * (whitespace then #). */
		const char *q = p;
		while (q < end && !(*q == '#' && q > p && is_ws(q[-1])))
			q++;
		while (q > p && is_ws(q[-1]))
			q--;
		pend = q;
		const char *s = p, *se = q;
		int anywhere = 0, ending = 0;
		if (*s == '*') {
			anywhere = 1;
			s++;
		} else if (*s == '-' && se > s + 1 && *(s + 1) != '-' && !is_ws(s[1])) {
			ending = 1;
			s++;
		}
		if (se > s && se[-1] == '*') {
			if (ending)
				return lerr(c, se - 1, "-stem already ends the word: no '*' after it");
			se--;
		}
		if (se <= s)
			return lerr(c, p, "empty pattern");
		for (const char *k = s; k < se; k++) {
			if (*k == '*')
				return lerr(c, k, "'*' may only begin or end a word pattern; use /regex/ for more");
			if (*k == '"' || *k == '/')
				return lerr(c, k, "'%c' inside a word pattern: quote the word or use /regex/", *k);
		}
		if ((!anywhere && !ending && buf_puts(&re, "(?<![\\p{L}\\p{N}])") < 0) ||
		    append_escaped_literal(&re, s, (size_t)(se - s)) < 0 ||
		    (ending && buf_puts(&re, WORD_END) < 0))
			goto oom;
		litkey = lit_make(s, (size_t)(se - s));
		lit_anywhere = anywhere || ending;
	}
	if (expect_end(c, pend, end) < 0)
		goto out;
	if ((size_t)(pend - pstart) > RULES_MAX_PATTERN_LEN || re.len > 4 * RULES_MAX_PATTERN_LEN) {
		lerr(c, pstart, "pattern too long (at most %d bytes)", RULES_MAX_PATTERN_LEN);
		goto out;
	}
	if (compile_rule(c, buf_str(&re), re.len, caseless, pstart, offsets_map ? regex_at : pstart,
			 offsets_map, &code) < 0)
		goto out;

	struct rule ru = {0};
	ru.code = code;
	ru.caseless = caseless;
	if (!(ru.regex = strdup(buf_str(&re)))) {
		pcre2_code_free(code);
		goto oom;
	}
	if (litkey) {
		/* JIT code cannot be anchored at match time, so the confirming
		 * match gets its own anchored copy. Without it (out of memory)
		 * the rule is simply not indexed. */
		int ec;
		PCRE2_SIZE eo;
		ru.acode = pcre2_compile((PCRE2_SPTR)buf_str(&re), re.len,
					 rules_pcre2_options(caseless) | PCRE2_ANCHORED, &ec, &eo, NULL);
		if (ru.acode && rules_use_jit())
			(void)pcre2_jit_compile(ru.acode, PCRE2_JIT_COMPLETE);
	}
	if (ru.acode) {
		ru.lit = litkey;
		ru.anywhere = lit_anywhere;
		litkey = NULL;
	}
	ru.weight = kind == KIND_INCLUDE ? weight : 0;
	ru.exclude = kind == KIND_EXCLUDE;
	ru.topic = kind == KIND_WORD ? -1 : c->topic;
	ru.group = kind == KIND_WORD ? c->group : -1;
	ru.ref = -1;
	rc = make_where(c, &ru, pstart, pend);
	goto out;
oom:
	rc = lerr(c, pstart, "out of memory");
out:
	free(litkey);
	buf_free(&re);
	return rc;
}

static int do_threshold(struct lctx *c, const char *p, const char *end)
{
	double v;
	const char *after;
	if (c->group >= 0)
		return lerr(c, p, "threshold inside a group: a group's words score nothing (start a topic first)");
	if (p >= end || *p == '#')
		return lerr(c, p, "missing number after threshold");
	if (parse_number(c, p, end, &after, &v) < 0)
		return lerr(c, p, "bad threshold '%.*s': expected a positive number such as 3 or 2.5",
			    toklen(p, end), p);
	if (expect_end(c, after, end) < 0)
		return -1;
	if (c->topic < 0) {
		if (c->global_threshold_set)
			return lerr(c, p, "the global threshold is already set in this file");
		c->global_threshold_set = 1;
		c->r->threshold = v;
	} else {
		struct topic *t = &c->r->tv[c->topic];
		if (t->has_threshold && t->threshold_gen == (int)c->r->gen)
			return lerr(c, p, "topic '%s' already has a threshold", t->id);
		t->has_threshold = 1;
		t->threshold = v;
		t->threshold_gen = (int)c->r->gen;
	}
	return 0;
}

/* field NAME W: the multiplier of matches in that field (0 turns the field
 * off); before the first topic, as it applies to every topic. */
static int do_field(struct lctx *c, const char *p, const char *end)
{
	if (c->topic >= 0 || c->group >= 0)
		return lerr(c, p, "field goes before the first topic and group (it applies to all topics)");
	const char *n = p;
	while (p < end && !is_ws(*p) && *p != '#')
		p++;
	int f = match_field_by_name(n, (size_t)(p - n));
	if (f < 0)
		return lerr(c, n, "unknown field '%.*s' (fields: title, summary, content, categories, url, source)",
			    toklen(n, end), n);
	p = skip_ws(p, end);
	double v;
	const char *after;
	if (p < end && *p == '0' && (p + 1 == end || is_ws(p[1]) || p[1] == '#'))
		v = 0, after = p + 1;
	else if (p >= end || *p == '#' || parse_number(c, p, end, &after, &v) < 0)
		return lerr(c, p, "bad field weight '%.*s': expected a number such as 2, 0.5 or 0 (off)",
			    toklen(p, end), p);
	if (expect_end(c, after, end) < 0)
		return -1;
	c->r->fieldw[f] = v;
	return 0;
}

/* An id of a-z, 0-9, _ and - at p; returns its end, or NULL after an error. */
static const char *parse_id(struct lctx *c, const char *p, const char *end, const char *what)
{
	if (p >= end || *p == '#') {
		lerr(c, p, "missing %s id after '%s'", what, what);
		return NULL;
	}
	const char *q = p;
	while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' || *q == '-'))
		q++;
	if (q == p || (q < end && !is_ws(*q) && *q != '#')) {
		lerr(c, q == p ? p : q, "bad %s id '%.*s': use only a-z, 0-9, _ and -", what,
		     toklen(p, end), p);
		return NULL;
	}
	if (q - p > 64) {
		lerr(c, p, "%s id too long (at most 64 characters)", what);
		return NULL;
	}
	return q;
}

static long group_index(const struct rules *r, const char *id, size_t n)
{
	for (size_t k = 0; k < r->ngroups; k++)
		if (strlen(r->gv[k].id) == n && !memcmp(r->gv[k].id, id, n))
			return (long)k;
	return -1;
}

static int do_group(struct lctx *c, const char *p, const char *end)
{
	struct rules *r = c->r;
	const char *q = parse_id(c, p, end, "group");
	if (!q || expect_end(c, q, end) < 0)
		return -1;
	size_t n = (size_t)(q - p);
	char id[80];
	snprintf(id, sizeof id, "%.*s", (int)n, p);
	if (rules_topic_index(r, id) >= 0)
		return lerr(c, p, "a topic is already called '%s': give the group another name", id);
	long g = group_index(r, p, n);
	if (g >= 0) {
		if (r->gv[g].gen == r->gen)
			return lerr(c, p, "duplicate group '%s' (first defined at %s)", id, r->gv[g].where);
		r->gv[g].gen = r->gen; /* another file adds words to it */
	} else {
		if (r->ngroups >= RULES_MAX_GROUPS)
			return lerr(c, p, "too many groups (at most %d)", RULES_MAX_GROUPS);
		if (r->ngroups == r->capgroups) {
			size_t cap = r->capgroups ? r->capgroups * 2 : 8;
			struct group *v = realloc(r->gv, cap * sizeof *v);
			if (!v)
				return lerr(c, p, "out of memory");
			r->gv = v;
			r->capgroups = cap;
		}
		struct group *gr = &r->gv[r->ngroups];
		memset(gr, 0, sizeof *gr);
		struct buf w = BUF_INIT;
		buf_printf(&w, "%s:%u", c->name, c->lineno);
		gr->where = buf_steal(&w);
		gr->id = strdup(id);
		gr->gen = r->gen;
		if (!gr->id || !gr->where) {
			rules_group_clear(gr);
			return lerr(c, p, "out of memory");
		}
		g = (long)r->ngroups++;
	}
	c->group = g;
	c->topic = -1;
	return 0;
}

static int do_topic(struct lctx *c, const char *p, const char *end)
{
	struct rules *r = c->r;
	const char *q = parse_id(c, p, end, "topic");
	if (!q)
		return -1;
	if (group_index(r, p, (size_t)(q - p)) >= 0)
		return lerr(c, p, "a group is already called '%.*s': give the topic another name",
			    (int)(q - p), p);
	char *id = strndup(p, (size_t)(q - p));
	if (!id)
		return lerr(c, p, "out of memory");
	const char *idp = p;
	p = skip_ws(q, end);
	char *title = NULL;
	if (p < end && *p == '"') {
		struct buf t = BUF_INIT;
		q = p + 1;
		while (q < end && *q != '"') {
			if (*q == '\\' && q + 1 < end && (q[1] == '"' || q[1] == '\\'))
				q++;
			buf_putc(&t, *q++);
		}
		if (q >= end) {
			buf_free(&t);
			free(id);
			return lerr(c, p, "unterminated title: the closing quote is missing");
		}
		if (t.len == 0) {
			buf_free(&t);
			free(id);
			return lerr(c, p, "empty title");
		}
		title = buf_steal(&t);
		p = q + 1;
	}
	if (expect_end(c, p, end) < 0) {
		free(id);
		free(title);
		return -1;
	}
	c->group = -1;
	long idx = rules_topic_index(r, id);
	if (idx >= 0) {
		struct topic *t = &r->tv[idx];
		/* Another file may add patterns to a topic; one file may not
		 * define it twice. */
		int e = 0;
		if (t->gen == r->gen)
			e = lerr(c, idp, "duplicate topic id '%s' (first defined at %s)", id, t->where);
		else if (title && strcmp(title, t->title) != 0)
			e = lerr(c, p, "topic '%s' already has the title \"%s\" (%s)", id, t->title, t->where);
		else
			t->gen = r->gen;
		c->topic = e ? -1 : idx;
		free(id);
		free(title);
		return e;
	}
	c->topic = -1;
	if (!title) {
		free(id);
		return lerr(c, p, "missing title: write topic %.*s \"Title shown in the digest\"", (int)(q - idp),
			    idp);
	}
	if (r->ntopics >= RULES_MAX_TOPICS) {
		free(id);
		free(title);
		return lerr(c, idp, "too many topics (at most %d)", RULES_MAX_TOPICS);
	}
	if (r->ntopics == r->captopics) {
		size_t cap = r->captopics ? r->captopics * 2 : 16;
		struct topic *v = realloc(r->tv, cap * sizeof *v);
		if (!v) {
			free(id);
			free(title);
			return lerr(c, idp, "out of memory");
		}
		r->tv = v;
		r->captopics = cap;
	}
	struct topic *t = &r->tv[r->ntopics];
	memset(t, 0, sizeof *t);
	t->id = id;
	t->title = title;
	t->gen = r->gen;
	t->threshold_gen = -1;
	t->lender = -1;
	struct buf w = BUF_INIT;
	buf_printf(&w, "%s:%u", c->name, c->lineno);
	t->where = buf_steal(&w);
	c->topic = (long)r->ntopics++;
	return 0;
}

static int do_directive(struct lctx *c, const char *p, const char *end)
{
	p = skip_ws(p, end);
	if (p >= end || *p == '#')
		return 0;
	const char *d = p;
	while (p < end && !is_ws(*p) && *p != '#')
		p++;
	size_t dl = (size_t)(p - d);
	p = skip_ws(p, end);
#define IS(w) (dl == sizeof(w) - 1 && memcmp(d, w, dl) == 0)
	if (IS("threshold"))
		return do_threshold(c, p, end);
	if (IS("field"))
		return do_field(c, p, end);
	if (IS("headline")) {
		/* A meeting's report goes under meetings whatever the meeting
		 * discussed: the labels of every corpus say so. */
		const char *w = p;
		while (p < end && !is_ws(*p) && *p != '#')
			p++;
		if (p - w != 4 || memcmp(w, "wins", 4) != 0)
			return lerr(c, w, "expected 'headline wins'");
		if (c->topic < 0 || c->group >= 0)
			return lerr(c, d, "headline wins goes inside a topic (after its topic line)");
		if (expect_end(c, p, end) < 0)
			return -1;
		c->r->tv[c->topic].headline_wins = 1;
		return 0;
	}
	if (IS("topic"))
		return do_topic(c, p, end);
	if (IS("group"))
		return do_group(c, p, end);
	if (IS("word")) {
		if (c->group < 0)
			return lerr(c, d, "word outside a group: start one with 'group NAME' first");
		return add_pattern(c, p, end, 0, KIND_WORD);
	}
	if (IS("include")) {
		if (c->group >= 0)
			return lerr(c, d, "include inside a group: a group lists words (word PATTERN); start a topic first");
		if (c->topic < 0)
			return lerr(c, d, "include before any topic: start a topic with 'topic ID \"Title\"' first");
		double w;
		const char *after;
		if (p >= end || *p == '#')
			return lerr(c, p, "missing weight after include (e.g. include 2 fastläkar)");
		if (parse_number(c, p, end, &after, &w) < 0)
			return lerr(c, p, "bad weight '%.*s': expected a positive number such as 2 or 1.5",
				    toklen(p, end), p);
		return add_pattern(c, skip_ws(after, end), end, w, KIND_INCLUDE);
	}
	if (IS("exclude")) {
		if (c->group >= 0)
			return lerr(c, d, "exclude inside a group: put it before the groups and topics or in a topic");
		/* "exclude 2 foo" is almost surely a weight written by habit. */
		const char *q = p;
		while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
			q++;
		if (q > p && q < end && is_ws(*q) && skip_ws(q, end) < end && *skip_ws(q, end) != '#')
			return lerr(c, p, "exclude takes no weight; write exclude PATTERN");
		return add_pattern(c, p, end, 0, KIND_EXCLUDE);
	}
#undef IS
	return lerr(c, d, "unknown directive '%.*s' (expected threshold, field, group, word, topic, include, exclude or headline wins)",
		    toklen(d, end), d);
}

/* A topic line that failed leaves c->topic at -1, so its include lines
 * would each report "include before any topic": one error is enough. */
static int do_line(struct lctx *c, const char *p, const char *end, int *topic_failed)
{
	const char *s = skip_ws(p, end);
	int is_topic = end - s >= 6 && !memcmp(s, "topic", 5) && is_ws(s[5]);
	int is_incl = end - s >= 8 && (!memcmp(s, "include", 7) || !memcmp(s, "exclude", 7)) && is_ws(s[7]);
	int rc = 0;
	if (*topic_failed && is_incl && c->topic < 0)
		rc = -1; /* reported with its topic */
	else
		rc = do_directive(c, p, end);
	if (is_topic)
		*topic_failed = rc < 0;
	scope_reset(c);
	return rc;
}

int rules_load_string(struct rules *r, const char *name, const char *text, struct err *err)
{
	if (!r || !text)
		return err_set(err, "%s: no rules", name ? name : "(rules)");
	if (!name)
		name = "(rules)";
	size_t len = strlen(text);
	if (len > RULES_MAX_FILE)
		return err_set(err, "%s: too large (%zu bytes; at most %d)", name, len, RULES_MAX_FILE);

	/* A failed load leaves the set as it was. */
	size_t old_rules = r->nrules, old_topics = r->ntopics, old_groups = r->ngroups;
	double old_threshold = r->threshold;
	double old_fieldw[FIELD_COUNT_];
	memcpy(old_fieldw, r->fieldw, sizeof old_fieldw);
	struct topic *saved = NULL;
	struct group *gsaved = NULL;
	if (old_topics && !(saved = malloc(old_topics * sizeof *saved)))
		return err_set(err, "%s: out of memory", name);
	if (old_groups && !(gsaved = malloc(old_groups * sizeof *gsaved))) {
		free(saved);
		return err_set(err, "%s: out of memory", name);
	}
	if (old_topics)
		memcpy(saved, r->tv, old_topics * sizeof *saved);
	if (old_groups)
		memcpy(gsaved, r->gv, old_groups * sizeof *gsaved);
	r->gen++;

	struct lctx c = {.r = r, .name = name, .topic = -1, .group = -1, .errs = BUF_INIT,
			 .decimals = r->decimals};
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	const char *bad = utf8_bad(p, (size_t)(end - p));
	int topic_failed = 0;
	while (p < end || (p == end && c.lineno == 0)) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		c.lineno++;
		c.line = p;
		c.line_failed = 0;
		if (bad && bad >= p && bad <= le) {
			lerr(&c, bad, "invalid UTF-8 (save the file as UTF-8)");
			break; /* the rest of the file cannot be trusted */
		}
		do_line(&c, p, le, &topic_failed);
		if (!nl)
			break;
		p = nl + 1;
	}
	int rc = c.nerrs ? -1 : 0;
	if (rc == 0) {
		r->decimals = c.decimals;
		rules_finish_load(r);
	} else {
		if (c.nerrs > LOAD_MAX_ERRORS)
			buf_printf(&c.errs, "\n%s: %u more errors not shown", name, c.nerrs - LOAD_MAX_ERRORS);
		err_set_lines(err, c.errs.len ? c.errs.data : "out of memory");
		for (size_t i = old_rules; i < r->nrules; i++)
			rules_rule_clear(&r->rv[i]);
		r->nrules = old_rules;
		for (size_t i = old_topics; i < r->ntopics; i++)
			rules_topic_clear(&r->tv[i]);
		r->ntopics = old_topics;
		for (size_t i = old_groups; i < r->ngroups; i++)
			rules_group_clear(&r->gv[i]);
		r->ngroups = old_groups;
		if (old_topics)
			memcpy(r->tv, saved, old_topics * sizeof *saved);
		if (old_groups)
			memcpy(r->gv, gsaved, old_groups * sizeof *gsaved);
		r->threshold = old_threshold;
		memcpy(r->fieldw, old_fieldw, sizeof old_fieldw);
	}
	scope_reset(&c);
	buf_free(&c.errs);
	free(saved);
	free(gsaved);
	return rc;
}

int rules_load_file(struct rules *r, const char *path, struct err *err)
{
	size_t n;
	char *data = fs_read_file(path, RULES_MAX_FILE, &n, err);
	if (!data)
		return -1;
	const char *z = memchr(data, '\0', n);
	if (z) {
		/* Report the NUL where it is rather than silently cutting. */
		unsigned line = 1, col = 1;
		for (const char *q = data; q < z; q++) {
			if (*q == '\n')
				line++, col = 1;
			else if (((unsigned char)*q & 0xC0) != 0x80)
				col++;
		}
		free(data);
		return err_set(err, "%s:%u:%u: NUL byte in the file (is it a text file?)", path, line, col);
	}
	int rc = rules_load_string(r, path, data, err);
	free(data);
	return rc;
}
