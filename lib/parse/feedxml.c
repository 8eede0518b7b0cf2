/* Layers: xmlfilter.c repairs the bytes; libxml2's SAX2 push parser
 * reads them; the callbacks below classify each item child once (the tag
 * table) and capture its text into a raw field (text, HTML with stray
 * markup, XHTML serialised as HTML, base64); an item whose end tag is
 * seen goes to the callback. Nothing is allocated per element: fields
 * are buffers reused from item to item, and element names are compared
 * in place. */
#include "parse/feedxml.h"

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"
#include "core/url.h"
#include "parse/xmlfilter.h"

/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
#define XERR const xmlError *
#else
#define XERR xmlErrorPtr
#endif

#define NS_ATOM10 "http://www.w3.org/2005/Atom"
#define NS_ATOM03 "http://purl.org/atom/ns#"
#define NS_RSS10 "http://purl.org/rss/1.0/"
#define NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_XHTML "http://www.w3.org/1999/xhtml"

#define MAX_BASES 32
#define MAX_ENT_CLONES 1024
#define KEEP_MAX (1u << 20) /* raw buffers kept between items */

/* Which of competing elements fills a field: a higher one replaces a
 * lower one; of equals, the first wins. */
enum { PR_ITUNES = 1, PR_LOW = 2, PR_HIGH = 3 };

/* ---- the tag table ---------------------------------------------------------- */

enum nsc { N_OTHER = 0, N_RSS, N_ATOM, N_DC, N_DCTERMS, N_CONTENT, N_MEDIA, N_XHTML, N_RDF, N_ITUNES };

enum el {
	E_OTHER = 0,
	E_R_TITLE, E_R_LINK, E_R_GUID, E_R_DESC, E_R_AUTHOR, E_R_CATEGORY, E_R_TAGS,
	E_R_PUBDATE, E_R_ENCLOSURE, E_R_FULLITEM, E_R_BODY,
	E_A_TITLE, E_A_LINK, E_A_ID, E_A_SUMMARY, E_A_CONTENT, E_A_AUTHOR, E_A_CATEGORY,
	E_A_PUBLISHED, E_A_CREATED, E_A_UPDATED,
	E_DC_TITLE, E_DC_DESC, E_DC_CREATOR, E_DC_SUBJECT, E_DC_DATE,
	E_DT_ISSUED, E_DT_CREATED, E_DT_MODIFIED, E_ENCODED,
	E_M_CONTENT, E_M_DESC, E_M_GROUP, E_X_BODY,
	E_IT_SUMMARY, E_IT_AUTHOR, E_IT_IMAGE,
	/* capture targets that are not item children */
	E_NAME, E_EMAIL, E_LINK_TEXT,
};

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

/* ---- the parser ------------------------------------------------------------ */

enum root { R_NONE = 0, R_RSS, R_RDF, R_ATOM };
enum cmode { M_TEXT = 0, M_HTML, M_XHTML, M_B64 };

struct ent_clone {
	xmlEntity e;
	struct ent_clone *next;
};

struct base {
	int depth;
	char *url;
};

struct feedxml {
	char *base_url;
	raw_item_fn fn;
	void *ctx;
	struct xmlfilter filt;
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	char head[4]; /* first bytes, for libxml2's encoding detection */
	size_t headlen;
	struct url_resolver ur;
	struct buf ubuf;
	struct raw r; /* the item being read */

	/* document state */
	enum root root;
	int atom_bare; /* <feed> in no namespace: its children are Atom's */
	const char *format;
	int depth, channel_depth;
	int item_depth;  /* 0 outside an item */
	int group_depth; /* media:group inside an item */
	int person_depth, person_feed;
	char *feed_author;
	struct base bases[MAX_BASES];
	int nbases;
	/* libxml2 hands names from its dictionary, so the same element comes
	 * back with the same pointer: the last answer per slot is kept, and
	 * checked with one compare instead of a search. */
	struct {
		const xmlChar *name;
		enum nsc ns;
		const struct tag *tag;
	} el_cache[32];
	const xmlChar *ns_ptr[8]; /* namespace names, likewise */
	enum nsc ns_cls[8];
	int ns_next;

	/* capture */
	int capturing;
	enum raw_field cap;
	int cap_depth;
	enum cmode cap_mode;
	enum el cap_what;
	enum raw_type cap_type; /* after base64 decoding */
	size_t open_pos;        /* end of the last serialised start tag */
	int div_depth;          /* XHTML wrapper div being skipped */
	int link_rel;           /* for an Atom link given as element text */

	struct ent_clone *clones;
	size_t nclones;

	/* outcome */
	int stopped, oom, fatal; /* fatal: the parse cannot continue */
	int xerr;                /* first XML error recorded */
	int xline, xcol;
	char xmsg[400];
	char fatal_msg[512];
};

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int streq(const xmlChar *a, const char *b) { return !strcmp((const char *)a, b); }

static enum nsc ns_class(struct feedxml *p, const xmlChar *uri)
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

static enum el classify(struct feedxml *p, enum nsc ns, const xmlChar *name)
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

static const char *cur_base(const struct feedxml *p)
{
	return p->nbases ? p->bases[p->nbases - 1].url : p->base_url;
}

/* ---- small helpers ------------------------------------------------------- */

static void put(struct feedxml *p, const char *s, size_t n) { raw_put(&p->r, p->cap, s, n); }

static void put_escaped(struct feedxml *p, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '<' ? "&lt;" : s[i] == '&' ? "&amp;" : NULL;
		if (!rep)
			continue;
		put(p, s + st, i - st);
		put(p, rep, rep[1] == 'l' ? 4 : 5);
		st = i + 1;
	}
	put(p, s + st, n - st);
}

/* Attribute values in SAX2 are (value, end) pairs; libxml2 leaves '&'
 * as "&#38;" when it does not substitute entities. */
static const xmlChar *attr_find(int n, const xmlChar **attrs, const char *name, size_t *len)
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
static int attr_value(struct buf *b, const xmlChar *v, size_t n)
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
	const xmlChar *v = attr_find(n, attrs, name, &len);
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
	if (attr_value(&v, url, ulen) < 0) {
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
		else if (is_ws(c))
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

static void capture(struct feedxml *p, enum raw_field f, enum el what, enum cmode m,
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
	const char *t = (const char *)attr_find(n, attrs, "type", &tl);
	const char *m = (const char *)attr_find(n, attrs, "mode", &ml);
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
	capture(p, f, what, cm, *type_out);
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
		capture(p, RF_TITLE, e, M_HTML, RT_HTML);
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
			capture(p, RF_SUMMARY, e, e == E_DC_DESC ? M_TEXT : M_HTML, r->summary_t);
		} else if (e == E_R_DESC && r->content_prio < PR_LOW) {
			/* description and summary both: the second is the content */
			r->content_prio = PR_LOW;
			r->content_t = RT_HTML;
			capture(p, RF_CONTENT, e, M_HTML, RT_HTML);
		}
		break;
	case E_M_DESC:
	case E_IT_SUMMARY: {
		int prio = e == E_M_DESC ? PR_LOW : PR_ITUNES;
		if (r->summary_prio < prio) {
			r->summary_prio = prio;
			r->summary_t = attr_is(n, attrs, "type", "html") ? RT_HTML : RT_TEXT;
			capture(p, RF_SUMMARY, e, r->summary_t == RT_HTML ? M_HTML : M_TEXT,
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
	if (r->content_prio >= PR_HIGH || (e == E_A_CONTENT && attr_find(n, attrs, "src", &sl)))
		return;
	r->content_prio = PR_HIGH;
	if (e == E_A_CONTENT) {
		text_construct(p, RF_CONTENT, e, n, attrs, &r->content_t);
		return;
	}
	r->content_t = RT_HTML;
	capture(p, RF_CONTENT, e, e == E_X_BODY ? M_XHTML : M_HTML, RT_HTML);
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
		capture(p, RF_AUTHOR, e, M_TEXT, RT_TEXT);
	}
}

static void take_link(struct feedxml *p, int n, const xmlChar **attrs)
{
	size_t hl = 0, rl = 0;
	const xmlChar *href = attr_find(n, attrs, "href", &hl);
	const xmlChar *rel = attr_find(n, attrs, "rel", &rl);
	int alt = !rel || (rl == 9 && !strncmp((const char *)rel, "alternate", 9));
	int encl = rel && rl == 9 && !strncmp((const char *)rel, "enclosure", 9);
	if (href) {
		if (encl) {
			size_t tl = 0, ll = 0;
			const xmlChar *t = attr_find(n, attrs, "type", &tl);
			const xmlChar *l = attr_find(n, attrs, "length", &ll);
			add_encl(p, href, hl, t, tl, l, ll);
		}
		struct buf hb = BUF_INIT;
		if (attr_value(&hb, href, hl) < 0)
			p->oom = 1;
		else
			atom_link_apply(p, alt, hb.data, hb.len);
		buf_free(&hb);
	} else if (!encl && p->r.link_prio < (alt ? PR_HIGH : PR_LOW)) {
		/* Atom 0.3-era feeds put the address in the element */
		p->link_rel = alt;
		capture(p, RF_TMP, E_LINK_TEXT, M_TEXT, RT_TEXT);
	}
}

/* An item child starts: decide what, if anything, to capture. */
static void item_child(struct feedxml *p, enum el e, int n, const xmlChar **attrs)
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
			capture(p, RF_TMP, e, M_TEXT, RT_TEXT);
		break;
	case E_R_GUID:
	case E_A_ID:
		if (!r->key_set) {
			r->guid_perma = e == E_R_GUID && !attr_is(n, attrs, "isPermaLink", "false");
			capture(p, RF_KEY, e, M_TEXT, RT_TEXT);
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
		capture(p, RF_TMP, e, M_TEXT, RT_TEXT);
		break;
	case E_A_CATEGORY: {
		size_t len;
		const xmlChar *v = attr_find(n, attrs, "term", &len);
		if (!v || !len)
			v = attr_find(n, attrs, "label", &len);
		if (v && len) {
			if (attr_value(&p->ubuf, v, len) < 0)
				p->oom = 1;
			else
				raw_add_category(r, p->ubuf.data, p->ubuf.len);
		}
		break;
	}
	case E_R_PUBDATE:
	case E_A_PUBLISHED:
	case E_DT_ISSUED:
		capture(p, RF_PUBLISHED, e, M_TEXT, RT_TEXT); /* the last one wins */
		break;
	case E_A_CREATED:
	case E_DT_CREATED:
		capture(p, RF_CREATED, e, M_TEXT, RT_TEXT);
		break;
	case E_A_UPDATED:
	case E_DT_MODIFIED:
		capture(p, RF_UPDATED, e, M_TEXT, RT_TEXT);
		break;
	case E_DC_DATE:
		capture(p, RF_DC_DATE, e, M_TEXT, RT_TEXT);
		break;
	case E_R_ENCLOSURE:
	case E_M_CONTENT: {
		size_t ul = 0, tl = 0, ll = 0;
		const xmlChar *u = attr_find(n, attrs, "url", &ul);
		const xmlChar *t = attr_find(n, attrs, "type", &tl);
		const xmlChar *l = attr_find(n, attrs, e == E_M_CONTENT ? "fileSize" : "length", &ll);
		if (u)
			add_encl(p, u, ul, t, tl, l, ll);
		break;
	}
	case E_IT_IMAGE: {
		size_t hl = 0;
		const xmlChar *h = attr_find(n, attrs, "href", &hl);
		if (h && !r->f[RF_IMAGE].len && attr_value(&p->ubuf, h, hl) == 0)
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
static void capture_end(struct feedxml *p)
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

/* ---- SAX callbacks ------------------------------------------------------- */

static void set_fatal(struct feedxml *p, const char *fmt, const char *a, const char *b)
{
	if (p->fatal)
		return;
	p->fatal = 1;
	snprintf(p->fatal_msg, sizeof p->fatal_msg, fmt, a, b);
	if (p->ctxt)
		xmlStopParser(p->ctxt);
}

static const char *rss_version(int n, const xmlChar **attrs)
{
	size_t vl = 0;
	const char *v = (const char *)attr_find(n, attrs, "version", &vl);
	static const char *const known[] = {"0.91", "0.92", "0.93", "0.94"};
	static const char *const names[] = {"rss0.91", "rss0.92", "rss0.93", "rss0.94"};
	if (!v)
		return "rss";
	if (vl >= 2 && !strncmp(v, "2.", 2))
		return "rss2.0";
	for (size_t i = 0; i < 4; i++)
		if (vl == 4 && !strncmp(v, known[i], 4))
			return names[i];
	return "rss";
}

static void start_root(struct feedxml *p, const xmlChar *name, const xmlChar *prefix,
		       const xmlChar *uri, int nns, const xmlChar **nss, int n,
		       const xmlChar **attrs)
{
	enum nsc ns = ns_class(p, uri);
	if (ns == N_RSS && streq(name, "rss")) {
		p->root = R_RSS;
		p->format = rss_version(n, attrs);
		return;
	}
	if (ns == N_RDF && streq(name, "RDF")) {
		for (int i = 0; i < nns; i++) {
			const char *u = (const char *)nss[2 * i + 1];
			if (u && !strcmp(u, NS_RSS10))
				p->format = "rss1.0";
			else if (u && !strcmp(u, NS_RSS090) && !p->format)
				p->format = "rss0.90";
		}
		if (p->format) {
			p->root = R_RDF;
			return;
		}
	}
	if (streq(name, "feed") && (!uri || !*uri || ns == N_ATOM)) {
		/* Real feeds leave out the namespace: <feed> is Atom all the same. */
		p->root = R_ATOM;
		p->atom_bare = !uri || !*uri;
		p->format = p->atom_bare ? "atom" : !strcmp((const char *)uri, NS_ATOM10) ? "atom1.0" : "atom0.3";
		return;
	}
	if (prefix)
		set_fatal(p, "not an RSS, Atom or JSON feed (root element <%s:%s>)",
			  (const char *)prefix, (const char *)name);
	else
		set_fatal(p, "not an RSS, Atom or JSON feed (root element <%s%s>)",
			  (const char *)name, "");
}

static void push_base(struct feedxml *p, int n, const xmlChar **attrs)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (!a[2] || strcmp((const char *)a[2], (const char *)XML_XML_NAMESPACE) != 0 ||
		    !streq(a[0], "base"))
			continue;
		if (p->nbases >= MAX_BASES)
			return;
		struct buf v = BUF_INIT;
		char *u = NULL;
		if (attr_value(&v, a[3], (size_t)(a[4] - a[3])) < 0)
			p->oom = 1;
		else
			u = url_resolve(&p->ur, cur_base(p), v.data, v.len, 0);
		buf_free(&v);
		if (u) {
			p->bases[p->nbases].depth = p->depth;
			p->bases[p->nbases].url = u;
			p->nbases++;
		}
		return;
	}
}

/* Markup inside a captured HTML or XHTML field is kept as text. */
static void capture_start_tag(struct feedxml *p, const xmlChar *name, const xmlChar *uri)
{
	if (p->cap_mode != M_HTML && p->cap_mode != M_XHTML)
		return;
	if (p->cap_mode == M_XHTML && p->div_depth == 0 && p->depth == p->cap_depth + 1 &&
	    streq(name, "div") && uri && !strcmp((const char *)uri, NS_XHTML)) {
		p->div_depth = p->depth;
		return;
	}
	put(p, "<", 1);
	put(p, (const char *)name, strlen((const char *)name));
	put(p, ">", 1);
	p->open_pos = p->r.f[p->cap].len;
}

static void person_child(struct feedxml *p, enum nsc ns, const xmlChar *name)
{
	if (p->depth != p->person_depth + 1 || ns != N_ATOM)
		return;
	if (streq(name, "name"))
		capture(p, RF_ANAME, E_NAME, M_TEXT, RT_TEXT);
	else if (streq(name, "email"))
		capture(p, RF_AEMAIL, E_EMAIL, M_TEXT, RT_TEXT);
}

/* Outside an item: the channel, an item's start, the feed's author. */
static void outside_item(struct feedxml *p, enum nsc ns, const xmlChar *name, int n,
			 const xmlChar **attrs)
{
	if (p->root == R_ATOM) {
		if (p->depth == 2 && ns == N_ATOM && streq(name, "entry")) {
			p->item_depth = p->depth;
		} else if (p->depth == 2 && ns == N_ATOM && streq(name, "author") && !p->feed_author) {
			p->person_depth = p->depth;
			p->person_feed = 1;
			raw_clear(&p->r, RF_ANAME);
			raw_clear(&p->r, RF_AEMAIL);
		} else if (p->person_depth) {
			person_child(p, ns, name);
		}
	} else if (ns == N_RSS) {
		if (p->depth == 2 && streq(name, "channel"))
			p->channel_depth = 2;
		else if (streq(name, "item") &&
			 (p->depth == 2 || (p->depth == 3 && p->channel_depth == 2)))
			p->item_depth = p->depth;
	}
	if (!p->item_depth)
		return;
	p->group_depth = 0; /* p->r was reset after the last item */
	for (int i = 0; i < n; i++)
		if (attrs[5 * i + 2] && !strcmp((const char *)attrs[5 * i + 2], NS_RDF) &&
		    streq(attrs[5 * i], "about")) {
			if (attr_value(&p->ubuf, attrs[5 * i + 3],
				       (size_t)(attrs[5 * i + 4] - attrs[5 * i + 3])) < 0)
				p->oom = 1;
			else
				raw_set(&p->r, RF_ABOUT, p->ubuf.data, p->ubuf.len);
		}
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		     int nns, const xmlChar **nss, int n, int ndef, const xmlChar **attrs)
{
	(void)ndef;
	struct feedxml *p = ctx;
	if (p->fatal || p->stopped)
		return;
	p->depth++;
	if (n)
		push_base(p, n, attrs);
	if (p->depth == 1) {
		start_root(p, name, prefix, uri, nns, nss, n, attrs);
		return;
	}
	if (p->capturing) {
		capture_start_tag(p, name, uri);
		return;
	}
	enum nsc ns = ns_class(p, uri);
	if (p->atom_bare && ns == N_RSS)
		ns = N_ATOM;
	if (!p->item_depth)
		outside_item(p, ns, name, n, attrs);
	else if (p->person_depth)
		person_child(p, ns, name);
	else if (p->depth == p->item_depth + 1 || (p->group_depth && p->depth == p->group_depth + 1))
		item_child(p, classify(p, ns, name), n, attrs);
}

/* The item ended: hand it on, and start the next one empty. */
static void emit(struct feedxml *p)
{
	if (p->r.oom)
		p->oom = 1;
	if (!p->oom && p->fn(p->ctx, &p->r, p->feed_author) != 0)
		p->stopped = 1;
	raw_reset(&p->r);
	/* one huge item must not keep its buffers for the whole run */
	if (raw_allocated(&p->r) > KEEP_MAX)
		raw_free(&p->r);
	if ((p->stopped || p->oom) && p->ctxt)
		xmlStopParser(p->ctxt);
}

static void capture_end_tag(struct feedxml *p, const char *name)
{
	struct buf *b = &p->r.f[p->cap];
	if (p->depth == p->div_depth) {
		p->div_depth = -1;
	} else if (b->len == p->open_pos && b->len && b->data[b->len - 1] == '>') {
		/* nothing inside: <br></br> reads oddly, write <br/> */
		b->data[b->len - 1] = '/';
		put(p, ">", 1);
	} else {
		put(p, "</", 2);
		put(p, name, strlen(name));
		put(p, ">", 1);
	}
}

static void end_depth(struct feedxml *p, const char *name)
{
	if (p->capturing) {
		if (p->depth == p->cap_depth)
			capture_end(p);
		else if (p->depth > p->cap_depth && (p->cap_mode == M_HTML || p->cap_mode == M_XHTML))
			capture_end_tag(p, name);
	}
	if (p->person_depth && p->depth == p->person_depth) {
		if (p->person_feed) {
			p->feed_author = raw_person(&p->r);
		} else if (p->r.author_prio < PR_HIGH) {
			p->r.author_prio = PR_HIGH;
			raw_clear(&p->r, RF_AUTHOR);
			p->r.rss_author = 0;
		}
		p->person_depth = 0;
	}
	if (p->group_depth && p->depth == p->group_depth)
		p->group_depth = 0;
	if (p->item_depth && p->depth == p->item_depth) {
		p->item_depth = 0;
		emit(p);
	}
	if (p->channel_depth && p->depth == p->channel_depth)
		p->channel_depth = 0;
	while (p->nbases && p->bases[p->nbases - 1].depth == p->depth)
		free(p->bases[--p->nbases].url);
	p->depth--;
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	(void)prefix;
	(void)uri;
	struct feedxml *p = ctx;
	if (p->fatal || p->stopped || p->depth <= 0)
		return;
	end_depth(p, (const char *)name);
}

static void on_chars(void *ctx, const xmlChar *s, int len)
{
	struct feedxml *p = ctx;
	if (!p->capturing || len <= 0)
		return;
	if (p->cap_mode == M_XHTML)
		put_escaped(p, (const char *)s, (size_t)len);
	else
		put(p, (const char *)s, (size_t)len);
}

/* The SAX2 handlers that keep the DTD's entity declarations: ctx is ours,
 * they want the parser context. */
static void on_start_document(void *ctx) { xmlSAX2StartDocument(((struct feedxml *)ctx)->ctxt); }

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext,
			       const xmlChar *sys)
{
	xmlSAX2InternalSubset(((struct feedxml *)ctx)->ctxt, name, ext, sys);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
			   const xmlChar *sys, xmlChar *content)
{
	xmlSAX2EntityDecl(((struct feedxml *)ctx)->ctxt, name, type, pub, sys, content);
}

static xmlEntityPtr on_get_parameter_entity(void *ctx, const xmlChar *name)
{
	return xmlSAX2GetParameterEntity(((struct feedxml *)ctx)->ctxt, name);
}

/* A text entity handed back as if predefined: libxml2 then passes its
 * text straight to on_chars. Owned by the parser (p->clones). */
static xmlEntityPtr clone_entity(struct feedxml *p, const xmlChar *name, const char *content)
{
	if (p->nclones >= MAX_ENT_CLONES)
		return NULL;
	struct ent_clone *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->e.type = XML_ENTITY_DECL;
	e->e.etype = XML_INTERNAL_PREDEFINED_ENTITY;
	e->e.name = xmlStrdup(name);
	e->e.content = xmlStrdup((const xmlChar *)content);
	if (!e->e.name || !e->e.content) {
		xmlFree((xmlChar *)e->e.name);
		xmlFree(e->e.content);
		free(e);
		return NULL;
	}
	e->e.length = (int)strlen(content);
	e->next = p->clones;
	p->clones = e;
	p->nclones++;
	return &e->e;
}

/* Entities the document declares are read through here. Plain-text
 * internal ones come back as predefined clones; external ones as empty
 * text, so nothing is ever loaded; one with nested references is
 * libxml2's own, expanded under its amplification limits. Undeclared
 * names (only reached when the filter left names alone) are HTML
 * entities or kept literally. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
	struct feedxml *p = ctx;
	for (struct ent_clone *e = p->clones; e; e = e->next)
		if (streq(e->e.name, (const char *)name))
			return &e->e;
	xmlEntityPtr decl = xmlSAX2GetEntity(p->ctxt, name);
	char val[64];
	const char *content;
	if (decl) {
		if (decl->etype == XML_INTERNAL_PREDEFINED_ENTITY)
			return decl;
		if (decl->etype != XML_INTERNAL_GENERAL_ENTITY)
			return clone_entity(p, name, "");
		if (decl->content && strpbrk((const char *)decl->content, "&<"))
			return decl;
		return clone_entity(p, name, decl->content ? (const char *)decl->content : "");
	}
	size_t nl = strlen((const char *)name);
	unsigned long cp = text_html_entity((const char *)name, nl);
	if (cp) {
		char u[5] = {0};
		utf8_encode((uint32_t)cp, u);
		content = u;
		return clone_entity(p, name, content);
	}
	if (nl + 3 >= sizeof val)
		return NULL;
	snprintf(val, sizeof val, "&%s;", (const char *)name);
	return clone_entity(p, name, val);
}

static void on_error(void *ctx, XERR e)
{
	struct feedxml *p = ctx;
	if (!p || !e || e->level != XML_ERR_FATAL || p->xerr)
		return;
	p->xerr = 1;
	p->xline = e->line;
	p->xcol = e->int2;
	snprintf(p->xmsg, sizeof p->xmsg, "%s", e->message ? e->message : "malformed XML");
	size_t n = strlen(p->xmsg);
	while (n && (p->xmsg[n - 1] == '\n' || p->xmsg[n - 1] == ' '))
		p->xmsg[--n] = '\0';
}

static void on_global_error(void *data, XERR e)
{
	(void)data;
	(void)e;
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* Errors libxml2 raises outside the parser context (encoding
 * conversion) would go to stderr: silenced while we parse. */
static void swap_handlers(int on)
{
	static _Thread_local xmlStructuredErrorFunc old_s;
	static _Thread_local void *old_sctx;
	static _Thread_local xmlGenericErrorFunc old_g;
	static _Thread_local void *old_gctx;
	if (on) {
		old_s = xmlStructuredError;
		old_sctx = xmlStructuredErrorContext;
		old_g = xmlGenericError;
		old_gctx = xmlGenericErrorContext;
		xmlSetStructuredErrorFunc(NULL, on_global_error);
		xmlSetGenericErrorFunc(NULL, quiet_generic);
	} else {
		xmlSetStructuredErrorFunc(old_sctx, old_s);
		xmlSetGenericErrorFunc(old_gctx, old_g);
	}
}

/* ---- feeding libxml2 ------------------------------------------------------- */

/* Hands bytes to libxml2, creating the context once the first four bytes
 * (its encoding detection) are known. Non-zero: stop pushing. */
static int to_libxml(void *ctx, const char *d, size_t n)
{
	struct feedxml *p = ctx;
	if (!p->ctxt) {
		while (p->headlen < 4 && n) {
			p->head[p->headlen++] = *d++;
			n--;
		}
		if (p->headlen < 4)
			return 0;
		/* user data p: every callback gets the parser, not the context */
		p->ctxt = xmlCreatePushParserCtxt(&p->sax, p, p->head, (int)p->headlen, NULL);
		if (!p->ctxt) {
			p->oom = 1;
			return 1;
		}
		/* NONET: nothing fetched; no NOENT/DTDLOAD: external entities and
		 * DTDs are never loaded; HUGE stays off so libxml2's limits on
		 * entity amplification apply. */
		xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_RECOVER);
	}
	if (n)
		xmlParseChunk(p->ctxt, d, (int)n, 0);
	return p->fatal || p->stopped || p->oom;
}

void feedxml_push(struct feedxml *p, const char *d, size_t n, int raw, int final)
{
	if (p->fatal || p->stopped || p->oom)
		return;
	swap_handlers(1);
	int rc = raw ? to_libxml(p, d, n) : xmlfilter_push(&p->filt, d, n, final, to_libxml, p);
	if (rc < 0)
		p->oom = 1;
	if (final && !p->fatal && !p->stopped && !p->oom) {
		if (!p->ctxt && p->headlen) /* a document of under four bytes */
			p->ctxt = xmlCreatePushParserCtxt(&p->sax, p, p->head, (int)p->headlen, NULL);
		if (p->ctxt)
			xmlParseChunk(p->ctxt, NULL, 0, 1);
	}
	swap_handlers(0);
}

struct feedxml *feedxml_new(const char *base_url, raw_item_fn fn, void *ctx)
{
	struct feedxml *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (base_url && *base_url && !(p->base_url = strdup(base_url))) {
		free(p);
		return NULL;
	}
	p->fn = fn;
	p->ctx = ctx;
	xmlSAXVersion(&p->sax, 2);
	p->sax.startElementNs = on_start;
	p->sax.endElementNs = on_end;
	p->sax.characters = on_chars;
	p->sax.ignorableWhitespace = on_chars;
	p->sax.cdataBlock = on_chars;
	p->sax.getEntity = on_get_entity;
	p->sax.serror = on_error;
	p->sax.startDocument = on_start_document;
	p->sax.internalSubset = on_internal_subset;
	p->sax.entityDecl = on_entity_decl;
	p->sax.getParameterEntity = on_get_parameter_entity;
	/* Everything else SAX2 would do builds a tree or loads something:
	 * off. (Its handlers expect the parser context as user data.) */
	p->sax.endDocument = NULL;
	p->sax.externalSubset = NULL;
	p->sax.resolveEntity = NULL;
	p->sax.isStandalone = NULL;
	p->sax.hasInternalSubset = NULL;
	p->sax.hasExternalSubset = NULL;
	p->sax.notationDecl = NULL;
	p->sax.attributeDecl = NULL;
	p->sax.elementDecl = NULL;
	p->sax.unparsedEntityDecl = NULL;
	p->sax.setDocumentLocator = NULL;
	p->sax.comment = NULL;
	p->sax.processingInstruction = NULL;
	p->sax.reference = NULL;
	p->sax.startElement = NULL;
	p->sax.endElement = NULL;
	p->sax.warning = NULL;
	p->sax.error = NULL;
	p->sax.fatalError = NULL;
	return p;
}

int feedxml_check(const struct feedxml *p, struct err *err, int at_end)
{
	if (p->oom || p->r.oom)
		return err_set(err, "out of memory");
	if (p->stopped)
		return err_set(err, "stopped");
	if (p->fatal)
		return err_set(err, "%s", p->fatal_msg);
	if (!at_end)
		return 0; /* a recovered error is reported at the end */
	if (p->xerr && !p->root)
		return err_set(err, "not an XML document: line %d, column %d: %s", p->xline,
			       p->xcol, p->xmsg);
	if (p->xerr)
		return err_set(err, "line %d, column %d: %s", p->xline, p->xcol, p->xmsg);
	if (!p->root)
		return err_set(err, "not an XML document");
	return 0;
}

int feedxml_stopped(const struct feedxml *p) { return p->stopped || p->oom; }

const char *feedxml_format(const struct feedxml *p) { return p->format; }

void feedxml_free(struct feedxml *p)
{
	if (!p)
		return;
	if (p->ctxt) {
		xmlCtxtReset(p->ctxt); /* frees the document SAX2 made for the DTD */
		xmlFreeParserCtxt(p->ctxt);
	}
	for (struct ent_clone *e = p->clones, *nx; e; e = nx) {
		nx = e->next;
		xmlFree((xmlChar *)e->e.name);
		xmlFree(e->e.content);
		/* libxml2 hands the raw value of a declared entity to whatever
		 * getEntity returns when its orig is empty: that is our clone. */
		xmlFree(e->e.orig);
		free(e);
	}
	while (p->nbases)
		free(p->bases[--p->nbases].url);
	raw_free(&p->r);
	xmlfilter_free(&p->filt);
	buf_free(&p->ubuf);
	url_resolver_free(&p->ur);
	free(p->feed_author);
	free(p->base_url);
	free(p);
}
