#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "compose/archive.h"
#include "cli.h"

int cmd_archive(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin archive [--dir DIR]\n"
		"\nRebuilds index.html and feed.atom (Atom) of the digest archive from\n"
		"its digest-*.json files, newest first, and prints the index's path.\n"
		"DIR defaults to [digest] archive; links use [digest] archive_url.\n"
		"calendar.ics (the association's calendar and the events in selected\n"
		"items, for subscribers) is written there too when rules are configured.\n";
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		if (c == 'd')
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
	int r = app_config(a);
	if (r)
		return r;
	if (!dir)
		dir = a->cfg.archive_dir;
	/* archive_index creates its folder (send needs that); a rebuild of a
	 * folder that is not there is a mistyped --dir. */
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "bulletin: %s: no such archive folder\n", dir);
		return EXIT_NOINPUT;
	}
	const struct archive_site site = {
		.title = a->cfg.title,
		.language = a->cfg.language,
		.base_url = a->cfg.archive_url,
		.association = a->cfg.association,
	};
	if ((a->cfg.nrules_files || a->cfg.calendar_file) && (r = app_write_calendar(a, dir, app_now())))
		return r;
	struct err err;
	if (archive_index(dir, &site, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR; /* a failed write */
	}
	printf("%s/index.html\n", dir);
	return 0;
}
