#include "compose/digest.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <unistd.h>

#include "core/buf.h"
#include "parse/date.h"
#include "core/log.h"
#include "core/fsutil.h"
#include "compose/mustache.h"
#include "core/text.h"
#include "core/timefmt.h"

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

/* ---- the chrome in three languages ---- */

struct chrome {
	const char *lang;
	const char *greeting, *greeting_to, *intro_one, *intro_many, *no_news, *week, *more_topic, *more_all,
		*member, *unsubscribe, *links, *archive, *untitled, *and, *week_lc, *one_item,
		*n_items, *chair_title, *chair_failing, *chair_failures, *chair_dead, *chair_ok;
	const char *event;    /* before an event's start on the item's line */
	const char *at;       /* between an event's day and its clock */
	const char *days[7];  /* Sunday first */
};

/* %d is the count; the Markdown template adds the archive link. */
static const struct chrome chromes[] = {
	{"sv", "Hej!", "Hej", "Här är veckans nyhet om primärvården.",
	 "Här är veckans nyheter om primärvården, %d stycken, samlade efter ämne.",
	 "Inga nya nyheter om primärvården den här veckan.", "Vecka",
	 "…och %d till i samma ämne", "…och %d nyheter till som inte fick plats",
	 "Du får det här brevet som medlem.", "Avregistrera dig", "Länkar", "Arkivet",
	 "(utan rubrik)", "och", "vecka", "1 nyhet", "%d nyheter",
	 "Till ordföranden (bara i ditt exemplar)", "Källor som inte gick att hämta:",
	 "misslyckade försök i rad", "%d av %d ord i reglerna träffade inget den här perioden:",
	 "Alla källor hämtades utan fel.", "Tid:", "kl.",
	 {"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}},
	{"nb", "Hei!", "Hei", "Her er ukens nyhet om primærhelsetjenesten.",
	 "Her er ukens nyheter om primærhelsetjenesten, %d i alt, samlet etter tema.",
	 "Ingen nye nyheter om primærhelsetjenesten denne uken.", "Uke",
	 "…og %d til om samme tema", "…og %d nyheter til som ikke fikk plass",
	 "Du får dette brevet som medlem.", "Meld deg av", "Lenker", "Arkivet",
	 "(uten tittel)", "og", "uke", "1 nyhet", "%d nyheter",
	 "Til lederen (bare i ditt eksemplar)", "Kilder som ikke kunne hentes:",
	 "mislykkede forsøk på rad", "%d av %d ord i reglene traff ingenting denne perioden:",
	 "Alle kilder ble hentet uten feil.", "Tid:", "kl.",
	 {"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"}},
	{"en", "Hello!", "Hello", "Here is this week's primary care news item.",
	 "Here are this week's %d primary care news items, grouped by topic.",
	 "No new primary care news this week.", "Week", "…and %d more on this topic",
	 "…and %d more items that did not fit", "You receive this letter as a member.",
	 "Unsubscribe", "Links", "The archive", "(untitled)", "and", "week", "1 item", "%d items",
	 "For the chair (only in your copy)", "Sources that could not be fetched:",
	 "failed attempts in a row", "%d of %d words in the rules matched nothing this period:",
	 "Every source was fetched without errors.", "When:", "at",
	 {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}},
};

static const struct chrome *chrome_for(const char *lang)
{
	for (size_t i = 0; i < sizeof chromes / sizeof *chromes; i++)
		if (lang && !strcmp(lang, chromes[i].lang))
			return &chromes[i];
	return &chromes[0];
}

static json_t *chrome_json(const struct chrome *c)
{
	json_t *t = json_object();
	const struct {
		const char *k, *v;
	} kv[] = {{"greeting", c->greeting}, {"greeting_to", c->greeting_to}, {"no_news", c->no_news}, {"week", c->week},
		  {"member", c->member}, {"unsubscribe", c->unsubscribe}, {"links", c->links},
		  {"archive", c->archive}, {"week_lc", c->week_lc}, {"event", c->event}};
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		json_object_set_new(t, kv[i].k, json_string(kv[i].v));
	return t;
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
		rk[nr++] = (struct ranked){i, ms[i].score, it->published ? it->published : it->first_seen};
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

/* An event's start in Stockholm/Oslo time, as the language writes it:
 * "onsdag 4 september 2025 kl. 13.00", "onsdag 4. september 2025 kl.
 * 13.00", "Wednesday 4 September 2025 at 13:00". */
static void event_text(time_t t, const struct chrome *c, char *out, size_t outlen)
{
	char day[64];
	time_t wall = t + date_nordic_offset(t);
	struct tm tm;
	if (!gmtime_r(&wall, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	digest_format_date(wall, c->lang, day, sizeof day);
	int en = !strcmp(c->lang, "en");
	snprintf(out, outlen, "%s %s %s %02d%c%02d", c->days[tm.tm_wday], day, c->at, tm.tm_hour,
		 en ? ':' : '.', tm.tm_min);
}

/* The upcoming event an item announces (its title first, then its
 * summary): {start, end?, start_text, uid}, or NULL. The uid is a hash of
 * the item's key (else link, else title) and the start, so the same event
 * keeps its identity in every digest that carries it. */
static json_t *event_model(const struct chrome *c, const struct item *it, time_t after)
{
	time_t pub = it->published ? it->published : it->first_seen, st = 0, en = 0;
	if (!date_event_nordic(it->title, pub, after, &st, &en) &&
	    !date_event_nordic(it->summary, pub, after, &st, &en))
		return NULL;
	char ts[RFC3339_LEN], text[128], uid[24];
	json_t *e = json_object();
	time_format_rfc3339(st, ts);
	json_object_set_new(e, "start", json_string(ts));
	unsigned long long h = 0xcbf29ce484222325ULL;
	const char *id = it->key && *it->key ? it->key : it->url ? it->url : it->title ? it->title : "";
	for (const char *p = id;; p++) {
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		if (!*p)
			break;
	}
	for (const char *p = ts; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(uid, sizeof uid, "%016llx", h);
	json_object_set_new(e, "uid", json_string(uid));
	if (en)
		json_object_set_new(e, "end", json_string(time_format_rfc3339(en, ts)));
	event_text(st, c, text, sizeof text);
	json_object_set_new(e, "start_text", json_string(text));
	return e;
}

static json_t *item_model(const struct digest_opts *o, const struct chrome *c,
			  const struct item_list *items, size_t idx, const struct match *m,
			  const size_t *dup_of, time_t after)
{
	const struct item *it = &items->v[idx];
	json_t *j = json_object();
	char date[64], ts[RFC3339_LEN];
	time_t when = it->published ? it->published : it->first_seen;
	json_object_set_new(j, "title", json_string(it->title && *it->title ? it->title : c->untitled));
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
	json_object_set_new(j, "sources_text", names_text(names, c));
	json_object_set_new(j, "sources", names);
	if (when) {
		digest_format_date(when, o->language, date, sizeof date);
		json_object_set_new(j, "date", json_string(time_format_rfc3339(when, ts)));
		json_object_set_new(j, "date_text", json_string(date));
	}
	if (it->summary && *it->summary) {
		char *s = strdup(it->summary);
		if (s) {
			text_summary_cut(s, (size_t)(o->summary_length > 0 ? o->summary_length : 180));
			json_object_set_new(j, "summary", json_string(s));
			free(s);
		}
	}
	json_t *ev = event_model(c, it, after);
	if (ev)
		json_object_set_new(j, "event", ev);
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

/* Numbers the items that have a link (1, 2, ...) and lists the links, for
 * the plain-text part; sets the counts and "more" texts. Called again
 * after the budget takes items out. */
static void number_links(json_t *model)
{
	const struct chrome *c = chrome_for(json_string_value(json_object_get(model, "language")));
	json_t *links = json_array(), *events = json_array();
	json_int_t n = 0, total = 0, more = json_integer_value(json_object_get(model, "more_cap"));
	size_t i, k;
	json_t *topic, *item;
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
			const char *url = json_string_value(json_object_get(item, "url"));
			add_event(events, item);
			if (!url) {
				json_object_del(item, "ref");
				continue;
			}
			json_object_set_new(item, "ref", json_integer(++n));
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
			json_array_append_new(links, l);
		}
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
	time_t oldest = o->max_age_days > 0 ? end - o->max_age_days * 86400L : 0;
	for (size_t i = 0; i < items->n; i++) {
		const struct item *it = &items->v[i];
		keep[i] = matches[i].selected && matches[i].topic >= 0 &&
			  !(oldest && it->published && it->published < oldest);
	}
	if (find_duplicates(items, matches, keep, dup_of) < 0)
		goto oom;
	long total = 0, more = 0;
	for (size_t t = 0; t < ntopics; t++) {
		size_t n = 0;
		for (size_t i = 0; i < items->n; i++) {
			if (!keep[i] || dup_of[i] != SIZE_MAX || matches[i].topic != (long)t)
				continue;
			const struct item *it = &items->v[i];
			rk[n++] = (struct ranked){i, matches[i].score,
						  it->published ? it->published : it->first_seen};
		}
		if (!n)
			continue;
		qsort(rk, n, sizeof *rk, ranked_cmp);
		json_t *topic = json_object(), *list = json_array();
		long shown = 0, tmore = 0;
		for (size_t k = 0; k < n; k++) {
			if (o->max_items > 0 && total >= o->max_items) {
				more++;
				continue;
			}
			if (o->max_per_topic > 0 && shown >= o->max_per_topic) {
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
	json_object_set_new(model, "language", json_string(c->lang));
	json_object_set_new(model, "t", chrome_json(c));
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
	number_links(model);
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

/* Renders the template text tmpl (named name, for messages) from dir,
 * whose partials come from the same folder. */
static int render_text(const char *dir, const char *name, const char *tmpl, const json_t *data,
		       int escape, struct buf *out, struct err *err)
{
	struct tmpl_ctx ctx = {.dir = dir};
	struct mustache_opts mo = {.partial = partial_from_dir, .partial_ctx = &ctx,
				   .no_escape = !escape};
	int r = mustache_render(tmpl, data, &mo, out, err);
	if (r < 0)
		err_prefix(err, "%s/%s", dir, name);
	for (size_t i = 0; i < ctx.nloaded; i++)
		free(ctx.loaded[i]);
	return r;
}

static int render_file(const char *dir, const char *name, const json_t *data, int escape,
		       struct buf *out, struct err *err)
{
	char *tmpl = read_template(dir, name, err);
	if (!tmpl)
		return -1;
	int r = render_text(dir, name, tmpl, data, escape, out, err);
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

/* ---- the member's greeting ---- */

void digest_first_name(const char *name, char *out, size_t outlen)
{
	if (!outlen)
		return;
	out[0] = '\0';
	if (!name)
		return;
	/* "Öberg, Karin", as spreadsheets export it: the given name follows. */
	const char *comma = strchr(name, ',');
	const char *p = comma ? comma + 1 : name;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t,");
		if (!n)
			return;
		/* "Dr. Åsa Lindström": a title with a full stop is not a name. */
		if (p[n - 1] == '.' && p[n] && p[n + strspn(p + n, " \t")]) {
			p += n;
			continue;
		}
		if (strchr(p, '@') && strchr(p, '@') < p + n)
			return; /* an address in the name column */
		if (n >= outlen)
			n = outlen - 1;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

/* Member data reaches a mail part: nothing below a space, no DEL. */
static void drop_controls(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++)
		if ((unsigned char)*r >= 0x20 && *r != 0x7f)
			*w++ = *r;
	*w = '\0';
}

struct digest_greeter {
	const char *dir;
	char *tmpl; /* greeting.mustache; NULL: the folder has none */
	json_t *t;  /* the chrome */
};

/* Reads greeting.mustache once; its absence (an older templates folder)
 * is not an error: t.greeting is then the greeting. */
static struct digest_greeter *greeter_new(const char *dir, json_t *t, struct err *err)
{
	if (!t)
		t = json_object(); /* a model without chrome: no generic greeting either */
	struct digest_greeter *g = calloc(1, sizeof *g);
	if (!g || !t) {
		free(g);
		json_decref(t);
		err_set(err, "out of memory");
		return NULL;
	}
	g->dir = dir;
	g->t = t;
	char path[4096];
	snprintf(path, sizeof path, "%s/greeting.mustache", dir);
	if (access(path, F_OK) == 0 && !(g->tmpl = read_template(dir, "greeting.mustache", err))) {
		digest_greeter_free(g);
		return NULL;
	}
	return g;
}

/* The greeting for name (NULL or "": the generic one) into b. */
static int greeter_render(const struct digest_greeter *g, const char *name, struct buf *b,
			  struct err *err)
{
	if (!g->tmpl) {
		const char *generic = json_string_value(json_object_get(g->t, "greeting"));
		return buf_puts(b, generic ? generic : "") < 0 ? err_set(err, "out of memory") : 0;
	}
	json_t *data = json_object();
	json_t *member = json_object();
	if (name && *name) {
		char first[128], full[256];
		snprintf(full, sizeof full, "%s", name);
		drop_controls(full);
		digest_first_name(full, first, sizeof first);
		json_object_set_new(member, "name", json_string(full));
		if (*first)
			json_object_set_new(member, "first_name", json_string(first));
	}
	json_object_set(data, "t", g->t);
	json_object_set_new(data, "member", member);
	int r = render_text(g->dir, "greeting.mustache", g->tmpl, data, 0, b, err);
	json_decref(data);
	return r;
}

struct digest_greeter *digest_greeter_new(const char *dir, const char *lang, struct err *err)
{
	return greeter_new(dir, chrome_json(chrome_for(lang)), err);
}

void digest_greeter_free(struct digest_greeter *g)
{
	if (!g)
		return;
	free(g->tmpl);
	json_decref(g->t);
	free(g);
}

char *digest_greeter_greet(const struct digest_greeter *g, const char *name, struct err *err)
{
	struct buf b = BUF_INIT;
	if (greeter_render(g, name, &b, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	char *out = buf_steal(&b);
	if (!out) {
		err_set(err, "out of memory");
		return NULL;
	}
	one_line(out);
	drop_controls(out);
	return out;
}

char *digest_greeting(const char *dir, const char *lang, const char *name, struct err *err)
{
	struct digest_greeter *g = digest_greeter_new(dir, lang, err);
	if (!g)
		return NULL;
	char *out = digest_greeter_greet(g, name, err);
	digest_greeter_free(g);
	return out;
}

char *digest_personalize(const char *part, const char *greeting, int html)
{
	struct buf b = BUF_INIT;
	const char *slot = part ? strstr(part, DIGEST_GREETING_SLOT) : NULL;
	if (!slot)
		return part ? strdup(part) : NULL;
	buf_append(&b, part, (size_t)(slot - part));
	for (const char *g = greeting ? greeting : ""; *g; g++) {
		if (html && strchr("&<>\"'", *g))
			buf_printf(&b, "&#%d;", *g);
		else if ((unsigned char)*g >= 0x20 && *g != 0x7f)
			buf_putc(&b, *g);
	}
	buf_puts(&b, slot + strlen(DIGEST_GREETING_SLOT));
	return buf_steal(&b);
}

int digest_compose(const json_t *model, const char *dir, struct digest_parts *out,
		   struct err *err)
{
	memset(out, 0, sizeof *out);
	struct buf b = BUF_INIT;
	json_t *own = NULL;
	/* No greeting in the model (a preview, the archive): the generic one. */
	if (!json_object_get(model, "greeting")) {
		struct digest_greeter *greeter =
			greeter_new(dir, json_incref(json_object_get(model, "t")), err);
		int gr = greeter ? greeter_render(greeter, NULL, &b, err) : -1;
		digest_greeter_free(greeter);
		if (gr < 0) {
			buf_free(&b);
			return -1;
		}
		own = json_deep_copy(model);
		char *g = buf_steal(&b);
		if (!own || !g) {
			free(g);
			json_decref(own);
			return err_set(err, "out of memory");
		}
		one_line(g);
		json_object_set_new(own, "greeting", json_string(g));
		free(g);
		model = own;
	}
	json_t *mdm = md_view(model, NULL);
	json_t *layout = NULL;
	if (!mdm) {
		json_decref(own);
		return err_set(err, "out of memory");
	}
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
	out->text = digest_wrap_text(buf_str(&b), 72);
	buf_free(&b);
	if (!out->text) {
		err_set(err, "out of memory");
		goto fail;
	}
	json_decref(mdm);
	json_decref(layout);
	json_decref(own);
	return 0;
fail:
	buf_free(&b);
	json_decref(mdm);
	json_decref(layout);
	json_decref(own);
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

/* ---- plain text ---- */

static size_t cp_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* One line, wrapped: words go on while they fit; continuation lines get
 * the hanging indent. */
static int wrap_line(struct buf *b, const char *line, size_t len, size_t width)
{
	size_t indent = strspn(line, " ");
	if (indent > len)
		indent = len;
	size_t hang = indent;
	const char *body = line + indent;
	size_t blen = len - indent;
	if (blen >= 2 && body[0] == '*' && body[1] == ' ')
		hang += 2;
	else if (blen >= 3 && body[0] == '[') {
		size_t d = 1;
		while (d < blen && body[d] >= '0' && body[d] <= '9')
			d++;
		if (d > 1 && d + 1 < blen && body[d] == ']' && body[d + 1] == ' ')
			hang += d + 2;
	}
	if (hang >= width / 2)
		hang = indent < width / 2 ? indent : 0;
	size_t col = 0, i = 0;
	int r = buf_append(b, line, indent);
	col = indent;
	int first_word = 1;
	i = indent;
	while (i < len) {
		size_t ws = i;
		while (i < len && line[i] == ' ')
			i++;
		size_t w0 = i;
		while (i < len && line[i] != ' ')
			i++;
		if (w0 == i)
			break; /* trailing spaces */
		size_t wlen = cp_count(line + w0, i - w0);
		size_t gap = first_word ? cp_count(line + ws, w0 - ws) : 1;
		/* never right after a "* " or "[n] " label: it stays with its word */
		if (!first_word && col + gap + wlen > width && col > hang) {
			r |= buf_putc(b, '\n');
			for (size_t k = 0; k < hang; k++)
				r |= buf_putc(b, ' ');
			col = hang;
		} else if (!first_word) {
			r |= buf_putc(b, ' ');
			col += 1;
		}
		r |= buf_append(b, line + w0, i - w0);
		col += wlen;
		first_word = 0;
	}
	return r;
}

char *digest_wrap_text(const char *text, size_t width)
{
	struct buf b = BUF_INIT;
	int r = buf_reserve(&b, strlen(text) + 64);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (cp_count(p, len) <= width)
			r |= buf_append(&b, p, len);
		else
			r |= wrap_line(&b, p, len, width);
		if (nl)
			r |= buf_putc(&b, '\n');
		p = nl ? nl + 1 : p + len;
	}
	if (r) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* ---- the size budget ---- */

/* Moves the last item of the topic with the most items into its "more". */
static int drop_one(json_t *model)
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

int digest_compose_budget(json_t *model, const char *dir, size_t budget, struct digest_parts *out,
			  struct err *err)
{
	for (;;) {
		if (digest_compose(model, dir, out, err) < 0)
			return -1;
		size_t len = strlen(out->html);
		if (!budget || len <= budget)
			return 0;
		/* Cut about as many items as the excess holds, then look again. */
		size_t items = (size_t)json_integer_value(json_object_get(model, "count"));
		size_t per = items ? len / items : len;
		size_t cut = per ? (len - budget) / per + 1 : 1;
		size_t done = 0;
		while (done < cut && drop_one(model) == 0)
			done++;
		if (!done) {
			log_warn("digest: the HTML part is %zu bytes, over the budget of %zu, with one item per topic left",
				 len, budget);
			return 0;
		}
		number_links(model);
		digest_parts_free(out);
	}
}

int digest_add_chair(json_t *model, json_t *report)
{
	const struct chrome *c = chrome_for(json_string_value(json_object_get(model, "language")));
	json_t *ch = json_deep_copy(report);
	if (!ch)
		return -1;
	char b[256];
	snprintf(b, sizeof b, c->chair_dead, (int)json_integer_value(json_object_get(ch, "dead_count")),
		 (int)json_integer_value(json_object_get(ch, "include_count")));
	json_object_set_new(ch, "dead_text", json_string(b));
	json_object_set_new(ch, "has_dead", json_boolean(json_integer_value(json_object_get(ch, "dead_count")) > 0));
	json_object_set_new(ch, "title", json_string(c->chair_title));
	json_object_set_new(ch, "failing_text", json_string(c->chair_failing));
	json_object_set_new(ch, "failures_text", json_string(c->chair_failures));
	json_object_set_new(ch, "ok_text", json_string(c->chair_ok));
	return json_object_set_new(model, "chair", ch);
}
