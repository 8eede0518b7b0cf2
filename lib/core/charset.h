/* Whatever bytes a server sends, as UTF-8 for the parsers. */
#ifndef BULLETIN_CHARSET_H
#define BULLETIN_CHARSET_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Decides the document's encoding and writes it to out as UTF-8:
 *  1. a byte-order mark (UTF-8, UTF-16 LE/BE) wins;
 *  2. bytes that are valid UTF-8 with at least one multi-byte sequence are
 *     UTF-8 whatever the labels say (Latin-1 text practically never forms
 *     valid UTF-8, while mislabelled UTF-8 is common); so is damaged UTF-8
 *     whose valid multi-byte sequences outnumber the invalid ones (the
 *     invalid ones are replaced), and UTF-16 without a BOM recognised by
 *     "<" followed by NUL;
 *  3. otherwise the label: the Content-Type header's charset, else the XML
 *     declaration's encoding, else an HTML <meta charset> / http-equiv;
 *     ISO-8859-1, Latin-1 and US-ASCII labels mean Windows-1252 (as browsers
 *     read them), and a UTF-8 label on invalid UTF-8 also falls back to it;
 *  4. no label and not UTF-8: Windows-1252.
 * Bytes invalid in the chosen encoding become U+FFFD; no invalid UTF-8 ever
 * reaches out (U+0000 may: use out->len). The BOM and any whitespace before
 * "<?xml" are dropped, and the XML declaration's encoding and an HTML meta
 * charset are rewritten to UTF-8 so a parser does not decode a second time
 * (HTML parsers should still be told "UTF-8" explicitly).
 * content_type may be NULL. used (may be NULL) gets the encoding chosen,
 * e.g. "windows-1252 (no label)". Returns 0, or -1 with err (out of memory,
 * iconv cannot be set up, or binary data: see charset_binary). */
int charset_to_utf8(const char *data, size_t len, const char *content_type, struct buf *out,
		    char *used, size_t usedlen, struct err *err);

/* What d[0..n) looks like when it is not text at all, by its first bytes:
 * "gzip data" (a compressed body served without Content-Encoding), "zip
 * data", "a PDF document", "an image", or "binary data" (NUL or control
 * bytes where text would be, and no UTF-16/32 pattern); NULL for text. */
const char *charset_binary(const char *d, size_t n);

#endif
