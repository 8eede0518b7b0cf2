/* Small file-system helpers shared by the stages that read and write files. */
#ifndef BULLETIN_FSUTIL_H
#define BULLETIN_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

/* mkdir -p DIR (mode 0755 for each new level). */
int fs_mkdir_p(const char *dir, struct err *err);
/* The same with mode for each new level (0700 for private state). */
int fs_mkdir_p_mode(const char *dir, mode_t mode, struct err *err);
/* mkdir -p of the directory part of PATH ("a/b/c.db" makes "a/b"). */
int fs_mkdir_parent(const char *path, struct err *err);
int fs_mkdir_parent_mode(const char *path, mode_t mode, struct err *err);
/* The whole of PATH ("-" is stdin) in a malloc'd, NUL-terminated buffer the
 * caller frees; *len (when len is not NULL) gets its length, which may be
 * less than strlen() if the file holds NUL bytes. Fails with "PATH: ..." when
 * it cannot be opened, is a directory, holds more than MAX bytes (found on a
 * pipe too) or cannot be read. */
char *fs_read_file(const char *path, size_t max, size_t *len, struct err *err);
/* Writes len bytes of data to PATH through PATH.tmp and rename(), so a
 * reader never sees half a file; the file is fsync'd before the rename and
 * its directory after, so what was written stays written through a crash
 * or a power loss. A public file: a new one gets mode 0644 (less the
 * umask), one that exists keeps its mode (and its owner and group, where
 * we may give them). Fails with "PATH: ..." (a full
 * disk, a file size limit, ...), leaving no PATH.tmp behind. */
int fs_write_atomic(const char *path, const char *data, size_t len, struct err *err);
/* The same for a private file: PATH gets exactly mode (0600), new or not. */
int fs_write_atomic_mode(const char *path, const char *data, size_t len, mode_t mode,
			 struct err *err);
/* fsync of the directory holding PATH (after a file in it was created or
 * renamed). Fails with "DIR: ...". */
int fs_sync_parent(const char *path, struct err *err);

#endif
