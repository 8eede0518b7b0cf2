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
	char path[4096];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return err_set(err, "%s: path too long", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return err_set(err, "%s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(err, "%s: %s", path, strerror(errno));
	return 0;
}

int fs_mkdir_parent(const char *path, struct err *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	return fs_mkdir_p(dir, err);
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

int fs_write_atomic(const char *path, const char *data, size_t len, struct err *err)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(err, "%s: %s", tmp, strerror(errno));
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return err_set(err, "%s: %s", tmp, strerror(errno));
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return err_set(err, "%s: %s", path, strerror(errno));
	}
	return 0;
}
