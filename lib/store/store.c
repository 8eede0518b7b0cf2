#include "store/store.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
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
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* Statements prepared once per store and reused. */
enum stmt_id {
	ST_SOURCE_GET,
	ST_SOURCES_ALL,
	ST_KEY_MODE_GET,
	ST_KEY_MODE_SET,
	ST_KEY_BY_URL,
	ST_KEY_BY_TITLE,
	ST_KEY_EXISTS,
	ST_SOURCE_OK,
	ST_SOURCE_FAIL,
	ST_ITEM_INSERT,
	ST_ITEM_UPDATE,
	ST_ITEMS_BETWEEN,
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
	ST_UNSUB_ADD,
	ST_UNSUB_REMOVE,
	ST_UNSUB_GET,
	ST_UNSUB_ALL,
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
	ST_ITEMS_EVENTS,
	ST_REMINDER_GET,
	ST_REMINDER_MARK,
	ST_ICAL_GET,
	ST_ICAL_SET,
	ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
	[ST_SOURCE_GET] = "SELECT etag, last_modified, last_attempt, last_success,"
			  " consecutive_failures, last_error, validators_url FROM sources"
			  " WHERE name = ?1",
	[ST_SOURCES_ALL] = "SELECT etag, last_modified, last_attempt, last_success,"
			   " consecutive_failures, last_error, validators_url, name, url, key_mode"
			   " FROM sources ORDER BY name",
	[ST_KEY_MODE_GET] = "SELECT key_mode FROM sources WHERE name = ?1",
	[ST_KEY_MODE_SET] = "INSERT INTO sources(name, key_mode) VALUES(?1, ?2)"
			    " ON CONFLICT(name) DO UPDATE SET key_mode = excluded.key_mode",
	[ST_KEY_BY_URL] = "SELECT key FROM items WHERE source = ?1 AND url = ?2 ORDER BY id LIMIT 1",
	[ST_KEY_BY_TITLE] = "SELECT key FROM items WHERE source = ?1 AND title = ?2"
			    " ORDER BY id LIMIT 1",
	[ST_KEY_EXISTS] = "SELECT 1 FROM items WHERE source = ?1 AND key = ?2",
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
	[ST_ITEM_INSERT] = "INSERT INTO items(source, key, url, title, summary, content, author,"
			   " categories, published, updated, enclosures, first_seen, event_start,"
			   " event_end)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?11, ?13, ?14)"
			   " ON CONFLICT(source, key) DO NOTHING",
	[ST_ITEM_UPDATE] = "UPDATE items SET url = ?3, title = ?4, summary = ?5, content = ?6,"
			   " author = ?7, categories = ?8, published = ?9, updated = ?10,"
			   " enclosures = ?12, event_start = ?13, event_end = ?14"
			   " WHERE source = ?1 AND key = ?2 RETURNING id, first_seen",
	[ST_ITEMS_BETWEEN] = "SELECT id, source, key, url, title, summary, content, author,"
			     " categories, published, updated, first_seen, enclosures, event_start,"
			     " event_end FROM items"
			     " WHERE first_seen >= ?1 AND first_seen < ?2"
			     " ORDER BY first_seen, id",
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
	[ST_UNSUB_ADD] = "INSERT INTO unsubscribes(address, time, how) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(address) DO NOTHING",
	[ST_UNSUB_REMOVE] = "DELETE FROM unsubscribes WHERE address = ?1",
	[ST_UNSUB_GET] = "SELECT address, time, how FROM unsubscribes WHERE address = ?1",
	[ST_UNSUB_ALL] = "SELECT address, time, how FROM unsubscribes ORDER BY address",
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
	[ST_ITEMS_EVENTS] = "SELECT id, source, key, url, title, summary, content, author,"
			    " categories, published, updated, first_seen, enclosures, event_start,"
			    " event_end FROM items"
			    " WHERE event_start IS NOT NULL AND event_start < ?2"
			    " AND COALESCE(event_end, event_start) >= ?1"
			    " ORDER BY event_start, id",
	[ST_REMINDER_GET] = "SELECT 1 FROM reminders WHERE entry = ?1 AND year = ?2",
	[ST_REMINDER_MARK] = "INSERT INTO reminders(entry, year, digest_id, time) VALUES(?1, ?2, ?3, ?4)"
			     " ON CONFLICT(entry, year) DO NOTHING",
	[ST_ICAL_GET] = "SELECT hash, sequence, created, modified FROM ical_events WHERE uid = ?1",
	[ST_ICAL_SET] = "INSERT INTO ical_events(uid, hash, sequence, created, modified)"
			" VALUES(?1, ?2, 0, ?3, ?3)"
			" ON CONFLICT(uid) DO UPDATE SET hash = excluded.hash,"
			" sequence = sequence + 1, modified = excluded.modified",
};

/* The mailbox's statements (issue 18), kept apart from the list above. */
enum mst_id {
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
	MST_COUNT_
};

struct store {
	sqlite3 *db;
	char *path;
	int version;
	int full;      /* synchronous = FULL: the ledger has been written */
	int readonly;
	sqlite3_stmt *st[ST_COUNT_];
	sqlite3_stmt *mst[MST_COUNT_]; /* the mailbox's (below) */
};

static int db_err(struct store *s, struct err *err, const char *what)
{
	return err_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* *slot prepared from sql once, then reused; NULL on error. */
static sqlite3_stmt *cached(struct store *s, sqlite3_stmt **slot, const char *sql, struct err *err)
{
	if (!*slot && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
			      SQLITE_OK) {
		db_err(s, err, "preparing a statement");
		return NULL;
	}
	return *slot;
}

/* The cached statement, reset and with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct store *s, enum stmt_id id, struct err *err)
{
	return cached(s, &s->st[id], stmt_sql[id], err);
}

/* Releases the statement for the next use (keeps the cached prepare). */
static void done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

static int bind_text(sqlite3_stmt *q, int i, const char *v)
{
	return v ? sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q, i);
}

/* 0 (unknown) is stored as NULL so "unknown" stays distinguishable in SQL. */
static int bind_time(sqlite3_stmt *q, int i, time_t t)
{
	return t ? sqlite3_bind_int64(q, i, (sqlite3_int64)t) : sqlite3_bind_null(q, i);
}

/* Column text as a fresh string; NULL stays NULL. Returns 0 or -1 (OOM). */
static int col_dup(sqlite3_stmt *q, int i, char **out)
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

static time_t col_time(sqlite3_stmt *q, int i)
{
	return (time_t)sqlite3_column_int64(q, i);
}

static int exec(struct store *s, const char *sql, const char *what, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, err, what);
	return 0;
}

static int read_user_version(struct store *s, int *out, struct err *err)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		return db_err(s, err, "reading the schema version");
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		db_err(s, err, "reading the schema version");
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
		if (exec(s, "BEGIN IMMEDIATE", "starting a migration", err))
			return -1;
		int now;
		if (read_user_version(s, &now, err))
			goto fail;
		if (now != s->version) {
			s->version = now;
			exec(s, "ROLLBACK", "ending a migration", NULL);
			if (now > SCHEMA_VERSION)
				return err_set(err, "%s: schema version %d is newer than this "
						    "program knows (%d)", s->path, now, SCHEMA_VERSION);
			continue;
		}
		char what[64], setv[64];
		snprintf(what, sizeof what, "migrating to schema version %d", to);
		/* An integer we own, not outside data: PRAGMA cannot be bound. */
		snprintf(setv, sizeof setv, "PRAGMA user_version = %d", to);
		if (exec(s, migrations[to - 1], what, err) || exec(s, setv, what, err) ||
		    exec(s, "COMMIT", what, err))
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
			db_err(s, err, "opening the store");
		else
			err_set(err, "%s: opening the store: out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (exec(s, "PRAGMA busy_timeout = 5000", "setting busy_timeout", err))
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
	if (exec(s, "PRAGMA journal_mode = WAL", "setting journal_mode", err) ||
	    exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) ||
	    exec(s, "PRAGMA synchronous = NORMAL", "setting synchronous", err))
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
static int ensure_full(struct store *s, struct err *err)
{
	/* The level cannot change inside a transaction: store_begin set it. */
	if (s->full || !sqlite3_get_autocommit(s->db))
		return 0;
	if (exec(s, "PRAGMA synchronous = FULL", "setting synchronous", err))
		return -1;
	s->full = 1;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(s->st[i]);
	for (int i = 0; i < MST_COUNT_; i++)
		sqlite3_finalize(s->mst[i]);
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
	if (ensure_full(s, err))
		return -1;
	return exec(s, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int store_commit(struct store *s, struct err *err)
{
	return exec(s, "COMMIT", "committing", err);
}

int store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return 0; /* nothing open (SQLite may have rolled back already) */
	return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* --- sources --- */

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
	out->last_attempt = col_time(q, 2);
	out->last_success = col_time(q, 3);
	out->consecutive_failures = sqlite3_column_int(q, 4);
	if (col_dup(q, 0, &out->etag) || col_dup(q, 1, &out->last_modified) ||
	    col_dup(q, 5, &out->last_error) || col_dup(q, 6, &out->validators_url)) {
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
	bind_text(q, 1, name);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (read_source_state(q, out) < 0)
			ret = err_set(err, "%s: source %s: out of memory", s->path, name);
	} else if (rc != SQLITE_DONE) {
		ret = db_err(s, err, "reading a source");
	}
	done(q);
	return ret;
}

/* Reads one row into *row (zeroed). Returns 0, or -1 with err; a row left
 * half-filled is still freed by the list's free function. */
typedef int (*row_reader)(struct store *s, sqlite3_stmt *q, void *row, struct err *err);

/* Every row of q into a growing array of elem-byte rows. On failure the
 * rows read so far go to free_rows and the list is empty. */
static int list_rows(struct store *s, sqlite3_stmt *q, size_t elem, row_reader read_row,
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
		ret = db_err(s, err, what);
	done(q);
	if (ret < 0) {
		free_rows(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

static int read_health(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct source_health *h = row;
	if (read_source_state(q, &h->st) < 0 || col_dup(q, 7, &h->name) ||
	    col_dup(q, 8, &h->url) || col_dup(q, 9, &h->key_mode))
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
	return list_rows(s, q, sizeof **out, read_health, free_health, "listing sources",
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
	bind_text(q, 1, name);
	bind_text(q, 2, url);
	if (ok) {
		bind_text(q, 3, etag);
		bind_text(q, 4, last_modified);
		bind_time(q, 5, now);
	} else {
		bind_time(q, 3, now);
		bind_text(q, 4, error ? error : "unknown error");
	}
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = db_err(s, err, "recording a fetch");
	done(q);
	return ret;
}

/* --- items --- */

/* The categories as a compact JSON array (caller frees), or NULL with err. */
static char *categories_json(struct store *s, const struct item *it, struct err *err)
{
	json_t *a = json_array();
	if (!a)
		goto oom;
	for (size_t i = 0; i < it->ncategories; i++) {
		json_t *v = json_string(it->categories[i]);
		if (!v) {
			json_decref(a);
			err_set(err, "%s: item %s/%s: category is not valid UTF-8", s->path,
				it->source, it->key);
			return NULL;
		}
		if (json_array_append_new(a, v))
			goto oom_a;
	}
	char *j = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!j)
		goto oom;
	return j;
oom_a:
	json_decref(a);
oom:
	err_set(err, "%s: out of memory", s->path);
	return NULL;
}

static int categories_load(struct item *it, const char *j)
{
	if (!j)
		return 0;
	json_t *a = json_loads(j, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		return 0; /* a damaged column loses only the categories */
	}
	size_t i;
	json_t *v;
	int ret = 0;
	json_array_foreach(a, i, v) {
		if (json_is_string(v) && item_add_category(it, json_string_value(v))) {
			ret = -1;
			break;
		}
	}
	json_decref(a);
	return ret;
}

/* NULL when the item has none (or out of memory: enclosures are extras,
 * and the item itself still gets stored). */
static char *enclosures_json(const struct item *it)
{
	if (!it->nenclosures)
		return NULL;
	json_t *a = json_array();
	for (size_t i = 0; a && i < it->nenclosures; i++) {
		const struct enclosure *e = &it->enclosures[i];
		json_array_append_new(a, json_pack("{s:s?, s:s?, s:I}", "url", e->url, "type", e->type,
						   "length", (json_int_t)e->length));
	}
	char *j = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return j;
}

static int enclosures_load(struct item *it, const char *j)
{
	if (!j)
		return 0;
	json_t *a = json_loads(j, 0, NULL);
	size_t i;
	json_t *v;
	int ret = 0;
	json_array_foreach(a, i, v) {
		const char *url = json_string_value(json_object_get(v, "url"));
		if (url && item_add_enclosure(it, url, json_string_value(json_object_get(v, "type")),
					      (long long)json_integer_value(json_object_get(v, "length")))) {
			ret = -1;
			break;
		}
	}
	json_decref(a);
	return ret;
}

/* Binds ?1..?10 shared by the item INSERT and UPDATE. */
static void bind_item(sqlite3_stmt *q, const struct item *it, const char *cats)
{
	bind_text(q, 1, it->source);
	bind_text(q, 2, it->key);
	bind_text(q, 3, it->url);
	bind_text(q, 4, it->title);
	bind_text(q, 5, it->summary);
	bind_text(q, 6, it->content);
	bind_text(q, 7, it->author);
	bind_text(q, 8, cats);
	bind_time(q, 9, it->published);
	bind_time(q, 10, it->updated);
}

int store_item_upsert(struct store *s, struct item *it, time_t now, int *is_new,
		      struct err *err)
{
	*is_new = 0;
	if (!it->source || !it->key)
		return err_set(err, "%s: an item needs a source and a key", s->path);
	char *cats = categories_json(s, it, err);
	if (!cats)
		return -1;
	char *encl = enclosures_json(it);
	int ret = -1;
	/* INSERT ... DO NOTHING tells new from old by the change count; the
	 * UPDATE then refreshes an old row's text and keeps first_seen. */
	sqlite3_stmt *q = stmt(s, ST_ITEM_INSERT, err);
	if (!q)
		goto out;
	bind_item(q, it, cats);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)now);
	bind_text(q, 12, encl);
	bind_time(q, 13, it->event_start);
	bind_time(q, 14, it->event_end);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		db_err(s, err, "inserting an item");
		err_prefix(err, "item %s/%s", it->source, it->key);
		done(q);
		goto out;
	}
	done(q);
	if (sqlite3_changes(s->db) == 1) {
		*is_new = 1;
		it->id = sqlite3_last_insert_rowid(s->db);
		it->first_seen = now;
		ret = 0;
		goto out;
	}
	if (!(q = stmt(s, ST_ITEM_UPDATE, err)))
		goto out;
	bind_item(q, it, cats);
	bind_text(q, 12, encl);
	bind_time(q, 13, it->event_start);
	bind_time(q, 14, it->event_end);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		it->id = sqlite3_column_int64(q, 0);
		it->first_seen = col_time(q, 1);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		err_set(err, "%s: item %s/%s vanished while being updated", s->path, it->source,
			it->key);
	} else {
		db_err(s, err, "updating an item");
	}
	done(q);
out:
	free(cats);
	free(encl);
	return ret;
}

/* Every row of q (the columns of ST_ITEMS_BETWEEN) appended to out. */
static int read_items(struct store *s, sqlite3_stmt *q, struct item_list *out, struct err *err)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct item *it = item_list_push(out);
		if (!it) {
			ret = err_set(err, "%s: reading items: out of memory", s->path);
			break;
		}
		it->id = sqlite3_column_int64(q, 0);
		it->published = col_time(q, 9);
		it->updated = col_time(q, 10);
		it->first_seen = col_time(q, 11);
		it->event_start = col_time(q, 13);
		it->event_end = col_time(q, 14);
		if (col_dup(q, 1, &it->source) || col_dup(q, 2, &it->key) ||
		    col_dup(q, 3, &it->url) || col_dup(q, 4, &it->title) ||
		    col_dup(q, 5, &it->summary) || col_dup(q, 6, &it->content) ||
		    col_dup(q, 7, &it->author) ||
		    categories_load(it, (const char *)sqlite3_column_text(q, 8)) ||
		    enclosures_load(it, (const char *)sqlite3_column_text(q, 12))) {
			ret = err_set(err, "%s: reading items: out of memory", s->path);
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = db_err(s, err, "reading items");
	done(q);
	return ret;
}

/* The items of statement id for the times ?1 and ?2. */
static int items_for(struct store *s, enum stmt_id id, time_t a, time_t b, struct item_list *out,
		     struct err *err)
{
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)a);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)b);
	return read_items(s, q, out, err);
}

int store_items_between(struct store *s, time_t since, time_t until, struct item_list *out,
			struct err *err)
{
	return items_for(s, ST_ITEMS_BETWEEN, since, until, out, err);
}

int store_items_with_events(struct store *s, time_t from, time_t until, struct item_list *out,
			    struct err *err)
{
	return items_for(s, ST_ITEMS_EVENTS, from, until, out, err);
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
		*out = col_time(q, 0); /* NULL (no digest) reads as 0 */
	else
		ret = db_err(s, err, "reading the last digest");
	done(q);
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
		out->period_start = col_time(q, 1);
		out->period_end = col_time(q, 2);
		out->created = col_time(q, 3);
		out->completed = col_time(q, 4);
		int parts = sqlite3_column_count(q) > 6, more = sqlite3_column_count(q) > 10;
		if (more) {
			out->archived = col_time(q, 11);
			out->members_recorded = sqlite3_column_int(q, 12);
		}
		if (col_dup(q, 5, &out->subject) ||
		    (parts && (col_dup(q, 6, &out->markdown) || col_dup(q, 7, &out->html) ||
			       col_dup(q, 8, &out->text) || col_dup(q, 9, &out->calendar))) ||
		    (more && col_dup(q, 10, &out->model))) {
			digest_row_free(out);
			ret = err_set(err, "%s: reading a digest: out of memory", s->path);
		} else {
			ret = 1;
		}
	} else if (rc != SQLITE_DONE) {
		ret = db_err(s, err, what);
	}
	done(q);
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
	if (ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_INSERT, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)d->period_start);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)d->period_end);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)d->created);
	bind_time(q, 4, d->completed);
	bind_text(q, 5, d->subject);
	bind_text(q, 6, d->markdown);
	bind_text(q, 7, d->html);
	bind_text(q, 8, d->text);
	bind_text(q, 9, d->calendar);
	bind_text(q, 10, d->model);
	bind_time(q, 11, d->archived);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_DONE)
		d->id = sqlite3_last_insert_rowid(s->db);
	else
		ret = db_err(s, err, "inserting a digest");
	done(q);
	return ret;
}

int store_digest_complete(struct store *s, int64_t id, time_t now, struct err *err)
{
	if (ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DIGEST_COMPLETE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = db_err(s, err, "completing a digest");
	else if (sqlite3_changes(s->db) != 1)
		ret = err_set(err, "%s: no digest with id %lld", s->path, (long long)id);
	done(q);
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
	bind_text(q, 2, email);
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
		ret = db_err(s, err, "reading a delivery");
	}
	done(q);
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
	if (ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_SET, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	bind_text(q, 2, email);
	bind_text(q, 3, state_names[st]);
	sqlite3_bind_int(q, 4, tries);
	bind_text(q, 5, message_id);
	bind_text(q, 6, reply);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)now);
	bind_time(q, 8, st == DELIVERY_DEFERRED ? next_attempt : 0);
	sqlite3_bind_int(q, 9, st == DELIVERY_DEFERRED);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE) {
		db_err(s, err, "recording a delivery");
		ret = err_prefix(err, "digest %lld, %s", (long long)digest_id, email);
	}
	done(q);
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
		ret = db_err(s, err, "counting deliveries");
	done(q);
	return ret;
}

/* --- identity look-ups --- */

static int one_text(struct store *s, enum stmt_id id, const char *a, const char *b, char **out,
		    const char *what, struct err *err)
{
	*out = NULL;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	bind_text(q, 1, a);
	if (b)
		bind_text(q, 2, b);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		if (col_dup(q, 0, out))
			ret = err_set(err, "%s: out of memory", s->path);
	} else if (rc != SQLITE_DONE) {
		ret = db_err(s, err, what);
	}
	done(q);
	return ret;
}

int store_key_mode_get(struct store *s, const char *source, char **mode, struct err *err)
{
	return one_text(s, ST_KEY_MODE_GET, source, NULL, mode, "reading a key mode", err);
}

int store_key_mode_set(struct store *s, const char *source, const char *mode, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ST_KEY_MODE_SET, err);
	if (!q)
		return -1;
	bind_text(q, 1, source);
	bind_text(q, 2, mode);
	int ret = sqlite3_step(q) == SQLITE_DONE ? 0 : db_err(s, err, "setting a key mode");
	done(q);
	return ret;
}

int store_item_key_by_url(struct store *s, const char *source, const char *url, char **key,
			  struct err *err)
{
	return one_text(s, ST_KEY_BY_URL, source, url, key, "looking up an item by link", err);
}

int store_item_key_by_title(struct store *s, const char *source, const char *title, char **key,
			    struct err *err)
{
	return one_text(s, ST_KEY_BY_TITLE, source, title, key, "looking up an item by title", err);
}

int store_item_exists(struct store *s, const char *source, const char *key, struct err *err)
{
	char *one = NULL;
	if (one_text(s, ST_KEY_EXISTS, source, key, &one, "looking up an item", err) < 0)
		return -1;
	int r = one != NULL;
	free(one);
	return r;
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
	d->updated = col_time(q, 5);
	d->next_attempt = col_time(q, 6);
	d->deferrals = sqlite3_column_int(q, 7);
	d->digest_id = sqlite3_column_int64(q, 8);
	if (col_dup(q, 0, &d->email) || col_dup(q, 3, &d->message_id) ||
	    col_dup(q, 4, &d->last_reply))
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
	return list_rows(s, q, sizeof **out, read_delivery, free_deliveries, "listing deliveries",
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
	d->period_start = col_time(q, 1);
	d->period_end = col_time(q, 2);
	d->created = col_time(q, 3);
	d->completed = col_time(q, 4);
	if (col_dup(q, 5, &d->subject))
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

static int digest_heads(struct store *s, enum stmt_id id, struct digest_row **out, size_t *n,
			struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	return list_rows(s, q, sizeof **out, read_digest_head, free_digest_rows, "listing digests",
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
static int digest_update(struct store *s, enum stmt_id id, int64_t digest_id, time_t t,
			 const char *what, struct err *err)
{
	if (ensure_full(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, digest_id);
	if (sqlite3_bind_parameter_count(q) >= 2)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)t);
	int ret = sqlite3_step(q) == SQLITE_DONE ? sqlite3_changes(s->db) : db_err(s, err, what);
	done(q);
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
		*out = col_time(q, 0); /* NULL (no later digest) reads as 0 */
	else
		ret = db_err(s, err, "reading the digests");
	done(q);
	return ret;
}

static int delivery_rows(struct store *s, sqlite3_stmt *q, struct delivery_row **out, size_t *n,
			 struct err *err)
{
	return list_rows(s, q, sizeof **out, read_delivery, free_deliveries, "listing deliveries",
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
	bind_text(q, 1, delivery_state_name(st));
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
	if (ensure_full(s, err) || store_begin(s, err)) {
		done(q);
		return -1;
	}
	int ret = store_delivery_in_state(s, from, digest_id, &v, &k, err);
	if (ret == 0 && sqlite3_step(q) != SQLITE_DONE)
		ret = db_err(s, err, what);
	done(q);
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
	bind_text(q, 2, reply);
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
	if (ensure_full(s, err) || store_begin(s, err))
		return -1;
	sqlite3_stmt *q = stmt(s, ST_DELIVERY_RESOLVE, err);
	int ret = q ? 0 : -1;
	if (q) {
		sqlite3_bind_int64(q, 1, digest_id);
		bind_text(q, 2, email);
		bind_text(q, 3, state_names[to]);
		sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
		bind_text(q, 5, reply);
		if (sqlite3_step(q) == SQLITE_DONE)
			ret = sqlite3_changes(s->db);
		else
			ret = db_err(s, err, "resolving deliveries in doubt");
		done(q);
	}
	/* A member to resend makes the digest unfinished again. */
	if (ret >= 0 && to == DELIVERY_QUEUED &&
	    (q = stmt(s, ST_DIGEST_REOPEN, err))) {
		if (sqlite3_step(q) != SQLITE_DONE)
			ret = db_err(s, err, "reopening a digest");
		done(q);
	} else if (ret >= 0 && to == DELIVERY_QUEUED) {
		ret = -1;
	}
	if (ret >= 0 && store_commit(s, err) < 0)
		ret = -1;
	if (ret < 0)
		store_rollback(s);
	return ret;
}

/* --- unsubscribes --- */

/* ASCII lower case only: SQLite's lower() and the member list's duplicate
 * check agree on that, and UTF-8 case folding is not ours to guess. */
static char *lower_dup(const char *a)
{
	char *l = strdup(a);
	for (char *p = l; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

void unsubscribe_free(struct unsubscribe *u)
{
	free(u->address);
	free(u->how);
	memset(u, 0, sizeof *u);
}

void unsubscribes_free(struct unsubscribe *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		unsubscribe_free(&v[i]);
	free(v);
}

static int read_unsub(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct unsubscribe *u = row;
	u->time = col_time(q, 1);
	if (col_dup(q, 0, &u->address) || col_dup(q, 2, &u->how))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_unsubs(void *v, size_t n) { unsubscribes_free(v, n); }

/* Runs a one-address write (add or remove); returns the change count. */
static int unsub_write(struct store *s, enum stmt_id id, const char *address, const char *how,
		       time_t now, const char *what, struct err *err)
{
	char *addr = lower_dup(address);
	if (!addr)
		return err_set(err, "%s: out of memory", s->path);
	sqlite3_stmt *q = stmt(s, id, err);
	int ret = -1;
	if (q) {
		bind_text(q, 1, addr);
		if (id == ST_UNSUB_ADD) {
			sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
			bind_text(q, 3, how);
		}
		if (sqlite3_step(q) == SQLITE_DONE)
			ret = sqlite3_changes(s->db) > 0;
		else
			db_err(s, err, what);
		done(q);
	}
	free(addr);
	return ret;
}

int store_unsubscribe_add(struct store *s, const char *address, const char *how, time_t now,
			  struct err *err)
{
	return unsub_write(s, ST_UNSUB_ADD, address, how ? how : "command", now,
			   "recording an unsubscribe", err);
}

int store_unsubscribe_remove(struct store *s, const char *address, struct err *err)
{
	return unsub_write(s, ST_UNSUB_REMOVE, address, NULL, 0, "removing an unsubscribe", err);
}

int store_unsubscribe_get(struct store *s, const char *address, struct unsubscribe *out,
			  struct err *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	char *addr = lower_dup(address);
	if (!addr)
		return err_set(err, "%s: out of memory", s->path);
	sqlite3_stmt *q = stmt(s, ST_UNSUB_GET, err);
	int ret = -1;
	if (q) {
		bind_text(q, 1, addr);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			ret = 1;
			if (out && read_unsub(s, q, out, err) < 0) {
				unsubscribe_free(out);
				ret = -1;
			}
		} else if (rc == SQLITE_DONE) {
			ret = 0;
		} else {
			db_err(s, err, "reading an unsubscribe");
		}
		done(q);
	}
	free(addr);
	return ret;
}

int store_unsubscribes_all(struct store *s, struct unsubscribe **out, size_t *n,
			   struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, ST_UNSUB_ALL, err);
	if (!q)
		return -1;
	return list_rows(s, q, sizeof **out, read_unsub, free_unsubs, "listing unsubscribes",
			 (void **)out, n, err);
}

/* --- the calendar: reminders given, calendar.ics sequences --- */

int store_reminder_given(struct store *s, const char *entry, int year, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ST_REMINDER_GET, err);
	if (!q)
		return -1;
	bind_text(q, 1, entry);
	sqlite3_bind_int(q, 2, year);
	int rc = sqlite3_step(q), ret = rc == SQLITE_ROW ? 1 : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_err(s, err, "reading a reminder");
	done(q);
	return ret;
}

int store_reminder_mark(struct store *s, const char *entry, int year, int64_t digest_id,
			time_t now, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ST_REMINDER_MARK, err);
	if (!q)
		return -1;
	bind_text(q, 1, entry);
	sqlite3_bind_int(q, 2, year);
	if (digest_id)
		sqlite3_bind_int64(q, 3, digest_id);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = db_err(s, err, "recording a reminder");
	else
		ret = sqlite3_changes(s->db) == 1;
	done(q);
	return ret;
}

int store_ical_sequence(struct store *s, const char *uid, const char *hash, time_t now,
			struct ical_state *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, ST_ICAL_GET, err);
	if (!q)
		return -1;
	bind_text(q, 1, uid);
	int rc = sqlite3_step(q), same = 0;
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(q, 0);
		same = h && !strcmp((const char *)h, hash);
		out->sequence = sqlite3_column_int(q, 1);
		out->created = col_time(q, 2);
		out->modified = col_time(q, 3);
	} else if (rc != SQLITE_DONE) {
		db_err(s, err, "reading a calendar event");
		done(q);
		return -1;
	}
	done(q);
	if (same)
		return 0;
	/* new, or a detail changed: the next sequence, modified now */
	if (!(q = stmt(s, ST_ICAL_SET, err)))
		return -1;
	bind_text(q, 1, uid);
	bind_text(q, 2, hash);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE) {
		ret = db_err(s, err, "recording a calendar event");
	} else if (rc == SQLITE_ROW) {
		out->sequence++;
		out->modified = now;
	} else {
		out->created = out->modified = now;
	}
	done(q);
	return ret;
}

/* --- the association's mailbox (issue 18) --- */

#define MB_COLS "msgkey, folder, uidvalidity, uid, class, address, detail, state, answer," \
		" answer_to, seen, updated"
/* One row per address the mailbox or a command ever touched, with what
 * is known about it; the WHERE of the first CTE picks all or one. */
#define STATES_SQL(addresses)                                                                  \
	"WITH a(address) AS (" addresses ")"                                                   \
	" SELECT a.address, u.time, u.how, m.bounced, m.added, m.name, m.language,"            \
	" (SELECT COUNT(*) FROM bounces b WHERE b.address = a.address AND b.hard = 1),"         \
	" (SELECT COUNT(*) FROM bounces b WHERE b.address = a.address AND b.hard = 0),"         \
	" (SELECT COUNT(DISTINCT COALESCE(b.digest_id, -b.rowid)) FROM bounces b"               \
	"  WHERE b.address = a.address AND b.hard = 1),"                                       \
	" l.status, l.diagnostic, l.time, l.hard"                                              \
	" FROM a LEFT JOIN unsubscribes u ON u.address = a.address"                            \
	" LEFT JOIN member_state m ON m.address = a.address"                                   \
	" LEFT JOIN bounces l ON l.rowid = (SELECT b.rowid FROM bounces b"                     \
	"  WHERE b.address = a.address ORDER BY b.time DESC, b.rowid DESC LIMIT 1)"             \
	" ORDER BY a.address"

static const char *const mst_sql[MST_COUNT_] = {
	[MST_MB_GET] = "SELECT " MB_COLS " FROM mailbox_messages WHERE msgkey = ?1",
	[MST_MB_PUT] = "INSERT INTO mailbox_messages(" MB_COLS ")"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
		       " ON CONFLICT(msgkey) DO UPDATE SET folder = excluded.folder,"
		       " uidvalidity = excluded.uidvalidity, uid = excluded.uid,"
		       " class = excluded.class, address = excluded.address,"
		       " detail = excluded.detail, state = excluded.state,"
		       " answer = excluded.answer, answer_to = excluded.answer_to,"
		       " updated = excluded.updated",
	[MST_MB_ANSWER] = "UPDATE mailbox_messages SET answer = ?2, updated = ?3 WHERE msgkey = ?1",
	[MST_MB_STATE_UID] = "UPDATE mailbox_messages SET state = ?4"
			     " WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3 AND state != 'left'",
	[MST_MB_LEFT_UIDS] = "SELECT uid, CASE state WHEN 'left' THEN 1 WHEN 'copying' THEN 2"
			     " ELSE 0 END, msgkey FROM mailbox_messages"
			     " WHERE folder = ?1 AND uidvalidity = ?2 ORDER BY uid",
	[MST_MB_ANSWERS] = "SELECT " MB_COLS " FROM mailbox_messages"
			   " WHERE answer IN ('pending', 'sending') ORDER BY seen, msgkey",
	[MST_BOUNCE_ADD] = "INSERT INTO bounces(msgkey, address, digest_id, time, hard, status,"
			   " diagnostic) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			   " ON CONFLICT(msgkey) DO NOTHING",
	[MST_BOUNCED_SET] = "INSERT INTO member_state(address, bounced) VALUES(?1, ?2)"
			    " ON CONFLICT(address) DO UPDATE SET"
			    " bounced = COALESCE(bounced, excluded.bounced)",
	[MST_BOUNCED_GET] = "SELECT 1 FROM member_state WHERE address = ?1 AND bounced IS NOT NULL",
	[MST_MEMBER_ADD] = "INSERT INTO member_state(address, added, name, language)"
			   " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(address) DO UPDATE SET"
			   " added = COALESCE(added, excluded.added), name = excluded.name,"
			   " language = COALESCE(excluded.language, language)",
	[MST_MEMBERS_ADDED] = "SELECT address, name, language, added FROM member_state"
			      " WHERE added IS NOT NULL ORDER BY address",
	[MST_MEMBER_RESET] = "UPDATE member_state SET bounced = NULL WHERE address = ?1",
	[MST_BOUNCES_FORGET] = "DELETE FROM bounces WHERE address = ?1",
	[MST_STATES_ALL] = STATES_SQL("SELECT address FROM unsubscribes UNION SELECT address FROM"
				      " member_state UNION SELECT address FROM bounces"),
	[MST_STATE_ONE] = STATES_SQL("SELECT ?1"),
	[MST_BY_MESSAGE_ID] = "SELECT digest_id, email FROM deliveries WHERE message_id = ?1"
			      " ORDER BY digest_id LIMIT 1",
	[MST_DIGEST_BEFORE] = "SELECT MAX(id) FROM digests WHERE created <= ?1",
	[MST_PAUSE] = "INSERT INTO sources(name, paused) VALUES(?1, ?2)"
		      " ON CONFLICT(name) DO UPDATE SET paused = excluded.paused",
	[MST_PAUSED] = "SELECT 1 FROM sources WHERE name = ?1 AND paused IS NOT NULL",
};

static sqlite3_stmt *mstmt(struct store *s, enum mst_id id, struct err *err)
{
	return cached(s, &s->mst[id], mst_sql[id], err);
}

/* Steps a write (bindings done); the change count, or -1 with err. */
static int step_write(struct store *s, sqlite3_stmt *q, const char *what, struct err *err)
{
	int ret = sqlite3_step(q) == SQLITE_DONE ? sqlite3_changes(s->db) : db_err(s, err, what);
	done(q);
	return ret;
}

/* Steps a query for "is there a row": 1, 0, or -1 with err. */
static int step_exists(struct store *s, sqlite3_stmt *q, const char *what, struct err *err)
{
	int rc = sqlite3_step(q), ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_err(s, err, what);
	done(q);
	return ret;
}

void mb_record_free(struct mb_record *r)
{
	free(r->msgkey);
	free(r->folder);
	free(r->cls);
	free(r->address);
	free(r->detail);
	free(r->state);
	free(r->answer);
	free(r->answer_to);
	memset(r, 0, sizeof *r);
}

void mb_records_free(struct mb_record *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		mb_record_free(&v[i]);
	free(v);
}

static int read_mb(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct mb_record *r = row;
	r->uidvalidity = sqlite3_column_int64(q, 2);
	r->uid = sqlite3_column_int64(q, 3);
	r->seen = col_time(q, 10);
	r->updated = col_time(q, 11);
	if (col_dup(q, 0, &r->msgkey) || col_dup(q, 1, &r->folder) || col_dup(q, 4, &r->cls) ||
	    col_dup(q, 5, &r->address) || col_dup(q, 6, &r->detail) || col_dup(q, 7, &r->state) ||
	    col_dup(q, 8, &r->answer) || col_dup(q, 9, &r->answer_to))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_mbs(void *v, size_t n) { mb_records_free(v, n); }

int store_mb_get(struct store *s, const char *msgkey, struct mb_record *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = mstmt(s, MST_MB_GET, err);
	if (!q)
		return -1;
	bind_text(q, 1, msgkey);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW)
		ret = read_mb(s, q, out, err) < 0 ? -1 : 1;
	else if (rc != SQLITE_DONE)
		ret = db_err(s, err, "reading a mailbox message");
	done(q);
	if (ret < 0)
		mb_record_free(out);
	return ret;
}

int store_mb_put(struct store *s, const struct mb_record *r, time_t now, struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_MB_PUT, err);
	if (!q)
		return -1;
	bind_text(q, 1, r->msgkey);
	bind_text(q, 2, r->folder);
	sqlite3_bind_int64(q, 3, r->uidvalidity);
	sqlite3_bind_int64(q, 4, r->uid);
	bind_text(q, 5, r->cls);
	bind_text(q, 6, r->address);
	bind_text(q, 7, r->detail);
	bind_text(q, 8, r->state);
	bind_text(q, 9, r->answer);
	bind_text(q, 10, r->answer_to);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)now);
	return step_write(s, q, "recording a mailbox message", err) < 0 ? -1 : 0;
}

int store_mb_answer(struct store *s, const char *msgkey, const char *answer, time_t now,
		    struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_MB_ANSWER, err);
	if (!q)
		return -1;
	bind_text(q, 1, msgkey);
	bind_text(q, 2, answer);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)now);
	return step_write(s, q, "recording an answer", err) < 0 ? -1 : 0;
}

static int read_uid(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct mb_uid *u = row;
	u->uid = (uint32_t)sqlite3_column_int64(q, 0);
	u->left = sqlite3_column_int(q, 1) == 1;
	u->copying = sqlite3_column_int(q, 1) == 2;
	if (u->copying && col_dup(q, 2, &u->msgkey))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

void mb_uids_free(struct mb_uid *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].msgkey);
	free(v);
}

static void free_uids(void *v, size_t n) { mb_uids_free(v, n); }

int store_mb_set_state(struct store *s, const char *folder, int64_t uidvalidity,
		       const uint32_t *uids, size_t n, const char *state, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *q = mstmt(s, MST_MB_STATE_UID, err);
		if (!q)
			return -1;
		bind_text(q, 1, folder);
		sqlite3_bind_int64(q, 2, uidvalidity);
		sqlite3_bind_int64(q, 3, uids[i]);
		bind_text(q, 4, state);
		if (step_write(s, q, "marking mailbox messages", err) < 0)
			return -1;
	}
	return 0;
}

int store_mb_known_uids(struct store *s, const char *folder, int64_t uidvalidity,
			struct mb_uid **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = mstmt(s, MST_MB_LEFT_UIDS, err);
	if (!q)
		return -1;
	bind_text(q, 1, folder);
	sqlite3_bind_int64(q, 2, uidvalidity);
	return list_rows(s, q, sizeof **out, read_uid, free_uids, "listing known mailbox messages",
			 (void **)out, n, err);
}

int store_mb_answers(struct store *s, struct mb_record **out, size_t *n, struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_MB_ANSWERS, err);
	if (!q)
		return -1;
	return list_rows(s, q, sizeof **out, read_mb, free_mbs, "listing answers", (void **)out,
			 n, err);
}

int store_bounce_add(struct store *s, const char *msgkey, const char *address, int64_t digest_id,
		     time_t t, int hard, const char *status, const char *diagnostic,
		     struct err *err)
{
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? mstmt(s, MST_BOUNCE_ADD, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	bind_text(q, 1, msgkey);
	bind_text(q, 2, addr);
	if (digest_id)
		sqlite3_bind_int64(q, 3, digest_id);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)t);
	sqlite3_bind_int(q, 5, hard != 0);
	bind_text(q, 6, status && *status ? status : NULL);
	bind_text(q, 7, diagnostic && *diagnostic ? diagnostic : NULL);
	int r = step_write(s, q, "recording a bounce", err);
	free(addr);
	return r < 0 ? -1 : r > 0;
}

/* One-address statement with an optional time (bind 2): the change count
 * (writes) or whether a row exists (reads), or -1. */
static int addr_op(struct store *s, enum mst_id id, const char *address, time_t t, int write,
		   const char *what, struct err *err)
{
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? mstmt(s, id, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	bind_text(q, 1, addr);
	if (t)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)t);
	int r = write ? step_write(s, q, what, err) : step_exists(s, q, what, err);
	free(addr);
	return r;
}

int store_member_bounced_set(struct store *s, const char *address, time_t now, struct err *err)
{
	return addr_op(s, MST_BOUNCED_SET, address, now, 1, "marking a member bounced", err) < 0 ? -1 : 0;
}

int store_member_bounced(struct store *s, const char *address, struct err *err)
{
	return addr_op(s, MST_BOUNCED_GET, address, 0, 0, "reading a member's state", err);
}

int store_member_reset(struct store *s, const char *address, struct err *err)
{
	int a = addr_op(s, MST_MEMBER_RESET, address, 0, 1, "resetting a member", err);
	int b = a < 0 ? -1 : addr_op(s, MST_BOUNCES_FORGET, address, 0, 1, "forgetting bounces", err);
	return b < 0 ? -1 : (a > 0 || b > 0);
}

int store_member_add(struct store *s, const char *address, const char *name,
		     const char *language, time_t now, struct err *err)
{
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? mstmt(s, MST_MEMBER_ADD, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	bind_text(q, 1, addr);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	bind_text(q, 3, name ? name : "");
	bind_text(q, 4, language && *language ? language : NULL);
	int r = step_write(s, q, "adding a member", err);
	free(addr);
	return r < 0 ? -1 : 0;
}

void member_state_free(struct member_state *m)
{
	free(m->address);
	free(m->unsub_how);
	free(m->name);
	free(m->language);
	free(m->last_status);
	free(m->last_diagnostic);
	memset(m, 0, sizeof *m);
}

void member_states_free(struct member_state *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		member_state_free(&v[i]);
	free(v);
}

static int read_state(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct member_state *m = row;
	m->unsub_time = col_time(q, 1);
	m->bounced = col_time(q, 3);
	m->added = col_time(q, 4);
	m->hard = sqlite3_column_int(q, 7);
	m->soft = sqlite3_column_int(q, 8);
	m->hard_digests = sqlite3_column_int(q, 9);
	m->last_bounce = col_time(q, 12);
	m->last_hard = sqlite3_column_int(q, 13);
	if (col_dup(q, 0, &m->address) || col_dup(q, 2, &m->unsub_how) || col_dup(q, 5, &m->name) ||
	    col_dup(q, 6, &m->language) || col_dup(q, 10, &m->last_status) ||
	    col_dup(q, 11, &m->last_diagnostic))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_states(void *v, size_t n) { member_states_free(v, n); }

int store_member_states(struct store *s, struct member_state **out, size_t *n, struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_STATES_ALL, err);
	if (!q)
		return -1;
	return list_rows(s, q, sizeof **out, read_state, free_states, "listing member states",
			 (void **)out, n, err);
}

int store_member_state_get(struct store *s, const char *address, struct member_state *out,
			   struct err *err)
{
	memset(out, 0, sizeof *out);
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? mstmt(s, MST_STATE_ONE, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	bind_text(q, 1, addr);
	free(addr);
	int rc = sqlite3_step(q), ret = 0;
	if (rc != SQLITE_ROW || read_state(s, q, out, err) < 0) {
		if (rc != SQLITE_ROW)
			db_err(s, err, "reading a member's state");
		member_state_free(out);
		ret = -1;
	}
	done(q);
	return ret;
}

static int read_added(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct member_state *m = row;
	m->added = col_time(q, 3);
	if (col_dup(q, 0, &m->address) || col_dup(q, 1, &m->name) || col_dup(q, 2, &m->language))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

int store_members_added(struct store *s, struct member_state **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = mstmt(s, MST_MEMBERS_ADDED, err);
	if (!q)
		return -1;
	return list_rows(s, q, sizeof **out, read_added, free_states, "listing added members",
			 (void **)out, n, err);
}

int store_delivery_by_message_id(struct store *s, const char *message_id, int64_t *digest_id,
				 char **email, struct err *err)
{
	*digest_id = 0;
	*email = NULL;
	sqlite3_stmt *q = mstmt(s, MST_BY_MESSAGE_ID, err);
	if (!q)
		return -1;
	bind_text(q, 1, message_id);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		*digest_id = sqlite3_column_int64(q, 0);
		ret = col_dup(q, 1, email) ? err_set(err, "%s: out of memory", s->path) : 1;
	} else if (rc != SQLITE_DONE) {
		ret = db_err(s, err, "looking up a Message-ID");
	}
	done(q);
	return ret;
}

int store_digest_before(struct store *s, time_t t, int64_t *id, struct err *err)
{
	*id = 0;
	sqlite3_stmt *q = mstmt(s, MST_DIGEST_BEFORE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)t);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0); /* NULL (none) reads as 0 */
	else
		ret = db_err(s, err, "looking up a digest by time");
	done(q);
	return ret;
}

int store_source_pause(struct store *s, const char *name, int paused, time_t now, struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_PAUSE, err);
	if (!q)
		return -1;
	bind_text(q, 1, name);
	if (paused)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	else
		sqlite3_bind_null(q, 2);
	return step_write(s, q, "pausing a source", err) < 0 ? -1 : 0;
}

int store_source_paused(struct store *s, const char *name, struct err *err)
{
	sqlite3_stmt *q = mstmt(s, MST_PAUSED, err);
	if (!q)
		return -1;
	bind_text(q, 1, name);
	return step_exists(s, q, "reading a source's pause", err);
}
