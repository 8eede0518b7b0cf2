/* fetch_all against tests/servers/httpd.py on 127.0.0.1 (started here,
 * killed at the end). Needs python3; never asserts durations. */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetch.h"

#define FIXTURES "tests/fixtures/http"

static pid_t server_pid = -1;
static int server_port;
static char *feed1, *feed2;
static size_t feed1_len, feed2_len;

/* Reads the server's "port N" line, waiting at most 30 s for it. */
static int read_port(int fd)
{
	char line[64];
	size_t n = 0;
	while (n < sizeof line - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, 30000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, line + n, 1);
		if (r <= 0)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	int port = 0;
	return sscanf(line, "port %d", &port) == 1 && port > 0 ? port : -1;
}

static int start_server(void **state)
{
	(void)state;
	if (!(feed1 = test_read_file(FIXTURES "/feed1.xml", &feed1_len)) ||
	    !(feed2 = test_read_file(FIXTURES "/feed2.xml", &feed2_len))) {
		fprintf(stderr, "# fixtures missing (run from the repository root)\n");
		return -1;
	}
	if (fetch_global_init())
		return -1;
	int fds[2];
	if (pipe(fds))
		return -1;
	char *const argv[] = {"python3",  "tests/servers/httpd.py", "--port", "0",
			      "--root",   FIXTURES, "--lifetime", "300", NULL};
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv("/usr/bin/python3", argv);
		execvp("python3", argv);
		_exit(127);
	}
	close(fds[1]);
	server_port = read_port(fds[0]);
	close(fds[0]);
	if (server_port < 0) {
		fprintf(stderr, "# tests/servers/httpd.py did not start\n");
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
		return -1;
	}
	return 0;
}

static int stop_server(void **state)
{
	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	fetch_global_cleanup();
	free(feed1);
	free(feed2);
	return 0;
}

/* A port on 127.0.0.1 that nothing listens on (bound, then released). */
static int closed_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static char *url(const char *path)
{
	char *u = malloc(256);
	assert_non_null(u);
	snprintf(u, 256, "http://127.0.0.1:%d%s", server_port, path);
	return u;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void assert_body(const struct fetch_result *r, const char *want, size_t len)
{
	assert_int_equal(r->status, FETCH_OK);
	assert_string_equal(r->error, "");
	assert_int_equal(r->body.len, len);
	assert_memory_equal(r->body.data, want, len);
}

enum {
	GOOD1, GOOD2, NOT_FOUND, SERVER_ERROR, REFUSED, REDIRECTS, LOOP, FILE_REDIR, FTP_REDIR,
	BIG, GZIP, ETAG, HANG, NREQ
};

static void test_mixed_batch(void **state)
{
	(void)state;
	char refused[64];
	snprintf(refused, sizeof refused, "http://127.0.0.1:%d/feed.xml", closed_port());
	char *u[NREQ] = {
		[GOOD1] = url("/feed1.xml"),
		[GOOD2] = url("/feed2.xml"),
		[NOT_FOUND] = url("/_/status/404"),
		[SERVER_ERROR] = url("/_/status/503"),
		[REFUSED] = strdup(refused),
		[REDIRECTS] = url("/_/redirect/3"),
		[LOOP] = url("/_/loop"),
		[FILE_REDIR] = url("/_/file-redirect"),
		[FTP_REDIR] = url("/_/ftp-redirect"),
		[BIG] = url("/_/big/3000000"),
		[GZIP] = url("/_/gzip/feed2.xml"),
		[ETAG] = url("/_/etag/feed1.xml"),
		[HANG] = url("/_/hang"),
	};
	struct fetch_req reqs[NREQ];
	for (int i = 0; i < NREQ; i++)
		reqs[i] = (struct fetch_req){.name = "test", .url = u[i]};
	/* Fewer slots than requests, so finished ones make room for the rest. */
	struct fetch_opts o = {.user_agent = "bulletin-test/1", .max_parallel = 5,
			       .max_per_host = 4, .connect_timeout = 5, .timeout = 4,
			       .max_redirects = 5, .max_body = 1 << 20};
	struct fetch_result res[NREQ];
	assert_int_equal(fetch_all(&o, reqs, NREQ, res), 0);

	for (int i = 0; i < NREQ; i++)
		if (res[i].status == FETCH_FAILED)
			printf("# %d %s: HTTP %ld: %s\n", i, u[i], res[i].http_code, res[i].error);

	assert_body(&res[GOOD1], feed1, feed1_len);
	assert_int_equal(res[GOOD1].http_code, 200);
	assert_non_null(res[GOOD1].content_type);
	assert_non_null(strstr(res[GOOD1].content_type, "xml"));
	assert_true(ends_with(res[GOOD1].effective_url, "/feed1.xml"));
	assert_null(res[GOOD1].etag);
	assert_body(&res[GOOD2], feed2, feed2_len);

	assert_int_equal(res[NOT_FOUND].status, FETCH_FAILED);
	assert_int_equal(res[NOT_FOUND].http_code, 404);
	assert_string_equal(res[NOT_FOUND].error, "HTTP 404");
	assert_int_equal(res[NOT_FOUND].body.len, 0);
	assert_int_equal(res[SERVER_ERROR].status, FETCH_FAILED);
	assert_string_equal(res[SERVER_ERROR].error, "HTTP 503");

	assert_int_equal(res[REFUSED].status, FETCH_FAILED);
	assert_int_equal(res[REFUSED].http_code, 0);
	assert_non_null(strstr(res[REFUSED].error, "onnect"));

	/* The chain ends in the feed; the hops' ETag and Last-Modified did
	 * not leak into the final response's. */
	assert_int_equal(res[REDIRECTS].status, FETCH_OK);
	assert_int_equal(res[REDIRECTS].http_code, 200);
	assert_true(ends_with(res[REDIRECTS].effective_url, "/_/redirect/0"));
	assert_non_null(strstr(res[REDIRECTS].body.data, "Vårdcentralen i Bodø"));
	assert_non_null(res[REDIRECTS].etag);
	assert_string_equal(res[REDIRECTS].etag, "\"final\"");
	assert_null(res[REDIRECTS].last_modified);

	assert_int_equal(res[LOOP].status, FETCH_FAILED);
	assert_non_null(strstr(res[LOOP].error, "redirect"));

	/* Not followed: only http and https are allowed after a redirect. */
	assert_int_equal(res[FILE_REDIR].status, FETCH_FAILED);
	assert_int_equal(res[FILE_REDIR].body.len, 0);
	assert_non_null(strstr(res[FILE_REDIR].error, "file"));

	/* libcurl's default would try ftp; our protocol list refuses it. */
	assert_int_equal(res[FTP_REDIR].status, FETCH_FAILED);
	assert_non_null(strstr(res[FTP_REDIR].error, "\"ftp\" not supported"));

	assert_int_equal(res[BIG].status, FETCH_FAILED);
	assert_string_equal(res[BIG].error, "body larger than 1048576 bytes");
	assert_int_equal(res[BIG].body.len, 0);

	assert_body(&res[GZIP], feed2, feed2_len);

	assert_body(&res[ETAG], feed1, feed1_len);
	assert_non_null(res[ETAG].etag);
	assert_int_equal(res[ETAG].etag[0], '"');
	assert_non_null(res[ETAG].last_modified);
	assert_non_null(strstr(res[ETAG].last_modified, "GMT"));

	assert_int_equal(res[HANG].status, FETCH_FAILED);
	assert_int_equal(res[HANG].http_code, 0);
	assert_non_null(strstr(res[HANG].error, "timed out"));

	for (int i = 0; i < NREQ; i++) {
		fetch_result_free(&res[i]);
		free(u[i]);
	}
}

static void test_conditional_get(void **state)
{
	(void)state;
	char *u = url("/_/etag/feed2.xml");
	struct fetch_opts o = {.timeout = 20};
	struct fetch_req first = {.name = "etag", .url = u};
	struct fetch_result r1;
	assert_int_equal(fetch_all(&o, &first, 1, &r1), 0);
	assert_body(&r1, feed2, feed2_len);
	assert_non_null(r1.etag);
	assert_non_null(r1.last_modified);

	struct fetch_req again[] = {
		{.name = "same etag", .url = u, .etag = r1.etag},
		{.name = "other etag", .url = u, .etag = "\"stale\""},
		{.name = "date only", .url = u, .last_modified = r1.last_modified},
		{.name = "both", .url = u, .etag = r1.etag, .last_modified = r1.last_modified},
	};
	struct fetch_result r2[4];
	assert_int_equal(fetch_all(&o, again, 4, r2), 0);
	assert_int_equal(r2[0].status, FETCH_NOT_MODIFIED);
	assert_int_equal(r2[0].http_code, 304);
	assert_int_equal(r2[0].body.len, 0);
	assert_string_equal(r2[0].error, "");
	assert_string_equal(r2[0].etag, r1.etag);
	assert_body(&r2[1], feed2, feed2_len);
	assert_int_equal(r2[2].status, FETCH_NOT_MODIFIED);
	assert_int_equal(r2[3].status, FETCH_NOT_MODIFIED);
	for (int i = 0; i < 4; i++)
		fetch_result_free(&r2[i]);
	fetch_result_free(&r1);
	free(u);
}

/* What we send: our User-Agent, and never a stored validator carrying
 * CR/LF (it could smuggle in a header). */
static void test_request_headers(void **state)
{
	(void)state;
	char *u = url("/_/headers");
	struct fetch_req reqs[] = {
		{.name = "h", .url = u, .etag = "\"x\"\r\nX-Evil: 1", .last_modified = "Mon\n"},
		{.name = "h2", .url = u, .etag = "\"ok\""},
	};
	struct fetch_opts o = {.user_agent = "bulletin-test/1 (+mailto:styrelsen@example.se)",
			       .timeout = 20};
	struct fetch_result r[2];
	assert_int_equal(fetch_all(&o, reqs, 2, r), 0);
	assert_int_equal(r[0].status, FETCH_OK);
	const char *b = buf_str(&r[0].body);
	assert_non_null(strstr(b, "User-Agent: bulletin-test/1 (+mailto:styrelsen@example.se)"));
	assert_null(strstr(b, "X-Evil"));
	assert_null(strstr(b, "If-None-Match"));
	assert_null(strstr(b, "If-Modified-Since"));
	assert_non_null(strstr(b, "Accept-Encoding:"));
	assert_int_equal(r[1].status, FETCH_OK);
	assert_non_null(strstr(buf_str(&r[1].body), "If-None-Match: \"ok\""));
	fetch_result_free(&r[0]);
	fetch_result_free(&r[1]);
	free(u);
}

/* One at a time, many requests: the queue drains fully; the body cap is
 * exact (a body of exactly max_body passes). */
static void test_sequential_and_cap_edge(void **state)
{
	(void)state;
	enum { N = 9 };
	char *u[N];
	struct fetch_req reqs[N];
	for (int i = 0; i < N; i++) {
		u[i] = url(i == 0 ? "/_/big/1000" : i == 1 ? "/_/big/1001" : "/feed1.xml");
		reqs[i] = (struct fetch_req){.name = "seq", .url = u[i]};
	}
	struct fetch_opts o = {.max_parallel = 1, .max_per_host = 1, .timeout = 20,
			       .max_body = 1000};
	struct fetch_result r[N];
	assert_int_equal(fetch_all(&o, reqs, N, r), 0);
	assert_int_equal(r[0].status, FETCH_OK);
	assert_int_equal(r[0].body.len, 1000);
	assert_int_equal(r[1].status, FETCH_FAILED);
	assert_string_equal(r[1].error, "body larger than 1000 bytes");
	for (int i = 2; i < N; i++)
		assert_body(&r[i], feed1, feed1_len);
	for (int i = 0; i < N; i++) {
		fetch_result_free(&r[i]);
		free(u[i]);
	}

	assert_int_equal(fetch_all(&o, NULL, 0, NULL), 0);

	/* Not a URL we may fetch at all. */
	struct fetch_req bad[] = {{.name = "file", .url = "file:///etc/passwd"},
				  {.name = "none", .url = NULL}};
	struct fetch_result rb[2];
	assert_int_equal(fetch_all(&o, bad, 2, rb), 0);
	assert_int_equal(rb[0].status, FETCH_FAILED);
	assert_int_equal(rb[0].body.len, 0);
	assert_int_equal(rb[1].status, FETCH_FAILED);
	assert_string_equal(rb[1].error, "no URL");
	fetch_result_free(&rb[0]);
	fetch_result_free(&rb[1]);
}

int main(void)
{
	/* A server killed mid-answer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_batch),
		cmocka_unit_test(test_conditional_get),
		cmocka_unit_test(test_request_headers),
		cmocka_unit_test(test_sequential_and_cap_edge),
	};
	return cmocka_run_group_tests_name("fetch", tests, start_server, stop_server);
}
