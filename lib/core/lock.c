#include "core/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static pid_t read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int lock_acquire(const char *path, long wait_s, int *fd_out, pid_t *holder, struct err *err)
{
	*fd_out = -1;
	if (holder)
		*holder = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(err, "%s: %s", path, strerror(errno));
	/* Polling rather than a blocking flock with alarm(): no signal
	 * handlers to share with libcurl, and the wait is bounded. */
	struct timespec start, now, pause = {0, 100 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err_set(err, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= wait_s) {
			if (holder)
				*holder = read_holder(fd);
			close(fd);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* Best effort: the pid only improves the next run's message. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		(void)0;
	*fd_out = fd;
	return 0;
}

void lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Empty the file first: a pid left behind would name a process that
	 * no longer holds anything. */
	if (ftruncate(fd, 0) < 0)
		(void)0;
	close(fd);
}
