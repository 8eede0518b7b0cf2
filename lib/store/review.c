/* The chair's review (issue 20): drafts, their numbered items, the edits
 * as they came and each reviewer's copy. Edits are the chair's work: each
 * is durable before the call returns (sdb_ensure_full). */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>

#define DRAFT_COLS "id, period_start, period_end, created, deadline, state, decided, decided_by," \
		   " digest_id"
#define EDIT_COLS "e.id, e.draft_id, e.at, e.by, e.action, e.number, e.item_id, e.text"

static const char *const review_sql[REVIEW_NSTMT] = {
	[RST_OPEN] = "SELECT " DRAFT_COLS " FROM review_drafts WHERE state IN ('open', 'approved')"
		     " ORDER BY id DESC LIMIT 1",
	[RST_GET] = "SELECT " DRAFT_COLS " FROM review_drafts WHERE ?1 = 0 OR id = ?1"
		    " ORDER BY id DESC LIMIT 1",
	[RST_LAST_CREATED] = "SELECT MAX(created) FROM review_drafts",
	[RST_INSERT] = "INSERT INTO review_drafts(period_start, period_end, created, deadline, state,"
		       " decided) VALUES(?1, ?2, ?3, ?4, COALESCE(?5, 'open'),"
		       " CASE WHEN ?5 IS NULL THEN NULL ELSE ?3 END)",
	[RST_NUMBER_ADD] = "INSERT INTO review_numbers(draft_id, number, item_id, below, score, title)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[RST_NUMBERS] = "SELECT number, item_id, below, score, title FROM review_numbers"
			" WHERE draft_id = ?1 ORDER BY number",
	[RST_EDIT_ADD] = "INSERT INTO review_edits(draft_id, at, by, action, number, item_id, text)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[RST_EDITS] = "SELECT " EDIT_COLS ", NULL FROM review_edits e WHERE e.draft_id = ?1"
		      " ORDER BY e.id",
	[RST_EDITS_ALL] = "SELECT " EDIT_COLS ", i.title FROM review_edits e"
			  " LEFT JOIN items i ON i.id = e.item_id ORDER BY e.id",
	[RST_DECIDE] = "UPDATE review_drafts SET state = ?2, decided = ?3, decided_by = ?4,"
		       " digest_id = NULLIF(?5, 0) WHERE id = ?1 AND state IN ('open', 'approved')",
	[RST_COPY_SET] = "INSERT INTO review_copies(draft_id, address, state, message_id, updated)"
			 " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(draft_id, address) DO UPDATE SET"
			 " state = excluded.state,"
			 " message_id = COALESCE(excluded.message_id, message_id),"
			 " updated = excluded.updated",
	[RST_COPY_GET] = "SELECT state FROM review_copies WHERE draft_id = ?1 AND address = ?2",
	/* the last edit of each item that was dropped, added or pinned */
	[RST_DROPPED] = "SELECT e.item_id FROM review_edits e WHERE e.action = 'drop'"
			" AND e.id = (SELECT MAX(f.id) FROM review_edits f WHERE f.item_id = e.item_id"
			" AND f.action IN ('drop', 'add', 'pin')) ORDER BY e.item_id",
};

static sqlite3_stmt *stmt(struct store *s, enum review_stmt id, struct err *err)
{
	return sdb_stmt(s, &s->review[id], review_sql[id], err);
}

void review_draft_free(struct review_draft *d)
{
	free(d->state);
	free(d->decided_by);
	memset(d, 0, sizeof *d);
}

void review_numbers_free(struct review_number *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].title);
	free(v);
}

void review_edit_rows_free(struct review_edit *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].by);
		free(v[i].action);
		free(v[i].text);
		free(v[i].title);
	}
	free(v);
}

/* One draft row of q into out: 1, 0 without a row, -1 with err. */
static int draft_step(struct store *s, sqlite3_stmt *q, struct review_draft *out,
		      struct err *err)
{
	memset(out, 0, sizeof *out);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(q, 0);
		out->period_start = sdb_col_time(q, 1);
		out->period_end = sdb_col_time(q, 2);
		out->created = sdb_col_time(q, 3);
		out->deadline = sdb_col_time(q, 4);
		out->decided = sdb_col_time(q, 6);
		out->digest_id = sqlite3_column_int64(q, 8);
		ret = sdb_col_dup(q, 5, &out->state) || sdb_col_dup(q, 7, &out->decided_by)
			      ? err_set(err, "%s: out of memory", s->path)
			      : 1;
		if (ret < 0)
			review_draft_free(out);
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, "reading a review draft");
	}
	sdb_done(q);
	return ret;
}

int store_review_open(struct store *s, struct review_draft *out, struct err *err)
{
	sqlite3_stmt *q = stmt(s, RST_OPEN, err);
	if (!q) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return draft_step(s, q, out, err);
}

int store_review_get(struct store *s, int64_t id, struct review_draft *out, struct err *err)
{
	sqlite3_stmt *q = stmt(s, RST_GET, err);
	if (!q) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	sqlite3_bind_int64(q, 1, id);
	return draft_step(s, q, out, err);
}

int store_review_last_created(struct store *s, time_t *out, struct err *err)
{
	*out = 0;
	sqlite3_stmt *q = stmt(s, RST_LAST_CREATED, err);
	if (!q)
		return -1;
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*out = sdb_col_time(q, 0);
	else
		ret = sdb_err(s, err, "reading the last review draft");
	sdb_done(q);
	return ret;
}

int store_review_insert(struct store *s, struct review_draft *d, const struct review_number *v,
			size_t n, struct err *err)
{
	if (sdb_ensure_full(s, err) < 0 || store_begin(s, err) < 0)
		return -1;
	sqlite3_stmt *q = stmt(s, RST_INSERT, err);
	int rc = q ? 0 : -1;
	if (q) {
		sdb_bind_time(q, 1, d->period_start);
		sdb_bind_time(q, 2, d->period_end);
		sdb_bind_time(q, 3, d->created);
		sdb_bind_time(q, 4, d->deadline);
		sdb_bind_text(q, 5, d->state);
		rc = sdb_step_write(s, q, "storing a review draft", err) < 0 ? -1 : 0;
		d->id = sqlite3_last_insert_rowid(s->db);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!(q = stmt(s, RST_NUMBER_ADD, err))) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, d->id);
		sqlite3_bind_int(q, 2, v[i].number);
		sqlite3_bind_int64(q, 3, v[i].item_id);
		sqlite3_bind_int(q, 4, v[i].below);
		sqlite3_bind_double(q, 5, v[i].score);
		sdb_bind_text(q, 6, v[i].title);
		rc = sdb_step_write(s, q, "numbering a review draft", err) < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = store_commit(s, err);
	if (rc < 0) {
		store_rollback(s);
		d->id = 0;
	}
	return rc;
}

static int read_number(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct review_number *r = row;
	r->number = sqlite3_column_int(q, 0);
	r->item_id = sqlite3_column_int64(q, 1);
	r->below = sqlite3_column_int(q, 2);
	r->score = sqlite3_column_double(q, 3);
	return sdb_col_dup(q, 4, &r->title) ? err_set(err, "%s: out of memory", s->path) : 0;
}

static void free_numbers(void *v, size_t n) { review_numbers_free(v, n); }

int store_review_numbers(struct store *s, int64_t draft_id, struct review_number **out, size_t *n,
			 struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, RST_NUMBERS, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, draft_id);
	return sdb_list_rows(s, q, sizeof **out, read_number, free_numbers,
			     "reading a review draft's numbers", (void **)out, n, err);
}

int store_review_edit_add(struct store *s, struct review_edit *e, struct err *err)
{
	if (sdb_ensure_full(s, err) < 0)
		return -1;
	sqlite3_stmt *q = stmt(s, RST_EDIT_ADD, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, e->draft_id);
	sdb_bind_time(q, 2, e->at);
	sdb_bind_text(q, 3, e->by);
	sdb_bind_text(q, 4, e->action);
	if (e->number)
		sqlite3_bind_int(q, 5, e->number);
	if (e->item_id)
		sqlite3_bind_int64(q, 6, e->item_id);
	sdb_bind_text(q, 7, e->text);
	if (sdb_step_write(s, q, "storing a review edit", err) < 0)
		return -1;
	e->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int read_edit(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct review_edit *e = row;
	e->id = sqlite3_column_int64(q, 0);
	e->draft_id = sqlite3_column_int64(q, 1);
	e->at = sdb_col_time(q, 2);
	e->number = sqlite3_column_int(q, 5);
	e->item_id = sqlite3_column_int64(q, 6);
	if (sdb_col_dup(q, 3, &e->by) || sdb_col_dup(q, 4, &e->action) ||
	    sdb_col_dup(q, 7, &e->text) || sdb_col_dup(q, 8, &e->title))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_edits(void *v, size_t n) { review_edit_rows_free(v, n); }

int store_review_edits(struct store *s, int64_t draft_id, struct review_edit **out, size_t *n,
		       struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, draft_id ? RST_EDITS : RST_EDITS_ALL, err);
	if (!q)
		return -1;
	if (draft_id)
		sqlite3_bind_int64(q, 1, draft_id);
	return sdb_list_rows(s, q, sizeof **out, read_edit, free_edits, "reading review edits",
			     (void **)out, n, err);
}

int store_review_decide(struct store *s, int64_t id, const char *state, const char *by,
			int64_t digest_id, time_t now, struct err *err)
{
	if (sdb_ensure_full(s, err) < 0)
		return -1;
	sqlite3_stmt *q = stmt(s, RST_DECIDE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sdb_bind_text(q, 2, state);
	sdb_bind_time(q, 3, now);
	sdb_bind_text(q, 4, by);
	sqlite3_bind_int64(q, 5, digest_id);
	return sdb_step_write(s, q, "recording the review's decision", err);
}

int store_review_copy_set(struct store *s, int64_t draft_id, const char *address,
			  const char *state, const char *message_id, time_t now, struct err *err)
{
	if (sdb_ensure_full(s, err) < 0)
		return -1;
	sqlite3_stmt *q = stmt(s, RST_COPY_SET, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, draft_id);
	sdb_bind_text(q, 2, address);
	sdb_bind_text(q, 3, state);
	sdb_bind_text(q, 4, message_id);
	sdb_bind_time(q, 5, now);
	return sdb_step_write(s, q, "recording a review copy", err) < 0 ? -1 : 0;
}

int store_review_copy_get(struct store *s, int64_t draft_id, const char *address, char **state,
			  struct err *err)
{
	*state = NULL;
	sqlite3_stmt *q = stmt(s, RST_COPY_GET, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, draft_id);
	sdb_bind_text(q, 2, address);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW)
		ret = sdb_col_dup(q, 0, state) ? err_set(err, "%s: out of memory", s->path) : 0;
	else if (rc != SQLITE_DONE)
		ret = sdb_err(s, err, "reading a review copy");
	sdb_done(q);
	return ret;
}

int store_review_dropped(struct store *s, int64_t **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, RST_DROPPED, err);
	if (!q)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			int64_t *v = realloc(*out, nc * sizeof *v);
			if (!v) {
				sdb_done(q);
				free(*out);
				*out = NULL;
				*n = 0;
				return err_set(err, "%s: out of memory", s->path);
			}
			*out = v;
			cap = nc;
		}
		(*out)[(*n)++] = sqlite3_column_int64(q, 0);
	}
	sdb_done(q);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return sdb_err(s, err, "reading dropped items");
	}
	return 0;
}
