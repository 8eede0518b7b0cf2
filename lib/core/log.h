/* Run-time messages for problems that do not stop the run (one bad source,
 * one bad member row). Fatal errors travel as struct err to the caller. */
#ifndef BULLETIN_LOG_H
#define BULLETIN_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/* Default LOG_LVL_WARN. Messages above the level are dropped. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Counts of errors and warnings logged so far (for exit status and reports). */
unsigned log_error_count(void);
unsigned log_warn_count(void);

/* Also send every line that passes the level to syslog (ident bulletin,
 * facility user), without the timestamp. Off by default. */
void log_set_syslog(int on);
/* Tests: lines meant for syslog go to fn(priority, message) instead (NULL
 * restores syslog(3)). Set before log_set_syslog(1). */
typedef void (*log_syslog_fn)(int priority, const char *msg);
void log_set_syslog_hook(log_syslog_fn fn);
/* Syslog only, when enabled: for a line already printed to stderr in
 * another form (a fatal error the caller printed itself). */
void log_syslog_only(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Outside text made safe for one log line, once for every message (log
 * lines and struct err alike): URL passwords become "***" (core/url.h) and
 * control bytes are escaped ("\r", "\n", "\t", "\x1b"), so a CR/LF in an
 * address a server rejected never starts a line of its own in syslog or on
 * stderr. out gets at most outlen - 1 bytes and a NUL. */
void log_clean(const char *in, char *out, size_t outlen);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
