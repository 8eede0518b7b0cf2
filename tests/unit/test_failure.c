/* What a source's failure means (fetch/failure.h), and the chair's run
 * report in five languages (compose/chrome.h: chrome_report_for): every
 * text there, with the same printf conversions as the English one. */
#include "testutil.h"

#include "compose/chrome.h"
#include "fetch/failure.h"

static void test_kinds(void **state)
{
	(void)state;
	static const struct {
		const char *error;
		enum fetch_failure kind;
	} cases[] = {
		/* libcurl's messages as the store keeps them */
		{"Could not resolve host: nirgends.invalid (after 3 attempts)", FAILURE_DNS},
		{"Couldn't resolve host name", FAILURE_DNS},
		{"Resolving timed out after 15000 milliseconds", FAILURE_DNS},
		{"Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", FAILURE_CONNECT},
		{"Failed to connect to example.se port 443 after 3 ms: Connection refused", FAILURE_CONNECT},
		{"Operation timed out after 60001 milliseconds with 0 bytes received", FAILURE_TIMEOUT},
		{"Operation too slow. Less than 100 bytes/sec transferred the last 30 seconds", FAILURE_TIMEOUT},
		{"SSL certificate problem: certificate has expired (the site's certificate has expired; the site must renew it)", FAILURE_TLS},
		{"gnutls_handshake() failed: An unexpected TLS packet was received.", FAILURE_TLS},
		{"HTTP 404", FAILURE_NOT_FOUND},
		{"HTTP 410", FAILURE_NOT_FOUND},
		{"HTTP 403", FAILURE_DENIED},
		{"HTTP 401", FAILURE_DENIED},
		{"HTTP 429", FAILURE_RATE},
		{"HTTP 503", FAILURE_SERVER},
		{"HTTP 418", FAILURE_OTHER},
		{"body larger than 10485760 bytes (the server announced 99999999999), not downloaded", FAILURE_TOO_BIG},
		{"Maximum (5) redirects followed", FAILURE_REDIRECT},
		{"refused a redirect from https to unencrypted http (http://x/)", FAILURE_REDIRECT},
		{"Recv failure: Connection reset by peer", FAILURE_BROKEN},
		{"Empty reply from server", FAILURE_BROKEN},
		{"transfer closed with 100 bytes remaining to read", FAILURE_BROKEN},
		/* the parser's words */
		{"not an XML document: line 1, column 1: Start tag expected", FAILURE_NOT_FEED},
		{"empty document", FAILURE_NOT_FEED},
		{"gzip data, not a feed or page", FAILURE_NOT_FEED},
		{"item selector \"ul.news > li\" matched nothing", FAILURE_NOT_FEED},
		{"", FAILURE_OTHER},
		{NULL, FAILURE_OTHER},
		{"something else entirely", FAILURE_OTHER},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (fetch_failure_kind(cases[i].error) != cases[i].kind)
			fail_msg("\"%s\": kind %d, want %d", cases[i].error ? cases[i].error : "(null)",
				 fetch_failure_kind(cases[i].error), cases[i].kind);
}

/* The printf conversions of a format, in order ("zu zu"). */
static void convs(const char *f, char *out, size_t n)
{
	size_t k = 0;
	out[0] = '\0';
	for (const char *p = f; p && *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		while (*p && strchr("lzh", *p) && k + 2 < n)
			out[k++] = *p++;
		if (*p && k + 2 < n) {
			out[k++] = *p;
			out[k++] = ' ';
		}
		out[k] = '\0';
	}
}

static void test_report_texts(void **state)
{
	(void)state;
	const char *langs[] = {"sv", "nb", "nn", "da", "en"};
	const struct chrome_report *en = chrome_report_for("en");
	assert_string_equal(chrome_report_for(NULL)->lang, "en");
	assert_string_equal(chrome_report_for("xx")->lang, "en");
	size_t nfields = offsetof(struct chrome_report, failure) / sizeof(const char *);
	for (size_t l = 0; l < 5; l++) {
		const struct chrome_report *t = chrome_report_for(langs[l]);
		assert_string_equal(t->lang, langs[l]);
		const char *const *f = (const char *const *)(const void *)t;
		const char *const *e = (const char *const *)(const void *)en;
		for (size_t i = 1; i < nfields; i++) {
			char a[64], b[64];
			if (!f[i])
				fail_msg("%s: text %zu missing", langs[l], i);
			convs(f[i], a, sizeof a);
			convs(e[i], b, sizeof b);
			if (strcmp(a, b))
				fail_msg("%s: text %zu \"%s\" takes %s, English %s", langs[l], i, f[i], a, b);
			assert_null(strchr(f[i], '\n'));
		}
		assert_null(t->failure[FAILURE_OTHER]);
		for (int k = 1; k < FAILURE_NKINDS; k++) {
			if (!t->failure[k])
				fail_msg("%s: no explanation of failure %d", langs[l], k);
			assert_null(strchr(t->failure[k], '%'));
		}
	}
	assert_string_equal(chrome_report_for("sv")->subject, "bulletin: rapport från körningen");
	assert_string_equal(chrome_report_for("da")->failure[FAILURE_NOT_FOUND],
			    "Siden findes ikke (404/410): webstedet har sandsynligvis flyttet sit feed; "
			    "find den nye adresse, og ret url.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_report_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
