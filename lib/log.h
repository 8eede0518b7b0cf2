/* Run-time messages for problems that do not stop the run (one bad source,
 * one bad member row). Fatal errors travel as struct err to the caller. */
#ifndef BULLETIN_LOG_H
#define BULLETIN_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/* Default LOG_LVL_WARN. Messages above the level are dropped. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Counts of errors and warnings logged so far (for exit status and reports). */
unsigned log_error_count(void);
unsigned log_warn_count(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
