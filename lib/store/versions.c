#include "store/versions.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A stored extract larger than this is damage, not a page. */
#define VERSION_MAX_SIZE (64u << 20)

static int db_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, "store: %s: %s", what, sqlite3_errmsg(store_sqlite(s)));
}

static sqlite3_stmt *prep(struct store *s, const char *sql, struct err *err)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &q, NULL) != SQLITE_OK) {
		db_err(s, err, "preparing a statement");
		return NULL;
	}
	return q;
}

static char *col_dup(sqlite3_stmt *q, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	if (!t)
		return NULL;
	char *r = strdup((const char *)t);
	if (!r)
		*oom = 1;
	return r;
}

void page_version_free(struct page_version *v)
{
	free(v->source);
	free(v->url);
	free(v->title);
	free(v->kind);
	free(v->text);
	free(v->broken);
	memset(v, 0, sizeof *v);
}

#define VERSION_COLS "id, source, fetched, url, title, kind, size, body, broken"

/* One row of VERSION_COLS into out, the body inflated. */
static int read_version(sqlite3_stmt *q, struct page_version *out, struct err *err)
{
	int oom = 0;
	out->id = sqlite3_column_int64(q, 0);
	out->source = col_dup(q, 1, &oom);
	out->fetched = (time_t)sqlite3_column_int64(q, 2);
	out->url = col_dup(q, 3, &oom);
	out->title = col_dup(q, 4, &oom);
	out->kind = col_dup(q, 5, &oom);
	out->broken = col_dup(q, 8, &oom);
	sqlite3_int64 size = sqlite3_column_int64(q, 6);
	const void *body = sqlite3_column_blob(q, 7);
	int blen = sqlite3_column_bytes(q, 7);
	if (oom)
		return err_set(err, "out of memory");
	if (size < 0 || size > VERSION_MAX_SIZE || !body)
		return err_set(err, "store: version %lld of %s is damaged", (long long)out->id,
			       out->source ? out->source : "?");
	out->size = (size_t)size;
	if (!(out->text = malloc(out->size + 1)))
		return err_set(err, "out of memory");
	uLongf dl = (uLongf)out->size;
	if (uncompress((Bytef *)out->text, &dl, body, (uLong)blen) != Z_OK || dl != out->size)
		return err_set(err, "store: version %lld of %s does not inflate", (long long)out->id,
			       out->source ? out->source : "?");
	out->text[out->size] = '\0';
	return 0;
}

static int one_version(struct store *s, sqlite3_stmt *q, struct page_version *out,
		       struct err *err)
{
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		ret = read_version(q, out, err) < 0 ? -1 : 1;
		if (ret < 0)
			page_version_free(out);
	} else if (rc != SQLITE_DONE) {
		ret = db_err(s, err, "reading a page version");
	}
	sqlite3_finalize(q);
	return ret;
}

int store_version_latest(struct store *s, const char *source, int good_only,
			 struct page_version *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = prep(s, good_only ? "SELECT " VERSION_COLS " FROM page_versions"
					      " WHERE source = ?1 AND broken IS NULL"
					      " ORDER BY id DESC LIMIT 1"
					    : "SELECT " VERSION_COLS " FROM page_versions"
					      " WHERE source = ?1 ORDER BY id DESC LIMIT 1",
			       err);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, source, -1, SQLITE_TRANSIENT);
	return one_version(s, q, out, err);
}

int store_version_get(struct store *s, int64_t id, struct page_version *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = prep(s, "SELECT " VERSION_COLS " FROM page_versions WHERE id = ?1", err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	return one_version(s, q, out, err);
}

/* Runs sql with ?1 = text a and ?2 = number b (when a is not NULL). */
static int run(struct store *s, const char *sql, const char *a, sqlite3_int64 b,
	       const char *what, struct err *err)
{
	sqlite3_stmt *q = prep(s, sql, err);
	if (!q)
		return -1;
	if (a)
		sqlite3_bind_text(q, 1, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, b);
	int ret = sqlite3_step(q) == SQLITE_DONE ? 0 : db_err(s, err, what);
	sqlite3_finalize(q);
	return ret;
}

int store_version_add(struct store *s, struct page_version *v, long keep, struct err *err)
{
	if (v->size > VERSION_MAX_SIZE)
		return err_set(err, "%s: an extract of %zu bytes is too large to keep", v->source,
			       v->size);
	uLongf clen = compressBound((uLong)v->size);
	Bytef *z = malloc(clen ? clen : 1);
	if (!z)
		return err_set(err, "out of memory");
	if (compress2(z, &clen, (const Bytef *)v->text, (uLong)v->size, 6) != Z_OK) {
		free(z);
		return err_set(err, "%s: cannot compress the extract", v->source);
	}
	/* A broken version replaces an earlier broken one; a good one means
	 * the page is back: either way the older broken ones go. */
	if (run(s, "DELETE FROM page_versions WHERE source = ?1 AND broken IS NOT NULL AND ?2 = ?2",
		v->source, 0, "forgetting broken versions", err) < 0) {
		free(z);
		return -1;
	}
	sqlite3_stmt *q = prep(s, "INSERT INTO page_versions(source, fetched, url, title, kind, size,"
				  " body, broken) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
	if (!q) {
		free(z);
		return -1;
	}
	sqlite3_bind_text(q, 1, v->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)v->fetched);
	sqlite3_bind_text(q, 3, v->url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, v->title, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, v->kind ? v->kind : "html", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)v->size);
	sqlite3_bind_blob(q, 7, z, (int)clen, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 8, v->broken, -1, SQLITE_TRANSIENT);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_DONE)
		v->id = sqlite3_last_insert_rowid(store_sqlite(s));
	else
		ret = db_err(s, err, "storing a page version");
	sqlite3_finalize(q);
	free(z);
	if (ret == 0 && !v->broken)
		ret = run(s, "DELETE FROM page_versions WHERE source = ?1 AND broken IS NULL AND id NOT IN"
			     " (SELECT id FROM page_versions WHERE source = ?1 AND broken IS NULL"
			     " ORDER BY id DESC LIMIT ?2)",
			  v->source, keep < 2 ? 2 : keep, "pruning page versions", err);
	return ret;
}

int store_version_clear_broken(struct store *s, const char *source, struct err *err)
{
	return run(s, "DELETE FROM page_versions WHERE source = ?1 AND broken IS NOT NULL AND ?2 = ?2",
		   source, 0, "forgetting broken versions", err);
}

int store_version_accept(struct store *s, const char *source, int64_t *id, struct err *err)
{
	struct page_version v;
	int r = store_version_latest(s, source, 0, &v, err);
	if (r <= 0)
		return r;
	*id = v.id;
	int broken = v.broken != NULL;
	page_version_free(&v);
	if (!broken)
		return 0;
	sqlite3_stmt *q = prep(s, "UPDATE page_versions SET broken = NULL WHERE id = ?1", err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, *id);
	int ret = sqlite3_step(q) == SQLITE_DONE ? 1 : db_err(s, err, "accepting a version");
	sqlite3_finalize(q);
	return ret;
}

/* ---- changes ---- */

void page_changes_free(struct page_change *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].source);
	free(v);
}

int store_change_add(struct store *s, struct page_change *c, struct err *err)
{
	sqlite3_stmt *q = prep(s, "INSERT INTO page_changes(source, old_version, new_version, detected,"
				  " added, removed) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, c->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, c->old_version);
	sqlite3_bind_int64(q, 3, c->new_version);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)c->detected);
	sqlite3_bind_int64(q, 5, c->added);
	sqlite3_bind_int64(q, 6, c->removed);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_DONE)
		c->id = sqlite3_last_insert_rowid(store_sqlite(s));
	else
		ret = db_err(s, err, "recording a page change");
	sqlite3_finalize(q);
	return ret;
}

#define CHANGE_COLS "id, source, old_version, new_version, detected, added, removed"

static int read_change(sqlite3_stmt *q, struct page_change *c)
{
	int oom = 0;
	c->id = sqlite3_column_int64(q, 0);
	c->source = col_dup(q, 1, &oom);
	c->old_version = sqlite3_column_int64(q, 2);
	c->new_version = sqlite3_column_int64(q, 3);
	c->detected = (time_t)sqlite3_column_int64(q, 4);
	c->added = (long)sqlite3_column_int64(q, 5);
	c->removed = (long)sqlite3_column_int64(q, 6);
	return oom || !c->source ? -1 : 0;
}

int store_changes_between(struct store *s, time_t since, time_t until, struct page_change **out,
			  size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = prep(s, "SELECT " CHANGE_COLS " FROM page_changes"
				  " WHERE detected >= ?1 AND detected < ?2 ORDER BY source, id", err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)since);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)until);
	size_t cap = 0;
	int rc, ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct page_change *v = realloc(*out, c * sizeof *v);
			if (!v) {
				ret = err_set(err, "out of memory");
				break;
			}
			*out = v;
			cap = c;
		}
		memset(&(*out)[*n], 0, sizeof **out);
		if (read_change(q, &(*out)[(*n)++]) < 0) {
			ret = err_set(err, "out of memory");
			break;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_err(s, err, "reading page changes");
	sqlite3_finalize(q);
	if (ret < 0) {
		page_changes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

int store_change_last(struct store *s, const char *source, struct page_change *out,
		      struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = prep(s, "SELECT " CHANGE_COLS " FROM page_changes WHERE source = ?1"
				  " ORDER BY id DESC LIMIT 1", err);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, source, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW)
		ret = read_change(q, out) < 0 ? err_set(err, "out of memory") : 1;
	else if (rc != SQLITE_DONE)
		ret = db_err(s, err, "reading a page change");
	sqlite3_finalize(q);
	return ret;
}
