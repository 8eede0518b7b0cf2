/* The digest: selected items grouped by topic into a JSON model, then
 * rendered through the Mustache templates into subject, Markdown, HTML
 * (Markdown through cmark, safe mode, inside the HTML layout) and text. */
#ifndef BULLETIN_DIGEST_H
#define BULLETIN_DIGEST_H

#include <jansson.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "item.h"
#include "rules.h"

struct digest_opts {
	const char *title;
	const char *language;     /* sv, nb, en: month names and chrome */
	const char *association;  /* footer; may be NULL */
	const char *unsubscribe;  /* mailto: or https: URL; may be NULL */
	long summary_length;      /* bytes; 0 = 300 */
	long max_items;           /* 0 = no cap */
	long max_age_days;        /* leave out items published longer ago; 0 = off */
	const struct source *sources; /* for display titles */
	size_t nsources;
};

/* Builds the model from the period's items and their matches (matches[i]
 * belongs to items->v[i]). Only selected items appear, under their best
 * topic, topics in the rules' order, items by score then date. Returns a
 * new reference, or NULL (out of memory). */
json_t *digest_model_build(const struct digest_opts *o, const struct rules *r,
			   const struct item_list *items, const struct match *matches,
			   time_t period_start, time_t period_end);

struct digest_parts {
	char *subject;  /* one line, no CR/LF */
	char *markdown;
	char *html;
	char *text;
};

/* Renders the model with templates_dir/{subject.mustache, digest.md.mustache,
 * layout.html.mustache, digest.txt.mustache}; `{{> name}}` loads
 * templates_dir/name.mustache. Returns 0, or -1 with err "file:line:col: ...". */
int digest_compose(const json_t *model, const char *templates_dir, struct digest_parts *out,
		   struct err *err);
void digest_parts_free(struct digest_parts *p);

/* Formats a UTC time as a date the language's readers expect:
 * "17 april 2024" (sv), "17. april 2024" (nb), "17 April 2024" (en). */
void digest_format_date(time_t t, const char *language, char *out, size_t outlen);

#endif
