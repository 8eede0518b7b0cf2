/* RSS 2.0 and Atom 1.0 via a libxml2 tree.
 *
 * Three layers, so a streaming parser can replace the first without
 * touching the rest:
 *   1. XML: parse from memory (no network, no DTD, no entity expansion),
 *      capture errors, walk channel/item and feed/entry.
 *   2. Per-format extraction (rss_item, atom_entry): copy raw field
 *      strings and their declared types into struct raw.
 *   3. raw_finish: format-neutral conversion to struct item (HTML to
 *      text, URL resolution, dates, truncation, key).
 */
#include "feed.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "text.h"

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_XHTML "http://www.w3.org/1999/xhtml"

#define SUMMARY_MAX_DEFAULT 600
#define CONTENT_MAX (64 * 1024)
#define RAW_MAX (4 * 1024 * 1024) /* per field, before conversion */
#define MAX_CATEGORIES 64

/* ---- layer 3: raw fields to item ---------------------------------------- */

enum text_type { T_NONE = 0, T_TEXT, T_HTML, T_XHTML_MARKUP };

struct raw {
	char *title, *summary, *content; /* as found in the document */
	enum text_type title_type, summary_type, content_type;
	char *link, *link_base;          /* href and the base in effect */
	char *key;                       /* guid / id */
	char *author;                    /* plain text */
	char *published, *updated;       /* date strings */
	char *cats[MAX_CATEGORIES];
	size_t ncats;
};

static void raw_free(struct raw *r)
{
	free(r->title);
	free(r->summary);
	free(r->content);
	free(r->link);
	free(r->link_base);
	free(r->key);
	free(r->author);
	free(r->published);
	free(r->updated);
	for (size_t i = 0; i < r->ncats; i++)
		free(r->cats[i]);
	memset(r, 0, sizeof *r);
}

/* Resolves ref against base with libcurl's URL parser; only absolute http
 * and https results are kept. Returns a malloc'd string or NULL. */
static char *url_resolve_http(const char *base, const char *ref)
{
	if (!ref)
		return NULL;
	while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r')
		ref++;
	size_t n = strlen(ref);
	while (n && (ref[n - 1] == ' ' || ref[n - 1] == '\t' || ref[n - 1] == '\n' ||
		     ref[n - 1] == '\r'))
		n--;
	if (!n)
		return NULL;
	char *r = strndup(ref, n);
	CURLU *h = curl_url();
	char *out = NULL, *scheme = NULL, *res = NULL;
	if (!r || !h)
		goto done;
	if (base && curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(h);
		if (!(h = curl_url()))
			goto done;
	}
	if (curl_url_set(h, CURLUPART_URL, r, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto done;
	res = strdup(out);
done:
	curl_free(out);
	curl_free(scheme);
	curl_url_cleanup(h);
	free(r);
	return res;
}

/* Any absolute URL (for bases, which may be non-http only in theory). */
static char *url_resolve_any(const char *base, const char *ref)
{
	CURLU *h = curl_url();
	char *out = NULL, *res = NULL;
	if (!h)
		return NULL;
	if (base && curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(h);
		if (!(h = curl_url()))
			return NULL;
	}
	if (curl_url_set(h, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_URL, &out, 0) == CURLUE_OK)
		res = strdup(out);
	curl_free(out);
	curl_url_cleanup(h);
	return res;
}

static char *to_text(const char *s, enum text_type t)
{
	if (!s)
		return NULL;
	char *out = t == T_TEXT ? text_clean(s, strlen(s)) : text_from_html(s, strlen(s));
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

/* Titles are one line. The folding in text.c leaves no space next to a
 * line break, so each run of breaks becomes exactly one space. */
static void one_line(char *s)
{
	char *w = s;
	for (const char *p = s; *p; p++) {
		if (*p == '\n') {
			while (p[1] == '\n')
				p++;
			*w++ = ' ';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* "jane@example.com (Jane Doe)" is how RSS wants authors; keep the name. */
static void rss_author_name(char *s)
{
	char *open = strchr(s, '(');
	size_t n = strlen(s);
	if (!open || n < 2 || s[n - 1] != ')' || open == s)
		return;
	char *at = strchr(s, '@');
	if (!at || at > open)
		return;
	size_t len = (size_t)(s + n - 1 - (open + 1));
	if (!len)
		return;
	memmove(s, open + 1, len);
	s[len] = '\0';
}

static int raw_finish(const struct raw *r, size_t summary_max, struct item *it)
{
	/* NULL from to_text means empty (or out of memory): the field stays unset. */
	it->title = to_text(r->title, r->title_type);
	it->summary = to_text(r->summary, r->summary_type);
	it->content = to_text(r->content, r->content_type);
	if (it->title)
		one_line(it->title);
	if (it->summary)
		text_truncate(it->summary, summary_max);
	if (it->content)
		text_truncate(it->content, CONTENT_MAX);
	if (r->author && (it->author = text_clean(r->author, strlen(r->author)))) {
		one_line(it->author);
		if (!*it->author) {
			free(it->author);
			it->author = NULL;
		}
	}
	if (r->link)
		it->url = url_resolve_http(r->link_base, r->link);
	if (r->key) {
		char *k = text_clean(r->key, strlen(r->key));
		if (k && *k)
			it->key = k;
		else
			free(k);
	}
	for (size_t i = 0; i < r->ncats; i++) {
		char *c = text_clean(r->cats[i], strlen(r->cats[i]));
		if (!c)
			return -1;
		one_line(c);
		int dup = !*c;
		for (size_t j = 0; !dup && j < it->ncategories; j++)
			dup = strcmp(it->categories[j], c) == 0;
		int rc = dup ? 0 : item_add_category(it, c);
		free(c);
		if (rc < 0)
			return -1;
	}
	it->published = date_parse(r->published);
	it->updated = date_parse(r->updated);
	return item_ensure_key(it);
}

/* ---- layer 1: XML helpers ------------------------------------------------ */

struct ctx {
	xmlDoc *doc;
	const char *base_url;
	size_t summary_max;
	char *feed_author; /* Atom: entries inherit the feed's author */
	int oom;
};

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
		return 0;
	if (!ns)
		return n->ns == NULL || n->ns->href == NULL || !*n->ns->href;
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static char *attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

static void put(struct ctx *c, struct buf *b, const char *s, size_t n)
{
	if (b->len + n > RAW_MAX)
		return;
	if (buf_append(b, s, n) < 0)
		c->oom = 1;
}

/* A reference to an entity the document declares is expanded only when
 * its value is plain text (no nested references or markup), so entity
 * bombs cannot grow here. Undeclared ones (&nbsp; in a feed without a
 * DTD) are kept as HTML references for text.c to decode. */
static void put_entity_ref(struct ctx *c, struct buf *b, const xmlNode *n, int html)
{
	xmlEntity *ent = xmlGetDocEntity(c->doc, n->name);
	if (ent) {
		if (ent->etype == XML_INTERNAL_GENERAL_ENTITY && ent->content &&
		    !strpbrk((const char *)ent->content, "&<"))
			put(c, b, (const char *)ent->content, strlen((const char *)ent->content));
		return;
	}
	char ref[80];
	int k = snprintf(ref, sizeof ref, "&%s;", (const char *)n->name);
	if (k <= 0 || (size_t)k >= sizeof ref)
		return;
	if (html) {
		put(c, b, ref, (size_t)k);
	} else {
		char *t = text_from_html(ref, (size_t)k);
		if (t && *t != '&')
			put(c, b, t, strlen(t));
		free(t);
	}
}

static void put_markup(struct ctx *c, struct buf *b, xmlNode *n)
{
	xmlBuffer *xb = xmlBufferCreate();
	if (!xb) {
		c->oom = 1;
		return;
	}
	if (xmlNodeDump(xb, c->doc, n, 0, 0) >= 0)
		put(c, b, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
}

/* The text of n's children. In HTML fields, stray child elements (a
 * feed that forgot to escape its HTML) are kept as markup. */
static void collect(struct ctx *c, struct buf *b, xmlNode *n, int html, int depth)
{
	for (xmlNode *k = n->children; k; k = k->next) {
		switch (k->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (k->content)
				put(c, b, (const char *)k->content, strlen((const char *)k->content));
			break;
		case XML_ENTITY_REF_NODE:
			put_entity_ref(c, b, k, html);
			break;
		case XML_ELEMENT_NODE:
			if (html)
				put_markup(c, b, k);
			else if (depth < 32)
				collect(c, b, k, html, depth + 1);
			break;
		default:
			break;
		}
	}
}

static char *node_text(struct ctx *c, xmlNode *n, int html)
{
	struct buf b = BUF_INIT;
	collect(c, &b, n, html, 0);
	if (c->oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Atom xhtml: the markup inside the wrapping <div>. */
static char *node_xhtml(struct ctx *c, xmlNode *n)
{
	xmlNode *div = NULL;
	for (xmlNode *k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE) {
			if (is_el(k, NS_XHTML, "div"))
				div = k;
			break;
		}
	struct buf b = BUF_INIT;
	for (xmlNode *k = (div ? div : n)->children; k; k = k->next)
		put_markup(c, &b, k);
	if (c->oom) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The xml:base in effect at n, applied on top of the document URL. */
static char *base_for(struct ctx *c, xmlNode *n)
{
	const xmlChar *chain[64];
	size_t depth = 0;
	for (xmlNode *p = n; p && p->type == XML_ELEMENT_NODE && depth < 64; p = p->parent) {
		xmlAttr *a = xmlHasNsProp(p, (const xmlChar *)"base", XML_XML_NAMESPACE);
		if (a && a->children && a->children->content)
			chain[depth++] = a->children->content;
	}
	char *base = c->base_url ? strdup(c->base_url) : NULL;
	if (c->base_url && !base)
		c->oom = 1;
	while (depth-- > 0) {
		char *next = url_resolve_any(base, (const char *)chain[depth]);
		if (next) {
			free(base);
			base = next;
		}
	}
	return base;
}

static void set(struct ctx *c, char **dst, char *v)
{
	if (!v) {
		c->oom = 1;
		return;
	}
	free(*dst);
	*dst = v;
}

static void add_cat(struct ctx *c, struct raw *r, char *v)
{
	if (!v) {
		c->oom = 1;
		return;
	}
	if (r->ncats < MAX_CATEGORIES)
		r->cats[r->ncats++] = v;
	else
		free(v);
}

/* ---- layer 2: RSS 2.0 ---------------------------------------------------- */

static void rss_item(struct ctx *c, xmlNode *item, struct raw *r)
{
	char *guid_link = NULL;
	for (xmlNode *k = item->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(k, NULL, "title") && !r->title) {
			set(c, &r->title, node_text(c, k, 1));
			r->title_type = T_HTML; /* RSS titles carry entities and markup too */
		} else if (is_el(k, NULL, "link") && !r->link) {
			set(c, &r->link, node_text(c, k, 0));
			free(r->link_base);
			r->link_base = base_for(c, k);
		} else if (is_el(k, NULL, "guid") && !r->key) {
			set(c, &r->key, node_text(c, k, 0));
			char *pl = attr(k, "isPermaLink");
			if (!pl || strcmp(pl, "false") != 0) {
				free(guid_link);
				guid_link = r->key ? strdup(r->key) : NULL;
			}
			free(pl);
		} else if (is_el(k, NULL, "description") && !r->summary) {
			set(c, &r->summary, node_text(c, k, 1));
			r->summary_type = T_HTML;
		} else if (is_el(k, NS_CONTENT, "encoded") && !r->content) {
			set(c, &r->content, node_text(c, k, 1));
			r->content_type = T_HTML;
		} else if (is_el(k, NULL, "author")) {
			char *a = node_text(c, k, 0);
			if (a)
				rss_author_name(a);
			set(c, &r->author, a);
		} else if (is_el(k, NS_DC, "creator") && !r->author) {
			set(c, &r->author, node_text(c, k, 0));
		} else if (is_el(k, NULL, "category") || is_el(k, NS_DC, "subject")) {
			add_cat(c, r, node_text(c, k, 0));
		} else if (is_el(k, NULL, "pubDate")) {
			set(c, &r->published, node_text(c, k, 0));
		} else if (is_el(k, NS_DC, "date") && !r->published) {
			set(c, &r->published, node_text(c, k, 0));
		} else if (is_el(k, NS_DCTERMS, "issued") && !r->published) {
			set(c, &r->published, node_text(c, k, 0));
		} else if ((is_el(k, NS_ATOM, "updated") || is_el(k, NS_DCTERMS, "modified")) &&
			   !r->updated) {
			set(c, &r->updated, node_text(c, k, 0));
		}
	}
	/* No usable <link>: a permalink guid is the article's address. */
	if (guid_link) {
		char *base = base_for(c, item);
		char *u = url_resolve_http(base, r->link);
		if (!u) {
			free(r->link);
			free(r->link_base);
			r->link = guid_link;
			r->link_base = base;
			guid_link = NULL;
		} else {
			free(base);
		}
		free(u);
	}
	free(guid_link);
}

/* ---- layer 2: Atom 1.0 --------------------------------------------------- */

static enum text_type atom_type(xmlNode *n, int is_content)
{
	char *t = attr(n, "type");
	enum text_type r = T_NONE;
	if (!t || !strcmp(t, "text") || !strcmp(t, "text/plain"))
		r = T_TEXT;
	else if (!strcmp(t, "html") || !strcmp(t, "text/html"))
		r = T_HTML;
	else if (!strcmp(t, "xhtml") || !strcmp(t, "application/xhtml+xml"))
		r = T_XHTML_MARKUP;
	else if (is_content && !strncmp(t, "text/", 5))
		r = T_TEXT;
	/* Other media types are base64 or XML payloads: not text for us. */
	free(t);
	return r;
}

static char *atom_text(struct ctx *c, xmlNode *n, enum text_type *type, int is_content)
{
	enum text_type t = atom_type(n, is_content);
	if (t == T_NONE)
		return NULL;
	if (is_content) {
		char *src = attr(n, "src");
		free(src);
		if (src)
			return NULL; /* out-of-line content */
	}
	char *s;
	if (t == T_XHTML_MARKUP) {
		s = node_xhtml(c, n);
		t = T_HTML; /* serialised markup: decode it as HTML */
	} else {
		s = node_text(c, n, t == T_HTML);
	}
	*type = t;
	if (!s)
		c->oom = 1;
	return s;
}

static char *atom_person(struct ctx *c, xmlNode *n)
{
	char *name = NULL, *email = NULL;
	for (xmlNode *k = n->children; k; k = k->next) {
		if (is_el(k, NS_ATOM, "name") && !name)
			name = node_text(c, k, 0);
		else if (is_el(k, NS_ATOM, "email") && !email)
			email = node_text(c, k, 0);
	}
	if (name && !*name) {
		free(name);
		name = NULL;
	}
	if (email && !*email) {
		free(email);
		email = NULL;
	}
	char *out = NULL;
	if (name && email) {
		if (asprintf(&out, "%s (%s)", name, email) < 0)
			out = NULL;
	} else {
		out = name ? name : email;
		name = email = NULL;
	}
	free(name);
	free(email);
	return out;
}

static void atom_entry(struct ctx *c, xmlNode *entry, struct raw *r)
{
	xmlNode *alt = NULL, *first = NULL;
	for (xmlNode *k = entry->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(k, NS_ATOM, "title") && !r->title) {
			r->title = atom_text(c, k, &r->title_type, 0);
		} else if (is_el(k, NS_ATOM, "link")) {
			char *rel = attr(k, "rel");
			char *href = attr(k, "href");
			if (href && !first)
				first = k;
			if (href && !alt && (!rel || !strcmp(rel, "alternate")))
				alt = k;
			free(rel);
			free(href);
		} else if (is_el(k, NS_ATOM, "id") && !r->key) {
			set(c, &r->key, node_text(c, k, 0));
		} else if (is_el(k, NS_ATOM, "summary") && !r->summary) {
			r->summary = atom_text(c, k, &r->summary_type, 0);
		} else if (is_el(k, NS_ATOM, "content") && !r->content) {
			r->content = atom_text(c, k, &r->content_type, 1);
		} else if (is_el(k, NS_ATOM, "author") && !r->author) {
			r->author = atom_person(c, k);
		} else if (is_el(k, NS_ATOM, "category")) {
			char *v = attr(k, "term");
			if (!v || !*v) {
				free(v);
				v = attr(k, "label");
			}
			if (v)
				add_cat(c, r, v);
		} else if (is_el(k, NS_ATOM, "published") && !r->published) {
			set(c, &r->published, node_text(c, k, 0));
		} else if (is_el(k, NS_ATOM, "updated") && !r->updated) {
			set(c, &r->updated, node_text(c, k, 0));
		}
	}
	xmlNode *l = alt ? alt : first;
	if (l) {
		set(c, &r->link, attr(l, "href"));
		r->link_base = base_for(c, l);
	}
	if (!r->author && c->feed_author && !(r->author = strdup(c->feed_author)))
		c->oom = 1;
}

/* ---- layer 1: the walk ---------------------------------------------------- */

typedef void (*extract_fn)(struct ctx *, xmlNode *, struct raw *);

static int emit_item(struct ctx *c, extract_fn fn, xmlNode *n, struct item_list *out,
		     struct err *err)
{
	struct raw r;
	memset(&r, 0, sizeof r);
	fn(c, n, &r);
	struct item *it = c->oom ? NULL : item_list_push(out);
	if (!it) {
		raw_free(&r);
		return err_set(err, "out of memory");
	}
	int rc = raw_finish(&r, c->summary_max, it);
	raw_free(&r);
	if (rc < 0) {
		item_free(it);
		out->n--;
		return err_set(err, "out of memory");
	}
	return 0;
}

static int walk_rss(struct ctx *c, xmlNode *root, struct item_list *out, struct err *err)
{
	int n = 0;
	for (xmlNode *ch = root->children; ch; ch = ch->next) {
		if (!is_el(ch, NULL, "channel"))
			continue;
		for (xmlNode *k = ch->children; k; k = k->next)
			if (is_el(k, NULL, "item")) {
				if (emit_item(c, rss_item, k, out, err) < 0)
					return -1;
				n++;
			}
	}
	/* Some RSS 0.9x-style feeds put items next to the channel. */
	for (xmlNode *k = root->children; k; k = k->next)
		if (is_el(k, NULL, "item")) {
			if (emit_item(c, rss_item, k, out, err) < 0)
				return -1;
			n++;
		}
	return n;
}

static int walk_atom(struct ctx *c, xmlNode *root, struct item_list *out, struct err *err)
{
	int n = 0;
	for (xmlNode *k = root->children; k; k = k->next)
		if (is_el(k, NS_ATOM, "author") && !c->feed_author)
			c->feed_author = atom_person(c, k);
	for (xmlNode *k = root->children; k; k = k->next)
		if (is_el(k, NS_ATOM, "entry")) {
			if (emit_item(c, atom_entry, k, out, err) < 0)
				return -1;
			n++;
		}
	return n;
}

/* ---- layer 1: repairing references before parsing ----------------------- */

/* libxml2 2.9 drops every entity reference (even &amp;) after the first
 * well-formedness error, so one "&nbsp;" or a bare "&" in a URL would
 * silently damage the rest of the feed. Before parsing, outside CDATA,
 * comments and the DTD: a bare '&' becomes "&amp;", and an undeclared
 * HTML entity becomes a character reference (or literal text when
 * unknown). Documents that declare entities of their own are left to
 * libxml2. Returns a new buffer, or NULL when nothing needed changing
 * (*oom set on allocation failure). */
static int is_name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

static size_t ref_len(const char *s, size_t n, int *named)
{
	size_t i = 1;
	*named = 0;
	if (i < n && s[i] == '#') {
		i++;
		int hex = i < n && s[i] == 'x';
		i += (size_t)hex;
		size_t st = i;
		while (i < n && i - st < 10 &&
		       ((s[i] >= '0' && s[i] <= '9') ||
			(hex && ((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))))
			i++;
		return i > st && i < n && s[i] == ';' ? i + 1 : 0;
	}
	size_t st = i;
	while (i < n && i - st < 32 && is_name_char((unsigned char)s[i]))
		i++;
	if (i == st || i >= n || s[i] != ';' || (s[st] >= '0' && s[st] <= '9'))
		return 0;
	*named = 1;
	return i + 1;
}

static char *repair_refs(const char *d, size_t n, size_t *out_len, int *oom)
{
	static const char *const xml_predef[] = {"amp", "lt", "gt", "quot", "apos"};
	struct buf b = BUF_INIT;
	size_t done = 0; /* d[0..done) is already in b */
	int changed = 0;
	*oom = 0;
	if (n >= 2 && (d[0] == '\0' || d[1] == '\0' || (unsigned char)d[0] >= 0xFE))
		return NULL; /* UTF-16/32: not byte-compatible with this scan */
	if (memmem(d, n, "<!ENTITY", 8))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '<') {
			const char *end = NULL;
			if (n - i >= 9 && !memcmp(d + i, "<![CDATA[", 9))
				end = memmem(d + i, n - i, "]]>", 3);
			else if (n - i >= 4 && !memcmp(d + i, "<!--", 4))
				end = memmem(d + i, n - i, "-->", 3);
			else if (n - i >= 9 && !memcmp(d + i, "<!DOCTYPE", 9))
				end = memchr(d + i, '>', n - i);
			else
				continue;
			if (!end)
				break;
			i = (size_t)(end - d);
			continue;
		}
		if (d[i] != '&')
			continue;
		int named;
		size_t k = ref_len(d + i, n - i, &named);
		char rep[16];
		const char *r = NULL;
		if (!k) {
			r = "&amp;";
			k = 1;
		} else if (named) {
			size_t nl = k - 2;
			int predef = 0;
			for (size_t j = 0; j < 5; j++)
				predef |= strlen(xml_predef[j]) == nl && !memcmp(xml_predef[j], d + i + 1, nl);
			if (predef)
				continue;
			unsigned long cp = text_html_entity(d + i + 1, nl);
			if (cp) {
				snprintf(rep, sizeof rep, "&#%lu;", cp);
				r = rep;
			} else {
				r = "&amp;";
				k = 1;
			}
		} else {
			continue;
		}
		if (buf_append(&b, d + done, i - done) < 0 || buf_puts(&b, r) < 0) {
			*oom = 1;
			buf_free(&b);
			return NULL;
		}
		done = i + k;
		i = done - 1;
		changed = 1;
	}
	if (!changed)
		return NULL;
	if (buf_append(&b, d + done, n - done) < 0) {
		*oom = 1;
		buf_free(&b);
		return NULL;
	}
	*out_len = b.len;
	return buf_steal(&b);
}

/* libxml2 2.9 reports through a per-thread structured handler; ours keeps
 * the first fatal error and prints nothing. */
struct xml_errors {
	int fatal;
	int line, col;
	char msg[512];
};

static void on_xml_error(void *data, xmlError *e)
{
	struct xml_errors *x = data;
	if (!e || e->level != XML_ERR_FATAL || x->fatal)
		return;
	x->fatal = 1;
	x->line = e->line;
	x->col = e->int2;
	snprintf(x->msg, sizeof x->msg, "%s", e->message ? e->message : "malformed XML");
	size_t n = strlen(x->msg);
	while (n && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int feed_parse(const char *data, size_t len, const struct feed_opts *opts,
	       struct item_list *out, struct err *err)
{
	if (!data || len == 0)
		return err_set(err, "empty document");
	if (len > INT_MAX)
		return err_set(err, "document too large (%zu bytes)", len);

	int oom;
	size_t fixed_len = 0;
	char *fixed = repair_refs(data, len, &fixed_len, &oom);
	if (oom)
		return err_set(err, "out of memory");
	if (fixed) {
		if (fixed_len > INT_MAX) {
			free(fixed);
			return err_set(err, "document too large (%zu bytes)", fixed_len);
		}
		data = fixed;
		len = fixed_len;
	}

	struct xml_errors xe;
	memset(&xe, 0, sizeof xe);
	xmlStructuredErrorFunc old_s = xmlStructuredError;
	void *old_sctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_g = xmlGenericError;
	void *old_gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&xe, on_xml_error);
	xmlSetGenericErrorFunc(NULL, quiet_generic);

	xmlParserCtxt *pc = xmlNewParserCtxt();
	xmlDoc *doc = NULL;
	if (pc)
		/* NONET: no fetching; no NOENT/DTDLOAD: entities are neither
		 * substituted nor loaded; HUGE stays off so libxml2's own
		 * limits apply. */
		doc = xmlCtxtReadMemory(pc, data, (int)len, opts ? opts->base_url : NULL, NULL,
					XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
						XML_PARSE_NOWARNING);

	xmlSetStructuredErrorFunc(old_sctx, old_s);
	xmlSetGenericErrorFunc(old_gctx, old_g);

	int rc;
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!pc) {
		rc = err_set(err, "out of memory");
	} else if (!root) {
		if (xe.fatal)
			rc = err_set(err, "not an XML document: line %d, column %d: %s", xe.line,
				     xe.col, xe.msg);
		else
			rc = err_set(err, "not an XML document");
	} else {
		struct ctx c = {.doc = doc,
				.base_url = opts && opts->base_url && *opts->base_url ? opts->base_url
										: NULL,
				.summary_max = opts && opts->summary_max ? opts->summary_max
									: SUMMARY_MAX_DEFAULT};
		if (is_el(root, NULL, "rss")) {
			rc = walk_rss(&c, root, out, err);
		} else if (is_el(root, NS_ATOM, "feed")) {
			rc = walk_atom(&c, root, out, err);
		} else {
			if (root->ns && root->ns->prefix)
				rc = err_set(err, "not an RSS or Atom document (root element <%s:%s>)",
					     (const char *)root->ns->prefix, (const char *)root->name);
			else
				rc = err_set(err, "not an RSS or Atom document (root element <%s>)",
					     (const char *)root->name);
		}
		free(c.feed_author);
		/* Recovered items stay in out; the caller still learns the
		 * document was broken and where. */
		if (rc >= 0 && xe.fatal)
			rc = err_set(err, "line %d, column %d: %s", xe.line, xe.col, xe.msg);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	free(fixed);
	return rc;
}
