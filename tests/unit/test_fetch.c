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

#include <curl/curl.h>

#include "fetch/fetch.h"

#define FIXTURES "tests/fixtures/http"

static pid_t server_pid = -1, tls_pid = -1;
static int server_port, tls_port = -1;
static char tls_dir[64], tls_cert[128];
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

/* Starts tests/servers/httpd.py with argv's extra arguments (NULL-ended);
 * returns its port, or -1 (then *pid is -1). */
static int spawn_httpd(const char *const *extra, pid_t *pid)
{
	char *argv[16] = {"python3", "tests/servers/httpd.py", "--port", "0", "--root",
			  FIXTURES, "--lifetime", "300"};
	size_t k = 8;
	for (; extra && *extra && k < 15; extra++)
		argv[k++] = (char *)*extra;
	argv[k] = NULL;
	int fds[2];
	if (pipe(fds))
		return -1;
	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv("/usr/bin/python3", argv);
		execvp("python3", argv);
		_exit(127);
	}
	close(fds[1]);
	int port = read_port(fds[0]);
	close(fds[0]);
	if (port < 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
	return port;
}

/* Runs argv (no shell), its output discarded; its exit status, or -1. */
static int run_quiet(char *const argv[])
{
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	if (waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* An https instance of the server with a certificate made now for
 * 127.0.0.1 (and localhost); without openssl the TLS tests skip. */
static void start_tls_server(void)
{
	snprintf(tls_dir, sizeof tls_dir, "/tmp/bulletin-fetch-XXXXXX");
	if (!mkdtemp(tls_dir)) {
		tls_dir[0] = '\0';
		return;
	}
	char key[128];
	snprintf(tls_cert, sizeof tls_cert, "%s/cert.pem", tls_dir);
	snprintf(key, sizeof key, "%s/key.pem", tls_dir);
	char *const req[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			     "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
			     "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key,
			     "-out", tls_cert, NULL};
	if (run_quiet(req) != 0) {
		fprintf(stderr, "# openssl could not make a certificate: TLS tests skip\n");
		return;
	}
	const char *extra[] = {"--tls-cert", tls_cert, "--tls-key", key, NULL};
	tls_port = spawn_httpd(extra, &tls_pid);
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
	server_port = spawn_httpd(NULL, &server_pid);
	if (server_port < 0) {
		fprintf(stderr, "# tests/servers/httpd.py did not start\n");
		return -1;
	}
	start_tls_server();
	return 0;
}

static void stop_pid(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}

static int stop_server(void **state)
{
	(void)state;
	stop_pid(&server_pid);
	stop_pid(&tls_pid);
	if (tls_dir[0]) {
		char path[160];
		snprintf(path, sizeof path, "%s/cert.pem", tls_dir);
		unlink(path);
		snprintf(path, sizeof path, "%s/key.pem", tls_dir);
		unlink(path);
		rmdir(tls_dir);
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

static char *tls_url(const char *host, const char *path)
{
	char *u = malloc(256);
	assert_non_null(u);
	snprintf(u, 256, "https://%s:%d%s", host, tls_port, path);
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
	/* Fewer slots than requests, so finished ones make room for the rest.
	 * No retries here: this batch checks each first answer (test_retries
	 * covers retrying). */
	struct fetch_opts o = {.user_agent = "bulletin-test/1", .max_parallel = 5,
			       .max_per_host = 4, .connect_timeout = 5, .timeout = 4,
			       .max_redirects = 5, .max_body = 1 << 20, .max_retries = -1};
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

	/* Refused on its Content-Length, before the body. */
	assert_int_equal(res[BIG].status, FETCH_FAILED);
	assert_string_equal(res[BIG].error, "body larger than 1048576 bytes (the server "
					    "announced 3000000), not downloaded");
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
		assert_int_equal(res[i].attempts, 1);
		assert_null(res[i].moved_to); /* 302s only */
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
	assert_string_equal(r[1].error, "body larger than 1000 bytes (the server announced "
					"1001), not downloaded");
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

/* How many requests the server has seen for KEY. */
static long server_count(const char *key)
{
	char path[128];
	snprintf(path, sizeof path, "/_/requests/%s", key);
	char *u = url(path);
	struct fetch_req req = {.name = "count", .url = u};
	struct fetch_opts o = {.timeout = 20, .max_retries = -1};
	struct fetch_result r;
	assert_int_equal(fetch_all(&o, &req, 1, &r), 0);
	assert_int_equal(r.status, FETCH_OK);
	char *end;
	long n = strtol(buf_str(&r.body), &end, 10);
	assert_true(end != buf_str(&r.body) && *end == '\0');
	fetch_result_free(&r);
	free(u);
	return n;
}

struct progress_log {
	size_t calls, last_done, last_total, last_failed;
	int in_order; /* done went 1, 2, 3, ... and failed never went down */
};

static void on_progress(void *ctx, size_t done, size_t total, size_t failed)
{
	struct progress_log *p = ctx;
	if (done != p->calls + 1 || failed < p->last_failed || failed > done)
		p->in_order = 0;
	p->calls++;
	p->last_done = done;
	p->last_total = total;
	p->last_failed = failed;
}

/* Why each failure failed, so an unexpected one is easy to read. */
static void dump_failures(struct fetch_result *res, char **u, int n)
{
	for (int i = 0; i < n; i++)
		if (res[i].status == FETCH_FAILED)
			printf("# %d %s: HTTP %ld, %d attempts: %s\n", i, u[i], res[i].http_code,
			       res[i].attempts, res[i].error);
}

#define PAST_DATE "Mon%2C%2001%20Jan%202001%2000%3A00%3A00%20GMT"
#define FAR_DATE "Thu%2C%2001%20Jan%202099%2000%3A00%3A00%20GMT"

enum {
	R_GOOD1, R_GOOD2, R_GZIP, R_FLAKY, R_RA1, R_RA_PAST, R_UNAVAIL, R_GONE, R_ALWAYS500,
	R_RA_LONG, R_RA_DATE, R_NREQ
};

/* 500, 429 and 503 are retried until they succeed or attempts run out,
 * honouring Retry-After; 4xx and an over-long Retry-After are final. Two
 * slots for eleven URLs, so retries must share them with fresh requests. */
static void test_retries(void **state)
{
	(void)state;
	char *u[R_NREQ] = {
		[R_GOOD1] = url("/feed1.xml"),
		[R_GOOD2] = url("/feed2.xml"),
		[R_GZIP] = url("/_/gzip/feed1.xml"),
		[R_FLAKY] = url("/_/flaky/u-flaky/feed1.xml"),
		[R_RA1] = url("/_/retry-after/1/u-ra1/feed2.xml"),
		[R_RA_PAST] = url("/_/retry-after/" PAST_DATE "/u-ra-past/feed1.xml"),
		[R_UNAVAIL] = url("/_/unavailable/u-unavail/feed2.xml"),
		[R_GONE] = url("/_/status/410"),
		[R_ALWAYS500] = url("/_/status/500"),
		[R_RA_LONG] = url("/_/retry-after/3600/u-ra-long/feed1.xml"),
		[R_RA_DATE] = url("/_/retry-after/" FAR_DATE "/u-ra-date/feed1.xml"),
	};
	struct fetch_req reqs[R_NREQ];
	for (int i = 0; i < R_NREQ; i++)
		reqs[i] = (struct fetch_req){.name = "retry", .url = u[i]};
	struct progress_log log = {.in_order = 1};
	struct fetch_opts o = {.max_parallel = 2, .max_per_host = 2, .timeout = 20,
			       .retry_base_ms = 50, .progress = on_progress, .progress_ctx = &log};
	struct fetch_result res[R_NREQ];
	assert_int_equal(fetch_all(&o, reqs, R_NREQ, res), 0);
	dump_failures(res, u, R_NREQ);

	assert_body(&res[R_GOOD1], feed1, feed1_len);
	assert_body(&res[R_GOOD2], feed2, feed2_len);
	assert_body(&res[R_GZIP], feed1, feed1_len);
	for (int i = R_GOOD1; i <= R_GZIP; i++)
		assert_int_equal(res[i].attempts, 1);

	/* The failed attempt's error page did not stay in the body. */
	assert_body(&res[R_FLAKY], feed1, feed1_len);
	assert_int_equal(res[R_FLAKY].attempts, 2);
	assert_int_equal(res[R_FLAKY].http_code, 200);
	assert_body(&res[R_RA1], feed2, feed2_len);
	assert_int_equal(res[R_RA1].attempts, 2);
	assert_body(&res[R_RA_PAST], feed1, feed1_len);
	assert_int_equal(res[R_RA_PAST].attempts, 2);
	assert_body(&res[R_UNAVAIL], feed2, feed2_len);
	assert_int_equal(res[R_UNAVAIL].attempts, 3);

	assert_int_equal(res[R_GONE].status, FETCH_FAILED);
	assert_string_equal(res[R_GONE].error, "HTTP 410");
	assert_int_equal(res[R_GONE].attempts, 1);

	assert_int_equal(res[R_ALWAYS500].status, FETCH_FAILED);
	assert_int_equal(res[R_ALWAYS500].http_code, 500);
	assert_string_equal(res[R_ALWAYS500].error, "HTTP 500 (after 3 attempts)");
	assert_int_equal(res[R_ALWAYS500].attempts, 3);
	assert_int_equal(res[R_ALWAYS500].body.len, 0);

	assert_int_equal(res[R_RA_LONG].status, FETCH_FAILED);
	assert_int_equal(res[R_RA_LONG].http_code, 429);
	assert_string_equal(res[R_RA_LONG].error,
			    "HTTP 429, Retry-After 3600 s is longer than 120 s");
	assert_int_equal(res[R_RA_LONG].attempts, 1);
	/* An HTTP-date far ahead is just as long. */
	assert_int_equal(res[R_RA_DATE].status, FETCH_FAILED);
	assert_int_equal(strncmp(res[R_RA_DATE].error, "HTTP 429, Retry-After ", 22), 0);
	assert_true(ends_with(res[R_RA_DATE].error, " s is longer than 120 s"));
	assert_int_equal(res[R_RA_DATE].attempts, 1);

	/* The server saw exactly the attempts we counted. */
	assert_int_equal(server_count("u-flaky"), 2);
	assert_int_equal(server_count("u-ra1"), 2);
	assert_int_equal(server_count("u-unavail"), 3);
	assert_int_equal(server_count("status-410"), 1);
	assert_int_equal(server_count("status-500"), 3);
	assert_int_equal(server_count("u-ra-long"), 1);
	assert_int_equal(server_count("u-ra-date"), 1);

	/* Once per URL, retries included once. */
	assert_true(log.in_order);
	assert_int_equal(log.calls, R_NREQ);
	assert_int_equal(log.last_done, R_NREQ);
	assert_int_equal(log.last_total, R_NREQ);
	assert_int_equal(log.last_failed, 4);

	for (int i = 0; i < R_NREQ; i++) {
		fetch_result_free(&res[i]);
		free(u[i]);
	}
}

/* A server that never answers and a port nobody listens on are retried
 * (timeouts and connection failures), then given up on with the count. */
static void test_timeout_retry(void **state)
{
	(void)state;
	char refused[64];
	snprintf(refused, sizeof refused, "http://127.0.0.1:%d/feed.xml", closed_port());
	char *u[] = {url("/_/hang"), strdup(refused), url("/feed1.xml"), url("/feed2.xml")};
	enum { N = 4 };
	struct fetch_req reqs[N];
	for (int i = 0; i < N; i++)
		reqs[i] = (struct fetch_req){.name = "timeout", .url = u[i]};
	struct progress_log log = {.in_order = 1};
	struct fetch_opts o = {.max_per_host = 8, .timeout = 2, .max_retries = 1,
			       .retry_base_ms = 50, .progress = on_progress, .progress_ctx = &log};
	struct fetch_result res[N];
	assert_int_equal(fetch_all(&o, reqs, N, res), 0);
	dump_failures(res, u, N);

	assert_int_equal(res[0].status, FETCH_FAILED);
	assert_int_equal(res[0].http_code, 0);
	assert_int_equal(res[0].attempts, 2);
	assert_non_null(strstr(res[0].error, "timed out"));
	assert_true(ends_with(res[0].error, " (after 2 attempts)"));

	assert_int_equal(res[1].status, FETCH_FAILED);
	assert_int_equal(res[1].attempts, 2);
	assert_non_null(strstr(res[1].error, "onnect"));
	assert_true(ends_with(res[1].error, " (after 2 attempts)"));

	assert_body(&res[2], feed1, feed1_len);
	assert_body(&res[3], feed2, feed2_len);
	assert_int_equal(log.calls, N);
	assert_int_equal(log.last_failed, 2);
	assert_true(log.in_order);
	for (int i = 0; i < N; i++) {
		fetch_result_free(&res[i]);
		free(u[i]);
	}
}

/* Each coding this libcurl says it decodes is offered. */
static void assert_accept_encoding(const char *echoed)
{
	const char *line = strstr(echoed, "Accept-Encoding:");
	assert_non_null(line);
	size_t len = strcspn(line, "\n");
	char ae[256];
	assert_true(len < sizeof ae);
	memcpy(ae, line, len);
	ae[len] = '\0';
	printf("# %s\n", ae);
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (v->features & CURL_VERSION_LIBZ) {
		assert_non_null(strstr(ae, "gzip"));
		assert_non_null(strstr(ae, "deflate"));
	}
	if (v->features & CURL_VERSION_BROTLI)
		assert_non_null(strstr(ae, "br"));
	if (v->features & CURL_VERSION_ZSTD)
		assert_non_null(strstr(ae, "zstd"));
}

/* A trickling server is dropped by the low-speed limit; br decodes; a
 * gzip bomb stops at the decoded-size cap (the cap is on decoded bytes, so
 * at most max_body is ever held). */
static void test_slow_and_encodings(void **state)
{
	(void)state;
	enum { S_TRICKLE, S_BR, S_BOMB, S_HEADERS, S_GOOD1, S_GOOD2, S_N };
	char *u[S_N] = {
		[S_TRICKLE] = url("/_/trickle/feed1.xml"),
		[S_BR] = url("/_/br/feed2.xml"),
		[S_BOMB] = url("/_/gzip-bomb/64"),
		[S_HEADERS] = url("/_/headers"),
		[S_GOOD1] = url("/feed1.xml"),
		[S_GOOD2] = url("/feed2.xml"),
	};
	struct fetch_req reqs[S_N];
	for (int i = 0; i < S_N; i++)
		reqs[i] = (struct fetch_req){.name = "slow", .url = u[i]};
	struct fetch_opts o = {.max_per_host = 8, .timeout = 60, .low_speed_time = 2,
			       .max_retries = -1, .max_body = 1 << 20};
	struct fetch_result res[S_N];
	assert_int_equal(fetch_all(&o, reqs, S_N, res), 0);
	dump_failures(res, u, S_N);

	/* Not the 60 s timeout: the low-speed limit of 2 s ended it. */
	assert_int_equal(res[S_TRICKLE].status, FETCH_FAILED);
	assert_int_equal(res[S_TRICKLE].http_code, 200);
	assert_non_null(strstr(res[S_TRICKLE].error, "too slow"));
	/* Not a measured time: curl's message names the limit it was given,
	 * which shows that low_speed_time reached it. */
	char limit[64];
	snprintf(limit, sizeof limit, "last %ld seconds", o.low_speed_time);
	assert_non_null(strstr(res[S_TRICKLE].error, limit));
	assert_int_equal(res[S_TRICKLE].body.len, 0);
	assert_int_equal(res[S_TRICKLE].attempts, 1);

	assert_body(&res[S_BR], feed2, feed2_len);

	assert_int_equal(res[S_BOMB].status, FETCH_FAILED);
	assert_string_equal(res[S_BOMB].error, "body larger than 1048576 bytes");
	assert_int_equal(res[S_BOMB].body.len, 0);
	assert_int_equal(res[S_BOMB].attempts, 1); /* our own abort is final */

	assert_int_equal(res[S_HEADERS].status, FETCH_OK);
	assert_accept_encoding(buf_str(&res[S_HEADERS].body));

	assert_body(&res[S_GOOD1], feed1, feed1_len);
	assert_body(&res[S_GOOD2], feed2, feed2_len);
	for (int i = 0; i < S_N; i++) {
		fetch_result_free(&res[i]);
		free(u[i]);
	}
}

/* 301 and 308 report where the source now lives; 302 and 307 do not. */
static void test_moved(void **state)
{
	(void)state;
	/* The validator to send through a permanent redirect. */
	char *eu = url("/_/etag/feed1.xml");
	struct fetch_req ereq = {.name = "etag", .url = eu};
	struct fetch_opts o = {.max_per_host = 8, .timeout = 20};
	struct fetch_result er;
	assert_int_equal(fetch_all(&o, &ereq, 1, &er), 0);
	assert_int_equal(er.status, FETCH_OK);
	assert_non_null(er.etag);

	enum { M301, M302, M307, M308, M301_304, M_GOOD, N };
	char *u[N] = {
		[M301] = url("/_/moved/301/feed1.xml"),
		[M302] = url("/_/moved/302/feed1.xml"),
		[M307] = url("/_/moved/307/feed1.xml"),
		[M308] = url("/_/moved/308/feed2.xml"),
		[M301_304] = url("/_/moved/301/_/etag/feed1.xml"),
		[M_GOOD] = url("/feed2.xml"),
	};
	struct fetch_req reqs[N];
	for (int i = 0; i < N; i++)
		reqs[i] = (struct fetch_req){.name = "moved", .url = u[i]};
	reqs[M301_304].etag = er.etag;
	struct progress_log log = {.in_order = 1};
	o.progress = on_progress;
	o.progress_ctx = &log;
	struct fetch_result res[N];
	assert_int_equal(fetch_all(&o, reqs, N, res), 0);
	dump_failures(res, u, N);

	assert_body(&res[M301], feed1, feed1_len);
	assert_non_null(res[M301].moved_to);
	assert_true(ends_with(res[M301].moved_to, "/feed1.xml"));
	assert_string_equal(res[M301].moved_to, res[M301].effective_url);
	assert_body(&res[M302], feed1, feed1_len);
	assert_null(res[M302].moved_to);
	assert_body(&res[M307], feed1, feed1_len);
	assert_null(res[M307].moved_to);
	assert_body(&res[M308], feed2, feed2_len);
	assert_non_null(res[M308].moved_to);
	assert_true(ends_with(res[M308].moved_to, "/feed2.xml"));
	assert_int_equal(res[M301_304].status, FETCH_NOT_MODIFIED);
	assert_non_null(res[M301_304].moved_to);
	assert_true(ends_with(res[M301_304].moved_to, "/_/etag/feed1.xml"));
	assert_body(&res[M_GOOD], feed2, feed2_len);
	assert_null(res[M_GOOD].moved_to);
	assert_int_equal(log.calls, N);
	assert_int_equal(log.last_failed, 0);

	for (int i = 0; i < N; i++) {
		fetch_result_free(&res[i]);
		free(u[i]);
	}
	fetch_result_free(&er);
	free(eu);
}

/* Queued behind the per-host limit is not in progress: libcurl counts
 * CURLOPT_TIMEOUT from when a handle is added, so a handle it kept
 * pending for a host slot would time out without a request sent. Four
 * 1 s answers from one host, one at a time, each within a 3 s limit. */
static void test_per_host_queue(void **state)
{
	(void)state;
	enum { N = 4 };
	char *u[N];
	struct fetch_req reqs[N];
	for (int i = 0; i < N; i++) {
		u[i] = url("/_/slow/1");
		reqs[i] = (struct fetch_req){.name = "queued", .url = u[i]};
	}
	struct fetch_opts o = {.max_parallel = N, .max_per_host = 1, .timeout = 3,
			       .max_retries = -1};
	struct fetch_result res[N];
	assert_int_equal(fetch_all(&o, reqs, N, res), 0);
	dump_failures(res, u, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(res[i].status, FETCH_OK);
		assert_string_equal(buf_str(&res[i].body), "slow answer\n");
		fetch_result_free(&res[i]);
		free(u[i]);
	}
}

/* An international host name reaches the server: converted to punycode
 * by us (the C locale would make libcurl fail), upper case folded, the
 * name as written kept for messages. The test resolver maps the punycode
 * name to 127.0.0.1, so a wrong conversion fails to resolve. */
static void test_idn(void **state)
{
	(void)state;
	char resolve[128];
	snprintf(resolve, sizeof resolve, "www.xn--vrdfrbundet-x8a8t.se:%d:127.0.0.1", server_port);
	const char *const rl[] = {resolve, NULL};
	enum { I_LOWER, I_UPPER, I_ENCODED, I_BAD, I_N };
	char u[I_N][160];
	snprintf(u[I_LOWER], sizeof u[I_LOWER], "http://www.vårdförbundet.se:%d/feed1.xml",
		 server_port);
	snprintf(u[I_UPPER], sizeof u[I_UPPER], "http://WWW.VÅRDFÖRBUNDET.SE:%d/feed2.xml",
		 server_port);
	snprintf(u[I_ENCODED], sizeof u[I_ENCODED],
		 "http://www.v%%C3%%A5rdf%%C3%%B6rbundet.se:%d/feed1.xml", server_port);
	/* A combining mark cannot start a label. */
	snprintf(u[I_BAD], sizeof u[I_BAD], "http://\xcc\x81vard.se:%d/feed1.xml", server_port);
	struct fetch_req reqs[I_N];
	for (int i = 0; i < I_N; i++)
		reqs[i] = (struct fetch_req){.name = "idn", .url = u[i]};
	struct fetch_opts o = {.timeout = 20, .max_retries = -1, .resolve = rl};
	struct fetch_result r[I_N];
	assert_int_equal(fetch_all(&o, reqs, I_N, r), 0);
	for (int i = 0; i < I_N; i++)
		if (r[i].status == FETCH_FAILED)
			printf("# %d: %s\n", i, r[i].error);
	assert_body(&r[I_LOWER], feed1, feed1_len);
	assert_string_equal(r[I_LOWER].effective_url, u[I_LOWER]);
	assert_body(&r[I_UPPER], feed2, feed2_len);
	assert_body(&r[I_ENCODED], feed1, feed1_len);
	assert_int_equal(r[I_BAD].status, FETCH_FAILED);
	assert_non_null(strstr(r[I_BAD].error, "is not a valid international domain name"));
	assert_int_equal(r[I_BAD].attempts, 0);
	for (int i = 0; i < I_N; i++)
		fetch_result_free(&r[i]);
}

/* https never silently becomes http: the redirect is refused (301 and
 * 302 alike) unless the source allows the downgrade, and even then a 301
 * to http is not reported as the source's new address. https to https
 * still follows and reports. */
static void test_https_downgrade(void **state)
{
	(void)state;
	if (tls_port < 0)
		skip();
	enum { D301, D302, D301_ALLOWED, D302_ALLOWED, D_HTTPS_301, D_N };
	char path[D_N][96];
	snprintf(path[D301], sizeof path[D301], "/_/to-http/301/%d/feed1.xml", server_port);
	snprintf(path[D302], sizeof path[D302], "/_/to-http/302/%d/feed2.xml", server_port);
	snprintf(path[D301_ALLOWED], sizeof path[D301_ALLOWED], "/_/to-http/301/%d/feed1.xml",
		 server_port);
	snprintf(path[D302_ALLOWED], sizeof path[D302_ALLOWED], "/_/to-http/302/%d/feed2.xml",
		 server_port);
	snprintf(path[D_HTTPS_301], sizeof path[D_HTTPS_301], "/_/moved/301/feed2.xml");
	char *u[D_N];
	struct fetch_req reqs[D_N];
	for (int i = 0; i < D_N; i++) {
		u[i] = tls_url("127.0.0.1", path[i]);
		reqs[i] = (struct fetch_req){.name = "tls", .url = u[i],
					     .allow_downgrade = i == D301_ALLOWED || i == D302_ALLOWED};
	}
	struct fetch_opts o = {.timeout = 20, .max_retries = -1, .ca_file = tls_cert};
	struct fetch_result r[D_N];
	assert_int_equal(fetch_all(&o, reqs, D_N, r), 0);
	dump_failures(r, u, D_N);
	char want[160];
	snprintf(want, sizeof want,
		 "refused a redirect from https to unencrypted http (http://127.0.0.1:%d/feed1.xml)",
		 server_port);
	assert_int_equal(r[D301].status, FETCH_FAILED);
	assert_string_equal(r[D301].error, want);
	assert_null(r[D301].moved_to);
	assert_int_equal(r[D302].status, FETCH_FAILED);
	assert_non_null(strstr(r[D302].error, "refused a redirect from https to unencrypted http"));
	assert_body(&r[D301_ALLOWED], feed1, feed1_len);
	assert_null(r[D301_ALLOWED].moved_to);
	assert_true(ends_with(r[D301_ALLOWED].effective_url, "/feed1.xml"));
	assert_body(&r[D302_ALLOWED], feed2, feed2_len);
	assert_body(&r[D_HTTPS_301], feed2, feed2_len);
	assert_non_null(r[D_HTTPS_301].moved_to);
	assert_int_equal(strncmp(r[D_HTTPS_301].moved_to, "https://", 8), 0);
	for (int i = 0; i < D_N; i++) {
		fetch_result_free(&r[i]);
		free(u[i]);
	}
}

/* A TLS failure keeps libcurl's words and adds one line for the chair;
 * verification stays on (a certificate nobody vouches for fails). */
static void test_tls_meaning(void **state)
{
	(void)state;
	if (tls_port < 0)
		skip();
	char resolve[96];
	snprintf(resolve, sizeof resolve, "nyheter.example.se:%d:127.0.0.1", tls_port);
	const char *const rl[] = {resolve, NULL};
	char *u[3] = {tls_url("127.0.0.1", "/feed1.xml"), tls_url("nyheter.example.se", "/feed1.xml"),
		      tls_url("localhost", "/feed2.xml")};
	/* No CA: the system's list does not know our certificate. */
	struct fetch_req untrusted = {.name = "tls", .url = u[0]};
	struct fetch_opts o = {.timeout = 20, .max_retries = -1, .resolve = rl};
	struct fetch_result r;
	assert_int_equal(fetch_all(&o, &untrusted, 1, &r), 0);
	printf("# untrusted: %s\n", r.error);
	assert_int_equal(r.status, FETCH_FAILED);
	assert_int_equal(r.http_code, 0);
	assert_true(ends_with(r.error, "(the site's certificate is not trusted by this machine; "
				       "the site may be misconfigured, or something is "
				       "intercepting the connection)"));
	assert_true(strlen(r.error) > 120); /* libcurl's own text comes first */
	fetch_result_free(&r);

	/* Trusted, but for another name. */
	o.ca_file = tls_cert;
	struct fetch_req two[] = {{.name = "wrong name", .url = u[1]}, {.name = "ok", .url = u[2]}};
	struct fetch_result r2[2];
	assert_int_equal(fetch_all(&o, two, 2, r2), 0);
	printf("# wrong name: %s\n", r2[0].error);
	assert_int_equal(r2[0].status, FETCH_FAILED);
	assert_true(ends_with(r2[0].error, "(the site's certificate is for another name; the "
					   "address may be wrong, or the site misconfigured)"));
	assert_body(&r2[1], feed2, feed2_len);
	for (int i = 0; i < 2; i++)
		fetch_result_free(&r2[i]);
	for (int i = 0; i < 3; i++)
		free(u[i]);
}

/* A Content-Length beyond max_body is refused when the headers arrive:
 * the server then sends nothing more, so waiting for the body would end in
 * the timeout instead. Both too big for the cap and for memory. */
static void test_announced_size(void **state)
{
	(void)state;
	char *u[2] = {url("/_/announce/10737418240"), url("/_/announce/1048577")};
	struct fetch_req reqs[2] = {{.name = "10 GB", .url = u[0]}, {.name = "1 MiB + 1", .url = u[1]}};
	struct fetch_opts o = {.timeout = 30, .max_retries = 2, .max_body = 1 << 20};
	struct fetch_result r[2];
	assert_int_equal(fetch_all(&o, reqs, 2, r), 0);
	assert_int_equal(r[0].status, FETCH_FAILED);
	assert_string_equal(r[0].error, "body larger than 1048576 bytes (the server announced "
					"10737418240), not downloaded");
	assert_int_equal(r[0].attempts, 1); /* not retried */
	assert_int_equal(r[0].body.len, 0);
	assert_int_equal(r[1].status, FETCH_FAILED);
	assert_non_null(strstr(r[1].error, "(the server announced 1048577)"));
	for (int i = 0; i < 2; i++) {
		fetch_result_free(&r[i]);
		free(u[i]);
	}
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
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_timeout_retry),
		cmocka_unit_test(test_slow_and_encodings),
		cmocka_unit_test(test_moved),
		cmocka_unit_test(test_per_host_queue),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_https_downgrade),
		cmocka_unit_test(test_tls_meaning),
		cmocka_unit_test(test_announced_size),
	};
	return cmocka_run_group_tests_name("fetch", tests, start_server, stop_server);
}
