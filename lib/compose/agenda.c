#include "compose/agenda.h"
#include "core/hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "parse/date.h"

#define AGENDA_MAX_LINES 2000

/* With the NUL: "ab"+"c" is not "a"+"bc". */
static uint64_t fnv(uint64_t h, const char *s)
{
	return fnv1a_byte(fnv1a_str(h, s), 0);
}

void agenda_event_uid(const struct item *it, char *out, size_t len)
{
	uint64_t h = fnv(fnv(FNV1A_INIT, it->source), it->key);
	snprintf(out, len, "item-%016llx", (unsigned long long)h);
}

void agenda_line_hash(const struct agenda_line *l, char out[17])
{
	char t[64];
	snprintf(t, sizeof t, "%lld/%lld/%d", (long long)l->start, (long long)l->end, (int)l->span);
	uint64_t h = fnv(FNV1A_INIT, t);
	h = fnv(fnv(fnv(h, l->title), l->place), l->url);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static struct agenda_line *push(struct agenda *a, size_t *cap)
{
	if (a->n >= AGENDA_MAX_LINES)
		return NULL;
	if (a->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct agenda_line *v = realloc(a->v, nc * sizeof *v);
		if (!v)
			return NULL;
		a->v = v;
		*cap = nc;
	}
	struct agenda_line *l = &a->v[a->n];
	memset(l, 0, sizeof *l);
	l->order = a->n++;
	return l;
}

/* An event without an end is over once it has started. */
static int ended(time_t start, time_t end, time_t at)
{
	return end ? end <= at : start < at;
}

static int line_order(const void *va, const void *vb)
{
	const struct agenda_line *a = va, *b = vb;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (!a->entry != !b->entry)
		return a->entry ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order; /* qsort is not stable */
}

/* The local year of t in Stockholm/Oslo. */
static int local_year(time_t t)
{
	time_t wall = t + date_nordic_offset(t);
	struct tm tm;
	gmtime_r(&wall, &tm);
	return tm.tm_year + 1900;
}

static int add_entries(struct store *s, const struct agenda_opts *o, struct agenda *a, size_t *cap,
		       struct err *err)
{
	if (!o->cal)
		return 0;
	time_t last = o->until > o->reminders ? o->until : o->reminders;
	int y0 = local_year(o->from) - 1, y1 = local_year(last) + 1;
	for (size_t i = 0; i < o->cal->n; i++) {
		const struct cal_entry *e = &o->cal->v[i];
		/* a reminder can reach a year ahead of the window */
		int yend = y1 + (e->remind_days > 0);
		for (int y = y0; y <= yend; y++) {
			struct cal_when w;
			if (!calendar_when(e, y, &w))
				continue;
			int in_window = !ended(w.start, w.end, o->from) && w.start < o->until;
			int due = 0;
			if (o->reminders && e->remind_days > 0 &&
			    o->reminders >= w.start - e->remind_days * 86400L && o->reminders < w.start) {
				int given = store_reminder_given(s, e->name, y, err);
				if (given < 0)
					return -1;
				due = !given;
			}
			if (!in_window && !due)
				continue;
			struct agenda_line *l = push(a, cap);
			if (!l)
				return a->n >= AGENDA_MAX_LINES ? 0 : err_set(err, "out of memory");
			l->start = w.start;
			l->end = w.end;
			l->span = w.span;
			l->title = e->title;
			l->place = e->place;
			l->url = e->url;
			l->entry = e->name;
			l->year = y;
			l->reminder = due;
			snprintf(l->uid, sizeof l->uid, "cal-%s-%d", e->name, y);
		}
	}
	return 0;
}

static int add_events(struct store *s, const struct agenda_opts *o, struct agenda *a, size_t *cap,
		      struct err *err)
{
	if (!o->rules)
		return 0;
	/* "not ended at from": an event without an end has ended at its start */
	if (store_items_with_events(s, o->from, o->until, &a->items, err) < 0)
		return -1;
	for (size_t i = 0; i < a->items.n; i++) {
		const struct item *it = &a->items.v[i];
		struct match m = {0};
		if (rules_match(o->rules, it, &m, err) < 0) {
			err_prefix(err, "%s", it->key);
			return -1;
		}
		int keep = m.selected;
		match_free(&m);
		if (!keep || ended(it->event_start, it->event_end, o->from))
			continue;
		struct agenda_line *l = push(a, cap);
		if (!l)
			return a->n >= AGENDA_MAX_LINES ? 0 : err_set(err, "out of memory");
		l->start = it->event_start;
		l->end = it->event_end;
		l->span = CAL_TIMED;
		l->title = it->title && *it->title ? it->title : NULL;
		l->url = it->url;
		l->source = it->source;
		agenda_event_uid(it, l->uid, sizeof l->uid);
	}
	return 0;
}

int agenda_build(struct store *s, const struct agenda_opts *o, struct agenda *out,
		 struct err *err)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0;
	if (add_entries(s, o, out, &cap, err) < 0 || add_events(s, o, out, &cap, err) < 0) {
		agenda_free(out);
		return -1;
	}
	/* an untitled item gives no line anyone could read */
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].title)
			out->v[k++] = out->v[i];
	out->n = k;
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, line_order);
	return 0;
}

void agenda_free(struct agenda *a)
{
	free(a->v);
	item_list_free(&a->items);
	memset(a, 0, sizeof *a);
}
