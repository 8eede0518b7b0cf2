/* URLs: links resolved against a document's address (feeds and pages
 * share one resolver, built on libcurl's URL API). */
#ifndef BULLETIN_URL_H
#define BULLETIN_URL_H

#include <stddef.h>

struct buf;

/* ---- resolution ---------------------------------------------------------
 * ref[0..n) (surrounding whitespace ignored) resolved against base (NULL:
 * ref must be absolute), the way a browser would: a space becomes %20,
 * bytes outside ASCII are percent-encoded, dot segments are removed.
 * A reference longer than URL_REF_MAX is refused. */
#define URL_REF_MAX 8192
enum {
	URL_HTTP_ONLY = 1, /* only http and https results; anything else is refused */
};

/* Reuses one libcurl handle across calls (a document resolves thousands
 * of links): zero-initialise, free with url_resolver_free. Not shared
 * between threads. */
struct url_resolver {
	void *cu; /* CURLU *, created on first use */
};
void url_resolver_free(struct url_resolver *r);

/* The result replaces out's content. Returns 1, 0 when ref does not
 * resolve (or is refused by flags; out is then unchanged), -1 when out of
 * memory. */
int url_resolve_buf(struct url_resolver *r, struct buf *out, const char *base,
		    const char *ref, size_t n, unsigned flags);
/* The same as a new string, or NULL (unresolvable, refused or ENOMEM). */
char *url_resolve(struct url_resolver *r, const char *base, const char *ref, size_t n,
		  unsigned flags);

#endif
