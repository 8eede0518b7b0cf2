#include "testutil.h"

#include <stdint.h>

#include "core/buf.h"
#include "core/text.h"

static void html_is(const char *in, const char *want)
{
	char *got = text_from_html(in, strlen(in));
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("text_from_html(\"%s\"): want \"%s\", got \"%s\"", in, want, got);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
}

static void clean_is(const char *in, size_t len, const char *want)
{
	char *got = text_clean(in, len);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("text_clean(\"%s\"): want \"%s\", got \"%s\"", in, want, got);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
}

static void test_entities_decoded_once(void **state)
{
	(void)state;
	html_is("Bl&aring;b&auml;r &amp; &ouml;l", "Blåbär & öl");
	html_is("&Aring;&Auml;&Ouml;&AElig;&Oslash; &aelig;&oslash;", "ÅÄÖÆØ æø");
	/* An HTML string "&amp;#229;" means the literal text "&#229;". */
	html_is("&amp;#229;", "&#229;");
	html_is("&amp;aring; &amp;amp;", "&aring; &amp;");
	html_is("&#229;&#xE5;&#XE4;&#246", "ååäö");
	html_is("&lt;b&gt; &quot;citat&quot; &apos;x&apos;", "<b> \"citat\" 'x'");
	html_is("a&mdash;b&ndash;c&hellip; &laquo;x&raquo; &lsquo;y&rsquo; &ldquo;z&rdquo;",
		"a—b–c… «x» ‘y’ “z”");
	html_is("&#150; &#x80;", "– €"); /* windows-1252 in numeric references */
	/* Out of range, surrogates and NUL become U+FFFD. */
	html_is("a&#xD800;b&#1114112;c&#0;d&#99999999999;e", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD"
		"c\xEF\xBF\xBD" "d\xEF\xBF\xBD" "e");
	/* Not references: kept as they are. */
	html_is("AT&T & Co &unknown; &#; &", "AT&T & Co &unknown; &#; &");
	html_is("5&nbsp;000&nbsp;kr", "5 000 kr");
}

static void test_tags_and_blocks(void **state)
{
	(void)state;
	html_is("<p>Första stycket.</p><p>Andra <b>fetstilt</b> stycke.</p>",
		"Första stycket.\n\nAndra fetstilt stycke.");
	html_is("rad ett<br>rad två<br/>rad tre<BR />", "rad ett\nrad två\nrad tre");
	html_is("ett<br><br><br><br>två", "ett\n\ntvå");
	html_is("<ul><li>ett</li><li>två</li></ul>efter", "ett\ntvå\n\nefter");
	html_is("<h2>Rubrik</h2>Text<div>block</div>", "Rubrik\n\nText\nblock");
	html_is("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc");
	html_is("före<script>var x = \"<p>nej</p>\";</script>efter", "föreefter");
	html_is("a<style type=\"text/css\">p { color: red }</style>b", "ab");
	html_is("<html><head><title>T</title></head><body>kropp</body></html>", "kropp");
	html_is("a<!-- kommentar <p> -->b", "ab");
	html_is("<a href=\"x\" title='a > b'>länk</a>", "länk");
	/* Broken markup. */
	html_is("a < b och c<d", "a < b och c<d");
	html_is("<p>oavslutad <b>fet", "oavslutad fet");
	html_is("text <3 mer", "text <3 mer");
	html_is("slut <a href=\"", "slut");
	html_is("x<script>aldrig stängd", "x");
	html_is("", "");
}

/* Every element with a meaning of its own, in any case, and names that
 * only look like one (the tag kinds are found by first letter). */
static void test_every_block_element(void **state)
{
	(void)state;
	static const struct {
		const char *names, *want; /* for a<NAME>x</NAME>b */
	} kinds[] = {
		{"p h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl table figure hr address section "
		 "article aside header footer nav main details fieldset form", "a\n\nx\n\nb"},
		{"div li tr dt dd figcaption caption summary legend thead tbody tfoot center option",
		 "a\nx\nb"},
		{"td th", "a x b"},
		{"script style head template title", "ab"},
		{"b i span h7 h0 hx dir tt sub abbr bdo ppp header2 figcaptions", "axb"},
	};
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		char names[512];
		snprintf(names, sizeof names, "%s", kinds[k].names);
		for (char *save = NULL, *n = strtok_r(names, " ", &save); n;
		     n = strtok_r(NULL, " ", &save)) {
			char html[128], upper[32];
			size_t i = 0;
			for (; n[i] && i < sizeof upper - 1; i++)
				upper[i] = (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
			upper[i] = '\0';
			snprintf(html, sizeof html, "a<%s>x</%s>b", n, upper);
			html_is(html, kinds[k].want);
			snprintf(html, sizeof html, "a<%s class=\"c\">x</%s>b", upper, n);
			html_is(html, kinds[k].want);
		}
	}
	html_is("a<br>b<BR/><br>c", "a\nb\n\nc");
}

/* The _buf forms say what the allocating ones say, through one buffer
 * that is emptied each time, a long text before a short one. */
static void test_buf_forms(void **state)
{
	(void)state;
	static const char *const in[] = {
		"<p>Vårdcentralen &amp; <b>fastläkaren</b></p><p>Ny   rad</p>", "  x  ", "",
		"kort\xff text", "<script>no</script>&aring;",
	};
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		for (int html = 0; html < 2; html++) {
			char *want = html ? text_from_html(in[i], strlen(in[i]))
					  : text_clean(in[i], strlen(in[i]));
			assert_non_null(want);
			assert_int_equal(html ? text_from_html_buf(&b, in[i], strlen(in[i]))
					      : text_clean_buf(&b, in[i], strlen(in[i])),
					 0);
			assert_int_equal(b.len, strlen(want));
			assert_string_equal(buf_str(&b), want);
			free(want);
		}
	}
	buf_free(&b);
}

static void test_whitespace(void **state)
{
	(void)state;
	html_is("  många   \t mellanslag \n\n här  ", "många mellanslag här");
	html_is("<p>  a  </p>  <p>  b  </p>", "a\n\nb");
	clean_is("  ett \t två  ", strlen("  ett \t två  "), "ett två");
	clean_is("rad ett\r\nrad två\n\n\n\nrad tre", strlen("rad ett\r\nrad två\n\n\n\nrad tre"),
		 "rad ett\nrad två\n\nrad tre");
	/* text_clean does not touch markup or entities. */
	clean_is("<b>&amp;</b>", 12, "<b>&amp;</b>");
}

static void test_invisible_characters(void **state)
{
	(void)state;
	html_is("primär&shy;vårds&shy;strategin", "primärvårdsstrategin");
	html_is("primär\xC2\xAD" "vård", "primärvård");
	html_is("a\xE2\x80\x8B" "b\xE2\x80\x8C" "c\xE2\x80\x8D" "d\xE2\x81\xA0" "e\xEF\xBB\xBF" "f",
		"abcdef");
	clean_is("\xEF\xBB\xBFhus\xC2\xADl\xC3\xA4kare", 16, "husläkare");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	const char bad[] = "a\xFF" "b\xC3" "c\xE2\x82" "d\xC0\xAF" "e\xED\xA0\x80" "f";
	char *t = text_clean(bad, sizeof bad - 1);
	assert_non_null(t);
	assert_true(utf8_valid(t, strlen(t)));
	assert_non_null(strstr(t, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c"));
	assert_int_equal(t[0], 'a');
	assert_int_equal(t[strlen(t) - 1], 'f');
	free(t);
	/* Latin-1 bytes passed off as UTF-8. */
	html_is("V\xE5rdcentral", "V\xEF\xBF\xBDrdcentral");
	assert_true(utf8_valid("åäö", strlen("åäö")));
	assert_false(utf8_valid("\xC3", 1));
	assert_false(utf8_valid("\xC0\x80", 2));
	assert_false(utf8_valid("\xED\xA0\x80", 3));
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4));
	assert_true(utf8_valid("\xF0\x9F\x98\x80", 4));
}

static void decode_is(const char *s, size_t n, size_t want_len, uint32_t want_cp)
{
	uint32_t cp = 0xDEAD;
	size_t k = utf8_decode(s, n, &cp);
	if (k != want_len || (k && cp != want_cp))
		fail_msg("utf8_decode(%zu bytes): want %zu/U+%04X, got %zu/U+%04X", n, want_len,
			 (unsigned)want_cp, k, (unsigned)cp);
}

static void test_utf8_decode(void **state)
{
	(void)state;
	decode_is("a", 1, 1, 'a');
	decode_is("", 1, 1, 0); /* NUL is a character */
	decode_is("a", 0, 0, 0);
	decode_is("\xC3\xA5", 2, 2, 0xE5);           /* å */
	decode_is("\xC3\x98", 2, 2, 0xD8);           /* Ø */
	decode_is("\xE2\x80\xA6", 3, 3, 0x2026);     /* … */
	decode_is("\xEF\xBF\xBD", 3, 3, 0xFFFD);     /* a real U+FFFD */
	decode_is("\xF0\x9F\x98\x80", 4, 4, 0x1F600);
	decode_is("\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF);
	decode_is("\xC3\xA5", 1, 0, 0);              /* truncated by n */
	decode_is("\xE2\x80", 3, 0, 0);              /* truncated by NUL */
	decode_is("\xA5", 1, 0, 0);                   /* stray continuation */
	decode_is("\xC0\xAF", 2, 0, 0);              /* overlong */
	decode_is("\xE0\x80\xAF", 3, 0, 0);          /* overlong */
	decode_is("\xED\xA0\x80", 3, 0, 0);          /* surrogate */
	decode_is("\xF4\x90\x80\x80", 4, 0, 0);      /* above U+10FFFF */
	decode_is("\xF8\x88\x80\x80\x80", 5, 0, 0);
	decode_is("\xFF", 1, 0, 0);
	assert_int_equal(utf8_decode("\xC3\xA4", 2, NULL), 2);
}

static void test_truncate(void **state)
{
	(void)state;
	char s[64];
	strcpy(s, "Kort text");
	text_truncate(s, 20);
	assert_string_equal(s, "Kort text");

	strcpy(s, "Primärvården i Stockholm växer");
	text_truncate(s, 20);
	assert_true(strlen(s) <= 20);
	assert_string_equal(s, "Primärvården i…");

	/* Never splits å, whatever the limit. */
	for (size_t max = 0; max < 20; max++) {
		strcpy(s, "åååååååååååå");
		text_truncate(s, max);
		assert_true(strlen(s) <= max);
		assert_true(utf8_valid(s, strlen(s)));
	}
	strcpy(s, "ååå ååå");
	text_truncate(s, 8);
	assert_string_equal(s, "åå…"); /* "ååå…" would be 9 bytes */
	assert_true(strlen(s) <= 8);

	strcpy(s, "ååååå");
	text_truncate(s, 8);
	assert_string_equal(s, "åå…");

	/* No space to cut at: cut inside the word. */
	strcpy(s, "allmänläkarbristen");
	text_truncate(s, 10);
	assert_true(strlen(s) <= 10);
	assert_true(utf8_valid(s, strlen(s)));
	assert_non_null(strstr(s, "…"));

	/* A trailing comma is not left before the ellipsis. */
	strcpy(s, "ett, två, tre, fyra, fem");
	text_truncate(s, 16);
	assert_string_equal(s, "ett, två…");
}

/* Digest summaries end at a full sentence when one keeps half the room. */
static void test_summary_cut(void **state)
{
	(void)state;
	char s[256];
	strcpy(s, "Regionen satsar på vårdcentralerna. Nya pengar går till fast läkare i hela länet.");
	text_summary_cut(s, 60);
	assert_string_equal(s, "Regionen satsar på vårdcentralerna.");

	/* Abbreviations are not sentence ends: the cut falls back to words. */
	strcpy(s, "Läkarna ska bl.a. Region Stockholm och t.ex. Oslo kommune ha fler av.");
	text_summary_cut(s, 40);
	assert_non_null(strstr(s, "…"));
	assert_true(strlen(s) <= 40);

	/* A sentence end before half the room is too short to use. */
	strcpy(s, "Kort. Sedan kommer en mycket lång mening om primärvårdens framtid i länet");
	text_summary_cut(s, 50);
	assert_non_null(strstr(s, "…"));
	assert_true(strlen(s) <= 50);

	/* A capital with a ring after the full stop: Å, Ä, Ø are capitals too. */
	strcpy(s, "Fastlegeordningen er under press i kommunene. Økt rekruttering trengs nå");
	text_summary_cut(s, 60);
	assert_string_equal(s, "Fastlegeordningen er under press i kommunene.");

	/* Short enough: untouched. */
	strcpy(s, "Kort text. Inget kapas.");
	text_summary_cut(s, 60);
	assert_string_equal(s, "Kort text. Inget kapas.");
}

/* A failed append is remembered: the text can never be handed on with a
 * hole in it, whatever the caller checked along the way. */
static void test_buf_failure_sticks(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_puts(&b, "början "), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);
	assert_true(buf_failed(&b));
	assert_int_equal(buf_puts(&b, "slut"), -1);
	assert_string_equal(buf_str(&b), "början ");
	assert_null(buf_steal(&b));
	assert_false(buf_failed(&b)); /* steal resets */
	assert_int_equal(buf_puts(&b, "ny"), 0);
	char *s = buf_steal(&b);
	assert_string_equal(s, "ny");
	free(s);
}

static void test_one_line(void **state)
{
	(void)state;
	char a[] = "  Vårdcentral\r\n\tstänger \n\n i  Åre  ";
	text_one_line(a);
	assert_string_equal(a, "Vårdcentral stänger i Åre");
	char b[] = "\n\n";
	text_one_line(b);
	assert_string_equal(b, "");
	char c[] = "Redan en rad";
	text_one_line(c);
	assert_string_equal(c, "Redan en rad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entities_decoded_once),
		cmocka_unit_test(test_summary_cut),
		cmocka_unit_test(test_tags_and_blocks),
		cmocka_unit_test(test_every_block_element),
		cmocka_unit_test(test_buf_forms),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_invisible_characters),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_buf_failure_sticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
