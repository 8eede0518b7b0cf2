/* Error reporting across module boundaries.
 *
 * Library functions never print and never exit: they return a status and,
 * on failure, describe the problem once in a struct err, with the place it
 * came from (file:line:col, or a source name and URL). The caller decides
 * where it goes (stderr, syslog, the chair's report). */
#ifndef BULLETIN_ERR_H
#define BULLETIN_ERR_H

#include <stdarg.h>

struct err {
	char msg[1024];
};

/* Sets the message (printf-style). Always returns -1 so callers can
 * `return err_set(err, ...);`. err may be NULL. */
int err_set(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_vset(struct err *err, const char *fmt, va_list ap);
/* A message of several lines (a rules file's every error): each line of
 * text cleaned as any message is, the line breaks between them kept. */
int err_set_lines(struct err *err, const char *text);
/* Prepends context, e.g. err_prefix(err, "%s", path) gives "path: <old msg>". */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *err);

/* Exit statuses from sysexits.h that cross modules. */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,   /* something failed at run time (a source, a member) */
	EXIT_USAGE = 64,     /* EX_USAGE */
	EXIT_DATAERR = 65,   /* EX_DATAERR */
	EXIT_NOINPUT = 66,   /* EX_NOINPUT */
	EXIT_SOFTWARE = 70,  /* EX_SOFTWARE */
	EXIT_CANTCREAT = 73, /* EX_CANTCREAT */
	EXIT_IOERR = 74,     /* EX_IOERR */
	EXIT_TEMPFAIL = 75,  /* EX_TEMPFAIL */
	EXIT_CONFIG = 78     /* EX_CONFIG */
};

#endif
