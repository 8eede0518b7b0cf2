#include "testutil.h"

#include "parse/html.h"
#include "core/timefmt.h"

#define FIX "tests/fixtures/html/"
/* 2024-04-20T10:00:00Z, a Saturday: "igår" is Friday 19 April. */
#define NOW ((time_t)1713607200)

static int run(const char *file, const char *base, const struct html_selectors *sel,
	       struct item_list *out, struct err *err)
{
	size_t len = 0;
	char *data = test_read_file(file, &len);
	assert_non_null(data);
	struct html_opts o = {base, 0, NOW};
	int n = html_extract(data, len, sel, &o, out, err);
	free(data);
	return n;
}

static const struct item *find(const struct item_list *l, const char *title)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].title && strcmp(l->v[i].title, title) == 0)
			return &l->v[i];
	fail_msg("no item titled \"%s\"", title);
	return NULL;
}

static void date_is(const struct item *it, const char *utc)
{
	char got[RFC3339_LEN];
	if (it->published != time_parse_rfc3339(utc))
		fail_msg("\"%s\": date %s, want %s", it->title,
			 it->published ? time_format_rfc3339(it->published, got) : "0", utc);
}

static void starts(const char *s, const char *prefix)
{
	assert_non_null(s);
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

static void lacks(const char *s, const char *bad)
{
	if (s && strstr(s, bad))
		fail_msg("\"%s\" should not contain \"%s\"", s, bad);
}

/* Every summary on a page: no chrome text, no code. */
static void clean_summaries(const struct item_list *l)
{
	static const char *const junk[] = {
		"Brödsmule", "kakor",      "Kakor",   "cookies",  "informasjonskapsler",
		"Huvudmeny", "Hovedmeny", "dataLayer", "gtag",    "trackImpression",
		"document.", "Annons",     "Meny",    "Prenumerera", "Startsida",
		"Del på",    "Facebook",   "<",       "Läs mer",  "Publisert",
	};
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++)
			lacks(l->v[i].summary, junk[k]);
}

static void test_region_defaults(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {.item = "ul.news-list > li"};
	int n = run(FIX "region-nyheter.html", "https://www.regionstockholm.se/nyheter/?skip=0&take=20",
		    &sel, &l, &err);
	assert_int_equal(n, 6);
	assert_int_equal(l.n, 6);
	clean_summaries(&l);

	/* Seed 003: a page card whose breadcrumb comes first. */
	const struct item *it = find(&l, "Primärvårdsstrategi");
	assert_string_equal(it->url, "https://vardgivarguiden.se/utveckling/projekt/primarvard/");
	assert_string_equal(it->key, it->url);
	date_is(it, "2020-01-27T23:00:00Z");
	starts(it->summary, "Primärvårdsstrategin ska ge ramar för utvecklingen av primärvården 2019 - 2025");
	assert_non_null(strstr(it->summary, "beslutade om den 28 januari 2020."));
	lacks(it->summary, "Projekt");
	lacks(it->summary, "Vårdgivare");

	it = find(&l, "Fler läkare till vårdcentralerna i länet");
	assert_string_equal(it->url,
			    "https://www.regionstockholm.se/nyheter/2024/04/fler-lakare-till-vardcentralerna/");
	date_is(it, "2024-04-17T22:00:00Z");
	assert_string_equal(it->summary, "Primärvårdsnämnden har beslutat om en handlingsplan för att "
					 "öka antalet specialister i allmänmedicin på länets vårdcentraler.");

	/* A datetime with its own zone is exact. */
	date_is(find(&l, "Nya tider för pendeltågen i sommar"), "2024-04-12T12:30:00Z");

	/* javascript: is no link; the key falls back to a hash. */
	it = find(&l, "Trafikinformation: ändrade öppettider på kundcenter");
	assert_null(it->url);
	starts(it->key, "hash:");

	/* Entities decoded once: &amp;#229; stays visible as "&#229;". */
	it = find(&l, "Sjukvård & omsorg i samverkan – nytt avtal klart");
	assert_non_null(strstr(it->summary, "Texten &#229; visas som den står."));
	item_list_free(&l);
}

static void test_party_css(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {
		.item = "article.news-teaser",
		.title = "h3",
		.link = ".news-teaser__heading > a",
		.date = ".news-teaser__date",
		.summary = ".news-teaser__text",
	};
	int n = run(FIX "socialdemokraterna-nyheter.html",
		    "https://www.socialdemokraterna.se/region-stockholm/nyheter", &sel, &l, &err);
	/* Five teasers; the featured one repeats a story from the list. */
	assert_int_equal(n, 4);
	clean_summaries(&l);

	/* Seed 001. */
	const struct item *it = find(&l, "Antalet läkare ska fördubblas på vårdcentralerna i Stockholm län");
	assert_string_equal(it->url, "https://www.socialdemokraterna.se/region-stockholm/nyheter/nyheter/"
				     "2024-04-17-antalet-lakare-ska-fordubblas-pa-vardcentralerna-i-stockholms-lan");
	date_is(it, "2024-04-16T22:00:00Z");
	starts(it->summary, "Nu uppfyller vi ett viktigt S-vallöfte i Region Stockholm! Som ett steg");
	assert_non_null(strstr(it->summary, "inom tio år.\n\nSå ser målet ut"));
	lacks(it->summary, "NYHET");

	date_is(find(&l, "Billigare SL-kort för unga i hela länet"), "2024-04-18T22:00:00Z");
	it = find(&l, "Tunnelbanan måste byggas ut snabbare");
	date_is(it, "2024-03-01T23:00:00Z");
	assert_string_equal(it->summary, "Stockholm växer och kollektivtrafiken måste växa med. Vi "
					 "kräver besked om finansieringen.");
	date_is(find(&l, "Vår budget för 2024: trygghet i vården"), "2023-11-29T23:00:00Z");
	item_list_free(&l);

	/* Defaults only: dates from the short date elements, "Läs mer" left out. */
	struct html_selectors dflt = {.item = ".news-listing > article"};
	assert_int_equal(run(FIX "socialdemokraterna-nyheter.html",
			     "https://www.socialdemokraterna.se/region-stockholm/nyheter", &dflt, &l, &err),
			 4);
	clean_summaries(&l);
	it = find(&l, "Antalet läkare ska fördubblas på vårdcentralerna i Stockholm län");
	date_is(it, "2024-04-16T22:00:00Z");
	assert_non_null(strstr(it->summary, "\n\nNu uppfyller vi ett viktigt S-vallöfte"));
	lacks(it->summary, "17 april 2024.\n"); /* the date element, not the teaser's date */
	date_is(find(&l, "Billigare SL-kort för unga i hela länet"), "2024-04-18T22:00:00Z");
	item_list_free(&l);
}

static void test_association_events(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {.item = ".event-list li"};
	const char *base = "https://www.legeforeningen.no/foreningsledd/yf/allmennlegeforeningen/"
			   "kurs-og-arrangementer/";
	assert_int_equal(run(FIX "legeforeningen-arrangementer.html", base, &sel, &l, &err), 4);
	clean_summaries(&l);

	/* Seed 002: the whole card is the link. */
	const struct item *it = find(&l, "Restaurering og nybygg – utvikling av legetjenestene i kommunene");
	assert_string_equal(it->url, "https://www.legeforeningen.no/foreningsledd/yf/allmennlegeforeningen/"
				     "kurs-og-arrangementer/2021/restaurering-og-nybygg/");
	date_is(it, "2021-12-14T23:00:00Z");
	starts(it->summary, "Utsettelsen skyldes koronasituasjonen og omfattende nasjonale tiltak");
	lacks(it->summary, "15. desember");

	date_is(find(&l, "Tillitsvalgtkurs for fastleger"), "2025-11-19T23:00:00Z");
	it = find(&l, "Tilsyn med helsetjenester til særlig sårbare barn");
	date_is(it, "2025-11-06T23:00:00Z");
	starts(it->summary, "Webinar om Helsetilsynets funn");
	date_is(find(&l, "Kurs i akuttmedisin for legevaktsleger"), "2021-11-03T17:00:00Z");
	item_list_free(&l);
}

static void test_county_governor(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {
		.item = "div.article-list > div.article-list__item",
		.title = "h2",
		.link = "h2 > a",
		.date = ".article-list__published",
	};
	assert_int_equal(run(FIX "statsforvalteren-trondelag.html",
			     "https://www.statsforvalteren.no/nb/trondelag/nyheter/", &sel, &l, &err),
			 3);
	clean_summaries(&l);

	/* Seed 004: the teaser holds another date; the selected one wins. */
	const struct item *it = find(&l, "Dialogmøte om fastlegeordningen");
	assert_string_equal(it->url, "https://www.statsforvalteren.no/nb/trondelag/nyheter/2021/11/"
				     "dialogmote-om-fastlegeordningen/");
	date_is(it, "2021-11-19T23:00:00Z");
	assert_string_equal(it->summary, "Tid: 7.desember 2021 kl 09:00 – 12:00. Sted: Teams.\n\n"
					 "Utfordringer med fastlegeordningen har blitt mye mer synlig de "
					 "siste årene, både nasjonalt og i Trøndelag.");

	date_is(find(&l, "Økt fare for skogbrann i Trøndelag"), "2021-11-01T23:00:00Z");
	date_is(find(&l, "Tilskudd til interkommunal legevakt"), "2017-12-10T23:00:00Z");
	item_list_free(&l);

	/* The same page with every field left to the defaults. */
	struct html_selectors dflt = {.item = ".article-list__item"};
	assert_int_equal(run(FIX "statsforvalteren-trondelag.html",
			     "https://www.statsforvalteren.no/nb/trondelag/nyheter/", &dflt, &l, &err),
			 3);
	it = find(&l, "Dialogmøte om fastlegeordningen");
	date_is(it, "2021-11-19T23:00:00Z");
	starts(it->summary, "Tid: 7.desember 2021");
	clean_summaries(&l);
	item_list_free(&l);
}

static void test_xpath_selectors(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {
		.item = "//div[@id='nyhetsarkiv']/div[@class='nyhet']",
		.title = "./h3/a",
		.link = "./h3/a/@href",
		.date = "xpath:string(./span[@class='datum'])",
		.summary = "./p[@class='ingress']",
	};
	assert_int_equal(run(FIX "dlf-stockholm-nyheter.html",
			     "https://slf.se/distriktslakarforeningen/stockholm/nyheter/", &sel, &l, &err),
			 3);
	/* Seed 000; a date without a clock is midnight in Stockholm. */
	const struct item *it = find(&l, "DLF Stockholm verksamhetsplan 2022");
	assert_string_equal(it->url, "https://slf.se/distriktslakarforeningen/stockholm/nyheter/"
				     "dlf-stockholm-verksamhetsplan-2022/");
	date_is(it, "2022-01-14T23:00:00Z");
	starts(it->summary, "DLF Stockholm planerar under 2022 att fortsätta det arbete");
	it = find(&l, "Årsmöte 2021");
	date_is(it, "2021-11-01T23:00:00Z");
	it = find(&l, "Julhälsning från styrelsen");
	starts(it->url, "http://slf.se/Foreningarnas-startsidor/");
	clean_summaries(&l);
	item_list_free(&l);
}

static void test_errors(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	const char *page = FIX "region-nyheter.html";

	/* Keep one item in the list: failures must not touch it. */
	struct html_selectors ok = {.item = "ul.news-list > li:first-child"};
	assert_int_equal(run(page, "https://www.regionstockholm.se/nyheter/", &ok, &l, &err), 1);

	struct html_selectors gone = {.item = ".news-list-v2 li"};
	assert_int_equal(run(page, NULL, &gone, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \".news-list-v2 li\" matched nothing: the page "
				     "layout may have changed");
	assert_int_equal(l.n, 1);

	struct html_selectors css = {.item = "li:nth-child(2)"};
	assert_int_equal(run(page, NULL, &css, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \"li:nth-child(2)\": column 3: unsupported "
				     "pseudo-class (use XPath for this)");

	struct html_selectors field = {.item = "li.news-list__item", .title = "h2 + p"};
	assert_int_equal(run(page, NULL, &field, &l, &err), -1);
	assert_string_equal(err.msg, "title selector \"h2 + p\": column 4: unsupported combinator "
				     "(use XPath for this)");

	/* libxml2's own words, with the column. */
	struct html_selectors xp = {.item = "//div[@class='x'"};
	assert_int_equal(run(page, NULL, &xp, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \"//div[@class='x'\": Invalid predicate at column 17");

	struct html_selectors xf = {.item = "//li", .date = "./time[@datetime"};
	assert_int_equal(run(page, NULL, &xf, &l, &err), -1);
	assert_string_equal(err.msg, "date selector \"./time[@datetime\": Invalid predicate at column 17");

	struct html_selectors xfn = {.item = "//li", .summary = "xpath:foo(.)"};
	assert_int_equal(run(page, NULL, &xfn, &l, &err), -1);
	/* libxml2 >= 2.13 adds the name ("Unregistered function: foo") */
	static const char unreg[] = "summary selector \"xpath:foo(.)\": Unregistered function";
	assert_memory_equal(err.msg, unreg, sizeof unreg - 1);

	struct html_selectors num = {.item = "xpath:count(//li)"};
	assert_int_equal(run(page, NULL, &num, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \"xpath:count(//li)\" gives a number, not elements");

	/* Matches, but nothing in them is an item. */
	struct html_selectors empty = {.item = "footer.news-card__footer"};
	assert_int_equal(run(page, NULL, &empty, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \"footer.news-card__footer\" matched 4 elements "
				     "but none had a title or a link: the page layout may have changed");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].title, "Fler läkare till vårdcentralerna i länet");
	item_list_free(&l);
}

static void test_no_title_no_link(void **state)
{
	(void)state;
	const char *html = "<html><body><div class='n'><span></span></div><div class='n'>"
			   "<p>   </p></div></body></html>";
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {.item = "div.n"};
	struct html_opts o = {"https://example.se/", 0, NOW};
	assert_int_equal(html_extract(html, strlen(html), &sel, &o, &l, &err), -1);
	assert_string_equal(err.msg, "item selector \"div.n\" matched 2 elements but none had a title "
				     "or a link: the page layout may have changed");
	assert_int_equal(l.n, 0);
	item_list_free(&l);
}

static void test_truncate_and_cap(void **state)
{
	(void)state;
	struct item_list l = {0};
	struct err err = {{0}};
	size_t len = 0;
	char *data = test_read_file(FIX "statsforvalteren-trondelag.html", &len);
	assert_non_null(data);
	struct html_selectors sel = {.item = ".article-list__item"};
	struct html_opts o = {"https://www.statsforvalteren.no/", 40, NOW};
	assert_int_equal(html_extract(data, len, &sel, &o, &l, &err), 3);
	free(data);
	for (size_t i = 0; i < l.n; i++) {
		assert_true(strlen(l.v[i].summary) <= 40);
		assert_non_null(strstr(l.v[i].summary, "…"));
	}
	item_list_free(&l);

	/* 1200 links: the first 1000 come out. */
	struct buf_like {
		char *p;
		size_t n;
	} b = {malloc(1200 * 64 + 64), 0};
	assert_non_null(b.p);
	b.n += (size_t)sprintf(b.p, "<ul>");
	for (int i = 0; i < 1200; i++)
		b.n += (size_t)sprintf(b.p + b.n, "<li><a href='/n/%d'>Nyhet %d</a></li>", i, i);
	struct html_selectors all = {.item = "li"};
	struct html_opts o2 = {"https://example.se/", 0, NOW};
	assert_int_equal(html_extract(b.p, b.n, &all, &o2, &l, &err), 1000);
	assert_string_equal(l.v[999].url, "https://example.se/n/999");
	assert_string_equal(l.v[0].title, "Nyhet 0");
	free(b.p);
	item_list_free(&l);
}

/* The links a default finds: not javascript:, not in navigation; Windows
 * newlines and spaces around hrefs are trimmed. */
static void test_links(void **state)
{
	(void)state;
	const char *html =
		"<div class='i'><nav><a href='/meny'>Meny</a></nav>"
		"<a href='javascript:void(0)'>Öppna</a><p>Text <a href=' \r\n/artikel/1 '>här</a></p></div>"
		"<div class='i'><h3>Utan länk</h3><p>Bara text.</p></div>"
		"<div class='i'><h3><a href='mailto:x@example.se'>Post</a></h3></div>";
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {.item = ".i"};
	struct html_opts o = {"https://example.se/nyheter/", 0, NOW};
	assert_int_equal(html_extract(html, strlen(html), &sel, &o, &l, &err), 3);
	assert_string_equal(l.v[0].title, "Öppna");
	assert_string_equal(l.v[0].url, "https://example.se/artikel/1");
	assert_string_equal(l.v[0].summary, "Text här");
	assert_string_equal(l.v[1].title, "Utan länk");
	assert_null(l.v[1].url);
	assert_string_equal(l.v[1].summary, "Bara text.");
	assert_string_equal(l.v[2].title, "Post");
	assert_null(l.v[2].url);
	item_list_free(&l);
}

/* The input is UTF-8 (charset.c saw to that); a stale meta label must not
 * make the parser decode it again. */
static void test_meta_charset(void **state)
{
	(void)state;
	const char *html = "<html><head><meta http-equiv='Content-Type' content='text/html; "
			   "charset=iso-8859-1'></head><body><ul><li><h2><a href='/a'>Vårdcentral "
			   "i Trøndelag: æ ø å ä ö</a></h2><p>Ny fastlege på plass.</p></li></ul>";
	struct item_list l = {0};
	struct err err = {{0}};
	struct html_selectors sel = {.item = "li"};
	struct html_opts o = {"https://example.no/", 0, NOW};
	assert_int_equal(html_extract(html, strlen(html), &sel, &o, &l, &err), 1);
	assert_string_equal(l.v[0].title, "Vårdcentral i Trøndelag: æ ø å ä ö");
	assert_string_equal(l.v[0].summary, "Ny fastlege på plass.");
	item_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_defaults),
		cmocka_unit_test(test_party_css),
		cmocka_unit_test(test_association_events),
		cmocka_unit_test(test_county_governor),
		cmocka_unit_test(test_xpath_selectors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_title_no_link),
		cmocka_unit_test(test_truncate_and_cap),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_meta_charset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
