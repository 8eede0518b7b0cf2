/* The selection engine (issues 14, 15, 16): monotonic selection as a
 * property test, topic choice, NFC, word endings, context words, PCRE2
 * limits that count as no match, every load error, lint of risky
 * regexes and false friends, and matchers sharing one set across threads. */
#include "test_rules.h"

#include <pthread.h>
#include <unistd.h>

#include "select/rules.h"

#define SHIPPED "feeds/primarvard.rules"

static void run(struct rules_matcher *mt, const char *title, const char *summary, struct match *m)
{
	struct item it = {0};
	it.title = (char *)title;
	it.summary = (char *)summary;
	struct err e = {{0}};
	if (rules_matcher_match(mt, &it, m, &e) != 0)
		fail_msg("%s", e.msg);
}

static size_t excludes(const struct match *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nterms; i++)
		n += m->terms[i].exclude != 0;
	return n;
}

/* A small deterministic generator: the same cases on every run. */
static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static size_t rnd(size_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (size_t)(rng_state % n);
}

/* The words a rule is written with, as text an item could hold: a stem
 * or word without its marks; regexes are left out (no text of their own). */
static char *rule_word(const struct rule_info *in)
{
	const char *t = in->text;
	if (!t || t[0] == '/' || t[0] == '@')
		return NULL;
	size_t n = strlen(t);
	if (t[0] == '"') {
		const char *q = strrchr(t, '"');
		return q > t ? strndup(t + 1, (size_t)(q - t - 1)) : NULL;
	}
	if (t[0] == '*' || t[0] == '-')
		t++, n--;
	if (n && t[n - 1] == '*')
		n--;
	return n ? strndup(t, n) : NULL;
}

static const char *const filler[] = {"och", "i", "kommunen", "har", "ny", "rapport", "og",
				     "med", "för", "til", "året", "hos", "på", "patienter",
				     "region", "staden", "vil", "ska", "ein", "den"};
#define NFILLER (sizeof filler / sizeof *filler)

/* Property (issue 16): more text never deselects an item, unless it
 * brings an exclude. Items are random mixes of the shipped rules' own
 * words (include and context words) and everyday words, plus the corpus
 * items when ../shared is there; the appended text is random rule words
 * too. The number of cases is printed. */
static void test_more_text_never_deselects(void **state)
{
	(void)state;
	struct rules *r = load(SHIPPED);
	struct rules_matcher *mt = rules_matcher_new(r);
	assert_non_null(mt);
	char **words = calloc(rules_rule_count(r) + 1, sizeof *words);
	assert_non_null(words);
	size_t nw = 0;
	for (size_t k = 0; k < rules_rule_count(r); k++) {
		const struct rule_info *in = rules_rule(r, k);
		if (!in->exclude && in->ref < 0 && (words[nw] = rule_word(in)))
			nw++;
	}
	assert_true(nw > 100);
	size_t cases = 0, selected = 0, skipped = 0;
	char base[1024], more[2048], extra[512];
	/* the corpus items as bases, when they are here */
	char *corpus = NULL;
	const char *dir = test_shared_dir();
	if (dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/corpus/public.tsv", dir);
		corpus = test_read_file(path, NULL);
	}
	char *line = corpus ? strchr(corpus, '\n') : NULL;
	for (size_t iter = 0; iter < 30000; iter++) {
		const char *title = base, *summary = "";
		char *tsv_title = NULL, *tsv_summary = NULL;
		if (line && line[1] && iter % 3 == 0) {
			/* id lang label topic title summary */
			char *end = strchr(line + 1, '\n');
			char *row = strndup(line + 1, end ? (size_t)(end - line - 1) : strlen(line + 1));
			line = end;
			char *f[6] = {0};
			size_t nf = 0;
			for (char *p = row, *tab; p && nf < 6; p = tab ? tab + 1 : NULL) {
				tab = strchr(p, '\t');
				if (tab)
					*tab = '\0';
				f[nf++] = p;
			}
			if (nf == 6) {
				tsv_title = strdup(f[4]);
				tsv_summary = strdup(f[5]);
				title = tsv_title;
				summary = tsv_summary;
			}
			free(row);
		}
		if (!tsv_title) {
			base[0] = '\0';
			size_t n = 2 + rnd(6);
			for (size_t i = 0; i < n; i++) {
				const char *w = rnd(3) ? words[rnd(nw)] : filler[rnd(NFILLER)];
				size_t len = strlen(base);
				snprintf(base + len, sizeof base - len, "%s%s", i ? " " : "", w);
			}
		}
		struct match m1, m2;
		run(mt, title, summary, &m1);
		cases++;
		if (m1.selected) {
			selected++;
			extra[0] = '\0';
			size_t n = 1 + rnd(4);
			for (size_t i = 0; i < n; i++) {
				size_t len = strlen(extra);
				snprintf(extra + len, sizeof extra - len, " %s", rnd(4) ? words[rnd(nw)] : filler[rnd(NFILLER)]);
			}
			int to_title = (int)rnd(2);
			snprintf(more, sizeof more, "%s.%s", to_title ? title : summary, extra);
			run(mt, to_title ? more : title, to_title ? summary : more, &m2);
			if (excludes(&m2) > excludes(&m1))
				skipped++; /* an exclude came with the text */
			else if (!m2.selected)
				fail_msg("deselected by appending \"%s\" to the %s of \"%s\" / \"%s\"", extra,
					 to_title ? "title" : "summary", title, summary);
			match_free(&m2);
		}
		match_free(&m1);
		free(tsv_title);
		free(tsv_summary);
	}
	print_message("# property: %zu items (%zu selected, each grown by random rule words; "
		      "%zu grew an exclude), none deselected; %zu rule words\n",
		      cases, selected, skipped, nw);
	assert_true(selected > 1000);
	for (size_t i = 0; i < nw; i++)
		free(words[i]);
	free(words);
	free(corpus);
	rules_matcher_free(mt);
	rules_free(r);
}

/* The example: more evidence used to drop the item. */
static void test_more_evidence_keeps_the_item(void **state)
{
	(void)state;
	struct rules *r = load(SHIPPED);
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	run(mt, "Regionen granskar sina vårdcentraler.", NULL, &m);
	assert_true(m.selected);
	match_free(&m);
	run(mt, "Regionen granskar sina vårdcentraler och antalet listade patienter.", NULL, &m);
	assert_true(m.selected);
	match_free(&m);
	rules_matcher_free(mt);
	rules_free(r);
}

struct load_error {
	const char *text, *want;
};

/* Each text fails to load with exactly its message. */
static void expect_load_errors(const struct load_error *bad, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rules *b = rules_new();
		struct err e;
		assert_int_equal(rules_load_string(b, "t.rules", bad[i].text, &e), -1);
		if (strcmp(e.msg, bad[i].want))
			fail_msg("got  %s\nwant %s", e.msg, bad[i].want);
		rules_free(b);
	}
}

/* The item goes under topic id, for reason why (-1: any reason). */
static void expect_topic(struct rules_matcher *mt, const struct rules *r, const char *title,
			 const char *summary, const char *id, int why)
{
	struct match m;
	run(mt, title, summary, &m);
	assert_true(m.topic >= 0);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), id);
	if (why >= 0)
		assert_int_equal(m.why, why);
	match_free(&m);
}

/* Selection is "some topic qualifies"; the topic is chosen among those. */
static void test_topic_choice(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 3\n"
				   "topic pv \"P\"\ninclude 3 vårdcentral\ninclude 3 husläkar\n"
				   "topic jour \"J\"\nthreshold 4\ninclude 0.75 @pv\ninclude 4 legevakt\ninclude 1.25 jour\n"
				   "topic ers \"E\"\nthreshold 4\ninclude 0.75 @pv\ninclude 3 kapitering\n"
				   "include 1.25 budget\ninclude 1.25 avtal\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	/* jour (2.5 + 4.5 = 7) and pv (6) qualify: jour borrows from pv */
	run(mt, "Vårdcentralen får ny jour", NULL, &m);
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "jour");
	assert_int_equal(m.why, WHY_SPECIFIC);
	assert_true(match_qualifies(r, &m, 0) && match_qualifies(r, &m, 1));
	match_free(&m);
	/* two specific topics: the most of its own words (kapitering 6 > jour 2.5) */
	expect_topic(mt, r, "Kapitering och jour på vårdcentralen", NULL, "ers", WHY_OWN);
	/* a topic that qualifies by borrowing alone does not take the item */
	run(mt, "Vårdcentralen och husläkaren", NULL, &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "pv");
	assert_int_equal(m.why, WHY_ONLY);
	assert_true(m.scores[1] >= 4 && m.own[1] == 0);
	match_free(&m);
	/* the lender keeps an item that mentions the specific topic in
	 * passing: one word further down, or two below its threshold */
	run(mt, "Ny vårdcentral i Mora", "Regionen har budget för två läkare.", &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "pv");
	assert_int_equal(m.why, WHY_PASSING);
	assert_true(match_qualifies(r, &m, 2));
	match_free(&m);
	expect_topic(mt, r, "Ny vårdcentral i Mora", "Budget och avtal är klara.", "pv", WHY_PASSING);
	/* two words that reach the threshold unborrowed (3 + 1.25): the subject */
	expect_topic(mt, r, "Ny vårdcentral i Mora", "Kapitering och budget är klara.", "ers", WHY_SPECIFIC);
	rules_matcher_free(mt);
	rules_free(r);
}

/* The headline's subject: company from a borrowing topic's own word, the
 * last part of a compound, a hint of weight 1 in the title. */
static void test_topic_headline(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 3\n"
				   "topic pv \"P\"\ninclude 3 vårdcentral\ninclude 3 fastleg\n"
				   "topic jour \"J\"\nthreshold 4\ninclude 0.75 @pv\ninclude 4 legevakt\n"
				   "include 1.5 [with pv] -vakt\n"
				   "topic konf \"K\"\nthreshold 4\ninclude 0.75 @pv\ninclude 2 [with pv] *konferans\n"
				   "include 2 [with pv] vinterkurs\n"
				   "topic ers \"E\"\nthreshold 4\ninclude 0.75 @pv\ninclude 1 [with pv] -avtal\n"
				   "topic utb \"U\"\nthreshold 4\ninclude 0.75 @pv\ninclude 1.5 [with pv] -kurs\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	/* legevakt needs no company and jour borrows from pv: company for
	 * [with pv]; a word that needs company itself (nattevakt) is not */
	run(mt, "Konferanse i Bodø", "Om legevakt i nord.", &m);
	assert_true(m.own[2] == 4);
	match_free(&m);
	run(mt, "Konferanse i Bodø", "Om nattevakt i nord.", &m);
	assert_false(m.selected);
	assert_true(m.own[2] == 0);
	match_free(&m);
	/* a legevaktkonferanse is a conference: legevakt begins the compound */
	run(mt, "Nordisk legevaktkonferanse i Bodø", "Konferansen samler legevakter.", &m);
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "konf");
	assert_int_equal(m.why, WHY_TITLE);
	assert_string_equal(m.terms[0].text, "legevakt");
	assert_true(m.terms[0].modifier && m.terms[0].weight == 8); /* still scored */
	assert_true(m.own[1] > m.own[2]);
	match_free(&m);
	/* the same words apart, or with a dash between them (one compound) */
	expect_topic(mt, r, "Legevakt og konferanse i Bodø", "Konferansen samler legevakter.", "jour", WHY_OWN);
	expect_topic(mt, r, "Nordisk legevakt-konferanse i Bodø", "Konferansen samler legevakter.", "konf", -1);
	/* vinterkurs runs into kurset: the whole compound, not its first part */
	run(mt, "Vinterkurset for fastleger fylt opp", "Vinterkursen samler fastleger.", &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "konf");
	assert_int_equal(m.why, WHY_OWN);
	for (size_t i = 0; i < m.nterms; i++)
		assert_false(m.terms[i].modifier);
	match_free(&m);
	/* a weak last part (1) does not take the headline from the first */
	run(mt, "Legevaktavtalen er klar", "Fastlegene og legevakten har avtal.", &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "jour");
	assert_false(m.terms[0].modifier);
	match_free(&m);
	/* a word of weight 1 in the title is a hint: the lender keeps the item */
	run(mt, "Vårdcentralen regleras i avtal", "Vårdcentralen och fastlegen.", &m);
	assert_true(match_qualifies(r, &m, 3));
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "pv");
	assert_int_equal(m.why, WHY_PASSING);
	match_free(&m);
	rules_matcher_free(mt);
	rules_free(r);
}

/* "headline wins": a meeting's report goes under meetings, whatever the
 * meeting asked for; only when the topic's own words are in the title. */
static void test_headline_wins(void **state)
{
	(void)state;
	const char *text = "threshold 3\n"
			   "topic pv \"P\"\ninclude 3 vårdcentral\ninclude 3 fastleg\n"
			   "topic fl \"F\"\nthreshold 4\ninclude 0.75 @pv\ninclude 3 listetak\n"
			   "topic konf \"K\"\nthreshold 4\ninclude 0.75 @pv\n%s"
			   "include 2 [with pv] årsmøte\ninclude 1.25 [with pv] møtet\n";
	char buf[512];
	snprintf(buf, sizeof buf, text, "");
	struct rules *plain = load_str(buf);
	snprintf(buf, sizeof buf, text, "headline wins # a meeting's report\n");
	struct rules *r = load_str(buf);
	struct match m;
	const char *title = "Årsmøtet krever listetak for fastlegene";
	const char *summary = "Fastlegene vil ha listetak; møtet vedtok det.";
	struct rules_matcher *mt = rules_matcher_new(plain);
	run(mt, title, summary, &m); /* fl 6 + 3 own beats konf 4 + 1.25 */
	assert_string_equal(rules_topic_id(plain, (size_t)m.topic), "fl");
	assert_int_equal(m.why, WHY_OWN);
	match_free(&m);
	rules_matcher_free(mt);
	mt = rules_matcher_new(r);
	expect_topic(mt, r, title, summary, "konf", WHY_HEADLINE);
	/* the meeting only further down: the headline's subject keeps it */
	expect_topic(mt, r, "Fastlegene krever listetak", "Årsmøtet vedtok det.", "fl", -1);
	rules_matcher_free(mt);
	rules_free(plain);
	rules_free(r);
	static const struct load_error bad[] = {
		{"headline wins\n", "t.rules:1:1: headline wins goes inside a topic (after its topic line)"},
		{"topic a \"A\"\nheadline win\n", "t.rules:2:10: expected 'headline wins'"},
		{"topic a \"A\"\nheadline wins now\n", "t.rules:2:15: unexpected text after the arguments (start a comment with #)"},
	};
	expect_load_errors(bad, sizeof bad / sizeof *bad);
}

/* "VETOED" only when an exclude changed the outcome. */
static void test_vetoed_only_when_it_mattered(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 3\nexclude vi söker\ntopic pv \"P\"\ninclude 3 vårdcentral\n"
				   "include 1 rekryter\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	run(mt, "Vi söker kassör", "rekrytering", &m); /* 1 < 3 anyway */
	assert_false(m.selected);
	assert_false(m.vetoed);
	assert_true(m.global_veto);
	match_free(&m);
	run(mt, "Vi söker läkare till vårdcentralen", NULL, &m);
	assert_false(m.selected);
	assert_true(m.vetoed);
	match_free(&m);
	rules_matcher_free(mt);
	rules_free(r);
}

/* Scores are rounded to the weights' precision: 3.75, and 0.7 + 0.2 + 0.1
 * reaches a threshold of 1. */
static void test_score_precision(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 1\ntopic a \"A\"\ninclude 0.7 alfa\ninclude 0.2 beta\n"
				   "include 0.1 gamma\ntopic b \"B\"\nthreshold 4\ninclude 1.25 jour\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	run(mt, "x", "alfa beta gamma", &m);
	assert_true(m.selected);
	assert_true(m.score == 1.0);
	match_free(&m);
	run(mt, "jour", "jour jour", &m);
	char b[32];
	assert_string_equal(rules_score_str(m.scores[1], b, sizeof b), "3.75");
	match_free(&m);
	rules_matcher_free(mt);
	rules_free(r);
}

/* A decomposed "å" (a + U+030A, as a Mac exports it) matches "å"; the
 * match is reported in the item's own bytes. */
static void test_nfc(void **state)
{
	(void)state;
	struct rules *r = load_str("topic a \"A\"\ninclude 3 vårdcentral\ninclude 3 läkar\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	const char *s = "Ny va\xCC\x8A" "rdcentral i Ka\xCC\x88lby";
	run(mt, NULL, s, &m);
	assert_true(m.selected);
	assert_int_equal(m.nterms, 1);
	assert_int_equal(m.terms[0].start, 3);
	assert_int_equal(m.terms[0].end, 3 + strlen("va\xCC\x8A" "rdcentral"));
	assert_string_equal(m.terms[0].text, "va\xCC\x8A" "rdcentral");
	match_free(&m);
	run(mt, NULL, "La\xCC\x88kare och \xE2\x84\xAB", &m); /* ä decomposed; the Ångström sign */
	assert_true(m.selected);
	assert_int_equal(m.terms[0].start, 0);
	match_free(&m);
	rules_matcher_free(mt);
	rules_free(r);
}

/* -stem: the key stem ends the word, with an inflection ending or none. */
static void test_word_endings(void **state)
{
	(void)state;
	struct rules *r = load_str("topic a \"A\"\ninclude 3 -jour\ninclude 3 -legevakt\ninclude 3 -tilskudd\n"
				   "include 3 -läkarbrist\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	static const char *const yes[] = {"läkarjour", "nattjour", "jouren", "helgjourerna", "skadelegevakt",
					  "skadelegevakta", "driftstilskudd", "driftstilskuddet",
					  "allmänläkarbrist", "allmänläkarbristen", "legevaktene"};
	static const char *const no[] = {"journal", "journalen", "legevaktsentral", "tilskuddsordning",
					 "läkarbristfällig"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		struct match m;
		run(mt, NULL, yes[i], &m);
		if (!m.selected)
			fail_msg("-stem did not match %s", yes[i]);
		match_free(&m);
	}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		struct match m;
		run(mt, NULL, no[i], &m);
		if (m.nterms)
			fail_msg("-stem matched %s", no[i]);
		match_free(&m);
	}
	struct rules *bad = rules_new();
	struct err e;
	assert_int_equal(rules_load_string(bad, "t.rules", "topic a \"A\"\ninclude 1 -jour*\n", &e), -1);
	assert_string_equal(e.msg, "t.rules:2:16: -stem already ends the word: no '*' after it");
	rules_free(bad);
	rules_matcher_free(mt);
	rules_free(r);
}

/* [with NAME]: a group's words, or another word of a topic. */
static void test_context(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 3\ngroup vard\nword patient\nword läkare\n"
				   "topic pv \"P\"\ninclude 3 [with vard] vårdcentral\ninclude 3 fastleg\n"
				   "topic am \"A\"\ninclude 2 [with am] stress\ninclude 2 [with am] arbetstid\n"
				   "include 2 [with pv] hot\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	struct match m;
	run(mt, NULL, "Museet visar en vårdcentral från 1970", &m);
	assert_false(m.selected);
	assert_int_equal(m.nterms, 1);
	assert_true(m.terms[0].no_context);
	assert_true(m.terms[0].weight == 0);
	match_free(&m);
	run(mt, NULL, "Vårdcentralen tar emot fler patienter", &m);
	assert_true(m.selected);
	match_free(&m);
	/* a weak word needs another word of its own topic, not itself again */
	run(mt, "stress", "stress", &m);
	assert_false(m.selected);
	match_free(&m);
	run(mt, "stress", "arbetstid", &m);
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "am");
	match_free(&m);
	/* [with TOPIC] takes that topic's include words (fastleg), not its context */
	run(mt, NULL, "hot mot patient", &m);
	assert_true(m.own[1] == 0);
	match_free(&m);
	run(mt, NULL, "hot mot fastlegen", &m);
	assert_true(m.own[1] == 2);
	match_free(&m);
	/* load errors */
	static const struct load_error bad[] = {
		{"topic a \"A\"\ninclude 1 [with nosuch] x\n", "t.rules:2:25: [with nosuch]: no group or topic of that name above"},
		{"group g\nword [with g] x\n", "t.rules:2:15: [with] works only with include: a group's words are the context"},
		{"group g\ninclude 1 x\n", "t.rules:2:1: include inside a group: a group lists words (word PATTERN); start a topic first"},
		{"word x\n", "t.rules:1:1: word outside a group: start one with 'group NAME' first"},
		{"topic a \"A\"\ngroup a\n", "t.rules:2:7: a topic is already called 'a': give the group another name"},
	};
	expect_load_errors(bad, sizeof bad / sizeof *bad);
	rules_matcher_free(mt);
	rules_free(r);
}

/* Issue 15: a pattern that backtracks without end on a long item counts
 * as no match for that rule on that item, and is counted; the rest of
 * the rules still decide. */
static void test_match_limit_is_no_match(void **state)
{
	(void)state;
	struct rules *r = load_str("topic a \"A\"\ninclude 3 /(a+)+$/\ninclude 3 vårdcentral\n");
	struct rules_matcher *mt = rules_matcher_new(r);
	char text[200];
	memset(text, 'a', 120);
	strcpy(text + 120, "! vårdcentral");
	struct match m;
	run(mt, NULL, text, &m);
	assert_true(m.selected);
	assert_int_equal(m.nlimited, 1);
	assert_int_equal(m.limited[0], 0);
	for (size_t i = 0; i < m.nterms; i++)
		assert_int_not_equal(m.terms[i].rule_index, 0);
	match_free(&m);
	run(mt, NULL, text, &m);
	match_free(&m);
	run(mt, NULL, "aaa", &m); /* a short item matches */
	assert_int_equal(m.nlimited, 0);
	assert_true(m.selected);
	match_free(&m);
	assert_int_equal(rules_matcher_limit_hits(mt, 0), 2);
	assert_int_equal(rules_matcher_limit_hits(mt, 1), 0);
	rules_matcher_free(mt);
	rules_free(r);
}

/* Issue 15: every error of a file, each with its line and column. */
static void test_every_error_listed(void **state)
{
	(void)state;
	struct rules *r = rules_new();
	struct err e;
	assert_int_equal(rules_load_string(r, "t.rules",
					   "threshold x\ntopic a \"A\"\ninclude 2 /(vård/\ninclude 2 ok\n"
					   "inclde 2 x\ninclude 2 [titel] y\n",
					   &e),
			 -1);
	assert_string_equal(e.msg, "t.rules:1:11: bad threshold 'x': expected a positive number such as 3 or 2.5\n"
				   "t.rules:3:12: bad pattern: this ( has no closing parenthesis\n"
				   "t.rules:5:1: unknown directive 'inclde' (expected threshold, field, group, word, topic, include, exclude or headline wins)\n"
				   "t.rules:6:12: unknown field 'titel' (fields: title, summary, content, categories, url, source; "
				   "sources: [from NAME, ...]; context: [with NAME, ...])");
	assert_int_equal(rules_rule_count(r), 0); /* the set is as before */
	rules_free(r);
}

struct lint_log {
	char text[16384];
	int warnings;
};

static void collect(void *ctx, enum lint_level level, const char *where, const char *msg)
{
	struct lint_log *l = ctx;
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof l->text - n, "%s: %s: %s\n", where, level == LINT_WARNING ? "warning" : "note", msg);
	l->warnings += level == LINT_WARNING;
}

static void test_lint_regexes(void **state)
{
	(void)state;
	struct rules *r = load_str("topic a \"A\"\ninclude 1 /(a+)+$/\ninclude 1 /(?=vård)/\n"
				   "include 1   /x(\\w+\\s?)*y/\ninclude 1 /(?:ab+)+/\ninclude 1 /(?i:läkar|tjänst)+/\n"
				   "include 1 /(?<!\\p{L})jour(?!nal)/\ninclude 1 /(\\d+,)+/\ninclude 1 /(a|b+)*c/\n");
	struct lint_log l = {{0}, 0};
	struct rules_lint_opts o = {.no_wordlists = 1};
	struct err e;
	assert_int_equal(rules_lint(r, &o, collect, &l, NULL, &e), 4);
	assert_non_null(strstr(l.text, "t.rules:2:12: warning: /(a+)+$/: a repeated group of repeats"));
	assert_non_null(strstr(l.text, "t.rules:3:11: warning: /(?=vård)/ matches only a place, no text"));
	assert_non_null(strstr(l.text, "t.rules:4:15: warning: /x(\\w+\\s?)*y/: a repeated group"));
	assert_non_null(strstr(l.text, "t.rules:9:12: warning: /(a|b+)*c/: a repeated group"));
	rules_free(r);
}

/* False friends, from a word list given here (Debian's are optional). */
static void test_lint_false_friends(void **state)
{
	(void)state;
	char path[] = "/tmp/bulletin-words-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	static const char *const w[] = {"legemiddel", "legeme", "legende", "legendarisk", "legere", "legering",
					"legemliggjøre", "legio", "legemsdel", "legemiddelverk", "legat", "legal"};
	for (int rep = 0; rep < 3; rep++)
		for (size_t i = 0; i < sizeof w / sizeof *w; i++)
			fprintf(f, "%s%s\n", w[i], rep ? (rep == 1 ? "ne" : "r") : "");
	fputs("kolleger\nprivilegert\nfastlege\nfastlegen\n", f);
	fclose(f);
	struct rules *r = load_str("topic a \"A\"\ninclude 1 lege\ninclude 1 *lege\ninclude 1 fastlege\n"
				   "include 1 [with a] lege\n");
	struct lint_log l = {{0}, 0};
	const char *lists[] = {path, "/nonexistent/words"};
	struct rules_lint_opts o = {.wordlists = lists, .nwordlists = 2};
	size_t used = 0;
	struct err e;
	int n = rules_lint(r, &o, collect, &l, &used, &e);
	unlink(path);
	assert_int_equal(used, 1);
	assert_int_equal(n, 2);
	assert_non_null(strstr(l.text, "t.rules:2:11: warning: lege may be a false friend"));
	assert_non_null(strstr(l.text, "t.rules:3:11: warning: *lege may be a false friend"));
	assert_non_null(strstr(l.text, "some inside another word"));
	assert_null(strstr(l.text, "fastlege may"));
	rules_free(r);
}

struct thread_arg {
	const struct rules *r;
	int selected;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct rules_matcher *mt = rules_matcher_new(a->r);
	for (int i = 0; mt && i < 2000; i++) {
		struct item it = {0};
		it.title = i % 2 ? "Fastlegane i Bergen" : "Vårdcentralen i Tensta stänger";
		it.summary = "Kommunen melder om lange lister og ny legevakt for pasientane.";
		struct match m;
		struct err e;
		if (rules_matcher_match(mt, &it, &m, &e) == 0) {
			a->selected += m.selected;
			match_free(&m);
		}
	}
	rules_matcher_free(mt);
	return NULL;
}

/* One const set, a matcher per thread (issue 14): same results. */
static void test_matchers_share_a_set(void **state)
{
	(void)state;
	struct rules *r = load(SHIPPED);
	pthread_t t[4];
	struct thread_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){r, 0};
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].selected, 2000);
	}
	rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_more_text_never_deselects),
		cmocka_unit_test(test_more_evidence_keeps_the_item),
		cmocka_unit_test(test_topic_choice),
		cmocka_unit_test(test_topic_headline),
		cmocka_unit_test(test_headline_wins),
		cmocka_unit_test(test_vetoed_only_when_it_mattered),
		cmocka_unit_test(test_score_precision),
		cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_word_endings),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_match_limit_is_no_match),
		cmocka_unit_test(test_every_error_listed),
		cmocka_unit_test(test_lint_regexes),
		cmocka_unit_test(test_lint_false_friends),
		cmocka_unit_test(test_matchers_share_a_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
