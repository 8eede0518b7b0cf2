/* The matcher: one item against a loaded rules set.
 *
 * Each field the rules read is NFC-composed when it needs it (nfc.h),
 * then searched: literal rules through the index (litindex.h), confirmed
 * by an anchored PCRE2 match; other rules as patterns. Per rule and
 * field, matches are kept left to right without overlaps, as a plain
 * search gives them. Then:
 *   - a rule that hit PCRE2's match or depth limit anywhere in the item
 *     counts as not matching at all (and is reported, never an abort);
 *   - a rule with [with NAME] scores only when a word of NAME matched
 *     elsewhere in the item;
 *   - each topic's own score is the sum of its words (a word counts once
 *     per field), and a topic that borrows (@ID) adds its share of the
 *     lender's own score;
 *   - the item is selected when some topic reaches its threshold without
 *     a veto, and goes under the qualifying topic chosen as enum
 *     topic_why says. */
#include "select/ruleset.h"

#include <stdint.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "select/litindex.h"
#include "select/nfc.h"

#define MATCH_MAX_TERMS 2000

struct hit {
	size_t rule, a, b;
};

struct rules_matcher {
	const struct rules *r;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct buf folded;   /* the field, case-folded, for the index */
	struct buf nfc;      /* the field, composed, when it needed it */
	struct nfc_map map;  /* composed offsets to the field's own */
	struct hit *hits;    /* of the current field */
	size_t nhits, caphits;
	size_t *limit_hits;  /* per rule: items it hit PCRE2's limit on */
	char *limited;       /* per rule: on this item */
	size_t nlimited;
	/* The match being built keeps its terms here, their texts pointing
	 * into the item's fields; match_finish gives it a copy of its own. */
	struct match_term *terms;
	size_t capterms;
	size_t *mine;        /* apply_context's scratch: capterms entries */
	struct buf cats;     /* the item's categories, one a line */
	char *state;         /* and one a rule */
	/* the field being searched, for the index callback */
	const char *text;
	size_t len;
	enum match_field field;
	const char *source;
	int failed;          /* a PCRE2 error that is not a limit */
	int failrc;
	size_t failrule;
};

struct rules_matcher *rules_matcher_new(const struct rules *r)
{
	struct rules_matcher *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->r = r;
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->limit_hits = calloc(r->nrules + 1, sizeof *m->limit_hits);
	m->limited = calloc(r->nrules + 1, 1);
	m->state = calloc(r->nrules + 1, 1);
	if (!m->md || !m->mctx || !m->limit_hits || !m->limited || !m->state) {
		rules_matcher_free(m);
		return NULL;
	}
	pcre2_set_match_limit(m->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, RULES_DEPTH_LIMIT);
	return m;
}

void rules_matcher_free(struct rules_matcher *m)
{
	if (!m)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	buf_free(&m->folded);
	buf_free(&m->nfc);
	buf_free(&m->cats);
	free(m->map.at);
	free(m->hits);
	free(m->limit_hits);
	free(m->limited);
	free(m->terms);
	free(m->mine);
	free(m->state);
	free(m);
}

size_t rules_matcher_limit_hits(const struct rules_matcher *m, size_t k)
{
	return m && k < m->r->nrules ? m->limit_hits[k] : 0;
}

void match_free(struct match *m)
{
	if (!m)
		return;
	free(m->terms); /* and their texts, in the same block */
	free(m->scores); /* and own, topic_vetoed */
	free(m->limited);
	memset(m, 0, sizeof *m);
	m->topic = -1;
}

int match_qualifies(const struct rules *r, const struct match *m, size_t t)
{
	return t < m->ntopics && !m->global_veto && !m->topic_vetoed[t] &&
	       m->scores[t] >= rules_threshold(r, (long)t);
}

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

static int add_term(struct rules_matcher *mt, struct match *m, size_t k, enum match_field f,
		    const char *text, size_t a, size_t b)
{
	const struct rule *ru = &mt->r->rv[k];
	double w = ru->exclude ? 0 : ru->weight * mt->r->fieldw[f];
	int repeat = 0;
	for (size_t i = 0; w > 0 && i < m->nterms; i++) {
		const struct match_term *t = &m->terms[i];
		if (t->rule_index == k && t->field == f &&
		    fold_eq(t->text, t->end - t->start, text + a, b - a)) {
			repeat = 1; /* listed for highlighting, not scored */
			w = 0;
		}
	}
	if (m->nterms >= MATCH_MAX_TERMS)
		return 0; /* bounded: hostile text cannot grow this without limit */
	if (m->nterms == mt->capterms) {
		size_t cap = mt->capterms ? mt->capterms * 2 : 64;
		struct match_term *v = realloc(mt->terms, cap * sizeof *v);
		size_t *mine = realloc(mt->mine, (cap + 1) * sizeof *mine);
		if (v)
			mt->terms = m->terms = v;
		if (mine)
			mt->mine = mine;
		if (!v || !mine)
			return -1;
		mt->capterms = cap;
	}
	struct match_term *t = &m->terms[m->nterms];
	memset(t, 0, sizeof *t);
	t->text = (char *)(uintptr_t)(text + a); /* the field's: match_finish copies it */
	m->nterms++;
	t->field = f;
	t->start = a;
	t->end = b;
	t->weight = w;
	t->repeat = repeat;
	t->topic = ru->topic;
	t->exclude = ru->exclude;
	t->rule = ru->text;
	t->where = ru->where;
	t->rule_index = k;
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

static int hit_cmp(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return a->a < b->a ? -1 : a->a > b->a;
}

static int hit_push(struct rules_matcher *mt, size_t rule, size_t a, size_t b)
{
	if (mt->nhits == mt->caphits) {
		size_t cap = mt->caphits ? mt->caphits * 2 : 64;
		struct hit *v = realloc(mt->hits, cap * sizeof *v);
		if (!v)
			return -1;
		mt->hits = v;
		mt->caphits = cap;
	}
	mt->hits[mt->nhits++] = (struct hit){rule, a, b};
	return 0;
}

static int usable(const struct rules_matcher *mt, const struct rule *ru, size_t k)
{
	return ru->code && (ru->fields & (1u << mt->field)) && from_source(ru, mt->source) &&
	       !mt->limited[k];
}

/* A PCRE2 result other than a match: 0 for no match (a limit hit marks the
 * rule), -1 for any other error (remembered for the caller's message). */
static int match_failed(struct rules_matcher *mt, size_t k, int rc)
{
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		if (!mt->limited[k]) {
			mt->limited[k] = 1;
			mt->nlimited++;
		}
		return 0;
	}
	mt->failed = 1;
	mt->failrc = rc;
	mt->failrule = k;
	return -1;
}

/* The index's candidate: confirmed by the rule's anchored pattern. */
static int confirm(void *ctx, uint32_t k, size_t at)
{
	struct rules_matcher *mt = ctx;
	const struct rule *ru = &mt->r->rv[k];
	if (!usable(mt, ru, k))
		return 0;
	int rc = pcre2_match(ru->acode, (PCRE2_SPTR)mt->text, mt->len, at, 0, mt->md, mt->mctx);
	if (rc < 0)
		return match_failed(mt, k, rc);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mt->md);
	if (ov[1] > ov[0] && ov[1] <= mt->len && hit_push(mt, k, ov[0], ov[1]) < 0)
		return -1;
	return 0;
}

/* Every match of every usable rule in text[0..len), into mt->hits, sorted
 * by rule and position. Returns 0 or -1 (out of memory, PCRE2 error). */
static int search(struct rules_matcher *mt, const char *text, size_t len)
{
	const struct rules *r = mt->r;
	mt->nhits = 0;
	mt->text = text;
	mt->len = len;
	int indexed = r->index != NULL && !r->no_index;
	if (!r->scan_all) { /* out of memory at load: nothing to run */
		indexed = 0;
	}
	if (indexed) {
		buf_reset(&mt->folded);
		if (buf_reserve(&mt->folded, len + 1) < 0)
			return -1;
		indexed = lit_fold(text, len, mt->folded.data) == 0;
	}
	/* the rules the index does not find (all of them without one) */
	const size_t *scan = indexed ? r->scan : r->scan_all;
	size_t nscan = indexed ? r->nscan : r->nscan_all;
	for (size_t i = 0; i < nscan; i++) {
		size_t k = scan[i];
		const struct rule *ru = &r->rv[k];
		if (!usable(mt, ru, k))
			continue;
		size_t off = 0;
		while (off <= len) {
			int rc = pcre2_match(ru->code, (PCRE2_SPTR)text, len, off, 0, mt->md, mt->mctx);
			if (rc < 0) {
				if (match_failed(mt, k, rc) < 0)
					return -1;
				break;
			}
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mt->md);
			size_t a = ov[0], b = ov[1];
			if (b <= a || b > len) {
				/* An empty match (a lookaround alone): it never
				 * counts; step over one character. */
				off = (b > off ? b : off) + 1;
				while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
					off++;
				continue;
			}
			if (hit_push(mt, k, a, b) < 0)
				return -1;
			off = b;
		}
	}
	if (indexed && lit_index_walk(r->index, (const unsigned char *)mt->folded.data, len, confirm, mt))
		return -1;
	if (mt->nhits > 1)
		qsort(mt->hits, mt->nhits, sizeof *mt->hits, hit_cmp);
	return 0;
}

/* The hits of the last search, rule by rule, left to right, without
 * overlaps: the order and the matches a plain search of each pattern
 * gives. */
static int each_kept(struct rules_matcher *mt, int (*fn)(void *ctx, size_t rule, size_t a, size_t b),
		     void *ctx)
{
	const struct hit *kept = NULL;
	for (size_t i = 0; i < mt->nhits; i++) {
		const struct hit *h = &mt->hits[i];
		if (kept && kept->rule == h->rule && h->a < kept->b)
			continue;
		kept = h;
		int rc = fn(ctx, h->rule, h->a, h->b);
		if (rc)
			return rc;
	}
	return 0;
}

int rules_matcher_scan(struct rules_matcher *mt, enum match_field f, const char *text, size_t len,
		       int (*fn)(void *ctx, size_t rule, size_t a, size_t b), void *ctx)
{
	mt->field = f;
	mt->source = NULL;
	mt->failed = 0;
	if (search(mt, text, len) < 0)
		return -1;
	return each_kept(mt, fn, ctx);
}

struct field_terms {
	struct rules_matcher *mt;
	struct match *m;
	const char *text;  /* the field as the item has it */
	int composed;      /* matched in its NFC form: map the offsets back */
};

static int field_term(void *ctx, size_t rule, size_t a, size_t b)
{
	struct field_terms *ft = ctx;
	if (ft->composed) {
		a = ft->mt->map.at[a];
		b = ft->mt->map.at[b];
	}
	return add_term(ft->mt, ft->m, rule, ft->mt->field, ft->text, a, b);
}

static int match_one_field(struct rules_matcher *mt, struct match *m, enum match_field f,
			   const char *text)
{
	size_t len = strlen(text);
	mt->field = f;
	struct field_terms ft = {mt, m, text, nfc_needed(text, len)};
	const char *subject = text;
	size_t slen = len;
	if (ft.composed) {
		if (nfc_compose(text, len, &mt->nfc, &mt->map) < 0)
			return -1;
		subject = mt->nfc.data;
		slen = mt->nfc.len;
	}
	if (search(mt, subject, slen) < 0)
		return -1;
	return each_kept(mt, field_term, &ft);
}

static int overlaps(const struct match_term *x, const struct match_term *y)
{
	return x->field == y->field && x->start < y->end && y->start < x->end;
}

/* Does the item have a word of one of rule k's contexts at a place that
 * none of k's own matches covers? mine[] is scratch for k's terms. */
static int has_context(const struct rules *r, const struct match *m, size_t k, size_t *mine)
{
	const struct rule *ru = &r->rv[k];
	size_t nmine = 0;
	for (size_t i = 0; i < m->nterms; i++)
		if (m->terms[i].rule_index == k)
			mine[nmine++] = i;
	for (size_t i = 0; i < m->nterms; i++) {
		const struct match_term *c = &m->terms[i];
		if (c->rule_index == k)
			continue;
		int member = 0;
		for (size_t w = 0; w < ru->nwith && !member; w++)
			member = rules_in_context(r, &r->rv[c->rule_index], &ru->with[w]);
		if (!member)
			continue;
		int covered = 0;
		for (size_t j = 0; j < nmine && !covered; j++)
			covered = overlaps(c, &m->terms[mine[j]]);
		if (!covered)
			return 1;
	}
	return 0;
}

/* Words whose [with] context is missing are listed but score nothing.
 * Each rule is decided once per item. */
static void apply_context(struct rules_matcher *mt, struct match *m)
{
	const struct rules *r = mt->r;
	size_t *mine = mt->mine;
	char *state = mt->state; /* 0 unknown, 1 has it, 2 not */
	memset(state, 0, r->nrules);
	for (size_t i = 0; i < m->nterms; i++) {
		struct match_term *t = &m->terms[i];
		size_t k = t->rule_index;
		if (t->exclude || !r->rv[k].nwith)
			continue;
		if (!state[k])
			state[k] = has_context(r, m, k, mine) ? 1 : 2;
		if (state[k] == 2) {
			t->no_context = 1;
			t->weight = 0;
		}
	}
}

/* Marks the title's words that only begin a compound whose last part is
 * a word of another topic. Nordic compounds are said by their last part:
 * a "legevaktkonferanse" is a conference, so legevakt there does not put
 * jour in the headline. A dash inside the word keeps it one compound. A
 * word that runs into the last part (vinterkurs beside kurset) is the
 * whole compound, not its first part. A weak last part (weighing 1.25 or
 * less, a word that never decides alone: "ALIS-avtaler") does not take
 * the headline from the first. */
static void mark_modifiers(const struct rules *r, struct match *m, const char *title)
{
	for (size_t i = 0; title && i < m->nterms; i++) {
		struct match_term *t = &m->terms[i];
		if (t->field != FIELD_TITLE || t->exclude || t->topic < 0 || t->weight <= 0)
			continue;
		for (size_t j = 0; j < m->nterms && !t->modifier; j++) {
			const struct match_term *u = &m->terms[j];
			if (u->field != FIELD_TITLE || u->exclude || u->topic < 0 || u->weight <= 0 ||
			    u->topic == t->topic || u->start < t->end ||
			    r->rv[u->rule_index].weight <= RULES_WEAK_WEIGHT)
				continue;
			int one_word = 1;
			for (size_t k = t->start; k < u->start && one_word; k++) {
				unsigned char c = (unsigned char)title[k];
				one_word = c >= 0x80 || c == '-' || isalnum(c);
			}
			t->modifier = one_word;
		}
	}
}

/* Among the qualifying topics, the one the item goes under:
 *   1. only topics with words of their own compete (a topic that
 *      qualifies through borrowing alone says nothing about the item);
 *   2. a topic beats the topic it borrows from (it is the more specific),
 *      when it has words of its own in the title, or two different words
 *      of its own further down that reach its threshold without the
 *      borrowed share; less than that is a mention in passing, not the
 *      subject, and the lender keeps the item;
 *   3. a topic with words of its own in the title beats those found only
 *      further down (a headline says what the news is about); a word that
 *      only begins a compound ending in another topic's word does not
 *      count as in the title (see mark_modifiers());
 *   4. a topic marked "headline wins" with its own words in the title
 *      takes the item from the others (a meeting's report is a meeting's,
 *      whatever the meeting discussed);
 *   5. the most own score; 6. the earlier in the file. */
static void choose_topic(const struct rules *r, struct match *m)
{
	size_t n = m->ntopics, nq = 0, nown = 0;
	char cand[RULES_MAX_TOPICS], titled[RULES_MAX_TOPICS], words[RULES_MAX_TOPICS];
	memset(titled, 0, n);
	memset(words, 0, n);
	for (size_t i = 0; i < m->nterms; i++) {
		const struct match_term *t = &m->terms[i];
		if (t->exclude || t->topic < 0 || t->weight <= 0)
			continue;
		titled[t->topic] |= t->field == FIELD_TITLE && !t->modifier &&
				   r->rv[t->rule_index].weight > RULES_HINT_WEIGHT;
		/* distinct words: a rule counts once, however often it matched */
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = m->terms[j].rule_index == t->rule_index && m->terms[j].weight > 0;
		if (!seen && words[t->topic] < 2)
			words[t->topic]++;
	}
	for (size_t t = 0; t < n; t++) {
		cand[t] = (char)match_qualifies(r, m, t);
		nq += cand[t] != 0;
		nown += cand[t] && m->own[t] > 0;
	}
	if (!nq) {
		m->why = WHY_NONE;
		return;
	}
	if (nown < nq && nown > 0)
		for (size_t t = 0; t < n; t++)
			cand[t] = cand[t] && m->own[t] > 0;
	size_t ncand = nown ? nown : nq, left = ncand;
	/* a lender loses to a qualifying topic that borrows from it and says
	 * more than a mention in passing (see above); such a mention loses
	 * to the lender */
	int passing = 0;
	for (size_t t = 0; t < n; t++) {
		if (!cand[t])
			continue;
		for (size_t u = 0; u < n; u++) {
			if (!cand[u] || u == t || r->tv[u].lender != (long)t)
				continue;
			if (titled[u] || (words[u] >= 2 && m->own[u] >= rules_threshold(r, (long)u))) {
				cand[t] = 2; /* out, decided below */
				break;
			}
			cand[u] = 3;
		}
	}
	for (size_t t = 0; t < n; t++) {
		if (cand[t] == 3 && (r->tv[t].lender < 0 || cand[r->tv[t].lender] == 1)) {
			cand[t] = 0; /* its lender stays: out */
			left--;
			passing = 1;
		} else if (cand[t] == 3) {
			cand[t] = 1;
		}
	}
	for (size_t t = 0; t < n; t++)
		if (cand[t] == 2) {
			cand[t] = 0;
			left--;
		}
	size_t ntitled = 0;
	for (size_t t = 0; t < n; t++)
		ntitled += cand[t] && titled[t];
	size_t after_title = left;
	if (ntitled && ntitled < left) {
		for (size_t t = 0; t < n; t++)
			cand[t] = cand[t] && titled[t];
		after_title = ntitled;
	}
	size_t nheadline = 0;
	for (size_t t = 0; t < n; t++)
		nheadline += cand[t] && titled[t] && r->tv[t].headline_wins;
	int by_headline = nheadline && nheadline < after_title;
	if (by_headline) {
		for (size_t t = 0; t < n; t++)
			cand[t] = cand[t] && titled[t] && r->tv[t].headline_wins;
		after_title = nheadline;
	}
	long best = -1;
	int tie = 0;
	for (size_t t = 0; t < n; t++) {
		if (!cand[t])
			continue;
		if (best < 0 || m->own[t] > m->own[best]) {
			best = (long)t;
			tie = 0;
		} else if (m->own[t] == m->own[best]) {
			tie = 1;
		}
	}
	m->topic = best;
	m->why = ncand == 1 ? WHY_ONLY : left == 1 ? (passing ? WHY_PASSING : WHY_SPECIFIC)
		 : by_headline && after_title == 1 ? WHY_HEADLINE
		 : after_title == 1 ? WHY_TITLE : tie ? WHY_TIE : WHY_OWN;
}

/* Two rules of one topic that match the same words (legevakt and
 * -legevakt in "legevakta") count once: the heavier. */
static void one_per_place(struct match *m)
{
	for (size_t i = 0; i < m->nterms; i++) {
		struct match_term *a = &m->terms[i];
		if (a->exclude || a->topic < 0 || a->weight <= 0)
			continue;
		for (size_t j = i + 1; j < m->nterms; j++) {
			struct match_term *b = &m->terms[j];
			if (b->topic != a->topic || b->exclude || b->weight <= 0 || !overlaps(a, b))
				continue;
			struct match_term *lose = b->weight > a->weight ? a : b;
			lose->weight = 0;
			lose->repeat = 1;
			if (lose == a)
				break;
		}
	}
}

static void decide(const struct rules *r, struct match *m)
{
	size_t n = m->ntopics;
	one_per_place(m);
	/* own words, after context */
	for (size_t i = 0; i < m->nterms; i++) {
		const struct match_term *t = &m->terms[i];
		if (t->exclude) {
			if (t->topic < 0)
				m->global_veto = 1;
			else
				m->topic_vetoed[t->topic] = 1;
		} else if (t->topic >= 0) {
			m->own[t->topic] += t->weight;
		}
	}
	for (size_t t = 0; t < n; t++)
		m->own[t] = rules_round(r, m->own[t]);
	/* Borrowed scores come from the lender's own terms only, so the order
	 * of topics does not matter and nothing chains. */
	memcpy(m->scores, m->own, n * sizeof *m->scores);
	size_t nk = r->refs ? r->nrefs : r->nrules;
	for (size_t i = 0; i < nk; i++) {
		const struct rule *ru = &r->rv[r->refs ? r->refs[i] : i];
		if (ru->ref >= 0)
			m->scores[ru->topic] += ru->weight * m->own[ru->ref];
	}
	int reached = 0;
	for (size_t t = 0; t < n; t++) {
		m->scores[t] = rules_round(r, m->scores[t]);
		reached |= m->scores[t] >= rules_threshold(r, (long)t);
	}
	choose_topic(r, m);
	m->selected = m->why != WHY_NONE;
	m->vetoed = !m->selected && reached;
	if (!m->selected) {
		/* for near misses: the best score; not vetoed beats vetoed */
		long best = -1;
		for (size_t t = 0; t < n; t++) {
			if (m->scores[t] <= 0)
				continue;
			if (best < 0 || m->scores[t] > m->scores[best] ||
			    (m->scores[t] == m->scores[best] && m->topic_vetoed[best] &&
			     !m->topic_vetoed[t]))
				best = (long)t;
		}
		m->topic = best;
	}
	m->score = m->topic >= 0 ? m->scores[m->topic] : 0;
	m->threshold = rules_threshold(r, m->topic);
}

/* The terms move from the matcher's scratch into one block of the
 * match's own, their texts (still pointing into the item's fields) copied
 * after them. Returns 0 or -1. */
static int match_finish(struct match *m)
{
	size_t n = m->nterms, bytes = n * sizeof *m->terms;
	for (size_t i = 0; i < n; i++)
		bytes += m->terms[i].end - m->terms[i].start + 1;
	struct match_term *v = n ? malloc(bytes) : NULL;
	if (!v) { /* no terms, or no memory */
		m->terms = NULL;
		m->nterms = 0;
		return n ? -1 : 0;
	}
	char *at = (char *)(v + n);
	for (size_t i = 0; i < n; i++) {
		size_t len = m->terms[i].end - m->terms[i].start;
		v[i] = m->terms[i];
		memcpy(at, m->terms[i].text, len);
		at[len] = '\0';
		v[i].text = at;
		at += len + 1;
	}
	m->terms = v;
	return 0;
}

int rules_matcher_match(struct rules_matcher *mt, const struct item *it, struct match *out,
			struct err *err)
{
	const struct rules *r = mt->r;
	memset(out, 0, sizeof *out);
	out->topic = -1;
	if (!it)
		return err_set(err, "rules_match: no item");
	const char *itemname = it->key ? it->key : (it->url ? it->url : "item");
	size_t nt = r->ntopics;
	out->ntopics = nt;
	/* scores, own and topic_vetoed in one block (match_free frees scores) */
	out->scores = calloc(1, 2 * (nt + 1) * sizeof *out->scores + nt + 1);
	if (!out->scores)
		return err_set(err, "%s: out of memory", itemname);
	out->own = out->scores + nt + 1;
	out->topic_vetoed = (char *)(out->own + nt + 1);
	out->terms = mt->terms; /* until match_finish */
	mt->source = it->source;
	mt->failed = 0;
	if (mt->nlimited) {
		memset(mt->limited, 0, r->nrules);
		mt->nlimited = 0;
	}
	struct buf *cats = &mt->cats;
	buf_reset(cats);
	int rc = 0;
	/* Only the fields some rule reads; the joined categories only then. */
	unsigned used = r->fields_used;
	for (size_t i = 0; (used & (1u << FIELD_CATEGORIES)) && i < it->ncategories; i++)
		if ((i && buf_putc(cats, '\n') < 0) || buf_puts(cats, it->categories[i]) < 0)
			goto oom;
	const char *text[FIELD_COUNT_] = {it->title, it->summary, it->content,
					  cats->len ? cats->data : NULL, it->url, it->source};
	for (int f = 0; f < FIELD_COUNT_; f++) {
		if (!text[f] || !(used & (1u << f)) || r->fieldw[f] <= 0)
			continue;
		if (match_one_field(mt, out, (enum match_field)f, text[f]) < 0) {
			if (!mt->failed)
				goto oom;
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(mt->failrc, msg, sizeof msg);
			const struct rule *ru = &r->rv[mt->failrule];
			rc = err_set(err, "%s: %s: rule %s (%s): %s", itemname, match_field_name((enum match_field)f),
				     ru->where, ru->text, (const char *)msg);
			goto fail;
		}
	}
	if (mt->nlimited) {
		/* a rule that hit the limit anywhere does not count at all */
		size_t keep = 0;
		for (size_t i = 0; i < out->nterms; i++)
			if (!mt->limited[out->terms[i].rule_index])
				out->terms[keep++] = out->terms[i];
		out->nterms = keep;
		if (!(out->limited = calloc(mt->nlimited, sizeof *out->limited)))
			goto oom;
		for (size_t k = 0; k < r->nrules; k++)
			if (mt->limited[k]) {
				out->limited[out->nlimited++] = k;
				mt->limit_hits[k]++;
			}
	}
	if (match_finish(out) < 0)
		goto oom;
	if (r->has_context)
		apply_context(mt, out);
	mark_modifiers(r, out, it->title);
	decide(r, out);
	return 0;
oom:
	rc = err_set(err, "%s: out of memory", itemname);
fail:
	if (out->terms == mt->terms) { /* not the match's own yet */
		out->terms = NULL;
		out->nterms = 0;
	}
	match_free(out);
	return rc;
}

int rules_match(const struct rules *r, const struct item *it, struct match *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	out->topic = -1;
	if (!r)
		return err_set(err, "rules_match: no rules");
	struct rules_matcher *m = rules_matcher_new(r);
	if (!m)
		return err_set(err, "out of memory");
	int rc = rules_matcher_match(m, it, out, err);
	rules_matcher_free(m);
	return rc;
}
