/* members_load on the CSV fixtures in tests/fixtures/members, and the
 * address check that guards mail headers and SMTP commands. */
#include "testutil.h"

#include <unistd.h>

#include "core/log.h"
#include "deliver/members.h"
#include "store/store.h"

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

/* members_load with stderr captured; returns the log (caller frees). */
static char *load_logged(const char *path, struct member_list *l, int *rc)
{
	char logpath[] = "/tmp/test_members_log.XXXXXX";
	int lfd = mkstemp(logpath);
	assert_true(lfd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(lfd, 2);
	struct err err = {{0}};
	*rc = members_load(path, l, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(lfd);
	char *log = test_read_file(logpath, NULL);
	unlink(logpath);
	assert_non_null(log);
	return log;
}

#define HAS(log, s)                                               \
	do {                                                      \
		if (!strstr((log), (s)))                          \
			fail_msg("log lacks \"%s\":\n%s", (s), (log)); \
	} while (0)

/* language and status columns (any case in the header, any column order),
 * bad values reported with file:line, duplicates with both lines. */
static void test_language_status(void **state)
{
	(void)state;
	struct member_list l;
	int rc;
	char *log = load_logged(FIX "status.csv", &l, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(l.n, 6);
	assert_int_equal(l.rows, 9);
	assert_int_equal(l.invalid, 1);
	assert_int_equal(l.duplicates, 2);
	assert_int_equal(l.skipped, 3);
	assert_int_equal(l.problems, 5);

	assert_string_equal(l.v[0].email, "asa.lindstrom@example.se");
	assert_string_equal(l.v[0].name, "Lindström, Åsa"); /* "name", not "Namn" */
	assert_string_equal(l.v[0].language, "sv");
	/* line 9 repeats her as unsubscribed: the stricter status wins */
	assert_int_equal(l.v[0].status, MEMBER_UNSUBSCRIBED);
	assert_int_equal(l.v[0].line, 2);
	assert_string_equal(l.v[1].name, "Øystein Bråthen");
	assert_string_equal(l.v[1].language, "nb");
	assert_int_equal(l.v[1].status, MEMBER_PAUSED); /* line 8's "active" does not undo it */
	assert_string_equal(l.v[2].email, "bo@example.se");
	assert_string_equal(l.v[2].language, "en");
	assert_int_equal(l.v[2].status, MEMBER_UNSUBSCRIBED);
	assert_string_equal(l.v[3].email, "cecilia@example.se");
	assert_string_equal(l.v[3].language, ""); /* "fi" ignored */
	assert_int_equal(l.v[3].status, MEMBER_ACTIVE);
	assert_string_equal(l.v[4].email, "dag@example.se");
	assert_int_equal(l.v[4].status, MEMBER_PAUSED); /* unknown status: the safe side */
	assert_string_equal(l.v[5].email, "eva@example.se");
	assert_string_equal(l.v[5].language, "");
	assert_int_equal(l.v[5].status, MEMBER_ACTIVE);
	assert_int_equal(l.v[5].line, 11);

	HAS(log, FIX "status.csv:5: language \"fi\"");
	HAS(log, FIX "status.csv:6: status \"on holiday\"");
	HAS(log, "read as paused");
	HAS(log, FIX "status.csv:7: \"not an address\" is not a valid address");
	HAS(log, FIX "status.csv:8: OYSTEIN@EXAMPLE.NO is listed more than once (first on line 3)");
	HAS(log, FIX "status.csv:9: ASA.Lindstrom@Example.se is listed more than once (first on "
		     "line 2); the first row is kept with status unsubscribed");
	free(log);
	member_list_free(&l);
	assert_string_equal(member_status_name(MEMBER_PAUSED), "paused");
}

/* Without the optional columns every valid member is active. */
static void test_defaults_without_columns(void **state)
{
	(void)state;
	struct member_list l;
	struct err err = {{0}};
	assert_int_equal(members_load(FIX "semicolon.csv", &l, &err), 0);
	assert_int_equal(l.rows, 3);
	assert_int_equal(l.problems, 0);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].status, MEMBER_ACTIVE);
		assert_string_equal(l.v[i].language, "");
	}
	struct member_filter_counts c;
	assert_int_equal(members_filter_active(&l, NULL, 0, &c, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(c.paused + c.unsub_csv + c.unsub_store, 0);
	member_list_free(&l);
}

static void test_filter_active(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_members_store.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/state.db", dir);
	struct err err = {{0}};
	struct store *s;
	assert_int_equal(store_open(path, &s, &err), 0);
	assert_int_equal(store_unsubscribe_add(s, "Cecilia@Example.SE", "command", 50, &err), 1);

	struct member_list l;
	int rc;
	free(load_logged(FIX "status.csv", &l, &rc));
	assert_int_equal(rc, 0);

	/* The CSV alone: paused and unsubscribed rows go. */
	struct member_filter_counts c;
	assert_int_equal(members_filter_active(&l, NULL, 1, &c, &err), 0);
	assert_int_equal(c.paused, 2);
	assert_int_equal(c.unsub_csv, 2);
	assert_int_equal(c.unsub_store, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].email, "cecilia@example.se");
	assert_string_equal(l.v[1].email, "eva@example.se");
	member_list_free(&l);

	/* With the store: its unsubscribes go too (case ignored), and with
	 * record the CSV's unsubscribes are written there as "csv". */
	free(load_logged(FIX "status.csv", &l, &rc));
	assert_int_equal(members_filter_active(&l, s, 1, &c, &err), 0);
	assert_int_equal(c.paused, 2);
	assert_int_equal(c.unsub_csv, 2);
	assert_int_equal(c.unsub_store, 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].email, "eva@example.se");
	assert_string_equal(l.v[0].name, "Eva");
	member_list_free(&l);
	struct unsubscribe u;
	assert_int_equal(store_unsubscribe_get(s, "bo@example.se", &u, &err), 1);
	assert_string_equal(u.how, "csv");
	unsubscribe_free(&u);
	assert_int_equal(store_unsubscribe_get(s, "asa.lindstrom@example.se", &u, &err), 1);
	assert_string_equal(u.how, "csv");
	unsubscribe_free(&u);
	assert_int_equal(store_unsubscribe_get(s, "cecilia@example.se", &u, &err), 1);
	assert_string_equal(u.how, "command"); /* not overwritten */
	unsubscribe_free(&u);
	/* Paused is the CSV's business: not recorded. */
	assert_int_equal(store_unsubscribe_get(s, "oystein@example.no", NULL, &err), 0);

	/* Without record nothing is written. */
	assert_int_equal(store_unsubscribe_remove(s, "bo@example.se", &err), 1);
	free(load_logged(FIX "status.csv", &l, &rc));
	assert_int_equal(members_filter_active(&l, s, 0, &c, &err), 0);
	assert_int_equal(l.n, 1);
	member_list_free(&l);
	assert_int_equal(store_unsubscribe_get(s, "bo@example.se", NULL, &err), 0);

	store_close(s);
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[192];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_valid),
		cmocka_unit_test(test_semicolon_bom_crlf),
		cmocka_unit_test(test_comma_bad_rows_and_duplicates),
		cmocka_unit_test(test_no_email_column),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_language_status),
		cmocka_unit_test(test_defaults_without_columns),
		cmocka_unit_test(test_filter_active),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
