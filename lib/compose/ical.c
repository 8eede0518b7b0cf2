#include "compose/ical.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/text.h"
#include "core/timefmt.h"

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

/* "2025-09-04T11:00:00Z" to "20250904T110000Z"; 0 when not a time. */
static int ical_time(const char *rfc3339, char out[20])
{
	time_t t = rfc3339 ? time_parse_rfc3339(rfc3339) : 0;
	struct tm tm;
	if (!t || !gmtime_r(&t, &tm))
		return 0;
	return strftime(out, 20, "%Y%m%dT%H%M%SZ", &tm) > 0;
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

static int vevent(struct buf *b, const json_t *e, const char *dtstamp, const char *domain)
{
	const char *uid = json_string_value(json_object_get(e, "uid"));
	const char *title = json_string_value(json_object_get(e, "title"));
	const char *url = json_string_value(json_object_get(e, "url"));
	const char *sources = json_string_value(json_object_get(e, "sources_text"));
	char start[20], end[20];
	if (!uid || !ical_time(json_string_value(json_object_get(e, "start")), start))
		return 0; /* not an event we made: left out */
	int has_end = ical_time(json_string_value(json_object_get(e, "end")), end);
	struct buf v = BUF_INIT;
	int rc = buf_printf(&v, "%s@%s", uid, domain);
	rc = rc || ical_line(b, "BEGIN", "VEVENT") || ical_line(b, "UID", buf_str(&v)) ||
	     ical_line(b, "DTSTAMP", dtstamp) || ical_line(b, "DTSTART", start) ||
	     (has_end && ical_line(b, "DTEND", end));
	buf_reset(&v);
	rc = rc || ical_text(&v, title ? title : "") || ical_line(b, "SUMMARY", buf_str(&v));
	if (!rc && is_http(url)) {
		buf_reset(&v);
		rc = ical_url(&v, url) || ical_line(b, "URL", buf_str(&v));
	}
	buf_reset(&v);
	if (!rc && sources && *sources)
		rc = ical_text(&v, sources) || (is_http(url) && buf_puts(&v, "\\n"));
	if (!rc && is_http(url))
		rc = ical_text(&v, url);
	if (!rc && v.len)
		rc = ical_line(b, "DESCRIPTION", buf_str(&v));
	rc = rc || ical_line(b, "TRANSP", "TRANSPARENT") || ical_line(b, "END", "VEVENT");
	buf_free(&v);
	return rc ? -1 : 0;
}

int ical_from_model(const json_t *model, const char *from_address, char **out)
{
	*out = NULL;
	const json_t *events = json_object_get(model, "events");
	if (!json_array_size(events))
		return 0;
	char dtstamp[20], domain[256];
	if (!ical_time(json_string_value(json_object_get(model, "generated")), dtstamp)) {
		char ts[RFC3339_LEN];
		ical_time(time_format_rfc3339(time(NULL), ts), dtstamp);
	}
	uid_domain(from_address, domain, sizeof domain);
	struct buf b = BUF_INIT;
	int rc = ical_line(&b, "BEGIN", "VCALENDAR") || ical_line(&b, "VERSION", "2.0") ||
		 ical_line(&b, "PRODID", "-//bulletin//bulletin " BULLETIN_VERSION "//EN") ||
		 ical_line(&b, "CALSCALE", "GREGORIAN") || ical_line(&b, "METHOD", "PUBLISH");
	size_t i, n = 0;
	json_t *e;
	json_array_foreach(events, i, e) {
		if (rc || n >= ICAL_MAX_EVENTS)
			break;
		size_t before = b.len;
		rc = vevent(&b, e, dtstamp, domain);
		n += b.len > before;
	}
	rc = rc || ical_line(&b, "END", "VCALENDAR");
	if (rc || n == 0) {
		buf_free(&b);
		return rc ? -1 : 0; /* none of the events was usable */
	}
	*out = buf_steal(&b);
	return *out ? 1 : -1;
}
