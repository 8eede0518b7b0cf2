/* The Universal Feed Parser's test documents (../shared/conformance/
 * feedparser, see its README) through the streaming feed parser: every
 * manifest row is checked, pass counts per field and per format go to
 * stderr with each failure, and every case not listed as not applicable
 * below must pass. Every document under encoding/, illformed/ and
 * wellformed/ must also parse without crashing. Skips when ../shared is
 * absent. */
#include "testutil.h"

#include <curl/curl.h>
#include <dirent.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/charset.h"
#include "parse/feed.h"
#include "core/text.h"
#include "core/timefmt.h"

/* Cases judged not applicable, each with the reason. */
static const struct {
	const char *file;
	const char *field;
	const char *reason;
} not_applicable[] = {
	{"wellformed/namespace/atomsvgtitle.xml", "summary",
	 "SVG <title> is a tooltip, not rendered text; text.c drops <title> content and the "
	 "digest shows what a reader sees"},
	{"wellformed/namespace/rss2.0svgtitle.xml", "summary",
	 "SVG <title> is a tooltip, not rendered text (as atomsvgtitle.xml)"},
	{"wellformed/rss/item_description_not_a_doctype.xml", "summary",
	 "expects sanitiser output; as HTML, \"<!' <a href=\"foo\">\" is a bogus comment that "
	 "a browser (and text.c) shows as nothing"},
	{"wellformed/rss/item_description_not_a_doctype2.xml", "summary",
	 "expects sanitiser output; as HTML, \"<!DOCTYPE \" is a doctype that a browser (and "
	 "text.c) shows as nothing"},
};

struct row {
	char *file, *field, *op, *expected, *docurl, *headers, *desc;
	int item;
};

struct tally {
	const char *name;
	int pass, total;
};

static struct tally fields[16], formats[16];

static void count(struct tally *t, const char *name, int ok)
{
	size_t i = 0;
	while (i < 15 && t[i].name && strcmp(t[i].name, name) != 0)
		i++;
	t[i].name = name;
	t[i].total++;
	t[i].pass += ok;
}

/* The expectation as plain text, written independently of text.c: tags
 * stripped, the common entities decoded once, whitespace folded. */
static char *plain(const char *s, int strip)
{
	struct buf b = BUF_INIT;
	for (const char *p = s; *p;) {
		if (strip && *p == '<') {
			const char *e = strchr(p, '>');
			if (e) {
				/* block elements separate words, inline ones do not */
				static const char *const blocks[] = {"p", "/p", "br", "div", "/div",
								     "li", "/li", "h1", "h2", "h3"};
				size_t tl = strcspn(p + 1, " />\t\n");
				if (p[1] == '/')
					tl = 1 + strcspn(p + 2, " />\t\n");
				for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++)
					if (strlen(blocks[k]) == tl && !strncasecmp(p + 1, blocks[k], tl))
						buf_putc(&b, ' ');
				p = e + 1;
				continue;
			}
		}
		if (strip && *p == '&') {
			static const struct {
				const char *ent;
				const char *txt;
			} ents[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""},
				    {"&apos;", "'"}, {"&#39;", "'"}, {"&nbsp;", " "}};
			size_t k;
			for (k = 0; k < sizeof ents / sizeof *ents; k++)
				if (!strncmp(p, ents[k].ent, strlen(ents[k].ent)))
					break;
			if (k < sizeof ents / sizeof *ents) {
				buf_puts(&b, ents[k].txt);
				p += strlen(ents[k].ent);
				continue;
			}
		}
		if (p[0] == '\\' && p[1] == 'n') {
			buf_putc(&b, '\n');
			p += 2;
			continue;
		}
		buf_putc(&b, *p++);
	}
	/* fold: every run of whitespace is one space, trimmed */
	char *t = buf_steal(&b), *w = t;
	int sp = 0;
	for (char *p = t; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			sp = w != t;
		} else {
			if (sp)
				*w++ = ' ';
			sp = 0;
			*w++ = *p;
		}
	}
	*w = '\0';
	return t;
}

static const char *na_reason(const struct row *r)
{
	for (size_t i = 0; i < sizeof not_applicable / sizeof *not_applicable; i++)
		if (!strcmp(not_applicable[i].file, r->file) &&
		    !strcmp(not_applicable[i].field, r->field))
			return not_applicable[i].reason;
	return NULL;
}

static char *header_value(const char *headers, const char *name)
{
	if (!headers)
		return NULL;
	size_t nl = strlen(name);
	for (const char *p = headers; *p;) {
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			size_t n = strcspn(p, "\r\n|");
			if (n >= 2 && p[0] == '\\' && p[1] == 'n')
				n = 0;
			const char *bs = strstr(p, "\\n");
			if (bs && (size_t)(bs - p) < n)
				n = (size_t)(bs - p);
			return strndup(p, n);
		}
		const char *nx = strstr(p, "\\n");
		const char *nx2 = strchr(p, '\n');
		if (nx2 && (!nx || nx2 < nx))
			p = nx2 + 1;
		else if (nx)
			p = nx + 2;
		else
			break;
	}
	return NULL;
}

struct doc {
	struct item_list items;
	struct err err;
	int rc;
	const char *format;
};

static int collect(void *ctx, struct item *it)
{
	struct item_list *l = ctx;
	struct item *s = item_list_push(l);
	if (!s)
		return -1;
	*s = *it;
	memset(it, 0, sizeof *it);
	return 0;
}

static char *format_copy;

/* Runs a document through charset_to_utf8 (with the Content-Type header
 * when given) and the streaming parser, in two chunks. */
static void run_doc(const char *path, const char *docurl, const char *headers, struct doc *d)
{
	memset(d, 0, sizeof *d);
	size_t len = 0;
	char *data = test_read_file(path, &len);
	if (!data)
		fail_msg("cannot read %s", path);
	char *ctype = header_value(headers, "Content-Type");
	char *loc = header_value(headers, "Content-Location");
	struct buf utf8 = BUF_INIT;
	if (charset_to_utf8(data, len, ctype, &utf8, NULL, 0, &d->err) < 0)
		fail_msg("%s: charset: %s", path, d->err.msg);
	char *base = NULL;
	if (loc && docurl && *docurl) {
		/* Content-Location is relative to the document's URL */
		CURLU *h = curl_url();
		char *o = NULL;
		if (curl_url_set(h, CURLUPART_URL, docurl, 0) == CURLUE_OK &&
		    curl_url_set(h, CURLUPART_URL, loc, 0) == CURLUE_OK &&
		    curl_url_get(h, CURLUPART_URL, &o, 0) == CURLUE_OK)
			base = strdup(o);
		curl_free(o);
		curl_url_cleanup(h);
	} else if (loc) {
		base = strdup(loc);
	} else if (docurl && *docurl) {
		base = strdup(docurl);
	}
	struct feed_opts o = {base, 0};
	struct feed_parser *p = feed_parser_new(&o, collect, &d->items);
	assert_non_null(p);
	size_t half = utf8.len / 2;
	d->rc = feed_parser_push(p, utf8.data, half, &d->err);
	if (d->rc == 0)
		d->rc = feed_parser_push(p, utf8.data + half, utf8.len - half, &d->err);
	if (d->rc == 0)
		d->rc = feed_parser_finish(p, &d->err);
	free(format_copy);
	format_copy = feed_parser_format(p) ? strdup(feed_parser_format(p)) : NULL;
	d->format = format_copy;
	feed_parser_free(p);
	buf_free(&utf8);
	free(base);
	free(ctype);
	free(loc);
	free(data);
}

static char *field_of(const struct item *it, const char *field, int *is_list)
{
	char ts[RFC3339_LEN];
	*is_list = 0;
	if (!strcmp(field, "title"))
		return it->title ? strdup(it->title) : NULL;
	if (!strcmp(field, "url"))
		return it->url ? strdup(it->url) : NULL;
	if (!strcmp(field, "key"))
		return it->key ? strdup(it->key) : NULL;
	if (!strcmp(field, "summary"))
		return it->summary ? strdup(it->summary) : NULL;
	if (!strcmp(field, "content"))
		return it->content ? strdup(it->content) : NULL;
	if (!strcmp(field, "author"))
		return it->author ? strdup(it->author) : NULL;
	if (!strcmp(field, "published"))
		return it->published ? strdup(time_format_rfc3339(it->published, ts)) : NULL;
	if (!strcmp(field, "updated"))
		return it->updated ? strdup(time_format_rfc3339(it->updated, ts)) : NULL;
	if (!strcmp(field, "categories")) {
		*is_list = 1;
		struct buf b = BUF_INIT;
		for (size_t i = 0; i < it->ncategories; i++) {
			buf_puts(&b, it->categories[i]);
			buf_putc(&b, '\x1f');
		}
		return buf_steal(&b);
	}
	return NULL;
}

static int check_row(const struct row *r, const struct doc *d, char *why, size_t whylen)
{
	if ((size_t)r->item >= d->items.n) {
		snprintf(why, whylen, "item %d missing (%zu items; rc %d: %s)", r->item, d->items.n,
			 d->rc, d->rc < 0 ? d->err.msg : "");
		return 0;
	}
	int list;
	char *got = field_of(&d->items.v[r->item], r->field, &list);
	int html_field = !strcmp(r->field, "summary") || !strcmp(r->field, "content") ||
			 !strcmp(r->field, "title");
	char *exp_raw = plain(r->expected, 0);
	char *exp_txt = plain(r->expected, html_field);
	char *got_f = plain(got ? got : "", 0);
	int ok = 0;
	if (list) {
		for (char *c = got; c && *c;) {
			char *e = strchr(c, '\x1f');
			*e = '\0';
			char *cf = plain(c, 0);
			ok |= !strcmp(r->op, "contains") ? strstr(cf, exp_raw) != NULL
							 : !strcmp(cf, exp_raw);
			free(cf);
			c = e + 1;
		}
	} else if (!strcmp(r->op, "contains")) {
		ok = strstr(got_f, exp_raw) || (html_field && strstr(got_f, exp_txt));
	} else {
		/* Plain-text fields: the expectation itself; summary, content and
		 * titles (sanitised HTML in the original): its text. */
		ok = !strcmp(got_f, exp_raw) || (html_field && !strcmp(got_f, exp_txt));
	}
	if (!ok)
		snprintf(why, whylen, "expected %s\"%s\", got \"%s\"", html_field ? "(as text) " : "",
			 html_field ? exp_txt : exp_raw, got ? got_f : "(null)");
	free(exp_raw);
	free(exp_txt);
	free(got_f);
	free(got);
	return ok;
}

static char *dup_field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');
	if (t) {
		*t = '\0';
		*p = t + 1;
	} else {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		*p = s + strlen(s);
	}
	return s;
}

static void test_manifest(void **state)
{
	(void)state;
	const char *shared = test_shared_dir();
	if (!shared)
		skip();
	char dir[512], path[1024];
	snprintf(dir, sizeof dir, "%s/conformance/feedparser", shared);
	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	size_t len = 0;
	char *m = test_read_file(path, &len);
	if (!m)
		skip();
	int pass = 0, fail = 0, na = 0;
	char *line = strchr(m, '\n'); /* header row */
	line = line ? line + 1 : m + len;
	while (*line) {
		char *next = strchr(line, '\n');
		if (next)
			*next = '\0';
		char *p = line;
		struct row r;
		r.file = dup_field(&p);
		char *item = dup_field(&p);
		r.field = dup_field(&p);
		r.op = dup_field(&p);
		r.expected = dup_field(&p);
		r.docurl = dup_field(&p);
		r.headers = dup_field(&p);
		r.desc = dup_field(&p);
		r.item = atoi(item);
		line = next ? next + 1 : line + strlen(line);
		if (!*r.file)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, r.file);
		struct doc d;
		run_doc(path, r.docurl, *r.headers ? r.headers : NULL, &d);
		char why[1024] = "";
		int ok = check_row(&r, &d, why, sizeof why);
		const char *reason = na_reason(&r);
		const char *fmt = d.format ? d.format : "(none)";
		static char fmts[32][24];
		static int nfmts;
		int fi;
		for (fi = 0; fi < nfmts && strcmp(fmts[fi], fmt); fi++)
			;
		if (fi == nfmts && nfmts < 32)
			snprintf(fmts[nfmts++], sizeof fmts[0], "%s", fmt);
		if (reason && !ok) {
			na++;
			fprintf(stderr, "# n/a  %s [%s]: %s\n", r.file, r.field, reason);
		} else {
			static char fields_s[32][16];
			static int nfs;
			int k;
			for (k = 0; k < nfs && strcmp(fields_s[k], r.field); k++)
				;
			if (k == nfs && nfs < 32)
				snprintf(fields_s[nfs++], sizeof fields_s[0], "%s", r.field);
			count(fields, fields_s[k], ok);
			count(formats, fmts[fi < 32 ? fi : 31], ok);
			if (ok) {
				pass++;
			} else {
				fail++;
				fprintf(stderr, "# FAIL %s item %d [%s %s]: %s (%s)\n", r.file, r.item,
					r.field, r.op, why, r.desc);
			}
			if (reason)
				fprintf(stderr, "# note: %s [%s] is listed as n/a but passes\n", r.file,
					r.field);
		}
		item_list_free(&d.items);
	}
	fprintf(stderr, "# conformance: %d passed, %d failed, %d not applicable\n", pass, fail, na);
	for (int i = 0; i < 16 && fields[i].name; i++)
		fprintf(stderr, "#   field %-11s %3d/%d\n", fields[i].name, fields[i].pass,
			fields[i].total);
	for (int i = 0; i < 16 && formats[i].name; i++)
		fprintf(stderr, "#   format %-11s %3d/%d\n", formats[i].name, formats[i].pass,
			formats[i].total);
	free(m);
	free(format_copy);
	format_copy = NULL;
	assert_int_equal(fail, 0);
}

/* Every document, any outcome, no crash (the ASan build checks memory). */
static int walk(const char *dir, int *n, int *ok)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return -1;
	struct dirent *e;
	while ((e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, n, ok);
			continue;
		}
		struct doc d;
		run_doc(path, NULL, NULL, &d);
		(*n)++;
		*ok += d.rc >= 0;
		for (size_t i = 0; i < d.items.n; i++) {
			const struct item *it = &d.items.v[i];
			assert_non_null(it->key);
			assert_true(!it->title || utf8_valid(it->title, strlen(it->title)));
			assert_true(!it->summary || utf8_valid(it->summary, strlen(it->summary)));
		}
		item_list_free(&d.items);
	}
	closedir(dh);
	return 0;
}

static void test_all_documents(void **state)
{
	(void)state;
	const char *shared = test_shared_dir();
	if (!shared)
		skip();
	static const char *const sub[] = {"encoding", "illformed", "wellformed"};
	for (size_t i = 0; i < 3; i++) {
		char dir[512];
		snprintf(dir, sizeof dir, "%s/conformance/feedparser/%s", shared, sub[i]);
		int n = 0, ok = 0;
		if (walk(dir, &n, &ok) < 0)
			skip();
		fprintf(stderr, "# %s: %d documents, %d parsed without error\n", sub[i], n, ok);
		assert_true(n > 0);
	}
	free(format_copy);
	format_copy = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_all_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
