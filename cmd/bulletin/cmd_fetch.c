#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "feed.h"
#include "fetch.h"
#include "log.h"

/* Parses one fetched document and stores its items; returns the number of
 * new items, or -1 with err. */
static int store_document(struct app *a, const struct source *src, const struct fetch_result *res,
			  int *nitems, struct err *err)
{
	struct item_list items = {0};
	struct feed_opts fo = {.base_url = res->effective_url ? res->effective_url : src->url,
			       .summary_max = 600};
	int n = feed_parse(res->body.data ? res->body.data : "", res->body.len, &fo, &items, err);
	int fresh = 0;
	if (n < 0 && items.n == 0) {
		item_list_free(&items);
		return -1;
	}
	if (n < 0) {
		/* Recover mode read part of a broken document: keep what it
		 * read, and tell the chair the source needs a look. */
		log_warn("source %s (%s): %s; kept the %zu items read before it", src->name,
			 src->url, err->msg, items.n);
	}
	*nitems = (int)items.n;
	time_t now = time(NULL);
	if (store_begin(a->store, err) < 0) {
		item_list_free(&items);
		return -1;
	}
	for (size_t i = 0; i < items.n; i++) {
		struct item *it = &items.v[i];
		int is_new = 0;
		free(it->source);
		if (!(it->source = strdup(src->name)) ||
		    store_item_upsert(a->store, it, now, &is_new, err) < 0) {
			store_rollback(a->store);
			item_list_free(&items);
			return -1;
		}
		fresh += is_new;
	}
	item_list_free(&items);
	return store_commit(a->store, err) < 0 ? -1 : fresh;
}

int stage_fetch(struct app *a)
{
	int r = app_store(a);
	if (r)
		return r;
	const struct config *c = &a->cfg;
	size_t n = 0;
	struct fetch_req *reqs = calloc(c->nsources + 1, sizeof *reqs);
	const struct source **srcs = calloc(c->nsources + 1, sizeof *srcs);
	struct source_state *states = calloc(c->nsources + 1, sizeof *states);
	struct fetch_result *res = NULL;
	struct err err;
	int failed = 0, fresh = 0, total = 0;
	if (!reqs || !srcs || !states) {
		r = EXIT_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source *s = &c->sources[i];
		if (!s->enabled)
			continue;
		if (s->type == SOURCE_HTML) {
			/* Not parsed yet: say so every run rather than return an
			 * empty week that looks like "no news". */
			log_error("source %s (%s): HTML listing pages are not supported yet; "
				  "disable it (enabled = no) or give a feed URL",
				  s->name, s->url);
			store_source_record(a->store, s->name, s->url, 0,
					    "HTML listing pages are not supported yet", NULL, NULL,
					    time(NULL), &err);
			failed++;
			continue;
		}
		if (store_source_get(a->store, s->name, &states[n], &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_IOERR;
			goto out;
		}
		srcs[n] = s;
		reqs[n] = (struct fetch_req){.name = s->name, .url = s->url,
					     .etag = states[n].etag,
					     .last_modified = states[n].last_modified};
		n++;
	}
	char ua[512];
	snprintf(ua, sizeof ua, "bulletin/%s%s%s%s", BULLETIN_VERSION, c->contact ? " (+" : "",
		 c->contact ? c->contact : "", c->contact ? ")" : "");
	struct fetch_opts fo = {.user_agent = ua, .max_parallel = c->max_parallel,
				.max_per_host = c->max_per_host,
				.connect_timeout = c->connect_timeout, .timeout = c->timeout,
				.max_redirects = c->max_redirects, .max_body = (size_t)c->max_body};
	res = calloc(n + 1, sizeof *res);
	if (!res || fetch_all(&fo, reqs, n, res) < 0) {
		fprintf(stderr, "bulletin: cannot set up fetching (libcurl)\n");
		r = EXIT_SOFTWARE;
		goto out;
	}
	time_t now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		const struct source *s = srcs[i];
		const struct fetch_result *fr = &res[i];
		const char *why = NULL;
		if (fr->status == FETCH_FAILED) {
			why = fr->error;
		} else if (fr->status == FETCH_OK) {
			int nitems = 0;
			int k = store_document(a, s, fr, &nitems, &err);
			if (k < 0) {
				why = err.msg;
			} else {
				fresh += k;
				total += nitems;
				log_info("source %s: %d items, %d new", s->name, nitems, k);
			}
		} else {
			log_info("source %s: not modified", s->name);
		}
		if (why) {
			log_error("source %s (%s): %s", s->name, s->url, why);
			failed++;
		}
		if (store_source_record(a->store, s->name, s->url, why == NULL, why,
					why ? NULL : fr->etag, why ? NULL : fr->last_modified, now,
					&err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_IOERR;
			goto out;
		}
	}
	if (isatty(STDERR_FILENO) || log_get_level() >= LOG_LVL_INFO)
		fprintf(stderr, "bulletin: fetched %zu sources: %d items, %d new, %d failed\n", n,
			total, fresh, failed);
	r = failed ? EXIT_FAILURE_ : 0;
out:
	for (size_t i = 0; res && i < n; i++)
		fetch_result_free(&res[i]);
	for (size_t i = 0; states && i < c->nsources; i++)
		source_state_free(&states[i]);
	free(res);
	free(states);
	free(srcs);
	free(reqs);
	return r;
}

int cmd_fetch(struct app *a, int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help")) {
			puts("usage: bulletin fetch\n\nFetches every enabled source and stores new items.");
			return 0;
		}
		fprintf(stderr, "bulletin fetch: unexpected argument \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	return stage_fetch(a);
}
