/* The SQLite store: sources' health and validators, items (unique per
 * source and key), digests and the delivery ledger. WAL mode; versioned
 * schema migrated on open. */
#ifndef BULLETIN_STORE_H
#define BULLETIN_STORE_H

#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "parse/item.h"

struct store;

/* Opens (and creates, mode 0600, or migrates) the store. */
int store_open(const char *path, struct store **out, struct err *err);
/* For verbs that only read (send --status, status, sources): no write,
 * no migration, works on a read-only file or folder. A file at an older
 * schema version is refused with a message saying to run bulletin once. */
int store_open_readonly(const char *path, struct store **out, struct err *err);
void store_close(struct store *s);
int store_schema_version(struct store *s); /* the version now in the file */
/* The connection, for the store's other modules (versions.c): not for
 * outside lib/store/. */
struct sqlite3;
struct sqlite3 *store_sqlite(struct store *s);

int store_begin(struct store *s, struct err *err);
int store_commit(struct store *s, struct err *err);
int store_rollback(struct store *s);
/* 1 inside a transaction store_begin started, 0 outside. */
int store_in_transaction(struct store *s);

/* --- sources --- */
struct source_state {
	char *etag;            /* NULL when unknown */
	char *last_modified;
	time_t last_attempt;
	time_t last_success;
	int consecutive_failures;
	char *last_error;
	char *validators_url;  /* the URL etag and last_modified belong to; NULL:
				* unknown (send them to no URL) */
};
void source_state_free(struct source_state *st);
/* Zeroed state (not an error) when the source was never fetched. */
int store_source_get(struct store *s, const char *name, struct source_state *out,
		     struct err *err);
/* Records one fetch attempt of url. ok=1: success (error ignored; etag
 * and last_modified replace the stored ones when non-NULL, and always
 * when the stored ones belong to another URL). ok=0: failure. */
int store_source_record(struct store *s, const char *name, const char *url, int ok,
			const char *error, const char *etag, const char *last_modified,
			time_t now, struct err *err);

/* Every source the store has seen, by name (sources removed from the
 * config stay until the store forgets them). */
struct source_health {
	char *name;
	char *url;
	char *key_mode;   /* "auto", "link" or "title" (see identity.h) */
	struct source_state st;
};
int store_sources_all(struct store *s, struct source_health **out, size_t *n, struct err *err);
void source_health_free(struct source_health *v, size_t n);

/* --- items --- */
/* Inserts the item (source and key required) if (source, key) is unknown,
 * with first_seen = now; sets *is_new to 1 then, else 0 (the stored row's
 * text is refreshed, first_seen kept). Sets it->id. */
int store_item_upsert(struct store *s, struct item *it, time_t now, int *is_new,
		      struct err *err);
/* Items with since <= first_seen < until, oldest first. */
int store_items_between(struct store *s, time_t since, time_t until, struct item_list *out,
			struct err *err);

/* Items announcing an event (item.h event_start) that has not ended
 * before from (an event without an end: its start) and starts before
 * until, by start. */
int store_items_with_events(struct store *s, time_t from, time_t until, struct item_list *out,
			    struct err *err);

/* Identity (see identity.h): how a source's items are keyed ("auto",
 * "link", "title"; "auto" when unknown), and the key of a stored item of
 * the source with this link or title (*key = NULL when none). */
int store_key_mode_get(struct store *s, const char *source, char **mode, struct err *err);
int store_key_mode_set(struct store *s, const char *source, const char *mode, struct err *err);
int store_item_key_by_url(struct store *s, const char *source, const char *url, char **key,
			  struct err *err);
int store_item_key_by_title(struct store *s, const char *source, const char *title, char **key,
			    struct err *err);
/* 1 when (source, key) is stored, 0 when not, -1 with err. */
int store_item_exists(struct store *s, const char *source, const char *key, struct err *err);

/* --- digests --- */
struct digest_row {
	int64_t id;
	time_t period_start, period_end, created;
	time_t completed;      /* 0 while delivery is unfinished */
	char *subject, *markdown, *html, *text;
	char *calendar;        /* the text/calendar part; NULL when the digest has no events */
	char *model;           /* the JSON model (for the archive); NULL for old digests */
	time_t archived;       /* every archive file written; 0 while some are missing */
	int members_recorded;  /* its members are its ledger rows (0: a digest of schema < 5) */
};
void digest_row_free(struct digest_row *d);
/* The end of the newest digest's period, delivered to everyone or not
 * (the next period starts there); 0 when none. */
int store_digest_last_end(struct store *s, time_t *out, struct err *err);
/* The newest digest whose delivery is unfinished; returns 1 and fills out,
 * or 0 when there is none. */
int store_digest_unfinished(struct store *s, struct digest_row *out, struct err *err);
/* Sets d->id; the digest's members are recorded by queueing each of them
 * (store_delivery_set) in the same transaction. */
int store_digest_insert(struct store *s, struct digest_row *d, struct err *err);
int store_digest_complete(struct store *s, int64_t id, time_t now, struct err *err);
/* Marks the digest complete when none of its members is queued, sending
 * or deferred (in doubt and failed ones wait for nobody). Returns 1 when
 * it was marked now, 0 when not, -1 with err. */
int store_digest_complete_if_done(struct store *s, int64_t id, time_t now, struct err *err);
/* The whole row (parts and model), 1; 0 when there is none. */
int store_digest_load(struct store *s, int64_t id, struct digest_row *out, struct err *err);
/* Digests (subject only, oldest first) still being delivered, or with
 * archive files missing. *out NULL when none. */
int store_digests_open(struct store *s, struct digest_row **out, size_t *n, struct err *err);
int store_digests_unarchived(struct store *s, struct digest_row **out, size_t *n,
			     struct err *err);
void digest_rows_free(struct digest_row *v, size_t n);
int store_digest_set_archived(struct store *s, int64_t id, time_t now, struct err *err);
int store_digest_set_members_recorded(struct store *s, int64_t id, struct err *err);
/* When the next digest after id was composed; 0 when none yet. */
int store_digest_next_created(struct store *s, int64_t id, time_t *out, struct err *err);

/* --- delivery ledger: one row per digest and member ---
 *
 * queued: to send (first try, or the chair asked to resend); sending: the
 * message may be on its way (a row left so by a crash is in doubt);
 * sent; failed: refused for good, or deferred past the window; deferred:
 * a temporary failure, tried again from next_attempt on; in_doubt: sent
 * or not, nobody knows, and it is never resent unless the chair says so.
 * Every write of the ledger is durable (synchronous = FULL from the first
 * one on) before the function returns. */
enum delivery_state { DELIVERY_NONE = 0, DELIVERY_QUEUED, DELIVERY_SENDING, DELIVERY_SENT,
		      DELIVERY_FAILED, DELIVERY_DEFERRED, DELIVERY_IN_DOUBT, DELIVERY_NSTATES };
const char *delivery_state_name(enum delivery_state st);
int store_delivery_get(struct store *s, int64_t digest_id, const char *email,
		       enum delivery_state *out, struct err *err);
/* Upserts the row; attempts is incremented when state is SENDING. */
int store_delivery_set(struct store *s, int64_t digest_id, const char *email,
		       enum delivery_state st, const char *message_id, const char *reply,
		       time_t now, struct err *err);
/* The same with the count of tries to add to attempts, and for DEFERRED
 * the time of the next try (deferrals then grows by one). */
int store_delivery_update(struct store *s, int64_t digest_id, const char *email,
			  enum delivery_state st, const char *message_id, const char *reply,
			  int tries, time_t next_attempt, time_t now, struct err *err);
/* Counts of rows per state for one digest (index by enum delivery_state). */
int store_delivery_counts(struct store *s, int64_t digest_id, int counts[DELIVERY_NSTATES],
			  struct err *err);

/* One ledger row, for the chair's view of a delivery. */
struct delivery_row {
	char *email;
	enum delivery_state state;
	int attempts;
	char *message_id;   /* NULL when none was recorded */
	char *last_reply;   /* the server's last reply; NULL when none */
	time_t updated;     /* the last attempt or change; 0 when unknown */
	time_t next_attempt; /* deferred: not before then */
	int deferrals;      /* runs that ended with it deferred */
	int64_t digest_id;
};
/* Every ledger row of one digest, by address. *out is NULL when none. */
int store_delivery_list(struct store *s, int64_t digest_id, struct delivery_row **out,
			size_t *n, struct err *err);
void delivery_rows_free(struct delivery_row *v, size_t n);
/* The digest's rows to send now: queued, and deferred ones whose
 * next_attempt has come; in the member list's order. */
int store_delivery_pending(struct store *s, int64_t digest_id, time_t now,
			   struct delivery_row **out, size_t *n, struct err *err);
/* Rows in state st, of one digest or of all (digest_id 0). */
int store_delivery_in_state(struct store *s, enum delivery_state st, int64_t digest_id,
			    struct delivery_row **out, size_t *n, struct err *err);
/* Every row someone may still need to look at (queued, sending,
 * deferred, in doubt), by digest. */
int store_delivery_unresolved(struct store *s, struct delivery_row **out, size_t *n,
			      struct err *err);
/* Rows left "sending" by a run that stopped (killed, crashed, the power
 * gone) become in doubt with reply; *out (may be NULL) gets them as they
 * were. Only under the run lock: no other run can be sending. */
int store_delivery_recover(struct store *s, const char *reply, time_t now,
			   struct delivery_row **out, size_t *n, struct err *err);
/* The digest's deferred rows become failed, keeping their last reply
 * (their window has closed). *out (may be NULL) gets them. */
int store_delivery_expire(struct store *s, int64_t digest_id, time_t now,
			  struct delivery_row **out, size_t *n, struct err *err);
/* The chair's decision on members in doubt, of one digest (0: all), one
 * address (NULL: all): to QUEUED (resend; their digests are unfinished
 * again) or SENT. reply, when not NULL, replaces the last reply. Returns
 * how many rows changed, or -1 with err. */
int store_delivery_resolve(struct store *s, int64_t digest_id, const char *email,
			   enum delivery_state to, const char *reply, time_t now,
			   struct err *err);
/* The digest with this id, or the newest one when id is 0, without its
 * bodies (subject only). Returns 1 and fills out, 0 when there is none. */
int store_digest_get(struct store *s, int64_t id, struct digest_row *out, struct err *err);

/* --- unsubscribes: addresses that get nothing, whatever the CSV says --- */
struct unsubscribe {
	char *address;   /* ASCII lower-cased */
	time_t time;
	char *how;       /* "command" (bulletin members unsubscribe), "link" (its
			    --token, the member's own link) or "csv" */
};
void unsubscribe_free(struct unsubscribe *u);
/* Records address (lower-cased here). Returns 1 when added, 0 when it was
 * already there (the first record is kept), -1 with err. */
int store_unsubscribe_add(struct store *s, const char *address, const char *how, time_t now,
			  struct err *err);
/* Returns 1 when removed, 0 when it was not there, -1 with err. */
int store_unsubscribe_remove(struct store *s, const char *address, struct err *err);
/* Returns 1 and fills out (when non-NULL) if address is unsubscribed, 0
 * when not, -1 with err. The comparison ignores ASCII case. */
int store_unsubscribe_get(struct store *s, const char *address, struct unsubscribe *out,
			  struct err *err);
/* Every unsubscribe, by address. *out is NULL when none. */
int store_unsubscribes_all(struct store *s, struct unsubscribe **out, size_t *n,
			   struct err *err);
void unsubscribes_free(struct unsubscribe *v, size_t n);

/* --- the association's calendar --- */
/* 1 when the reminder of the calendar's entry for year was given, 0 when
 * not, -1 with err. */
int store_reminder_given(struct store *s, const char *entry, int year, struct err *err);
/* Records it as given by digest_id (0: none) at now. Returns 1 when
 * recorded, 0 when it already was, -1 with err. */
int store_reminder_mark(struct store *s, const char *entry, int year, int64_t digest_id,
			time_t now, struct err *err);

/* An event of calendar.ics as last published: SEQUENCE, and when it was
 * first published and last changed. */
struct ical_state {
	int sequence;
	time_t created, modified;
};
/* The state of uid whose details hash to hash: a new uid starts at
 * sequence 0 as of now; a changed hash takes the next sequence, modified
 * now; an unchanged one is as it was. Returns 0, or -1 with err. */
int store_ical_sequence(struct store *s, const char *uid, const char *hash, time_t now,
			struct ical_state *out, struct err *err);
/* --- the association's mailbox (issue 18) --- */

/* One message examined in the mailbox, recorded before anything is done
 * about it, so a crash in the middle never acts twice. */
struct mb_record {
	char *msgkey;          /* its Message-ID, else "noid:" and a hash of its header */
	char *folder;
	int64_t uidvalidity, uid;
	char *cls;             /* the classifier's class name */
	char *address;         /* the member it concerned; NULL: none */
	char *detail;          /* why; for an answer due, its text */
	char *state;           /* "left" (not ours to act on), "done" (acted on, to be moved)
				* or "copying" (being copied to the handled folder) */
	char *answer;          /* NULL (none owed), "pending", "sending", "sent", "failed", "doubt" */
	char *answer_to;       /* the answer's recipient */
	time_t seen, updated;
};
void mb_record_free(struct mb_record *r);
void mb_records_free(struct mb_record *v, size_t n);
/* 1 and out filled when msgkey is recorded, 0 when not, -1 with err. */
int store_mb_get(struct store *s, const char *msgkey, struct mb_record *out, struct err *err);
/* Inserts or replaces the record (seen is kept from the first time). */
int store_mb_put(struct store *s, const struct mb_record *r, time_t now, struct err *err);
int store_mb_answer(struct store *s, const char *msgkey, const char *answer, time_t now,
		    struct err *err);
/* The UIDs recorded in folder under uidvalidity, ascending: left alone,
 * or being copied to the handled folder (a server without MOVE: the copy
 * may or may not have happened; msgkey set), else done. *out NULL when
 * none; free with mb_uids_free. */
struct mb_uid {
	uint32_t uid;
	int left, copying;
	char *msgkey; /* for copying ones */
	int in_folder; /* the caller's: seen in the folder now */
};
int store_mb_known_uids(struct store *s, const char *folder, int64_t uidvalidity,
			struct mb_uid **out, size_t *n, struct err *err);
void mb_uids_free(struct mb_uid *v, size_t n);
/* Sets the state ("copying", "done") of the messages recorded with these
 * UIDs (never of those left alone). */
int store_mb_set_state(struct store *s, const char *folder, int64_t uidvalidity,
		       const uint32_t *uids, size_t n, const char *state, struct err *err);
/* Records whose answer is "pending" or "sending", oldest first. */
int store_mb_answers(struct store *s, struct mb_record **out, size_t *n, struct err *err);

/* A bounce message (msgkey) for address, in digest_id (0: unknown).
 * Returns 1 when added, 0 when that message was already counted, -1. */
int store_bounce_add(struct store *s, const char *msgkey, const char *address, int64_t digest_id,
		     time_t t, int hard, const char *status, const char *diagnostic,
		     struct err *err);
int store_member_bounced_set(struct store *s, const char *address, time_t now, struct err *err);
/* 1 when address is marked bounced, 0 when not, -1 with err. */
int store_member_bounced(struct store *s, const char *address, struct err *err);
/* Forgets the bounced mark and the bounces counted (a resubscribe): 1 when
 * there was something to forget, 0 when not, -1. */
int store_member_reset(struct store *s, const char *address, struct err *err);
/* A member the chair added (an override of the member list). */
int store_member_add(struct store *s, const char *address, const char *name,
		     const char *language, time_t now, struct err *err);

/* What the store knows of one address: unsubscribed, bounced, added,
 * bounces counted. Times are 0 when not. */
struct member_state {
	char *address;
	time_t unsub_time;
	char *unsub_how;       /* "reply", "chair", "command", "csv"; NULL: not unsubscribed */
	time_t bounced;        /* marked bounced */
	time_t added;          /* added by the chair */
	char *name, *language; /* the chair's; NULL for others */
	int hard, soft;        /* bounces counted */
	int hard_digests;      /* distinct digests with a hard bounce */
	char *last_status, *last_diagnostic; /* of the newest bounce; NULL: none */
	time_t last_bounce;
	int last_hard;
};
void member_state_free(struct member_state *m);
void member_states_free(struct member_state *v, size_t n);
/* Every address with any state, by address. */
int store_member_states(struct store *s, struct member_state **out, size_t *n, struct err *err);
/* One address (a zeroed state but the address when nothing is known). */
int store_member_state_get(struct store *s, const char *address, struct member_state *out,
			   struct err *err);
/* The members the chair added (address, name, language, added only). */
int store_members_added(struct store *s, struct member_state **out, size_t *n, struct err *err);

/* The ledger row that sent message_id: 1 with its digest and member, 0
 * when no row has it, -1 with err. *email is the caller's to free. */
int store_delivery_by_message_id(struct store *s, const char *message_id, int64_t *digest_id,
				 char **email, struct err *err);
/* The newest digest composed at or before t; *id 0 when none. */
int store_digest_before(struct store *s, time_t t, int64_t *id, struct err *err);

/* The chair's pause of a source (read by ingest): paused 1 or 0. */
int store_source_pause(struct store *s, const char *name, int paused, time_t now, struct err *err);
/* 1 when paused, 0 when not, -1 with err. */
int store_source_paused(struct store *s, const char *name, struct err *err);

/* --- the chair's review (issue 20) ---
 *
 * A draft is the period's digest waiting for its reviewers. Its items
 * carry the numbers the review copy shows (below: nearly selected, shown
 * under the line); edits are kept as they came, each naming its item, so
 * a crash or a rerun loses none and the last one per item wins. */
struct review_draft {
	int64_t id;
	time_t period_start, period_end, created;
	time_t deadline;      /* the members' digest goes out then; 0: at approve */
	char *state;          /* "open", "approved", "held" or "sent" */
	time_t decided;       /* when approved, held or sent; 0 while open */
	char *decided_by;
	int64_t digest_id;    /* the digest it became, once sent */
};
void review_draft_free(struct review_draft *d);

struct review_number {
	int number;
	int64_t item_id;
	int below;            /* under the line: the rules nearly selected it */
	double score;
	char *title;
};
void review_numbers_free(struct review_number *v, size_t n);

struct review_edit {
	int64_t id, draft_id;
	time_t at;
	char *by;             /* the reviewer's address, or "command line" */
	char *action;         /* drop, pin, add, note, approve, hold */
	int number;           /* 0: none */
	int64_t item_id;      /* 0: none */
	char *text;           /* a note's Markdown; NULL else */
	char *title;          /* read only: the item's title (history) */
};
void review_edit_rows_free(struct review_edit *v, size_t n);

/* The newest draft still waiting (open or approved): 1 and out, 0 when
 * none, -1 with err. */
int store_review_open(struct store *s, struct review_draft *out, struct err *err);
/* Draft id (0: the newest of any state): 1, 0 when none, -1. */
int store_review_get(struct store *s, int64_t id, struct review_draft *out, struct err *err);
/* When the newest draft was made; 0 when none. */
int store_review_last_created(struct store *s, time_t *out, struct err *err);
/* Stores a new draft (open, or in d->state when set: a draft that is done
 * from the start) and its numbers in one transaction; sets d->id. */
int store_review_insert(struct store *s, struct review_draft *d, const struct review_number *v,
			size_t n, struct err *err);
/* The draft's numbers, ascending. */
int store_review_numbers(struct store *s, int64_t draft_id, struct review_number **out, size_t *n,
			 struct err *err);
/* Records one edit (e->id set), durable before it returns. */
int store_review_edit_add(struct store *s, struct review_edit *e, struct err *err);
/* The edits of one draft (0: of every draft, with the item's title), in
 * the order they came. */
int store_review_edits(struct store *s, int64_t draft_id, struct review_edit **out, size_t *n,
		       struct err *err);
/* The draft becomes state ("approved", "held", "sent") when it is still
 * open or approved. Returns 1 when changed, 0 when it was not waiting
 * any more, -1 with err. */
int store_review_decide(struct store *s, int64_t id, const char *state, const char *by,
			int64_t digest_id, time_t now, struct err *err);
/* A reviewer's copy: "sending" before the SMTP transaction, then "sent"
 * or "failed"; one left "sending" by a stopped run is never resent. */
int store_review_copy_set(struct store *s, int64_t draft_id, const char *address,
			  const char *state, const char *message_id, time_t now, struct err *err);
/* The state of address's copy of the draft into state (NULL: none yet). */
int store_review_copy_get(struct store *s, int64_t draft_id, const char *address, char **state,
			  struct err *err);
/* Items whose last edit, in any draft, dropped them: they never come
 * back. *out NULL when none. */
int store_review_dropped(struct store *s, int64_t **out, size_t *n, struct err *err);

#endif
