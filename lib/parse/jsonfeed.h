/* JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1): the document is
 * read whole with jansson, each item into the raw fields of rawitem.h. */
#ifndef BULLETIN_JSONFEED_H
#define BULLETIN_JSONFEED_H

#include <stddef.h>

#include "core/err.h"
#include "parse/rawitem.h"

/* Repairs, in place and without changing the length, what would make
 * jansson reject the whole feed for one string: the escape \u0000 and
 * lone surrogate escapes become \uFFFD, a raw control byte inside a
 * string a space. Returns how many were repaired. */
size_t jsonfeed_repair(char *s, size_t n);

/* Reads data[0..len) (repaired in place first); each item goes to fn
 * with r, which is the caller's scratch. *format gets "jsonfeed1.0" or
 * "jsonfeed1.1". Returns 0, or -1 with err (not JSON, not a JSON Feed,
 * out of memory); items handed out before stay handed out. fn's non-zero
 * return ends the reading with 0. */
int jsonfeed_read(char *data, size_t len, const char *base_url, struct raw *r, raw_item_fn fn,
		  void *ctx, const char **format, struct err *err);

#endif
