/* Keyword rules (the feeds/ .rules files): topics of weighted PCRE2 include patterns
 * and exclude patterns that veto. See feeds/primarvard.rules for the
 * format; every error names file:line:column. */
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
 * -1 with err as "path:line:col: message" (PCRE2's own message for a bad
 * pattern). */
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
};
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
};

struct match {
	int selected;       /* 1 when the item goes into the digest */
	int vetoed;         /* 1 when a global exclude or the best topic's exclude fired */
	long topic;         /* best-scoring topic index; -1 when none scored */
	double score;       /* that topic's score */
	double threshold;   /* the score that topic needs (the global one when none scored) */
	struct match_term *terms;
	size_t nterms;
};

/* Word, stem and *stem rules are found through an index of their
 * literals and confirmed by PCRE2 (see rules.c); off, every rule runs as
 * a pattern over every field. Same results either way; on by default.
 * For tests and benchmarks. */
void rules_use_index(struct rules *r, int on);

/* Scores the item against every topic. Returns 0, or -1 with err (a PCRE2
 * runtime error, out of memory). Free the result with match_free. */
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
/* Checks the loaded set: patterns that match nearly any text (tried on a
 * built-in list of everyday Swedish, Norwegian and Danish words, and on
 * the items when given), duplicates within a topic, topics without an
 * include, topics whose words together can never reach the threshold,
 * rules scoped to a field weighted 0 or to an unknown source (when
 * sources is not NULL), and excludes that never fire on the items (when
 * items is not NULL and not empty; these are notes). Returns the number
 * of warnings, or -1 with err (matching failed). */
int rules_lint(const struct rules *r, const struct item_list *items, const char *const *sources,
	       size_t nsources, rules_lint_fn cb, void *ctx, struct err *err);

#endif
