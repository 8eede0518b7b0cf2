#include "testutil.h"

#include <unistd.h>

#include "core/fsutil.h"

static char tmpdir[] = "/tmp/test_fsutilXXXXXX";

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_read_whole_file(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/a.txt", tmpdir);
	/* A NUL inside stays, and the length tells it apart from the end. */
	write_file(path, "bl\xC3\xA5\0b\xC3\xA4r\n", 10);
	struct err e = {""};
	size_t n = 99;
	char *d = fs_read_file(path, 10, &n, &e);
	assert_non_null(d);
	assert_int_equal(n, 10);
	assert_memory_equal(d, "bl\xC3\xA5\0b\xC3\xA4r\n", 11);
	free(d);

	/* Exactly one byte over the cap fails. */
	assert_null(fs_read_file(path, 9, &n, &e));
	char want[300];
	snprintf(want, sizeof want, "%s: larger than 9 bytes", path);
	assert_string_equal(e.msg, want);

	/* An empty file is an empty string, not NULL. */
	write_file(path, "", 0);
	d = fs_read_file(path, 0, &n, &e);
	assert_non_null(d);
	assert_int_equal(n, 0);
	assert_string_equal(d, "");
	free(d);
	unlink(path);
}

static void test_read_errors(void **state)
{
	(void)state;
	struct err e = {""};
	char path[256], want[300];
	snprintf(path, sizeof path, "%s/missing", tmpdir);
	assert_null(fs_read_file(path, 100, NULL, &e));
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(e.msg, want);

	assert_null(fs_read_file(tmpdir, 100, NULL, &e));
	snprintf(want, sizeof want, "%s: is a directory", tmpdir);
	assert_string_equal(e.msg, want);
}

/* "-" reads stdin, and the cap holds on a pipe, where no size is known. */
static void test_read_stdin_pipe(void **state)
{
	(void)state;
	int saved = dup(0);
	assert_true(saved >= 0);
	for (int over = 0; over < 2; over++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], "0123456789", 10), 10);
		close(p[1]);
		assert_int_equal(dup2(p[0], 0), 0);
		close(p[0]);
		clearerr(stdin);
		struct err e = {""};
		size_t n = 0;
		char *d = fs_read_file("-", over ? 9 : 10, &n, &e);
		if (over) {
			assert_null(d);
			assert_string_equal(e.msg, "-: larger than 9 bytes");
		} else {
			assert_non_null(d);
			assert_int_equal(n, 10);
			assert_string_equal(d, "0123456789");
			free(d);
		}
	}
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
}

/* fsync as the store and fs_write_atomic call it, recorded instead: which
 * file or folder, in which order (the file before the rename, its folder
 * after). Defined here, it takes the place of libc's for the whole binary. */
static char synced[8][4096];
static int nsynced;

int fsync(int fd)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if (nsynced < 8) {
		ssize_t n = readlink(link, synced[nsynced], sizeof synced[0] - 1);
		synced[nsynced][n > 0 ? n : 0] = '\0';
		nsynced++;
	}
	return 0;
}

static void test_write_atomic_durable(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_fsutil.XXXXXX", path[128], real[4096];
	assert_non_null(mkdtemp(dir));
	assert_non_null(realpath(dir, real));
	snprintf(path, sizeof path, "%s/index.html", dir);
	struct err err;
	nsynced = 0;
	assert_int_equal(fs_write_atomic(path, "<p>Hej</p>", 10, &err), 0);
	/* The file under its temporary name, then the folder after the rename. */
	assert_int_equal(nsynced, 2);
	char want[4200];
	snprintf(want, sizeof want, "%s/index.html.tmp", real);
	assert_string_equal(synced[0], want);
	assert_string_equal(synced[1], real);
	char *got = test_read_file(path, NULL);
	assert_string_equal(got, "<p>Hej</p>");
	free(got);
	snprintf(want, sizeof want, "%s.tmp", path);
	assert_int_equal(access(want, F_OK), -1);

	/* Public files: new ones 0644 (umask 022), an existing mode is kept. */
	mode_t old = umask(022);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(fs_write_atomic(path, "x", 1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* Private files: exactly the mode asked, even over a 0644 one. */
	snprintf(path, sizeof path, "%s/unsubscribe.key", dir);
	assert_int_equal(fs_write_atomic(path, "k", 1, &err), 0);
	assert_int_equal(fs_write_atomic_mode(path, "key", 3, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	umask(old);

	/* A folder that is not there: the error names the file. */
	snprintf(path, sizeof path, "%s/no/such/file", dir);
	assert_int_equal(fs_write_atomic(path, "x", 1, &err), -1);
	assert_non_null(strstr(err.msg, "no/such/file"));

	/* fs_mkdir_p_mode: private folders 0700. */
	snprintf(path, sizeof path, "%s/state/deeper", dir);
	assert_int_equal(fs_mkdir_p_mode(path, 0700, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	rmdir(path);
	snprintf(path, sizeof path, "%s/state", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/index.html", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/unsubscribe.key", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_whole_file),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_read_stdin_pipe),
		cmocka_unit_test(test_write_atomic_durable),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
