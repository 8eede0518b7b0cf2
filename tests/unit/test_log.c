#include "testutil.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
