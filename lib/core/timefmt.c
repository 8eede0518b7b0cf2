#include "core/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

time_t time_from_utc_tm(struct tm *tm)
{
	/* Days from civil, valid for the proleptic Gregorian calendar; avoids
	 * timegm()'s dependence on _DEFAULT_SOURCE and on TZ. */
	static const int cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	long y = (long)tm->tm_year + 1900;
	int mon = tm->tm_mon;
	if (mon < 0 || mon > 11)
		return (time_t)-1;
	long days = (y - 1970) * 365L;
	for (long k = 1970; k < y; k++)
		days += is_leap(k);
	for (long k = y; k < 1970; k++)
		days -= is_leap(k);
	days += cum[mon] + (mon > 1 && is_leap(y)) + tm->tm_mday - 1;
	return (time_t)(((days * 24 + tm->tm_hour) * 60 + tm->tm_min) * 60 + tm->tm_sec);
}

char *time_format_rfc3339(time_t t, char out[RFC3339_LEN])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		strcpy(out, "1970-01-01T00:00:00Z");
		return out;
	}
	/* By hand: snprintf showed in the profile of `parse` (two per item). */
	int v[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
	char *w = out;
	for (int i = 0; i < 6; i++) {
		if (i == 0) {
			*w++ = (char)('0' + v[0] / 1000);
			*w++ = (char)('0' + v[0] / 100 % 10);
		}
		*w++ = (char)('0' + v[i] / 10 % 10);
		*w++ = (char)('0' + v[i] % 10);
		*w++ = "--T::Z"[i];
	}
	*w = '\0';
	return out;
}

/* "YYYY-MM-DDTHH:MM:SSZ" exactly, as time_format_rfc3339 writes it, into
 * v[6]: read by hand, since JSON Lines bring two per item and sscanf
 * showed in the profile of `rules test`. 0 for any other form. */
static int rfc3339_plain(const char *s, int v[6])
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	for (size_t i = 0; i < sizeof form; i++) {
		if (form[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return 0; /* the NUL ends s and form alike */
	}
	static const unsigned char at[6] = {0, 5, 8, 11, 14, 17};
	for (int k = 0; k < 6; k++)
		v[k] = (s[at[k]] - '0') * 10 + s[at[k] + 1] - '0';
	v[0] = v[0] * 100 + (s[2] - '0') * 10 + s[3] - '0';
	return 1;
}

time_t time_parse_rfc3339(const char *s)
{
	int Y, M, D, h = 0, m = 0, sec = 0, n = 0, v[6];
	long off = 0;
	if (s && rfc3339_plain(s, v)) {
		Y = v[0], M = v[1], D = v[2], h = v[3], m = v[4], sec = v[5];
	} else {
		if (!s || sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3)
			return 0;
		const char *p = s + n;
		if (*p == 'T' || *p == 't' || *p == ' ') {
			int k = 0;
			if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &m, &sec, &k) != 3)
				return 0;
			p += 1 + k;
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
		if (*p == '+' || *p == '-') {
			int oh, om;
			if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
				return 0;
			off = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
		} else if (*p && *p != 'Z' && *p != 'z') {
			return 0;
		}
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return 0;
	struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			.tm_hour = h, .tm_min = m, .tm_sec = sec};
	return time_from_utc_tm(&tm) - off;
}

int time_weekly_parse(const char *v, int *wday, int *minute)
{
	static const char *const days[][4] = {
		{"sun", "sön", "søn", NULL}, {"mon", "mån", "man", NULL}, {"tue", "tis", "tir", NULL},
		{"wed", "ons", NULL, NULL},  {"thu", "tor", "tors", NULL}, {"fri", "fre", NULL, NULL},
		{"sat", "lör", "lør", NULL}};
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, " \t");
	int d = -1;
	for (int i = 0; i < 7 && d < 0; i++)
		for (int k = 0; k < 4 && days[i][k] && d < 0; k++)
			if (strlen(days[i][k]) == n && !strncasecmp(v, days[i][k], n))
				d = i;
	if (d < 0)
		return -1;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	int h = 0, m = 0, used = 0;
	if (sscanf(v, "%2d:%2d%n", &h, &m, &used) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	for (v += used; *v == ' ' || *v == '\t'; v++)
		;
	if (*v)
		return -1;
	*wday = d;
	*minute = h * 60 + m;
	return 0;
}
