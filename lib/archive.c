#include "archive.h"

#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_atomic(const char *path, const char *data, size_t len, struct err *err)
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

int archive_write(const char *dir, const struct digest_row *d, const json_t *model,
		  char *path_out, size_t path_len, struct err *err)
{
	if (fs_mkdir_p(dir, err) < 0)
		return -1;
	struct tm tm;
	time_t t = d->created ? d->created : time(NULL);
	gmtime_r(&t, &tm);
	char base[4096], path[4200];
	snprintf(base, sizeof base, "%s/digest-%04d-%02d-%02d-%lld", dir, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, (long long)d->id);
	char *json = model ? json_dumps(model, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	const struct {
		const char *ext, *data;
	} parts[] = {{"md", d->markdown}, {"html", d->html}, {"txt", d->text}, {"json", json}};
	int r = 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts && r == 0; i++) {
		if (!parts[i].data)
			continue;
		snprintf(path, sizeof path, "%s.%s", base, parts[i].ext);
		r = write_atomic(path, parts[i].data, strlen(parts[i].data), err);
	}
	free(json);
	if (r == 0 && path_out)
		snprintf(path_out, path_len, "%s.html", base);
	return r;
}
