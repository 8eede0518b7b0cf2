#include "testutil.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"

static int got_prio, ncalls;
static char got_msg[256];

static void hook(int prio, const char *msg)
{
	got_prio = prio;
	snprintf(got_msg, sizeof got_msg, "%s", msg);
	ncalls++;
}

/* stderr to /dev/null while logging: only the syslog side is under test. */
static int quiet(void)
{
	fflush(stderr);
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO);
	close(null);
	return saved;
}

static void loud(int saved)
{
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void test_syslog_path(void **state)
{
	(void)state;
	log_set_syslog_hook(hook);
	log_set_level(LOG_LVL_WARN);
	int saved = quiet();
	log_warn("before %d", 0);
	assert_int_equal(ncalls, 0); /* off by default */
	log_set_syslog(1);
	log_warn("source %s failed", "x");
	assert_int_equal(ncalls, 1);
	assert_int_equal(got_prio, LOG_WARNING);
	assert_string_equal(got_msg, "source x failed"); /* no timestamp, no prefix */
	log_error("store: %s", "locked");
	assert_int_equal(got_prio, LOG_ERR);
	log_info("dropped below the level");
	assert_int_equal(ncalls, 2);
	log_syslog_only(LOG_LVL_ERROR, "run: exit status %d", 75);
	assert_int_equal(ncalls, 3);
	assert_string_equal(got_msg, "run: exit status 75");
	log_set_syslog(0);
	log_error("not sent");
	log_syslog_only(LOG_LVL_ERROR, "not sent either");
	loud(saved);
	assert_int_equal(ncalls, 3);
	log_set_syslog_hook(NULL);
}

/* Outside text (a rejected address, a server reply) with CR/LF and an
 * escape byte: neither syslog nor stderr gets a raw control byte, and a
 * URL's password never gets out (issue 13). */
static void test_outside_text_escaped(void **state)
{
	(void)state;
	log_set_syslog_hook(hook);
	log_set_level(LOG_LVL_WARN);
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_set_syslog(1);
	log_warn("%s: refused: %s", "evil@example.se\r\nBcc: x@y", "550 no\x1b[31m");
	log_error("fetch https://anna:hemligt@feeds.example.se/rss failed");
	log_set_syslog(0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_string_equal(got_msg, "fetch https://anna:***@feeds.example.se/rss failed");
	char *out = test_read_file(path, NULL);
	unlink(path);
	assert_non_null(out);
	assert_non_null(strstr(out, "evil@example.se\\r\\nBcc: x@y: refused: 550 no\\x1b[31m\n"));
	assert_null(strstr(out, "hemligt"));
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, 0x1b));
	free(out);
	log_set_syslog_hook(NULL);

	/* struct err gets the same treatment: cmd/ prints err.msg as it is. */
	struct err e;
	err_set(&e, "smtp://nyhetsbrev:Lösen@mail.example.se:587: 535 no\nsecond line");
	assert_string_equal(e.msg, "smtp://nyhetsbrev:***@mail.example.se:587: 535 no\\nsecond line");
	err_prefix(&e, "m1@example.se\r");
	assert_string_equal(e.msg, "m1@example.se\\r: smtp://nyhetsbrev:***@mail.example.se:587: 535 no\\nsecond line");
	/* A list of errors (a rules file's) keeps its lines, each cleaned;
	 * a prefix added later does not undo them. */
	err_set_lines(&e, "a.rules:1:2: bad\rword\na.rules:3:1: https://u:pw@x/\x01");
	assert_string_equal(e.msg, "a.rules:1:2: bad\\rword\na.rules:3:1: https://u:***@x/\\x01");
	err_prefix(&e, "rules");
	assert_string_equal(e.msg, "rules: a.rules:1:2: bad\\rword\na.rules:3:1: https://u:***@x/\\x01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_path),
		cmocka_unit_test(test_outside_text_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
