#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/fsutil.h"
#include "core/log.h"

/* Writes the HTML preview where a browser can open it: the archive
 * folder's preview.html (never a member-facing file). */
static int write_preview(const struct app *a, const char *html, char *path, size_t pathlen)
{
	struct err err;
	if (fs_mkdir_p(a->cfg.archive_dir, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	snprintf(path, pathlen, "%s/preview.html", a->cfg.archive_dir);
	if (fs_write_atomic(path, html, strlen(html), &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR; /* a failed write */
	}
	return 0;
}

/* Selected items max_age_days left out: said, or an empty digest reads as
 * "the rules found nothing" while rules test lists them selected. */
static void note_too_old(const struct app *a, json_int_t shown)
{
	json_int_t old = json_integer_value(json_object_get(a->chair_report, "too_old"));
	if (!old || log_get_level() < LOG_LVL_WARN)
		return;
	if (!shown)
		fprintf(stderr, "bulletin: the digest is empty: the rules select %lld item%s, but %s "
			"published more than %ld days ago (max_age_days in [digest], %s; 0 keeps "
			"items of any age)\n", (long long)old, old == 1 ? "" : "s",
			old == 1 ? "it was" : "all were", a->cfg.max_age_days, a->cfg.path);
	else
		fprintf(stderr, "bulletin: %lld more item%s the rules select %s left out: published "
			"more than %ld days ago (max_age_days in [digest], %s)\n", (long long)old,
			old == 1 ? "" : "s", old == 1 ? "was" : "were", a->cfg.max_age_days,
			a->cfg.path);
}

int cmd_digest(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin digest [--format md|html|text|json] [--days N] [--open]\n"
		"\nComposes the digest of the current period (items first seen since the\n"
		"last sent digest; --days N: the last N days instead, as a preview) and\n"
		"prints it without sending. --format text prints the plain-text part,\n"
		"json the model the templates see. --open writes the HTML to\n"
		"ARCHIVE/preview.html and prints its path, for a browser.\n";
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"days", required_argument, NULL, 'd'},
		{"open", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "md";
	long days = 0;
	int open_it = 0, c;
	while ((c = getopt_long(argc, argv, "f:d:h", opts, NULL)) != -1) {
		if (c == 'f') {
			format = optarg;
		} else if (c == 'd') {
			if (app_days("digest", optarg, &days))
				return EXIT_USAGE;
		} else if (c == 'o') {
			open_it = 1;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || (strcmp(format, "md") && strcmp(format, "html") &&
			       strcmp(format, "text") && strcmp(format, "json"))) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct digest_row row;
	json_t *model = NULL;
	time_t now = app_now();
	int r = app_compose(a, now, days ? now - days * 86400 : 0, &row, &model);
	if (r)
		return r;
	note_too_old(a, json_integer_value(json_object_get(model, "count")));
	if (open_it) {
		char path[4200];
		r = write_preview(a, row.html, path, sizeof path);
		if (!r)
			printf("%s\n", path);
	} else if (!strcmp(format, "json")) {
		char *s = json_dumps(model, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
	} else {
		const char *out = !strcmp(format, "md") ? row.markdown
				  : !strcmp(format, "html") ? row.html
							    : row.text;
		if (!strcmp(format, "md") || !strcmp(format, "text"))
			printf("Subject: %s\n\n", row.subject);
		fputs(out, stdout);
	}
	json_decref(model);
	digest_row_free(&row);
	return r;
}
