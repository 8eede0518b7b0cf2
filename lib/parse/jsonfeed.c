#include "parse/jsonfeed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* The code unit of the "\uXXXX" at s (n bytes left), or -1. */
static long u_escape(const char *s, size_t n)
{
	if (n < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	long v = 0;
	for (int i = 2; i < 6; i++) {
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

size_t jsonfeed_repair(char *s, size_t n)
{
	size_t fixed = 0;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!in_str) {
			in_str = c == '"';
			continue;
		}
		if (c == '"') {
			in_str = 0;
		} else if (c < 0x20) {
			s[i] = ' ';
			fixed++;
		} else if (c == '\\' && i + 1 < n) {
			long v = u_escape(s + i, n - i);
			if (v < 0) {
				i++; /* \" \\ \n ...: the next byte is escaped */
				continue;
			}
			int bad = v == 0 || (v >= 0xDC00 && v <= 0xDFFF);
			if (v >= 0xD800 && v <= 0xDBFF) {
				long lo = u_escape(s + i + 6, n - i - 6);
				if (lo >= 0xDC00 && lo <= 0xDFFF)
					i += 6; /* a pair: both stay */
				else
					bad = 1;
			}
			if (bad) {
				memcpy(s + i + 2, "FFFD", 4);
				fixed++;
			}
			i += 5;
		}
	}
	return fixed;
}

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *json_author(const json_t *o)
{
	const json_t *a = json_object_get(o, "authors");
	if (json_is_array(a)) {
		size_t i;
		const json_t *x;
		json_array_foreach(a, i, x)
		{
			const char *nm = jstr(x, "name");
			if (nm && *nm)
				return strdup(nm);
		}
	}
	a = json_object_get(o, "author");
	const char *nm = json_is_object(a) ? jstr(a, "name") : NULL;
	return nm && *nm ? strdup(nm) : NULL;
}

static void set(struct raw *r, enum raw_field f, const char *s)
{
	raw_set(r, f, s, s ? strlen(s) : 0);
}

static void item_links(struct raw *r, struct url_resolver *ur, const char *base, const json_t *it)
{
	struct buf b = BUF_INIT;
	const char *u = jstr(it, "url");
	int rc = u ? url_resolve_buf(ur, &b, base, u, strlen(u), URL_HTTP_ONLY) : 0;
	if (rc == 0 && (u = jstr(it, "external_url")))
		rc = url_resolve_buf(ur, &b, base, u, strlen(u), URL_HTTP_ONLY);
	if (rc < 0)
		r->oom = 1;
	else if (rc == 1)
		raw_set(r, RF_LINK, b.data, b.len);
	const json_t *att = json_object_get(it, "attachments"), *x;
	size_t j;
	if (json_is_array(att))
		json_array_foreach(att, j, x)
		{
			const char *au = json_is_object(x) ? jstr(x, "url") : NULL;
			if (!au || url_resolve_buf(ur, &b, base, au, strlen(au), URL_HTTP_ONLY) != 1)
				continue;
			const char *mt = jstr(x, "mime_type");
			const json_t *sz = json_object_get(x, "size_in_bytes");
			char len[32] = "";
			if (json_is_integer(sz))
				snprintf(len, sizeof len, "%lld", (long long)json_integer_value(sz));
			raw_add_enclosure(r, b.data, b.len, mt, mt ? strlen(mt) : 0, len, strlen(len));
		}
	buf_free(&b);
}

static void item_fields(struct raw *r, const json_t *it)
{
	const json_t *id = json_object_get(it, "id");
	if (json_is_string(id)) {
		set(r, RF_KEY, json_string_value(id));
	} else if (json_is_integer(id)) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(id));
		set(r, RF_KEY, tmp);
	}
	set(r, RF_TITLE, jstr(it, "title"));
	r->title_t = RT_TEXT;
	set(r, RF_SUMMARY, jstr(it, "summary"));
	r->summary_t = RT_TEXT;
	const char *html = jstr(it, "content_html");
	set(r, RF_CONTENT, html ? html : jstr(it, "content_text"));
	r->content_t = html ? RT_HTML : RT_TEXT;
	set(r, RF_PUBLISHED, jstr(it, "date_published"));
	set(r, RF_UPDATED, jstr(it, "date_modified"));
	char *au = json_author(it);
	if (au) {
		set(r, RF_AUTHOR, au);
		r->author_prio = 1;
		free(au);
	}
	const json_t *tags = json_object_get(it, "tags"), *x;
	size_t j;
	if (json_is_array(tags))
		json_array_foreach(tags, j, x) if (json_is_string(x))
			raw_add_category(r, json_string_value(x), json_string_length(x));
}

int jsonfeed_read(char *data, size_t len, const char *base_url, struct raw *r, raw_item_fn fn,
		  void *ctx, const char **format, struct err *err)
{
	jsonfeed_repair(data, len);
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je);
	if (!root)
		return err_set(err, "line %d, column %d: %s", je.line, je.column, je.text);
	const char *ver = json_is_object(root) ? jstr(root, "version") : NULL;
	const json_t *items = json_is_object(root) ? json_object_get(root, "items") : NULL;
	if (!ver || strncmp(ver, "https://jsonfeed.org/version/1", 30) != 0 ||
	    !json_is_array(items)) {
		json_decref(root);
		return err_set(err, "not an RSS, Atom or JSON feed (JSON without a JSON Feed version)");
	}
	*format = !strcmp(ver + 30, ".1") ? "jsonfeed1.1" : "jsonfeed1.0";
	char *feed_author = json_author(root);
	struct url_resolver ur = {0};
	size_t i;
	const json_t *it;
	int rc = 0;
	json_array_foreach(items, i, it)
	{
		if (!json_is_object(it))
			continue;
		raw_reset(r);
		item_fields(r, it);
		item_links(r, &ur, base_url, it);
		if (r->oom) {
			rc = err_set(err, "out of memory");
			break;
		}
		if (fn(ctx, r, feed_author) != 0)
			break;
	}
	url_resolver_free(&ur);
	free(feed_author);
	json_decref(root);
	return rc;
}
