/* URLs: links resolved against a document's address (feeds and pages
 * share one resolver, built on libcurl's URL API), and URLs as people get
 * to see them: a password written into a URL (an smtp_url's or a source's
 * userinfo) never reaches output or logs. */
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

/* ---- redaction -----------------------------------------------------------
 * Copies text into out (outlen > 0; always NUL-terminated, cut when too
 * long) with the password of every URL in it replaced by "***":
 * "https://user:secret@host/x" becomes "https://user:***@host/x". A URL
 * without a password, and any other text, is copied as it is. text may be
 * a bare URL or a message that quotes URLs. Returns out. */
const char *url_redact(const char *text, char *out, size_t outlen);

#endif
