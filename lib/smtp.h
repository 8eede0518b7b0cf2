/* SMTP submission over one connection (libcurl's SMTP: verified TLS with
 * SNI, timeouts, AUTH, connection reuse). */
#ifndef BULLETIN_SMTP_H
#define BULLETIN_SMTP_H

#include <stddef.h>

#include "err.h"

struct smtp_opts {
	const char *url;       /* smtp://host:port (STARTTLS when tls=1), smtps://host:465 */
	int starttls;          /* 1: require STARTTLS on smtp:// */
	int verify_tls;        /* 1 (default): verify the certificate and host name */
	const char *username;  /* NULL: no AUTH */
	const char *password;
	const char *helo_name; /* may be NULL */
	long timeout;          /* seconds per message; 0 = 60 */
};

struct smtp_session;

enum smtp_result {
	SMTP_SENT = 0,   /* 2xx */
	SMTP_TEMPFAIL,   /* 4xx or a lost connection: try later */
	SMTP_PERMFAIL,   /* 5xx for this recipient or message */
	SMTP_FATAL       /* the session cannot go on (AUTH, MAIL FROM refused, setup) */
};

int smtp_open(const struct smtp_opts *o, struct smtp_session **out, struct err *err);
/* Sends one message to one recipient; reuses the connection. reply gets
 * the server's last reply or curl's message. */
enum smtp_result smtp_send(struct smtp_session *s, const char *from, const char *to,
			   const char *msg, size_t len, char *reply, size_t replylen);
void smtp_close(struct smtp_session *s);

#endif
