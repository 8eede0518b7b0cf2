/* The digest model: the period's selected items grouped by topic into a
 * JSON document (what templates render, `bulletin digest --format json`
 * prints and the archive keeps). Rendering is render.h; the chrome in each
 * language chrome.h; the member's greeting greeting.h. */
#ifndef BULLETIN_DIGEST_H
#define BULLETIN_DIGEST_H

#include <jansson.h>
#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "parse/item.h"
#include "select/rules.h"

struct agenda;

enum { DIGEST_DROPPED = 1, DIGEST_FORCED = 2 };

struct digest_opts {
	const char *title;
	const char *language;     /* sv, nb, en: month names and chrome */
	const char *timezone;     /* dates shown in it; NULL: Europe/Stockholm */
	const char *association;  /* footer; may be NULL */
	const char *association_name; /* the masthead ([mail] from_name); may be NULL */
	const char *unsubscribe;  /* mailto: or https: URL; may be NULL */
	long summary_length;      /* bytes; 0 = 180 (about two lines) */
	long max_items;           /* in the whole digest; 0 = no cap */
	long max_per_topic;       /* 0 = no cap */
	const char *archive_url;  /* the published archive ("and N more" links); may be NULL */
	long max_age_days;        /* leave out items published longer ago; 0 = off */
	const struct source *sources; /* for display titles */
	size_t nsources;
	const struct agenda *agenda;  /* "På gång" (agenda.h); NULL: no such section */
	/* The review's edits, per item (NULL: none): pin_rank[i] > 0 puts
	 * items->v[i] first in its topic, lower ranks first; edit[i] is
	 * DIGEST_DROPPED (it and every near-duplicate of it stay out) or
	 * DIGEST_FORCED (added or pinned: no cap leaves it out). */
	const size_t *pin_rank;
	const char *edit;
};

/* Builds the model from the period's items and their matches (matches[i]
 * belongs to items->v[i]). Only selected items appear, under their best
 * topic, topics in the rules' order, items by score then date (pinned
 * ones first), each with its store "id", capped per
 * topic and in all ("more" counts what was left out). Near-duplicates (the
 * same canonical URL, or titles with nearly the same words) appear once,
 * naming every source. `t` holds the chrome in the digest's language; each
 * item with a link has a number `ref` and the model a `links` list, for
 * the plain-text part. Returns a new reference, or NULL (out of memory). */
json_t *digest_model_build(const struct digest_opts *o, const struct rules *r,
			   const struct item_list *items, const struct match *matches,
			   time_t period_start, time_t period_end);

/* 1 when max_age_days (> 0) leaves the item out of a digest whose period
 * ends at end: it was published more than that many days before. */
int digest_too_old(const struct item *it, long max_age_days, time_t end);

/* The agenda as the model's "upcoming": {title, has_lines, lines[],
 * reminders[]}. A line: date_text, time_text (timed lines), title,
 * place, url (http/https), source (an event's), reminder, kind ("entry"
 * or "event"), start, end, all_day, and an entry's name and year;
 * reminders lists {entry, year} of the lines that are reminders (given
 * once the digest is stored: compose.h). Texts in o->language. */
json_t *digest_upcoming(const struct digest_opts *o, const struct agenda *a);

/* Every text of the model in lang (sv, nb, nn, da, en; else Swedish):
 * the chrome "t", "language", the dates, sources, events, agenda lines,
 * counts, the watched pages' changes (from their "l10n") and the chair's
 * section, from the model's language-neutral data. digest_model_build
 * ends with it; a stored digest is rendered in a member's language with
 * it. The links are numbered again. */
void digest_model_localize(json_t *model, const char *lang);

/* The model's cuts for the size budget (render.h): the last item of the
 * topic with the most items moves into its "more" count; -1 when every
 * topic is down to one item. Then the links are numbered again. */
int digest_model_drop_one(json_t *model);
void digest_model_number_links(json_t *model);

/* Sets the model's "watch" (the watched pages' changes, compose/watch.h;
 * the reference is stolen) and "has_watch", and numbers the links again:
 * the changes come first in the digest and count among its items. 0 or -1. */
int digest_model_add_watch(json_t *model, json_t *items);

/* Adds the chair's section to a copy of the model (report: failing[] with
 * name, url, failures, error; dead[] with where, rule; dead_count,
 * include_count, dead_unlisted), with its texts in the model's language.
 * The templates show it inside {{#chair}}. Returns 0 or -1. */
int digest_add_chair(json_t *model, json_t *report);

#endif
