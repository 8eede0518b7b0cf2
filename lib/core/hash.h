/* FNV-1a (64 bit): the one non-cryptographic hash for keys, Message-IDs,
 * MIME boundaries and hash tables. Its values are stored (item keys,
 * calendar UIDs, Message-IDs), so it must never change. */
#ifndef BULLETIN_HASH_H
#define BULLETIN_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FNV1A_INIT 0xcbf29ce484222325ULL

static inline uint64_t fnv1a_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = fnv1a_byte(h, b[i]);
	return h;
}

/* s's bytes without its NUL; NULL hashes as "". */
static inline uint64_t fnv1a_str(uint64_t h, const char *s)
{
	return s ? fnv1a(h, s, strlen(s)) : h;
}

#endif
