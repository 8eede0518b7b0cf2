/* The item: what parsers produce and everything downstream consumes.
 * All text is UTF-8 plain text (no markup, entities decoded); URLs are
 * absolute; times are UTC (0 = unknown). */
#ifndef BULLETIN_ITEM_H
#define BULLETIN_ITEM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct enclosure {
	char *url;          /* absolute http(s) */
	char *type;         /* MIME type, or NULL */
	long long length;   /* bytes; 0 when unknown */
};

struct item {
	int64_t id;        /* store row id; 0 when not stored */
	char *source;      /* source name from the feeds/ INI files; NULL for `bulletin parse` */
	char *key;         /* stable identity within the source: guid/id, else link, else hash */
	char *url;         /* canonical absolute http(s) URL, or NULL */
	char *title;
	char *summary;
	char *content;
	char *author;
	char **categories; /* ncategories strings */
	size_t ncategories;
	struct enclosure *enclosures;
	size_t nenclosures;
	time_t published;
	time_t updated;
	time_t first_seen; /* set by the store */
	/* The upcoming event the item announces (date.h date_event_nordic),
	 * found when it is ingested and kept with it: UTC, 0 when none. */
	time_t event_start, event_end;
};

struct item_list {
	struct item *v;
	size_t n;
	size_t cap;
};

void item_free(struct item *it); /* frees the members, zeroes *it */
/* Returns a zeroed slot at the end of the list, or NULL when out of memory. */
struct item *item_list_push(struct item_list *l);
void item_list_free(struct item_list *l);
/* Adds a copy of s to the item's categories; returns 0 or -1. */
int item_add_category(struct item *it, const char *s);
/* Adds a copy of an enclosure; returns 0 or -1. */
int item_add_enclosure(struct item *it, const char *url, const char *type, long long length);
/* Deep copy; returns 0 or -1. */
int item_copy(struct item *dst, const struct item *src);
/* 1 when every field, string, category and enclosure is the same (NULL
 * and "" differ). */
int item_equal(const struct item *a, const struct item *b);

/* Fills a missing key from url, else a hash of title, published date and
 * summary; an item with neither title nor summary hashes what else it has
 * (content, author, categories, enclosures, updated date). */
int item_ensure_key(struct item *it);

/* The JSON Lines inspection contract of `bulletin parse`: appends one line
 * (with its '\n') holding an object with key, url, title, summary, content,
 * author, categories (array), published, updated (RFC 3339 UTC or null),
 * and enclosures (an array of {url, type, length}) when the item has any;
 * `source` is added when set. Written directly rather than through a
 * json_t: it is the hot path of `bulletin parse`. Returns 0 or -1 (out of
 * memory). */
int item_to_jsonl(const struct item *it, struct buf *b);
/* The inverse, for `rules test ITEMS.jsonl`. Unknown keys are ignored;
 * returns 0, or -1 with err describing the bad field. */
int item_from_json(const json_t *obj, struct item *it, struct err *err);

#endif
