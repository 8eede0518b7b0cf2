/* News listing pages: sources that publish no feed, only an HTML page with
 * a list of news. Selectors say where the items are; each is CSS (the
 * common subset: element, .class, #id, [attr], [attr=value], descendant
 * and child combinators, :first-child) or XPath 1.0 (starting with "/",
 * "./", "(" or "xpath:"). */
#ifndef BULLETIN_HTML_H
#define BULLETIN_HTML_H

#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "parse/item.h"

struct html_selectors {
	const char *item;     /* required: one match per news item */
	const char *title;    /* relative to the item; NULL: the first heading or link text */
	const char *link;     /* relative; NULL: the first a[href] (or the title's link) */
	const char *date;     /* relative; NULL: <time datetime>, else a date in the text */
	const char *summary;  /* relative; NULL: the item's main text, without navigation */
};

struct html_opts {
	const char *base_url; /* the page's URL, for relative links */
	size_t summary_max;   /* 0 = 600 */
	time_t now;           /* for "idag"/"i går"; 0 = time(NULL) */
};

/* Extracts the items (UTF-8 input; see charset.h). Returns the number of
 * items appended (> 0), or -1 with err: a selector that does not compile
 * ("item selector \".news li\": ..."), or an item selector that matches
 * nothing (the site changed its layout: a failure of the source, never a
 * quiet empty week). */
int html_extract(const char *data, size_t len, const struct html_selectors *sel,
		 const struct html_opts *opts, struct item_list *out, struct err *err);

/* How a libxml2 element counts for text: 2 navigation-like chrome (menus,
 * breadcrumbs, cookie banners, hidden elements, scripts), 1 other chrome
 * (header, footer, aside, forms, dialogs), 0 content. */
struct _xmlNode;
int html_node_chrome(const struct _xmlNode *n);

#endif
