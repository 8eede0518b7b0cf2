/* The XML half of the feed parser: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0
 * through libxml2's SAX2 push parser (no tree, recover mode, no DTD or
 * external entity loaded, entity expansion capped), public libxml2 API
 * only. Each item child is classified once through a sorted tag table;
 * its text is captured into the raw item's fields, and each item whose end
 * tag is seen is handed on. */
#ifndef BULLETIN_FEEDXML_H
#define BULLETIN_FEEDXML_H

#include <stddef.h>

#include "core/err.h"
#include "parse/rawitem.h"

struct feedxml;

/* base_url: the document's address, or NULL; fn gets each item whose
 * end tag is seen. NULL when out of memory. */
struct feedxml *feedxml_new(const char *base_url, raw_item_fn fn, void *ctx);
/* The bytes of the document in order; raw: UTF-16/32, which goes to
 * libxml2 without the repairs of xmlfilter.h. final: the document ends. */
void feedxml_push(struct feedxml *x, const char *d, size_t n, int raw, int final);
/* 0 while the parse may go on (a recovered error waits for the end), or
 * -1 with err: out of memory, stopped, not a feed, or at_end the first
 * XML error ("line L, column C: ..."). */
int feedxml_check(const struct feedxml *x, struct err *err, int at_end);
/* 1 once the callback said stop or memory ran out. */
int feedxml_stopped(const struct feedxml *x);
/* "rss2.0", "rss1.0", "atom1.0", ... once the root is read; NULL before. */
const char *feedxml_format(const struct feedxml *x);
void feedxml_free(struct feedxml *x);

#endif
