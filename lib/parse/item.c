#include "parse/item.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/timefmt.h"

void item_free(struct item *it)
{
	free(it->source);
	free(it->key);
	free(it->url);
	free(it->title);
	free(it->summary);
	free(it->content);
	free(it->author);
	for (size_t i = 0; i < it->ncategories; i++)
		free(it->categories[i]);
	free(it->categories);
	for (size_t i = 0; i < it->nenclosures; i++) {
		free(it->enclosures[i].url);
		free(it->enclosures[i].type);
	}
	free(it->enclosures);
	memset(it, 0, sizeof *it);
}

struct item *item_list_push(struct item_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct item *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct item *it = &l->v[l->n++];
	memset(it, 0, sizeof *it);
	return it;
}

void item_list_free(struct item_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		item_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int item_add_category(struct item *it, const char *s)
{
	char **v = realloc(it->categories, (it->ncategories + 1) * sizeof *v);
	if (!v)
		return -1;
	it->categories = v;
	if (!(v[it->ncategories] = strdup(s)))
		return -1;
	it->ncategories++;
	return 0;
}

int item_add_enclosure(struct item *it, const char *url, const char *type, long long length)
{
	struct enclosure *v = realloc(it->enclosures, (it->nenclosures + 1) * sizeof *v);
	if (!v)
		return -1;
	it->enclosures = v;
	struct enclosure *e = &v[it->nenclosures];
	e->url = strdup(url);
	e->type = type ? strdup(type) : NULL;
	e->length = length;
	if (!e->url || (type && !e->type)) {
		free(e->url);
		free(e->type);
		return -1;
	}
	it->nenclosures++;
	return 0;
}

static int dup_field(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return -1;
	return 0;
}

int item_copy(struct item *d, const struct item *s)
{
	memset(d, 0, sizeof *d);
	d->id = s->id;
	d->published = s->published;
	d->updated = s->updated;
	d->first_seen = s->first_seen;
	d->event_start = s->event_start;
	d->event_end = s->event_end;
	if (dup_field(&d->source, s->source) || dup_field(&d->key, s->key) ||
	    dup_field(&d->url, s->url) || dup_field(&d->title, s->title) ||
	    dup_field(&d->summary, s->summary) || dup_field(&d->content, s->content) ||
	    dup_field(&d->author, s->author))
		goto fail;
	for (size_t i = 0; i < s->ncategories; i++)
		if (item_add_category(d, s->categories[i]) < 0)
			goto fail;
	for (size_t i = 0; i < s->nenclosures; i++)
		if (item_add_enclosure(d, s->enclosures[i].url, s->enclosures[i].type,
				       s->enclosures[i].length) < 0)
			goto fail;
	return 0;
fail:
	item_free(d);
	return -1;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int item_equal(const struct item *a, const struct item *b)
{
	if (a->id != b->id || a->published != b->published || a->updated != b->updated ||
	    a->first_seen != b->first_seen || a->event_start != b->event_start ||
	    a->event_end != b->event_end || a->ncategories != b->ncategories ||
	    a->nenclosures != b->nenclosures || !same_str(a->source, b->source) ||
	    !same_str(a->key, b->key) || !same_str(a->url, b->url) || !same_str(a->title, b->title) ||
	    !same_str(a->summary, b->summary) || !same_str(a->content, b->content) ||
	    !same_str(a->author, b->author))
		return 0;
	for (size_t i = 0; i < a->ncategories; i++)
		if (!same_str(a->categories[i], b->categories[i]))
			return 0;
	for (size_t i = 0; i < a->nenclosures; i++)
		if (!same_str(a->enclosures[i].url, b->enclosures[i].url) ||
		    !same_str(a->enclosures[i].type, b->enclosures[i].type) ||
		    a->enclosures[i].length != b->enclosures[i].length)
			return 0;
	return 1;
}

int item_ensure_key(struct item *it)
{
	if (it->key && *it->key)
		return 0;
	free(it->key);
	if (it->url && *it->url) {
		it->key = strdup(it->url);
	} else {
		char ts[RFC3339_LEN], out[40];
		unsigned long long h = fnv1a_str(FNV1A_INIT, it->title);
		h = fnv1a_str(h, "\x1f");
		h = fnv1a_str(h, it->published ? time_format_rfc3339(it->published, ts) : "");
		h = fnv1a_str(h, "\x1f");
		h = fnv1a_str(h, it->summary);
		if (!(it->title && *it->title) && !(it->summary && *it->summary)) {
			/* Nothing a reader would name it by: what else it holds
			 * tells it from the others (these keys are new, so keys
			 * made before for titled items stay the same). */
			h = fnv1a_str(h, "\x1f");
			h = fnv1a_str(h, it->content);
			h = fnv1a_str(h, "\x1f");
			h = fnv1a_str(h, it->author);
			for (size_t i = 0; i < it->ncategories; i++)
				h = fnv1a_str(fnv1a_str(h, "\x1f"), it->categories[i]);
			for (size_t i = 0; i < it->nenclosures; i++)
				h = fnv1a_str(fnv1a_str(h, "\x1f"), it->enclosures[i].url);
			h = fnv1a_str(h, "\x1f");
			h = fnv1a_str(h, it->updated ? time_format_rfc3339(it->updated, ts) : "");
		}
		snprintf(out, sizeof out, "hash:%016llx", h);
		it->key = strdup(out);
	}
	return it->key ? 0 : -1;
}

/* What put_str does with each byte: 0 copies it, 1 escapes it (quote,
 * backslash, control characters and the terminating NUL, which ends the
 * scan without a strlen), 2 starts a multi-byte sequence to validate. */
static const unsigned char json_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

#define PUT_LIT(b, s) buf_append((b), (s), sizeof(s) - 1)

/* JSON string escaping as jansson's compact output does it (quote,
 * backslash and control characters; everything else, '/' and non-ASCII
 * included, as is), with invalid UTF-8 replaced by U+FFFD so the line is
 * always valid JSON. Every byte of `bulletin parse` output passes here:
 * runs are found with the table and copied whole. */
static int put_str(struct buf *b, const char *s)
{
	if (!s)
		return PUT_LIT(b, "null");
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	if (buf_putc(b, '"') < 0)
		return -1;
	for (;;) {
		while (!json_class[u[i]])
			i++;
		unsigned char c = u[i];
		if (json_class[c] == 2) {
			/* The parsers hand on valid UTF-8 almost always, most of it
			 * two-byte letters (å, ä, ö, æ, ø): check those inline. The
			 * NUL ends any sequence, so nothing past it is read. */
			if (c >= 0xC2 && c <= 0xDF && (u[i + 1] & 0xC0) == 0x80) {
				i += 2;
				continue;
			}
			size_t len = utf8_decode(s + i, 4, NULL);
			if (len) {
				i += len;
				continue;
			}
		} else if (!c) {
			break;
		}
		char esc[8];
		const char *rep;
		size_t rl = 2;
		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\t': rep = "\\t"; break;
		case '\r': rep = "\\r"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		default:
			if (c >= 0x80) {
				rep = "\xEF\xBF\xBD";
				rl = 3;
			} else {
				snprintf(esc, sizeof esc, "\\u%04X", c);
				rep = esc;
				rl = 6;
			}
		}
		if (buf_append(b, s + run, i - run) < 0 || buf_append(b, rep, rl) < 0)
			return -1;
		run = ++i;
	}
	if (buf_append(b, s + run, i - run) < 0)
		return -1;
	return buf_putc(b, '"');
}

static int put_time(struct buf *b, time_t t)
{
	char ts[RFC3339_LEN];
	return t ? put_str(b, time_format_rfc3339(t, ts)) : PUT_LIT(b, "null");
}

int item_to_jsonl(const struct item *it, struct buf *b)
{
	static const struct {
		const char *s;
		size_t n;
#define NAME(s) {s, sizeof(s) - 1}
	} names[] = {NAME("{\"key\":"),	    NAME(",\"url\":"),	 NAME(",\"title\":"),
		     NAME(",\"summary\":"), NAME(",\"content\":"), NAME(",\"author\":")};
#undef NAME
	const char *vals[] = {it->key, it->url, it->title, it->summary, it->content, it->author};
	int r = 0;
	for (size_t i = 0; i < 6; i++)
		r |= buf_append(b, names[i].s, names[i].n) | put_str(b, vals[i]);
	r |= PUT_LIT(b, ",\"categories\":[");
	for (size_t i = 0; i < it->ncategories; i++)
		r |= (i ? buf_putc(b, ',') : 0) | put_str(b, it->categories[i]);
	r |= PUT_LIT(b, "],\"published\":") | put_time(b, it->published);
	r |= PUT_LIT(b, ",\"updated\":") | put_time(b, it->updated);
	if (it->nenclosures) {
		r |= PUT_LIT(b, ",\"enclosures\":[");
		for (size_t i = 0; i < it->nenclosures; i++) {
			const struct enclosure *e = &it->enclosures[i];
			char len[40];
			int ln = snprintf(len, sizeof len, ",\"length\":%lld}", e->length);
			r |= (i ? PUT_LIT(b, ",{\"url\":") : PUT_LIT(b, "{\"url\":")) | put_str(b, e->url);
			r |= PUT_LIT(b, ",\"type\":") | put_str(b, e->type);
			r |= buf_append(b, len, (size_t)ln);
		}
		r |= buf_putc(b, ']');
	}
	if (it->source)
		r |= PUT_LIT(b, ",\"source\":") | put_str(b, it->source);
	r |= PUT_LIT(b, "}\n");
	return r ? -1 : 0;
}

static int get_str(const json_t *obj, const char *k, char **dst, struct err *err)
{
	json_t *v = json_object_get(obj, k);
	*dst = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, "\"%s\" must be a string or null", k);
	return (*dst = strdup(json_string_value(v))) ? 0 : err_set(err, "out of memory");
}

static int get_time(const json_t *obj, const char *k, time_t *dst, struct err *err)
{
	json_t *v = json_object_get(obj, k);
	*dst = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !(*dst = time_parse_rfc3339(json_string_value(v))))
		return err_set(err, "\"%s\" must be an RFC 3339 time or null", k);
	return 0;
}

int item_from_json(const json_t *obj, struct item *it, struct err *err)
{
	memset(it, 0, sizeof *it);
	if (!json_is_object(obj))
		return err_set(err, "an item must be a JSON object");
	/* Labeled corpora use "id" where parse output uses "key". */
	if (get_str(obj, "key", &it->key, err) || (!it->key && get_str(obj, "id", &it->key, err)) ||
	    get_str(obj, "url", &it->url, err) || get_str(obj, "title", &it->title, err) ||
	    get_str(obj, "summary", &it->summary, err) ||
	    get_str(obj, "content", &it->content, err) ||
	    get_str(obj, "author", &it->author, err) || get_str(obj, "source", &it->source, err) ||
	    get_time(obj, "published", &it->published, err) ||
	    get_time(obj, "updated", &it->updated, err))
		goto fail;
	json_t *cats = json_object_get(obj, "categories");
	if (cats && !json_is_null(cats)) {
		if (!json_is_array(cats)) {
			err_set(err, "\"categories\" must be an array of strings");
			goto fail;
		}
		size_t i;
		json_t *c;
		json_array_foreach(cats, i, c)
		{
			if (!json_is_string(c)) {
				err_set(err, "\"categories\" must be an array of strings");
				goto fail;
			}
			if (item_add_category(it, json_string_value(c)) < 0) {
				err_set(err, "out of memory");
				goto fail;
			}
		}
	}
	json_t *enc = json_object_get(obj, "enclosures");
	if (enc && !json_is_null(enc)) {
		size_t i;
		json_t *e;
		if (!json_is_array(enc)) {
			err_set(err, "\"enclosures\" must be an array of objects");
			goto fail;
		}
		json_array_foreach(enc, i, e)
		{
			json_t *u = json_object_get(e, "url"), *t = json_object_get(e, "type"),
			       *l = json_object_get(e, "length");
			if (!json_is_string(u) || (t && !json_is_null(t) && !json_is_string(t)) ||
			    (l && !json_is_integer(l))) {
				err_set(err, "\"enclosures\" entries need a string url");
				goto fail;
			}
			if (item_add_enclosure(it, json_string_value(u), json_string_value(t),
					       l ? (long long)json_integer_value(l) : 0) < 0) {
				err_set(err, "out of memory");
				goto fail;
			}
		}
	}
	return 0;
fail:
	item_free(it);
	return -1;
}
