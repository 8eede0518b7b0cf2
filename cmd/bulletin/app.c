#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fsutil.h"
#include "ical.h"
#include "lock.h"
#include "log.h"

int app_config(struct app *a)
{
	if (a->cfg_loaded)
		return 0;
	struct err err;
	char *path = config_find(a->config_arg, &err);
	if (!path) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	int r = config_load(&a->cfg, path, &err);
	free(path);
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	a->cfg_loaded = 1;
	log_set_syslog(a->cfg.log_syslog);
	return 0;
}

/* One writer at a time: two runs would both compose and mail the same
 * period (the ledger stops a double send per member only within a digest). */
static int app_lock(struct app *a)
{
	struct err err;
	const char *path = a->cfg.lock_path;
	pid_t holder = 0;
	int r = -1;
	if (fs_mkdir_parent(path, &err) == 0) {
		r = lock_acquire(path, 0, &a->lock_fd, &holder, &err);
		if (r == 1 && a->cfg.lock_wait > 0) {
			log_info("%s is held by pid %ld; waiting up to %ld s", path, (long)holder,
				 a->cfg.lock_wait);
			r = lock_acquire(path, a->cfg.lock_wait, &a->lock_fd, &holder, &err);
		}
	}
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	if (r == 1) {
		char who[48] = "another bulletin";
		if (holder)
			snprintf(who, sizeof who, "another bulletin (pid %ld)", (long)holder);
		fprintf(stderr, "bulletin: %s holds %s; gave up after %ld s (lock_wait in [store]); "
			"nothing done\n", who, path, a->cfg.lock_wait);
		return EXIT_TEMPFAIL;
	}
	a->locked = 1;
	return 0;
}

int app_store(struct app *a)
{
	if (a->store)
		return 0;
	int r = app_config(a);
	if (r)
		return r;
	if (a->writes && !a->locked && (r = app_lock(a)))
		return r;
	struct err err;
	if (fs_mkdir_parent(a->cfg.store_path, &err) < 0 ||
	    store_open(a->cfg.store_path, &a->store, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	return 0;
}

int app_rules(struct app *a, char **files, size_t nfiles)
{
	if (a->rules)
		return 0;
	if (!nfiles) {
		int r = app_config(a);
		if (r)
			return r;
		files = a->cfg.rules_files;
		nfiles = a->cfg.nrules_files;
		if (!nfiles) {
			fprintf(stderr, "bulletin: %s: no rules: set files in [rules]\n", a->cfg.path);
			return EXIT_CONFIG;
		}
	}
	struct err err;
	a->rules = rules_new();
	if (!a->rules) {
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (rules_load_file(a->rules, files[i], &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			return EXIT_CONFIG;
		}
	}
	if (!rules_topic_count(a->rules)) {
		fprintf(stderr, "bulletin: %s: no topics: nothing could ever be selected\n", files[0]);
		return EXIT_CONFIG;
	}
	return 0;
}

void app_free(struct app *a)
{
	if (a->store)
		store_close(a->store);
	if (a->rules)
		rules_free(a->rules);
	json_decref(a->chair_report);
	digest_greeter_free(a->greeter);
	if (a->cfg_loaded)
		config_free(&a->cfg);
	if (a->locked)
		lock_release(a->lock_fd); /* after the store is closed */
	memset(a, 0, sizeof *a);
}

char *app_read_file(const char *path, size_t max, size_t *len)
{
	struct err err;
	char *data = fs_read_file(path, max, len, &err);
	if (!data)
		fprintf(stderr, "bulletin: %s\n", err.msg);
	return data;
}

#define CHAIR_DEAD_LISTED 15

/* What the chair should look at: sources whose last fetches failed, and
 * include rules that matched nothing among the period's items. */
static json_t *chair_report(struct app *a, const struct item_list *items, const struct match *ms)
{
	json_t *rep = json_object(), *failing = json_array(), *dead = json_array();
	struct source_health *hv = NULL;
	size_t nh = 0;
	struct err err;
	if (store_sources_all(a->store, &hv, &nh, &err) < 0)
		log_warn("chair's report: %s", err.msg);
	for (size_t i = 0; i < a->cfg.nsources; i++) {
		const struct source *src = &a->cfg.sources[i];
		for (size_t k = 0; src->enabled && k < nh; k++) {
			if (strcmp(hv[k].name, src->name) || !hv[k].st.consecutive_failures)
				continue;
			json_t *f = json_object();
			json_object_set_new(f, "name", json_string(src->title ? src->title : src->name));
			json_object_set_new(f, "url", json_string(src->url));
			json_object_set_new(f, "failures", json_integer(hv[k].st.consecutive_failures));
			if (hv[k].st.last_error)
				json_object_set_new(f, "error", json_string(hv[k].st.last_error));
			json_array_append_new(failing, f);
		}
	}
	source_health_free(hv, nh);
	size_t n = rules_rule_count(a->rules), ndead = 0, nincl = 0;
	char *hit = calloc(n + 1, 1);
	for (size_t i = 0; hit && i < items->n; i++)
		for (size_t k = 0; k < ms[i].nterms; k++)
			hit[ms[i].terms[k].rule_index] = 1;
	for (size_t k = 0; hit && k < n; k++) {
		const struct rule_info *in = rules_rule(a->rules, k);
		if (in->exclude || in->ref >= 0)
			continue;
		nincl++;
		if (hit[k])
			continue;
		if (ndead++ < CHAIR_DEAD_LISTED) {
			json_t *d = json_object();
			json_object_set_new(d, "where", json_string(in->where));
			json_object_set_new(d, "rule", json_string(in->text));
			json_array_append_new(dead, d);
		}
	}
	free(hit);
	json_object_set_new(rep, "failing", failing);
	json_object_set_new(rep, "has_failing", json_boolean(json_array_size(failing) > 0));
	json_object_set_new(rep, "dead", dead);
	json_object_set_new(rep, "dead_count", json_integer((json_int_t)ndead));
	json_object_set_new(rep, "include_count", json_integer((json_int_t)nincl));
	json_object_set_new(rep, "dead_unlisted", json_integer((json_int_t)(ndead > CHAIR_DEAD_LISTED ? ndead - CHAIR_DEAD_LISTED : 0)));
	json_object_set_new(rep, "items_checked", json_integer((json_int_t)items->n));
	return rep;
}

static int compose(struct app *a, time_t now, time_t since, int personal, struct digest_row *row,
		   json_t **model_out);

int app_compose(struct app *a, time_t now, time_t since, struct digest_row *row, json_t **model_out)
{
	return compose(a, now, since, 0, row, model_out);
}

int app_compose_personal(struct app *a, time_t now, struct digest_row *row, json_t **model_out)
{
	return compose(a, now, 0, 1, row, model_out);
}

char *app_greeting(void *ctx, const struct member *m)
{
	struct app *a = ctx;
	struct err err;
	if (!a->greeter &&
	    !(a->greeter = digest_greeter_new(a->cfg.templates_dir, a->cfg.language, &err))) {
		log_error("%s", err.msg);
		return NULL;
	}
	char *g = digest_greeter_greet(a->greeter, m ? m->name : NULL, &err);
	if (!g)
		log_error("%s", err.msg);
	return g;
}

int app_archive_row(struct app *a, const struct digest_row *row, struct digest_row *out)
{
	struct err err;
	*out = *row;
	out->subject = out->markdown = out->html = out->text = out->calendar = NULL;
	char *g = digest_greeting(a->cfg.templates_dir, a->cfg.language, NULL, &err);
	if (!g) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	out->subject = row->subject ? strdup(row->subject) : NULL;
	out->markdown = digest_personalize(row->markdown, g, 0);
	out->html = digest_personalize(row->html, g, 1);
	out->text = digest_personalize(row->text, g, 0);
	out->calendar = row->calendar ? strdup(row->calendar) : NULL;
	free(g);
	if ((row->subject && !out->subject) || (row->markdown && !out->markdown) ||
	    (row->html && !out->html) || (row->text && !out->text) ||
	    (row->calendar && !out->calendar)) {
		digest_row_free(out);
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	return 0;
}

static int compose(struct app *a, time_t now, time_t since, int personal, struct digest_row *row,
		   json_t **model_out)
{
	struct err err;
	int r;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	memset(row, 0, sizeof *row);
	time_t start = 0;
	struct item_list items = {0};
	struct match *matches = NULL;
	json_t *model = NULL;
	struct digest_parts parts = {0};
	r = EXIT_SOFTWARE;
	start = since;
	if (!since && store_digest_last_end(a->store, &start, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		goto out;
	}
	/* Items found in the second the last digest was composed carry its
	 * period's end (see cmd_fetch.c): this period must reach past it. */
	if (now < start)
		now = start;
	if (store_items_between(a->store, start, now + 1, &items, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		goto out;
	}
	matches = calloc(items.n + 1, sizeof *matches);
	if (!matches)
		goto out;
	for (size_t i = 0; i < items.n; i++) {
		if (rules_match(a->rules, &items.v[i], &matches[i], &err) < 0) {
			fprintf(stderr, "bulletin: %s: %s\n", items.v[i].key, err.msg);
			goto out;
		}
	}
	json_decref(a->chair_report);
	a->chair_report = chair_report(a, &items, matches);
	const struct config *c = &a->cfg;
	struct digest_opts o = {
		.title = c->title, .language = c->language, .association = c->association,
		.unsubscribe = c->unsubscribe, .summary_length = c->summary_length,
		.max_items = c->max_items, .max_age_days = c->max_age_days,
		.max_per_topic = c->max_per_topic, .archive_url = c->archive_url,
		.sources = c->sources, .nsources = c->nsources,
	};
	model = digest_model_build(&o, a->rules, &items, matches, start, now + 1);
	if (!model) {
		fprintf(stderr, "bulletin: out of memory\n");
		goto out;
	}
	if (personal) {
		/* A template error shows now, not once per member. */
		char *g = digest_greeting(c->templates_dir, c->language, "Åsa", &err);
		if (!g) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_CONFIG;
			goto out;
		}
		free(g);
		json_object_set_new(model, "greeting", json_string(DIGEST_GREETING_SLOT));
	}
	if (digest_compose_budget(model, c->templates_dir, (size_t)c->html_budget, &parts, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_CONFIG;
		goto out;
	}
	/* The model goes to the archive's .json: the generic greeting there. */
	json_object_del(model, "greeting");
	/* The events as the mails' text/calendar part, from the model as the
	 * budget left it (only events of items that were kept). */
	if (c->mail_calendar && ical_from_model(model, c->from_address, &row->calendar) < 0) {
		fprintf(stderr, "bulletin: out of memory\n");
		goto out;
	}
	row->period_start = start;
	row->period_end = now + 1;
	row->created = now;
	row->subject = parts.subject;
	row->markdown = parts.markdown;
	row->html = parts.html;
	row->text = parts.text;
	memset(&parts, 0, sizeof parts);
	if (model_out) {
		*model_out = model;
		model = NULL;
	}
	r = 0;
out:
	json_decref(model);
	digest_parts_free(&parts);
	for (size_t i = 0; i < items.n && matches; i++)
		match_free(&matches[i]);
	free(matches);
	item_list_free(&items);
	return r;
}

const char *app_when(time_t t, char *buf, size_t len)
{
	if (!t)
		return "never";
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%MZ", &tm);
	return buf;
}

/* Feed and server text on one line: control bytes (a hostile server's
 * CR/LF or escapes) become spaces, long text is cut at a UTF-8 boundary. */
void app_put_clean(FILE *out, const char *s)
{
	if (!s || !*s) {
		fputs("-", out);
		return;
	}
	size_t n = strlen(s);
	if (n > 200) {
		n = 200;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], out);
}

int app_no_args(int argc, char **argv, const char *verb, const char *usage)
{
	if (argc <= 1)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		puts(usage);
		return 0;
	}
	fprintf(stderr, "bulletin %s: unexpected argument \"%s\"\n", verb, argv[1]);
	return EXIT_USAGE;
}

void app_smtp_opts(const struct config *c, const char *password, struct smtp_opts *so)
{
	*so = (struct smtp_opts){.url = c->smtp_url, .starttls = c->starttls,
				 .verify_tls = c->verify_tls, .username = c->smtp_user,
				 .password = password, .timeout = c->smtp_timeout,
				 .ca_file = c->smtp_ca_file, .per_connection = c->mail_per_connection};
}

int app_days(const char *verb, const char *arg, long *days)
{
	char *end;
	errno = 0;
	long d = strtol(arg, &end, 10);
	if (errno || end == arg || *end || d <= 0 || d > 36500) {
		fprintf(stderr, "bulletin %s: --days needs a number of days, e.g. 7, not \"%.40s\"\n",
			verb, arg);
		return EXIT_USAGE;
	}
	*days = d;
	return 0;
}
