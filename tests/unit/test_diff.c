#include "testutil.h"

#include "core/buf.h"
#include "core/diff.h"

/* b rebuilt from a and the runs must be b, and a from the runs a: every
 * diff, whatever its shape, must be correct. */
static void check_rebuild(const struct diff_seq *a, const struct diff_seq *b, const struct diff *d)
{
	size_t ia = 0, ib = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct diff_run *r = &d->v[i];
		if (i)
			assert_true(r->op != d->v[i - 1].op);
		if (r->op == DIFF_SAME) {
			assert_int_equal(r->a, ia);
			assert_int_equal(r->b, ib);
			for (size_t k = 0; k < r->n; k++) {
				assert_int_equal(a->len[ia + k], b->len[ib + k]);
				assert_memory_equal(a->s[ia + k], b->s[ib + k], a->len[ia + k]);
			}
			ia += r->n;
			ib += r->n;
		} else if (r->op == DIFF_DEL) {
			assert_int_equal(r->a, ia);
			ia += r->n;
		} else {
			assert_int_equal(r->b, ib);
			ib += r->n;
		}
	}
	assert_int_equal(ia, a->n);
	assert_int_equal(ib, b->n);
}

static char *unified(const char *ta, const char *tb, struct diff *d_out)
{
	struct diff_seq a, b;
	struct diff d;
	assert_int_equal(diff_split_lines(ta, strlen(ta), &a), 0);
	assert_int_equal(diff_split_lines(tb, strlen(tb), &b), 0);
	assert_int_equal(diff_compute(&a, &b, 0, &d), 0);
	check_rebuild(&a, &b, &d);
	struct buf out = BUF_INIT;
	assert_int_equal(diff_unified(&out, &a, &b, &d, 3, "a", "b"), 0);
	if (d_out)
		*d_out = d;
	else
		diff_free(&d);
	diff_seq_free(&a);
	diff_seq_free(&b);
	return buf_steal(&out);
}

static void test_equal(void **state)
{
	(void)state;
	struct diff d;
	char *u = unified("# Rubrik\nText\n", "# Rubrik\nText\n", &d);
	assert_string_equal(u, "");
	assert_int_equal(d.del + d.add, 0);
	assert_int_equal(d.same, 2);
	diff_free(&d);
	free(u);
}

static void test_one_line_changed(void **state)
{
	(void)state;
	char *u = unified("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n", NULL);
	assert_string_equal(u, "--- a\n+++ b\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
	free(u);
}

static void test_insert_at_start_and_end(void **state)
{
	(void)state;
	char *u = unified("x\ny\n", "new\nx\ny\nlast\n", NULL);
	assert_string_equal(u, "--- a\n+++ b\n@@ -1,2 +1,4 @@\n+new\n x\n y\n+last\n");
	free(u);
	u = unified("", "only\n", NULL);
	assert_string_equal(u, "--- a\n+++ b\n@@ -0,0 +1 @@\n+only\n");
	free(u);
}

static void test_two_hunks(void **state)
{
	(void)state;
	struct buf a = BUF_INIT, b = BUF_INIT;
	for (int i = 0; i < 30; i++) {
		buf_printf(&a, "rad %d\n", i);
		buf_printf(&b, i == 3 ? "RAD %d\n" : i == 25 ? "" : "rad %d\n", i);
	}
	char *u = unified(buf_str(&a), buf_str(&b), NULL);
	assert_non_null(strstr(u, "@@ -1,7 +1,7 @@\n"));
	assert_non_null(strstr(u, "-rad 3\n+RAD 3\n"));
	assert_non_null(strstr(u, "@@ -23,7 +23,6 @@\n rad 22\n rad 23\n rad 24\n-rad 25\n"));
	free(u);
	buf_free(&a);
	buf_free(&b);
}

/* Repeated lines (no unique anchors) go through Myers; a random edit
 * script is rebuilt exactly, and the diff is no longer than the script. */
static void test_random_edits(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 40; round++) {
		struct buf a = BUF_INIT, b = BUF_INIT;
		int n = 50 + rand() % 300, edits = 0;
		for (int i = 0; i < n; i++) {
			int v = rand() % 12; /* few distinct lines: many repeats */
			buf_printf(&a, "l%d\n", v);
			int r = rand() % 20;
			if (r == 0) {
				edits++; /* dropped */
			} else if (r == 1) {
				buf_printf(&b, "l%d\nins%d\n", v, rand() % 5);
				edits++;
			} else {
				buf_printf(&b, "l%d\n", v);
			}
		}
		struct diff_seq sa, sb;
		struct diff d;
		assert_int_equal(diff_split_lines(buf_str(&a), a.len, &sa), 0);
		assert_int_equal(diff_split_lines(buf_str(&b), b.len, &sb), 0);
		assert_int_equal(diff_compute(&sa, &sb, 0, &d), 0);
		check_rebuild(&sa, &sb, &d);
		assert_true(d.del + d.add <= (size_t)edits * 2);
		diff_free(&d);
		/* a tiny cost bound: still correct, replaced whole */
		assert_int_equal(diff_compute(&sa, &sb, 1, &d), 0);
		check_rebuild(&sa, &sb, &d);
		diff_free(&d);
		diff_seq_free(&sa);
		diff_seq_free(&sb);
		buf_free(&a);
		buf_free(&b);
	}
}

static void test_words_and_similarity(void **state)
{
	(void)state;
	const char *x = "Ersättning per besök: 350 kronor.";
	const char *y = "Ersättning per besök: 380 kronor.";
	struct diff_seq a, b;
	struct diff d;
	assert_int_equal(diff_split_words(x, strlen(x), &a), 0);
	assert_int_equal(diff_split_words(y, strlen(y), &b), 0);
	assert_int_equal(a.n, 11); /* Ersättning, ' ', per, ' ', besök, ':', ' ', 350, ' ', kronor, '.' */
	assert_int_equal(diff_compute(&a, &b, 0, &d), 0);
	check_rebuild(&a, &b, &d);
	assert_int_equal(d.del, 1);
	assert_int_equal(d.add, 1);
	assert_int_equal(d.v[1].op, DIFF_DEL);
	assert_int_equal(a.len[d.v[1].a], 3);
	assert_memory_equal(b.s[d.v[2].b], "380", 3);
	double sim = diff_similarity(&a, &b, &d);
	assert_true(sim > 0.85 && sim < 1.0);
	diff_free(&d);
	diff_seq_free(&a);
	diff_seq_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_one_line_changed),
		cmocka_unit_test(test_insert_at_start_and_end),
		cmocka_unit_test(test_two_hunks),
		cmocka_unit_test(test_random_edits),
		cmocka_unit_test(test_words_and_similarity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
