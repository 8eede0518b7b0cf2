/* The store itself: opening (read-write or read-only), the versioned
 * schema and its migrations (append to migrations[] here), the durability
 * level, transactions, the helpers the store's files share (store_db.h),
 * and sources' health and validators. Items and the calendar's rows are
 * in items.c, digests and the delivery ledger in ledger.c, unsubscribes
 * and the mailbox's rows in mailstate.c. */
#include "store/store_db.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Versioned schema: migrations[i] takes the file from user_version i to
 * i + 1. Append only; never edit a migration that has shipped. */
static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE sources ("
	" name TEXT PRIMARY KEY,"
	" url TEXT,"
	" etag TEXT,"
	" last_modified TEXT,"
	" last_attempt INTEGER,"
	" last_success INTEGER,"
	" consecutive_failures INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE TABLE items ("
	" id INTEGER PRIMARY KEY,"
	" source TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" url TEXT,"
	" title TEXT,"
	" summary TEXT,"
	" content TEXT,"
	" author TEXT,"
	" categories TEXT NOT NULL DEFAULT '[]'," /* JSON array of strings */
	" published INTEGER,"
	" updated INTEGER,"
	" first_seen INTEGER NOT NULL,"
	" UNIQUE(source, key));"
	"CREATE INDEX items_first_seen ON items(first_seen);"
	"CREATE TABLE digests ("
	" id INTEGER PRIMARY KEY,"
	" period_start INTEGER NOT NULL,"
	" period_end INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" completed INTEGER," /* NULL while delivery is unfinished */
	" subject TEXT,"
	" markdown TEXT,"
	" html TEXT,"
	" text TEXT);"
	"CREATE TABLE deliveries ("
	" digest_id INTEGER NOT NULL REFERENCES digests(id),"
	" email TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" message_id TEXT,"
	" last_reply TEXT,"
	" updated INTEGER,"
	" PRIMARY KEY(digest_id, email));",
	/* 2: how each source's items are identified (see identity.h), item
	 * enclosures, and the look-ups identity needs. */
	"ALTER TABLE sources ADD COLUMN key_mode TEXT NOT NULL DEFAULT 'auto';"
	"ALTER TABLE items ADD COLUMN enclosures TEXT;" /* JSON array of {url,type,length} */
	"CREATE INDEX items_source_url ON items(source, url);"
	"CREATE INDEX items_source_title ON items(source, title);",
	/* 3: members who asked to get nothing (issue 7); address lower-cased
	 * by the program, how = 'command' or 'csv'. */
	"CREATE TABLE unsubscribes ("
	" address TEXT PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" how TEXT NOT NULL);",
	/* 4: the digest's events as iCalendar, its mails' text/calendar part
	 * (issue 7); NULL when it has none. */
	"ALTER TABLE digests ADD COLUMN calendar TEXT;",
	/* 5: the URL a source's etag and last_modified were answered for
	 * (issue 15): a URL changed in the config starts without them. NULL
	 * for rows from before, as it cannot be known whether the URL changed
	 * since: each source is fetched once unconditionally. */
	"ALTER TABLE sources ADD COLUMN validators_url TEXT;",
	/* 6: the upcoming event an item announces, found when it is ingested
	 * (issue 21; NULL: none), the calendar's reminders given (once per
	 * entry and year, with the digest that gave it), and calendar.ics's
	 * SEQUENCE per UID (bumped when the hash of its details changes). */
	"ALTER TABLE items ADD COLUMN event_start INTEGER;"
	"ALTER TABLE items ADD COLUMN event_end INTEGER;"
	"CREATE INDEX items_event ON items(event_start) WHERE event_start IS NOT NULL;"
	"CREATE TABLE reminders ("
	" entry TEXT NOT NULL,"
	" year INTEGER NOT NULL,"
	" digest_id INTEGER,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY(entry, year));"
	"CREATE TABLE ical_events ("
	" uid TEXT PRIMARY KEY,"
	" hash TEXT NOT NULL,"
	" sequence INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" modified INTEGER NOT NULL);",
	/* 7: watched pages (issue 19): each page's extract as versions (zlib;
	 * broken: why a version looks broken, NULL when good) and the changes
	 * found between them (lines added and removed). No foreign keys: old
	 * versions are pruned to [watch] keep. */
	"CREATE TABLE page_versions ("
	" id INTEGER PRIMARY KEY,"
	" source TEXT NOT NULL,"
	" fetched INTEGER NOT NULL,"
	" url TEXT,"
	" title TEXT,"
	" kind TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" body BLOB NOT NULL,"
	" broken TEXT);"
	"CREATE INDEX page_versions_source ON page_versions(source, id);"
	"CREATE TABLE page_changes ("
	" id INTEGER PRIMARY KEY,"
	" source TEXT NOT NULL,"
	" old_version INTEGER NOT NULL,"
	" new_version INTEGER NOT NULL,"
	" detected INTEGER NOT NULL,"
	" added INTEGER NOT NULL,"
	" removed INTEGER NOT NULL);"
	"CREATE INDEX page_changes_detected ON page_changes(detected);",
	/* 8: the association's mailbox (issue 18). mailbox_messages: each
	 * message examined, by its Message-ID (else a hash of its header),
	 * recorded before anything is done about it; state 'left' (not ours)
	 * or 'done' (acted on, to be moved); answer: the reply it is owed
	 * (pending, sending, sent, failed, doubt). bounces: one row per bounce
	 * message. member_state: marked bounced, or added by the chair.
	 * sources.paused: when the chair paused it. */
	"CREATE TABLE mailbox_messages ("
	" msgkey TEXT PRIMARY KEY,"
	" folder TEXT NOT NULL,"
	" uidvalidity INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" class TEXT NOT NULL,"
	" address TEXT,"
	" detail TEXT,"
	" state TEXT NOT NULL,"
	" answer TEXT,"
	" answer_to TEXT,"
	" seen INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE INDEX mailbox_messages_uid ON mailbox_messages(folder, uidvalidity, uid);"
	"CREATE TABLE bounces ("
	" msgkey TEXT PRIMARY KEY,"
	" address TEXT NOT NULL,"
	" digest_id INTEGER,"
	" time INTEGER NOT NULL,"
	" hard INTEGER NOT NULL,"
	" status TEXT,"
	" diagnostic TEXT);"
	"CREATE INDEX bounces_address ON bounces(address);"
	"CREATE TABLE member_state ("
	" address TEXT PRIMARY KEY,"
	" bounced INTEGER,"
	" added INTEGER,"
	" name TEXT,"
	" language TEXT);"
	"ALTER TABLE sources ADD COLUMN paused INTEGER;"
	"CREATE INDEX deliveries_message_id ON deliveries(message_id);",
	/* 9: state per member and per digest (issue 13). A deferred member
	 * waits for next_attempt (backoff over later runs, deferrals so far);
	 * a digest keeps its model (the archive is rebuilt from it until
	 * archived is set) and, with members_recorded, a ledger row for each
	 * of its members from the start. Older digests were archived when
	 * sent, and their members are the list's at the time of sending. */
	"ALTER TABLE deliveries ADD COLUMN next_attempt INTEGER;"
	"ALTER TABLE deliveries ADD COLUMN deferrals INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE digests ADD COLUMN model TEXT;"
	"ALTER TABLE digests ADD COLUMN archived INTEGER;"
	"ALTER TABLE digests ADD COLUMN members_recorded INTEGER NOT NULL DEFAULT 0;"
	"UPDATE digests SET archived = created;"
	"CREATE INDEX deliveries_state ON deliveries(state);",
	/* 10: the chair's review (issue 20). A draft is the period's digest
	 * waiting for its reviewers: its items numbered as the review copy
	 * shows them (below = nearly selected), each edit as it came (the
	 * last one per item wins, and a drop holds for later digests too),
	 * and each reviewer's copy with the ledger's states. */
	"CREATE TABLE review_drafts ("
	" id INTEGER PRIMARY KEY,"
	" period_start INTEGER,"
	" period_end INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" deadline INTEGER,"
	" state TEXT NOT NULL,"
	" decided INTEGER,"
	" decided_by TEXT,"
	" digest_id INTEGER);"
	"CREATE TABLE review_numbers ("
	" draft_id INTEGER NOT NULL,"
	" number INTEGER NOT NULL,"
	" item_id INTEGER NOT NULL,"
	" below INTEGER NOT NULL,"
	" score REAL,"
	" title TEXT,"
	" PRIMARY KEY(draft_id, number));"
	"CREATE TABLE review_edits ("
	" id INTEGER PRIMARY KEY,"
	" draft_id INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" by TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" number INTEGER,"
	" item_id INTEGER,"
	" text TEXT);"
	"CREATE INDEX review_edits_item ON review_edits(item_id);"
	"CREATE TABLE review_copies ("
	" draft_id INTEGER NOT NULL,"
	" address TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" message_id TEXT,"
	" updated INTEGER NOT NULL,"
	" PRIMARY KEY(draft_id, address));",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* --- what the store's files share (store_db.h) --- */

int sdb_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

sqlite3_stmt *sdb_stmt(struct store *s, sqlite3_stmt **slot, const char *sql, struct err *err)
{
	if (!*slot && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
			      SQLITE_OK) {
		sdb_err(s, err, "preparing a statement");
		return NULL;
	}
	return *slot;
}

void sdb_done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

int sdb_bind_text(sqlite3_stmt *q, int i, const char *v)
{
	return v ? sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
}

int sdb_bind_time(sqlite3_stmt *q, int i, time_t t)
{
	return t ? sqlite3_bind_int64(q, i, (sqlite3_int64)t) : sqlite3_bind_null(q, i);
}

int sdb_col_dup(sqlite3_stmt *q, int i, char **out)
{
	*out = NULL;
	const unsigned char *t = sqlite3_column_text(q, i);
	if (!t)
		return sqlite3_column_type(q, i) == SQLITE_NULL ? 0 : -1;
	int n = sqlite3_column_bytes(q, i);
	if (!(*out = malloc((size_t)n + 1)))
		return -1;
	memcpy(*out, t, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

time_t sdb_col_time(sqlite3_stmt *q, int i)
{
	return (time_t)sqlite3_column_int64(q, i);
}

int store_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int sdb_step_write(struct store *s, sqlite3_stmt *q, const char *what, struct err *err)
{
	int ret = sqlite3_step(q) == SQLITE_DONE ? sqlite3_changes(s->db) : sdb_err(s, err, what);
	sdb_done(q);
	return ret;
}

int sdb_step_exists(struct store *s, sqlite3_stmt *q, const char *what, struct err *err)
{
	int rc = sqlite3_step(q), ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sdb_err(s, err, what);
	sdb_done(q);
	return ret;
}

int sdb_exec(struct store *s, const char *sql, const char *what, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sdb_err(s, err, what);
	return 0;
}

int sdb_list_rows(struct store *s, sqlite3_stmt *q, size_t elem, sdb_row_reader read_row,
		  void (*free_rows)(void *, size_t), const char *what, void **out, size_t *n,
		  struct err *err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	int rc, ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t c = cap ? cap * 2 : 32;
			void *v = realloc(*out, c * elem);
			if (!v) {
				ret = err_set(err, "%s: out of memory", s->path);
				break;
			}
			*out = v;
			cap = c;
		}
		void *row = (char *)*out + *n * elem;
		memset(row, 0, elem);
		(*n)++; /* owned by the list from here */
		if ((ret = read_row(s, q, row, err)) < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sdb_err(s, err, what);
	sdb_done(q);
	if (ret < 0) {
		free_rows(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

/* --- opening, migrating, transactions --- */

static int read_user_version(struct store *s, int *out, struct err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		return sdb_err(s, err, "reading the schema version");
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sdb_err(s, err, "reading the schema version");
		sqlite3_finalize(q);
		return -1;
	}
	*out = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return 0;
}

static int migrate(struct store *s, struct err *err)
{
	while (s->version < SCHEMA_VERSION) {
		int to = s->version + 1;
		/* IMMEDIATE: two processes opening a fresh file must not both
		 * run the same migration. Re-read the version inside. */
		if (sdb_exec(s, "BEGIN IMMEDIATE", "starting a migration", err))
			return -1;
		int now;
		if (read_user_version(s, &now, err))
			goto fail;
		if (now != s->version) {
			s->version = now;
			sdb_exec(s, "ROLLBACK", "ending a migration", NULL);
			if (now > SCHEMA_VERSION)
				return err_set(err, "%s: schema version %d is newer than this "
						    "program knows (%d)", s->path, now, SCHEMA_VERSION);
			continue;
		}
		char what[64], setv[64];
		snprintf(what, sizeof what, "migrating to schema version %d", to);
		/* An integer we own, not outside data: PRAGMA cannot be bound. */
		snprintf(setv, sizeof setv, "PRAGMA user_version = %d", to);
		if (sdb_exec(s, migrations[to - 1], what, err) || sdb_exec(s, setv, what, err) ||
		    sdb_exec(s, "COMMIT", what, err))
			goto fail;
		s->version = to;
	}
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Read-only through a URI ("file:PATH?mode=ro", immutable=1 when asked). */
static int open_ro(struct store *s, int immutable)
{
	struct buf u = BUF_INIT;
	buf_puts(&u, "file:");
	for (const char *p = s->path; *p; p++)
		if (strchr("%?#", *p))
			buf_printf(&u, "%%%02X", (unsigned char)*p);
		else
			buf_putc(&u, *p);
	buf_puts(&u, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
	int rc = u.data ? sqlite3_open_v2(buf_str(&u), &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
					   NULL)
			: SQLITE_NOMEM;
	buf_free(&u);
	return rc;
}

static int open_store(const char *path, int readonly, struct store **out, struct err *err)
{
	*out = NULL;
	struct store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return err_set(err, "%s: out of memory", path);
	}
	s->readonly = readonly;
	/* The store holds members' addresses and the ledger: a new file is
	 * the owner's alone (SQLite gives its -wal and -shm the same mode). */
	if (!readonly) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
	}
	int rc = readonly ? open_ro(s, 0)
			  : sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					    NULL);
	if (rc != SQLITE_OK) {
		if (s->db)
			sdb_err(s, err, "opening the store");
		else
			err_set(err, "%s: opening the store: out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sdb_exec(s, "PRAGMA busy_timeout = 5000", "setting busy_timeout", err))
		goto fail;
	/* Check the version before anything writes to a file we do not know. */
	if (read_user_version(s, &s->version, err)) {
		/* A WAL store read by someone who may not write its folder: with
		 * no -wal file nobody is writing it and all of it is in the main
		 * file, which can then be read as it is (immutable). */
		char wal[4200];
		snprintf(wal, sizeof wal, "%s-wal", path);
		if (!readonly || access(wal, F_OK) == 0 || errno != ENOENT)
			goto fail;
		sqlite3_close_v2(s->db);
		s->db = NULL;
		if (open_ro(s, 1) != SQLITE_OK || read_user_version(s, &s->version, err))
			goto fail;
	}
	if (s->version > SCHEMA_VERSION) {
		err_set(err, "%s: schema version %d is newer than this program knows (%d); "
			     "refusing to open it", path, s->version, SCHEMA_VERSION);
		goto fail;
	}
	if (readonly) {
		if (s->version < SCHEMA_VERSION) {
			err_set(err, "%s: schema version %d; run bulletin send or fetch once to "
				     "bring it to %d", path, s->version, SCHEMA_VERSION);
			goto fail;
		}
		*out = s;
		return 0;
	}
	/* synchronous=NORMAL is durable enough for items and source health in
	 * WAL mode; the first write of the ledger or a digest switches to FULL
	 * (ensure_full), so no "sent" is forgotten by a power loss. */
	if (sdb_exec(s, "PRAGMA journal_mode = WAL", "setting journal_mode", err) ||
	    sdb_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) ||
	    sdb_exec(s, "PRAGMA synchronous = NORMAL", "setting synchronous", err))
		goto fail;
	if (migrate(s, err))
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

int store_open(const char *path, struct store **out, struct err *err)
{
	return open_store(path, 0, out, err);
}

int store_open_readonly(const char *path, struct store **out, struct err *err)
{
	return open_store(path, 1, out, err);
}

/* Every commit from here on reaches the disk (the WAL fsync'd) before it
 * returns: a ledger transition must be durable before the next SMTP
 * transaction starts. */
int sdb_ensure_full(struct store *s, struct err *err)
{
	/* The level cannot change inside a transaction: store_begin set it. */
	if (s->full || !sqlite3_get_autocommit(s->db))
		return 0;
	if (sdb_exec(s, "PRAGMA synchronous = FULL", "setting synchronous", err))
		return -1;
	s->full = 1;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < SRC_NSTMT; i++)
		sqlite3_finalize(s->src[i]);
	for (int i = 0; i < ITEMS_NSTMT; i++)
		sqlite3_finalize(s->items[i]);
	for (int i = 0; i < LEDGER_NSTMT; i++)
		sqlite3_finalize(s->ledger[i]);
	for (int i = 0; i < MAILSTATE_NSTMT; i++)
		sqlite3_finalize(s->mailstate[i]);
	for (int i = 0; i < REVIEW_NSTMT; i++)
		sqlite3_finalize(s->review[i]);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

struct sqlite3 *store_sqlite(struct store *s)
{
	return s->db;
}

int store_schema_version(struct store *s)
{
	return s->version;
}

int store_begin(struct store *s, struct err *err)
{
	/* IMMEDIATE takes the write lock now, so busy_timeout applies here
	 * instead of failing later when a read lock cannot be upgraded. A
	 * transaction may hold ledger rows: its commit is durable too. */
	if (sdb_ensure_full(s, err))
		return -1;
	return sdb_exec(s, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int store_commit(struct store *s, struct err *err)
{
	return sdb_exec(s, "COMMIT", "committing", err);
}

int store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0; /* nothing open (SQLite may have rolled back already) */
	return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* --- sources --- */

static const char *const src_sql[SRC_NSTMT] = {
	[ST_SOURCE_GET] = "SELECT etag, last_modified, last_attempt, last_success,"
			  " consecutive_failures, last_error, validators_url FROM sources"
			  " WHERE name = ?1",
	[ST_SOURCES_ALL] = "SELECT etag, last_modified, last_attempt, last_success,"
			   " consecutive_failures, last_error, validators_url, name, url, key_mode"
			   " FROM sources ORDER BY name",
	/* Validators belong to the URL that answered them: a response from
	 * another URL replaces both, even with none. */
	[ST_SOURCE_OK] = "INSERT INTO sources(name, url, etag, last_modified, last_attempt,"
			 " last_success, consecutive_failures, last_error, validators_url)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?5, 0, NULL, ?2)"
			 " ON CONFLICT(name) DO UPDATE SET url = excluded.url,"
			 " etag = CASE WHEN validators_url IS excluded.url"
			 " THEN COALESCE(excluded.etag, etag) ELSE excluded.etag END,"
			 " last_modified = CASE WHEN validators_url IS excluded.url"
			 " THEN COALESCE(excluded.last_modified, last_modified)"
			 " ELSE excluded.last_modified END,"
			 " validators_url = excluded.url,"
			 " last_attempt = excluded.last_attempt,"
			 " last_success = excluded.last_success,"
			 " consecutive_failures = 0, last_error = NULL",
	[ST_SOURCE_FAIL] = "INSERT INTO sources(name, url, last_attempt, consecutive_failures,"
			   " last_error) VALUES(?1, ?2, ?3, 1, ?4)"
			   " ON CONFLICT(name) DO UPDATE SET url = excluded.url,"
			   " last_attempt = excluded.last_attempt,"
			   " consecutive_failures = consecutive_failures + 1,"
			   " last_error = excluded.last_error",
};

/* The cached statement, reset and with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct store *s, enum src_stmt id, struct err *err)
{
	return sdb_stmt(s, &s->src[id], src_sql[id], err);
}

void source_state_free(struct source_state *st)
{
	free(st->etag);
	free(st->last_modified);
	free(st->last_error);
	free(st->validators_url);
	memset(st, 0, sizeof *st);
}

static void health_clear(struct source_health *h)
{
	free(h->name);
	free(h->url);
	free(h->key_mode);
	source_state_free(&h->st);
	memset(h, 0, sizeof *h);
}

/* Columns 0-6 of ST_SOURCE_GET and ST_SOURCES_ALL. */
static int read_source_state(sqlite3_stmt *q, struct source_state *out)
{
	out->last_attempt = sdb_col_time(q, 2);
	out->last_success = sdb_col_time(q, 3);
	out->consecutive_failures = sqlite3_column_int(q, 4);
	if (sdb_col_dup(q, 0, &out->etag) || sdb_col_dup(q, 1, &out->last_modified) ||
	    sdb_col_dup(q, 5, &out->last_error) || sdb_col_dup(q, 6, &out->validators_url)) {
		source_state_free(out);
		return -1;
	}
	return 0;
}

int store_source_get(struct store *s, const char *name, struct source_state *out,
		     struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, ST_SOURCE_GET, err);
	if (!q)
		return -1;
	int ret = 0;
	sdb_bind_text(q, 1, name);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (read_source_state(q, out) < 0)
			ret = err_set(err, "%s: source %s: out of memory", s->path, name);
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, "reading a source");
	}
	sdb_done(q);
	return ret;
}

static int read_health(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct source_health *h = row;
	if (read_source_state(q, &h->st) < 0 || sdb_col_dup(q, 7, &h->name) ||
	    sdb_col_dup(q, 8, &h->url) || sdb_col_dup(q, 9, &h->key_mode))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_health(void *v, size_t n) { source_health_free(v, n); }

int store_sources_all(struct store *s, struct source_health **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_SOURCES_ALL, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_health, free_health, "listing sources",
			 (void **)out, n, err);
}

void source_health_free(struct source_health *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		health_clear(&v[i]);
	free(v);
}

int store_source_record(struct store *s, const char *name, const char *url, int ok,
			const char *error, const char *etag, const char *last_modified,
			time_t now, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ok ? ST_SOURCE_OK : ST_SOURCE_FAIL, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, name);
	sdb_bind_text(q, 2, url);
	if (ok) {
		sdb_bind_text(q, 3, etag);
		sdb_bind_text(q, 4, last_modified);
		sdb_bind_time(q, 5, now);
	} else {
		sdb_bind_time(q, 3, now);
		sdb_bind_text(q, 4, error ? error : "unknown error");
	}
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = sdb_err(s, err, "recording a fetch");
	sdb_done(q);
	return ret;
}
