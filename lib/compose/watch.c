#include "compose/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/chrome.h"
#include "core/diff.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "parse/page.h"
#include "store/versions.h"
#include "store/watch.h"

#define SUMMARY_MAX 700
#define QUOTE_MAX 240
#define SMALL_CHANGE 8     /* changed lines up to which the wording is quoted */
#define DETAILS_MAX 4
#define NAMES_MAX 5
#define HTML_ROWS_MAX 5000
#define WORD_DIFF_MAX 20000 /* bytes of a line pair diffed word by word */

/* Two extracts after ignore, as lines, and their difference. */
struct wdiff {
	char *fa, *fb;
	struct diff_seq a, b;
	struct diff d;
};

static void wdiff_free(struct wdiff *w)
{
	diff_free(&w->d);
	diff_seq_free(&w->a);
	diff_seq_free(&w->b);
	free(w->fa);
	free(w->fb);
	memset(w, 0, sizeof *w);
}

static int wdiff_make(struct wdiff *w, const char *old_text, const char *new_text,
		      char *const *ignore, size_t nignore, struct err *err)
{
	memset(w, 0, sizeof *w);
	if (!(w->fa = page_ignore(old_text, strlen(old_text), ignore, nignore, err)) ||
	    !(w->fb = page_ignore(new_text, strlen(new_text), ignore, nignore, err)))
		goto fail;
	if (diff_split_lines(w->fa, strlen(w->fa), &w->a) < 0 ||
	    diff_split_lines(w->fb, strlen(w->fb), &w->b) < 0 || diff_compute(&w->a, &w->b, 0, &w->d) < 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	return 0;
fail:
	wdiff_free(w);
	return -1;
}

/* ---- what changed, in words ---------------------------------------------- */

/* The heading text of a line ("## 7 Ersättning" gives "7 Ersättning"),
 * or NULL with *n = 0 when the line is not a heading. */
static const char *heading(const char *s, size_t len, size_t *n)
{
	size_t i = 0;
	while (i < len && i < 6 && s[i] == '#')
		i++;
	if (!i || i >= len || s[i] != ' ') {
		*n = 0;
		return NULL;
	}
	*n = len - i - 1;
	return s + i + 1;
}

/* sec[i]: the heading line that line i of q is under, or SIZE_MAX. */
static size_t *sections_of(const struct diff_seq *q)
{
	size_t *sec = malloc((q->n + 1) * sizeof *sec), cur = SIZE_MAX, hn;
	for (size_t i = 0; sec && i < q->n; i++) {
		if (heading(q->s[i], q->len[i], &hn))
			cur = i;
		sec[i] = cur;
	}
	return sec;
}

static int has_heading(const struct diff_seq *q, const char *h, size_t n)
{
	size_t hn;
	for (size_t i = 0; i < q->n; i++) {
		const char *t = heading(q->s[i], q->len[i], &hn);
		if (t && hn == n && !memcmp(t, h, n))
			return 1;
	}
	return 0;
}

/* A list of names, each once: "A, B, C". */
struct names {
	struct buf b;
	int count;
};

static void name_add(struct names *nm, const char *s, size_t n)
{
	if (!n)
		return;
	const char *p = buf_str(&nm->b);
	/* already listed? (names are separated by ", ") */
	for (const char *q = p; (q = memmem(q, strlen(q), s, n)) != NULL; q += n)
		if ((q == p || (q >= p + 2 && q[-2] == ',' && q[-1] == ' ')) &&
		    (q[n] == '\0' || (q[n] == ',' && q[n + 1] == ' ')))
			return;
	if (nm->count++ >= NAMES_MAX) {
		if (nm->count == NAMES_MAX + 1)
			buf_puts(&nm->b, ", …");
		return;
	}
	if (nm->b.len)
		buf_puts(&nm->b, ", ");
	buf_append(&nm->b, s, n);
}

/* A line as a reader quotes it: without "## ", "- " or table bars. */
static void strip_marks(const char **s, size_t *n)
{
	size_t hn;
	const char *h = heading(*s, *n, &hn);
	if (h) {
		*s = h;
		*n = hn;
	}
	while (*n && (**s == ' ' || **s == '-' || **s == '|' || **s == '>')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '|'))
		(*n)--;
}

/* "— sida 3 —": where a PDF's page starts, not its text. */
static int page_marker(const char *s, size_t n)
{
	return n > 8 && !memcmp(s, "\xE2\x80\x94 ", 4) && !memcmp(s + n - 4, " \xE2\x80\x94", 4);
}

/* The sentence of s around bytes [from, to). */
static void sentence(const char *s, size_t n, size_t from, size_t to, size_t *st, size_t *en)
{
	size_t a = from;
	while (a > 0 && !((s[a - 1] == ' ') && a >= 2 &&
			  (s[a - 2] == '.' || s[a - 2] == '!' || s[a - 2] == '?' || s[a - 2] == ';')))
		a--;
	size_t b = to;
	while (b < n && !((s[b] == '.' || s[b] == '!' || s[b] == '?' || s[b] == ';') &&
			  (b + 1 == n || s[b + 1] == ' ')))
		b++;
	if (b < n)
		b++;
	*st = a;
	*en = b;
}

static void quote(struct buf *out, const char *fmt, const char *s, size_t n)
{
	strip_marks(&s, &n);
	if (!n)
		return;
	char *q = strndup(s, n);
	if (!q)
		return;
	text_one_line(q);
	text_truncate(q, QUOTE_MAX);
	if (out->len)
		buf_putc(out, ' ');
	buf_printf(out, fmt, q);
	free(q);
}

/* The changed sentence of a line pair, old and new wording. */
static void sentence_pair(struct buf *out, const struct chrome_watch *w, const char *o, size_t on,
			  const char *n, size_t nn)
{
	strip_marks(&o, &on);
	strip_marks(&n, &nn);
	size_t os = 0, oe = on, ns = 0, ne = nn;
	struct diff_seq a, b;
	struct diff d;
	if (on + nn < WORD_DIFF_MAX && diff_split_words(o, on, &a) == 0) {
		if (diff_split_words(n, nn, &b) == 0) {
			if (diff_compute(&a, &b, 0, &d) == 0) {
				size_t fa = on, la = 0, fb = nn, lb = 0;
				for (size_t i = 0; i < d.n; i++) {
					const struct diff_run *r = &d.v[i];
					if (r->op == DIFF_SAME)
						continue;
					/* the change's place on both sides */
					size_t pa = r->a < a.n ? (size_t)(a.s[r->a] - o) : on;
					size_t pb = r->b < b.n ? (size_t)(b.s[r->b] - n) : nn;
					if (pa < fa)
						fa = pa;
					if (pb < fb)
						fb = pb;
					if (r->op == DIFF_DEL) {
						size_t e = (size_t)(a.s[r->a + r->n - 1] - o) + a.len[r->a + r->n - 1];
						if (e > la)
							la = e;
						if (pb > lb)
							lb = pb;
					} else {
						size_t e = (size_t)(b.s[r->b + r->n - 1] - n) + b.len[r->b + r->n - 1];
						if (e > lb)
							lb = e;
						if (pa > la)
							la = pa;
					}
				}
				if (fa <= la)
					sentence(o, on, fa, la, &os, &oe);
				if (fb <= lb)
					sentence(n, nn, fb, lb, &ns, &ne);
				diff_free(&d);
			}
			diff_seq_free(&b);
		}
		diff_seq_free(&a);
	}
	quote(out, w->before, o + os, oe - os);
	quote(out, w->now, n + ns, ne - ns);
}

/* How alike two lines are, 0..1 (their words); a new line is told as the
 * changed wording of the removed line most like it, at least this alike. */
#define PAIR_LIKENESS 0.5

static double likeness(const char *o, size_t on, const char *n, size_t nn)
{
	struct diff_seq a, b;
	struct diff d;
	double l = 0;
	if (on + nn >= WORD_DIFF_MAX || diff_split_words(o, on, &a) < 0)
		return 0;
	if (diff_split_words(n, nn, &b) == 0) {
		if (diff_compute(&a, &b, 0, &d) == 0) {
			l = diff_similarity(&a, &b, &d);
			diff_free(&d);
		}
		diff_seq_free(&b);
	}
	diff_seq_free(&a);
	return l;
}

/* Whether changed line k of run r is quoted in a small change's wording:
 * text (not a heading, blank line or page marker) under a section that
 * both versions have (a new or removed section is named, not quoted). */
static int worded(const struct wdiff *wd, const size_t *sa, const size_t *sb,
		  const struct diff_run *r, size_t k)
{
	int del = r->op == DIFF_DEL;
	const struct diff_seq *q = del ? &wd->a : &wd->b, *other = del ? &wd->b : &wd->a;
	size_t at = (del ? r->a : r->b) + k, hn;
	const char *s = q->s[at];
	size_t n = q->len[at];
	if (heading(s, n, &hn) || page_marker(s, n))
		return 0;
	strip_marks(&s, &n);
	if (!n)
		return 0;
	size_t sec = (del ? sa : sb)[at];
	if (sec == SIZE_MAX)
		return 1;
	const char *h = heading(q->s[sec], q->len[sec], &hn);
	return h && has_heading(other, h, hn);
}

static char *summarize(const struct chrome_watch *w, const struct wdiff *wd)
{
	const struct diff *d = &wd->d;
	const struct diff_seq *a = &wd->a, *b = &wd->b;
	struct names added = {BUF_INIT, 0}, removed = {BUF_INIT, 0}, changed = {BUF_INIT, 0};
	struct buf details = BUF_INIT, out = BUF_INIT;
	size_t *sa = sections_of(a), *sb = sections_of(b), hn;
	if (!sa || !sb)
		goto done;
	/* headings that came and went; sections whose text changed, by the
	 * heading they are under */
	for (size_t i = 0; i < d->n; i++) {
		const struct diff_run *r = &d->v[i];
		for (size_t k = 0; k < r->n && r->op != DIFF_SAME; k++) {
			const struct diff_seq *q = r->op == DIFF_DEL ? a : b;
			const struct diff_seq *other = r->op == DIFF_DEL ? b : a;
			size_t at = (r->op == DIFF_DEL ? r->a : r->b) + k;
			const char *h = heading(q->s[at], q->len[at], &hn);
			if (h && !has_heading(other, h, hn))
				name_add(r->op == DIFF_DEL ? &removed : &added, h, hn);
			size_t sec = (r->op == DIFF_DEL ? sa : sb)[at];
			if (sec == SIZE_MAX || !q->len[at] || page_marker(q->s[at], q->len[at]))
				continue;
			const char *sh = heading(q->s[sec], q->len[sec], &hn);
			if (sh && has_heading(other, sh, hn))
				name_add(&changed, sh, hn);
		}
	}
	/* a small change inside sections both versions have: its wording */
	size_t small = 0;
	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < d->v[i].n && d->v[i].op != DIFF_SAME; k++)
			small += (size_t)worded(wd, sa, sb, &d->v[i], k);
	if (small && small <= SMALL_CHANGE) {
		int shown = 0;
		size_t *dl = malloc((small + 1) * sizeof *dl), *al = malloc((small + 1) * sizeof *al);
		for (size_t i = 0; dl && al && i < d->n; i++) {
			const struct diff_run *r = &d->v[i], *ad = NULL;
			if (r->op == DIFF_SAME)
				continue;
			if (r->op == DIFF_DEL && i + 1 < d->n && d->v[i + 1].op == DIFF_ADD)
				ad = &d->v[++i];
			else if (r->op == DIFF_ADD)
				ad = r, r = NULL;
			size_t nd = 0, na = 0;
			for (size_t k = 0; r && k < r->n; k++)
				if (worded(wd, sa, sb, r, k))
					dl[nd++] = r->a + k;
			for (size_t k = 0; ad && k < ad->n; k++)
				if (worded(wd, sa, sb, ad, k))
					al[na++] = ad->b + k;
			/* new lines with the removed lines most like them, the most
			 * alike first; what is left pairs in order when as many
			 * went as came (a line rewritten whole) */
			size_t match[SMALL_CHANGE + 1];
			char used[SMALL_CHANGE + 1] = {0};
			double like[SMALL_CHANGE + 1][SMALL_CHANGE + 1];
			for (size_t j = 0; j < na; j++) {
				match[j] = SIZE_MAX;
				for (size_t k = 0; k < nd; k++)
					like[j][k] = likeness(a->s[dl[k]], a->len[dl[k]], b->s[al[j]], b->len[al[j]]);
			}
			size_t left = na < nd ? na : nd;
			for (;;) {
				size_t bj = SIZE_MAX, bk = 0;
				double best = PAIR_LIKENESS;
				for (size_t j = 0; j < na; j++)
					for (size_t k = 0; match[j] == SIZE_MAX && k < nd; k++)
						if (!used[k] && like[j][k] >= best)
							best = like[j][k], bj = j, bk = k;
				if (bj == SIZE_MAX)
					break;
				match[bj] = bk;
				used[bk] = 1;
				left--;
			}
			size_t rest_a = 0, rest_d = 0;
			for (size_t j = 0; j < na; j++)
				rest_a += match[j] == SIZE_MAX;
			for (size_t k = 0; k < nd; k++)
				rest_d += !used[k];
			for (size_t j = 0, k = 0; left && rest_a == rest_d && j < na; j++) {
				if (match[j] != SIZE_MAX)
					continue;
				while (used[k])
					k++;
				match[j] = k;
				used[k] = 1;
			}
			for (size_t j = 0; j < na && shown <= DETAILS_MAX; j++, shown++) {
				if (shown == DETAILS_MAX)
					continue;
				if (match[j] != SIZE_MAX)
					sentence_pair(&details, w, a->s[dl[match[j]]], a->len[dl[match[j]]],
						      b->s[al[j]], b->len[al[j]]);
				else
					quote(&details, w->new_text, b->s[al[j]], b->len[al[j]]);
			}
			for (size_t k = 0; k < nd && shown <= DETAILS_MAX; k++) {
				if (used[k])
					continue;
				if (shown++ < DETAILS_MAX)
					quote(&details, w->gone_text, a->s[dl[k]], a->len[dl[k]]);
			}
		}
		free(dl);
		free(al);
		if (shown > DETAILS_MAX)
			quote(&details, "%s", w->more, strlen(w->more));
	}
	if (added.b.len) {
		buf_printf(&out, w->added, buf_str(&added.b));
		buf_putc(&out, '.');
	}
	if (removed.b.len) {
		buf_puts(&out, out.len ? " " : "");
		buf_printf(&out, w->removed, buf_str(&removed.b));
		buf_putc(&out, '.');
	}
	if (changed.b.len) {
		buf_puts(&out, out.len ? " " : "");
		buf_printf(&out, w->edited, buf_str(&changed.b));
		buf_putc(&out, '.');
	}
	if (details.len) {
		buf_puts(&out, out.len ? " " : "");
		buf_append(&out, details.data, details.len);
	}
	if (!out.len && (d->add || d->del))
		buf_printf(&out, w->size, (long)d->add, (long)d->del);
done:
	free(sa);
	free(sb);
	buf_free(&added.b);
	buf_free(&removed.b);
	buf_free(&changed.b);
	buf_free(&details);
	char *r = buf_steal(&out);
	if (r)
		text_truncate(r, SUMMARY_MAX);
	return r;
}

char *watch_summary(const char *lang, const char *old_text, const char *new_text,
		    char *const *ignore, size_t nignore, struct err *err)
{
	struct wdiff wd;
	if (wdiff_make(&wd, old_text, new_text, ignore, nignore, err) < 0)
		return NULL;
	char *s = summarize(&chrome_for(lang)->watch, &wd);
	wdiff_free(&wd);
	if (!s)
		err_set(err, "out of memory");
	return s;
}

/* ---- the side-by-side page ------------------------------------------------ */

static void esc(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		default: buf_putc(b, s[i]);
		}
	}
}

/* One side of a changed line pair: the words only this side has marked
 * with tag (del or ins); the whole line when there is no word diff. */
static void side_html(struct buf *h, const char *line, size_t len, const struct diff_seq *q,
		      const struct diff *d, enum diff_op mine, const char *tag)
{
	if (!d) {
		if (line)
			buf_printf(h, "<%s>", tag), esc(h, line, len), buf_printf(h, "</%s>", tag);
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct diff_run *r = &d->v[i];
		if (r->op != DIFF_SAME && r->op != mine)
			continue;
		size_t at = mine == DIFF_DEL ? r->a : r->b;
		if (r->op == mine)
			buf_printf(h, "<%s>", tag);
		for (size_t k = 0; k < r->n; k++)
			esc(h, q->s[at + k], q->len[at + k]);
		if (r->op == mine)
			buf_printf(h, "</%s>", tag);
	}
}

/* One changed line pair, the words that differ marked on each side. */
static void pair_html(struct buf *h, const char *o, size_t on, const char *n, size_t nn)
{
	struct diff_seq a = {0}, b = {0};
	struct diff d = {0};
	int ok = o && n && on + nn < WORD_DIFF_MAX && diff_split_words(o, on, &a) == 0 &&
		 diff_split_words(n, nn, &b) == 0 && diff_compute(&a, &b, 0, &d) == 0;
	buf_puts(h, "<tr><td class=\"d\">");
	side_html(h, o, on, &a, ok ? &d : NULL, DIFF_DEL, "del");
	buf_puts(h, "</td><td class=\"a\">");
	side_html(h, n, nn, &b, ok ? &d : NULL, DIFF_ADD, "ins");
	buf_puts(h, "</td></tr>\n");
	diff_free(&d);
	diff_seq_free(&a);
	diff_seq_free(&b);
}

static void same_row(struct buf *h, const struct diff_seq *a, size_t at)
{
	buf_puts(h, "<tr><td>");
	esc(h, a->s[at], a->len[at]);
	buf_puts(h, "</td><td>");
	esc(h, a->s[at], a->len[at]);
	buf_puts(h, "</td></tr>\n");
}

static char *side_by_side(const struct chrome *c, const char *title, const char *url,
			  const struct page_version *ov, const struct page_version *nv,
			  const char *summary, const struct wdiff *wd)
{
	struct buf h = BUF_INIT;
	char t[512], od[64], nd[64];
	snprintf(t, sizeof t, c->watch.changed, title);
	digest_format_date(ov->fetched, c->lang, od, sizeof od);
	digest_format_date(nv->fetched, c->lang, nd, sizeof nd);
	buf_printf(&h, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
		   c->lang);
	esc(&h, t, strlen(t));
	buf_puts(&h, "</title>\n<style>body{font:15px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,"
		     "Arial,sans-serif;margin:1em;color:#222}table{border-collapse:collapse;width:100%;"
		     "table-layout:fixed}td,th{vertical-align:top;padding:2px 6px;border-bottom:1px solid "
		     "#eee;white-space:pre-wrap;word-wrap:break-word;text-align:left}td.d{background:"
		     "#fff0f0}td.a{background:#effaef}del{background:#f7b9b9}ins{background:#b5e6b5;"
		     "text-decoration:none}tr.gap td{color:#888;text-align:center}</style>\n</head>\n<body>\n<h1>");
	esc(&h, t, strlen(t));
	buf_puts(&h, "</h1>\n");
	if (url) {
		buf_puts(&h, "<p><a href=\"");
		esc(&h, url, strlen(url));
		buf_puts(&h, "\">");
		esc(&h, url, strlen(url));
		buf_puts(&h, "</a></p>\n");
	}
	if (summary && *summary) {
		buf_puts(&h, "<p>");
		esc(&h, summary, strlen(summary));
		buf_puts(&h, "</p>\n");
	}
	buf_printf(&h, "<table>\n<thead><tr><th>%s, %s</th><th>%s, %s</th></tr></thead>\n<tbody>\n",
		   c->watch.old_col, od, c->watch.new_col, nd);
	const struct diff *d = &wd->d;
	size_t rows = 0;
	for (size_t i = 0; i < d->n && rows < HTML_ROWS_MAX; i++) {
		const struct diff_run *r = &d->v[i];
		if (r->op == DIFF_SAME) {
			/* two lines of context each side of a change */
			size_t head = i > 0 ? 2 : 0, tail = i + 1 < d->n ? 2 : 0;
			if (head + tail >= r->n) {
				for (size_t k = 0; k < r->n; k++, rows++)
					same_row(&h, &wd->a, r->a + k);
				continue;
			}
			for (size_t k = 0; k < head; k++, rows++)
				same_row(&h, &wd->a, r->a + k);
			buf_puts(&h, "<tr class=\"gap\"><td>…</td><td>…</td></tr>\n");
			for (size_t k = r->n - tail; k < r->n; k++, rows++)
				same_row(&h, &wd->a, r->a + k);
		} else if (r->op == DIFF_DEL && i + 1 < d->n && d->v[i + 1].op == DIFF_ADD) {
			const struct diff_run *ad = &d->v[i + 1];
			for (size_t k = 0; (k < r->n || k < ad->n) && rows < HTML_ROWS_MAX; k++, rows++)
				pair_html(&h, k < r->n ? wd->a.s[r->a + k] : NULL, k < r->n ? wd->a.len[r->a + k] : 0,
					  k < ad->n ? wd->b.s[ad->b + k] : NULL, k < ad->n ? wd->b.len[ad->b + k] : 0);
			i++;
		} else {
			const struct diff_seq *q = r->op == DIFF_DEL ? &wd->a : &wd->b;
			size_t at = r->op == DIFF_DEL ? r->a : r->b;
			for (size_t k = 0; k < r->n && rows < HTML_ROWS_MAX; k++, rows++)
				pair_html(&h, r->op == DIFF_DEL ? q->s[at + k] : NULL, r->op == DIFF_DEL ? q->len[at + k] : 0,
					  r->op == DIFF_ADD ? q->s[at + k] : NULL, r->op == DIFF_ADD ? q->len[at + k] : 0);
		}
	}
	if (rows >= HTML_ROWS_MAX)
		buf_puts(&h, "<tr class=\"gap\"><td>[…]</td><td>[…]</td></tr>\n");
	buf_puts(&h, "</tbody>\n</table>\n</body>\n</html>\n");
	return buf_steal(&h);
}

/* ---- the period's changes ------------------------------------------------- */

static int url_ok(const char *u)
{
	return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7));
}

/* The diff page's file name: watch-NAME-OLD-NEW.html, NAME cut to safe bytes. */
static void diff_file_name(char *out, size_t len, const char *source, int64_t o, int64_t n)
{
	char safe[80];
	size_t k = 0;
	for (const char *p = source; *p && k + 1 < sizeof safe; p++)
		safe[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
			    ? *p : '_';
	safe[k] = '\0';
	snprintf(out, len, "watch-%s-%lld-%lld.html", safe, (long long)o, (long long)n);
}

/* The item of one source's changes in the period (from the version before
 * the first to the newest); NULL when the versions are gone or nothing is
 * left after ignore. */
static json_t *change_item(struct store *s, const struct config *cfg, const struct source *src,
			   const struct page_change *ch, size_t nch, json_t *chair_list)
{
	const struct chrome *c = chrome_for(cfg->language);
	struct page_version ov = {0}, nv = {0};
	struct err err;
	json_t *it = NULL;
	struct wdiff wd = {0};
	char *summary = NULL, *page = NULL;
	/* the oldest "before" still stored */
	int have = 0;
	for (size_t i = 0; i < nch && !have; i++)
		if ((have = store_version_get(s, ch[i].old_version, &ov, &err)) < 0)
			goto fail;
	if (!have || store_version_get(s, ch[nch - 1].new_version, &nv, &err) <= 0)
		goto out;
	if (wdiff_make(&wd, ov.text, nv.text, src->ignore, src->nignore, &err) < 0)
		goto fail;
	if (!wd.d.add && !wd.d.del)
		goto out; /* changed and changed back */
	if (!(summary = summarize(&c->watch, &wd)))
		goto oom;
	const char *title = nv.title && *nv.title ? nv.title : src->title;
	char t[600], size[128], date[64], ts[RFC3339_LEN];
	snprintf(t, sizeof t, c->watch.changed, title);
	snprintf(size, sizeof size, c->watch.size, (long)wd.d.add, (long)wd.d.del);
	const char *url = url_ok(nv.url) ? nv.url : url_ok(src->url) ? src->url : NULL;
	it = json_object();
	json_object_set_new(it, "title", json_string(t));
	if (url)
		json_object_set_new(it, "url", json_string(url));
	json_object_set_new(it, "source", json_string(src->name));
	json_object_set_new(it, "source_title", json_string(src->title));
	json_object_set_new(it, "sources_text", json_string(src->title));
	digest_format_date(ch[nch - 1].detected, cfg->language, date, sizeof date);
	json_object_set_new(it, "date", json_string(time_format_rfc3339(ch[nch - 1].detected, ts)));
	json_object_set_new(it, "date_text", json_string(date));
	json_object_set_new(it, "summary", json_string(summary));
	json_object_set_new(it, "added", json_integer((json_int_t)wd.d.add));
	json_object_set_new(it, "removed", json_integer((json_int_t)wd.d.del));
	json_object_set_new(it, "size_text", json_string(size));
	/* the same change in every language a member may read it in
	 * (digest_model_localize picks one) */
	json_t *l10n = json_object();
	const struct chrome *lc;
	for (size_t i = 0; (lc = chrome_at(i)); i++) {
		char *ls = summarize(&lc->watch, &wd);
		if (!ls)
			continue;
		char lt[600], lsz[128];
		snprintf(lt, sizeof lt, lc->watch.changed, title);
		snprintf(lsz, sizeof lsz, lc->watch.size, (long)wd.d.add, (long)wd.d.del);
		json_object_set_new(l10n, lc->lang, json_pack("{s:s, s:s, s:s}", "title", lt, "summary",
							      ls, "size_text", lsz));
		free(ls);
	}
	json_object_set_new(it, "l10n", l10n);
	if (cfg->archive_dir) {
		char name[160], path[4096];
		diff_file_name(name, sizeof name, src->name, ov.id, nv.id);
		snprintf(path, sizeof path, "%s/%s", cfg->archive_dir, name);
		page = side_by_side(c, title, url, &ov, &nv, summary, &wd);
		if (!page || fs_mkdir_p(cfg->archive_dir, &err) < 0 ||
		    fs_write_atomic(path, page, strlen(page), &err) < 0) {
			log_warn("watch %s: the diff page: %s", src->name, page ? err.msg : "out of memory");
		} else if (cfg->archive_url && url_ok(cfg->archive_url)) {
			size_t n = strlen(cfg->archive_url);
			char link[4400];
			snprintf(link, sizeof link, "%s%s%s", cfg->archive_url,
				 n && cfg->archive_url[n - 1] == '/' ? "" : "/", name);
			json_object_set_new(it, "diff_url", json_string(link));
			json_object_set_new(it, "diff_file", json_string(name));
		} else {
			json_object_set_new(it, "diff_file", json_string(name));
		}
	}
	if (chair_list) {
		json_t *cj = json_object();
		json_object_set_new(cj, "name", json_string(src->title));
		if (url)
			json_object_set_new(cj, "url", json_string(url));
		json_object_set_new(cj, "size_text", json_string(size));
		json_array_append_new(chair_list, cj);
	}
	goto out;
oom:
	err_set(&err, "out of memory");
fail:
	log_warn("watch %s: %s", src->name, err.msg);
out:
	free(summary);
	free(page);
	wdiff_free(&wd);
	page_version_free(&ov);
	page_version_free(&nv);
	return it;
}

int watch_compose(struct store *s, const struct config *cfg, time_t since, time_t until,
		  json_t **items, json_t **chair, struct err *err)
{
	*items = json_array();
	if (chair)
		*chair = NULL;
	struct page_change *ch = NULL;
	size_t n = 0;
	if (store_changes_between(s, since, until, &ch, &n, err) < 0) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	json_t *changed = json_array(), *broken = json_array();
	int ret = 0;
	for (size_t k = 0; k < cfg->nsources; k++) {
		const struct source *src = &cfg->sources[k];
		if (src->type != SOURCE_PAGE || !src->enabled)
			continue;
		size_t first = n, count = 0;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(ch[i].source, src->name)) {
				if (first == n)
					first = i;
				count++;
			}
		if (count) {
			json_t *it = change_item(s, cfg, src, ch + first, count, changed);
			if (it)
				json_array_append_new(*items, it);
		}
		struct page_version v;
		int r = store_version_latest(s, src->name, 0, &v, err);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r && v.broken) {
			json_t *b = json_object();
			json_object_set_new(b, "name", json_string(src->title));
			if (url_ok(src->url))
				json_object_set_new(b, "url", json_string(src->url));
			json_object_set_new(b, "why", json_string(v.broken));
			json_array_append_new(broken, b);
		}
		if (r)
			page_version_free(&v);
	}
	page_changes_free(ch, n);
	if (chair && ret == 0) {
		const struct chrome *c = chrome_for(cfg->language);
		*chair = json_object();
		json_object_set_new(*chair, "watch_changed", changed);
		json_object_set_new(*chair, "has_watch_changed", json_boolean(json_array_size(changed) > 0));
		json_object_set_new(*chair, "watch_changed_text", json_string(c->watch.chair_changed));
		json_object_set_new(*chair, "watch_broken", broken);
		json_object_set_new(*chair, "has_watch_broken", json_boolean(json_array_size(broken) > 0));
		json_object_set_new(*chair, "watch_broken_text", json_string(c->watch.chair_broken));
	} else {
		json_decref(changed);
		json_decref(broken);
	}
	if (ret < 0) {
		json_decref(*items);
		*items = NULL;
	}
	return ret;
}

int watch_compare(const char *old_text, const char *new_text, char *const *ignore,
		  size_t nignore, const char *la, const char *lb, struct buf *out, struct err *err)
{
	struct wdiff wd;
	if (wdiff_make(&wd, old_text, new_text, ignore, nignore, err) < 0)
		return -1;
	int r = diff_unified(out, &wd.a, &wd.b, &wd.d, 3, la, lb);
	wdiff_free(&wd);
	return r < 0 ? err_set(err, "out of memory") : 0;
}

int watch_last_diff(struct store *s, const struct source *src, struct buf *out, struct err *err)
{
	struct page_change ch;
	int r = store_change_last(s, src->name, &ch, err);
	if (r <= 0)
		return r;
	struct page_version ov = {0}, nv = {0};
	int ret = -1;
	if ((r = store_version_get(s, ch.old_version, &ov, err)) < 0 ||
	    (r == 0 && !err_set(err, "%s: the version before its last change was pruned "
				    "([watch] keep)", src->name)) ||
	    (r = store_version_get(s, ch.new_version, &nv, err)) < 0 ||
	    (r == 0 && !err_set(err, "%s: its last version was pruned", src->name)))
		goto out;
	char la[128], lb[128], ts[RFC3339_LEN];
	snprintf(la, sizeof la, "%s (version %lld, %s)", src->name, (long long)ov.id,
		 time_format_rfc3339(ov.fetched, ts));
	snprintf(lb, sizeof lb, "%s (version %lld, %s)", src->name, (long long)nv.id,
		 time_format_rfc3339(nv.fetched, ts));
	ret = watch_compare(ov.text, nv.text, src->ignore, src->nignore, la, lb, out, err) < 0 ? -1 : 1;
out:
	page_version_free(&ov);
	page_version_free(&nv);
	free(ch.source);
	return ret;
}
