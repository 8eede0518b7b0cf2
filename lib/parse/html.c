/* News listing pages: libxml2's HTML parser, XPath (or CSS translated to
 * XPath) for the items and their fields, and defaults that work on the
 * markup Nordic CMSs (Sitevision, EPiServer, WordPress) produce. */
#include "parse/css.h"
#include "parse/html.h"

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "parse/date.h"
#include "core/log.h"
#include "core/text.h"
#include "core/url.h"

#define HTML_MAX_BYTES (64u << 20)
#define HTML_MAX_ITEMS 1000
#define HTML_MAX_DEPTH 200
#define TITLE_MAX 500
#define DATE_TEXT_MAX 96 /* a longer element is prose that mentions a date */

struct xerr {
	char msg[300];
	int set;
};

/* libxml2 would print XPath errors to stderr; keep the first instead. The
 * structured handler (not the XPath context's own) is the one that gets
 * libxml2's message text. */
/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
#define XERR const xmlError *
#else
#define XERR xmlErrorPtr
#endif

static void xpath_error(void *data, XERR e)
{
	struct xerr *x = data;
	if (x->set || !e || !e->message)
		return;
	snprintf(x->msg, sizeof x->msg, "%s", e->message);
	size_t n = strlen(x->msg);
	while (n && (x->msg[n - 1] == '\n' || x->msg[n - 1] == ' '))
		x->msg[--n] = '\0';
	if (e->int1 > 0 && n + 20 < sizeof x->msg)
		snprintf(x->msg + n, sizeof x->msg - n, " at column %d", e->int1 + 1);
	x->set = 1;
}

/* Some XPath run-time messages go to the generic handler only. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

struct field {
	const char *what; /* "title" */
	const char *sel;
	xmlXPathCompExprPtr comp;
};

struct page {
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	struct xerr xe;
	const char *base;
	time_t now;
	size_t summary_max;
	struct url_resolver *ur; /* one libcurl handle for the page's links */
};

static int is_xpath(const char *s)
{
	return s[0] == '/' || strncmp(s, "./", 2) == 0 || s[0] == '(' || strncmp(s, "xpath:", 6) == 0;
}

/* Compiles a selector (CSS or XPath); NULL with err naming it. */
static xmlXPathCompExprPtr compile(struct page *pg, const char *what, const char *sel, int relative,
				   struct err *err)
{
	char *owned = NULL;
	const char *expr;
	while (*sel == ' ' || *sel == '\t')
		sel++;
	if (is_xpath(sel)) {
		expr = strncmp(sel, "xpath:", 6) == 0 ? sel + 6 : sel;
	} else {
		struct err e2 = {{0}};
		if (!(owned = css_to_xpath(sel, relative, &e2))) {
			err_set(err, "%s selector \"%s\": %s", what, sel, e2.msg);
			return NULL;
		}
		expr = owned;
	}
	pg->xe.set = 0;
	xmlXPathCompExprPtr c = xmlXPathCtxtCompile(pg->xp, (const xmlChar *)expr);
	if (c && !pg->xe.set) {
		/* libxml2 compiles some broken expressions and fails them only
		 * when run: try once on the document so the error names the
		 * selector now, not on the first item. */
		xmlXPathSetContextNode((xmlNodePtr)pg->doc, pg->xp);
		xmlXPathObjectPtr r = xmlXPathCompiledEval(c, pg->xp);
		xmlXPathFreeObject(r);
		if (!r && pg->xe.set) {
			xmlXPathFreeCompExpr(c);
			c = NULL;
		}
	}
	if (!c)
		err_set(err, "%s selector \"%s\": %s", what, sel,
			pg->xe.set ? pg->xe.msg : "invalid XPath expression");
	free(owned);
	return c;
}

/* ---- element tests -------------------------------------------------------- */

static int name_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->name &&
	       strcasecmp((const char *)n->name, name) == 0;
}

static int name_in(const xmlNode *n, const char *const *set)
{
	for (; *set; set++)
		if (name_is(n, *set))
			return 1;
	return 0;
}

static char *attr(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE ? (char *)xmlGetProp(n, (const xmlChar *)name)
						: NULL;
}

static int attr_eq(const xmlNode *n, const char *name, const char *const *values)
{
	char *v = attr(n, name);
	int hit = 0;
	for (; v && *values && !hit; values++)
		hit = strcasecmp(v, *values) == 0;
	xmlFree(v);
	return hit;
}

/* A class or id word that marks navigation, menus, breadcrumbs, cookie
 * banners or text meant for screen readers only. */
static int word_is_chrome(const char *w, size_t n)
{
	static const char *const hidden[] = {"sr-only", "visually-hidden", "visuallyhidden",
					     "screen-reader-text", "skip-link", "hidden", NULL};
	char low[128];
	if (n == 0 || n >= sizeof low)
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
	low[n] = '\0';
	for (const char *const *h = hidden; *h; h++)
		if (strcmp(low, *h) == 0)
			return 1;
	if (strstr(low, "breadcrumb") || strstr(low, "cookie") || strstr(low, "brodsmul") ||
	    strncmp(low, "share", 5) == 0 || strncmp(low, "social", 6) == 0)
		return 1;
	/* Parts split at '-' and '_': "main-nav", "navbar", "submenu". */
	for (char *part = low; *part;) {
		size_t k = strcspn(part, "-_");
		if (k >= 3 && strncmp(part, "navy", 4) != 0 &&
		    (strncmp(part, "nav", 3) == 0 || strncmp(part, "menu", 4) == 0 ||
		     (k >= 3 && strncmp(part + k - 3, "nav", 3) == 0) ||
		     (k >= 4 && strncmp(part + k - 4, "menu", 4) == 0)))
			return 1;
		part += k;
		if (*part)
			part++;
	}
	return 0;
}

static int attr_has_chrome(const xmlNode *n, const char *name)
{
	char *v = attr(n, name);
	int hit = 0;
	for (const char *p = v; p && *p && !hit;) {
		size_t k = strcspn(p, " \t\r\n\f");
		hit = word_is_chrome(p, k);
		p += k;
		p += strspn(p, " \t\r\n\f");
	}
	xmlFree(v);
	return hit;
}

/* Never text: code, styling, invisible parts. */
static int is_code(const xmlNode *n)
{
	static const char *const code[] = {"script", "style", "noscript", "template", "svg",
					   "head", "iframe", "object", NULL};
	return name_in(n, code);
}

/* Navigation-like chrome: skipped when looking for a default title or
 * link as well as in summaries. */
static int is_nav(const xmlNode *n)
{
	static const char *const roles[] = {"navigation", "menu", "menubar", "search", NULL};
	static const char *const truth[] = {"true", NULL};
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	if (is_code(n) || name_is(n, "nav"))
		return 1;
	if (attr_eq(n, "role", roles) || attr_eq(n, "aria-hidden", truth) ||
	    xmlHasProp(n, (const xmlChar *)"hidden"))
		return 1;
	return attr_has_chrome(n, "class") || attr_has_chrome(n, "id");
}

/* Everything a summary leaves out. */
static int is_chrome(const xmlNode *n)
{
	static const char *const names[] = {"form", "footer", "header", "aside", "button",
					    "select", "dialog", "input", "textarea", NULL};
	static const char *const roles[] = {"banner", "contentinfo", "dialog", "alertdialog", NULL};
	return is_nav(n) || name_in(n, names) || attr_eq(n, "role", roles);
}

/* ---- text ----------------------------------------------------------------- */

/* "Läs mer", "Les mer", "Læs mere", "Read more": a link, not teaser text. */
static int is_read_more(const xmlNode *n)
{
	static const char *const phrases[] = {"läs mer", "läs hela", "les mer", "les hele",
					      "læs mere", "læs hele", "read more", NULL};
	if (!name_is(n, "a"))
		return 0;
	xmlChar *t = xmlNodeGetContent(n);
	const char *p = (const char *)t;
	int hit = 0;
	if (p) {
		p += strspn(p, " \t\r\n");
		for (const char *const *ph = phrases; *ph && !hit; ph++)
			hit = strncasecmp(p, *ph, strlen(*ph)) == 0 && strlen(p) < 48;
	}
	xmlFree(t);
	return hit;
}

struct walk {
	struct buf b;
	int oom;
	int inline_only;           /* titles: blocks become spaces */
	int (*skip)(const xmlNode *);
	const xmlNode *not1, *not2; /* the title and date nodes, left out of summaries */
	int skip_time;
};

static void wput(struct walk *w, const char *s, size_t n)
{
	if (buf_append(&w->b, s, n) < 0)
		w->oom = 1;
}

/* Text node contents re-escaped, so text_from_html decodes exactly once. */
static void wtext(struct walk *w, const char *s)
{
	for (const char *p = s; *p;) {
		size_t k = strcspn(p, "&<");
		wput(w, p, k);
		p += k;
		if (*p == '&')
			wput(w, "&amp;", 5), p++;
		else if (*p == '<')
			wput(w, "&lt;", 4), p++;
	}
}

static void walk(struct walk *w, const xmlNode *n, int depth)
{
	static const char *const para[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
					   "pre", "ul", "ol", "dl", "table", "figure", "section",
					   "article", "main", "address", "hr", NULL};
	static const char *const line[] = {"div", "li", "tr", "dt", "dd", "figcaption",
					   "caption", "summary", "details", NULL};
	if (depth > HTML_MAX_DEPTH)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				wtext(w, (const char *)c->content);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE || c == w->not1 || c == w->not2 || is_code(c) ||
		    (w->skip && w->skip(c)) || (w->skip_time && name_is(c, "time")) ||
		    (w->skip && is_read_more(c)))
			continue;
		const char *tag = name_in(c, para) ? "<p>" : name_in(c, line) ? "<div>" : NULL;
		if (name_is(c, "br"))
			tag = "<br>";
		else if (name_is(c, "td") || name_is(c, "th"))
			tag = " ";
		if (tag && w->inline_only)
			tag = " ";
		if (tag)
			wput(w, tag, strlen(tag));
		walk(w, c, depth + 1);
		if (tag && tag[0] == '<' && strcmp(tag, "<br>") != 0)
			wput(w, tag, strlen(tag));
		else if (tag)
			wput(w, " ", 1);
	}
}

/* Plain text of n: inline (one line) or with paragraph breaks. New string;
 * NULL only when out of memory. */
static char *node_text(const xmlNode *n, int inline_only, int (*skip)(const xmlNode *),
		       const xmlNode *not1, const xmlNode *not2, int skip_time)
{
	struct walk w = {BUF_INIT, 0, inline_only, skip, not1, not2, skip_time};
	if (n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE) {
		xmlChar *v = xmlNodeGetContent(n);
		if (v)
			wtext(&w, (const char *)v);
		xmlFree(v);
	} else {
		walk(&w, n, 0);
	}
	if (w.oom) {
		buf_free(&w.b);
		return NULL;
	}
	char *t = text_from_html(w.b.data ? w.b.data : "", w.b.len);
	buf_free(&w.b);
	return t;
}

/* ---- URLs and dates ------------------------------------------------------- */

/* href resolved against the page URL: absolute http(s) or NULL. Never
 * javascript:, mailto: or a bare fragment (a link to the page itself). */
static char *resolve(const struct page *pg, const char *href)
{
	if (!href)
		return NULL;
	size_t n = strlen(href), i = 0;
	while (i < n && (href[i] == ' ' || href[i] == '\t' || href[i] == '\n' || href[i] == '\r'))
		i++;
	if (i == n || href[i] == '#')
		return NULL;
	return url_resolve(pg->ur, pg->base, href, n, URL_HTTP_ONLY);
}

/* Text with a zone after its clock ("...09:00:00 GMT", "...T11:00+02:00")
 * is an exact instant; anything else is Nordic local time. */
static int has_zone(const char *s)
{
	const char *c = strchr(s, ':');
	if (!c)
		return 0;
	while ((*c >= '0' && *c <= '9') || *c == ':' || *c == '.' || *c == ',')
		c++;
	while (*c == ' ')
		c++;
	return *c != '\0';
}

static time_t date_of_text(const char *s, time_t now)
{
	time_t strict = date_parse(s);
	if (strict && has_zone(s))
		return strict;
	time_t t = date_parse_nordic(s, now);
	return t ? t : strict;
}

/* A <time datetime> (or any datetime/content attribute), else its text. */
static time_t date_of_node(const xmlNode *n, time_t now)
{
	time_t t = 0;
	if (n->type == XML_ELEMENT_NODE) {
		char *dt = attr(n, "datetime");
		if (dt)
			t = date_of_text(dt, now);
		xmlFree(dt);
		if (t)
			return t;
	}
	char *s = node_text(n, 1, NULL, NULL, NULL, 0);
	if (s) {
		t = date_of_text(s, now);
		free(s);
	}
	return t;
}

/* ---- default field finders ------------------------------------------------ */

static const xmlNode *first_heading(const xmlNode *n, int depth)
{
	static const char *const h[] = {"h1", "h2", "h3", "h4", "h5", "h6", NULL};
	if (depth > HTML_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_nav(c))
			continue;
		if (name_in(c, h))
			return c;
		const xmlNode *r = first_heading(c, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

/* The first a[href] under n that resolves to an http(s) URL; *url gets it. */
static const xmlNode *first_link(const struct page *pg, const xmlNode *n, char **url, int depth)
{
	if (depth > HTML_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_nav(c))
			continue;
		if (name_is(c, "a")) {
			char *href = attr(c, "href");
			*url = resolve(pg, href);
			xmlFree(href);
			if (*url)
				return c;
		}
		const xmlNode *r = first_link(pg, c, url, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

/* The first a[href] with any href: its text can title an item even when
 * the link itself is javascript:. */
static const xmlNode *first_anchor(const xmlNode *n, int depth)
{
	if (depth > HTML_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_nav(c))
			continue;
		if (name_is(c, "a") && xmlHasProp(c, (const xmlChar *)"href"))
			return c;
		const xmlNode *r = first_anchor(c, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

static char *link_of(const struct page *pg, const xmlNode *n)
{
	char *href = attr(n, "href");
	char *u = resolve(pg, href);
	xmlFree(href);
	return u;
}

/* The link belonging to node n: n itself, an a[href] inside it, or one
 * around it (up to the item). */
static char *link_near(const struct page *pg, const xmlNode *n, const xmlNode *item)
{
	char *u = NULL;
	if (n->type == XML_ATTRIBUTE_NODE || n->type == XML_TEXT_NODE) {
		xmlChar *v = xmlNodeGetContent(n);
		u = resolve(pg, (const char *)v);
		xmlFree(v);
		return u;
	}
	if ((u = link_of(pg, n)) != NULL)
		return u;
	if (first_link(pg, n, &u, 0))
		return u;
	for (const xmlNode *a = n->parent; a && a != item->parent; a = a->parent)
		if (name_is(a, "a") && (u = link_of(pg, a)) != NULL)
			return u;
	return NULL;
}

static int is_ancestor(const xmlNode *a, const xmlNode *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return 1;
	return 0;
}

/* The deepest short element under n (not the title, nor around it) whose
 * text holds a date: "Publisert 11.12.2017", <span>17 april 2024</span>. */
static const xmlNode *date_element(const struct page *pg, const xmlNode *n, const xmlNode *title,
				   time_t *when, int depth)
{
	if (depth > HTML_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_nav(c) || (title && is_ancestor(title, c)))
			continue;
		if (title && is_ancestor(c, title)) {
			const xmlNode *r = date_element(pg, c, title, when, depth + 1);
			if (r)
				return r;
			continue;
		}
		char *s = node_text(c, 1, is_nav, NULL, NULL, 0);
		time_t t = s ? date_parse_nordic(s, pg->now) : 0;
		size_t len = s ? strlen(s) : 0;
		free(s);
		if (!t)
			continue;
		const xmlNode *r = date_element(pg, c, title, when, depth + 1);
		if (r)
			return r;
		if (len <= DATE_TEXT_MAX) {
			*when = t;
			return c;
		}
	}
	return NULL;
}

static const xmlNode *first_time(const xmlNode *n, int depth)
{
	if (depth > HTML_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_nav(c))
			continue;
		if (name_is(c, "time"))
			return c;
		const xmlNode *r = first_time(c, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

/* ---- selectors per item --------------------------------------------------- */

/* Evaluates a field selector under item. Returns the first node (or NULL)
 * and, for XPath string/number results, *str. -1 with err on an error. */
static int eval_field(struct page *pg, const struct field *f, xmlNodePtr item,
		      xmlXPathObjectPtr *res, struct err *err)
{
	xmlXPathSetContextNode(item, pg->xp);
	pg->xe.set = 0;
	*res = xmlXPathCompiledEval(f->comp, pg->xp);
	if (!*res)
		return err_set(err, "%s selector \"%s\": %s", f->what, f->sel,
			       pg->xe.set ? pg->xe.msg : "evaluation failed");
	return 0;
}

static const xmlNode *first_node(xmlXPathObjectPtr r)
{
	if (r->type == XPATH_NODESET && r->nodesetval && r->nodesetval->nodeNr > 0)
		return r->nodesetval->nodeTab[0];
	return NULL;
}

/* A string result ("string(.//h2)", "count(...)") as text; else NULL. */
static char *result_string(xmlXPathObjectPtr r)
{
	if (r->type == XPATH_NODESET || r->type == XPATH_UNDEFINED)
		return NULL;
	xmlChar *s = xmlXPathCastToString(r);
	char *t = s ? text_clean((const char *)s, strlen((const char *)s)) : NULL;
	xmlFree(s);
	return t;
}

struct fields {
	struct field title, link, date, summary;
};

static int extract_item(struct page *pg, struct fields *fs, xmlNodePtr node, struct item *it,
			struct err *err)
{
	xmlXPathObjectPtr r = NULL;
	const xmlNode *title_node = NULL, *date_node = NULL, *n;

	/* Title. */
	if (fs->title.comp) {
		if (eval_field(pg, &fs->title, node, &r, err) < 0)
			return -1;
		if ((n = first_node(r)) != NULL) {
			title_node = n;
			it->title = node_text(n, 1, NULL, NULL, NULL, 0);
		} else {
			it->title = result_string(r);
		}
		xmlXPathFreeObject(r);
	} else {
		title_node = first_heading(node, 0);
		if (!title_node)
			title_node = first_anchor(node, 0);
		if (title_node)
			it->title = node_text(title_node, 1, is_nav, NULL, NULL, 0);
	}

	/* Link. */
	if (fs->link.comp) {
		if (eval_field(pg, &fs->link, node, &r, err) < 0)
			return -1;
		if ((n = first_node(r)) != NULL) {
			it->url = link_near(pg, n, node);
		} else {
			char *s = result_string(r);
			it->url = resolve(pg, s);
			free(s);
		}
		xmlXPathFreeObject(r);
	} else {
		if (title_node && title_node->type == XML_ELEMENT_NODE)
			it->url = link_near(pg, title_node, node);
		if (!it->url)
			it->url = link_of(pg, node);
		if (!it->url)
			first_link(pg, node, &it->url, 0);
	}

	/* Date. */
	if (fs->date.comp) {
		if (eval_field(pg, &fs->date, node, &r, err) < 0)
			return -1;
		if ((n = first_node(r)) != NULL) {
			date_node = n;
			it->published = date_of_node(n, pg->now);
		} else {
			char *s = result_string(r);
			if (s)
				it->published = date_of_text(s, pg->now);
			free(s);
		}
		xmlXPathFreeObject(r);
	} else {
		const xmlNode *tn = first_time(node, 0);
		if (tn && (it->published = date_of_node(tn, pg->now)) != 0)
			date_node = tn;
		if (!it->published)
			date_node = date_element(pg, node, title_node, &it->published, 0);
		if (!it->published) {
			char *s = node_text(node, 1, is_nav, NULL, NULL, 0);
			if (s)
				it->published = date_parse_nordic(s, pg->now);
			free(s);
		}
	}

	/* Summary. */
	if (fs->summary.comp) {
		if (eval_field(pg, &fs->summary, node, &r, err) < 0)
			return -1;
		if (r->type == XPATH_NODESET && r->nodesetval) {
			struct buf b = BUF_INIT;
			for (int i = 0; i < r->nodesetval->nodeNr; i++) {
				char *s = node_text(r->nodesetval->nodeTab[i], 0, is_chrome, NULL,
						    NULL, 0);
				if (s && *s && (b.len ? buf_puts(&b, "\n\n") : 0) == 0)
					buf_puts(&b, s);
				free(s);
				if (b.len > pg->summary_max * 2)
					break;
			}
			it->summary = b.len ? buf_steal(&b) : NULL;
			buf_free(&b);
		} else {
			it->summary = result_string(r);
		}
		xmlXPathFreeObject(r);
	} else {
		it->summary = node_text(node, 0, is_chrome, title_node, date_node, 1);
	}

	if (it->title) {
		text_one_line(it->title);
		text_truncate(it->title, TITLE_MAX);
		if (!*it->title) {
			free(it->title);
			it->title = NULL;
		}
	}
	if (it->summary) {
		text_truncate(it->summary, pg->summary_max);
		if (!*it->summary) {
			free(it->summary);
			it->summary = NULL;
		}
	}
	return 0;
}

static void free_fields(struct fields *fs)
{
	xmlXPathFreeCompExpr(fs->title.comp);
	xmlXPathFreeCompExpr(fs->link.comp);
	xmlXPathFreeCompExpr(fs->date.comp);
	xmlXPathFreeCompExpr(fs->summary.comp);
}

static int compile_field(struct page *pg, struct field *f, const char *what, const char *sel,
			 struct err *err)
{
	f->what = what;
	f->sel = sel;
	f->comp = NULL;
	if (!sel || !*sel)
		return 0;
	f->comp = compile(pg, what, sel, 1, err);
	return f->comp ? 0 : -1;
}

static struct item *seen_key(struct item_list *out, size_t start, size_t end, const char *key)
{
	for (size_t i = start; i < end; i++)
		if (out->v[i].key && strcmp(out->v[i].key, key) == 0)
			return &out->v[i];
	return NULL;
}

int html_extract(const char *data, size_t len, const struct html_selectors *sel,
		 const struct html_opts *opts, struct item_list *out, struct err *err)
{
	if (!sel || !sel->item || !*sel->item)
		return err_set(err, "no item selector");
	if (len > HTML_MAX_BYTES)
		return err_set(err, "page of %zu bytes is larger than the %u MiB limit", len,
			       HTML_MAX_BYTES >> 20);
	struct page pg = {0};
	struct url_resolver ur = {0};
	pg.ur = &ur;
	pg.base = opts ? opts->base_url : NULL;
	pg.now = opts && opts->now ? opts->now : time(NULL);
	pg.summary_max = opts && opts->summary_max ? opts->summary_max : 600;

	pg.doc = htmlReadMemory(data ? data : "", (int)len, pg.base, "UTF-8",
				HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					HTML_PARSE_NONET | HTML_PARSE_COMPACT);
	if (!pg.doc)
		return err_set(err, "page could not be parsed as HTML");
	if (!(pg.xp = xmlXPathNewContext(pg.doc))) {
		xmlFreeDoc(pg.doc);
		return err_set(err, "out of memory");
	}
	xmlStructuredErrorFunc old_handler = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&pg.xe, xpath_error);
	xmlSetGenericErrorFunc(NULL, quiet);

	struct fields fs = {{0}, {0}, {0}, {0}};
	xmlXPathCompExprPtr icomp = NULL;
	xmlXPathObjectPtr items = NULL;
	size_t start = out->n;
	int rc = -1;

	if (!(icomp = compile(&pg, "item", sel->item, 0, err)) ||
	    compile_field(&pg, &fs.title, "title", sel->title, err) < 0 ||
	    compile_field(&pg, &fs.link, "link", sel->link, err) < 0 ||
	    compile_field(&pg, &fs.date, "date", sel->date, err) < 0 ||
	    compile_field(&pg, &fs.summary, "summary", sel->summary, err) < 0)
		goto done;

	xmlXPathSetContextNode(xmlDocGetRootElement(pg.doc), pg.xp);
	pg.xe.set = 0;
	items = xmlXPathCompiledEval(icomp, pg.xp);
	if (!items) {
		err_set(err, "item selector \"%s\": %s", sel->item,
			pg.xe.set ? pg.xe.msg : "evaluation failed");
		goto done;
	}
	if (items->type != XPATH_NODESET) {
		err_set(err, "item selector \"%s\" gives a %s, not elements", sel->item,
			items->type == XPATH_NUMBER	 ? "number"
			: items->type == XPATH_BOOLEAN ? "boolean"
						       : "string");
		goto done;
	}
	int nodes = items->nodesetval ? items->nodesetval->nodeNr : 0;
	int elems = 0, dropped = 0;
	for (int i = 0; i < nodes; i++) {
		xmlNodePtr node = items->nodesetval->nodeTab[i];
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (++elems > HTML_MAX_ITEMS) {
			log_warn("%s: more than %d items on the page; the rest are ignored",
				 pg.base ? pg.base : "page", HTML_MAX_ITEMS);
			break;
		}
		struct item *it = item_list_push(out);
		if (!it) {
			err_set(err, "out of memory");
			goto done;
		}
		if (extract_item(&pg, &fs, node, it, err) < 0)
			goto done;
		if (!it->title && !it->url) {
			dropped++;
			item_free(it);
			out->n--;
			continue;
		}
		if (!it->title && !(it->title = strdup(it->url))) {
			err_set(err, "out of memory");
			goto done;
		}
		if (item_ensure_key(it) < 0) {
			err_set(err, "out of memory");
			goto done;
		}
		struct item *first = seen_key(out, start, out->n - 1, it->key);
		if (first) {
			/* The same story twice (a featured box and the list): one
			 * item, with the fuller teaser and any date either had. */
			if (!first->published)
				first->published = it->published;
			if (it->summary && (!first->summary || strlen(it->summary) > strlen(first->summary))) {
				char *t = first->summary;
				first->summary = it->summary;
				it->summary = t;
			}
			item_free(it);
			out->n--;
		}
	}
	if (elems == 0) {
		err_set(err, "item selector \"%s\" matched nothing: the page layout may have changed",
			sel->item);
		goto done;
	}
	if (out->n == start) {
		err_set(err,
			"item selector \"%s\" matched %d elements but none had a title or a link: "
			"the page layout may have changed",
			sel->item, elems);
		goto done;
	}
	if (dropped)
		log_warn("%s: %d of %d items had neither a title nor a link", pg.base ? pg.base : "page",
			 dropped, elems);
	rc = (int)(out->n - start);
done:
	if (rc < 0) {
		while (out->n > start)
			item_free(&out->v[--out->n]);
	}
	xmlXPathFreeObject(items);
	xmlXPathFreeCompExpr(icomp);
	free_fields(&fs);
	xmlXPathFreeContext(pg.xp);
	xmlFreeDoc(pg.doc);
	url_resolver_free(&ur);
	xmlSetStructuredErrorFunc(old_ctx, old_handler);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	return rc;
}

/* For watched pages (page.c): 2 for navigation-like chrome (menus,
 * breadcrumbs, cookie banners, hidden and code), 1 for the rest a summary
 * leaves out (header, footer, aside, forms), 0 for content. */
int html_node_chrome(const struct _xmlNode *n)
{
	return is_nav(n) ? 2 : is_chrome(n) ? 1 : 0;
}
