/* Templates from a folder: templates_dir/NAME, whose partials
 * ({{> name}}) are templates_dir/name.mustache in the same folder. */
#ifndef BULLETIN_TEMPLATE_H
#define BULLETIN_TEMPLATE_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* dir/name, up to 1 MiB. NULL with err (err may be NULL). */
char *template_read(const char *dir, const char *name, struct err *err);
/* Renders the template text tmpl (named name, for messages) with data,
 * HTML-escaping values when escape is set, appending to out. Returns 0, or
 * -1 with err "dir/name:line:col: ...". */
int template_render(const char *dir, const char *name, const char *tmpl, const json_t *data,
		    int escape, struct buf *out, struct err *err);
/* template_read then template_render. */
int template_render_file(const char *dir, const char *name, const json_t *data, int escape,
			 struct buf *out, struct err *err);

#endif
