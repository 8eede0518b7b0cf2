/* The digest's upcoming events as an iCalendar object (RFC 5545), for the
 * message's text/calendar part. */
#ifndef BULLETIN_ICAL_H
#define BULLETIN_ICAL_H

#include <jansson.h>
#include <time.h>

#define ICAL_MAX_EVENTS 50

/* One VEVENT. Times are UTC; all_day: start and end are Stockholm/Oslo
 * midnights, written as VALUE=DATE days (end the day after the last). */
struct ical_event {
	const char *uid;          /* without "@domain"; NULL: left out */
	time_t start, end;        /* end 0 (or not after start): no DTEND */
	int all_day;
	const char *summary, *location, *url, *description; /* may be NULL; url http(s) only */
	int sequence;             /* -1: no SEQUENCE */
	time_t created, modified; /* 0: no CREATED, LAST-MODIFIED */
};

struct ical_opts {
	const char *from_address; /* UIDs end in "@" and its domain ("bulletin" when none) */
	time_t dtstamp;           /* 0: now */
	const char *name;         /* the calendar's name for subscribers (NAME,
				     X-WR-CALNAME, a 12-hour refresh); NULL: none */
	int empty_ok;             /* write a calendar with no events (a subscription) */
	const char *organizer;    /* the association's name: ORGANIZER;CN=it:mailto:from_address
				     (no ORGANIZER without a plain sender address) */
};

/* A VCALENDAR (METHOD:PUBLISH) with a VEVENT per event: UID, DTSTAMP,
 * DTSTART, DTEND, SEQUENCE, CREATED, LAST-MODIFIED, ORGANIZER, SUMMARY, LOCATION,
 * URL, DESCRIPTION (ending with the URL), TRANSP:TRANSPARENT. TEXT values
 * escaped, CRLF line ends, lines folded at 75 octets between UTF-8
 * characters. Returns 1 and *out (malloc'd), 0 when no event could be
 * written and !empty_ok (*out NULL), -1 when out of memory. */
int ical_write(const struct ical_event *v, size_t n, const struct ical_opts *o, char **out);

/* A VCALENDAR with METHOD:PUBLISH and one VEVENT per entry of the model's
 * "events" (digest_model_build) and per other line of its "upcoming" with
 * a day (the association's entries; at most ICAL_MAX_EVENTS in all): UID
 * (the event's uid @ the domain of from_address, "bulletin" when there is
 * none), DTSTAMP (the model's "generated"), DTSTART and DTEND (UTC, or
 * days), ORGANIZER (the model's "association_name", from_address),
 * SUMMARY, LOCATION (a line's place), URL (http and https only),
 * DESCRIPTION (sources and link). TEXT values
 * escaped, CRLF line ends, lines folded at 75 octets between UTF-8
 * characters. Returns 1 and *out (malloc'd), 0 when the model carries no
 * events (*out NULL), -1 when out of memory. */
int ical_from_model(const json_t *model, const char *from_address, char **out);

/* Appends one content line: name ":" value, folded, CRLF. value is used as
 * is (escape TEXT first). Returns 0 or -1. */
struct buf;
int ical_line(struct buf *b, const char *name, const char *value);
/* Appends s as an RFC 5545 TEXT value: backslash, ";" and "," escaped,
 * line ends as "\n", other control bytes dropped, invalid UTF-8 as U+FFFD.
 * Returns 0 or -1. */
int ical_text(struct buf *b, const char *s);

#endif
