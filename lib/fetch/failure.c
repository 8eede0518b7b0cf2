/* libcurl's messages (curl_easy_strerror and its error buffer) change
 * wording between versions, so each kind is known by a few stable
 * fragments, compared without case. */
#include "fetch/failure.h"

#include <stdlib.h>
#include <string.h>

static int has(const char *s, const char *const *frags)
{
	for (; *frags; frags++)
		if (strcasestr(s, *frags))
			return 1;
	return 0;
}

enum fetch_failure fetch_failure_kind(const char *e)
{
	static const char *const dns[] = {"resolve host", "resolve proxy", "resolving timed out",
					  "not a valid international domain name", NULL};
	static const char *const tls[] = {"ssl", "tls", "certificate", "secure connection", NULL};
	static const char *const timeout[] = {"timed out", "timeout", "too slow", NULL};
	static const char *const connect[] = {"couldn't connect", "could not connect",
					      "failed to connect", "connection refused",
					      "network is unreachable", "no route to host", NULL};
	static const char *const big[] = {"larger than", "maximum file size", NULL};
	static const char *const redirect[] = {"redirect", NULL};
	static const char *const broken[] = {"connection reset", "recv failure", "send failure",
					     "empty reply", "transfer closed", "partial file",
					     "connection died", "http/2 stream", NULL};
	static const char *const not_feed[] = {"not an xml document", "empty document",
					       "not a feed", "not rss", "item selector",
					       "could not be parsed", "not text", "json feed", NULL};
	if (!e || !*e)
		return FAILURE_OTHER;
	if (!strncmp(e, "HTTP ", 5)) {
		long code = strtol(e + 5, NULL, 10);
		return code == 404 || code == 410   ? FAILURE_NOT_FOUND
		       : code == 401 || code == 403 ? FAILURE_DENIED
		       : code == 429		    ? FAILURE_RATE
		       : code >= 500 && code < 600  ? FAILURE_SERVER
						    : FAILURE_OTHER;
	}
	/* Most specific first: a TLS handshake that timed out is about TLS,
	 * "Resolving timed out" about the name. */
	return has(e, dns)	  ? FAILURE_DNS
	       : has(e, tls)	  ? FAILURE_TLS
	       : has(e, timeout)  ? FAILURE_TIMEOUT
	       : has(e, connect)  ? FAILURE_CONNECT
	       : has(e, big)	  ? FAILURE_TOO_BIG
	       : has(e, redirect) ? FAILURE_REDIRECT
	       : has(e, broken)	  ? FAILURE_BROKEN
	       : has(e, not_feed) ? FAILURE_NOT_FEED
				  : FAILURE_OTHER;
}
