/* Watched pages in the digest: the period's changes as items of their own
 * section ("Bevakning"), never filtered by the keyword rules (the chair
 * chose the page), each with a summary of what changed (sections added,
 * removed and changed by heading; for a small change the sentences with
 * their old and new wording) and a side-by-side diff page written into
 * the archive; the chair's report lists every change with its size and
 * every page that looks broken. */
#ifndef BULLETIN_COMPOSE_WATCH_H
#define BULLETIN_COMPOSE_WATCH_H

#include <jansson.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

/* What changed from old_text to new_text (extracts; ignore patterns
 * applied to both first), in lang (sv, nb, en). New string ("" when
 * nothing changed after ignore), or NULL with err. */
char *watch_summary(const char *lang, const char *old_text, const char *new_text,
		    char *const *ignore, size_t nignore, struct err *err);

/* The period's changes (since <= detected < until) of cfg's enabled page
 * sources: *items gets the model's "watch" array (title, url, source,
 * source_title, date, date_text, summary, diff_url, added, removed,
 * size_text), *chair (may be NULL) an object for the chair's report
 * (watch_changed[] with name, url, size_text; watch_broken[] with name,
 * url, why; their texts). The diff pages go to cfg->archive_dir as
 * watch-NAME-OLD-NEW.html (named by the versions: a preview writes the
 * same file the sent digest links to); a page that cannot be written is
 * logged and left without a link. Returns 0, or -1 with err (the store). */
int watch_compose(struct store *s, const struct config *cfg, time_t since, time_t until,
		  json_t **items, json_t **chair, struct err *err);

/* The unified diff (labels la, lb) of two extracts after ignore appended
 * to out (nothing when they are the same). 0, or -1 with err. */
int watch_compare(const char *old_text, const char *new_text, char *const *ignore,
		  size_t nignore, const char *la, const char *lb, struct buf *out, struct err *err);

/* The last change of src as a unified diff of the extracts (after
 * ignore), for bulletin watch --diff. Returns 1 with out filled, 0 when
 * the page has no change yet, -1 with err. */
int watch_last_diff(struct store *s, const struct source *src, struct buf *out, struct err *err);

#endif
