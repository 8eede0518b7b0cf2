#include "compose/ical.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "parse/date.h"

#ifndef BULLETIN_VERSION
#define BULLETIN_VERSION "0"
#endif

#define FOLD 75 /* octets per line, CRLF not counted (RFC 5545 3.1) */

int ical_line(struct buf *b, const char *name, const char *value)
{
	struct buf l = BUF_INIT;
	if (buf_puts(&l, name) || buf_putc(&l, ':') || buf_puts(&l, value)) {
		buf_free(&l);
		return -1;
	}
	int rc = 0;
	size_t pos = 0, room = FOLD;
	while (rc == 0 && pos < l.len) {
		size_t take = l.len - pos;
		if (take > room) {
			take = room;
			/* never between the bytes of one character */
			while (take > 1 && ((unsigned char)l.data[pos + take] & 0xC0) == 0x80)
				take--;
		}
		if (pos > 0)
			rc = buf_putc(b, ' ');
		if (rc == 0)
			rc = buf_append(b, l.data + pos, take);
		if (rc == 0)
			rc = buf_puts(b, "\r\n");
		pos += take;
		room = FOLD - 1; /* the leading space counts */
	}
	buf_free(&l);
	return rc;
}

int ical_text(struct buf *b, const char *s)
{
	int rc = 0;
	size_t n = s ? strlen(s) : 0;
	while (rc == 0 && n > 0) {
		unsigned char c = (unsigned char)*s;
		size_t l = utf8_decode(s, n, NULL);
		if (c == '\r' || c == '\n') {
			rc = buf_puts(b, "\\n");
			l = c == '\r' && n > 1 && s[1] == '\n' ? 2 : 1;
		} else if (c == '\\' || c == ';' || c == ',') {
			rc = buf_putc(b, '\\') || buf_putc(b, (char)c);
		} else if (l == 0) {
			rc = buf_puts(b, "\xEF\xBF\xBD");
			l = 1;
		} else if (l == 1 && ((c < 0x20 && c != '\t') || c == 0x7F)) {
			/* dropped: TEXT allows no control characters but HTAB */
		} else {
			rc = buf_append(b, s, l);
		}
		s += l;
		n -= l;
	}
	return rc;
}

/* A UTC time as "20250904T110000Z" (or, all_day, the Stockholm/Oslo
 * day it is midnight of: "20250904"); 0 when it cannot be written. */
static int ical_time(time_t t, int all_day, char out[20])
{
	struct tm tm;
	if (all_day)
		t += date_nordic_offset(t);
	if (!t || !gmtime_r(&t, &tm))
		return 0;
	return strftime(out, 20, all_day ? "%Y%m%d" : "%Y%m%dT%H%M%SZ", &tm) > 0;
}

/* A URI value: http and https only; bytes that a URI cannot hold raw
 * (spaces, controls, non-ASCII) percent-encoded. */
static int ical_url(struct buf *b, const char *u)
{
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)u; *p && rc == 0; p++)
		rc = *p <= ' ' || *p >= 0x7F || *p == '"' || *p == '<' || *p == '>'
			     ? buf_printf(b, "%%%02X", *p)
			     : buf_putc(b, (char)*p);
	return rc;
}

static int is_http(const char *u)
{
	return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7));
}

/* The domain of the sender's address, letters, digits, "-" and "." only. */
static void uid_domain(const char *from, char *out, size_t outlen)
{
	const char *at = from ? strrchr(from, '@') : NULL;
	size_t k = 0;
	for (const char *p = at ? at + 1 : ""; *p && k + 1 < outlen; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.')
			out[k++] = *p;
	out[k] = '\0';
	if (!k)
		snprintf(out, outlen, "bulletin");
}

/* name:value of a TEXT property; nothing when s is empty. */
static int text_line(struct buf *b, const char *name, const char *s)
{
	if (!s || !*s)
		return 0;
	struct buf v = BUF_INIT;
	int rc = ical_text(&v, s) || ical_line(b, name, buf_str(&v));
	buf_free(&v);
	return rc;
}

static int time_line(struct buf *b, const char *name, time_t t, int all_day)
{
	char v[20];
	if (!ical_time(t, all_day, v))
		return -1;
	return ical_line(b, all_day ? (!strcmp(name, "DTSTART") ? "DTSTART;VALUE=DATE"
								: "DTEND;VALUE=DATE")
				    : name, v);
}

/* The sender's addr-spec ("Name <a@b>" or "a@b") as a mailto: URI, when
 * it is one plain address. */
static int organizer_uri(const char *from, struct buf *out)
{
	if (!from)
		return 0;
	const char *lt = strrchr(from, '<');
	const char *a = lt ? lt + 1 : from;
	size_t n = lt ? strcspn(a, ">") : strlen(a);
	if (!n || !memchr(a, '@', n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7F || strchr("\"<>;:,\\", a[i]))
			return 0;
	buf_puts(out, "mailto:");
	buf_append(out, a, n);
	return 1;
}

/* ORGANIZER;CN="the association":mailto:sender (RFC 5545 3.8.4.3); the
 * name quoted, without what a quoted parameter cannot hold. */
static int organizer_line(struct buf *b, const struct ical_opts *o)
{
	struct buf uri = BUF_INIT, name = BUF_INIT;
	int rc = 0;
	if (organizer_uri(o->from_address, &uri)) {
		buf_puts(&name, "ORGANIZER");
		if (o->organizer && *o->organizer) {
			buf_puts(&name, ";CN=\"");
			for (const unsigned char *p = (const unsigned char *)o->organizer; *p; p++)
				if (*p >= 0x20 && *p != 0x7F && *p != '"')
					buf_putc(&name, (char)*p);
			buf_putc(&name, '"');
		}
		rc = ical_line(b, buf_str(&name), buf_str(&uri));
	}
	buf_free(&uri);
	buf_free(&name);
	return rc;
}

static int vevent(struct buf *b, const struct ical_event *e, const char *dtstamp, const char *domain,
		  const struct ical_opts *o)
{
	char v[20];
	if (!e->uid || !*e->uid || !ical_time(e->start, e->all_day, v))
		return 0; /* not an event we can write: left out */
	struct buf u = BUF_INIT;
	int rc = buf_printf(&u, "%s@%s", e->uid, domain);
	rc = rc || ical_line(b, "BEGIN", "VEVENT") || ical_line(b, "UID", buf_str(&u)) ||
	     ical_line(b, "DTSTAMP", dtstamp) || time_line(b, "DTSTART", e->start, e->all_day) ||
	     (e->end > e->start && time_line(b, "DTEND", e->end, e->all_day));
	if (!rc && e->sequence >= 0) {
		buf_reset(&u);
		rc = buf_printf(&u, "%d", e->sequence) || ical_line(b, "SEQUENCE", buf_str(&u));
	}
	if (!rc && e->created && ical_time(e->created, 0, v))
		rc = ical_line(b, "CREATED", v);
	if (!rc && e->modified && ical_time(e->modified, 0, v))
		rc = ical_line(b, "LAST-MODIFIED", v);
	rc = rc || organizer_line(b, o) || text_line(b, "SUMMARY", e->summary) ||
	     text_line(b, "LOCATION", e->location);
	if (!rc && is_http(e->url)) {
		buf_reset(&u);
		rc = ical_url(&u, e->url) || ical_line(b, "URL", buf_str(&u));
	}
	/* the description ends with the link, for programs that hide URL */
	buf_reset(&u);
	if (!rc && e->description && *e->description)
		rc = ical_text(&u, e->description) || (is_http(e->url) && buf_puts(&u, "\\n"));
	if (!rc && is_http(e->url))
		rc = ical_text(&u, e->url);
	if (!rc && u.len)
		rc = ical_line(b, "DESCRIPTION", buf_str(&u));
	rc = rc || ical_line(b, "TRANSP", "TRANSPARENT") || ical_line(b, "END", "VEVENT");
	buf_free(&u);
	return rc ? -1 : 0;
}

int ical_write(const struct ical_event *v, size_t n, const struct ical_opts *o, char **out)
{
	*out = NULL;
	char dtstamp[20], domain[256];
	if (!ical_time(o->dtstamp ? o->dtstamp : time(NULL), 0, dtstamp))
		return -1;
	uid_domain(o->from_address, domain, sizeof domain);
	struct buf b = BUF_INIT;
	int rc = ical_line(&b, "BEGIN", "VCALENDAR") || ical_line(&b, "VERSION", "2.0") ||
		 ical_line(&b, "PRODID", "-//bulletin//bulletin " BULLETIN_VERSION "//EN") ||
		 ical_line(&b, "CALSCALE", "GREGORIAN") || ical_line(&b, "METHOD", "PUBLISH");
	if (!rc && o->name && *o->name) {
		/* the name a subscription shows, and how often to look again */
		rc = text_line(&b, "NAME", o->name) || text_line(&b, "X-WR-CALNAME", o->name) ||
		     ical_line(&b, "REFRESH-INTERVAL;VALUE=DURATION", "PT12H") ||
		     ical_line(&b, "X-PUBLISHED-TTL", "PT12H");
	}
	size_t written = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t before = b.len;
		rc = vevent(&b, &v[i], dtstamp, domain, o);
		written += b.len > before;
	}
	rc = rc || ical_line(&b, "END", "VCALENDAR");
	if (rc || (!written && !o->empty_ok)) {
		buf_free(&b);
		return rc ? -1 : 0; /* none of the events was usable */
	}
	*out = buf_steal(&b);
	return *out ? 1 : -1;
}

/* The model's event e (an item's, or an agenda line) as v; 0 when it has
 * no usable start. */
static int model_event(const json_t *e, struct ical_event *v)
{
	const char *end = json_string_value(json_object_get(e, "end"));
	const char *start = json_string_value(json_object_get(e, "start"));
	const char *desc = json_string_value(json_object_get(e, "sources_text"));
	*v = (struct ical_event){
		.uid = json_string_value(json_object_get(e, "uid")),
		.start = start ? time_parse_rfc3339(start) : 0,
		.end = end ? time_parse_rfc3339(end) : 0,
		.all_day = json_is_true(json_object_get(e, "all_day")),
		.summary = json_string_value(json_object_get(e, "title")),
		.location = json_string_value(json_object_get(e, "place")),
		.url = json_string_value(json_object_get(e, "url")),
		.description = desc ? desc : json_string_value(json_object_get(e, "source")),
		.sequence = -1,
	};
	return v->start && v->uid;
}

int ical_from_model(const json_t *model, const char *from_address, char **out)
{
	*out = NULL;
	const json_t *events = json_object_get(model, "events");
	const json_t *lines = json_object_get(json_object_get(model, "upcoming"), "lines");
	size_t ne = json_array_size(events), nl = json_array_size(lines), n = 0;
	struct ical_event *v = calloc(ne + nl + 1, sizeof *v);
	if (!v)
		return -1;
	/* the items' events, then the agenda's other lines (the association's
	 * entries, with their place): each uid once, a day or a time known */
	for (size_t i = 0; i < ne && n < ICAL_MAX_EVENTS; i++)
		n += model_event(json_array_get(events, i), &v[n]) ? 1u : 0u;
	for (size_t i = 0; i < nl && n < ICAL_MAX_EVENTS; i++) {
		const json_t *l = json_array_get(lines, i);
		const char *span = json_string_value(json_object_get(l, "span"));
		if (!span || !strcmp(span, "month") || !model_event(l, &v[n]))
			continue;
		if (v[n].all_day && !v[n].end)
			v[n].end = v[n].start + 86400; /* one day (DTEND is the day after) */
		int seen = 0;
		for (size_t k = 0; k < n && !seen; k++)
			seen = !strcmp(v[k].uid, v[n].uid);
		n += seen ? 0u : 1u;
	}
	if (!n) {
		free(v);
		return 0;
	}
	const char *gen = json_string_value(json_object_get(model, "generated"));
	struct ical_opts o = {.from_address = from_address,
			      .dtstamp = gen ? time_parse_rfc3339(gen) : 0,
			      .organizer = json_string_value(json_object_get(model, "association_name"))};
	int r = ical_write(v, n, &o, out);
	free(v);
	return r;
}
