/* libFuzzer target: the INI main file and a sources file through
 * config_load, as files in a scratch folder (config_load reads paths).
 * The input is the main file, a line "%%", then the sources file, which
 * the main file reaches as s.ini ("[sources] files = s.ini"). A loaded
 * config must hold what config.h promises. `make fuzz`. */
/* fuzz-options: -max_len=65536 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_dir();
	return 0;
}

/* "files = /..." or "~/..." would glob the whole machine: not a finding,
 * only slow. A line naming files stays inside the scratch folder. */
static int escapes(const char *d, size_t n)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(d + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - d) : n;
		if (memmem(d + i, end - i, "files", 5) &&
		    (memchr(d + i, '/', end - i) || memchr(d + i, '~', end - i) ||
		     memchr(d + i, '\\', end - i)))
			return 1;
		i = end + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	if (escapes(d, size))
		return 0;
	const char *sep = memmem(d, size, "\n%%\n", 4);
	size_t main_len = sep ? (size_t)(sep - d) : size;
	fuzz_dir_clear();
	fuzz_write("bulletin.ini", d, main_len);
	if (sep)
		fuzz_write("s.ini", sep + 4, size - main_len - 4);
	char path[4200];
	snprintf(path, sizeof path, "%s/bulletin.ini", fuzz_dir());
	struct config c;
	struct err err;
	memset(&c, 0, sizeof c);
	if (config_load(&c, path, &err) == 0) {
		for (size_t i = 0; i < c.nsources; i++) {
			const struct source *s = &c.sources[i];
			if (!s->name || !s->where || !s->title || !s->url)
				abort();
			if (s->url && strncmp(s->url, "http://", 7) && strncmp(s->url, "https://", 8))
				abort();
			if (s->enabled && s->type == SOURCE_HTML && !s->sel_item)
				abort();
		}
		if (!c.store_path || !c.lock_path)
			abort();
	} else if (!err.msg[0]) {
		abort(); /* every failure says why */
	}
	config_free(&c);
	return 0;
}
