/* NFC for the Latin letters of the Nordic languages and their
 * neighbours: see nfc.h.
 *
 * Our own table rather than a library: the matcher needs a map from each
 * byte of the composed text back to the item's own text (highlights and
 * --explain give byte ranges in the item), which libutf8proc and
 * libunistring's u8_normalize do not give; text without a combining mark
 * (nearly all of it) costs one scan; and ninety-six pairs are not worth a
 * new runtime dependency. The table is every letter A-Z/a-z plus one of
 * nine combining marks whose canonical composition lies in Latin-1 or
 * Latin Extended-A (U+00C0..U+017F), as Unicode's composition gives it. */
#include "select/nfc.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

struct pair {
	char base;
	uint16_t mark, composed;
};

static const struct pair pairs[] = {
	/* grave */
	{'A', 0x300, 0x0C0}, {'a', 0x300, 0x0E0}, {'E', 0x300, 0x0C8}, {'e', 0x300, 0x0E8}, {'I', 0x300, 0x0CC}, {'i', 0x300, 0x0EC}, {'O', 0x300, 0x0D2}, {'o', 0x300, 0x0F2}, {'U', 0x300, 0x0D9}, {'u', 0x300, 0x0F9},
	/* acute */
	{'A', 0x301, 0x0C1}, {'a', 0x301, 0x0E1}, {'C', 0x301, 0x106}, {'c', 0x301, 0x107}, {'E', 0x301, 0x0C9}, {'e', 0x301, 0x0E9}, {'I', 0x301, 0x0CD}, {'i', 0x301, 0x0ED}, {'N', 0x301, 0x143}, {'n', 0x301, 0x144}, {'O', 0x301, 0x0D3}, {'o', 0x301, 0x0F3}, {'S', 0x301, 0x15A}, {'s', 0x301, 0x15B}, {'U', 0x301, 0x0DA}, {'u', 0x301, 0x0FA}, {'Y', 0x301, 0x0DD}, {'y', 0x301, 0x0FD}, {'Z', 0x301, 0x179}, {'z', 0x301, 0x17A},
	/* circumflex */
	{'A', 0x302, 0x0C2}, {'a', 0x302, 0x0E2}, {'C', 0x302, 0x108}, {'c', 0x302, 0x109}, {'E', 0x302, 0x0CA}, {'e', 0x302, 0x0EA}, {'I', 0x302, 0x0CE}, {'i', 0x302, 0x0EE}, {'O', 0x302, 0x0D4}, {'o', 0x302, 0x0F4}, {'S', 0x302, 0x15C}, {'s', 0x302, 0x15D}, {'U', 0x302, 0x0DB}, {'u', 0x302, 0x0FB}, {'Y', 0x302, 0x176}, {'y', 0x302, 0x177},
	/* tilde */
	{'A', 0x303, 0x0C3}, {'a', 0x303, 0x0E3}, {'I', 0x303, 0x128}, {'i', 0x303, 0x129}, {'N', 0x303, 0x0D1}, {'n', 0x303, 0x0F1}, {'O', 0x303, 0x0D5}, {'o', 0x303, 0x0F5}, {'U', 0x303, 0x168}, {'u', 0x303, 0x169},
	/* diaeresis */
	{'A', 0x308, 0x0C4}, {'a', 0x308, 0x0E4}, {'E', 0x308, 0x0CB}, {'e', 0x308, 0x0EB}, {'I', 0x308, 0x0CF}, {'i', 0x308, 0x0EF}, {'O', 0x308, 0x0D6}, {'o', 0x308, 0x0F6}, {'U', 0x308, 0x0DC}, {'u', 0x308, 0x0FC}, {'Y', 0x308, 0x178}, {'y', 0x308, 0x0FF},
	/* ring above */
	{'A', 0x30A, 0x0C5}, {'a', 0x30A, 0x0E5}, {'U', 0x30A, 0x16E}, {'u', 0x30A, 0x16F},
	/* cedilla */
	{'C', 0x327, 0x0C7}, {'c', 0x327, 0x0E7}, {'N', 0x327, 0x145}, {'n', 0x327, 0x146}, {'S', 0x327, 0x15E}, {'s', 0x327, 0x15F},
	/* caron */
	{'C', 0x30C, 0x10C}, {'c', 0x30C, 0x10D}, {'E', 0x30C, 0x11A}, {'e', 0x30C, 0x11B}, {'N', 0x30C, 0x147}, {'n', 0x30C, 0x148}, {'S', 0x30C, 0x160}, {'s', 0x30C, 0x161}, {'Z', 0x30C, 0x17D}, {'z', 0x30C, 0x17E},
	/* ogonek */
	{'A', 0x328, 0x104}, {'a', 0x328, 0x105}, {'E', 0x328, 0x118}, {'e', 0x328, 0x119}, {'I', 0x328, 0x12E}, {'i', 0x328, 0x12F}, {'U', 0x328, 0x172}, {'u', 0x328, 0x173},
};

static uint32_t compose(char base, uint32_t mark)
{
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
		if (pairs[i].base == base && pairs[i].mark == mark)
			return pairs[i].composed;
	return 0;
}

/* A combining mark U+0300..U+036F is CC 80..CD AF; the Kelvin sign U+212A
 * and the Angstrom sign U+212B (singletons: NFC maps them to K and Å) are
 * E2 84 AA/AB. */
int nfc_needed(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++) {
		if (u[i] < 0xCC)
			continue;
		if ((u[i] == 0xCC || (u[i] == 0xCD && i + 1 < len && u[i + 1] <= 0xAF)))
			return 1;
		if (u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x84 && (u[i + 2] == 0xAA || u[i + 2] == 0xAB))
			return 1;
	}
	return 0;
}

static int put(struct buf *out, struct nfc_map *m, const char *bytes, size_t n, size_t from)
{
	if (m->n + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		while (cap < m->n + n + 1)
			cap *= 2;
		size_t *v = realloc(m->at, cap * sizeof *v);
		if (!v)
			return -1;
		m->at = v;
		m->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		m->at[m->n++] = from;
	return buf_append(out, bytes, n);
}

static size_t enc2(uint32_t cp, char *o)
{
	o[0] = (char)(0xC0 | (cp >> 6));
	o[1] = (char)(0x80 | (cp & 0x3F));
	return 2;
}

int nfc_compose(const char *s, size_t len, struct buf *out, struct nfc_map *m)
{
	const unsigned char *u = (const unsigned char *)s;
	buf_reset(out);
	m->n = 0;
	if (buf_reserve(out, len + 1) < 0)
		return -1;
	for (size_t i = 0; i < len;) {
		char enc[2];
		/* an ASCII letter followed by a mark it composes with */
		if (i + 2 < len && u[i] < 0x80 && (u[i + 1] == 0xCC || u[i + 1] == 0xCD)) {
			uint32_t mark = ((uint32_t)(u[i + 1] & 0x1F) << 6) | (u[i + 2] & 0x3F);
			uint32_t c = (u[i + 2] & 0xC0) == 0x80 ? compose((char)u[i], mark) : 0;
			if (c) {
				if (put(out, m, enc, enc2(c, enc), i) < 0)
					return -1;
				i += 3;
				continue;
			}
		}
		if (u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x84 && (u[i + 2] == 0xAA || u[i + 2] == 0xAB)) {
			if (u[i + 2] == 0xAA ? put(out, m, "K", 1, i) < 0 : put(out, m, enc, enc2(0xC5, enc), i) < 0)
				return -1;
			i += 3;
			continue;
		}
		if (put(out, m, s + i, 1, i) < 0)
			return -1;
		i++;
	}
	m->at[m->n] = len; /* the end maps to the end */
	return 0;
}
