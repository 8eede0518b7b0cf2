#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "cli.h"
#include "feed.h"

#define PARSE_MAX_INPUT (256u << 20)

int cmd_parse(struct app *a, int argc, char **argv)
{
	(void)a;
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *base = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		if (c == 'b')
			base = optarg;
		else if (c == 'h') {
			puts("usage: bulletin parse [--base URL] FILE|-\n\n"
			     "Prints the items of one RSS or Atom document as JSON Lines.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: bulletin parse [--base URL] FILE|-\n");
		return EXIT_USAGE;
	}
	const char *path = argv[optind];
	size_t len;
	char *data = app_read_file(path, PARSE_MAX_INPUT, &len);
	if (!data)
		return EXIT_NOINPUT;
	struct item_list items = {0};
	struct err err;
	struct feed_opts fo = {.base_url = base};
	struct buf utf8 = BUF_INIT;
	int n = charset_to_utf8(data, len, NULL, &utf8, NULL, 0, &err);
	if (n == 0)
		n = feed_parse(buf_str(&utf8), utf8.len, &fo, &items, &err);
	buf_free(&utf8);
	for (size_t i = 0; i < items.n; i++) {
		json_t *j = item_to_json(&items.v[i]);
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	}
	item_list_free(&items);
	free(data);
	if (n < 0) {
		fprintf(stderr, "bulletin: %s: %s\n", strcmp(path, "-") ? path : "<stdin>", err.msg);
		return EXIT_DATAERR;
	}
	return 0;
}
