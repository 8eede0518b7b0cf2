/* The pure parts of delivery: pacing for [mail] rate and the retry
 * backoff, on a made-up clock (no sleeping, no wall-clock asserts); the
 * members' languages, into .eml files (a dry run needs no store). */
#include "testutil.h"

#include <dirent.h>
#include <unistd.h>

#include "compose/greeting.h"
#include "deliver/deliver.h"

static void test_pace_unlimited(void **state)
{
	(void)state;
	struct deliver_pace p = {0, 0};
	for (int i = 0; i < 5; i++)
		assert_true(deliver_pace_wait(&p, 100.0 + i * 0.001) == 0);
}

static void test_pace_spacing(void **state)
{
	(void)state;
	struct deliver_pace p = {120, 0}; /* one every 0.5 s */
	double now = 1000.0;
	assert_true(deliver_pace_wait(&p, now) == 0); /* the first goes at once */
	/* Sent instantly: each next one waits out the rest of its 0.5 s. */
	double w = deliver_pace_wait(&p, now + 0.1);
	assert_true(w > 0.399 && w < 0.401);
	w = deliver_pace_wait(&p, now + 0.5); /* slot at 1.0 */
	assert_true(w > 0.499 && w < 0.501);
	/* A slow server: no wait, and no burst to "catch up" afterwards. */
	assert_true(deliver_pace_wait(&p, now + 10.0) == 0);
	w = deliver_pace_wait(&p, now + 10.0);
	assert_true(w > 0.499 && w < 0.501);
	/* 120 starts in a simulated minute of instant sends, never more. */
	struct deliver_pace q = {120, 0};
	double t = 0;
	int starts = 0;
	while (1) {
		t += deliver_pace_wait(&q, t);
		if (t >= 60.0)
			break;
		starts++;
	}
	assert_int_equal(starts, 120);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(deliver_backoff_ms(2000, 1), 2000);
	assert_int_equal(deliver_backoff_ms(2000, 2), 4000);
	assert_int_equal(deliver_backoff_ms(2000, 3), 8000);
	assert_int_equal(deliver_backoff_ms(2000, 10), 60000); /* bounded */
	assert_int_equal(deliver_backoff_ms(0, 3), 0);         /* tests: at once */
	assert_int_equal(deliver_backoff_ms(-5, 1), 0);
}

/* deliver_opts.variant for the test: counts the renders per language and
 * gives parts that say their language. */
static int renders[8];
static const char *const langs[] = {"sv", "nb", "nn", "da", "en"};

static int count_variant(void *ctx, const struct digest_row *d, const char *lang,
			 struct digest_parts *out, struct err *err)
{
	(void)ctx;
	(void)d;
	(void)err;
	for (int i = 0; i < 5; i++)
		if (!strcmp(lang, langs[i]))
			renders[i]++;
	char b[256];
	memset(out, 0, sizeof *out);
	snprintf(b, sizeof b, "Subject in %s", lang);
	out->subject = strdup(b);
	snprintf(b, sizeof b, "%s\ntext in %s " DIGEST_WEB_SLOT "\n", DIGEST_GREETING_SLOT, lang);
	out->text = strdup(b);
	snprintf(b, sizeof b, "<p>%s</p><p>html in %s</p>", DIGEST_GREETING_SLOT, lang);
	out->html = strdup(b);
	return 0;
}

static char *greet_lang(void *ctx, const struct member *m)
{
	(void)ctx;
	char b[64];
	snprintf(b, sizeof b, "greeting for %s in %s", m->name, m->language[0] ? m->language : "-");
	return strdup(b);
}

/* Members are mailed grouped by language, the digest's own first, and
 * each other language's variant is rendered once, however its members
 * are spread over the list; members without a language get the digest's
 * own parts (issue 17). */
static void test_each_variant_rendered_once(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_deliverXXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const rows[][2] = {
		{"a@example.se", "sv"}, {"b@example.no", "nb"}, {"c@example.com", "en"},
		{"d@example.no", "nb"}, {"e@example.se", ""},   {"f@example.com", "en"},
		{"g@example.dk", "da"}, {"h@example.no", "nb"}, {"i@example.no", "nn"},
	};
	enum { N = sizeof rows / sizeof *rows };
	struct member v[N];
	for (size_t i = 0; i < N; i++) {
		v[i] = (struct member){.email = (char *)rows[i][0], .name = (char *)"M"};
		snprintf(v[i].language, sizeof v[i].language, "%s", rows[i][1]);
	}
	struct member_list ml = {.v = v, .n = N, .cap = N};
	struct digest_row d = {.id = 7, .created = 1713600000, .subject = "Subject in sv",
			       .text = DIGEST_GREETING_SLOT "\ntext in sv\n",
			       .html = "<p>" DIGEST_GREETING_SLOT "</p><p>html in sv</p>",
			       .model = "{}"};
	struct smtp_opts so = {0};
	struct deliver_opts o = {.from_name = "Föreningen", .from_address = "nyhetsbrev@example.se",
				 .smtp = &so, .dry_run_dir = dir, .language = "sv",
				 .variant = count_variant, .greeting = greet_lang,
				 .web_url = "https://example.se/arkiv/digest-2024-04-20-7.html"};
	struct deliver_stats st;
	struct err err = {{0}};
	memset(renders, 0, sizeof renders);
	if (deliver_digest(NULL, &d, &ml, &o, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.sent, N);
	assert_int_equal(renders[0], 0); /* the digest's own: as stored */
	for (int i = 1; i < 5; i++)
		assert_int_equal(renders[i], 1);
	/* the files in sending order: each member's own language, grouped */
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), k = 0;
	const char *order[N];
	for (int i = 0; i < n; i++) {
		char path[512];
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
			char *eml = test_read_file(path, NULL);
			assert_non_null(eml);
			const char *to = strstr(eml, "\r\nTo: ");
			assert_non_null(to);
			const char *in = strstr(eml, "Subject: Subject in ");
			assert_non_null(in);
			order[k] = in[20] == 's' ? "sv" : in[20] == 'd' ? "da" : in[20] == 'e' ? "en" :
				   in[21] == 'b' ? "nb" : "nn";
			for (size_t m = 0; m < N; m++)
				if (strstr(to, rows[m][0]) && strstr(to, rows[m][0]) < strstr(to + 2, "\r\n")) {
					assert_string_equal(order[k], rows[m][1][0] ? rows[m][1] : "sv");
					/* the greeting in that member's language, the web link filled */
					char g[64];
					snprintf(g, sizeof g, "greeting for M in %s", rows[m][1][0] ? rows[m][1] : "-");
					assert_non_null(strstr(eml, g));
				}
			assert_null(strstr(eml, "BULLETIN"));
			k++;
			free(eml);
			unlink(path);
		}
		free(names[i]);
	}
	free(names);
	assert_int_equal(k, N);
	for (int i = 1; i < k; i++)
		if (strcmp(order[i], order[i - 1]) && !strcmp(order[i], "sv"))
			fail_msg("the digest's own language is not first: %s after %s", order[i], order[i - 1]);
	int groups = 1;
	for (int i = 1; i < k; i++)
		groups += strcmp(order[i], order[i - 1]) != 0;
	assert_int_equal(groups, 5);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_unlimited),
		cmocka_unit_test(test_pace_spacing),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_each_variant_rendered_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
