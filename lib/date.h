/* Dates as feeds print them. */
#ifndef BULLETIN_DATE_H
#define BULLETIN_DATE_H

#include <time.h>

/* RFC 822/1123 (named and numeric zones) and RFC 3339/ISO 8601 (with or
 * without seconds, fractions, zone). Returns UTC seconds, or 0 when the
 * string is not a date we understand. */
time_t date_parse(const char *s);

#endif
