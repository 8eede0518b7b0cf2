#include "compose/archive.h"

#include "core/buf.h"
#include "compose/chrome.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/timefmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void archive_stem(const struct digest_row *d, char *out, size_t outlen)
{
	struct tm tm;
	time_t t = d->created ? d->created : time(NULL);
	gmtime_r(&t, &tm);
	snprintf(out, outlen, "digest-%04d-%02d-%02d-%lld", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, (long long)d->id);
}

/* The Atom id of a digest: a tag: URI from its file name alone, so it is
 * the same whether or not, and wherever, the archive is published. */
static void entry_tag(const char *stem, char *out, size_t outlen)
{
	snprintf(out, outlen, "tag:bulletin.invalid,%.10s:%s", stem + 7, stem);
}

/* base + "/" + name, without doubling the slash; or name alone. */
static void put_url_raw(struct buf *b, const char *base, const char *name)
{
	if (base) {
		size_t n = strlen(base);
		while (n && base[n - 1] == '/')
			n--;
		buf_append(b, base, n);
		buf_putc(b, '/');
	}
	buf_puts(b, name);
}

int archive_page_url(const char *base, const struct digest_row *d, char *out, size_t outlen)
{
	if (!base || (strncmp(base, "https://", 8) && strncmp(base, "http://", 7)))
		return 0;
	char stem[64], name[80];
	archive_stem(d, stem, sizeof stem);
	snprintf(name, sizeof name, "%s.html", stem);
	struct buf b = BUF_INIT;
	put_url_raw(&b, base, name);
	int fits = b.len < outlen;
	snprintf(out, outlen, "%s", fits ? buf_str(&b) : "");
	buf_free(&b);
	return fits;
}

int archive_write(const char *dir, const struct digest_row *d, const json_t *model,
		  char *path_out, size_t path_len, struct err *err)
{
	if (fs_mkdir_p(dir, err) < 0)
		return -1;
	char stem[64], base[4096], path[4200], tag[160];
	archive_stem(d, stem, sizeof stem);
	snprintf(base, sizeof base, "%s/%s", dir, stem);
	/* The subject is the row's, not the model's; keep it beside the model
	 * so the index can show what members saw in their inbox. */
	json_t *m = model ? json_copy((json_t *)model) : NULL;
	if (m && d->subject && !json_object_get(m, "subject"))
		json_object_set_new(m, "subject", json_string(d->subject));
	/* The feed's id of this digest, fixed when it is first written. */
	entry_tag(stem, tag, sizeof tag);
	if (m && !json_is_string(json_object_get(m, "atom_id")))
		json_object_set_new(m, "atom_id", json_string(tag));
	char *json = m ? json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(m);
	if (model && !json)
		return err_set(err, "%s.json: out of memory", base);
	const struct {
		const char *ext, *data;
	} parts[] = {{"md", d->markdown}, {"html", d->html}, {"txt", d->text}, {"json", json},
		    {"ics", d->calendar}};
	int r = 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts && r == 0; i++) {
		if (!parts[i].data)
			continue;
		snprintf(path, sizeof path, "%s.%s", base, parts[i].ext);
		r = fs_write_atomic(path, parts[i].data, strlen(parts[i].data), err);
	}
	free(json);
	if (r == 0 && path_out)
		snprintf(path_out, path_len, "%s.html", base);
	return r;
}

int archive_write_calendar(const char *dir, const char *ics, struct err *err)
{
	char path[4200];
	if (fs_mkdir_p(dir, err) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dir, ARCHIVE_CALENDAR);
	return fs_write_atomic(path, ics, strlen(ics), err);
}

/* --- index.html and feed.atom --- */

#define MODEL_MAX (8u << 20)  /* a model is a few hundred KiB at most */
#define DIGESTS_MAX 20000     /* twenty years of weekly digests, many times over */

struct entry {
	char stem[64];    /* digest-YYYY-MM-DD-ID: the file names without extension */
	long long id;
	time_t when;      /* the model's "generated", else the file name's date */
	int has_html;
	json_t *model;
};

/* Only names archive_write makes: digest-YYYY-MM-DD-ID.json. Anything else
 * in the folder (and any odd name) stays out of the pages. */
static int parse_name(const char *name, struct entry *e)
{
	const char *p = name;
	if (strncmp(p, "digest-", 7))
		return 0;
	p += 7;
	static const char shape[] = "dddd-dd-dd-";
	for (size_t i = 0; shape[i]; i++, p++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)*p) : *p != shape[i])
			return 0;
	size_t nd = strspn(p, "0123456789");
	if (nd == 0 || nd > 18 || strcmp(p + nd, ".json"))
		return 0;
	size_t stem = (size_t)(p + nd - name);
	memcpy(e->stem, name, stem);
	e->stem[stem] = '\0';
	e->id = strtoll(p, NULL, 10);
	struct tm tm = {0};
	tm.tm_year = atoi(name + 7) - 1900;
	tm.tm_mon = atoi(name + 12) - 1;
	tm.tm_mday = atoi(name + 15);
	e->when = time_from_utc_tm(&tm);
	return 1;
}

static int load_entry(const char *dir, struct entry *e)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.json", dir, e->stem);
	struct err ferr;
	size_t len;
	char *data = fs_read_file(path, MODEL_MAX, &len, &ferr);
	if (!data) {
		log_warn("%s (skipped)", ferr.msg);
		return -1;
	}
	json_error_t je;
	e->model = json_loadb(data, len, 0, &je);
	free(data);
	if (!e->model) {
		log_warn("%s:%d:%d: %s (skipped)", path, je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(e->model)) {
		log_warn("%s: not a digest model (skipped)", path);
		json_decref(e->model);
		e->model = NULL;
		return -1;
	}
	const char *gen = json_string_value(json_object_get(e->model, "generated"));
	time_t t = gen ? time_parse_rfc3339(gen) : 0;
	if (t)
		e->when = t;
	snprintf(path, sizeof path, "%s/%s.html", dir, e->stem);
	struct stat st;
	e->has_html = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

static int newest_first(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	if (a->when != b->when)
		return a->when > b->when ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

static void entries_free(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].model);
	free(v);
}

static int scan(const char *dir, struct entry **out, size_t *nout, struct err *err)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return err_set(err, "%s: %s", dir, strerror(errno));
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		struct entry e = {0};
		if (!parse_name(de->d_name, &e))
			continue;
		if (n == DIGESTS_MAX) {
			log_warn("%s: more than %d digests; the rest are left out", dir, DIGESTS_MAX);
			break;
		}
		if (load_entry(dir, &e) < 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct entry *nv = realloc(v, nc * sizeof *nv);
			if (!nv) {
				json_decref(e.model);
				entries_free(v, n);
				closedir(dp);
				return err_set(err, "%s: out of memory", dir);
			}
			v = nv;
			cap = nc;
		}
		v[n++] = e;
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof *v, newest_first);
	*out = v;
	*nout = n;
	return 0;
}

/* Text for HTML and XML alike: the five specials as entities, and what
 * XML 1.0 forbids dropped: the C0 controls (jansson lets \u0001 through)
 * and U+FFFE and U+FFFF (fuzz_archive_json: a "\ufffe" in a model made
 * feed.atom unreadable to every feed reader). */
static void put_esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == 0xEF && (unsigned char)s[1] == 0xBF && ((unsigned char)s[2] & 0xFE) == 0xBE) {
			s += 2;
			continue;
		}
		switch (c) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default:
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				buf_putc(b, (char)c);
		}
	}
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : dflt;
}

static long long int_or(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static void put_count(struct buf *b, const struct chrome *c, long long n)
{
	buf_printf(b, "%lld %s", n, n == 1 ? c->item_lc : c->items_lc);
}

/* "Title, vecka 16 2024" when the model carries no subject. */
static void put_subject(struct buf *b, const struct entry *e, const struct chrome *c,
			const char *site_title)
{
	const char *subj = str_or(e->model, "subject", NULL);
	if (subj) {
		put_esc(b, subj);
		return;
	}
	put_esc(b, str_or(e->model, "title", site_title));
	const json_t *per = json_object_get(e->model, "period");
	long long wk = int_or(per, "week", 0), yr = int_or(per, "year", 0);
	if (wk > 0 && yr > 0)
		buf_printf(b, ", %s %lld %lld", c->week_lc, wk, yr);
}

/* "Primärvård (2), Vårdval (1)", escaped. */
static void put_topics_text(struct buf *b, const json_t *model)
{
	const json_t *topics = json_object_get(model, "topics");
	size_t i;
	const json_t *t;
	int first = 1;
	json_array_foreach(topics, i, t) {
		const char *title = str_or(t, "title", NULL);
		if (!title)
			continue;
		buf_puts(b, first ? "" : ", ");
		put_esc(b, title);
		buf_printf(b, " (%lld)", int_or(t, "count", 0));
		first = 0;
	}
}

/* The issues' typeface and colours (templates/layout.html.mustache), and
 * their dark scheme. */
static const char css[] =
	":root{color-scheme:light dark}"
	"body{margin:0;background:#f4f4f1;color:#1c1c1c;font:16px/1.5 Georgia,'Times New Roman',serif}"
	".page{max-width:600px;margin:0 auto;padding:1em}"
	"h1{font-size:1.6em;margin:.3em 0 0}"
	".sub{color:#555555;margin:0 0 1em}"
	".digests{list-style:none;padding:0;margin:0}"
	".digests>li{background:#ffffff;border-radius:6px;padding:.8em 1em;margin:0 0 .8em;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	".meta{color:#555555;font-size:.9em}"
	".subject{font-size:1.1em;font-weight:600;color:#1f5f8b;text-decoration:none;"
	"overflow-wrap:anywhere}"
	".subject:hover{text-decoration:underline}"
	".topics{color:#444444;font-size:.95em;margin:.3em 0 0;overflow-wrap:anywhere}"
	".feed{font-size:.9em}.feed a{color:#1f5f8b}"
	"@media (prefers-color-scheme: dark){"
	"body{background:#121212;color:#e8e8e8}"
	".digests>li{background:#1e1e1e;box-shadow:none}"
	".sub,.meta,.topics{color:#b0b0b0}"
	".subject,.feed a{color:#8cc4ee}}";

/* The calendar's address for a subscription: webcal: in place of the
 * published http(s) folder's scheme (phones subscribe to that), else the
 * relative name. */
static void put_calendar_url(struct buf *b, const char *base);

static char *build_index(const struct entry *v, size_t n, const struct archive_site *site,
			 const struct chrome *c, int has_calendar)
{
	const char *title = site->title && *site->title ? site->title : "bulletin";
	struct buf b = BUF_INIT;
	buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		       "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<meta name=\"color-scheme\" content=\"light dark\">\n"
		       "<title>", c->lang);
	put_esc(&b, title);
	buf_printf(&b, " – %s</title>\n", c->archive_title);
	buf_puts(&b, "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"");
	put_esc(&b, title);
	buf_printf(&b, "\" href=\"feed.atom\">\n<style>%s</style>\n</head>\n<body>\n"
		       "<div class=\"page\">\n<h1>", css);
	put_esc(&b, title);
	buf_printf(&b, "</h1>\n<p class=\"sub\">%s", c->archive_title);
	if (site->association && *site->association) {
		buf_puts(&b, " · ");
		put_esc(&b, site->association);
	}
	buf_printf(&b, "</p>\n<p class=\"feed\"><a href=\"feed.atom\">%s</a>", c->archive_feed);
	if (has_calendar) {
		buf_puts(&b, " · <a href=\"");
		put_calendar_url(&b, site->base_url);
		buf_printf(&b, "\">%s</a>", c->archive_calendar);
	}
	buf_puts(&b, "</p>\n");
	if (!n)
		buf_printf(&b, "<p>%s</p>\n", c->archive_empty);
	else
		buf_puts(&b, "<ul class=\"digests\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct entry *e = &v[i];
		char date[64];
		digest_format_date(e->when, c->lang, date, sizeof date);
		buf_puts(&b, "<li>\n<div class=\"meta\">");
		put_esc(&b, date);
		long long wk = int_or(json_object_get(e->model, "period"), "week", 0);
		if (wk > 0)
			buf_printf(&b, " · %s %lld", c->week_lc, wk);
		buf_puts(&b, " · ");
		put_count(&b, c, int_or(e->model, "count", 0));
		buf_puts(&b, "</div>\n");
		if (e->has_html) /* the stem is digits and dashes: safe as a relative link */
			buf_printf(&b, "<a class=\"subject\" href=\"%s.html\">", e->stem);
		else
			buf_puts(&b, "<span class=\"subject\">");
		put_subject(&b, e, c, title);
		buf_puts(&b, e->has_html ? "</a>\n" : "</span>\n");
		struct buf t = BUF_INIT;
		put_topics_text(&t, e->model);
		if (t.len)
			buf_printf(&b, "<div class=\"topics\">%s</div>\n", buf_str(&t));
		buf_free(&t);
		buf_puts(&b, "</li>\n");
	}
	if (n)
		buf_puts(&b, "</ul>\n");
	buf_puts(&b, "</div>\n</body>\n</html>\n");
	return b.data ? buf_steal(&b) : NULL;
}

/* base + "/" + name (or name alone), escaped. */
static void put_url(struct buf *b, const char *base, const char *name)
{
	struct buf u = BUF_INIT;
	put_url_raw(&u, base, name);
	put_esc(b, buf_str(&u));
	buf_free(&u);
}

static void put_calendar_url(struct buf *b, const char *base)
{
	const char *rest = !base ? NULL : !strncmp(base, "https://", 8) ? base + 8
					  : !strncmp(base, "http://", 7) ? base + 7 : NULL;
	if (!rest) {
		put_esc(b, ARCHIVE_CALENDAR);
		return;
	}
	struct buf u = BUF_INIT;
	buf_printf(&u, "webcal://%s", rest);
	put_url(b, buf_str(&u), ARCHIVE_CALENDAR);
	buf_free(&u);
}

/* Ids never change, whatever archive_url says now or later (a reader
 * would show every old digest again): the id the .json was written with,
 * else the tag: URI of the file's date and name. */
static void put_entry_id(struct buf *b, const struct entry *e)
{
	const char *id = str_or(e->model, "atom_id", NULL);
	char tag[160];
	entry_tag(e->stem, tag, sizeof tag);
	put_esc(b, id ? id : tag);
}

static char *build_feed(const struct entry *v, size_t n, const struct archive_site *site,
			const struct chrome *c)
{
	const char *title = site->title && *site->title ? site->title : "bulletin";
	const char *base = site->base_url;
	char ts[RFC3339_LEN];
	struct buf b = BUF_INIT;
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		       "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"%s\">\n", c->lang);
	/* The feed's id, like its entries', does not depend on archive_url;
	 * the title, percent-encoded, tells two associations' feeds apart. */
	buf_puts(&b, "  <id>tag:bulletin.invalid,2024:archive/");
	for (const unsigned char *p = (const unsigned char *)title; *p; p++)
		buf_printf(&b, isalnum(*p) || *p == '-' ? "%c" : "%%%02X", *p);
	buf_puts(&b, "</id>\n  <title type=\"text\">");
	put_esc(&b, title);
	buf_puts(&b, "</title>\n");
	buf_printf(&b, "  <updated>%s</updated>\n",
		   time_format_rfc3339(n ? v[0].when : 0, ts));
	buf_puts(&b, "  <author><name>");
	put_esc(&b, site->association && *site->association ? site->association : title);
	buf_puts(&b, "</name></author>\n");
	/* rel="self" always (relative without archive_url: readers resolve it
	 * against where they fetched the feed). */
	buf_puts(&b, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"");
	put_url(&b, base, "feed.atom");
	buf_puts(&b, "\"/>\n");
	buf_puts(&b, "  <link rel=\"alternate\" type=\"text/html\" href=\"");
	put_url(&b, base, "index.html");
	buf_puts(&b, "\"/>\n");
	for (size_t i = 0; i < n && i < ARCHIVE_FEED_MAX; i++) {
		const struct entry *e = &v[i];
		char name[80];
		buf_puts(&b, "  <entry>\n    <id>");
		put_entry_id(&b, e);
		buf_puts(&b, "</id>\n    <title type=\"text\">");
		put_subject(&b, e, c, title);
		buf_puts(&b, "</title>\n");
		snprintf(name, sizeof name, "%s.%s", e->stem, e->has_html ? "html" : "json");
		buf_puts(&b, "    <link rel=\"alternate\" type=\"");
		buf_puts(&b, e->has_html ? "text/html" : "application/json");
		buf_puts(&b, "\" href=\"");
		put_url(&b, base, name);
		buf_puts(&b, "\"/>\n");
		time_format_rfc3339(e->when, ts);
		buf_printf(&b, "    <published>%s</published>\n    <updated>%s</updated>\n", ts, ts);
		buf_puts(&b, "    <summary type=\"text\">");
		put_count(&b, c, int_or(e->model, "count", 0));
		struct buf t = BUF_INIT;
		put_topics_text(&t, e->model);
		if (t.len)
			buf_printf(&b, ": %s", buf_str(&t));
		buf_free(&t);
		buf_puts(&b, "</summary>\n  </entry>\n");
	}
	buf_puts(&b, "</feed>\n");
	return b.data ? buf_steal(&b) : NULL;
}

int archive_index(const char *dir, const struct archive_site *site, struct err *err)
{
	const char *base = site->base_url && *site->base_url ? site->base_url : NULL;
	if (base && strncmp(base, "https://", 8) && strncmp(base, "http://", 7))
		return err_set(err, "%s: archive URL \"%s\" must start with https:// or http://",
			       dir, base);
	struct archive_site s = *site;
	s.base_url = base;
	const struct chrome *c = chrome_for(site->language);
	struct entry *v = NULL;
	size_t n = 0;
	if (fs_mkdir_p(dir, err) < 0 || scan(dir, &v, &n, err) < 0)
		return -1;
	char path[4200];
	int r = 0;
	/* Out of memory shows as a NULL page (buf appends fail, steal gives ""). */
	snprintf(path, sizeof path, "%s/%s", dir, ARCHIVE_CALENDAR);
	struct stat st;
	int has_calendar = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	char *page = build_index(v, n, &s, c, has_calendar);
	snprintf(path, sizeof path, "%s/index.html", dir);
	r = page ? fs_write_atomic(path, page, strlen(page), err) : err_set(err, "%s: out of memory", path);
	free(page);
	if (r == 0) {
		page = build_feed(v, n, &s, c);
		snprintf(path, sizeof path, "%s/feed.atom", dir);
		r = page ? fs_write_atomic(path, page, strlen(page), err)
			 : err_set(err, "%s: out of memory", path);
		free(page);
	}
	entries_free(v, n);
	return r < 0 ? -1 : (int)n;
}
