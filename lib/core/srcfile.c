/* Sources files edited as text: lines are found the way inih reads them
 * (config.c), and only the bytes of the setting asked for change. */
#include "core/srcfile.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/url.h"

#define SRCFILE_MAX (4 * 1024 * 1024) /* a sources file is a few KiB */

int srcfile_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}

int srcfile_url_ok(const char *url, struct err *err)
{
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return err_set(err, "\"%.200s\": only http:// and https:// URLs can be fetched", url),
		       0;
	if (strlen(url) > 2000)
		return err_set(err, "the URL is longer than 2000 bytes"), 0;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return err_set(err, "\"%.200s\": a URL has no spaces or control characters "
				       "(write a space as %%20)", url),
			       0;
	struct url_resolver ur = {0};
	char *abs = url_resolve(&ur, NULL, url, strlen(url), URL_HTTP_ONLY);
	url_resolver_free(&ur);
	const char *host = strstr(url, "://") + 3;
	int ok = abs && *host && *host != '/' && *host != '?' && *host != '#';
	free(abs);
	if (!ok)
		return err_set(err, "\"%.200s\" is not a URL with a host (https://example.se/feed/)",
			       url),
		       0;
	return 1;
}

/* ---- lines as inih reads them ---- */

struct line {
	const char *p; /* its first byte */
	size_t len;    /* without the '\n' */
	int nl;        /* followed by a '\n' */
};

static int next_line(const char *text, size_t *off, struct line *l)
{
	if (!text[*off])
		return 0;
	l->p = text + *off;
	const char *e = strchr(l->p, '\n');
	l->len = e ? (size_t)(e - l->p) : strlen(l->p);
	l->nl = e != NULL;
	*off += l->len + (size_t)l->nl;
	return 1;
}

static size_t skip_blank(const struct line *l, size_t i)
{
	while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i;
}

/* 1 for a [section] line: its name in [*name, *name + *n). */
static int header(const struct line *l, const char **name, size_t *n)
{
	size_t i = skip_blank(l, 0);
	if (i >= l->len || l->p[i] != '[')
		return 0;
	const char *close = memchr(l->p + i, ']', l->len - i);
	if (!close)
		return 0;
	*name = l->p + i + 1;
	*n = (size_t)(close - *name);
	return 1;
}

static int is_section(const struct line *l, const char *name)
{
	const char *s;
	size_t n;
	return header(l, &s, &n) && n == 7 + strlen(name) && !strncmp(s, "source ", 7) &&
	       !memcmp(s + 7, name, n - 7);
}

/* A name = value (or name: value) line: the separator's offset, else 0. */
static size_t setting(const struct line *l, const char *key)
{
	size_t i = skip_blank(l, 0);
	if (i >= l->len || l->p[i] == ';' || l->p[i] == '#' || l->p[i] == '[')
		return 0;
	size_t sep = i;
	while (sep < l->len && l->p[sep] != '=' && l->p[sep] != ':')
		sep++;
	if (sep >= l->len)
		return 0;
	size_t end = sep;
	while (end > i && (l->p[end - 1] == ' ' || l->p[end - 1] == '\t'))
		end--;
	if (key && (end - i != strlen(key) || memcmp(l->p + i, key, end - i)))
		return 0;
	return sep;
}

static int bool_value(const char *v, size_t n, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strlen(yes[i]) == n && !strncasecmp(v, yes[i], n))
			return *out = 1, 1;
		if (strlen(no[i]) == n && !strncasecmp(v, no[i], n))
			return *out = 0, 1;
	}
	return 0;
}

char *srcfile_text_add(const char *text, const char *name, const char *url, const char *title,
		       int *line)
{
	struct buf b = BUF_INIT;
	size_t n = strlen(text);
	int rc = buf_puts(&b, text);
	if (n && text[n - 1] != '\n')
		rc |= buf_puts(&b, "\n");
	if (n && (b.len < 2 || b.data[b.len - 2] != '\n'))
		rc |= buf_puts(&b, "\n");
	int at = 1;
	for (size_t i = 0; i < b.len; i++)
		at += b.data[i] == '\n';
	rc |= buf_printf(&b, "[source %s]\n", name);
	if (title)
		rc |= buf_printf(&b, "title = %s\n", title);
	rc |= buf_printf(&b, "url = %s\n", url);
	if (rc) {
		buf_free(&b);
		return NULL;
	}
	*line = at;
	return b.data;
}

/* The section's line numbers: its header, its last setting and its
 * first enabled line (0: none); 0 when there is no such section. */
static int find_section(const char *text, const char *name, int *last, int *enabled)
{
	struct line l;
	size_t off = 0;
	int ln = 0, in = 0, head = 0;
	const char *s;
	size_t sn;
	*last = *enabled = 0;
	while (next_line(text, &off, &l)) {
		ln++;
		if (header(&l, &s, &sn)) {
			in = !head && is_section(&l, name);
			if (in)
				head = *last = ln;
		} else if (in && setting(&l, NULL)) {
			*last = ln;
			if (!*enabled && setting(&l, "enabled"))
				*enabled = ln;
		}
	}
	return head;
}

/* One enabled line with its value set to word, appended to b. */
static int rewrite_enabled(struct buf *b, const struct line *l, int on, int *changed)
{
	/* name = value ; comment: only the value changes */
	size_t v = skip_blank(l, setting(l, "enabled") + 1), e = v;
	while (e < l->len && !(l->p[e] == ';' && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t')))
		e++;
	while (e > v && (l->p[e - 1] == ' ' || l->p[e - 1] == '\t' || l->p[e - 1] == '\r'))
		e--;
	int cur = -1;
	if (bool_value(l->p + v, e - v, &cur) && cur == on)
		return buf_append(b, l->p, l->len + (size_t)l->nl);
	*changed = 1;
	return buf_append(b, l->p, v) | buf_puts(b, on ? "yes" : "no") |
	       buf_append(b, l->p + e, l->len - e + (size_t)l->nl);
}

char *srcfile_text_set_enabled(const char *text, const char *name, int on, int *line,
			       int *changed)
{
	int last, first_enabled;
	*changed = 0;
	int head = find_section(text, name, &last, &first_enabled);
	*line = 0;
	if (!head)
		return NULL;
	struct buf b = BUF_INIT;
	struct line l;
	size_t off = 0;
	int ln = 0, in = 0, rc = 0;
	while (next_line(text, &off, &l)) {
		ln++;
		const char *s;
		size_t sn;
		if (header(&l, &s, &sn))
			in = ln == head;
		if (in && ln != head && setting(&l, "enabled")) {
			rc |= rewrite_enabled(&b, &l, on, changed);
			continue;
		}
		rc |= buf_append(&b, l.p, l.len + (size_t)l.nl);
		/* No enabled line: yes is the default, only "no" needs one,
		 * after the section's last setting, indented as it is. */
		if (ln == last && !first_enabled && !on) {
			if (!l.nl)
				rc |= buf_puts(&b, "\n");
			if (ln != head)
				rc |= buf_append(&b, l.p, skip_blank(&l, 0));
			rc |= buf_puts(&b, "enabled = no\n");
			*changed = 1;
		}
	}
	*line = first_enabled ? first_enabled : on ? head : last + 1;
	char *out = rc ? (buf_free(&b), NULL) : buf_steal(&b);
	if (!out)
		*line = -1;
	return out;
}

/* ---- files ---- */

static int same_file(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	if (!strcmp(a, b))
		return 1;
	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

/* 1 when path lies under the installed data (make install replaces it). */
static int installed(const char *path)
{
	char rp[PATH_MAX], rd[PATH_MAX];
	if (!realpath(path, rp) || !realpath(config_data_dir(), rd))
		return 0;
	size_t n = strlen(rd);
	return !strncmp(rp, rd, n) && rp[n] == '/';
}

static void installed_err(const char *path, const struct config *c, struct err *err)
{
	err_set(err, "%s is an installed file, which the next `make install` replaces: copy it "
		"next to %s, name the copy in [sources] files there, and edit that", path, c->path);
}

const char *srcfile_pick(const struct config *c, const char *want, struct err *err)
{
	if (!c->nsource_files) {
		err_set(err, "%s: no sources file: set files in [sources] first", c->path);
		return NULL;
	}
	for (size_t i = 0; i < c->nsource_files; i++) {
		const char *f = c->source_files[i];
		if (want ? same_file(want, f) : !installed(f))
			return f;
	}
	if (want)
		err_set(err, "%s is not one of the sources files [sources] files names in %s", want,
			c->path);
	else
		installed_err(c->source_files[0], c, err);
	return NULL;
}

/* Writes text over path (its real file, so a symlink stays one). */
static enum srcfile_status save(const char *path, const char *text, struct err *err)
{
	char rp[PATH_MAX];
	if (!realpath(path, rp))
		snprintf(rp, sizeof rp, "%s", path);
	return fs_write_atomic(rp, text, strlen(text), err) < 0 ? SRCFILE_WRITE : SRCFILE_OK;
}

static const struct source *find(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

static char *where_of(const char *file, int line)
{
	char *w = NULL;
	return asprintf(&w, "%s:%d", file, line) < 0 ? NULL : w;
}

enum srcfile_status srcfile_add(const struct config *c, const char *file, const char *name,
				const char *url, const char *title, char **where,
				struct err *err)
{
	*where = NULL;
	if (!srcfile_name_ok(name))
		return err_set(err, "\"%.80s\" cannot be a source's name: use letters a-z, digits, "
			       ".-_ (at most 64), beginning with a letter or digit", name),
		       SRCFILE_BAD;
	const struct source *dup = find(c, name);
	if (dup)
		return err_set(err, "a source named \"%s\" is already defined at %s", name,
			       dup->where),
		       SRCFILE_BAD;
	if (!srcfile_url_ok(url, err))
		return SRCFILE_BAD;
	if (title)
		for (const unsigned char *p = (const unsigned char *)title; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				return err_set(err, "the title has a control character"), SRCFILE_BAD;
	const char *path = srcfile_pick(c, file, err);
	if (!path)
		return SRCFILE_CONFIG;
	if (installed(path))
		return installed_err(path, c, err), SRCFILE_CONFIG;
	char *text = fs_read_file(path, SRCFILE_MAX, NULL, err);
	if (!text)
		return SRCFILE_WRITE;
	int line = 0;
	char *out = srcfile_text_add(text, name, url, title, &line);
	free(text);
	if (!out)
		return err_set(err, "out of memory"), SRCFILE_WRITE;
	enum srcfile_status r = save(path, out, err);
	free(out);
	if (r == SRCFILE_OK && !(*where = where_of(path, line)))
		return err_set(err, "out of memory"), SRCFILE_WRITE;
	return r;
}

enum srcfile_status srcfile_set_enabled(const struct config *c, const char *name, int on,
					char **where, struct err *err)
{
	*where = NULL;
	const struct source *s = find(c, name);
	if (!s)
		return err_set(err, "no source named \"%.80s\" in the sources files of %s "
			       "(bulletin sources lists them)", name, c->path),
		       SRCFILE_BAD;
	if (on && s->type == SOURCE_HTML && !s->sel_item)
		return err_set(err, "%s: source \"%s\" is type = html and has no item selector "
			       "yet: write item = (the CSS or XPath of one news item) first, and try "
			       "it with bulletin parse --type html --source %s PAGE.html",
			       s->where, name, name),
		       SRCFILE_BAD;
	/* where is "file:line": the file is everything before the last ':' */
	const char *colon = strrchr(s->where, ':');
	char *path = colon ? strndup(s->where, (size_t)(colon - s->where)) : NULL;
	if (!path)
		return err_set(err, "out of memory"), SRCFILE_WRITE;
	enum srcfile_status r = SRCFILE_CONFIG;
	char *text = NULL, *out = NULL;
	int line = 0, changed = 0;
	if (installed(path)) {
		installed_err(path, c, err);
		goto done;
	}
	r = SRCFILE_WRITE;
	if (!(text = fs_read_file(path, SRCFILE_MAX, NULL, err)))
		goto done;
	out = srcfile_text_set_enabled(text, name, on, &line, &changed);
	if (!out) {
		if (line < 0)
			err_set(err, "out of memory");
		else
			err_set(err, "%s: no [source %s] line in it any more (was it edited just "
				"now?)", path, name);
		goto done;
	}
	r = changed ? save(path, out, err) : SRCFILE_UNCHANGED;
	if (r >= 0 && !(*where = where_of(path, line))) {
		err_set(err, "out of memory");
		r = SRCFILE_WRITE;
	}
done:
	free(text);
	free(out);
	free(path);
	return r;
}
