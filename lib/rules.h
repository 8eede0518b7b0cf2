/* Keyword rules (the feeds/ .rules files): topics of weighted PCRE2 include patterns
 * and exclude patterns that veto. See feeds/primarvard.rules for the
 * format; every error names file:line:column. */
#ifndef BULLETIN_RULES_H
#define BULLETIN_RULES_H

#include <stddef.h>

#include "err.h"
#include "item.h"

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

enum match_field { FIELD_TITLE = 0, FIELD_SUMMARY, FIELD_COUNT_ };
const char *match_field_name(enum match_field f);

struct match_term {
	enum match_field field;
	size_t start, end;  /* byte range in that field of the item */
	char *text;         /* the matched text */
	double weight;      /* contribution to the score; 0 for an exclude */
	long topic;         /* topic index; -1 for a global exclude */
	int exclude;        /* 1 when this term is an exclude (veto) */
	const char *rule;   /* the pattern as written in the file */
	const char *where;  /* "file:line" of the rule */
};

struct match {
	int selected;       /* 1 when the item goes into the digest */
	int vetoed;         /* 1 when a global exclude or the best topic's exclude fired */
	long topic;         /* best-scoring topic index; -1 when none scored */
	double score;       /* that topic's score */
	struct match_term *terms;
	size_t nterms;
};

/* Scores the item against every topic. Returns 0, or -1 with err (a PCRE2
 * runtime error, out of memory). Free the result with match_free. */
int rules_match(const struct rules *r, const struct item *it, struct match *out,
		struct err *err);
void match_free(struct match *m);

#endif
