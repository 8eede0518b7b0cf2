#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "cli.h"
#include "deliver.h"
#include "log.h"
#include "members.h"
#include "timefmt.h"

int stage_send(struct app *a, const char *dry_run_dir)
{
	int r;
	struct err err;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	const struct config *c = &a->cfg;
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
		if ((r = app_compose(a, time(NULL), 0, &row, &model)))
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
			if (store_digest_insert(a->store, &row, &err) < 0) {
				fprintf(stderr, "bulletin: %s\n", err.msg);
				r = EXIT_IOERR;
				goto out;
			}
			if (archive_write(c->archive_dir, &row, model, html, sizeof html, &err) < 0) {
				/* The digest is stored; members still get it. */
				log_error("archive: %s", err.msg);
			} else {
				log_info("digest written to %s", html);
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
		if (!cm || digest_add_chair(cm, a->chair_report) < 0 ||
		    digest_compose(cm, c->templates_dir, &chair, &cerr) < 0)
			log_warn("the chair's copy: %s; she gets the members' version",
				 cm ? cerr.msg : "out of memory");
		json_decref(cm);
	}
	struct smtp_opts so = {.url = c->smtp_url, .starttls = c->starttls,
			       .verify_tls = c->verify_tls, .username = c->smtp_user,
			       .password = password, .timeout = c->smtp_timeout};
	struct deliver_opts o = {.from_name = c->from_name, .from_address = c->from_address,
				 .reply_to = c->reply_to, .list_id = c->list_id,
				 .unsubscribe = c->unsubscribe, .smtp = &so,
				 .dry_run_dir = dry_run_dir, .chair_email = c->chair,
				 .chair_text = chair.text, .chair_html = chair.html};
	struct deliver_stats st;
	int dr = deliver_digest(a->store, &row, &ml, &o, &st, &err);
	digest_parts_free(&chair);
	if (dr < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_TEMPFAIL;
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

int cmd_send(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin send [--dry-run DIR]\n"
		"\nMails the current digest to every member not yet mailed it. A digest\n"
		"whose delivery was interrupted is resumed, never composed again.\n"
		"--dry-run DIR writes one .eml per member into DIR instead.\n";
	static const struct option opts[] = {
		{"dry-run", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (c == 'n')
			dir = optarg;
		else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return stage_send(a, dir);
}
