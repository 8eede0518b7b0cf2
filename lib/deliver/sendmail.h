/* Handing a message to the local MTA: `sendmail -oi -t` through a pipe,
 * started directly (posix_spawn, fixed arguments, never a shell), for
 * hosts where a local Postfix or OpenSMTPD does the delivery. */
#ifndef BULLETIN_SENDMAIL_H
#define BULLETIN_SENDMAIL_H

#include <stddef.h>

#include "deliver/smtp.h"

/* Feeds msg (CRLF line ends, as composed; written with LF, as sendmail
 * expects) to PATH -oi -t, which reads the recipients from the To header.
 * Exit 0 is SMTP_SENT, 75 (EX_TEMPFAIL) SMTP_TEMPFAIL, any other status
 * or a signal SMTP_PERMFAIL; a program that cannot be started is
 * SMTP_FATAL. reply says what happened, with the program's first line of
 * stderr when it wrote one. */
enum smtp_result sendmail_send(const char *path, const char *msg, size_t len, char *reply,
			       size_t replylen);

#endif
