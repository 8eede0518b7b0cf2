#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_LVL_WARN;
static unsigned nerrors, nwarnings;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }
unsigned log_error_count(void) { return nerrors; }
unsigned log_warn_count(void) { return nwarnings; }

static void log_v(enum log_level l, const char *fmt, va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	if (l == LOG_LVL_ERROR)
		nerrors++;
	else if (l == LOG_LVL_WARN)
		nwarnings++;
	if (l > level)
		return;
	/* cron mails whatever we print: stamp lines there so the chair can
	 * tell when it happened; a terminal user knows. */
	if (!isatty(STDERR_FILENO)) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ ", &tm);
		fputs(ts, stderr);
	}
	fprintf(stderr, "bulletin: %s: ", names[l]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, lvl)                      \
	void name(const char *fmt, ...)        \
	{                                      \
		va_list ap;                    \
		va_start(ap, fmt);             \
		log_v(lvl, fmt, ap);           \
		va_end(ap);                    \
	}
LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
