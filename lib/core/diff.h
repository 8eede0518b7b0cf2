/* Text differences: two texts as sequences of lines (or of words), the
 * runs that stay, go and come between them, and the unified diff a person
 * reads. Patience anchors (lines that occur once on each side) split the
 * texts, Myers' O(ND) search fills the gaps between them with its cost
 * capped, so two 2 MB pages diff in bounded time and memory: a gap that
 * would cost more is reported as replaced whole (still a correct diff,
 * just not the shortest). In core/ because the store (is this a change?
 * does the page look broken?), the compose step (what changed) and the
 * command line (bulletin watch --diff) all use it, and it knows nothing of
 * documents. */
#ifndef BULLETIN_DIFF_H
#define BULLETIN_DIFF_H

#include <stddef.h>

struct buf;

/* A text cut into tokens: views into the caller's text, which must
 * outlive the sequence. */
struct diff_seq {
	const char **s;
	size_t *len;
	size_t n;
	size_t bytes; /* of all tokens */
};

/* Lines, without their '\n' (a final line without one counts). 0 or -1
 * (out of memory). */
int diff_split_lines(const char *text, size_t len, struct diff_seq *out);
/* Words (runs of letters and digits; every byte of a UTF-8 sequence counts
 * as a letter) and every other byte (space, punctuation) on its own. */
int diff_split_words(const char *text, size_t len, struct diff_seq *out);
void diff_seq_free(struct diff_seq *q);

enum diff_op { DIFF_SAME = 0, DIFF_DEL, DIFF_ADD };

/* n tokens: SAME a[a..a+n) = b[b..b+n); DEL a[a..a+n); ADD b[b..b+n).
 * In text order; where both sides changed, the DEL run comes first. */
struct diff_run {
	enum diff_op op;
	size_t a, b, n;
};

struct diff {
	struct diff_run *v;
	size_t n, cap;
	size_t same, del, add; /* tokens */
	size_t same_bytes;     /* bytes of the tokens kept */
	int gave_up;           /* some gap cost more than max_cost: replaced whole */
};

/* Myers' edit cost bound per gap; 0: DIFF_MAX_COST. Memory is about
 * 2 * max_cost^2 bytes at worst, time O(gap * max_cost). */
#define DIFF_MAX_COST 1024

/* The difference from a to b into out (zeroed first). 0, or -1 when out
 * of memory (out is then empty). */
int diff_compute(const struct diff_seq *a, const struct diff_seq *b, size_t max_cost,
		 struct diff *out);
void diff_free(struct diff *d);

/* Share of the two texts that is kept, 0..1: twice the bytes of the kept
 * tokens over the bytes of both (1 for two empty texts). */
double diff_similarity(const struct diff_seq *a, const struct diff_seq *b, const struct diff *d);

/* The unified diff of two line sequences (diff -u's format: "--- label_a",
 * "+++ label_b", hunks "@@ -l,n +l,n @@" with context lines around each
 * change) appended to out. Nothing is appended when they are equal.
 * Returns 0 or -1 (out of memory). */
int diff_unified(struct buf *out, const struct diff_seq *a, const struct diff_seq *b,
		 const struct diff *d, size_t context, const char *label_a, const char *label_b);

#endif
