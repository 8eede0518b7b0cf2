/* One run at a time: an flock(2) on a file next to the store. The kernel
 * drops the lock when the process dies, so a crashed run never leaves a
 * stale lock behind; the holder's pid in the file is only for messages. */
#ifndef BULLETIN_LOCK_H
#define BULLETIN_LOCK_H

#include <sys/types.h>

#include "core/err.h"

/* Takes an exclusive lock on path (created 0644 if missing), waiting up to
 * wait_s seconds (0: not at all). Returns 0 with *fd holding the lock (the
 * file then holds our pid), 1 when another process still holds it after the
 * wait (*holder = its pid from the file, or 0 when unknown), -1 on error. */
int lock_acquire(const char *path, long wait_s, int *fd, pid_t *holder, struct err *err);
/* Releases the lock (closing fd); fd < 0 is ignored. */
void lock_release(int fd);

#endif
