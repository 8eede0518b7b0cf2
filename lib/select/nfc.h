/* Unicode NFC before matching: a feed exported on a Mac writes "å" as
 * "a" + U+030A (combining ring above), which a pattern written "å" does
 * not match. The select stage composes the Latin letters that matter
 * (å ä ö é ü ñ ç š ž ... and the Kelvin and Ångström signs) and maps every
 * byte of the composed text back to the original, so matches are still
 * reported as byte ranges of the item's own text. */
#ifndef BULLETIN_NFC_H
#define BULLETIN_NFC_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* at[i] is the offset in the original of byte i of the composed text;
 * at[n] is the original's length. Reused across calls; free at. */
struct nfc_map {
	size_t *at;
	size_t n, cap;
};

/* 1 when s[0..len) may change under NFC (it holds a combining mark or a
 * singleton); 0 means it is already composed as far as we compose. */
int nfc_needed(const char *s, size_t len);
/* The composed text into out (emptied first) and its map into m.
 * Returns 0, or -1 when memory runs out. */
int nfc_compose(const char *s, size_t len, struct buf *out, struct nfc_map *m);

#endif
