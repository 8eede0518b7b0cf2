/* core/url.c: one resolver for feeds and pages (issue 14: the two that
 * were there disagreed on a space); url_redact: a password in a URL never
 * reaches output (issue 13). */
#include "testutil.h"

#include "core/buf.h"
#include "core/url.h"
#include "parse/feed.h"
#include "parse/html.h"

static void is(struct url_resolver *r, const char *base, const char *ref, unsigned flags,
	       const char *want)
{
	char *got = url_resolve(r, base, ref, strlen(ref), flags);
	if (!want) {
		if (got)
			fail_msg("%s against %s: want nothing, got %s", ref, base ? base : "-", got);
		return;
	}
	if (!got || strcmp(got, want))
		fail_msg("%s against %s: want %s, got %s", ref, base ? base : "-", want,
			 got ? got : "nothing");
	free(got);
}

static void test_resolve(void **state)
{
	(void)state;
	struct url_resolver r = {0};
	const char *base = "https://www.example.se/nyheter/2024/index.html?x=1";
	is(&r, base, "artikel.html", URL_HTTP_ONLY, "https://www.example.se/nyheter/2024/artikel.html");
	is(&r, base, "../a/b", URL_HTTP_ONLY, "https://www.example.se/nyheter/a/b");
	is(&r, base, "/rot", URL_HTTP_ONLY, "https://www.example.se/rot");
	is(&r, base, "//cdn.example.no/x.pdf", URL_HTTP_ONLY, "https://cdn.example.no/x.pdf");
	is(&r, base, "?sida=2", URL_HTTP_ONLY, "https://www.example.se/nyheter/2024/index.html?sida=2");
	is(&r, base, "  \n https://example.dk/a \t", URL_HTTP_ONLY, "https://example.dk/a");
	/* the fast path and libcurl agree: canonical links come back as they are */
	is(&r, NULL, "https://example.se/a-b_c~d/e.html?q=1&r=2#frag", URL_HTTP_ONLY,
	   "https://example.se/a-b_c~d/e.html?q=1&r=2#frag");
	is(&r, NULL, "HTTPS://Example.se/./a/../b", URL_HTTP_ONLY, "https://Example.se/b");
	/* a space and non-ASCII bytes are escaped as a browser sends them */
	is(&r, base, "min fil.pdf", URL_HTTP_ONLY, "https://www.example.se/nyheter/2024/min%20fil.pdf");
	is(&r, NULL, "https://example.se/vårdval", URL_HTTP_ONLY, "https://example.se/v%c3%a5rdval");
	/* only http(s) with URL_HTTP_ONLY; other schemes resolve without */
	is(&r, base, "javascript:alert(1)", URL_HTTP_ONLY, NULL);
	is(&r, base, "mailto:a@example.se", URL_HTTP_ONLY, NULL);
	is(&r, base, "ftp://example.se/f", 0, "ftp://example.se/f");
	is(&r, NULL, "tag:example.se,2024:1", 0, NULL); /* not a URL libcurl reads: the caller keeps it */
	/* no base: a relative link has nothing to resolve against */
	is(&r, NULL, "artikel.html", URL_HTTP_ONLY, NULL);
	is(&r, base, "", URL_HTTP_ONLY, NULL);
	is(&r, base, " \t ", URL_HTTP_ONLY, NULL);
	/* a base that is not a URL counts as none */
	is(&r, "not a url", "https://example.se/x", URL_HTTP_ONLY, "https://example.se/x");
	is(&r, "not a url", "x", URL_HTTP_ONLY, NULL);
	/* bounded */
	struct buf big = BUF_INIT;
	assert_int_equal(buf_puts(&big, "https://example.se/"), 0);
	while (big.len <= URL_REF_MAX)
		assert_int_equal(buf_puts(&big, "aaaaaaaa"), 0);
	is(&r, NULL, big.data, URL_HTTP_ONLY, NULL);
	buf_free(&big);
	/* url_resolve_buf leaves out alone when nothing resolves */
	struct buf out = BUF_INIT;
	assert_int_equal(buf_puts(&out, "kept"), 0);
	assert_int_equal(url_resolve_buf(&r, &out, NULL, "x", 1, URL_HTTP_ONLY), 0);
	assert_string_equal(out.data, "kept");
	assert_int_equal(url_resolve_buf(&r, &out, base, "y", 1, URL_HTTP_ONLY), 1);
	assert_string_equal(out.data, "https://www.example.se/nyheter/2024/y");
	buf_free(&out);
	url_resolver_free(&r);
	/* and without a reused handle */
	char *u = url_resolve(&(struct url_resolver){0}, NULL, "https://example.se/", 19, 0);
	assert_string_equal(u, "https://example.se/");
	free(u);
}

/* A feed link and a page link with the same href resolve alike (they
 * used to give NULL and "%20"). */
static void test_feed_and_html_agree(void **state)
{
	(void)state;
	const char *base = "https://www.example.se/aktuellt/";
	static const char feed[] = "<rss version=\"2.0\"><channel><item><title>t</title>"
				   "<link>dokument/plan 2025.pdf</link></item></channel></rss>";
	struct item_list fl = {0};
	struct err err;
	struct feed_opts fo = {base, 0};
	assert_int_equal(feed_parse(feed, sizeof feed - 1, &fo, &fl, &err), 1);
	static const char page[] = "<html><body><ul><li><a href=\"dokument/plan 2025.pdf\">Planen</a>"
				   "</li></ul></body></html>";
	struct item_list hl = {0};
	struct html_selectors sel = {.item = "li"};
	struct html_opts ho = {.base_url = base, .now = 1700000000};
	assert_int_equal(html_extract(page, sizeof page - 1, &sel, &ho, &hl, &err), 1);
	assert_non_null(fl.v[0].url);
	assert_non_null(hl.v[0].url);
	assert_string_equal(fl.v[0].url, "https://www.example.se/aktuellt/dokument/plan%202025.pdf");
	assert_string_equal(hl.v[0].url, fl.v[0].url);
	item_list_free(&fl);
	item_list_free(&hl);
}

static const char *red(const char *in)
{
	static char out[512];
	return url_redact(in, out, sizeof out);
}

static void test_redact(void **state)
{
	(void)state;
	assert_string_equal(red("https://user:secret@host/feed?x=1"), "https://user:***@host/feed?x=1");
	assert_string_equal(red("smtp://nyhetsbrev:Hemlig-lösen@mail.example.se:587"),
			    "smtp://nyhetsbrev:***@mail.example.se:587");
	/* an '@' inside the password: everything up to the last one */
	assert_string_equal(red("smtps://u:p@ss@mx.example.se"), "smtps://u:***@mx.example.se");
	/* no password, or no userinfo: as it was */
	assert_string_equal(red("https://user@host/"), "https://user@host/");
	assert_string_equal(red("https://host:8443/a:b@c"), "https://host:8443/a:b@c");
	assert_string_equal(red("mailto:nyhetsbrev@example.se?subject=a:b"),
			    "mailto:nyhetsbrev@example.se?subject=a:b");
	/* URLs quoted in a message, each redacted */
	assert_string_equal(red("source a (https://a:1@x/) moved to <https://b:2@y/>"),
			    "source a (https://a:***@x/) moved to <https://b:***@y/>");
	assert_string_equal(red("no url here"), "no url here");
	assert_string_equal(red(""), "");
	assert_string_equal(red(NULL), "");
	/* cut, never overflowing */
	char small[12];
	url_redact("https://u:p@host/", small, sizeof small);
	assert_string_equal(small, "https://u:*");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_feed_and_html_agree),
		cmocka_unit_test(test_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
