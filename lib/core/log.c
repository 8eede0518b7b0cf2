#include "core/log.h"

#include "core/url.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_LVL_WARN;
static unsigned nerrors, nwarnings;
static int to_syslog;
static log_syslog_fn syslog_hook;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }
unsigned log_error_count(void) { return nerrors; }
unsigned log_warn_count(void) { return nwarnings; }

static void real_syslog(int prio, const char *msg)
{
	syslog(prio, "%s", msg);
}

void log_set_syslog(int on)
{
	if (on && !to_syslog && !syslog_hook)
		openlog("bulletin", LOG_PID, LOG_USER);
	else if (!on && to_syslog && !syslog_hook)
		closelog();
	to_syslog = on;
}

void log_set_syslog_hook(log_syslog_fn fn) { syslog_hook = fn; }

static void send_syslog(enum log_level l, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	(syslog_hook ? syslog_hook : real_syslog)(prio[l], msg);
}

void log_clean(const char *in, char *out, size_t outlen)
{
	if (!outlen)
		return;
	char red[2048];
	url_redact(in, red, sizeof red);
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)red; *p; p++) {
		char esc[5] = "";
		if (*p == '\n')
			memcpy(esc, "\\n", 3);
		else if (*p == '\r')
			memcpy(esc, "\\r", 3);
		else if (*p == '\t')
			memcpy(esc, "\\t", 3);
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", *p);
		size_t n = esc[0] ? strlen(esc) : 1;
		if (o + n >= outlen)
			break;
		if (esc[0])
			memcpy(out + o, esc, n);
		else
			out[o] = (char)*p;
		o += n;
	}
	out[o] = '\0';
}

static void log_v(enum log_level l, const char *fmt, va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	if (l == LOG_LVL_ERROR)
		nerrors++;
	else if (l == LOG_LVL_WARN)
		nwarnings++;
	if (l > level)
		return;
	char raw[2048], msg[2048];
	vsnprintf(raw, sizeof raw, fmt, ap);
	log_clean(raw, msg, sizeof msg);
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
	fprintf(stderr, "bulletin: %s: %s\n", names[l], msg);
	if (to_syslog) /* syslog stamps lines itself */
		send_syslog(l, msg);
}

void log_syslog_only(enum log_level l, const char *fmt, ...)
{
	if (!to_syslog || l > level)
		return;
	char raw[2048], msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	log_clean(raw, msg, sizeof msg);
	send_syslog(l, msg);
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
