/* The association's calendar (issue 21): the file (every problem with its
 * line, the entry left out, the rest kept), when an entry happens in
 * Stockholm/Oslo time (all day, a month, past midnight, 29 February, the
 * summer-time days), the agenda (entries and the selected items' events by
 * date, reminders once) and its lines as the digest shows them. */
#include "testutil.h"

#include <jansson.h>
#include <unistd.h>

#include "compose/agenda.h"
#include "compose/calendar.h"
#include "compose/digest.h"
#include "core/timefmt.h"
#include "select/rules.h"
#include "store/ingest.h"
#include "store/store.h"

static void read_text(const char *text, struct calendar *c)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	struct err err;
	if (calendar_read(f, "arshjul.ini", c, &err) < 0)
		fail_msg("%s", err.msg);
	fclose(f);
}

static const char *problem(const struct calendar *c, const char *needle)
{
	for (size_t i = 0; i < c->nproblems; i++)
		if (strstr(c->problems[i], needle))
			return c->problems[i];
	return NULL;
}

static time_t t3339(const char *s) { return time_parse_rfc3339(s); }

static void test_reads_entries(void **state)
{
	(void)state;
	struct calendar c;
	read_text("; Årshjul\n"
		  "[entry arsmote]\n"
		  "title = Årsmöte DLF Sthlm\n"
		  "month = 2\n"
		  "remind = 3w\n"
		  "\n"
		  "[entry medlemsmote-2027]\n"
		  "title = Medlemsmöte\n"
		  "date = 2027-03-11\n"
		  "time = 18:00–20:00\n"
		  "place = Läkarnas hus\n"
		  "url = https://example.se/m\n"
		  "remind = 10d\n"
		  "[entry natt]\n"
		  "title = Nattmöte\n"
		  "month = 8\n"
		  "day = 27\n"
		  "time = 22.00-02.00\n",
		  &c);
	assert_int_equal(c.nproblems, 0);
	assert_int_equal(c.n, 3);
	const struct cal_entry *a = &c.v[0], *m = &c.v[1], *n = &c.v[2];
	assert_string_equal(a->name, "arsmote");
	assert_string_equal(a->title, "Årsmöte DLF Sthlm");
	assert_int_equal(a->month, 2);
	assert_int_equal(a->day, 0);
	assert_int_equal(a->year, 0);
	assert_int_equal(a->start_min, -1);
	assert_int_equal(a->remind_days, 21);
	assert_int_equal(a->line, 2);
	assert_int_equal(m->year, 2027);
	assert_int_equal(m->month, 3);
	assert_int_equal(m->day, 11);
	assert_int_equal(m->start_min, 18 * 60);
	assert_int_equal(m->end_min, 20 * 60);
	assert_string_equal(m->place, "Läkarnas hus");
	assert_string_equal(m->url, "https://example.se/m");
	assert_int_equal(m->remind_days, 10);
	assert_int_equal(n->start_min, 22 * 60);
	assert_int_equal(n->end_min, 2 * 60);
	assert_null(n->place);
	calendar_free(&c);
}

static void test_every_problem_with_its_line(void **state)
{
	(void)state;
	struct calendar c;
	read_text("[entry tretton]\n"          /* 1 */
		  "title = Månad tretton\n"
		  "month = 13\n"                /* 3 */
		  "[entry feb31]\n"
		  "title = x\n"
		  "month = 2\n"
		  "day = 31\n"                  /* 7 */
		  "[entry tid]\n"
		  "title = x\n"
		  "month = 5\n"
		  "time = 18:00\n"              /* 11 */
		  "[entry okand]\n"
		  "title = x\n"
		  "date = 2027-04-01\n"
		  "colour = red\n"              /* 15 */
		  "[entry utan-titel]\n"        /* 16 */
		  "month = 4\n"
		  "[entry bra]\n"
		  "title = Den här är rätt\n"
		  "date = 2028-02-29\n"
		  "[entry bra]\n"               /* 21 */
		  "title = igen\n"
		  "month = 1\n"
		  "[sektion]\n"                 /* 24 */
		  "utanför\n"                   /* 25 */
		  "[entry ö]\n"                 /* 26 */
		  "[entry d]\n"
		  "title = x\n"
		  "date = 2027-02-29\n"         /* 29 */
		  "url = ftp://x\n"             /* 30 */
		  "remind = 3y\n"               /* 31 */
		  "time = 25:00\n"              /* 32 */
		  "month = 3\n"
		  "[entry e]\n"
		  "title = x\n"
		  "day = 3\n"                   /* 36 */
		  "[entry e2]\n"
		  "title = x\n"
		  "title = y\n"                 /* 39 */
		  "month = 1\n"
		  "[entry f\n"                  /* 41 */
		  "title = y\n"
		  "month = 1\n",
		  &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].name, "bra");
	const char *want[] = {
		"arshjul.ini:3: month must be a whole number from 1 to 12, not \"13\"",
		"arshjul.ini:7: there is no 31 February",
		"arshjul.ini:11: a time without a day",
		"arshjul.ini:15: unknown setting \"colour\"",
		"arshjul.ini:16: entry \"utan-titel\" has no title",
		"arshjul.ini:21: entry \"bra\" is already defined at line 18",
		"arshjul.ini:24: sections here are [entry NAME], not [sektion]",
		"arshjul.ini:25: cannot read this line",
		"arshjul.ini:26: entry name \"ö\"",
		"arshjul.ini:29: date \"2027-02-29\" is not a day",
		"arshjul.ini:30: url must start with https:// or http://",
		"arshjul.ini:31: remind \"3y\"",
		"arshjul.ini:32: time \"25:00\" is not a time of day",
		"arshjul.ini:36: day without a month",
		"arshjul.ini:39: title given twice in this entry (first at line 38)",
		"arshjul.ini:41: a [section] header without its ]",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!problem(&c, want[i]))
			fail_msg("missing: %s", want[i]);
	assert_int_equal(c.nproblems, sizeof want / sizeof *want);
	/* in file order */
	for (size_t i = 1; i < c.nproblems; i++)
		assert_true(atoi(strchr(c.problems[i - 1], ':') + 1) <= atoi(strchr(c.problems[i], ':') + 1));
	calendar_free(&c);
}

static void test_hostile_bytes(void **state)
{
	(void)state;
	struct calendar c;
	/* a NUL and a control byte in lines, a line far over inih's limit */
	static const char text[] = "[entry a]\ntitle = x\x01y\nmonth = 1\n[entry b]\ntitle = ok\0zz\nmonth = 2\n";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	struct err err;
	assert_int_equal(calendar_read(f, "x.ini", &c, &err), 0);
	fclose(f);
	assert_non_null(problem(&c, "x.ini:2: column 10: a control byte (0x01)"));
	assert_non_null(problem(&c, "x.ini:5: column 11: a control byte (0x00)"));
	assert_int_equal(c.n, 0);
	calendar_free(&c);
	char *big = malloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	memcpy(big, "[entry a]\ntitle = ", 18);
	f = fmemopen(big, 4999, "r");
	assert_int_equal(calendar_read(f, "big.ini", &c, &err), 0);
	fclose(f);
	assert_non_null(problem(&c, "big.ini:2: line longer than"));
	calendar_free(&c);
	free(big);
	assert_int_equal(calendar_load("/nonexistent/arshjul.ini", &c, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/arshjul.ini"));
	calendar_free(&c);
}

static void test_when(void **state)
{
	(void)state;
	struct cal_when w;
	/* a month, in winter time: Stockholm midnights */
	struct cal_entry e = {.month = 2, .start_min = -1, .end_min = -1};
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_int_equal(w.span, CAL_MONTH);
	assert_true(w.start == t3339("2027-01-31T23:00:00Z"));
	assert_true(w.end == t3339("2027-02-28T23:00:00Z"));
	/* December runs into January */
	e.month = 12;
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_true(w.end == t3339("2027-12-31T23:00:00Z"));
	/* all day in summer time */
	e = (struct cal_entry){.year = 2027, .month = 8, .day = 20, .start_min = -1, .end_min = -1};
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_int_equal(w.span, CAL_DAY);
	assert_true(w.start == t3339("2027-08-19T22:00:00Z"));
	assert_true(w.end == t3339("2027-08-20T22:00:00Z"));
	assert_int_equal(calendar_when(&e, 2028, &w), 0); /* once, in 2027 */
	/* the day summer time starts has 23 hours */
	e = (struct cal_entry){.month = 3, .day = 28, .start_min = -1, .end_min = -1};
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_int_equal((long)(w.end - w.start), 23 * 3600);
	/* past midnight: 22.00-02.00 ends the next day */
	e = (struct cal_entry){.month = 8, .day = 27, .start_min = 22 * 60, .end_min = 2 * 60};
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_int_equal(w.span, CAL_TIMED);
	assert_true(w.start == t3339("2027-08-27T20:00:00Z"));
	assert_true(w.end == t3339("2027-08-28T00:00:00Z"));
	/* the last night of October: 31 October 22.00 to 1 November 02.00 */
	e.month = 10;
	e.day = 31;
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_true(w.end == t3339("2027-11-01T01:00:00Z"));
	/* a time without an end */
	e = (struct cal_entry){.month = 3, .day = 11, .start_min = 18 * 60, .end_min = -1};
	assert_int_equal(calendar_when(&e, 2027, &w), 1);
	assert_true(w.start == t3339("2027-03-11T17:00:00Z"));
	assert_true(w.end == 0);
	/* 29 February: leap years only */
	e = (struct cal_entry){.month = 2, .day = 29, .start_min = -1, .end_min = -1};
	assert_int_equal(calendar_when(&e, 2027, &w), 0);
	assert_int_equal(calendar_when(&e, 2028, &w), 1);
}

/* ---- the agenda, on a store with items ---- */

struct fx {
	char dir[64], path[128];
	struct store *s;
	struct rules *r;
	struct calendar cal;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bulletin-cal-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
	struct err err;
	if (store_open(f->path, &f->s, &err) < 0)
		return -1;
	f->r = rules_new();
	if (rules_load_string(f->r, "t.rules", "threshold 2\ntopic pv \"Primärvård\"\ninclude 3 primärvård\n",
			      &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	rules_free(f->r);
	calendar_free(&f->cal);
	char p[200];
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* An item stored as the ingest step stores it, first seen at now. */
static void ingest(struct fx *f, const char *key, const char *title, const char *summary, time_t now)
{
	struct item it = {0};
	it.source = strdup("dlf");
	it.key = strdup(key);
	it.title = strdup(title);
	it.summary = strdup(summary);
	it.url = strdup("https://dlf.example.se/m");
	ingest_item_event(&it, now);
	int is_new;
	struct err err;
	if (store_item_upsert(f->s, &it, now, &is_new, &err) < 0)
		fail_msg("%s", err.msg);
	item_free(&it);
}

static void test_agenda_by_date_with_reminders(void **state)
{
	struct fx *f = *state;
	time_t now = t3339("2027-02-08T05:30:00Z");
	read_text("[entry arsmote]\ntitle = Årsmöte\nmonth = 2\nremind = 3w\n"
		  "[entry fum]\ntitle = FUM\nmonth = 3\nremind = 4w\n"
		  "[entry april]\ntitle = April\nmonth = 4\n"
		  "[entry dag]\ntitle = Heldag\ndate = 2027-02-20\nplace = Parken\n",
		  &f->cal);
	ingest(f, "m1", "Medlemsmöte om primärvård", "Den 11 mars kl. 18.00–20.00 i Läkarnas hus.", now);
	ingest(f, "m2", "Pendeltåg", "Invigning den 12 februari kl. 10.", now); /* not selected */
	ingest(f, "m3", "Primärvård igår", "Mötet var den 1 februari 2027 kl. 10.", now); /* past */
	ingest(f, "m4", "Primärvård i höst", "Den 9 september kl. 17.30.", now); /* beyond */
	struct agenda a;
	struct err err;
	struct agenda_opts o = {.cal = &f->cal, .rules = f->r, .from = now,
				.until = now + 6 * 7 * 86400L, .reminders = now};
	if (agenda_build(f->s, &o, &a, &err) < 0)
		fail_msg("%s", err.msg);
	const char *want[] = {"Årsmöte", "Heldag", "FUM", "Medlemsmöte om primärvård"};
	assert_int_equal(a.n, 4);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.v[i].title, want[i]);
	assert_int_equal(a.v[0].reminder, 0); /* February has begun */
	assert_int_equal(a.v[2].reminder, 1); /* March is four weeks off */
	assert_string_equal(a.v[2].uid, "cal-fum-2027");
	assert_int_equal(a.v[1].span, CAL_DAY);
	assert_int_equal(a.v[3].span, CAL_TIMED);
	assert_null(a.v[3].entry);
	assert_string_equal(a.v[3].source, "dlf");
	assert_int_equal(strncmp(a.v[3].uid, "item-", 5), 0);
	assert_true(a.v[3].start == t3339("2027-03-11T17:00:00Z"));
	assert_true(a.v[3].end == t3339("2027-03-11T19:00:00Z"));
	/* the lines as the digest shows them */
	struct digest_opts d = {.language = "sv"};
	json_t *u = digest_upcoming(&d, &a);
	json_t *lines = json_object_get(u, "lines");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "date_text")),
			    "februari 2027");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 1), "date_text")),
			    "lördag 20 februari 2027");
	assert_null(json_object_get(json_array_get(lines, 1), "time_text"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 1), "place")), "Parken");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 3), "time_text")),
			    "kl. 18.00\xE2\x80\x93" "20.00");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 3), "url")),
			    "https://dlf.example.se/m");
	json_t *rem = json_object_get(u, "reminders");
	assert_int_equal(json_array_size(rem), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rem, 0), "entry")), "fum");
	json_decref(u);
	d.language = "nb";
	u = digest_upcoming(&d, &a);
	lines = json_object_get(u, "lines");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 1), "date_text")),
			    "lørdag 20. februar 2027");
	assert_string_equal(json_string_value(json_object_get(u, "title")), "Hva skjer");
	json_decref(u);
	d.language = "en";
	u = digest_upcoming(&d, &a);
	lines = json_object_get(u, "lines");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 3), "time_text")),
			    "at 18:00\xE2\x80\x93" "20:00");
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "date_text")),
			    "February 2027");
	json_decref(u);
	agenda_free(&a);

	/* given once: recorded, the next agenda no longer marks it */
	assert_int_equal(store_reminder_mark(f->s, "fum", 2027, 1, now, &err), 1);
	assert_int_equal(store_reminder_mark(f->s, "fum", 2027, 2, now, &err), 0);
	if (agenda_build(f->s, &o, &a, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < a.n; i++)
		assert_int_equal(a.v[i].reminder, 0);
	agenda_free(&a);
	/* a reminder reaches beyond the window: April is not in two weeks, but
	 * with remind it is listed, marked */
	o.until = now + 14 * 86400L;
	o.reminders = t3339("2027-03-30T08:00:00Z");
	calendar_free(&f->cal);
	read_text("[entry april]\ntitle = April\nmonth = 4\nremind = 1w\n", &f->cal);
	if (agenda_build(f->s, &o, &a, &err) < 0)
		fail_msg("%s", err.msg);
	size_t found = 0;
	for (size_t i = 0; i < a.n; i++)
		found += a.v[i].entry && !strcmp(a.v[i].entry, "april") && a.v[i].reminder;
	assert_int_equal(found, 1);
	agenda_free(&a);
}

static void test_event_uid_is_the_items(void **state)
{
	(void)state;
	struct item a = {.source = "s", .key = "k1", .event_start = 1}, b = a;
	char ua[AGENDA_UID_MAX], ub[AGENDA_UID_MAX];
	agenda_event_uid(&a, ua, sizeof ua);
	b.event_start = 2; /* the event moved: the same UID */
	agenda_event_uid(&b, ub, sizeof ub);
	assert_string_equal(ua, ub);
	b.key = "k2";
	agenda_event_uid(&b, ub, sizeof ub);
	assert_string_not_equal(ua, ub);
	/* source and key are kept apart: "s"+"k1" is not "sk"+"1" */
	struct item c = {.source = "sk", .key = "1"};
	agenda_event_uid(&c, ub, sizeof ub);
	assert_string_not_equal(ua, ub);
	/* the hash of what a calendar shows moves with a detail */
	struct agenda_line l = {.start = 10, .title = "Möte", .place = "A"};
	char h1[17], h2[17];
	agenda_line_hash(&l, h1);
	l.place = "B";
	agenda_line_hash(&l, h2);
	assert_string_not_equal(h1, h2);
	l.place = "A";
	agenda_line_hash(&l, h2);
	assert_string_equal(h1, h2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_entries),
		cmocka_unit_test(test_every_problem_with_its_line),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_when),
		cmocka_unit_test_setup_teardown(test_agenda_by_date_with_reminders, setup, teardown),
		cmocka_unit_test(test_event_uid_is_the_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
