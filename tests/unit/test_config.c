#include "testutil.h"

#include <unistd.h>

#include "core/config.h"

static char dir[64];
static char written[16][128];
static int nwritten;

static const char *put(const char *name, const char *text)
{
	char *p = written[nwritten++];
	snprintf(p, 128, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static int setup(void **state)
{
	(void)state;
	nwritten = 0;
	snprintf(dir, sizeof dir, "/tmp/bulletin-config-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nwritten; i++)
		unlink(written[i]);
	return rmdir(dir);
}


static void test_sources_glob_and_fields(void **state)
{
	(void)state;
	put("src.ini", "[source läkartidningen]\ntitle = Läkartidningen\nurl = https://lakartidningen.se/feed/\n\n"
		       "[source off]\nurl = http://x.example/\nenabled = no\ntype = html\n");
	const char *main = put("main.conf", "[sources]\nfiles = src.ini\n[digest]\nlanguage = nb\n");
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, main, &err), 0);
	assert_int_equal(c.nsources, 2);
	assert_string_equal(c.sources[0].name, "läkartidningen");
	assert_string_equal(c.sources[0].title, "Läkartidningen");
	assert_int_equal(c.sources[0].enabled, 1);
	assert_int_equal(c.sources[1].enabled, 0);
	assert_int_equal(c.sources[1].type, SOURCE_HTML);
	assert_string_equal(c.sources[1].title, "off");
	assert_string_equal(c.language, "nb");
	assert_int_equal(c.verify_tls, 1);
	assert_int_equal(c.mail_calendar, 1); /* the calendar part by default */
	config_free(&c);
}

static void expect_error(const char *main_text, const char *want)
{
	const char *main = put("bad.ini", main_text);
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, main, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("got \"%s\", want \"%s\"", err.msg, want);
}

static void test_mail_calendar(void **state)
{
	(void)state;
	const char *main = put("cal.ini", "[mail]\ncalendar = no\n");
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, main, &err), 0);
	assert_int_equal(c.mail_calendar, 0);
	config_free(&c);
	main = put("cal2.ini", "[mail]\ncalendar = yes\n");
	assert_int_equal(config_load(&c, main, &err), 0);
	assert_int_equal(c.mail_calendar, 1);
	config_free(&c);
	expect_error("[mail]\ncalendar = sometimes\n", "bad.ini:2: calendar must be yes or no");
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("[fetch]\ntimeout = 10\nmax_parallel = lots\n", "bad.ini:3: max_parallel must be");
	expect_error("[fetch]\n\ntimeuot = 10\n", "bad.ini:3: unknown setting \"timeuot\" in [fetch]");
	expect_error("[feeds]\nx = 1\n", "bad.ini:2: unknown section [feeds]");
	expect_error("[digest]\nlanguage = fi\n", "bad.ini:2: language must be sv, nb, nn, da or en");
	expect_error("[mail]\nunsubscribe = javascript:alert(1)\n", "bad.ini:2: unsubscribe must be");
	expect_error("[sources]\nfiles = nothing-*.ini\n", "bad.ini:2: files: no file matches");
	expect_error("[store]\nthis line has no equals sign\n", "bad.ini:2:");
	expect_error("[digest]\nempty = maybe\n", "bad.ini:2: empty must be skip (send nothing) or send");
	expect_error("[digest]\narchive_url = ftp://x\n", "bad.ini:2: archive_url must start with https://");
	expect_error("[digest]\nhtml_budget = 10\n", "bad.ini:2: html_budget must be");
}

static void test_digest_settings(void **state)
{
	(void)state;
	struct config c;
	struct err err;
	const char *path = put("d.ini", "[digest]\nempty = send\nmax_per_topic = 5\n"
				       "archive_url = https://dlf.example/arkiv/\nchair = ordf@dlf.example\n");
	if (config_load(&c, path, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.empty_send, 1);
	assert_int_equal(c.max_per_topic, 5);
	assert_int_equal(c.html_budget, 100000);
	assert_string_equal(c.archive_url, "https://dlf.example/arkiv/");
	assert_string_equal(c.chair, "ordf@dlf.example");
	/* delivery defaults: two retries two seconds apart, no rate limit */
	assert_int_equal(c.mail_retries, 2);
	assert_int_equal(c.mail_retry_wait, 2);
	assert_int_equal(c.mail_rate, 0);
	assert_int_equal(c.mail_per_connection, 0);
	config_free(&c);
	path = put("m.ini", "[mail]\nrate = 120\nper_connection = 50\nretries = 0\nretry_wait = 10\n"
			     "ca_file = /etc/ssl/certs/relay.pem\n");
	if (config_load(&c, path, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(c.mail_rate, 120);
	assert_int_equal(c.mail_per_connection, 50);
	assert_int_equal(c.mail_retries, 0);
	assert_int_equal(c.mail_retry_wait, 10);
	assert_string_equal(c.smtp_ca_file, "/etc/ssl/certs/relay.pem");
	config_free(&c);
	expect_error("[mail]\nretries = 99\n", "bad.ini:2: retries must be");
}

static void test_source_errors(void **state)
{
	(void)state;
	put("s1.ini", "[source a]\nurl = https://a.example/\n\n[source a]\nurl = https://b.example/\n");
	expect_error("[sources]\nfiles = s1.ini\n", "s1.ini:4: source \"a\" is already defined at");
	put("s2.ini", "[source a]\nurl = file:///etc/passwd\n");
	expect_error("[sources]\nfiles = s2.ini\n", "s2.ini:2: url must start with http:// or https://");
	put("s3.ini", "[source a]\ntitle = no url\n");
	expect_error("[sources]\nfiles = s3.ini\n", "s3.ini:1: source \"a\" has no url");
	put("s4.ini", "[fetch]\ntimeout = 1\n");
	expect_error("[sources]\nfiles = s4.ini\n", "s4.ini:2: sections here must be [source NAME]");
}

static void test_overlong_line_is_an_error_not_a_truncation(void **state)
{
	(void)state;
	char text[600];
	snprintf(text, sizeof text, "[source a]\nurl = https://a.example/%0400d\n", 0);
	put("long.ini", text);
	expect_error("[sources]\nfiles = long.ini\n", "long.ini:2: line longer than");
}

static void test_shipped_sources_load(void **state)
{
	(void)state;
	char main_text[256];
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof cwd));
	snprintf(main_text, sizeof main_text, "[sources]\nfiles = %s/feeds/*.ini\n", cwd);
	const char *main = put("shipped.ini", main_text);
	struct config c;
	struct err err;
	if (config_load(&c, main, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(c.nsources >= 10);
	/* feeds/ also holds the calendar (arshjul.ini): its entries are no sources */
	for (size_t i = 0; i < c.nsources; i++)
		assert_null(strstr(c.sources[i].where, "arshjul.ini"));
	config_free(&c);
}

/* Unset state paths go to $XDG_STATE_HOME/bulletin (else ~/.local/state),
 * never beside the config; templates beside the config, else installed. */
static void test_default_paths(void **state)
{
	(void)state;
	const char *main = put("plain.ini", "[fetch]\ntimeout = 5\n");
	struct config c;
	struct err err;
	char want[256], home[256];
	snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "/");
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("BULLETIN_DATADIR", "/y/share", 1);
	if (config_load(&c, main, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.store_path, "/x/state/bulletin/bulletin.db");
	assert_string_equal(c.lock_path, "/x/state/bulletin/bulletin.db.lock");
	assert_string_equal(c.archive_dir, "/x/state/bulletin/archive");
	assert_string_equal(c.templates_dir, "/y/share/templates");
	assert_int_equal(c.lock_wait, 300);
	assert_int_equal(c.log_syslog, 0);
	config_free(&c);

	/* A relative XDG_STATE_HOME is ignored (the XDG spec); HOME then. */
	setenv("XDG_STATE_HOME", "relative", 1);
	setenv("HOME", "/h", 1);
	snprintf(want, sizeof want, "%s/templates", dir);
	assert_int_equal(mkdir(want, 0755), 0);
	if (config_load(&c, main, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.store_path, "/h/.local/state/bulletin/bulletin.db");
	assert_string_equal(c.templates_dir, want);
	config_free(&c);
	rmdir(want);

	/* Neither: an error only when a path is actually missing. */
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	assert_int_equal(config_load(&c, main, &err), -1);
	assert_non_null(strstr(err.msg, "set path in [store]"));
	main = put("named.ini", "[store]\npath = s.db\nlock_wait = 0\n[digest]\narchive = a\n"
				"[log]\nsyslog = yes\n");
	if (config_load(&c, main, &err) < 0)
		fail_msg("%s", err.msg);
	snprintf(want, sizeof want, "%s/s.db.lock", dir);
	assert_string_equal(c.lock_path, want);
	assert_int_equal(c.lock_wait, 0);
	assert_int_equal(c.log_syslog, 1);
	config_free(&c);
	unsetenv("BULLETIN_DATADIR");
	setenv("HOME", home, 1);
}

/* Issue 13: addresses are checked when the config is read, not at send
 * time after composing; issue 15: hostile bytes and a directory. */
static void test_addresses_checked_at_load(void **state)
{
	(void)state;
	expect_error("[mail]\nfrom_name = X\nfrom_address = nyhetsbrev at example.se\n",
		     "bad.ini:3: from_address: \"nyhetsbrev at example.se\" is not a mail address");
	expect_error("[mail]\nreply_to = a@b@c.se\n", "bad.ini:2: reply_to:");
	expect_error("[digest]\nchair = ordforande\n", "bad.ini:2: chair:");
	const char *main = put("ok.ini", "[mail]\nfrom_address = nyhetsbrev@läkare.se\n");
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, main, &err), 0);
	config_free(&c);
}

static void test_control_bytes_rejected(void **state)
{
	(void)state;
	/* NUL then a hidden setting: fgets would have ended the line at the
	 * NUL and inih would never have seen what follows. */
	char path[128];
	snprintf(path, sizeof path, "%s/nul.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[digest]\ntitle = Nytt", f);
	fputc(0, f);
	fputs("\n[mail]\nfrom_address = x@example.se\n", f);
	fclose(f);
	snprintf(written[nwritten++], 128, "%s", path);
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, path, &err), -1);
	if (!strstr(err.msg, "nul.ini:2: column 13: a control byte (0x00)"))
		fail_msg("got \"%s\"", err.msg);
	expect_error("[digest]\ntitle = a\033[2Jb\n", "bad.ini:2: column 10: a control byte (0x1b)");
	/* A tab and CRLF line ends are text. */
	const char *ok = put("crlf.ini", "[digest]\r\ntitle =\tVeckans nytt\r\n");
	assert_int_equal(config_load(&c, ok, &err), 0);
	assert_string_equal(c.title, "Veckans nytt");
	config_free(&c);
}

static void test_directory_is_not_a_config(void **state)
{
	(void)state;
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, dir, &err), -1);
	assert_non_null(strstr(err.msg, "not a file (a directory)"));
}

static void test_ops_setting_errors(void **state)
{
	(void)state;
	expect_error("[store]\nlock_wait = -1\n", "bad.ini:2:");
	expect_error("[log]\nsyslog = perhaps\n", "bad.ini:2:");
	expect_error("[log]\nfacility = local0\n", "unknown setting \"facility\" in [log]");
}

static void test_password_file_must_be_private(void **state)
{
	(void)state;
	const char *pw = put("pw", "hemligt\n");
	chmod(pw, 0644);
	char main_text[256];
	snprintf(main_text, sizeof main_text, "[mail]\npassword_file = pw\n");
	const char *main = put("pw.ini", main_text);
	struct config c;
	struct err err;
	char *out;
	assert_int_equal(config_load(&c, main, &err), 0);
	assert_int_equal(config_smtp_password(&c, &out, &err), -1);
	assert_non_null(strstr(err.msg, "chmod 600"));
	chmod(pw, 0600);
	assert_int_equal(config_smtp_password(&c, &out, &err), 0);
	assert_string_equal(out, "hemligt");
	free(out);
	config_free(&c);
}

/* type = page: selector, ignore once per line, [watch] keep; a pattern
 * that does not compile is an error at its file:line:col. */
static void test_watched_pages(void **state)
{
	(void)state;
	put("pages.ini", "[source strategi]\nurl = https://example.se/s\ntype = page\nselector = main\n"
			 "ignore = ^Senast uppdaterad:.*$\nignore = (?i)kakor\n\n"
			 "[source gammal]\nurl = https://example.se/f\ntype = rss\n");
	const char *main = put("main.conf", "[sources]\nfiles = pages.ini\n");
	struct config c;
	struct err err;
	assert_int_equal(config_load(&c, main, &err), 0);
	assert_int_equal(c.sources[0].type, SOURCE_PAGE);
	assert_string_equal(c.sources[0].selector, "main");
	assert_int_equal(c.sources[0].nignore, 2);
	assert_string_equal(c.sources[0].ignore[1], "(?i)kakor");
	assert_int_equal(c.sources[1].type, SOURCE_FEED); /* rss: still feed */
	assert_int_equal(c.watch_keep, 10);
	config_free(&c);
	put("badre.ini", "[source s]\nurl = https://example.se/s\ntype = page\nignore = ok\n"
			 "ignore  =  Datum: (\\d+\n");
	main = put("main.conf", "[sources]\nfiles = badre.ini\n");
	assert_int_equal(config_load(&c, main, &err), -1);
	assert_non_null(strstr(err.msg, "badre.ini:5:23: ignore: missing closing parenthesis"));
	put("wrong.ini", "[source s]\nurl = https://example.se/s\nignore = x\n");
	main = put("main.conf", "[sources]\nfiles = wrong.ini\n");
	assert_int_equal(config_load(&c, main, &err), -1);
	assert_non_null(strstr(err.msg, "selector or ignore, which are for type = page"));
	expect_error("[watch]\nkeep = 1\n", "keep must be a whole number from 2 to 1000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sources_glob_and_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_line_is_an_error_not_a_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_sources_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_file_must_be_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ops_setting_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_calendar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses_checked_at_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_bytes_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_is_not_a_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched_pages, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
