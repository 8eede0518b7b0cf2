/* libFuzzer target: any bytes through the streaming feed parser, pushed
 * in two chunks split where the first byte says, so chunk boundaries land
 * everywhere (inside references, CDATA markers, UTF-8 sequences).
 * Every item handed out must be valid UTF-8 with a key. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/feed.h"
#include "core/text.h"

static int check(void *ctx, struct item *it)
{
	(void)ctx;
	const char *f[] = {it->key, it->url, it->title, it->summary, it->content, it->author};
	if (!it->key)
		abort();
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		if (f[i] && !utf8_valid(f[i], strlen(f[i])))
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t split = size > 1 ? (size_t)data[0] * (size - 1) / 255 : 0;
	const char *d = (const char *)data + 1;
	size_t n = size - 1;
	struct feed_opts o = {"https://example.se/flode/", 80};
	struct feed_parser *p = feed_parser_new(&o, check, NULL);
	if (!p)
		return 0;
	struct err err;
	if (feed_parser_push(p, d, split, &err) == 0 &&
	    feed_parser_push(p, d + split, n - split, &err) == 0)
		feed_parser_finish(p, &err);
	feed_parser_free(p);
	return 0;
}
