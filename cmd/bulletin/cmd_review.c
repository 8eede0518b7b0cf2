/* bulletin review: the chair's editorial gate (issue 20). Parses the
 * arguments, calls lib/deliver/review.h and prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compose/chrome.h"
#include "core/buf.h"
#include "core/log.h"
#include "deliver/review.h"

#define BY_CLI "command line"

static const char usage[] =
	"usage: bulletin review [show]\n"
	"       bulletin review drop|pin|add N...\n"
	"       bulletin review note FILE|-\n"
	"       bulletin review approve|hold\n"
	"       bulletin review history\n"
	"\nWith [review] reviewers set, `bulletin run` mails the reviewers a review\n"
	"copy of the week's digest, every item numbered and the items the rules\n"
	"nearly selected below the line, and waits. The members' digest goes out\n"
	"with the edits at [review] deadline (the next `bulletin run` after it), or\n"
	"at once on approve.\n"
	"  show       the draft: its numbers, what each edit did, the deadline\n"
	"  drop N...  leave these items out (and out of every later digest)\n"
	"  pin N...   put these first under their heading\n"
	"  add N...   take these from below the line into the digest\n"
	"  note FILE  a Markdown note at the top of the digest (- reads stdin;\n"
	"             an empty file removes it)\n"
	"  approve    send the members' digest now, with the edits\n"
	"  hold       send nothing this week: the news comes with the next one\n"
	"  history    every drop and pin so far, to see whether the rules should change\n"
	"Reviewers may also reply to the review copy with the same words, one per\n"
	"line (note: and the text after it), when [mailbox] is set.\n";

static const char *state_text(const char *state)
{
	return !strcmp(state, "open") ? "waiting for the reviewers"
	       : !strcmp(state, "approved") ? "approved: goes out at the next run"
	       : !strcmp(state, "held") ? "held: nothing sent, its news comes with the next one"
	       : !strcmp(state, "empty") ? "nothing new that week: no copy was mailed"
	       : "sent";
}

/* What the edits made of number k: the last item edit's action. */
static const char *mark_of(const struct review_edit *e, size_t n, int64_t item)
{
	for (size_t i = n; i-- > 0;)
		if (e[i].item_id == item && (!strcmp(e[i].action, "drop") || !strcmp(e[i].action, "pin") ||
					     !strcmp(e[i].action, "add")))
			return !strcmp(e[i].action, "drop") ? "dropped"
			       : !strcmp(e[i].action, "pin") ? "pinned" : "added";
	return NULL;
}

static int show(struct app *a)
{
	const struct config *c = &a->cfg;
	struct err err;
	struct review_draft d;
	int have = store_review_get(a->store, 0, &d, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (!have) {
		printf("No draft yet: `bulletin run` makes one and mails the review copy to %s.\n",
		       c->review_reviewers);
		return 0;
	}
	struct review_number *v = NULL;
	struct review_edit *e = NULL;
	size_t nv = 0, ne = 0;
	if (store_review_numbers(a->store, d.id, &v, &nv, &err) < 0 ||
	    store_review_edits(a->store, d.id, &e, &ne, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		review_numbers_free(v, nv);
		review_draft_free(&d);
		return EXIT_IOERR;
	}
	char t1[32], t2[32], when[160];
	printf("Draft %lld, items first seen %s to %s: %s\n", (long long)d.id,
	       d.period_start ? app_when(d.period_start, t1, sizeof t1) : "from the start",
	       app_when(d.period_end, t2, sizeof t2), state_text(d.state));
	if (d.deadline && (!strcmp(d.state, "open") || !strcmp(d.state, "approved"))) {
		chrome_review_when(d.deadline, "en", c->timezone, when, sizeof when);
		printf("Deadline: %s (%s)\n", when, c->timezone ? c->timezone : "Europe/Stockholm");
	} else if (!strcmp(d.state, "open")) {
		printf("No deadline: it goes out on `bulletin review approve`.\n");
	}
	int below = 0;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].below && !below++)
			printf("\nBelow the line (the rules nearly selected these; `review add N`):\n");
		else if (!i)
			printf("\nIn the digest:\n");
		const char *m = mark_of(e, ne, v[i].item_id);
		char sc[32];
		printf("%4d. ", v[i].number);
		app_put_clean(stdout, v[i].title);
		if (v[i].below)
			printf("  (score %s)", rules_score_str(v[i].score, sc, sizeof sc));
		if (m)
			printf("  [%s]", m);
		putchar('\n');
	}
	const char *note = NULL;
	for (size_t i = 0; i < ne; i++)
		if (!strcmp(e[i].action, "note"))
			note = e[i].text && *e[i].text ? e[i].text : NULL;
	if (note) {
		printf("\nNote at the top:\n");
		app_put_clean(stdout, note);
		putchar('\n');
	}
	if (ne)
		printf("\nEdits:\n");
	for (size_t i = 0; i < ne; i++) {
		printf("  %s  %-24s %s", app_when(e[i].at, t1, sizeof t1), e[i].by, e[i].action);
		if (e[i].number)
			printf(" %d", e[i].number);
		putchar('\n');
	}
	review_edit_rows_free(e, ne);
	review_numbers_free(v, nv);
	review_draft_free(&d);
	return 0;
}

static int history(struct app *a)
{
	struct err err;
	struct review_edit *e = NULL;
	size_t n = 0, shown = 0;
	if (store_review_edits(a->store, 0, &e, &n, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].action, "drop") && strcmp(e[i].action, "pin") && strcmp(e[i].action, "add"))
			continue;
		if (!shown++)
			printf("%-17s  %-6s %-6s %-24s %s\n", "when", "draft", "edit", "by", "item");
		char t[32];
		printf("%-17s  %-6lld %-6s %-24s ", app_when(e[i].at, t, sizeof t),
		       (long long)e[i].draft_id, e[i].action, e[i].by);
		app_put_clean(stdout, e[i].title ? e[i].title : "(item no longer stored)");
		printf("  (item %lld)\n", (long long)e[i].item_id);
	}
	if (!shown)
		printf("No item was dropped, pinned or added yet.\n");
	else
		printf("\n`bulletin rules test --explain` on an item shows why the rules picked it.\n");
	review_edit_rows_free(e, n);
	return 0;
}

/* The note's Markdown from FILE or stdin (-), at most 8 KB. */
static char *read_note(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "bulletin review note: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= 8192)
		buf_append(&b, chunk, got);
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "bulletin review note: %s: could not read it\n", path);
		buf_free(&b);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (!b.data)
		buf_puts(&b, "");
	return buf_steal(&b);
}

/* Mails a word to the reviewers an edit replaced. */
static void tell_others(struct app *a, const char *others, const char *lines)
{
	struct err err;
	char *password = NULL;
	if (config_smtp_password(&a->cfg, &password, &err) < 0) {
		log_warn("could not tell %s: %s", others, err.msg);
		return;
	}
	struct smtp_opts so;
	app_smtp_opts(&a->cfg, password, &so);
	char *list = strdup(others), *save = NULL;
	for (char *to = list ? strtok_r(list, ",", &save) : NULL; to; to = strtok_r(NULL, ",", &save)) {
		if (!mail_address_valid(to))
			continue; /* "command line": nobody to mail */
		const struct chrome_review *cr = chrome_review_for(a->cfg.language);
		char subject[256];
		snprintf(subject, sizeof subject, cr->answer_subject, cr->applied);
		if (review_notify(&a->cfg, &so, to, subject, lines, app_now()) == 0)
			printf("told %s\n", to);
	}
	free(list);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

static int edit(struct app *a, int argc, char **argv)
{
	const char *action = argv[1];
	struct buf words = BUF_INIT, out = BUF_INIT;
	char *text = NULL, *others = NULL;
	if (!strcmp(action, "note")) {
		if (argc != 3) {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
		if (!(text = read_note(argv[2])))
			return EXIT_NOINPUT;
	} else if (!strcmp(action, "approve") || !strcmp(action, "hold")) {
		if (argc != 2) {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	} else if (argc < 3) {
		fprintf(stderr, "bulletin review %s: which numbers? (bulletin review shows them)\n",
			action);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc && strcmp(action, "note"); i++)
		buf_printf(&words, "%s%s", i > 1 ? " " : "", argv[i]);
	if (!strcmp(action, "note"))
		buf_puts(&words, "note");
	struct err err;
	int r = review_edit(a->store, &a->cfg, 0, BY_CLI, buf_str(&words), text, app_now(), "en", &out,
			    &others, &err);
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_IOERR;
	} else if (r > 0) {
		fprintf(stderr, "bulletin review: %s", buf_str(&out));
		r = r == 1 ? EXIT_USAGE : EXIT_FAILURE_;
	} else {
		fputs(buf_str(&out), stdout);
		if (others)
			tell_others(a, others, buf_str(&out));
	}
	free(others);
	free(text);
	buf_free(&words);
	buf_free(&out);
	/* "at once when the chair approves": the send step, as `bulletin send` */
	if (r == 0 && !strcmp(action, "approve"))
		r = stage_send(a, NULL);
	return r;
}

int cmd_review(struct app *a, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	int r;
	if ((r = app_config(a)))
		return r;
	if (!review_enabled(&a->cfg)) {
		fprintf(stderr, "bulletin review: %s has no [review] reviewers: the digest goes "
			"straight to the members\n", a->cfg.path);
		return EXIT_CONFIG;
	}
	if ((r = app_store(a)))
		return r;
	if (argc < 2 || !strcmp(argv[1], "show"))
		return argc > 2 ? (fputs(usage, stderr), EXIT_USAGE) : show(a);
	if (!strcmp(argv[1], "history"))
		return argc > 2 ? (fputs(usage, stderr), EXIT_USAGE) : history(a);
	if (!strcmp(argv[1], "drop") || !strcmp(argv[1], "pin") || !strcmp(argv[1], "add") ||
	    !strcmp(argv[1], "note") || !strcmp(argv[1], "approve") || !strcmp(argv[1], "hold")) {
		if (!strcmp(argv[1], "approve") && (r = app_rules(a, NULL, 0)))
			return r;
		return edit(a, argc, argv);
	}
	fprintf(stderr, "bulletin review: unknown \"%s\"\n\n%s", argv[1], usage);
	return EXIT_USAGE;
}
