#include "testutil.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

/* The schema this program writes, and the SQL that takes a file of it
 * back to version 4 (before the calendar's columns and tables), for the
 * tests that make older files. */
#define SCHEMA_NOW 10
/* What each migration above 4 added, dropped again to make an older file
 * (newest first). */
#define UNDO_5 "ALTER TABLE sources DROP COLUMN validators_url;"
#define UNDO_6 "DROP INDEX items_event; ALTER TABLE items DROP COLUMN event_start;" \
	"ALTER TABLE items DROP COLUMN event_end; DROP TABLE reminders; DROP TABLE ical_events;"
#define UNDO_7 "DROP TABLE page_versions; DROP TABLE page_changes;"
#define UNDO_8 "DROP TABLE mailbox_messages; DROP TABLE bounces; DROP TABLE member_state;" \
	"DROP INDEX deliveries_message_id; ALTER TABLE sources DROP COLUMN paused;"
#define UNDO_9 "DROP INDEX deliveries_state;" \
	"ALTER TABLE deliveries DROP COLUMN next_attempt;" \
	"ALTER TABLE deliveries DROP COLUMN deferrals;" \
	"ALTER TABLE digests DROP COLUMN model;" \
	"ALTER TABLE digests DROP COLUMN archived;" \
	"ALTER TABLE digests DROP COLUMN members_recorded;"
#define UNDO_10 "DROP TABLE review_drafts; DROP TABLE review_numbers; DROP TABLE review_edits;" \
	"DROP TABLE review_copies;"
#define UNDO_ABOVE_4 UNDO_10 UNDO_9 UNDO_8 UNDO_7 UNDO_6 UNDO_5

/* A fresh temporary directory per test; the store file lives inside. */
struct fx {
	char dir[64];
	char path[128];
	struct store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/bulletin-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
	struct err e = {{0}};
	if (store_open(f->path, &f->s, &e)) {
		fprintf(stderr, "# %s\n", e.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	char p[192];
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_open_twice_is_idempotent(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);

	/* The pragmas and tables really are in the file. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT COUNT(*) FROM sqlite_schema WHERE name IN "
					    "('sources','items','digests','deliveries',"
					    "'items_first_seen')",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 5);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* What migration 5 (the mailbox, issue 18) added, undone: a file as
 * version 4 left it. */
/* A store written by version 1 of the schema is migrated in place and
 * keeps its items. */
static void test_migrates_version_1(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct item it = {0};
	it.source = strdup("s");
	it.key = strdup("k");
	it.url = strdup("https://e.se/1");
	it.title = strdup("Vårdcentralen");
	int is_new;
	assert_int_equal(store_item_upsert(f->s, &it, 100, &is_new, &e), 0);
	item_free(&it);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      UNDO_ABOVE_4 "ALTER TABLE digests DROP COLUMN calendar;"
				      "DROP TABLE unsubscribes;"
				      "DROP INDEX items_source_url; DROP INDEX items_source_title;"
				      "ALTER TABLE items DROP COLUMN enclosures;"
				      "ALTER TABLE sources DROP COLUMN key_mode;"
				      "PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	assert_int_equal(store_unsubscribe_get(f->s, "a@example.se", NULL, &e), 0);
	char *key;
	assert_int_equal(store_item_key_by_url(f->s, "s", "https://e.se/1", &key, &e), 0);
	assert_string_equal(key, "k");
	free(key);
	assert_int_equal(store_item_key_by_title(f->s, "s", "Vårdcentralen", &key, &e), 0);
	assert_string_equal(key, "k");
	free(key);
	assert_int_equal(store_item_key_by_url(f->s, "s", "https://e.se/2", &key, &e), 0);
	assert_null(key);
	assert_int_equal(store_item_exists(f->s, "s", "k", &e), 1);
	assert_int_equal(store_item_exists(f->s, "s", "nope", &e), 0);
	char *mode;
	assert_int_equal(store_key_mode_get(f->s, "s", &mode, &e), 0);
	assert_null(mode); /* no fetch recorded for s yet */
	assert_int_equal(store_key_mode_set(f->s, "s", "link", &e), 0);
	assert_int_equal(store_key_mode_get(f->s, "s", &mode, &e), 0);
	assert_string_equal(mode, "link");
	free(mode);
}

static void test_enclosures_round_trip(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct item it = {0};
	it.source = strdup("pod");
	it.key = strdup("ep1");
	assert_int_equal(item_add_enclosure(&it, "https://e.se/ep1.mp3", "audio/mpeg", 12345), 0);
	int is_new;
	assert_int_equal(store_item_upsert(f->s, &it, 500, &is_new, &e), 0);
	item_free(&it);
	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 500, 501, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].nenclosures, 1);
	assert_string_equal(l.v[0].enclosures[0].url, "https://e.se/ep1.mp3");
	assert_string_equal(l.v[0].enclosures[0].type, "audio/mpeg");
	assert_int_equal(l.v[0].enclosures[0].length, 12345);
	item_list_free(&l);
}

static void test_future_version_refused(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct err e = {{0}};
	struct store *s = NULL;
	assert_int_equal(store_open(f->path, &s, &e), -1);
	assert_null(s);
	assert_non_null(strstr(e.msg, f->path));
	assert_non_null(strstr(e.msg, "99"));
	assert_non_null(strstr(e.msg, "newer"));
}

static void test_not_a_database(void **state)
{
	struct fx *f = *state;
	char p[192];
	snprintf(p, sizeof p, "%s/junk.db", f->dir);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not sqlite ", fp);
	fclose(fp);
	struct err e = {{0}};
	struct store *s = NULL;
	assert_int_equal(store_open(p, &s, &e), -1);
	assert_null(s);
	assert_non_null(strstr(e.msg, p));
	unlink(p);
}

static struct item mk(const char *source, const char *key, const char *title)
{
	struct item it = {0};
	it.source = strdup(source);
	it.key = strdup(key);
	it.title = strdup(title);
	return it;
}

static void test_upsert_new_then_old(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct item it = mk("lakartidningen", "guid-1", "Första titeln");
	it.url = strdup("https://example.org/1");
	it.published = 1713344400;
	assert_int_equal(item_add_category(&it, "Primärvård"), 0);
	int is_new = -1;
	assert_int_equal(store_item_upsert(f->s, &it, 1000, &is_new, &e), 0);
	assert_int_equal(is_new, 1);
	assert_true(it.id > 0);
	assert_int_equal(it.first_seen, 1000);
	int64_t id = it.id;

	free(it.title);
	it.title = strdup("Ändrad titel");
	it.id = 0;
	assert_int_equal(store_item_upsert(f->s, &it, 2000, &is_new, &e), 0);
	assert_int_equal(is_new, 0);
	assert_int_equal(it.id, id);
	assert_int_equal(it.first_seen, 1000);

	/* Same key in another source is a different item. */
	struct item other = mk("dagensmedicin", "guid-1", "Annan källa");
	assert_int_equal(store_item_upsert(f->s, &other, 2000, &is_new, &e), 0);
	assert_int_equal(is_new, 1);
	assert_true(other.id != id);

	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 0, 5000, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].id, id);
	assert_string_equal(l.v[0].title, "Ändrad titel");
	assert_int_equal(l.v[0].first_seen, 1000);
	assert_int_equal(l.v[0].published, 1713344400);
	assert_int_equal(l.v[0].updated, 0);
	assert_null(l.v[0].summary);
	assert_int_equal(l.v[0].ncategories, 1);
	assert_string_equal(l.v[0].categories[0], "Primärvård");
	assert_string_equal(l.v[1].source, "dagensmedicin");
	assert_int_equal(l.v[1].ncategories, 0);
	item_list_free(&l);
	item_free(&it);
	item_free(&other);

	/* Source and key are required. */
	struct item bad = {0};
	bad.source = strdup("x");
	assert_int_equal(store_item_upsert(f->s, &bad, 1, &is_new, &e), -1);
	assert_non_null(strstr(e.msg, "key"));
	item_free(&bad);
}

static void test_items_between_windows(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	int is_new;
	/* Inserted out of time order to check the ordering. */
	const time_t seen[] = {300, 100, 200, 400};
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		struct item it = mk("s", key, key);
		assert_int_equal(store_item_upsert(f->s, &it, seen[i], &is_new, &e), 0);
		item_free(&it);
	}
	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 100, 300, &l, &e), 0);
	assert_int_equal(l.n, 2); /* 100 and 200; 300 is excluded */
	assert_int_equal(l.v[0].first_seen, 100);
	assert_string_equal(l.v[0].key, "k1");
	assert_int_equal(l.v[1].first_seen, 200);
	item_list_free(&l);

	assert_int_equal(store_items_between(f->s, 0, 1000, &l, &e), 0);
	assert_int_equal(l.n, 4);
	for (size_t i = 1; i < l.n; i++)
		assert_true(l.v[i - 1].first_seen <= l.v[i].first_seen);
	item_list_free(&l);

	assert_int_equal(store_items_between(f->s, 401, 1000, &l, &e), 0);
	assert_int_equal(l.n, 0);
	item_list_free(&l);
}

static void test_utf8_round_trip(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	const char *text = "Vårdcentral på Åland: läkare, sjuksköterskor — "
			   "Ærø, Øst-Finnmark og Bodø; «sitat» ✓";
	struct item it = mk("källa-å", "nyckel-ø", text);
	it.summary = strdup(text);
	it.content = strdup(text);
	it.author = strdup("Åsa Ærøskøbing");
	it.url = strdup("https://example.no/nyheter/bodø");
	assert_int_equal(item_add_category(&it, "allmänmedicin"), 0);
	assert_int_equal(item_add_category(&it, "fastlegeordningen \"æøå\""), 0);
	int is_new;
	assert_int_equal(store_item_upsert(f->s, &it, 50, &is_new, &e), 0);

	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 0, 100, &l, &e), 0);
	assert_int_equal(l.n, 1);
	struct item *r = &l.v[0];
	assert_string_equal(r->source, "källa-å");
	assert_string_equal(r->key, "nyckel-ø");
	assert_string_equal(r->title, text);
	assert_string_equal(r->summary, text);
	assert_string_equal(r->content, text);
	assert_string_equal(r->author, "Åsa Ærøskøbing");
	assert_string_equal(r->url, "https://example.no/nyheter/bodø");
	assert_int_equal(r->ncategories, 2);
	assert_string_equal(r->categories[0], "allmänmedicin");
	assert_string_equal(r->categories[1], "fastlegeordningen \"æøå\"");
	item_list_free(&l);
	item_free(&it);

	/* Invalid UTF-8 in a category is refused, not stored as broken JSON. */
	struct item bad = mk("s", "bad", "t");
	assert_int_equal(item_add_category(&bad, "\xff\xfe"), 0);
	assert_int_equal(store_item_upsert(f->s, &bad, 50, &is_new, &e), -1);
	assert_non_null(strstr(e.msg, "UTF-8"));
	item_free(&bad);
}

static void test_source_record(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct source_state st;
	assert_int_equal(store_source_get(f->s, "never", &st, &e), 0);
	assert_null(st.etag);
	assert_int_equal(st.consecutive_failures, 0);
	assert_int_equal(st.last_success, 0);
	source_state_free(&st);

	const char *url = "https://example.org/feed";
	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, "\"v1\"",
					     "Wed, 17 Apr 2024 09:00:00 GMT", 100, &e), 0);
	assert_int_equal(store_source_record(f->s, "src", url, 0, "HTTP 503", NULL, NULL, 200,
					     &e), 0);
	assert_int_equal(store_source_record(f->s, "src", url, 0, "timeout", NULL, NULL, 300,
					     &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_int_equal(st.consecutive_failures, 2);
	assert_string_equal(st.last_error, "timeout");
	assert_string_equal(st.etag, "\"v1\"");
	assert_string_equal(st.last_modified, "Wed, 17 Apr 2024 09:00:00 GMT");
	assert_int_equal(st.last_attempt, 300);
	assert_int_equal(st.last_success, 100);
	source_state_free(&st);

	/* Success without new validators (a 304) keeps the old ones. */
	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, NULL, NULL, 400, &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_int_equal(st.consecutive_failures, 0);
	assert_null(st.last_error);
	assert_string_equal(st.etag, "\"v1\"");
	assert_int_equal(st.last_success, 400);
	source_state_free(&st);

	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, "\"v2\"", NULL, 500, &e),
			 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.etag, "\"v2\"");
	assert_string_equal(st.last_modified, "Wed, 17 Apr 2024 09:00:00 GMT");
	source_state_free(&st);

	/* A source that failed on its first attempt. */
	assert_int_equal(store_source_record(f->s, "new", url, 0, "refused", NULL, NULL, 10, &e),
			 0);
	assert_int_equal(store_source_get(f->s, "new", &st, &e), 0);
	assert_int_equal(st.consecutive_failures, 1);
	assert_int_equal(st.last_success, 0);
	assert_string_equal(st.last_error, "refused");
	source_state_free(&st);

	/* Validators belong to their URL: a changed URL's first success
	 * replaces them, even with none, and says whose they are. */
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.validators_url, url);
	source_state_free(&st);
	const char *moved = "https://example.org/ny-feed";
	assert_int_equal(store_source_record(f->s, "src", moved, 0, "HTTP 503", NULL, NULL, 550,
					     &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.validators_url, url); /* a failure answered nothing */
	assert_string_equal(st.etag, "\"v2\"");
	source_state_free(&st);
	assert_int_equal(store_source_record(f->s, "src", moved, 1, NULL, NULL, NULL, 600, &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.validators_url, moved);
	assert_null(st.etag);
	assert_null(st.last_modified);
	source_state_free(&st);
	assert_int_equal(store_source_record(f->s, "src", moved, 1, NULL, "\"n1\"", NULL, 700, &e),
			 0);
	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, NULL,
					     "Thu, 18 Apr 2024 09:00:00 GMT", 800, &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.validators_url, url);
	assert_null(st.etag);
	assert_string_equal(st.last_modified, "Thu, 18 Apr 2024 09:00:00 GMT");
	source_state_free(&st);
}

static void test_sources_all(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct source_health *v;
	size_t n;
	assert_int_equal(store_sources_all(f->s, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	source_health_free(v, n);
	assert_int_equal(store_source_record(f->s, "vårdfokus", "https://v.example/", 1, NULL,
					     NULL, NULL, 100, &e), 0);
	assert_int_equal(store_source_record(f->s, "altinget", "https://a.example/", 0, "HTTP 500",
					     NULL, NULL, 100, &e), 0);
	assert_int_equal(store_sources_all(f->s, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "altinget");
	assert_string_equal(v[0].st.last_error, "HTTP 500");
	assert_int_equal(v[0].st.consecutive_failures, 1);
	assert_string_equal(v[1].name, "vårdfokus");
	assert_string_equal(v[1].url, "https://v.example/");
	assert_int_equal(v[1].st.last_success, 100);
	source_health_free(v, n);
}

static void test_digests(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	time_t end = 123;
	assert_int_equal(store_digest_last_end(f->s, &end, &e), 0);
	assert_int_equal(end, 0);
	struct digest_row d = {0};
	assert_int_equal(store_digest_unfinished(f->s, &d, &e), 0);

	struct digest_row a = {.period_start = 1000, .period_end = 2000, .created = 2001};
	a.subject = "Veckobrev: primärvård";
	a.markdown = "# Nyheter\n\nÅ ä ö æ ø";
	a.html = "<h1>Nyheter</h1>";
	a.text = "Nyheter";
	a.calendar = "BEGIN:VCALENDAR\r\nSUMMARY:Möte på Östlandet\r\nEND:VCALENDAR\r\n";
	assert_int_equal(store_digest_insert(f->s, &a, &e), 0);
	assert_true(a.id > 0);

	assert_int_equal(store_digest_unfinished(f->s, &d, &e), 1);
	assert_int_equal(d.id, a.id);
	assert_int_equal(d.period_start, 1000);
	assert_int_equal(d.period_end, 2000);
	assert_int_equal(d.created, 2001);
	assert_int_equal(d.completed, 0);
	assert_string_equal(d.subject, "Veckobrev: primärvård");
	assert_string_equal(d.markdown, "# Nyheter\n\nÅ ä ö æ ø");
	assert_string_equal(d.html, "<h1>Nyheter</h1>");
	assert_string_equal(d.text, "Nyheter");
	/* the calendar part survives a crash-resume like the others */
	assert_string_equal(d.calendar, a.calendar);
	digest_row_free(&d);
	/* Unfinished, yet the next period starts at its end: stragglers of
	 * one digest never hold up the next (issue 13). */
	assert_int_equal(store_digest_last_end(f->s, &end, &e), 0);
	assert_int_equal(end, 2000);

	assert_int_equal(store_digest_complete(f->s, a.id, 2100, &e), 0);
	assert_int_equal(store_digest_unfinished(f->s, &d, &e), 0);
	assert_int_equal(store_digest_last_end(f->s, &end, &e), 0);
	assert_int_equal(end, 2000);

	struct digest_row b = {.period_start = 2000, .period_end = 3000, .created = 3001};
	b.subject = "Nästa";
	assert_int_equal(store_digest_insert(f->s, &b, &e), 0);
	assert_int_equal(store_digest_unfinished(f->s, &d, &e), 1);
	assert_int_equal(d.id, b.id);
	assert_null(d.markdown);
	assert_null(d.calendar);
	digest_row_free(&d);
	assert_int_equal(store_digest_last_end(f->s, &end, &e), 0);
	assert_int_equal(end, 3000);

	assert_int_equal(store_digest_complete(f->s, 9999, 1, &e), -1);
	assert_non_null(strstr(e.msg, "9999"));
}

static void test_deliveries(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);

	enum delivery_state st = DELIVERY_FAILED;
	assert_int_equal(store_delivery_get(f->s, d.id, "åsa@example.se", &st, &e), 0);
	assert_int_equal(st, DELIVERY_NONE);

	const char *who[] = {"åsa@example.se", "bjørn@example.no", "c@example.dk"};
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_delivery_set(f->s, d.id, who[i], DELIVERY_QUEUED, NULL, NULL,
						    10, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, who[0], DELIVERY_SENDING, "<m1@x>", NULL,
					    11, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, who[0], DELIVERY_SENT, NULL,
					    "250 2.0.0 Ok: queued", 12, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, who[1], DELIVERY_SENDING, "<m2@x>", NULL,
					    13, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, who[1], DELIVERY_FAILED, NULL,
					    "550 no such user", 14, &e), 0);

	assert_int_equal(store_delivery_get(f->s, d.id, who[0], &st, &e), 0);
	assert_int_equal(st, DELIVERY_SENT);
	assert_int_equal(store_delivery_get(f->s, d.id, who[1], &st, &e), 0);
	assert_int_equal(st, DELIVERY_FAILED);

	int counts[DELIVERY_NSTATES];
	assert_int_equal(store_delivery_counts(f->s, d.id, counts, &e), 0);
	assert_int_equal(counts[DELIVERY_NONE], 0);
	assert_int_equal(counts[DELIVERY_QUEUED], 1);
	assert_int_equal(counts[DELIVERY_SENDING], 0);
	assert_int_equal(counts[DELIVERY_SENT], 1);
	assert_int_equal(counts[DELIVERY_FAILED], 1);
	assert_int_equal(store_delivery_counts(f->s, d.id + 1, counts, &e), 0);
	assert_int_equal(counts[DELIVERY_QUEUED], 0);

	/* attempts counts SENDING transitions; message_id survives later updates. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT attempts, message_id, last_reply FROM "
					    "deliveries WHERE email = ?1",
					    -1, &q, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(q, 1, who[0], -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "<m1@x>");
	assert_string_equal((const char *)sqlite3_column_text(q, 2), "250 2.0.0 Ok: queued");
	sqlite3_finalize(q);
	sqlite3_close(db);

	assert_string_equal(delivery_state_name(DELIVERY_SENDING), "sending");
	/* Foreign keys are on: no ledger row for a digest that does not exist. */
	assert_int_equal(store_delivery_set(f->s, d.id + 100, who[2], DELIVERY_QUEUED, NULL, NULL,
					    1, &e), -1);
	assert_non_null(strstr(e.msg, "FOREIGN KEY"));
}

static void test_transactions(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	int is_new;
	assert_int_equal(store_begin(f->s, &e), 0);
	struct item it = mk("s", "rolled-back", "x");
	assert_int_equal(store_item_upsert(f->s, &it, 10, &is_new, &e), 0);
	assert_int_equal(store_rollback(f->s), 0);
	item_free(&it);
	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 0, 100, &l, &e), 0);
	assert_int_equal(l.n, 0);

	assert_int_equal(store_begin(f->s, &e), 0);
	it = mk("s", "kept", "x");
	assert_int_equal(store_item_upsert(f->s, &it, 10, &is_new, &e), 0);
	assert_int_equal(store_commit(f->s, &e), 0);
	item_free(&it);
	assert_int_equal(store_items_between(f->s, 0, 100, &l, &e), 0);
	assert_int_equal(l.n, 1);
	item_list_free(&l);
	assert_int_equal(store_rollback(f->s), 0); /* nothing open: harmless */
}

/* A version 2 file (before unsubscribes) gets the table and keeps its
 * ledger. */
static void test_migrates_version_2(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, "x@example.se", DELIVERY_SENT, NULL, NULL,
					    5, &e), 0);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_ABOVE_4 "ALTER TABLE digests DROP COLUMN calendar;"
				      "DROP TABLE unsubscribes; PRAGMA user_version = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	assert_int_equal(store_unsubscribe_add(f->s, "x@example.se", "command", 9, &e), 1);
	enum delivery_state st;
	assert_int_equal(store_delivery_get(f->s, d.id, "x@example.se", &st, &e), 0);
	assert_int_equal(st, DELIVERY_SENT);
}

/* A version 3 file (before digests had a calendar) keeps its unfinished
 * digest, which then has none, and takes calendars from then on. */
static void test_migrates_version_3(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	d.subject = "Gammal";
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_ABOVE_4 "ALTER TABLE digests DROP COLUMN calendar;"
				      "PRAGMA user_version = 3;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	struct digest_row got;
	assert_int_equal(store_digest_unfinished(f->s, &got, &e), 1);
	assert_string_equal(got.subject, "Gammal");
	assert_null(got.calendar);
	digest_row_free(&got);
	assert_int_equal(store_digest_complete(f->s, d.id, 4, &e), 0);
	struct digest_row n = {.period_start = 2, .period_end = 5, .created = 6};
	n.calendar = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	assert_int_equal(store_digest_insert(f->s, &n, &e), 0);
	assert_int_equal(store_digest_unfinished(f->s, &got, &e), 1);
	assert_string_equal(got.calendar, n.calendar);
	digest_row_free(&got);
}

/* A version 4 file (validators without their URL) keeps them, but as
 * nobody's: whether the URL changed since cannot be known, so the next
 * fetch is unconditional and its success says whose they are. */
static void test_migrates_version_4(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	const char *url = "https://example.org/feed";
	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, "\"v1\"", NULL, 100, &e), 0);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_ABOVE_4 "PRAGMA user_version = 4;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	struct source_state st;
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.etag, "\"v1\"");
	assert_null(st.validators_url);
	source_state_free(&st);
	assert_int_equal(store_source_record(f->s, "src", url, 1, NULL, "\"v2\"", NULL, 200, &e), 0);
	assert_int_equal(store_source_get(f->s, "src", &st, &e), 0);
	assert_string_equal(st.etag, "\"v2\"");
	assert_string_equal(st.validators_url, url);
	source_state_free(&st);
}

static void test_unsubscribes(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct unsubscribe u;
	assert_int_equal(store_unsubscribe_get(f->s, "Åsa.Lindström@Example.se", &u, &e), 0);
	assert_null(u.address);
	/* Stored ASCII lower-cased; found whatever the case. */
	assert_int_equal(store_unsubscribe_add(f->s, "Åsa.Lindström@Example.SE", "command", 100,
					       &e), 1);
	assert_int_equal(store_unsubscribe_get(f->s, "Åsa.Lindström@example.se", &u, &e), 1);
	assert_string_equal(u.address, "Åsa.lindström@example.se");
	assert_int_equal(u.time, 100);
	assert_string_equal(u.how, "command");
	unsubscribe_free(&u);
	/* Idempotent: the first record (time, how) stays. */
	assert_int_equal(store_unsubscribe_add(f->s, "ÅSA.LINDSTRöM@EXAMPLE.SE", "csv", 200, &e),
			 0);
	assert_int_equal(store_unsubscribe_get(f->s, "Åsa.lindström@example.se", &u, &e), 1);
	assert_int_equal(u.time, 100);
	assert_string_equal(u.how, "command");
	unsubscribe_free(&u);
	/* Only ASCII is folded: å and Å are different addresses here. */
	assert_int_equal(store_unsubscribe_get(f->s, "åsa.lindström@example.se", &u, &e), 0);
	assert_int_equal(store_unsubscribe_add(f->s, "åsa.lindström@example.se", "csv", 200, &e),
			 1);
	assert_int_equal(store_unsubscribe_add(f->s, "oystein@example.no", "csv", 150, &e), 1);

	struct unsubscribe *v;
	size_t n;
	assert_int_equal(store_unsubscribes_all(f->s, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].address, "oystein@example.no");
	assert_string_equal(v[0].how, "csv");
	assert_int_equal(v[0].time, 150);
	assert_string_equal(v[1].address, "Åsa.lindström@example.se");
	assert_int_equal(v[1].time, 100);
	assert_string_equal(v[1].how, "command");
	assert_string_equal(v[2].address, "åsa.lindström@example.se");
	unsubscribes_free(v, n);

	assert_int_equal(store_unsubscribe_remove(f->s, "OYSTEIN@example.no", &e), 1);
	assert_int_equal(store_unsubscribe_remove(f->s, "oystein@example.no", &e), 0);
	assert_int_equal(store_unsubscribe_get(f->s, "oystein@example.no", NULL, &e), 0);
	assert_int_equal(store_unsubscribes_all(f->s, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	unsubscribes_free(v, n);
}

/* The chair's view: every ledger row with attempts, time and reply, and
 * the newest digest or one by id. */
static void test_delivery_list(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row got;
	assert_int_equal(store_digest_get(f->s, 0, &got, &e), 0);
	struct digest_row d1 = {.period_start = 1, .period_end = 2, .created = 3,
				.subject = (char *)"Primärvårdsnytt v1"};
	struct digest_row d2 = {.period_start = 2, .period_end = 4, .created = 5, .completed = 6,
				.subject = (char *)"Primärvårdsnytt v2"};
	assert_int_equal(store_digest_insert(f->s, &d1, &e), 0);
	assert_int_equal(store_digest_insert(f->s, &d2, &e), 0);
	assert_int_equal(store_digest_get(f->s, 0, &got, &e), 1);
	assert_int_equal(got.id, d2.id);
	assert_int_equal(got.completed, 6);
	assert_string_equal(got.subject, "Primärvårdsnytt v2");
	assert_null(got.html);
	digest_row_free(&got);
	assert_int_equal(store_digest_get(f->s, d1.id, &got, &e), 1);
	assert_int_equal(got.id, d1.id);
	assert_int_equal(got.completed, 0);
	assert_string_equal(got.subject, "Primärvårdsnytt v1");
	digest_row_free(&got);
	assert_int_equal(store_digest_get(f->s, d2.id + 10, &got, &e), 0);

	struct delivery_row *v;
	size_t n;
	assert_int_equal(store_delivery_list(f->s, d1.id, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	const char *b = "bjørn@example.no", *a = "åsa@example.se", *c = "c@example.dk";
	assert_int_equal(store_delivery_set(f->s, d1.id, b, DELIVERY_SENDING, "m-b", NULL, 10, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, b, DELIVERY_QUEUED, NULL,
					    "451 4.3.0 try again later", 11, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, b, DELIVERY_SENDING, NULL, NULL, 20, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, b, DELIVERY_FAILED, NULL,
					    "550 5.1.1 no such user", 21, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, a, DELIVERY_SENDING, "m-a", NULL, 12, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, c, DELIVERY_SENDING, "m-c", NULL, 13, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d1.id, c, DELIVERY_SENT, NULL, "250 ok", 14, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d2.id, a, DELIVERY_SENT, NULL, NULL, 30, &e), 0);

	assert_int_equal(store_delivery_list(f->s, d1.id, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	/* by address (bytewise: ASCII before UTF-8) */
	assert_string_equal(v[0].email, b);
	assert_int_equal(v[0].state, DELIVERY_FAILED);
	assert_int_equal(v[0].attempts, 2);
	assert_int_equal(v[0].updated, 21);
	assert_string_equal(v[0].message_id, "m-b");
	assert_string_equal(v[0].last_reply, "550 5.1.1 no such user");
	assert_string_equal(v[1].email, c);
	assert_int_equal(v[1].state, DELIVERY_SENT);
	assert_int_equal(v[1].attempts, 1);
	assert_string_equal(v[2].email, a);
	assert_int_equal(v[2].state, DELIVERY_SENDING); /* in doubt */
	assert_int_equal(v[2].attempts, 1);
	assert_int_equal(v[2].updated, 12);
	assert_null(v[2].last_reply);
	delivery_rows_free(v, n);
	assert_int_equal(store_delivery_list(f->s, d2.id, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].attempts, 0);
	delivery_rows_free(v, n);

	/* A damaged state is an error naming it, not a silent "none". */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE deliveries SET state = 'lost' WHERE email = 'c@example.dk'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_delivery_list(f->s, d1.id, &v, &n, &e), -1);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "lost"));
}

/* A version 8 file (before state per member): its digests count as
 * archived and as of members not recorded, its ledger rows keep their
 * state. */
static void test_migrates_version_8(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, "x@example.se", DELIVERY_QUEUED, NULL, "451",
					    5, &e), 0);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_10 UNDO_9 "PRAGMA user_version = 8;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	/* Read-only, an old file is refused with what to do. */
	assert_int_equal(store_open_readonly(f->path, &f->s, &e), -1);
	assert_non_null(strstr(e.msg, "schema version 8"));
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	struct digest_row got;
	assert_int_equal(store_digest_load(f->s, d.id, &got, &e), 1);
	assert_int_equal(got.archived, 3);
	assert_int_equal(got.members_recorded, 0);
	assert_null(got.model);
	digest_row_free(&got);
	struct delivery_row *v;
	size_t n;
	assert_int_equal(store_delivery_pending(f->s, d.id, 100, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].email, "x@example.se");
	delivery_rows_free(v, n);
}

/* fdatasync and fsync as SQLite calls them, counted for files whose name
 * ends in "-wal": defined here, they take the place of libc's. */
static int wal_syncs;

static void count_sync(int fd)
{
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	path[n > 0 ? n : 0] = '\0';
	if (n > 4 && !strcmp(path + n - 4, "-wal"))
		wal_syncs++;
}

int fdatasync(int fd)
{
	count_sync(fd);
	return 0;
}

int fsync(int fd)
{
	count_sync(fd);
	return 0;
}

/* Every ledger transition is on the disk when the call returns (issue 13:
 * the store ran synchronous = NORMAL, whose WAL commits are not synced):
 * each one syncs the write-ahead log. Items alone do not. */
static void test_ledger_durable(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	int is_new;
	wal_syncs = 0;
	struct item it = mk("s", "k1", "x");
	assert_int_equal(store_item_upsert(f->s, &it, 10, &is_new, &e), 0);
	item_free(&it);
	assert_int_equal(wal_syncs, 0);
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	int after_insert = wal_syncs;
	assert_true(after_insert >= 1);
	const enum delivery_state steps[] = {DELIVERY_QUEUED, DELIVERY_SENDING, DELIVERY_SENT};
	for (size_t i = 0; i < 3; i++) {
		int before = wal_syncs;
		assert_int_equal(store_delivery_set(f->s, d.id, "a@example.se", steps[i], NULL, NULL,
						    5, &e), 0);
		assert_true(wal_syncs > before);
	}
}

/* The ledger across runs: pending rows (queued, deferred when due),
 * recovery of "sending" rows as in doubt, deferred rows expiring as
 * failed, the chair's resend and mark-sent, completion that waits for
 * nobody in doubt. */
static void test_ledger_states(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3, .model = "{}"};
	d.subject = "Vecka 1";
	assert_int_equal(store_begin(f->s, &e), 0);
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	const char *who[] = {"c@example.se", "a@example.se", "b@example.se", "d@example.se"};
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_delivery_set(f->s, d.id, who[i], DELIVERY_QUEUED, NULL, NULL,
						    10, &e), 0);
	assert_int_equal(store_commit(f->s, &e), 0);

	struct delivery_row *v;
	size_t n;
	assert_int_equal(store_delivery_pending(f->s, d.id, 10, &v, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].email, "c@example.se"); /* the list's order */
	assert_int_equal(v[0].digest_id, d.id);
	delivery_rows_free(v, n);

	/* c sent; a deferred until 100 (two tries); b left sending; d in doubt. */
	assert_int_equal(store_delivery_set(f->s, d.id, who[0], DELIVERY_SENT, "m", "250", 11, &e), 0);
	assert_int_equal(store_delivery_update(f->s, d.id, who[1], DELIVERY_DEFERRED, "m",
					       "452 full", 2, 100, 12, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, who[2], DELIVERY_SENDING, "m", NULL, 13, &e), 0);
	assert_int_equal(store_delivery_update(f->s, d.id, who[3], DELIVERY_IN_DOUBT, "m",
					       "no reply", 1, 0, 14, &e), 0);
	assert_int_equal(store_delivery_pending(f->s, d.id, 99, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_delivery_pending(f->s, d.id, 100, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].email, "a@example.se");
	assert_int_equal(v[0].attempts, 2);
	assert_int_equal(v[0].deferrals, 1);
	assert_int_equal(v[0].next_attempt, 100);
	assert_string_equal(v[0].last_reply, "452 full");
	delivery_rows_free(v, n);
	assert_int_equal(store_digest_complete_if_done(f->s, d.id, 15, &e), 0);

	/* A run that stopped while sending b: b is in doubt now. */
	assert_int_equal(store_delivery_recover(f->s, "stopped while sending", 20, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].email, "b@example.se");
	delivery_rows_free(v, n);
	assert_int_equal(store_delivery_recover(f->s, "x", 21, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_delivery_in_state(f->s, DELIVERY_IN_DOUBT, 0, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	delivery_rows_free(v, n);

	/* a's window closes: failed, with the server's last reply. */
	assert_int_equal(store_delivery_expire(f->s, d.id, 30, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	delivery_rows_free(v, n);
	assert_int_equal(store_delivery_list(f->s, d.id, &v, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].email, "a@example.se");
	assert_int_equal(v[0].state, DELIVERY_FAILED);
	assert_string_equal(v[0].last_reply, "452 full");
	delivery_rows_free(v, n);
	/* Only in doubt (and failed, sent) are left: the digest is done. */
	assert_int_equal(store_digest_complete_if_done(f->s, d.id, 31, &e), 1);
	assert_int_equal(store_digest_complete_if_done(f->s, d.id, 32, &e), 0);
	struct digest_row *open;
	assert_int_equal(store_digests_open(f->s, &open, &n, &e), 0);
	assert_int_equal(n, 0);

	/* The chair: d received it (marked sent), b is to be resent. */
	assert_int_equal(store_delivery_resolve(f->s, 0, "D@example.se", DELIVERY_SENT,
						"marked sent", 40, &e), 1);
	assert_int_equal(store_delivery_resolve(f->s, d.id, NULL, DELIVERY_QUEUED, NULL, 41, &e), 1);
	assert_int_equal(store_delivery_resolve(f->s, d.id, NULL, DELIVERY_QUEUED, NULL, 42, &e), 0);
	assert_int_equal(store_delivery_resolve(f->s, d.id, NULL, DELIVERY_FAILED, NULL, 42, &e), -1);
	assert_int_equal(store_digests_open(f->s, &open, &n, &e), 0);
	assert_int_equal(n, 1); /* unfinished again */
	assert_string_equal(open[0].subject, "Vecka 1");
	digest_rows_free(open, n);
	assert_int_equal(store_delivery_pending(f->s, d.id, 50, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].email, "b@example.se");
	delivery_rows_free(v, n);
	assert_int_equal(store_delivery_unresolved(f->s, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	delivery_rows_free(v, n);

	/* Archive and members bookkeeping, and the next digest's time. */
	struct digest_row *un;
	assert_int_equal(store_digests_unarchived(f->s, &un, &n, &e), 0);
	assert_int_equal(n, 1);
	digest_rows_free(un, n);
	assert_int_equal(store_digest_set_archived(f->s, d.id, 60, &e), 0);
	assert_int_equal(store_digests_unarchived(f->s, &un, &n, &e), 0);
	assert_int_equal(n, 0);
	time_t next;
	assert_int_equal(store_digest_next_created(f->s, d.id, &next, &e), 0);
	assert_int_equal(next, 0);
	struct digest_row d2 = {.period_start = 2, .period_end = 70, .created = 69};
	assert_int_equal(store_digest_insert(f->s, &d2, &e), 0);
	assert_int_equal(store_digest_next_created(f->s, d.id, &next, &e), 0);
	assert_int_equal(next, 69);
	struct digest_row got;
	assert_int_equal(store_digest_load(f->s, d.id, &got, &e), 1);
	assert_string_equal(got.model, "{}");
	assert_int_equal(got.archived, 60);
	assert_int_equal(got.members_recorded, 1);
	digest_row_free(&got);
}

/* A store file made by us is the owner's alone. */
static void test_store_file_private(void **state)
{
	struct fx *f = *state;
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	char wal[200];
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Read-only: the rows are there, writing is refused. */
	struct store *ro;
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(store_open_readonly(f->path, &ro, &e), 0);
	struct digest_row got;
	assert_int_equal(store_digest_get(ro, 0, &got, &e), 1);
	digest_row_free(&got);
	assert_int_equal(store_delivery_set(ro, d.id, "a@example.se", DELIVERY_QUEUED, NULL, NULL, 4,
					    &e), -1);
	store_close(ro);
	chmod(f->path, 0600);
}

/* An item's event is kept with it (issue 21): stored, refreshed when the
 * item is, read back with the period's items and by its dates. */
static void test_item_events(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	int is_new;
	const char *keys[] = {"a", "b", "c"};
	time_t starts[] = {1000, 2000, 0}, ends[] = {1500, 0, 0};
	for (int i = 0; i < 3; i++) {
		struct item it = {0};
		it.source = strdup("s");
		it.key = strdup(keys[i]);
		it.title = strdup(keys[i]);
		it.event_start = starts[i];
		it.event_end = ends[i];
		assert_int_equal(store_item_upsert(f->s, &it, 100, &is_new, &e), 0);
		item_free(&it);
	}
	struct item_list l = {0};
	assert_int_equal(store_items_between(f->s, 0, 200, &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal((long)l.v[0].event_start, 1000);
	assert_int_equal((long)l.v[0].event_end, 1500);
	assert_int_equal((long)l.v[1].event_end, 0);
	assert_int_equal((long)l.v[2].event_start, 0);
	item_list_free(&l);
	/* not ended at 1200, starting before 3000: a (ends 1500), b (starts 2000) */
	assert_int_equal(store_items_with_events(f->s, 1200, 3000, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].key, "a");
	assert_string_equal(l.v[1].key, "b");
	item_list_free(&l);
	/* b without an end is over once started; starting after until is out */
	assert_int_equal(store_items_with_events(f->s, 2001, 3000, &l, &e), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_items_with_events(f->s, 0, 1000, &l, &e), 0);
	assert_int_equal(l.n, 0);
	/* the text changed: the event goes with it */
	struct item it = {0};
	it.source = strdup("s");
	it.key = strdup("a");
	it.title = strdup("a");
	assert_int_equal(store_item_upsert(f->s, &it, 300, &is_new, &e), 0);
	assert_int_equal(is_new, 0);
	item_free(&it);
	assert_int_equal(store_items_with_events(f->s, 0, 3000, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].key, "b");
	item_list_free(&l);
}

/* Reminders once per entry and year; calendar.ics's SEQUENCE per UID. */
static void test_reminders_and_sequences(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	assert_int_equal(store_reminder_given(f->s, "arsmote", 2027, &e), 0);
	assert_int_equal(store_reminder_mark(f->s, "arsmote", 2027, 0, 50, &e), 1);
	assert_int_equal(store_reminder_mark(f->s, "arsmote", 2027, 0, 60, &e), 0);
	assert_int_equal(store_reminder_given(f->s, "arsmote", 2027, &e), 1);
	assert_int_equal(store_reminder_given(f->s, "arsmote", 2028, &e), 0);
	struct ical_state st;
	assert_int_equal(store_ical_sequence(f->s, "cal-a-2027", "h1", 100, &st, &e), 0);
	assert_int_equal(st.sequence, 0);
	assert_int_equal((long)st.created, 100);
	assert_int_equal((long)st.modified, 100);
	assert_int_equal(store_ical_sequence(f->s, "cal-a-2027", "h1", 200, &st, &e), 0);
	assert_int_equal(st.sequence, 0);
	assert_int_equal((long)st.modified, 100);
	assert_int_equal(store_ical_sequence(f->s, "cal-a-2027", "h2", 300, &st, &e), 0);
	assert_int_equal(st.sequence, 1);
	assert_int_equal((long)st.created, 100);
	assert_int_equal((long)st.modified, 300);
	assert_int_equal(store_ical_sequence(f->s, "cal-a-2027", "h1", 400, &st, &e), 0);
	assert_int_equal(st.sequence, 2); /* back to the old details is a change too */
	assert_int_equal(store_ical_sequence(f->s, "cal-b-2027", "h1", 500, &st, &e), 0);
	assert_int_equal(st.sequence, 0);
}

/* A version 4 file (before the mailbox) keeps its ledger and sources, and
 * the ledger can be searched by Message-ID from then on. */
static void test_migrates_version_4_ledger(void **state)
{
	struct fx *f = *state;
	struct err e = {{0}};
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 3};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	assert_int_equal(store_delivery_set(f->s, d.id, "anna@example.se", DELIVERY_SENT,
					    "bulletin.1.3.abc@example.se", "250 ok", 5, &e), 0);
	assert_int_equal(store_source_record(f->s, "lt", "https://lt.se/feed", 1, NULL, NULL, NULL, 7,
					     &e), 0);
	store_close(f->s);
	f->s = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_ABOVE_4 "PRAGMA user_version = 4;", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->s, &e), 0);
	assert_int_equal(store_schema_version(f->s), SCHEMA_NOW);
	int64_t id;
	char *email;
	assert_int_equal(store_delivery_by_message_id(f->s, "bulletin.1.3.abc@example.se", &id,
						      &email, &e), 1);
	assert_int_equal(id, d.id);
	assert_string_equal(email, "anna@example.se");
	free(email);
	assert_int_equal(store_source_paused(f->s, "lt", &e), 0);
	assert_int_equal(store_source_pause(f->s, "lt", 1, 8, &e), 0);
	assert_int_equal(store_source_paused(f->s, "lt", &e), 1);
	struct source_state st;
	assert_int_equal(store_source_get(f->s, "lt", &st, &e), 0);
	assert_int_equal(st.last_success, 7); /* the pause kept the health */
	source_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_twice_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enclosures_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_future_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert_new_then_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_items_between_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_file_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reminders_and_sequences, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_version_4_ledger, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
