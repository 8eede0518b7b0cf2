#include "digest.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "mustache.h"
#include "text.h"
#include "timefmt.h"

#define TEMPLATE_MAX (1 << 20)

void digest_format_date(time_t t, const char *lang, char *out, size_t outlen)
{
	static const char *sv[] = {"januari", "februari", "mars", "april", "maj", "juni",
				   "juli", "augusti", "september", "oktober", "november", "december"};
	static const char *nb[] = {"januar", "februar", "mars", "april", "mai", "juni",
				   "juli", "august", "september", "oktober", "november", "desember"};
	static const char *en[] = {"January", "February", "March", "April", "May", "June",
				   "July", "August", "September", "October", "November", "December"};
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	/* Dates are shown in Nordic local time by the reader's convention; the
	 * day rarely differs from UTC at the hours feeds publish, and the model
	 * also carries the exact UTC time. */
	if (lang && !strcmp(lang, "nb"))
		snprintf(out, outlen, "%d. %s %d", tm.tm_mday, nb[tm.tm_mon], tm.tm_year + 1900);
	else if (lang && !strcmp(lang, "en"))
		snprintf(out, outlen, "%d %s %d", tm.tm_mday, en[tm.tm_mon], tm.tm_year + 1900);
	else
		snprintf(out, outlen, "%d %s %d", tm.tm_mday, sv[tm.tm_mon], tm.tm_year + 1900);
}

static int url_allowed(const char *u)
{
	return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7) ||
		     !strncmp(u, "mailto:", 7));
}

static const char *source_title(const struct digest_opts *o, const char *name)
{
	for (size_t i = 0; name && i < o->nsources; i++)
		if (!strcmp(o->sources[i].name, name))
			return o->sources[i].title;
	return name ? name : "";
}

struct ranked {
	size_t idx;
	double score;
	time_t when;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->when != y->when)
		return x->when < y->when ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static json_t *item_model(const struct digest_opts *o, const struct item *it,
			  const struct match *m)
{
	json_t *j = json_object();
	char date[64], ts[RFC3339_LEN];
	time_t when = it->published ? it->published : it->first_seen;
	json_object_set_new(j, "title", json_string(it->title && *it->title ? it->title : "(utan rubrik)"));
	if (url_allowed(it->url))
		json_object_set_new(j, "url", json_string(it->url));
	json_object_set_new(j, "source", json_string(it->source ? it->source : ""));
	json_object_set_new(j, "source_title", json_string(source_title(o, it->source)));
	if (when) {
		digest_format_date(when, o->language, date, sizeof date);
		json_object_set_new(j, "date", json_string(time_format_rfc3339(when, ts)));
		json_object_set_new(j, "date_text", json_string(date));
	}
	if (it->summary && *it->summary) {
		char *s = strdup(it->summary);
		if (s) {
			text_truncate(s, (size_t)(o->summary_length > 0 ? o->summary_length : 300));
			json_object_set_new(j, "summary", json_string(s));
			free(s);
		}
	}
	json_object_set_new(j, "score", json_real(m->score));
	json_t *terms = json_array();
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		if (t->exclude || t->topic != m->topic)
			continue;
		/* Each distinct term once: the preview lists why an item is here. */
		int dup = 0;
		size_t q;
		json_t *v;
		json_array_foreach(terms, q, v) dup |= !strcasecmp(json_string_value(v), t->text);
		if (!dup)
			json_array_append_new(terms, json_string(t->text));
	}
	json_object_set_new(j, "terms", terms);
	return j;
}

json_t *digest_model_build(const struct digest_opts *o, const struct rules *r,
			   const struct item_list *items, const struct match *matches,
			   time_t start, time_t end)
{
	size_t ntopics = rules_topic_count(r);
	json_t *model = json_object();
	json_t *topics = json_array();
	struct ranked *rk = calloc(items->n + 1, sizeof *rk);
	if (!model || !topics || !rk)
		goto oom;
	time_t oldest = o->max_age_days > 0 ? end - o->max_age_days * 86400L : 0;
	long total = 0, more = 0;
	for (size_t t = 0; t < ntopics; t++) {
		size_t n = 0;
		for (size_t i = 0; i < items->n; i++) {
			const struct item *it = &items->v[i];
			if (!matches[i].selected || matches[i].topic != (long)t)
				continue;
			if (oldest && it->published && it->published < oldest)
				continue;
			rk[n++] = (struct ranked){i, matches[i].score,
						  it->published ? it->published : it->first_seen};
		}
		if (!n)
			continue;
		qsort(rk, n, sizeof *rk, ranked_cmp);
		json_t *topic = json_object(), *list = json_array();
		size_t shown = 0;
		for (size_t k = 0; k < n; k++) {
			if (o->max_items > 0 && total >= o->max_items) {
				more++;
				continue;
			}
			json_array_append_new(list, item_model(o, &items->v[rk[k].idx], &matches[rk[k].idx]));
			total++;
			shown++;
		}
		json_object_set_new(topic, "id", json_string(rules_topic_id(r, t)));
		json_object_set_new(topic, "title", json_string(rules_topic_title(r, t)));
		json_object_set_new(topic, "count", json_integer((json_int_t)shown));
		json_object_set_new(topic, "items", list);
		if (shown)
			json_array_append_new(topics, topic);
		else
			json_decref(topic);
	}
	char ts[RFC3339_LEN], date[64];
	json_t *period = json_object();
	json_object_set_new(period, "start", start ? json_string(time_format_rfc3339(start, ts)) : json_null());
	json_object_set_new(period, "end", json_string(time_format_rfc3339(end, ts)));
	if (start) {
		digest_format_date(start, o->language, date, sizeof date);
		json_object_set_new(period, "start_text", json_string(date));
	}
	digest_format_date(end, o->language, date, sizeof date);
	json_object_set_new(period, "end_text", json_string(date));
	struct tm tm;
	gmtime_r(&end, &tm);
	char wk[8];
	strftime(wk, sizeof wk, "%V", &tm);
	json_object_set_new(period, "week", json_integer(atoi(wk)));
	json_object_set_new(period, "year", json_integer(tm.tm_year + 1900));

	json_object_set_new(model, "title", json_string(o->title ? o->title : "bulletin"));
	json_object_set_new(model, "language", json_string(o->language ? o->language : "sv"));
	json_object_set_new(model, "generated", json_string(time_format_rfc3339(end, ts)));
	json_object_set_new(model, "period", period);
	json_object_set_new(model, "count", json_integer(total));
	json_object_set_new(model, "has_items", json_boolean(total > 0));
	json_object_set_new(model, "more", json_integer(more));
	json_object_set_new(model, "topics", topics);
	if (o->association)
		json_object_set_new(model, "association", json_string(o->association));
	if (url_allowed(o->unsubscribe))
		json_object_set_new(model, "unsubscribe", json_string(o->unsubscribe));
	free(rk);
	return model;
oom:
	json_decref(model);
	json_decref(topics);
	free(rk);
	return NULL;
}

/* --- rendering --- */

struct tmpl_ctx {
	const char *dir;
	char *loaded[16]; /* partial texts kept until the render ends */
	size_t nloaded;
};

static char *read_template(const char *dir, const char *name, struct err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return fs_read_file(path, TEMPLATE_MAX, NULL, err);
}

static const char *partial_from_dir(void *vctx, const char *name)
{
	struct tmpl_ctx *c = vctx;
	/* Partial names come from templates, but keep them inside the folder. */
	if (!*name || strchr(name, '/') || name[0] == '.' || c->nloaded == 16)
		return NULL;
	char file[512];
	snprintf(file, sizeof file, "%s.mustache", name);
	char *t = read_template(c->dir, file, NULL);
	if (t)
		c->loaded[c->nloaded++] = t;
	return t;
}

static int render_file(const char *dir, const char *name, const json_t *data, int escape,
		       struct buf *out, struct err *err)
{
	char *tmpl = read_template(dir, name, err);
	if (!tmpl)
		return -1;
	struct tmpl_ctx ctx = {.dir = dir};
	struct mustache_opts mo = {.partial = partial_from_dir, .partial_ctx = &ctx,
				   .no_escape = !escape};
	int r = mustache_render(tmpl, data, &mo, out, err);
	if (r < 0)
		err_prefix(err, "%s/%s", dir, name);
	for (size_t i = 0; i < ctx.nloaded; i++)
		free(ctx.loaded[i]);
	free(tmpl);
	return r;
}

/* CommonMark lets any ASCII punctuation be backslash-escaped: feed text
 * then cannot form links, emphasis, entities or HTML in the Markdown body.
 * Only what can start markup is escaped, so the archived .md stays
 * readable; templates never put a value at a line start except after
 * indentation, but a leading list or heading marker is escaped anyway. */
static char *md_escape(const char *s)
{
	struct buf b = BUF_INIT;
	const char *start = s;
	size_t digits = strspn(s, "0123456789");
	if (strchr("-+=#", *s) && *s)
		buf_putc(&b, '\\');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\r') {
			buf_putc(&b, ' ');
			continue;
		}
		if ((c < 0x80 && strchr("\\`*_[]<>&", c)) ||
		    (digits && s == start + digits && (c == '.' || c == ')')))
			buf_putc(&b, '\\');
		buf_putc(&b, (char)c);
	}
	return buf_steal(&b);
}

/* A link destination in angle brackets, with the characters that could
 * end it percent-encoded. */
static char *md_url(const char *s)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '<');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '<' || c == '>' || c == '\\' || c == 0x7f)
			buf_printf(&b, "%%%02X", c);
		else
			buf_putc(&b, (char)c);
	}
	buf_putc(&b, '>');
	return buf_steal(&b);
}

static json_t *md_view(const json_t *v, const char *key)
{
	if (json_is_string(v)) {
		int is_url = key && (!strcmp(key, "url") || strstr(key, "_url") ||
				     !strcmp(key, "unsubscribe"));
		char *e = is_url ? md_url(json_string_value(v)) : md_escape(json_string_value(v));
		json_t *r = json_string(e);
		free(e);
		return r;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) json_array_append_new(a, md_view(x, NULL));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) json_object_set_new(o, k, md_view(x, k));
		return o;
	}
	return json_deep_copy(v);
}

static void one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	size_t lead = strspn(s, " ");
	memmove(s, s + lead, strlen(s + lead) + 1);
}

int digest_compose(const json_t *model, const char *dir, struct digest_parts *out,
		   struct err *err)
{
	memset(out, 0, sizeof *out);
	struct buf b = BUF_INIT;
	json_t *mdm = md_view(model, NULL);
	json_t *layout = NULL;
	if (!mdm)
		return err_set(err, "out of memory");
	if (render_file(dir, "subject.mustache", model, 0, &b, err) < 0)
		goto fail;
	out->subject = buf_steal(&b);
	one_line(out->subject);
	if (render_file(dir, "digest.md.mustache", mdm, 0, &b, err) < 0)
		goto fail;
	out->markdown = buf_steal(&b);
	/* CMARK_OPT_DEFAULT is safe mode: raw HTML and javascript: links are
	 * dropped, whatever reaches the Markdown. */
	char *body = cmark_markdown_to_html(out->markdown, strlen(out->markdown),
					    CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
	if (!body) {
		err_set(err, "cmark could not render the Markdown body");
		goto fail;
	}
	layout = json_deep_copy(model);
	json_object_set_new(layout, "body", json_string(body));
	json_object_set_new(layout, "subject", json_string(out->subject));
	free(body);
	if (render_file(dir, "layout.html.mustache", layout, 1, &b, err) < 0)
		goto fail;
	out->html = buf_steal(&b);
	if (render_file(dir, "digest.txt.mustache", model, 0, &b, err) < 0)
		goto fail;
	out->text = buf_steal(&b);
	json_decref(mdm);
	json_decref(layout);
	return 0;
fail:
	buf_free(&b);
	json_decref(mdm);
	json_decref(layout);
	digest_parts_free(out);
	return -1;
}

void digest_parts_free(struct digest_parts *p)
{
	free(p->subject);
	free(p->markdown);
	free(p->html);
	free(p->text);
	memset(p, 0, sizeof *p);
}
