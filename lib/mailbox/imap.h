/* The IMAP client (libetpan's mailimap): a session on one server, its
 * folders, bounded fetches and moves. TLS is verified (GnuTLS, the
 * system's CAs or ca_file, the host name, SNI) before the password goes
 * out: imaps:// from the start, imap:// upgraded with STARTTLS; plain IMAP
 * only to the loopback address or with tls_none. */
#ifndef BULLETIN_IMAP_H
#define BULLETIN_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct imap_opts {
	const char *url;      /* imaps://host[:port][/] or imap://host[:port][/] */
	int tls_none;         /* plain IMAP even to another host */
	const char *ca_file;  /* PEM bundle to trust instead of the system's; NULL: system */
	const char *user, *password;
	long timeout;         /* seconds per command; 0 = 60 */
};

/* Failures: IMAP_TEMP (the server is down, busy or the connection broke:
 * try later) or IMAP_SETUP (the URL, the certificate, the login, a folder:
 * someone must fix it). */
enum { IMAP_TEMP = -1, IMAP_SETUP = -2 };

struct imap;

int imap_open(const struct imap_opts *o, struct imap **out, struct err *err);
void imap_close(struct imap *m); /* LOGOUT, then frees */

/* name with '/' read as the server's hierarchy delimiter; created (and
 * subscribed) when missing. *server_name: as the server spells it (caller
 * frees). */
int imap_folder_ensure(struct imap *m, const char *name, char **server_name, struct err *err);
/* SELECT; *uidvalidity of the folder. */
int imap_select(struct imap *m, const char *folder, uint32_t *uidvalidity, struct err *err);
/* UID SEARCH of the selected folder: messages not flagged \Deleted
 * (deleted = 0) or flagged (1), ascending. *uids is the caller's. */
int imap_uids(struct imap *m, int deleted, uint32_t **uids, size_t *n, struct err *err);

struct imap_msg {
	uint32_t uid;
	uint32_t size;  /* RFC822.SIZE: the whole message */
	char *data;     /* the header (at most header_max bytes) then the body's
			 * first text_max bytes: never the whole of a big one */
	size_t len;
};
/* UID FETCH (UID RFC822.SIZE BODY.PEEK[HEADER]<0.header_max>
 * BODY.PEEK[TEXT]<0.text_max>) of uids; *out in the server's order (a
 * UID no longer there is missing). Never sets \Seen. */
int imap_fetch(struct imap *m, const uint32_t *uids, size_t n, size_t header_max,
	       size_t text_max, struct imap_msg **out, size_t *nout, struct err *err);
void imap_msgs_free(struct imap_msg *v, size_t n);

/* Moves uids of the selected folder to dest: UID MOVE when the server has
 * MOVE, else UID COPY, \Deleted and UID EXPUNGE of exactly those UIDs
 * (UIDPLUS); without either, copied and flagged \Deleted but not expunged
 * (a plain EXPUNGE would remove other messages someone flagged). */
int imap_move(struct imap *m, const uint32_t *uids, size_t n, const char *dest, struct err *err);
/* The two halves of a move on a server without MOVE (with MOVE,
 * imap_copy moves): UID COPY to dest, then \Deleted and UID EXPUNGE. */
int imap_copy(struct imap *m, const uint32_t *uids, size_t n, const char *dest, struct err *err);
int imap_delete(struct imap *m, const uint32_t *uids, size_t n, struct err *err);
/* UID EXPUNGE of uids (flagged \Deleted by an earlier, interrupted move);
 * a no-op without UIDPLUS. */
int imap_expunge(struct imap *m, const uint32_t *uids, size_t n, struct err *err);
/* *found = 1 when folder holds a message with this Message-ID (EXAMINE
 * and UID SEARCH HEADER: the selected folder changes; select again). */
int imap_has_message(struct imap *m, const char *folder, const char *message_id, int *found,
		     struct err *err);
/* "MOVE", "COPY+UID EXPUNGE" or "COPY (not expunged)". */
const char *imap_move_method(const struct imap *m);
/* Leave out MOVE (tests of the fallback). */
void imap_no_move(struct imap *m);

#endif
