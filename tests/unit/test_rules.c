/* Rules language, matcher and evaluation. The corpus and seed tests read
 * ../shared (test_shared_dir()) and skip when it is absent. */
#include "testutil.h"

#include <unistd.h>

#include "rules.h"
#include "rules_eval.h"

#define SHIPPED "feeds/primarvard.rules"
#define FORMS "tests/fixtures/rules/forms.rules"

static struct rules *load(const char *path)
{
	struct rules *r = rules_new();
	assert_non_null(r);
	struct err e = {{0}};
	if (rules_load_file(r, path, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

static struct rules *load_str(const char *text)
{
	struct rules *r = rules_new();
	assert_non_null(r);
	struct err e = {{0}};
	if (rules_load_string(r, "t.rules", text, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

static void run(const struct rules *r, const char *title, const char *summary, struct match *m)
{
	struct item it = {0};
	it.title = (char *)title;
	it.summary = (char *)summary;
	struct err e = {{0}};
	if (rules_match(r, &it, m, &e) != 0)
		fail_msg("%s", e.msg);
}

static size_t include_terms(const struct match *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nterms; i++)
		n += !m->terms[i].exclude;
	return n;
}

/* Expects the load to fail with exactly this message. */
static void load_err(const char *text, const char *want)
{
	struct rules *r = rules_new();
	struct err e = {{0}};
	int rc = rules_load_string(r, "t.rules", text, &e);
	rules_free(r);
	assert_int_equal(rc, -1);
	if (strcmp(e.msg, want) != 0)
		fail_msg("got  %s\nwant %s", e.msg, want);
}

static void test_compound_stems_match(void **state)
{
	(void)state;
	struct rules *r = load(SHIPPED);
	static const char *const yes[] = {"primärvårdsstrategin", "fastlegeordningen", "allmennlegetjenesten",
					  "distriktsläkarnas", "Fastlegeordninga", "fastlegane",
					  "husläkarmottagningen", "Legevakta", "närakuten"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		struct match m;
		char text[128];
		snprintf(text, sizeof text, "Nytt om %s i dag", yes[i]);
		run(r, NULL, text, &m);
		if (include_terms(&m) == 0 || m.score <= 0)
			fail_msg("'%s' did not match", yes[i]);
		match_free(&m);
	}
	rules_free(r);
}

static void test_false_friends_do_not_count(void **state)
{
	(void)state;
	struct rules *r = load(SHIPPED);
	static const char *const no[] = {"primärval", "legemiddel", "kolleger", "fastlegge", "fastlegger",
					 "tannlegevakt", "dyrlegevakt", "journalen", "journalist",
					 "privilegert", "skogsvård", "sommarlov", "Alis"};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		struct match m;
		char text[128];
		snprintf(text, sizeof text, "Nytt om %s i dag", no[i]);
		run(r, text, text, &m);
		for (size_t k = 0; k < m.nterms; k++)
			if (!m.terms[k].exclude)
				fail_msg("'%s' matched include %s (%s)", no[i], m.terms[k].rule, m.terms[k].where);
		assert_false(m.selected);
		match_free(&m);
	}
	rules_free(r);
}

static void test_caseless_nordic_letters(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	run(r, "PRIMÄRVÅRDEN I FOKUS", NULL, &m);
	assert_int_equal(m.nterms, 1);
	assert_string_equal(m.terms[0].text, "PRIMÄRVÅRD");
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "stem");
	match_free(&m);
	/* a stem needs a word start; '*' lifts that */
	run(r, "ickeprimärvård", "husläkarkontakten", &m);
	assert_int_equal(m.nterms, 1);
	assert_string_equal(m.terms[0].text, "läkarkontakt");
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "anywhere");
	match_free(&m);
	rules_free(r);
}

static void test_quoted_words_and_flags(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	run(r, "Ny lov om sommarlov", "LOVEN och LOVs", &m);
	assert_int_equal(include_terms(&m), 0); /* exact case, whole word: LOVs is not LOV */
	match_free(&m);
	run(r, "Vårdval enligt LOV", NULL, &m);
	assert_int_equal(include_terms(&m), 1);
	assert_string_equal(m.terms[0].text, "LOV");
	match_free(&m);
	run(r, "NÄRA VÅRD", "Nära vården", &m); /* "…"i: caseless, whole phrase */
	assert_int_equal(include_terms(&m), 1);
	assert_int_equal(m.terms[0].field, FIELD_TITLE);
	match_free(&m);
	/* /…/c keeps ALIS case-sensitive */
	run(r, "Alis och alis", NULL, &m);
	assert_int_equal(include_terms(&m), 0);
	match_free(&m);
	rules_free(r);
}

static void test_load_errors_name_line_and_column(void **state)
{
	(void)state;
	load_err("topic a \"A\"\ninclude 2 /(unclosed/\n",
		 "t.rules:2:21: bad pattern: missing closing parenthesis");
	/* columns count characters, not bytes */
	load_err("topic a \"A\"\ninclude 2 /åäö(x/\n", "t.rules:2:17: bad pattern: missing closing parenthesis");
	load_err("topic a \"A\"\ninclude 2 /a)b/\n",
		 "t.rules:2:13: bad pattern: unmatched closing parenthesis");
	load_err("threshold 3\n  inclde 2 x\n",
		 "t.rules:2:3: unknown directive 'inclde' (expected threshold, topic, include or exclude)");
	load_err("# c\ninclude 2 fastläkar\n",
		 "t.rules:2:1: include before any topic: start a topic with 'topic ID \"Title\"' first");
	load_err("topic a \"A\"\ninclude -2 x\n",
		 "t.rules:2:9: bad weight '-2': expected a positive number such as 2 or 1.5");
	load_err("topic a \"A\"\ninclude 0 x\n",
		 "t.rules:2:9: bad weight '0': expected a positive number such as 2 or 1.5");
	load_err("topic a \"A\"\ninclude x\n", "t.rules:2:9: bad weight 'x': expected a positive number such as 2 or 1.5");
	load_err("topic a \"A\"\ninclude 2\n", "t.rules:2:10: missing pattern");
	load_err("topic a \"A\"\ntopic b \"B\"\ntopic  a \"C\"\n",
		 "t.rules:3:8: duplicate topic id 'a' (first defined at t.rules:1)");
	load_err("topic\n", "t.rules:1:6: missing topic id after 'topic'");
	load_err("topic Fast \"A\"\n", "t.rules:1:7: bad topic id 'Fast': use only a-z, 0-9, _ and -");
	load_err("topic a\n", "t.rules:1:8: missing title: write topic a \"Title shown in the digest\"");
	load_err("topic a \"A\"\ninclude 2 /x/q\n",
		 "t.rules:2:14: unknown flag 'q' after /pattern/ (use c for case-sensitive, i for caseless)");
	load_err("topic a \"A\"\ninclude 2 \"LOV\n",
		 "t.rules:2:11: unterminated \"word\": the closing quote is missing");
	load_err("topic a \"A\"\nexclude /x\n", "t.rules:2:9: unterminated /pattern/: the closing / is missing");
	load_err("topic a \"A\"\ninclude 2 /x*/\n",
		 "t.rules:2:11: pattern can match empty text; it must require at least one character");
	load_err("topic a \"A\"\ninclude 1 @b\n",
		 "t.rules:2:12: unknown topic 'b': @ can only name a topic defined above");
	load_err("threshold 3\nthreshold 4\n", "t.rules:2:11: the global threshold is already set in this file");
	load_err("topic a \"A\"\ninclude 2 fast*läkare\n",
		 "t.rules:2:15: '*' may only begin or end a word pattern; use /regex/ for more");
	load_err("topic a \"Å\"\ninclude 2 \xff\n", "t.rules:2:11: invalid UTF-8 (save the file as UTF-8)");
	load_err("topic a \"A\" extra\n", "t.rules:1:13: unexpected text after the arguments (start a comment with #)");
	load_err("topic a \"A\"\nexclude 2 foo\n", "t.rules:2:9: exclude takes no weight; write exclude PATTERN");
}

static void test_load_file_errors(void **state)
{
	(void)state;
	struct rules *r = rules_new();
	struct err e = {{0}};
	assert_int_equal(rules_load_file(r, "tests/fixtures/rules/bad_regex.rules", &e), -1);
	assert_string_equal(e.msg,
			    "tests/fixtures/rules/bad_regex.rules:4:21: bad pattern: missing closing parenthesis");
	/* a failed load leaves nothing behind */
	assert_int_equal(rules_topic_count(r), 0);
	assert_int_equal(rules_pattern_count(r), 0);
	assert_int_equal(rules_load_file(r, "tests/fixtures/rules/nonexistent.rules", &e), -1);
	assert_non_null(strstr(e.msg, "tests/fixtures/rules/nonexistent.rules: "));

	char path[] = "/tmp/test_rules_bigXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (int i = 0; i < 40000; i++)
		fputs("# padding line for the size cap test\n", f);
	fclose(f);
	assert_int_equal(rules_load_file(r, path, &e), -1);
	assert_non_null(strstr(e.msg, "larger than"));
	unlink(path);
	rules_free(r);
}

static void test_rollback_and_second_file(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	size_t nt = rules_topic_count(r), np = rules_pattern_count(r);
	struct err e = {{0}};
	assert_int_equal(rules_load_string(r, "two.rules", "topic stem\ninclude 1 husläkar\ntopic new \"N\"\ninclude 1 /(/\n", &e), -1);
	assert_int_equal(rules_topic_count(r), nt);
	assert_int_equal(rules_pattern_count(r), np);
	/* another file may add to an existing topic */
	assert_int_equal(rules_load_string(r, "two.rules", "topic stem\ninclude 1 husläkar\n", &e), 0);
	assert_int_equal(rules_topic_count(r), nt);
	assert_int_equal(rules_pattern_count(r), np + 1);
	assert_int_equal(rules_topic_index(r, "regex"), 3);
	assert_string_equal(rules_topic_title(r, 0), "Stem");
	assert_true(rules_threshold(r, 3) == 4.0);
	assert_true(rules_threshold(r, 0) == 2.0);
	rules_free(r);
}

static void test_global_exclude_vetoes(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	run(r, "Primärvården i Ånge", "Vi söker en fastläkare", &m);
	assert_true(m.vetoed);
	assert_false(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "stem"); /* still shown for --explain */
	int seen = 0;
	for (size_t i = 0; i < m.nterms; i++)
		if (m.terms[i].exclude) {
			seen = 1;
			assert_int_equal(m.terms[i].topic, -1);
			assert_true(m.terms[i].weight == 0);
			assert_string_equal(m.terms[i].where, FORMS ":3");
			assert_string_equal(m.terms[i].rule, "vi söker");
		}
	assert_true(seen);
	match_free(&m);
	rules_free(r);
}

static void test_topic_exclude(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	/* the best topic's own exclude drops the item */
	run(r, "ALIS och listningstak", "tandläkare", &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "regex");
	assert_true(m.vetoed);
	assert_false(m.selected);
	match_free(&m);
	/* another topic's exclude does not touch the winner */
	run(r, "Primärvården", "om tandläkare", &m);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "stem");
	assert_false(m.vetoed);
	assert_true(m.selected);
	match_free(&m);
	rules_free(r);
}

static void test_title_weighs_double_and_repeats_once(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	run(r, NULL, "primärvård", &m);
	assert_true(m.score == 2.0);
	match_free(&m);
	run(r, "primärvård", NULL, &m);
	assert_true(m.score == 4.0);
	match_free(&m);
	/* the same word again in the same field: listed, not scored */
	run(r, "Primärvård", "primärvård, PRIMÄRVÅRD och primärvårdens", &m);
	assert_int_equal(m.nterms, 4);
	assert_true(m.score == 6.0);
	double sum = 0;
	for (size_t i = 0; i < m.nterms; i++)
		sum += m.terms[i].weight;
	assert_true(sum == m.score);
	match_free(&m);
	/* per-topic threshold: ALIS in the summary (3) is below regex's 4 */
	run(r, NULL, "ALIS", &m);
	assert_false(m.selected);
	match_free(&m);
	run(r, NULL, "ALIS och listningstak", &m);
	assert_true(m.selected);
	assert_true(m.score == 5.0);
	match_free(&m);
	rules_free(r);
}

static void test_borrowed_score(void **state)
{
	(void)state;
	struct rules *r = load_str("threshold 3\ntopic pv \"P\"\ninclude 2 vårdcentral\n"
				   "topic bem \"B\"\nthreshold 4\ninclude 0.5 @pv\ninclude 1 rekryter\n");
	struct match m;
	run(r, "Rekrytering", NULL, &m); /* 2 < 4 */
	assert_false(m.selected);
	match_free(&m);
	run(r, "Rekrytering till vårdcentralen", NULL, &m); /* bem: 2 + 0.5*4 = 4 ties pv's 4 */
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "pv");
	match_free(&m);
	run(r, "Rekrytering till vårdcentralen", "rekryterar", &m); /* bem 5 > pv 4 */
	assert_true(m.selected);
	assert_string_equal(rules_topic_id(r, (size_t)m.topic), "bem");
	assert_true(m.score == 5.0);
	match_free(&m);
	rules_free(r);
}

static void test_term_byte_ranges(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct match m;
	const char *title = "Ökad väntan – primärvårdens fastläkare";
	const char *summary = "«Åtta» av tio saknar fast läkarkontakt";
	run(r, title, summary, &m);
	assert_int_equal(m.nterms, 3);
	for (size_t i = 0; i < m.nterms; i++) {
		const struct match_term *t = &m.terms[i];
		const char *f = t->field == FIELD_TITLE ? title : summary;
		assert_true(t->end > t->start);
		assert_int_equal(strlen(t->text), t->end - t->start);
		assert_memory_equal(f + t->start, t->text, t->end - t->start);
	}
	assert_int_equal(m.terms[0].field, FIELD_TITLE);
	assert_int_equal(m.terms[0].start, strlen("Ökad väntan – "));
	assert_string_equal(m.terms[0].text, "primärvård");
	assert_string_equal(m.terms[1].text, "fastläkar");
	assert_int_equal(m.terms[2].field, FIELD_SUMMARY);
	assert_int_equal(m.terms[2].start, strlen("«Åtta» av tio saknar fast "));
	assert_string_equal(m.terms[2].text, "läkarkontakt");
	assert_string_equal(match_field_name(FIELD_SUMMARY), "summary");
	match_free(&m);
	/* invalid UTF-8 in item text is not an error */
	run(r, "prim\xc3\xa4rv\xc3\xa5rd \xff\xfe", "\xc3", &m);
	assert_int_equal(m.nterms, 1);
	match_free(&m);
	rules_free(r);
}

static void check_eval(const char *path, const char *what)
{
	struct rules *r = load(SHIPPED);
	struct rules_eval ev;
	struct err e = {{0}};
	if (rules_eval_tsv(r, path, &ev, &e) != 0)
		fail_msg("%s", e.msg);
	fprintf(stderr, "# %s: ", what);
	rules_eval_print(&ev, stderr);
	assert_int_equal(ev.tp + ev.fp + ev.fn + ev.tn, ev.n);
	assert_true(ev.precision >= 0.9);
	assert_true(ev.recall >= 0.9);
	assert_true(ev.topic_accuracy >= 0.75);
	rules_eval_free(&ev);
	rules_free(r);
}

static void test_eval_public_corpus(void **state)
{
	(void)state;
	const char *dir = test_shared_dir();
	if (!dir)
		skip();
	char path[4096];
	snprintf(path, sizeof path, "%s/corpus/public.tsv", dir);
	check_eval(path, "public.tsv");
}

/* Items written for this project's tests (not the tuning corpus). */
static void test_eval_extra_fixture(void **state)
{
	(void)state;
	check_eval("tests/fixtures/rules/extra.tsv", "extra.tsv");
}

static void test_eval_errors_and_counts(void **state)
{
	(void)state;
	struct rules *r = load(FORMS);
	struct rules_eval ev;
	struct err e = {{0}};
	assert_int_equal(rules_eval_string(r, "x.tsv", "id\tlabel\ttopic\ttitle\n", &ev, &e), -1);
	assert_string_equal(e.msg, "x.tsv:1: header lacks the column 'summary' (expected id lang label topic title summary)");
	assert_int_equal(rules_eval_string(r, "x.tsv", "id\tlang\tlabel\ttopic\ttitle\tsummary\na\tsv\t2\t-\tt\ts\n", &ev, &e), -1);
	assert_string_equal(e.msg, "x.tsv:2: label must be 0 or 1, not '2'");
	assert_int_equal(rules_eval_string(r, "x.tsv", "id\tlang\tlabel\ttopic\ttitle\tsummary\n\na\tsv\t1\t-\tt\n", &ev, &e), -1);
	assert_string_equal(e.msg, "x.tsv:3: 5 fields where the header has 6 (tabs inside a field?)");
	const char *tsv = "id\tlang\tlabel\ttopic\ttitle\tsummary\r\n"
			  "a\tsv\t1\tstem\tPrimärvården\t\r\n"     /* tp, topic right */
			  "b\tsv\t1\tword\tFastläkare\t\r\n"       /* tp, topic wrong */
			  "c\tsv\t0\t-\tPrimärvård\tvi söker\r\n"  /* tn (vetoed) */
			  "d\tsv\t0\t-\tLOV\tLOV\r\n"              /* fp */
			  "e\tsv\t1\tstem\tInget\talls\r\n"        /* fn */
			  "f\tsv\t0\t-\tInget\t\r\n";              /* tn */
	assert_int_equal(rules_eval_string(r, "x.tsv", tsv, &ev, &e), 0);
	assert_int_equal(ev.n, 6);
	assert_int_equal(ev.tp, 2);
	assert_int_equal(ev.fp, 1);
	assert_int_equal(ev.fn, 1);
	assert_int_equal(ev.tn, 2);
	assert_true(ev.precision > 0.666 && ev.precision < 0.667);
	assert_true(ev.recall > 0.666 && ev.recall < 0.667);
	assert_true(ev.topic_accuracy == 0.5);
	assert_int_equal(ev.nfp, 1);
	assert_string_equal(ev.fps[0].id, "d");
	assert_int_equal(ev.nfn, 1);
	assert_string_equal(ev.fns[0].title, "Inget");
	assert_int_equal(ev.nmismatch, 1);
	assert_string_equal(ev.mismatches[0].expected, "word");
	assert_string_equal(ev.mismatches[0].got, "stem");
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(rules_eval_print(&ev, devnull), 0);
	fclose(devnull);
	rules_eval_free(&ev);
	assert_int_equal(rules_eval_tsv(r, "tests/fixtures/rules/none.tsv", &ev, &e), -1);
	assert_non_null(strstr(e.msg, "tests/fixtures/rules/none.tsv: "));
	rules_free(r);
}

/* The five documents the design started from must all be selected. */
static void test_seed_documents_selected(void **state)
{
	(void)state;
	const char *dir = test_shared_dir();
	if (!dir)
		skip();
	static const struct {
		const char *file, *title;
	} seeds[] = {
		{"000_05066636bac0627c.txt", "DLF Stockholm verksamhetsplan 2022"},
		{"001_f4785b9aa520980f.txt", "Antalet läkare ska fördubblas på vårdcentralerna i Stockholm län"},
		{"002_99080e7e667711df.txt", "Restaurering og nybygg – utvikling av legetjenestene i kommunene"},
		{"003_99faff53c0fbe113.txt", "Primärvårdsstrategi"},
		{"004_5c98bd616f0f398c.txt", "Dialogmøte om fastlegeordningen"},
	};
	struct rules *r = load(SHIPPED);
	for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/seeds/%s", dir, seeds[i].file);
		size_t len = 0;
		char *text = test_read_file(path, &len);
		if (!text)
			skip();
		/* About 600 bytes, cut at a character boundary, whitespace
		 * folded as the parsers deliver it. */
		size_t cut = len < 600 ? len : 600;
		while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
			cut--;
		char summary[601];
		size_t n = 0;
		for (size_t k = 0; k < cut; k++) {
			char ch = text[k];
			int ws = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
			if (ws && (n == 0 || summary[n - 1] == ' '))
				continue;
			summary[n++] = ws ? ' ' : ch;
		}
		summary[n] = '\0';
		free(text);
		struct match m;
		run(r, seeds[i].title, summary, &m);
		fprintf(stderr, "# seed %s: topic %s score %g\n", seeds[i].title,
			m.topic >= 0 ? rules_topic_id(r, (size_t)m.topic) : "-", m.score);
		if (!m.selected)
			fail_msg("seed '%s' not selected (score %g, vetoed %d)", seeds[i].title, m.score, m.vetoed);
		match_free(&m);
	}
	rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compound_stems_match),
		cmocka_unit_test(test_false_friends_do_not_count),
		cmocka_unit_test(test_caseless_nordic_letters),
		cmocka_unit_test(test_quoted_words_and_flags),
		cmocka_unit_test(test_load_errors_name_line_and_column),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_rollback_and_second_file),
		cmocka_unit_test(test_global_exclude_vetoes),
		cmocka_unit_test(test_topic_exclude),
		cmocka_unit_test(test_title_weighs_double_and_repeats_once),
		cmocka_unit_test(test_borrowed_score),
		cmocka_unit_test(test_term_byte_ranges),
		cmocka_unit_test(test_eval_public_corpus),
		cmocka_unit_test(test_eval_extra_fixture),
		cmocka_unit_test(test_eval_errors_and_counts),
		cmocka_unit_test(test_seed_documents_selected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
