/* The member's greeting ("Hej Karin!"), filled in at send time so the
 * digest is composed once for everybody. */
#ifndef BULLETIN_GREETING_H
#define BULLETIN_GREETING_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

/* A model whose "greeting" is this slot gives parts that carry it where
 * the greeting goes (a word of letters, which Markdown, cmark and HTML
 * escaping leave alone). A model without "greeting" is composed with the
 * generic one from greeting.mustache. */
#define DIGEST_GREETING_SLOT "BULLETINGREETINGSLOT"

/* The same for the footer's unsubscribe link: a model whose
 * "unsubscribe" is this slot gives parts that carry it where the link goes
 * (href and text); each member's copy gets the member's own link. */
#define DIGEST_UNSUBSCRIBE_SLOT "BULLETINUNSUBSCRIBESLOT"
/* A copy of part with every DIGEST_UNSUBSCRIBE_SLOT replaced by url
 * (escaped for an attribute when html; control bytes dropped); NULL url
 * leaves "" there. A plain copy when part has none; NULL for NULL or out
 * of memory. */
char *digest_fill_url(const char *part, const char *url, int html);
/* The same for the "read in your browser" link: a model whose "web_url"
 * is this slot gives parts that carry it there; each message gets the
 * digest's page in the published archive (known once the digest is
 * stored), the archive's own copy none. */
#define DIGEST_WEB_SLOT "BULLETINWEBSLOT"
/* digest_fill_url for any slot. */
char *digest_fill_slot(const char *part, const char *slot, const char *url, int html);

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
/* A greeter with the chrome t (the model's "t"; the reference is taken,
 * NULL: no generic greeting). NULL with err. */
struct digest_greeter *digest_greeter_from_chrome(const char *templates_dir, json_t *t,
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

#endif
