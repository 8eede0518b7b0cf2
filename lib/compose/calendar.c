#include "compose/calendar.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "parse/date.h"

/* The entry being read, and where each of its settings was. */
struct pending {
	struct cal_entry e;
	int open;        /* inside an [entry NAME] section */
	int bad;         /* a problem was reported: left out */
	int date_line, month_line, day_line, time_line, title_line;
	int lines[16];   /* per key (keys[]): where it was set, to catch it twice */
};

struct reading {
	struct calendar *c;
	const char *name;
	struct pending p;
	int oom;
};

static const char *const keys[] = {"title", "month", "day", "date", "time", "place", "url",
				   "remind"};
#define NKEYS (sizeof keys / sizeof *keys)

static void problem(struct reading *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct reading *r, int line, const char *fmt, ...)
{
	struct calendar *c = r->c;
	char msg[600], *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char **v = realloc(c->problems, (c->nproblems + 1) * sizeof *v);
	if (!v || asprintf(&s, "%s:%d: %s", r->name, line, msg) < 0) {
		if (v)
			c->problems = v;
		r->oom = 1;
		return;
	}
	c->problems = v;
	c->problems[c->nproblems++] = s;
}

static void entry_clear(struct cal_entry *e)
{
	free(e->name);
	free(e->title);
	free(e->place);
	free(e->url);
	memset(e, 0, sizeof *e);
}

/* A whole number from lo to hi and nothing else; -1 when not. */
static long number(const char *v, long lo, long hi)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi || *v == '+' || *v == '-' || *v == ' ')
		return -1;
	return n;
}

/* "18:00", "18.00", "9:30": minutes after midnight; -1 when not a time. */
static int clock_minutes(const char *s, size_t n)
{
	while (n && s[n - 1] == ' ')
		n--;
	while (n && *s == ' ')
		s++, n--;
	if (n < 4 || n > 5)
		return -1;
	size_t hl = n - 3;
	if (s[hl] != ':' && s[hl] != '.')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (i != hl && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = atoi(s), m = (s[hl + 1] - '0') * 10 + (s[hl + 2] - '0');
	return h > 23 || m > 59 ? -1 : h * 60 + m;
}

/* "18:00" or "18:00-20:00" (a hyphen or an en dash; an end not after the
 * start is the next day's). Returns 0, or -1 when it is not that. */
static int parse_time(const char *v, int *start, int *end)
{
	const char *dash = strchr(v, '-');
	size_t dl = 1;
	const char *en = strstr(v, "\xE2\x80\x93");
	if (en && (!dash || en < dash)) {
		dash = en;
		dl = 3;
	}
	*start = clock_minutes(v, dash ? (size_t)(dash - v) : strlen(v));
	*end = dash ? clock_minutes(dash + dl, strlen(dash + dl)) : -1;
	return *start < 0 || (dash && *end < 0) ? -1 : 0;
}

/* "3w", "10d", "2 w": days; -1 when not that (up to a year). */
static long parse_remind(const char *v)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *v < '0' || *v > '9')
		return -1;
	while (*end == ' ')
		end++;
	long days = -1;
	if ((end[0] == 'd' || end[0] == 'w') && !end[1])
		days = end[0] == 'w' ? n * 7 : n;
	return days >= 1 && days <= 366 ? days : -1;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > CALENDAR_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static const char *const month_names[] = {"January", "February", "March", "April", "May", "June",
					  "July", "August", "September", "October", "November",
					  "December"};

/* The entry read so far goes into the calendar, or is left out when
 * something in it was wrong (each problem already said). */
static void finish(struct reading *r)
{
	struct pending *p = &r->p;
	struct cal_entry *e = &p->e;
	if (!p->open)
		return;
	if (!p->bad && !p->title_line) {
		problem(r, e->line, "entry \"%s\" has no title", e->name);
		p->bad = 1;
	}
	if (!p->bad && p->day_line && !p->month_line && !p->date_line) {
		problem(r, p->day_line, "day without a month");
		p->bad = 1;
	}
	if (!p->bad && !p->date_line && !p->month_line) {
		problem(r, e->line, "entry \"%s\" has no date: give month (and day), or date = "
			"YYYY-MM-DD", e->name);
		p->bad = 1;
	}
	if (!p->bad && p->date_line && (p->month_line || p->day_line)) {
		problem(r, p->date_line, "date and month/day both given: one or the other");
		p->bad = 1;
	}
	/* 29 February is a day only of leap years: 2024 lets it through */
	if (!p->bad && e->day && !date_nordic_local(e->year ? e->year : 2024, e->month, e->day, 0, 0)) {
		problem(r, p->day_line ? p->day_line : p->date_line, "there is no %d %s", e->day,
			month_names[e->month - 1]);
		p->bad = 1;
	}
	if (!p->bad && p->time_line && !e->day) {
		problem(r, p->time_line, "a time without a day: give day (or date) too, or leave "
			"the time out");
		p->bad = 1;
	}
	if (!p->bad && r->c->n >= CALENDAR_MAX_ENTRIES) {
		problem(r, e->line, "more than %d entries; the rest are left out", CALENDAR_MAX_ENTRIES);
		p->bad = 1;
	}
	if (!p->bad) {
		struct cal_entry *v = realloc(r->c->v, (r->c->n + 1) * sizeof *v);
		if (v) {
			r->c->v = v;
			v[r->c->n++] = *e;
			memset(e, 0, sizeof *e);
		} else {
			r->oom = 1;
		}
	}
	entry_clear(e);
	memset(p, 0, sizeof *p);
}

static void on_section(void *user, const char *name, int line)
{
	struct reading *r = user;
	finish(r);
	struct pending *p = &r->p;
	p->open = 1;
	p->e.line = line;
	p->e.start_min = p->e.end_min = -1;
	if (!name) { /* a broken header, already reported */
		p->bad = 1;
		return;
	}
	if (strncmp(name, "entry", 5) || (name[5] != ' ' && name[5] != '\t')) {
		problem(r, line, "sections here are [entry NAME], not [%.100s]", name);
		p->bad = 1;
		return;
	}
	const char *n = name + 6;
	n += strspn(n, " \t");
	if (!name_ok(n)) {
		problem(r, line, "entry name \"%.100s\": 1 to %d letters a-z, digits, \"-\", \"_\" or \".\" "
			"(it names the entry in calendars year after year)", n, CALENDAR_NAME_MAX);
		p->bad = 1;
		return;
	}
	for (size_t i = 0; i < r->c->n; i++)
		if (!strcmp(r->c->v[i].name, n)) {
			problem(r, line, "entry \"%s\" is already defined at line %d", n, r->c->v[i].line);
			p->bad = 1;
			return;
		}
	if (!(p->e.name = strdup(n)))
		r->oom = 1;
}

static int set_text(struct reading *r, char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	if (!*dst)
		r->oom = 1;
	return *dst != NULL;
}

static void on_key(void *user, const char *section, const char *name, const char *v, int line)
{
	(void)section;
	struct reading *r = user;
	struct pending *p = &r->p;
	struct cal_entry *e = &p->e;
	if (!p->open) {
		problem(r, line, "\"%s\" outside any [entry NAME] section", name);
		return;
	}
	size_t k = 0;
	while (k < NKEYS && strcmp(keys[k], name))
		k++;
	if (k == NKEYS) {
		problem(r, line, "unknown setting \"%.100s\" (title, month, day, date, time, place, "
			"url or remind)", name);
		p->bad = 1;
		return;
	}
	if (p->lines[k]) {
		problem(r, line, "%s given twice in this entry (first at line %d)", name, p->lines[k]);
		p->bad = 1;
		return;
	}
	p->lines[k] = line;
	if (!*v) {
		problem(r, line, "%s is empty", name);
		p->bad = 1;
		return;
	}
	long n;
	int y, mo, d, used = 0;
	switch (k) {
	case 0: /* title */
		p->title_line = line;
		set_text(r, &e->title, v);
		return;
	case 1: /* month */
		if ((n = number(v, 1, 12)) < 0)
			break;
		p->month_line = line;
		e->month = (int)n;
		return;
	case 2: /* day */
		if ((n = number(v, 1, 31)) < 0)
			break;
		p->day_line = line;
		e->day = (int)n;
		return;
	case 3: /* date */
		if (sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10 || v[used] ||
		    v[4] != '-' || v[7] != '-' || !date_nordic_local(y, mo, d, 0, 0)) {
			problem(r, line, "date \"%.40s\" is not a day: YYYY-MM-DD, e.g. 2027-02-15", v);
			p->bad = 1;
			return;
		}
		p->date_line = line;
		e->year = y;
		e->month = mo;
		e->day = d;
		return;
	case 4: /* time */
		if (parse_time(v, &e->start_min, &e->end_min) < 0) {
			problem(r, line, "time \"%.40s\" is not a time of day: 18:00, or 18:00-20:00", v);
			p->bad = 1;
			return;
		}
		p->time_line = line;
		return;
	case 5: /* place */
		set_text(r, &e->place, v);
		return;
	case 6: /* url */
		if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7)) {
			problem(r, line, "url must start with https:// or http://, not \"%.60s\"", v);
			p->bad = 1;
			return;
		}
		set_text(r, &e->url, v);
		return;
	case 7: /* remind */
		if ((e->remind_days = parse_remind(v)) < 0) {
			problem(r, line, "remind \"%.40s\": how long before, in days or weeks: 10d, 3w "
				"(at most 366 days)", v);
			p->bad = 1;
		}
		return;
	}
	problem(r, line, "%s must be a whole number from 1 to %d, not \"%.40s\"", name,
		k == 1 ? 12 : 31, v);
	p->bad = 1;
}

static void on_problem(void *user, int line, const char *msg)
{
	struct reading *r = user;
	problem(r, line, "%s", msg);
	/* the line belongs to the entry being read: it may have lost a setting */
	if (r->p.open && line > r->p.e.line)
		r->p.bad = 1;
}

int calendar_read(FILE *f, const char *name, struct calendar *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	struct reading r = {.c = out, .name = name};
	if (!(out->path = strdup(name)))
		return err_set(err, "out of memory");
	const struct config_ini_ops ops = {on_section, on_key, on_problem, &r};
	config_ini_read(f, &ops);
	finish(&r);
	if (r.oom)
		return err_set(err, "%s: out of memory", name);
	return 0;
}

int calendar_load(const char *path, struct calendar *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(err, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		return err_set(err, "%s: not a file", path);
	}
	int r = calendar_read(f, path, out, err);
	fclose(f);
	return r;
}

void calendar_free(struct calendar *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->v[i]);
	for (size_t i = 0; i < c->nproblems; i++)
		free(c->problems[i]);
	free(c->v);
	free(c->problems);
	free(c->path);
	memset(c, 0, sizeof *c);
}

/* The local day after y-mo-d. */
static void next_day(int *y, int *mo, int *d)
{
	struct tm tm = {.tm_year = *y - 1900, .tm_mon = *mo - 1, .tm_mday = *d + 1, .tm_hour = 12};
	time_t t = timegm(&tm);
	gmtime_r(&t, &tm);
	*y = tm.tm_year + 1900;
	*mo = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

int calendar_when(const struct cal_entry *e, int year, struct cal_when *w)
{
	memset(w, 0, sizeof *w);
	if ((e->year && e->year != year) || year < 1901 || year > 2199)
		return 0;
	w->year = year;
	if (!e->day) {
		w->span = CAL_MONTH;
		w->start = date_nordic_local(year, e->month, 1, 0, 0);
		w->end = e->month == 12 ? date_nordic_local(year + 1, 1, 1, 0, 0)
					: date_nordic_local(year, e->month + 1, 1, 0, 0);
		return w->start != 0;
	}
	int y = year, mo = e->month, d = e->day;
	if (!(w->start = date_nordic_local(y, mo, d, e->start_min < 0 ? 0 : e->start_min / 60,
					   e->start_min < 0 ? 0 : e->start_min % 60)))
		return 0; /* 29 February of a common year */
	if (e->start_min < 0) {
		w->span = CAL_DAY;
		next_day(&y, &mo, &d);
		w->end = date_nordic_local(y, mo, d, 0, 0);
		return 1;
	}
	w->span = CAL_TIMED;
	if (e->end_min >= 0) {
		if (e->end_min <= e->start_min) /* "22:00-02:00": past midnight */
			next_day(&y, &mo, &d);
		w->end = date_nordic_local(y, mo, d, e->end_min / 60, e->end_min % 60);
	}
	return 1;
}
