/* Matching a batch of items on several threads: one rules_matcher per
 * thread over the same const rules set (see rules.h), so the results are
 * those of one matcher, in the items' order. The caller may prepare the
 * next batch while one runs (rules_pool_start, then rules_pool_wait). */
#include "select/ruleset.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX_THREADS 16

struct worker {
	struct rules_pool *p;
	struct rules_matcher *m;
	pthread_t tid;
	unsigned index;
	int running;
	int failed;
	size_t fail_at;
	struct err err;
};

struct rules_pool {
	const struct rules *r;
	unsigned n;
	struct worker w[POOL_MAX_THREADS];
	/* the batch being matched */
	struct item *items;
	size_t nitems;
	struct match *out;
	rules_prepare_fn prepare;
	void *ctx;
};

struct rules_pool *rules_pool_new(const struct rules *r, unsigned nthreads)
{
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > POOL_MAX_THREADS)
		nthreads = POOL_MAX_THREADS;
	struct rules_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->r = r;
	p->n = nthreads;
	for (unsigned i = 0; i < nthreads; i++) {
		p->w[i].p = p;
		p->w[i].index = i;
		if (!(p->w[i].m = rules_matcher_new(r))) {
			rules_pool_free(p);
			return NULL;
		}
	}
	return p;
}

void rules_pool_free(struct rules_pool *p)
{
	if (!p)
		return;
	struct err e;
	size_t at;
	rules_pool_wait(p, &at, &e);
	for (unsigned i = 0; i < p->n; i++)
		rules_matcher_free(p->w[i].m);
	free(p);
}

/* Items i, i + n, i + 2n ...: neighbours go to different threads, so a run
 * of long items does not land on one. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct rules_pool *p = w->p;
	for (size_t i = w->index; i < p->nitems && !w->failed; i += p->n) {
		if ((p->prepare && p->prepare(p->ctx, i, &p->items[i], &w->err) < 0) ||
		    rules_matcher_match(w->m, &p->items[i], &p->out[i], &w->err) < 0) {
			w->failed = 1;
			w->fail_at = i;
			memset(&p->out[i], 0, sizeof p->out[i]);
			p->out[i].topic = -1;
		}
	}
	return NULL;
}

int rules_pool_start(struct rules_pool *p, struct item *items, size_t n, struct match *out,
		     rules_prepare_fn prepare, void *ctx, struct err *err)
{
	size_t at;
	if (rules_pool_wait(p, &at, err) < 0)
		return -1;
	memset(out, 0, n * sizeof *out);
	p->prepare = prepare;
	p->ctx = ctx;
	p->items = items;
	p->nitems = n;
	p->out = out;
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		w->failed = 0;
		if (p->n == 1 || pthread_create(&w->tid, NULL, work, w) != 0)
			work(w); /* one thread, or no more threads: here and now */
		else
			w->running = 1;
	}
	return 0;
}

int rules_pool_wait(struct rules_pool *p, size_t *failed_at, struct err *err)
{
	int rc = 0;
	*failed_at = (size_t)-1;
	for (unsigned i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];
		if (w->running) {
			pthread_join(w->tid, NULL);
			w->running = 0;
		}
		if (w->failed && w->fail_at < *failed_at) { /* the first in the items' order */
			*failed_at = w->fail_at;
			*err = w->err;
			rc = -1;
		}
		w->failed = 0;
	}
	return rc;
}

size_t rules_pool_limit_hits(const struct rules_pool *p, size_t k)
{
	size_t n = 0;
	for (unsigned i = 0; i < p->n; i++)
		n += rules_matcher_limit_hits(p->w[i].m, k);
	return n;
}
