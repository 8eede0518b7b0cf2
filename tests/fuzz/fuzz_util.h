/* Shared by the fuzz targets that need files: one scratch folder per
 * process (in /dev/shm when there is one, so writes cost no disk), removed
 * at exit, and a quiet log (libFuzzer runs millions of inputs). */
#ifndef BULLETIN_FUZZ_UTIL_H
#define BULLETIN_FUZZ_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static char fuzz_dir_path[64];

/* Empties the folder (flat: the targets make no subfolders). */
static inline void fuzz_dir_clear(void)
{
	DIR *d = opendir(fuzz_dir_path);
	if (!d)
		return;
	struct dirent *e;
	char p[4200];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof p, "%s/%s", fuzz_dir_path, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static inline void fuzz_dir_remove(void)
{
	fuzz_dir_clear();
	rmdir(fuzz_dir_path);
}

/* The scratch folder, made on first use; aborts when it cannot be. */
static inline const char *fuzz_dir(void)
{
	if (fuzz_dir_path[0])
		return fuzz_dir_path;
	snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/bulletin-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(fuzz_dir_path))
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir_path;
}

/* Writes data[0..n) to the folder's file name; aborts on failure (a full
 * /dev/shm is not a finding). */
static inline void fuzz_write(const char *name, const void *data, size_t n)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", fuzz_dir(), name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	const char *c = data;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			abort();
		c += w;
		n -= (size_t)w;
	}
	close(fd);
}

/* No warning the targets log is a finding; millions of lines would only
 * slow the run. */
static inline void fuzz_quiet(void)
{
	log_set_level(LOG_LVL_ERROR);
}

#endif
