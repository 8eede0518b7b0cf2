/* SMTP submission over one reused connection (libcurl's SMTP: verified TLS
 * with SNI, timeouts, AUTH), reconnecting when the server closes it (421,
 * EOF) or after per_connection messages. */
#ifndef BULLETIN_SMTP_H
#define BULLETIN_SMTP_H

#include <stddef.h>

#include "core/err.h"

struct smtp_opts {
	const char *url;       /* smtp://host:port (STARTTLS when tls=1), smtps://host:465 */
	int starttls;          /* 1: require STARTTLS on smtp:// */
	int verify_tls;        /* 1 (default): verify the certificate and host name */
	const char *username;  /* NULL: no AUTH */
	const char *password;
	const char *helo_name; /* may be NULL */
	long timeout;          /* seconds per message up to its last byte; 0 = 60 */
	/* Seconds to wait for the reply to the final "." once the whole
	 * message is sent: RFC 5321 4.5.3.2.6 gives the server 10 minutes, and
	 * giving up sooner cannot tell "not delivered" from "delivered, reply
	 * late". 0 = 600. */
	long data_timeout;
	const char *ca_file;   /* CA bundle to trust instead of the system's; NULL: system */
	long per_connection;   /* messages per connection, then QUIT and reconnect; 0 = no limit */
};

struct smtp_session;

enum smtp_result {
	SMTP_SENT = 0,   /* 2xx */
	SMTP_TEMPFAIL,   /* 4xx or a lost connection: try later */
	SMTP_PERMFAIL,   /* 5xx for this recipient or message */
	SMTP_FATAL,      /* the session cannot go on (AUTH, MAIL FROM refused, setup) */
	/* The whole message went out and no reply came (data_timeout passed,
	 * or the connection ended): it may have been delivered. Never retry
	 * it; a person decides. */
	SMTP_IN_DOUBT
};

int smtp_open(const struct smtp_opts *o, struct smtp_session **out, struct err *err);
/* Sends one message to one recipient; reuses the connection. reply gets
 * the server's last reply or curl's message. A reused connection found
 * closed before the server answered anything is reopened once at once
 * (nothing can have been delivered); after a 421 or a lost connection the
 * next call starts a new one. */
enum smtp_result smtp_send(struct smtp_session *s, const char *from, const char *to,
			   const char *msg, size_t len, char *reply, size_t replylen);
/* fn(ctx) runs once per message, after the server said 354 to DATA and
 * before the first byte of the message leaves: the moment from which the
 * message may arrive. The ledger records "sending" there. When fn returns
 * -1 nothing of the message is sent and smtp_send returns SMTP_FATAL with
 * reply "stopped before sending: ...". NULL: none. */
void smtp_set_data_hook(struct smtp_session *s, int (*fn)(void *ctx), void *ctx);
/* The verb whose reply decided the last smtp_send ("RCPT", "DATA", "MAIL",
 * "AUTH", "EHLO", ...), or "" when the server never answered (refused,
 * lost, timed out): tells a recipient's problem from the server's. */
const char *smtp_last_command(const struct smtp_session *s);
/* Connections opened so far (for logs and tests). */
long smtp_connections(const struct smtp_session *s);
void smtp_close(struct smtp_session *s);

#endif
