#include "testutil.h"

#include <dirent.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "compose/archive.h"
#include "core/buf.h"
#include "parse/feed.h"
#include "core/log.h"

static char dir[] = "/tmp/test_archiveXXXXXX";

static const char *const script_subject = "Vecka 14: <script>alert(1)</script> & mer";
static const char *const img_subject = "\"><img onerror=x> Fastlegeordningen i Tromsø";

static time_t utc(int y, int mo, int d)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = 6};
	return timegm(&tm);
}

/* A model of the shape digest_model_build makes (only what the index reads). */
static json_t *model(const char *title, const char *generated, int week, int count,
		     const char *topic1, int n1, const char *topic2, int n2)
{
	json_t *topics = json_array();
	json_array_append_new(topics, json_pack("{s:s,s:s,s:i,s:[]}", "id", "a", "title", topic1,
						"count", n1, "items"));
	if (topic2)
		json_array_append_new(topics, json_pack("{s:s,s:s,s:i,s:[]}", "id", "b", "title",
							topic2, "count", n2, "items"));
	return json_pack("{s:s,s:s,s:s,s:{s:i,s:i},s:i,s:o}", "title", title, "language", "sv",
			 "generated", generated, "period", "week", week, "year", 2024, "count",
			 count, "topics", topics);
}

static void put(int64_t id, time_t created, const char *subject, json_t *m)
{
	struct digest_row d = {.id = id, .created = created, .subject = (char *)subject,
			       .markdown = "# x\n", .html = "<p>x</p>", .text = "x\n"};
	struct err err = {""};
	assert_int_equal(archive_write(dir, &d, m, NULL, 0, &err), 0);
	json_decref(m);
}

static void write_raw(const char *name, const char *data)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static char *slurp(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *s = test_read_file(path, NULL);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	log_set_level(LOG_LVL_ERROR); /* the broken .json's warning is expected */
	put(1, utc(2024, 4, 3), script_subject,
	    model("Distriktsläkarna", "2024-04-03T06:00:00Z", 14, 2, "Primärvård", 2, NULL, 0));
	put(2, utc(2024, 4, 10), img_subject,
	    model("Distriktsläkarna", "2024-04-10T06:00:00Z", 15, 1, "Fastlegeordningen", 1, NULL, 0));
	/* No subject: the index says "title, vecka N YYYY". */
	put(3, utc(2024, 4, 17), NULL,
	    model("Läkarföreningen å/ø", "2024-04-17T06:00:00Z", 16, 3, "Primärvård", 2,
		  "Vårdval & <b>budget</b>", 1));
	/* Newest by its name, but broken: skipped. Odd names: ignored. */
	write_raw("digest-2024-04-24-9.json", "{\"title\": \"Trasig\", ");
	write_raw("digest-2024-05-01-10.json", "[1, 2]");
	write_raw("digest-evil\"><x.json", "{\"title\": \"Ond\"}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	return rmdir(dir);
}

static int nerrors;
static void count_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e && e->level >= XML_ERR_ERROR)
		nerrors++;
}

static int html_errors(const char *s)
{
	nerrors = 0;
	xmlSetStructuredErrorFunc(NULL, count_error);
	htmlDocPtr doc = htmlReadMemory(s, (int)strlen(s), "index.html", "UTF-8",
					HTML_PARSE_NONET | HTML_PARSE_NOWARNING);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc)
		return -1;
	xmlFreeDoc(doc);
	return nerrors;
}

static int xml_errors(const char *s)
{
	nerrors = 0;
	xmlSetStructuredErrorFunc(NULL, count_error);
	xmlDocPtr doc = xmlReadMemory(s, (int)strlen(s), "feed.atom", NULL, XML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc)
		return -1;
	xmlFreeDoc(doc);
	return nerrors;
}

static void assert_order(const char *s, const char *a, const char *b, const char *c)
{
	const char *pa = strstr(s, a), *pb = strstr(s, b), *pc = strstr(s, c);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_non_null(pc);
	assert_true(pa < pb && pb < pc);
}

static void test_error_counters_catch_errors(void **state)
{
	(void)state;
	/* The checks below mean something only if these see errors. */
	assert_true(html_errors("<html><body><ul><li>x</ul></div></body></html>") > 0);
	assert_true(xml_errors("<feed><title>a & b</title></feed>") != 0);
}

static void test_index_sv(void **state)
{
	(void)state;
	const struct archive_site site = {"Distriktsläkarna i Stockholm", "sv",
					  "https://example.org/arkiv/", "DLF <Stockholm>"};
	struct err err = {""};
	unsigned warns = log_warn_count();
	assert_int_equal(archive_index(dir, &site, &err), 3);
	assert_int_equal(log_warn_count() - warns, 2); /* the broken one and the array */
	char *s = slurp("index.html");
	assert_int_equal(html_errors(s), 0);
	assert_non_null(strstr(s, "<html lang=\"sv\">"));
	assert_non_null(strstr(s, "<h1>Distriktsläkarna i Stockholm</h1>"));
	assert_non_null(strstr(s, "DLF &lt;Stockholm&gt;"));
	assert_non_null(strstr(s, ">Arkiv"));
	/* Newest first, relative links. */
	assert_order(s, "href=\"digest-2024-04-17-3.html\"", "href=\"digest-2024-04-10-2.html\"",
		     "href=\"digest-2024-04-03-1.html\"");
	assert_null(strstr(s, "https://example.org"));
	assert_order(s, "17 april 2024 · vecka 16 · 3 nyheter", "10 april 2024 · vecka 15 · 1 nyhet<",
		     "3 april 2024 · vecka 14 · 2 nyheter");
	/* Feed text is text, never markup. */
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "<img"));
	assert_null(strstr(s, "<b>"));
	assert_non_null(strstr(s, "Vecka 14: &lt;script&gt;alert(1)&lt;/script&gt; &amp; mer"));
	assert_non_null(strstr(s, "&quot;&gt;&lt;img onerror=x&gt; Fastlegeordningen i Tromsø"));
	assert_non_null(strstr(s, "Läkarföreningen å/ø, vecka 16 2024"));
	assert_non_null(strstr(s, "Primärvård (2), Vårdval &amp; &lt;b&gt;budget&lt;/b&gt; (1)"));
	assert_non_null(strstr(s, "href=\"feed.atom\""));
	assert_null(strstr(s, "Trasig"));
	assert_null(strstr(s, "Ond"));
	free(s);
}

static void test_feed_parses_with_our_parser(void **state)
{
	(void)state;
	const struct archive_site site = {"Distriktsläkarna", "sv", "https://example.org/arkiv/",
					  NULL};
	struct err err = {""};
	assert_int_equal(archive_index(dir, &site, &err), 3);
	char *s = slurp("feed.atom");
	assert_int_equal(xml_errors(s), 0);
	/* the ids are those the digests had before the archive had an address */
	assert_non_null(strstr(s, "<id>tag:bulletin.invalid,2024-04-17:digest-2024-04-17-3</id>"));
	assert_null(strstr(s, "<id>https://"));
	assert_non_null(strstr(s, "<link rel=\"self\" type=\"application/atom+xml\" "
				  "href=\"https://example.org/arkiv/feed.atom\"/>"));
	assert_non_null(strstr(s, "<updated>2024-04-17T06:00:00Z</updated>"));
	assert_non_null(strstr(s, "3 nyheter: Primärvård (2), Vårdval &amp; &lt;b&gt;budget&lt;/b&gt; (1)"));
	struct item_list items = {0};
	assert_int_equal(feed_parse(s, strlen(s), NULL, &items, &err), 3);
	assert_string_equal(items.v[0].title, "Läkarföreningen å/ø, vecka 16 2024");
	assert_string_equal(items.v[0].url, "https://example.org/arkiv/digest-2024-04-17-3.html");
	assert_string_equal(items.v[1].title, img_subject);
	assert_string_equal(items.v[1].url, "https://example.org/arkiv/digest-2024-04-10-2.html");
	assert_string_equal(items.v[2].title, script_subject);
	assert_string_equal(items.v[2].url, "https://example.org/arkiv/digest-2024-04-03-1.html");
	assert_int_equal(items.v[0].updated ? items.v[0].updated : items.v[0].published,
			 utc(2024, 4, 17));
	item_list_free(&items);

	/* Nothing depends on the clock: a rebuild is byte for byte the same. */
	assert_int_equal(archive_index(dir, &site, &err), 3);
	char *again = slurp("feed.atom");
	assert_string_equal(s, again);
	free(again);
	free(s);
}

static void test_no_base_url_nb_and_en(void **state)
{
	(void)state;
	const struct archive_site nb = {"Legeforeningen", "nb", NULL, NULL};
	struct err err = {""};
	assert_int_equal(archive_index(dir, &nb, &err), 3);
	char *s = slurp("index.html");
	assert_int_equal(html_errors(s), 0);
	assert_non_null(strstr(s, "<html lang=\"nb\">"));
	assert_non_null(strstr(s, "17. april 2024 · uke 16 · 3 nyheter"));
	free(s);
	s = slurp("feed.atom");
	assert_int_equal(xml_errors(s), 0);
	assert_non_null(strstr(s, "href=\"digest-2024-04-17-3.html\""));
	assert_non_null(strstr(s, "<id>tag:bulletin.invalid,2024-04-17:digest-2024-04-17-3</id>"));
	/* rel="self" with or without an address (relative: where it was fetched) */
	assert_non_null(strstr(s, "<link rel=\"self\" type=\"application/atom+xml\" href=\"feed.atom\"/>"));
	/* Relative links resolve against where the feed is published. */
	struct feed_opts fo = {.base_url = "https://example.net/a/feed.atom"};
	struct item_list items = {0};
	assert_int_equal(feed_parse(s, strlen(s), &fo, &items, &err), 3);
	assert_string_equal(items.v[2].url, "https://example.net/a/digest-2024-04-03-1.html");
	item_list_free(&items);
	free(s);

	const struct archive_site en = {"GP news", "en", NULL, NULL};
	assert_int_equal(archive_index(dir, &en, &err), 3);
	s = slurp("index.html");
	assert_int_equal(html_errors(s), 0);
	assert_non_null(strstr(s, "<html lang=\"en\">"));
	assert_non_null(strstr(s, ">Archive"));
	assert_non_null(strstr(s, "17 April 2024 · week 16 · 3 items"));
	assert_non_null(strstr(s, "1 item<"));
	free(s);
}

/* Atom ids are fixed from the first issue (issue 17): adding archive_url
 * later, or moving the archive, changes no entry's or the feed's id, so
 * readers do not show every old digest again; each .json keeps the id it
 * was written with. */
static void test_ids_stable_when_archive_url_is_added(void **state)
{
	(void)state;
	const struct archive_site before = {"Distriktsläkarna", "sv", NULL, NULL};
	const struct archive_site after = {"Distriktsläkarna", "sv", "https://example.org/arkiv/", NULL};
	const struct archive_site moved = {"Distriktsläkarna", "sv", "https://nytt.example/brev", NULL};
	struct err err = {""};
	const struct archive_site *sites[] = {&before, &after, &moved};
	char *ids[3];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(archive_index(dir, sites[i], &err), 3);
		char *s = slurp("feed.atom");
		struct buf b = BUF_INIT;
		for (const char *p = s; (p = strstr(p, "<id>")); p += 4)
			buf_append(&b, p, strcspn(p, "\n"));
		ids[i] = buf_steal(&b);
		free(s);
	}
	assert_int_equal(strlen(ids[0]) > 100, 1);
	assert_string_equal(ids[0], ids[1]);
	assert_string_equal(ids[0], ids[2]);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	char *j = slurp("digest-2024-04-10-2.json");
	assert_non_null(strstr(j, "\"atom_id\": \"tag:bulletin.invalid,2024-04-10:digest-2024-04-10-2\""));
	free(j);
}

/* The index reads like the issues: their typeface, a dark scheme. */
static void test_index_dark_and_typeface(void **state)
{
	(void)state;
	const struct archive_site site = {"Distriktsläkarna", "sv", NULL, NULL};
	struct err err = {""};
	assert_int_equal(archive_index(dir, &site, &err), 3);
	char *s = slurp("index.html");
	assert_non_null(strstr(s, "<meta name=\"color-scheme\" content=\"light dark\">"));
	assert_non_null(strstr(s, "@media (prefers-color-scheme: dark){"));
	assert_non_null(strstr(s, "Georgia,'Times New Roman',serif"));
	char *layout = test_read_file("templates/layout.html.mustache", NULL);
	assert_non_null(layout);
	assert_non_null(strstr(layout, "Georgia, 'Times New Roman', serif"));
	free(layout);
	free(s);
}

/* Found by fuzz_archive_json: U+FFFE and U+FFFF (as JSON escapes or as
 * UTF-8) are not XML characters, and a model carrying one made feed.atom
 * unreadable; they are dropped like the C0 controls. */
static void test_fuzz_noncharacters(void **state)
{
	(void)state;
	char own[] = "/tmp/test_archive_fuzzXXXXXX";
	assert_non_null(mkdtemp(own));
	char path[256];
	snprintf(path, sizeof path, "%s/digest-2024-04-17-2.json", own);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"subject\":\"a\\ufffeb\xef\xbf\xbf\",\"count\":1,"
	      "\"topics\":[{\"title\":\"\\uffff\\u0001\xef\xbf\xbd\",\"count\":1}]}", f);
	fclose(f);
	struct archive_site site = {"Primärvårdsnytt", "sv", NULL, NULL};
	struct err err = {""};
	assert_int_equal(archive_index(own, &site, &err), 1);
	snprintf(path, sizeof path, "%s/feed.atom", own);
	char *feed = test_read_file(path, NULL);
	assert_non_null(feed);
	assert_int_equal(xml_errors(feed), 0);
	assert_non_null(strstr(feed, "<title type=\"text\">ab</title>"));
	assert_non_null(strstr(feed, "\xef\xbf\xbd (1)")); /* U+FFFD is a character */
	free(feed);
	unlink(path);
	snprintf(path, sizeof path, "%s/index.html", own);
	unlink(path);
	snprintf(path, sizeof path, "%s/digest-2024-04-17-2.json", own);
	unlink(path);
	assert_int_equal(rmdir(own), 0);
}

static void test_bad_base_url_is_refused(void **state)
{
	(void)state;
	const struct archive_site site = {"x", "sv", "javascript:alert(1)", NULL};
	struct err err = {""};
	assert_int_equal(archive_index(dir, &site, &err), -1);
	assert_non_null(strstr(err.msg, dir));
	assert_non_null(strstr(err.msg, "https://"));
}

static void test_feed_keeps_the_newest_fifty(void **state)
{
	(void)state;
	char sub[300];
	snprintf(sub, sizeof sub, "%s/many", dir);
	struct err err = {""};
	for (int i = 1; i <= ARCHIVE_FEED_MAX + 2; i++) {
		time_t t = utc(2023, 1, 1) + (time_t)i * 7 * 86400;
		char gen[32];
		strftime(gen, sizeof gen, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		json_t *m = model("T", gen, 1, i, "P", i, NULL, 0);
		char subject[32];
		snprintf(subject, sizeof subject, "nr %d", i);
		struct digest_row d = {.id = i, .created = t, .subject = subject, .html = "<p>x</p>"};
		assert_int_equal(archive_write(sub, &d, m, NULL, 0, &err), 0);
		json_decref(m);
	}
	const struct archive_site site = {"T", "sv", "https://example.org", NULL};
	assert_int_equal(archive_index(sub, &site, &err), ARCHIVE_FEED_MAX + 2);
	char path[400];
	snprintf(path, sizeof path, "%s/feed.atom", sub);
	char *s = test_read_file(path, NULL);
	assert_non_null(s);
	struct item_list items = {0};
	assert_int_equal(feed_parse(s, strlen(s), NULL, &items, &err), ARCHIVE_FEED_MAX);
	assert_string_equal(items.v[0].title, "nr 52");
	assert_string_equal(items.v[ARCHIVE_FEED_MAX - 1].title, "nr 3");
	item_list_free(&items);
	free(s);
	DIR *d = opendir(sub);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", sub, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_counters_catch_errors),
		cmocka_unit_test(test_index_sv),
		cmocka_unit_test(test_feed_parses_with_our_parser),
		cmocka_unit_test(test_no_base_url_nb_and_en),
		cmocka_unit_test(test_bad_base_url_is_refused),
		cmocka_unit_test(test_fuzz_noncharacters),
		cmocka_unit_test(test_ids_stable_when_archive_url_is_added),
		cmocka_unit_test(test_index_dark_and_typeface),
		cmocka_unit_test(test_feed_keeps_the_newest_fifty),
	};
	int r = cmocka_run_group_tests(tests, setup, teardown);
	xmlCleanupParser();
	return r;
}
