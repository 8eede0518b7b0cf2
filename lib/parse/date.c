#include "parse/date.h"

#include <string.h>
#include <strings.h>

#include "core/timefmt.h"
#include "core/text.h"

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

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
	while (text_is_ws(*p))
		p++;
	if (*p)
		return 0;
	return build(y, mo, d, h, mi, sec, off);
}

/* ---- RFC 822 / 1123 / 2822 ------------------------------------------------ */

/* The first three bytes of w, ASCII letters lowercased, as one number:
 * one compare per name instead of a strncasecmp (every item has a date).
 * Only letters can fold onto the letters of the names compared against. */
#define KEY3(a, b, c) (((unsigned)(a) << 16) | ((unsigned)(b) << 8) | (unsigned)(c))
static unsigned key3(const char *w)
{
	const unsigned char *u = (const unsigned char *)w;
	return KEY3(u[0] | 0x20, u[1] | 0x20, u[2] | 0x20);
}

static int month_of(const char *w, size_t n)
{
	/* Matched on three letters so full names work too, including the
	 * Swedish/Norwegian/Danish spellings (maj/mai, okt, des). */
	static const unsigned m[] = {
		KEY3('j', 'a', 'n'), KEY3('f', 'e', 'b'), KEY3('m', 'a', 'r'), KEY3('a', 'p', 'r'),
		KEY3('m', 'a', 'y'), KEY3('j', 'u', 'n'), KEY3('j', 'u', 'l'), KEY3('a', 'u', 'g'),
		KEY3('s', 'e', 'p'), KEY3('o', 'c', 't'), KEY3('n', 'o', 'v'), KEY3('d', 'e', 'c')};
	if (n < 3)
		return 0;
	unsigned k = key3(w);
	for (int i = 0; i < 12; i++)
		if (k == m[i])
			return i + 1;
	if (k == KEY3('m', 'a', 'j') || k == KEY3('m', 'a', 'i'))
		return 5;
	if (k == KEY3('o', 'k', 't'))
		return 10;
	if (k == KEY3('d', 'e', 's'))
		return 12;
	return 0;
}

static int weekday_word(const char *w, size_t n)
{
	static const unsigned d[] = {KEY3('m', 'o', 'n'), KEY3('t', 'u', 'e'), KEY3('w', 'e', 'd'),
				     KEY3('t', 'h', 'u'), KEY3('f', 'r', 'i'), KEY3('s', 'a', 't'),
				     KEY3('s', 'u', 'n')};
	if (n < 3)
		return 0;
	unsigned k = key3(w);
	for (int i = 0; i < 7; i++)
		if (k == d[i])
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
		/* a match means the name is at least n long: name[n] is safe */
		if ((zones[i].name[0] | 0x20) == (w[0] | 0x20) &&
		    strncasecmp(zones[i].name, w, n) == 0 && zones[i].name[n] == '\0') {
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
	while (text_is_ws(*p) || *p == ',')
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
		while (text_is_ws(*p) || *p == '-' || *p == ',')
			p++;
		if (!(n = word(&p)) || !(mo = month_of(p, n)))
			return 0;
		p += n;
		while (text_is_ws(*p) || *p == '-' || *p == ',' || *p == '.')
			p++;
	}
	const char *q = p;
	nd = num(&q, 4, &y);
	int have_clock = 0;
	int zone_seen = 0;
	if (nd && *q == ':') { /* asctime: the clock comes before the year */
		if (hms(&p, &h, &mi, &sec) < 0)
			return 0;
		have_clock = 1;
		p = skip_sep(p);
		/* "Sun Jul 15 01:16:00 +0000 2012": a zone before the year */
		if (*p == '+' || *p == '-') {
			if (numeric_zone(&p, &off) < 0)
				return 0;
			zone_seen = 1;
			p = skip_sep(p);
		}
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
	if (zone_seen) {
		/* the zone came before the year */
	} else if (*p == '+' || *p == '-') {
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
	while (text_is_ws(*s))
		s++;
	if (!*s || strlen(s) > 128)
		return 0;
	if (is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]))
		return parse_iso(s);
	return parse_rfc822(s);
}

/* ---- Nordic dates in free text ------------------------------------------- */

/* 0 = Sunday (Sakamoto's method). */
static int weekday(int y, int m, int d)
{
	static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
	if (m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static time_t utc_of(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi};
	return time_from_utc_tm(&tm);
}

/* EU summer time: last Sunday of March 01:00 UTC to last Sunday of
 * October 01:00 UTC. */
static int eu_summer(time_t t)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return 0;
	int y = tm.tm_year + 1900;
	int mar = 31 - weekday(y, 3, 31), oct = 31 - weekday(y, 10, 31);
	return t >= utc_of(y, 3, mar, 1, 0) && t < utc_of(y, 10, oct, 1, 0);
}

/* Stockholm/Oslo wall time to UTC; 0 when the fields are no date. In the
 * autumn hour that occurs twice the summer reading wins; a time in the
 * spring gap is read as winter time. */
static time_t local_to_utc(int y, int mo, int d, int h, int mi)
{
	if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59)
		return 0;
	time_t wall = utc_of(y, mo, d, h, mi);
	if (eu_summer(wall - 7200))
		return wall - 7200;
	return wall - 3600;
}

/* now's calendar day in Stockholm/Oslo, shifted by delta days. */
static void local_day(time_t now, int delta, int *y, int *mo, int *d)
{
	time_t wall = now + (eu_summer(now) ? 7200 : 3600) + (time_t)delta * 86400;
	struct tm tm = {0};
	gmtime_r(&wall, &tm);
	*y = tm.tm_year + 1900;
	*mo = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

/* Letters of a word, counting UTF-8 bytes so "maj" in "majs" or "måj" is no
 * month. */
static int is_wordc(int c) { return is_alpha(c) || (unsigned char)c >= 0x80; }

/* A space, NBSP, narrow NBSP or thin space at p: its length, else 0. */
static int space_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	if (text_is_ws(*p))
		return 1;
	if (u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0xAF || u[2] == 0x89))
		return 3;
	return 0;
}

static const char *spaces(const char *p, int *n)
{
	int k, c = 0;
	while ((k = space_len(p)) > 0) {
		p += k;
		c++;
	}
	if (n)
		*n = c;
	return p;
}

/* A month name or abbreviation at p (any case, an abbreviation of at least
 * three letters, an optional dot): 1..12 with *end after it, else 0. */
static int nordic_month(const char *p, const char **end)
{
	static const struct {
		const char *name;
		int m;
	} names[] = {
		{"januari", 1},  {"januar", 1},   {"january", 1}, {"februari", 2}, {"februar", 2},
		{"february", 2}, {"mars", 3},     {"marts", 3},   {"march", 3},    {"april", 4},
		{"maj", 5},      {"mai", 5},      {"may", 5},     {"juni", 6},     {"june", 6},
		{"juli", 7},     {"july", 7},     {"augusti", 8}, {"august", 8},   {"september", 9},
		{"oktober", 10}, {"october", 10}, {"november", 11}, {"december", 12},
		{"desember", 12},
	};
	size_t n = 0;
	while (is_alpha(p[n]))
		n++;
	if (n < 3 || ((unsigned char)p[n] >= 0x80 && !space_len(p + n)))
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (n <= strlen(names[i].name) && strncasecmp(p, names[i].name, n) == 0) {
			*end = p + n + (p[n] == '.');
			return names[i].m;
		}
	return 0;
}

/* Clock digits at p: "9", "1300" (only after "kl"), "09:00", "9.00".
 * Returns 1 with the time and *end after it, else 0. */
static int clock_digits(const char *p, int kl, int *h, int *mi, const char **end)
{
	const char *q = p;
	int m = 0, nd = num(&q, 4, h);
	if (nd == 0 || is_digit(*q))
		return 0;
	if ((*q == ':' || *q == '.') && is_digit(q[1]) && is_digit(q[2]) && !is_digit(q[3]) &&
	    nd <= 2) {
		m = (q[1] - '0') * 10 + (q[2] - '0');
		q += 3;
	} else if (!kl || nd == 3) {
		return 0;
	} else if (nd == 4) { /* "kl. 1300" */
		m = *h % 100;
		*h /= 100;
	}
	if (*h > 23 || m > 59)
		return 0;
	if (*q == '.' && is_digit(q[1]))
		return 0; /* "1.20.3" is a version, not a clock */
	*mi = m;
	*end = q;
	return 1;
}

/* "kl", "kl.", "klockan", "klokken" at p: where the digits may start
 * (spaces skipped), else NULL. */
static const char *kl_word(const char *p)
{
	if (strncasecmp(p, "klokken", 7) == 0 || strncasecmp(p, "klockan", 7) == 0)
		p += 7;
	else if (strncasecmp(p, "kl", 2) == 0 && !is_wordc(p[2]))
		p += 2;
	else
		return NULL;
	if (*p == '.' || *p == ':')
		p++;
	return spaces(p, NULL);
}

/* How a clock was written: the event finder trusts all but a bare
 * "09.00", which may as well be a number. */
enum clock_kind { CLOCK_KL = 1, CLOCK_T, CLOCK_COLON, CLOCK_DOT };

/* A clock after a date: "kl 09:00", "kl. 9", "kl. 1300", "klokken 18.50",
 * "klockan 9", or without "kl" "09:00" / "09.00" / "T09:00[:ss]". Ranges
 * ("09.00–15.30") keep their start. Returns the kind (with the time and
 * *end after the digits), else 0. */
static int nordic_clock_at(const char *p, int *h, int *mi, const char **end)
{
	int kind;
	const char *k;
	if (*p == 'T' && is_digit(p[1])) {
		p++;
		kind = CLOCK_T;
	} else {
		p = spaces(p, NULL);
		if (*p == ',' || *p == '|')
			p = spaces(p + 1, NULL);
		if ((k = kl_word(p)) != NULL) {
			p = k;
			kind = CLOCK_KL;
		} else {
			kind = 0;
		}
	}
	if (!clock_digits(p, kind == CLOCK_KL, h, mi, end))
		return 0;
	if (!kind)
		kind = p[strspn(p, "0123456789")] == ':' ? CLOCK_COLON : CLOCK_DOT;
	return kind;
}

static int nordic_clock(const char *p, int *h, int *mi)
{
	const char *end;
	return nordic_clock_at(p, h, mi, &end) != 0;
}

static int year_ok(int y) { return y >= 1900 && y <= 2200; }

/* Tries an absolute date starting at p. Fills y (0 when not printed), mo, d
 * and *after (where a clock may follow); returns 1 on a match. */
static int nordic_at(const char *p, int *y, int *mo, int *d, const char **after)
{
	const char *q = p, *e;
	int a, b, c, na, nb, ns;
	na = num(&q, 4, &a);
	if (!na || is_digit(*q))
		return 0;
	if (na == 4 && *q == '-') { /* 2024-04-17 */
		q++;
		if (num(&q, 2, &b) != 2 || *q != '-')
			return 0;
		q++;
		if (num(&q, 2, &c) != 2 || is_digit(*q))
			return 0;
		*y = a, *mo = b, *d = c, *after = q;
		return year_ok(a);
	}
	if (na == 4) { /* 2021 jun 16 */
		q = spaces(q, &ns);
		if (!ns || !(b = nordic_month(q, &e)))
			return 0;
		q = spaces(e, &ns);
		if (!ns || !num(&q, 2, &c) || is_digit(*q) || is_wordc(*q))
			return 0;
		*y = a, *mo = b, *d = c, *after = q;
		return year_ok(a);
	}
	if (na > 2)
		return 0;
	if ((*q == '.' || *q == '/' || *q == '-') && is_digit(q[1])) { /* 17.4.2024 */
		char sep = *q++;
		nb = num(&q, 2, &b);
		if (!nb || *q != sep)
			return 0;
		q++;
		if (num(&q, 4, &c) != 4 || is_digit(*q))
			return 0;
		*y = c, *mo = b, *d = a, *after = q;
		return year_ok(c);
	}
	/* 17 april [2024], 7. des. 2021, 7.desember 2021 */
	int dot = *q == '.';
	q = spaces(q + dot, &ns);
	if (!dot && !ns)
		return 0;
	if (!(b = nordic_month(q, &e)))
		return 0;
	*d = a, *mo = b, *y = 0, *after = e;
	q = spaces(e, &ns);
	if (*q == ',')
		q = spaces(q + 1, &ns);
	const char *r = q;
	if (ns && num(&r, 4, &c) == 4 && !is_digit(*r) && !(*r == ':' || (*r == '.' && is_digit(r[1]))) &&
	    year_ok(c)) {
		*y = c;
		*after = r;
	}
	return 1;
}

/* "idag", "i dag", "igår", "i går" at p (p starts a word): days back, with
 * *after set; -1 when there is none. */
static int nordic_relative(const char *p, const char **after)
{
	const char *q = p;
	if ((*q | 0x20) != 'i')
		return -1;
	q++;
	int ns;
	q = spaces(q, &ns);
	if (ns > 1)
		return -1;
	int back;
	if (strncasecmp(q, "dag", 3) == 0) {
		q += 3, back = 0;
	} else if ((q[0] | 0x20) == 'g' && (unsigned char)q[1] == 0xC3 &&
		   ((unsigned char)q[2] == 0xA5 || (unsigned char)q[2] == 0x85) && (q[3] | 0x20) == 'r') {
		q += 4, back = 1;
	} else {
		return -1;
	}
	if (is_wordc(*q))
		return -1;
	*after = q;
	return back;
}

static int word_start(const char *text, const char *p)
{
	return p == text || !(is_wordc(p[-1]) || is_digit(p[-1]));
}

time_t date_parse_nordic(const char *text, time_t now)
{
	if (!text)
		return 0;
	if (!now)
		now = time(NULL);
	int y, mo, d, h, mi;
	const char *after;
	for (const char *p = text; *p; p++) {
		if (!is_digit(*p) || !word_start(text, p))
			continue;
		if (!nordic_at(p, &y, &mo, &d, &after))
			continue;
		if (!nordic_clock(after, &h, &mi))
			h = mi = 0;
		if (y) {
			time_t t = local_to_utc(y, mo, d, h, mi);
			if (t)
				return t;
			continue;
		}
		/* No year: the latest such day not after tomorrow (29 February
		 * looks back to a leap year). */
		int ly, lm, ld;
		local_day(now, 0, &ly, &lm, &ld);
		for (int yy = ly; yy > ly - 8; yy--) {
			time_t t = local_to_utc(yy, mo, d, h, mi);
			if (t && t <= now + 86400)
				return t;
		}
	}
	for (const char *p = text; *p; p++) {
		if (!word_start(text, p))
			continue;
		int back = nordic_relative(p, &after);
		if (back < 0)
			continue;
		if (!nordic_clock(after, &h, &mi))
			h = mi = 0;
		local_day(now, -back, &y, &mo, &d);
		return local_to_utc(y, mo, d, h, mi);
	}
	return 0;
}

/* ---- events: a day and a clock in free text ------------------------------ */

long date_nordic_offset(time_t t) { return eu_summer(t) ? 7200 : 3600; }

long date_zone_offset(const char *zone, time_t t)
{
	if (!zone || !strcmp(zone, "Europe/Stockholm") || !strcmp(zone, "Europe/Oslo") ||
	    !strcmp(zone, "Europe/Copenhagen"))
		return date_nordic_offset(t);
	if (!strcmp(zone, "Europe/Helsinki"))
		return date_nordic_offset(t) + 3600;
	return 0; /* Atlantic/Reykjavik and UTC: no offset, no summer time */
}
time_t date_nordic_local(int y, int mo, int d, int h, int mi) { return local_to_utc(y, mo, d, h, mi); }

/* A dash or "till"/"til" between two clocks at p (spaces around it
 * skipped): where the end clock may start, else NULL. */
static const char *range_sep(const char *p)
{
	const unsigned char *u;
	p = spaces(p, NULL);
	u = (const unsigned char *)p;
	if (*p == '-')
		p++;
	else if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x93 || u[2] == 0x94))
		p += 3; /* en dash, em dash */
	else if (strncasecmp(p, "till", 4) == 0 && space_len(p + 4))
		p += 4;
	else if (strncasecmp(p, "til", 3) == 0 && space_len(p + 3))
		p += 3;
	else
		return NULL;
	return spaces(p, NULL);
}

/* The end of a range after a clock that ended at p: 1 with the time,
 * else 0. "13–14 mars" is a range of days, not of hours. */
static int clock_end(const char *p, int kl, int *h, int *mi)
{
	const char *q = range_sep(p), *k, *end, *e;
	if (!q)
		return 0;
	if ((k = kl_word(q)) != NULL) {
		q = k;
		kl = 1;
	}
	if (!clock_digits(q, kl, h, mi, &end))
		return 0;
	if (*end == '.')
		end++;
	end = spaces(end, NULL);
	return !nordic_month(end, &e);
}

/* The first day on or after (py, pm, pd) that is month mo, day d: its
 * year, or 0 (29 February looks up to eight years ahead). */
static int next_year_for(int py, int pm, int pd, int mo, int d)
{
	int y = py + (mo < pm || (mo == pm && d < pd));
	for (int k = 0; k < 8; k++, y++)
		if (d <= days_in(y, mo))
			return y;
	return 0;
}

int date_event_nordic(const char *text, time_t published, time_t after, time_t *start,
		      time_t *end)
{
	if (!text)
		return 0;
	int y, mo, d, h, mi, eh, emi;
	const char *p, *q, *cend;
	for (p = text; *p; p++) {
		if (!is_digit(*p) || !word_start(text, p))
			continue;
		if (!nordic_at(p, &y, &mo, &d, &q))
			continue;
		int kind = nordic_clock_at(q, &h, &mi, &cend);
		if (!kind || kind == CLOCK_DOT)
			continue;
		if (!y) {
			int py, pm, pd;
			local_day(published ? published : after, 0, &py, &pm, &pd);
			if (!(y = next_year_for(py, pm, pd, mo, d)))
				continue;
		}
		time_t t = local_to_utc(y, mo, d, h, mi);
		if (!t || t <= after)
			continue;
		time_t e = 0;
		if (clock_end(cend, kind == CLOCK_KL, &eh, &emi)) {
			e = local_to_utc(y, mo, d, eh, emi);
			if (e && e <= t) /* "kl. 22–02": past midnight */
				e += 86400;
		}
		*start = t;
		if (end)
			*end = e;
		return 1;
	}
	return 0;
}
