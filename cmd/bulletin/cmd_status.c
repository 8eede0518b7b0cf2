/* bulletin status: the chair's report in one screen, read-only. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "core/timefmt.h"
#include "core/url.h"

static int report_sources(struct app *a, FILE *out)
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
				fprintf(out, "  failing: %s (%s), %d run%s in a row: ", src->name,
					url_redact(src->url, url, sizeof url), st->consecutive_failures,
					st->consecutive_failures == 1 ? "" : "s");
				app_put_clean(out, st->last_error);
				fputc('\n', out);
			}
		}
		if (pass == 0) {
			char t[32];
			fprintf(out, "Last run: %s\n", app_when(last, t, sizeof t));
			fprintf(out, "Sources: %zu fetched, %zu failed", ok, bad);
			if (never)
				fprintf(out, ", %zu never fetched", never);
			fputc('\n', out);
		}
	}
	source_health_free(hv, nh);
	return 0;
}

static int report_preview(struct app *a, FILE *out)
{
	struct digest_row row;
	json_t *model = NULL;
	int r = app_compose(a, app_now(), 0, &row, &model);
	if (r)
		return r;
	char t[RFC3339_LEN];
	json_t *rep = a->chair_report;
	fprintf(out, "Next digest (items first seen since %s): %lld new, %lld selected\n",
		row.period_start ? time_format_rfc3339(row.period_start, t) : "the start",
		(long long)json_integer_value(json_object_get(rep, "items_checked")),
		(long long)json_integer_value(json_object_get(model, "count")));
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
		fputs("  watched page changed: ", out);
		app_put_clean(out, json_string_value(json_object_get(w, "name")));
		fprintf(out, ": %s\n", json_string_value(json_object_get(w, "size_text")));
	}
	json_array_foreach(json_object_get(rep, "watch_broken"), i, w) {
		fputs("  watched page looks broken (not sent to members): ", out);
		app_put_clean(out, json_string_value(json_object_get(w, "name")));
		fputs(": ", out);
		app_put_clean(out, json_string_value(json_object_get(w, "why")));
		fputc('\n', out);
	}
	/* With no items every rule is "unused": that says nothing. */
	if (!json_integer_value(json_object_get(rep, "items_checked"))) {
		fputs("Rules: no items in the period yet\n", out);
		goto done;
	}
	fprintf(out, "Rules that matched nothing in the period: %lld of %lld include rules\n",
		(long long)json_integer_value(json_object_get(rep, "dead_count")),
		(long long)json_integer_value(json_object_get(rep, "include_count")));
	json_t *d;
	json_array_foreach(json_object_get(rep, "dead"), i, d) {
		fprintf(out, "  %s: ", json_string_value(json_object_get(d, "where")));
		app_put_clean(out, json_string_value(json_object_get(d, "rule")));
		fputc('\n', out);
	}
	json_int_t more = json_integer_value(json_object_get(rep, "dead_unlisted"));
	if (more)
		fprintf(out, "  and %lld more\n", (long long)more);
done:
	/* what the mailbox did to members (issue 18) */
	json_array_foreach(json_object_get(rep, "members"), i, d) {
		if (i == 0)
			fputs("Members to look at (bulletin members):\n", out);
		fprintf(out, "  %s: ", json_string_value(json_object_get(d, "address")));
		app_put_clean(out, json_string_value(json_object_get(d, "reason")));
		fputc('\n', out);
	}
	more = json_integer_value(json_object_get(rep, "members_unlisted"));
	if (more)
		fprintf(out, "  and %lld more\n", (long long)more);
	json_decref(model);
	digest_row_free(&row);
	return 0;
}

/* The newest digest's delivery, then every member of any digest someone
 * still has to look at: in doubt, deferred, to send, with the reason. */
static int report_delivery(struct app *a, FILE *out)
{
	struct err err;
	struct digest_row d;
	int have = store_digest_get(a->store, 0, &d, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (!have) {
		fputs("Last digest: none sent yet\n", out);
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
	fputs("Last digest: \"", out);
	app_put_clean(out, d.subject);
	fprintf(out, "\", composed %s, delivery %s %s\n", app_when(d.created, t1, sizeof t1),
		d.completed ? "completed" : "unfinished",
		d.completed ? app_when(d.completed, t2, sizeof t2) : "(see send --status)");
	fprintf(out, "  %zu sent, %zu failed, %zu to retry, %zu in doubt\n",
		counts[DELIVERY_SENT], counts[DELIVERY_FAILED],
		counts[DELIVERY_DEFERRED] + counts[DELIVERY_QUEUED],
		counts[DELIVERY_SENDING] + counts[DELIVERY_IN_DOUBT]);
	for (size_t i = 0; i < n; i++) {
		if (v[i].state != DELIVERY_FAILED)
			continue;
		fprintf(out, "  failed: %s: ", v[i].email);
		app_put_clean(out, v[i].last_reply);
		fputc('\n', out);
	}
	for (size_t i = 0; i < nu; i++) {
		enum delivery_state st = u[i].state;
		fprintf(out, "  %s: %s (digest %lld): ",
			st == DELIVERY_SENDING || st == DELIVERY_IN_DOUBT ? "in doubt"
			: st == DELIVERY_QUEUED ? "to send" : "deferred",
			u[i].email, (long long)u[i].digest_id);
		app_put_clean(out, u[i].last_reply);
		fputc('\n', out);
	}
	delivery_rows_free(v, n);
	delivery_rows_free(u, nu);
	digest_row_free(&d);
	return 0;
}

int app_status_report(struct app *a, FILE *out)
{
	int r;
	if ((r = app_store_readonly(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	if ((r = report_sources(a, out)) || (r = report_preview(a, out)) ||
	    (r = report_delivery(a, out)))
		return r;
	return 0;
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
	return app_status_report(a, stdout);
}
