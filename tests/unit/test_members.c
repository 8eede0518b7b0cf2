/* members_load on the CSV fixtures in tests/fixtures/members, and the
 * address check that guards mail headers and SMTP commands. */
#include "testutil.h"

#include <unistd.h>

#include "core/buf.h"
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

/* text into a new temporary file; its path in path (a mkstemp template). */
static void write_tmp(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* text as a temporary CSV (its name in path), read with the log captured:
 * the log (caller frees). The read must succeed. */
static char *load_text(char *path, const char *text, size_t len, struct member_list *l)
{
	write_tmp(path, text, len);
	int rc;
	char *log = load_logged(path, l, &rc);
	assert_int_equal(rc, 0);
	return log;
}

/* An unclosed quote costs its own row only: reported at its line, and
 * reading goes on at the next line, whether the quote runs to the end of
 * the file or a later field's quote closes it. */
static void test_unclosed_quote(void **state)
{
	(void)state;
	char path[] = "/tmp/test_members.XXXXXX";
	const char *csv = "email;name\n"
			  "anna@example.se;Anna\n"
			  "bo@example.se;\"Berg, Bo\n"           /* 3: never closed */
			  "cecilia@example.se;Cecilia\n"
			  "dag@example.se;\"Dahl, Dag\"\n"        /* a quote after the stray one */
			  "eva@example.se;\"Ek\nEva\" \n"         /* a real two-line field */
			  "fia@example.se;\"Fors, Fia\n"         /* 8: never closed, to the end */
			  "gun@example.se;Gun\n";
	struct member_list l;
	char *log = load_text(path, csv, strlen(csv), &l);
	const char *want[] = {"anna@example.se", "cecilia@example.se", "dag@example.se",
			      "eva@example.se", "gun@example.se"};
	assert_int_equal(l.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.v[i].email, want[i]);
	assert_string_equal(l.v[2].name, "Dahl, Dag");
	assert_string_equal(l.v[3].name, "Ek\nEva");
	assert_int_equal(l.v[4].line, 9);
	assert_int_equal(l.skipped, 2);
	assert_int_equal(l.invalid, 2);
	char want_log[160];
	snprintf(want_log, sizeof want_log, "%s:3: a quoted field opened on this line is not "
					    "closed; row skipped, reading on from line 4", path);
	HAS(log, want_log);
	snprintf(want_log, sizeof want_log, "%s:8: a quoted field opened", path);
	HAS(log, want_log);
	free(log);
	member_list_free(&l);
	unlink(path);

	/* In the header it is an error, not a guess at the columns. */
	char hpath[] = "/tmp/test_members.XXXXXX";
	write_tmp(hpath, "\"email;name\nanna@example.se;Anna\n", 33);
	struct err err = {{0}};
	assert_int_equal(members_load(hpath, &l, &err), -1);
	assert_non_null(strstr(err.msg, ":1: the header row has a quoted field that is not closed"));
	unlink(hpath);
}

/* Fields past the 256th are not kept: a row whose dropped fields carry
 * text is reported with file:line (its address still counts); trailing
 * empty columns, as spreadsheets export them, lose nothing and say
 * nothing. */
static void test_too_many_fields(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_puts(&b, "email,name\nanna@example.se,Anna"), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_puts(&b, ","), 0);
	assert_int_equal(buf_puts(&b, "\nbo@example.se,Bo"), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_puts(&b, ",x"), 0);
	assert_int_equal(buf_puts(&b, "\ncecilia@example.se,Cecilia\n"), 0);
	char path[] = "/tmp/test_members.XXXXXX";
	struct member_list l;
	char *log = load_text(path, b.data, b.len, &l);
	buf_free(&b);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.skipped, 0);
	assert_int_equal(l.problems, 1);
	char want[160];
	snprintf(want, sizeof want, "%s:3: more than 256 fields; the text after field 256 is ignored",
		 path);
	HAS(log, want);
	snprintf(want, sizeof want, "%s:2:", path);
	assert_null(strstr(log, want));
	free(log);
	member_list_free(&l);
	unlink(path);
}

/* One member whatever the case: the domain folded as IDNA folds it (so a
 * punycode domain equals its Unicode form), the local part without regard
 * to case for Nordic, other Latin, Greek and Cyrillic letters too. A
 * different letter is a different member. */
static void test_duplicates_any_case(void **state)
{
	(void)state;
	const char *csv = "email,name\n"
			  "Åsa@example.se,Åsa\n"                  /* 2 */
			  "åsa@example.se,åsa\n"                  /* 2 again */
			  "ÅSA@EXAMPLE.SE,ÅSA\n"                  /* 2 again */
			  "asa@example.se,Asa\n"                  /* 5: another member */
			  "øystein@vård.example.no,Øystein\n"     /* 6 */
			  "ØYSTEIN@xn--vrd-ula.EXAMPLE.NO,Ö\n"    /* 6 again */
			  "Ελένη@example.gr,Eleni\n"              /* 8 */
			  "ΕΛΈΝΗ@example.gr,ELENI\n"              /* 8 again */
			  "ŁUKASZ@example.pl,Łukasz\n"            /* 10 */
			  "łukasz@example.pl,łukasz\n"            /* 10 again */
			  "Ølstykke@Example.DK,Ø\n";              /* 12 */
	char path[] = "/tmp/test_members.XXXXXX";
	struct member_list l;
	char *log = load_text(path, csv, strlen(csv), &l);
	assert_int_equal(l.duplicates, 5);
	assert_int_equal(l.n, 6);
	const char *want[] = {"Åsa@example.se", "asa@example.se", "øystein@vård.example.no",
			      "Ελένη@example.gr", "ŁUKASZ@example.pl", "Ølstykke@Example.DK"};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(l.v[i].email, want[i]);
	char w[200];
	snprintf(w, sizeof w, "%s:3: åsa@example.se is listed more than once (first on line 2)", path);
	HAS(log, w);
	snprintf(w, sizeof w, "%s:7: ØYSTEIN@xn--vrd-ula.EXAMPLE.NO is listed more than once "
			      "(first on line 6)", path);
	HAS(log, w);
	snprintf(w, sizeof w, "%s:9: ΕΛΈΝΗ@example.gr is listed more than once (first on line 8)",
		 path);
	HAS(log, w);
	free(log);
	member_list_free(&l);
	unlink(path);
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
		cmocka_unit_test(test_unclosed_quote),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_duplicates_any_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
