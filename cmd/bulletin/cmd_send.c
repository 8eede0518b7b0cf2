#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/archive.h"
#include "compose/compose.h"
#include "cli.h"
#include "deliver/deliver.h"
#include "core/log.h"
#include "deliver/members.h"
#include "core/timefmt.h"

static int send_to_one(struct app *a, const char *to)
{
	const struct config *c = &a->cfg;
	struct err err;
	if (!mail_address_valid(to)) {
		fprintf(stderr, "bulletin: --to: not a valid address\n");
		return EXIT_USAGE;
	}
	struct member one = {.email = (char *)to, .name = (char *)""};
	struct member_list ml = {.v = &one, .n = 1, .cap = 1};
	char *password = NULL;
	if (config_smtp_password(c, &password, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	/* The digest members would get now: an unfinished one as stored,
	 * else this period's, composed and not kept. */
	struct digest_row row = {0};
	json_t *model = NULL;
	int r = 0, have = store_digest_unfinished(a->store, &row, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_IOERR;
	} else if (!have) {
		r = app_compose_personal(a, app_now(), &row, &model);
	}
	if (!r) {
		struct smtp_opts so;
		app_smtp_opts(c, password, &so);
		struct deliver_opts o = {.from_name = c->from_name, .from_address = c->from_address,
					 .reply_to = c->reply_to, .list_id = c->list_id,
					 .unsubscribe = c->unsubscribe, .smtp = &so,
					 .outside_ledger = 1, .retries = (int)c->mail_retries,
					 .retry_wait_ms = c->mail_retry_wait * 1000,
					 .greeting = app_greeting, .greeting_ctx = a};
		struct deliver_stats st;
		if (deliver_digest(a->store, &row, &ml, &o, &st, &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = st.setup_error ? EXIT_CONFIG : EXIT_TEMPFAIL;
		} else if (st.sent != 1) {
			r = EXIT_FAILURE_; /* the reason was logged */
		} else {
			fprintf(stderr, "bulletin: \"%s\" sent to %s (outside the ledger)\n", row.subject, to);
		}
	}
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	json_decref(model);
	digest_row_free(&row);
	return r;
}

/* `to` (send --to): the digest as it stands goes to that one address,
 * outside the ledger: nothing is stored, archived or marked done. */
static int send_digest(struct app *a, const char *dry_run_dir, const char *to)
{
	int r;
	struct err err;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	const struct config *c = &a->cfg;
	if (to) {
		if (!c->from_address) {
			fprintf(stderr, "bulletin: %s: set from_address in [mail]\n", c->path);
			return EXIT_CONFIG;
		}
		return send_to_one(a, to);
	}
	if (!c->members_file || !c->from_address) {
		fprintf(stderr, "bulletin: %s: set file in [members] and from_address in [mail]\n",
			c->path);
		return EXIT_CONFIG;
	}
	struct member_list ml = {0};
	if (members_load(c->members_file, &ml, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	if (!ml.n) {
		fprintf(stderr, "bulletin: %s: no members with a valid address\n", c->members_file);
		member_list_free(&ml);
		return EXIT_CONFIG;
	}
	/* Paused and unsubscribed members get nothing; a real send also
	 * records the CSV's unsubscribes so an older copy cannot undo them. */
	struct member_filter_counts fc;
	if (members_filter_active(&ml, a->store, !dry_run_dir, &fc, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		member_list_free(&ml);
		return EXIT_IOERR;
	}
	if (!ml.n) {
		/* Nothing is composed or marked done: the items wait for them. */
		fprintf(stderr, "bulletin: %s: every member is paused or unsubscribed; "
			"nothing sent\n", c->members_file);
		member_list_free(&ml);
		return 0;
	}
	if (fc.paused || fc.unsub_csv || fc.unsub_store)
		log_info("%zu member%s left out: %zu paused, %zu unsubscribed in %s, "
			 "%zu unsubscribed in the store",
			 fc.paused + fc.unsub_csv + fc.unsub_store,
			 fc.paused + fc.unsub_csv + fc.unsub_store == 1 ? "" : "s", fc.paused,
			 fc.unsub_csv, c->members_file, fc.unsub_store);
	if (dry_run_dir && mkdir(dry_run_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bulletin: %s: %s\n", dry_run_dir, strerror(errno));
		member_list_free(&ml);
		return EXIT_CANTCREAT;
	}
	char *password = NULL;
	if (!dry_run_dir && config_smtp_password(c, &password, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		member_list_free(&ml);
		return EXIT_CONFIG;
	}
	struct digest_row row = {0};
	json_t *model = NULL;
	int have = store_digest_unfinished(a->store, &row, &err);
	if (have < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_IOERR;
		goto out;
	}
	if (have) {
		char ts[RFC3339_LEN];
		log_info("resuming digest %lld composed %s", (long long)row.id,
			 time_format_rfc3339(row.created, ts));
	} else {
		if ((r = app_compose_personal(a, app_now(), &row, &model)))
			goto out;
		if (json_integer_value(json_object_get(model, "count")) == 0 && !c->empty_send) {
			char ts[RFC3339_LEN];
			fprintf(stderr, "bulletin: no new items selected since %s; nothing sent "
				"(set empty = send in [digest] to send a short note instead)\n",
				row.period_start ? time_format_rfc3339(row.period_start, ts)
						 : "the start");
			r = 0;
			goto out;
		}
		if (!dry_run_dir) {
			char html[4096];
			/* with the reminders it gives, in one transaction */
			if (compose_store_digest(a->store, &row, model, &err) < 0) {
				fprintf(stderr, "bulletin: %s\n", err.msg);
				r = EXIT_IOERR;
				goto out;
			}
			struct digest_row arch;
			if ((r = app_archive_row(a, &row, &arch)))
				goto out;
			int aw = archive_write(c->archive_dir, &arch, model, html, sizeof html, &err);
			digest_row_free(&arch);
			if (aw < 0) {
				/* The digest is stored; members still get it. */
				log_error("archive: %s", err.msg);
			} else {
				log_info("digest written to %s", html);
				/* calendar.ics for subscribers; a failure is said and the
				 * members still get the digest */
				app_write_calendar(a, c->archive_dir, row.created);
				/* the archive's index.html and feed.atom list it now */
				struct archive_site site = {c->title, c->language, c->archive_url,
							    c->association};
				if (archive_index(c->archive_dir, &site, &err) < 0)
					log_error("archive: %s", err.msg);
			}
		}
	}
	/* The chair's copy, when she is named and this run composed the digest
	 * (a resumed delivery has only the members' version). */
	struct digest_parts chair = {0};
	if (c->chair && model && a->chair_report) {
		json_t *cm = json_deep_copy(model);
		struct err cerr = {{0}};
		if (cm)
			json_object_set_new(cm, "greeting", json_string(DIGEST_GREETING_SLOT));
		if (!cm || digest_add_chair(cm, a->chair_report) < 0 ||
		    digest_compose(cm, c->templates_dir, &chair, &cerr) < 0)
			log_warn("the chair's copy: %s; she gets the members' version",
				 cm ? cerr.msg : "out of memory");
		json_decref(cm);
	}
	struct smtp_opts so;
	app_smtp_opts(c, password, &so);
	struct deliver_opts o = {.from_name = c->from_name, .from_address = c->from_address,
				 .reply_to = c->reply_to, .list_id = c->list_id,
				 .unsubscribe = c->unsubscribe, .smtp = &so,
				 .dry_run_dir = dry_run_dir, .chair_email = c->chair,
				 .retries = (int)c->mail_retries,
				 .retry_wait_ms = c->mail_retry_wait * 1000, .rate = c->mail_rate,
				 .chair_text = chair.text, .chair_html = chair.html,
				 .greeting = app_greeting, .greeting_ctx = a};
	struct deliver_stats st;
	int dr = deliver_digest(a->store, &row, &ml, &o, &st, &err);
	digest_parts_free(&chair);
	if (dr < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		/* 78 says "fix the setup" to cron and the chair; 75 "try later". */
		r = st.setup_error ? EXIT_CONFIG : EXIT_TEMPFAIL;
		goto out;
	}
	if (dry_run_dir)
		fprintf(stderr, "bulletin: wrote %d messages to %s\n", st.sent, dry_run_dir);
	else if (isatty(STDERR_FILENO) || log_get_level() >= LOG_LVL_INFO ||
		 st.failed || st.deferred || st.in_doubt)
		fprintf(stderr,
			"bulletin: \"%s\": %d sent, %d failed, %d deferred, %d in doubt, "
			"%d already done\n",
			row.subject, st.sent, st.failed, st.deferred, st.in_doubt, st.skipped_done);
	r = st.failed || st.deferred || st.in_doubt ? EXIT_FAILURE_ : 0;
out:
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	json_decref(model);
	digest_row_free(&row);
	member_list_free(&ml);
	return r;
}

/* ---- send --status: the chair's view of one digest's ledger ---- */

/* Active members of the current list with no ledger row yet: for an
 * unfinished digest they are still to be mailed (a run stopped before
 * them). NULL list on any problem: the ledger alone is then shown. */
static void unstarted(struct app *a, const struct delivery_row *v, size_t n,
		      struct member_list *out)
{
	memset(out, 0, sizeof *out);
	if (!a->cfg.members_file)
		return;
	enum log_level lv = log_get_level();
	log_set_level(LOG_LVL_ERROR); /* the list's own problems are members check's */
	struct err err;
	struct member_filter_counts fc;
	int rc = members_load(a->cfg.members_file, out, &err);
	if (rc == 0 && members_filter_active(out, a->store, 0, &fc, &err) < 0) {
		member_list_free(out);
		rc = -1;
	}
	log_set_level(lv);
	if (rc < 0) {
		log_warn("%s", err.msg);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++) {
		int found = 0;
		for (size_t j = 0; j < n && !found; j++)
			found = !strcasecmp(v[j].email, out->v[i].email);
		if (found) {
			free(out->v[i].email);
			free(out->v[i].name);
		} else {
			out->v[k++] = out->v[i];
		}
	}
	out->n = k;
}

static int send_status(struct app *a, int64_t id)
{
	int r = app_store(a);
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
	struct member_list todo = {0};
	if (!d.completed)
		unstarted(a, v, n, &todo);
	size_t counts[5] = {0};
	for (size_t i = 0; i < n; i++)
		counts[v[i].state]++;
	char t1[32], t2[32];
	printf("digest %lld \"%s\", composed %s, %s %s\n", (long long)d.id,
	       d.subject ? d.subject : "", app_when(d.created, t1, sizeof t1),
	       d.completed ? "delivery completed" : "delivery unfinished",
	       d.completed ? app_when(d.completed, t2, sizeof t2) : "");
	printf("  %-26s %zu\n", "queued (to retry)", counts[DELIVERY_QUEUED]);
	printf("  %-26s %zu\n", "sending (in doubt)", counts[DELIVERY_SENDING]);
	printf("  %-26s %zu\n", "sent", counts[DELIVERY_SENT]);
	printf("  %-26s %zu\n", "failed", counts[DELIVERY_FAILED]);
	if (!d.completed)
		printf("  %-26s %zu\n", "not started", todo.n);
	size_t bad = n - counts[DELIVERY_SENT] + todo.n;
	if (bad) {
		printf("\n%-32s %-9s %8s  %-17s  %s\n", "MEMBER", "STATE", "ATTEMPTS",
		       "LAST ATTEMPT", "LAST REPLY");
		for (size_t i = 0; i < n; i++) {
			if (v[i].state == DELIVERY_SENT)
				continue;
			printf("%-32s %-9s %8d  %-17s  ", v[i].email,
			       v[i].state == DELIVERY_SENDING ? "in doubt"
							      : delivery_state_name(v[i].state),
			       v[i].attempts, app_when(v[i].updated, t1, sizeof t1));
			app_put_clean(stdout, v[i].last_reply);
			putchar('\n');
		}
		for (size_t i = 0; i < todo.n; i++)
			printf("%-32s %-9s %8d  %-17s  -\n", todo.v[i].email, "unsent", 0, "never");
	}
	member_list_free(&todo);
	delivery_rows_free(v, n);
	digest_row_free(&d);
	return bad ? EXIT_FAILURE_ : 0;
}

int stage_send(struct app *a, const char *dry_run_dir)
{
	return send_digest(a, dry_run_dir, NULL);
}

int cmd_send(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin send [--dry-run DIR]\n"
		"       bulletin send --to ADDRESS\n"
		"       bulletin send --status [ID]\n"
		"\nMails the current digest to every member not yet mailed it. A digest\n"
		"whose delivery was interrupted is resumed, never composed again.\n"
		"Paused and unsubscribed members get nothing.\n"
		"--dry-run DIR writes one .eml per member into DIR instead.\n"
		"--to ADDRESS mails the digest as members would get it now to that one\n"
		"address only (the chair's test), outside the ledger: nothing is\n"
		"stored, archived or marked done.\n"
		"--status shows the newest digest's delivery (or digest ID's): counts\n"
		"per state and every member not sent, with attempts, the last attempt\n"
		"and the server's last reply. Exit 0 when every member is sent.\n";
	static const struct option opts[] = {
		{"dry-run", required_argument, NULL, 'n'},
		{"status", optional_argument, NULL, 's'},
		{"to", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *status_id = NULL, *to = NULL;
	int status = 0;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (c == 'n')
			dir = optarg;
		else if (c == 't')
			to = optarg;
		else if (c == 's') {
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
	if (optind != argc || (status + !!dir + !!to) > 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (status) {
		long long id = 0;
		if (status_id) {
			char *end;
			id = strtoll(status_id, &end, 10);
			if (*end || end == status_id || id <= 0) {
				fprintf(stderr, "bulletin send: --status wants a digest id, "
						"not \"%.40s\"\n", status_id);
				return EXIT_USAGE;
			}
		}
		return send_status(a, (int64_t)id);
	}
	return send_digest(a, dir, to);
}
