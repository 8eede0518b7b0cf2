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

/* One fetched document of src converted to UTF-8 and parsed (a feed or a
 * listing page) into items, each with src's name, without the store.
 * Returns 0; 1 when a damaged document was read only in part (err says
 * what stopped it; items holds what came before); -1 with err. */
int ingest_parse(const struct source *src, const struct fetch_result *res,
		 struct item_list *items, struct err *err);

/* One source fetched now, as [fetch] says, without validators and without
 * the store (`bulletin sources test`). */
struct ingest_try {
	long http_code;        /* 0 when no HTTP response came */
	size_t bytes;          /* of the document */
	int attempts;
	char *moved_to;        /* a permanent redirect's target, or NULL */
	char fetch_error[512]; /* "" unless the fetch failed */
	char partial[256];     /* a damaged document: what stopped the parser */
	struct item_list items;     /* type feed or html */
	char *page_title;           /* type page: the extract's title (may be NULL) */
	size_t page_chars;          /* and its text's length in bytes */
};
/* Returns 0, or -1 with err (the fetch failed: also in fetch_error; or the
 * document could not be read). Free *out with ingest_try_free either way. */
int ingest_try(const struct config *c, const struct source *src, const char *user_agent,
	       struct ingest_try *out, struct err *err);
void ingest_try_free(struct ingest_try *t);

/* The upcoming event the item announces (date_event_nordic: its title
 * first, then its summary; the first date with a clock after its
 * publication, or after now when it has none) into it->event_start and
 * event_end, 0 when none. ingest_document calls it for every item. */
void ingest_item_event(struct item *it, time_t now);

#endif
