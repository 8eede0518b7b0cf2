#include "testutil.h"

#include <unistd.h>

#include <libxml/HTMLparser.h>

#include "compose/chrome.h"
#include "compose/digest.h"
#include "store/ingest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "select/rules.h"

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

static struct source two_sources[] = {
	{.name = "lt", .title = "Läkartidningen", .url = "https://x", .enabled = 1},
	{.name = "dm", .title = "Dagens Medicin", .url = "https://y", .enabled = 1},
	{.name = "rs", .title = "Region Stockholm", .url = "https://z", .enabled = 1},
};

static struct rules *test_rules(void)
{
	struct rules *r = rules_new();
	struct err err;
	assert_non_null(r);
	if (rules_load_string(r, "t.rules", RULES, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static json_t *model_of(struct item_list *items, struct rules *r, const struct digest_opts *o,
			struct match **ms_out)
{
	struct err err;
	struct match *ms = calloc(items->n + 1, sizeof *ms);
	for (size_t i = 0; i < items->n; i++)
		assert_int_equal(rules_match(r, &items->v[i], &ms[i], &err), 0);
	json_t *m = digest_model_build(o, r, items, ms, 1713000000, 1713600000);
	assert_non_null(m);
	*ms_out = ms;
	return m;
}

static void free_ms(struct match *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		match_free(&ms[i]);
	free(ms);
}

static void test_near_duplicates_once_with_both_sources(void **state)
{
	(void)state;
	struct rules *r = test_rules();
	struct item_list items = {0};
	/* the same page: scheme, www, trailing slash, utm_* differ */
	add(&items, "lt", "Ny vårdcentral öppnar i Tensta", "Primärvården byggs ut i Tensta.",
	    "https://www.rs.example/nyheter/1/?utm_source=rss", 1713344400);
	add(&items, "dm", "Vårdcentral i Tensta", "Primärvården byggs ut.", "http://rs.example/nyheter/1",
	    1713344400);
	/* nearly the same title, other links */
	add(&items, "rs", "Regionen öppnar fler vårdcentraler i norra Stockholm", NULL,
	    "https://rs.example/a", 1713344400);
	add(&items, "dm", "Regionen öppnar fler vårdcentraler i norra Stockholm!", NULL,
	    "https://dm.example/b", 1713344400);
	/* different news, similar words: both stay */
	add(&items, "lt", "Vårdcentral i Kista stänger", NULL, "https://lt.example/c", 1713344400);
	struct digest_opts o = {.title = "T", .language = "sv", .sources = two_sources, .nsources = 3};
	struct match *ms;
	json_t *m = model_of(&items, r, &o, &ms);
	json_t *list = json_object_get(json_array_get(json_object_get(m, "topics"), 0), "items");
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(json_integer_value(json_object_get(m, "count")), 3);
	int both = 0;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *st = json_string_value(json_object_get(json_array_get(list, i), "sources_text"));
		both += !strcmp(st, "Läkartidningen och Dagens Medicin") ||
			!strcmp(st, "Region Stockholm och Dagens Medicin");
	}
	assert_int_equal(both, 2);
	json_decref(m);
	free_ms(ms, items.n);
	item_list_free(&items);
	rules_free(r);
}

static void test_topic_cap_more_and_languages(void **state)
{
	(void)state;
	struct rules *r = test_rules();
	struct err err;
	struct item_list items = {0};
	char t[64], u[64];
	for (int i = 0; i < 5; i++) {
		snprintf(t, sizeof t, "Vårdcentral nummer %d", i);
		snprintf(u, sizeof u, "https://rs.example/%d", i);
		add(&items, "rs", t, NULL, u, 1713344400 + i);
	}
	const char *langs[] = {"sv", "nb", "en"};
	const char *more[] = {"…och 3 till i samma ämne", "…og 3 til om samme tema", "…and 3 more on this topic"};
	const char *subj[] = {"T, vecka 16 2024: 2 nyheter", "T, uke 16 2024: 2 nyheter", "T, week 16 2024: 2 items"};
	for (int l = 0; l < 3; l++) {
		struct digest_opts o = {.title = "T", .language = langs[l], .max_per_topic = 2,
					.archive_url = "https://dlf.example/arkiv/", .unsubscribe = "mailto:u@x.se",
					.sources = sources, .nsources = 1};
		struct match *ms;
		json_t *m = model_of(&items, r, &o, &ms);
		json_t *topic = json_array_get(json_object_get(m, "topics"), 0);
		assert_int_equal(json_array_size(json_object_get(topic, "items")), 2);
		assert_int_equal(json_integer_value(json_object_get(topic, "more")), 3);
		assert_string_equal(json_string_value(json_object_get(topic, "more_text")), more[l]);
		struct digest_parts p;
		if (digest_compose(m, "templates", &p, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(p.subject, subj[l]);
		assert_non_null(strstr(p.html, more[l]));
		assert_non_null(strstr(p.html, "href=\"https://dlf.example/arkiv/\""));
		assert_non_null(strstr(p.text, "[1] https://rs.example/"));
		assert_non_null(strstr(p.text, more[l]));
		if (l == 1)
			assert_non_null(strstr(p.html, "Meld deg av"));
		if (l == 2)
			assert_non_null(strstr(p.text, "Here are this week's 2 primary care news items"));
		digest_parts_free(&p);
		json_decref(m);
		free_ms(ms, items.n);
	}
	item_list_free(&items);
	rules_free(r);
}

static void test_wrap_text_72(void **state)
{
	(void)state;
	const char *in =
		"Kort rad.\n"
		"* Primärvårdsstrategin och fastläkarreformen: så påverkas distriktsläkarnas vardag i hela landet [12]\n"
		"  Från Läkartidningen, ett långt stycke text om vårdcentraler, listning och bemanning som måste brytas snyggt\n"
		"[3] https://example.se/en/mycket/lang/adress/som/inte/far/brytas/for/da/fungerar/den/inte/langre\n";
	char *out = digest_wrap_text(in, 72);
	assert_non_null(out);
	print_message("%s", out);
	int lines = 0;
	for (char *line = out, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		size_t cps = 0;
		for (char *q = line; q < nl; q++)
			cps += ((unsigned char)*q & 0xC0) != 0x80;
		if (cps > 72)
			assert_non_null(strstr(line, "https://")); /* only an unbreakable URL */
		lines++;
	}
	assert_true(lines >= 6);
	/* continuation lines hang under the text, not the bullet */
	assert_non_null(strstr(out, "\n  distriktsläkarnas") ? out : strstr(out, "\n  "));
	assert_non_null(strstr(out, "[3] https://example.se/"));
	assert_non_null(strstr(out, "Kort rad.\n"));
	free(out);
}

static void test_html_budget_cuts_from_the_bottom(void **state)
{
	(void)state;
	struct rules *r = test_rules();
	struct err err;
	struct item_list items = {0};
	char t[64], u[64], sum[1200];
	memset(sum, 0, sizeof sum);
	for (int k = 0; k < 80; k++)
		strcat(sum, "Primärvård ");
	for (int i = 0; i < 120; i++) {
		snprintf(t, sizeof t, "%s %d", i % 3 ? "Vårdcentral" : "Legevakt", i);
		snprintf(u, sizeof u, "https://rs.example/%d", i);
		add(&items, "rs", t, sum, u, 1713344400 + i);
	}
	struct digest_opts o = {.title = "T", .language = "sv", .summary_length = 600,
				.unsubscribe = "mailto:u@x.se", .sources = sources, .nsources = 1};
	struct match *ms;
	json_t *m = model_of(&items, r, &o, &ms);
	struct digest_parts p;
	if (digest_compose_budget(m, "templates", 40000, &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(strlen(p.html) <= 40000);
	assert_true(strlen(p.html) > 20000); /* cut about what was needed, not all */
	assert_non_null(strstr(p.html, "mailto:u@x.se")); /* the footer survives */
	json_t *topics = json_object_get(m, "topics");
	long shown = 0, more = 0;
	for (size_t i = 0; i < json_array_size(topics); i++) {
		json_t *tp = json_array_get(topics, i);
		shown += (long)json_array_size(json_object_get(tp, "items"));
		more += (long)json_integer_value(json_object_get(tp, "more"));
		if (json_integer_value(json_object_get(tp, "more")))
			assert_non_null(strstr(p.html, json_string_value(json_object_get(tp, "more_text"))));
	}
	assert_int_equal(shown + more, 120);
	assert_true(more > 0);
	assert_int_equal(json_integer_value(json_object_get(m, "count")), shown);
	digest_parts_free(&p);
	json_decref(m);
	free_ms(ms, items.n);
	item_list_free(&items);
	rules_free(r);
}

static int html_errors;
static void count_html_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e && e->level >= XML_ERR_ERROR) {
		html_errors++;
		print_message("html: line %d: %s", e->line, e->message);
	}
}

/* Golden files: the four parts for the fixture, byte for byte. Set
 * BULLETIN_UPDATE_GOLDEN=1 to rewrite them after an intended change (and
 * read the diff). Also: the HTML part parses without a single error. */
static void test_golden_parts_and_wellformed_html(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	struct digest_parts p;
	struct err err;
	if (digest_compose(f->model, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	const char *names[] = {"subject.txt", "digest.md", "digest.html", "digest.txt"};
	const char *parts[] = {p.subject, p.markdown, p.html, p.text};
	for (int i = 0; i < 4; i++) {
		char path[256];
		snprintf(path, sizeof path, "tests/fixtures/digest/golden-%s", names[i]);
		if (getenv("BULLETIN_UPDATE_GOLDEN")) {
			FILE *fp = fopen(path, "w");
			assert_non_null(fp);
			fputs(parts[i], fp);
			fclose(fp);
		}
		size_t len;
		char *want = test_read_file(path, &len);
		if (!want)
			fail_msg("%s missing (BULLETIN_UPDATE_GOLDEN=1 writes it)", path);
		if (strcmp(want, parts[i]))
			fail_msg("%s differs from what was composed:\n%s", path, parts[i]);
		free(want);
	}
	html_errors = 0;
	htmlParserCtxtPtr ctx = htmlNewParserCtxt();
	xmlSetStructuredErrorFunc(NULL, count_html_error);
	htmlDocPtr doc = htmlCtxtReadMemory(ctx, p.html, (int)strlen(p.html), NULL, "utf-8", HTML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	assert_non_null(doc);
	assert_int_equal(html_errors, 0);
	xmlFreeDoc(doc);
	htmlFreeParserCtxt(ctx);
	digest_parts_free(&p);
	destroy(f);
}

/* The greeting: a given name from each way a spreadsheet writes names,
 * the slot filled once per part with the name escaped for HTML, and the
 * generic greeting where a name is missing or the template is absent. */
static void test_member_greeting(void **state)
{
	(void)state;
	const char *names[][2] = {
		{"Åsa Lindström", "Åsa"}, {"Öberg, Karin", "Karin"}, {"  Øystein  Bråthen ", "Øystein"},
		{"Dr. Märta Ödegård", "Märta"}, {"Bjørn", "Bjørn"}, {"", ""},
		{"asa@example.se", ""}, {"Dr.", "Dr."},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char first[64];
		digest_first_name(names[i][0], first, sizeof first);
		if (strcmp(first, names[i][1]))
			fail_msg("%s: got \"%s\", want \"%s\"", names[i][0], first, names[i][1]);
	}

	struct err err;
	char *g = digest_greeting("templates", "sv", "Öberg, Karin", &err);
	assert_string_equal(g, "Hej Karin!");
	free(g);
	g = digest_greeting("templates", "nb", "Øystein Bråthen", &err);
	assert_string_equal(g, "Hei Øystein!");
	free(g);
	g = digest_greeting("templates", "en", NULL, &err);
	assert_string_equal(g, "Hello!");
	free(g);
	/* A CR/LF in the member list cannot reach the part as a line break. */
	g = digest_greeting("templates", "sv", "Eva\r\nBcc: x@example.se", &err);
	assert_null(strpbrk(g, "\r\n"));
	free(g);
	/* A templates folder without greeting.mustache: t.greeting. */
	g = digest_greeting("/nonexistent", "sv", "Åsa", &err);
	assert_string_equal(g, "Hej!");
	free(g);

	const char *part = "<p>" DIGEST_GREETING_SLOT "</p><p>" DIGEST_GREETING_SLOT "</p>";
	char *h = digest_personalize(part, "Hej <Åsa> & \"O'Brien\"!", 1);
	assert_string_equal(h, "<p>Hej &#60;Åsa&#62; &#38; &#34;O&#39;Brien&#34;!</p><p>" DIGEST_GREETING_SLOT "</p>");
	free(h);
	char *t = digest_personalize("Rubrik\n\n" DIGEST_GREETING_SLOT "\n", "Hej Åsa!\x1b", 0);
	assert_string_equal(t, "Rubrik\n\nHej Åsa!\n");
	free(t);
	t = digest_personalize("no slot here", "Hej", 0);
	assert_string_equal(t, "no slot here");
	free(t);

	/* Composed with the slot: one per part (not the subject); without a
	 * greeting in the model: the generic one, no slot anywhere. */
	struct fixture *f = build(0);
	struct digest_parts p;
	json_object_set_new(f->model, "greeting", json_string(DIGEST_GREETING_SLOT));
	if (digest_compose(f->model, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_null(strstr(p.subject, DIGEST_GREETING_SLOT));
	const char *slotted[] = {p.markdown, p.html, p.text};
	for (int i = 0; i < 3; i++) {
		const char *at = strstr(slotted[i], DIGEST_GREETING_SLOT);
		assert_non_null(at);
		assert_null(strstr(at + 1, DIGEST_GREETING_SLOT));
	}
	digest_parts_free(&p);
	json_object_del(f->model, "greeting");
	if (digest_compose(f->model, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_null(strstr(p.html, DIGEST_GREETING_SLOT));
	assert_non_null(strstr(p.html, "<p>Hej!</p>"));
	digest_parts_free(&p);
	destroy(f);
}


/* Items announcing events: the upcoming ones get "event" and are listed
 * in "events" (by start); past ones and plain news dates do not. */
static json_t *event_model(const char *lang, struct rules **rp, struct item_list *items,
			   struct match **mp)
{
	struct err err;
	*rp = rules_new();
	if (rules_load_string(*rp, "test.rules", RULES, &err) < 0)
		fail_msg("%s", err.msg);
	memset(items, 0, sizeof *items);
	/* published 2024-04-17; the period ends 2024-04-20T08:00:00Z */
	add(items, "rs", "Legevakt-møte i Tromsø", "Velkommen torsdag 2. mai kl. 10.00 i Tromsø.",
	    "https://rs.example/lv", 1713344400);
	add(items, "rs", "Öppet hus på vårdcentralen onsdag 24 april kl. 13–16", "Primärvård.",
	    "https://rs.example/oh", 1713344400);
	add(items, "rs", "Primärvård i fokus", "Seminariet hölls 15 april 2024 kl. 10.",
	    "https://rs.example/past", 1713344400);
	add(items, "rs", "Ny vårdcentral", "Beslut 30 april 2024 om primärvård.", NULL, 1713344400);
	*mp = calloc(items->n, sizeof **mp);
	for (size_t i = 0; i < items->n; i++) {
		/* as the ingest step finds them */
		ingest_item_event(&items->v[i], 1713600000);
		assert_int_equal(rules_match(*rp, &items->v[i], &(*mp)[i], &err), 0);
	}
	struct digest_opts o = {.title = "Primärvårdsnytt", .language = lang, .sources = sources,
				.nsources = 1};
	json_t *m = digest_model_build(&o, *rp, items, *mp, 1713000000, 1713600000);
	assert_non_null(m);
	return m;
}

static void event_model_free(json_t *m, struct rules *r, struct item_list *items, struct match *ms)
{
	for (size_t i = 0; i < items->n; i++)
		match_free(&ms[i]);
	free(ms);
	item_list_free(items);
	rules_free(r);
	json_decref(m);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_events_in_model(void **state)
{
	(void)state;
	struct rules *r;
	struct item_list items;
	struct match *ms;
	json_t *m = event_model("sv", &r, &items, &ms);
	assert_true(json_is_true(json_object_get(m, "has_events")));
	json_t *ev = json_object_get(m, "events");
	assert_int_equal(json_array_size(ev), 2);
	json_t *e0 = json_array_get(ev, 0), *e1 = json_array_get(ev, 1);
	/* by start: 24 April (CEST, UTC+2) before 2 May */
	assert_string_equal(jstr(e0, "start"), "2024-04-24T11:00:00Z");
	assert_string_equal(jstr(e0, "end"), "2024-04-24T14:00:00Z");
	assert_string_equal(jstr(e0, "start_text"), "onsdag 24 april 2024 kl. 13.00");
	assert_string_equal(jstr(e0, "url"), "https://rs.example/oh");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e0, "sources"), 0)),
			    "Region Stockholm");
	/* the uid derives from the item: "item-" and 16 hex digits */
	assert_int_equal(strlen(jstr(e0, "uid")), 21);
	assert_int_equal(strncmp(jstr(e0, "uid"), "item-", 5), 0);
	assert_string_equal(jstr(e1, "start"), "2024-05-02T08:00:00Z");
	assert_null(json_object_get(e1, "end"));
	assert_string_equal(jstr(e1, "title"), "Legevakt-møte i Tromsø");
	/* the items carry their event; the past seminar and the news date do not */
	size_t i, k, with = 0, without = 0;
	json_t *t, *it;
	json_array_foreach(json_object_get(m, "topics"), i, t)
		json_array_foreach(json_object_get(t, "items"), k, it) {
			json_t *e = json_object_get(it, "event");
			if (e) {
				with++;
				assert_non_null(jstr(e, "start_text"));
			} else {
				without++;
			}
		}
	assert_int_equal(with, 2);
	assert_int_equal(without, 2);
	/* the parts show the start on the item's line */
	struct digest_parts p;
	struct err err;
	if (digest_compose(m, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	/* ... with the end time (issue 17); the plain text as read, unwrapped */
	char *flat = strdup(p.text);
	for (char *q; (q = strstr(flat, "\n  ")) != NULL;)
		memmove(q, q + 2, strlen(q + 2) + 1), *q = ' ';
	assert_non_null(strstr(flat, "Tid: onsdag 24 april 2024 kl. 13.00\xE2\x80\x93" "16.00"));
	free(flat);
	assert_non_null(strstr(p.html, "Tid: onsdag 24 april 2024 kl. 13.00\xE2\x80\x93" "16.00</em>"));
	assert_non_null(strstr(p.markdown, "Tid: onsdag 24 april 2024 kl. 13.00\xE2\x80\x93" "16.00*"));
	assert_non_null(strstr(p.markdown, "Tid: torsdag 2 maj 2024 kl. 10.00"));
	digest_parts_free(&p);
	event_model_free(m, r, &items, ms);
}

static void test_events_by_language(void **state)
{
	(void)state;
	struct rules *r;
	struct item_list items;
	struct match *ms;
	json_t *m = event_model("nb", &r, &items, &ms);
	json_t *e0 = json_array_get(json_object_get(m, "events"), 0);
	assert_string_equal(jstr(e0, "start_text"), "onsdag 24. april 2024 kl. 13.00");
	event_model_free(m, r, &items, ms);
	m = event_model("en", &r, &items, &ms);
	e0 = json_array_get(json_object_get(m, "events"), 0);
	assert_string_equal(jstr(e0, "start_text"), "Wednesday 24 April 2024 at 13:00");
	json_t *e1 = json_array_get(json_object_get(m, "events"), 1);
	assert_string_equal(jstr(e1, "start_text"), "Thursday 2 May 2024 at 10:00");
	event_model_free(m, r, &items, ms);
}

static void test_no_events_in_model(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	assert_true(json_is_false(json_object_get(f->model, "has_events")));
	assert_int_equal(json_array_size(json_object_get(f->model, "events")), 0);
	destroy(f);
}

/* Nynorsk and Danish dates; every language of the member list has a chrome. */
static void test_dates_nn_da(void **state)
{
	(void)state;
	char b[64];
	digest_format_date(1709856000, "nn", b, sizeof b); /* 8 March 2024 */
	assert_string_equal(b, "8. mars 2024");
	digest_format_date(1709856000, "da", b, sizeof b);
	assert_string_equal(b, "8. marts 2024");
	const char *langs[] = {"sv", "nb", "nn", "da", "en"};
	for (size_t i = 0; i < 5; i++)
		assert_true(chrome_has(langs[i]));
	assert_false(chrome_has("fi"));
	assert_false(chrome_has(NULL));
}

/* A member's language: the stored (Swedish) model rendered again in nb,
 * nn, da and en has that language's subject, headings, greeting, dates
 * and footer and not a Swedish word of chrome; rendered back in sv it is
 * byte for byte what was composed (the model keeps its neutral data). */
static void test_model_in_every_members_language(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	struct digest_parts sv, p;
	struct err err;
	if (digest_compose(f->model, "templates", &sv, &err) < 0)
		fail_msg("%s", err.msg);
	const struct {
		const char *lang, *subject, *date, *greeting, *footer, *html_lang;
	} want[] = {
		{"nb", "Primärvårdsnytt, uke 16 2024: 3 nyheter", "20. april 2024", "Hei!",
		 "Meld deg av", "<html lang=\"nb\">"},
		{"nn", "Primärvårdsnytt, veke 16 2024: 3 nyheiter", "20. april 2024", "Hei!",
		 "Meld deg av", "<html lang=\"nn\">"},
		{"da", "Primärvårdsnytt, uge 16 2024: 3 nyheder", "20. april 2024", "Hej!",
		 "Afmeld dig", "<html lang=\"da\">"},
		{"en", "Primärvårdsnytt, week 16 2024: 3 items", "20 April 2024", "Hello!",
		 "Unsubscribe", "<html lang=\"en\">"},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		json_t *m = json_deep_copy(f->model);
		digest_model_localize(m, want[i].lang);
		if (digest_compose(m, "templates", &p, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(p.subject, want[i].subject);
		assert_non_null(strstr(p.text, want[i].date));
		assert_non_null(strstr(p.text, want[i].greeting));
		assert_non_null(strstr(p.html, want[i].footer));
		assert_non_null(strstr(p.html, want[i].html_lang));
		const char *swedish[] = {"Vecka", "Avregistrera", "Här är", "Länkar", "april 2024,"};
		for (size_t k = 0; k < sizeof swedish / sizeof *swedish; k++)
			if (strstr(p.text, swedish[k]) || strstr(p.html, swedish[k]))
				fail_msg("%s: Swedish \"%s\" left", want[i].lang, swedish[k]);
		digest_parts_free(&p);
		/* and back */
		digest_model_localize(m, "sv");
		if (digest_compose(m, "templates", &p, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(p.subject, sv.subject);
		assert_string_equal(p.text, sv.text);
		assert_string_equal(p.html, sv.html);
		digest_parts_free(&p);
		json_decref(m);
	}
	digest_parts_free(&sv);
	destroy(f);
}

/* Any client, any width (issue 17): a 600 px centred table with Outlook's
 * conditional wrapper, long words and URLs wrapped, every link's colour
 * inline, a hidden preheader with the first headlines, the association's
 * name on top, "read in your browser" where the member's copy gets the
 * archive's page, and "-- " before the plain text's signature. */
static void test_layout_for_any_client(void **state)
{
	(void)state;
	struct fixture *f = build(0);
	json_t *m = json_deep_copy(f->model);
	json_object_set_new(m, "association_name", json_string("Distriktsläkarföreningen"));
	json_object_set_new(m, "web_url", json_string(DIGEST_WEB_SLOT));
	struct digest_parts p;
	struct err err;
	if (digest_compose(m, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(p.html, "<!--[if mso]><table role=\"presentation\" width=\"600\" align=\"center\""));
	assert_non_null(strstr(p.html, "<!--[if mso]></td></tr></table><![endif]-->"));
	assert_non_null(strstr(p.html, "max-width:600px"));
	assert_null(strstr(p.html, "<div class=\"wrap\""));
	assert_non_null(strstr(p.html, "overflow-wrap:anywhere"));
	assert_non_null(strstr(p.html, "word-break:break-word"));
	const char *pre = strstr(p.html, "<div class=\"preheader\" style=\"display:none;");
	assert_non_null(pre);
	assert_true(pre < strstr(p.html, "<h1>"));
	assert_non_null(strstr(pre, "primärvård &amp; vårdcentral · Ny vårdcentral i Tensta"));
	assert_non_null(strstr(p.html, ">Distriktsläkarföreningen</p>"));
	assert_non_null(strstr(p.html, "href=\"" DIGEST_WEB_SLOT "\""));
	assert_non_null(strstr(p.html, ">Läs i webbläsaren</a>"));
	assert_non_null(strstr(p.text, "Läs i webbläsaren: " DIGEST_WEB_SLOT "\n"));
	/* every link in the body carries its colour */
	size_t links = 0;
	for (const char *a = p.html; (a = strstr(a, "<a ")); a += 3, links++)
		if (strncmp(a, "<a style=\"color:#", 17) && !strstr(a, "style=\"color:#"))
			fail_msg("a link without its colour: %.80s", a);
	assert_true(links >= 3);
	assert_non_null(strstr(p.text, "\n-- \n"));
	assert_null(strstr(p.text, "\n--\n"));
	digest_parts_free(&p);
	/* the archive's page: a link back to the index, no "read in your browser" */
	json_object_del(m, "web_url");
	json_object_set_new(m, "archive_page", json_true());
	json_object_set_new(m, "index_url", json_string("index.html"));
	if (digest_compose(m, "templates", &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(p.html, "href=\"index.html\""));
	assert_non_null(strstr(p.html, "← Alla utskick</a>"));
	assert_null(strstr(p.html, "webbläsaren"));
	digest_parts_free(&p);
	json_decref(m);
	destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_groups_by_topic_in_rules_order),
		cmocka_unit_test(test_max_items_caps_and_counts_the_rest),
		cmocka_unit_test(test_dates_by_language),
		cmocka_unit_test(test_compose_escapes_feed_text_everywhere),
		cmocka_unit_test(test_template_error_names_file_line_col),
		cmocka_unit_test(test_near_duplicates_once_with_both_sources),
		cmocka_unit_test(test_topic_cap_more_and_languages),
		cmocka_unit_test(test_wrap_text_72),
		cmocka_unit_test(test_html_budget_cuts_from_the_bottom),
		cmocka_unit_test(test_golden_parts_and_wellformed_html),
		cmocka_unit_test(test_events_in_model),
		cmocka_unit_test(test_events_by_language),
		cmocka_unit_test(test_no_events_in_model),
		cmocka_unit_test(test_member_greeting),
		cmocka_unit_test(test_dates_nn_da),
		cmocka_unit_test(test_model_in_every_members_language),
		cmocka_unit_test(test_layout_for_any_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
