#include "testutil.h"

#include "core/buf.h"
#include "parse/item.h"
#include "core/timefmt.h"

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
	assert_int_equal(time_parse_rfc3339("2024-04-17T09:00:00z"), 1713344400);
	assert_int_equal(time_parse_rfc3339("2024-04-17 09:00:00Z"), 1713344400);
}

static json_t *to_json(const struct item *it)
{
	struct buf b = BUF_INIT;
	assert_int_equal(item_to_jsonl(it, &b), 0);
	assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
	assert_null(memchr(b.data, '\n', b.len - 1)); /* one line */
	json_error_t je;
	json_t *j = json_loads(b.data, 0, &je);
	if (!j)
		fail_msg("invalid JSON (%s): %s", je.text, b.data);
	buf_free(&b);
	return j;
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
	json_t *j = to_json(&it);
	assert_true(json_is_null(json_object_get(j, "updated")));
	assert_true(json_is_null(json_object_get(j, "summary")));
	assert_null(json_object_get(j, "enclosures"));
	assert_null(json_object_get(j, "source"));
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

/* Every byte that needs escaping, and bytes that are not UTF-8: the line
 * must be valid JSON and say the same text (U+FFFD for the bad bytes), in
 * the same form jansson's compact output has. */
static void test_item_jsonl_escaping(void **state)
{
	(void)state;
	struct item it = {0};
	char ctl[40];
	for (int i = 1; i < 32; i++)
		ctl[i - 1] = (char)i;
	ctl[31] = '\0';
	it.title = strdup(ctl);
	it.summary = strdup("\"quoted\" back\\slash /path/ ø \xe2\x80\xa8 \xff\xc3 end");
	it.author = strdup("\xef\xbf\xbd kept");
	it.source = strdup("Läkartidningen");
	assert_int_equal(item_add_enclosure(&it, "https://ex.se/a.mp3", NULL, 1234567890123LL), 0);
	struct buf b = BUF_INIT;
	assert_int_equal(item_to_jsonl(&it, &b), 0);
	/* byte-identical to jansson for valid text */
	json_t *ref = json_string(ctl);
	char *rs = json_dumps(ref, JSON_ENCODE_ANY | JSON_COMPACT);
	assert_non_null(strstr(b.data, rs));
	free(rs);
	json_decref(ref);
	assert_non_null(strstr(b.data, "\"summary\":\"\\\"quoted\\\" back\\\\slash /path/ ø"));
	json_t *j = to_json(&it);
	assert_string_equal(json_string_value(json_object_get(j, "title")), ctl);
	assert_string_equal(json_string_value(json_object_get(j, "summary")),
			    "\"quoted\" back\\slash /path/ ø \xe2\x80\xa8 \xef\xbf\xbd\xef\xbf\xbd end");
	assert_string_equal(json_string_value(json_object_get(j, "author")), "\xef\xbf\xbd kept");
	assert_string_equal(json_string_value(json_object_get(j, "source")), "Läkartidningen");
	json_t *e = json_array_get(json_object_get(j, "enclosures"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "url")), "https://ex.se/a.mp3");
	assert_true(json_is_null(json_object_get(e, "type")));
	assert_true(json_integer_value(json_object_get(e, "length")) == 1234567890123LL);
	json_decref(j);
	buf_free(&b);
	item_free(&it);
}

/* put_str checks two-byte letters inline and the rest with utf8_decode;
 * sequences cut off at the end of the string must not read past it. */
static void test_item_jsonl_utf8_edges(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"åäö æø", "åäö æø"},
		{"\xf0\x9f\x98\x80 \xe2\x82\xac", "\xf0\x9f\x98\x80 \xe2\x82\xac"},
		{"end \xc3", "end \xef\xbf\xbd"},
		{"end \xe2\x82", "end \xef\xbf\xbd\xef\xbf\xbd"},
		{"\xc0\xaf overlong", "\xef\xbf\xbd\xef\xbf\xbd overlong"},
		{"\xed\xa0\x80 surrogate", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate"},
		{"\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},
		{"a\x7f\"b", "a\x7f\"b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct item it = {0};
		it.title = strdup(cases[i].in);
		json_t *j = to_json(&it);
		const char *got = json_string_value(json_object_get(j, "title"));
		if (!got || strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\"", i, got ? got : "(null)");
		json_decref(j);
		item_free(&it);
	}
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
		cmocka_unit_test(test_item_jsonl_escaping),
		cmocka_unit_test(test_item_jsonl_utf8_edges),
		cmocka_unit_test(test_item_from_json_rejects_bad_types),
		cmocka_unit_test(test_item_key_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
