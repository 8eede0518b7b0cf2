/* Feeds into items, streaming: the format is detected from the first
 * bytes; XML goes through feedxml.c item by item, JSON Feed is buffered
 * (capped) and read by jsonfeed.c at the end. Both hand over raw items,
 * which become struct items here (rawitem.c) on their way to the
 * caller's callback. */
#include "parse/feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/charset.h"
#include "core/log.h"
#include "parse/feedxml.h"
#include "parse/jsonfeed.h"
#include "parse/rawitem.h"
#include "core/text.h"

#define SUMMARY_MAX_DEFAULT 600
#define JSON_MAX (64 * 1024 * 1024) /* a JSON Feed is read whole */
#define PRE_MAX 4096                /* leading whitespace before detection */
#define SCRATCH_KEEP (64 * 1024)

enum kind { K_UNKNOWN = 0, K_XML, K_JSON };

struct feed_parser {
	char *base_url;
	size_t summary_max;
	feed_item_fn cb;
	void *cbctx;

	enum kind kind;
	int utf16; /* UTF-16/32: to libxml2 without the repairs */
	struct buf pre;  /* bytes before the format is known */
	struct buf json; /* the whole JSON document */
	struct feedxml *xml;
	struct raw jraw; /* JSON Feed's raw item */
	const char *format;
	int finished;
	char fatal[160];

	struct buf scratch; /* for raw_build */
	int count, dropped, stopped, oom;
};

/* A raw item from either reader becomes an item for the callback. */
static int emit(void *ctx, struct raw *r, const char *feed_author)
{
	struct feed_parser *p = ctx;
	struct item it;
	memset(&it, 0, sizeof it);
	int rc = raw_build(r, feed_author, p->summary_max, &p->scratch, &it);
	if (rc < 0) {
		p->oom = 1;
	} else if (rc > 0) {
		p->dropped++; /* nothing to tell it from the others */
	} else {
		p->count++;
		if (p->cb(p->cbctx, &it) != 0)
			p->stopped = 1;
	}
	item_free(&it);
	if (p->scratch.cap > SCRATCH_KEEP)
		buf_free(&p->scratch);
	return p->oom || p->stopped;
}

/* Decides the kind from the first bytes; 0 while only whitespace came. */
static int detect(struct feed_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->pre.data;
	size_t n = p->pre.len, i = 0;
	const char *bin = charset_binary(p->pre.data, n);
	if (bin) {
		snprintf(p->fatal, sizeof p->fatal, "%s, not a feed%s", bin,
			 !strcmp(bin, "gzip data") ? " (compressed without saying so)" : "");
		return 1;
	}
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	while (i < n && text_is_ws(s[i]))
		i++;
	if (i == n && n < PRE_MAX)
		return 0;
	if (i < n && s[i] == '{') {
		p->kind = K_JSON;
		return 1;
	}
	p->kind = K_XML;
	/* UTF-16/32 (a BOM or NUL bytes) is left to libxml2 as is. */
	if ((n >= 2 && (s[0] == 0xFE || s[0] == 0xFF || s[0] == 0 || s[1] == 0)) ||
	    (n >= 4 && (s[2] == 0 || s[3] == 0)))
		p->utf16 = 1;
	if (!(p->xml = feedxml_new(p->base_url, emit, p)))
		p->oom = 1;
	return 1;
}

struct feed_parser *feed_parser_new(const struct feed_opts *opts, feed_item_fn cb, void *ctx)
{
	struct feed_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (opts && opts->base_url && *opts->base_url && !(p->base_url = strdup(opts->base_url))) {
		free(p);
		return NULL;
	}
	p->summary_max = opts && opts->summary_max ? opts->summary_max : SUMMARY_MAX_DEFAULT;
	p->cb = cb;
	p->cbctx = ctx;
	return p;
}

const char *feed_parser_format(const struct feed_parser *p)
{
	return !p ? NULL : p->xml ? feedxml_format(p->xml) : p->format;
}

int feed_parser_dropped(const struct feed_parser *p) { return p ? p->dropped : 0; }

/* The error for the current state, or 0 when the parse may go on. */
static int check(struct feed_parser *p, struct err *err, int at_end)
{
	if (p->oom)
		return err_set(err, "out of memory");
	if (p->stopped)
		return err_set(err, "stopped");
	if (p->fatal[0])
		return err_set(err, "%s", p->fatal);
	return p->xml ? feedxml_check(p->xml, err, at_end) : 0;
}

int feed_parser_push(struct feed_parser *p, const char *data, size_t len, struct err *err)
{
	if (p->finished)
		return err_set(err, "push after finish");
	int rc = check(p, err, 0);
	if (rc < 0 || !len)
		return rc;
	if (p->kind == K_UNKNOWN) {
		size_t used = len < PRE_MAX ? len : PRE_MAX;
		if (buf_append(&p->pre, data, used) < 0)
			return err_set(err, "out of memory");
		if (!detect(p))
			return 0;
		data += used;
		len -= used;
		struct buf pre = p->pre;
		p->pre = (struct buf)BUF_INIT;
		if (p->kind == K_JSON) {
			p->json = pre;
		} else {
			if (p->xml)
				feedxml_push(p->xml, pre.data, pre.len, p->utf16, 0);
			buf_free(&pre);
		}
		if ((rc = check(p, err, 0)) < 0)
			return rc;
	}
	if (!len)
		return 0;
	if (p->kind == K_JSON) {
		if (p->json.len + len > JSON_MAX)
			return err_set(err, "JSON feed larger than %d MiB", JSON_MAX >> 20);
		if (buf_append(&p->json, data, len) < 0)
			return err_set(err, "out of memory");
		return 0;
	}
	feedxml_push(p->xml, data, len, p->utf16, 0);
	return check(p, err, 0);
}

int feed_parser_finish(struct feed_parser *p, struct err *err)
{
	if (p->finished)
		return err_set(err, "finish called twice");
	p->finished = 1;
	int rc = check(p, err, 0);
	if (rc < 0)
		return rc;
	if (p->kind == K_UNKNOWN) {
		size_t i = p->pre.len >= 3 && !memcmp(p->pre.data, "\xEF\xBB\xBF", 3) ? 3 : 0;
		while (i < p->pre.len && text_is_ws((unsigned char)p->pre.data[i]))
			i++;
		if (i == p->pre.len)
			return err_set(err, "empty document");
		p->kind = K_XML;
		if (!(p->xml = feedxml_new(p->base_url, emit, p)))
			return err_set(err, "out of memory");
		feedxml_push(p->xml, p->pre.data, p->pre.len, 0, 1);
		buf_free(&p->pre);
	} else if (p->kind == K_JSON) {
		rc = jsonfeed_read(p->json.data ? p->json.data : (char *)"", p->json.len, p->base_url,
				   &p->jraw, emit, p, &p->format, err);
		buf_free(&p->json);
		if (rc < 0)
			return rc;
	} else {
		feedxml_push(p->xml, NULL, 0, p->utf16, 1);
	}
	/* A document cut off inside an item: that item is not handed out
	 * (only items whose end tag was seen are). */
	if (p->dropped)
		log_warn("%s: %d empty item%s dropped (no id, link, title, text or date)",
			 p->base_url ? p->base_url : "feed", p->dropped, p->dropped == 1 ? "" : "s");
	if ((rc = check(p, err, 1)) < 0)
		return rc;
	return p->count;
}

void feed_parser_free(struct feed_parser *p)
{
	if (!p)
		return;
	feedxml_free(p->xml);
	raw_free(&p->jraw);
	buf_free(&p->pre);
	buf_free(&p->json);
	buf_free(&p->scratch);
	free(p->base_url);
	free(p);
}

/* ---- whole documents ------------------------------------------------------ */

static int collect(void *ctx, struct item *it)
{
	struct item_list *l = ctx;
	struct item *slot = item_list_push(l);
	if (!slot)
		return -1;
	*slot = *it;
	memset(it, 0, sizeof *it);
	return 0;
}

int feed_parse(const char *data, size_t len, const struct feed_opts *opts,
	       struct item_list *out, struct err *err)
{
	if (!data || len == 0)
		return err_set(err, "empty document");
	struct feed_parser *p = feed_parser_new(opts, collect, out);
	if (!p)
		return err_set(err, "out of memory");
	int rc = feed_parser_push(p, data, len, err);
	if (rc == 0)
		rc = feed_parser_finish(p, err);
	else if (p->stopped)
		rc = err_set(err, "out of memory"); /* collect() could not grow out */
	feed_parser_free(p);
	return rc;
}
