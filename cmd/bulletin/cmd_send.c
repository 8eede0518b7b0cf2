/* bulletin send: parses the arguments, runs lib/deliver's send step (or
 * reads and resolves the ledger) and prints what happened. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "compose/chrome.h"
#include "deliver/review.h"
#include "deliver/send.h"

/* The SMTP password, kept no longer than the step needs it. */
static void password_free(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

static void print_digest(const struct send_digest *d)
{
	const struct deliver_stats *st = &d->st;
	fprintf(stderr, "bulletin: \"%s\"%s: %d sent, %d failed, %d deferred, %d in doubt\n",
		d->subject ? d->subject : "", d->composed ? "" : " (an earlier digest)", st->sent,
		st->failed + st->gone, st->deferred, st->in_doubt);
}

/* What the review did in this step (deliver/review.h). */
static void say_review(const struct config *c, const struct send_result *res)
{
	char when[160] = "";
	if (res->review_deadline)
		chrome_review_when(res->review_deadline, "en", c->timezone, when, sizeof when);
	if (res->review == REVIEW_DRAFT)
		fprintf(stderr, "bulletin: review copy of %zu item%s mailed to %d reviewer%s; the "
			"members' digest goes out %s%s (bulletin review shows the draft)\n",
			res->review_items, res->review_items == 1 ? "" : "s", res->review_copies,
			res->review_copies == 1 ? "" : "s", when[0] ? "at the first run after " : "",
			when[0] ? when : "on bulletin review approve");
	else if (res->review == REVIEW_WAIT && log_get_level() >= LOG_LVL_WARN)
		fprintf(stderr, "bulletin: draft %lld waits for review %s%s\n",
			(long long)res->review_draft, when[0] ? "until " : "",
			when[0] ? when : "until bulletin review approve");
	else if (res->review == REVIEW_NOT_YET && log_get_level() >= LOG_LVL_WARN)
		fprintf(stderr, "bulletin: the next review copy is made from %s ([review] copy_at)\n",
			c->review_copy_at);
}

/* `to` (send --to): the digest as it stands goes to that one address,
 * outside the ledger: nothing is stored, archived or marked done. */
static int send_run(struct app *a, const char *dry_run_dir, const char *to, const char *to_name,
		    int compose)
{
	int r;
	const struct calendar *cal;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)) || (r = app_calendar(a, &cal)))
		return r;
	const struct config *c = &a->cfg;
	struct err err;
	/* The archive is written after the members are mailed: a folder that
	 * can never be written is said before anyone is. */
	if (!dry_run_dir && !to && (r = app_state_writable(a, c->archive_dir, 1, "[digest] archive")))
		return r;
	if (to && !mail_address_valid(to)) {
		fprintf(stderr, "bulletin: --to: not a valid address\n");
		return EXIT_USAGE;
	}
	char *password = NULL;
	if (!dry_run_dir && config_smtp_password(c, &password, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	struct send_opts o = {.cfg = c, .rules = a->rules, .calendar = cal, .password = password,
			      .now = app_now(), .compose = compose, .dry_run_dir = dry_run_dir,
			      .to = to, .to_name = to_name};
	struct send_result res;
	r = send_step(a->store, &o, &res, &err);
	password_free(password);
	if (r && r != EXIT_FAILURE_)
		fprintf(stderr, "bulletin: %s\n", err.msg);
	/* Rows changed back to active that the store still keeps out: said on
	 * every real send, -q or not, until the chair decides. */
	if ((!r || r == EXIT_FAILURE_) && !dry_run_dir && !to && c->members_file)
		app_members_changed_back(a, stderr, NULL);
	if (res.nobody)
		fprintf(stderr, "bulletin: %s: every member is paused or unsubscribed; nothing sent\n",
			c->members_file);
	/* A quiet week is no news to act on: under -q (cron) it says nothing. */
	if (res.nothing_new && log_get_level() >= LOG_LVL_WARN) {
		char ts[RFC3339_LEN];
		fprintf(stderr, "bulletin: no new items selected since %s; nothing %s "
			"(set empty = send in [digest] to send a short note instead)\n",
			res.period_start ? time_format_rfc3339(res.period_start, ts) : "the start",
			res.n ? "more sent" : "sent");
	}
	if (res.review)
		say_review(c, &res);
	if (res.empty)
		fprintf(stderr, "bulletin: warning: this digest has no news (the rules selected "
			"nothing in its period); %s\n", c->empty_send ? "members get the short note of an "
			"empty week" : "members get nothing this week (empty = skip in [digest])");
	if (to) {
		if (res.n == 1 && res.v[0].st.sent == 1)
			fprintf(stderr, "bulletin: \"%s\" sent to %s (outside the ledger)\n",
				res.v[0].subject ? res.v[0].subject : "", to);
		else if (!r)
			r = EXIT_FAILURE_; /* the reason was logged */
	} else if (dry_run_dir) {
		if (res.n)
			fprintf(stderr, "bulletin: wrote %d message%s to %s\n", res.v[0].st.sent,
				res.v[0].st.sent == 1 ? "" : "s", dry_run_dir);
	} else {
		for (size_t i = 0; i < res.n; i++) {
			const struct deliver_stats *st = &res.v[i].st;
			if (app_chatty() || st->failed ||
			    st->deferred || st->in_doubt || st->gone)
				print_digest(&res.v[i]);
		}
	}
	send_result_free(&res);
	return r;
}

/* ---- send --status: the chair's view of the ledger ---- */

static const char *state_label(enum delivery_state st)
{
	return st == DELIVERY_SENDING || st == DELIVERY_IN_DOUBT ? "in doubt"
	       : st == DELIVERY_QUEUED ? "to send" : delivery_state_name(st);
}

static void member_line(const struct delivery_row *v)
{
	char t1[32], t2[32];
	printf("%-32s %-9s %8d  %-17s  ", v->email, state_label(v->state), v->attempts,
	       app_when(v->updated, t1, sizeof t1));
	if (v->state == DELIVERY_DEFERRED)
		printf("next try from %s: ", app_when(v->next_attempt, t2, sizeof t2));
	app_put_clean(stdout, v->last_reply);
	putchar('\n');
}

/* Members of other digests that still need someone: in doubt, deferred,
 * to send. */
static size_t others(struct app *a, int64_t shown)
{
	struct delivery_row *v;
	size_t n, k = 0;
	struct err err;
	if (store_delivery_unresolved(a->store, &v, &n, &err) < 0) {
		log_warn("%s", err.msg);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].digest_id == shown)
			continue;
		if (!k++)
			printf("\nEarlier digests, members still open:\n%-8s %-32s %-9s %8s  %-17s  %s\n",
			       "DIGEST", "MEMBER", "STATE", "ATTEMPTS", "LAST ATTEMPT", "LAST REPLY");
		printf("%-8lld ", (long long)v[i].digest_id);
		member_line(&v[i]);
	}
	delivery_rows_free(v, n);
	return k;
}

static int send_status(struct app *a, int64_t id)
{
	int r = app_store_readonly(a);
	if (r)
		return r;
	struct err err;
	struct digest_row d;
	int have = store_digest_get(a->store, id, &d, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (!have) {
		if (id)
			fprintf(stderr, "bulletin: no digest with id %lld\n", (long long)id);
		else
			fprintf(stderr, "bulletin: no digest has been composed yet\n");
		return EXIT_NOINPUT;
	}
	struct delivery_row *v;
	size_t n;
	if (store_delivery_list(a->store, d.id, &v, &n, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		digest_row_free(&d);
		return EXIT_IOERR;
	}
	size_t counts[DELIVERY_NSTATES] = {0};
	for (size_t i = 0; i < n; i++)
		counts[v[i].state]++;
	char t1[32], t2[32];
	printf("digest %lld \"%s\", composed %s, %s %s\n", (long long)d.id,
	       d.subject ? d.subject : "", app_when(d.created, t1, sizeof t1),
	       d.completed ? "delivery completed" : "delivery unfinished",
	       d.completed ? app_when(d.completed, t2, sizeof t2) : "");
	printf("  %-26s %zu\n", "to send", counts[DELIVERY_QUEUED]);
	printf("  %-26s %zu\n", "deferred (to retry)", counts[DELIVERY_DEFERRED]);
	printf("  %-26s %zu\n", "in doubt", counts[DELIVERY_SENDING] + counts[DELIVERY_IN_DOUBT]);
	printf("  %-26s %zu\n", "sent", counts[DELIVERY_SENT]);
	printf("  %-26s %zu\n", "failed", counts[DELIVERY_FAILED]);
	size_t bad = n - counts[DELIVERY_SENT];
	if (bad) {
		printf("\n%-32s %-9s %8s  %-17s  %s\n", "MEMBER", "STATE", "ATTEMPTS",
		       "LAST ATTEMPT", "LAST REPLY");
		for (size_t i = 0; i < n; i++)
			if (v[i].state != DELIVERY_SENT)
				member_line(&v[i]);
	}
	if (counts[DELIVERY_SENDING] + counts[DELIVERY_IN_DOUBT])
		printf("\nIn doubt: the message may have arrived. Ask the member, then\n"
		       "  bulletin send --mark-sent ADDRESS %lld   (it arrived), or\n"
		       "  bulletin send --resend-in-doubt %lld     (mail them again)\n",
		       (long long)d.id, (long long)d.id);
	if (!id)
		others(a, d.id);
	delivery_rows_free(v, n);
	digest_row_free(&d);
	return bad ? EXIT_FAILURE_ : 0;
}

/* ---- the chair's decision on members in doubt ---- */

static int resolve(struct app *a, int64_t id, const char *email, enum delivery_state to)
{
	int r = app_store(a);
	if (r)
		return r;
	struct err err;
	int n = store_delivery_resolve(a->store, id, email, to,
				       to == DELIVERY_SENT ? "marked sent by the chair (send --mark-sent)"
							   : NULL,
				       app_now(), &err);
	if (n < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	char where[48] = "any digest";
	if (id)
		snprintf(where, sizeof where, "digest %lld", (long long)id);
	if (!n) {
		fprintf(stderr, "bulletin: no member in doubt%s%s in %s (see send --status)\n",
			email ? " with the address " : "", email ? email : "", where);
		return EXIT_FAILURE_;
	}
	if (to == DELIVERY_SENT) {
		/* Digests with nobody left to mail are complete now. */
		struct digest_row *v;
		size_t k;
		if (store_digests_open(a->store, &v, &k, &err) == 0) {
			for (size_t i = 0; i < k; i++)
				store_digest_complete_if_done(a->store, v[i].id, app_now(), &err);
			digest_rows_free(v, k);
		}
		printf("%d member%s in doubt marked sent in %s\n", n, n == 1 ? "" : "s", where);
		return 0;
	}
	printf("%d member%s in doubt queued again in %s; sending now\n", n, n == 1 ? "" : "s",
	       where);
	return send_run(a, NULL, NULL, NULL, 0);
}

int stage_send(struct app *a, const char *dry_run_dir)
{
	return send_run(a, dry_run_dir, NULL, NULL, 1);
}

/* A digest id argument: > 0, or 0 after printing the problem. */
static int64_t parse_id(const char *what, const char *s)
{
	char *end;
	errno = 0;
	long long id = strtoll(s, &end, 10);
	if (errno || *end || end == s || id <= 0) {
		fprintf(stderr, "bulletin send: %s wants a digest id, not \"%.40s\"\n", what, s);
		return 0;
	}
	return (int64_t)id;
}

int cmd_send(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin send [--dry-run DIR]\n"
		"       bulletin send --to ADDRESS [--name NAME]\n"
		"       bulletin send --status [DIGEST]\n"
		"       bulletin send --resend-in-doubt [DIGEST]\n"
		"       bulletin send --mark-sent ADDRESS|--all [DIGEST]\n"
		"\nMails what is due: members of earlier digests still to mail or to\n"
		"retry, then the current digest to every member. A digest is composed\n"
		"once, stored with its members and never composed again; a member who\n"
		"cannot be reached never holds up the others or the next digest.\n"
		"A deferred member (4xx) is tried again on later runs, with growing\n"
		"waits ([mail] defer_retry), until [mail] defer_window closes (by\n"
		"default: the next digest, at most 7 days), then fails with the last\n"
		"reply. Paused and unsubscribed members get nothing.\n"
		"--dry-run DIR writes one .eml per member into DIR instead.\n"
		"--to ADDRESS mails the digest as members would get it now to that one\n"
		"address only (the chair's test), outside the ledger: nothing is\n"
		"stored, archived or marked done. It is greeted and written as the\n"
		"member list has that address (name, language), or by --name NAME,\n"
		"and carries the chair's section; an empty digest is sent with a warning.\n"
		"--status shows the newest digest's delivery (or DIGEST's): counts per\n"
		"state and every member not sent, with attempts, the last attempt and\n"
		"the server's last reply; then open members of earlier digests. Exit 0\n"
		"when every member is sent. Reads only.\n"
		"A member is in doubt when the message went out and no reply came (a\n"
		"run killed while sending, a server silent past [mail] data_timeout):\n"
		"it may have arrived, and is never resent on its own.\n"
		"--resend-in-doubt mails the members in doubt again (of DIGEST, else\n"
		"of every digest); --mark-sent ADDRESS records that one as sent,\n"
		"--mark-sent --all every member in doubt (of DIGEST, else of all).\n";
	static const struct option opts[] = {
		{"dry-run", required_argument, NULL, 'n'},
		{"status", optional_argument, NULL, 's'},
		{"to", required_argument, NULL, 't'},
		{"name", required_argument, NULL, 'N'},
		{"resend-in-doubt", no_argument, NULL, 'R'},
		{"mark-sent", required_argument, NULL, 'M'},
		{"all", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *status_id = NULL, *to = NULL, *mark = NULL, *to_name = NULL;
	int status = 0, resend = 0, all = 0;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (c == 'n')
			dir = optarg;
		else if (c == 't')
			to = optarg;
		else if (c == 'N')
			to_name = optarg;
		else if (c == 'R')
			resend = 1;
		else if (c == 'A')
			all = 1;
		else if (c == 'M') {
			if (!strcmp(optarg, "--all"))
				all = 1;
			else
				mark = optarg;
		} else if (c == 's') {
			status = 1;
			/* "--status ID" as well as "--status=ID" */
			if (optarg)
				status_id = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				status_id = argv[optind++];
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	int marking = mark || all;
	/* Only --resend-in-doubt and --mark-sent take a DIGEST operand. */
	const char *digest = (resend || marking) && optind < argc ? argv[optind++] : NULL;
	if (optind != argc || (status + !!dir + !!to + resend + marking) > 1 ||
	    (mark && all) || (all && !marking) || (to_name && !to)) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int64_t id = 0;
	if ((status_id && !(id = parse_id("--status", status_id))) ||
	    (digest && !(id = parse_id(resend ? "--resend-in-doubt" : "--mark-sent", digest))))
		return EXIT_USAGE;
	if (status)
		return send_status(a, id);
	if (resend)
		return resolve(a, id, NULL, DELIVERY_QUEUED);
	if (marking)
		return resolve(a, id, mark, DELIVERY_SENT);
	return send_run(a, dir, to, to_name, 1);
}
