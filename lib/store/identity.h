/* Item identity that survives what real feeds do. Parsers key an item by
 * its guid/id, else its link, else a hash. Two feed bugs break that:
 *  - ids that change on every fetch (a caching bug seen on a Swedish
 *    agency's feed): every item would be new every week;
 *  - one link for every item (often the site's front page) with no ids:
 *    new items would look seen.
 * identity_assign detects both against the store and switches the source
 * to a better key, for good: by link, or by title. */
#ifndef BULLETIN_IDENTITY_H
#define BULLETIN_IDENTITY_H

#include "core/err.h"
#include "parse/item.h"
#include "store/store.h"

enum key_mode { KEY_AUTO = 0, KEY_LINK, KEY_TITLE };
const char *key_mode_name(enum key_mode m);

struct identity_report {
	enum key_mode mode;  /* the mode the items were keyed by */
	int switched;        /* 1 when this fetch changed the source's mode */
	char note[320];      /* why, for the chair, when switched */
};

/* Re-keys items (all of one source) according to the source's mode,
 * switching the mode first when this fetch shows one of the bugs above.
 * Items that match a stored item by the new key's rule take that item's
 * stored key, so switching never makes old items new. Returns 0, or -1
 * with err (the store failed). */
int identity_assign(struct store *s, const char *source, struct item_list *items,
		    struct identity_report *rep, struct err *err);

#endif
