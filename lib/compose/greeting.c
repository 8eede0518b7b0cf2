#include "compose/greeting.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/chrome.h"
#include "compose/template.h"
#include "core/buf.h"
#include "core/text.h"

void digest_first_name(const char *name, char *out, size_t outlen)
{
	if (!outlen)
		return;
	out[0] = '\0';
	if (!name)
		return;
	/* "Öberg, Karin", as spreadsheets export it: the given name follows. */
	const char *comma = strchr(name, ',');
	const char *p = comma ? comma + 1 : name;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t,");
		if (!n)
			return;
		/* "Dr. Åsa Lindström": a title with a full stop is not a name. */
		if (p[n - 1] == '.' && p[n] && p[n + strspn(p + n, " \t")]) {
			p += n;
			continue;
		}
		if (strchr(p, '@') && strchr(p, '@') < p + n)
			return; /* an address in the name column */
		if (n >= outlen)
			n = outlen - 1;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

/* Member data reaches a mail part: nothing below a space, no DEL. */
static void drop_controls(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++)
		if ((unsigned char)*r >= 0x20 && *r != 0x7f)
			*w++ = *r;
	*w = '\0';
}

struct digest_greeter {
	const char *dir;
	char *tmpl; /* greeting.mustache; NULL: the folder has none */
	json_t *t;  /* the chrome */
};

/* Reads greeting.mustache once; its absence (an older templates folder)
 * is not an error: t.greeting is then the greeting. */
struct digest_greeter *digest_greeter_from_chrome(const char *dir, json_t *t, struct err *err)
{
	if (!t)
		t = json_object(); /* a model without chrome: no generic greeting either */
	struct digest_greeter *g = calloc(1, sizeof *g);
	if (!g || !t) {
		free(g);
		json_decref(t);
		err_set(err, "out of memory");
		return NULL;
	}
	g->dir = dir;
	g->t = t;
	char path[4096];
	snprintf(path, sizeof path, "%s/greeting.mustache", dir);
	if (access(path, F_OK) == 0 && !(g->tmpl = template_read(dir, "greeting.mustache", err))) {
		digest_greeter_free(g);
		return NULL;
	}
	return g;
}

/* The greeting for name (NULL or "": the generic one) into b. */
static int greeter_render(const struct digest_greeter *g, const char *name, struct buf *b,
			  struct err *err)
{
	if (!g->tmpl) {
		const char *generic = json_string_value(json_object_get(g->t, "greeting"));
		return buf_puts(b, generic ? generic : "") < 0 ? err_set(err, "out of memory") : 0;
	}
	json_t *data = json_object();
	json_t *member = json_object();
	if (name && *name) {
		char first[128], full[256];
		snprintf(full, sizeof full, "%s", name);
		drop_controls(full);
		digest_first_name(full, first, sizeof first);
		json_object_set_new(member, "name", json_string(full));
		if (*first)
			json_object_set_new(member, "first_name", json_string(first));
	}
	json_object_set(data, "t", g->t);
	json_object_set_new(data, "member", member);
	int r = template_render(g->dir, "greeting.mustache", g->tmpl, data, 0, b, err);
	json_decref(data);
	return r;
}

struct digest_greeter *digest_greeter_new(const char *dir, const char *lang, struct err *err)
{
	return digest_greeter_from_chrome(dir, chrome_json(chrome_for(lang)), err);
}

void digest_greeter_free(struct digest_greeter *g)
{
	if (!g)
		return;
	free(g->tmpl);
	json_decref(g->t);
	free(g);
}

char *digest_greeter_greet(const struct digest_greeter *g, const char *name, struct err *err)
{
	struct buf b = BUF_INIT;
	if (greeter_render(g, name, &b, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	char *out = buf_steal(&b);
	if (!out) {
		err_set(err, "out of memory");
		return NULL;
	}
	text_one_line(out);
	drop_controls(out);
	return out;
}

char *digest_greeting(const char *dir, const char *lang, const char *name, struct err *err)
{
	struct digest_greeter *g = digest_greeter_new(dir, lang, err);
	if (!g)
		return NULL;
	char *out = digest_greeter_greet(g, name, err);
	digest_greeter_free(g);
	return out;
}

char *digest_personalize(const char *part, const char *greeting, int html)
{
	struct buf b = BUF_INIT;
	const char *slot = part ? strstr(part, DIGEST_GREETING_SLOT) : NULL;
	if (!slot)
		return part ? strdup(part) : NULL;
	buf_append(&b, part, (size_t)(slot - part));
	for (const char *g = greeting ? greeting : ""; *g; g++) {
		if (html && strchr("&<>\"'", *g))
			buf_printf(&b, "&#%d;", *g);
		else if ((unsigned char)*g >= 0x20 && *g != 0x7f)
			buf_putc(&b, *g);
	}
	buf_puts(&b, slot + strlen(DIGEST_GREETING_SLOT));
	return buf_steal(&b);
}

char *digest_fill_url(const char *part, const char *url, int html)
{
	return digest_fill_slot(part, DIGEST_UNSUBSCRIBE_SLOT, url, html);
}

char *digest_fill_slot(const char *part, const char *name, const char *url, int html)
{
	if (!part)
		return NULL;
	struct buf b = BUF_INIT;
	const char *p = part, *slot;
	size_t sl = strlen(name);
	while ((slot = strstr(p, name))) {
		buf_append(&b, p, (size_t)(slot - p));
		for (const char *u = url ? url : ""; *u; u++) {
			if (html && strchr("&<>\"'", *u))
				buf_printf(&b, "&#%d;", *u);
			else if ((unsigned char)*u > 0x20 && *u != 0x7f)
				buf_putc(&b, *u);
		}
		p = slot + sl;
	}
	buf_puts(&b, p);
	return *part ? buf_steal(&b) : strdup("");
}
