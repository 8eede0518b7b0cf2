/* The send step (`bulletin send`, the second half of `bulletin run`):
 * what is due of earlier digests, then this period's digest, composed,
 * stored with its members, archived and mailed. State is per member and
 * per digest: one stuck member never holds up the others or the next
 * digest (issue 13). Callable without the CLI; it prints nothing. */
#ifndef BULLETIN_SEND_H
#define BULLETIN_SEND_H

#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "deliver/deliver.h"
#include "store/store.h"

struct rules;    /* select/rules.h: the step hands them to compose */
struct calendar; /* compose/calendar.h: the association's year, or NULL */

struct send_opts {
	const struct config *cfg;
	const struct rules *rules;
	const struct calendar *calendar; /* [calendar] file as read, or NULL */
	const char *password;     /* the SMTP password, or NULL */
	time_t now;
	/* Compose this period's digest when it has news (send, run); 0 only
	 * delivers what is due (send --resend-in-doubt). */
	int compose;
	/* Compose and write one .eml per member into this folder (0700 when
	 * made), storing nothing. */
	const char *dry_run_dir;
	/* send --to: the digest as members would get it now, to this address
	 * alone, outside the ledger: nothing stored, archived or completed. */
	const char *to;
	/* send --to ADDRESS --name NAME: the name to greet; NULL: the member
	 * list's for that address (else none). */
	const char *to_name;
};

/* What one digest's delivery did in this step. */
struct send_digest {
	int64_t id;               /* 0: not stored (dry run, --to) */
	char *subject;
	int composed;             /* composed in this step (else resumed) */
	struct deliver_stats st;
};

struct send_result {
	struct send_digest *v;    /* each digest delivered to, oldest first */
	size_t n;
	struct member_filter_counts fc; /* who the member list's filter left out */
	int nobody;               /* every member paused or unsubscribed: nothing done */
	int nothing_new;          /* the period had no news: nothing composed */
	int empty;                /* send --to, --dry-run: the digest sent has no news */
	time_t period_start;      /* of that empty period */
	int recovered;            /* members found "sending" after a stopped run: now in doubt */
	int expired;              /* deferred members whose window closed: now failed */
	int archive_failed;       /* some archive file could not be written (logged) */
	char archive_html[4200];  /* the newest digest's archived .html, or "" */
	/* [review] (deliver/review.h): what the step did about it, the
	 * draft, its deadline (0: waits for approve), copies mailed now and
	 * the items numbered in a new draft */
	int review;               /* 0: no review; else an enum review_due */
	int64_t review_draft;
	time_t review_deadline;
	int review_copies;
	size_t review_items;
};
void send_result_free(struct send_result *r);

/* Runs the step: members from [members] file (CSV unsubscribes recorded,
 * except in a dry run); members left "sending" by a stopped run become in
 * doubt; deferred ones whose window closed ([mail] defer_window hours
 * after the digest, or by default when the next digest is composed, at
 * most 7 days) fail with their last reply; archive files still missing are
 * written; every unfinished digest gets its due members; then, with
 * compose, this period's digest is composed, stored with a queued ledger
 * row per member (one transaction), archived and delivered. Returns 0; 1
 * when a member failed, was deferred or is newly in doubt; 74 when an
 * archive file could not be written (the mail is unaffected); 75 when the
 * server is down or busy; 78 for the setup (members file, sender, login,
 * TLS); other EXIT_* with err for the store or the templates. err says
 * why for any status but 0 and 1 (74: the first file that failed). */
int send_step(struct store *s, const struct send_opts *o, struct send_result *r,
	      struct err *err);

#endif
