#include "compose/render.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/template.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/text.h"

/* ---- Markdown: feed text cannot become markup ---- */

/* CommonMark lets any ASCII punctuation be backslash-escaped: feed text
 * then cannot form links, emphasis, entities or HTML in the Markdown body.
 * Only what can start markup is escaped, so the archived .md stays
 * readable; templates never put a value at a line start except after
 * indentation, but a leading list or heading marker is escaped anyway. */
static char *md_escape(const char *s)
{
	struct buf b = BUF_INIT;
	const char *start = s;
	size_t digits = strspn(s, "0123456789");
	if (strchr("-+=#", *s) && *s)
		buf_putc(&b, '\\');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\r') {
			buf_putc(&b, ' ');
			continue;
		}
		if ((c < 0x80 && strchr("\\`*_[]<>&", c)) ||
		    (digits && s == start + digits && (c == '.' || c == ')')))
			buf_putc(&b, '\\');
		buf_putc(&b, (char)c);
	}
	return buf_steal(&b);
}

/* A link destination in angle brackets, with the characters that could
 * end it percent-encoded. */
static char *md_url(const char *s)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '<');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '<' || c == '>' || c == '\\' || c == 0x7f)
			buf_printf(&b, "%%%02X", c);
		else
			buf_putc(&b, (char)c);
	}
	buf_putc(&b, '>');
	return buf_steal(&b);
}

static json_t *md_view(const json_t *v, const char *key)
{
	/* The chair's own Markdown: rendered as written (cmark's safe mode
	 * drops raw HTML and javascript: links from it as from the rest). */
	if (json_is_string(v) && key && !strcmp(key, "note_markdown"))
		return json_deep_copy(v);
	if (json_is_string(v)) {
		int is_url = key && (!strcmp(key, "url") || strstr(key, "_url") ||
				     !strcmp(key, "unsubscribe"));
		char *e = is_url ? md_url(json_string_value(v)) : md_escape(json_string_value(v));
		json_t *r = json_string(e);
		free(e);
		return r;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) json_array_append_new(a, md_view(x, NULL));
		return a;
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) json_object_set_new(o, k, md_view(x, k));
		return o;
	}
	return json_deep_copy(v);
}

/* ---- links carry their colour inline ---- */

char *digest_link_style(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/" DIGEST_LINK_STYLE, dir);
	if (access(path, F_OK) != 0)
		return NULL;
	char *raw = template_read(dir, DIGEST_LINK_STYLE, NULL);
	if (!raw)
		return NULL;
	/* CSS declarations for an attribute: comments and line ends out, and
	 * nothing that could end the attribute or start markup. */
	struct buf b = BUF_INIT;
	for (const char *p = raw; *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*" "/");
			if (!e)
				break;
			p = e + 1;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (strchr("\"'<>&\\", c))
			continue;
		if (c == ' ' && (!b.len || b.data[b.len - 1] == ' '))
			continue;
		buf_putc(&b, (char)c);
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	free(raw);
	if (!b.len) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* cmark writes every link as "<a href=": the style goes in front of the
 * href (feed text never gives "<a", cmark escapes its "<"). */
static char *style_links(const char *body, const char *style)
{
	if (!style)
		return strdup(body);
	struct buf b = BUF_INIT;
	const char *p = body, *a;
	while ((a = strstr(p, "<a href=\""))) {
		buf_append(&b, p, (size_t)(a - p));
		buf_printf(&b, "<a style=\"%s\" href=\"", style);
		p = a + strlen("<a href=\"");
	}
	buf_puts(&b, p);
	return buf_steal(&b);
}

int digest_compose(const json_t *model, const char *dir, struct digest_parts *out,
		   struct err *err)
{
	memset(out, 0, sizeof *out);
	struct buf b = BUF_INIT;
	json_t *own = NULL;
	/* No greeting in the model (a preview, the archive): the generic one. */
	if (!json_object_get(model, "greeting")) {
		struct digest_greeter *greeter =
			digest_greeter_from_chrome(dir, json_incref(json_object_get(model, "t")), err);
		char *g = greeter ? digest_greeter_greet(greeter, NULL, err) : NULL;
		digest_greeter_free(greeter);
		if (!g)
			return -1;
		own = json_deep_copy(model);
		if (!own) {
			free(g);
			return err_set(err, "out of memory");
		}
		json_object_set_new(own, "greeting", json_string(g));
		free(g);
		model = own;
	}
	json_t *mdm = md_view(model, NULL);
	json_t *layout = NULL;
	if (!mdm) {
		json_decref(own);
		return err_set(err, "out of memory");
	}
	if (template_render_file(dir, "subject.mustache", model, 0, &b, err) < 0)
		goto fail;
	out->subject = buf_steal(&b);
	text_one_line(out->subject);
	if (template_render_file(dir, "digest.md.mustache", mdm, 0, &b, err) < 0)
		goto fail;
	out->markdown = buf_steal(&b);
	/* CMARK_OPT_DEFAULT is safe mode: raw HTML and javascript: links are
	 * dropped, whatever reaches the Markdown. */
	char *body = cmark_markdown_to_html(out->markdown, strlen(out->markdown),
					    CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
	if (!body) {
		err_set(err, "cmark could not render the Markdown body");
		goto fail;
	}
	char *style = digest_link_style(dir);
	char *styled = style_links(body, style);
	free(body);
	layout = json_deep_copy(model);
	if (style)
		json_object_set_new(layout, "link_style", json_string(style));
	json_object_set_new(layout, "body", json_string(styled ? styled : ""));
	json_object_set_new(layout, "subject", json_string(out->subject));
	free(style);
	free(styled);
	if (template_render_file(dir, "layout.html.mustache", layout, 1, &b, err) < 0)
		goto fail;
	out->html = buf_steal(&b);
	if (template_render_file(dir, "digest.txt.mustache", model, 0, &b, err) < 0)
		goto fail;
	out->text = digest_wrap_text(buf_str(&b), 72);
	buf_free(&b);
	if (!out->text) {
		err_set(err, "out of memory");
		goto fail;
	}
	json_decref(mdm);
	json_decref(layout);
	json_decref(own);
	return 0;
fail:
	buf_free(&b);
	json_decref(mdm);
	json_decref(layout);
	json_decref(own);
	digest_parts_free(out);
	return -1;
}

void digest_parts_free(struct digest_parts *p)
{
	free(p->subject);
	free(p->markdown);
	free(p->html);
	free(p->text);
	memset(p, 0, sizeof *p);
}

/* ---- plain text ---- */

static size_t cp_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* One line, wrapped: words go on while they fit; continuation lines get
 * the hanging indent. */
static int wrap_line(struct buf *b, const char *line, size_t len, size_t width)
{
	size_t indent = strspn(line, " ");
	if (indent > len)
		indent = len;
	size_t hang = indent;
	const char *body = line + indent;
	size_t blen = len - indent;
	if (blen >= 2 && body[0] == '*' && body[1] == ' ')
		hang += 2;
	else if (blen >= 3 && body[0] == '[') {
		size_t d = 1;
		while (d < blen && body[d] >= '0' && body[d] <= '9')
			d++;
		if (d > 1 && d + 1 < blen && body[d] == ']' && body[d + 1] == ' ')
			hang += d + 2;
	}
	if (hang >= width / 2)
		hang = indent < width / 2 ? indent : 0;
	size_t col = 0, i = 0;
	int r = buf_append(b, line, indent);
	col = indent;
	int first_word = 1;
	i = indent;
	while (i < len) {
		size_t ws = i;
		while (i < len && line[i] == ' ')
			i++;
		size_t w0 = i;
		while (i < len && line[i] != ' ')
			i++;
		if (w0 == i)
			break; /* trailing spaces */
		size_t wlen = cp_count(line + w0, i - w0);
		size_t gap = first_word ? cp_count(line + ws, w0 - ws) : 1;
		/* never right after a "* " or "[n] " label: it stays with its word */
		if (!first_word && col + gap + wlen > width && col > hang) {
			r |= buf_putc(b, '\n');
			for (size_t k = 0; k < hang; k++)
				r |= buf_putc(b, ' ');
			col = hang;
		} else if (!first_word) {
			r |= buf_putc(b, ' ');
			col += 1;
		}
		r |= buf_append(b, line + w0, i - w0);
		col += wlen;
		first_word = 0;
	}
	return r;
}

char *digest_wrap_text(const char *text, size_t width)
{
	struct buf b = BUF_INIT;
	int r = buf_reserve(&b, strlen(text) + 64);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (cp_count(p, len) <= width)
			r |= buf_append(&b, p, len);
		else
			r |= wrap_line(&b, p, len, width);
		if (nl)
			r |= buf_putc(&b, '\n');
		p = nl ? nl + 1 : p + len;
	}
	if (r) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* ---- the size budget ---- */

int digest_compose_budget(json_t *model, const char *dir, size_t budget, struct digest_parts *out,
			  struct err *err)
{
	for (;;) {
		if (digest_compose(model, dir, out, err) < 0)
			return -1;
		size_t len = strlen(out->html);
		if (!budget || len <= budget)
			return 0;
		/* Cut about as many items as the excess holds, then look again. */
		size_t items = (size_t)json_integer_value(json_object_get(model, "count"));
		size_t per = items ? len / items : len;
		size_t cut = per ? (len - budget) / per + 1 : 1;
		size_t done = 0;
		while (done < cut && digest_model_drop_one(model) == 0)
			done++;
		if (!done) {
			log_warn("digest: the HTML part is %zu bytes, over the budget of %zu, with one item per topic left",
				 len, budget);
			return 0;
		}
		digest_model_number_links(model);
		digest_parts_free(out);
	}
}

