/* libFuzzer target: the association's calendar file (compose/calendar.h)
 * on hostile bytes, then every entry's occurrence in a few years. `make
 * fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compose/calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	FILE *f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	struct calendar c;
	struct err err;
	calendar_read(f, "fuzz.ini", &c, &err);
	fclose(f);
	for (size_t i = 0; i < c.n; i++) {
		for (int y = 2026; y <= 2029; y++) {
			struct cal_when w;
			if (calendar_when(&c.v[i], y, &w) && w.end && w.end <= w.start)
				abort(); /* an occurrence ends after it starts */
		}
	}
	calendar_free(&c);
	return 0;
}
