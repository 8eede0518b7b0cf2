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

/* An event's start in free text: the first Nordic date (as above) that is
 * followed by a clock ("kl. 13", "klockan 18.30", "kl 1300", "13:00",
 * "T13:00"; a bare "13.00" is too easily a number) and starts after
 * `after`. A date without a year is the first such day on or after the
 * local day of `published` (of `after` when published is 0). An end on the
 * same day may follow the clock: "kl. 13–16", "13.00-16.00", "kl 13 till
 * kl 16" (an end before the start is the next day's). Returns 1 and sets
 * *start and *end (when end is non-NULL; 0 when none), UTC; 0 when the
 * text holds no such event. */
int date_event_nordic(const char *text, time_t published, time_t after, time_t *start,
		      time_t *end);

/* Seconds east of UTC in Stockholm/Oslo at t: 3600, or 7200 in summer. */
long date_nordic_offset(time_t t);
/* The time zones a digest can be shown in (Nordic ones, EU summer time
 * rules), "|"-separated as config.c's choices, and the offset from UTC in
 * seconds of zone at instant t (0 for a zone not in the list). */
#define DATE_ZONES "Europe/Stockholm|Europe/Oslo|Europe/Copenhagen|Europe/Helsinki|Atlantic/Reykjavik|UTC"
long date_zone_offset(const char *zone, time_t t);
/* Stockholm/Oslo wall-clock time y-mo-d h:mi as UTC; 0 when there is no
 * such day or time (31 February, 24:00) or the year is outside 1900-2200. */
time_t date_nordic_local(int y, int mo, int d, int h, int mi);

#endif
