/* The loaded rules set as the select stage's modules share it: the
 * parser (rules_load.c) fills it, the literal index (litindex.c) is built
 * from it, the matcher (rules_match.c) and the lint (rules_lint.c) read
 * it. Outside lib/select/ only rules.h is visible. A loaded set is never
 * written by matching: any number of rules_matcher may read it at once. */
#ifndef BULLETIN_RULESET_H
#define BULLETIN_RULESET_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "select/rules.h"

#define RULES_MAX_FILE (1024 * 1024)
#define RULES_MAX_PATTERNS 10000
#define RULES_MAX_TOPICS 256
#define RULES_MAX_GROUPS 256
#define RULES_MAX_WITH 8
#define RULES_MAX_PATTERN_LEN 4096
#define RULES_MAX_WEIGHT 1000.0
/* Weights as bulletin-rules(5) names them: a word of 1.25 or less never
 * decides alone under a threshold of 4 (nor takes a compound's headline);
 * one of 1 or less in a title is a hint, not the headline's subject. */
#define RULES_WEAK_WEIGHT 1.25
#define RULES_HINT_WEIGHT 1.0
/* Backtracking bounds per pcre2_match call: a hit counts as no match. */
#define RULES_MATCH_LIMIT 1000000
#define RULES_DEPTH_LIMIT 100000

/* [with NAME]: a context is a group (a word list) or a topic (its own
 * include words). */
struct ctx_ref {
	int is_group;
	long idx;
};

struct rule {
	pcre2_code *code;
	pcre2_code *acode; /* the same, anchored: confirms an index hit */
	double weight;     /* 0 for an exclude and a group word */
	long topic;        /* -1: global exclude, or a group word */
	long ref;          /* @topic: borrows that topic's own score; else -1 */
	long group;        /* a group's word: the group; else -1 */
	int exclude;
	int caseless;
	unsigned fields; /* 1 << enum match_field */
	char **from;     /* source names, or NULL */
	size_t nfrom;
	struct ctx_ref with[RULES_MAX_WITH]; /* counts only beside a word of one of these */
	size_t nwith;
	char **with_names;
	char *text;  /* as written */
	char *where; /* "file:line" */
	unsigned col; /* column of the pattern, for lint's file:line:col */
	char *regex; /* as compiled */
	char *lit;   /* folded literal for the index (see litindex.h), or NULL */
	int anywhere; /* *stem, -stem, /regex/: the literal may start inside a word */
	struct rule_info info; /* the public view, filled when loaded */
};

struct topic {
	char *id;
	char *title;
	double threshold;
	int has_threshold;
	unsigned gen;      /* the load that defined or last reopened it */
	int threshold_gen; /* load that set the threshold, for duplicates */
	char *where;       /* where it was first defined */
	long lender;       /* the topic it borrows from (@ID), or -1 */
	int headline_wins; /* its words in the title take the item from every
			      other topic (an event reported, whatever it was about) */
};

struct group {
	char *id;
	char *where;
	unsigned gen;
};

struct lit_index;

struct rules {
	struct rule *rv;
	size_t nrules, caprules;
	struct topic *tv;
	size_t ntopics, captopics;
	struct group *gv;
	size_t ngroups, capgroups;
	double threshold;
	double fieldw[FIELD_COUNT_];
	unsigned gen;            /* one per rules_load_string call */
	struct lit_index *index; /* rebuilt after every load */
	int no_index;            /* rules_use_index(r, 0) */
	unsigned fields_used;    /* every rule's fields, or'ed: set after each load */
	size_t *scan, nscan;     /* the rules the index does not find: run as patterns */
	size_t *scan_all, nscan_all; /* every rule with a pattern (no index) */
	size_t *refs, nrefs;     /* the @topic rules, in order; NULL: look at all */
	int decimals;            /* scores are rounded to this many decimals */
	int has_context;         /* some rule has [with] */
};

/* PCRE2 options every rule is compiled with. */
uint32_t rules_pcre2_options(int caseless);
/* 0 under valgrind or with BULLETIN_PCRE2_NO_JIT set. */
int rules_use_jit(void);
/* After a load: the index, the fields read, the score precision. */
void rules_finish_load(struct rules *r);
void rules_rule_clear(struct rule *ru);
void rules_topic_clear(struct topic *t);
void rules_group_clear(struct group *g);
/* Is rule k a member of context c? */
int rules_in_context(const struct rules *r, const struct rule *ru, const struct ctx_ref *c);
/* Every match of every rule reading field f in text[0..len) (no source),
 * rule by rule, left to right, without overlaps: fn(ctx, rule, start,
 * end). For lint's word lists. Returns 0, fn's non-zero value, or -1. */
int rules_matcher_scan(struct rules_matcher *m, enum match_field f, const char *text, size_t len,
		       int (*fn)(void *ctx, size_t rule, size_t a, size_t b), void *ctx);
/* Rounds a score to the set's precision (so 3.7500000000000004 is 3.75
 * and 0.7 + 0.2 + 0.1 reaches a threshold of 1). */
double rules_round(const struct rules *r, double v);

#endif
