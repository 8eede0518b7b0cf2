#include "compose/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/mustache.h"
#include "core/fsutil.h"

#define TEMPLATE_MAX (1 << 20)

struct tmpl_ctx {
	const char *dir;
	char *loaded[16]; /* partial texts kept until the render ends */
	size_t nloaded;
};

char *template_read(const char *dir, const char *name, struct err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return fs_read_file(path, TEMPLATE_MAX, NULL, err);
}

static const char *partial_from_dir(void *vctx, const char *name)
{
	struct tmpl_ctx *c = vctx;
	/* Partial names come from templates, but keep them inside the folder. */
	if (!*name || strchr(name, '/') || name[0] == '.' || c->nloaded == 16)
		return NULL;
	char file[512];
	snprintf(file, sizeof file, "%s.mustache", name);
	char *t = template_read(c->dir, file, NULL);
	if (t)
		c->loaded[c->nloaded++] = t;
	return t;
}

int template_render(const char *dir, const char *name, const char *tmpl, const json_t *data,
		       int escape, struct buf *out, struct err *err)
{
	struct tmpl_ctx ctx = {.dir = dir};
	struct mustache_opts mo = {.partial = partial_from_dir, .partial_ctx = &ctx,
				   .no_escape = !escape};
	int r = mustache_render(tmpl, data, &mo, out, err);
	if (r < 0)
		err_prefix(err, "%s/%s", dir, name);
	for (size_t i = 0; i < ctx.nloaded; i++)
		free(ctx.loaded[i]);
	return r;
}

int template_render_file(const char *dir, const char *name, const json_t *data, int escape,
		       struct buf *out, struct err *err)
{
	char *tmpl = template_read(dir, name, err);
	if (!tmpl)
		return -1;
	int r = template_render(dir, name, tmpl, data, escape, out, err);
	free(tmpl);
	return r;
}

