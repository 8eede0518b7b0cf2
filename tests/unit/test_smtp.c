/* smtp_open/smtp_send against tests/servers/smtpd.py (aiosmtpd on
 * 127.0.0.1, started with execv and a fixed argv, stopped with SIGTERM). */
#include "testutil.h"

#include <dirent.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver/mail.h"
#include "deliver/smtp.h"

#define PY "/usr/bin/python3"
#define SERVER "tests/servers/smtpd.py"

static pid_t server_pid = -1;
static int port;
static char dir[64], maildir[128], url[64];

static int count_new(void)
{
	char p[160];
	snprintf(p, sizeof p, "%s/new", maildir);
	DIR *d = opendir(p);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *read_log(const char *name)
{
	char p[160];
	snprintf(p, sizeof p, "%s/%s", maildir, name);
	char *s = test_read_file(p, NULL);
	return s ? s : strdup("");
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Starts the server and waits (bounded) for "ready PORT". */
static int start_server(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_smtp.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(maildir, sizeof maildir, "%s/Maildir", dir);
	if (access(PY, X_OK) != 0)
		return 0; /* tests skip */
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		char *argv[] = {PY,
				SERVER,
				"--port",
				"0",
				"--maildir",
				maildir,
				"--fail-rcpt",
				"bad@example.org:550",
				"--fail-rcpt",
				"later@example.org:451",
				"--fail-mail",
				"refused@example.org:550",
				"--fail-rcpt",
				"always421@example.org:421",
				"--fail-rcpt",
				"once421@example.org:421:1",
				"--fail-rcpt",
				"twice451@example.org:451:2",
				"--slow-data",
				"slow@example.org:4",
				"--slow-data",
				"slowok@example.org:1",
				NULL};
		execv(PY, argv);
		_exit(127);
	}
	close(fds[1]);
	char line[64] = "";
	size_t n = 0;
	struct pollfd pf = {fds[0], POLLIN, 0};
	while (n < sizeof line - 1 && !strchr(line, '\n') && poll(&pf, 1, 30000) > 0) {
		ssize_t r = read(fds[0], line + n, sizeof line - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
	}
	close(fds[0]);
	if (sscanf(line, "ready %d", &port) != 1) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
		/* Without aiosmtpd the tests skip; with it, this is a failure. */
		return access("/usr/lib/python3/dist-packages/aiosmtpd", F_OK) == 0 ? -1 : 0;
	}
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	return 0;
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		rm_tree(p);
	}
	closedir(d);
	rmdir(path);
}

static int stop_server(void **state)
{
	(void)state;
	int ok = 1;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		int st = 0;
		waitpid(server_pid, &st, 0);
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0; /* clean exit on SIGTERM */
		server_pid = -1;
	}
	rm_tree(dir);
	return ok ? 0 : -1;
}

static struct smtp_session *open_session_n(long per_connection)
{
	struct smtp_opts o = {.url = url, .verify_tls = 1, .helo_name = "bulletin.test", .timeout = 20,
			      .per_connection = per_connection};
	struct smtp_session *s = NULL;
	struct err err = {{0}};
	assert_int_equal(smtp_open(&o, &s, &err), 0);
	assert_non_null(s);
	return s;
}

static struct smtp_session *open_session(void) { return open_session_n(0); }

static char *compose(const char *to, const char *subject, size_t *len)
{
	struct mail_msg m = {
		.from_name = "Primärvårdsbulletinen",
		.from_addr = "bulletin@example.org",
		.to_name = "Åse Ødegård",
		.to_addr = to,
		.subject = subject,
		.message_id = "w47.test@example.org",
		.date = 1700000000,
		.text = "Hej!\n.\nEn rad med bara en punkt ovan.\n",
		.html = "<p>Hej!</p>",
	};
	struct buf b = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &b, &err), 0);
	*len = b.len;
	return buf_steal(&b);
}

static void test_three_on_one_connection(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	int before = count_new();
	char *sess0 = read_log("sessions.log");
	int ehlo0 = count_lines(sess0, "EHLO");
	free(sess0);
	struct smtp_session *s = open_session();
	const char *to[3] = {"anna@example.org", "bo@example.org", "cecilia@example.org"};
	for (int i = 0; i < 3; i++) {
		size_t len;
		char *msg = compose(to[i], "Veckans nyheter – vecka 47", &len);
		char reply[256];
		enum smtp_result r =
			smtp_send(s, "bulletin@example.org", to[i], msg, len, reply, sizeof reply);
		free(msg);
		if (r != SMTP_SENT)
			fail_msg("send to %s: %d (%s)", to[i], r, reply);
		assert_non_null(strstr(reply, "250"));
	}
	smtp_close(s);
	assert_int_equal(count_new() - before, 3);
	char *env = read_log("envelopes.log");
	for (int i = 0; i < 3; i++) {
		char want[128];
		snprintf(want, sizeof want, " bulletin@example.org %s\n", to[i]);
		assert_non_null(strstr(env, want));
	}
	free(env);
	char *sess = read_log("sessions.log");
	/* One connection for all three, greeted with our helo name. */
	assert_int_equal(count_lines(sess, "EHLO") - ehlo0, 1);
	assert_non_null(strstr(sess, "EHLO bulletin.test\n"));
	free(sess);
}

static void test_delivered_body_intact(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_session *s = open_session();
	size_t len;
	char *msg = compose("dora@example.org", "Kropp", &len);
	char reply[256];
	assert_int_equal(smtp_send(s, "bulletin@example.org", "dora@example.org", msg, len, reply,
				   sizeof reply),
			 SMTP_SENT);
	smtp_close(s);
	/* Find the stored file for dora and compare it with what we sent. */
	char *env = read_log("envelopes.log");
	char *line = strstr(env, " dora@example.org\n");
	assert_non_null(line);
	char *start = line;
	while (start > env && start[-1] != '\n')
		start--;
	char name[128];
	assert_int_equal(sscanf(start, "%127s", name), 1);
	free(env);
	char p[300];
	snprintf(p, sizeof p, "%s/new/%s", maildir, name);
	size_t got_len;
	char *got = test_read_file(p, &got_len);
	assert_non_null(got);
	const char *body = strstr(got, "\r\nDate: ");
	assert_non_null(body);
	body += 2; /* after the X-Envelope-* headers */
	assert_int_equal(got_len - (size_t)(body - got), len);
	assert_memory_equal(body, msg, len); /* dot-stuffing undone, nothing changed */
	free(got);
	free(msg);
}

static void test_refusals(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	int before = count_new();
	struct smtp_session *s = open_session();
	size_t len;
	char *msg = compose("bad@example.org", "Avvisad", &len);
	char reply[256];
	struct {
		const char *from, *to;
		enum smtp_result want;
		const char *code;
	} cases[] = {
		{"bulletin@example.org", "ok1@example.org", SMTP_SENT, "250"},
		{"bulletin@example.org", "bad@example.org", SMTP_PERMFAIL, "550"},
		{"bulletin@example.org", "ok2@example.org", SMTP_SENT, "250"},
		{"bulletin@example.org", "later@example.org", SMTP_TEMPFAIL, "451"},
		{"bulletin@example.org", "ok3@example.org", SMTP_SENT, "250"},
		{"refused@example.org", "ok4@example.org", SMTP_FATAL, "550"},
		{"bulletin@example.org", "ok5@example.org", SMTP_SENT, "250"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		enum smtp_result r = smtp_send(s, cases[i].from, cases[i].to, msg, len, reply,
					       sizeof reply);
		if (r != cases[i].want || !strstr(reply, cases[i].code))
			fail_msg("%s -> %s: got %d (%s), want %d with %s", cases[i].from,
				 cases[i].to, r, reply, cases[i].want, cases[i].code);
	}
	smtp_close(s);
	free(msg);
	assert_int_equal(count_new() - before, 4);
	char *env = read_log("envelopes.log");
	assert_null(strstr(env, " bad@example.org\n"));
	assert_null(strstr(env, " later@example.org\n"));
	assert_null(strstr(env, " ok4@example.org\n"));
	assert_non_null(strstr(env, " ok5@example.org\n"));
	free(env);
}


static int ehlo_count(void)
{
	char *s = read_log("sessions.log");
	int n = count_lines(s, "EHLO");
	free(s);
	return n;
}

static enum smtp_result send_to(struct smtp_session *s, const char *to, char *reply,
				 size_t replylen)
{
	size_t len;
	char *msg = compose(to, "Återförsök", &len);
	enum smtp_result r = smtp_send(s, "bulletin@example.org", to, msg, len, reply, replylen);
	free(msg);
	return r;
}

/* 421 to RCPT: a temporary failure of that member, and the server has
 * closed the connection, so the next member goes out on a new one. */
static void test_421_reconnects(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	int e0 = ehlo_count();
	struct smtp_session *s = open_session();
	char reply[256];
	assert_int_equal(send_to(s, "before421@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(send_to(s, "always421@example.org", reply, sizeof reply), SMTP_TEMPFAIL);
	assert_non_null(strstr(reply, "421"));
	assert_string_equal(smtp_last_command(s), "RCPT");
	assert_int_equal(send_to(s, "after421@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(send_to(s, "after421b@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(smtp_connections(s), 2);
	smtp_close(s);
	assert_int_equal(ehlo_count() - e0, 2);
	char *env = read_log("envelopes.log");
	assert_non_null(strstr(env, " after421@example.org\n"));
	assert_non_null(strstr(env, " after421b@example.org\n"));
	assert_null(strstr(env, " always421@example.org\n"));
	free(env);
}

/* "N times, then accept": the same member goes out on a later try. */
static void test_tempfail_then_accept(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_session *s = open_session();
	char reply[256];
	assert_int_equal(send_to(s, "twice451@example.org", reply, sizeof reply), SMTP_TEMPFAIL);
	assert_non_null(strstr(reply, "451"));
	assert_int_equal(send_to(s, "twice451@example.org", reply, sizeof reply), SMTP_TEMPFAIL);
	assert_int_equal(send_to(s, "twice451@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(send_to(s, "once421@example.org", reply, sizeof reply), SMTP_TEMPFAIL);
	assert_int_equal(send_to(s, "once421@example.org", reply, sizeof reply), SMTP_SENT);
	smtp_close(s);
	char *env = read_log("envelopes.log");
	assert_int_equal(count_lines(env, " twice451@example.org\n"), 1);
	assert_int_equal(count_lines(env, " once421@example.org\n"), 1);
	free(env);
}

static void test_per_connection(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	int e0 = ehlo_count();
	struct smtp_session *s = open_session_n(2);
	char reply[256], to[64];
	for (int i = 0; i < 5; i++) {
		snprintf(to, sizeof to, "per%d@example.org", i);
		assert_int_equal(send_to(s, to, reply, sizeof reply), SMTP_SENT);
	}
	assert_int_equal(smtp_connections(s), 3); /* 2 + 2 + 1 */
	smtp_close(s);
	assert_int_equal(ehlo_count() - e0, 3);
}

static void test_last_command(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_session *s = open_session();
	char reply[256];
	assert_int_equal(send_to(s, "bad@example.org", reply, sizeof reply), SMTP_PERMFAIL);
	assert_string_equal(smtp_last_command(s), "RCPT");
	assert_int_equal(send_to(s, "later@example.org", reply, sizeof reply), SMTP_TEMPFAIL);
	assert_string_equal(smtp_last_command(s), "RCPT");
	size_t len;
	char *msg = compose("x@example.org", "x", &len);
	assert_int_equal(smtp_send(s, "refused@example.org", "x@example.org", msg, len, reply,
				   sizeof reply),
			 SMTP_FATAL);
	assert_string_equal(smtp_last_command(s), "MAIL");
	assert_non_null(strstr(reply, "550"));
	free(msg);
	smtp_close(s);
}

static void test_invalid_addresses_never_sent(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_session *s = open_session();
	char *sess0 = read_log("sessions.log");
	char reply[128];
	const char *msg = "Subject: x\r\n\r\nx\r\n";
	assert_int_equal(smtp_send(s, "bulletin@example.org", "a@example.org>\r\nRCPT TO:<b@example.org",
				   msg, strlen(msg), reply, sizeof reply),
			 SMTP_PERMFAIL);
	assert_non_null(strstr(reply, "recipient"));
	assert_int_equal(smtp_send(s, "bulletin@example.org\r\nRSET", "a@example.org", msg,
				   strlen(msg), reply, sizeof reply),
			 SMTP_FATAL);
	assert_int_equal(smtp_send(s, "bulletin@example.org", "<a@example.org>", msg, strlen(msg),
				   reply, sizeof reply),
			 SMTP_PERMFAIL);
	smtp_close(s);
	char *sess = read_log("sessions.log");
	assert_string_equal(sess, sess0); /* no connection was even made */
	free(sess);
	free(sess0);
}

static void test_connection_refused_is_tempfail(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, note it, close it. */
	char u[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t al = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
	close(fd);
	struct smtp_opts o = {.url = u, .verify_tls = 1, .timeout = 5};
	struct smtp_session *s = NULL;
	struct err err = {{0}};
	assert_int_equal(smtp_open(&o, &s, &err), 0);
	char reply[256];
	const char *msg = "Subject: x\r\n\r\nx\r\n";
	assert_int_equal(smtp_send(s, "bulletin@example.org", "a@example.org", msg, strlen(msg),
				   reply, sizeof reply),
			 SMTP_TEMPFAIL);
	assert_true(reply[0] != '\0');
	assert_string_equal(smtp_last_command(s), ""); /* the server never answered */
	smtp_close(s);
}

static void test_open_rejects_bad_options(void **state)
{
	(void)state;
	struct smtp_session *s = (struct smtp_session *)1;
	struct err err = {{0}};
	struct smtp_opts o = {.url = "http://example.org", .verify_tls = 1};
	assert_int_equal(smtp_open(&o, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, "http://example.org"));
	o.url = "smtp://host/path";
	assert_int_equal(smtp_open(&o, &s, &err), -1);
	o.url = "smtp://host:25";
	o.helo_name = "evil\r\nMAIL FROM:<x@y.z>";
	assert_int_equal(smtp_open(&o, &s, &err), -1);
	o.helo_name = NULL;
	o.username = "u\r\nx";
	assert_int_equal(smtp_open(&o, &s, &err), -1);
	o.username = NULL;
	o.ca_file = "/nonexistent/ca.pem";
	assert_int_equal(smtp_open(&o, &s, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/ca.pem"));
	o.ca_file = NULL;
	assert_int_equal(smtp_open(&o, &s, &err), 0);
	smtp_close(s);
	smtp_close(NULL);
}

/* A reply to the final "." that comes after data_timeout: the message is
 * in doubt (it was stored), never a temporary failure to retry; the next
 * message goes on a new connection. A reply within it is a success
 * (issue 13: a slow server once got nine copies). */
static void test_slow_final_reply(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_opts o = {.url = url, .verify_tls = 1, .timeout = 20, .data_timeout = 1};
	struct smtp_session *s = NULL;
	struct err err = {{0}};
	assert_int_equal(smtp_open(&o, &s, &err), 0);
	int before = count_new();
	char reply[256];
	assert_int_equal(send_to(s, "slow@example.org", reply, sizeof reply), SMTP_IN_DOUBT);
	assert_non_null(strstr(reply, "no reply to the end of the message within 1 s"));
	assert_non_null(strstr(reply, "may have been delivered"));
	assert_int_equal(count_new() - before, 1); /* it did arrive */
	long conns = smtp_connections(s);
	assert_int_equal(send_to(s, "anna@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(smtp_connections(s), conns + 1);
	smtp_close(s);

	o.data_timeout = 10;
	assert_int_equal(smtp_open(&o, &s, &err), 0);
	assert_int_equal(send_to(s, "slowok@example.org", reply, sizeof reply), SMTP_SENT);
	smtp_close(s);
}

static int hook_calls, hook_result;
static int data_hook(void *ctx)
{
	assert_ptr_equal(ctx, &hook_calls);
	hook_calls++;
	return hook_result;
}

/* The data hook runs once per message that reaches DATA, before its first
 * byte; refusing stops the message before anything of it is sent. */
static void test_data_hook(void **state)
{
	(void)state;
	if (server_pid <= 0)
		skip();
	struct smtp_session *s = open_session();
	smtp_set_data_hook(s, data_hook, &hook_calls);
	hook_calls = 0;
	hook_result = 0;
	char reply[256];
	int before = count_new();
	assert_int_equal(send_to(s, "anna@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(send_to(s, "bad@example.org", reply, sizeof reply), SMTP_PERMFAIL);
	assert_int_equal(hook_calls, 1); /* RCPT refused: never reached DATA */
	hook_result = -1;
	assert_int_equal(send_to(s, "bo@example.org", reply, sizeof reply), SMTP_FATAL);
	assert_non_null(strstr(reply, "ledger"));
	assert_int_equal(hook_calls, 2);
	assert_int_equal(count_new() - before, 1);
	hook_result = 0;
	assert_int_equal(send_to(s, "bo@example.org", reply, sizeof reply), SMTP_SENT);
	assert_int_equal(count_new() - before, 2);
	smtp_close(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_on_one_connection),
		cmocka_unit_test(test_delivered_body_intact),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_421_reconnects),
		cmocka_unit_test(test_tempfail_then_accept),
		cmocka_unit_test(test_per_connection),
		cmocka_unit_test(test_last_command),
		cmocka_unit_test(test_invalid_addresses_never_sent),
		cmocka_unit_test(test_connection_refused_is_tempfail),
		cmocka_unit_test(test_open_rejects_bad_options),
		cmocka_unit_test(test_slow_final_reply),
		cmocka_unit_test(test_data_hook),
	};
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
