#include "store/ingest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/charset.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "parse/feed.h"
#include "parse/date.h"
#include "parse/html.h"
#include "parse/page.h"
#include "parse/pdf.h"
#include "store/identity.h"
#include "store/watch.h"

/* Periods end one second after their digest was composed: an item
 * found in that same second (a second run right after the first) would
 * fall inside a period already composed and never be mailed. It is
 * stamped with the period's end instead, so the next digest has it. */
static int stamp_time(struct store *s, time_t *now, struct err *err)
{
	time_t end = 0;
	struct digest_row open = {0};
	int have = store_digest_last_end(s, &end, err) < 0
			   ? -1 : store_digest_unfinished(s, &open, err);
	if (have < 0)
		return -1;
	if (have && open.period_end > end)
		end = open.period_end;
	digest_row_free(&open);
	if (end > *now)
		*now = end;
	return 0;
}

/* A watched page (type = page): its extract (HTML, or a PDF whatever the
 * Content-Type says) recorded as a version; a change becomes the next
 * digest's news (compose/watch.c). Returns 1 for a change, 0 for none,
 * -1 with err. */
static int ingest_page(struct store *s, const struct source *src, const struct fetch_result *res,
		       time_t now, long keep, const char *language, struct err *err)
{
	struct page_text pt = {0};
	const char *data = res->body.data ? res->body.data : "";
	const char *kind = pdf_detect(data, res->body.len) ? "pdf" : "html";
	struct page_opts o = {.selector = src->selector};
	if (page_extract_document(data, res->body.len, res->content_type, &o, language, &pt, err) < 0)
		return -1;
	struct page_version v = {.source = strdup(src->name), .url = strdup(res->effective_url ? res->effective_url : src->url),
				 .kind = strdup(kind), .title = pt.title, .text = pt.text,
				 .size = strlen(pt.text)};
	pt.title = pt.text = NULL;
	struct watch_outcome wo;
	int ret = -1;
	if (!v.source || !v.url || !v.kind)
		err_set(err, "out of memory");
	else if (stamp_time(s, &now, err) == 0 && (v.fetched = now, 1) &&
		 watch_record(s, src, &v, keep, &wo, err) == 0)
		ret = wo.what == WATCH_CHANGED;
	if (ret >= 0 && (wo.what == WATCH_FIRST || wo.what == WATCH_SAME))
		log_info("source %s: %s", src->name,
			 wo.what == WATCH_FIRST ? "first version of the page kept" : "the page has not changed");
	else if (ret >= 0 && wo.what == WATCH_CHANGED)
		log_info("source %s: the page changed: %ld lines added, %ld removed", src->name,
			 wo.added, wo.removed);
	else if (ret >= 0 && wo.what == WATCH_BROKEN)
		log_warn("source %s (%s): the page looks broken: %s; not reported as a change "
			 "(bulletin watch --accept %s if it is right)", src->name, src->url, wo.why,
			 src->name);
	page_version_free(&v);
	return ret;
}

void ingest_item_event(struct item *it, time_t now)
{
	/* After the publication, not after now: the same text gives the same
	 * event at every fetch, and one that has passed is left out when a
	 * digest or calendar is made. */
	time_t after = it->published ? it->published : now;
	it->event_start = it->event_end = 0;
	if (!date_event_nordic(it->title, after, after, &it->event_start, &it->event_end))
		date_event_nordic(it->summary, after, after, &it->event_start, &it->event_end);
}

int ingest_parse(const struct source *src, const struct fetch_result *res,
		 struct item_list *items, struct err *err)
{
	struct buf utf8 = BUF_INIT;
	char used[128];
	if (charset_to_utf8(res->body.data ? res->body.data : "", res->body.len, res->content_type,
			    &utf8, used, sizeof used, err) < 0)
		return -1;
	log_debug("source %s: %s", src->name, used);
	const char *base = res->effective_url ? res->effective_url : src->url;
	int n;
	if (src->type == SOURCE_HTML) {
		struct html_selectors sel = {src->sel_item, src->sel_title, src->sel_link,
					     src->sel_date, src->sel_summary};
		struct html_opts ho = {.base_url = base, .summary_max = 600};
		n = html_extract(buf_str(&utf8), utf8.len, &sel, &ho, items, err);
	} else {
		struct feed_opts fo = {.base_url = base, .summary_max = 600};
		n = feed_parse(buf_str(&utf8), utf8.len, &fo, items, err);
	}
	buf_free(&utf8);
	if (n < 0 && items->n == 0) {
		item_list_free(items);
		return -1;
	}
	for (size_t i = 0; i < items->n; i++) {
		free(items->v[i].source);
		if (!(items->v[i].source = strdup(src->name))) {
			item_list_free(items);
			return err_set(err, "out of memory");
		}
	}
	return n < 0 ? 1 : 0;
}

/* Parses one fetched document and stores its items; returns the number of
 * new items, or -1 with err. */
int ingest_document(struct store *s, const struct source *src, const struct fetch_result *res,
		    time_t now, int *nitems, struct err *err)
{
	struct item_list items = {0};
	int n = ingest_parse(src, res, &items, err);
	int fresh = 0;
	if (n < 0)
		return -1;
	if (n > 0) {
		/* Recover mode read part of a broken document: keep what it
		 * read, and tell the chair the source needs a look. */
		log_warn("source %s (%s): %s; kept the %zu items read before it", src->name,
			 src->url, err->msg, items.n);
	}
	*nitems = (int)items.n;
	struct identity_report idr;
	if (identity_assign(s, src->name, &items, &idr, err) < 0) {
		item_list_free(&items);
		return -1;
	}
	if (idr.switched)
		log_warn("source %s (%s): %s", src->name, src->url, idr.note);
	if (stamp_time(s, &now, err) < 0) {
		item_list_free(&items);
		return -1;
	}
	for (size_t i = 0; i < items.n; i++) {
		int is_new = 0;
		ingest_item_event(&items.v[i], now);
		if (store_item_upsert(s, &items.v[i], now, &is_new, err) < 0) {
			item_list_free(&items);
			return -1;
		}
		fresh += is_new;
	}
	item_list_free(&items);
	return fresh;
}

/* After a failure is recorded: a source failing run after run is flagged,
 * so the chair sees it needs her rather than one more transient error. */
static void report_failure(struct store *store, long flag_after, const struct source *s,
			   const char *why, struct err *err)
{
	struct source_state st;
	if (store_source_get(store, s->name, &st, err) == 0 &&
	    st.consecutive_failures >= flag_after) {
		char ts[RFC3339_LEN];
		log_error("source %s (%s) has failed %d runs in a row (last success: %s): %s; "
			  "check it (%s)",
			  s->name, s->url, st.consecutive_failures,
			  st.last_success ? time_format_rfc3339(st.last_success, ts) : "never", why,
			  s->where);
	} else {
		log_error("source %s (%s): %s", s->name, s->url, why);
	}
	source_state_free(&st);
}

/* The network and the parsing overlap: libcurl's loop runs on the main
 * thread and hands each finished result to one worker thread, which
 * converts, parses and stores it (the worker alone touches the store and
 * libxml2 while the fetch runs). With the store in one thread SQLite needs
 * no locking of ours, and the main thread never waits for a parse. */
struct fetch_run {
	struct store *store;
	const struct config *cfg;
	const struct ingest_opts *o;
	const struct source **srcs;
	struct fetch_result *res;
	int failed, fresh, total;
	int store_failed; /* the store itself failed: stop writing, report once */
	struct err store_err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t *queue, qhead, qtail; /* indices of finished results */
	int closed;
};

/* One source's result: parse and store it, then drop its body. */
static void process_result(struct fetch_run *run, size_t i)
{
	const struct source *s = run->srcs[i];
	struct fetch_result *fr = &run->res[i];
	struct err err;
	const char *why = NULL;
	char whybuf[sizeof err.msg];
	if (run->store_failed) {
		buf_free(&fr->body);
		return;
	}
	if (fr->status == FETCH_FAILED) {
		why = fr->error;
	} else if (fr->status == FETCH_OK) {
		int nitems = 0;
		time_t now = run->o->now ? run->o->now : time(NULL);
		int k = s->type == SOURCE_PAGE
				? ingest_page(run->store, s, fr, now, run->cfg->watch_keep,
					      run->cfg->language, &err)
				: ingest_document(run->store, s, fr, now, &nitems, &err);
		if (k < 0) {
			snprintf(whybuf, sizeof whybuf, "%s", err.msg);
			why = whybuf;
		} else {
			run->fresh += k;
			run->total += nitems;
			if (s->type != SOURCE_PAGE) /* ingest_page says what it found */
				log_info("source %s: %d items, %d new", s->name, nitems, k);
		}
	} else {
		log_info("source %s: not modified", s->name);
	}
	buf_free(&fr->body);
	if ((why || fr->moved_to) && run->o->before_message)
		run->o->before_message(run->o->ctx);
	if (store_source_record(run->store, s->name, s->url, why == NULL, why,
				why ? NULL : fr->etag, why ? NULL : fr->last_modified, time(NULL),
				&run->store_err) < 0) {
		run->store_failed = 1;
		return;
	}
	if (why) {
		report_failure(run->store, run->cfg->flag_after, s, why, &err);
		run->failed++;
	} else if (fr->moved_to && strcmp(fr->moved_to, s->url)) {
		log_warn("source %s has moved permanently to %s; update its url (%s)", s->name,
			 fr->moved_to, s->where);
	}
}

static void *worker(void *ctx)
{
	struct fetch_run *run = ctx;
	pthread_mutex_lock(&run->mu);
	for (;;) {
		while (run->qhead == run->qtail && !run->closed)
			pthread_cond_wait(&run->cv, &run->mu);
		if (run->qhead == run->qtail)
			break;
		size_t i = run->queue[run->qhead++];
		pthread_mutex_unlock(&run->mu);
		process_result(run, i);
		pthread_mutex_lock(&run->mu);
	}
	pthread_mutex_unlock(&run->mu);
	return NULL;
}

/* libcurl's side: the result i is final; queue it for the worker. */
static void on_fetched(void *ctx, size_t i, struct fetch_result *fr)
{
	(void)fr;
	struct fetch_run *run = ctx;
	pthread_mutex_lock(&run->mu);
	run->queue[run->qtail++] = i;
	pthread_cond_signal(&run->cv);
	pthread_mutex_unlock(&run->mu);
}

/* [fetch] as libcurl's side wants it. */
static struct fetch_opts fetch_opts_of(const struct config *c, const char *user_agent)
{
	return (struct fetch_opts){
		.user_agent = user_agent, .max_parallel = c->max_parallel,
		.max_per_host = c->max_per_host, .connect_timeout = c->connect_timeout,
		.timeout = c->timeout, .max_redirects = c->max_redirects,
		.max_body = (size_t)c->max_body, .low_speed_time = c->low_speed_time,
		.max_retries = c->retries < 0 ? 0 : c->retries == 0 ? -1 : (int)c->retries,
		.retry_after_max = c->retry_after_max};
}

int ingest_run(struct store *s, const struct config *c, const struct ingest_opts *o,
	       struct ingest_report *rep, struct err *err)
{
	static const struct ingest_opts none = {0};
	if (!o)
		o = &none;
	memset(rep, 0, sizeof *rep);
	size_t n = 0;
	struct fetch_req *reqs = calloc(c->nsources + 1, sizeof *reqs);
	const struct source **srcs = calloc(c->nsources + 1, sizeof *srcs);
	struct source_state *states = calloc(c->nsources + 1, sizeof *states);
	struct fetch_result *res = NULL;
	struct fetch_run run = {.store = s, .cfg = c, .o = o, .srcs = srcs,
				.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t thread;
	int started = 0, in_tx = 0, r = INGEST_SETUP_FAILED;
	if (!reqs || !srcs || !states) {
		err_set(err, "out of memory");
		goto out;
	}
	/* One transaction for the run: a commit per source cost more than the
	 * parsing (WAL checkpoints), and a half-stored run has no value. */
	r = INGEST_STORE_FAILED;
	if (store_begin(s, err) < 0)
		goto out;
	in_tx = 1;
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source *src = &c->sources[i];
		if (!src->enabled)
			continue;
		/* paused by the chair's mail (issue 18) */
		int paused = store_source_paused(s, src->name, err);
		if (paused < 0)
			goto out;
		if (paused) {
			log_info("%s: paused by the chair; not fetched", src->name);
			continue;
		}
		if (store_source_get(s, src->name, &states[n], err) < 0)
			goto out;
		srcs[n] = src;
		/* Validators answered by another URL (the config's url changed)
		 * would make the new URL answer 304 to a feed never stored. */
		int mine = states[n].validators_url && src->url &&
			   !strcmp(states[n].validators_url, src->url);
		reqs[n] = (struct fetch_req){.name = src->name, .url = src->url,
					     .etag = mine ? states[n].etag : NULL,
					     .last_modified = mine ? states[n].last_modified : NULL,
					     .allow_downgrade = src->allow_downgrade};
		n++;
	}
	struct fetch_opts fo = fetch_opts_of(c, o->user_agent);
	fo.progress = o->progress;
	fo.progress_ctx = o->ctx;
	fo.on_result = on_fetched;
	fo.result_ctx = &run;
	res = calloc(n + 1, sizeof *res);
	run.res = res;
	run.queue = calloc(n + 1, sizeof *run.queue);
	r = INGEST_SETUP_FAILED;
	if (!res || !run.queue || pthread_create(&thread, NULL, worker, &run) != 0) {
		err_set(err, "cannot start fetching (out of memory or threads)");
		goto out;
	}
	started = 1;
	int fr_rc = fetch_all(&fo, reqs, n, res);
	pthread_mutex_lock(&run.mu);
	run.closed = 1;
	pthread_cond_signal(&run.cv);
	pthread_mutex_unlock(&run.mu);
	pthread_join(thread, NULL);
	started = 0;
	if (fr_rc < 0) {
		err_set(err, "cannot set up fetching (libcurl)");
		goto out;
	}
	r = INGEST_STORE_FAILED;
	if (run.store_failed) {
		*err = run.store_err;
		goto out;
	}
	in_tx = 0;
	if (store_commit(s, err) < 0)
		goto out;
	rep->sources = n;
	rep->items = run.total;
	rep->fresh = run.fresh;
	rep->failed = run.failed;
	r = INGEST_OK;
out:
	if (started) {
		pthread_mutex_lock(&run.mu);
		run.closed = 1;
		pthread_cond_signal(&run.cv);
		pthread_mutex_unlock(&run.mu);
		pthread_join(thread, NULL);
	}
	free(run.queue);
	if (in_tx)
		store_rollback(s);
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

int ingest_try(const struct config *c, const struct source *src, const char *user_agent,
	       struct ingest_try *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	struct fetch_opts fo = fetch_opts_of(c, user_agent);
	struct fetch_req req = {.name = src->name, .url = src->url,
				.allow_downgrade = src->allow_downgrade};
	struct fetch_result res;
	if (fetch_all(&fo, &req, 1, &res) < 0) {
		fetch_result_free(&res);
		return err_set(err, "cannot set up fetching (libcurl)");
	}
	out->http_code = res.http_code;
	out->bytes = res.body.len;
	out->attempts = res.attempts;
	if (res.moved_to)
		out->moved_to = strdup(res.moved_to);
	int r = 0;
	if (res.status != FETCH_OK) {
		snprintf(out->fetch_error, sizeof out->fetch_error, "%s",
			 res.status == FETCH_NOT_MODIFIED ? "HTTP 304 to a request without validators"
							  : res.error);
		r = -1;
		err_set(err, "%s", out->fetch_error);
	} else if (src->type == SOURCE_PAGE) {
		struct page_opts po = {.selector = src->selector};
		struct page_text pt = {0};
		const char *data = res.body.data ? res.body.data : "";
		if (page_extract_document(data, res.body.len, res.content_type, &po, c->language, &pt,
					  err) < 0) {
			r = -1;
		} else {
			out->page_title = pt.title;
			out->page_chars = strlen(pt.text);
			pt.title = NULL;
			page_text_free(&pt);
		}
	} else {
		r = ingest_parse(src, &res, &out->items, err);
		if (r > 0) {
			snprintf(out->partial, sizeof out->partial, "%s", err->msg);
			r = 0;
		}
		time_t now = time(NULL);
		for (size_t i = 0; r == 0 && i < out->items.n; i++)
			ingest_item_event(&out->items.v[i], now);
	}
	fetch_result_free(&res);
	return r;
}

void ingest_try_free(struct ingest_try *t)
{
	item_list_free(&t->items);
	free(t->moved_to);
	free(t->page_title);
	memset(t, 0, sizeof *t);
}
