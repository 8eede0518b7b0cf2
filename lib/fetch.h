/* Fetching many URLs at once with the libcurl multi interface. */
#ifndef BULLETIN_FETCH_H
#define BULLETIN_FETCH_H

#include <stddef.h>

#include "buf.h"

struct fetch_opts {
	const char *user_agent;  /* "bulletin/VERSION (+contact)" */
	long max_parallel;       /* total transfers at once; 0 = 16 */
	long max_per_host;       /* 0 = 2 */
	long connect_timeout;    /* seconds; 0 = 15 */
	long timeout;            /* seconds for the whole transfer; 0 = 60 */
	long max_redirects;      /* 0 = 5; http and https only */
	size_t max_body;         /* decoded bytes; 0 = 10 MiB */
};

struct fetch_req {
	const char *name;          /* source name, for messages */
	const char *url;
	const char *etag;          /* sent as If-None-Match when set */
	const char *last_modified; /* sent as If-Modified-Since when set */
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
	char *effective_url;    /* after redirects */
	char error[256];        /* "" unless FETCH_FAILED */
};

/* Fetches every request concurrently; results[i] belongs to reqs[i] and
 * must be released with fetch_result_free. Returns 0, or -1 when libcurl
 * itself could not be set up (then every result is FETCH_FAILED).
 * A failing URL never affects the others. */
int fetch_all(const struct fetch_opts *opts, const struct fetch_req *reqs, size_t n,
	      struct fetch_result *results);
void fetch_result_free(struct fetch_result *r);

/* Call once at program start and end (wraps curl_global_*). */
int fetch_global_init(void);
void fetch_global_cleanup(void);

#endif
