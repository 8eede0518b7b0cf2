#include "fetch.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef BULLETIN_VERSION
#define BULLETIN_VERSION "dev"
#endif

#define DEFAULT_UA "bulletin/" BULLETIN_VERSION
#define MAX_HEADER_VALUE 512
/* A server that trickles below this rate for this long is given up on,
 * long before the whole-transfer timeout would notice. */
#define LOW_SPEED_BYTES 100L
#define LOW_SPEED_SECONDS 30L

/* One transfer in flight. */
struct xfer {
	CURL *h;
	struct fetch_result *r;
	struct curl_slist *hdrs;
	size_t max_body;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
};

int fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

void fetch_result_free(struct fetch_result *r)
{
	buf_free(&r->body);
	free(r->content_type);
	free(r->etag);
	free(r->last_modified);
	free(r->effective_url);
	memset(r, 0, sizeof *r);
}

static void fail(struct fetch_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct fetch_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r->status = FETCH_FAILED;
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	/* libcurl hands us decoded bytes, so the cap is on what we keep. */
	if (len > x->max_body - x->r->body.len) {
		x->too_big = 1;
		return 0;
	}
	if (buf_append(&x->r->body, p, len))
		return 0;
	return len;
}

/* A header value we keep, or NULL: trimmed, bounded, no control bytes
 * (it may travel back out in a request header later). */
static char *header_value(const char *p, size_t len)
{
	while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' ' ||
		       p[len - 1] == '\t'))
		len--;
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (len == 0 || len > MAX_HEADER_VALUE)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return NULL;
	}
	return strndup(p, len);
}

static int header_is(const char *p, size_t len, const char *name, size_t *vstart)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return 0;
	*vstart = nl + 1;
	return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n, v;
	/* Every response (each redirect hop, a 100 Continue, a proxy's
	 * CONNECT answer) starts with a status line: forget what an earlier
	 * response said so only the final one's validators survive. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(x->r->etag);
		free(x->r->last_modified);
		x->r->etag = x->r->last_modified = NULL;
	} else if (header_is(p, len, "etag", &v)) {
		free(x->r->etag);
		x->r->etag = header_value(p + v, len - v);
	} else if (header_is(p, len, "last-modified", &v)) {
		free(x->r->last_modified);
		x->r->last_modified = header_value(p + v, len - v);
	}
	return len;
}

/* A conditional request header, unless the stored value could smuggle
 * another header in. */
static int add_header(struct xfer *x, const char *name, const char *value)
{
	if (!value || !*value || strlen(value) > MAX_HEADER_VALUE)
		return 0;
	for (const char *c = value; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	char line[MAX_HEADER_VALUE + 64];
	snprintf(line, sizeof line, "%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(x->hdrs, line);
	if (!l)
		return -1;
	x->hdrs = l;
	return 0;
}

struct limits {
	const char *ua;
	long connect_timeout, timeout, max_redirects;
	size_t max_body;
};

/* Sets up the easy handle; on failure the result says why. */
static int setup(struct xfer *x, const struct fetch_req *req, const struct limits *lim)
{
	if (!req->url)
		return fail(x->r, "%s", "no URL"), -1;
	if (!(x->h = curl_easy_init()))
		return fail(x->r, "%s", "libcurl: out of memory"), -1;
	if (add_header(x, "If-None-Match", req->etag) ||
	    add_header(x, "If-Modified-Since", req->last_modified))
		return fail(x->r, "%s", "out of memory"), -1;
	CURL *h = x->h;
	/* The options that keep us safe must take, or the URL is not fetched. */
	CURLcode rc = CURLE_OK;
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK && (rc = curl_easy_setopt(h, opt, val)) != CURLE_OK) { \
			fail(x->r, "libcurl refused " #opt ": %s", curl_easy_strerror(rc)); \
			return -1; \
		} \
	} while (0)
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, lim->max_redirects);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl decodes */
	SET(CURLOPT_USERAGENT, lim->ua);
	SET(CURLOPT_CONNECTTIMEOUT, lim->connect_timeout);
	SET(CURLOPT_TIMEOUT, lim->timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)x);
	if (x->hdrs)
		SET(CURLOPT_HTTPHEADER, x->hdrs);
#undef SET
	/* Only a preference: an old libcurl without HTTP/2 still works. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	return 0;
}

static char *info_str(CURL *h, CURLINFO what)
{
	char *s = NULL;
	if (curl_easy_getinfo(h, what, &s) != CURLE_OK || !s)
		return NULL;
	return strndup(s, strlen(s) > 4096 ? 4096 : strlen(s));
}

static void finish(struct xfer *x, CURLcode rc)
{
	struct fetch_result *r = x->r;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->http_code);
	r->effective_url = info_str(x->h, CURLINFO_EFFECTIVE_URL);
	char *ct = info_str(x->h, CURLINFO_CONTENT_TYPE);
	if (ct) {
		r->content_type = header_value(ct, strlen(ct));
		free(ct);
	}
	r->error[0] = '\0';
	if (rc == CURLE_OK && r->http_code >= 200 && r->http_code < 300) {
		r->status = FETCH_OK;
		return;
	}
	if (rc == CURLE_OK && r->http_code == 304) {
		r->status = FETCH_NOT_MODIFIED;
	} else if (rc == CURLE_OK) {
		r->status = FETCH_FAILED;
		snprintf(r->error, sizeof r->error, "HTTP %ld", r->http_code);
	} else if (x->too_big) {
		r->status = FETCH_FAILED;
		snprintf(r->error, sizeof r->error, "body larger than %zu bytes", x->max_body);
	} else {
		fail(r, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	}
	/* Nothing to parse: do not hold a possibly large error page. */
	buf_free(&r->body);
}

static void xfer_end(CURLM *m, struct xfer *x)
{
	if (x->h) {
		if (m)
			curl_multi_remove_handle(m, x->h);
		curl_easy_cleanup(x->h);
	}
	curl_slist_free_all(x->hdrs);
	x->h = NULL;
	x->hdrs = NULL;
}

int fetch_all(const struct fetch_opts *opts, const struct fetch_req *reqs, size_t n,
	      struct fetch_result *results)
{
	struct fetch_opts none = {0};
	if (!opts)
		opts = &none;
	long max_parallel = opts->max_parallel > 0 ? opts->max_parallel : 16;
	long max_per_host = opts->max_per_host > 0 ? opts->max_per_host : 2;
	struct limits lim = {
		.ua = opts->user_agent ? opts->user_agent : DEFAULT_UA,
		.connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout : 15,
		.timeout = opts->timeout > 0 ? opts->timeout : 60,
		.max_redirects = opts->max_redirects > 0 ? opts->max_redirects : 5,
		.max_body = opts->max_body > 0 ? opts->max_body : (size_t)10 << 20,
	};
	/* Until a transfer finishes its result says it never did. */
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof results[i]);
		fail(&results[i], "%s", "not fetched");
	}
	if (n == 0)
		return 0;

	struct xfer *xs = calloc(n, sizeof *xs);
	CURLM *m = curl_multi_init();
	if (!xs || !m) {
		for (size_t i = 0; i < n; i++)
			fail(&results[i], "%s", "libcurl: could not set up the transfers");
		free(xs);
		if (m)
			curl_multi_cleanup(m);
		return -1;
	}
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_parallel);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, max_per_host);

	int ret = 0;
	size_t next = 0;
	long active = 0; /* our own count: never more than max_parallel added */
	CURLMcode mc = CURLM_OK;
	for (;;) {
		while (active < max_parallel && next < n) {
			struct xfer *x = &xs[next];
			x->r = &results[next];
			x->max_body = lim.max_body;
			if (setup(x, &reqs[next++], &lim)) {
				xfer_end(NULL, x);
				continue;
			}
			CURLMcode ac = curl_multi_add_handle(m, x->h);
			if (ac != CURLM_OK) {
				fail(x->r, "libcurl: %s", curl_multi_strerror(ac));
				xfer_end(NULL, x);
				continue;
			}
			active++;
		}
		if (active == 0)
			break;
		int running = 0;
		if ((mc = curl_multi_perform(m, &running)) != CURLM_OK)
			break;
		int finished = 0, left;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *h = msg->easy_handle;
			CURLcode rc = msg->data.result; /* msg is invalid after removal */
			char *priv = NULL;
			curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
			struct xfer *x = (struct xfer *)(void *)priv;
			finish(x, rc);
			xfer_end(m, x);
			active--;
			finished++;
		}
		if (finished)
			continue; /* start the next ones before waiting */
		if ((mc = curl_multi_poll(m, NULL, 0, 1000, NULL)) != CURLM_OK)
			break;
	}
	if (mc != CURLM_OK) {
		/* libcurl itself broke down: whatever is unfinished fails. */
		for (size_t i = 0; i < n; i++) {
			if (xs[i].h) {
				fail(&results[i], "libcurl: %s", curl_multi_strerror(mc));
				buf_free(&results[i].body);
			}
		}
		for (size_t i = next; i < n; i++)
			fail(&results[i], "libcurl: %s", curl_multi_strerror(mc));
		ret = -1;
	}
	for (size_t i = 0; i < n; i++)
		xfer_end(m, &xs[i]);
	curl_multi_cleanup(m);
	free(xs);
	return ret;
}
