/* The compose step: the period's items from the store, matched against
 * the rules, built into the digest model and rendered through the
 * templates into a digest row (subject, Markdown, HTML, text, calendar)
 * ready to be stored and delivered; beside it the chair's report (failing
 * sources, rules that matched nothing), which is never archived. */
#ifndef BULLETIN_COMPOSE_H
#define BULLETIN_COMPOSE_H

#include <jansson.h>
#include <time.h>

#include "compose/calendar.h"
#include "core/config.h"
#include "core/err.h"
#include "select/rules.h"
#include "store/store.h"

/* The chair's review (issue 20) applied to a period's digest: items by
 * their store id. */
struct compose_edits {
	const int64_t *drop;  /* never shown (the selection's and the reviewers') */
	size_t ndrop;
	const int64_t *pin;   /* first in their topic, in this order */
	size_t npin;
	const int64_t *add;   /* shown though the rules did not select them */
	size_t nadd;
	const char *note;     /* Markdown at the top of the issue; NULL: none */
};

struct compose_opts {
	const struct config *cfg;
	const struct rules *rules;
	time_t now;   /* the period ends one second after now */
	time_t since; /* 0: the period starts where the last completed digest ended */
	/* 1: the parts carry DIGEST_GREETING_SLOT for each member's greeting
	 * (after checking that greeting.mustache renders) and
	 * DIGEST_UNSUBSCRIBE_SLOT for the member's own unsubscribe link; the
	 * returned model has the generic ones either way. */
	int personal;
	/* The association's calendar (calendar.h; NULL: none): its entries
	 * and the selected items' events of the next [calendar] weeks go into
	 * the model's "upcoming", with the reminders due at now. */
	const struct calendar *calendar;
	/* The review's edits (NULL: none). */
	const struct compose_edits *edits;
	/* Non-NULL: *below gets the items the rules nearly selected (scored
	 * at least half a topic's threshold, not in the digest), best first,
	 * at most COMPOSE_BELOW: {id, title, url, source_title, score,
	 * threshold}. New reference. */
	json_t **below;
};
#define COMPOSE_BELOW 12

enum {
	COMPOSE_OK = 0,
	COMPOSE_STORE_FAILED = -1,    /* err says why */
	COMPOSE_TEMPLATE_FAILED = -2, /* a template or greeting: err has file:line:col */
	COMPOSE_FAILED = -3           /* out of memory, or a rule could not run */
};

/* Fills row (id 0: not yet stored) and, when non-NULL, *model (the JSON
 * model as the budget left it) and *chair_report. Returns COMPOSE_OK or
 * one of the failures above with err. */
int compose_digest(struct store *s, const struct compose_opts *o, struct digest_row *row,
		   json_t **model, json_t **chair_report, struct err *err);

/* What the chair should look at among items (matches[i] belongs to
 * items->v[i]): sources of cfg whose last fetches failed, and include rules
 * that matched nothing. New reference (its keys: digest_add_chair). */
json_t *compose_chair_report(struct store *s, const struct config *cfg, const struct rules *rules,
			     const struct item_list *items, const struct match *matches);

/* The same for the items first seen in [start, end) (a stored digest's
 * period), matched now. NULL with err. */
json_t *compose_chair_report_period(struct store *s, const struct config *cfg,
				    const struct rules *rules, time_t start, time_t end,
				    struct err *err);

/* The one unsubscribe link of a footer, from [mail] unsubscribe (one or
 * more mailto: and https: URLs, separated by commas or spaces): the first
 * https one when prefer_https, else the first mailto one, else the first
 * of the other kind. NULL when there is none; malloc'd. */
char *compose_unsubscribe_url(const char *configured, int prefer_https);

/* A copy of a stored row as the archive shows it: rendered again from its
 * model as the archive's page (compose_render), or, for a digest stored
 * without one, its parts with the generic greeting in place of the slot;
 * either way the list's generic unsubscribe link (a mailto: when there is
 * one: the archive is public, a member's link is not). Returns COMPOSE_OK, COMPOSE_TEMPLATE_FAILED or
 * COMPOSE_FAILED with err. */
int compose_archive_row(const struct config *cfg, const struct digest_row *row,
			struct digest_row *out, struct err *err);

/* How compose_render renders a model. */
struct compose_render_opts {
	const char *language;  /* every text in it (digest_model_localize); NULL: the model's */
	int personal;          /* the slots each member's copy fills (greeting.h) */
	int archive_page;      /* the archive's page: "archive_page" and "index_url" set */
	const json_t *chair;   /* the chair's report: her section (digest_add_chair); NULL: none */
};

/* A digest's model (as stored with the digest, or composed now) rendered
 * through cfg's templates again, unchanged: a member's language, the
 * chair's copy, the archive's page. Returns COMPOSE_OK, or
 * COMPOSE_TEMPLATE_FAILED / COMPOSE_FAILED with err. */
struct digest_parts;
int compose_render(const struct config *cfg, const json_t *model, const struct compose_render_opts *o,
		   struct digest_parts *out, struct err *err);

/* Records the reminders a stored digest's model gave (the model's
 * upcoming.reminders) under row->id, so a rerun or a resend never gives
 * them again; called inside the transaction that stores the row (deliver's
 * send step). A preview that is not stored gives none. Returns 0, or -1
 * with err. */
int compose_mark_reminders(struct store *s, const struct digest_row *row, const json_t *model,
			   struct err *err);

/* calendar.ics for subscribers: every entry of cal (may be NULL) and
 * every event of an item the rules select, from a month before now to a
 * year after it, each with its stable UID and a SEQUENCE that the store
 * bumps when a detail changes. *out is malloc'd. Returns 0, or -1 with
 * err (the store or a rule failed, out of memory). */
int compose_calendar_ics(struct store *s, const struct config *cfg, const struct rules *rules,
			 const struct calendar *cal, time_t now, char **out, struct err *err);

#endif
