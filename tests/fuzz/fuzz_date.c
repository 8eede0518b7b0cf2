/* libFuzzer target: any text through the date parsers (feed dates,
 * Nordic dates in page text, events announced in text). They must not
 * crash, read past the string, or give an event that ends before it
 * starts. `make fuzz`. */
/* fuzz-options: -max_len=4096 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0; /* dates and titles are short; longer adds nothing */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* an embedded NUL just ends the text early */
	const time_t now = 1719786600; /* 2024-06-30T22:30:00Z */
	(void)date_parse(s);
	(void)date_parse_nordic(s, now);
	time_t st = 0, en = 0;
	if (date_event_nordic(s, now, now - 86400, &st, &en) > 0 && (!st || (en && en < st)))
		abort();
	if (date_event_nordic(s, 0, now, &st, NULL) > 0 && !st)
		abort();
	free(s);
	return 0;
}
