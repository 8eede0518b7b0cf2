/* The digest archive: each sent digest as .md, .html, .txt and .json in
 * one folder, so the association can publish it as static pages, with an
 * index.html and an Atom feed (feed.atom) of every digest in it. */
#ifndef BULLETIN_ARCHIVE_H
#define BULLETIN_ARCHIVE_H

#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

/* Writes DIR/digest-YYYY-MM-DD-ID.{md,html,txt,json} (and .ics, the
 * events, when d->calendar is set; each through a
 * temporary file and rename, so a reader never sees half a file), creating
 * DIR when needed. The .json is the model, plus the row's "subject" when
 * the model has none (the index shows it) and its "atom_id" (the feed's
 * id of it, from then on). path_out (may be NULL) gets the .html path. */
int archive_write(const char *dir, const struct digest_row *d, const json_t *model,
		  char *path_out, size_t path_len, struct err *err);

/* The name of stored digest d's files without extension:
 * "digest-YYYY-MM-DD-ID" (the day it was composed, UTC). */
void archive_stem(const struct digest_row *d, char *out, size_t outlen);
/* d's page in the archive published at base (http or https): 1 and
 * out; 0 and "" when base is NULL or not http(s), or out too short. */
int archive_page_url(const char *base, const struct digest_row *d, char *out, size_t outlen);

/* The calendar for subscribers (compose.h compose_calendar_ics), beside
 * the digests; the index page links to it once it is there. */
#define ARCHIVE_CALENDAR "calendar.ics"
/* Writes DIR/calendar.ics atomically, creating DIR when needed. */
int archive_write_calendar(const char *dir, const char *ics, struct err *err);

/* What the index page and the feed say about the archive. */
struct archive_site {
	const char *title;        /* heading and feed title; NULL = "bulletin" */
	const char *language;     /* sv, nb or en (chrome and dates); NULL/other = sv */
	const char *base_url;     /* the folder's published http(s) URL; may be NULL:
				     links are then relative (the ids are tag: URIs
				     either way, and never change) */
	const char *association;  /* shown under the heading, feed author; may be NULL */
};

/* At most this many digests appear in feed.atom (the index lists all). */
#define ARCHIVE_FEED_MAX 50

/* (Re)writes DIR/index.html and DIR/feed.atom (atomically, like the parts)
 * from every DIR/digest-YYYY-MM-DD-ID.json, newest first. A .json that
 * cannot be read or is not a model is skipped with a log_warn naming it.
 * Returns the number of digests listed, or -1 with err (DIR unreadable,
 * base_url not http(s), a write failing). */
int archive_index(const char *dir, const struct archive_site *site, struct err *err);

#endif
