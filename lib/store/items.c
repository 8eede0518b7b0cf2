/* Items: stored once per source and key (with their categories and
 * enclosures as JSON, and the event an item announces), read back by
 * period or by event; the look-ups identity.c needs to keep keys stable;
 * and the calendar's rows: reminders given once per entry and year, and
 * calendar.ics's SEQUENCE per UID. */
#include "store/store_db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const items_sql[ITEMS_NSTMT] = {
	[ST_KEY_MODE_GET] = "SELECT key_mode FROM sources WHERE name = ?1",
	[ST_KEY_MODE_SET] = "INSERT INTO sources(name, key_mode) VALUES(?1, ?2)"
			    " ON CONFLICT(name) DO UPDATE SET key_mode = excluded.key_mode",
	[ST_KEY_BY_URL] = "SELECT key FROM items WHERE source = ?1 AND url = ?2 ORDER BY id LIMIT 1",
	[ST_KEY_BY_TITLE] = "SELECT key FROM items WHERE source = ?1 AND title = ?2"
			    " ORDER BY id LIMIT 1",
	[ST_KEY_EXISTS] = "SELECT 1 FROM items WHERE source = ?1 AND key = ?2",
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

/* The cached statement, reset and with no bindings; NULL on error. */
static sqlite3_stmt *stmt(struct store *s, enum items_stmt id, struct err *err)
{
	return sdb_stmt(s, &s->items[id], items_sql[id], err);
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
	sdb_bind_text(q, 1, it->source);
	sdb_bind_text(q, 2, it->key);
	sdb_bind_text(q, 3, it->url);
	sdb_bind_text(q, 4, it->title);
	sdb_bind_text(q, 5, it->summary);
	sdb_bind_text(q, 6, it->content);
	sdb_bind_text(q, 7, it->author);
	sdb_bind_text(q, 8, cats);
	sdb_bind_time(q, 9, it->published);
	sdb_bind_time(q, 10, it->updated);
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
	sdb_bind_text(q, 12, encl);
	sdb_bind_time(q, 13, it->event_start);
	sdb_bind_time(q, 14, it->event_end);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		sdb_err(s, err, "inserting an item");
		err_prefix(err, "item %s/%s", it->source, it->key);
		sdb_done(q);
		goto out;
	}
	sdb_done(q);
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
	sdb_bind_text(q, 12, encl);
	sdb_bind_time(q, 13, it->event_start);
	sdb_bind_time(q, 14, it->event_end);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		it->id = sqlite3_column_int64(q, 0);
		it->first_seen = sdb_col_time(q, 1);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		err_set(err, "%s: item %s/%s vanished while being updated", s->path, it->source,
			it->key);
	} else {
		sdb_err(s, err, "updating an item");
	}
	sdb_done(q);
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
		it->published = sdb_col_time(q, 9);
		it->updated = sdb_col_time(q, 10);
		it->first_seen = sdb_col_time(q, 11);
		it->event_start = sdb_col_time(q, 13);
		it->event_end = sdb_col_time(q, 14);
		if (sdb_col_dup(q, 1, &it->source) || sdb_col_dup(q, 2, &it->key) ||
		    sdb_col_dup(q, 3, &it->url) || sdb_col_dup(q, 4, &it->title) ||
		    sdb_col_dup(q, 5, &it->summary) || sdb_col_dup(q, 6, &it->content) ||
		    sdb_col_dup(q, 7, &it->author) ||
		    categories_load(it, (const char *)sqlite3_column_text(q, 8)) ||
		    enclosures_load(it, (const char *)sqlite3_column_text(q, 12))) {
			ret = err_set(err, "%s: reading items: out of memory", s->path);
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sdb_err(s, err, "reading items");
	sdb_done(q);
	return ret;
}

/* The items of statement id for the times ?1 and ?2. */
static int items_for(struct store *s, enum items_stmt id, time_t a, time_t b, struct item_list *out,
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

/* --- identity look-ups --- */

static int one_text(struct store *s, enum items_stmt id, const char *a, const char *b, char **out,
		    const char *what, struct err *err)
{
	*out = NULL;
	sqlite3_stmt *q = stmt(s, id, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, a);
	if (b)
		sdb_bind_text(q, 2, b);
	int rc = sqlite3_step(q), ret = 0;
	if (rc == SQLITE_ROW) {
		if (sdb_col_dup(q, 0, out))
			ret = err_set(err, "%s: out of memory", s->path);
	} else if (rc != SQLITE_DONE) {
		ret = sdb_err(s, err, what);
	}
	sdb_done(q);
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
	sdb_bind_text(q, 1, source);
	sdb_bind_text(q, 2, mode);
	int ret = sqlite3_step(q) == SQLITE_DONE ? 0 : sdb_err(s, err, "setting a key mode");
	sdb_done(q);
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

/* --- the calendar: reminders given, calendar.ics sequences --- */

int store_reminder_given(struct store *s, const char *entry, int year, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ST_REMINDER_GET, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, entry);
	sqlite3_bind_int(q, 2, year);
	int rc = sqlite3_step(q), ret = rc == SQLITE_ROW ? 1 : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sdb_err(s, err, "reading a reminder");
	sdb_done(q);
	return ret;
}

int store_reminder_mark(struct store *s, const char *entry, int year, int64_t digest_id,
			time_t now, struct err *err)
{
	sqlite3_stmt *q = stmt(s, ST_REMINDER_MARK, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, entry);
	sqlite3_bind_int(q, 2, year);
	if (digest_id)
		sqlite3_bind_int64(q, 3, digest_id);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = sdb_err(s, err, "recording a reminder");
	else
		ret = sqlite3_changes(s->db) == 1;
	sdb_done(q);
	return ret;
}

int store_ical_sequence(struct store *s, const char *uid, const char *hash, time_t now,
			struct ical_state *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *q = stmt(s, ST_ICAL_GET, err);
	if (!q)
		return -1;
	sdb_bind_text(q, 1, uid);
	int rc = sqlite3_step(q), same = 0;
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(q, 0);
		same = h && !strcmp((const char *)h, hash);
		out->sequence = sqlite3_column_int(q, 1);
		out->created = sdb_col_time(q, 2);
		out->modified = sdb_col_time(q, 3);
	} else if (rc != SQLITE_DONE) {
		sdb_err(s, err, "reading a calendar event");
		sdb_done(q);
		return -1;
	}
	sdb_done(q);
	if (same)
		return 0;
	/* new, or a detail changed: the next sequence, modified now */
	if (!(q = stmt(s, ST_ICAL_SET, err)))
		return -1;
	sdb_bind_text(q, 1, uid);
	sdb_bind_text(q, 2, hash);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)now);
	int ret = 0;
	if (sqlite3_step(q) != SQLITE_DONE) {
		ret = sdb_err(s, err, "recording a calendar event");
	} else if (rc == SQLITE_ROW) {
		out->sequence++;
		out->modified = now;
	} else {
		out->created = out->modified = now;
	}
	sdb_done(q);
	return ret;
}
