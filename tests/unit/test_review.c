/* The chair's review (issue 20) below the CLI: the weekly schedule in
 * local time, edits checked whole before any is stored, the last edit per
 * item winning with both reviewers told, drops holding for later drafts,
 * and a reply after the digest went out. */
#include "testutil.h"

#include <time.h>
#include <unistd.h>

#include "core/timefmt.h"
#include "parse/date.h"
#include "deliver/review.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return time_from_utc_tm(&tm);
}

static void test_weekly_parse(void **state)
{
	(void)state;
	int d, m;
	assert_int_equal(time_weekly_parse("thu 08:00", &d, &m), 0);
	assert_int_equal(d, 4);
	assert_int_equal(m, 480);
	assert_int_equal(time_weekly_parse("  fre 7:30 ", &d, &m), 0);
	assert_int_equal(d, 5);
	assert_int_equal(m, 450);
	assert_int_equal(time_weekly_parse("sön 23:59", &d, &m), 0);
	assert_int_equal(d, 0);
	assert_int_equal(time_weekly_parse("lør 00:00", &d, &m), 0);
	assert_int_equal(d, 6);
	assert_int_equal(time_weekly_parse("thursday 08:00", &d, &m), -1);
	assert_int_equal(time_weekly_parse("thu 24:00", &d, &m), -1);
	assert_int_equal(time_weekly_parse("thu 08:00 x", &d, &m), -1);
	assert_int_equal(time_weekly_parse("thu", &d, &m), -1);
}

static void test_week_prev_next(void **state)
{
	(void)state;
	/* Thursday 10 December 2026 is winter time: 08:00 CET = 07:00 UTC */
	time_t thu = utc(2026, 12, 10, 7, 0);
	assert_int_equal(review_week_prev("thu 08:00", "Europe/Stockholm", thu), thu);
	assert_int_equal(review_week_prev("thu 08:00", "Europe/Stockholm", thu - 1), thu - 7 * 86400);
	assert_int_equal(review_week_next("thu 08:00", "Europe/Stockholm", thu), thu + 7 * 86400);
	assert_int_equal(review_week_next("fri 07:00", "Europe/Stockholm", thu), utc(2026, 12, 11, 6, 0));
	/* summer time: Friday 7 August 2026 07:00 CEST = 05:00 UTC */
	assert_int_equal(review_week_next("fri 07:00", "Europe/Oslo", utc(2026, 8, 6, 7, 0)),
			 utc(2026, 8, 7, 5, 0));
	/* across the October change: Sunday 25 Oct 2026 03:00 CEST became 02:00 CET */
	assert_int_equal(review_week_next("mon 08:00", "Europe/Stockholm", utc(2026, 10, 23, 12, 0)),
			 utc(2026, 10, 26, 7, 0));
	assert_int_equal(review_week_prev("bad", "Europe/Stockholm", thu), 0);
	/* a week across the clock change keeps the wall-clock time: from Fri
	 * 23 Oct 2026 07:30 CEST the next Friday 07:00 is 07:00 CET (06:00
	 * UTC), not an hour early; from Fri 27 Mar 06:30 CET, 07:00 CEST the
	 * same day */
	assert_int_equal(review_week_next("fri 07:00", "Europe/Stockholm", utc(2026, 10, 23, 5, 30)),
			 utc(2026, 10, 30, 6, 0));
	assert_int_equal(review_week_next("fri 07:00", "Europe/Stockholm", utc(2026, 3, 27, 5, 30)),
			 utc(2026, 3, 27, 6, 0));
	assert_int_equal(review_week_next("sun 02:30", "Europe/Stockholm", utc(2026, 3, 28, 12, 0)) > 0, 1);
	/* every hour of a year: next is after t, within a week, at 07:00 local */
	for (time_t t = utc(2026, 1, 1, 0, 0); t < utc(2027, 1, 1, 0, 0); t += 3600) {
		time_t n = review_week_next("fri 07:00", "Europe/Stockholm", t);
		time_t p = review_week_prev("fri 07:00", "Europe/Stockholm", t);
		assert_true(n > t && n - t <= 7 * 86400 + 3600);
		assert_true(p <= t && t - p < 7 * 86400 + 3600);
		assert_int_equal((n + date_zone_offset("Europe/Stockholm", n)) % 86400, 7 * 3600);
		assert_int_equal((p + date_zone_offset("Europe/Stockholm", p)) % 86400, 7 * 3600);
	}
}

struct fx {
	char dir[64], path[96];
	struct store *s;
	struct config cfg;
	struct review_draft d;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bulletin-review-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/b.db", f->dir);
	struct err e;
	if (store_open(f->path, &f->s, &e))
		return -1;
	f->cfg.review_reviewers = "a@example.org, b@example.org";
	f->cfg.language = "en";
	/* three items: two selected, one under the line */
	struct review_number v[] = {{1, 101, 0, 5, "Vårdcentralen stänger"},
				    {2, 102, 0, 4, "Fastlegeordningen"},
				    {3, 103, 1, 2, "Läkarjouren"}};
	f->d = (struct review_draft){.period_start = 0, .period_end = 1000, .created = 999};
	if (store_review_insert(f->s, &f->d, v, 3, &e))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int edit(struct fx *f, const char *by, const char *words, const char *text, struct buf *out,
		char **others)
{
	struct err e;
	buf_reset(out);
	free(*others);
	*others = NULL;
	return review_edit(f->s, &f->cfg, 0, by, words, text, 2000, "en", out, others, &e);
}

static void test_edits(void **state)
{
	struct fx *f = *state;
	struct buf out = BUF_INIT;
	char *others = NULL;
	/* a bad number anywhere stores nothing */
	assert_int_equal(edit(f, "a@example.org", "drop 1 9", NULL, &out, &others), 1);
	assert_non_null(strstr(buf_str(&out), "Number 9 is not in the draft"));
	struct review_edits re;
	struct err e;
	assert_int_equal(review_edits_load(f->s, &f->d, &re, &e), 0);
	assert_int_equal(re.ndrop, 0);
	review_edits_free(&re);
	assert_int_equal(edit(f, "a@example.org", "frobnicate 1", NULL, &out, &others), 1);

	assert_int_equal(edit(f, "a@example.org", "drop 1", NULL, &out, &others), 0);
	assert_null(others);
	assert_int_equal(edit(f, "a@example.org", "pin 2", NULL, &out, &others), 0);
	assert_int_equal(edit(f, "a@example.org", "add 3", NULL, &out, &others), 0);
	/* b disagrees about 1: the last edit wins, and a is named */
	assert_int_equal(edit(f, "b@example.org", "add 1", NULL, &out, &others), 0);
	assert_non_null(strstr(buf_str(&out), "Replaces an earlier edit by a@example.org (number 1)"));
	assert_string_equal(others, "a@example.org");
	/* b agrees about 2: nobody to tell */
	assert_int_equal(edit(f, "b@example.org", "pin 2", NULL, &out, &others), 0);
	assert_null(others);
	assert_int_equal(edit(f, "b@example.org", "note", "Kom ihåg *årsmötet*.", &out, &others), 0);

	assert_int_equal(review_edits_load(f->s, &f->d, &re, &e), 0);
	assert_int_equal(re.ndrop, 0);   /* 1 was added back */
	assert_int_equal(re.npin, 1);
	assert_int_equal(re.pin[0], 102);
	assert_int_equal(re.nadd, 2);    /* 3, then 1 */
	assert_int_equal(re.add[0], 103);
	assert_int_equal(re.add[1], 101);
	assert_string_equal(re.note, "Kom ihåg *årsmötet*.");
	review_edits_free(&re);

	/* a drop holds for every later draft: a new draft sees it */
	assert_int_equal(edit(f, "a@example.org", "drop 3", NULL, &out, &others), 0);
	assert_int_equal(review_edits_load(f->s, NULL, &re, &e), 0);
	assert_int_equal(re.ndrop, 1);
	assert_int_equal(re.drop[0], 103);
	assert_int_equal(re.nadd, 0);
	review_edits_free(&re);

	/* approve closes the editing; an edit after it is too late */
	assert_int_equal(edit(f, "a@example.org", "approve", NULL, &out, &others), 0);
	struct review_draft d;
	assert_int_equal(store_review_get(f->s, f->d.id, &d, &e), 1);
	assert_string_equal(d.state, "approved");
	review_draft_free(&d);
	assert_int_equal(store_review_decide(f->s, f->d.id, "sent", NULL, 7, 3000, &e), 1);
	assert_int_equal(edit(f, "b@example.org", "drop 2", NULL, &out, &others), 2);
	assert_non_null(strstr(buf_str(&out), "was already sent"));
	/* sent once: deciding again changes nothing */
	assert_int_equal(store_review_decide(f->s, f->d.id, "sent", NULL, 8, 3001, &e), 0);
	free(others);
	buf_free(&out);
}

static void test_due(void **state)
{
	struct fx *f = *state;
	struct err e;
	struct review_draft d;
	f->cfg.review_copy_at = "thu 08:00";
	time_t thu = utc(2026, 12, 10, 7, 0);
	/* a waiting draft without a deadline waits for approve */
	assert_int_equal(review_due(f->s, &f->cfg, thu, &d, &e), REVIEW_WAIT);
	review_draft_free(&d);
	struct buf out = BUF_INIT;
	char *others = NULL;
	assert_int_equal(edit(f, "a@example.org", "approve", NULL, &out, &others), 0);
	assert_int_equal(review_due(f->s, &f->cfg, thu, &d, &e), REVIEW_SEND);
	review_draft_free(&d);
	assert_int_equal(store_review_decide(f->s, f->d.id, "sent", NULL, 1, thu, &e), 1);
	/* the draft was made at 999 (1970): this week's copy is due */
	assert_int_equal(review_due(f->s, &f->cfg, thu + 60, &d, &e), REVIEW_DRAFT);
	review_draft_free(&d);
	struct review_draft n = {.period_start = 1000, .period_end = thu + 61, .created = thu + 60,
				 .deadline = thu + 86400};
	assert_int_equal(store_review_insert(f->s, &n, NULL, 0, &e), 0);
	assert_int_equal(review_due(f->s, &f->cfg, thu + 3600, &d, &e), REVIEW_WAIT);
	review_draft_free(&d);
	assert_int_equal(review_due(f->s, &f->cfg, thu + 86400, &d, &e), REVIEW_SEND);
	review_draft_free(&d);
	assert_int_equal(store_review_decide(f->s, n.id, "held", "a@example.org", 0, thu + 86400, &e), 1);
	/* done for this week: the next copy waits for next Thursday */
	assert_int_equal(review_due(f->s, &f->cfg, thu + 2 * 86400, &d, &e), REVIEW_NOT_YET);
	review_draft_free(&d);
	assert_int_equal(review_due(f->s, &f->cfg, thu + 7 * 86400, &d, &e), REVIEW_DRAFT);
	review_draft_free(&d);
	free(others);
	buf_free(&out);
}

/* A digest that already covers a waiting draft's period (the review
 * was switched off and on again): the draft is closed, never sent. */
static void test_superseded(void **state)
{
	struct fx *f = *state;
	struct err e;
	struct digest_row row = {.period_start = 0, .period_end = 1000, .created = 1000,
				 .subject = "s", .markdown = "m", .html = "h", .text = "t"};
	assert_int_equal(store_digest_insert(f->s, &row, &e), 0);
	struct review_draft d;
	assert_int_equal(review_due(f->s, &f->cfg, 2000, &d, &e), REVIEW_DRAFT);
	review_draft_free(&d);
	assert_int_equal(store_review_get(f->s, f->d.id, &d, &e), 1);
	assert_string_equal(d.state, "sent");
	assert_int_equal(d.digest_id, 0);
	review_draft_free(&d);
}

/* A quiet week's record is stored done in one statement: never an open
 * draft waiting for an approve. */
static void test_empty_record(void **state)
{
	struct fx *f = *state;
	struct err e;
	struct review_draft d;
	assert_int_equal(store_review_decide(f->s, f->d.id, "sent", NULL, 1, 1000, &e), 1);
	struct review_draft q = {.period_end = 2001, .created = 2000, .state = "empty"};
	assert_int_equal(store_review_insert(f->s, &q, NULL, 0, &e), 0);
	assert_int_equal(store_review_open(f->s, &d, &e), 0);
	assert_int_equal(store_review_get(f->s, 0, &d, &e), 1);
	assert_string_equal(d.state, "empty");
	assert_int_equal(d.decided, 2000);
	review_draft_free(&d);
}

/* Without copy_at, a held week's news waits for the next week, not for
 * the next run. */
static void test_hold_without_copy_at(void **state)
{
	struct fx *f = *state;
	struct buf out = BUF_INIT;
	char *others = NULL;
	struct err e;
	struct review_draft d;
	assert_int_equal(edit(f, "a@example.org", "hold", NULL, &out, &others), 0);
	assert_int_equal(review_due(f->s, &f->cfg, 999 + 3600, &d, &e), REVIEW_NOT_YET);
	review_draft_free(&d);
	assert_int_equal(review_due(f->s, &f->cfg, 999 + 7 * 86400, &d, &e), REVIEW_DRAFT);
	review_draft_free(&d);
	free(others);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weekly_parse),
		cmocka_unit_test(test_week_prev_next),
		cmocka_unit_test_setup_teardown(test_edits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_superseded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_without_copy_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_record, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
