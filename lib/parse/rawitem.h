/* One feed item as read, before it becomes a struct item: its raw fields
 * (text, HTML or serialised XHTML, each capped at RAW_FIELD_MAX bytes),
 * which of the competing elements filled each (priorities), and the step
 * that turns them into an item (HTML to text, dates, fallbacks, key).
 * The XML and the JSON Feed readers fill it; feed.c builds items from it.
 * The buffers are reused from item to item, so reading allocates nothing
 * per element once they have grown. */
#ifndef BULLETIN_RAWITEM_H
#define BULLETIN_RAWITEM_H

#include <stddef.h>

#include "core/buf.h"
#include "parse/item.h"

#define RAW_FIELD_MAX (1024 * 1024) /* raw bytes kept per field */
#define RAW_MAX_CATEGORIES 64
#define RAW_MAX_ENCLOSURES 16

enum raw_field {
	RF_TITLE = 0, RF_SUMMARY, RF_CONTENT, RF_LINK, RF_GUID_URL, RF_KEY, RF_ABOUT,
	RF_AUTHOR, RF_ANAME, RF_AEMAIL, RF_PUBLISHED, RF_UPDATED, RF_DC_DATE, RF_CREATED,
	RF_CATS,   /* NUL-terminated strings, ncats of them */
	RF_ENCL,   /* url, type, length: NUL-terminated, nencl triples */
	RF_IMAGE,  /* itunes:image href, an enclosure when there is none */
	RF_TMP,    /* a capture read before it is put anywhere */
	RF_COUNT
};

enum raw_type { RT_TEXT = 0, RT_HTML };

struct raw {
	struct buf f[RF_COUNT];
	unsigned full; /* bit per field: cut at the cap, nothing more is added */
	enum raw_type title_t, summary_t, content_t;
	/* Which element filled a field: a higher one replaces a lower one,
	 * an equal one is ignored (the first of its kind wins). */
	int title_prio, summary_prio, content_prio, link_prio, author_prio;
	int key_set, guid_perma, rss_author;
	size_t ncats, nencl;
	int oom;
};

/* An item was read: r holds its fields (the callee may reset them) and
 * feed_author the feed's own author, or NULL. Non-zero stops the parse. */
typedef int (*raw_item_fn)(void *ctx, struct raw *r, const char *feed_author);

/* Appends s[0..n) to field f, up to RAW_FIELD_MAX bytes; a longer field
 * is cut at a UTF-8 character boundary and then takes nothing more. */
void raw_put(struct raw *r, enum raw_field f, const char *s, size_t n);
/* Empties field f (and forgets that it was cut). */
void raw_clear(struct raw *r, enum raw_field f);
/* Field f := s (NULL: empty). */
void raw_set(struct raw *r, enum raw_field f, const char *s, size_t n);
/* A category, kept only when it fits whole (count and bytes capped). */
void raw_add_category(struct raw *r, const char *s, size_t n);
/* "tag one, tag two" as categories. */
void raw_add_category_list(struct raw *r, const char *s, size_t n);
/* An enclosure with an already resolved URL; kept only when it fits whole. */
void raw_add_enclosure(struct raw *r, const char *url, size_t ulen, const char *type,
		       size_t tlen, const char *length, size_t llen);
void raw_reset(struct raw *r); /* every field empty, priorities 0; keeps the buffers */
void raw_free(struct raw *r);
/* Bytes the fields hold allocated (to drop buffers a huge item grew). */
size_t raw_allocated(const struct raw *r);

/* The Atom person read into RF_ANAME and RF_AEMAIL: "Name (email)", or
 * either alone; NULL when neither (or out of memory). */
char *raw_person(const struct raw *r);

/* Builds it from r: feed_author when the item names none, summaries cut
 * at summary_max, sc scratch space reused between items. Returns 0, 1
 * when the element held nothing at all (no id, link, title, text, author,
 * category, enclosure or date: the caller drops and counts it), or -1
 * when out of memory. */
int raw_build(const struct raw *r, const char *feed_author, size_t summary_max, struct buf *sc,
	      struct item *it);

#endif
