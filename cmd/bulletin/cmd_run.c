#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_run(struct app *a, int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "--help")) {
			puts("usage: bulletin run\n\nFetches every source, composes the digest of "
			     "the period and mails it:\nthe entry point for cron.");
			return 0;
		}
		fprintf(stderr, "bulletin run: unexpected argument \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	/* Check everything that could stop the run before any network traffic:
	 * a broken config or rule must never cost a half-done run. */
	int r;
	if ((r = app_config(a)) || (r = app_rules(a, NULL, 0)) || (r = app_store(a)))
		return r;
	int fr = stage_fetch(a);
	if (fr && fr != EXIT_FAILURE_)
		return fr; /* the store or libcurl itself failed */
	int sr = stage_send(a, NULL);
	return sr ? sr : fr;
}
