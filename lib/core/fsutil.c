#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"

int fs_mkdir_p(const char *dir, struct err *err)
{
	return fs_mkdir_p_mode(dir, 0755, err);
}

int fs_mkdir_p_mode(const char *dir, mode_t mode, struct err *err)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return err_set(err, "%s: path too long", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return err_set(err, "%s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

int fs_mkdir_parent(const char *path, struct err *err)
{
	return fs_mkdir_parent_mode(path, 0755, err);
}

int fs_mkdir_parent_mode(const char *path, mode_t mode, struct err *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	return fs_mkdir_p_mode(dir, mode, err);
}

char *fs_read_file(const char *path, size_t max, size_t *len, struct err *err)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct buf b = BUF_INIT;
	int rc = 0;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
		rc = err_set(err, "%s: is a directory", path);
	char chunk[65536];
	while (rc == 0) {
		/* Never ask for more than one byte past the cap: that byte is
		 * enough to tell an oversized file, even on a pipe. */
		size_t want = sizeof chunk;
		if (max - b.len < want)
			want = max - b.len + 1;
		size_t n = fread(chunk, 1, want, f);
		if (n == 0)
			break;
		if (n > max - b.len)
			rc = err_set(err, "%s: larger than %zu bytes", path, max);
		else if (buf_append(&b, chunk, n) < 0)
			rc = err_set(err, "%s: out of memory", path);
	}
	if (rc == 0 && ferror(f))
		rc = err_set(err, "%s: read error", path);
	if (!is_stdin)
		fclose(f);
	if (rc < 0) {
		buf_free(&b);
		return NULL;
	}
	size_t n = b.len;
	char *data = buf_steal(&b);
	if (!data)
		err_set(err, "%s: out of memory", path);
	else if (len)
		*len = n;
	return data;
}

int fs_sync_parent(const char *path, struct err *err)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "%s: %s", dir, strerror(errno));
	int r = fsync(fd);
	int e = errno;
	close(fd);
	/* Some file systems cannot sync a directory; nothing is lost there. */
	if (r < 0 && e != EINVAL && e != EROFS)
		return err_set(err, "%s: %s", dir, strerror(e));
	return 0;
}

/* mode < 0: public (0644 when new, else the file's own mode). */
static int write_atomic(const char *path, const char *data, size_t len, long mode,
			struct err *err)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return err_set(err, "%s: path too long", path);
	mode_t m = mode < 0 ? 0644 : (mode_t)mode;
	struct stat st;
	int keep = mode < 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, m);
	if (fd < 0)
		return err_set(err, "%s: %s", tmp, strerror(errno));
	int e = 0;
	/* A file root rewrites for another user (a sources file under
	 * /etc/bulletin) stays theirs; without the right to, it is ours. */
	if (keep && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
		e = errno;
	if (!e && (keep || mode >= 0))
		e = fchmod(fd, keep ? st.st_mode & 07777 : m) < 0 ? errno : 0;
	size_t off = 0;
	while (!e && off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = w < 0 ? errno : EIO;
		else
			off += (size_t)w;
	}
	/* The data must be on the disk before the name points at it. */
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return err_set(err, "%s: %s", path, strerror(e));
	}
	return fs_sync_parent(path, err);
}

int fs_write_atomic(const char *path, const char *data, size_t len, struct err *err)
{
	return write_atomic(path, data, len, -1, err);
}

int fs_write_atomic_mode(const char *path, const char *data, size_t len, mode_t mode,
			 struct err *err)
{
	return write_atomic(path, data, len, (long)mode, err);
}
