/* Measures a rules set against a labeled TSV (the form of
 * ../shared/corpus/public.tsv): header `id lang label topic title summary`
 * (columns found by name, any order; lang optional), tab-separated, no
 * quoting. label is 1 (belongs in the digest) or 0; topic is the expected
 * topic id for label 1, "-" otherwise. Figures come overall, per language
 * and per topic, and every miss with why the rules decided as they did. */
#ifndef BULLETIN_RULES_EVAL_H
#define BULLETIN_RULES_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"
#include "select/rules.h"

struct rules_eval_case {
	char *id;
	char *lang;     /* "" when the file has no lang column */
	char *title;
	char *expected; /* expected topic id ("-" for label 0) */
	char *got;      /* chosen topic id; "-" when not selected */
	char *best;     /* the best-scoring topic when not selected, else "-" */
	double score;   /* score of the chosen (or best) topic */
	double threshold;
	int vetoed;
	char *why;      /* the words that matched and why the rules decided so */
};

/* Counts over some of the rows (all, one language). */
struct rules_eval_counts {
	size_t n, tp, fp, fn, tn;
	size_t topic_correct;     /* true positives whose topic equals the label */
	double precision, recall, f1; /* 0 when undefined */
	double topic_accuracy;    /* topic_correct / tp; 0 when tp is 0 */
};

struct rules_eval_lang {
	char *lang;
	struct rules_eval_counts c;
};

/* One topic: items labeled with it, and items the rules put under it. */
struct rules_eval_topic {
	char *topic;
	size_t labeled, selected, right; /* labeled t; of those selected; under t */
	size_t assigned, assigned_right; /* selected under t; of those labeled t */
	double recall, topic_accuracy, precision;
};

struct rules_eval {
	size_t n;                 /* labeled rows */
	size_t tp, fp, fn, tn;
	double precision, recall, f1; /* 0 when undefined (no predictions / no positives) */
	size_t topic_correct;     /* true positives whose topic equals the label */
	double topic_accuracy;    /* topic_correct / tp; 0 when tp is 0 */
	struct rules_eval_lang *langs; /* in order of first appearance */
	size_t nlangs;
	struct rules_eval_topic *topics; /* in order of first appearance */
	size_t ntopics;
	struct rules_eval_case *fps;        /* false positives */
	size_t nfp;
	struct rules_eval_case *fns;        /* false negatives */
	size_t nfn;
	struct rules_eval_case *mismatches; /* true positives with the wrong topic */
	size_t nmismatch;
};

/* Runs every row through the rules. Returns 0, or -1 with err as
 * "path:line: message" (bad header, wrong field count, bad label) or a
 * matcher error. out is zeroed first and must be freed with rules_eval_free
 * on success. */
int rules_eval_tsv(const struct rules *r, const char *path, struct rules_eval *out, struct err *err);
/* The same over text already in memory; name is used in messages. */
int rules_eval_string(const struct rules *r, const char *name, const char *text,
		      struct rules_eval *out, struct err *err);
void rules_eval_free(struct rules_eval *e);
/* Figures overall, per language and per topic, then the false positives,
 * false negatives and topic mismatches with their explanation. Returns 0,
 * or -1 on a write error. */
int rules_eval_print(const struct rules *r, const struct rules_eval *e, FILE *f);

#endif
