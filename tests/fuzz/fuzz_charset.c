/* libFuzzer target: any bytes with any label must come out as valid UTF-8
 * (U+0000 allowed), whatever charset_to_utf8 decides. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/charset.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks a Content-Type label, so every path is reached. */
	static const char *labels[] = {NULL, "text/xml; charset=utf-8",
				       "text/xml; charset=iso-8859-1", "text/html; charset=UTF-16LE",
				       "application/rss+xml; charset=\"windows-1252\"",
				       "text/xml; charset=x-unknown", "text/plain; charset=utf-7"};
	const char *ct = size ? labels[data[0] % (sizeof labels / sizeof *labels)] : NULL;
	struct buf out = BUF_INIT;
	struct err err;
	if (charset_to_utf8((const char *)data, size, ct, &out, NULL, 0, &err) == 0) {
		/* utf8_valid treats NUL as valid; anything else invalid is a bug. */
		if (!utf8_valid(buf_str(&out), out.len))
			abort();
	}
	buf_free(&out);
	return 0;
}
