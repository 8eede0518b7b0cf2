/* members_load on the CSV fixtures in tests/fixtures/members, and the
 * address check that guards mail headers and SMTP commands. */
#include "testutil.h"

#include <unistd.h>

#include "log.h"
#include "members.h"

#define FIX "tests/fixtures/members/"

static void test_address_valid(void **state)
{
	(void)state;
	const char *good[] = {
		"anna@example.se",
		"per.lindstrom+bulletin@example.se",
		"o'brien@example.ie",
		"bjorn@vård.example.se",
		"åse@example.no",
		"a@b.co",
		"x_y-z@sub-domain.example.org",
	};
	const char *bad[] = {
		"",
		"plain",
		"@example.se",
		"anna@",
		"anna@localhost",
		"anna@@example.se",
		"an@na@example.se",
		"anna @example.se",
		"anna@exa mple.se",
		"<anna@example.se>",
		"anna@example.se\r\nRCPT TO:<x@y.z>",
		"anna@example.se\n",
		"\"anna\"@example.se",
		"anna(c)@example.se",
		"a,b@example.se",
		"a;b@example.se",
		".anna@example.se",
		"anna.@example.se",
		"an..na@example.se",
		"anna@.example.se",
		"anna@example.se.",
		"anna@example..se",
		"anna@-example.se",
		"anna@example-.se",
		"anna@exa_mple.se",
		"anna@example.se\x7f",
		"ann\xc3@example.se",     /* cut UTF-8 */
		"anna@ex\xff" "ample.se", /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		if (!mail_address_valid(good[i]))
			fail_msg("should be valid: %s", good[i]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (mail_address_valid(bad[i]))
			fail_msg("should be invalid: %s", bad[i]);
	}
	assert_false(mail_address_valid(NULL));
	/* Length bounds: local part 64, whole address 254. */
	char a[300];
	memset(a, 'a', 65);
	strcpy(a + 65, "@example.se");
	assert_false(mail_address_valid(a));
	memset(a, 'a', 64);
	strcpy(a + 64, "@example.se");
	assert_true(mail_address_valid(a));
	strcpy(a, "a@");
	for (int i = 0; i < 25; i++)
		strcat(a, "abcdefghi.");
	strcat(a, "se");
	assert_int_equal(strlen(a), 254);
	assert_true(mail_address_valid(a));
	strcat(a, "x");
	assert_false(mail_address_valid(a));
}

static void test_semicolon_bom_crlf(void **state)
{
	(void)state;
	struct member_list l;
	struct err err = {{0}};
	assert_int_equal(members_load(FIX "semicolon.csv", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.skipped, 0);
	assert_string_equal(l.v[0].email, "ase@example.no");
	assert_string_equal(l.v[0].name, "Åse Ødegård");
	assert_string_equal(l.v[1].email, "per.lindstrom@example.se");
	assert_string_equal(l.v[1].name, "Lindström; Per \"Pelle\"");
	assert_string_equal(l.v[2].email, "bjorn@vård.example.se");
	assert_string_equal(l.v[2].name, "Björn");
	member_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void test_comma_bad_rows_and_duplicates(void **state)
{
	(void)state;
	struct member_list l;
	struct err err = {{0}};
	unsigned w0 = log_warn_count();
	assert_int_equal(members_load(FIX "comma.csv", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].email, "anna@example.se");
	assert_string_equal(l.v[0].name, "Anna Ärlig"); /* first row wins */
	assert_string_equal(l.v[1].email, "bo@example.se");
	assert_string_equal(l.v[1].name, "Bo, med komma");
	assert_string_equal(l.v[2].email, "cecilia@example.se");
	assert_string_equal(l.v[2].name, "");
	/* not-an-address, empty, injected, duplicate, unterminated quote */
	assert_int_equal(l.skipped, 5);
	assert_int_equal(log_warn_count() - w0, 5);
	member_list_free(&l);
}

static void test_no_email_column(void **state)
{
	(void)state;
	struct member_list l;
	struct err err = {{0}};
	assert_int_equal(members_load(FIX "noemail.csv", &l, &err), -1);
	assert_non_null(strstr(err.msg, "noemail.csv:1:"));
	assert_non_null(strstr(err.msg, "email"));
	assert_int_equal(members_load(FIX "empty.csv", &l, &err), -1);
	assert_non_null(strstr(err.msg, "empty.csv"));
	assert_int_equal(members_load(FIX "does-not-exist.csv", &l, &err), -1);
	assert_non_null(strstr(err.msg, "does-not-exist.csv"));
	assert_int_equal(l.n, 0);
}

/* Line numbers in warnings count physical lines, including quoted
 * newlines, so the chair can find the row. */
static void test_line_numbers(void **state)
{
	(void)state;
	char path[] = "/tmp/test_members.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *csv = "email;name\n"
			  "a@example.se;\"two\nlines\"\n"
			  "bad address;x\n"
			  "many@example.se;;;;;;;;;;;;;\n";
	assert_int_equal(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
	close(fd);
	/* Capture stderr to read the warning. */
	char logpath[] = "/tmp/test_members_log.XXXXXX";
	int lfd = mkstemp(logpath);
	assert_true(lfd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(lfd, 2);
	struct member_list l;
	struct err err = {{0}};
	int rc = members_load(path, &l, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(lfd);
	assert_int_equal(rc, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "two\nlines");
	assert_string_equal(l.v[1].email, "many@example.se");
	char *log = test_read_file(logpath, NULL);
	assert_non_null(log);
	char want[128];
	snprintf(want, sizeof want, "%s:4:", path);
	if (!strstr(log, want))
		fail_msg("warning without %s: %s", want, log);
	free(log);
	member_list_free(&l);
	unlink(path);
	unlink(logpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_valid),
		cmocka_unit_test(test_semicolon_bom_crlf),
		cmocka_unit_test(test_comma_bad_rows_and_duplicates),
		cmocka_unit_test(test_no_email_column),
		cmocka_unit_test(test_line_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
