/* Digests and the delivery ledger: a digest's row (its texts and model,
 * archived, members recorded), each member's state per digest (queued,
 * sending, sent, failed, deferred with backoff, in doubt), and the moves
 * across runs of issue 13: pending and stuck rows, recovery of "sending"
 * after a crash, expiry of deferrals, a person's resolution of doubt.
 * Every ledger write makes the store's commits durable first
 * (sdb_ensure_full). */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>

static const char *const ledger_sql[LEDGER_NSTMT] = {
	/* Every digest counts, delivered to everyone or not: the next period
	 * starts where the last one composed ended (issue 13). */
	[ST_DIGEST_LAST_END] = "SELECT MAX(period_end) FROM digests",
	[ST_DIGEST_UNFINISHED] = "SELECT id, period_start, period_end, created, completed,"
				 " subject, markdown, html, text, calendar, model, archived,"
			   " members_recorded FROM digests"
				 " WHERE completed IS NULL ORDER BY id DESC LIMIT 1",
	[ST_DIGEST_INSERT] = "INSERT INTO digests(period_start, period_end, created, completed,"
			     " subject, markdown, html, text, calendar, model, archived,"
			     " members_recorded) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)",
	[ST_DIGEST_COMPLETE] = "UPDATE digests SET completed = ?2 WHERE id = ?1",
	[ST_DELIVERY_GET] = "SELECT state FROM deliveries WHERE digest_id = ?1 AND email = ?2",
	[ST_DELIVERY_SET] = "INSERT INTO deliveries(digest_id, email, state, attempts, message_id,"
			    " last_reply, updated, next_attempt, deferrals)"
			    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
			    " ON CONFLICT(digest_id, email) DO UPDATE SET state = excluded.state,"
			    " attempts = attempts + excluded.attempts,"
			    " message_id = COALESCE(excluded.message_id, message_id),"
			    " last_reply = COALESCE(excluded.last_reply, last_reply),"
			    " updated = excluded.updated, next_attempt = excluded.next_attempt,"
			    " deferrals = deferrals + excluded.deferrals",
	[ST_DELIVERY_COUNTS] = "SELECT state, COUNT(*) FROM deliveries WHERE digest_id = ?1"
			       " GROUP BY state",
	[ST_DELIVERY_LIST] = "SELECT email, state, attempts, message_id, last_reply, updated, next_attempt, deferrals, digest_id FROM deliveries"
			     " WHERE digest_id = ?1 ORDER BY email",
	[ST_DIGEST_GET] = "SELECT id, period_start, period_end, created, completed, subject"
			  " FROM digests WHERE id = ?1",
	[ST_DIGEST_NEWEST] = "SELECT id, period_start, period_end, created, completed, subject"
			     " FROM digests ORDER BY id DESC LIMIT 1",
	[ST_DIGEST_FULL] = "SELECT id, period_start, period_end, created, completed,"
			   " subject, markdown, html, text, calendar, model, archived,"
			   " members_recorded FROM digests"
			   " WHERE id = ?1",
	[ST_DIGESTS_OPEN] = "SELECT id, period_start, period_end, created, completed, subject"
			    " FROM digests"
			    " WHERE completed IS NULL ORDER BY id",
	[ST_DIGESTS_UNARCHIVED] = "SELECT id, period_start, period_end, created, completed, subject"
			    " FROM digests"
				  " WHERE archived IS NULL ORDER BY id",
	[ST_DIGEST_ARCHIVED] = "UPDATE digests SET archived = ?2 WHERE id = ?1",
	[ST_DIGEST_RECORDED] = "UPDATE digests SET members_recorded = 1 WHERE id = ?1",
	[ST_DIGEST_NEXT_CREATED] = "SELECT MIN(created) FROM digests WHERE id > ?1",
	[ST_DIGEST_COMPLETE_IF_DONE] = "UPDATE digests SET completed = ?2 WHERE id = ?1"
				       " AND completed IS NULL AND NOT EXISTS (SELECT 1 FROM"
				       " deliveries WHERE digest_id = ?1 AND state IN"
				       " ('queued', 'sending', 'deferred'))",
	/* In the member list's order (rows are inserted in it). */
	[ST_DELIVERY_PENDING] = "SELECT email, state, attempts, message_id, last_reply, updated, next_attempt, deferrals, digest_id FROM deliveries"
				" WHERE digest_id = ?1 AND (state = 'queued' OR (state = 'deferred'"
				" AND COALESCE(next_attempt, 0) <= ?2)) ORDER BY rowid",
	[ST_DELIVERY_STUCK] = "SELECT email, state, attempts, message_id, last_reply, updated, next_attempt, deferrals, digest_id FROM deliveries"
			      " WHERE state = ?1 AND (?2 = 0 OR digest_id = ?2)"
			      " ORDER BY digest_id, rowid",
	[ST_DELIVERY_UNRESOLVED] = "SELECT email, state, attempts, message_id, last_reply, updated, next_attempt, deferrals, digest_id FROM deliveries"
				   " WHERE state IN ('queued', 'sending', 'deferred', 'in_doubt')"
				   " ORDER BY digest_id, rowid",
	[ST_DELIVERY_EXPIRE] = "UPDATE deliveries SET state = 'failed', updated = ?2,"
			       " next_attempt = NULL WHERE digest_id = ?1 AND state = 'deferred'",
	[ST_DELIVERY_RECOVER] = "UPDATE deliveries SET state = 'in_doubt', updated = ?1,"
				" last_reply = ?2 WHERE state = 'sending'",
	[ST_DELIVERY_RESOLVE] = "UPDATE deliveries SET state = ?3, updated = ?4,"
				" last_reply = COALESCE(?5, last_reply), next_attempt = NULL"
				" WHERE state IN ('in_doubt', 'sending') AND (?1 = 0 OR digest_id = ?1)"
				" AND (?2 IS NULL OR email = ?2 COLLATE NOCASE)",
	[ST_DIGEST_REOPEN] = "UPDATE digests SET completed = NULL WHERE completed IS NOT NULL"
			     " AND id IN (SELECT digest_id FROM deliveries WHERE state = 'queued')",
};

/* The cached statement, reset and with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct store *s, enum ledger_stmt id, struct err *err)
{
	return sdb_stmt(s, &s->ledger[id], ledger_sql[id], err);
}

/* --- digests --- */

void digest_row_free(struct digest_row *d)
{
	free(d->subject);
	free(d->markdown);
	free(d->html);
	free(d->text);
	free(d->calendar);
	free(d->model);
	memset(d, 0, sizeof *d);
}

int store_digest_last_end(struct store *s, time_t *out, struct err *err)
{
	*out = 0;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_LAST_END, err);
	if (!q)
		return -1;
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sdb_col_time(q, 0); /* NULL (no digest) reads as 0 */
	else
		ret = sdb_err(s, err, "reading the last digest");
	sdb_done(q);
	return ret;
}

/* Steps q (id, period_start, period_end, created, completed, subject,
 * then markdown, html, text, calendar when the query selects them) into
 * out. Returns 1 with a row, 0 without, -1 with err; q is reset. */
static int digest_row_step(struct store *s, sqlite3_stmt *q, struct digest_row *out,
			   const char *what, struct err *err)
{
	int ret = 0, rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(q, 0);
		out->period_start = sdb_col_time(q, 1);
		out->period_end = sdb_col_time(q, 2);
		out->created = sdb_col_time(q, 3);
		out->completed = sdb_col_time(q, 4);
		int parts = sqlite3_column_count(q) > 6, more = sqlite3_column_count(q) > 10;
		if (more) {
			out->archived = sdb_col_time(q, 11);
			out->members_recorded = sqlite3_column_int(q, 12);
		}
		if (sdb_col_dup(q, 5, &out->subject) ||
		    (parts && (sdb_col_dup(q, 6, &out->markdown) || sdb_col_dup(q, 7, &out->html) ||
			       sdb_col_dup(q, 8, &out->text) || sdb_col_dup(q, 9, &out->calendar))) ||
		    (more && sdb_col_dup(q, 10, &out->model))) {
			digest_row_free(out);
			ret = err_set(err, "%s: reading a digest: out of memory", s->path);
		} else {
			ret = 1;
		}
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, what);
	}
	sdb_done(q);
	return ret;
}

int store_digest_unfinished(struct store *s, struct digest_row *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, ST_DIGEST_UNFINISHED, err);
	if (!q)
		return -1;
	return digest_row_step(s, q, out, "reading unfinished digests", err);
}

int store_digest_insert(struct store *s, struct digest_row *d, struct err *err)
{
	if (sdb_ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_INSERT, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)d->period_start);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)d->period_end);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)d->created);
	sdb_bind_time(q, 4, d->completed);
	sdb_bind_text(q, 5, d->subject);
	sdb_bind_text(q, 6, d->markdown);
	sdb_bind_text(q, 7, d->html);
	sdb_bind_text(q, 8, d->text);
	sdb_bind_text(q, 9, d->calendar);
	sdb_bind_text(q, 10, d->model);
	sdb_bind_time(q, 11, d->archived);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_DONE)
		d->id = sqlite3_last_insert_rowid(s->db);
	else
		ret = sdb_err(s, err, "inserting a digest");
	sdb_done(q);
	return ret;
}

int store_digest_complete(struct store *s, int64_t id, time_t now, struct err *err)
{
	if (sdb_ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_COMPLETE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = sdb_err(s, err, "completing a digest");
	else if (sqlite3_changes(s->db) != 1)
		ret = err_set(err, "%s: no digest with id %lld", s->path, (long long)id);
	sdb_done(q);
	return ret;
}

/* --- delivery ledger --- */

static const char *const state_names[] = {
	[DELIVERY_NONE] = "none",
	[DELIVERY_QUEUED] = "queued",
	[DELIVERY_SENDING] = "sending",
	[DELIVERY_SENT] = "sent",
	[DELIVERY_FAILED] = "failed",
	[DELIVERY_DEFERRED] = "deferred",
	[DELIVERY_IN_DOUBT] = "in_doubt",
};
#define NSTATES ((int)(sizeof state_names / sizeof state_names[0]))

const char *delivery_state_name(enum delivery_state st)
{
	return (int)st >= 0 && (int)st < NSTATES ? state_names[st] : "invalid";
}

static int state_from_name(const char *name)
{
	for (int i = 0; name && i < NSTATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

int store_delivery_get(struct store *s, int64_t digest_id, const char *email,
		       enum delivery_state *out, struct err *err)
{
	*out = DELIVERY_NONE;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_GET, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	sdb_bind_text(q, 2, email);
	int ret = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		int st = state_from_name(name);
		if (st < 0)
			ret = err_set(err, "%s: digest %lld, %s: unknown delivery state \"%s\"",
				      s->path, (long long)digest_id, email, name ? name : "");
		else
			*out = (enum delivery_state)st;
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, "reading a delivery");
	}
	sdb_done(q);
	return ret;
}

int store_delivery_set(struct store *s, int64_t digest_id, const char *email,
		       enum delivery_state st, const char *message_id, const char *reply,
		       time_t now, struct err *err)
{
	return store_delivery_update(s, digest_id, email, st, message_id, reply,
				     st == DELIVERY_SENDING, 0, now, err);
}

int store_delivery_update(struct store *s, int64_t digest_id, const char *email,
			  enum delivery_state st, const char *message_id, const char *reply,
			  int tries, time_t next_attempt, time_t now, struct err *err)
{
	if ((int)st <= 0 || (int)st >= NSTATES)
		return err_set(err, "%s: digest %lld, %s: invalid delivery state %d", s->path,
			       (long long)digest_id, email, (int)st);
	if (sdb_ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_SET, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	sdb_bind_text(q, 2, email);
	sdb_bind_text(q, 3, state_names[st]);
	sqlite3_bind_int(q, 4, tries);
	sdb_bind_text(q, 5, message_id);
	sdb_bind_text(q, 6, reply);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)now);
	sdb_bind_time(q, 8, st == DELIVERY_DEFERRED ? next_attempt : 0);
	sqlite3_bind_int(q, 9, st == DELIVERY_DEFERRED);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE) {
		sdb_err(s, err, "recording a delivery");
		ret = err_prefix(err, "digest %lld, %s", (long long)digest_id, email);
	}
	sdb_done(q);
	return ret;
}

int store_delivery_counts(struct store *s, int64_t digest_id, int counts[DELIVERY_NSTATES],
			  struct err *err)
{
	memset(counts, 0, DELIVERY_NSTATES * sizeof counts[0]);
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_COUNTS, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		int st = state_from_name(name);
		if (st < 0) {
			ret = err_set(err, "%s: digest %lld: unknown delivery state \"%s\"",
				      s->path, (long long)digest_id, name ? name : "");
			break;
		}
		counts[st] += sqlite3_column_int(q, 1);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sdb_err(s, err, "counting deliveries");
	sdb_done(q);
	return ret;
}

static int read_delivery(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct delivery_row *d = row;
	const char *name = (const char *)sqlite3_column_text(q, 1);
	int st = state_from_name(name);
	if (st < 0)
		return err_set(err, "%s: unknown delivery state \"%s\"", s->path, name ? name : "");
	d->state = (enum delivery_state)st;
	d->attempts = sqlite3_column_int(q, 2);
	d->updated = sdb_col_time(q, 5);
	d->next_attempt = sdb_col_time(q, 6);
	d->deferrals = sqlite3_column_int(q, 7);
	d->digest_id = sqlite3_column_int64(q, 8);
	if (sdb_col_dup(q, 0, &d->email) || sdb_col_dup(q, 3, &d->message_id) ||
	    sdb_col_dup(q, 4, &d->last_reply))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_deliveries(void *v, size_t n) { delivery_rows_free(v, n); }

int store_delivery_list(struct store *s, int64_t digest_id, struct delivery_row **out,
			size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_LIST, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	return sdb_list_rows(s, q, sizeof **out, read_delivery, free_deliveries, "listing deliveries",
			 (void **)out, n, err);
}

void delivery_rows_free(struct delivery_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].email);
		free(v[i].message_id);
		free(v[i].last_reply);
	}
	free(v);
}

int store_digest_get(struct store *s, int64_t id, struct digest_row *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, id ? ST_DIGEST_GET : ST_DIGEST_NEWEST, err);
	if (!q)
		return -1;
	if (id)
		sqlite3_bind_int64(q, 1, id);
	return digest_row_step(s, q, out, "reading a digest", err);
}

/* --- digests and the ledger across runs (issue 13) --- */

int store_digest_load(struct store *s, int64_t id, struct digest_row *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, ST_DIGEST_FULL, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	return digest_row_step(s, q, out, "reading a digest", err);
}

static int read_digest_head(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct digest_row *d = row;
	d->id = sqlite3_column_int64(q, 0);
	d->period_start = sdb_col_time(q, 1);
	d->period_end = sdb_col_time(q, 2);
	d->created = sdb_col_time(q, 3);
	d->completed = sdb_col_time(q, 4);
	if (sdb_col_dup(q, 5, &d->subject))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

void digest_rows_free(struct digest_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		digest_row_free(&v[i]);
	free(v);
}

static void free_digest_rows(void *v, size_t n) { digest_rows_free(v, n); }

static int digest_heads(struct store *s, enum ledger_stmt id, struct digest_row **out, size_t *n,
			struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_digest_head, free_digest_rows, "listing digests",
			 (void **)out, n, err);
}

int store_digests_open(struct store *s, struct digest_row **out, size_t *n, struct err *err)
{
	return digest_heads(s, ST_DIGESTS_OPEN, out, n, err);
}

int store_digests_unarchived(struct store *s, struct digest_row **out, size_t *n,
			     struct err *err)
{
	return digest_heads(s, ST_DIGESTS_UNARCHIVED, out, n, err);
}

/* One UPDATE of a digest by id (?1), with an optional time (?2). Returns
 * the change count, or -1 with err. */
static int digest_update(struct store *s, enum ledger_stmt id, int64_t digest_id, time_t t,
			 const char *what, struct err *err)
{
	if (sdb_ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	if (sqlite3_bind_parameter_count(q) >= 2)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)t);
	int ret = sqlite3_step(q) == SQLITE_DONE ? sqlite3_changes(s->db) : sdb_err(s, err, what);
	sdb_done(q);
	return ret;
}

int store_digest_set_archived(struct store *s, int64_t id, time_t now, struct err *err)
{
	return digest_update(s, ST_DIGEST_ARCHIVED, id, now, "recording the archive", err) < 0
		       ? -1 : 0;
}

int store_digest_set_members_recorded(struct store *s, int64_t id, struct err *err)
{
	return digest_update(s, ST_DIGEST_RECORDED, id, 0, "recording a digest's members", err) < 0
		       ? -1 : 0;
}

int store_digest_complete_if_done(struct store *s, int64_t id, time_t now, struct err *err)
{
	int r = digest_update(s, ST_DIGEST_COMPLETE_IF_DONE, id, now, "completing a digest", err);
	return r < 0 ? -1 : r > 0;
}

int store_digest_next_created(struct store *s, int64_t id, time_t *out, struct err *err)
{
	*out = 0;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_NEXT_CREATED, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sdb_col_time(q, 0); /* NULL (no later digest) reads as 0 */
	else
		ret = sdb_err(s, err, "reading the digests");
	sdb_done(q);
	return ret;
}

static int delivery_rows(struct store *s, sqlite3_stmt *q, struct delivery_row **out, size_t *n,
			 struct err *err)
{
	return sdb_list_rows(s, q, sizeof **out, read_delivery, free_deliveries, "listing deliveries",
			 (void **)out, n, err);
}

int store_delivery_pending(struct store *s, int64_t digest_id, time_t now,
			   struct delivery_row **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_PENDING, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	return delivery_rows(s, q, out, n, err);
}

int store_delivery_in_state(struct store *s, enum delivery_state st, int64_t digest_id,
			    struct delivery_row **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_STUCK, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, delivery_state_name(st));
	sqlite3_bind_int64(q, 2, digest_id);
	return delivery_rows(s, q, out, n, err);
}

int store_delivery_unresolved(struct store *s, struct delivery_row **out, size_t *n,
			      struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_UNRESOLVED, err);
	if (!q)
		return -1;
	return delivery_rows(s, q, out, n, err);
}

/* Reads the rows in state `from` (of digest_id, 0: all) into *out when out
 * is not NULL, then runs the update q (bound by the caller), all in one
 * transaction. Returns 0 or -1 with err. */
static int select_then_update(struct store *s, enum delivery_state from, int64_t digest_id,
			      sqlite3_stmt *q, const char *what, struct delivery_row **out,
			      size_t *n, struct err *err)
{
	struct delivery_row *v = NULL;
	size_t k = 0;
	if (sdb_ensure_full(s, err) || store_begin(s, err)) {
		sdb_done(q);
		return -1;
	}
	int ret = store_delivery_in_state(s, from, digest_id, &v, &k, err);
	if (ret == 0 && sqlite3_step(q) != SQLITE_DONE)
		ret = sdb_err(s, err, what);
	sdb_done(q);
	if (ret == 0)
		ret = store_commit(s, err);
	if (ret < 0) {
		store_rollback(s);
		delivery_rows_free(v, k);
		return -1;
	}
	if (out) {
		*out = v;
		*n = k;
	} else {
		delivery_rows_free(v, k);
	}
	return 0;
}

int store_delivery_recover(struct store *s, const char *reply, time_t now,
			   struct delivery_row **out, size_t *n, struct err *err)
{
	if (out) {
		*out = NULL;
		*n = 0;
	}
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_RECOVER, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)now);
	sdb_bind_text(q, 2, reply);
	return select_then_update(s, DELIVERY_SENDING, 0, q, "recovering deliveries", out, n, err);
}

int store_delivery_expire(struct store *s, int64_t digest_id, time_t now,
			  struct delivery_row **out, size_t *n, struct err *err)
{
	if (out) {
		*out = NULL;
		*n = 0;
	}
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_EXPIRE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	return select_then_update(s, DELIVERY_DEFERRED, digest_id, q, "failing deferred deliveries",
				  out, n, err);
}

int store_delivery_resolve(struct store *s, int64_t digest_id, const char *email,
			   enum delivery_state to, const char *reply, time_t now,
			   struct err *err)
{
	if (to != DELIVERY_QUEUED && to != DELIVERY_SENT)
		return err_set(err, "%s: members in doubt can only be resent or marked sent",
			       s->path);
	if (sdb_ensure_full(s, err) || store_begin(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_RESOLVE, err);
	int ret = q ? 0 : -1;
	if (q) {
		sqlite3_bind_int64(q, 1, digest_id);
		sdb_bind_text(q, 2, email);
		sdb_bind_text(q, 3, state_names[to]);
		sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
		sdb_bind_text(q, 5, reply);
		if (sqlite3_step(q) == SQLITE_DONE)
			ret = sqlite3_changes(s->db);
		else
			ret = sdb_err(s, err, "resolving deliveries in doubt");
		sdb_done(q);
	}
	/* A member to resend makes the digest unfinished again. */
	if (ret >= 0 && to == DELIVERY_QUEUED &&
	    (q = stmt(s, ST_DIGEST_REOPEN, err))) {
		if (sqlite3_step(q) != SQLITE_DONE)
			ret = sdb_err(s, err, "reopening a digest");
		sdb_done(q);
	} else if (ret >= 0 && to == DELIVERY_QUEUED) {
		ret = -1;
	}
	if (ret >= 0 && store_commit(s, err) < 0)
		ret = -1;
	if (ret < 0)
		store_rollback(s);
	return ret;
}
