/* The chair's review (issue 20): with [review] reviewers set, the send
 * step makes a draft of the period's digest and mails the reviewers a
 * review copy (every item numbered, the nearly selected ones below the
 * line), then waits; the members' digest goes out with the reviewers'
 * edits at the deadline, or at once when approved. This module holds
 * the schedule, the edits (from the command line or a reply) and the
 * copy; deliver/send.c runs it. Callable without the CLI; prints nothing. */
#ifndef BULLETIN_REVIEW_H
#define BULLETIN_REVIEW_H

#include <jansson.h>
#include <time.h>

#include "compose/compose.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "deliver/smtp.h"
#include "store/store.h"

/* 1 when cfg asks for a review ([review] reviewers). */
int review_enabled(const struct config *cfg);

/* The weekly time spec ("thu 08:00") in zone: its last occurrence at or
 * before t, and its first one after t. 0 when spec is not valid. */
time_t review_week_prev(const char *spec, const char *zone, time_t t);
time_t review_week_next(const char *spec, const char *zone, time_t t);

/* What the send step does about the review at now. */
enum review_due {
	REVIEW_DRAFT = 1, /* no draft waits and copy_at has come: make one */
	REVIEW_NOT_YET, /* the last draft is done and copy_at has not come again */
	REVIEW_WAIT,    /* a draft waits for its deadline or an approve */
	REVIEW_SEND     /* approved, or its deadline passed: the members' digest goes out */
};
/* Fills *d (the waiting draft) for REVIEW_WAIT and REVIEW_SEND; -1 with err. */
int review_due(struct store *s, const struct config *cfg, time_t now, struct review_draft *d,
	       struct err *err);

/* The edits that hold for a draft (NULL: for a new one): every item
 * dropped in any draft, and of this draft the last edit of each item
 * (drop, pin, add), the pins in the order they came, the last note. */
struct review_edits {
	struct compose_edits ce;   /* pointers into the arrays below */
	int64_t *drop, *pin, *add;
	size_t ndrop, npin, nadd;
	char *note;
};
int review_edits_load(struct store *s, const struct review_draft *d, struct review_edits *out,
		      struct err *err);
void review_edits_free(struct review_edits *e);

/* Numbers the items of a composed model (topics' items in order, then
 * below: the nearly selected) as the review copy shows them. *out is
 * malloc'd (free with review_numbers_free). */
int review_number(const json_t *model, const json_t *below, struct review_number **out, size_t *n,
		  struct err *err);

/* The review copy of draft d in lang: the model (as the members' digest
 * was composed) with each item's number before its title, the
 * reviewers' instructions and the deadline as a note at the top, and
 * the nearly selected items under the line. New reference. */
json_t *review_copy_model(const json_t *model, const json_t *below, const struct review_number *v,
			  size_t n, const struct review_draft *d, const struct config *cfg,
			  const char *lang);

/* Mails each reviewer who has not had one the copy of d (rendered in the
 * reviewer's language: ml's row for the address, else the digest's). A copy is
 * recorded "sending" before its SMTP transaction: one left so by a
 * stopped run is never sent again. Returns how many were sent, -1 with
 * err when the store failed; a refused copy is logged. */
struct member_list;
int review_copy_send(struct store *s, const struct config *cfg, const struct smtp_opts *so,
		     const struct member_list *ml, const struct review_draft *d, const json_t *model,
		     const json_t *below, time_t now, struct err *err);

/* 1 when some reviewer of d has had no copy yet (a reviewer added since,
 * or the server said "try later"), 0 when not, -1 with err. */
int review_copy_due(struct store *s, const struct config *cfg, const struct review_draft *d,
		    struct err *err);

/* When a draft waits: its period and edits into *co, so a preview
 * (digest, send --dry-run, send --to) shows the issue as edited; *e
 * holds what co points to (free it with review_edits_free). Returns 1
 * when a draft waits, 0 when none (or no review), -1 with err. */
int review_apply_draft(struct store *s, const struct config *cfg, struct compose_opts *co,
		       struct review_edits *e, struct err *err);

/* One edit of the waiting draft, as the command line or a reply says
 * it: "drop 3 7", "pin 2", "add 12", "approve", "hold", or "note" with
 * text (Markdown; "" removes it). by: the reviewer. Every word is
 * checked before any is stored (a bad number stores nothing). The lines
 * of what was done, in lang, go to out (each ends in "\n"), including a
 * line for each earlier edit by someone else that this one replaces;
 * *others gets those people's addresses, comma separated (NULL: none).
 * draft_id: the draft the edit was made on (a reply to its copy); 0:
 * whichever waits. Inside the caller's transaction when there is one
 * (the mailbox's), else in its own.
 * Returns 0; 1 when the words were wrong (out says why); 2 when that
 * draft no longer waits (out says it was sent); -1 with err. */
int review_edit(struct store *s, const struct config *cfg, int64_t draft_id, const char *by,
		const char *words, const char *text, time_t now, const char *lang, struct buf *out,
		char **others, struct err *err);

/* A short plain mail from the association's address (an answer to a
 * reviewer's edit, or a word to a reviewer whose edit another one
 * replaced). A failure is logged; returns 0 or -1. */
int review_notify(const struct config *cfg, const struct smtp_opts *so, const char *to,
		  const char *subject, const char *text, time_t now);

#endif
