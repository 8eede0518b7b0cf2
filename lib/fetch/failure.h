/* What a source's failure means, from its error text (fetch_result.error
 * as the store keeps it: libcurl's English message, "HTTP 404", our own
 * words for size and redirects, or the parser's complaint), so a report
 * can add one line in the reader's language (compose/chrome.h). */
#ifndef BULLETIN_FAILURE_H
#define BULLETIN_FAILURE_H

enum fetch_failure {
	FAILURE_OTHER = 0, /* nothing to add */
	FAILURE_DNS,       /* the host name does not resolve */
	FAILURE_CONNECT,   /* refused, unreachable */
	FAILURE_TIMEOUT,   /* too slow, timed out */
	FAILURE_TLS,       /* certificate, handshake */
	FAILURE_NOT_FOUND, /* HTTP 404, 410 */
	FAILURE_DENIED,    /* HTTP 401, 403 */
	FAILURE_RATE,      /* HTTP 429 */
	FAILURE_SERVER,    /* HTTP 5xx */
	FAILURE_TOO_BIG,   /* larger than max_body */
	FAILURE_REDIRECT,  /* too many hops, a move to http refused */
	FAILURE_BROKEN,    /* the connection broke off */
	FAILURE_NOT_FEED,  /* an answer, but no feed or listing bulletin can read */
	FAILURE_NKINDS
};

/* The kind of the failure error describes (NULL or "": FAILURE_OTHER). */
enum fetch_failure fetch_failure_kind(const char *error);

#endif
