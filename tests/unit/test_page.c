#include "testutil.h"

#include <unistd.h>

#include "compose/watch.h"
#include "parse/page.h"
#include "parse/pdf.h"
#include "store/watch.h"

static char *extract(const char *html, const char *selector, char **title)
{
	struct page_text t;
	struct page_opts o = {.selector = selector};
	struct err err;
	int r = page_extract_html(html, strlen(html), &o, &t, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	if (title)
		*title = t.title;
	else
		free(t.title);
	return t.text;
}

static void test_main_content_and_structure(void **state)
{
	(void)state;
	size_t n;
	char *html = test_read_file("tests/fixtures/watch/strategi-1.html", &n);
	assert_non_null(html);
	char *title = NULL;
	char *t = extract(html, NULL, &title);
	assert_string_equal(title, "Primärvårdsstrategi");
	assert_true(!strncmp(t, "# Primärvårdsstrategi\n\nPrimärvårdsstrategin anger", 50));
	assert_non_null(strstr(t, "\n\n## Genomförandeplan\n\n"));
	assert_non_null(strstr(t, "\n- Alla invånare ska kunna lista sig hos en namngiven läkare\n"
				  "- Vårdcentralerna får"));
	/* menus, breadcrumbs, the cookie banner, the aside and the footer go */
	assert_null(strstr(t, "Nyheter"));
	assert_null(strstr(t, "Start /"));
	assert_null(strstr(t, "kakor"));
	assert_null(strstr(t, "Relaterat"));
	assert_null(strstr(t, "Box 1"));
	assert_null(strstr(t, "dataLayer"));
	free(t);
	free(title);
	free(html);
}

static void test_tables_lists_breaks(void **state)
{
	(void)state;
	char *t = extract("<html><body><h2>Tider</h2><table><tr><th>Tid</th><th>Tema</th></tr>"
			  "<tr><td>09:00</td><td>Velkommen <b>alle</b></td></tr><tr><td></td><td>x</td></tr>"
			  "</table><p>Tid: 4. desember<br>Sted: Teams</p><ol><li>En<ul><li>To</li></ul></li></ol>"
			  "<p>A\u00ad&nbsp;  b</p></body></html>",
			  NULL, NULL);
	assert_string_equal(t, "## Tider\n\n| Tid | Tema |\n| 09:00 | Velkommen alle |\n| – | x |\n\n"
			       "Tid: 4. desember\nSted: Teams\n\n- En\n  - To\n\nA b\n");
	free(t);
}

static void test_empty_page(void **state)
{
	(void)state;
	char *t = extract("", NULL, NULL);
	assert_string_equal(t, "");
	free(t);
	t = extract("<html><body><nav><a href='/'>Hem</a></nav></body></html>", NULL, NULL);
	assert_string_equal(t, "");
	free(t);
}

static void test_selector(void **state)
{
	(void)state;
	const char *html = "<html><body><div id='a'><p>Ett</p></div><div class='b'><h3>Två</h3><p>Tre</p></div></body></html>";
	char *t = extract(html, "div.b", NULL);
	assert_string_equal(t, "### Två\n\nTre\n");
	free(t);
	t = extract(html, "//div[@id='a']/p", NULL);
	assert_string_equal(t, "Ett\n");
	free(t);
	struct page_text pt;
	struct page_opts o = {.selector = "div.nothing"};
	struct err err;
	assert_int_equal(page_extract_html(html, strlen(html), &o, &pt, &err), -1);
	assert_non_null(strstr(err.msg, "matched nothing"));
	o.selector = "//div[";
	assert_int_equal(page_extract_html(html, strlen(html), &o, &pt, &err), -1);
	assert_non_null(strstr(err.msg, "selector \"//div[\""));
}

static void test_ignore(void **state)
{
	(void)state;
	char *pats[] = {"^Senast uppdaterad:.*$", "(?i)\\bKAKOR\\b[^.]*\\."};
	struct err err;
	const char *t = "# Rubrik\n\nText om kakor. Mer text.\n\nSenast uppdaterad: 2025-03-01\n\nSlut\n";
	char *r = page_ignore(t, strlen(t), pats, 2, &err);
	assert_string_equal(r, "# Rubrik\n\nText om  Mer text.\n\nSlut\n");
	free(r);
	char *bad[] = {"(unclosed"};
	assert_null(page_ignore(t, strlen(t), bad, 1, &err));
	assert_non_null(strstr(err.msg, "missing closing parenthesis"));
}

static void test_summary(void **state)
{
	(void)state;
	struct err err;
	const char *a = "# Sida\n\n## Ersättning\n\nBesök kostar 350 kr. Avgiften gäller från 1 januari.\n\n## Kontakt\n\nRing oss.\n";
	const char *b = "# Sida\n\n## Ersättning\n\nBesök kostar 380 kr. Avgiften gäller från 1 januari.\n\n## Kontakt\n\nRing oss.\n";
	char *s = watch_summary("sv", a, b, NULL, 0, &err);
	assert_string_equal(s, "Ändrat avsnitt: Ersättning. Tidigare: ”Besök kostar 350 kr.” Nu: ”Besök kostar 380 kr.”");
	free(s);
	s = watch_summary("nb", a, b, NULL, 0, &err);
	assert_string_equal(s, "Endret del: Ersättning. Før: «Besök kostar 350 kr.» Nå: «Besök kostar 380 kr.»");
	free(s);
	const char *c = "# Sida\n\n## Ersättning\n\nBesök kostar 350 kr. Avgiften gäller från 1 januari.\n\n## Nytt\n\nEtt.\n\nTvå.\n\nTre.\n\nFyra.\n";
	s = watch_summary("en", a, c, NULL, 0, &err);
	assert_string_equal(s, "New section: Nytt. Removed section: Kontakt.");
	free(s);
	/* a row changed and one added between: each new row with the old row
	 * most like it, the other told as added */
	const char *t1 = "## 7 Ersättning\n\nLäkarbesök  350 kr  per besök\nHembesök  700 kr  per besök\n";
	const char *t2 = "## 7 Ersättning\n\nLäkarbesök  350 kr  per besök\nVideobesök  250 kr  per besök\n"
			 "Hembesök  760 kr  per besök\n";
	s = watch_summary("sv", t1, t2, NULL, 0, &err);
	assert_string_equal(s, "Ändrat avsnitt: 7 Ersättning. Tillagt: ”Videobesök 250 kr per besök” "
			       "Tidigare: ”Hembesök 700 kr per besök” Nu: ”Hembesök 760 kr per besök”");
	free(s);
	/* a line rewritten whole is still one changed line */
	s = watch_summary("sv", "# M\n\nSted: Teams\n", "# M\n\nSted: Scandic Lerkendal, Trondheim\n",
			  NULL, 0, &err);
	assert_string_equal(s, "Ändrat avsnitt: M. Tidigare: ”Sted: Teams” Nu: ”Sted: Scandic Lerkendal, Trondheim”");
	free(s);
	/* only noise changed: nothing to say */
	char *pats[] = {"350|380"};
	s = watch_summary("sv", a, b, pats, 1, &err);
	assert_string_equal(s, "");
	free(s);
}

static void test_broken_heuristics(void **state)
{
	(void)state;
	char why[200];
	assert_non_null(watch_looks_broken(5000, 20, 0, why));
	assert_non_null(strstr(why, "almost no text"));
	assert_non_null(watch_looks_broken(5000, 900, 15, why));
	assert_non_null(strstr(why, "shrank from 5000 to 900"));
	assert_non_null(watch_looks_broken(3000, 2800, 10, why));
	assert_non_null(strstr(why, "10%"));
	assert_null(watch_looks_broken(3000, 3300, 85, why));
	assert_null(watch_looks_broken(100, 120, 5, why)); /* a tiny page may change whole */
}

static void test_pdf(void **state)
{
	(void)state;
	assert_true(pdf_detect("%PDF-1.4\n", 9));
	assert_true(pdf_detect("\n\n%PDF-1.7", 10));
	assert_false(pdf_detect("<html>%PDF-", 5));
	assert_string_equal(pdf_page_word("nb"), "side");
	struct page_text t;
	struct err err;
	struct pdf_opts o = {.program = "/nonexistent/pdftotext"};
	assert_int_equal(pdf_extract("%PDF-1.4", 8, &o, &t, &err), -1);
	assert_non_null(strstr(err.msg, "poppler-utils"));
	/* a stand-in that never ends is stopped at the timeout */
	o.program = "tests/fixtures/watch/hang.sh";
	o.timeout_ms = 300;
	assert_int_equal(pdf_extract("%PDF-1.4", 8, &o, &t, &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));
	if (system("command -v pdftotext >/dev/null 2>&1") != 0 ||
	    system("/usr/bin/python3 tests/fixtures/watch/mkpdf.py tests/fixtures/watch/upphandling-2.txt "
		   "/tmp/bulletin-test-page.pdf") != 0) {
		skip();
		return;
	}
	size_t n = 0;
	char *pdf = test_read_file("/tmp/bulletin-test-page.pdf", &n);
	o = (struct pdf_opts){0};
	assert_int_equal(pdf_extract(pdf, n, &o, &t, &err), 0);
	assert_string_equal(t.title, "Förfrågningsunderlag husläkarverksamhet 2026");
	assert_non_null(strstr(t.text, "— sida 1 —\n\nFörfrågningsunderlag"));
	assert_non_null(strstr(t.text, "\n— sida 2 —\n\n## 7 Ersättning\n"));
	assert_non_null(strstr(t.text, "\nLäkarbesök  380 kr  per besök\n"));
	assert_non_null(strstr(t.text, "\n## 3 Uppdraget\n"));
	page_text_free(&t);
	free(pdf);
	unlink("/tmp/bulletin-test-page.pdf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_content_and_structure),
		cmocka_unit_test(test_tables_lists_breaks),
		cmocka_unit_test(test_empty_page),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_ignore),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_broken_heuristics),
		cmocka_unit_test(test_pdf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
