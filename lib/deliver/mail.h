/* One digest message per member, composed as MIME with libetpan. */
#ifndef BULLETIN_MAIL_H
#define BULLETIN_MAIL_H

#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct mail_msg {
	const char *from_name, *from_addr;
	const char *reply_to;          /* may be NULL */
	const char *to_name, *to_addr;
	const char *subject;           /* UTF-8; RFC 2047-encoded when not ASCII */
	const char *message_id;        /* without <>; deterministic per digest and member */
	const char *list_id;           /* may be NULL */
	const char *list_unsubscribe;  /* a mailto: or https: URL; may be NULL */
	time_t date;
	const char *text;              /* text/plain part, UTF-8 */
	const char *html;              /* text/html part, UTF-8; NULL: text/plain alone */
	const char *calendar;          /* the events (an iCalendar object, method PUBLISH),
					* attached after the digest; NULL: none. Ignored
					* without html. */
	const char *calendar_name;     /* its file name ("kalender.ics"); NULL: "calendar.ics" */
};

/* Writes the complete message (headers, CRLF line ends) to out: a
 * multipart/alternative of text/plain and text/html, all UTF-8 and
 * quoted-printable (a single text/plain part when html is NULL). With a
 * calendar, a multipart/mixed of that alternative first (the digest is
 * what every client shows) and the events as an attached text/calendar
 * file. CR/LF in any header value is replaced by a space.
 * Returns 0, or -1 with err. */
int mail_compose(const struct mail_msg *m, struct buf *out, struct err *err);

#endif
