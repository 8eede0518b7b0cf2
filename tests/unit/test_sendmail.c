/* The sendmail transport against small stand-in programs written by the
 * test: arguments, the message as sendmail expects it, exit statuses. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "deliver/sendmail.h"

static char dir[64];

static const char *script(const char *name, const char *body)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/bulletin-sendmail-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char MSG[] = "To: =?UTF-8?Q?=C3=85sa?= <asa@example.se>\r\nSubject: x\r\n\r\nHej \xc3\x85sa!\r\n";

static void test_sent_with_fixed_arguments_and_lf(void **state)
{
	(void)state;
	char body[512];
	snprintf(body, sizeof body,
		 "echo \"$@\" > %s/args; env > %s/env; cat > %s/stdin; exit 0", dir, dir, dir);
	const char *p = script("ok", body);
	char reply[256];
	/* A secret in our environment (password_env names such a variable). */
	setenv("BULLETIN_TEST_SMTP_PASSWORD", "Hemligt", 1);
	setenv("TZ", "Europe/Stockholm", 1);
	assert_int_equal(sendmail_send(p, "nyhetsbrev@example.se", "asa@example.se", MSG,
				       sizeof MSG - 1, reply, sizeof reply),
			 SMTP_SENT);
	unsetenv("BULLETIN_TEST_SMTP_PASSWORD");
	char path[128];
	snprintf(path, sizeof path, "%s/args", dir);
	char *args = test_read_file(path, NULL);
	/* The envelope sender is ours, the one recipient is the member. */
	assert_string_equal(args, "-i -f nyhetsbrev@example.se -- asa@example.se\n");
	free(args);
	snprintf(path, sizeof path, "%s/env", dir);
	char *env = test_read_file(path, NULL);
	assert_null(strstr(env, "Hemligt"));
	assert_non_null(strstr(env, "PATH="));
	assert_non_null(strstr(env, "TZ=Europe/Stockholm"));
	/* Only PATH, LANG and TZ (and what sh sets itself, PWD). */
	for (char *line = strtok(env, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "PATH=", 5) && strncmp(line, "LANG=", 5) &&
		    strncmp(line, "TZ=", 3) && strncmp(line, "PWD=", 4) && strncmp(line, "SHLVL=", 6) &&
		    strncmp(line, "_=", 2))
			fail_msg("the program saw %s", line);
	free(env);
	snprintf(path, sizeof path, "%s/stdin", dir);
	char *in = test_read_file(path, NULL);
	assert_null(strchr(in, '\r'));
	assert_string_equal(in, "To: =?UTF-8?Q?=C3=85sa?= <asa@example.se>\nSubject: x\n\nHej \xc3\x85sa!\n");
	free(in);
}

static void test_exit_statuses(void **state)
{
	(void)state;
	char reply[256];
	const char *p = script("temp", "cat > /dev/null; echo 'queue full, try later' >&2; exit 75");
	assert_int_equal(sendmail_send(p, "a@example.se", "b@example.se", MSG, sizeof MSG - 1, reply, sizeof reply), SMTP_TEMPFAIL);
	assert_non_null(strstr(reply, "exited with 75: queue full, try later"));
	p = script("perm", "cat > /dev/null; echo 'no such user' >&2; exit 67");
	assert_int_equal(sendmail_send(p, "a@example.se", "b@example.se", MSG, sizeof MSG - 1, reply, sizeof reply), SMTP_PERMFAIL);
	assert_non_null(strstr(reply, "exited with 67: no such user"));
	char missing[160];
	snprintf(missing, sizeof missing, "%s/no-such-sendmail", dir);
	assert_int_equal(sendmail_send(missing, "a@example.se", "b@example.se", MSG, sizeof MSG - 1, reply, sizeof reply), SMTP_FATAL);
	assert_non_null(strstr(reply, "no-such-sendmail"));
}

/* A program that quits without reading a large message: no SIGPIPE death,
 * and the message does not count as sent. */
static void test_early_exit(void **state)
{
	(void)state;
	size_t n = 1 << 20;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "To: a@b.se\r\n\r\n", 14);
	char reply[256];
	const char *p = script("quit", "exit 0");
	assert_int_equal(sendmail_send(p, "a@example.se", "b@example.se", big, n, reply, sizeof reply), SMTP_PERMFAIL);
	assert_non_null(strstr(reply, "stopped reading"));
	free(big);
}

/* Addresses reach argv: an option-looking or broken one never does. */
static void test_addresses_checked(void **state)
{
	(void)state;
	char body[256], path[128], reply[256];
	snprintf(body, sizeof body, "touch %s/ran; cat > /dev/null", dir);
	const char *p = script("never", body);
	assert_int_equal(sendmail_send(p, "a@example.se", "x@example.se -t", MSG, sizeof MSG - 1,
				       reply, sizeof reply),
			 SMTP_PERMFAIL);
	assert_int_equal(sendmail_send(p, "not an address", "b@example.se", MSG, sizeof MSG - 1,
				       reply, sizeof reply),
			 SMTP_FATAL);
	snprintf(path, sizeof path, "%s/ran", dir);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_with_fixed_arguments_and_lf),
		cmocka_unit_test(test_exit_statuses),
		cmocka_unit_test(test_early_exit),
		cmocka_unit_test(test_addresses_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
