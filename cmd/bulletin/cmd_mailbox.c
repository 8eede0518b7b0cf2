/* bulletin mailbox: read the association's mailbox once (lib/mailbox). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/log.h"
#include "mailbox/mailbox.h"
#include "mailbox/tokens.h"

static const char usage[] =
	"usage: bulletin mailbox [--no-move]\n"
	"\n"
	"Reads the association's mailbox ([mailbox] in the configuration) once:\n"
	"bounces are counted (after hard_bounces hard bounces across two digests a\n"
	"member is marked bounced and mailed no more), a member who replies\n"
	"\"avregistrera\", \"meld av\", \"afmeld\" or \"unsubscribe\" is unsubscribed and\n"
	"gets a confirmation (also when the reply comes from another address but\n"
	"quotes the member's own unsubscribe link), and a chair's authenticated\n"
	"commands (add NAME <address>, remove ADDRESS, pause source NAME, resume\n"
	"source NAME) are applied and answered. Handled messages move to\n"
	"handled_folder; the rest stay for a person. `bulletin run` does this\n"
	"first when [mailbox] is set.\n"
	"\n"
	"  --no-move   copy, flag \\Deleted and UID EXPUNGE instead of UID MOVE\n"
	"\n"
	"Exit 0: done; 1: an answer failed, waits or is in doubt; 74: the store\n"
	"failed; 75: the server is down or busy; 78: the settings, the\n"
	"certificate or the login.\n";

static void print_stats(FILE *out, const struct config *c, const struct mailbox_stats *st)
{
	fprintf(out, "messages in %s: %zu (%zu left alone by earlier runs)\n", c->mb_folder,
		st->in_folder, st->known);
	fprintf(out, "examined now: %zu\n", st->fetched);
	for (int i = 0; i < MB_CLASS_COUNT_; i++)
		if (st->by_class[i])
			fprintf(out, "  %-18s %zu\n", mb_class_name((enum mb_class)i), st->by_class[i]);
	fprintf(out, "bounces counted: %zu\n", st->bounces);
	fprintf(out, "members marked bounced: %zu\n", st->bounced);
	fprintf(out, "unsubscribed by reply: %zu\n", st->unsubscribed);
	fprintf(out, "chair's commands applied: %zu\n", st->commands);
	fprintf(out, "answers: %zu sent, %zu failed, %zu in doubt, %zu waiting for the mail server\n",
		st->answers_sent, st->answers_failed, st->answers_doubt, st->answers_waiting);
	fprintf(out, "moved to %s: %zu (%s)\n", c->mb_handled_folder, st->moved,
		st->move_method[0] ? st->move_method : "-");
	fprintf(out, "left for a person: %zu (%zu about no member)\n", st->left, st->unknown);
	fprintf(out, "duplicates: %zu\n", st->duplicates);
	fprintf(out, "with bad input (read anyway): %zu\n", st->warnings);
}

int stage_mailbox(struct app *a, int alone, int no_move)
{
	const struct config *c = &a->cfg;
	struct err err;
	int conf = mailbox_configured(c, &err);
	if (conf < 0 || (conf == 0 && alone)) {
		if (conf == 0)
			err_set(&err, "%s: no [mailbox] url: nothing to read", c->path);
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	if (conf == 0)
		return 0;
	char *password = NULL, *smtp_password = NULL;
	int r = 0;
	if (config_read_secret(c, c->mb_password_file, c->mb_password_env, &password, &err) < 0 ||
	    config_smtp_password(c, &smtp_password, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_CONFIG;
		goto out;
	}
	/* the key send made for the members' links, beside the store */
	struct mb_tokens tokens;
	int have_key = mb_tokens_load(c, &tokens, &err);
	if (have_key < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_CONFIG;
		goto out;
	}
	struct smtp_opts so;
	app_smtp_opts(c, smtp_password, &so);
	struct mailbox_opts o = {.cfg = c, .password = password, .smtp = &so, .no_move = no_move,
				 .tokens = have_key ? &tokens : NULL};
	struct mailbox_stats st;
	int rc = mailbox_run(a->store, &o, &st, &err);
	explicit_bzero(&tokens, sizeof tokens);
	if (alone)
		print_stats(stdout, c, &st);
	else
		log_info("mailbox: %zu examined, %zu bounces, %zu unsubscribed, %zu commands, %zu "
			 "moved, %zu left for a person", st.fetched, st.bounces, st.unsubscribed,
			 st.commands, st.moved, st.left);
	if (rc < 0) {
		fprintf(stderr, "bulletin: mailbox: %s\n", err.msg);
		r = st.setup_error ? EXIT_CONFIG : st.store_error ? EXIT_IOERR : EXIT_TEMPFAIL;
	} else if (st.answers_failed || st.answers_doubt || st.answers_waiting) {
		r = EXIT_FAILURE_;
	}
out:
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	if (smtp_password) {
		memset(smtp_password, 0, strlen(smtp_password));
		free(smtp_password);
	}
	return r;
}

int cmd_mailbox(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-move", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch, no_move = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': no_move = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int r;
	if ((r = app_config(a)) || (r = app_store(a)))
		return r;
	return stage_mailbox(a, 1, no_move);
}
