#include "parse/rawitem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "parse/date.h"

#define CONTENT_MAX (64 * 1024) /* text kept of an item's content */

void raw_put(struct raw *r, enum raw_field f, const char *s, size_t n)
{
	struct buf *b = &r->f[f];
	unsigned bit = 1u << f;
	/* Every captured byte comes through here: the usual case in place. */
	if (n < b->cap - b->len && b->len + n <= RAW_FIELD_MAX && !(r->full & bit)) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	if (r->full & bit)
		return;
	if (b->len + n > RAW_FIELD_MAX) {
		/* s[n] is the first byte left out: never half a character */
		n = RAW_FIELD_MAX - b->len;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		r->full |= bit;
	}
	if (n && buf_append(b, s, n) < 0)
		r->oom = 1;
}

void raw_clear(struct raw *r, enum raw_field f)
{
	buf_reset(&r->f[f]);
	r->full &= ~(1u << f);
}

void raw_set(struct raw *r, enum raw_field f, const char *s, size_t n)
{
	raw_clear(r, f);
	if (s)
		raw_put(r, f, s, n);
}

/* Categories and enclosures are strings one after the other in a field:
 * an entry is added whole or not at all, so the walk in raw_build never
 * runs past what was written. */
static int fits(struct raw *r, enum raw_field f, size_t n)
{
	if (!(r->full & (1u << f)) && r->f[f].len + n <= RAW_FIELD_MAX)
		return 1;
	r->full |= 1u << f;
	return 0;
}

void raw_add_category(struct raw *r, const char *s, size_t n)
{
	if (r->ncats >= RAW_MAX_CATEGORIES || !fits(r, RF_CATS, n + 1))
		return;
	raw_put(r, RF_CATS, s, n);
	raw_put(r, RF_CATS, "", 1);
	r->ncats++;
}

void raw_add_category_list(struct raw *r, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == ',') {
			size_t a = st, b = i;
			while (a < b && text_is_ws((unsigned char)s[a]))
				a++;
			while (b > a && text_is_ws((unsigned char)s[b - 1]))
				b--;
			if (b > a)
				raw_add_category(r, s + a, b - a);
			st = i + 1;
		}
}

void raw_add_enclosure(struct raw *r, const char *url, size_t ulen, const char *type,
		       size_t tlen, const char *length, size_t llen)
{
	if (!type)
		tlen = 0;
	if (!length)
		llen = 0;
	if (r->nencl >= RAW_MAX_ENCLOSURES || !ulen || !fits(r, RF_ENCL, ulen + tlen + llen + 3))
		return;
	raw_put(r, RF_ENCL, url, ulen);
	raw_put(r, RF_ENCL, "", 1);
	raw_put(r, RF_ENCL, type ? type : "", tlen);
	raw_put(r, RF_ENCL, "", 1);
	raw_put(r, RF_ENCL, length ? length : "", llen);
	raw_put(r, RF_ENCL, "", 1);
	r->nencl++;
}

void raw_reset(struct raw *r)
{
	for (size_t i = 0; i < RF_COUNT; i++)
		if (r->f[i].len) {
			r->f[i].len = 0;
			r->f[i].data[0] = '\0';
		}
	r->full = 0;
	r->title_t = r->summary_t = r->content_t = RT_TEXT;
	r->title_prio = r->summary_prio = r->content_prio = r->link_prio = r->author_prio = 0;
	r->key_set = r->guid_perma = r->rss_author = 0;
	r->ncats = r->nencl = 0;
}

void raw_free(struct raw *r)
{
	for (size_t i = 0; i < RF_COUNT; i++)
		buf_free(&r->f[i]);
}

size_t raw_allocated(const struct raw *r)
{
	size_t t = 0;
	for (size_t i = 0; i < RF_COUNT; i++)
		t += r->f[i].cap;
	return t;
}

/* ---- building the item ---------------------------------------------------- */

/* A new string holding sc's text, at its own size. */
static char *take(const struct buf *sc)
{
	return strndup(sc->data ? sc->data : "", sc->len);
}

/* text_clean, skipping the work for the usual short field that is
 * already clean (printable ASCII words with single spaces). */
static char *clean(struct buf *sc, const char *s, size_t n)
{
	int ok = n > 0 && n < 256 && s[0] != ' ' && s[n - 1] != ' ';
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		ok = (c > 0x20 && c < 0x7F) || (c == ' ' && s[i + 1] != ' ');
	}
	if (ok)
		return strndup(s, n);
	return text_clean_buf(sc, s, n) < 0 ? NULL : take(sc);
}

/* A raw field's text, converted in sc (0 when the field has none): the
 * items are built through one reused buffer, so each string is allocated
 * once at its size. */
static int to_text(struct buf *sc, const struct buf *b, enum raw_type t)
{
	buf_reset(sc);
	if (!b->len)
		return 0;
	if (t == RT_TEXT ? text_clean_buf(sc, b->data, b->len)
			 : text_from_html_buf(sc, b->data, b->len))
		return 0;
	return sc->len > 0;
}

/* "jane@example.com (Jane Doe)" is how RSS wants authors; we write
 * "Jane Doe (jane@example.com)" as for Atom persons. */
static char *rss_author(char *s)
{
	size_t n = strlen(s);
	char *open = strchr(s, '(');
	if (!open || open == s || n < 2 || s[n - 1] != ')')
		return s;
	char *at = strchr(s, '@');
	if (!at || at > open)
		return s;
	size_t el = (size_t)(open - s);
	while (el && s[el - 1] == ' ')
		el--;
	size_t nl = (size_t)(s + n - 1 - (open + 1));
	if (!nl || !el)
		return s;
	char *out;
	if (asprintf(&out, "%.*s (%.*s)", (int)nl, open + 1, (int)el, s) < 0)
		return s;
	free(s);
	return out;
}

/* An Atom person: "Name (email)", or either alone; NULL when neither. */
static char *person(const struct buf *name, const struct buf *email)
{
	char *nm = name->len ? text_clean(name->data, name->len) : NULL;
	char *em = email->len ? text_clean(email->data, email->len) : NULL;
	if (nm && !*nm) {
		free(nm);
		nm = NULL;
	}
	if (em && !*em) {
		free(em);
		em = NULL;
	}
	char *out = NULL;
	if (nm && em) {
		if (asprintf(&out, "%s (%s)", nm, em) < 0)
			out = NULL;
	} else {
		out = nm ? nm : em;
		nm = em = NULL;
	}
	free(nm);
	free(em);
	return out;
}

char *raw_person(const struct raw *r)
{
	return person(&r->f[RF_ANAME], &r->f[RF_AEMAIL]);
}

static time_t date_of(const struct buf *b)
{
	if (!b->len)
		return 0;
	/* Dates are short; trimming here keeps date_parse simple. */
	const char *s = b->data;
	size_t n = b->len;
	while (n && text_is_ws(*s))
		s++, n--;
	while (n && text_is_ws(s[n - 1]))
		n--;
	char tmp[128];
	if (!n || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return date_parse(tmp);
}

/* libxml2's recover mode can pass on bytes that are not UTF-8 (it reads
 * on as Latin-1 without converting); in a URL they are percent-encoded,
 * as a browser would send them. Returns s, or a new string in its place. */
static char *url_utf8(char *s)
{
	if (!s || utf8_valid(s, strlen(s)))
		return s;
	struct buf b = BUF_INIT;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_decode(s + i, n - i, NULL);
		int rc = k ? buf_append(&b, s + i, k)
			   : buf_printf(&b, "%%%02X", (unsigned)(unsigned char)s[i]);
		if (rc < 0) {
			buf_free(&b);
			free(s);
			return NULL;
		}
		i += k ? k : 1;
	}
	free(s);
	return buf_steal(&b);
}

/* The next string of a NUL-separated field at *off, or NULL at its end. */
static const char *next_str(const struct buf *b, size_t *off)
{
	if (*off >= b->len)
		return NULL;
	const char *s = b->data + *off;
	*off += strnlen(s, b->len - *off) + 1;
	return s;
}

static int add_categories(const struct raw *r, struct buf *sc, struct item *it)
{
	size_t off = 0;
	const char *c;
	for (size_t i = 0; i < r->ncats && (c = next_str(&r->f[RF_CATS], &off)); i++) {
		char *t = clean(sc, c, strlen(c));
		if (!t)
			return -1;
		if (strchr(t, '\n'))
			text_one_line(t);
		int dup = !*t;
		for (size_t j = 0; !dup && j < it->ncategories; j++)
			dup = strcmp(it->categories[j], t) == 0;
		int rc = dup ? 0 : item_add_category(it, t);
		free(t);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int add_one_enclosure(struct item *it, struct buf *sc, const char *u, const char *t,
			     const char *l)
{
	char *tc = t && *t ? clean(sc, t, strlen(t)) : NULL;
	char *uc = url_utf8(strdup(u));
	long long len = 0;
	if (l && *l) {
		char *end;
		len = strtoll(l, &end, 10);
		if (len < 0 || end == l)
			len = 0;
	}
	int rc = uc ? item_add_enclosure(it, uc, tc && *tc ? tc : NULL, len) : -1;
	free(uc);
	free(tc);
	return rc;
}

static int add_enclosures(const struct raw *r, struct buf *sc, struct item *it)
{
	size_t off = 0;
	const struct buf *e = &r->f[RF_ENCL];
	for (size_t i = 0; i < r->nencl; i++) {
		const char *u = next_str(e, &off), *t = next_str(e, &off), *l = next_str(e, &off);
		if (!u || !t || !l)
			break;
		if (add_one_enclosure(it, sc, u, t, l) < 0)
			return -1;
	}
	/* itunes:image when nothing else is attached */
	if (!it->nenclosures && r->f[RF_IMAGE].len &&
	    add_one_enclosure(it, sc, r->f[RF_IMAGE].data, NULL, NULL) < 0)
		return -1;
	return 0;
}

static int build_text(const struct raw *r, size_t summary_max, struct buf *sc, struct item *it)
{
	if (to_text(sc, &r->f[RF_TITLE], r->title_t)) {
		if (memchr(sc->data, '\n', sc->len)) /* the text is folded: only breaks are left */
			text_one_line(sc->data);
		if (!(it->title = strdup(sc->data)))
			return -1;
	}
	if (to_text(sc, &r->f[RF_SUMMARY], r->summary_t)) {
		text_truncate(sc->data, summary_max);
		if (!(it->summary = strdup(sc->data)))
			return -1;
	}
	if (to_text(sc, &r->f[RF_CONTENT], r->content_t)) {
		/* No summary of its own: the start of the content (as feed
		 * readers do). Cutting the first summary_max + 1 bytes cuts
		 * as the whole would. */
		if (!it->summary) {
			size_t n = sc->len <= summary_max ? sc->len : summary_max + 1;
			if (!(it->summary = strndup(sc->data, n)))
				return -1;
			text_truncate(it->summary, summary_max);
		}
		text_truncate(sc->data, CONTENT_MAX);
		if (!(it->content = strdup(sc->data)))
			return -1;
	}
	return 0;
}

static int build_author(const struct raw *r, const char *feed_author, struct buf *sc,
			struct item *it)
{
	if (r->author_prio) {
		if (r->f[RF_AUTHOR].len)
			it->author = clean(sc, r->f[RF_AUTHOR].data, r->f[RF_AUTHOR].len);
		else
			it->author = raw_person(r);
		if (it->author && r->rss_author)
			it->author = rss_author(it->author);
	} else if (feed_author && !(it->author = strdup(feed_author))) {
		return -1;
	}
	if (it->author) {
		text_one_line(it->author);
		if (!*it->author) {
			free(it->author);
			it->author = NULL;
		}
	}
	return 0;
}

static int raw_empty(const struct raw *r)
{
	for (size_t i = 0; i < RF_COUNT; i++)
		if (i != RF_TMP && r->f[i].len)
			return 0;
	return 1;
}

int raw_build(const struct raw *r, const char *feed_author, size_t summary_max, struct buf *sc,
	      struct item *it)
{
	if (raw_empty(r))
		return 1;
	if (build_text(r, summary_max, sc, it) < 0 || build_author(r, feed_author, sc, it) < 0)
		return -1;
	if (r->f[RF_LINK].len)
		it->url = url_utf8(strdup(r->f[RF_LINK].data));
	else if (r->f[RF_GUID_URL].len)
		it->url = url_utf8(strdup(r->f[RF_GUID_URL].data));
	const struct buf *kb = r->f[RF_KEY].len ? &r->f[RF_KEY] : r->f[RF_ABOUT].len ? &r->f[RF_ABOUT] : NULL;
	if (kb) {
		char *k = clean(sc, kb->data, kb->len);
		if (k && *k)
			it->key = k;
		else
			free(k);
	}
	if (add_categories(r, sc, it) < 0 || add_enclosures(r, sc, it) < 0)
		return -1;
	it->published = date_of(&r->f[RF_PUBLISHED]);
	if (!it->published)
		it->published = date_of(&r->f[RF_CREATED]);
	if (!it->published)
		it->published = date_of(&r->f[RF_DC_DATE]);
	it->updated = date_of(&r->f[RF_UPDATED]);
	if (!it->updated)
		it->updated = date_of(&r->f[RF_DC_DATE]);
	/* An entry dated only by its last change (Atom's updated, 0.3's
	 * modified) is dated by it, so max_age_days still applies. */
	if (!it->published)
		it->published = it->updated;
	return item_ensure_key(it);
}
