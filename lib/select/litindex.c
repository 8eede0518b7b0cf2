/* The literal index: see litindex.h. */
#include "select/litindex.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "select/ruleset.h"

static int lit_byte_ok(const unsigned char *s, size_t n, size_t *k)
{
	if (s[0] < 0x80) {
		*k = 1;
		return (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
		       (s[0] >= '0' && s[0] <= '9');
	}
	*k = 2;
	return n >= 2 && s[0] == 0xC3 && s[1] >= 0x80 && s[1] <= 0xBF && s[1] != 0x97 && s[1] != 0xB7;
}

/* The folded key of a literal s[0..n): its longest prefix of letters and
 * digits (the rest, say after a space or a hyphen, is left to PCRE2's
 * confirming match). NULL when that prefix is shorter than two bytes. */
char *lit_make(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t m = 0, k;
	while (m < n && lit_byte_ok(u + m, n - m, &k))
		m += k;
	if (m < 2)
		return NULL;
	n = m;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += k) {
		lit_byte_ok(u + i, n - i, &k);
		out[i] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
		if (k == 2)
			out[i + 1] = (char)(u[i + 1] <= 0x9E ? u[i + 1] + 0x20 : u[i + 1]);
	}
	out[n] = '\0';
	return out;
}

int lit_fold(const char *text, size_t len, char *out)
{
	const unsigned char *u = (const unsigned char *)text;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = u[i];
		if (c < 0x80) {
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else if (c == 0xC3 && i + 1 < len) {
			unsigned char d = u[i + 1];
			out[i] = (char)c;
			out[i + 1] = (char)(d >= 0x80 && d <= 0x9E && d != 0x97 ? d + 0x20 : d);
			i++;
		} else {
			if ((c == 0xC5 && i + 1 < len && (u[i + 1] == 0xBF || u[i + 1] == 0xB8)) ||
			    (c == 0xE2 && i + 2 < len && u[i + 1] == 0x84 &&
			     (u[i + 2] == 0xAA || u[i + 2] == 0xAB)) ||
			    (c == 0xE1 && i + 2 < len && u[i + 1] == 0xBA && u[i + 2] == 0x9E))
				return -1;
			out[i] = (char)c;
		}
	}
	return 0;
}

struct lit_node {
	uint32_t child;   /* first child, 0 = none */
	uint32_t sibling; /* next sibling, 0 = none */
	uint32_t rules;   /* first entry in lit_index.ent, 0 = none */
	unsigned char byte;
};

struct lit_entry {
	uint32_t rule;
	uint32_t next;
};

/* A node as the walk reads it: its children's bytes kbyte[kids ..
 * kids + nkids), ascending, side by side in memory (a byte looked up is a
 * short scan, not a chase along siblings), their nodes in knode[]. */
struct lit_fnode {
	uint32_t kids, nkids;
	uint32_t rules;
};

struct lit_index {
	struct lit_node *node; /* node[0] unused: 0 means none; freed once frozen */
	size_t nnode, capnode;
	struct lit_entry *ent; /* ent[0] unused */
	size_t nent, capent;
	uint32_t root[2][256]; /* [anywhere][first byte] */
	char *indexed;         /* per rule: 1 when found through the index */
	size_t nrules;
	struct lit_fnode *fnode; /* the trie, frozen for the walk */
	unsigned char *kbyte;
	uint32_t *knode;
	/* [anywhere]: the first two bytes of every key, a bit each (keys
	 * have two bytes at least, see lit_make): a place whose two bytes
	 * start none is passed by without entering the trie */
	unsigned char pair[2][65536 / 8];
	int short_key[2]; /* a key of one byte: look at every place */
};

void lit_index_free(struct lit_index *x)
{
	if (!x)
		return;
	free(x->node);
	free(x->ent);
	free(x->indexed);
	free(x->fnode);
	free(x->kbyte);
	free(x->knode);
	free(x);
}

/* The built trie into the walk's form: every node's children together,
 * sorted by byte, and the nodes numbered breadth first from the roots, so
 * those near the roots, which the walk visits at every position of a
 * text, lie together in memory. Returns 0 or -1. */
static int lit_freeze(struct lit_index *x)
{
	size_t n = x->nnode;
	uint32_t *order = malloc(n * sizeof *order), *renum = calloc(n, sizeof *renum);
	x->fnode = calloc(n, sizeof *x->fnode);
	x->kbyte = malloc(n);
	x->knode = malloc(n * sizeof *x->knode);
	if (!order || !renum || !x->fnode || !x->kbyte || !x->knode) {
		free(order);
		free(renum);
		return -1;
	}
	uint32_t tail = 0, at = 0;
	for (int any = 0; any < 2; any++)
		for (int b = 0; b < 256; b++)
			if (x->root[any][b]) {
				order[tail++] = x->root[any][b];
				renum[x->root[any][b]] = tail;
			}
	for (uint32_t i = 0; i < tail; i++) {
		uint32_t old = order[i];
		struct lit_fnode *f = &x->fnode[i + 1];
		f->rules = x->node[old].rules;
		f->kids = at;
		for (uint32_t c = x->node[old].child; c; c = x->node[c].sibling) {
			/* insertion into the sorted run */
			uint32_t j = at++;
			while (j > f->kids && x->kbyte[j - 1] > x->node[c].byte) {
				x->kbyte[j] = x->kbyte[j - 1];
				x->knode[j] = x->knode[j - 1];
				j--;
			}
			x->kbyte[j] = x->node[c].byte;
			x->knode[j] = c;
		}
		f->nkids = at - f->kids;
		for (uint32_t j = f->kids; j < at; j++) {
			order[tail++] = x->knode[j];
			renum[x->knode[j]] = tail;
			x->knode[j] = tail;
		}
	}
	for (int any = 0; any < 2; any++)
		for (int b = 0; b < 256; b++)
			x->root[any][b] = renum[x->root[any][b]];
	free(order);
	free(renum);
	free(x->node);
	x->node = NULL;
	x->nnode = x->capnode = 0;
	return 0;
}

static uint32_t lit_new_node(struct lit_index *x, unsigned char b)
{
	if (x->nnode == x->capnode) {
		size_t cap = x->capnode ? x->capnode * 2 : 256;
		struct lit_node *v = realloc(x->node, cap * sizeof *v);
		if (!v)
			return 0;
		x->node = v;
		x->capnode = cap;
	}
	x->node[x->nnode] = (struct lit_node){0, 0, 0, b};
	return (uint32_t)x->nnode++;
}

static int lit_add(struct lit_index *x, const char *lit, int anywhere, uint32_t rule)
{
	const unsigned char *u = (const unsigned char *)lit;
	if (u[0] && u[1]) {
		unsigned pr = (unsigned)u[0] << 8 | u[1];
		x->pair[anywhere][pr >> 3] |= (unsigned char)(1u << (pr & 7));
	} else {
		x->short_key[anywhere] = 1;
	}
	uint32_t *slot = &x->root[anywhere][u[0]];
	uint32_t cur = 0;
	for (size_t i = 0; u[i]; i++) {
		if (i > 0) {
			slot = &x->node[cur].child;
			while (*slot && x->node[*slot].byte != u[i])
				slot = &x->node[*slot].sibling;
		}
		if (!*slot) {
			uint32_t nn = lit_new_node(x, u[i]); /* may move x->node */
			if (!nn)
				return -1;
			slot = i == 0 ? &x->root[anywhere][u[0]] : &x->node[cur].child;
			while (*slot)
				slot = &x->node[*slot].sibling;
			*slot = nn;
		}
		cur = *slot;
	}
	if (x->nent == x->capent) {
		size_t cap = x->capent ? x->capent * 2 : 256;
		struct lit_entry *v = realloc(x->ent, cap * sizeof *v);
		if (!v)
			return -1;
		x->ent = v;
		x->capent = cap;
	}
	x->ent[x->nent] = (struct lit_entry){rule, x->node[cur].rules};
	x->node[cur].rules = (uint32_t)x->nent++;
	return 0;
}

struct lit_index *lit_index_build(const struct rule *rv, size_t n)
{
	struct lit_index *x = calloc(1, sizeof *x);
	if (!x || !(x->indexed = calloc(n + 1, 1)))
		goto fail;
	x->nrules = n;
	/* index 0 of both arrays means "none" */
	if (!(x->node = calloc(256, sizeof *x->node)) || !(x->ent = calloc(256, sizeof *x->ent)))
		goto fail;
	x->capnode = x->capent = 256;
	x->nnode = x->nent = 1;
	for (size_t k = 0; k < n; k++) {
		if (!rv[k].lit || !rv[k].acode)
			continue;
		/* a regex may have several keys, one a line */
		for (const char *key = rv[k].lit; key && *key;) {
			const char *nl = strchr(key, '\n');
			size_t kl = nl ? (size_t)(nl - key) : strlen(key);
			char one[RULES_MAX_PATTERN_LEN + 1];
			if (kl > RULES_MAX_PATTERN_LEN)
				goto fail;
			memcpy(one, key, kl);
			one[kl] = '\0';
			if (lit_add(x, one, rv[k].anywhere, (uint32_t)k) < 0)
				goto fail;
			key = nl ? nl + 1 : key + kl;
		}
		x->indexed[k] = 1;
	}
	if (lit_freeze(x) < 0)
		goto fail;
	return x;
fail:
	lit_index_free(x);
	return NULL;
}

/* The end of the group or class that starts at re[i] ('(' or '['), or n. */
static size_t group_end(const char *re, size_t n, size_t i)
{
	if (re[i] == '[') {
		size_t k = i + 1;
		if (k < n && re[k] == '^')
			k++;
		if (k < n && re[k] == ']')
			k++;
		for (; k < n && re[k] != ']'; k++)
			if (re[k] == '\\')
				k++;
		return k < n ? k + 1 : n;
	}
	int depth = 0;
	for (size_t k = i; k < n; k++) {
		if (re[k] == '\\')
			k++;
		else if (re[k] == '[')
			k = group_end(re, n, k) - 1;
		else if (re[k] == '(')
			depth++;
		else if (re[k] == ')' && --depth == 0)
			return k + 1;
	}
	return n;
}

static int regex_keys(const char *re, size_t n, struct buf *out, int depth, int *word_start);

/* The keys of one branch: after lookbehinds and option settings, either a
 * (?:...) group (its branches' keys) or plain letters and digits (a
 * letter followed by a quantifier is not part of it). -1: no key. */
static int branch_keys(const char *s, size_t n, struct buf *out, int depth, int *word_start)
{
	size_t i = 0;
	int ws = 0;
	for (;;) {
		if (i + 3 < n && s[i] == '(' && s[i + 1] == '?' && s[i + 2] == '<' &&
		    (s[i + 3] == '!' || s[i + 3] == '=')) {
			/* a lookbehind: looks before the match; "no letter before"
			 * is a word start, which the index can check itself */
			size_t e = group_end(s, n, i);
			static const char *const no_letter[] = {"(?<!\\p{L})", "(?<![\\p{L}\\p{N}])"};
			for (size_t k = 0; k < 2; k++)
				ws |= e - i == strlen(no_letter[k]) && !memcmp(s + i, no_letter[k], e - i);
			i = e;
			continue;
		}
		if (i + 2 < n && s[i] == '(' && s[i + 1] == '?' && ((s[i + 2] >= 'a' && s[i + 2] <= 'z') || s[i + 2] == '-')) {
			size_t k = i + 2;
			while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '-'))
				k++;
			if (k < n && s[k] == ')') { /* (?i): options, no text */
				i = k + 1;
				continue;
			}
		}
		break;
	}
	if (i + 2 < n && s[i] == '(' && s[i + 1] == '?' && s[i + 2] == ':') {
		size_t e = group_end(s, n, i);
		if (e > n || e < i + 4 || (e < n && (s[e] == '?' || s[e] == '*' || s[e] == '{')))
			return -1; /* an optional group says nothing of the start */
		int inner = 1;
		if (regex_keys(s + i + 3, e - i - 4, out, depth + 1, &inner) < 0)
			return -1;
		*word_start &= ws || inner;
		return 0;
	}
	const unsigned char *u = (const unsigned char *)s + i;
	size_t m = 0, prev = 0, k, len = n - i;
	while (m < len && lit_byte_ok(u + m, len - m, &k))
		prev = m, m += k;
	if (m < len && m > 0 && (u[m] == '?' || u[m] == '*' || u[m] == '{'))
		m = prev;
	char *key = lit_make(s + i, m);
	if (!key)
		return -1;
	*word_start &= ws;
	int rc = buf_puts(out, key) == 0 && buf_putc(out, '\n') == 0 ? 0 : -1;
	free(key);
	return rc;
}

/* Each top-level branch must have a key. */
static int regex_keys(const char *re, size_t n, struct buf *out, int depth, int *word_start)
{
	if (depth > 4)
		return -1;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && re[i] == '\\') {
			i++;
		} else if (i < n && (re[i] == '(' || re[i] == '[')) {
			i = group_end(re, n, i) - 1;
		} else if (i == n || re[i] == '|') {
			if (branch_keys(re + start, i - start, out, depth, word_start) < 0)
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

/* A /regex/ must start with one of its keys: the plain letters of each
 * top-level branch, found behind lookbehinds and inside a leading (?:...)
 * group. NULL when some branch has none. The keys are separated by
 * newlines. */
char *lit_regex_key(const char *re, size_t n, int *word_start)
{
	struct buf out = BUF_INIT;
	*word_start = 1;
	if (regex_keys(re, n, &out, 0, word_start) < 0 || !out.len) {
		buf_free(&out);
		return NULL;
	}
	out.data[--out.len] = '\0';
	return buf_steal(&out);
}

int lit_indexed(const struct lit_index *x, size_t k)
{
	return x && k < x->nrules && x->indexed[k];
}

/* Could a word start at folded[p]? Conservative: only an ASCII or Latin-1
 * letter or digit before p says no; PCRE2's lookbehind decides the rest. */
static int maybe_word_start(const unsigned char *t, size_t p)
{
	if (p == 0)
		return 1;
	unsigned char c = t[p - 1];
	if (c < 0x80)
		return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	if (p >= 2 && t[p - 2] == 0xC3)
		return c == 0x97 || c == 0xB7; /* × ÷ */
	return 1;
}

int lit_index_walk(const struct lit_index *x, const unsigned char *folded, size_t len,
		   lit_hit_fn fn, void *ctx)
{
	for (size_t p = 0; p < len; p++) {
		if ((folded[p] & 0xC0) == 0x80)
			continue;
		for (int any = 0; any < 2; any++) {
			if (!any && !maybe_word_start(folded, p))
				continue;
			uint32_t nd = x->root[any][folded[p]];
			if (nd && !x->short_key[any]) {
				unsigned pr = p + 1 < len ? (unsigned)folded[p] << 8 | folded[p + 1] : 0;
				if (!(x->pair[any][pr >> 3] & (1u << (pr & 7))))
					continue;
			}
			for (size_t q = p; nd;) {
				const struct lit_fnode *f = &x->fnode[nd];
				for (uint32_t e = f->rules; e; e = x->ent[e].next) {
					int rc = fn(ctx, x->ent[e].rule, p);
					if (rc)
						return rc;
				}
				if (++q >= len)
					break;
				const unsigned char *kb = x->kbyte + f->kids, c = folded[q];
				uint32_t j = 0;
				while (j < f->nkids && kb[j] < c)
					j++;
				nd = j < f->nkids && kb[j] == c ? x->knode[f->kids + j] : 0;
			}
		}
	}
	return 0;
}
