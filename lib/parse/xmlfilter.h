/* The repairs made to an XML feed on its way into libxml2. Real feeds
 * carry a bare '&' ("Q&A") and HTML entities (&nbsp;, &aring;) that no DTD
 * declares; libxml2 reports each and (2.9) drops every entity reference
 * after the first error. Outside CDATA, comments, processing
 * instructions and the DOCTYPE, the filter makes a bare '&' "&amp;", a
 * known HTML entity a character reference and an unknown one literal
 * text; the five predefined entities become character references too, so
 * no text depends on how a libxml2 version treats entities after an error.
 * When the DOCTYPE declares entities, names other than the predefined
 * ones pass as they are. State carries across chunks: a construct split
 * between two pushes is held back (at most XMLFILTER_HOLD bytes). */
#ifndef BULLETIN_XMLFILTER_H
#define BULLETIN_XMLFILTER_H

#include <stddef.h>

#include "core/buf.h"

#define XMLFILTER_HOLD 64

struct xmlfilter {
	int state;        /* text, CDATA, comment, PI, DOCTYPE */
	int has_entities; /* the DTD declares entities: names pass through */
	int dt_depth;     /* [ ] nesting in the DOCTYPE */
	char dt_quote;
	char hold[XMLFILTER_HOLD];
	size_t holdlen;
	struct buf in, out;
};

/* Receives the repaired bytes; a non-zero return stops the push. */
typedef int (*xmlfilter_out_fn)(void *ctx, const char *d, size_t n);

/* Repairs d[0..n) and hands it on in slices of at most 64 KiB (libxml2's
 * input buffer stays small); final: nothing follows, the held bytes go
 * too. Returns 0, 1 when out said stop, or -1 when out of memory. */
int xmlfilter_push(struct xmlfilter *f, const char *d, size_t n, int final, xmlfilter_out_fn out,
		   void *ctx);
void xmlfilter_free(struct xmlfilter *f);

#endif
