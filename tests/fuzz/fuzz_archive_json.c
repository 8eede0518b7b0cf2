/* libFuzzer target: what the archive reads back. archive_index reads
 * every digest-YYYY-MM-DD-ID.json of its folder (the digest models
 * archive_write left, or anyone's edits) and writes index.html and
 * feed.atom from them. The input is two such files (the first byte says
 * where the first ends; the first has its .html beside it); whatever they
 * hold, feed.atom must be well-formed XML and index.html valid UTF-8.
 * `make fuzz`. */
/* fuzz-options: -max_len=262144 */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/archive.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "fuzz_util.h"

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_dir();
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, silent);
	return 0;
}

static char *read_out(const char *name, size_t *len)
{
	char p[4200];
	struct err err;
	snprintf(p, sizeof p, "%s/%s", fuzz_dir(), name);
	return fs_read_file(p, 64u << 20, len, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	size_t split = (size_t)(data[0] >> 1) * n / 127;
	if (split > n)
		split = n;
	const char *d = (const char *)data + 1;
	fuzz_dir_clear();
	fuzz_write("digest-2024-04-17-2.json", d, split);
	fuzz_write("digest-2024-04-17-2.html", "", 0);
	if (data[0] & 1)
		fuzz_write("digest-2024-04-10-1.json", d + split, n - split);
	static const struct archive_site sites[] = {
		{"Primärvårdsnytt", "sv", "https://example.se/nyhetsbrev/", "Distriktsläkarföreningen"},
		{NULL, "en", NULL, NULL},
	};
	struct err err;
	int k = archive_index(fuzz_dir(), &sites[split & 1], &err);
	if (k < 0)
		abort(); /* a readable folder and a good base URL: it must work */
	size_t len;
	char *feed = read_out("feed.atom", &len);
	if (!feed)
		abort();
	xmlDocPtr doc = xmlReadMemory(feed, (int)len, "feed.atom", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (!doc)
		abort(); /* not well-formed: every feed reader would refuse it */
	xmlFreeDoc(doc);
	free(feed);
	char *index = read_out("index.html", &len);
	if (!index || !utf8_valid(index, len) || memchr(index, '\0', len))
		abort();
	free(index);
	return 0;
}
