/* The agenda: what is coming, by date. The association's calendar entries
 * (calendar.h) and the events announced in items the rules select (found
 * when the items were ingested, store/ingest.h), merged into one list of
 * lines: the digest's "På gång", `bulletin calendar` and calendar.ics all
 * show it. */
#ifndef BULLETIN_AGENDA_H
#define BULLETIN_AGENDA_H

#include <stddef.h>
#include <time.h>

#include "compose/calendar.h"
#include "core/err.h"
#include "parse/item.h"
#include "select/rules.h"
#include "store/store.h"

#define AGENDA_UID_MAX 96

struct agenda_line {
	time_t start, end;   /* UTC; end 0: a timed line without an end */
	enum cal_span span;  /* CAL_TIMED, CAL_DAY (all day) or CAL_MONTH */
	/* borrowed from the calendar or the agenda's items */
	const char *title, *place, *url;
	const char *source;  /* an event's source name; NULL for an entry */
	const char *entry;   /* the calendar entry's name; NULL for an event */
	int year;            /* the entry's year */
	int reminder;        /* the entry's reminder is due and was not given yet */
	char uid[AGENDA_UID_MAX]; /* without "@domain": stable across runs */
	size_t order;        /* as found, for equal starts */
};

struct agenda {
	struct agenda_line *v;
	size_t n;
	struct item_list items; /* the items of the events listed (owned) */
};

struct agenda_opts {
	const struct calendar *cal; /* may be NULL: events only */
	const struct rules *rules;  /* events only of items these select; NULL: none */
	time_t from, until;         /* lines not ended at from that start before until */
	/* Non-zero: entries whose reminder is due at `reminders` (from remind
	 * before their start until it) and not given yet (store) are listed
	 * too, marked reminder, even beyond until. */
	time_t reminders;
};

/* Fills out, by start (entries before events on the same start, then in
 * the calendar's or the store's order). Returns 0, or -1 with err (the
 * store, a rule, or memory failed). */
int agenda_build(struct store *s, const struct agenda_opts *o, struct agenda *out,
		 struct err *err);
void agenda_free(struct agenda *a);

/* The UID of the event an item announces: "item-" and a hash of its source
 * and key, the same whenever the item is read. */
void agenda_event_uid(const struct item *it, char *out, size_t len);

/* A hash of what a calendar program shows of the line (times, title,
 * place, link) as 16 hex digits: calendar.ics bumps SEQUENCE when it
 * changes. */
void agenda_line_hash(const struct agenda_line *l, char out[17]);

#endif
