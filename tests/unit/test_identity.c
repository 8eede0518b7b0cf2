#include "testutil.h"

#include <unistd.h>

#include "store/identity.h"
#include "store/store.h"

struct fx {
	char dir[64], path[96];
	struct store *s;
	time_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bulletin-identity-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
	struct err e;
	if (store_open(f->path, &f->s, &e) < 0)
		return -1;
	f->now = 1000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	char p[128];
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void add(struct item_list *l, const char *key, const char *url, const char *title)
{
	struct item *it = item_list_push(l);
	it->key = strdup(key);
	it->url = url ? strdup(url) : NULL;
	it->title = strdup(title);
}

/* One fetch of a source: identity, then upsert; returns how many were new. */
static int fetch(struct fx *f, struct item_list *l, struct identity_report *rep)
{
	struct err e;
	if (identity_assign(f->s, "src", l, rep, &e) < 0)
		fail_msg("%s", e.msg);
	int fresh = 0;
	f->now += 100;
	for (size_t i = 0; i < l->n; i++) {
		int is_new;
		l->v[i].source = strdup("src");
		if (store_item_upsert(f->s, &l->v[i], f->now, &is_new, &e) < 0)
			fail_msg("%s", e.msg);
		fresh += is_new;
	}
	item_list_free(l);
	return fresh;
}

static void test_stable_feed_stays_auto(void **state)
{
	struct fx *f = *state;
	struct identity_report rep;
	struct item_list l = {0};
	add(&l, "g1", "https://x.se/1", "Ett");
	add(&l, "g2", "https://x.se/2", "Två");
	assert_int_equal(fetch(f, &l, &rep), 2);
	add(&l, "g1", "https://x.se/1", "Ett");
	add(&l, "g2", "https://x.se/2", "Två");
	add(&l, "g3", "https://x.se/3", "Tre");
	assert_int_equal(fetch(f, &l, &rep), 1);
	assert_int_equal(rep.mode, KEY_AUTO);
	assert_int_equal(rep.switched, 0);
}

static void test_ids_that_change_every_fetch(void **state)
{
	struct fx *f = *state;
	struct identity_report rep;
	struct item_list l = {0};
	add(&l, "a-1", "https://myndighet.se/1", "Vårdval");
	add(&l, "a-2", "https://myndighet.se/2", "Primärvård");
	add(&l, "a-3", "https://myndighet.se/3", "Listning");
	assert_int_equal(fetch(f, &l, &rep), 3);
	/* Same news, new ids: nothing is new, and the source switches. */
	add(&l, "b-1", "https://myndighet.se/1", "Vårdval");
	add(&l, "b-2", "https://myndighet.se/2", "Primärvård");
	add(&l, "b-3", "https://myndighet.se/3", "Listning");
	assert_int_equal(fetch(f, &l, &rep), 0);
	assert_int_equal(rep.switched, 1);
	assert_int_equal(rep.mode, KEY_LINK);
	assert_non_null(strstr(rep.note, "3 of 3 items came back with new ids"));
	/* From now on by link: one real new item among re-ided old ones. */
	add(&l, "c-1", "https://myndighet.se/1", "Vårdval");
	add(&l, "c-4", "https://myndighet.se/4", "Ny nyhet");
	assert_int_equal(fetch(f, &l, &rep), 1);
	assert_int_equal(rep.mode, KEY_LINK);
	assert_int_equal(rep.switched, 0);
}

static void test_one_link_for_every_item(void **state)
{
	struct fx *f = *state;
	struct identity_report rep;
	struct item_list l = {0};
	/* No ids, every link the front page: the parser keyed them by link. */
	add(&l, "https://forening.no/", "https://forening.no/", "Årsmøte");
	add(&l, "https://forening.no/", "https://forening.no/", "Fastlegeordningen");
	add(&l, "https://forening.no/", "https://forening.no/", "Legevakt i Tromsø");
	assert_int_equal(fetch(f, &l, &rep), 3);
	assert_int_equal(rep.switched, 1);
	assert_int_equal(rep.mode, KEY_TITLE);
	add(&l, "https://forening.no/", "https://forening.no/", "Fastlegeordningen");
	add(&l, "https://forening.no/", "https://forening.no/", "ALIS-avtale");
	assert_int_equal(fetch(f, &l, &rep), 1);
}

static void test_one_odd_item_is_not_evidence(void **state)
{
	struct fx *f = *state;
	struct identity_report rep;
	struct item_list l = {0};
	add(&l, "g1", "https://x.se/1", "Ett");
	add(&l, "g2", "https://x.se/2", "Två");
	add(&l, "g3", "https://x.se/3", "Tre");
	assert_int_equal(fetch(f, &l, &rep), 3);
	/* One republished article with a new id: no switch. */
	add(&l, "g1", "https://x.se/1", "Ett");
	add(&l, "g2", "https://x.se/2", "Två");
	add(&l, "g9", "https://x.se/3", "Tre (uppdaterad)");
	assert_int_equal(fetch(f, &l, &rep), 1);
	assert_int_equal(rep.mode, KEY_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stable_feed_stays_auto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_that_change_every_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_link_for_every_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_odd_item_is_not_evidence, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
