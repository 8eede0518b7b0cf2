/* Fetching many URLs at once with the libcurl multi interface. */
#ifndef BULLETIN_FETCH_H
#define BULLETIN_FETCH_H

#include <stddef.h>

#include "core/buf.h"

struct fetch_result;

struct fetch_opts {
	const char *user_agent;  /* "bulletin/VERSION (+contact)" */
	long max_parallel;       /* total transfers at once; 0 = 16 */
	long max_per_host;       /* 0 = 2 */
	long connect_timeout;    /* seconds; 0 = 15 */
	long timeout;            /* seconds for the whole transfer; 0 = 60 */
	long max_redirects;      /* 0 = 5; http and https only */
	size_t max_body;         /* decoded bytes; 0 = 10 MiB */
	long low_speed_time;     /* seconds below 100 bytes/s before giving up; 0 = 30 */
	int max_retries;         /* retries after the first attempt; 0 = 2, -1 = none */
	long retry_base_ms;      /* first backoff, doubled each retry (with jitter); 0 = 1000 */
	long retry_after_max;    /* seconds: a longer Retry-After gives up instead; 0 = 120 */
	/* Called after every finished URL (retries included once, at the end);
	 * may be NULL. */
	void (*progress)(void *ctx, size_t done, size_t total, size_t failed);
	void *progress_ctx;
	/* Called once per URL as soon as its result is final (before progress),
	 * so the caller can parse and store it while the others download; it
	 * may free the body (fetch_result_free later is still safe). May be NULL. */
	void (*on_result)(void *ctx, size_t i, struct fetch_result *r);
	void *result_ctx;
	/* Test hooks, NULL in the program: "HOST:PORT:ADDRESS" entries that
	 * replace DNS (CURLOPT_RESOLVE, NULL-terminated), and a CA bundle that
	 * replaces the system's (a test server's own certificate). */
	const char *const *resolve;
	const char *ca_file;
};

struct fetch_req {
	const char *name;          /* source name, for messages */
	const char *url;
	const char *etag;          /* sent as If-None-Match when set */
	const char *last_modified; /* sent as If-Modified-Since when set */
	int allow_downgrade;       /* 1: an https URL may redirect to http */
};

enum fetch_status {
	FETCH_OK = 0,          /* body holds the document */
	FETCH_NOT_MODIFIED,    /* 304: nothing to parse */
	FETCH_FAILED           /* error says why (curl's message or "HTTP 404") */
};

struct fetch_result {
	enum fetch_status status;
	long http_code;         /* 0 when no HTTP response arrived */
	struct buf body;
	char *content_type;     /* NULL when absent */
	char *etag;             /* from the response; NULL when absent */
	char *last_modified;
	char *effective_url;    /* after redirects; the URL as given (an
				 * international host in Unicode) when none */
	char *moved_to;         /* set when a 301 or 308 was followed: the URL the
				 * source now lives at (the chair should update it);
				 * never an http URL for an https source */
	int attempts;           /* 1 + retries made */
	char error[512];        /* "" unless FETCH_FAILED; a TLS failure adds
				 * what it means, in words for the chair */
};

/* Fetches every request concurrently; results[i] belongs to reqs[i] and
 * must be released with fetch_result_free. Returns 0, or -1 when libcurl
 * itself could not be set up (then every result is FETCH_FAILED).
 * A failing URL never affects the others. An international host name
 * (www.vårdförbundet.se) is sent as its punycode (IDNA2008, libidn2).
 * An https URL never follows a redirect to http unless the request
 * allows the downgrade; a body whose announced Content-Length exceeds
 * max_body is refused before it is downloaded. Timeouts, connection failures,
 * 429 and 5xx are retried with backoff (honouring Retry-After up to
 * retry_after_max) while the other transfers go on; other 4xx are final. */
int fetch_all(const struct fetch_opts *opts, const struct fetch_req *reqs, size_t n,
	      struct fetch_result *results);
void fetch_result_free(struct fetch_result *r);

/* Call once at program start and end (wraps curl_global_*). */
int fetch_global_init(void);
void fetch_global_cleanup(void);

#endif
