/* A sources file (bulletin-sources(5)) edited in place, for `bulletin
 * sources add|enable|disable`: the section asked for changes, every other
 * byte stays (comments, blank lines, order, the other sources), and the
 * result replaces the file atomically (fsync, then rename). */
#ifndef BULLETIN_SRCFILE_H
#define BULLETIN_SRCFILE_H

#include "core/config.h"
#include "core/err.h"

/* How an edit ended; the caller turns it into an exit status. */
enum srcfile_status {
	SRCFILE_OK = 0,
	SRCFILE_UNCHANGED = 1, /* already so: nothing written */
	SRCFILE_BAD = -1,      /* the request (name, URL, unknown or duplicate source) */
	SRCFILE_CONFIG = -2,   /* the configuration: no sources file to edit, an installed one */
	SRCFILE_WRITE = -3     /* the file could not be read or written */
};

/* A name `sources add` accepts: 1 to 64 of A-Z a-z 0-9 . _ -, beginning
 * with a letter or digit (it goes into a [section] and onto command
 * lines). 1 or 0. */
int srcfile_name_ok(const char *name);
/* An absolute http:// or https:// URL with a host, without spaces or
 * control bytes, at most 2000 bytes. 1, or 0 with err saying why. */
int srcfile_url_ok(const char *url, struct err *err);

/* ---- the text alone (no files) ---- */

/* text with a [source NAME] section appended (url, then title when not
 * NULL), after a blank line. A new string, or NULL (out of memory).
 * *line gets the section's line. */
char *srcfile_text_add(const char *text, const char *name, const char *url, const char *title,
		       int *line);
/* text with NAME's `enabled` set to yes (on) or no: every enabled line of
 * its section rewritten in place (its indentation, spacing and inline
 * comment kept), or, when there is none, one added after the section's
 * last setting. A new string (*line: the line edited, *changed: 0 when the
 * value was already so), or NULL with *line = 0 when there is no such
 * section (or out of memory: *line = -1). */
char *srcfile_text_set_enabled(const char *text, const char *name, int on, int *line,
			       int *changed);

/* ---- against a loaded configuration ---- */

/* The sources file `sources add` writes to: want when given (it must be
 * one of c's [sources] files), else the first of them that is not an
 * installed one (under config_data_dir()). NULL with err when there is
 * none. The result points into c. */
const char *srcfile_pick(const struct config *c, const char *want, struct err *err);

/* Adds [source NAME] with url (and title) to file (srcfile_pick's rules).
 * *where (malloc'd) gets "file:line". */
enum srcfile_status srcfile_add(const struct config *c, const char *file, const char *name,
				const char *url, const char *title, char **where,
				struct err *err);
/* Sets NAME's enabled in the file that defines it. Enabling a type = html
 * source that has no item selector is refused: the configuration would no
 * longer load. *where (malloc'd) gets "file:line". */
enum srcfile_status srcfile_set_enabled(const struct config *c, const char *name, int on,
					char **where, struct err *err);

#endif
