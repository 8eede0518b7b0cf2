/* The literal index: most rules are a word, a stem, *stem or -stem, that
 * is a literal. Rather than run every such pattern over every field, the
 * field is folded once and walked through a byte trie of the folded
 * literals, at word starts (and, for the literals that may start inside a
 * word, at every character); each candidate is then confirmed by the
 * rule's anchored PCRE2 pattern at that offset (rules_match.c), so the
 * results are exactly those of the patterns. The cost grows with the
 * text, not with the number of rules.
 *
 * Folding: ASCII and the Latin-1 letters (À..Þ to à..þ) only, keeping the
 * byte length, so offsets in the folded text are offsets in the original.
 * A literal with any other character is not indexed (its rule runs as a
 * pattern); a text holding a character that PCRE2 folds onto these
 * letters from elsewhere (the Kelvin and Ångström signs, long s, Ÿ, ẞ) is
 * matched the slow way as a whole. */
#ifndef BULLETIN_LITINDEX_H
#define BULLETIN_LITINDEX_H

#include <stddef.h>
#include <stdint.h>

struct rule;
struct lit_index;

/* The index of the rules that have a literal (rule.lit) and an anchored
 * pattern (rule.acode); NULL when out of memory. */
struct lit_index *lit_index_build(const struct rule *rv, size_t n);
void lit_index_free(struct lit_index *x);
/* 1 when rule k is found through the index (so not run as a pattern). */
int lit_indexed(const struct lit_index *x, size_t k);

/* The folded key of a literal s[0..n): its longest prefix of letters and
 * digits. NULL when that prefix is shorter than two bytes (or no memory). */
char *lit_make(const char *s, size_t n);
/* The keys of a /regex/, one a line: the plain letters each top-level
 * branch must start with (behind lookbehinds, inside a leading (?:...)
 * group); NULL when a branch has none. *word_start is 1 when every
 * branch starts with (?<!\p{L}) or (?<![\p{L}\p{N}]), so its key need
 * only be looked for at word starts. */
char *lit_regex_key(const char *re, size_t n, int *word_start);
/* Folds text into out (same length). Returns 0, or -1 when the text has a
 * character that folds onto ASCII/Latin-1 from outside (see above). */
int lit_fold(const char *text, size_t len, char *out);

/* Calls fn(ctx, rule, offset) for every candidate in the folded text, in
 * text order; stops and returns fn's value when it is not 0. */
typedef int (*lit_hit_fn)(void *ctx, uint32_t rule, size_t at);
int lit_index_walk(const struct lit_index *x, const unsigned char *folded, size_t len,
		   lit_hit_fn fn, void *ctx);

#endif
