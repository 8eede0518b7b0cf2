#include "testutil.h"

#include "buf.h"
#include "item.h"
#include "timefmt.h"

static void test_buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strlen(buf_str(&b)), b.len);
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	char *s = buf_steal(&b);
	assert_null(b.data);
	free(s);
	assert_string_equal(buf_str(&b), "");
}

static void test_rfc3339_round_trip(void **state)
{
	(void)state;
	char ts[RFC3339_LEN];
	time_t t = time_parse_rfc3339("2024-04-17T09:00:00Z");
	assert_int_equal(t, 1713344400);
	assert_string_equal(time_format_rfc3339(t, ts), "2024-04-17T09:00:00Z");
	assert_int_equal(time_parse_rfc3339("2024-04-17T11:00:00+02:00"), 1713344400);
	assert_int_equal(time_parse_rfc3339("2024-02-29T00:00:00.123Z"), 1709164800);
	assert_int_equal(time_parse_rfc3339("17 april 2024"), 0);
	assert_int_equal(time_parse_rfc3339("2024-13-01T00:00:00Z"), 0);
}

static void test_item_json_round_trip(void **state)
{
	(void)state;
	struct item it = {0};
	it.key = strdup("k1");
	it.url = strdup("https://example.org/å");
	it.title = strdup("Primärvårdsstrategin");
	it.published = 1713344400;
	assert_int_equal(item_add_category(&it, "Hälsa"), 0);
	json_t *j = item_to_json(&it);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "updated")));
	assert_string_equal(json_string_value(json_object_get(j, "published")), "2024-04-17T09:00:00Z");
	struct item back;
	struct err err;
	assert_int_equal(item_from_json(j, &back, &err), 0);
	assert_string_equal(back.title, it.title);
	assert_int_equal(back.ncategories, 1);
	assert_string_equal(back.categories[0], "Hälsa");
	assert_int_equal(back.published, it.published);
	json_decref(j);
	item_free(&back);
	item_free(&it);
}

static void test_item_from_json_rejects_bad_types(void **state)
{
	(void)state;
	struct item it;
	struct err err;
	json_t *j = json_loads("{\"title\": 3}", 0, NULL);
	assert_int_equal(item_from_json(j, &it, &err), -1);
	assert_non_null(strstr(err.msg, "title"));
	json_decref(j);
	j = json_loads("{\"published\": \"yesterday\"}", 0, NULL);
	assert_int_equal(item_from_json(j, &it, &err), -1);
	json_decref(j);
}

static void test_item_key_fallbacks(void **state)
{
	(void)state;
	struct item a = {0}, b = {0};
	a.url = strdup("https://x.se/1");
	assert_int_equal(item_ensure_key(&a), 0);
	assert_string_equal(a.key, "https://x.se/1");
	b.title = strdup("Utan länk");
	assert_int_equal(item_ensure_key(&b), 0);
	assert_true(strncmp(b.key, "hash:", 5) == 0);
	item_free(&a);
	item_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_stays_terminated),
		cmocka_unit_test(test_rfc3339_round_trip),
		cmocka_unit_test(test_item_json_round_trip),
		cmocka_unit_test(test_item_from_json_rejects_bad_types),
		cmocka_unit_test(test_item_key_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
