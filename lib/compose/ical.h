/* The digest's upcoming events as an iCalendar object (RFC 5545), for the
 * message's text/calendar part. */
#ifndef BULLETIN_ICAL_H
#define BULLETIN_ICAL_H

#include <jansson.h>

#define ICAL_MAX_EVENTS 50

/* A VCALENDAR with METHOD:PUBLISH and one VEVENT per entry of the model's
 * "events" (digest_model_build; at most ICAL_MAX_EVENTS): UID (the event's
 * uid @ the domain of from_address, "bulletin" when there is none),
 * DTSTAMP (the model's "generated"), DTSTART and DTEND in UTC, SUMMARY,
 * URL (http and https only), DESCRIPTION (sources and link). TEXT values
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
