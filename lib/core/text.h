/* Plain-text helpers used by parsers: feed HTML into clean UTF-8 text. */
#ifndef BULLETIN_TEXT_H
#define BULLETIN_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* HTML fragment to plain text: tags dropped (script/style with their
 * content), block elements become line breaks, entities decoded once,
 * whitespace folded, soft hyphens, zero-width and bidirectional control
 * characters (U+202A-202E, U+2066-2069, U+200E/F, U+061C) removed,
 * invalid UTF-8 replaced by U+FFFD. Returns a new string or NULL (ENOMEM). */
char *text_from_html(const char *html, size_t len);
/* Already-plain text: whitespace folded and trimmed, soft hyphens,
 * zero-width and bidirectional control characters removed, invalid UTF-8 replaced. New string or NULL. */
char *text_clean(const char *s, size_t len);
/* As text_from_html and text_clean, but into b (emptied first), so that a
 * caller converting many fields reuses one buffer instead of a new one per
 * field. Returns 0, or -1 when memory runs out (b then holds part of the
 * text and stays the caller's to free). */
struct buf;
int text_from_html_buf(struct buf *b, const char *html, size_t len);
int text_clean_buf(struct buf *b, const char *s, size_t len);
/* Cuts s in place to at most max bytes at a word boundary, never inside a
 * UTF-8 sequence, adding "…" when something was cut (the result, ellipsis
 * included, stays within max bytes). */
void text_truncate(char *s, size_t max);
/* A digest summary: like text_truncate, but ends at the last full sentence
 * within max bytes when that keeps at least half of them, so the summary
 * reads as finished text rather than a cut-off phrase. */
void text_summary_cut(char *s, size_t max);
/* The code point of the HTML named entity name[0..len) (no '&' or ';'),
 * or 0 when unknown. Used by parsers to repair feeds that use HTML entities
 * without declaring them. */
unsigned long text_html_entity(const char *name, size_t len);
/* XML's whitespace: space, tab, CR, LF (the one test every parser shares;
 * HTML and CSS add form feed). */
static inline int text_is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
/* Length (1-4) of the valid UTF-8 sequence at s, reading at most n bytes,
 * and its code point in *cp (cp may be NULL); 0 when the bytes are invalid
 * (overlong, surrogate, above U+10FFFF, stray continuation) or truncated,
 * or n is 0. A NUL byte is a valid sequence of length 1. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Makes s one line in place: CR, LF and tab become spaces, runs of
 * spaces one space, and none is left at either end (subjects, titles). */
void text_one_line(char *s);
/* Writes cp (at most U+10FFFF) as UTF-8 to out; returns its length 1-4. */
size_t utf8_encode(uint32_t cp, char out[4]);
/* 1 when s[0..len) is valid UTF-8. */
int utf8_valid(const char *s, size_t len);

#endif
