/* Keyword rules (the feeds/ .rules files): topics of weighted PCRE2 include
 * patterns, exclude patterns that veto, and groups of context words. See
 * bulletin-rules(5) for the language; every error names file:line:column.
 *
 * A loaded set is read-only: matching goes through a struct rules_matcher,
 * which owns its PCRE2 match data and scratch buffers. One matcher per
 * thread; any number of them may share one set. */
#ifndef BULLETIN_RULES_H
#define BULLETIN_RULES_H

#include <stddef.h>

#include "core/err.h"
#include "parse/item.h"

struct rules;

struct rules *rules_new(void);
void rules_free(struct rules *r);
/* Adds the topics and patterns of one file. Several files may be loaded
 * into one set; topics keep the order they first appear in. Returns 0, or
 * -1 with err holding every error of the file, one "path:line:col: message"
 * per line (PCRE2's own message for a bad pattern); the set is then as it
 * was before the call. */
int rules_load_file(struct rules *r, const char *path, struct err *err);
/* Same from memory; name is used in messages in place of a path. */
int rules_load_string(struct rules *r, const char *name, const char *text, struct err *err);

size_t rules_topic_count(const struct rules *r);
const char *rules_topic_id(const struct rules *r, size_t i);    /* "fastlakare" */
const char *rules_topic_title(const struct rules *r, size_t i); /* "Fastläkare och listning" */
/* Index of a topic id, or -1. */
long rules_topic_index(const struct rules *r, const char *id);
/* The threshold that applies to a topic (its own, else the global one;
 * topic -1 gives the global one). */
double rules_threshold(const struct rules *r, long topic);
/* Number of include and exclude patterns loaded. */
size_t rules_pattern_count(const struct rules *r);

/* The item fields a pattern can be matched against. Categories are
 * matched as one text, joined with "\n"; source is the source's name. */
enum match_field {
	FIELD_TITLE = 0,
	FIELD_SUMMARY,
	FIELD_CONTENT,
	FIELD_CATEGORIES,
	FIELD_URL,
	FIELD_SOURCE,
	FIELD_COUNT_
};
const char *match_field_name(enum match_field f);
/* The field by name ("title", ...), or -1. */
int match_field_by_name(const char *name, size_t len);
/* Fields a pattern without a [field] scope is matched in. */
#define FIELDS_DEFAULT ((1u << FIELD_TITLE) | (1u << FIELD_SUMMARY) | (1u << FIELD_CATEGORIES))
/* Multiplier of a match's weight in field f (the `field NAME W` directive;
 * by default title 2, others 1). */
double rules_field_weight(const struct rules *r, enum match_field f);

/* One rule as loaded, for listings, lint and statistics. */
struct rule_info {
	const char *text;    /* the pattern as written ("@topic" for a borrow) */
	const char *where;   /* "file:line" */
	const char *regex;   /* the PCRE2 pattern it was compiled to; NULL for @topic */
	long topic;          /* topic index; -1 for a global exclude */
	long ref;            /* @topic: the lender's index; else -1 */
	double weight;       /* 0 for an exclude */
	int exclude;
	int caseless;
	unsigned fields;     /* bit set of 1 << enum match_field */
	const char *const *from; /* [from a, b]: only items of these sources; NULL = all */
	size_t nfrom;
	long group;          /* a group's word (scores nothing): the group's index; else -1 */
	const char *const *with; /* [with a, b]: counts only beside a word of these; NULL = always */
	size_t nwith;
};
size_t rules_group_count(const struct rules *r);
const char *rules_group_id(const struct rules *r, size_t i);
size_t rules_rule_count(const struct rules *r);
const struct rule_info *rules_rule(const struct rules *r, size_t i);

struct match_term {
	enum match_field field;
	size_t start, end;  /* byte range in that field of the item */
	char *text;         /* the matched text */
	double weight;      /* contribution to the score; 0 for an exclude */
	long topic;         /* topic index; -1 for a global exclude */
	int exclude;        /* 1 when this term is an exclude (veto) */
	const char *rule;   /* the pattern as written in the file */
	const char *where;  /* "file:line" of the rule */
	size_t rule_index;  /* for rules_rule() */
	int repeat;         /* the same word again in this field: listed, not scored */
	int no_context;     /* its [with] context was missing: listed, not scored */
	int modifier;       /* in the title, the first part of a compound ending in
			       another topic's word: scored, but not the headline's
			       subject when the topic is chosen */
};

/* Why the topic won, for --explain. */
enum topic_why {
	WHY_NONE = 0,   /* nothing qualified */
	WHY_ONLY,       /* the only topic that reached its threshold */
	WHY_OWN,        /* the most of its own words among those that qualified */
	WHY_SPECIFIC,   /* it borrows from the others that qualified: the more specific */
	WHY_TIE,        /* a tie on its own words: the earlier in the file */
	WHY_TITLE,      /* the only one (left) with words of its own in the title */
	WHY_HEADLINE,   /* "headline wins" and its own words in the title */
	WHY_PASSING     /* it lends to the others, whose own words are not in the
			 * title and are one word, or too few to reach their
			 * threshold unborrowed (a mention in passing) */
};

/* Selection: the item is selected when some topic reaches its threshold
 * and is not vetoed (by its own exclude or a global one). More text can
 * only add words, so it never deselects an item unless it brings an
 * exclude. Which qualifying topic the item goes under is a separate
 * choice (see enum topic_why). */
struct match {
	int selected;       /* 1 when the item goes into the digest */
	int vetoed;         /* 1 when a topic reached its threshold but excludes threw the item out */
	int global_veto;    /* a global exclude matched */
	long topic;         /* the chosen topic; when not selected, the best-scoring one; -1 when none scored */
	double score;       /* that topic's score */
	double threshold;   /* the score that topic needs (the global one when none scored) */
	enum topic_why why;
	struct match_term *terms;
	size_t nterms;
	/* per topic (ntopics entries): total score, own words' score, vetoed */
	double *scores, *own;
	char *topic_vetoed;
	size_t ntopics;
	/* rules whose pattern hit PCRE2's backtracking limit on this item:
	 * counted as no match (rule indexes) */
	size_t *limited;
	size_t nlimited;
};
/* 1 when topic t qualifies: its score reaches its threshold, not vetoed. */
int match_qualifies(const struct rules *r, const struct match *m, size_t t);
/* A score as the rules' weights write it: 3.75, 6, 4.5 (into b). */
const char *rules_score_str(double v, char *b, size_t n);

/* Word, stem and *stem rules are found through an index of their
 * literals and confirmed by PCRE2 (see rules.c); off, every rule runs as
 * a pattern over every field. Same results either way; on by default.
 * For tests and benchmarks. */
void rules_use_index(struct rules *r, int on);

struct rules_matcher;
/* A matcher for r (which must outlive it); NULL when out of memory. */
struct rules_matcher *rules_matcher_new(const struct rules *r);
void rules_matcher_free(struct rules_matcher *m);
/* Scores the item against every topic. Returns 0, or -1 with err (out of
 * memory, a PCRE2 error other than its limits). A rule that hits PCRE2's
 * match or depth limit on the item counts as not matching: it is listed
 * in out->limited and counted in the matcher. Free out with match_free. */
int rules_matcher_match(struct rules_matcher *m, const struct item *it, struct match *out,
			struct err *err);
/* How many items rule k hit PCRE2's limit on, over this matcher's life. */
size_t rules_matcher_limit_hits(const struct rules_matcher *m, size_t k);
/* Several threads, each with its own matcher, over batches of items: the
 * same results as one matcher, in order. */
struct rules_pool;
/* nthreads is capped at 16; NULL when out of memory. */
struct rules_pool *rules_pool_new(const struct rules *r, unsigned nthreads);
/* Waits for a running batch, then frees. */
void rules_pool_free(struct rules_pool *p);
/* Called on a pool thread for item i before it is matched (to parse it,
 * say); returns 0, or -1 with err to stop the batch there. */
typedef int (*rules_prepare_fn)(void *ctx, size_t i, struct item *it, struct err *err);
/* Starts matching items[0..n) into out[0..n) (zeroed first), after
 * prepare (may be NULL) on each, and returns; items and out must stay
 * until rules_pool_wait. Returns 0, or -1 with err from the batch before. */
int rules_pool_start(struct rules_pool *p, struct item *items, size_t n, struct match *out,
		     rules_prepare_fn prepare, void *ctx, struct err *err);
/* Waits for the batch. Returns 0, or -1 with err and *failed_at of the
 * first item (in order) that failed; the items before it are all done.
 * Free every out[i] with match_free either way. */
int rules_pool_wait(struct rules_pool *p, size_t *failed_at, struct err *err);
/* As rules_matcher_limit_hits, over every thread. */
size_t rules_pool_limit_hits(const struct rules_pool *p, size_t k);
/* One item with a matcher of its own (for callers that match a few). */
int rules_match(const struct rules *r, const struct item *it, struct match *out,
		struct err *err);
void match_free(struct match *m);

/* ---- lint (`bulletin rules check`) ---- */

/* Findings are handed to the callback one by one, each with the place it
 * concerns ("file:line") and a message for the chair. A warning is wrong
 * whatever the news (a duplicate, an unreachable threshold); a note
 * depends on the items checked (an exclude that never fired on them). */
enum lint_level { LINT_WARNING, LINT_NOTE };
typedef void (*rules_lint_fn)(void *ctx, enum lint_level level, const char *where, const char *msg);
/* What rules_lint checks against besides the rules themselves. */
struct rules_lint_opts {
	const struct item_list *items; /* excludes that never fire (notes) */
	const char *const *sources;    /* [from NAME] must name one of these */
	size_t nsources;
	/* Word lists (one word a line, UTF-8 or Latin-1; missing files are
	 * skipped): a word pattern that matches many of their words outside
	 * the field is a false friend. NULL: rules_lint_wordlists(). */
	const char *const *wordlists;
	size_t nwordlists;
	int no_wordlists;              /* 1: skip that check */
};
/* Debian's word lists (wswedish, wnorwegian, wdanish) where installed. */
extern const char *const rules_lint_wordlists[];
extern const size_t rules_lint_nwordlists;

/* Checks the loaded set: patterns that match nearly any text (tried on a
 * built-in list of everyday Swedish, Norwegian and Danish words, and on
 * the items when given), false friends (tried on the word lists),
 * regexes with nested quantifiers over overlapping classes (catastrophic
 * backtracking) or that match only an empty place (a lookaround alone),
 * duplicates within a topic, topics without an include, topics whose
 * words together can never reach the threshold, [with NAME] naming a
 * group without words, rules scoped to a field weighted 0 or to an
 * unknown source (when sources is not NULL), and excludes that never fire
 * on the items (notes). Pattern findings name file:line:col. The word
 * lists found are counted in *nlists_used when not NULL. Returns the
 * number of warnings, or -1 with err (matching failed). */
int rules_lint(const struct rules *r, const struct rules_lint_opts *o, rules_lint_fn cb,
	       void *ctx, size_t *nlists_used, struct err *err);

#endif
