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
#include "parse/feedsax.h"
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

#define MAX_ENT_CLONES 1024
#define KEEP_MAX (1u << 20) /* raw buffers kept between items */


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
	const char *v = (const char *)feedtags_attr(n, attrs, "version", &vl);
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
	enum nsc ns = feedtags_ns(p, uri);
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
		if (feedtags_attr_value(&v, a[3], (size_t)(a[4] - a[3])) < 0)
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
	feedtags_put(p, "<", 1);
	feedtags_put(p, (const char *)name, strlen((const char *)name));
	feedtags_put(p, ">", 1);
	p->open_pos = p->r.f[p->cap].len;
}

static void person_child(struct feedxml *p, enum nsc ns, const xmlChar *name)
{
	if (p->depth != p->person_depth + 1 || ns != N_ATOM)
		return;
	if (streq(name, "name"))
		feedtags_capture(p, RF_ANAME, E_NAME, M_TEXT, RT_TEXT);
	else if (streq(name, "email"))
		feedtags_capture(p, RF_AEMAIL, E_EMAIL, M_TEXT, RT_TEXT);
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
			if (feedtags_attr_value(&p->ubuf, attrs[5 * i + 3],
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
	enum nsc ns = feedtags_ns(p, uri);
	if (p->atom_bare && ns == N_RSS)
		ns = N_ATOM;
	if (!p->item_depth)
		outside_item(p, ns, name, n, attrs);
	else if (p->person_depth)
		person_child(p, ns, name);
	else if (p->depth == p->item_depth + 1 || (p->group_depth && p->depth == p->group_depth + 1))
		feedtags_child(p, feedtags_classify(p, ns, name), n, attrs);
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
		feedtags_put(p, ">", 1);
	} else {
		feedtags_put(p, "</", 2);
		feedtags_put(p, name, strlen(name));
		feedtags_put(p, ">", 1);
	}
}

static void end_depth(struct feedxml *p, const char *name)
{
	if (p->capturing) {
		if (p->depth == p->cap_depth)
			feedtags_capture_end(p);
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
		feedtags_put_escaped(p, (const char *)s, (size_t)len);
	else
		feedtags_put(p, (const char *)s, (size_t)len);
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
