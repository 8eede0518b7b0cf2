/* The literal index: see litindex.h. */
#include "select/litindex.h"

#include <stdlib.h>
#include <string.h>

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

struct lit_index {
	struct lit_node *node; /* node[0] unused: 0 means none */
	size_t nnode, capnode;
	struct lit_entry *ent; /* ent[0] unused */
	size_t nent, capent;
	uint32_t root[2][256]; /* [anywhere][first byte] */
	char *indexed;         /* per rule: 1 when found through the index */
	size_t nrules;
};

void lit_index_free(struct lit_index *x)
{
	if (!x)
		return;
	free(x->node);
	free(x->ent);
	free(x->indexed);
	free(x);
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
		if (lit_add(x, rv[k].lit, rv[k].anywhere, (uint32_t)k) < 0)
			goto fail;
		x->indexed[k] = 1;
	}
	return x;
fail:
	lit_index_free(x);
	return NULL;
}

/* A /regex/ that starts with plain letters or digits and has no
 * top-level alternative must match them first: they are its key (a
 * letter followed by a quantifier is not part of it). */
char *lit_regex_key(const char *re, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (re[i] == '\\')
			i++;
		else if (re[i] == '[') {
			for (i++; i < n && re[i] != ']'; i++)
				if (re[i] == '\\')
					i++;
		} else if (re[i] == '(')
			depth++;
		else if (re[i] == ')')
			depth--;
		else if (re[i] == '|' && depth == 0)
			return NULL;
	}
	const unsigned char *u = (const unsigned char *)re;
	size_t m = 0, prev = 0, k;
	while (m < n && lit_byte_ok(u + m, n - m, &k))
		prev = m, m += k;
	if (m < n && m > 0 && (re[m] == '?' || re[m] == '*' || re[m] == '+' || re[m] == '{'))
		m = prev;
	return lit_make(re, m);
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
			for (size_t q = p; nd;) {
				for (uint32_t e = x->node[nd].rules; e; e = x->ent[e].next) {
					int rc = fn(ctx, x->ent[e].rule, p);
					if (rc)
						return rc;
				}
				if (++q >= len)
					break;
				nd = x->node[nd].child;
				while (nd && x->node[nd].byte != folded[q])
					nd = x->node[nd].sibling;
			}
		}
	}
	return 0;
}
