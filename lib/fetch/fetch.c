#include "fetch/fetch.h"

#include <curl/curl.h>
#include <idn2.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifndef BULLETIN_VERSION
#define BULLETIN_VERSION "dev"
#endif

#define DEFAULT_UA "bulletin/" BULLETIN_VERSION
#define MAX_HEADER_VALUE 512
/* A server that trickles below this rate for this long is given up on,
 * long before the whole-transfer timeout would notice. */
#define LOW_SPEED_BYTES 100L
/* No single backoff grows past this, whatever retry_base_ms says. */
#define MAX_BACKOFF_MS (10L * 60 * 1000)

/* One request: in flight, waiting for a retry, or done. */
struct xfer {
	CURL *h;
	struct fetch_result *r;
	struct curl_slist *hdrs;
	size_t max_body;
	int too_big;
	int permanent;      /* a 301 or 308 hop was followed in this attempt */
	long retry_after;   /* seconds, from the latest response; -1 when absent */
	long long due_ms;   /* while waiting: when to start the next attempt */
	struct xfer *next_retry;
	enum { X_NEW, X_ACTIVE, X_WAITING, X_DONE } state;
	size_t host;        /* index into the per-host counts; n = no limit */
	const char *url;    /* as configured, for messages and effective_url */
	char *ascii_url;    /* what libcurl gets: an international host as punycode */
	int https_only;     /* an https URL: redirects to http are refused */
	char *location;     /* the latest response's Location, to name a refused
			     * downgrade */
	long long announced; /* its Content-Length; -1 when absent */
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
	free(r->moved_to);
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

/* The code of a status line ("HTTP/1.1 301 Moved", "HTTP/2 308"), or 0. */
static long status_code(const char *p, size_t len)
{
	size_t i = 5;
	while (i < len && p[i] != ' ')
		i++;
	if (len - i < 4 || p[i] != ' ')
		return 0;
	long code = 0;
	for (size_t k = i + 1; k < i + 4; k++) {
		if (p[k] < '0' || p[k] > '9')
			return 0;
		code = code * 10 + (p[k] - '0');
	}
	return code;
}

/* Retry-After in seconds from now: delta-seconds or an HTTP-date; -1 when
 * it is neither. A date in the past means now. */
static long parse_retry_after(const char *p, size_t len)
{
	char *v = header_value(p, len);
	if (!v)
		return -1;
	long secs = -1;
	if (v[0] >= '0' && v[0] <= '9') {
		char *end;
		unsigned long long d = strtoull(v, &end, 10);
		if (*end == '\0')
			secs = d > LONG_MAX / 1000 ? LONG_MAX / 1000 : (long)d;
	} else {
		time_t t = curl_getdate(v, NULL);
		if (t != -1) {
			time_t now = time(NULL);
			secs = t <= now ? 0 : t - now > LONG_MAX / 1000 ? LONG_MAX / 1000 : (long)(t - now);
		}
	}
	free(v);
	return secs;
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
		free(x->location);
		x->location = NULL;
		x->announced = -1;
		x->retry_after = -1;
		/* A 301/308 that is the final answer (not followed) fails the
		 * fetch, so moved_to is only ever reported for a followed hop. */
		long code = status_code(p, len);
		if (code == 301 || code == 308)
			x->permanent = 1;
	} else if (header_is(p, len, "retry-after", &v)) {
		x->retry_after = parse_retry_after(p + v, len - v);
	} else if (header_is(p, len, "etag", &v)) {
		free(x->r->etag);
		x->r->etag = header_value(p + v, len - v);
	} else if (header_is(p, len, "last-modified", &v)) {
		free(x->r->last_modified);
		x->r->last_modified = header_value(p + v, len - v);
	} else if (header_is(p, len, "location", &v)) {
		free(x->location);
		x->location = header_value(p + v, len - v);
	} else if (header_is(p, len, "content-length", &v)) {
		/* Only to name it when MAXFILESIZE refuses the body. */
		char *cl = header_value(p + v, len - v), *end;
		x->announced = cl ? strtoll(cl, &end, 10) : -1;
		if (!cl || *end || x->announced < 0)
			x->announced = -1;
		free(cl);
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
	long connect_timeout, timeout, max_redirects, low_speed_time;
	size_t max_body;
	int max_retries;
	long retry_base_ms, retry_after_max;
	struct curl_slist *resolve; /* test hook */
	const char *ca_file;        /* test hook */
};

static int has_prefix_ci(const char *s, const char *prefix)
{
	return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The URL libcurl is given: an international host name converted to
 * punycode here with libidn2 (IDNA2008 with the UTS #46 mapping, so
 * upper-case letters fold), because libcurl converts through the locale's
 * charset and bulletin runs in the C locale, where every non-ASCII host
 * fails. A URL libcurl cannot parse is returned unchanged, for libcurl to
 * refuse with its own message. NULL with why set when the host is not a
 * valid international name, or memory ran out. */
static char *url_to_ascii(const char *url, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *host = NULL, *ace = NULL, *s = NULL, *out = NULL;
	why[0] = '\0';
	int ascii = 1;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, CURLU_URLDECODE) == CURLUE_OK && host)
		for (const char *c = host; *c; c++)
			ascii &= (unsigned char)*c < 0x80;
	if (!u) {
		/* out of memory: said below */
	} else if (ascii) {
		out = strdup(url);
	} else {
		int rc = idn2_to_ascii_8z(host, &ace, IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) /* a few names only the older IDNA2003 rules allow */
			rc = idn2_to_ascii_8z(host, &ace, IDN2_TRANSITIONAL);
		if (rc != IDN2_OK)
			snprintf(why, whylen, "host name \"%.200s\" is not a valid international "
				 "domain name (%s)", host, idn2_strerror(rc));
		else if (curl_url_set(u, CURLUPART_HOST, ace, 0) != CURLUE_OK ||
			 curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK || !s)
			snprintf(why, whylen, "host name \"%.200s\" (%s) is not usable", host, ace);
		else
			out = strdup(s);
	}
	if (!out && !why[0])
		snprintf(why, whylen, "out of memory");
	curl_free(s);
	idn2_free(ace);
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

/* Sets up the easy handle; on failure the result says why. */
static int setup(struct xfer *x, const struct fetch_req *req, const struct limits *lim)
{
	if (!req->url)
		return fail(x->r, "%s", "no URL"), -1;
	if (!x->ascii_url) {
		char why[320];
		if (!(x->ascii_url = url_to_ascii(req->url, why, sizeof why)))
			return fail(x->r, "%s", why), -1;
	}
	x->url = req->url;
	x->https_only = has_prefix_ci(x->ascii_url, "https:") && !req->allow_downgrade;
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
	SET(CURLOPT_URL, x->ascii_url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* Leaving https for http would hand the feed to anyone on the path. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, x->https_only ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, lim->max_redirects);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl decodes */
	SET(CURLOPT_USERAGENT, lim->ua);
	/* Refused on the announced Content-Length, before a byte of the body;
	 * on_body still caps what arrives without one, or decoded. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_body);
	SET(CURLOPT_CONNECTTIMEOUT, lim->connect_timeout);
	SET(CURLOPT_TIMEOUT, lim->timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, lim->low_speed_time);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)x);
	if (x->hdrs)
		SET(CURLOPT_HTTPHEADER, x->hdrs);
	if (lim->resolve)
		SET(CURLOPT_RESOLVE, lim->resolve);
	if (lim->ca_file)
		SET(CURLOPT_CAINFO, lim->ca_file);
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

/* Worth another attempt: the network or the server may do better later.
 * Our own size-cap abort is CURLE_WRITE_ERROR, a refused protocol or a
 * redirect loop are final by their codes, and other 4xx are final. */
static int retryable(CURLcode rc, long http_code)
{
	switch (rc) {
	case CURLE_OK:
		return http_code == 429 || (http_code >= 500 && http_code <= 599);
	case CURLE_OPERATION_TIMEDOUT: /* includes the low-speed abort */
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Appends " (after N attempts)" when there was more than one. */
static void note_attempts(struct fetch_result *r)
{
	size_t len = strlen(r->error);
	if (r->attempts > 1 && len < sizeof r->error)
		snprintf(r->error + len, sizeof r->error - len, " (after %d attempts)",
			 r->attempts);
}

/* What a TLS failure means, for a chair who does not read libcurl's
 * words; NULL when rc is not one. msg is libcurl's text, which tells the
 * kinds of CURLE_PEER_FAILED_VERIFICATION apart (GnuTLS and OpenSSL word
 * them differently, so only stable fragments are looked at). */
static const char *tls_meaning(CURLcode rc, const char *msg)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(msg, "expir"))
			return "the site's certificate has expired; the site must renew it";
		if (strstr(msg, "name") && (strstr(msg, "match") || strstr(msg, "mismatch")))
			return "the site's certificate is for another name; the address may be "
			       "wrong, or the site misconfigured";
		return "the site's certificate is not trusted by this machine; the site may be "
		       "misconfigured, or something is intercepting the connection";
	case CURLE_SSL_CONNECT_ERROR:
		return "no secure connection could be set up with the site; it may use outdated "
		       "encryption, or something is interfering with the connection";
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		return "this machine's list of trusted certificates could not be read; check "
		       "that the ca-certificates package is installed";
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return "the site's certificate failed a check; the site may be misconfigured, or "
		       "something is intercepting the connection";
	default:
		return NULL;
	}
}

static void finish(struct xfer *x, CURLcode rc)
{
	struct fetch_result *r = x->r;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->http_code);
	/* Not redirected: the URL as given, so an international host reads
	 * as its name and not as punycode. */
	long hops = 0;
	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_COUNT, &hops);
	r->effective_url = hops == 0 && x->url ? strdup(x->url)
					       : info_str(x->h, CURLINFO_EFFECTIVE_URL);
	char *ct = info_str(x->h, CURLINFO_CONTENT_TYPE);
	if (ct) {
		r->content_type = header_value(ct, strlen(ct));
		free(ct);
	}
	r->error[0] = '\0';
	/* A move to http is never recommended: the source keeps its https URL
	 * even where allow_downgrade lets this fetch follow it. */
	int moved = x->permanent && r->effective_url &&
		    !(has_prefix_ci(x->url, "https:") && has_prefix_ci(r->effective_url, "http:"));
	if (rc == CURLE_OK && r->http_code >= 200 && r->http_code < 300) {
		r->status = FETCH_OK;
		if (moved)
			r->moved_to = strdup(r->effective_url);
		return;
	}
	const char *curl_msg = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	const char *meaning = tls_meaning(rc, curl_msg);
	if (rc == CURLE_OK && r->http_code == 304) {
		r->status = FETCH_NOT_MODIFIED;
		if (moved)
			r->moved_to = strdup(r->effective_url);
	} else if (rc == CURLE_OK) {
		r->status = FETCH_FAILED;
		snprintf(r->error, sizeof r->error, "HTTP %ld", r->http_code);
	} else if (x->too_big) {
		r->status = FETCH_FAILED;
		snprintf(r->error, sizeof r->error, "body larger than %zu bytes", x->max_body);
	} else if (rc == CURLE_FILESIZE_EXCEEDED) {
		if (x->announced >= 0)
			fail(r, "body larger than %zu bytes (the server announced %lld), not "
				"downloaded", x->max_body, x->announced);
		else
			fail(r, "body larger than %zu bytes, not downloaded", x->max_body);
	} else if (rc == CURLE_UNSUPPORTED_PROTOCOL && x->https_only &&
		   has_prefix_ci(x->location, "http:")) {
		/* The server's bytes, ASCII only: the message goes to logs,
		 * the store and the chair's JSON model. */
		char loc[301];
		size_t k = 0;
		for (const unsigned char *c = (const unsigned char *)x->location;
		     *c && k + 3 < sizeof loc; c++) {
			if (*c < 0x80)
				loc[k++] = (char)*c;
			else
				k += (size_t)snprintf(loc + k, sizeof loc - k, "%%%02X", *c);
		}
		loc[k] = '\0';
		fail(r, "refused a redirect from https to unencrypted http (%s)", loc);
	} else if (meaning) {
		fail(r, "%.200s (%s)", curl_msg, meaning);
	} else {
		fail(r, "%s", curl_msg);
	}
	note_attempts(r);
	/* Nothing to parse: do not hold a possibly large error page. */
	buf_free(&r->body);
}

/* Forgets what a failed attempt left behind; the easy handle keeps its
 * options and starts afresh when it is added to the multi handle again. */
static void reset_attempt(struct xfer *x)
{
	struct fetch_result *r = x->r;
	buf_free(&r->body);
	free(r->etag);
	free(r->last_modified);
	r->etag = r->last_modified = NULL;
	r->http_code = 0;
	free(x->location);
	x->location = NULL;
	x->too_big = 0;
	x->permanent = 0;
	x->retry_after = -1;
	x->announced = -1;
	x->errbuf[0] = '\0';
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64: jitter only needs to keep retries from marching in step. */
static uint64_t jitter_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* retry_base_ms * 2^(attempt-1), then +-25 %. */
static long backoff_ms(const struct limits *lim, int attempt, uint64_t *rng)
{
	long ms = lim->retry_base_ms;
	for (int i = 1; i < attempt && ms < MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > MAX_BACKOFF_MS)
		ms = MAX_BACKOFF_MS;
	long spread = ms / 2; /* the width of +-25 % */
	if (spread > 0)
		ms += (long)(jitter_next(rng) % (uint64_t)(spread + 1)) - spread / 2;
	return ms;
}

/* Keeps the waiting list ordered by due time, earliest first. */
static void retry_insert(struct xfer **head, struct xfer *x)
{
	while (*head && (*head)->due_ms <= x->due_ms)
		head = &(*head)->next_retry;
	x->next_retry = *head;
	*head = x;
}

/* After an attempt ended with rc: 1 when another attempt is scheduled,
 * 0 when the result is final (and filled in). */
static int attempt_done(struct xfer *x, CURLcode rc, const struct limits *lim,
			uint64_t *rng, struct xfer **waiting)
{
	struct fetch_result *r = x->r;
	long code = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (x->too_big || r->attempts > lim->max_retries || !retryable(rc, code)) {
		finish(x, rc);
		return 0;
	}
	long wait = backoff_ms(lim, r->attempts, rng);
	if (rc == CURLE_OK && x->retry_after >= 0) {
		if (x->retry_after > lim->retry_after_max) {
			long ra = x->retry_after;
			finish(x, rc);
			snprintf(r->error, sizeof r->error,
				 "HTTP %ld, Retry-After %ld s is longer than %ld s", code, ra,
				 lim->retry_after_max);
			note_attempts(r);
			return 0;
		}
		/* The server's "not before" wins over a shorter backoff. */
		if (x->retry_after * 1000 > wait)
			wait = x->retry_after * 1000;
	}
	reset_attempt(x);
	x->due_ms = now_ms() + wait;
	retry_insert(waiting, x);
	return 1;
}

static void xfer_end(CURLM *m, struct xfer *x)
{
	if (x->h) {
		if (m)
			curl_multi_remove_handle(m, x->h);
		curl_easy_cleanup(x->h);
	}
	curl_slist_free_all(x->hdrs);
	free(x->location);
	x->h = NULL;
	x->hdrs = NULL;
	x->location = NULL;
}

/* One URL is final: count it and tell the caller, who may take the
 * body (parse it while the other transfers go on). */
static void report(const struct fetch_opts *opts, struct fetch_result *results, size_t i,
		   size_t *done, size_t *failed, size_t total)
{
	++*done;
	if (results[i].status == FETCH_FAILED)
		++*failed;
	if (opts->on_result)
		opts->on_result(opts->result_ctx, i, &results[i]);
	if (opts->progress)
		opts->progress(opts->progress_ctx, *done, total, *failed);
}

/* The URL's host name, lowercased, or NULL when it has none we can tell. */
static char *url_host(const char *url)
{
	if (!url)
		return NULL;
	CURLU *u = curl_url();
	char *host = NULL, *copy = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		copy = strdup(host);
		for (char *c = copy; c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	curl_free(host);
	curl_url_cleanup(u);
	return copy;
}

/* Numbers the hosts: xs[i].host is the same for the same host name, n
 * for a URL without one (setup will refuse it anyway). Converts each URL
 * for libcurl on the way (a failure is left for setup to report). 0 or -1
 * on OOM. */
static int number_hosts(struct xfer *xs, const struct fetch_req *reqs, size_t n)
{
	char **names = calloc(n, sizeof *names);
	if (!names)
		return -1;
	for (size_t i = 0; i < n; i++) {
		xs[i].host = n;
		if (!reqs[i].url)
			continue;
		char why[320];
		if (!(xs[i].ascii_url = url_to_ascii(reqs[i].url, why, sizeof why)))
			continue;
		if (!(names[i] = url_host(xs[i].ascii_url)))
			continue;
		xs[i].host = i;
		for (size_t k = 0; k < i; k++) {
			if (names[k] && strcmp(names[k], names[i]) == 0) {
				xs[i].host = xs[k].host;
				break;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

struct run {
	CURLM *m;
	const struct fetch_opts *opts;
	long max_parallel, max_per_host;
	long active;      /* in the multi handle: never more than max_parallel */
	long *per_host;   /* in the multi handle, by xfer.host */
	struct fetch_result *results;
	size_t n, done, failed;
};

static int has_room(const struct run *run, const struct xfer *x)
{
	return run->active < run->max_parallel &&
	       (x->host == run->n || run->per_host[x->host] < run->max_per_host);
}

/* Adds x to the multi handle (again, for a retry); on failure its result
 * is final. */
static void start(struct run *run, struct xfer *x)
{
	CURLMcode ac = curl_multi_add_handle(run->m, x->h);
	if (ac != CURLM_OK) {
		fail(x->r, "libcurl: %s", curl_multi_strerror(ac));
		note_attempts(x->r);
		buf_free(&x->r->body);
		xfer_end(NULL, x);
		x->state = X_DONE;
		report(run->opts, run->results, (size_t)(x->r - run->results), &run->done,
		       &run->failed, run->n);
		return;
	}
	x->r->attempts++;
	x->state = X_ACTIVE;
	run->active++;
	if (x->host != run->n)
		run->per_host[x->host]++;
}

static void stopped(struct run *run, struct xfer *x)
{
	curl_multi_remove_handle(run->m, x->h);
	run->active--;
	if (x->host != run->n)
		run->per_host[x->host]--;
}

int fetch_all(const struct fetch_opts *opts, const struct fetch_req *reqs, size_t n,
	      struct fetch_result *results)
{
	struct fetch_opts none = {0};
	if (!opts)
		opts = &none;
	struct limits lim = {
		.ua = opts->user_agent ? opts->user_agent : DEFAULT_UA,
		.connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout : 15,
		.timeout = opts->timeout > 0 ? opts->timeout : 60,
		.max_redirects = opts->max_redirects > 0 ? opts->max_redirects : 5,
		.low_speed_time = opts->low_speed_time > 0 ? opts->low_speed_time : 30,
		.max_body = opts->max_body > 0 ? opts->max_body : (size_t)10 << 20,
		.max_retries = opts->max_retries < 0 ? 0 : opts->max_retries > 0 ? opts->max_retries : 2,
		.retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 1000,
		.retry_after_max = opts->retry_after_max > 0 ? opts->retry_after_max : 120,
		.ca_file = opts->ca_file,
	};
	struct run run = {
		.opts = opts,
		.max_parallel = opts->max_parallel > 0 ? opts->max_parallel : 16,
		.max_per_host = opts->max_per_host > 0 ? opts->max_per_host : 2,
		.n = n,
		.results = results,
	};
	/* Until a transfer finishes its result says it never did. */
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof results[i]);
		fail(&results[i], "%s", "not fetched");
	}
	if (n == 0)
		return 0;

	struct xfer *xs = calloc(n, sizeof *xs);
	run.per_host = calloc(n, sizeof *run.per_host);
	run.m = curl_multi_init();
	int resolve_ok = 1;
	for (const char *const *e = opts->resolve; e && *e && resolve_ok; e++) {
		struct curl_slist *l = curl_slist_append(lim.resolve, *e);
		resolve_ok = l != NULL;
		if (l)
			lim.resolve = l;
	}
	if (!xs || !run.per_host || !run.m || !resolve_ok || number_hosts(xs, reqs, n)) {
		for (size_t i = 0; i < n; i++)
			fail(&results[i], "%s", "libcurl: could not set up the transfers");
		for (size_t i = 0; xs && i < n; i++)
			free(xs[i].ascii_url);
		free(xs);
		free(run.per_host);
		curl_slist_free_all(lim.resolve);
		if (run.m)
			curl_multi_cleanup(run.m);
		return -1;
	}
	CURLM *m = run.m;
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, run.max_parallel);
	/* The per-host limit is ours: at most max_per_host requests to a host
	 * name are in the multi handle at once, whether they travel over
	 * separate HTTP/1.1 connections or as streams multiplexed on one
	 * HTTP/2 connection. We do not leave the queueing to libcurl, because
	 * a handle it keeps pending for a host slot is already spending its
	 * CURLOPT_TIMEOUT (curl issue 4486): a slow host would time out its
	 * own queued sources. libcurl's connection limit stays as a backstop
	 * for redirects to another host, which our count cannot foresee. */
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, run.max_per_host);

	uint64_t rng = (uint64_t)now_ms() * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)getpid() ^
		       (uint64_t)(uintptr_t)xs;
	if (!rng)
		rng = 1;
	int ret = 0;
	size_t first_new = 0;        /* xs before it are all started */
	struct xfer *waiting = NULL; /* retries, earliest due first */
	CURLMcode mc = CURLM_OK;
	for (;;) {
		/* Retries that are due go first: they have waited already. */
		long long now = now_ms();
		for (struct xfer **p = &waiting; *p && (*p)->due_ms <= now;) {
			struct xfer *x = *p;
			if (!has_room(&run, x)) {
				p = &x->next_retry;
				continue;
			}
			*p = x->next_retry;
			x->next_retry = NULL;
			start(&run, x);
		}
		/* Then new requests in order, skipping those whose host is busy. */
		while (first_new < n && xs[first_new].state != X_NEW)
			first_new++;
		for (size_t i = first_new; i < n && run.active < run.max_parallel; i++) {
			struct xfer *x = &xs[i];
			if (x->state != X_NEW || !has_room(&run, x))
				continue;
			x->r = &results[i];
			x->max_body = lim.max_body;
			x->retry_after = -1;
			x->announced = -1;
			if (setup(x, &reqs[i], &lim)) {
				xfer_end(NULL, x);
				x->state = X_DONE;
				report(opts, results, i, &run.done, &run.failed, n);
				continue;
			}
			start(&run, x);
		}
		if (run.done == n)
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
			stopped(&run, x);
			finished++;
			if (attempt_done(x, rc, &lim, &rng, &waiting)) {
				x->state = X_WAITING;
				continue;
			}
			xfer_end(NULL, x);
			x->state = X_DONE;
			report(opts, results, (size_t)(x->r - results), &run.done, &run.failed, n);
		}
		if (finished)
			continue; /* start the next ones (or retries) before waiting */
		/* Wake for the next retry to come due. One already due is
		 * waiting for a slot, which only a finished transfer frees (and
		 * its socket activity ends the poll). */
		long wait = 1000;
		now = now_ms();
		for (struct xfer *x = waiting; x; x = x->next_retry) {
			if (x->due_ms > now) {
				if (x->due_ms - now < wait)
					wait = (long)(x->due_ms - now);
				break;
			}
		}
		if ((mc = curl_multi_poll(m, NULL, 0, (int)wait, NULL)) != CURLM_OK)
			break;
	}
	if (mc != CURLM_OK) {
		/* libcurl itself broke down: whatever is unfinished fails. */
		for (size_t i = 0; i < n; i++) {
			if (xs[i].state != X_DONE) {
				fail(&results[i], "libcurl: %s", curl_multi_strerror(mc));
				buf_free(&results[i].body);
			}
		}
		ret = -1;
	}
	for (size_t i = 0; i < n; i++) {
		xfer_end(m, &xs[i]);
		free(xs[i].ascii_url);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(lim.resolve);
	free(run.per_host);
	free(xs);
	return ret;
}
