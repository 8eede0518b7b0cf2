/* Handing a message to the local MTA: `sendmail -i -f FROM -- TO` through
 * a pipe, started directly (posix_spawn, fixed arguments, never a shell)
 * with a scrubbed environment, for hosts where a local Postfix or
 * OpenSMTPD does the delivery. */
#ifndef BULLETIN_SENDMAIL_H
#define BULLETIN_SENDMAIL_H

#include <stddef.h>

#include "deliver/smtp.h"

/* Feeds msg (CRLF line ends, as composed; written with LF, as sendmail
 * expects) to PATH -i -f FROM -- TO: the envelope sender is ours (bounces
 * come back to it), the one recipient is the member, a line with a lone
 * "." does not end the message. The program gets PATH, LANG and TZ from
 * our environment and nothing else (no password_env, no variable of the
 * caller's). Exit 0 is SMTP_SENT, 75 (EX_TEMPFAIL) SMTP_TEMPFAIL, any
 * other status or a signal SMTP_PERMFAIL; a program that cannot be
 * started, or an invalid sender, is SMTP_FATAL; an invalid recipient
 * SMTP_PERMFAIL, without starting anything. reply says what happened,
 * with the program's first line of stderr when it wrote one. */
enum smtp_result sendmail_send(const char *path, const char *from, const char *to,
			       const char *msg, size_t len, char *reply, size_t replylen);

#endif
