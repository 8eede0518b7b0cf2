#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "compose/mustache.h"

#define TEMPLATE_MAX (1u << 20)
#define DATA_MAX (16u << 20)
#define PARTIALS_MAX 256 /* distinct names per render */

/* Each partial is read once and kept until the render ends (the renderer
 * may expand it many times); a missing one is remembered as NULL. */
struct partials {
	const char *dir;
	struct {
		char *name, *text;
	} v[PARTIALS_MAX];
	size_t n;
};

static const char *partial_lookup(void *vctx, const char *name)
{
	struct partials *p = vctx;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, name))
			return p->v[i].text;
	/* Names come from the template: keep them inside the folder. */
	if (!*name || strchr(name, '/') || name[0] == '.') {
		log_warn("partial \"%s\" refused: names stay inside %s", name, p->dir);
		return NULL;
	}
	if (p->n == PARTIALS_MAX) {
		log_warn("partial \"%s\" ignored: more than %d partials", name, PARTIALS_MAX);
		return NULL;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.mustache", p->dir, name);
	struct err err;
	char *text = fs_read_file(path, TEMPLATE_MAX, NULL, &err);
	if (!text)
		log_warn("partial \"%s\" renders empty: %s", name, err.msg);
	char *copy = strdup(name);
	if (!copy) {
		free(text);
		return NULL;
	}
	p->v[p->n].name = copy;
	p->v[p->n++].text = text;
	return text;
}

static void partials_free(struct partials *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].text);
	}
}

/* "FILE:LINE:COL: message" when msg starts with a position, else "FILE: msg". */
static void print_at(const char *file, const char *msg)
{
	int pos = msg[0] >= '0' && msg[0] <= '9';
	fprintf(stderr, "%s:%s%s\n", file, pos ? "" : " ", msg);
}

static json_t *load_data(const char *path, int *status)
{
	if (!path)
		return json_object();
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	struct err err;
	size_t len;
	char *text = fs_read_file(path, DATA_MAX, &len, &err);
	if (!text) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		*status = EXIT_NOINPUT;
		return NULL;
	}
	json_error_t je;
	json_t *data = json_loadb(text, len, JSON_DECODE_ANY, &je);
	free(text);
	if (!data) {
		fprintf(stderr, "%s:%d:%d: %s\n", name, je.line, je.column, je.text);
		*status = EXIT_DATAERR;
	}
	return data;
}

int cmd_render(struct app *a, int argc, char **argv)
{
	(void)a;
	static const char usage[] =
		"usage: bulletin render TEMPLATE [--data FILE.json|-] [--partials DIR] [--no-escape]\n"
		"\nRenders one Mustache template with JSON data (default: an empty object)\n"
		"to stdout. {{> name}} reads DIR/name.mustache (DIR defaults to the\n"
		"template's folder). {{x}} is HTML-escaped unless --no-escape (for\n"
		"Markdown, text and subject templates). Try it on `bulletin digest\n"
		"--format json` output.\n";
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"partials", required_argument, NULL, 'p'},
		{"no-escape", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *data_path = NULL, *pdir = NULL;
	int no_escape = 0, c;
	while ((c = getopt_long(argc, argv, "d:p:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data_path = optarg; break;
		case 'p': pdir = optarg; break;
		case 'n': no_escape = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *tpath = argv[optind];
	struct err err;
	char *tmpl = fs_read_file(tpath, TEMPLATE_MAX, NULL, &err);
	if (!tmpl) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_NOINPUT;
	}
	int status = 0;
	json_t *data = load_data(data_path, &status);
	if (!data) {
		free(tmpl);
		return status;
	}
	/* The template's own folder: everything before the last '/'. */
	char tdir[4096];
	if (!pdir) {
		const char *slash = strrchr(tpath, '/');
		if (!slash)
			snprintf(tdir, sizeof tdir, ".");
		else if (slash == tpath)
			snprintf(tdir, sizeof tdir, "/");
		else
			snprintf(tdir, sizeof tdir, "%.*s", (int)(slash - tpath), tpath);
		pdir = tdir;
	}
	struct partials *parts = calloc(1, sizeof *parts);
	struct buf out = BUF_INIT;
	if (!parts) {
		fprintf(stderr, "bulletin: out of memory\n");
		status = EXIT_SOFTWARE;
		goto done;
	}
	parts->dir = pdir;
	struct mustache_opts mo = {.partial = partial_lookup, .partial_ctx = parts,
				   .no_escape = no_escape};
	if (mustache_render(tmpl, data, &mo, &out, &err) < 0) {
		print_at(tpath, err.msg);
		status = EXIT_DATAERR;
		goto done;
	}
	if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		fprintf(stderr, "bulletin: stdout: write error\n");
		status = EXIT_IOERR;
	}
done:
	if (parts)
		partials_free(parts);
	free(parts);
	buf_free(&out);
	json_decref(data);
	free(tmpl);
	return status;
}
