#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compose/chrome.h"
#include "fetch/failure.h"
#include "core/log.h"
#include "core/srcfile.h"
#include "core/url.h"
#include "store/ingest.h"

static const struct source_health *find(const struct source_health *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void row(const char *name, const char *state, const struct source_state *st,
		const char *url)
{
	char a[32], b[32], shown[1024];
	printf("%-28s %-8s %-18s %-18s %5d  ", name, state,
	       app_when(st ? st->last_success : 0, a, sizeof a),
	       app_when(st ? st->last_attempt : 0, b, sizeof b), st ? st->consecutive_failures : 0);
	/* A URL's password never shows; a server's text never moves the line. */
	app_put_clean(stdout, url_redact(st && st->consecutive_failures && st->last_error
					 ? st->last_error : url, shown, sizeof shown));
	putchar('\n');
}

static const char usage[] =
	"usage: bulletin sources\n"
	"       bulletin sources add NAME URL [--title TITLE] [--file FILE]\n"
	"       bulletin sources disable|enable NAME\n"
	"       bulletin sources test NAME\n"
	"\n"
	"Without a command: every configured source with its health: last\n"
	"success, last attempt, failures in a row and the last error (or the URL\n"
	"when it works). FLAGGED: failing for [fetch] flag_after runs or more.\n"
	"\n"
	"add appends [source NAME] with url = URL (http or https) to the first\n"
	"sources file of [sources] files that is not an installed one (--file:\n"
	"another of them). disable and enable set enabled = no / yes in the\n"
	"section that defines NAME. They edit the file in place: comments, blank\n"
	"lines and the other sources stay as they are, and the file is replaced\n"
	"whole (written, synced, renamed), so a reader never sees half of it.\n"
	"Exit 65: an unknown or duplicate name, a bad name or URL; 74: the file\n"
	"could not be written; 78: no sources file to edit.\n"
	"\n"
	"test fetches NAME now (enabled or not; nothing is stored) and shows each\n"
	"item with what the rules would do with it. Exit 1 when the fetch or the\n"
	"document failed.\n";

/* A srcfile status as the exit status, after the message. */
static int edit_status(enum srcfile_status r, const struct err *err)
{
	if (r >= 0)
		return 0;
	fprintf(stderr, "bulletin: %s\n", err->msg);
	return r == SRCFILE_BAD ? EXIT_DATAERR : r == SRCFILE_CONFIG ? EXIT_CONFIG : EXIT_IOERR;
}

static int sources_add(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"title", required_argument, NULL, 't'},
		{"file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *title = NULL, *file = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 't')
			title = optarg;
		else if (c == 'f')
			file = optarg;
		else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int r = app_config(a);
	if (r)
		return r;
	const char *name = argv[optind], *url = argv[optind + 1];
	struct err err;
	char *where = NULL;
	r = edit_status(srcfile_add(&a->cfg, file, name, url, title, &where, &err), &err);
	if (!r)
		printf("added [source %s] at %s; see what it brings: bulletin sources test %s\n",
		       name, where, name);
	free(where);
	return r;
}

static int sources_enable(struct app *a, const char *name, int on)
{
	int r = app_config(a);
	if (r)
		return r;
	struct err err;
	char *where = NULL;
	enum srcfile_status st = srcfile_set_enabled(&a->cfg, name, on, &where, &err);
	r = edit_status(st, &err);
	if (!r)
		printf("%s: %s%s (%s)\n", name, st == SRCFILE_UNCHANGED ? "already " : "",
		       on ? "enabled" : "disabled", where);
	free(where);
	return r;
}

/* One item as sources test shows it: verdict, topic, score, date, title. */
static void test_line(const struct app *a, const struct item *it, const struct match *m,
		      time_t end)
{
	char score[32] = "", date[16] = "";
	int old = m->selected && m->topic >= 0 && digest_too_old(it, a->cfg.max_age_days, end);
	const char *verdict = old ? "TOO OLD " : m->selected ? "SELECTED" : m->vetoed ? "VETOED  "
										      : "-       ";
	if (m->topic >= 0)
		rules_score_str(m->score, score, sizeof score);
	struct tm tm;
	if (it->published && gmtime_r(&it->published, &tm))
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	printf("%s %-14s %5s  %-10s  ", verdict,
	       m->topic >= 0 ? rules_topic_id(a->rules, (size_t)m->topic) : "", score,
	       date[0] ? date : "(no date)");
	app_put_clean(stdout, it->title ? it->title : "(no title)");
	putchar('\n');
}

static int sources_test(struct app *a, const char *name)
{
	int r;
	if ((r = app_config(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	const struct config *c = &a->cfg;
	const struct source *src = NULL;
	for (size_t i = 0; i < c->nsources && !src; i++)
		if (!strcmp(c->sources[i].name, name))
			src = &c->sources[i];
	if (!src) {
		fprintf(stderr, "bulletin: no source named \"%.80s\" in the sources files of %s "
			"(bulletin sources lists them)\n", name, c->path);
		return EXIT_DATAERR;
	}
	char ua[512], shown[1024];
	snprintf(ua, sizeof ua, "bulletin/%s%s%s%s", BULLETIN_VERSION, c->contact ? " (+" : "",
		 c->contact ? c->contact : "", c->contact ? ")" : "");
	printf("%s (%s%s): ", src->name, url_redact(src->url, shown, sizeof shown),
	       src->enabled ? "" : "; disabled");
	fflush(stdout);
	struct ingest_try t;
	struct err err;
	if (ingest_try(c, src, ua, &t, &err) < 0) {
		printf("failed\n");
		fprintf(stderr, "bulletin: %s: %s\n", src->name, err.msg);
		const char *means = chrome_report_for("en")->failure[fetch_failure_kind(err.msg)];
		if (means)
			fprintf(stderr, "bulletin: %s\n", means);
		ingest_try_free(&t);
		return EXIT_FAILURE_;
	}
	printf("HTTP %ld, %zu bytes", t.http_code, t.bytes);
	if (src->type == SOURCE_PAGE) {
		printf(", a watched page: %zu bytes of text", t.page_chars);
		if (t.page_title) {
			fputs(", titled ", stdout);
			app_put_clean(stdout, t.page_title);
		}
		printf("\nA change to it goes into the digest's own section, not through the "
		       "rules (bulletin watch %s shows the text).\n", src->name);
	} else {
		printf(", %zu item%s\n", t.items.n, t.items.n == 1 ? "" : "s");
	}
	if (t.moved_to)
		printf("It has moved permanently to %s: update its url (%s).\n",
		       url_redact(t.moved_to, shown, sizeof shown), src->where);
	if (t.partial[0])
		printf("The document is damaged: %s; these are the items before it.\n", t.partial);
	struct rules_matcher *mt = t.items.n ? rules_matcher_new(a->rules) : NULL;
	size_t sel = 0, old = 0;
	time_t end = app_now() + 1;
	if (t.items.n && !mt) {
		fprintf(stderr, "bulletin: out of memory\n");
		r = EXIT_SOFTWARE;
	}
	for (size_t i = 0; mt && !r && i < t.items.n; i++) {
		struct match m = {0};
		if (rules_matcher_match(mt, &t.items.v[i], &m, &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_SOFTWARE;
		} else {
			if (i == 0)
				printf("\n");
			test_line(a, &t.items.v[i], &m, end);
			sel += m.selected != 0;
			old += m.selected && m.topic >= 0 &&
			       digest_too_old(&t.items.v[i], c->max_age_days, end);
		}
		match_free(&m);
	}
	rules_matcher_free(mt);
	if (!r && src->type != SOURCE_PAGE) {
		printf("\n%zu of %zu items selected by the rules", sel, t.items.n);
		if (old)
			printf("; %zu of them published more than %ld days ago, which the digest "
			       "leaves out (max_age_days in [digest])", old, c->max_age_days);
		printf(".\n");
		if (t.items.n)
			printf("Why each was or was not: after bulletin fetch, bulletin rules test "
			       "--explain.\n");
	}
	if (!r && !src->enabled)
		printf("It is disabled: bulletin sources enable %s fetches it every run.\n", src->name);
	ingest_try_free(&t);
	return r;
}

int cmd_sources(struct app *a, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "add"))
		return sources_add(a, argc - 1, argv + 1);
	if (argc == 3 && (!strcmp(argv[1], "disable") || !strcmp(argv[1], "enable")))
		return sources_enable(a, argv[2], !strcmp(argv[1], "enable"));
	if (argc == 3 && !strcmp(argv[1], "test"))
		return sources_test(a, argv[2]);
	if (argc > 1 && (!strcmp(argv[1], "disable") || !strcmp(argv[1], "enable") ||
			 !strcmp(argv[1], "test"))) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	int na = app_no_args(argc, argv, "sources", usage);
	if (na >= 0)
		return na;
	int r = app_config(a);
	if (r)
		return r;
	/* Nothing fetched yet: no store to read, every source is new. */
	struct source_health *v = NULL;
	size_t n = 0;
	struct err err;
	if (access(a->cfg.store_path, F_OK) == 0 && (r = app_store_readonly(a)))
		return r;
	if (a->store && store_sources_all(a->store, &v, &n, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	const struct config *c = &a->cfg;
	int flagged = 0;
	printf("%-28s %-8s %-18s %-18s %5s  %s\n", "SOURCE", "STATE", "LAST SUCCESS", "LAST ATTEMPT",
	       "FAILS", "LAST ERROR / URL");
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source *s = &c->sources[i];
		const struct source_health *h = find(v, n, s->name);
		const char *state = !s->enabled ? "off"
				    : !h || !h->st.last_attempt ? "new"
				    : h->st.consecutive_failures >= c->flag_after ? "FLAGGED"
				    : h->st.consecutive_failures ? "failing"
								 : "ok";
		flagged += !strcmp(state, "FLAGGED");
		row(s->name, state, h ? &h->st : NULL, s->url);
	}
	/* Sources the store knows but the config no longer names. */
	for (size_t i = 0; i < n; i++) {
		int known = 0;
		for (size_t k = 0; k < c->nsources && !known; k++)
			known = !strcmp(c->sources[k].name, v[i].name);
		if (!known)
			row(v[i].name, "removed", &v[i].st, v[i].url ? v[i].url : "");
	}
	int said = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].key_mode && strcmp(v[i].key_mode, "auto"))
			printf("%s%s: its feed's ids could not be trusted; its items are "
			       "identified by their %ss.\n",
			       said++ ? "" : "\n", v[i].name, v[i].key_mode);
	if (flagged)
		printf("\n%d source%s failing for %ld runs or more: check the URL in its .ini file.\n",
		       flagged, flagged == 1 ? "" : "s", c->flag_after);
	source_health_free(v, n);
	return 0;
}
