/* JSON Lines into items (parse/jsonl.h): the fast path gives exactly the
 * item jansson + item_from_json give, or leaves the line to them; the
 * errors are theirs; the reader keeps to its bounds. */
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/charset.h"
#include "core/log.h"
#include "parse/feed.h"
#include "parse/jsonl.h"

/* The reference: what `rules test` did before the fast path. */
static int by_jansson(const char *line, size_t n, struct item *it, struct err *err)
{
	memset(it, 0, sizeof *it);
	json_error_t je;
	json_t *j = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		err_set(err, "%d: %s", je.column, je.text);
		return JSONL_SYNTAX;
	}
	int rc = item_from_json(j, it, err) < 0 ? JSONL_ITEM : JSONL_OK;
	json_decref(j);
	return rc;
}

static int nfast;

/* Both paths on one line: the fast path's item (when it takes the line)
 * and item_from_jsonl's item or error are jansson's. Returns what the
 * fast path said. */
static int check_line(const char *line, size_t n)
{
	struct item fast, ref, got;
	struct err e_ref, e_got;
	int f = item_from_jsonl_fast(line, n, &fast);
	int r = by_jansson(line, n, &ref, &e_ref);
	int g = item_from_jsonl(line, n, &got, &e_got);
	if (f < 0 || f > 1)
		fail_msg("fast path: %d on %.*s", f, (int)n, line);
	if (f == 1 && (r != JSONL_OK || !item_equal(&fast, &ref)))
		fail_msg("fast path differs from jansson (%d) on %.*s", r, (int)n, line);
	if (f == 0 && (fast.title || fast.key || fast.categories || fast.enclosures))
		fail_msg("fast path left fields behind on %.*s", (int)n, line);
	if (g != r)
		fail_msg("item_from_jsonl %d, jansson %d on %.*s", g, r, (int)n, line);
	if (r == JSONL_OK && !item_equal(&got, &ref))
		fail_msg("item_from_jsonl's item differs on %.*s", (int)n, line);
	if (r != JSONL_OK && strcmp(e_got.msg, e_ref.msg))
		fail_msg("errors differ: \"%s\" and \"%s\"", e_got.msg, e_ref.msg);
	item_free(&fast);
	item_free(&ref);
	item_free(&got);
	nfast += f == 1;
	return f;
}

/* A table of lines: whether the fast path takes each (1) or leaves it to
 * jansson (0); either way the item or error must be jansson's. */
static void test_fast_path_table(void **state)
{
	(void)state;
	static const struct {
		int fast;
		const char *line;
	} cases[] = {
		/* the common line, as `bulletin parse` writes it */
		{1, "{\"key\":\"k\",\"url\":\"https://e.se/å\",\"title\":\"Vårdcentral\",\"summary\":null,"
		    "\"content\":null,\"author\":\"Märta\",\"categories\":[\"Hälsa\",\"Läkare\"],"
		    "\"published\":\"2024-04-17T09:00:00Z\",\"updated\":null}\n"},
		{1, "{\"key\":\"k\",\"title\":\"t\",\"categories\":[],\"published\":null,\"updated\":"
		    "\"2024-04-17T11:00:00+02:00\",\"enclosures\":[{\"url\":\"https://e.se/a.pdf\","
		    "\"type\":\"application/pdf\",\"length\":31312955},{\"url\":\"https://e.se/b\","
		    "\"type\":null,\"length\":0}],\"source\":\"dlf\"}\n"},
		{1, "{}"},
		{1, "  { \"title\" : \"a\" , \"categories\" : [ \"x\" , \"y\" ] }  \r\n"},
		{1, "{\"title\":\"\"}"},
		/* escapes, surrogate pairs, 4-byte UTF-8, DEL */
		{1, "{\"title\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"}"},
		{1, "{\"title\":\"\\u00e5\\u00C5\\u0001\\u20AC \\ud83d\\ude00 \xF0\x9F\x98\x80 \x7F\"}"},
		{1, "{\"title\":\"\\uFFFF\\uD800\\uDC00\\uDBFF\\uDFFF\"}"},
		{0, "{\"title\":\"\\ud83d\"}"},
		{0, "{\"title\":\"\\ud83dx\"}"},
		{0, "{\"title\":\"\\ude00\"}"},
		{0, "{\"title\":\"\\ud83d\\u0041\"}"},
		{0, "{\"title\":\"\\ud83d\\ud83d\"}"},
		{0, "{\"title\":\"\\u0000\"}"},
		{0, "{\"title\":\"\\u00g0\"}"},
		{0, "{\"title\":\"\\u00\"}"},
		{0, "{\"title\":\"\\x41\"}"},
		{0, "{\"title\":\"\\"},
		{0, "{\"title\":\"a\tb\"}"},
		{0, "{\"title\":\"a\nb\"}"},
		/* bytes that are not UTF-8, or not as strictly as jansson wants */
		{0, "{\"title\":\"\xFF\"}"},
		{0, "{\"title\":\"\xC0\x80\"}"},
		{0, "{\"title\":\"\xC1\xBF\"}"},
		{0, "{\"title\":\"\xE0\x80\x80\"}"},
		{0, "{\"title\":\"\xED\xA0\x80\"}"},
		{0, "{\"title\":\"\xF4\x90\x80\x80\"}"},
		{0, "{\"title\":\"\xF5\x80\x80\x80\"}"},
		{0, "{\"title\":\"\xC3\"}"},
		{0, "{\"title\":\"\xC3"},
		{0, "{\"title\":\"\x80\"}"},
		{0, "{\"title\":\"\xE2\x82\"}"},
		{1, "{\"t\xC3\xA5\":1}"},
		{0, "\xC3\xA5{}"},
		/* keys: duplicates, escapes, "id" */
		{0, "{\"title\":\"a\",\"title\":\"b\"}"},
		{0, "{\"x\":1,\"y\":2,\"x\":3}"},
		{0, "{\"ti\\u0074le\":\"a\"}"},
		{0, "{\"title\":\"a\",\"ti\\u0074le\":\"b\"}"},
		{1, "{\"id\":\"q1\",\"title\":\"a\"}"},
		{1, "{\"id\":\"q1\",\"key\":\"k\"}"},
		{1, "{\"key\":null,\"id\":\"q1\"}"},
		{1, "{\"key\":\"\",\"id\":\"q1\"}"},
		{1, "{\"key\":\"k\",\"id\":true}"},
		{1, "{\"key\":\"k\",\"id\":[1,2]}"},
		{0, "{\"key\":\"k\",\"id\":{}}"},
		{0, "{\"id\":7}"},
		{0, "{\"key\":null,\"id\":false}"},
		{1, "{\"id\":null}"},
		/* wrong types for the item's fields */
		{0, "{\"title\":3}"},
		{0, "{\"title\":true}"},
		{0, "{\"title\":[\"a\"]}"},
		{0, "{\"key\":1}"},
		{0, "{\"source\":{}}"},
		{0, "{\"categories\":\"x\"}"},
		{0, "{\"categories\":[1]}"},
		{0, "{\"categories\":[null]}"},
		{0, "{\"categories\":[[\"a\"]]}"},
		{1, "{\"categories\":null,\"enclosures\":null}"},
		{1, "{\"enclosures\":[]}"},
		{0, "{\"published\":\"yesterday\"}"},
		{0, "{\"published\":\"\"}"},
		{0, "{\"published\":17}"},
		{1, "{\"published\":\"2024-02-29T00:00:00.123Z\"}"},
		{1, "{\"published\":\"2024-04-17\"}"},
		{1, "{\"published\":\"2024-04-17\\u005400:00:00Z\"}"},
		/* enclosures */
		{1, "{\"enclosures\":[{\"url\":\"https://e.se/a\"}]}"},
		{1, "{\"enclosures\":[{\"length\":-5,\"url\":\"u\",\"type\":\"t\"}]}"},
		{1, "{\"enclosures\":[{\"url\":\"u\",\"length\":-0}]}"},
		{1, "{\"enclosures\":[{\"url\":\"u\",\"length\":999999999999999999}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":9223372036854775807}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":99999999999999999999}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":1.5}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":1e3}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":0123}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":null}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"length\":\"5\"}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"type\":5}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"extra\":1}]}"},
		{0, "{\"enclosures\":[{\"url\":\"u\",\"url\":\"v\"}]}"},
		{0, "{\"enclosures\":[{\"url\":null}]}"},
		{0, "{\"enclosures\":[{\"type\":\"t\"}]}"},
		{0, "{\"enclosures\":[{}]}"},
		{0, "{\"enclosures\":[\"u\"]}"},
		{0, "{\"enclosures\":{\"url\":\"u\"}}"},
		/* keys the item does not read: checked, then ignored */
		{1, "{\"lang\":\"sv\",\"label\":1,\"ok\":true,\"no\":false,\"n\":null,\"v\":-12,\"tags\":[\"a\",1,null,true]}"},
		{0, "{\"x\":1.5}"},
		{0, "{\"x\":-}"},
		{0, "{\"x\":{\"y\":1}}"},
		{0, "{\"x\":[[1]]}"},
		{0, "{\"x\":nul}"},
		{0, "{\"x\":nullx}"},
		{0, "{\"x\":True}"},
		{0, "{\"x\":01}"},
		/* not an object, not JSON, or more after it */
		{0, "[]"},
		{0, "\"title\""},
		{0, "null"},
		{0, ""},
		{0, "   \n"},
		{0, "{"},
		{0, "{\"title\":\"a\""},
		{0, "{\"title\":\"a\",}"},
		{0, "{\"title\" \"a\"}"},
		{0, "{,\"title\":\"a\"}"},
		{0, "{\"title\":\"a\"}}"},
		{0, "{\"title\":\"a\"} x"},
		{0, "{\"title\":\"a\"}{}"},
		{0, "{'title':'a'}"},
		{0, "{\"categories\":[\"a\",]}"},
		{0, "{\"categories\":[\"a\" \"b\"]}"},
		{0, "\xEF\xBB\xBF{}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int f = check_line(cases[i].line, strlen(cases[i].line));
		if (f != cases[i].fast)
			fail_msg("case %zu: fast path %d, expected %d: %s", i, f, cases[i].fast, cases[i].line);
	}
	/* a NUL byte inside or after the object: the length is the line's */
	static const char nul1[] = "{\"title\":\"a\0b\"}", nul2[] = "{\"title\":\"a\"}\0";
	assert_int_equal(check_line(nul1, sizeof nul1 - 1), 0);
	assert_int_equal(check_line(nul2, sizeof nul2 - 1), 0);
	/* more keys than the fast path tracks for duplicates: jansson's */
	struct buf b = BUF_INIT;
	buf_putc(&b, '{');
	for (int i = 0; i < 70; i++)
		buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_puts(&b, ",\"title\":\"t\"}");
	assert_int_equal(check_line(b.data, b.len), 0);
	buf_free(&b);
}

/* What the fast path builds, field by field (not only "the same as
 * jansson"). */
static void test_fast_path_fields(void **state)
{
	(void)state;
	const char *line = "{\"id\":\"q7\",\"title\":\"\\u00c5r \\ud83d\\ude00\\n\",\"categories\":[\"a\",\"b\",\"c\"],"
			   "\"published\":\"2024-04-17T09:00:00Z\",\"enclosures\":[{\"url\":\"u\",\"length\":12}],"
			   "\"source\":\"s\",\"label\":1}\n";
	struct item it;
	assert_int_equal(item_from_jsonl_fast(line, strlen(line), &it), 1);
	assert_string_equal(it.key, "q7");
	assert_string_equal(it.title, "\xC3\x85r \xF0\x9F\x98\x80\n");
	assert_null(it.summary);
	assert_int_equal(it.ncategories, 3);
	assert_string_equal(it.categories[2], "c");
	assert_int_equal(it.published, 1713344400);
	assert_int_equal(it.nenclosures, 1);
	assert_string_equal(it.enclosures[0].url, "u");
	assert_null(it.enclosures[0].type);
	assert_int_equal(it.enclosures[0].length, 12);
	assert_string_equal(it.source, "s");
	item_free(&it);

	/* the errors are jansson's and item_from_json's */
	struct err err;
	assert_int_equal(item_from_jsonl("{\"title\":3}", 11, &it, &err), JSONL_ITEM);
	assert_string_equal(err.msg, "\"title\" must be a string or null");
	assert_int_equal(item_from_jsonl("{\"title\":\"a\",\"title\":\"b\"}", 25, &it, &err), JSONL_SYNTAX);
	assert_non_null(strstr(err.msg, "duplicate object key"));
	assert_null(it.title);
}

/* --- every line the fixtures give ------------------------------------------- */

static int feed_lines(const char *path, size_t *nlines)
{
	size_t len;
	char *data = test_read_file(path, &len);
	if (!data)
		return -1;
	struct buf utf8 = BUF_INIT, line = BUF_INIT;
	struct item_list items = {0};
	struct err err;
	if (charset_to_utf8(data, len, NULL, &utf8, NULL, 0, &err) == 0)
		feed_parse(utf8.data ? utf8.data : "", utf8.len, NULL, &items, &err);
	for (size_t i = 0; i < items.n; i++) {
		buf_reset(&line);
		if (i % 3 == 1 && !items.v[i].source)
			items.v[i].source = strdup("källa"); /* the "source" key too */
		assert_int_equal(item_to_jsonl(&items.v[i], &line), 0);
		/* bulletin parse's own lines are all for the fast path */
		if (check_line(line.data, line.len) != 1)
			fail_msg("%s: item %zu left to jansson: %s", path, i, line.data);
		(*nlines)++;
	}
	item_list_free(&items);
	buf_free(&utf8);
	buf_free(&line);
	free(data);
	return 0;
}

/* The rows of a labeled TSV (id, lang, label, topic, title, summary) as
 * JSON Lines, written by jansson as is and with every non-ASCII
 * character escaped (\u, surrogate pairs). */
static void tsv_lines(const char *path, size_t *nlines)
{
	char *data = test_read_file(path, NULL);
	if (!data)
		return;
	char *save = NULL, *header = NULL;
	for (char *row = strtok_r(data, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
		if (!header) {
			header = row;
			continue;
		}
		static const char *const cols[] = {"id", "lang", "label", "topic", "title", "summary"};
		json_t *o = json_object();
		char *cs = NULL, *cell = strtok_r(row, "\t", &cs);
		for (size_t c = 0; cell && c < 6; c++, cell = strtok_r(NULL, "\t", &cs))
			json_object_set_new(o, cols[c], json_string(cell));
		json_object_set_new(o, "categories", json_pack("[ss]", "a", "b"));
		for (int ascii = 0; ascii < 2; ascii++) {
			char *s = json_dumps(o, JSON_PRESERVE_ORDER | (ascii ? JSON_ENSURE_ASCII : JSON_COMPACT));
			assert_non_null(s);
			if (check_line(s, strlen(s)) != 1)
				fail_msg("%s: left to jansson: %s", path, s);
			(*nlines)++;
			free(s);
		}
		json_decref(o);
	}
	free(data);
}

static void walk(const char *dir, size_t *nfiles, size_t *nlines)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		size_t n = strlen(e->d_name);
		if (S_ISDIR(st.st_mode))
			walk(path, nfiles, nlines);
		else if (n > 4 && !strcmp(e->d_name + n - 4, ".tsv"))
			tsv_lines(path, nlines), (*nfiles)++;
		else if (n > 4 && (!strcmp(e->d_name + n - 4, ".xml") || !strcmp(e->d_name + n - 5, ".json")))
			feed_lines(path, nlines), (*nfiles)++;
	}
	closedir(d);
}

static void test_fixture_lines(void **state)
{
	(void)state;
	size_t nfiles = 0, nlines = 0;
	log_set_level(LOG_LVL_ERROR); /* the feeds' own warnings are not this test's */
	walk("tests/fixtures", &nfiles, &nlines);
	fprintf(stderr, "# %zu lines from %zu fixture files: fast path and jansson agree\n", nlines, nfiles);
	assert_true(nlines > 50);
	const char *shared = test_shared_dir();
	if (!shared) {
		skip(); /* the corpus and the feedparser suite are not here */
		return;
	}
	char dir[1024];
	nfiles = nlines = 0;
	snprintf(dir, sizeof dir, "%s/corpus", shared);
	walk(dir, &nfiles, &nlines);
	snprintf(dir, sizeof dir, "%s/conformance/feedparser", shared);
	walk(dir, &nfiles, &nlines);
	fprintf(stderr, "# %zu lines from %zu files in %s\n", nlines, nfiles, shared);
}

/* --- the reader ------------------------------------------------------------- */

static char *write_tmp(const char *data, size_t n)
{
	char *path = strdup("/tmp/bulletin-jsonl.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void test_reader_lines(void **state)
{
	(void)state;
	const char text[] = "\n{\"title\":\"a\"}\n  \t\r\n{\"title\":\"b\"}\r\n\n{\"title\":\"c\"}";
	char *path = write_tmp(text, sizeof text - 1);
	struct jsonl_reader r;
	struct err err;
	struct item it;
	assert_int_equal(jsonl_open(&r, path, &err), 0);
	const char *want[] = {"a", "b", "c"};
	const long lines[] = {2, 4, 6};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(jsonl_next_item(&r, &it, &err), 1);
		assert_string_equal(it.title, want[i]);
		assert_int_equal(r.lineno, lines[i]);
		item_free(&it);
	}
	assert_int_equal(jsonl_next_item(&r, &it, &err), 0);
	assert_int_equal(jsonl_next_item(&r, &it, &err), 0);
	jsonl_close(&r);
	unlink(path);
	free(path);

	/* a bad line names file:line:column, or file:line for a bad item */
	const char bad[] = "{\"title\":\"a\"}\n{\"title\":\"a\",}\n";
	path = write_tmp(bad, sizeof bad - 1);
	assert_int_equal(jsonl_open(&r, path, &err), 0);
	assert_int_equal(jsonl_next_item(&r, &it, &err), 1);
	item_free(&it);
	assert_int_equal(jsonl_next_item(&r, &it, &err), JSONL_SYNTAX);
	char want_msg[256];
	snprintf(want_msg, sizeof want_msg, "%s:2:14: string or '}' expected near '}'", path);
	assert_string_equal(err.msg, want_msg);
	jsonl_close(&r);
	unlink(path);
	free(path);

	const char bad2[] = "\n\n{\"categories\":\"x\"}";
	path = write_tmp(bad2, sizeof bad2 - 1);
	assert_int_equal(jsonl_open(&r, path, &err), 0);
	assert_int_equal(jsonl_next_item(&r, &it, &err), JSONL_ITEM);
	snprintf(want_msg, sizeof want_msg, "%s:3: \"categories\" must be an array of strings", path);
	assert_string_equal(err.msg, want_msg);
	jsonl_close(&r);
	unlink(path);
	free(path);

	assert_int_equal(jsonl_open(&r, "/nonexistent/items.jsonl", &err), JSONL_READ);
	assert_string_equal(err.msg, "/nonexistent/items.jsonl: No such file or directory");
	jsonl_close(&r);
}

/* Lines across the reader's buffer refills, and the length bound: a line
 * of JSONL_MAX_LINE bytes with its newline is one too many, and a longer
 * one is refused without being read whole. */
static void test_reader_bounds(void **state)
{
	(void)state;
	size_t max = JSONL_MAX_LINE;
	char *big = malloc(3 * max);
	assert_non_null(big);
	/* many lines of varied length, crossing every refill */
	struct buf b = BUF_INIT;
	size_t n = 0;
	for (size_t i = 0; b.len < 3u << 20; i++, n++) {
		buf_puts(&b, "{\"title\":\"");
		for (size_t k = 0; k < (i * 7919) % 3000; k++)
			buf_putc(&b, (char)('a' + k % 26));
		buf_printf(&b, "\",\"key\":\"%zu\"}\n", i);
	}
	char *path = write_tmp(b.data, b.len);
	struct jsonl_reader r;
	struct err err;
	struct item it;
	assert_int_equal(jsonl_open(&r, path, &err), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(jsonl_next_item(&r, &it, &err), 1);
		char k[32];
		snprintf(k, sizeof k, "%zu", i);
		assert_string_equal(it.key, k);
		assert_int_equal(strlen(it.title), (i * 7919) % 3000);
		item_free(&it);
	}
	assert_int_equal(jsonl_next_item(&r, &it, &err), 0);
	jsonl_close(&r);
	unlink(path);
	free(path);
	buf_free(&b);

	/* JSONL_MAX_LINE bytes: fine at the end of the file, too long with a newline */
	memset(big, ' ', max);
	memcpy(big, "{\"title\":\"x\"}", 13);
	const char *line;
	size_t len;
	for (int nl = 0; nl < 2; nl++) {
		big[max] = '\n';
		path = write_tmp(big, max + (size_t)nl);
		assert_int_equal(jsonl_open(&r, path, &err), 0);
		int rc = jsonl_next_line(&r, &line, &len, &err);
		if (nl) {
			assert_int_equal(rc, JSONL_LONG);
			assert_non_null(strstr(err.msg, ":1: line longer than 16777216 bytes"));
		} else {
			assert_int_equal(rc, 1);
			assert_int_equal(len, max);
		}
		jsonl_close(&r);
		unlink(path);
		free(path);
	}
	/* a first line that is fine, then one with no end: the buffer stops
	 * growing at the bound */
	memset(big, 'x', 3 * max);
	memcpy(big, "{}\n", 3);
	path = write_tmp(big, 3 * max);
	assert_int_equal(jsonl_open(&r, path, &err), 0);
	assert_int_equal(jsonl_next_line(&r, &line, &len, &err), 1);
	assert_int_equal(jsonl_next_line(&r, &line, &len, &err), JSONL_LONG);
	assert_true(r.cap <= max + 1);
	assert_non_null(strstr(err.msg, ":2: line longer than"));
	jsonl_close(&r);
	unlink(path);
	free(path);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_path_table),
		cmocka_unit_test(test_fast_path_fields),
		cmocka_unit_test(test_fixture_lines),
		cmocka_unit_test(test_reader_lines),
		cmocka_unit_test(test_reader_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
