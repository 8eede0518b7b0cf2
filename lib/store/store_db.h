/* What the store's own files share, and nobody else: struct store, each
 * file's statement ids (each file keeps its SQL beside its code; the store
 * holds the prepared statements), and the sdb_ helpers over SQLite that
 * they all use. Private to lib/store/ (store.c, items.c, ledger.c,
 * mailstate.c, review.c): other stages use store/store.h, and
 * scripts/include-graph.sh fails when a file outside lib/store/ includes
 * this one. */
#ifndef BULLETIN_STORE_DB_H
#define BULLETIN_STORE_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <time.h>

#include "core/err.h"
#include "store/store.h"

/* Each file's statements: a new one gets its id in its file's enum here
 * and its SQL in that file's table. */

/* store.c: sources. */
enum src_stmt {
	ST_SOURCE_GET,
	ST_SOURCES_ALL,
	ST_SOURCE_OK,
	ST_SOURCE_FAIL,
	SRC_NSTMT
};

/* items.c: items, identity look-ups, the calendar's rows. */
enum items_stmt {
	ST_KEY_MODE_GET,
	ST_KEY_MODE_SET,
	ST_KEY_BY_URL,
	ST_KEY_BY_TITLE,
	ST_KEY_EXISTS,
	ST_ITEM_INSERT,
	ST_ITEM_UPDATE,
	ST_ITEMS_BETWEEN,
	ST_ITEMS_EVENTS,
	ST_REMINDER_GET,
	ST_REMINDER_MARK,
	ST_ICAL_GET,
	ST_ICAL_SET,
	ITEMS_NSTMT
};

/* ledger.c: digests and the delivery ledger. */
enum ledger_stmt {
	ST_DIGEST_LAST_END,
	ST_DIGEST_UNFINISHED,
	ST_DIGEST_INSERT,
	ST_DIGEST_COMPLETE,
	ST_DELIVERY_GET,
	ST_DELIVERY_SET,
	ST_DELIVERY_COUNTS,
	ST_DELIVERY_LIST,
	ST_DIGEST_GET,
	ST_DIGEST_NEWEST,
	ST_DIGEST_FULL,
	ST_DIGESTS_OPEN,
	ST_DIGESTS_UNARCHIVED,
	ST_DIGEST_ARCHIVED,
	ST_DIGEST_RECORDED,
	ST_DIGEST_NEXT_CREATED,
	ST_DIGEST_COMPLETE_IF_DONE,
	ST_DELIVERY_PENDING,
	ST_DELIVERY_STUCK,
	ST_DELIVERY_UNRESOLVED,
	ST_DELIVERY_EXPIRE,
	ST_DELIVERY_RECOVER,
	ST_DELIVERY_RESOLVE,
	ST_DIGEST_REOPEN,
	LEDGER_NSTMT
};

/* mailstate.c: unsubscribes and the mailbox's rows (issue 18). */
enum mailstate_stmt {
	MST_UNSUB_ADD,
	MST_UNSUB_REMOVE,
	MST_UNSUB_GET,
	MST_UNSUB_ALL,
	MST_MB_GET,
	MST_MB_PUT,
	MST_MB_ANSWER,
	MST_MB_LEFT_UIDS,
	MST_MB_ANSWERS,
	MST_MB_STATE_UID,
	MST_BOUNCE_ADD,
	MST_BOUNCED_SET,
	MST_BOUNCED_GET,
	MST_MEMBER_ADD,
	MST_MEMBERS_ADDED,
	MST_MEMBER_RESET,
	MST_BOUNCES_FORGET,
	MST_STATES_ALL,
	MST_STATE_ONE,
	MST_BY_MESSAGE_ID,
	MST_DIGEST_BEFORE,
	MST_PAUSE,
	MST_PAUSED,
	MAILSTATE_NSTMT
};

/* review.c: the chair's review (issue 20). */
enum review_stmt {
	RST_OPEN,
	RST_GET,
	RST_LAST_CREATED,
	RST_INSERT,
	RST_NUMBER_ADD,
	RST_NUMBERS,
	RST_EDIT_ADD,
	RST_EDITS,
	RST_EDITS_ALL,
	RST_DECIDE,
	RST_COPY_SET,
	RST_COPY_GET,
	RST_DROPPED,
	REVIEW_NSTMT
};

struct store {
	sqlite3 *db;
	char *path;
	int version;
	int full;      /* synchronous = FULL: the ledger has been written */
	int readonly;
	sqlite3_stmt *src[SRC_NSTMT];
	sqlite3_stmt *items[ITEMS_NSTMT];
	sqlite3_stmt *ledger[LEDGER_NSTMT];
	sqlite3_stmt *mailstate[MAILSTATE_NSTMT];
	sqlite3_stmt *review[REVIEW_NSTMT];
};

/* Reports SQLite's last error on s with what it was doing; returns -1. */
int sdb_err(struct store *s, struct err *err, const char *what);
/* *slot prepared from sql once, then reused; NULL on error. */
sqlite3_stmt *sdb_stmt(struct store *s, sqlite3_stmt **slot, const char *sql, struct err *err);
/* Releases the statement for the next use (keeps the cached prepare). */
void sdb_done(sqlite3_stmt *q);
/* NULL binds NULL. */
int sdb_bind_text(sqlite3_stmt *q, int i, const char *v);
/* 0 (unknown) is stored as NULL so "unknown" stays distinguishable in SQL. */
int sdb_bind_time(sqlite3_stmt *q, int i, time_t t);
/* Column text as a fresh string; NULL stays NULL. Returns 0 or -1 (OOM). */
int sdb_col_dup(sqlite3_stmt *q, int i, char **out);
time_t sdb_col_time(sqlite3_stmt *q, int i);
/* Steps a write (bindings done): the change count, or -1 with err. */
int sdb_step_write(struct store *s, sqlite3_stmt *q, const char *what, struct err *err);
/* Steps a query for "is there a row": 1, 0, or -1 with err. */
int sdb_step_exists(struct store *s, sqlite3_stmt *q, const char *what, struct err *err);
int sdb_exec(struct store *s, const char *sql, const char *what, struct err *err);
/* Every commit from here on reaches the disk before it returns (the
 * ledger's writes call it first). */
int sdb_ensure_full(struct store *s, struct err *err);

/* Reads one row into *row (zeroed). Returns 0, or -1 with err; a row left
 * half-filled is still freed by the list's free function. */
typedef int (*sdb_row_reader)(struct store *s, sqlite3_stmt *q, void *row, struct err *err);
/* Every row of q into a growing array of elem-byte rows. On failure the
 * rows read so far go to free_rows and the list is empty. */
int sdb_list_rows(struct store *s, sqlite3_stmt *q, size_t elem, sdb_row_reader read_row,
		  void (*free_rows)(void *, size_t), const char *what, void **out, size_t *n,
		  struct err *err);

#endif
