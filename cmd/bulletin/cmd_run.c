#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compose/chrome.h"
#include "core/log.h"
#include "deliver/deliver.h"
#include "deliver/mail.h"

/* [run] report: `bulletin status` mailed to the chair. Its failure is
 * logged but does not change the run's exit status: the members' digest
 * is what the run is for. */
static void mail_report(struct app *a)
{
	const struct config *c = &a->cfg;
	struct err err = {{0}};
	if (!c->chair || !c->from_address) {
		log_error("%s: report = yes in [run] needs chair in [digest] and from_address "
			  "in [mail]", c->path);
		return;
	}
	char *text = NULL, *password = NULL, mid[128], reply[512] = "";
	size_t len = 0;
	struct buf msg = BUF_INIT;
	FILE *f = open_memstream(&text, &len);
	/* in the digest's language, as everything else the chair reads by mail */
	const struct chrome_report *t = chrome_report_for(c->language);
	if (!f || app_status_report(a, f, t)) {
		if (f)
			fclose(f);
		log_error("the run report to %s: could not compose it", c->chair);
		goto out;
	}
	fclose(f);
	const char *at = strchr(c->from_address, '@');
	snprintf(mid, sizeof mid, "report-%lld-%ld%s", (long long)time(NULL), (long)getpid(),
		 at ? at : "@bulletin.invalid");
	struct mail_msg mm = {.from_name = c->from_name, .from_addr = c->from_address,
			      .to_name = "", .to_addr = c->chair, .subject = t->subject,
			      .message_id = mid, .date = time(NULL), .text = text};
	struct smtp_opts so;
	if (config_smtp_password(c, &password, &err) < 0 || mail_compose(&mm, &msg, &err) < 0) {
		log_error("the run report to %s: %s", c->chair, err.msg);
		goto out;
	}
	app_smtp_opts(c, password, &so);
	if (deliver_one(&so, c->from_address, c->chair, msg.data, msg.len, reply, sizeof reply) !=
	    SMTP_SENT)
		log_error("the run report to %s: %s", c->chair, reply);
out:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	buf_free(&msg);
	free(text);
}

int cmd_run(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin run\n\nReads the mailbox when [mailbox] is set, fetches "
		"every source, composes the\ndigest of the period and mails it: the entry "
		"point for cron. With\nreport = yes in [run], the chair then gets "
		"`bulletin status` by mail.";
	int na = app_no_args(argc, argv, "run", usage);
	if (na >= 0)
		return na;
	/* Check everything that could stop the run before any network traffic:
	 * a broken config or rule must never cost a half-done run. */
	int r;
	if ((r = app_config(a)) || (r = app_rules(a, NULL, 0)) || (r = app_store(a)))
		return r;
	/* The mailbox first (issue 18): bounces, unsubscribe replies and the
	 * chair's pauses count for this run's fetch and send. Its failure is
	 * reported and the digest still goes out. */
	int mr = stage_mailbox(a, 0, 0);
	if (mr == EXIT_IOERR)
		return mr;
	int fr = stage_fetch(a);
	if (fr && fr != EXIT_FAILURE_)
		return fr; /* the store or libcurl itself failed */
	int sr = stage_send(a, NULL);
	if (a->cfg.run_report)
		mail_report(a);
	return sr ? sr : fr ? fr : mr ? EXIT_FAILURE_ : 0;
}
