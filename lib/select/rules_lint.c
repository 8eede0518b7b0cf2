/* `bulletin rules check`: mistakes that load fine. See rules_lint() in
 * rules.h for the list. */
#include "select/ruleset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"

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

const char *const rules_lint_wordlists[] = {
	"/usr/share/dict/swedish", /* wswedish */
	"/usr/share/dict/bokmaal", /* wnorwegian */
	"/usr/share/dict/nynorsk", /* wnorwegian */
	"/usr/share/dict/danish",  /* wdanish */
};
const size_t rules_lint_nwordlists = sizeof rules_lint_wordlists / sizeof *rules_lint_wordlists;

/* A bare stem (a word pattern of at most this many letters) matching at
 * least this many words of one list is a likely false friend: "lege"
 * matches legemiddel and legende, "*lege" kolleger and privilegert. A
 * longer stem names its field (primærhelse, arbeidsmiljø): its many
 * compounds are what it is for. */
#define FALSE_FRIEND_LETTERS 5
#define FALSE_FRIEND_MIN 20
#define WORDLIST_MAX (64L * 1024 * 1024)
#define WORDLIST_CHUNK (1u << 20)
#define EXAMPLES 4

/* A rule's place with the column of its pattern, or of a byte of its
 * regex (off: offset in the /regex/ text, counted in characters). */
static const char *rule_place(const struct rule *ru, size_t off_chars, char *b, size_t n)
{
	snprintf(b, n, "%s:%u", ru->where, ru->col + (unsigned)off_chars);
	return b;
}

static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* The written /regex/ (between the slashes) of a rule, or NULL. */
static const char *written_regex(const struct rule *ru, size_t *n)
{
	if (!ru->text || ru->text[0] != '/')
		return NULL;
	const char *e = strrchr(ru->text, '/');
	if (!e || e == ru->text)
		return NULL;
	*n = (size_t)(e - ru->text - 1);
	return ru->text + 1;
}

/* An unbounded quantifier at re[i] (+, *, {n,}, lazy or possessive);
 * its length in *len. */
static int unbounded_at(const char *re, size_t n, size_t i, size_t *len)
{
	if (i >= n)
		return 0;
	if (re[i] == '+' || re[i] == '*') {
		*len = (i + 1 < n && (re[i + 1] == '?' || re[i + 1] == '+')) ? 2 : 1;
		return 1;
	}
	if (re[i] == '{') {
		size_t k = i + 1;
		while (k < n && re[k] >= '0' && re[k] <= '9')
			k++;
		if (k > i + 1 && k + 1 < n && re[k] == ',' && re[k + 1] == '}') {
			*len = k + 2 - i;
			return 1;
		}
	}
	return 0;
}

/* Any quantifier at re[i]: 1 unbounded, 2 optional (?, {0,m}), 3 bounded; 0 none. */
static int quant_at(const char *re, size_t n, size_t i, size_t *len)
{
	*len = 0;
	if (i >= n)
		return 0;
	if (unbounded_at(re, n, i, len))
		return 1;
	if (re[i] == '?') {
		*len = 1;
		return 2;
	}
	if (re[i] == '{') {
		const char *e = memchr(re + i, '}', n - i);
		if (e && re[i + 1] >= '0' && re[i + 1] <= '9') {
			*len = (size_t)(e - re - (long)i) + 1;
			return re[i + 1] == '0' ? 2 : 3;
		}
	}
	return 0;
}

/* Nested unbounded quantifiers: a group repeated without bound whose
 * branch is nothing but unbounded repeats (and optional parts), as in
 * (a+)+ or (\w+\s?)*: the ways to split a long run grow exponentially.
 * Returns the offset of the group's '(' or -1. */
static long nested_quantifier(const char *re, size_t n)
{
	struct g {
		size_t open;
		int unb;   /* this branch has an unbounded repeat */
		int fixed; /* this branch has a mandatory part that is not one */
		int bad;   /* some finished branch qualified */
		int look;  /* a lookaround or an option setting */
	} st[64];
	size_t depth = 0;
	struct g top = {0, 0, 0, 0, 0};
	struct g *cur = &top;
	for (size_t i = 0; i < n; i++) {
		size_t ql;
		char ch = re[i];
		if (ch == '\\' || ch == '[' || (ch != '(' && ch != ')' && ch != '|')) {
			/* one atom: an escape, a class or a character */
			size_t e = i;
			if (ch == '\\') {
				e = i + 1;
				if (e < n && (re[e] == 'p' || re[e] == 'P' || re[e] == 'x') && e + 1 < n && re[e + 1] == '{') {
					const char *c = memchr(re + e, '}', n - e);
					e = c ? (size_t)(c - re) : e;
				}
			} else if (ch == '[') {
				e = i + 1;
				if (e < n && re[e] == '^')
					e++;
				if (e < n && re[e] == ']')
					e++;
				while (e < n && re[e] != ']') {
					if (re[e] == '\\')
						e++;
					e++;
				}
			} else if (ch == '^' || ch == '$' || ch == '.' || ch == '+' || ch == '*' || ch == '?') {
				if (ch != '.')
					continue; /* anchors and stray quantifiers consume nothing */
			}
			int q = quant_at(re, n, e + 1, &ql);
			if (q == 1)
				cur->unb = 1;
			else if (q != 2 && !(ch == '\\' && e < n && (re[e] == 'b' || re[e] == 'B')))
				cur->fixed = 1;
			i = e + ql;
			continue;
		}
		if (ch == '|') {
			cur->bad |= cur->unb && !cur->fixed;
			cur->unb = cur->fixed = 0;
			continue;
		}
		if (ch == '(') {
			if (depth == sizeof st / sizeof *st)
				return -1;
			int look = i + 2 < n && re[i + 1] == '?' &&
				   (re[i + 2] == '=' || re[i + 2] == '!' || re[i + 2] == '<' || re[i + 2] == '#' ||
				    (re[i + 2] >= 'a' && re[i + 2] <= 'z') || re[i + 2] == '-' || re[i + 2] == ')');
			if (look && i + 3 < n && re[i + 2] == '<' && re[i + 3] != '=' && re[i + 3] != '!')
				look = 0; /* (?<name> is a group */
			if (look && ((re[i + 2] >= 'a' && re[i + 2] <= 'z') || re[i + 2] == '-')) {
				size_t k = i + 2; /* (?i) sets options, (?i:...) is a group */
				while (k < n && ((re[k] >= 'a' && re[k] <= 'z') || re[k] == '-'))
					k++;
				look = k < n && re[k] == ')';
			}
			st[depth] = (struct g){i, 0, 0, 0, look};
			cur = &st[depth++];
			continue;
		}
		/* ')' */
		if (!depth)
			continue;
		struct g done = st[--depth];
		cur = depth ? &st[depth - 1] : &top;
		int q = quant_at(re, n, i + 1, &ql);
		i += ql;
		if (done.look)
			continue; /* consumes nothing */
		int qual = done.bad || (done.unb && !done.fixed);
		if (q == 1 && qual)
			return (long)done.open;
		if (q == 1 || (qual && q != 2))
			cur->unb = 1;
		else if (q != 2)
			cur->fixed = 1;
	}
	return -1;
}

/* A regex that consumes nothing: only lookarounds, anchors and \b. */
static int empty_width_only(const char *re, size_t n)
{
	int depth = 0, look = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = re[i];
		if (ch == '\\') {
			if (i + 1 < n && !strchr("bBAzZG", re[i + 1]) && !depth)
				return 0;
			if (i + 1 < n && !strchr("bBAzZG", re[i + 1]) && !look)
				return 0;
			i++;
			continue;
		}
		if (ch == '(') {
			int is_look = i + 2 < n && re[i + 1] == '?' &&
				      (re[i + 2] == '=' || re[i + 2] == '!' ||
				       (re[i + 2] == '<' && i + 3 < n && (re[i + 3] == '=' || re[i + 3] == '!')));
			int is_set = i + 2 < n && re[i + 1] == '?' && !is_look && re[i + 2] != ':' &&
				     re[i + 2] != '<' && re[i + 2] != '>' && re[i + 2] != '|' && re[i + 2] != 'P';
			if (is_set) { /* (?i) and friends */
				while (i < n && re[i] != ')')
					i++;
				continue;
			}
			if (is_look && !look)
				look = depth + 1;
			depth++;
			continue;
		}
		if (ch == ')') {
			if (look == depth)
				look = 0;
			if (depth)
				depth--;
			continue;
		}
		if (look || ch == '^' || ch == '$' || ch == '|')
			continue;
		return 0;
	}
	return 1;
}

/* ---- false friends: the word lists ---------------------------------- */

#define WORDLISTS_MAX 8

struct wl_rule {
	size_t words;  /* distinct words matched in the list being read */
	size_t per_list[WORDLISTS_MAX];
	size_t total;
	size_t last;   /* the last word counted, +1 */
	size_t inside; /* matches that start inside a word */
	char *ex[EXAMPLES];
	size_t nex;
};

struct wl_scan {
	const struct rules *r;
	const char *text;
	const size_t *starts; /* word start offsets in text */
	size_t nwords;
	struct wl_rule *per;  /* per rule */
	size_t base;          /* word number of starts[0] in the whole list */
};

static int wl_hit(void *ctx, size_t k, size_t a, size_t b)
{
	(void)b;
	struct wl_scan *s = ctx;
	const struct rule *ru = &s->r->rv[k];
	if (ru->exclude || ru->ref >= 0 || ru->group >= 0 || ru->text[0] == '/' || ru->text[0] == '"' || ru->nwith ||
	    !ru->lit || chars(ru->lit, strlen(ru->lit)) > FALSE_FRIEND_LETTERS)
		return 0;
	/* the word holding a: the last start <= a */
	size_t lo = 0, hi = s->nwords;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->starts[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	struct wl_rule *w = &s->per[k];
	size_t word = s->base + lo + 1;
	if (w->last == word)
		return 0;
	w->last = word;
	w->words++;
	int inside = a > s->starts[lo];
	w->inside += (size_t)inside;
	/* Examples: a few inside-word hits (the surprising ones), then words
	 * sampled at the 1st, 2nd, 4th, 8th ... match, so they come from all
	 * over the list rather than the stem's first compounds. */
	w->total++;
	int pow2 = (w->total & (w->total - 1)) == 0;
	size_t slot = w->nex;
	if (inside && w->inside <= EXAMPLES / 2 && w->nex < EXAMPLES)
		slot = w->nex;
	else if (pow2 && w->nex < EXAMPLES)
		slot = w->nex;
	else if (pow2 && w->total > 2)
		slot = EXAMPLES / 2 + (w->total % 2); /* keep the inside-word ones */
	else
		return 0;
	const char *ws = s->text + s->starts[lo];
	const char *we = strchr(ws, '\n');
	size_t len = we ? (size_t)(we - ws) : strlen(ws);
	if (len >= 40)
		return 0;
	char *copy = strndup(ws, len);
	if (!copy)
		return 0;
	if (slot < w->nex)
		free(w->ex[slot]);
	else
		w->nex++;
	w->ex[slot] = copy;
	return 0;
}

/* Latin-1 to UTF-8 (the Swedish and Norwegian lists are Latin-1). */
static char *latin1_to_utf8(const char *s, size_t n)
{
	char *o = malloc(2 * n + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			*p++ = (char)c;
		} else {
			*p++ = (char)(0xC0 | (c >> 6));
			*p++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*p = '\0';
	return o;
}

/* Runs the rules over one list; 1 when it was read, 0 when absent. */
static int scan_wordlist(const struct rules *r, struct rules_matcher *m, const char *path,
			 struct wl_rule *per, struct err *err)
{
	size_t n;
	struct err e;
	char *data = fs_read_file(path, WORDLIST_MAX, &n, &e);
	if (!data)
		return 0;
	if (!utf8_valid(data, n)) {
		char *u = latin1_to_utf8(data, n);
		free(data);
		if (!(data = u))
			return err_set(err, "out of memory");
		n = strlen(data);
	}
	size_t *starts = malloc((WORDLIST_CHUNK / 2 + 2) * sizeof *starts);
	if (!starts) {
		free(data);
		return err_set(err, "out of memory");
	}
	for (size_t k = 0; k < r->nrules; k++)
		per[k].last = 0;
	int rc = 1;
	(void)per;
	size_t word = 0;
	for (size_t at = 0; at < n && rc > 0;) {
		/* a chunk of whole lines */
		size_t end = at + WORDLIST_CHUNK < n ? at + WORDLIST_CHUNK : n;
		while (end < n && data[end - 1] != '\n')
			end++;
		struct wl_scan s = {r, data + at, starts, 0, per, word};
		for (size_t i = at; i < end; i++)
			if ((i == at || data[i - 1] == '\n') && s.nwords < WORDLIST_CHUNK / 2 + 1)
				starts[s.nwords++] = i - at;
		if (s.nwords && rules_matcher_scan(m, FIELD_TITLE, data + at, end - at, wl_hit, &s) < 0)
			rc = err_set(err, "%s: matching failed", path);
		word += s.nwords;
		at = end;
	}
	free(starts);
	free(data);
	return rc;
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

/* Patterns: matching everyday words, nested quantifiers, empty width. */
static int lint_patterns(const struct rules *r, struct rules_matcher *m, rules_lint_fn cb, void *ctx)
{
	int n = 0;
	char place[512];
	(void)m;
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!ru->code)
			continue;
		size_t rl;
		const char *re = written_regex(ru, &rl);
		long at = re ? nested_quantifier(re, rl) : -1;
		if (at >= 0)
			n += lint_emit(cb, ctx, LINT_WARNING, rule_place(ru, 1 + chars(re, (size_t)at), place, sizeof place),
				       "%s: a repeated group of repeats (as in (a+)+) can take PCRE2 "
				       "exponential time on a long item; its limit then makes the rule "
				       "count as no match. Repeat only one level, e.g. (a+) or (?:ab+)+",
				       ru->text);
		if (re && empty_width_only(re, rl))
			n += lint_emit(cb, ctx, LINT_WARNING, rule_place(ru, 0, place, sizeof place),
				       "%s matches only a place, no text (a lookaround or \\b alone), so it "
				       "never counts: put the word itself outside the (?=...)",
				       ru->text);
	}
	/* patterns that match everyday words */
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		if (!ru->code)
			continue;
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		if (!md)
			return n;
		size_t nh = 0;
		const char *ex[3] = {0};
		for (size_t w = 0; w < EVERYDAY_N; w++) {
			int rc = pcre2_match(ru->code, (PCRE2_SPTR)everyday[w], strlen(everyday[w]), 0, 0, md, NULL);
			if (rc >= 0 && nh < 3)
				ex[nh] = everyday[w];
			nh += rc >= 0;
		}
		pcre2_match_data_free(md);
		if (nh * 100 >= NEARLY_ALL_WORDS_PCT * EVERYDAY_N)
			n += lint_emit(cb, ctx, LINT_WARNING, rule_place(ru, 0, place, sizeof place),
				       "%s matches nearly everything: %zu of %zu everyday words (%s, %s, %s ...)",
				       ru->text, nh, EVERYDAY_N, ex[0], ex[1], ex[2]);
	}
	return n;
}

/* False friends: word patterns that match many words of a word list. */
static int lint_wordlists(const struct rules *r, struct rules_matcher *m, const struct rules_lint_opts *o,
			  rules_lint_fn cb, void *ctx, size_t *used, struct err *err)
{
	const char *const *lists = o->wordlists ? o->wordlists : rules_lint_wordlists;
	size_t nl = o->wordlists ? o->nwordlists : rules_lint_nwordlists;
	struct wl_rule *per = calloc(r->nrules + 1, sizeof *per);
	if (!per)
		return err_set(err, "out of memory");
	int n = 0;
	char place[512];
	if (nl > WORDLISTS_MAX)
		nl = WORDLISTS_MAX;
	const char *name[WORDLISTS_MAX];
	size_t read[WORDLISTS_MAX], nread = 0;
	for (size_t l = 0; l < nl; l++) {
		for (size_t k = 0; k < r->nrules; k++)
			per[k].words = 0;
		int rc = scan_wordlist(r, m, lists[l], per, err);
		if (rc < 0) {
			n = -1;
			break;
		}
		if (!rc)
			continue;
		name[nread] = strrchr(lists[l], '/') ? strrchr(lists[l], '/') + 1 : lists[l];
		read[nread] = l;
		for (size_t k = 0; k < r->nrules; k++)
			per[k].per_list[nread] = per[k].words;
		nread++;
	}
	*used = nread;
	for (size_t k = 0; n >= 0 && k < r->nrules; k++) {
		const struct wl_rule *w = &per[k];
		size_t most = 0;
		for (size_t l = 0; l < nread; l++)
			most = w->per_list[l] > most ? w->per_list[l] : most;
		if (most < FALSE_FRIEND_MIN)
			continue;
		char counts[256] = "", ex[256] = "";
		for (size_t l = 0; l < nread; l++) {
			size_t len = strlen(counts);
			if (w->per_list[l])
				snprintf(counts + len, sizeof counts - len, "%s%zu %s", len ? ", " : "", w->per_list[l], name[l]);
		}
		for (size_t e = 0; e < w->nex; e++) {
			size_t len = strlen(ex);
			snprintf(ex + len, sizeof ex - len, "%s%s", e ? ", " : "", w->ex[e]);
		}
		n += lint_emit(cb, ctx, LINT_WARNING, rule_place(&r->rv[k], 0, place, sizeof place),
			       "%s may be a false friend: a short stem, it matches many everyday words "
			       "(%s in the word lists%s), e.g. %s. Write a longer stem, a \"whole word\", "
			       "or give it context with [with NAME]",
			       r->rv[k].text, counts, w->inside ? ", some inside another word" : "", ex);
	}
	(void)read;
	for (size_t k = 0; k < r->nrules; k++)
		for (size_t e = 0; e < per[k].nex; e++)
			free(per[k].ex[e]);
	free(per);
	return n;
}

int rules_lint(const struct rules *r, const struct rules_lint_opts *o, rules_lint_fn cb, void *ctx,
	       size_t *nlists_used, struct err *err)
{
	static const struct rules_lint_opts none = {0};
	if (!o)
		o = &none;
	size_t lists_used = 0;
	struct rules_matcher *m = rules_matcher_new(r);
	if (!m)
		return err_set(err, "out of memory");
	int n = lint_patterns(r, m, cb, ctx);
	if (!o->no_wordlists) {
		int w = lint_wordlists(r, m, o, cb, ctx, &lists_used, err);
		if (w < 0) {
			rules_matcher_free(m);
			return -1;
		}
		n += w;
	}
	rules_matcher_free(m);
	if (nlists_used)
		*nlists_used = lists_used;
	/* duplicates within one topic or group (or among the global excludes) */
	for (size_t k = 0; k < r->nrules; k++) {
		const struct rule *a = &r->rv[k];
		for (size_t j = 0; j < k; j++) {
			const struct rule *b = &r->rv[j];
			if (a->topic != b->topic || a->group != b->group || a->exclude != b->exclude ||
			    a->ref != b->ref || a->fields != b->fields || a->caseless != b->caseless ||
			    a->nwith != b->nwith || !same_from(a, b))
				continue;
			if ((a->regex && b->regex && !strcmp(a->regex, b->regex)) ||
			    (a->ref >= 0 && a->ref == b->ref)) {
				n += lint_emit(cb, ctx, LINT_WARNING, a->where, "%s repeats %s (%s): remove one",
					       a->text, b->where, b->text);
				break;
			}
		}
	}
	/* groups without words */
	for (size_t g = 0; g < r->ngroups; g++) {
		size_t words = 0;
		for (size_t k = 0; k < r->nrules; k++)
			words += r->rv[k].group == (long)g;
		if (!words)
			n += lint_emit(cb, ctx, LINT_WARNING, r->gv[g].where,
				       "group %s has no words: a rule [with %s] can never count", r->gv[g].id,
				       r->gv[g].id);
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
			n += lint_emit(cb, ctx, LINT_WARNING, tp->where,
				       "topic %s has no include: no item can ever be put under it", tp->id);
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
	for (size_t k = 0; o->sources && k < r->nrules; k++) {
		const struct rule *ru = &r->rv[k];
		for (size_t i = 0; i < ru->nfrom; i++) {
			size_t j = 0;
			while (j < o->nsources && strcmp(o->sources[j], ru->from[i]))
				j++;
			if (j == o->nsources)
				n += lint_emit(cb, ctx, LINT_WARNING, ru->where,
					       "%s: [from %s] names no configured source, so it never applies",
					       ru->text, ru->from[i]);
		}
	}
	/* the items: excludes that never fire, patterns that fire on most */
	const struct item_list *items = o->items;
	if (!items || !items->n || !r->nrules)
		return n;
	size_t *hits = calloc(r->nrules, sizeof *hits);
	char *seen = calloc(r->nrules, 1);
	struct rules_matcher *mm = rules_matcher_new(r);
	if (!hits || !seen || !mm) {
		free(hits);
		free(seen);
		rules_matcher_free(mm);
		return err_set(err, "out of memory");
	}
	for (size_t i = 0; i < items->n; i++) {
		struct match mt;
		if (rules_matcher_match(mm, &items->v[i], &mt, err) < 0) {
			free(hits);
			free(seen);
			rules_matcher_free(mm);
			return -1;
		}
		memset(seen, 0, r->nrules);
		for (size_t t = 0; t < mt.nterms; t++)
			if (!seen[mt.terms[t].rule_index]++)
				hits[mt.terms[t].rule_index]++;
		match_free(&mt);
	}
	rules_matcher_free(mm);
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
