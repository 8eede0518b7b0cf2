#include "compose/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>

#include "compose/agenda.h"
#include "compose/chrome.h"
#include "core/buf.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "parse/date.h"

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

static json_t *counted(const char *fmt, long n)
{
	char b[256];
	snprintf(b, sizeof b, fmt, (int)n);
	return json_string(b);
}

/* ---- near-duplicates ---- */

/* The URL without what does not change the page: scheme, "www.", a
 * trailing slash, a fragment, utm_* parameters. */
static char *canonical_url(const char *u)
{
	if (!u)
		return NULL;
	const char *p = strstr(u, "://");
	p = p ? p + 3 : u;
	if (!strncasecmp(p, "www.", 4))
		p += 4;
	struct buf b = BUF_INIT;
	const char *end = p + strcspn(p, "#");
	const char *q = memchr(p, '?', (size_t)(end - p));
	buf_append(&b, p, (size_t)((q ? q : end) - p));
	if (q) {
		int first = 1;
		for (const char *k = q + 1; k < end;) {
			const char *amp = memchr(k, '&', (size_t)(end - k));
			const char *e = amp ? amp : end;
			if (strncmp(k, "utm_", 4) && e > k) {
				buf_putc(&b, first ? '?' : '&');
				buf_append(&b, k, (size_t)(e - k));
				first = 0;
			}
			k = amp ? amp + 1 : end;
		}
	}
	while (b.len && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] >= 'A' && b.data[i] <= 'Z' && !memchr(b.data, '/', i))
			b.data[i] = (char)(b.data[i] + 32); /* the host only */
	return buf_steal(&b);
}

/* Lowercase words of a title (ASCII and Latin-1 letters folded),
 * separated by single spaces. */
static char *title_words(const char *t)
{
	struct buf b = BUF_INIT;
	int gap = 0;
	for (const unsigned char *p = (const unsigned char *)(t ? t : ""); *p; p++) {
		unsigned char c = *p;
		if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			if (gap && b.len)
				buf_putc(&b, ' ');
			gap = 0;
			if (c == 0xC3 && p[1] >= 0x80 && p[1] <= 0x9E && p[1] != 0x97) {
				buf_putc(&b, (char)c);
				buf_putc(&b, (char)(*++p + 0x20));
			} else {
				buf_putc(&b, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
			}
		} else {
			gap = 1;
		}
	}
	return buf_steal(&b);
}

/* Share of words in common (Jaccard over the word sets), for titles of at
 * least four words; equal word strings count as the same title. */
static double title_likeness(const char *a, const char *b)
{
	if (!strcmp(a, b))
		return *a ? 1.0 : 0.0;
	char *wa[64], *wb[64];
	size_t na = 0, nb = 0, common = 0;
	char *ca = strdup(a), *cb = strdup(b), *sp;
	if (!ca || !cb) {
		free(ca);
		free(cb);
		return 0;
	}
	for (char *w = strtok_r(ca, " ", &sp); w && na < 64; w = strtok_r(NULL, " ", &sp))
		wa[na++] = w;
	for (char *w = strtok_r(cb, " ", &sp); w && nb < 64; w = strtok_r(NULL, " ", &sp))
		wb[nb++] = w;
	size_t ua = 0;
	for (size_t i = 0; i < na; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(wa[i], wa[j]);
		if (seen)
			continue;
		ua++;
		for (size_t j = 0; j < nb; j++)
			if (!strcmp(wa[i], wb[j])) {
				common++;
				break;
			}
	}
	size_t ub = 0;
	for (size_t i = 0; i < nb; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(wb[i], wb[j]);
		ub += !seen;
	}
	free(ca);
	free(cb);
	if (ua < 4 || ub < 4)
		return 0;
	return (double)common / (double)(ua + ub - common);
}

#define TITLE_LIKENESS_MIN 0.8

struct ranked {
	size_t idx;
	double score;
	time_t when;
	size_t pin;  /* the review's rank; 0: not pinned */
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->pin != y->pin)
		return !y->pin ? -1 : !x->pin ? 1 : x->pin < y->pin ? -1 : 1;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->when != y->when)
		return x->when < y->when ? 1 : -1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* dup_of[i] = the item i repeats (the better-ranked one), or SIZE_MAX. */
static int find_duplicates(const struct item_list *items, const struct match *ms,
			   const char *keep, size_t *dup_of)
{
	size_t n = items->n;
	char **cu = calloc(n + 1, sizeof *cu), **tw = calloc(n + 1, sizeof *tw);
	struct ranked *rk = calloc(n + 1, sizeof *rk);
	size_t nr = 0;
	int rc = cu && tw && rk ? 0 : -1;
	for (size_t i = 0; i < n; i++)
		dup_of[i] = SIZE_MAX;
	for (size_t i = 0; !rc && i < n; i++) {
		if (!keep[i])
			continue;
		const struct item *it = &items->v[i];
		cu[i] = canonical_url(it->url);
		tw[i] = title_words(it->title);
		rk[nr++] = (struct ranked){i, ms[i].score, it->published ? it->published : it->first_seen, 0};
	}
	if (!rc) {
		qsort(rk, nr, sizeof *rk, ranked_cmp);
		for (size_t a = 0; a < nr; a++) {
			size_t i = rk[a].idx;
			if (dup_of[i] != SIZE_MAX)
				continue;
			for (size_t b = a + 1; b < nr; b++) {
				size_t j = rk[b].idx;
				if (dup_of[j] != SIZE_MAX)
					continue;
				if ((cu[i] && cu[j] && *cu[i] && !strcmp(cu[i], cu[j])) ||
				    (tw[i] && tw[j] && title_likeness(tw[i], tw[j]) >= TITLE_LIKENESS_MIN))
					dup_of[j] = i;
			}
		}
	}
	for (size_t i = 0; cu && tw && i < n; i++) {
		free(cu[i]);
		free(tw[i]);
	}
	free(cu);
	free(tw);
	free(rk);
	return rc;
}

/* "A", "A och B", "A, B och C" */
static json_t *names_text(json_t *names, const struct chrome *c)
{
	struct buf b = BUF_INIT;
	size_t n = json_array_size(names);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_printf(&b, i + 1 == n ? " %s " : ", ", c->and);
		buf_puts(&b, json_string_value(json_array_get(names, i)));
	}
	json_t *r = json_string(buf_str(&b));
	buf_free(&b);
	return r;
}

/* The local day of t in Stockholm/Oslo, as the language writes it, and
 * the clock: "onsdag 4 september 2025", "kl. 13.00" ("at 13:00"). */
static void day_text(time_t t, const struct chrome *c, char *out, size_t outlen)
{
	char day[64];
	time_t wall = t + date_nordic_offset(t);
	struct tm tm;
	if (!gmtime_r(&wall, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	digest_format_date_tz(wall, c->lang, "UTC", day, sizeof day); /* wall is local already */
	snprintf(out, outlen, "%s %s", c->days[tm.tm_wday], day);
}

static void clock_text(time_t t, const struct chrome *c, char *out, size_t outlen)
{
	time_t wall = t + date_nordic_offset(t);
	struct tm tm;
	if (!gmtime_r(&wall, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, "%02d%c%02d", tm.tm_hour, c->clock_sep, tm.tm_min);
}

/* An event's start: "onsdag 4 september 2025 kl. 13.00", "onsdag 4.
 * september 2025 kl. 13.00", "Wednesday 4 September 2025 at 13:00". */
static void event_text(time_t t, const struct chrome *c, char *out, size_t outlen)
{
	char day[96], clock[16];
	day_text(t, c, day, sizeof day);
	clock_text(t, c, clock, sizeof clock);
	snprintf(out, outlen, "%s %s %s", day, c->at, clock);
}

/* The local day of t (Stockholm/Oslo) as y*10000+m*100+d. */
static long local_day(time_t t)
{
	time_t wall = t + date_nordic_offset(t);
	struct tm tm;
	if (!gmtime_r(&wall, &tm))
		return 0;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* An event's start and end: "onsdag 4 september 2025 kl. 13.00–16.00",
 * or with the end's day when it ends on another one. */
static void event_when_text(time_t st, time_t en, const struct chrome *c, char *out, size_t outlen)
{
	char start[160], end[160];
	event_text(st, c, start, sizeof start);
	if (!en || en <= st) {
		snprintf(out, outlen, "%s", start);
	} else if (local_day(st) == local_day(en)) {
		clock_text(en, c, end, sizeof end);
		snprintf(out, outlen, "%s\xE2\x80\x93%s", start, end);
	} else {
		event_text(en, c, end, sizeof end);
		snprintf(out, outlen, "%s \xE2\x80\x93 %s", start, end);
	}
}

/* The upcoming event the item announces (found when it was ingested):
 * {start, end?, uid}, or NULL when it has none or it has ended by
 * `after`; its texts come with the language (localize_item). The uid
 * derives from the item alone, so the event keeps its identity in every
 * digest and calendar that carries it. */
static json_t *event_model(const struct item *it, time_t after)
{
	time_t st = it->event_start, en = it->event_end;
	if (!st || (en ? en : st) < after)
		return NULL;
	char ts[RFC3339_LEN], uid[AGENDA_UID_MAX];
	json_t *e = json_object();
	json_object_set_new(e, "start", json_string(time_format_rfc3339(st, ts)));
	agenda_event_uid(it, uid, sizeof uid);
	json_object_set_new(e, "uid", json_string(uid));
	if (en)
		json_object_set_new(e, "end", json_string(time_format_rfc3339(en, ts)));
	return e;
}

static time_t json_time(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? time_parse_rfc3339(v) : 0;
}

/* The texts of an agenda line in c's language, from its start, end and
 * span: date_text, and time_text for a timed line. */
static void localize_line(json_t *j, const struct chrome *c)
{
	char date[96], a[16], b[16], t[64];
	time_t start = json_time(j, "start"), end = json_time(j, "end");
	const char *span = json_string_value(json_object_get(j, "span"));
	if (span && !strcmp(span, "month")) {
		time_t wall = start + date_nordic_offset(start);
		struct tm tm;
		gmtime_r(&wall, &tm);
		snprintf(date, sizeof date, "%s %d", c->months[tm.tm_mon], tm.tm_year + 1900);
	} else {
		day_text(start, c, date, sizeof date);
	}
	json_object_set_new(j, "date_text", json_string(date));
	if (span && !strcmp(span, "timed")) {
		clock_text(start, c, a, sizeof a);
		if (end) {
			clock_text(end, c, b, sizeof b);
			snprintf(t, sizeof t, "%s %s\xE2\x80\x93%s", c->at, a, b);
		} else {
			snprintf(t, sizeof t, "%s %s", c->at, a);
		}
		json_object_set_new(j, "time_text", json_string(t));
	}
}

/* One line of the agenda: date, time, title, place, link. */
static json_t *upcoming_line(const struct digest_opts *o, const struct chrome *c,
			     const struct agenda_line *l)
{
	char ts[RFC3339_LEN];
	json_t *j = json_object();
	json_object_set_new(j, "span", json_string(l->span == CAL_MONTH ? "month"
						   : l->span == CAL_DAY ? "day" : "timed"));
	json_object_set_new(j, "title", json_string(l->title));
	if (l->place && *l->place)
		json_object_set_new(j, "place", json_string(l->place));
	if (l->url && (!strncmp(l->url, "https://", 8) || !strncmp(l->url, "http://", 7)))
		json_object_set_new(j, "url", json_string(l->url));
	if (l->source)
		json_object_set_new(j, "source", json_string(source_title(o, l->source)));
	json_object_set_new(j, "reminder", json_boolean(l->reminder));
	json_object_set_new(j, "kind", json_string(l->entry ? "entry" : "event"));
	json_object_set_new(j, "uid", json_string(l->uid));
	json_object_set_new(j, "start", json_string(time_format_rfc3339(l->start, ts)));
	if (l->end)
		json_object_set_new(j, "end", json_string(time_format_rfc3339(l->end, ts)));
	json_object_set_new(j, "all_day", json_boolean(l->span != CAL_TIMED));
	if (l->entry) {
		json_object_set_new(j, "entry", json_string(l->entry));
		json_object_set_new(j, "year", json_integer(l->year));
	}
	localize_line(j, c);
	return j;
}

json_t *digest_upcoming(const struct digest_opts *o, const struct agenda *a)
{
	const struct chrome *c = chrome_for(o->language);
	json_t *u = json_object(), *lines = json_array(), *rem = json_array();
	for (size_t i = 0; a && i < a->n; i++) {
		const struct agenda_line *l = &a->v[i];
		json_array_append_new(lines, upcoming_line(o, c, l));
		if (l->reminder)
			json_array_append_new(rem, json_pack("{s:s, s:i}", "entry", l->entry, "year",
							     l->year));
	}
	json_object_set_new(u, "title", json_string(c->upcoming));
	json_object_set_new(u, "has_lines", json_boolean(json_array_size(lines) > 0));
	json_object_set_new(u, "lines", lines);
	json_object_set_new(u, "reminders", rem);
	return u;
}

static json_t *item_model(const struct digest_opts *o, const struct chrome *c,
			  const struct item_list *items, size_t idx, const struct match *m,
			  const size_t *dup_of, time_t after)
{
	const struct item *it = &items->v[idx];
	json_t *j = json_object();
	char ts[RFC3339_LEN];
	time_t when = it->published ? it->published : it->first_seen;
	json_object_set_new(j, "title", json_string(it->title && *it->title ? it->title : c->untitled));
	if (!it->title || !*it->title)
		json_object_set_new(j, "untitled", json_true());
	if (url_allowed(it->url))
		json_object_set_new(j, "url", json_string(it->url));
	json_object_set_new(j, "source", json_string(it->source ? it->source : ""));
	json_object_set_new(j, "source_title", json_string(source_title(o, it->source)));
	/* every source that carried this news, this one first */
	json_t *names = json_array();
	json_array_append_new(names, json_string(source_title(o, it->source)));
	for (size_t k = 0; k < items->n; k++) {
		if (dup_of[k] != idx)
			continue;
		const char *st = source_title(o, items->v[k].source);
		int seen = 0;
		for (size_t q = 0; q < json_array_size(names) && !seen; q++)
			seen = !strcmp(json_string_value(json_array_get(names, q)), st);
		if (!seen)
			json_array_append_new(names, json_string(st));
	}
	json_object_set_new(j, "sources", names);
	if (when)
		json_object_set_new(j, "date", json_string(time_format_rfc3339(when, ts)));
	if (it->summary && *it->summary) {
		char *s = strdup(it->summary);
		if (s) {
			text_summary_cut(s, (size_t)(o->summary_length > 0 ? o->summary_length : 180));
			json_object_set_new(j, "summary", json_string(s));
			free(s);
		}
	}
	json_t *ev = event_model(it, after);
	if (ev)
		json_object_set_new(j, "event", ev);
	json_object_set_new(j, "score", json_real(m->score));
	if (it->id)
		json_object_set_new(j, "id", json_integer((json_int_t)it->id));
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

/* The chair's section's own words, in c's language. */
static void chair_texts(json_t *ch, const struct chrome *c)
{
	char b[256];
	snprintf(b, sizeof b, c->chair_dead, (int)json_integer_value(json_object_get(ch, "dead_count")),
		 (int)json_integer_value(json_object_get(ch, "include_count")));
	json_object_set_new(ch, "dead_text", json_string(b));
	json_object_set_new(ch, "has_dead", json_boolean(json_integer_value(json_object_get(ch, "dead_count")) > 0));
	json_object_set_new(ch, "title", json_string(c->chair_title));
	json_object_set_new(ch, "failing_text", json_string(c->chair_failing));
	json_object_set_new(ch, "failures_text", json_string(c->chair_failures));
	json_object_set_new(ch, "ok_text", json_string(c->chair_ok));
	json_object_set_new(ch, "limited_text", json_string(c->chair_limited));
	json_object_set_new(ch, "members_text", json_string(c->chair_members));
	if (json_object_get(ch, "watch_changed"))
		json_object_set_new(ch, "watch_changed_text", json_string(c->watch.chair_changed));
	if (json_object_get(ch, "watch_broken"))
		json_object_set_new(ch, "watch_broken_text", json_string(c->watch.chair_broken));
}

/* The texts of an item (a topic's or a watched page's) in c's language:
 * sources_text, date_text, the event's start_text and when_text (the
 * start and the end), and what a watched page's change carries per
 * language ("l10n": title, summary, size_text). */
static void localize_item(json_t *it, const struct chrome *c, const char *zone)
{
	char date[64], text[400];
	if (json_is_true(json_object_get(it, "untitled")))
		json_object_set_new(it, "title", json_string(c->untitled));
	json_t *names = json_object_get(it, "sources");
	if (json_is_array(names))
		json_object_set_new(it, "sources_text", names_text(names, c));
	time_t when = json_time(it, "date");
	if (when) {
		digest_format_date_tz(when, c->lang, zone, date, sizeof date);
		json_object_set_new(it, "date_text", json_string(date));
	}
	json_t *ev = json_object_get(it, "event");
	time_t st = json_time(ev, "start");
	if (st) {
		event_text(st, c, text, sizeof text);
		json_object_set_new(ev, "start_text", json_string(text));
		event_when_text(st, json_time(ev, "end"), c, text, sizeof text);
		json_object_set_new(ev, "when_text", json_string(text));
	}
	json_t *l = json_object_get(json_object_get(it, "l10n"), c->lang);
	const char *k;
	json_t *v;
	json_object_foreach(l, k, v) json_object_set(it, k, v);
}

void digest_model_localize(json_t *model, const char *lang)
{
	const struct chrome *c = chrome_for(lang);
	const char *zone = json_string_value(json_object_get(model, "timezone"));
	char date[64];
	json_object_set_new(model, "language", json_string(c->lang));
	json_object_set_new(model, "t", chrome_json(c));
	json_t *period = json_object_get(model, "period");
	time_t start = json_time(period, "start"), end = json_time(period, "end");
	if (start) {
		digest_format_date_tz(start, c->lang, zone, date, sizeof date);
		json_object_set_new(period, "start_text", json_string(date));
	}
	if (end) {
		digest_format_date_tz(end, c->lang, zone, date, sizeof date);
		json_object_set_new(period, "end_text", json_string(date));
	}
	size_t i, k;
	json_t *topic, *item;
	json_array_foreach(json_object_get(model, "watch"), k, item) localize_item(item, c, zone);
	json_array_foreach(json_object_get(model, "topics"), i, topic)
		json_array_foreach(json_object_get(topic, "items"), k, item) localize_item(item, c, zone);
	json_t *up = json_object_get(model, "upcoming");
	if (json_is_object(up)) {
		json_object_set_new(up, "title", json_string(c->upcoming));
		json_array_foreach(json_object_get(up, "lines"), k, item) localize_line(item, c);
	}
	json_t *chair = json_object_get(model, "chair");
	if (json_is_object(chair))
		chair_texts(chair, c);
	digest_model_number_links(model);
}

/* The item's event, if it has one, into events (by start; equal starts
 * keep the digest's order). */
static void add_event(json_t *events, const json_t *item)
{
	const json_t *ev = json_object_get(item, "event");
	if (!json_is_object(ev))
		return;
	json_t *e = json_object();
	const char *copy[] = {"title", "url", "sources_text"};
	for (size_t i = 0; i < sizeof copy / sizeof *copy; i++) {
		json_t *v = json_object_get(item, copy[i]);
		if (v)
			json_object_set(e, copy[i], v);
	}
	json_object_set_new(e, "sources", json_deep_copy(json_object_get(item, "sources")));
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)ev, k, v) json_object_set(e, k, v);
	const char *st = json_string_value(json_object_get(e, "start"));
	size_t at = json_array_size(events);
	while (at > 0 && strcmp(json_string_value(json_object_get(json_array_get(events, at - 1),
								    "start")), st) > 0)
		at--;
	json_array_insert_new(events, at, e);
}

/* {ref, url} for the plain text's list of links. */
static json_t *link_entry(json_int_t n, const char *url)
{
	json_t *l = json_object();
	json_object_set_new(l, "ref", json_integer(n));
	/* plain text ends a URL at a space or '>': encode those */
	struct buf e = BUF_INIT;
	for (const unsigned char *q = (const unsigned char *)url; *q; q++) {
		if (*q <= ' ' || *q == '<' || *q == '>' || *q == '"' || *q == 0x7f)
			buf_printf(&e, "%%%02X", *q);
		else
			buf_putc(&e, (char)*q);
	}
	json_object_set_new(l, "url", json_string(buf_str(&e)));
	buf_free(&e);
	return l;
}

/* The item's link numbered n + 1 into links (none: no ref). */
static void number_link(json_t *links, json_t *item, json_int_t *n)
{
	const char *url = json_string_value(json_object_get(item, "url"));
	if (!url) {
		json_object_del(item, "ref");
		return;
	}
	json_object_set_new(item, "ref", json_integer(++*n));
	json_array_append_new(links, link_entry(*n, url));
}

/* The line a mail list shows under the subject: the first headlines,
 * "A · B · C", about PREHEADER_MAX bytes at most (cut at a character
 * boundary, with "…"); the "no news" sentence for an empty week. */
#define PREHEADER_MAX 150

static void preheader_add(struct buf *b, const json_t *item)
{
	const char *t = json_string_value(json_object_get(item, "title"));
	if (t && b->len < PREHEADER_MAX)
		buf_printf(b, "%s%s", b->len ? " \xC2\xB7 " : "", t);
}

static json_t *preheader(const json_t *model, const struct chrome *c)
{
	struct buf b = BUF_INIT;
	size_t i, k;
	const json_t *topic, *item;
	json_array_foreach(json_object_get(model, "watch"), k, item) preheader_add(&b, item);
	json_array_foreach(json_object_get(model, "topics"), i, topic)
		json_array_foreach(json_object_get(topic, "items"), k, item) preheader_add(&b, item);
	if (b.len > PREHEADER_MAX) {
		size_t n = PREHEADER_MAX;
		while (n > 0 && ((unsigned char)b.data[n] & 0xC0) == 0x80)
			n--;
		b.len = n;
		b.data[n] = '\0';
		buf_puts(&b, "\xE2\x80\xA6");
	}
	json_t *r = json_string(b.len ? buf_str(&b) : c->no_news);
	buf_free(&b);
	return r;
}

void digest_model_number_links(json_t *model)
{
	const struct chrome *c = chrome_for(json_string_value(json_object_get(model, "language")));
	json_t *links = json_array(), *events = json_array();
	json_int_t n = 0, total = 0, more = json_integer_value(json_object_get(model, "more_cap"));
	size_t i, k;
	json_t *topic, *item;
	/* watched pages' changes come first in the digest, so their links too */
	json_array_foreach(json_object_get(model, "watch"), k, item) {
		number_link(links, item, &n);
		total++;
	}
	json_array_foreach(json_object_get(model, "topics"), i, topic) {
		json_t *list = json_object_get(topic, "items");
		json_int_t tm = json_integer_value(json_object_get(topic, "more"));
		json_object_set_new(topic, "count", json_integer((json_int_t)json_array_size(list)));
		total += (json_int_t)json_array_size(list);
		if (tm)
			json_object_set_new(topic, "more_text", counted(c->more_topic, (long)tm));
		else
			json_object_del(topic, "more_text");
		json_array_foreach(list, k, item) {
			add_event(events, item);
			number_link(links, item, &n);
		}
	}
	json_t *line;
	json_array_foreach(json_object_get(json_object_get(model, "upcoming"), "lines"), k, line) {
		const char *url = json_string_value(json_object_get(line, "url"));
		if (!url)
			continue;
		/* the meeting an item announces has its link numbered already */
		json_t *l = link_entry(n + 1, url), *seen;
		size_t q;
		json_int_t ref = 0;
		json_array_foreach(links, q, seen)
			if (!ref && json_equal(json_object_get(seen, "url"), json_object_get(l, "url")))
				ref = json_integer_value(json_object_get(seen, "ref"));
		if (ref) {
			json_decref(l);
		} else {
			ref = ++n;
			json_array_append_new(links, l);
		}
		json_object_set_new(line, "ref", json_integer(ref));
	}
	json_object_set_new(model, "has_events", json_boolean(json_array_size(events) > 0));
	json_object_set_new(model, "events", events);
	json_object_set_new(model, "has_links", json_boolean(json_array_size(links) > 0));
	json_object_set_new(model, "links", links);
	json_object_set_new(model, "count_text", total == 1 ? json_string(c->one_item)
							 : counted(c->n_items, (long)total));
	json_object_set_new(model, "count", json_integer(total));
	json_object_set_new(model, "has_items", json_boolean(total > 0));
	json_object_set_new(model, "intro", counted(total == 1 ? c->intro_one : c->intro_many, (long)total));
	json_object_set_new(model, "more", json_integer(more));
	if (more)
		json_object_set_new(model, "more_text", counted(c->more_all, (long)more));
	else
		json_object_del(model, "more_text");
	json_object_set_new(model, "preheader", preheader(model, c));
}

int digest_too_old(const struct item *it, long max_age_days, time_t end)
{
	return max_age_days > 0 && it->published && it->published < end - max_age_days * 86400L;
}

json_t *digest_model_build(const struct digest_opts *o, const struct rules *r,
			   const struct item_list *items, const struct match *matches,
			   time_t start, time_t end)
{
	const struct chrome *c = chrome_for(o->language);
	size_t ntopics = rules_topic_count(r);
	json_t *model = json_object();
	json_t *topics = json_array();
	struct ranked *rk = calloc(items->n + 1, sizeof *rk);
	size_t *dup_of = calloc(items->n + 1, sizeof *dup_of);
	char *keep = calloc(items->n + 1, 1);
	if (!model || !topics || !rk || !dup_of || !keep)
		goto oom;
	for (size_t i = 0; i < items->n; i++)
		keep[i] = matches[i].selected && matches[i].topic >= 0 &&
			  !digest_too_old(&items->v[i], o->max_age_days, end);
	if (find_duplicates(items, matches, keep, dup_of) < 0)
		goto oom;
	/* A dropped story stays out with every source that carried it: the
	 * group's first item goes when any of the group was dropped. */
	for (size_t i = 0; o->edit && i < items->n; i++)
		if (o->edit[i] == DIGEST_DROPPED) {
			keep[i] = 0;
			if (dup_of[i] != SIZE_MAX)
				keep[dup_of[i]] = 0;
		}
	long total = 0, more = 0;
	for (size_t t = 0; t < ntopics; t++) {
		size_t n = 0;
		for (size_t i = 0; i < items->n; i++) {
			if (!keep[i] || dup_of[i] != SIZE_MAX || matches[i].topic != (long)t)
				continue;
			const struct item *it = &items->v[i];
			rk[n++] = (struct ranked){i, matches[i].score,
						  it->published ? it->published : it->first_seen,
						  o->pin_rank ? o->pin_rank[i] : 0};
		}
		if (!n)
			continue;
		qsort(rk, n, sizeof *rk, ranked_cmp);
		json_t *topic = json_object(), *list = json_array();
		long shown = 0, tmore = 0;
		for (size_t k = 0; k < n; k++) {
			int forced = o->edit && o->edit[rk[k].idx] == DIGEST_FORCED;
			if (!forced && o->max_items > 0 && total >= o->max_items) {
				more++;
				continue;
			}
			if (!forced && o->max_per_topic > 0 && shown >= o->max_per_topic) {
				tmore++;
				continue;
			}
			json_array_append_new(list, item_model(o, c, items, rk[k].idx, &matches[rk[k].idx], dup_of,
								   end));
			total++;
			shown++;
		}
		json_object_set_new(topic, "id", json_string(rules_topic_id(r, t)));
		json_object_set_new(topic, "title", json_string(rules_topic_title(r, t)));
		json_object_set_new(topic, "items", list);
		json_object_set_new(topic, "more", json_integer(tmore));
		if (shown)
			json_array_append_new(topics, topic);
		else
			json_decref(topic);
	}
	char ts[RFC3339_LEN];
	json_t *period = json_object();
	json_object_set_new(period, "start", start ? json_string(time_format_rfc3339(start, ts)) : json_null());
	json_object_set_new(period, "end", json_string(time_format_rfc3339(end, ts)));
	struct tm tm;
	gmtime_r(&end, &tm);
	char wk[8];
	strftime(wk, sizeof wk, "%V", &tm);
	json_object_set_new(period, "week", json_integer(atoi(wk)));
	json_object_set_new(period, "year", json_integer(tm.tm_year + 1900));

	json_object_set_new(model, "title", json_string(o->title ? o->title : "bulletin"));
	if (o->timezone)
		json_object_set_new(model, "timezone", json_string(o->timezone));
	json_object_set_new(model, "generated", json_string(time_format_rfc3339(end, ts)));
	json_object_set_new(model, "period", period);
	json_object_set_new(model, "more_cap", json_integer(more));
	json_object_set_new(model, "topics", topics);
	if (o->association)
		json_object_set_new(model, "association", json_string(o->association));
	if (url_allowed(o->unsubscribe))
		json_object_set_new(model, "unsubscribe", json_string(o->unsubscribe));
	if (o->archive_url && (!strncmp(o->archive_url, "https://", 8) || !strncmp(o->archive_url, "http://", 7)))
		json_object_set_new(model, "archive_url", json_string(o->archive_url));
	if (o->agenda) {
		json_t *u = digest_upcoming(o, o->agenda);
		json_object_set(model, "has_upcoming", json_object_get(u, "has_lines"));
		json_object_set_new(model, "upcoming", u);
	}
	if (o->association_name && *o->association_name)
		json_object_set_new(model, "association_name", json_string(o->association_name));
	/* every text in the language (and the links numbered): the same code
	 * that renders a stored digest in a member's own language */
	digest_model_localize(model, c->lang);
	free(rk);
	free(dup_of);
	free(keep);
	return model;
oom:
	json_decref(model);
	json_decref(topics);
	free(rk);
	free(dup_of);
	free(keep);
	return NULL;
}

/* Moves the last item of the topic with the most items into its "more". */
int digest_model_drop_one(json_t *model)
{
	json_t *topics = json_object_get(model, "topics"), *best = NULL;
	size_t i, most = 0;
	json_t *topic;
	json_array_foreach(topics, i, topic) {
		size_t n = json_array_size(json_object_get(topic, "items"));
		if (n > most) {
			most = n;
			best = topic;
		}
	}
	if (!best || most <= 1)
		return -1; /* one item per topic left: nothing sensible to cut */
	json_t *list = json_object_get(best, "items");
	json_array_remove(list, json_array_size(list) - 1);
	json_object_set_new(best, "more", json_integer(json_integer_value(json_object_get(best, "more")) + 1));
	return 0;
}

int digest_model_add_watch(json_t *model, json_t *items)
{
	size_t n = json_array_size(items);
	if (json_object_set_new(model, "watch", items) < 0)
		return -1;
	json_object_set_new(model, "has_watch", json_boolean(n > 0));
	digest_model_number_links(model);
	return 0;
}

int digest_add_chair(json_t *model, json_t *report)
{
	const struct chrome *c = chrome_for(json_string_value(json_object_get(model, "language")));
	json_t *ch = json_deep_copy(report);
	if (!ch)
		return -1;
	chair_texts(ch, c);
	return json_object_set_new(model, "chair", ch);
}
