/* The rules set: its life, what it holds (topics, groups, rules) and the
 * settings every module of the stage shares. Loading is rules_load.c,
 * the literal index litindex.c, matching rules_match.c, lint rules_lint.c. */
#include "select/ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select/litindex.h"

/* PCRE2's JIT reads the subject 16 bytes at a time, past its end (aligned,
 * so harmless); valgrind reports each read. Under valgrind we use the
 * interpreter, which gives the same results. The macro is a no-op outside
 * valgrind. BULLETIN_PCRE2_NO_JIT=1 in the environment does the same. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

uint32_t rules_pcre2_options(int caseless)
{
	uint32_t opt = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	return caseless ? opt | PCRE2_CASELESS : opt;
}

int rules_use_jit(void) { return !RUNNING_ON_VALGRIND && !getenv("BULLETIN_PCRE2_NO_JIT"); }

struct rules *rules_new(void)
{
	struct rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->threshold = 1.0;
	for (int f = 0; f < FIELD_COUNT_; f++)
		r->fieldw[f] = f == FIELD_TITLE ? 2.0 : 1.0;
	/* BULLETIN_RULES_NO_INDEX=1: every rule as a pattern (benchmarks) */
	r->no_index = getenv("BULLETIN_RULES_NO_INDEX") != NULL;
	return r;
}

void rules_rule_clear(struct rule *ru)
{
	pcre2_code_free(ru->code);
	pcre2_code_free(ru->acode);
	free(ru->text);
	free(ru->where);
	free(ru->regex);
	free(ru->lit);
	for (size_t i = 0; i < ru->nfrom; i++)
		free(ru->from[i]);
	free(ru->from);
	for (size_t i = 0; ru->with_names && i < ru->nwith; i++)
		free(ru->with_names[i]);
	free(ru->with_names);
	memset(ru, 0, sizeof *ru);
}

void rules_topic_clear(struct topic *t)
{
	free(t->id);
	free(t->title);
	free(t->where);
	memset(t, 0, sizeof *t);
}

void rules_group_clear(struct group *g)
{
	free(g->id);
	free(g->where);
	memset(g, 0, sizeof *g);
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		rules_rule_clear(&r->rv[i]);
	for (size_t i = 0; i < r->ntopics; i++)
		rules_topic_clear(&r->tv[i]);
	for (size_t i = 0; i < r->ngroups; i++)
		rules_group_clear(&r->gv[i]);
	free(r->rv);
	free(r->tv);
	free(r->gv);
	lit_index_free(r->index);
	free(r->scan);
	free(r->scan_all);
	free(r->refs);
	free(r);
}

void rules_finish_load(struct rules *r)
{
	/* Without an index (out of memory) every rule runs as a pattern:
	 * slower, same results. */
	lit_index_free(r->index);
	r->index = lit_index_build(r->rv, r->nrules);
	r->fields_used = 0;
	r->has_context = 0;
	free(r->scan);
	free(r->scan_all);
	r->scan = calloc(r->nrules + 1, sizeof *r->scan);
	r->scan_all = calloc(r->nrules + 1, sizeof *r->scan_all);
	r->nscan = r->nscan_all = 0;
	free(r->refs);
	r->refs = calloc(r->nrules + 1, sizeof *r->refs); /* no memory: the matcher looks at all */
	r->nrefs = 0;
	if (!r->scan || !r->scan_all) { /* no memory: no index either */
		free(r->scan);
		free(r->scan_all);
		r->scan = r->scan_all = NULL;
		lit_index_free(r->index);
		r->index = NULL;
	}
	for (size_t k = 0; k < r->nrules; k++) {
		r->fields_used |= r->rv[k].fields;
		r->has_context |= r->rv[k].nwith > 0;
		if (r->refs && r->rv[k].ref >= 0)
			r->refs[r->nrefs++] = k;
		if (!r->rv[k].code || !r->scan)
			continue;
		r->scan_all[r->nscan_all++] = k;
		if (!lit_indexed(r->index, k))
			r->scan[r->nscan++] = k;
	}
}

double rules_round(const struct rules *r, double v)
{
	/* a weight's decimals, times a field weight's, times a borrow's */
	int d = 3 * (r ? r->decimals : 3);
	if (d > 6)
		d = 6;
	double s = 1;
	for (int i = 0; i < d; i++)
		s *= 10;
	double x = v * s;
	if (x > 1e15 || x < -1e15)
		return v;
	return (double)(long long)(x + (x < 0 ? -0.5 : 0.5)) / s;
}

const char *rules_score_str(double v, char *b, size_t n)
{
	/* Scores are rounded to the weights' precision: the shortest form
	 * that reads back the same is what the weights wrote. */
	snprintf(b, n, "%.10g", v);
	return b;
}

/* [with T] is met by a word of T, or by a word of a topic borrowing from T
 * that needs no company itself: legevakt or listetak says primary care as
 * surely as vårdcentral does, so "konferanse" beside legevakt counts. */
int rules_in_context(const struct rules *r, const struct rule *ru, const struct ctx_ref *c)
{
	if (c->is_group)
		return ru->group == c->idx;
	if (ru->exclude || ru->ref >= 0 || ru->group >= 0 || ru->topic < 0)
		return 0;
	if (ru->topic == c->idx)
		return 1;
	return ru->nwith == 0 && r->tv[ru->topic].lender == c->idx;
}

size_t rules_topic_count(const struct rules *r) { return r ? r->ntopics : 0; }

const char *rules_topic_id(const struct rules *r, size_t i)
{
	return r && i < r->ntopics ? r->tv[i].id : NULL;
}

const char *rules_topic_title(const struct rules *r, size_t i)
{
	return r && i < r->ntopics ? r->tv[i].title : NULL;
}

long rules_topic_index(const struct rules *r, const char *id)
{
	if (!r || !id)
		return -1;
	for (size_t i = 0; i < r->ntopics; i++)
		if (strcmp(r->tv[i].id, id) == 0)
			return (long)i;
	return -1;
}

size_t rules_group_count(const struct rules *r) { return r ? r->ngroups : 0; }

const char *rules_group_id(const struct rules *r, size_t i)
{
	return r && i < r->ngroups ? r->gv[i].id : NULL;
}

double rules_threshold(const struct rules *r, long topic)
{
	if (!r)
		return 0;
	if (topic >= 0 && (size_t)topic < r->ntopics && r->tv[topic].has_threshold)
		return r->tv[topic].threshold;
	return r->threshold;
}

size_t rules_pattern_count(const struct rules *r) { return r ? r->nrules : 0; }

static const char *const field_names[FIELD_COUNT_] = {"title", "summary", "content",
							  "categories", "url", "source"};

const char *match_field_name(enum match_field f)
{
	return (unsigned)f < FIELD_COUNT_ ? field_names[f] : "?";
}

int match_field_by_name(const char *name, size_t len)
{
	for (int f = 0; f < FIELD_COUNT_; f++)
		if (strlen(field_names[f]) == len && !memcmp(field_names[f], name, len))
			return f;
	return -1;
}

double rules_field_weight(const struct rules *r, enum match_field f)
{
	return (unsigned)f < FIELD_COUNT_ ? r->fieldw[f] : 0;
}

size_t rules_rule_count(const struct rules *r) { return r ? r->nrules : 0; }

void rules_use_index(struct rules *r, int on) { r->no_index = !on; }

const struct rule_info *rules_rule(const struct rules *r, size_t i)
{
	return r && i < r->nrules ? &r->rv[i].info : NULL;
}
