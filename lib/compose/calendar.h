/* The association's year (årshjul): the calendar file the chair edits
 * (feeds/arshjul.ini, [calendar] file), one [entry NAME] section per thing
 * that happens every year in a month or on a day (month = 2, day = 15) or
 * once (date = 2027-02-15), with a title, an optional time, place, URL and
 * how long before to remind the members (remind = 3w). Times are
 * Stockholm/Oslo wall-clock time. Every problem in the file is reported
 * with file:line; an entry with one is left out, the others are kept. */
#ifndef BULLETIN_CALENDAR_H
#define BULLETIN_CALENDAR_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"

#define CALENDAR_MAX_ENTRIES 1000
#define CALENDAR_NAME_MAX 64

struct cal_entry {
	char *name;       /* the section's NAME: letters, digits, "-", "_", "." */
	char *title;
	char *place;      /* NULL when none */
	char *url;        /* http or https; NULL when none */
	int year;         /* a one-off date's year; 0: every year */
	int month;        /* 1..12 */
	int day;          /* 1..31; 0: some time in the month */
	int start_min;    /* minutes after midnight; -1: all day */
	int end_min;      /* -1: no end; not after start_min: the next day */
	long remind_days; /* 0: no reminder */
	int line;         /* of its [entry NAME] header */
};

struct calendar {
	char *path;
	struct cal_entry *v;
	size_t n;
	char **problems;  /* "file:line: message", in file order */
	size_t nproblems;
};

/* Reads the calendar file at path. Returns 0 (out->problems lists what
 * was wrong with the entries left out), or -1 with err when the file
 * cannot be read or memory runs out. calendar_free either way. */
int calendar_load(const char *path, struct calendar *out, struct err *err);
/* The same from an open stream, named name in messages. */
int calendar_read(FILE *f, const char *name, struct calendar *out, struct err *err);
void calendar_free(struct calendar *c);

enum cal_span { CAL_TIMED = 0, CAL_DAY, CAL_MONTH };

/* An entry's occurrence: UTC instants of its local start and end. An
 * all-day one ends at the next local midnight, a month's at the next
 * month's first midnight; a timed one without an end has end 0. */
struct cal_when {
	time_t start, end;
	enum cal_span span;
	int year;
};

/* When entry e happens in year: 1 and *w, or 0 when it does not (a
 * one-off of another year, 29 February of a common year). */
int calendar_when(const struct cal_entry *e, int year, struct cal_when *w);

#endif
