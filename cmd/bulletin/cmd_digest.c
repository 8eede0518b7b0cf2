#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_digest(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin digest [--format md|html|text|json]\n"
		"\nComposes the digest of the current period (items first seen since the\n"
		"last sent digest) and prints it without sending. --format json prints\n"
		"the model the templates see.\n";
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "md";
	int c;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'h') {
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
	int r = app_compose(a, time(NULL), &row, &model);
	if (r)
		return r;
	if (!strcmp(format, "json")) {
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
	return 0;
}
