/* bulletin status: the chair's report in one screen, read-only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/log.h"
#include "deliver/review.h"
#include "core/timefmt.h"
#include "core/url.h"
#include "compose/chrome.h"
#include "fetch/failure.h"

static int report_sources(struct app *a, FILE *out, const struct chrome_report *t)
{
	struct source_health *hv = NULL;
	size_t nh = 0, ok = 0, bad = 0, never = 0;
	time_t last = 0;
	struct err err;
	if (store_sources_all(a->store, &hv, &nh, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	const struct config *c = &a->cfg;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->nsources; i++) {
			const struct source *src = &c->sources[i];
			const struct source_state *st = NULL;
			for (size_t k = 0; src->enabled && k < nh && !st; k++)
				if (!strcmp(hv[k].name, src->name))
					st = &hv[k].st;
			if (!src->enabled)
				continue;
			if (pass == 0) {
				if (!st || !st->last_attempt)
					never++;
				else if (st->consecutive_failures)
					bad++;
				else
					ok++;
				if (st && st->last_attempt > last)
					last = st->last_attempt;
			} else if (st && st->consecutive_failures) {
				char url[1024];
				fputs("  ", out);
				fprintf(out, st->consecutive_failures == 1 ? t->failing_one : t->failing_many,
					src->name, url_redact(src->url, url, sizeof url),
					st->consecutive_failures);
				app_put_clean(out, st->last_error);
				fputc('\n', out);
				/* libcurl speaks English: one line on what it means */
				const char *means = t->failure[fetch_failure_kind(st->last_error)];
				if (means)
					fprintf(out, "    %s\n", means);
			}
		}
		if (pass == 0) {
			char when[32];
			fprintf(out, t->last_run, last ? app_when(last, when, sizeof when) : t->never);
			fputc('\n', out);
			fprintf(out, t->sources, ok, bad);
			if (never)
				fprintf(out, t->never_fetched, never);
			fputc('\n', out);
		}
	}
	source_health_free(hv, nh);
	return 0;
}

static int report_preview(struct app *a, FILE *out, const struct chrome_report *t)
{
	struct digest_row row;
	json_t *model = NULL;
	int r = app_compose(a, app_now(), 0, &row, &model);
	if (r)
		return r;
	char ts[RFC3339_LEN];
	json_t *rep = a->chair_report;
	fprintf(out, t->next_digest,
		row.period_start ? time_format_rfc3339(row.period_start, ts) : t->the_start,
		(long long)json_integer_value(json_object_get(rep, "items_checked")),
		(long long)json_integer_value(json_object_get(model, "count")));
	fputc('\n', out);
	/* the chair's review: the next digest is a draft waiting for it */
	struct review_draft draft;
	struct err err;
	int waits = review_enabled(&a->cfg) ? store_review_open(a->store, &draft, &err) : 0;
	if (waits < 0)
		log_warn("%s", err.msg);
	if (waits > 0) {
		const struct chrome_review *cr = chrome_review_for(t->lang);
		char when[160];
		fputs("  ", out);
		if (draft.deadline && strcmp(draft.state, "approved")) {
			chrome_review_when(draft.deadline, t->lang, a->cfg.timezone, when, sizeof when);
			fprintf(out, cr->waits, when);
		} else {
			fputs(cr->waits_approve, out);
		}
		fputc('\n', out);
		review_draft_free(&draft);
	}
	json_int_t old = json_integer_value(json_object_get(rep, "too_old"));
	if (old) {
		fputs("  ", out);
		fprintf(out, t->too_old, (long long)old, a->cfg.max_age_days);
		fputc('\n', out);
	}
	size_t i;
	json_t *topic;
	json_array_foreach(json_object_get(model, "topics"), i, topic) {
		size_t n = json_array_size(json_object_get(topic, "items"));
		if (n)
			fprintf(out, "  %s: %zu\n",
				json_string_value(json_object_get(topic, "title")), n);
	}
	/* watched pages: each change with its size, each page that looks broken */
	json_t *w;
	json_array_foreach(json_object_get(rep, "watch_changed"), i, w) {
		fprintf(out, "  %s", t->watch_changed);
		app_put_clean(out, json_string_value(json_object_get(w, "name")));
		fprintf(out, ": %s\n", json_string_value(json_object_get(w, "size_text")));
	}
	json_array_foreach(json_object_get(rep, "watch_broken"), i, w) {
		fprintf(out, "  %s", t->watch_broken);
		app_put_clean(out, json_string_value(json_object_get(w, "name")));
		fputs(": ", out);
		app_put_clean(out, json_string_value(json_object_get(w, "why")));
		fputc('\n', out);
	}
	/* With no items every rule is "unused": that says nothing. */
	if (!json_integer_value(json_object_get(rep, "items_checked"))) {
		fprintf(out, "%s\n", t->rules_empty);
		goto done;
	}
	fprintf(out, t->rules_dead, (long long)json_integer_value(json_object_get(rep, "dead_count")),
		(long long)json_integer_value(json_object_get(rep, "include_count")));
	fputc('\n', out);
	json_t *d;
	json_array_foreach(json_object_get(rep, "dead"), i, d) {
		fprintf(out, "  %s: ", json_string_value(json_object_get(d, "where")));
		app_put_clean(out, json_string_value(json_object_get(d, "rule")));
		fputc('\n', out);
	}
	json_int_t more = json_integer_value(json_object_get(rep, "dead_unlisted"));
	if (more) {
		fputs("  ", out);
		fprintf(out, t->and_more, (long long)more);
		fputc('\n', out);
	}
done:
	/* what the mailbox did to members (issue 18) */
	json_array_foreach(json_object_get(rep, "members"), i, d) {
		if (i == 0)
			fprintf(out, "%s\n", t->members);
		fprintf(out, "  %s: ", json_string_value(json_object_get(d, "address")));
		app_put_clean(out, json_string_value(json_object_get(d, "reason")));
		fputc('\n', out);
	}
	more = json_integer_value(json_object_get(rep, "members_unlisted"));
	if (more) {
		fputs("  ", out);
		fprintf(out, t->and_more, (long long)more);
		fputc('\n', out);
	}
	json_decref(model);
	digest_row_free(&row);
	return 0;
}

/* The newest digest's delivery, then every member of any digest someone
 * still has to look at: in doubt, deferred, to send, with the reason. */
static int report_delivery(struct app *a, FILE *out, const struct chrome_report *t)
{
	struct err err;
	struct digest_row d;
	int have = store_digest_get(a->store, 0, &d, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (!have) {
		fprintf(out, "%s\n", t->no_digest);
		return 0;
	}
	struct delivery_row *v = NULL, *u = NULL;
	size_t n = 0, nu = 0, counts[DELIVERY_NSTATES] = {0};
	if (store_delivery_list(a->store, d.id, &v, &n, &err) < 0 ||
	    store_delivery_unresolved(a->store, &u, &nu, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		delivery_rows_free(v, n);
		digest_row_free(&d);
		return EXIT_IOERR;
	}
	for (size_t i = 0; i < n; i++)
		counts[v[i].state]++;
	char t1[32], t2[32];
	fputs(t->last_digest, out);
	app_put_clean(out, d.subject);
	fprintf(out, t->last_digest_end, app_when(d.created, t1, sizeof t1));
	if (d.completed)
		fprintf(out, t->completed, app_when(d.completed, t2, sizeof t2));
	else
		fputs(t->unfinished, out);
	fputs("\n  ", out);
	fprintf(out, t->counts, counts[DELIVERY_SENT], counts[DELIVERY_FAILED],
		counts[DELIVERY_DEFERRED] + counts[DELIVERY_QUEUED],
		counts[DELIVERY_SENDING] + counts[DELIVERY_IN_DOUBT]);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		if (v[i].state != DELIVERY_FAILED)
			continue;
		fputs("  ", out);
		fprintf(out, t->failed, v[i].email);
		app_put_clean(out, v[i].last_reply);
		fputc('\n', out);
	}
	for (size_t i = 0; i < nu; i++) {
		enum delivery_state st = u[i].state;
		fprintf(out, "  %s: %s ",
			st == DELIVERY_SENDING || st == DELIVERY_IN_DOUBT ? t->in_doubt
			: st == DELIVERY_QUEUED ? t->to_send : t->deferred, u[i].email);
		fprintf(out, t->digest_id, (long long)u[i].digest_id);
		fputs(": ", out);
		app_put_clean(out, u[i].last_reply);
		fputc('\n', out);
	}
	delivery_rows_free(v, n);
	delivery_rows_free(u, nu);
	digest_row_free(&d);
	return 0;
}

int app_status_report(struct app *a, FILE *out, const struct chrome_report *t)
{
	int r;
	if ((r = app_store_readonly(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	if ((r = report_sources(a, out, t)) || (r = report_preview(a, out, t)))
		return r;
	app_members_changed_back(a, out, t);
	return report_delivery(a, out, t);
}

int cmd_status(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin status\n\nThe chair's report: the last run's sources "
		"(fetched, failing and for how\nmany runs in a row), the items the next "
		"digest would carry per topic,\ninclude rules that matched nothing in the "
		"period, and the last digest's\ndelivery. Reads only; sends nothing.";
	int na = app_no_args(argc, argv, "status", usage);
	if (na >= 0)
		return na;
	int r = app_config(a);
	if (r)
		return r;
	struct stat st;
	if (stat(a->cfg.store_path, &st) < 0) {
		/* Opening would create an empty store: say there is nothing yet. */
		fprintf(stderr, "bulletin: %s: %s: no run yet\n", a->cfg.store_path,
			strerror(errno));
		return EXIT_NOINPUT;
	}
	/* On the terminal in English, as every command speaks; the mailed
	 * report (run) in the digest's language. */
	return app_status_report(a, stdout, chrome_report_for("en"));
}
