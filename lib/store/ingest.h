/* The ingest step: fetch → parse → identity → store. Every enabled source
 * is fetched (libcurl multi), each finished document is converted to
 * UTF-8, parsed as a feed or listing page, keyed by identity_assign and
 * upserted, while the other sources still download. One source's failure
 * is recorded in its health row and logged; it never stops the others. */
#ifndef BULLETIN_INGEST_H
#define BULLETIN_INGEST_H

#include <stddef.h>
#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "fetch/fetch.h"
#include "parse/item.h"
#include "store/store.h"

struct ingest_opts {
	const char *user_agent; /* "bulletin/VERSION (+contact)" */
	/* Called after every finished source (may be NULL). */
	void (*progress)(void *ctx, size_t done, size_t total, size_t failed);
	/* Called before a source's failure or move is logged, so a progress
	 * line can be cleared first (may be NULL). */
	void (*before_message)(void *ctx);
	void *ctx;
	/* The time items are first seen and events found after; 0: time(NULL). */
	time_t now;
};

struct ingest_report {
	size_t sources; /* enabled sources fetched */
	int items;      /* items in the documents parsed */
	int fresh;      /* of which new to the store */
	int failed;     /* sources that failed */
};

enum { INGEST_OK = 0, INGEST_STORE_FAILED = -1, INGEST_SETUP_FAILED = -2 };

/* Fetches and stores every enabled source of cfg in one store transaction.
 * Returns INGEST_OK (some sources may have failed: rep->failed), or
 * INGEST_STORE_FAILED / INGEST_SETUP_FAILED with err (nothing committed). */
int ingest_run(struct store *s, const struct config *cfg, const struct ingest_opts *o,
	       struct ingest_report *rep, struct err *err);

/* One fetched document of src: converted, parsed, keyed and stored as of
 * now. Returns the number of new items (nitems: all items parsed), or -1
 * with err (the document could not be read, or the store failed). */
int ingest_document(struct store *s, const struct source *src, const struct fetch_result *res,
		    time_t now, int *nitems, struct err *err);

/* The upcoming event the item announces (date_event_nordic: its title
 * first, then its summary; the first date with a clock after its
 * publication, or after now when it has none) into it->event_start and
 * event_end, 0 when none. ingest_document calls it for every item. */
void ingest_item_event(struct item *it, time_t now);

#endif
