/* The tag table: what each item child means, as one sorted table (as
 * sfeed does) looked up by binary search, and what it fills: the capture
 * of its text into a raw field, attributes read in place, priorities
 * between competing elements. */
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse/feedsax.h"
#include "core/text.h"

/* Namespace names, sorted for bsearch. */
static const struct nsname {
	const char *uri;
	enum nsc cls;
} namespaces[] = {
	{"http://backend.userland.com/rss", N_RSS},
	{"http://backend.userland.com/rss2", N_RSS},
	{"http://my.netscape.com/rdf/simple/0.9/", N_RSS},
	{"http://purl.org/atom/ns#", N_ATOM},
	{"http://purl.org/dc/elements/1.1/", N_DC},
	{"http://purl.org/dc/terms/", N_DCTERMS},
	{"http://purl.org/rss/1.0/", N_RSS},
	{"http://purl.org/rss/1.0/modules/content/", N_CONTENT},
	{"http://search.yahoo.com/mrss", N_MEDIA},
	{"http://search.yahoo.com/mrss/", N_MEDIA},
	{"http://www.itunes.com/dtds/podcast-1.0.dtd", N_ITUNES},
	{"http://www.w3.org/1999/02/22-rdf-syntax-ns#", N_RDF},
	{"http://www.w3.org/1999/xhtml", N_XHTML},
	{"http://www.w3.org/2005/Atom", N_ATOM},
};

/* Item children by namespace class and name, sorted (class, then name
 * as strcmp orders it) for bsearch, as sfeed does: one table says what
 * every element means. */
static const struct tag {
	enum nsc ns;
	const char *name;
	enum el el;
} tags[] = {
	{N_RSS, "author", E_R_AUTHOR},
	{N_RSS, "body", E_R_BODY},
	{N_RSS, "category", E_R_CATEGORY},
	{N_RSS, "description", E_R_DESC},
	{N_RSS, "enclosure", E_R_ENCLOSURE},
	{N_RSS, "fullitem", E_R_FULLITEM},
	{N_RSS, "guid", E_R_GUID},
	{N_RSS, "link", E_R_LINK},
	{N_RSS, "pubDate", E_R_PUBDATE},
	{N_RSS, "summary", E_R_DESC},
	{N_RSS, "tags", E_R_TAGS},
	{N_RSS, "title", E_R_TITLE},
	{N_ATOM, "author", E_A_AUTHOR},
	{N_ATOM, "category", E_A_CATEGORY},
	{N_ATOM, "content", E_A_CONTENT},
	{N_ATOM, "created", E_A_CREATED},
	{N_ATOM, "id", E_A_ID},
	{N_ATOM, "issued", E_A_PUBLISHED},
	{N_ATOM, "link", E_A_LINK},
	{N_ATOM, "modified", E_A_UPDATED},
	{N_ATOM, "published", E_A_PUBLISHED},
	{N_ATOM, "summary", E_A_SUMMARY},
	{N_ATOM, "title", E_A_TITLE},
	{N_ATOM, "updated", E_A_UPDATED},
	{N_DC, "author", E_DC_CREATOR},
	{N_DC, "creator", E_DC_CREATOR},
	{N_DC, "date", E_DC_DATE},
	{N_DC, "description", E_DC_DESC},
	{N_DC, "subject", E_DC_SUBJECT},
	{N_DC, "title", E_DC_TITLE},
	{N_DCTERMS, "created", E_DT_CREATED},
	{N_DCTERMS, "issued", E_DT_ISSUED},
	{N_DCTERMS, "modified", E_DT_MODIFIED},
	{N_CONTENT, "encoded", E_ENCODED},
	{N_MEDIA, "content", E_M_CONTENT},
	{N_MEDIA, "description", E_M_DESC},
	{N_MEDIA, "group", E_M_GROUP},
	{N_XHTML, "body", E_X_BODY},
	{N_ITUNES, "author", E_IT_AUTHOR},
	{N_ITUNES, "image", E_IT_IMAGE},
	{N_ITUNES, "summary", E_IT_SUMMARY},
};

static int tag_cmp(const void *k, const void *e)
{
	const struct tag *a = k, *b = e;
	return a->ns != b->ns ? (int)a->ns - (int)b->ns : strcmp(a->name, b->name);
}

static const struct tag *tag_find(enum nsc ns, const xmlChar *name)
{
	struct tag key = {ns, (const char *)name, E_OTHER};
	return bsearch(&key, tags, sizeof tags / sizeof *tags, sizeof *tags, tag_cmp);
}

static int ns_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct nsname *)e)->uri);
}

enum nsc feedtags_ns(struct feedxml *p, const xmlChar *uri)
{
	if (!uri || !*uri)
		return N_RSS;
	for (int i = 0; i < 8; i++)
		if (p->ns_ptr[i] == uri)
			return p->ns_cls[i];
	const struct nsname *n = bsearch(uri, namespaces, sizeof namespaces / sizeof *namespaces,
					 sizeof *namespaces, ns_cmp);
	enum nsc cls = n ? n->cls : N_OTHER;
	p->ns_ptr[p->ns_next] = uri;
	p->ns_cls[p->ns_next] = cls;
	p->ns_next = (p->ns_next + 1) % 8;
	return cls;
}

enum el feedtags_classify(struct feedxml *p, enum nsc ns, const xmlChar *name)
{
	size_t h = ((uintptr_t)name >> 3 ^ (uintptr_t)name >> 9 ^ (unsigned)ns) % 32;
	/* only known names are kept; the compare guards a reused pointer */
	if (p->el_cache[h].name == name && p->el_cache[h].ns == ns &&
	    streq(name, p->el_cache[h].tag->name))
		return p->el_cache[h].tag->el;
	const struct tag *t = tag_find(ns, name);
	if (t) {
		p->el_cache[h].name = name;
		p->el_cache[h].ns = ns;
		p->el_cache[h].tag = t;
	}
	return t ? t->el : E_OTHER;
}

/* ---- small helpers ------------------------------------------------------- */

void feedtags_put(struct feedxml *p, const char *s, size_t n) { raw_put(&p->r, p->cap, s, n); }

void feedtags_put_escaped(struct feedxml *p, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '<' ? "&lt;" : s[i] == '&' ? "&amp;" : NULL;
		if (!rep)
			continue;
		feedtags_put(p, s + st, i - st);
		feedtags_put(p, rep, rep[1] == 'l' ? 4 : 5);
		st = i + 1;
	}
	feedtags_put(p, s + st, n - st);
}

/* Attribute values in SAX2 are (value, end) pairs; libxml2 leaves '&'
 * as "&#38;" when it does not substitute entities. */
const xmlChar *feedtags_attr(int n, const xmlChar **attrs, const char *name, size_t *len)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (a[2] == NULL && strcmp((const char *)a[0], name) == 0) {
			*len = (size_t)(a[4] - a[3]);
			return a[3];
		}
	}
	return NULL;
}

/* An attribute's value with "&#38;" back to '&', into b. */
int feedtags_attr_value(struct buf *b, const xmlChar *v, size_t n)
{
	const char *s = (const char *)v;
	size_t st = 0;
	buf_reset(b);
	for (size_t i = 0; i + 5 <= n; i++)
		if (s[i] == '&' && !memcmp(s + i, "&#38;", 5)) {
			if (buf_append(b, s + st, i + 1 - st) < 0)
				return -1;
			st = i + 5;
			i += 4;
		}
	return buf_append(b, s + st, n - st) < 0 || buf_putc(b, '\0') < 0 ? -1 : (b->len--, 0);
}

static int attr_is(int n, const xmlChar **attrs, const char *name, const char *want)
{
	size_t len;
	const xmlChar *v = feedtags_attr(n, attrs, name, &len);
	return v && len == strlen(want) && !strncasecmp((const char *)v, want, len);
}

/* ref resolved against the current base into field f; 1 when it was. */
static int resolve_into(struct feedxml *p, enum raw_field f, const char *ref, size_t n,
			unsigned flags)
{
	int rc = url_resolve_buf(&p->ur, &p->ubuf, cur_base(p), ref, n, flags);
	if (rc < 0)
		p->oom = 1;
	if (rc != 1)
		return 0;
	raw_set(&p->r, f, p->ubuf.data, p->ubuf.len);
	return 1;
}

static void add_encl(struct feedxml *p, const xmlChar *url, size_t ulen, const xmlChar *type,
		     size_t tlen, const xmlChar *length, size_t llen)
{
	struct buf v = BUF_INIT;
	if (feedtags_attr_value(&v, url, ulen) < 0) {
		p->oom = 1;
	} else {
		int rc = url_resolve_buf(&p->ur, &p->ubuf, cur_base(p), v.data, v.len, URL_HTTP_ONLY);
		if (rc < 0)
			p->oom = 1;
		else if (rc == 1)
			raw_add_enclosure(&p->r, p->ubuf.data, p->ubuf.len, (const char *)type, tlen,
					  (const char *)length, llen);
	}
	buf_free(&v);
}

/* Decodes base64 in place (whitespace ignored; stops at '=' or junk). */
static void base64_decode(struct buf *b)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < b->len; i++) {
		int c = (unsigned char)b->data[i], v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else if (text_is_ws(c))
			continue;
		else
			break;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b->data[o++] = (char)((acc >> bits) & 0xFF);
		}
	}
	b->len = o;
	if (b->data)
		b->data[o] = '\0';
}

/* ---- capture ---------------------------------------------------------------- */

void feedtags_capture(struct feedxml *p, enum raw_field f, enum el what, enum cmode m,
		    enum raw_type t)
{
	raw_clear(&p->r, f);
	p->capturing = 1;
	p->cap = f;
	p->cap_depth = p->depth;
	p->cap_what = what;
	p->cap_mode = m;
	p->cap_type = t;
	p->div_depth = 0;
}

/* Atom text constructs: 1.0 type (text, html, xhtml, a MIME type) and
 * 0.3 type + mode (xml, escaped, base64). */
static void text_construct(struct feedxml *p, enum raw_field f, enum el what, int n,
			   const xmlChar **attrs, enum raw_type *type_out)
{
	size_t tl = 0, ml = 0;
	const char *t = (const char *)feedtags_attr(n, attrs, "type", &tl);
	const char *m = (const char *)feedtags_attr(n, attrs, "mode", &ml);
	enum cmode cm;
	int xhtml = 0, html = 0, b64 = 0;
#define TIS(s) (t && tl == strlen(s) && !strncasecmp(t, s, tl))
	if (!t || !tl || TIS("text") || TIS("text/plain") || (tl > 5 && !strncasecmp(t, "text/", 5) && !TIS("text/html")))
		;
	else if (TIS("html") || TIS("text/html"))
		html = 1;
	else if (TIS("xhtml") || TIS("application/xhtml+xml") ||
		 (tl > 4 && (!strncasecmp(t + tl - 4, "+xml", 4) || !strncasecmp(t + tl - 4, "/xml", 4))))
		xhtml = 1; /* inline XML: its text is what a reader sees */
	else
		html = b64 = 1; /* other media types are base64 payloads */
#undef TIS
	if (m && ml == 6 && !strncmp(m, "base64", 6))
		b64 = 1;
	else if (m && ml == 7 && !strncmp(m, "escaped", 7) && xhtml)
		xhtml = 0, html = 1;
	cm = b64 ? M_B64 : xhtml ? M_XHTML : html ? M_HTML : M_TEXT;
	*type_out = xhtml || html ? RT_HTML : RT_TEXT; /* serialised XHTML is read as HTML */
	feedtags_capture(p, f, what, cm, *type_out);
}

static void atom_link_apply(struct feedxml *p, int rel_alt, const char *href, size_t n)
{
	int prio = rel_alt ? PR_HIGH : PR_LOW;
	if (p->r.link_prio < prio && resolve_into(p, RF_LINK, href, n, URL_HTTP_ONLY))
		p->r.link_prio = prio;
}

static void take_title(struct feedxml *p, enum el e, int prio, int n, const xmlChar **attrs)
{
	struct raw *r = &p->r;
	if (r->title_prio >= prio)
		return;
	r->title_prio = prio;
	if (e == E_A_TITLE) {
		text_construct(p, RF_TITLE, e, n, attrs, &r->title_t);
	} else {
		r->title_t = RT_HTML; /* RSS titles carry entities and markup too */
		feedtags_capture(p, RF_TITLE, e, M_HTML, RT_HTML);
	}
}

static void take_summary(struct feedxml *p, enum el e, int n, const xmlChar **attrs)
{
	struct raw *r = &p->r;
	switch (e) {
	case E_R_DESC:
	case E_DC_DESC:
		if (r->summary_prio < PR_HIGH) {
			r->summary_prio = PR_HIGH;
			r->summary_t = e == E_DC_DESC ? RT_TEXT : RT_HTML;
			feedtags_capture(p, RF_SUMMARY, e, e == E_DC_DESC ? M_TEXT : M_HTML, r->summary_t);
		} else if (e == E_R_DESC && r->content_prio < PR_LOW) {
			/* description and summary both: the second is the content */
			r->content_prio = PR_LOW;
			r->content_t = RT_HTML;
			feedtags_capture(p, RF_CONTENT, e, M_HTML, RT_HTML);
		}
		break;
	case E_M_DESC:
	case E_IT_SUMMARY: {
		int prio = e == E_M_DESC ? PR_LOW : PR_ITUNES;
		if (r->summary_prio < prio) {
			r->summary_prio = prio;
			r->summary_t = attr_is(n, attrs, "type", "html") ? RT_HTML : RT_TEXT;
			feedtags_capture(p, RF_SUMMARY, e, r->summary_t == RT_HTML ? M_HTML : M_TEXT,
				r->summary_t);
		}
		break;
	}
	case E_A_SUMMARY:
		if (r->summary_prio < PR_HIGH) {
			r->summary_prio = PR_HIGH;
			text_construct(p, RF_SUMMARY, e, n, attrs, &r->summary_t);
		}
		break;
	default:
		break;
	}
}

static void take_content(struct feedxml *p, enum el e, int n, const xmlChar **attrs)
{
	struct raw *r = &p->r;
	size_t sl;
	if (r->content_prio >= PR_HIGH || (e == E_A_CONTENT && feedtags_attr(n, attrs, "src", &sl)))
		return;
	r->content_prio = PR_HIGH;
	if (e == E_A_CONTENT) {
		text_construct(p, RF_CONTENT, e, n, attrs, &r->content_t);
		return;
	}
	r->content_t = RT_HTML;
	feedtags_capture(p, RF_CONTENT, e, e == E_X_BODY ? M_XHTML : M_HTML, RT_HTML);
	if (e == E_X_BODY)
		p->div_depth = -1; /* no wrapper div to skip */
}

static void take_author(struct feedxml *p, enum el e)
{
	struct raw *r = &p->r;
	int prio = e == E_R_AUTHOR ? PR_HIGH : e == E_DC_CREATOR ? PR_LOW : PR_ITUNES;
	if (e == E_A_AUTHOR) {
		if (r->author_prio < PR_HIGH) {
			p->person_depth = p->depth;
			p->person_feed = 0;
			raw_clear(r, RF_ANAME);
			raw_clear(r, RF_AEMAIL);
		}
	} else if (r->author_prio < prio) {
		r->author_prio = prio;
		r->rss_author = e != E_IT_AUTHOR;
		feedtags_capture(p, RF_AUTHOR, e, M_TEXT, RT_TEXT);
	}
}

static void take_link(struct feedxml *p, int n, const xmlChar **attrs)
{
	size_t hl = 0, rl = 0;
	const xmlChar *href = feedtags_attr(n, attrs, "href", &hl);
	const xmlChar *rel = feedtags_attr(n, attrs, "rel", &rl);
	int alt = !rel || (rl == 9 && !strncmp((const char *)rel, "alternate", 9));
	int encl = rel && rl == 9 && !strncmp((const char *)rel, "enclosure", 9);
	if (href) {
		if (encl) {
			size_t tl = 0, ll = 0;
			const xmlChar *t = feedtags_attr(n, attrs, "type", &tl);
			const xmlChar *l = feedtags_attr(n, attrs, "length", &ll);
			add_encl(p, href, hl, t, tl, l, ll);
		}
		struct buf hb = BUF_INIT;
		if (feedtags_attr_value(&hb, href, hl) < 0)
			p->oom = 1;
		else
			atom_link_apply(p, alt, hb.data, hb.len);
		buf_free(&hb);
	} else if (!encl && p->r.link_prio < (alt ? PR_HIGH : PR_LOW)) {
		/* Atom 0.3-era feeds put the address in the element */
		p->link_rel = alt;
		feedtags_capture(p, RF_TMP, E_LINK_TEXT, M_TEXT, RT_TEXT);
	}
}

/* An item child starts: decide what, if anything, to capture. */
void feedtags_child(struct feedxml *p, enum el e, int n, const xmlChar **attrs)
{
	struct raw *r = &p->r;
	switch (e) {
	case E_R_TITLE:
	case E_A_TITLE:
		take_title(p, e, PR_HIGH, n, attrs);
		break;
	case E_DC_TITLE:
		take_title(p, e, PR_LOW, n, attrs);
		break;
	case E_R_LINK:
		if (r->link_prio < PR_HIGH)
			feedtags_capture(p, RF_TMP, e, M_TEXT, RT_TEXT);
		break;
	case E_R_GUID:
	case E_A_ID:
		if (!r->key_set) {
			r->guid_perma = e == E_R_GUID && !attr_is(n, attrs, "isPermaLink", "false");
			feedtags_capture(p, RF_KEY, e, M_TEXT, RT_TEXT);
		}
		break;
	case E_R_DESC:
	case E_DC_DESC:
	case E_M_DESC:
	case E_A_SUMMARY:
	case E_IT_SUMMARY:
		take_summary(p, e, n, attrs);
		break;
	case E_A_CONTENT:
	case E_ENCODED:
	case E_R_FULLITEM:
	case E_R_BODY:
	case E_X_BODY:
		take_content(p, e, n, attrs);
		break;
	case E_R_AUTHOR:
	case E_DC_CREATOR:
	case E_A_AUTHOR:
	case E_IT_AUTHOR:
		take_author(p, e);
		break;
	case E_R_CATEGORY:
	case E_DC_SUBJECT:
	case E_R_TAGS:
		feedtags_capture(p, RF_TMP, e, M_TEXT, RT_TEXT);
		break;
	case E_A_CATEGORY: {
		size_t len;
		const xmlChar *v = feedtags_attr(n, attrs, "term", &len);
		if (!v || !len)
			v = feedtags_attr(n, attrs, "label", &len);
		if (v && len) {
			if (feedtags_attr_value(&p->ubuf, v, len) < 0)
				p->oom = 1;
			else
				raw_add_category(r, p->ubuf.data, p->ubuf.len);
		}
		break;
	}
	case E_R_PUBDATE:
	case E_A_PUBLISHED:
	case E_DT_ISSUED:
		feedtags_capture(p, RF_PUBLISHED, e, M_TEXT, RT_TEXT); /* the last one wins */
		break;
	case E_A_CREATED:
	case E_DT_CREATED:
		feedtags_capture(p, RF_CREATED, e, M_TEXT, RT_TEXT);
		break;
	case E_A_UPDATED:
	case E_DT_MODIFIED:
		feedtags_capture(p, RF_UPDATED, e, M_TEXT, RT_TEXT);
		break;
	case E_DC_DATE:
		feedtags_capture(p, RF_DC_DATE, e, M_TEXT, RT_TEXT);
		break;
	case E_R_ENCLOSURE:
	case E_M_CONTENT: {
		size_t ul = 0, tl = 0, ll = 0;
		const xmlChar *u = feedtags_attr(n, attrs, "url", &ul);
		const xmlChar *t = feedtags_attr(n, attrs, "type", &tl);
		const xmlChar *l = feedtags_attr(n, attrs, e == E_M_CONTENT ? "fileSize" : "length", &ll);
		if (u)
			add_encl(p, u, ul, t, tl, l, ll);
		break;
	}
	case E_IT_IMAGE: {
		size_t hl = 0;
		const xmlChar *h = feedtags_attr(n, attrs, "href", &hl);
		if (h && !r->f[RF_IMAGE].len && feedtags_attr_value(&p->ubuf, h, hl) == 0)
			resolve_into(p, RF_IMAGE, p->ubuf.data, p->ubuf.len, URL_HTTP_ONLY);
		break;
	}
	case E_A_LINK:
		take_link(p, n, attrs);
		break;
	case E_M_GROUP:
		p->group_depth = p->depth;
		break;
	default:
		break;
	}
}

/* A capture ends (the element closed). */
void feedtags_capture_end(struct feedxml *p)
{
	struct raw *r = &p->r;
	struct buf *b = &r->f[p->cap];
	p->capturing = 0;
	if (p->cap_mode == M_B64) {
		base64_decode(b);
		if (p->cap == RF_TITLE)
			r->title_t = p->cap_type;
		else if (p->cap == RF_SUMMARY)
			r->summary_t = p->cap_type;
		else if (p->cap == RF_CONTENT)
			r->content_t = p->cap_type;
	}
	const char *s = b->data ? b->data : "";
	switch (p->cap_what) {
	case E_R_LINK:
		if (resolve_into(p, RF_LINK, s, b->len, URL_HTTP_ONLY))
			r->link_prio = PR_HIGH;
		break;
	case E_LINK_TEXT:
		atom_link_apply(p, p->link_rel, s, b->len);
		break;
	case E_R_GUID:
		r->key_set = b->len > 0;
		if (r->guid_perma && b->len && !resolve_into(p, RF_GUID_URL, s, b->len, URL_HTTP_ONLY))
			raw_clear(r, RF_GUID_URL);
		break;
	case E_A_ID:
		r->key_set = b->len > 0;
		/* Atom 0.3 feeds give relative ids; resolve path-like ones only,
		 * so opaque ids ("tag:", "urn:", plain words) stay as they are. */
		if (b->len && (s[0] == '/' || !strncmp(s, "./", 2) || !strncmp(s, "../", 3)) &&
		    cur_base(p)) {
			int rc = url_resolve_buf(&p->ur, &p->ubuf, cur_base(p), s, b->len, 0);
			if (rc < 0)
				p->oom = 1;
			else if (rc == 1)
				raw_set(r, RF_KEY, p->ubuf.data, p->ubuf.len);
		}
		break;
	case E_R_CATEGORY:
	case E_DC_SUBJECT:
		if (b->len)
			raw_add_category(r, s, b->len);
		break;
	case E_R_TAGS:
		if (b->len)
			raw_add_category_list(r, s, b->len);
		break;
	default:
		break;
	}
}

