/* URLs as people get to see them: a password written into a URL (an
 * smtp_url's or a source's userinfo) never reaches output or logs. */
#ifndef BULLETIN_URL_H
#define BULLETIN_URL_H

#include <stddef.h>

/* Copies text into out (outlen > 0; always NUL-terminated, cut when too
 * long) with the password of every URL in it replaced by "***":
 * "https://user:secret@host/x" becomes "https://user:***@host/x". A URL
 * without a password, and any other text, is copied as it is. text may be
 * a bare URL or a message that quotes URLs. Returns out. */
const char *url_redact(const char *text, char *out, size_t outlen);

#endif
