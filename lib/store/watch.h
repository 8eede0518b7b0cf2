/* A watched page's new extract against its last good version: the same
 * (noise the ignore patterns remove does not count), a change (stored as
 * a version and a change the next digest reports), or a page that looks
 * broken (a login wall, an error page served with 200, an empty page:
 * kept aside for the chair, never reported to members as a change). */
#ifndef BULLETIN_WATCH_H
#define BULLETIN_WATCH_H

#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"
#include "store/versions.h"

/* The extract looks broken when it has less text than WATCH_MIN_TEXT
 * bytes, shrank to under a quarter of a page of WATCH_COLLAPSE_FROM bytes
 * or more, or kept less than WATCH_MIN_SIMILAR percent of the old text. */
#define WATCH_MIN_TEXT 64
#define WATCH_COLLAPSE_FROM 1000
#define WATCH_MIN_SIMILAR 20

enum watch_what { WATCH_FIRST, WATCH_SAME, WATCH_CHANGED, WATCH_BROKEN };

struct watch_outcome {
	enum watch_what what;
	long added, removed; /* lines, after ignore */
	int similar;         /* percent of the text kept */
	char why[200];       /* WATCH_BROKEN: what looks wrong */
};

/* Why the new text (after ignore) looks broken next to the old, or NULL
 * when it does not; why has room for 200 bytes. */
const char *watch_looks_broken(size_t old_len, size_t new_len, int similar, char *why);

/* Records v (source, text, title, kind, url, fetched set by the caller)
 * for src: compared with the last good version through src's ignore
 * patterns. A change is stored with detected = v->fetched. Returns 0 and
 * fills o, or -1 with err. */
int watch_record(struct store *s, const struct source *src, struct page_version *v, long keep,
		 struct watch_outcome *o, struct err *err);

/* The chair's word that src's newest version, which looked broken, is
 * right: it becomes good and a change from the last good one is recorded
 * (detected = now), for the next digest. Returns 1, 0 when the newest
 * version is not broken, -1 with err. */
int watch_accept(struct store *s, const struct source *src, time_t now, struct err *err);

#endif
