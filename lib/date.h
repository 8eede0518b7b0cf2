/* Dates as feeds print them. */
#ifndef BULLETIN_DATE_H
#define BULLETIN_DATE_H

#include <time.h>

/* RFC 822/1123 (named and numeric zones) and RFC 3339/ISO 8601 (with or
 * without seconds, fractions, zone). Returns UTC seconds, or 0 when the
 * string is not a date we understand. */
time_t date_parse(const char *s);

/* The first date in free text as Nordic pages print it ("17 april 2024",
 * "7. des. 2021", "Publisert 11.12.2017", "2021 jun 16", "2024-04-17 kl.
 * 09.00", "Onsdag 18. januar 2023 kl. 1915"; Swedish, Norwegian and Danish
 * month names, numeric dates day first), read as Swedish/Norwegian local
 * time (CET/CEST by the EU rule, whatever TZ says) and returned as UTC.
 * A date without a year is the latest such day not after now + 1 day.
 * Only when the text holds no such date: "idag", "i dag", "igår", "i går"
 * (local midnight of now's day, or the time given after it). now 0 means
 * time(NULL). Returns 0 when the text holds no date. */
time_t date_parse_nordic(const char *text, time_t now);

#endif
