/* The digest: selected items grouped by topic into a JSON model, then
 * rendered through the Mustache templates into subject, Markdown, HTML
 * (Markdown through cmark, safe mode, inside the HTML layout) and text. */
#ifndef BULLETIN_DIGEST_H
#define BULLETIN_DIGEST_H

#include <jansson.h>
#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "parse/item.h"
#include "select/rules.h"

struct digest_opts {
	const char *title;
	const char *language;     /* sv, nb, en: month names and chrome */
	const char *association;  /* footer; may be NULL */
	const char *unsubscribe;  /* mailto: or https: URL; may be NULL */
	long summary_length;      /* bytes; 0 = 180 (about two lines) */
	long max_items;           /* in the whole digest; 0 = no cap */
	long max_per_topic;       /* 0 = no cap */
	const char *archive_url;  /* the published archive ("and N more" links); may be NULL */
	long max_age_days;        /* leave out items published longer ago; 0 = off */
	const struct source *sources; /* for display titles */
	size_t nsources;
};

/* Builds the model from the period's items and their matches (matches[i]
 * belongs to items->v[i]). Only selected items appear, under their best
 * topic, topics in the rules' order, items by score then date, capped per
 * topic and in all ("more" counts what was left out). Near-duplicates (the
 * same canonical URL, or titles with nearly the same words) appear once,
 * naming every source. `t` holds the chrome in the digest's language; each
 * item with a link has a number `ref` and the model a `links` list, for
 * the plain-text part. Returns a new reference, or NULL (out of memory). */
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

/* digest_compose, then, while the HTML part is larger than budget bytes
 * (0: no budget), items are taken from the bottom of the longest topic
 * into its "more" count and the digest is composed again. Gmail clips a
 * message at about 102 KB and hides the rest, unsubscribe link included.
 * The model is changed in place (the archive gets what was sent). */
int digest_compose_budget(json_t *model, const char *templates_dir, size_t budget,
			  struct digest_parts *out, struct err *err);

/* Adds the chair's section to a copy of the model (report: failing[] with
 * name, url, failures, error; dead[] with where, rule; dead_count,
 * include_count, dead_unlisted), with its texts in the model's language.
 * The templates show it inside {{#chair}}. Returns 0 or -1. */
int digest_add_chair(json_t *model, json_t *report);

/* The member's greeting is filled in at send time, so the digest is
 * composed once for everybody: a model whose "greeting" is this slot gives
 * parts that carry it where the greeting goes (a word of letters, which
 * Markdown, cmark and HTML escaping leave alone). A model without
 * "greeting" is composed with the generic one from greeting.mustache. */
#define DIGEST_GREETING_SLOT "BULLETINGREETINGSLOT"

/* templates_dir/greeting.mustache rendered with t (the chrome in language
 * lang) and member {name, first_name} (absent when name is NULL or ""):
 * one line, malloc'd. Without that template: t.greeting. NULL with err. */
char *digest_greeting(const char *templates_dir, const char *lang, const char *name,
		      struct err *err);
/* The same for many members: greeting.mustache is read once. The greeter
 * keeps templates_dir (not copied). NULL with err. */
struct digest_greeter;
struct digest_greeter *digest_greeter_new(const char *templates_dir, const char *lang,
					  struct err *err);
char *digest_greeter_greet(const struct digest_greeter *g, const char *name, struct err *err);
void digest_greeter_free(struct digest_greeter *g);
/* A copy of part with the first slot replaced by greeting (HTML-escaped
 * when html; control bytes dropped); a plain copy when part has no slot. */
char *digest_personalize(const char *part, const char *greeting, int html);
/* The given name in a member's name column: the first word, or the word
 * after a comma ("Öberg, Karin"), skipping a title ending in "." ("Dr.");
 * "" when there is none or it is an address. */
void digest_first_name(const char *name, char *out, size_t outlen);

/* Plain text wrapped at width columns (code points): a long line breaks at
 * spaces, continuation lines indented like the line (past a leading "* "
 * or "[n] "); a word longer than the width (a URL) is not broken. */
char *digest_wrap_text(const char *text, size_t width);

/* Formats a UTC time as a date the language's readers expect:
 * "17 april 2024" (sv), "17. april 2024" (nb), "17 April 2024" (en). */
void digest_format_date(time_t t, const char *language, char *out, size_t outlen);

#endif
