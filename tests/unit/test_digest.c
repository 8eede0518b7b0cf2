#include "testutil.h"

#include <unistd.h>

#include <libxml/HTMLparser.h>

#include "digest.h"
#include "rules.h"

static const char *RULES =
	"threshold 2\n"
	"topic primarvard \"Primärvård\"\n"
	"include 3 primärvård\n"
	"include 3 vårdcentral\n"
	"topic jour \"Jour och legevakt\"\n"
	"include 3 legevakt\n";

static void add(struct item_list *l, const char *source, const char *title, const char *summary,
		const char *url, time_t published)
{
	struct item *it = item_list_push(l);
	it->source = strdup(source);
	it->key = strdup(title);
	it->title = strdup(title);
	it->summary = summary ? strdup(summary) : NULL;
	it->url = url ? strdup(url) : NULL;
	it->published = published;
	it->first_seen = published;
}

struct fixture {
	struct rules *rules;
	struct item_list items;
	struct match *matches;
	json_t *model;
};

static struct source sources[] = {
	{.name = "rs", .title = "Region Stockholm", .url = "https://x", .enabled = 1},
};

static struct fixture *build(long max_items)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err err;
	f->rules = rules_new();
	if (rules_load_string(f->rules, "test.rules", RULES, &err) < 0)
		fail_msg("%s", err.msg);
	add(&f->items, "rs", "Ny vårdcentral i Tensta", "Primärvården byggs ut.", "https://rs.example/1", 1713344400);
	add(&f->items, "rs", "Pendeltåg till Södertälje", "Trafik.", "https://rs.example/2", 1713344400);
	add(&f->items, "rs", "Legevakta i Tromsø <script>alert(1)</script>",
	    "Se [klikk her](javascript:alert(1)) og <img src=x onerror=alert(1)> & mer **fet**.",
	    "javascript:alert(1)", 1713430800);
	add(&f->items, "rs", "\"><img onerror=alert(1)> primärvård & vårdcentral", "1. Första punkten",
	    "https://rs.example/a b<c>", 1713517200);
	f->matches = calloc(f->items.n, sizeof *f->matches);
	for (size_t i = 0; i < f->items.n; i++)
		assert_int_equal(rules_match(f->rules, &f->items.v[i], &f->matches[i], &err), 0);
	struct digest_opts o = {.title = "Primärvårdsnytt", .language = "sv",
				.association = "Föreningen", .unsubscribe = "mailto:a@b.se",
				.max_items = max_items, .sources = sources, .nsources = 1};
	f->model = digest_model_build(&o, f->rules, &f->items, f->matches, 1713000000, 1713600000);
	assert_non_null(f->model);
	return f;
}

static void destroy(struct fixture *f)
{
	for (size_t i = 0; i < f->items.n; i++)
		match_free(&f->matches[i]);
	free(f->matches);
	item_list_free(&f->items);
	rules_free(f->rules);
	json_decref(f->model);
	free(f);
}

static void test_model_groups_by_topic_in_rules_order(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	json_t *topics = json_object_get(f->model, "topics");
	assert_int_equal(json_array_size(topics), 2);
	json_t *t0 = json_array_get(topics, 0), *t1 = json_array_get(topics, 1);
	assert_string_equal(json_string_value(json_object_get(t0, "id")), "primarvard");
	assert_string_equal(json_string_value(json_object_get(t1, "id")), "jour");
	assert_int_equal(json_integer_value(json_object_get(f->model, "count")), 3);
	/* Higher score first: the item matching two rules leads its topic. */
	json_t *first = json_array_get(json_object_get(t0, "items"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(first, "title")), "primärvård & vårdcentral"));
	json_t *it = json_array_get(json_object_get(t0, "items"), 1);
	assert_string_equal(json_string_value(json_object_get(it, "source_title")), "Region Stockholm");
	assert_string_equal(json_string_value(json_object_get(it, "date_text")), "17 april 2024");
	/* A javascript: link never reaches the model. */
	json_t *jour = json_array_get(json_object_get(t1, "items"), 0);
	assert_null(json_object_get(jour, "url"));
	destroy(f);
}

static void test_max_items_caps_and_counts_the_rest(void **state)
{
	(void)state;
	struct fixture *f = build(1);
	assert_int_equal(json_integer_value(json_object_get(f->model, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(f->model, "more")), 2);
	destroy(f);
}

static void test_dates_by_language(void **state)
{
	(void)state;
	char b[64];
	digest_format_date(1713344400, "sv", b, sizeof b);
	assert_string_equal(b, "17 april 2024");
	digest_format_date(1713344400, "nb", b, sizeof b);
	assert_string_equal(b, "17. april 2024");
	digest_format_date(1638864000, "nb", b, sizeof b);
	assert_string_equal(b, "7. desember 2021");
	digest_format_date(1713344400, "en", b, sizeof b);
	assert_string_equal(b, "17 April 2024");
}

/* Every href/src in the HTML: http, https or mailto only. */
static void check_links(xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			assert_true(xmlStrcasecmp(n->name, BAD_CAST "script") != 0);
			assert_true(xmlStrcasecmp(n->name, BAD_CAST "img") != 0);
			for (xmlAttr *a = n->properties; a; a = a->next) {
				assert_true(xmlStrncasecmp(a->name, BAD_CAST "on", 2) != 0);
				if (!xmlStrcasecmp(a->name, BAD_CAST "href") ||
				    !xmlStrcasecmp(a->name, BAD_CAST "src")) {
					xmlChar *v = xmlNodeGetContent((xmlNode *)a);
					if (xmlStrncmp(v, BAD_CAST "https://", 8) &&
					    xmlStrncmp(v, BAD_CAST "http://", 7) &&
					    xmlStrncmp(v, BAD_CAST "mailto:", 7))
						fail_msg("link not http/https/mailto: %s", v);
					xmlFree(v);
				}
			}
		}
		check_links(n->children);
	}
}

static void test_compose_escapes_feed_text_everywhere(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	struct digest_parts p;
	struct err err;
	if (digest_compose(f->model, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_null(strchr(p.subject, '\n'));
	assert_non_null(strstr(p.subject, "Primärvårdsnytt"));
	/* The feed's markup shows as text, never as markup. */
	assert_null(strstr(p.html, "<script"));
	assert_null(strstr(p.html, "<img"));
	assert_null(strstr(p.html, "href=\"javascript:"));
	assert_non_null(strstr(p.html, "&lt;script&gt;"));
	assert_non_null(strstr(p.html, "**fet**"));
	assert_non_null(strstr(p.html, "Ny vårdcentral i Tensta"));
	assert_non_null(strstr(p.html, "17 april 2024"));
	/* The URL with a space and <> stays one link. */
	assert_non_null(strstr(p.html, "href=\"https://rs.example/a%20b%3Cc%3E\""));
	/* "1. Första punkten" stays a sentence, not a list. */
	assert_null(strstr(p.html, "<ol"));
	htmlDocPtr doc = htmlReadMemory(p.html, (int)strlen(p.html), NULL, "utf-8",
					HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	assert_non_null(doc);
	check_links(xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	/* Plain text carries the feed's words as they are. */
	assert_non_null(strstr(p.text, "Legevakta i Tromsø <script>"));
	assert_non_null(strstr(p.text, "https://rs.example/1"));
	digest_parts_free(&p);
	destroy(f);
}

static void test_template_error_names_file_line_col(void **state)
{
	(void)state;
	char dir[] = "/tmp/bulletin-tmpl-XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *names[] = {"subject.mustache", "digest.md.mustache", "layout.html.mustache",
			       "digest.txt.mustache"};
	const char *texts[] = {"{{title}}", "# {{title}}\n\n{{#topics}}\n{{title}}\n", "{{{body}}}", "x"};
	char path[128];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *fp = fopen(path, "w");
		fputs(texts[i], fp);
		fclose(fp);
	}
	struct fixture *f = build(0);
	struct digest_parts p;
	struct err err;
	assert_int_equal(digest_compose(f->model, dir, &p, &err), -1);
	if (!strstr(err.msg, "digest.md.mustache: 3:1:"))
		fail_msg("got: %s", err.msg);
	destroy(f);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_groups_by_topic_in_rules_order),
		cmocka_unit_test(test_max_items_caps_and_counts_the_rest),
		cmocka_unit_test(test_dates_by_language),
		cmocka_unit_test(test_compose_escapes_feed_text_everywhere),
		cmocka_unit_test(test_template_error_names_file_line_col),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
