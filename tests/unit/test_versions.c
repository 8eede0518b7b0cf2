#include "testutil.h"

#include <unistd.h>

#include "store/store.h"
#include "store/versions.h"
#include "store/watch.h"

static char dir[64], path[128];

static struct store *open_fresh(void)
{
	snprintf(dir, sizeof dir, "/tmp/bulletin-versions-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/state.db", dir);
	struct store *s;
	struct err e;
	if (store_open(path, &s, &e) < 0)
		fail_msg("%s", e.msg);
	return s;
}

static void close_fresh(struct store *s)
{
	store_close(s);
	char p[192];
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* A version of source "s" with text t, fetched at when. */
static int record(struct store *s, const struct source *src, const char *t, time_t when,
		  struct watch_outcome *o)
{
	struct page_version v = {.source = strdup(src->name), .url = strdup(src->url),
				 .kind = strdup("html"), .text = strdup(t), .size = strlen(t),
				 .fetched = when};
	struct err e;
	int r = watch_record(s, src, &v, 3, o, &e);
	if (r < 0)
		fail_msg("%s", e.msg);
	page_version_free(&v);
	return r;
}

static void test_versions_changes_and_pruning(void **state)
{
	(void)state;
	struct store *s = open_fresh();
	char *ign[] = {"^Senast uppdaterad:.*$"};
	struct source src = {.name = "sida", .url = "https://example.se/sida", .title = "Sida",
			     .type = SOURCE_PAGE, .ignore = ign, .nignore = 1};
	struct watch_outcome o;
	struct err e;
	char text[4096];
	const char *body = "# Sida\n\n## Ersättning\n\nBesök kostar %d kr. Avgiften gäller hela året och "
			   "för alla som är listade på en vårdcentral i regionen.\n\nSenast uppdaterad: %d\n";
	snprintf(text, sizeof text, body, 350, 1);
	record(s, &src, text, 1000, &o);
	assert_int_equal(o.what, WATCH_FIRST);
	snprintf(text, sizeof text, body, 350, 2); /* only the ignored date */
	record(s, &src, text, 2000, &o);
	assert_int_equal(o.what, WATCH_SAME);
	for (int k = 0; k < 4; k++) {
		snprintf(text, sizeof text, body, 360 + k, 3 + k);
		record(s, &src, text, 3000 + k, &o);
		assert_int_equal(o.what, WATCH_CHANGED);
		assert_int_equal(o.added, 1);
		assert_int_equal(o.removed, 1);
	}
	/* keep = 3: three good versions left, the newest first */
	struct page_version v;
	assert_int_equal(store_version_latest(s, "sida", 1, &v, &e), 1);
	assert_non_null(strstr(v.text, "363 kr"));
	assert_int_equal(v.size, strlen(v.text));
	page_version_free(&v);
	struct page_change *ch;
	size_t n;
	assert_int_equal(store_changes_between(s, 3000, 3002, &ch, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_version_get(s, ch[0].old_version, &v, &e), 0); /* pruned */
	assert_int_equal(store_version_get(s, ch[1].old_version, &v, &e), 0);
	assert_int_equal(store_version_get(s, ch[1].new_version, &v, &e), 1);
	page_version_free(&v);
	page_changes_free(ch, n);

	/* a login wall: broken, kept aside; the next good one compares with the last good */
	record(s, &src, "# Logga in\n\nAnvändarnamn\n", 4000, &o);
	assert_int_equal(o.what, WATCH_BROKEN);
	assert_non_null(strstr(o.why, "almost no text"));
	assert_int_equal(store_version_latest(s, "sida", 0, &v, &e), 1);
	assert_non_null(v.broken);
	page_version_free(&v);
	record(s, &src, text, 5000, &o);
	assert_int_equal(o.what, WATCH_SAME);
	assert_int_equal(store_version_latest(s, "sida", 0, &v, &e), 1);
	assert_null(v.broken);
	page_version_free(&v);

	/* the chair accepts a page that looked broken: a change for the next digest */
	record(s, &src, "# Logga in\n\nAnvändarnamn\n", 6000, &o);
	assert_int_equal(watch_accept(s, &src, 6001, &e), 1);
	assert_int_equal(watch_accept(s, &src, 6002, &e), 0);
	struct page_change last;
	assert_int_equal(store_change_last(s, "sida", &last, &e), 1);
	assert_int_equal(last.detected, 6001);
	free(last.source);
	close_fresh(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions_changes_and_pruning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
