/* Mustache templates (https://mustache.github.io/mustache.5.html) rendered
 * from JSON data (jansson). Required spec modules: comments, delimiters,
 * interpolation, inverted, partials, sections; also the optional
 * ~inheritance ({{<parent}} {{$block}}) and ~dynamic-names ({{>*name}}).
 * Lambdas are not supported.
 * Falsey (JavaScript-like, per the spec's `!!data`): false, null, missing,
 * "", 0 and []. Escaping covers & < > " and '. Partials nest at most 64
 * deep (100000 expansions per render), so a self-including partial is an
 * error, not a crash; sections nest at most 100 deep in one template and
 * 1000 through partials, so a hostile template cannot overflow the stack. */
#ifndef BULLETIN_MUSTACHE_H
#define BULLETIN_MUSTACHE_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Returns the text of the named partial (owned by the callee, valid until
 * the render returns), or NULL when there is none (renders as empty). */
typedef const char *(*mustache_partial_fn)(void *ctx, const char *name);

struct mustache_opts {
	mustache_partial_fn partial;  /* may be NULL */
	void *partial_ctx;
	int no_escape;                /* 1: {{x}} is not HTML-escaped (Markdown, text, subject) */
};

/* Appends the rendering to out. Returns 0, or -1 with err as
 * "line:col: message" (the caller prefixes the file name). */
int mustache_render(const char *tmpl, const json_t *data, const struct mustache_opts *opts,
		    struct buf *out, struct err *err);

#endif
