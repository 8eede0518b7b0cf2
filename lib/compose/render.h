/* The digest model rendered through the Mustache templates into subject,
 * Markdown, HTML (Markdown through cmark, safe mode, inside the HTML
 * layout) and plain text. */
#ifndef BULLETIN_RENDER_H
#define BULLETIN_RENDER_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

struct digest_parts {
	char *subject;  /* one line, no CR/LF */
	char *markdown;
	char *html;
	char *text;
};

/* Renders the model with templates_dir/{subject.mustache, digest.md.mustache,
 * layout.html.mustache, digest.txt.mustache} (and link-style.css, below);
 * `{{> name}}` loads
 * templates_dir/name.mustache. Returns 0, or -1 with err "file:line:col: ...". */
int digest_compose(const json_t *model, const char *templates_dir, struct digest_parts *out,
		   struct err *err);
void digest_parts_free(struct digest_parts *p);

/* The inline style of every link in the HTML body (cmark writes them):
 * templates_dir/link-style.css, CSS declarations, also given to the layout
 * as {{link_style}} for its own links. Mail clients that drop <style>
 * still show these colours. NULL when the file is absent or empty. */
#define DIGEST_LINK_STYLE "link-style.css"
char *digest_link_style(const char *templates_dir);

/* digest_compose, then, while the HTML part is larger than budget bytes
 * (0: no budget), items are taken from the bottom of the longest topic
 * into its "more" count and the digest is composed again. Gmail clips a
 * message at about 102 KB and hides the rest, unsubscribe link included.
 * The model is changed in place (the archive gets what was sent). */
int digest_compose_budget(json_t *model, const char *templates_dir, size_t budget,
			  struct digest_parts *out, struct err *err);

/* Plain text wrapped at width columns (code points): a long line breaks at
 * spaces, continuation lines indented like the line (past a leading "* "
 * or "[n] "); a word longer than the width (a URL) is not broken. */
char *digest_wrap_text(const char *text, size_t width);

#endif
