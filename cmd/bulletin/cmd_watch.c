#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compose/watch.h"
#include "parse/page.h"
#include "store/versions.h"
#include "store/watch.h"

static const char usage[] =
	"usage: bulletin watch [NAME]\n"
	"       bulletin watch --diff NAME\n"
	"       bulletin watch --accept NAME\n"
	"       bulletin watch [--selector SEL] --extract FILE\n"
	"       bulletin watch [--selector SEL] --compare OLD NEW\n"
	"\n"
	"Watched pages (sources of type = page). Without NAME: each one's state.\n"
	"NAME: the page's current extract, the text bulletin compares.\n"
	"--diff NAME: its last change as a unified diff (after ignore).\n"
	"--accept NAME: the page looked broken, but it is right: its newest\n"
	"version counts, and the change goes into the next digest.\n"
	"--extract FILE: a saved page (HTML, PDF or text) as bulletin would\n"
	"watch it; --compare OLD NEW: the unified diff of two saved versions\n"
	"(--selector: the part to watch, CSS or XPath, as the source's selector).";

/* A saved document's extract; NULL after printing why. */
static char *extract_file(const char *path, const char *selector, const char *language)
{
	size_t len;
	char *data = app_read_file(path, 256u << 20, &len);
	if (!data)
		return NULL;
	struct page_opts o = {.selector = selector};
	struct page_text t;
	struct err err;
	int r = page_extract_document(data, len, NULL, &o, language, &t, &err);
	free(data);
	if (r < 0) {
		fprintf(stderr, "bulletin: %s: %s\n", path, err.msg);
		return NULL;
	}
	free(t.title);
	return t.text;
}

static int offline(const char *selector, char **files, int n)
{
	char *a = extract_file(files[0], selector, "sv");
	char *b = a && n > 1 ? extract_file(files[1], selector, "sv") : NULL;
	int r = 0;
	if (!a || (n > 1 && !b)) {
		r = EXIT_DATAERR;
	} else if (n == 1) {
		fputs(a, stdout);
	} else {
		struct buf out = BUF_INIT;
		struct err err;
		if (watch_compare(a, b, NULL, 0, files[0], files[1], &out, &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_SOFTWARE;
		}
		fwrite(buf_str(&out), 1, out.len, stdout);
		buf_free(&out);
	}
	free(a);
	free(b);
	return r;
}

static const struct source *page_source(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (c->sources[i].type == SOURCE_PAGE && !strcmp(c->sources[i].name, name))
			return &c->sources[i];
	fprintf(stderr, "bulletin watch: no watched page \"%s\" (a source of type = page)\n", name);
	return NULL;
}

static int list(struct app *a)
{
	struct err err;
	char when[32];
	printf("%-28s %-8s %-18s %s\n", "PAGE", "STATE", "LAST CHANGE", "URL / WHY");
	for (size_t i = 0; i < a->cfg.nsources; i++) {
		const struct source *src = &a->cfg.sources[i];
		if (src->type != SOURCE_PAGE)
			continue;
		struct page_version v;
		struct page_change ch;
		int r = store_version_latest(a->store, src->name, 0, &v, &err);
		int c = r < 0 ? -1 : store_change_last(a->store, src->name, &ch, &err);
		if (r < 0 || c < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			if (r > 0)
				page_version_free(&v);
			return EXIT_IOERR;
		}
		const char *state = !src->enabled ? "off" : !r ? "new" : v.broken ? "BROKEN" : "ok";
		printf("%-28s %-8s %-18s ", src->name, state, app_when(c ? ch.detected : 0, when, sizeof when));
		app_put_clean(stdout, r && v.broken ? v.broken : src->url);
		putchar('\n');
		if (r)
			page_version_free(&v);
		if (c)
			free(ch.source);
	}
	return 0;
}

int cmd_watch(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"diff", no_argument, NULL, 'd'},
		{"accept", no_argument, NULL, 'a'},
		{"extract", no_argument, NULL, 'e'},
		{"compare", no_argument, NULL, 'C'},
		{"selector", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int diff = 0, accept = 0, ext = 0, cmp = 0, ch;
	const char *selector = NULL;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': diff = 1; break;
		case 'a': accept = 1; break;
		case 'e': ext = 1; break;
		case 'C': cmp = 1; break;
		case 's': selector = optarg; break;
		case 'h': puts(usage); return 0;
		default: fprintf(stderr, "%s\n", usage); return EXIT_USAGE;
		}
	}
	if (ext || cmp) {
		if (diff + accept + ext + cmp != 1 || argc - optind != (cmp ? 2 : 1)) {
			fprintf(stderr, "%s\n", usage);
			return EXIT_USAGE;
		}
		return offline(selector, argv + optind, cmp ? 2 : 1);
	}
	if (optind + 1 < argc || ((diff || accept) && optind >= argc) || (diff && accept) || selector) {
		fprintf(stderr, "%s\n", usage);
		return EXIT_USAGE;
	}
	int r = app_store(a);
	if (r)
		return r;
	if (optind >= argc)
		return list(a);
	const struct source *src = page_source(&a->cfg, argv[optind]);
	if (!src)
		return EXIT_USAGE;
	struct err err;
	if (accept) {
		int k = watch_accept(a->store, src, time(NULL), &err);
		if (k < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			return EXIT_IOERR;
		}
		fprintf(stderr, k ? "bulletin: %s: its newest version counts now; the change goes "
				    "into the next digest\n"
				  : "bulletin: %s: its newest version does not look broken; nothing to accept\n",
			src->name);
		return 0;
	}
	if (diff) {
		struct buf out = BUF_INIT;
		int k = watch_last_diff(a->store, src, &out, &err);
		if (k < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			buf_free(&out);
			return EXIT_IOERR;
		}
		if (!k)
			fprintf(stderr, "bulletin: %s has not changed since it was first fetched\n", src->name);
		fwrite(buf_str(&out), 1, out.len, stdout);
		buf_free(&out);
		return 0;
	}
	struct page_version v;
	int k = store_version_latest(a->store, src->name, 1, &v, &err);
	if (k < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (!k) {
		fprintf(stderr, "bulletin: %s has not been fetched yet (bulletin fetch)\n", src->name);
		return EXIT_NOINPUT;
	}
	fwrite(v.text, 1, v.size, stdout);
	page_version_free(&v);
	return 0;
}
