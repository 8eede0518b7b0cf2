/* Small file-system helpers shared by the stages that read and write files. */
#ifndef BULLETIN_FSUTIL_H
#define BULLETIN_FSUTIL_H

#include <stddef.h>

#include "core/err.h"

/* mkdir -p DIR (mode 0755 for each new level). */
int fs_mkdir_p(const char *dir, struct err *err);
/* mkdir -p of the directory part of PATH ("a/b/c.db" makes "a/b"). */
int fs_mkdir_parent(const char *path, struct err *err);
/* The whole of PATH ("-" is stdin) in a malloc'd, NUL-terminated buffer the
 * caller frees; *len (when len is not NULL) gets its length, which may be
 * less than strlen() if the file holds NUL bytes. Fails with "PATH: ..." when
 * it cannot be opened, is a directory, holds more than MAX bytes (found on a
 * pipe too) or cannot be read. */
char *fs_read_file(const char *path, size_t max, size_t *len, struct err *err);
/* Writes len bytes of data to PATH through PATH.tmp and rename(), so a
 * reader never sees half a file (mode 0644). Fails with "PATH: ...". */
int fs_write_atomic(const char *path, const char *data, size_t len, struct err *err);

#endif
