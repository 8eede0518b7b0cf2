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
/* Portable timegm(). */
time_t time_from_utc_tm(struct tm *tm);

#endif
