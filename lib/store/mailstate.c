/* What the store keeps about members beyond the member list:
 * unsubscribes (address lower-cased), and the association's mailbox
 * (issue 18): each message examined, bounces, members marked bounced or
 * added by the chair, their state joined in one row per address, the
 * look-ups the mailbox needs (a digest by Message-ID or by time) and
 * sources paused by the chair. */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>

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

static const char *const mailstate_sql[MAILSTATE_NSTMT] = {
	[MST_UNSUB_ADD] = "INSERT INTO unsubscribes(address, time, how) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(address) DO NOTHING",
	[MST_UNSUB_REMOVE] = "DELETE FROM unsubscribes WHERE address = ?1",
	[MST_UNSUB_GET] = "SELECT address, time, how FROM unsubscribes WHERE address = ?1",
	[MST_UNSUB_ALL] = "SELECT address, time, how FROM unsubscribes ORDER BY address",
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

/* The cached statement, reset and with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct store *s, enum mailstate_stmt id, struct err *err)
{
	return sdb_stmt(s, &s->mailstate[id], mailstate_sql[id], err);
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
	u->time = sdb_col_time(q, 1);
	if (sdb_col_dup(q, 0, &u->address) || sdb_col_dup(q, 2, &u->how))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_unsubs(void *v, size_t n) { unsubscribes_free(v, n); }

/* Runs a one-address write (add or remove); returns the change count. */
static int unsub_write(struct store *s, enum mailstate_stmt id, const char *address,
		       const char *how, time_t now, const char *what, struct err *err)
{
	char *addr = lower_dup(address);
	if (!addr)
		return err_set(err, "%s: out of memory", s->path);
	sqlite3_stmt *q = stmt(s, id, err);
	int ret = -1;
	if (q) {
		sdb_bind_text(q, 1, addr);
		if (id == MST_UNSUB_ADD) {
			sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
			sdb_bind_text(q, 3, how);
		}
		if (sqlite3_step(q) == SQLITE_DONE)
			ret = sqlite3_changes(s->db) > 0;
		else
			sdb_err(s, err, what);
		sdb_done(q);
	}
	free(addr);
	return ret;
}

int store_unsubscribe_add(struct store *s, const char *address, const char *how, time_t now,
			  struct err *err)
{
	return unsub_write(s, MST_UNSUB_ADD, address, how ? how : "command", now,
			   "recording an unsubscribe", err);
}

int store_unsubscribe_remove(struct store *s, const char *address, struct err *err)
{
	return unsub_write(s, MST_UNSUB_REMOVE, address, NULL, 0, "removing an unsubscribe", err);
}

int store_unsubscribe_get(struct store *s, const char *address, struct unsubscribe *out,
			  struct err *err)
{
	if (out)
		memset(out, 0, sizeof *out);
	char *addr = lower_dup(address);
	if (!addr)
		return err_set(err, "%s: out of memory", s->path);
	sqlite3_stmt *q = stmt(s, MST_UNSUB_GET, err);
	int ret = -1;
	if (q) {
		sdb_bind_text(q, 1, addr);
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
			sdb_err(s, err, "reading an unsubscribe");
		}
		sdb_done(q);
	}
	free(addr);
	return ret;
}

int store_unsubscribes_all(struct store *s, struct unsubscribe **out, size_t *n,
			   struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, MST_UNSUB_ALL, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_unsub, free_unsubs, "listing unsubscribes",
			 (void **)out, n, err);
}

/* --- the association's mailbox (issue 18) --- */

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
	r->seen = sdb_col_time(q, 10);
	r->updated = sdb_col_time(q, 11);
	if (sdb_col_dup(q, 0, &r->msgkey) || sdb_col_dup(q, 1, &r->folder) || sdb_col_dup(q, 4, &r->cls) ||
	    sdb_col_dup(q, 5, &r->address) || sdb_col_dup(q, 6, &r->detail) || sdb_col_dup(q, 7, &r->state) ||
	    sdb_col_dup(q, 8, &r->answer) || sdb_col_dup(q, 9, &r->answer_to))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_mbs(void *v, size_t n) { mb_records_free(v, n); }

int store_mb_get(struct store *s, const char *msgkey, struct mb_record *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, MST_MB_GET, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, msgkey);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW)
		ret = read_mb(s, q, out, err) < 0 ? -1 : 1;
	else if (rc != SQLITE_DONE)
		ret = sdb_err(s, err, "reading a mailbox message");
	sdb_done(q);
	if (ret < 0)
		mb_record_free(out);
	return ret;
}

int store_mb_put(struct store *s, const struct mb_record *r, time_t now, struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_MB_PUT, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, r->msgkey);
	sdb_bind_text(q, 2, r->folder);
	sqlite3_bind_int64(q, 3, r->uidvalidity);
	sqlite3_bind_int64(q, 4, r->uid);
	sdb_bind_text(q, 5, r->cls);
	sdb_bind_text(q, 6, r->address);
	sdb_bind_text(q, 7, r->detail);
	sdb_bind_text(q, 8, r->state);
	sdb_bind_text(q, 9, r->answer);
	sdb_bind_text(q, 10, r->answer_to);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)now);
	return sdb_step_write(s, q, "recording a mailbox message", err) < 0 ? -1 : 0;
}

int store_mb_answer(struct store *s, const char *msgkey, const char *answer, time_t now,
		    struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_MB_ANSWER, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, msgkey);
	sdb_bind_text(q, 2, answer);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)now);
	return sdb_step_write(s, q, "recording an answer", err) < 0 ? -1 : 0;
}

static int read_uid(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct mb_uid *u = row;
	u->uid = (uint32_t)sqlite3_column_int64(q, 0);
	u->left = sqlite3_column_int(q, 1) == 1;
	u->copying = sqlite3_column_int(q, 1) == 2;
	if (u->copying && sdb_col_dup(q, 2, &u->msgkey))
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
		sqlite3_stmt *q = stmt(s, MST_MB_STATE_UID, err);
		if (!q)
			return -1;
		sdb_bind_text(q, 1, folder);
		sqlite3_bind_int64(q, 2, uidvalidity);
		sqlite3_bind_int64(q, 3, uids[i]);
		sdb_bind_text(q, 4, state);
		if (sdb_step_write(s, q, "marking mailbox messages", err) < 0)
			return -1;
	}
	return 0;
}

int store_mb_known_uids(struct store *s, const char *folder, int64_t uidvalidity,
			struct mb_uid **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, MST_MB_LEFT_UIDS, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, folder);
	sqlite3_bind_int64(q, 2, uidvalidity);
	return sdb_list_rows(s, q, sizeof **out, read_uid, free_uids, "listing known mailbox messages",
			 (void **)out, n, err);
}

int store_mb_answers(struct store *s, struct mb_record **out, size_t *n, struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_MB_ANSWERS, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_mb, free_mbs, "listing answers", (void **)out,
			 n, err);
}

int store_bounce_add(struct store *s, const char *msgkey, const char *address, int64_t digest_id,
		     time_t t, int hard, const char *status, const char *diagnostic,
		     struct err *err)
{
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? stmt(s, MST_BOUNCE_ADD, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	sdb_bind_text(q, 1, msgkey);
	sdb_bind_text(q, 2, addr);
	if (digest_id)
		sqlite3_bind_int64(q, 3, digest_id);
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)t);
	sqlite3_bind_int(q, 5, hard != 0);
	sdb_bind_text(q, 6, status && *status ? status : NULL);
	sdb_bind_text(q, 7, diagnostic && *diagnostic ? diagnostic : NULL);
	int r = sdb_step_write(s, q, "recording a bounce", err);
	free(addr);
	return r < 0 ? -1 : r > 0;
}

/* One-address statement with an optional time (bind 2): the change count
 * (writes) or whether a row exists (reads), or -1. */
static int addr_op(struct store *s, enum mailstate_stmt id, const char *address, time_t t,
		   int write, const char *what, struct err *err)
{
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? stmt(s, id, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	sdb_bind_text(q, 1, addr);
	if (t)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)t);
	int r = write ? sdb_step_write(s, q, what, err) : sdb_step_exists(s, q, what, err);
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
	sqlite3_stmt *q = addr ? stmt(s, MST_MEMBER_ADD, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	sdb_bind_text(q, 1, addr);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	sdb_bind_text(q, 3, name ? name : "");
	sdb_bind_text(q, 4, language && *language ? language : NULL);
	int r = sdb_step_write(s, q, "adding a member", err);
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
	m->unsub_time = sdb_col_time(q, 1);
	m->bounced = sdb_col_time(q, 3);
	m->added = sdb_col_time(q, 4);
	m->hard = sqlite3_column_int(q, 7);
	m->soft = sqlite3_column_int(q, 8);
	m->hard_digests = sqlite3_column_int(q, 9);
	m->last_bounce = sdb_col_time(q, 12);
	m->last_hard = sqlite3_column_int(q, 13);
	if (sdb_col_dup(q, 0, &m->address) || sdb_col_dup(q, 2, &m->unsub_how) || sdb_col_dup(q, 5, &m->name) ||
	    sdb_col_dup(q, 6, &m->language) || sdb_col_dup(q, 10, &m->last_status) ||
	    sdb_col_dup(q, 11, &m->last_diagnostic))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

static void free_states(void *v, size_t n) { member_states_free(v, n); }

int store_member_states(struct store *s, struct member_state **out, size_t *n, struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_STATES_ALL, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_state, free_states, "listing member states",
			 (void **)out, n, err);
}

int store_member_state_get(struct store *s, const char *address, struct member_state *out,
			   struct err *err)
{
	memset(out, 0, sizeof *out);
	char *addr = lower_dup(address);
	sqlite3_stmt *q = addr ? stmt(s, MST_STATE_ONE, err) : NULL;
	if (!q) {
		free(addr);
		return addr ? -1 : err_set(err, "%s: out of memory", s->path);
	}
	sdb_bind_text(q, 1, addr);
	free(addr);
	int rc = sqlite3_step(q), ret = 0;
	if (rc != SQLITE_ROW || read_state(s, q, out, err) < 0) {
		if (rc != SQLITE_ROW)
			sdb_err(s, err, "reading a member's state");
		member_state_free(out);
		ret = -1;
	}
	sdb_done(q);
	return ret;
}

static int read_added(struct store *s, sqlite3_stmt *q, void *row, struct err *err)
{
	struct member_state *m = row;
	m->added = sdb_col_time(q, 3);
	if (sdb_col_dup(q, 0, &m->address) || sdb_col_dup(q, 1, &m->name) || sdb_col_dup(q, 2, &m->language))
		return err_set(err, "%s: out of memory", s->path);
	return 0;
}

int store_members_added(struct store *s, struct member_state **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = stmt(s, MST_MEMBERS_ADDED, err);
	if (!q)
		return -1;
	return sdb_list_rows(s, q, sizeof **out, read_added, free_states, "listing added members",
			 (void **)out, n, err);
}

int store_delivery_by_message_id(struct store *s, const char *message_id, int64_t *digest_id,
				 char **email, struct err *err)
{
	*digest_id = 0;
	*email = NULL;
	sqlite3_stmt *q = stmt(s, MST_BY_MESSAGE_ID, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, message_id);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		*digest_id = sqlite3_column_int64(q, 0);
		ret = sdb_col_dup(q, 1, email) ? err_set(err, "%s: out of memory", s->path) : 1;
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, "looking up a Message-ID");
	}
	sdb_done(q);
	return ret;
}

int store_digest_before(struct store *s, time_t t, int64_t *id, struct err *err)
{
	*id = 0;
	sqlite3_stmt *q = stmt(s, MST_DIGEST_BEFORE, err);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)t);
	int ret = 0;
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0); /* NULL (none) reads as 0 */
	else
		ret = sdb_err(s, err, "looking up a digest by time");
	sdb_done(q);
	return ret;
}

int store_source_pause(struct store *s, const char *name, int paused, time_t now, struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_PAUSE, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, name);
	if (paused)
		sqlite3_bind_int64(q, 2, (sqlite3_int64)now);
	else
		sqlite3_bind_null(q, 2);
	return sdb_step_write(s, q, "pausing a source", err) < 0 ? -1 : 0;
}

int store_source_paused(struct store *s, const char *name, struct err *err)
{
	sqlite3_stmt *q = stmt(s, MST_PAUSED, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, name);
	return sdb_step_exists(s, q, "reading a source's pause", err);
}
