/* Shared by the cmocka unit tests. Tests run from the repository root. */
#ifndef BULLETIN_TESTUTIL_H
#define BULLETIN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The ../shared folder (conformance suites, corpus), or NULL when absent:
 * an outside user's clone has none, and tests that need it skip. Set
 * BULLETIN_SHARED to point elsewhere. */
static inline const char *test_shared_dir(void)
{
	const char *d = getenv("BULLETIN_SHARED");
	if (!d)
		d = "../shared";
	struct stat st;
	return stat(d, &st) == 0 && S_ISDIR(st.st_mode) ? d : NULL;
}

/* Whole file as a NUL-terminated string (caller frees), or NULL. */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *p = malloc(cap);
	size_t r;
	while (p && (r = fread(p + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *q = realloc(p, cap *= 2);
			if (!q) {
				free(p);
				p = NULL;
			}
			p = q;
		}
	}
	fclose(f);
	if (p)
		p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

#endif
