/* Sources files edited in place (core/srcfile.h): the text edits keep
 * every other byte, and the edits against a configuration choose the
 * right file, refuse what would break it and write atomically. */
#include "testutil.h"

#include <unistd.h>

#include "core/srcfile.h"

static char tmpdir[] = "/tmp/test_srcfileXXXXXX";

static const char nordic[] =
	"; Nordic sources. A source is on unless `enabled = no`.\n"
	"\n"
	"[source lakartidningen]\n"
	"title = Läkartidningen\n"
	"url = https://lakartidningen.se/feed/\n"
	"\n"
	"; Seen in one feed list only; check it.\n"
	"[source dagensmedicin]\n"
	"title = Dagens Medicin\n"
	"url = https://www.dagensmedicin.se/feed/\n"
	"  enabled   =   no   ; paywalled\n"
	"\n"
	"[source sfam]\n"
	"\ttitle = SFAM\n"
	"\turl = https://sfam.se/category/nyheter/feed/\n"
	"; a comment about the next one\n"
	"\n"
	"[source ivo]\n"
	"url = https://www.ivo.se/publicerat-material/nyheter/\n"
	"type = html\n"
	"enabled = no\n";

static void test_names_and_urls(void **state)
{
	(void)state;
	assert_true(srcfile_name_ok("lakartidningen"));
	assert_true(srcfile_name_ok("altinget-se"));
	assert_true(srcfile_name_ok("a.b_c-1"));
	assert_true(srcfile_name_ok("2"));
	assert_false(srcfile_name_ok(""));
	assert_false(srcfile_name_ok("-x"));
	assert_false(srcfile_name_ok("has space"));
	assert_false(srcfile_name_ok("a]b"));
	assert_false(srcfile_name_ok("läkartidningen"));
	assert_false(srcfile_name_ok("a\nb"));
	assert_false(srcfile_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

	struct err e = {""};
	assert_true(srcfile_url_ok("https://lakartidningen.se/feed/", &e));
	assert_true(srcfile_url_ok("HTTP://127.0.0.1:8080/x.xml?a=1", &e));
	assert_false(srcfile_url_ok("ftp://example.se/feed", &e));
	assert_non_null(strstr(e.msg, "only http:// and https://"));
	assert_false(srcfile_url_ok("file:///etc/passwd", &e));
	assert_false(srcfile_url_ok("lakartidningen.se/feed/", &e));
	assert_false(srcfile_url_ok("https://example.se/a feed", &e));
	assert_non_null(strstr(e.msg, "no spaces"));
	assert_false(srcfile_url_ok("https://exa\r\nmple.se/", &e));
	assert_false(srcfile_url_ok("https:///feed", &e));
	assert_non_null(strstr(e.msg, "with a host"));
	assert_false(srcfile_url_ok("https://", &e));
}

static void test_text_disable(void **state)
{
	(void)state;
	int line, changed;
	/* No enabled line: one after the section's last setting. */
	char *out = srcfile_text_set_enabled(nordic, "lakartidningen", 0, &line, &changed);
	assert_non_null(out);
	assert_int_equal(changed, 1);
	assert_int_equal(line, 6);
	const char *want_head = "[source lakartidningen]\ntitle = Läkartidningen\n"
				"url = https://lakartidningen.se/feed/\nenabled = no\n\n; Seen";
	assert_non_null(strstr(out, want_head));
	assert_int_equal(strlen(out), strlen(nordic) + strlen("enabled = no\n"));
	free(out);

	/* Indented settings: the new line is indented alike, before the
	 * comment that belongs to the next section. */
	out = srcfile_text_set_enabled(nordic, "sfam", 0, &line, &changed);
	assert_non_null(strstr(out, "\turl = https://sfam.se/category/nyheter/feed/\n\tenabled = no\n"
				    "; a comment about the next one\n"));
	free(out);

	/* Already off: the same text, unchanged. */
	out = srcfile_text_set_enabled(nordic, "dagensmedicin", 0, &line, &changed);
	assert_string_equal(out, nordic);
	assert_int_equal(changed, 0);
	assert_int_equal(line, 11);
	free(out);

	/* The last section, at the end of a file without a final newline. */
	const char *bare = "[source a]\nurl = https://a.se/f";
	out = srcfile_text_set_enabled(bare, "a", 0, &line, &changed);
	assert_string_equal(out, "[source a]\nurl = https://a.se/f\nenabled = no\n");
	free(out);
	/* A section with no settings yet. */
	out = srcfile_text_set_enabled("[source a]\n[source b]\nurl = x\n", "a", 0, &line, &changed);
	assert_string_equal(out, "[source a]\nenabled = no\n[source b]\nurl = x\n");
	free(out);
}

static void test_text_enable(void **state)
{
	(void)state;
	int line, changed;
	/* The value alone changes: indentation, spacing, comment stay. */
	char *out = srcfile_text_set_enabled(nordic, "dagensmedicin", 1, &line, &changed);
	assert_non_null(out);
	assert_int_equal(changed, 1);
	assert_int_equal(line, 11);
	assert_non_null(strstr(out, "\n  enabled   =   yes   ; paywalled\n"));
	assert_int_equal(strlen(out), strlen(nordic) + 1);
	free(out);

	/* On by default: nothing to write. */
	out = srcfile_text_set_enabled(nordic, "lakartidningen", 1, &line, &changed);
	assert_string_equal(out, nordic);
	assert_int_equal(changed, 0);
	free(out);

	/* Other spellings read as what they mean; CRLF lines keep their CR. */
	out = srcfile_text_set_enabled("[source a]\r\nurl = x\r\nenabled: Off\r\n", "a", 1, &line,
				       &changed);
	assert_string_equal(out, "[source a]\r\nurl = x\r\nenabled: yes\r\n");
	free(out);
	out = srcfile_text_set_enabled("[source a]\nenabled = TRUE\n", "a", 1, &line, &changed);
	assert_int_equal(changed, 0);
	free(out);

	/* Only the named section: a commented-out enabled, another section's
	 * enabled and a name that is a prefix of another stay as they are. */
	const char *t = "[source a]\n;enabled = no\nurl = x\n[source ab]\nenabled = no\n";
	out = srcfile_text_set_enabled(t, "a", 0, &line, &changed);
	assert_string_equal(out, "[source a]\n;enabled = no\nurl = x\nenabled = no\n[source ab]\n"
				 "enabled = no\n");
	free(out);

	/* No such section. */
	assert_null(srcfile_text_set_enabled(nordic, "nowhere", 1, &line, &changed));
	assert_int_equal(line, 0);
	assert_null(srcfile_text_set_enabled(nordic, "lakar", 1, &line, &changed));
}

static void test_text_add(void **state)
{
	(void)state;
	int line;
	char *out = srcfile_text_add(nordic, "vardfokus", "https://www.vardfokus.se/feed/",
				     "Vårdfokus", &line);
	assert_non_null(out);
	assert_memory_equal(out, nordic, strlen(nordic));
	assert_string_equal(out + strlen(nordic),
			    "\n[source vardfokus]\ntitle = Vårdfokus\nurl = https://www.vardfokus.se/feed/\n");
	assert_int_equal(line, 23);
	free(out);
	/* A file without a final newline; an empty file. */
	out = srcfile_text_add("; x", "a", "https://a.se/", NULL, &line);
	assert_string_equal(out, "; x\n\n[source a]\nurl = https://a.se/\n");
	assert_int_equal(line, 3);
	free(out);
	out = srcfile_text_add("", "a", "https://a.se/", NULL, &line);
	assert_string_equal(out, "[source a]\nurl = https://a.se/\n");
	assert_int_equal(line, 1);
	free(out);
	out = srcfile_text_add("[source b]\nurl = x\n\n", "a", "https://a.se/", NULL, &line);
	assert_string_equal(out, "[source b]\nurl = x\n\n[source a]\nurl = https://a.se/\n");
	free(out);
}

/* ---- against a configuration ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void load(struct config *c, const char *ini)
{
	char path[256];
	snprintf(path, sizeof path, "%s/bulletin.ini", tmpdir);
	write_file(path, ini);
	struct err e = {""};
	int r = config_load(c, path, &e);
	if (r < 0)
		fail_msg("%s", e.msg);
}

static void test_edit_files(void **state)
{
	(void)state;
	char p[256], q[256];
	snprintf(p, sizeof p, "%s/nordic.ini", tmpdir);
	snprintf(q, sizeof q, "%s/more.ini", tmpdir);
	write_file(p, nordic);
	write_file(q, "; mine\n");
	chmod(p, 0640);
	struct config c;
	load(&c, "[sources]\nfiles = nordic.ini more.ini\n");
	struct err e = {""};
	char *where = NULL;

	/* add: the first sources file unless told; errors name the problem */
	assert_int_equal(srcfile_add(&c, NULL, "vardfokus", "https://www.vardfokus.se/feed/", NULL,
				     &where, &e), SRCFILE_OK);
	char want[300];
	snprintf(want, sizeof want, "%s:23", p);
	assert_string_equal(where, want);
	free(where);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640); /* its mode kept */
	snprintf(want, sizeof want, "%s.tmp", p);
	assert_int_not_equal(access(want, F_OK), 0);
	assert_int_equal(srcfile_add(&c, q, "x1", "https://x.se/", "X", &where, &e), SRCFILE_OK);
	free(where);
	char *t = test_read_file(q, NULL);
	assert_string_equal(t, "; mine\n\n[source x1]\ntitle = X\nurl = https://x.se/\n");
	free(t);
	assert_int_equal(srcfile_add(&c, NULL, "lakartidningen", "https://x.se/", NULL, &where, &e),
			 SRCFILE_BAD);
	assert_non_null(strstr(e.msg, "a source named \"lakartidningen\" is already defined at"));
	assert_null(where);
	assert_int_equal(srcfile_add(&c, NULL, "new", "ftp://x.se/", NULL, &where, &e), SRCFILE_BAD);
	assert_int_equal(srcfile_add(&c, NULL, "bad name", "https://x.se/", NULL, &where, &e),
			 SRCFILE_BAD);
	assert_non_null(strstr(e.msg, "cannot be a source's name"));
	assert_int_equal(srcfile_add(&c, "/etc/passwd", "new", "https://x.se/", NULL, &where, &e),
			 SRCFILE_CONFIG);
	assert_non_null(strstr(e.msg, "is not one of the sources files"));
	config_free(&c);

	/* the file as loaded again: the configuration still loads, with them */
	load(&c, "[sources]\nfiles = nordic.ini more.ini\n");
	assert_int_equal(c.nsources, 6);
	assert_int_equal(srcfile_set_enabled(&c, "vardfokus", 0, &where, &e), SRCFILE_OK);
	free(where);
	assert_int_equal(srcfile_set_enabled(&c, "vardfokus", 0, &where, &e), SRCFILE_UNCHANGED);
	free(where);
	assert_int_equal(srcfile_set_enabled(&c, "dagensmedicin", 1, &where, &e), SRCFILE_OK);
	snprintf(want, sizeof want, "%s:11", p);
	assert_string_equal(where, want);
	free(where);
	assert_int_equal(srcfile_set_enabled(&c, "nowhere", 1, &where, &e), SRCFILE_BAD);
	assert_non_null(strstr(e.msg, "no source named \"nowhere\""));
	/* an html listing without its item selector would break the config */
	assert_int_equal(srcfile_set_enabled(&c, "ivo", 1, &where, &e), SRCFILE_BAD);
	assert_non_null(strstr(e.msg, "type = html and has no item selector"));
	config_free(&c);
	load(&c, "[sources]\nfiles = nordic.ini more.ini\n");
	for (size_t i = 0; i < c.nsources; i++)
		if (!strcmp(c.sources[i].name, "vardfokus") || !strcmp(c.sources[i].name, "ivo"))
			assert_false(c.sources[i].enabled);
		else
			assert_true(c.sources[i].enabled);
	config_free(&c);

	/* an installed file is not edited: make install would replace it */
	setenv("BULLETIN_DATADIR", tmpdir, 1);
	load(&c, "[sources]\nfiles = nordic.ini\n");
	assert_int_equal(srcfile_set_enabled(&c, "vardfokus", 1, &where, &e), SRCFILE_CONFIG);
	assert_non_null(strstr(e.msg, "is an installed file"));
	assert_int_equal(srcfile_add(&c, NULL, "new", "https://x.se/", NULL, &where, &e),
			 SRCFILE_CONFIG);
	config_free(&c);
	unsetenv("BULLETIN_DATADIR");

	/* a write that fails leaves the file as it was */
	char sub[256], f[300];
	snprintf(sub, sizeof sub, "%s/ro", tmpdir);
	mkdir(sub, 0755);
	snprintf(f, sizeof f, "%s/x.ini", sub);
	write_file(f, "[source a]\nurl = https://a.se/\n");
	char ini[400];
	snprintf(ini, sizeof ini, "[sources]\nfiles = %s\n", f);
	load(&c, ini);
	if (geteuid() != 0) { /* root writes anywhere */
		chmod(sub, 0555);
		assert_int_equal(srcfile_set_enabled(&c, "a", 0, &where, &e), SRCFILE_WRITE);
		t = test_read_file(f, NULL);
		assert_string_equal(t, "[source a]\nurl = https://a.se/\n");
		free(t);
		chmod(sub, 0755);
	}
	config_free(&c);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_urls),
		cmocka_unit_test(test_text_disable),
		cmocka_unit_test(test_text_enable),
		cmocka_unit_test(test_text_add),
		cmocka_unit_test(test_edit_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
