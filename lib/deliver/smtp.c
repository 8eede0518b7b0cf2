/* SMTP submission with libcurl: one easy handle per session so the
 * connection (and its TLS session) is reused from message to message. */
#include "deliver/smtp.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/address.h"

struct smtp_session {
	CURL *h;
	char *url, *username, *password, *ca_file;
	int use_ssl, verify_tls;
	long timeout, per_connection;
	long data_timeout;    /* seconds for the reply to the final "." */
	long on_conn;         /* transactions on the current connection */
	long connections;     /* connections opened so far */
	int reconnect;        /* the server closed (or will close) the connection */
	int replies;          /* replies read during the current transfer */
	char errbuf[CURL_ERROR_SIZE];
	char last_reply[512]; /* last line the server sent */
	char last_cmd[12];    /* verb of the last command we sent */
	/* The first 4xx/5xx reply of a transaction and the command it
	 * answered: libcurl sends QUIT after a failure, so the last reply
	 * is then only "221 Bye". */
	char fail_reply[512];
	char fail_cmd[12];
	long fail_code;
	const char *msg;      /* the message being uploaded */
	size_t len, off;
	int (*data_hook)(void *);
	void *hook_ctx;
	/* This transaction: the body started (after 354), all of it handed
	 * over (the final "." follows), replies read by then, the hook
	 * refused, our own clock ran out. */
	int body_started, body_done, replies_at_dot, hook_failed, timed_out;
	double t_start, t_dot;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
	struct smtp_session *s = ud;
	if (!s->body_started) {
		s->body_started = 1;
		if (s->data_hook && s->data_hook(s->hook_ctx) < 0) {
			s->hook_failed = 1;
			return CURL_READFUNC_ABORT;
		}
	}
	size_t room = size * nmemb, left = s->len - s->off;
	size_t n = left < room ? left : room;
	memcpy(dst, s->msg + s->off, n);
	s->off += n;
	if (s->off == s->len && !s->body_done) {
		/* The last bytes are libcurl's now (it knows the size and may
		 * not ask again), then the final ".": from here on, silence is
		 * not a failure but an unknown. */
		s->body_done = 1;
		s->replies_at_dot = s->replies;
		s->t_dot = now_mono();
	}
	return n;
}

/* Our two clocks: timeout up to the last byte of the message, then
 * data_timeout for the reply to the final "." (libcurl has one total). */
static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct smtp_session *s = ud;
	double now = now_mono();
	if (s->body_done ? now - s->t_dot > (double)s->data_timeout
			 : now - s->t_start > (double)s->timeout) {
		s->timed_out = 1;
		return 1;
	}
	return 0;
}

/* Keeps the server's last reply line and the verb of our last command:
 * libcurl reports "RCPT failed: 550" only as text, and which step a 5xx
 * came from decides between "this member" and "this whole run". */
static int debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	(void)h;
	struct smtp_session *s = ud;
	if (type == CURLINFO_HEADER_IN) {
		/* One or more lines; keep the last non-empty one. */
		size_t end = size;
		while (end > 0 && (data[end - 1] == '\r' || data[end - 1] == '\n'))
			end--;
		if (end == 0)
			return 0;
		size_t start = end;
		while (start > 0 && data[start - 1] != '\n')
			start--;
		size_t n = end - start;
		if (n >= sizeof s->last_reply)
			n = sizeof s->last_reply - 1;
		/* Server text is outside data: keep it printable. */
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)data[start + i];
			s->last_reply[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
		}
		s->last_reply[n] = '\0';
		s->replies++;
		if (!s->fail_code && n >= 3 && (s->last_reply[0] == '4' || s->last_reply[0] == '5') &&
		    isdigit((unsigned char)s->last_reply[1]) && isdigit((unsigned char)s->last_reply[2])) {
			s->fail_code = (s->last_reply[0] - '0') * 100 + (s->last_reply[1] - '0') * 10 +
				       (s->last_reply[2] - '0');
			memcpy(s->fail_reply, s->last_reply, n + 1);
			memcpy(s->fail_cmd, s->last_cmd, sizeof s->fail_cmd);
		}
	} else if (type == CURLINFO_HEADER_OUT) {
		size_t i = 0;
		for (; i < size && i < sizeof s->last_cmd - 1 && isalpha((unsigned char)data[i]); i++)
			s->last_cmd[i] = (char)toupper((unsigned char)data[i]);
		s->last_cmd[i] = '\0';
	}
	return 0;
}

/* EHLO name: a host name or address literal, nothing that could end the
 * command line or change the URL. */
static int helo_valid(const char *s)
{
	if (!*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-[]:", *s))
			return 0;
	return 1;
}

static char *dupz(const char *s) { return s ? strdup(s) : NULL; }

void smtp_close(struct smtp_session *s)
{
	if (!s)
		return;
	if (s->h)
		curl_easy_cleanup(s->h); /* sends QUIT on an open connection */
	free(s->url);
	free(s->username);
	free(s->ca_file);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

/* A fresh easy handle: dropping the old one is how a connection is closed
 * for good (libcurl would otherwise keep a dead one in its cache). */
static CURLcode new_handle(struct smtp_session *s)
{
	if (s->h)
		curl_easy_cleanup(s->h);
	s->on_conn = 0;
	s->reconnect = 0;
	CURL *h = s->h = curl_easy_init();
	if (!h)
		return CURLE_OUT_OF_MEMORY;
	CURLcode rc = CURLE_OK;
#define SET(opt, val)                                    \
	do {                                             \
		if (rc == CURLE_OK)                      \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, s->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_CONNECTTIMEOUT, s->timeout < 30 ? s->timeout : 30L);
	/* A backstop only: progress_cb keeps the two real limits. */
	SET(CURLOPT_TIMEOUT, s->timeout + s->data_timeout + 60);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, (s->timeout > s->data_timeout ? s->timeout : s->data_timeout) + 30);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
	SET(CURLOPT_XFERINFODATA, s);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, read_cb);
	SET(CURLOPT_READDATA, s);
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_VERBOSE, 1L); /* the debug callback needs it; nothing is printed */
	SET(CURLOPT_USE_SSL, s->use_ssl ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	SET(CURLOPT_SSL_VERIFYPEER, s->verify_tls ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, s->verify_tls ? 2L : 0L);
	if (s->ca_file)
		SET(CURLOPT_CAINFO, s->ca_file);
	if (s->username) {
		SET(CURLOPT_USERNAME, s->username);
		SET(CURLOPT_PASSWORD, s->password ? s->password : "");
	}
#undef SET
	return rc;
}

int smtp_open(const struct smtp_opts *o, struct smtp_session **out, struct err *err)
{
	*out = NULL;
	if (!o->url)
		return err_set(err, "smtp: no server URL");
	int smtps = strncmp(o->url, "smtps://", 8) == 0;
	if (!smtps && strncmp(o->url, "smtp://", 7) != 0)
		return err_set(err, "smtp: %s: the URL must start with smtp:// or smtps://", o->url);
	const char *host = o->url + (smtps ? 8 : 7);
	if (!*host || strpbrk(o->url, " \t\r\n") || strchr(host, '/') || strchr(host, '?'))
		return err_set(err, "smtp: %s: expected smtp[s]://host[:port] and nothing more",
			       o->url);
	if (o->helo_name && !helo_valid(o->helo_name))
		return err_set(err, "smtp: helo name \"%.80s\" is not a host name", o->helo_name);
	if (o->username && strpbrk(o->username, "\r\n"))
		return err_set(err, "smtp: user name contains a line break");
	if (o->password && strpbrk(o->password, "\r\n"))
		return err_set(err, "smtp: password contains a line break");
	if (o->ca_file && access(o->ca_file, R_OK) != 0)
		return err_set(err, "smtp: ca_file %s: %s", o->ca_file, strerror(errno));

	struct smtp_session *s = calloc(1, sizeof *s);
	if (!s)
		return err_set(err, "smtp: out of memory");
	/* libcurl takes the EHLO name from the URL path. */
	size_t ul = strlen(o->url) + (o->helo_name ? strlen(o->helo_name) : 0) + 2;
	s->url = malloc(ul);
	s->username = dupz(o->username);
	s->password = dupz(o->password);
	s->ca_file = dupz(o->ca_file);
	if (!s->url || (o->username && !s->username) || (o->password && !s->password) ||
	    (o->ca_file && !s->ca_file)) {
		smtp_close(s);
		return err_set(err, "smtp: out of memory");
	}
	snprintf(s->url, ul, "%s%s%s", o->url, o->helo_name ? "/" : "",
		 o->helo_name ? o->helo_name : "");
	s->use_ssl = o->starttls || smtps;
	s->verify_tls = o->verify_tls;
	s->timeout = o->timeout > 0 ? o->timeout : 60;
	s->data_timeout = o->data_timeout > 0 ? o->data_timeout : 600;
	s->per_connection = o->per_connection > 0 ? o->per_connection : 0;
	CURLcode rc = new_handle(s);
	if (rc != CURLE_OK) {
		int r = err_set(err, "smtp: %s: %s", o->url, curl_easy_strerror(rc));
		smtp_close(s);
		return r;
	}
	*out = s;
	return 0;
}

const char *smtp_last_command(const struct smtp_session *s)
{
	return s->fail_code ? s->fail_cmd : s->replies ? s->last_cmd : "";
}

long smtp_connections(const struct smtp_session *s) { return s->connections; }

void smtp_set_data_hook(struct smtp_session *s, int (*fn)(void *ctx), void *ctx)
{
	s->data_hook = fn;
	s->hook_ctx = ctx;
}

/* reply = a, or "a (b)" when b is given. */
static void put_reply(char *reply, size_t replylen, const char *a, const char *b)
{
	if (!reply || replylen == 0)
		return;
	if (b)
		snprintf(reply, replylen, "%s (%s)", a, b);
	else
		snprintf(reply, replylen, "%s", a);
}

/* One transaction on the current connection (opened as needed). */
static CURLcode perform(struct smtp_session *s, const char *mfrom, struct curl_slist *rl,
			const char *msg, size_t len, long *new_conns)
{
	*new_conns = 0;
	if (!s->h || s->reconnect || (s->per_connection && s->on_conn >= s->per_connection)) {
		CURLcode rc = new_handle(s);
		if (rc != CURLE_OK)
			return rc;
	}
	s->msg = msg;
	s->len = len;
	s->off = 0;
	s->errbuf[0] = '\0';
	s->last_reply[0] = '\0';
	s->last_cmd[0] = '\0';
	s->fail_reply[0] = '\0';
	s->fail_cmd[0] = '\0';
	s->fail_code = 0;
	s->replies = 0;
	s->body_started = s->body_done = s->replies_at_dot = s->hook_failed = s->timed_out = 0;
	s->t_start = now_mono();
	curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(s->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	CURLcode rc = curl_easy_perform(s->h);
	/* The handle must not keep pointers to our stack or the message. */
	curl_easy_setopt(s->h, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(s->h, CURLOPT_MAIL_FROM, NULL);
	s->msg = NULL;
	curl_easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, new_conns);
	if (*new_conns > 0) {
		s->connections += *new_conns;
		s->on_conn = 0;
	}
	s->on_conn++;
	return rc;
}

enum smtp_result smtp_send(struct smtp_session *s, const char *from, const char *to,
			   const char *msg, size_t len, char *reply, size_t replylen)
{
	if (reply && replylen > 0)
		reply[0] = '\0';
	s->fail_code = 0;
	s->replies = 0;
	/* Addresses reach SMTP commands: nothing but a plain mailbox. */
	if (!from || !mail_address_valid(from)) {
		put_reply(reply, replylen, "invalid sender address", NULL);
		return SMTP_FATAL;
	}
	if (!to || !mail_address_valid(to)) {
		put_reply(reply, replylen, "invalid recipient address", NULL);
		return SMTP_PERMFAIL;
	}
	char mfrom[260], rcpt[260];
	snprintf(mfrom, sizeof mfrom, "<%s>", from);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	struct curl_slist *rl = curl_slist_append(NULL, rcpt);
	if (!rl) {
		put_reply(reply, replylen, "out of memory", NULL);
		return SMTP_TEMPFAIL;
	}
	long fresh = 0;
	CURLcode rc = perform(s, mfrom, rl, msg, len, &fresh);
	if (rc != CURLE_OK && rc != CURLE_OUT_OF_MEMORY && !fresh && s->replies == 0 &&
	    !s->body_started) {
		/* A kept connection the server had closed: not one command was
		 * answered, so nothing was delivered; go again on a new one. */
		s->reconnect = 1;
		rc = perform(s, mfrom, rl, msg, len, &fresh);
	}
	long code = 0;
	if (s->h)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rl);

	const char *srv = s->fail_code ? s->fail_reply : s->last_reply;
	const char *why = srv[0] ? srv
			  : s->errbuf[0]   ? s->errbuf
					   : curl_easy_strerror(rc);
	if (rc == CURLE_OK) {
		put_reply(reply, replylen, why, NULL);
		return SMTP_SENT;
	}
	if (s->hook_failed) {
		s->reconnect = 1; /* the server waits for a message that never comes */
		put_reply(reply, replylen, "stopped before sending: the ledger could not be written",
			  NULL);
		return SMTP_FATAL;
	}
	if (s->body_done && s->replies == s->replies_at_dot) {
		/* The message and its final "." went out; no reply came. The
		 * connection's state is unknown: the next message gets a new one. */
		s->reconnect = 1;
		char why2[300];
		if (s->timed_out)
			snprintf(why2, sizeof why2, "no reply to the end of the message within %ld s",
				 s->data_timeout);
		else
			snprintf(why2, sizeof why2, "the connection ended before the reply to the end "
				 "of the message (%s)", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		put_reply(reply, replylen, why2, "it may have been delivered");
		return SMTP_IN_DOUBT;
	}
	if (s->timed_out)
		snprintf(s->errbuf, sizeof s->errbuf, "no reply within %ld s", s->timeout);
	if (srv[0] && s->errbuf[0])
		put_reply(reply, replylen, srv, s->errbuf);
	else
		put_reply(reply, replylen, why, NULL);

	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		/* Retrying these cannot help until someone fixes the setup. */
		return SMTP_FATAL;
	default:
		break;
	}
	if (s->fail_code)
		code = s->fail_code;
	/* 421 means the server is closing the connection; without any code
	 * the connection broke. Either way the next message needs a new one. */
	if (code == 421 || code < 400 || code >= 600)
		s->reconnect = 1;
	if (code >= 400 && code < 500)
		return SMTP_TEMPFAIL;
	if (code >= 500 && code < 600) {
		/* Only a refusal of this recipient or this message is per member;
		 * a refused sender, greeting or AUTH stops every delivery. */
		const char *cmd = smtp_last_command(s);
		if (strcmp(cmd, "RCPT") == 0 || strcmp(cmd, "DATA") == 0)
			return SMTP_PERMFAIL;
		return SMTP_FATAL;
	}
	/* No SMTP code: the connection broke or timed out. */
	return SMTP_TEMPFAIL;
}
