/* Delivering one stored digest to every member, with the ledger in the
 * store deciding who still needs it: a member marked sent is never mailed
 * again for that digest, whatever happens between runs. */
#ifndef BULLETIN_DELIVER_H
#define BULLETIN_DELIVER_H

#include "compose/render.h"
#include "core/err.h"
#include "deliver/members.h"
#include "deliver/smtp.h"
#include "deliver/unsubscribe.h"
#include "store/store.h"

struct deliver_opts {
	const char *from_name, *from_address, *reply_to;
	const char *list_id, *unsubscribe;
	/* Per-member unsubscribe links: with a key, each member's https link
	 * carries the member's token (unsubscribe.h), made for unsub_list. */
	const struct unsub_key *unsub_key;
	const char *unsub_list;
	const struct smtp_opts *smtp;
	/* A 4xx or a lost connection is tried again retries times in this run,
	 * after retry_wait_ms, then twice that, ... (each at most 60 s); then
	 * the member is deferred: tried again on a later run from
	 * defer_retry s on, twice that after the next deferral, ... (at most a
	 * day), until the caller's window closes (store_delivery_expire). */
	int retries;
	long retry_wait_ms;
	long defer_retry;
	long rate;                /* messages per minute; 0 = as fast as the server takes them */
	const char *dry_run_dir;  /* write DIR/NNNN-member.eml (0600) instead; no ledger */
	int outside_ledger;       /* send --to: no ledger rows, the digest is not completed */
	/* The chair's copy: this address gets chair_text/chair_html (the
	 * digest plus the source-health section) instead. NULL: none. */
	const char *chair_email, *chair_text, *chair_html;
	/* For a digest composed with DIGEST_GREETING_SLOT: the greeting for
	 * member m (malloc'd, one line), put in place of the slot in each
	 * part; NULL (or no callback) leaves the slot's line empty. */
	char *(*greeting)(void *ctx, const struct member *m);
	void *greeting_ctx;
	/* The digest's page in the published archive, for DIGEST_WEB_SLOT
	 * ("read in your browser"); NULL leaves "" there. */
	const char *web_url;
	/* Members in another language than the digest's own (language; a
	 * member's list row names theirs, else the digest's) get it rendered
	 * in theirs by variant (into out; 0, or -1 with err: they then get
	 * the digest's own, and the reason is logged). Members are mailed
	 * grouped by language, so each variant is rendered once per call and
	 * only one is kept at a time. NULL: everyone gets d's parts. */
	const char *language;
	int (*variant)(void *ctx, const struct digest_row *d, const char *lang,
		       struct digest_parts *out, struct err *err);
	void *variant_ctx;
};

struct deliver_stats {
	int sent, failed, deferred, in_doubt;
	int gone;                 /* ledger members no longer active: not sent (failed) */
	/* The run stopped on the setup, not the server's load: the sender,
	 * the login or the TLS certificate refused, a bad URL, no sendmail.
	 * Running again cannot help until someone fixes it. */
	int setup_error;
};

/* Sends d to its members the ledger shows as due: queued, or deferred
 * with their next try come (a digest from before schema 5 first gets a
 * queued row for each member of ml without one). ml gives each its name
 * and language; one no longer in ml (unsubscribed, paused, removed) is
 * marked failed with that reason, unsent. Every transition is in the
 * ledger before the next message: "sending" before the first byte of the
 * message leaves (after the server's 354), then sent, failed, deferred
 * (next try from defer_retry on), or in doubt (the message went out and
 * no reply came: never resent). A member's failure is recorded and the
 * rest go on; when nobody is left queued, sending or deferred the digest
 * is marked complete. With dry_run_dir or outside_ledger every member of
 * ml gets it and the ledger is not touched. Returns 0, or -1 with err when
 * the run cannot go on (SMTP setup, AUTH, the server down, the store). */
int deliver_digest(struct store *s, const struct digest_row *d, const struct member_list *ml,
		   const struct deliver_opts *o, struct deliver_stats *st, struct err *err);

/* Pacing for a rate of messages per minute: how long to wait (seconds)
 * before a message starting at now (a monotonic clock), so that starts are
 * at least 60/rate apart. Start from {rate, 0}. */
struct deliver_pace {
	long rate;
	double next; /* earliest start of the next message; 0 before the first */
};
double deliver_pace_wait(struct deliver_pace *p, double now);
/* The wait before retry number n (1, 2, ...): first_ms doubled n-1 times,
 * at most 60 s. */
long deliver_backoff_ms(long first_ms, int n);

/* The wait before a deferred member's next run: first doubled for each
 * deferral so far, at most a day. */
long deliver_defer_wait(long first, int deferrals);

/* One message outside any digest (the chair's run report), over SMTP or
 * through sendmail as o->url says. reply explains the result. */
enum smtp_result deliver_one(const struct smtp_opts *o, const char *from, const char *to,
			     const char *msg, size_t len, char *reply, size_t replylen);

/* The deterministic Message-ID of a digest for a member (no <>). */
void deliver_message_id(const struct digest_row *d, const char *email, const char *from_address,
			char *out, size_t outlen);

#endif
