/* The mailbox step: every message in [mailbox] folder that bulletin has
 * not examined is fetched (bounded), classified, recorded in the store
 * before anything is done about it, acted on, and moved to the handled
 * folder, never deleted. A crash anywhere handles nothing twice: a message
 * recorded as done is only moved on the next run, an answer recorded as
 * being sent is never sent again (it is "in doubt"). */
#ifndef BULLETIN_MAILBOX_H
#define BULLETIN_MAILBOX_H

#include <stddef.h>
#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "deliver/smtp.h"
#include "mailbox/classify.h"
#include "store/store.h"

struct mb_tokens;

struct mailbox_opts {
	const struct config *cfg;
	const char *password;        /* the IMAP password */
	const struct smtp_opts *smtp; /* answers go out here */
	/* the unsubscribe key (mailbox/tokens.h): members found by the
	 * tokens of their links; NULL: no key, no token looked up */
	const struct mb_tokens *tokens;
	int no_move;                 /* act as if the server had no MOVE (tests) */
};

struct mailbox_stats {
	size_t in_folder;       /* messages in the folder (not \Deleted) */
	size_t known;           /* examined by an earlier run and left alone */
	size_t fetched;         /* fetched and classified now */
	size_t by_class[MB_CLASS_COUNT_];
	size_t moved;           /* to the handled folder */
	size_t left;            /* left in the folder for a person */
	size_t duplicates;      /* a Message-ID seen before: moved or left as that one was */
	size_t bounces;         /* bounces counted */
	size_t bounced;         /* members newly marked bounced */
	size_t unknown;         /* bounces or requests for no member: left alone */
	size_t unsubscribed;    /* members unsubscribed by reply */
	size_t commands;        /* the chair's commands applied */
	size_t answers_sent, answers_failed, answers_doubt;
	size_t answers_waiting; /* owed, waiting for the mail server */
	int smtp_down;          /* the mail server did not take an answer: no more tries this run */
	size_t warnings;        /* messages with bad input (read or skipped, counted) */
	char move_method[32];
	int setup_error;        /* the URL, certificate, login or a folder: fix, then rerun */
	int store_error;        /* the store could not be read or written */
};

/* 1 when [mailbox] names a url, 0 when the section is absent; -1 with err
 * when it has settings but no url. */
int mailbox_configured(const struct config *c, struct err *err);

/* Runs the step. Returns 0 (some messages may have been left or had
 * warnings: see st), or -1 with err; then st->setup_error (fix the setup)
 * or st->store_error (the store failed) says why, else the server was down
 * or the connection broke (try later). */
int mailbox_run(struct store *s, const struct mailbox_opts *o, struct mailbox_stats *st,
		struct err *err);

#endif
