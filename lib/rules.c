/* Keyword rules: parser for the .rules language and the matcher.
 *
 * The language (documented for editors at the top of feeds/primarvard.rules):
 *
 *   threshold N               before the first topic: the global threshold;
 *                             inside a topic: that topic's own threshold
 *   topic ID "Title"          starts a topic; ID is [a-z0-9_-]+
 *   include W PATTERN         W > 0 (decimals allowed) is added to the topic's
 *                             score for each distinct match; a match in the
 *                             title counts double (the title says what the
 *                             item is about, a summary only mentions things)
 *   include W @ID             adds W x topic ID's own score (ID defined
 *                             above); lets a topic borrow general context
 *   exclude PATTERN           inside a topic: vetoes that topic; before the
 *                             first topic: vetoes every item it matches
 *
 * Selection: the best topic is the one with the highest score (ties: the
 * earlier topic, but a topic not vetoed beats a vetoed one). The item is
 * selected when that score reaches the topic's threshold (its own, else the
 * global one, default 1), unless a global exclude matched or the best
 * topic's own exclude matched (then vetoed = 1). An exclude of any other
 * topic does not change the outcome; its terms are still reported.
 * A later file may reopen a topic (`topic ID` without a title) to add
 * patterns; one file may not define a topic twice.
 *
 * PATTERN is one of
 *   stem          starts at a word start, open to the right (compounds):
 *                 caseless; whitespace matches any run of spaces (NBSP too),
 *                 '-' matches any hyphen or an en dash; a trailing '*' is
 *                 allowed and means the same
 *   *stem         the same, but may start anywhere inside a word
 *   "word"        whole word (or phrase) only, exact case (acronyms: "LOV");
 *                 "word"i makes it caseless
 *   /regex/flags  raw PCRE2, caseless unless the flag c is given (i is the
 *                 default and may be written)
 * Everything is compiled with PCRE2_UTF|PCRE2_UCP. Columns in messages count
 * characters (code points), 1-based, as editors show them.
 *
 * The text is matched as the parsers deliver it (entities decoded, soft
 * hyphens and zero-width characters removed). NFC normalisation is out of
 * scope here: a decomposed "a"+U+0308 does not match "ä".
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules.h"

#include "buf.h"
#include "fsutil.h"
#include "text.h"

#include <stdarg.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCRE2's JIT reads the subject 16 bytes at a time, past its end (aligned,
 * so harmless); valgrind reports each read. Under valgrind we use the
 * interpreter, which gives the same results. The macro is a no-op outside
 * valgrind. BULLETIN_PCRE2_NO_JIT=1 in the environment does the same. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define RULES_MAX_FILE (1024 * 1024)
#define RULES_MAX_PATTERNS 10000
#define RULES_MAX_TOPICS 256
#define RULES_MAX_PATTERN_LEN 4096
#define RULES_MAX_WEIGHT 1000.0
#define MATCH_MAX_TERMS 2000
#define MATCH_LIMIT 1000000 /* backtracking bound per pcre2_match call */

struct rule {
	pcre2_code *code;
	double weight; /* 0 for an exclude */
	long topic;    /* -1: global exclude */
	long ref;      /* @topic: borrows that topic's own score; else -1 */
	int exclude;
	char *text;  /* as written */
	char *where; /* "file:line" */
};

struct topic {
	char *id;
	char *title;
	double threshold;
	int has_threshold;
	unsigned gen;        /* the load that defined or last reopened it */
	int threshold_gen;   /* load that set the threshold, for duplicates */
	char *where;         /* where it was first defined */
};

struct rules {
	struct rule *rv;
	size_t nrules, caprules;
	struct topic *tv;
	size_t ntopics, captopics;
	double threshold;
	unsigned gen; /* one per rules_load_string call */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

struct rules *rules_new(void)
{
	struct rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->threshold = 1.0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->md || !r->mctx) {
		rules_free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, MATCH_LIMIT / 10);
	return r;
}

static void rule_clear(struct rule *ru)
{
	pcre2_code_free(ru->code);
	free(ru->text);
	free(ru->where);
	memset(ru, 0, sizeof *ru);
}

static void topic_clear(struct topic *t)
{
	free(t->id);
	free(t->title);
	free(t->where);
	memset(t, 0, sizeof *t);
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		rule_clear(&r->rv[i]);
	for (size_t i = 0; i < r->ntopics; i++)
		topic_clear(&r->tv[i]);
	free(r->rv);
	free(r->tv);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	free(r);
}

size_t rules_topic_count(const struct rules *r)
{
	return r ? r->ntopics : 0;
}

const char *rules_topic_id(const struct rules *r, size_t i)
{
	return r && i < r->ntopics ? r->tv[i].id : NULL;
}

const char *rules_topic_title(const struct rules *r, size_t i)
{
	return r && i < r->ntopics ? r->tv[i].title : NULL;
}

long rules_topic_index(const struct rules *r, const char *id)
{
	if (!r || !id)
		return -1;
	for (size_t i = 0; i < r->ntopics; i++)
		if (strcmp(r->tv[i].id, id) == 0)
			return (long)i;
	return -1;
}

double rules_threshold(const struct rules *r, long topic)
{
	if (!r)
		return 0;
	if (topic >= 0 && (size_t)topic < r->ntopics && r->tv[topic].has_threshold)
		return r->tv[topic].threshold;
	return r->threshold;
}

size_t rules_pattern_count(const struct rules *r)
{
	return r ? r->nrules : 0;
}

const char *match_field_name(enum match_field f)
{
	switch (f) {
	case FIELD_TITLE:
		return "title";
	case FIELD_SUMMARY:
		return "summary";
	default:
		return "?";
	}
}

/* ---- loading ---------------------------------------------------------- */

struct lctx {
	struct rules *r;
	const char *name;
	unsigned lineno;
	const char *line; /* start of the current line */
	long topic;       /* current topic in this file, -1 before the first */
	int global_threshold_set;
	struct err *err;
};

/* 1-based column in code points of byte offset off within the line. */
static unsigned colof(const struct lctx *c, const char *p)
{
	unsigned col = 1;
	for (const char *q = c->line; q < p; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	return col;
}

static int lerr(const struct lctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int lerr(const struct lctx *c, const char *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(c->err, "%s:%u:%u: %s", c->name, c->lineno, colof(c, at), msg);
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
static int expect_end(const struct lctx *c, const char *p, const char *end)
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
 * exponents or locale surprises (strtod would accept "inf" and "0x1p3"). */
static int parse_number(const char *p, const char *end, const char **after, double *out)
{
	const char *q = p;
	double v = 0;
	int digits = 0;
	while (q < end && *q >= '0' && *q <= '9' && digits < 12) {
		v = v * 10 + (*q++ - '0');
		digits++;
	}
	if (!digits)
		return -1;
	if (q < end && *q == '.') {
		q++;
		double scale = 0.1;
		int fd = 0;
		while (q < end && *q >= '0' && *q <= '9' && fd < 9) {
			v += (*q++ - '0') * scale;
			scale /= 10;
			fd++;
		}
		if (!fd)
			return -1;
	}
	if (q < end && !is_ws(*q) && *q != '#')
		return -1;
	if (v <= 0 || v > RULES_MAX_WEIGHT)
		return -1;
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

/* Compiles pattern text; a PCRE2 error is reported at `at` + PCRE2's
 * offset when offsets map onto the written text (the /regex/ form), else at
 * the pattern start. */
static int compile_rule(struct lctx *c, const char *regex, size_t len, int caseless,
			const char *pstart, const char *at, int offsets_map, pcre2_code **out)
{
	int ec;
	PCRE2_SIZE eo;
	uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	if (caseless)
		opt |= PCRE2_CASELESS;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, len, opt, &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR m[256];
		if (pcre2_get_error_message(ec, m, sizeof m) < 0)
			snprintf((char *)m, sizeof m, "PCRE2 error %d", ec);
		const char *where = at;
		if (offsets_map && eo <= len)
			where = at + eo;
		return lerr(c, where, "bad pattern: %s", (const char *)m);
	}
	uint32_t minlen = 1;
	if (pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen) == 0 && minlen == 0) {
		pcre2_code_free(code);
		return lerr(c, pstart, "pattern can match empty text; it must require at least one character");
	}
	/* JIT is an optimisation only: without it (no support, no executable
	 * memory) the interpreter gives the same results. */
	if (!RUNNING_ON_VALGRIND && !getenv("BULLETIN_PCRE2_NO_JIT"))
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	*out = code;
	return 0;
}

static int make_where(struct lctx *c, struct rule *ru, const char *pstart, const char *pend)
{
	ru->text = strndup(pstart, (size_t)(pend - pstart));
	struct buf w = BUF_INIT;
	if (buf_printf(&w, "%s:%u", c->name, c->lineno) == 0)
		ru->where = buf_steal(&w);
	buf_free(&w);
	if (!ru->text || !ru->where || push_rule(c->r, ru) < 0) {
		rule_clear(ru);
		return lerr(c, pstart, "out of memory");
	}
	return 0;
}

/* "@topic": the current topic borrows weight x that topic's own score. */
static int add_ref(struct lctx *c, const char *p, const char *end, double weight, int exclude)
{
	const char *q = p + 1;
	while (q < end && !is_ws(*q) && *q != '#')
		q++;
	if (exclude)
		return lerr(c, p, "@topic works only with include");
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

/* Parses PATTERN at p (the rest of the line) and adds the rule. */
static int add_pattern(struct lctx *c, const char *p, const char *end, double weight, int exclude)
{
	struct rules *r = c->r;
	if (p >= end || *p == '#')
		return lerr(c, p, "missing pattern");
	if (r->nrules >= RULES_MAX_PATTERNS)
		return lerr(c, p, "too many patterns (at most %d)", RULES_MAX_PATTERNS);
	if (*p == '@')
		return add_ref(c, p, end, weight, exclude);

	const char *pstart = p, *pend;
	struct buf re = BUF_INIT;
	int caseless = 1, offsets_map = 0, rc = -1;
	const char *regex_at = p; /* where PCRE2 offsets count from */
	pcre2_code *code = NULL;

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
		int anywhere = 0;
		if (*s == '*') {
			anywhere = 1;
			s++;
		}
		if (se > s && se[-1] == '*')
			se--;
		if (se <= s)
			return lerr(c, p, "empty pattern");
		for (const char *k = s; k < se; k++) {
			if (*k == '*')
				return lerr(c, k, "'*' may only begin or end a word pattern; use /regex/ for more");
			if (*k == '"' || *k == '/')
				return lerr(c, k, "'%c' inside a word pattern: quote the word or use /regex/", *k);
		}
		if ((!anywhere && buf_puts(&re, "(?<![\\p{L}\\p{N}])") < 0) ||
		    append_escaped_literal(&re, s, (size_t)(se - s)) < 0)
			goto oom;
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
	ru.weight = exclude ? 0 : weight;
	ru.exclude = exclude;
	ru.topic = c->topic;
	ru.ref = -1;
	rc = make_where(c, &ru, pstart, pend);
	goto out;
oom:
	rc = lerr(c, pstart, "out of memory");
out:
	buf_free(&re);
	return rc;
}

static int do_threshold(struct lctx *c, const char *p, const char *end)
{
	double v;
	const char *after;
	if (p >= end || *p == '#')
		return lerr(c, p, "missing number after threshold");
	if (parse_number(p, end, &after, &v) < 0)
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

static int do_topic(struct lctx *c, const char *p, const char *end)
{
	struct rules *r = c->r;
	if (p >= end || *p == '#')
		return lerr(c, p, "missing topic id after 'topic'");
	const char *q = p;
	while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' || *q == '-'))
		q++;
	if (q == p || (q < end && !is_ws(*q) && *q != '#'))
		return lerr(c, q == p ? p : q, "bad topic id '%.*s': use only a-z, 0-9, _ and -",
			    toklen(p, end), p);
	if (q - p > 64)
		return lerr(c, p, "topic id too long (at most 64 characters)");
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
	long idx = rules_topic_index(r, id);
	if (idx >= 0) {
		struct topic *t = &r->tv[idx];
		/* Another file may add patterns to a topic; one file may not
		 * define it twice. */
		if (t->gen == r->gen) {
			int e = lerr(c, idp, "duplicate topic id '%s' (first defined at %s)", id, t->where);
			free(id);
			free(title);
			return e;
		}
		if (title && strcmp(title, t->title) != 0) {
			int e = lerr(c, p, "topic '%s' already has the title \"%s\" (%s)", id, t->title, t->where);
			free(id);
			free(title);
			return e;
		}
		t->gen = r->gen;
		c->topic = idx;
		free(id);
		free(title);
		return 0;
	}
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
	struct buf w = BUF_INIT;
	buf_printf(&w, "%s:%u", c->name, c->lineno);
	t->where = buf_steal(&w);
	c->topic = (long)r->ntopics++;
	return 0;
}

static int do_line(struct lctx *c, const char *p, const char *end)
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
	if (IS("topic"))
		return do_topic(c, p, end);
	if (IS("include")) {
		if (c->topic < 0)
			return lerr(c, d, "include before any topic: start a topic with 'topic ID \"Title\"' first");
		double w;
		const char *after;
		if (p >= end || *p == '#')
			return lerr(c, p, "missing weight after include (e.g. include 2 fastläkar)");
		if (parse_number(p, end, &after, &w) < 0)
			return lerr(c, p, "bad weight '%.*s': expected a positive number such as 2 or 1.5",
				    toklen(p, end), p);
		return add_pattern(c, skip_ws(after, end), end, w, 0);
	}
	if (IS("exclude")) {
		/* "exclude 2 foo" is almost surely a weight written by habit. */
		const char *q = p;
		while (q < end && ((*q >= '0' && *q <= '9') || *q == '.'))
			q++;
		if (q > p && q < end && is_ws(*q) && skip_ws(q, end) < end && *skip_ws(q, end) != '#')
			return lerr(c, p, "exclude takes no weight; write exclude PATTERN");
		return add_pattern(c, p, end, 0, 1);
	}
#undef IS
	return lerr(c, d, "unknown directive '%.*s' (expected threshold, topic, include or exclude)",
		    toklen(d, end), d);
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
	size_t old_rules = r->nrules, old_topics = r->ntopics;
	double old_threshold = r->threshold;
	struct topic *saved = NULL;
	if (old_topics) {
		saved = malloc(old_topics * sizeof *saved);
		if (!saved)
			return err_set(err, "%s: out of memory", name);
		memcpy(saved, r->tv, old_topics * sizeof *saved);
	}
	r->gen++;

	struct lctx c = {.r = r, .name = name, .topic = -1, .err = err};
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	const char *bad = utf8_bad(p, (size_t)(end - p));
	int rc = 0;
	while (p < end || (p == end && c.lineno == 0)) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		c.lineno++;
		c.line = p;
		if (bad && bad >= p && bad <= le) {
			rc = lerr(&c, bad, "invalid UTF-8 (save the file as UTF-8)");
			break;
		}
		if (do_line(&c, p, le) < 0) {
			rc = -1;
			break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (rc < 0) {
		for (size_t i = old_rules; i < r->nrules; i++)
			rule_clear(&r->rv[i]);
		r->nrules = old_rules;
		for (size_t i = old_topics; i < r->ntopics; i++)
			topic_clear(&r->tv[i]);
		r->ntopics = old_topics;
		if (old_topics)
			memcpy(r->tv, saved, old_topics * sizeof *saved);
		r->threshold = old_threshold;
	}
	free(saved);
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

/* ---- matching --------------------------------------------------------- */

/* Caseless comparison good enough to tell whether two matches are the same
 * word: ASCII and Latin-1 letters (Å Ä Ö Æ Ø É …) fold; others compare
 * exactly. */
static int fold_eq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	while (i < an && j < bn) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[j];
		if (x == 0xC3 && y == 0xC3 && i + 1 < an && j + 1 < bn) {
			unsigned char x2 = (unsigned char)a[i + 1], y2 = (unsigned char)b[j + 1];
			if (x2 >= 0x80 && x2 <= 0x9E && x2 != 0x97)
				x2 += 0x20;
			if (y2 >= 0x80 && y2 <= 0x9E && y2 != 0x97)
				y2 += 0x20;
			if (x2 != y2)
				return 0;
			i += 2, j += 2;
			continue;
		}
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
		i++, j++;
	}
	return i == an && j == bn;
}

void match_free(struct match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nterms; i++)
		free(m->terms[i].text);
	free(m->terms);
	memset(m, 0, sizeof *m);
	m->topic = -1;
}

struct mstate {
	struct match *m;
	size_t cap;
	double *score;  /* per topic */
	char *vetoed;   /* per topic */
	int global_veto;
};

static int add_term(struct mstate *s, const struct rule *ru, enum match_field f, const char *text,
		    size_t a, size_t b)
{
	struct match *m = s->m;
	double w = 0;
	if (!ru->exclude) {
		w = ru->weight * (f == FIELD_TITLE ? 2.0 : 1.0);
		for (size_t i = 0; i < m->nterms; i++) {
			const struct match_term *t = &m->terms[i];
			if (t->rule == ru->text && t->field == f &&
			    fold_eq(t->text, t->end - t->start, text + a, b - a)) {
				w = 0; /* a repeat is listed for highlighting, not scored */
				break;
			}
		}
	}
	if (m->nterms >= MATCH_MAX_TERMS)
		return 0; /* bounded: hostile text cannot grow this without limit */
	if (m->nterms == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct match_term *v = realloc(m->terms, cap * sizeof *v);
		if (!v)
			return -1;
		m->terms = v;
		s->cap = cap;
	}
	struct match_term *t = &m->terms[m->nterms];
	t->text = strndup(text + a, b - a);
	if (!t->text)
		return -1;
	m->nterms++;
	t->field = f;
	t->start = a;
	t->end = b;
	t->weight = w;
	t->topic = ru->topic;
	t->exclude = ru->exclude;
	t->rule = ru->text;
	t->where = ru->where;
	if (ru->exclude) {
		if (ru->topic < 0)
			s->global_veto = 1;
		else
			s->vetoed[ru->topic] = 1;
	} else {
		s->score[ru->topic] += w;
	}
	return 0;
}

static int match_field(const struct rules *r, struct mstate *s, enum match_field f, const char *text,
		       const char *itemname, struct err *err)
{
	size_t len = strlen(text);
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!ru->code)
			continue;
		size_t off = 0;
		while (off <= len) {
			int rc = pcre2_match(ru->code, (PCRE2_SPTR)text, len, off, 0, r->md, r->mctx);
			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0) {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(rc, msg, sizeof msg);
				return err_set(err, "%s: %s: rule %s (%s): %s", itemname, match_field_name(f),
					       ru->where, ru->text, (const char *)msg);
			}
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
			size_t a = ov[0], b = ov[1];
			if (b <= a || b > len) {
				/* Empty match (load rejects such patterns, but a
				 * lookaround can still produce one): step over one
				 * character. */
				off = (b > off ? b : off) + 1;
				while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
					off++;
				continue;
			}
			if (add_term(s, ru, f, text, a, b) < 0)
				return err_set(err, "%s: out of memory", itemname);
			off = b;
		}
	}
	return 0;
}

int rules_match(const struct rules *r, const struct item *it, struct match *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	out->topic = -1;
	if (!r || !it)
		return err_set(err, "rules_match: no rules or no item");
	const char *itemname = it->key ? it->key : (it->url ? it->url : "item");
	struct mstate s = {.m = out};
	size_t nt = r->ntopics ? r->ntopics : 1;
	s.score = calloc(nt, sizeof *s.score);
	s.vetoed = calloc(nt, 1);
	int rc = 0;
	if (!s.score || !s.vetoed) {
		rc = err_set(err, "%s: out of memory", itemname);
		goto done;
	}
	if ((it->title && match_field(r, &s, FIELD_TITLE, it->title, itemname, err) < 0) ||
	    (it->summary && match_field(r, &s, FIELD_SUMMARY, it->summary, itemname, err) < 0)) {
		match_free(out);
		rc = -1;
		goto done;
	}
	/* Borrowed scores come from the lender's own terms only, so the order
	 * of topics does not matter and nothing chains. */
	if (r->ntopics) {
		double *own = malloc(r->ntopics * sizeof *own);
		if (!own) {
			match_free(out);
			rc = err_set(err, "%s: out of memory", itemname);
			goto done;
		}
		memcpy(own, s.score, r->ntopics * sizeof *own);
		for (size_t k = 0; k < r->nrules; k++)
			if (r->rv[k].ref >= 0)
				s.score[r->rv[k].topic] += r->rv[k].weight * own[r->rv[k].ref];
		free(own);
	}
	/* Best topic by score; on a tie the earlier topic wins, except that a
	 * topic that is not vetoed beats a vetoed one. */
	long best = -1;
	for (size_t i = 0; i < r->ntopics; i++) {
		if (s.score[i] <= 0)
			continue;
		if (best < 0 || s.score[i] > s.score[best] ||
		    (s.score[i] == s.score[best] && s.vetoed[best] && !s.vetoed[i]))
			best = (long)i;
	}
	out->topic = best;
	out->score = best >= 0 ? s.score[best] : 0;
	out->vetoed = s.global_veto || (best >= 0 && s.vetoed[best]);
	out->selected = !out->vetoed && best >= 0 && out->score >= rules_threshold(r, best);
done:
	free(s.score);
	free(s.vetoed);
	return rc;
}
