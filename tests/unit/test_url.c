/* url_redact: a password in a URL never reaches output (issue 13). */
#include "testutil.h"

#include "core/url.h"

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
		cmocka_unit_test(test_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
