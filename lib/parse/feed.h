/* Feed documents into items: RSS 0.90/0.91/0.92/1.0 (RDF)/2.0, Atom
 * 0.3/1.0 and JSON Feed 1.0/1.1, the format detected from the document.
 * XML is read by libxml2's SAX2 push parser (no tree, recover mode, no
 * DTDs or external entities, entity expansion capped); memory stays flat
 * whatever the document's size. The input should be UTF-8 or declare its
 * encoding; nothing here touches the network. */
#ifndef BULLETIN_FEED_H
#define BULLETIN_FEED_H

#include <stddef.h>

#include "core/err.h"
#include "parse/item.h"

struct feed_opts {
	const char *base_url;  /* the document's URL, for relative links; may be NULL */
	size_t summary_max;    /* cut summaries at a word boundary to this many bytes; 0 = 600 */
};

/* Streaming: the document is pushed in chunks and each item is handed to
 * the callback as soon as it ends, so memory stays flat whatever the size
 * of the document. The callback may take the item's fields (set them to
 * NULL); the parser frees what is left after it returns. A non-zero return
 * stops the parse (feed_parser_push then fails with "stopped"). */
typedef int (*feed_item_fn)(void *ctx, struct item *it);
struct feed_parser;
/* NULL when out of memory. The format is detected from the first bytes:
 * RSS 0.90/0.91/0.92/1.0 (RDF)/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1. */
struct feed_parser *feed_parser_new(const struct feed_opts *opts, feed_item_fn cb, void *ctx);
/* Returns 0, or -1 with err at the first fatal error ("line L, column C: ..."). */
int feed_parser_push(struct feed_parser *p, const char *data, size_t len, struct err *err);
/* Ends the document. Returns the number of items handed out, or -1 with err
 * (items already handed out stay valid). Only items whose end tag was seen
 * are handed out: the last item of a cut-off document is not. */
int feed_parser_finish(struct feed_parser *p, struct err *err);
/* "rss2.0", "rss1.0", "rss0.91", "atom1.0", "atom0.3", "jsonfeed1.1", ...
 * once known; NULL before. */
const char *feed_parser_format(const struct feed_parser *p);
/* Items dropped so far because they held nothing (no id, link, title,
 * text, author, category, enclosure or date); each document's count is
 * also logged as a warning. */
int feed_parser_dropped(const struct feed_parser *p);
void feed_parser_free(struct feed_parser *p);

/* Appends the document's items to out, each with a key (item_ensure_key).
 * Returns the number of items appended (>= 0), or -1 with err saying what
 * is wrong and where ("line 3, column 7: ..." / "not an RSS or Atom document
 * (root element <html>)"). Items already appended stay on -1. */
int feed_parse(const char *data, size_t len, const struct feed_opts *opts,
	       struct item_list *out, struct err *err);

#endif
