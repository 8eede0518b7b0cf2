#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/log.h"
#include "store/ingest.h"

/* On a terminal, one line that counts up; cron sees nothing of it. */
static void show_progress(void *ctx, size_t done, size_t total, size_t failed)
{
	(void)ctx;
	fprintf(stderr, "\rbulletin: fetching %zu/%zu sources, %zu failed ", done, total, failed);
	fflush(stderr);
}

/* Messages go above the progress line. */
static void clear_progress(void *ctx)
{
	(void)ctx;
	fputs("\r\033[K", stderr);
}

int stage_fetch(struct app *a)
{
	int r = app_store(a);
	if (r)
		return r;
	const struct config *c = &a->cfg;
	size_t enabled = 0;
	for (size_t i = 0; i < c->nsources; i++)
		enabled += c->sources[i].enabled != 0;
	char ua[512];
	snprintf(ua, sizeof ua, "bulletin/%s%s%s%s", BULLETIN_VERSION, c->contact ? " (+" : "",
		 c->contact ? c->contact : "", c->contact ? ")" : "");
	struct ingest_opts o = {.user_agent = ua, .now = app_now()};
	int tty = isatty(STDERR_FILENO) && log_get_level() >= LOG_LVL_WARN && enabled > 1;
	if (tty) {
		o.progress = show_progress;
		o.before_message = clear_progress;
	}
	struct ingest_report rep;
	struct err err;
	int ir = ingest_run(a->store, c, &o, &rep, &err);
	if (tty)
		clear_progress(NULL);
	if (ir < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return ir == INGEST_STORE_FAILED ? EXIT_IOERR : EXIT_SOFTWARE;
	}
	if (app_chatty())
		fprintf(stderr, "bulletin: fetched %zu sources: %d items, %d new, %d failed\n",
			rep.sources, rep.items, rep.fresh, rep.failed);
	return rep.failed ? EXIT_FAILURE_ : 0;
}

int cmd_fetch(struct app *a, int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help")) {
			puts("usage: bulletin fetch\n\nFetches every enabled source and stores new items.");
			return 0;
		}
		fprintf(stderr, "bulletin fetch: unexpected argument \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	return stage_fetch(a);
}
