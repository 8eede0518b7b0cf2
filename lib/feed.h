/* Feed documents (RSS 2.0, Atom 1.0; more formats later) into items.
 * The input must already be UTF-8 or declare its encoding in the XML
 * declaration; nothing here touches the network (no DTDs, no external
 * entities). */
#ifndef BULLETIN_FEED_H
#define BULLETIN_FEED_H

#include <stddef.h>

#include "err.h"
#include "item.h"

struct feed_opts {
	const char *base_url;  /* the document's URL, for relative links; may be NULL */
	size_t summary_max;    /* cut summaries at a word boundary to this many bytes; 0 = 600 */
};

/* Appends the document's items to out, each with a key (item_ensure_key).
 * Returns the number of items appended (>= 0), or -1 with err saying what
 * is wrong and where ("line 3, column 7: ..." / "not an RSS or Atom document
 * (root element <html>)"). Items already appended stay on -1. */
int feed_parse(const char *data, size_t len, const struct feed_opts *opts,
	       struct item_list *out, struct err *err);

#endif
