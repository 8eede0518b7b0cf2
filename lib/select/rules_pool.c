/* Matching a batch of items on several threads: one rules_matcher per
 * thread over the same const rules set (see rules.h), so the results are
 * those of one matcher, in the items' order. The caller may prepare the
 * next batch while one runs (rules_pool_start, then rules_pool_wait).
 *
 * The threads live as long as the pool and wait for batches: starting
 * and ending threads for every batch (their stacks mapped and unmapped,
 * their heaps grown anew) cost more than the matching of a short batch. */
#include "select/ruleset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX_THREADS 16
/* Items a thread takes at a time: neighbours go to different threads, so
 * a run of long items does not land on one, and a thread that is given
 * less CPU takes fewer. */
#define POOL_CHUNK 8

struct worker {
	struct rules_pool *p;
	struct rules_matcher *m;
	pthread_t tid;
	int thread;   /* tid is a running thread */
	int failed;
	size_t fail_at;
	struct err err;
};

struct rules_pool {
	const struct rules *r;
	unsigned n;
	struct worker w[POOL_MAX_THREADS];
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long batch; /* counts batches started: a thread waits for the next */
	unsigned busy;       /* threads still on the batch */
	int quit;
	int running;         /* a batch was started and not waited for */
	/* the batch being matched */
	struct item *items;
	size_t nitems;
	atomic_size_t next; /* the next chunk to take */
	struct match *out;
	rules_prepare_fn prepare;
	void *ctx;
};

/* Takes chunks of the batch until none is left or an item fails. */
static void work(struct worker *w)
{
	struct rules_pool *p = w->p;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, POOL_CHUNK);
		if (i >= p->nitems)
			return;
		size_t end = i + POOL_CHUNK < p->nitems ? i + POOL_CHUNK : p->nitems;
		for (; i < end; i++) {
			if ((p->prepare && p->prepare(p->ctx, i, &p->items[i], &w->err) < 0) ||
			    rules_matcher_match(w->m, &p->items[i], &p->out[i], &w->err) < 0) {
				w->failed = 1;
				w->fail_at = i;
				memset(&p->out[i], 0, sizeof p->out[i]);
				p->out[i].topic = -1;
				return;
			}
		}
	}
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	struct rules_pool *p = w->p;
	unsigned long seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->batch == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->batch;
		pthread_mutex_unlock(&p->mu);
		work(w);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

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
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	atomic_init(&p->next, 0);
	for (unsigned i = 0; i < nthreads; i++) {
		p->w[i].p = p;
		if (!(p->w[i].m = rules_matcher_new(r))) {
			rules_pool_free(p);
			return NULL;
		}
	}
	/* One thread matches in the caller's; with more, each has its own.
	 * A thread that cannot be started is done in the caller's too. */
	for (unsigned i = 0; nthreads > 1 && i < nthreads; i++)
		p->w[i].thread = pthread_create(&p->w[i].tid, NULL, thread_main, &p->w[i]) == 0;
	return p;
}

void rules_pool_free(struct rules_pool *p)
{
	if (!p)
		return;
	struct err e;
	size_t at;
	rules_pool_wait(p, &at, &e);
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++) {
		if (p->w[i].thread)
			pthread_join(p->w[i].tid, NULL);
		rules_matcher_free(p->w[i].m);
	}
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
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
	atomic_store(&p->next, 0);
	unsigned threads = 0;
	for (unsigned i = 0; i < p->n; i++) {
		p->w[i].failed = 0;
		threads += p->w[i].thread != 0;
	}
	pthread_mutex_lock(&p->mu);
	p->busy = threads;
	p->batch++;
	p->running = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		if (!p->w[i].thread)
			work(&p->w[i]); /* one thread, or no more threads: here and now */
	return 0;
}

int rules_pool_wait(struct rules_pool *p, size_t *failed_at, struct err *err)
{
	int rc = 0;
	*failed_at = (size_t)-1;
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	int ran = p->running;
	p->running = 0;
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; ran && i < p->n; i++) {
		struct worker *w = &p->w[i];
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
