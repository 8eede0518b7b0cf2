/* Keyword rules: parser for the .rules language and the matcher.
 *
 * The language (documented for editors at the top of feeds/primarvard.rules):
 *
 *   threshold N               before the first topic: the global threshold;
 *                             inside a topic: that topic's own threshold
 *   topic ID "Title"          starts a topic; ID is [a-z0-9_-]+
 *   include W PATTERN         W > 0 (decimals allowed) times the field's
 *                             weight is added to the topic's score for each
 *                             distinct match per field; a match in the title
 *                             counts double (the title says what the item is
 *                             about, a summary only mentions things)
 *   include W @ID             adds W x topic ID's own score (ID defined
 *                             above); lets a topic borrow general context
 *   exclude PATTERN           inside a topic: vetoes that topic; before the
 *                             first topic: vetoes every item it matches
 *   field NAME W              before the first topic: matches in field NAME
 *                             count W times the rule's weight (default: title
 *                             2, every other field 1; 0 turns a field off)
 *
 * Before PATTERN, include and exclude take optional scopes:
 *   [title, summary]          the fields to read (title, summary, content,
 *                             categories, url, source); default: title,
 *                             summary and categories. Content is left out by
 *                             default because many feeds repeat it as the
 *                             summary, and url/source are not prose.
 *   [from NAME, NAME]         only items of these sources (names as in the
 *                             sources files)
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
#include "select/rules.h"

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"

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
	pcre2_code *acode; /* the same, anchored: confirms an index hit */
	double weight; /* 0 for an exclude */
	long topic;    /* -1: global exclude */
	long ref;      /* @topic: borrows that topic's own score; else -1 */
	int exclude;
	int caseless;
	unsigned fields; /* 1 << enum match_field */
	char **from;     /* source names, or NULL */
	size_t nfrom;
	char *text;  /* as written */
	char *where; /* "file:line" */
	char *regex; /* as compiled */
	char *lit;   /* folded literal for the index (see lit_fold), or NULL */
	int anywhere; /* *stem: the literal may start inside a word */
	struct rule_info info; /* the public view, filled when loaded */
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
	double fieldw[FIELD_COUNT_];
	unsigned gen; /* one per rules_load_string call */
	struct lit_index *index; /* rebuilt after every load */
	int no_index;            /* rules_use_index(r, 0) */
	unsigned fields_used;    /* every rule's fields, or'ed: set after each load */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

struct lit_index;
static void lit_index_free(struct lit_index *x);

struct rules *rules_new(void)
{
	struct rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->threshold = 1.0;
	for (int f = 0; f < FIELD_COUNT_; f++)
		r->fieldw[f] = f == FIELD_TITLE ? 2.0 : 1.0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->md || !r->mctx) {
		rules_free(r);
		return NULL;
	}
	/* BULLETIN_RULES_NO_INDEX=1: every rule as a pattern (benchmarks) */
	r->no_index = getenv("BULLETIN_RULES_NO_INDEX") != NULL;
	pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, MATCH_LIMIT / 10);
	return r;
}

static void rule_clear(struct rule *ru)
{
	pcre2_code_free(ru->code);
	pcre2_code_free(ru->acode);
	free(ru->text);
	free(ru->where);
	free(ru->regex);
	free(ru->lit);
	for (size_t i = 0; i < ru->nfrom; i++)
		free(ru->from[i]);
	free(ru->from);
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
	lit_index_free(r->index);
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

static const char *const field_names[FIELD_COUNT_] = {"title", "summary", "content",
							  "categories", "url", "source"};

const char *match_field_name(enum match_field f)
{
	return (unsigned)f < FIELD_COUNT_ ? field_names[f] : "?";
}

int match_field_by_name(const char *name, size_t len)
{
	for (int f = 0; f < FIELD_COUNT_; f++)
		if (strlen(field_names[f]) == len && !memcmp(field_names[f], name, len))
			return f;
	return -1;
}

double rules_field_weight(const struct rules *r, enum match_field f)
{
	return (unsigned)f < FIELD_COUNT_ ? r->fieldw[f] : 0;
}

size_t rules_rule_count(const struct rules *r) { return r ? r->nrules : 0; }

void rules_use_index(struct rules *r, int on) { r->no_index = !on; }

const struct rule_info *rules_rule(const struct rules *r, size_t i)
{
	return r && i < r->nrules ? &r->rv[i].info : NULL;
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
	/* the [...] scope of the rule being read; moved into the rule */
	unsigned scope_fields;
	char **scope_from;
	size_t scope_nfrom;
};

static void scope_reset(struct lctx *c)
{
	for (size_t i = 0; i < c->scope_nfrom; i++)
		free(c->scope_from[i]);
	free(c->scope_from);
	c->scope_from = NULL;
	c->scope_nfrom = 0;
	c->scope_fields = 0;
}

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

/* ---- the literal index ----------------------------------------------------
 *
 * Most rules are a word, a stem or *stem: a literal. Rather than run every
 * such pattern over every field, the field is folded once and walked
 * through a byte trie of the folded literals, at word starts (and, for
 * *stems, at every character); each hit is then confirmed by PCRE2 with an
 * anchored match at that offset, so the results are exactly those of the
 * patterns. The cost grows with the text, not with the number of rules.
 *
 * Folding: ASCII and the Latin-1 letters (À..Þ to à..þ) only, keeping the
 * byte length, so offsets in the folded text are offsets in the original.
 * A literal with any other character is not indexed (its rule runs as a
 * pattern); a field holding a character that PCRE2 folds onto these
 * letters from elsewhere (the Kelvin and Ångström signs, long s, Ÿ, ẞ) is
 * matched the slow way as a whole. */

static int lit_byte_ok(const unsigned char *s, size_t n, size_t *k)
{
	if (s[0] < 0x80) {
		*k = 1;
		return (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
		       (s[0] >= '0' && s[0] <= '9');
	}
	*k = 2;
	return n >= 2 && s[0] == 0xC3 && s[1] >= 0x80 && s[1] <= 0xBF && s[1] != 0x97 && s[1] != 0xB7;
}

/* The folded key of a literal s[0..n): its longest prefix of letters and
 * digits (the rest, say after a space or a hyphen, is left to PCRE2's
 * confirming match). NULL when that prefix is shorter than two bytes. */
static char *lit_make(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t m = 0, k;
	while (m < n && lit_byte_ok(u + m, n - m, &k))
		m += k;
	if (m < 2)
		return NULL;
	n = m;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += k) {
		lit_byte_ok(u + i, n - i, &k);
		out[i] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
		if (k == 2)
			out[i + 1] = (char)(u[i + 1] <= 0x9E ? u[i + 1] + 0x20 : u[i + 1]);
	}
	out[n] = '\0';
	return out;
}

/* Folds text into out (same length). Returns 0, or -1 when the text has a
 * character that folds onto ASCII/Latin-1 from outside (see above). */
static int fold_text(const char *text, size_t len, char *out)
{
	const unsigned char *u = (const unsigned char *)text;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = u[i];
		if (c < 0x80) {
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else if (c == 0xC3 && i + 1 < len) {
			unsigned char d = u[i + 1];
			out[i] = (char)c;
			out[i + 1] = (char)(d >= 0x80 && d <= 0x9E && d != 0x97 ? d + 0x20 : d);
			i++;
		} else {
			if ((c == 0xC5 && i + 1 < len && (u[i + 1] == 0xBF || u[i + 1] == 0xB8)) ||
			    (c == 0xE2 && i + 2 < len && u[i + 1] == 0x84 &&
			     (u[i + 2] == 0xAA || u[i + 2] == 0xAB)) ||
			    (c == 0xE1 && i + 2 < len && u[i + 1] == 0xBA && u[i + 2] == 0x9E))
				return -1;
			out[i] = (char)c;
		}
	}
	return 0;
}

struct lit_node {
	uint32_t child;   /* first child, 0 = none */
	uint32_t sibling; /* next sibling, 0 = none */
	uint32_t rules;   /* first entry in lit_index.ent, 0 = none */
	unsigned char byte;
};

struct lit_entry {
	uint32_t rule;
	uint32_t next;
};

struct lit_index {
	struct lit_node *node; /* node[0] unused: 0 means none */
	size_t nnode, capnode;
	struct lit_entry *ent; /* ent[0] unused */
	size_t nent, capent;
	uint32_t root[2][256]; /* [anywhere][first byte] */
	char *indexed;         /* per rule: 1 when found through the index */
	size_t nrules;
};

static void lit_index_free(struct lit_index *x)
{
	if (!x)
		return;
	free(x->node);
	free(x->ent);
	free(x->indexed);
	free(x);
}

static uint32_t lit_new_node(struct lit_index *x, unsigned char b)
{
	if (x->nnode == x->capnode) {
		size_t cap = x->capnode ? x->capnode * 2 : 256;
		struct lit_node *v = realloc(x->node, cap * sizeof *v);
		if (!v)
			return 0;
		x->node = v;
		x->capnode = cap;
	}
	x->node[x->nnode] = (struct lit_node){0, 0, 0, b};
	return (uint32_t)x->nnode++;
}

static int lit_add(struct lit_index *x, const char *lit, int anywhere, uint32_t rule)
{
	const unsigned char *u = (const unsigned char *)lit;
	uint32_t *slot = &x->root[anywhere][u[0]];
	uint32_t cur = 0;
	for (size_t i = 0; u[i]; i++) {
		if (i > 0) {
			slot = &x->node[cur].child;
			while (*slot && x->node[*slot].byte != u[i])
				slot = &x->node[*slot].sibling;
		}
		if (!*slot) {
			uint32_t nn = lit_new_node(x, u[i]); /* may move x->node */
			if (!nn)
				return -1;
			slot = i == 0 ? &x->root[anywhere][u[0]] : &x->node[cur].child;
			while (*slot)
				slot = &x->node[*slot].sibling;
			*slot = nn;
		}
		cur = *slot;
	}
	if (x->nent == x->capent) {
		size_t cap = x->capent ? x->capent * 2 : 256;
		struct lit_entry *v = realloc(x->ent, cap * sizeof *v);
		if (!v)
			return -1;
		x->ent = v;
		x->capent = cap;
	}
	x->ent[x->nent] = (struct lit_entry){rule, x->node[cur].rules};
	x->node[cur].rules = (uint32_t)x->nent++;
	return 0;
}

static struct lit_index *lit_index_build(const struct rule *rv, size_t n)
{
	struct lit_index *x = calloc(1, sizeof *x);
	if (!x || !(x->indexed = calloc(n + 1, 1)))
		goto fail;
	x->nrules = n;
	/* index 0 of both arrays means "none" */
	if (!(x->node = calloc(256, sizeof *x->node)) || !(x->ent = calloc(256, sizeof *x->ent)))
		goto fail;
	x->capnode = x->capent = 256;
	x->nnode = x->nent = 1;
	for (size_t k = 0; k < n; k++) {
		if (!rv[k].lit || !rv[k].acode)
			continue;
		if (lit_add(x, rv[k].lit, rv[k].anywhere, (uint32_t)k) < 0)
			goto fail;
		x->indexed[k] = 1;
	}
	return x;
fail:
	lit_index_free(x);
	return NULL;
}

/* A /regex/ that starts with plain letters or digits and has no
 * top-level alternative must match them first: they are its key (a
 * letter followed by a quantifier is not part of it). */
static char *regex_key(const char *re, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (re[i] == '\\')
			i++;
		else if (re[i] == '[') {
			for (i++; i < n && re[i] != ']'; i++)
				if (re[i] == '\\')
					i++;
		} else if (re[i] == '(')
			depth++;
		else if (re[i] == ')')
			depth--;
		else if (re[i] == '|' && depth == 0)
			return NULL;
	}
	const unsigned char *u = (const unsigned char *)re;
	size_t m = 0, prev = 0, k;
	while (m < n && lit_byte_ok(u + m, n - m, &k))
		prev = m, m += k;
	if (m < n && m > 0 && (re[m] == '?' || re[m] == '*' || re[m] == '+' || re[m] == '{'))
		m = prev;
	return lit_make(re, m);
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

static uint32_t rule_options(int caseless)
{
	uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	return caseless ? opt | PCRE2_CASELESS : opt;
}

static int use_jit(void) { return !RUNNING_ON_VALGRIND && !getenv("BULLETIN_PCRE2_NO_JIT"); }

/* Compiles pattern text; a PCRE2 error is reported at `at` + PCRE2's
 * offset when offsets map onto the written text (the /regex/ form), else at
 * the pattern start. */
static int compile_rule(struct lctx *c, const char *regex, size_t len, int caseless,
			const char *pstart, const char *at, int offsets_map, pcre2_code **out)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, len, rule_options(caseless), &ec, &eo, NULL);
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
	if (use_jit())
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
	ru->fields = c->scope_fields ? c->scope_fields : FIELDS_DEFAULT;
	ru->from = c->scope_from;
	ru->nfrom = c->scope_nfrom;
	c->scope_from = NULL;
	c->scope_nfrom = 0;
	ru->info = (struct rule_info){ru->text, ru->where, ru->regex, ru->topic, ru->ref,
				      ru->weight, ru->exclude, ru->caseless, ru->fields,
				      (const char *const *)ru->from, ru->nfrom};
	if (!ru->text || !ru->where || push_rule(c->r, ru) < 0) {
		rule_clear(ru);
		return lerr(c, pstart, "out of memory");
	}
	return 0;
}

/* [title, summary] limits the rule to those fields; [from a, b] to the
 * items of those sources. Both may be given, in either order. Returns
 * where the pattern starts, or NULL after reporting an error. */
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
		if (from) {
			q += 4;
			if (q < close && *q == ':')
				q++;
			if (c->scope_nfrom) {
				lerr(c, p, "sources given twice: list them in one [from a, b]");
				return NULL;
			}
		} else if (c->scope_fields) {
			lerr(c, p, "fields given twice: list them in one [title, summary]");
			return NULL;
		}
		size_t n = 0;
		while ((q = skip_ws(q, close)) < close) {
			const char *t = q;
			while (q < close && *q != ',' && !is_ws(*q))
				q++;
			size_t tl = (size_t)(q - t);
			if (tl && from) {
				char **v = realloc(c->scope_from, (c->scope_nfrom + 1) * sizeof *v);
				if (!v || !(v[c->scope_nfrom] = strndup(t, tl))) {
					if (v)
						c->scope_from = v;
					lerr(c, t, "out of memory");
					return NULL;
				}
				c->scope_from = v;
				c->scope_nfrom++;
				n++;
			} else if (tl) {
				int f = match_field_by_name(t, tl);
				if (f < 0) {
					lerr(c, t, "unknown field '%.*s' (fields: title, summary, content, "
						   "categories, url, source; sources: [from NAME, ...])",
					     (int)tl, t);
					return NULL;
				}
				c->scope_fields |= 1u << f;
				n++;
			}
			q = skip_ws(q, close);
			if (q < close && *q == ',')
				q++;
		}
		if (!n) {
			lerr(c, p, from ? "[from] names no source" :
				 "empty [ ]: name fields, e.g. [title], or sources, e.g. [from lakartidningen]");
			return NULL;
		}
		p = skip_ws(close + 1, end);
	}
	return p;
}

/* "@topic": the current topic borrows weight x that topic's own score. */
static int add_ref(struct lctx *c, const char *p, const char *end, double weight, int exclude)
{
	const char *q = p + 1;
	while (q < end && !is_ws(*q) && *q != '#')
		q++;
	if (exclude)
		return lerr(c, p, "@topic works only with include");
	if (c->scope_fields || c->scope_nfrom)
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
	if (!(p = parse_scope(c, p, end)))
		return -1;
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
		litkey = regex_key(re.data, re.len);
		lit_anywhere = 1;
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
		litkey = lit_make(s, (size_t)(se - s));
		lit_anywhere = anywhere;
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
					 rule_options(caseless) | PCRE2_ANCHORED, &ec, &eo, NULL);
		if (ru.acode && use_jit())
			(void)pcre2_jit_compile(ru.acode, PCRE2_JIT_COMPLETE);
	}
	if (ru.acode) {
		ru.lit = litkey;
		ru.anywhere = lit_anywhere;
		litkey = NULL;
	}
	ru.weight = exclude ? 0 : weight;
	ru.exclude = exclude;
	ru.topic = c->topic;
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

/* field NAME W: the multiplier of matches in that field (0 turns the field
 * off); before the first topic, as it applies to every topic. */
static int do_field(struct lctx *c, const char *p, const char *end)
{
	if (c->topic >= 0)
		return lerr(c, p, "field goes before the first topic (it applies to all topics)");
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
	else if (p >= end || *p == '#' || parse_number(p, end, &after, &v) < 0)
		return lerr(c, p, "bad field weight '%.*s': expected a number such as 2, 0.5 or 0 (off)",
			    toklen(p, end), p);
	if (expect_end(c, after, end) < 0)
		return -1;
	c->r->fieldw[f] = v;
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

static int do_directive(struct lctx *c, const char *p, const char *end);

static int do_line(struct lctx *c, const char *p, const char *end)
{
	int rc = do_directive(c, p, end);
	scope_reset(c);
	return rc;
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
	return lerr(c, d, "unknown directive '%.*s' (expected threshold, field, topic, include or exclude)",
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
	double old_fieldw[FIELD_COUNT_];
	memcpy(old_fieldw, r->fieldw, sizeof old_fieldw);
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
	if (rc == 0) {
		/* Without an index (out of memory) every rule runs as a pattern:
		 * slower, same results. */
		lit_index_free(r->index);
		r->index = lit_index_build(r->rv, r->nrules);
		r->fields_used = 0;
		for (size_t k = 0; k < r->nrules; k++)
			r->fields_used |= r->rv[k].fields;
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
		memcpy(r->fieldw, old_fieldw, sizeof old_fieldw);
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

struct hit;

struct mstate {
	const struct rules *r;
	struct match *m;
	size_t cap;
	struct hit *hits; /* of the current field */
	size_t nhits, caphits;
	struct buf folded;
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
		w = ru->weight * s->r->fieldw[f];
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
	t->rule_index = (size_t)(ru - s->r->rv);
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

static int from_source(const struct rule *ru, const char *source)
{
	if (!ru->nfrom)
		return 1;
	for (size_t i = 0; source && i < ru->nfrom; i++)
		if (!strcmp(ru->from[i], source))
			return 1;
	return 0;
}

struct hit {
	size_t rule, a, b;
};

static int hit_cmp(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return a->a < b->a ? -1 : a->a > b->a;
}

static int hit_push(struct mstate *s, size_t rule, size_t a, size_t b)
{
	if (s->nhits == s->caphits) {
		size_t cap = s->caphits ? s->caphits * 2 : 64;
		struct hit *v = realloc(s->hits, cap * sizeof *v);
		if (!v)
			return -1;
		s->hits = v;
		s->caphits = cap;
	}
	s->hits[s->nhits++] = (struct hit){rule, a, b};
	return 0;
}

static int pcre_fail(const struct rule *ru, enum match_field f, int rc, const char *itemname,
		     struct err *err)
{
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(rc, msg, sizeof msg);
	return err_set(err, "%s: %s: rule %s (%s): %s", itemname, match_field_name(f), ru->where,
		       ru->text, (const char *)msg);
}

/* Could a word start at folded[p]? Conservative: only an ASCII or Latin-1
 * letter or digit before p says no; PCRE2's lookbehind decides the rest. */
static int maybe_word_start(const unsigned char *t, size_t p)
{
	if (p == 0)
		return 1;
	unsigned char c = t[p - 1];
	if (c < 0x80)
		return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	if (p >= 2 && t[p - 2] == 0xC3)
		return c == 0x97 || c == 0xB7; /* × ÷ */
	return 1;
}

static int usable(const struct rule *ru, enum match_field f, const char *source)
{
	return ru->code && (ru->fields & (1u << f)) && from_source(ru, source);
}

/* The index's candidates in text, each confirmed by an anchored match. */
static int match_indexed(const struct rules *r, struct mstate *s, enum match_field f,
			 const char *text, size_t len, const unsigned char *folded,
			 const char *source, const char *itemname, struct err *err)
{
	const struct lit_index *x = r->index;
	for (size_t p = 0; p < len; p++) {
		if ((folded[p] & 0xC0) == 0x80)
			continue;
		for (int any = 0; any < 2; any++) {
			if (!any && !maybe_word_start(folded, p))
				continue;
			uint32_t nd = x->root[any][folded[p]];
			for (size_t q = p; nd;) {
				for (uint32_t e = x->node[nd].rules; e; e = x->ent[e].next) {
					const struct rule *ru = &r->rv[x->ent[e].rule];
					if (!usable(ru, f, source))
						continue;
					int rc = pcre2_match(ru->acode, (PCRE2_SPTR)text, len, p, 0,
							     r->md, r->mctx);
					if (rc == PCRE2_ERROR_NOMATCH)
						continue;
					if (rc < 0)
						return pcre_fail(ru, f, rc, itemname, err);
					PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
					if (ov[1] > ov[0] && ov[1] <= len &&
					    hit_push(s, x->ent[e].rule, ov[0], ov[1]) < 0)
						return err_set(err, "%s: out of memory", itemname);
				}
				if (++q >= len)
					break;
				nd = x->node[nd].child;
				while (nd && x->node[nd].byte != folded[q])
					nd = x->node[nd].sibling;
			}
		}
	}
	return 0;
}

static int match_field(const struct rules *r, struct mstate *s, enum match_field f, const char *text,
		       const char *source, const char *itemname, struct err *err)
{
	size_t len = strlen(text);
	s->nhits = 0;
	int indexed = r->index != NULL && !r->no_index;
	if (indexed) {
		buf_reset(&s->folded);
		if (buf_reserve(&s->folded, len + 1) < 0)
			return err_set(err, "%s: out of memory", itemname);
		indexed = fold_text(text, len, s->folded.data) == 0;
	}
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!usable(ru, f, source) || (indexed && r->index->indexed[k]))
			continue;
		size_t off = 0;
		while (off <= len) {
			int rc = pcre2_match(ru->code, (PCRE2_SPTR)text, len, off, 0, r->md, r->mctx);
			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0)
				return pcre_fail(ru, f, rc, itemname, err);
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
			if (hit_push(s, k, a, b) < 0)
				return err_set(err, "%s: out of memory", itemname);
			off = b;
		}
	}
	if (indexed && match_indexed(r, s, f, text, len, (const unsigned char *)s->folded.data,
				     source, itemname, err) < 0)
		return -1;
	/* Rule by rule, left to right, without overlaps: the order and the
	 * matches a plain search of each pattern gives. */
	if (s->nhits > 1)
		qsort(s->hits, s->nhits, sizeof *s->hits, hit_cmp);
	const struct hit *kept = NULL;
	for (size_t i = 0; i < s->nhits; i++) {
		const struct hit *h = &s->hits[i];
		if (kept && kept->rule == h->rule && h->a < kept->b)
			continue;
		kept = h;
		if (add_term(s, &r->rv[h->rule], f, text, h->a, h->b) < 0)
			return err_set(err, "%s: out of memory", itemname);
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
	struct mstate s = {.r = r, .m = out};
	size_t nt = r->ntopics ? r->ntopics : 1;
	s.score = calloc(nt, sizeof *s.score);
	s.vetoed = calloc(nt, 1);
	int rc = 0;
	if (!s.score || !s.vetoed) {
		rc = err_set(err, "%s: out of memory", itemname);
		goto done;
	}
	/* Only the fields some rule reads; the joined categories only then. */
	unsigned used = r->fields_used;
	struct buf cats = BUF_INIT;
	for (size_t i = 0; (used & (1u << FIELD_CATEGORIES)) && i < it->ncategories; i++)
		if ((i && buf_putc(&cats, '\n') < 0) || buf_puts(&cats, it->categories[i]) < 0) {
			buf_free(&cats);
			rc = err_set(err, "%s: out of memory", itemname);
			goto done;
		}
	const char *text[FIELD_COUNT_] = {it->title, it->summary, it->content,
					  cats.len ? cats.data : NULL, it->url, it->source};
	for (int f = 0; f < FIELD_COUNT_; f++) {
		if (!text[f] || !(used & (1u << f)) || r->fieldw[f] <= 0)
			continue;
		if (match_field(r, &s, (enum match_field)f, text[f], it->source, itemname, err) < 0) {
			buf_free(&cats);
			match_free(out);
			rc = -1;
			goto done;
		}
	}
	buf_free(&cats);
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
	out->threshold = rules_threshold(r, best);
	out->selected = !out->vetoed && best >= 0 && out->score >= out->threshold;
done:
	free(s.score);
	free(s.vetoed);
	free(s.hits);
	buf_free(&s.folded);
	return rc;
}

/* ---- lint ---------------------------------------------------------------- */

/* Everyday words of the three languages, none of them about health care:
 * a pattern that matches many of these would pick almost any item. */
static const char *const everyday[] = {
	"och", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till", "den", "har",
	"de", "inte", "om", "ett", "han", "men", "var", "jag", "sig", "från", "vi", "så", "kan",
	"när", "år", "säger", "hon", "under", "också", "efter", "eller", "nu", "sin", "där",
	"vid", "mot", "ska", "skulle", "kommer", "ut", "får", "finns", "vara", "hade", "alla",
	"andra", "mycket", "än", "här", "då", "sedan", "över", "bara", "in", "blir", "upp",
	"även", "vad", "två", "många", "dag", "vecka", "månad", "og", "i", "er", "til", "ikke",
	"at", "for", "seg", "vil", "skal", "etter", "også", "mange", "nye", "dette", "være",
	"hadde", "fra", "ved", "hvor", "når", "mellom", "uke", "ikkje", "eg", "dei", "kva",
	"korleis", "ho", "berre", "gjennom", "frå", "ud", "bliver", "nogle", "meget", "hvad",
	"hvordan", "kommune", "stad", "by", "land", "regering", "regjering", "nyheter",
	"nyheder", "pressmeddelande", "pressemelding", "möte", "møte", "rapport", "beslut",
	"vedtak", "budget", "budsjett", "väder", "vær", "trafik", "skola", "skole", "fotboll",
	"fotball", "kultur", "musik", "musikk", "ekonomi", "økonomi", "politik", "politikk",
};
#define EVERYDAY_N (sizeof everyday / sizeof *everyday)
#define NEARLY_ALL_WORDS_PCT 15
#define NEARLY_ALL_ITEMS_PCT 50
#define NEARLY_ALL_ITEMS_MIN 20

/* Hands one finding to the callback; returns 1 for a warning, 0 for a note. */
static int lint_emit(rules_lint_fn cb, void *ctx, enum lint_level level, const char *where,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int lint_emit(rules_lint_fn cb, void *ctx, enum lint_level level, const char *where,
		     const char *fmt, ...)
{
	char msg[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cb(ctx, level, where, msg);
	return level == LINT_WARNING;
}

static int same_from(const struct rule *a, const struct rule *b)
{
	if (a->nfrom != b->nfrom)
		return 0;
	for (size_t i = 0; i < a->nfrom; i++)
		if (strcmp(a->from[i], b->from[i]))
			return 0;
	return 1;
}

/* The most a rule can add to its topic: its weight in every field it reads. */
static double rule_max(const struct rules *r, const struct rule *ru)
{
	double m = 0;
	for (int f = 0; f < FIELD_COUNT_; f++)
		if (ru->fields & (1u << f))
			m += ru->weight * r->fieldw[f];
	return m;
}

int rules_lint(const struct rules *r, const struct item_list *items, const char *const *sources,
	       size_t nsources, rules_lint_fn cb, void *ctx, struct err *err)
{
	int n = 0;
	/* patterns that match everyday words */
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!ru->code)
			continue;
		size_t hits = 0;
		const char *ex[3] = {0};
		for (size_t w = 0; w < EVERYDAY_N; w++) {
			int rc = pcre2_match(ru->code, (PCRE2_SPTR)everyday[w], strlen(everyday[w]), 0, 0,
					     r->md, r->mctx);
			if (rc >= 0 && hits < 3)
				ex[hits] = everyday[w];
			hits += rc >= 0;
		}
		if (hits * 100 >= NEARLY_ALL_WORDS_PCT * EVERYDAY_N)
			n += lint_emit(cb, ctx, LINT_WARNING, ru->where,
				      "%s matches nearly everything: %zu of %zu everyday words (%s, %s, %s ...)",
				      ru->text, hits, EVERYDAY_N, ex[0], ex[1], ex[2]);
	}
	/* duplicates within one topic (or among the global excludes) */
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *a = &r->rv[k];
		for (size_t j = 0; j < k; j++) {
			const struct rule *b = &r->rv[j];
			if (a->topic != b->topic || a->exclude != b->exclude || a->ref != b->ref ||
			    a->fields != b->fields || a->caseless != b->caseless || !same_from(a, b))
				continue;
			if ((a->regex && b->regex && !strcmp(a->regex, b->regex)) ||
			    (a->ref >= 0 && a->ref == b->ref)) {
				n += lint_emit(cb, ctx, LINT_WARNING, a->where, "%s repeats %s (%s): remove one",
					      a->text, b->where, b->text);
				break;
			}
		}
	}
	/* topics: no include; a threshold out of reach */
	double *own = calloc(r->ntopics ? r->ntopics : 1, sizeof *own);
	int *incl = calloc(r->ntopics ? r->ntopics : 1, sizeof *incl);
	if (!own || !incl) {
		free(own);
		free(incl);
		return err_set(err, "out of memory");
	}
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (ru->exclude || ru->topic < 0)
			continue;
		incl[ru->topic]++;
		if (ru->ref < 0)
			own[ru->topic] += rule_max(r, ru);
		if (ru->ref < 0 && rule_max(r, ru) <= 0)
			n += lint_emit(cb, ctx, LINT_WARNING, ru->where,
				      "%s can never count: every field it reads is weighted 0", ru->text);
	}
	for (size_t t = 0; t < r->ntopics; t++) {
		const struct topic *tp = &r->tv[t];
		if (!incl[t]) {
			n += lint_emit(cb, ctx, LINT_WARNING, tp->where, "topic %s has no include: no item can ever be put under it",
				      tp->id);
			continue;
		}
		double max = own[t];
		for (size_t k = 0; k < r->nrules; k++)
			if (r->rv[k].topic == (long)t && r->rv[k].ref >= 0)
				max += r->rv[k].weight * own[r->rv[k].ref];
		double th = rules_threshold(r, (long)t);
		if (max < th)
			n += lint_emit(cb, ctx, LINT_WARNING, tp->where,
				      "topic %s can never reach its threshold %g: all its words together "
				      "score at most %g",
				      tp->id, th, max);
	}
	free(own);
	free(incl);
	/* sources the config does not have */
	for (size_t k = 0; sources && k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		for (size_t i = 0; i < ru->nfrom; i++) {
			size_t j = 0;
			while (j < nsources && strcmp(sources[j], ru->from[i]))
				j++;
			if (j == nsources)
				n += lint_emit(cb, ctx, LINT_WARNING, ru->where,
					      "%s: [from %s] names no configured source, so it never applies",
					      ru->text, ru->from[i]);
		}
	}
	/* the items: excludes that never fire, patterns that fire on most */
	if (!items || !items->n || !r->nrules)
		return n;
	size_t *hits = calloc(r->nrules, sizeof *hits);
	char *seen = calloc(r->nrules, 1);
	if (!hits || !seen) {
		free(hits);
		free(seen);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < items->n; i++) {
		struct match m;
		if (rules_match(r, &items->v[i], &m, err) < 0) {
			free(hits);
			free(seen);
			return -1;
		}
		memset(seen, 0, r->nrules);
		for (size_t t = 0; t < m.nterms; t++)
			if (!seen[m.terms[t].rule_index]++)
				hits[m.terms[t].rule_index]++;
		match_free(&m);
	}
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!ru->code)
			continue;
		if (ru->exclude && !hits[k])
			n += lint_emit(cb, ctx, LINT_NOTE, ru->where, "exclude %s never fired on the %zu items checked",
				      ru->text, items->n);
		else if (items->n >= NEARLY_ALL_ITEMS_MIN &&
			 hits[k] * 100 >= NEARLY_ALL_ITEMS_PCT * items->n)
			n += lint_emit(cb, ctx, LINT_NOTE, ru->where, "%s matched %zu of the %zu items checked (%zu%%)",
				      ru->text, hits[k], items->n, hits[k] * 100 / items->n);
	}
	free(hits);
	free(seen);
	return n;
}
