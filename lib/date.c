#include "date.h"

#include <string.h>
#include <strings.h>

#include "timefmt.h"

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in(int y, int m)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Reads 1..max digits; returns how many were read (0 = none). */
static int num(const char **pp, int max, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;
	while (n < max && is_digit(*p)) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	*out = v;
	*pp = p;
	return n;
}

static time_t build(int y, int mo, int d, int h, int mi, int s, long off_sec)
{
	if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s};
	return time_from_utc_tm(&tm) - off_sec;
}

/* "+hh:mm", "+hhmm", "+hh" at *pp; seconds east of UTC, or -1 on junk.
 * *pp must point at the sign. */
static int numeric_zone(const char **pp, long *off)
{
	const char *p = *pp;
	int sign = *p == '-' ? -1 : 1;
	int h, m = 0;
	p++;
	int n = num(&p, 4, &h);
	if (n == 4) {
		m = h % 100;
		h /= 100;
	} else if (n == 2 || n == 1) {
		if (*p == ':') {
			p++;
			if (num(&p, 2, &m) != 2)
				return -1;
		}
	} else {
		return -1;
	}
	if (h > 23 || m > 59 || is_digit(*p))
		return -1;
	*off = sign * (h * 3600L + m * 60L);
	*pp = p;
	return 0;
}

/* ---- RFC 3339 / ISO 8601 / W3C-DTF --------------------------------------- */

static time_t parse_iso(const char *s)
{
	const char *p = s;
	int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
	long off = 0;
	if (num(&p, 4, &y) != 4)
		return 0;
	if (*p == '-') {
		p++;
		if (num(&p, 2, &mo) != 2)
			return 0;
		if (*p == '-') {
			p++;
			if (num(&p, 2, &d) != 2)
				return 0;
		}
	} else if (is_digit(*p)) { /* basic format YYYYMMDD */
		if (num(&p, 2, &mo) != 2 || num(&p, 2, &d) != 2)
			return 0;
	}
	if ((*p == 'T' || *p == 't' || *p == ' ') && is_digit(p[1])) {
		p++;
		if (num(&p, 2, &h) != 2)
			return 0;
		if (*p == ':')
			p++;
		if (num(&p, 2, &mi) != 2)
			return 0;
		if (*p == ':' || is_digit(*p)) {
			if (*p == ':')
				p++;
			if (num(&p, 2, &sec) != 2)
				return 0;
			if (*p == '.' || *p == ',') {
				p++;
				if (!is_digit(*p))
					return 0;
				while (is_digit(*p))
					p++;
			}
		}
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			if (numeric_zone(&p, &off) < 0)
				return 0;
		}
	}
	while (is_ws(*p))
		p++;
	if (*p)
		return 0;
	return build(y, mo, d, h, mi, sec, off);
}

/* ---- RFC 822 / 1123 / 2822 ------------------------------------------------ */

static int month_of(const char *w, size_t n)
{
	/* Matched on three letters so full names work too, including the
	 * Swedish/Norwegian/Danish spellings (maj/mai, okt, des). */
	static const char *const m[] = {"jan", "feb", "mar", "apr", "may", "jun",
					"jul", "aug", "sep", "oct", "nov", "dec"};
	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (strncasecmp(w, m[i], 3) == 0)
			return i + 1;
	if (strncasecmp(w, "maj", 3) == 0 || strncasecmp(w, "mai", 3) == 0)
		return 5;
	if (strncasecmp(w, "okt", 3) == 0)
		return 10;
	if (strncasecmp(w, "des", 3) == 0)
		return 12;
	return 0;
}

static int weekday_word(const char *w, size_t n)
{
	static const char *const d[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	if (n < 3)
		return 0;
	for (int i = 0; i < 7; i++)
		if (strncasecmp(w, d[i], 3) == 0)
			return 1;
	return 0;
}

/* Named zones: RFC 822 ones, the North American short forms, and the
 * European abbreviations a Nordic feed is likely to print. */
static const struct {
	const char *name;
	int hours;
} zones[] = {
	{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"WET", 0},  {"WEST", 1},
	{"BST", 1},  {"CET", 1},  {"MET", 1},  {"CEST", 2}, {"MEST", 2}, {"EET", 2},
	{"EEST", 3}, {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7},
	{"MDT", -6}, {"PST", -8}, {"PDT", -7}, {"AST", -4}, {"ADT", -3}, {"AT", -4},
	{"ET", -5},  {"CT", -6},  {"MT", -7},  {"PT", -8},
};

static int named_zone(const char *w, size_t n, long *off)
{
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (strlen(zones[i].name) == n && strncasecmp(zones[i].name, w, n) == 0) {
			*off = zones[i].hours * 3600L;
			return 0;
		}
	if (n == 1) {
		/* Military letters in their usual sense (A = +1 ... M = +12,
		 * N = -1 ... Y = -12); J is not a zone. RFC 822 printed the
		 * signs reversed, so these are a guess either way. */
		int c = w[0] | 0x20;
		if (c >= 'a' && c <= 'i')
			*off = (c - 'a' + 1) * 3600L;
		else if (c >= 'k' && c <= 'm')
			*off = (c - 'k' + 10) * 3600L;
		else if (c >= 'n' && c <= 'y')
			*off = -(c - 'n' + 1) * 3600L;
		else
			return -1;
		return 0;
	}
	return -1;
}

static const char *skip_sep(const char *p)
{
	while (is_ws(*p) || *p == ',')
		p++;
	return p;
}

static size_t word(const char **pp)
{
	const char *p = *pp;
	while (is_alpha(*p))
		p++;
	size_t n = (size_t)(p - *pp);
	return n;
}

/* "hh:mm[:ss]"; returns 0 or -1. */
static int hms(const char **pp, int *h, int *mi, int *sec)
{
	const char *p = *pp;
	*sec = 0;
	if (!num(&p, 2, h) || *p++ != ':' || !num(&p, 2, mi))
		return -1;
	if (*p == ':') {
		p++;
		if (!num(&p, 2, sec))
			return -1;
	}
	if (*p == ':' || is_digit(*p))
		return -1;
	*pp = p;
	return 0;
}

static int year_fix(int y, int ndigits)
{
	if (ndigits == 2 || ndigits == 1)
		return y < 50 ? 2000 + y : 1900 + y; /* RFC 2822 section 4.3 */
	return y;
}

static time_t parse_rfc822(const char *s)
{
	const char *p = skip_sep(s);
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, nd;
	long off = 0;
	size_t n = word(&p);

	if (n) {
		if ((mo = month_of(p, n)) == 0 && !weekday_word(p, n))
			return 0;
		p = skip_sep(p + n);
		if (!mo && (n = word(&p)) > 0) { /* "Thu Aug 30 2012 ..." */
			if (!(mo = month_of(p, n)))
				return 0;
			p = skip_sep(p + n);
		}
	}
	if (mo) { /* month first: "Aug 30 2012" or asctime "Aug 30 17:26:16 2012" */
		if (!num(&p, 2, &d))
			return 0;
		p = skip_sep(p);
	} else { /* "30 Aug 2012" or "30-Aug-2012" */
		if (!num(&p, 2, &d))
			return 0;
		while (is_ws(*p) || *p == '-' || *p == ',')
			p++;
		if (!(n = word(&p)) || !(mo = month_of(p, n)))
			return 0;
		p += n;
		while (is_ws(*p) || *p == '-' || *p == ',' || *p == '.')
			p++;
	}
	const char *q = p;
	nd = num(&q, 4, &y);
	int have_clock = 0;
	if (nd && *q == ':') { /* asctime: the clock comes before the year */
		if (hms(&p, &h, &mi, &sec) < 0)
			return 0;
		have_clock = 1;
		p = skip_sep(p);
		if (!(nd = num(&p, 4, &y)))
			return 0;
	} else {
		if (nd != 2 && nd != 4)
			return 0;
		p = q;
	}
	if (is_digit(*p))
		return 0;
	y = year_fix(y, nd);
	p = skip_sep(p);
	if (!have_clock && is_digit(*p)) {
		if (hms(&p, &h, &mi, &sec) < 0)
			return 0;
		have_clock = 1;
		p = skip_sep(p);
	}
	if (*p == '+' || *p == '-') {
		if (numeric_zone(&p, &off) < 0)
			return 0;
	} else if (is_alpha(*p)) {
		if (strncasecmp(p, "Etc/", 4) == 0)
			p += 4;
		n = word(&p);
		if (named_zone(p, n, &off) < 0) {
			/* RFC 1123 5.2.14: an unknown zone means local time of
			 * unknown offset; UTC is the best guess left. */
			if (n > 5)
				return 0;
			off = 0;
		}
		p += n;
		if (*p == '+' || *p == '-') { /* "GMT-01:01" */
			long extra;
			if (numeric_zone(&p, &extra) < 0)
				return 0;
			off += extra;
		}
	}
	p = skip_sep(p);
	if (*p)
		return 0;
	return build(y, mo, d, h, mi, sec, off);
}

time_t date_parse(const char *s)
{
	if (!s)
		return 0;
	while (is_ws(*s))
		s++;
	if (!*s || strlen(s) > 128)
		return 0;
	if (is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]))
		return parse_iso(s);
	return parse_rfc822(s);
}
