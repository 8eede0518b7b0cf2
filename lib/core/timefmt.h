/* UTC time helpers shared by every stage. */
#ifndef BULLETIN_TIMEFMT_H
#define BULLETIN_TIMEFMT_H

#include <stddef.h>
#include <time.h>

#define RFC3339_LEN 21 /* "2024-04-17T09:00:00Z" + NUL */

/* Writes "YYYY-MM-DDTHH:MM:SSZ"; returns out. */
char *time_format_rfc3339(time_t t, char out[RFC3339_LEN]);
/* Parses the strict form written above (and offsets "+hh:mm"); 0 on failure. */
time_t time_parse_rfc3339(const char *s);
/* A weekly time as the config writes it: "thu 08:00" (mon..sun, also
 * the Swedish, Norwegian and Danish day names' first three letters:
 * mån, tis, ons, tor, fre, lör/lør, sön/søn). Sets *wday (0 = Sunday, as
 * struct tm) and *minute (of the day). Returns 0, or -1 when v is not
 * such a time. */
int time_weekly_parse(const char *v, int *wday, int *minute);
/* Portable timegm(). */
time_t time_from_utc_tm(struct tm *tm);

#endif
