#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/charset.h"
#include "cli.h"
#include "parse/feed.h"
#include "core/fsutil.h"
#include "parse/html.h"

/* Documents up to this size are read whole and normalised to UTF-8 (what
 * `fetch` does with every download, which is capped at 10 MiB anyway);
 * larger files stream through the parser in chunks so memory stays flat,
 * and rely on the XML declaration for their encoding. */
#define PARSE_WHOLE_MAX (16u << 20)
#define HTML_MAX_INPUT (64u << 20)

static const char usage[] =
	"usage: bulletin parse [--base URL] FILE|-\n"
	"       bulletin parse --type html (--source NAME | --item SEL [--item-title SEL]\n"
	"                      [--item-link SEL] [--item-date SEL] [--item-summary SEL])\n"
	"                      [--base URL] FILE|-\n"
	"\nPrints the items of one document as JSON Lines: RSS, Atom or JSON Feed\n"
	"(detected), or an HTML news listing read with a source's selectors from\n"
	"the configuration (--source) or given here.\n";

/* Lines are gathered and written in blocks; stdio per item would cost
 * more than the parse. */
struct out {
	struct buf b;
	int failed;
	long items;
};

static int out_flush(struct out *o)
{
	if (o->b.len && !o->failed && fwrite(o->b.data, 1, o->b.len, stdout) != o->b.len)
		o->failed = 1;
	buf_reset(&o->b);
	return o->failed ? -1 : 0;
}

static int print_item(void *ctx, struct item *it)
{
	struct out *o = ctx;
	if (item_to_jsonl(it, &o->b) < 0)
		return -1;
	o->items++;
	return o->b.len >= (64u << 10) ? out_flush(o) : 0;
}

static int push_all(struct feed_parser *p, const char *d, size_t n, struct err *err)
{
	return feed_parser_push(p, d, n, err) < 0 ? EXIT_DATAERR : 0;
}

static int parse_feed(const char *path, const char *base)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "bulletin: %s: %s\n", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	struct stat st = {0};
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "bulletin: %s: is a directory\n", path);
		if (f != stdin)
			fclose(f);
		return EXIT_NOINPUT;
	}
	struct feed_opts fo = {.base_url = base};
	struct err err = {0};
	struct out out = {BUF_INIT, 0, 0};
	struct feed_parser *p = feed_parser_new(&fo, print_item, &out);
	struct buf head = BUF_INIT, utf8 = BUF_INIT;
	static char chunk[1 << 19];
	size_t n = 0;
	int rc = p ? 0 : EXIT_SOFTWARE;
	if (!p)
		err_set(&err, "out of memory");
	/* A document of up to PARSE_WHOLE_MAX bytes is normalised to UTF-8
	 * whole, as fetch does; a longer one goes to the parser as it is read
	 * (a regular file's size is known, a pipe's first bytes are kept). */
	int big = S_ISREG(st.st_mode) && st.st_size > (off_t)PARSE_WHOLE_MAX;
	while (!rc && !big && head.len <= PARSE_WHOLE_MAX && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(&head, chunk, n) < 0) {
			err_set(&err, "out of memory");
			rc = EXIT_SOFTWARE;
		}
	if (!rc && !big && head.len <= PARSE_WHOLE_MAX && !ferror(f)) {
		if (charset_to_utf8(head.data, head.len, NULL, &utf8, NULL, 0, &err) < 0)
			/* binary data is the document's fault, anything else ours */
			rc = charset_binary(head.data, head.len) ? EXIT_DATAERR : EXIT_SOFTWARE;
		else
			rc = push_all(p, buf_str(&utf8), utf8.len, &err);
	} else if (!rc) {
		rc = push_all(p, head.data, head.len, &err);
		while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
			rc = push_all(p, chunk, n, &err);
	}
	if (!rc && ferror(f)) {
		err_set(&err, "read error: %s", strerror(errno));
		rc = EXIT_IOERR;
	}
	if (!rc && feed_parser_finish(p, &err) < 0)
		rc = EXIT_DATAERR;
	/* A failed write stops the parser ("stopped"): report the write. */
	if (out_flush(&out) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "bulletin: writing the items: %s\n", strerror(errno));
		rc = EXIT_IOERR;
	} else if (rc == EXIT_DATAERR && out.items) {
		/* recover mode read past the damage or up to it */
		fprintf(stderr, "bulletin: %s: %s (%ld items printed)\n", name, err.msg, out.items);
	} else if (rc) {
		fprintf(stderr, "bulletin: %s: %s\n", name, err.msg);
	}
	buf_free(&out.b);
	feed_parser_free(p);
	buf_free(&head);
	buf_free(&utf8);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int parse_html(struct app *a, const char *path, const char *base, const char *source,
		      struct html_selectors *sel)
{
	if (source) {
		int r = app_config(a);
		if (r)
			return r;
		const struct source *s = NULL;
		for (size_t i = 0; i < a->cfg.nsources && !s; i++)
			if (!strcmp(a->cfg.sources[i].name, source))
				s = &a->cfg.sources[i];
		if (!s) {
			fprintf(stderr, "bulletin: %s: no source \"%s\"\n", a->cfg.path, source);
			return EXIT_CONFIG;
		}
		if (!s->sel_item) {
			fprintf(stderr, "bulletin: %s: source \"%s\" has no item selector\n", s->where,
				source);
			return EXIT_CONFIG;
		}
		*sel = (struct html_selectors){s->sel_item, s->sel_title, s->sel_link, s->sel_date,
					       s->sel_summary};
		if (!base)
			base = s->url;
	}
	size_t len;
	char *data = app_read_file(path, HTML_MAX_INPUT, &len);
	if (!data)
		return EXIT_NOINPUT;
	struct buf utf8 = BUF_INIT;
	struct item_list items = {0};
	struct err err;
	struct html_opts ho = {.base_url = base};
	int n = charset_to_utf8(data, len, NULL, &utf8, NULL, 0, &err);
	if (n == 0)
		n = html_extract(buf_str(&utf8), utf8.len, sel, &ho, &items, &err);
	struct out out = {BUF_INIT, 0, 0};
	for (size_t i = 0; i < items.n; i++)
		print_item(&out, &items.v[i]);
	if (out_flush(&out) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "bulletin: writing the items: %s\n", strerror(errno));
		if (n >= 0)
			n = -2;
	}
	buf_free(&out.b);
	item_list_free(&items);
	buf_free(&utf8);
	free(data);
	if (n == -2)
		return EXIT_IOERR;
	if (n < 0) {
		fprintf(stderr, "bulletin: %s: %s\n", strcmp(path, "-") ? path : "<stdin>", err.msg);
		return EXIT_DATAERR;
	}
	return 0;
}

int cmd_parse(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"type", required_argument, NULL, 't'},
		{"source", required_argument, NULL, 's'},
		{"item", required_argument, NULL, 'i'},
		{"item-title", required_argument, NULL, 'T'},
		{"item-link", required_argument, NULL, 'L'},
		{"item-date", required_argument, NULL, 'D'},
		{"item-summary", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *base = NULL, *type = "feed", *source = NULL;
	struct html_selectors sel = {0};
	int c;
	while ((c = getopt_long(argc, argv, "b:t:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 't': type = optarg; break;
		case 's': source = optarg; break;
		case 'i': sel.item = optarg; break;
		case 'T': sel.title = optarg; break;
		case 'L': sel.link = optarg; break;
		case 'D': sel.date = optarg; break;
		case 'S': sel.summary = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	int html = !strcmp(type, "html");
	if (optind != argc - 1 || (!html && strcmp(type, "feed")) ||
	    (html && !source == !sel.item) || (!html && (source || sel.item))) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return html ? parse_html(a, argv[optind], base, source, &sel)
		    : parse_feed(argv[optind], base);
}
