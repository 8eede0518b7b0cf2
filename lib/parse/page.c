/* Watched pages: libxml2's HTML parser, the part to watch (a selector, or
 * the main content found by the page's own landmarks), and a walk that
 * writes one block a line with its structure marked. */
#include "parse/page.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/buf.h"
#include "core/text.h"
#include "parse/css.h"
#include "parse/html.h"
#include "parse/pdf.h"
#include "core/charset.h"

#define PAGE_MAX_HTML (64u << 20)
#define PAGE_MAX_DEPTH 200
#define TITLE_MAX 300

enum kind { K_NONE = 0, K_PARA, K_HEAD, K_ITEM, K_ROW };

struct render {
	struct buf out;
	struct buf line;   /* inline text of the block being gathered */
	struct buf clean;  /* scratch for text_clean_buf */
	enum kind kind;    /* of the block being gathered */
	enum kind last;    /* of the last block written */
	int level;         /* heading level, list depth for items */
	int list_depth;
	int pre;           /* inside <pre>: keep line breaks */
	int cont;          /* the next line continues a block (after <br>) */
	int with_selector; /* the chair chose the part: drop only code and menus */
	size_t max;
	int full;
	char *h1;          /* the first top heading written */
	int h1_level;
	int oom;
};

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

static int heading_level(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE || !n->name || tolower(n->name[0]) != 'h' ||
	    n->name[1] < '1' || n->name[1] > '6' || n->name[2])
		return 0;
	return n->name[1] - '0';
}

/* A class or id naming a consent dialog: html.c knows "cookie". */
static int is_consent(const xmlNode *n)
{
	static const char *const attrs[] = {"class", "id", NULL};
	int hit = 0;
	for (const char *const *a = attrs; *a && !hit; a++) {
		xmlChar *v = xmlGetProp(n, (const xmlChar *)*a);
		if (v)
			hit = strcasestr((const char *)v, "consent") || strcasestr((const char *)v, "gdpr");
		xmlFree(v);
	}
	return hit;
}

static int inside(const xmlNode *n, const char *a, const char *b)
{
	for (const xmlNode *p = n->parent; p; p = p->parent)
		if (name_is(p, a) || name_is(p, b))
			return 1;
	return 0;
}

static int skip(const struct render *r, const xmlNode *n)
{
	int ch = html_node_chrome(n);
	if (ch == 2 || is_consent(n))
		return 1;
	if (ch == 1 && !r->with_selector) {
		/* an article's own header holds its heading */
		if (name_is(n, "header") && inside(n, "article", "main"))
			return 0;
		return 1;
	}
	return 0;
}

/* ---- writing blocks ------------------------------------------------------ */

static void put(struct render *r, const char *s, size_t n)
{
	if (r->full)
		return;
	if (r->out.len + n > r->max) {
		buf_puts(&r->out, "\n[…]\n");
		r->full = 1;
		return;
	}
	if (buf_append(&r->out, s, n) < 0)
		r->oom = 1;
}

/* Writes the gathered inline text as one line of the current kind. */
static void flush(struct render *r)
{
	if (!r->line.len) {
		r->kind = K_NONE;
		r->cont = 0;
		return;
	}
	if (text_clean_buf(&r->clean, r->line.data, r->line.len) < 0)
		r->oom = 1;
	buf_reset(&r->line);
	enum kind k = r->kind ? r->kind : K_PARA;
	r->kind = K_NONE;
	if (!r->clean.len)
		return;
	if (r->out.len && !r->cont && !(k == r->last && (k == K_ITEM || k == K_ROW)))
		put(r, "\n", 1);
	r->cont = 0;
	char pre[64];
	size_t n = 0;
	if (k == K_HEAD) {
		for (int i = 0; i < r->level && n < 6; i++)
			pre[n++] = '#';
		pre[n++] = ' ';
		if (!r->h1 || r->level < r->h1_level) {
			free(r->h1);
			r->h1 = strndup(r->clean.data, r->clean.len < TITLE_MAX ? r->clean.len : TITLE_MAX);
			r->h1_level = r->level;
		}
	} else if (k == K_ITEM) {
		for (int i = 1; i < r->level && n < 40; i++)
			pre[n++] = ' ', pre[n++] = ' ';
		pre[n++] = '-';
		pre[n++] = ' ';
	}
	put(r, pre, n);
	put(r, r->clean.data, r->clean.len);
	put(r, "\n", 1);
	r->last = k;
}

static void begin(struct render *r, enum kind k, int level)
{
	flush(r);
	r->kind = k;
	r->level = level;
}

/* Text as it would show: runs of white space one space (kept in <pre>). */
static void text(struct render *r, const char *s)
{
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (r->pre && c == '\n') {
			enum kind k = r->kind;
			flush(r);
			r->kind = k;
			r->cont = 1;
			continue;
		}
		if (c == '\n' || c == '\t' || c == '\r' || c == '\f')
			c = ' ';
		if (c == ' ' && (!r->line.len || r->line.data[r->line.len - 1] == ' '))
			continue;
		if (buf_putc(&r->line, c) < 0)
			r->oom = 1;
	}
}

/* ---- the walk ------------------------------------------------------------- */

static void walk(struct render *r, const xmlNode *n, int depth);

/* A cell's or heading's text on one line, whatever blocks it holds. */
static void inline_text(struct render *r, const xmlNode *n, int depth)
{
	if (depth > PAGE_MAX_DEPTH)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				text(r, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE && !skip(r, c)) {
			if (!name_is(c, "a") && !name_is(c, "span") && r->line.len)
				text(r, " ");
			inline_text(r, c, depth + 1);
		}
	}
}

static void table_rows(struct render *r, const xmlNode *n, int depth)
{
	if (depth > PAGE_MAX_DEPTH)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || skip(r, c))
			continue;
		if (name_is(c, "tr")) {
			begin(r, K_ROW, 0);
			int cells = 0;
			for (const xmlNode *td = c->children; td; td = td->next) {
				if (!name_is(td, "td") && !name_is(td, "th"))
					continue;
				text(r, cells++ ? " | " : "| ");
				size_t before = r->line.len;
				inline_text(r, td, depth + 2);
				if (r->line.len == before)
					text(r, "–"); /* an empty cell keeps its column */
			}
			if (cells)
				text(r, " |");
			flush(r);
		} else if (name_is(c, "caption")) {
			begin(r, K_PARA, 0);
			inline_text(r, c, depth + 1);
			flush(r);
		} else {
			table_rows(r, c, depth + 1); /* thead, tbody, tfoot */
		}
	}
}

static void walk(struct render *r, const xmlNode *n, int depth)
{
	static const char *const blocks[] = {
		"p", "div", "section", "article", "main", "blockquote", "figure", "figcaption",
		"address", "details", "summary", "center", "header", "footer", "aside", "form",
		"fieldset", "hr", "body", "html", "dl", "nav", NULL};
	if (depth > PAGE_MAX_DEPTH || r->full)
		return;
	for (const xmlNode *c = n->children; c && !r->full; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				text(r, (const char *)c->content);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE || skip(r, c))
			continue;
		int h = heading_level(c);
		if (h) {
			begin(r, K_HEAD, h);
			inline_text(r, c, depth + 1);
			flush(r);
		} else if (name_is(c, "ul") || name_is(c, "ol") || name_is(c, "menu")) {
			flush(r);
			r->list_depth++;
			walk(r, c, depth + 1);
			r->list_depth--;
			flush(r);
		} else if (name_is(c, "li") || name_is(c, "dt")) {
			begin(r, K_ITEM, r->list_depth ? r->list_depth : 1);
			walk(r, c, depth + 1);
			flush(r);
		} else if (name_is(c, "dd")) {
			begin(r, K_ITEM, 2);
			walk(r, c, depth + 1);
			flush(r);
		} else if (name_is(c, "table")) {
			flush(r);
			table_rows(r, c, depth + 1);
			flush(r);
		} else if (name_is(c, "pre")) {
			begin(r, K_PARA, 0);
			r->pre++;
			walk(r, c, depth + 1);
			r->pre--;
			flush(r);
		} else if (name_is(c, "br")) {
			/* a line break inside a block: the next line, same kind */
			enum kind k = r->kind;
			int lv = r->level;
			flush(r);
			r->kind = k;
			r->level = lv;
			r->cont = r->last != K_NONE;
		} else if (name_in(c, blocks)) {
			enum kind k = r->kind;
			int lv = r->level;
			/* a block inside a list item continues the item's line */
			if (k == K_ITEM && !r->line.len) {
				walk(r, c, depth + 1);
				continue;
			}
			flush(r);
			walk(r, c, depth + 1);
			flush(r);
			(void)lv;
		} else {
			walk(r, c, depth + 1); /* inline: a, span, strong, time ... */
		}
	}
}

/* ---- finding the part ----------------------------------------------------- */

static const xmlNode *find_main(const xmlNode *n, int depth, int *articles, const xmlNode **article)
{
	if (depth > PAGE_MAX_DEPTH)
		return NULL;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (name_is(c, "main"))
			return c;
		xmlChar *role = xmlGetProp(c, (const xmlChar *)"role");
		int main_role = role && !strcasecmp((const char *)role, "main");
		xmlFree(role);
		if (main_role)
			return c;
		if (name_is(c, "article") && !(*articles)++)
			*article = c;
		const xmlNode *m = find_main(c, depth + 1, articles, article);
		if (m)
			return m;
	}
	return NULL;
}

/* Link text over all text, for blocks outside any landmark: a block of
 * links ("Relaterat", a footer of menus without markup) is boilerplate. */
static void text_sizes(const xmlNode *n, int in_link, size_t *all, size_t *links, size_t *nlinks,
		       int depth)
{
	if (depth > PAGE_MAX_DEPTH)
		return;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && c->content) {
			size_t k = 0;
			for (const char *p = (const char *)c->content; *p; p++)
				k += *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r';
			*all += k;
			if (in_link)
				*links += k;
		} else if (c->type == XML_ELEMENT_NODE) {
			int a = name_is(c, "a");
			*nlinks += (size_t)a;
			text_sizes(c, in_link || a, all, links, nlinks, depth + 1);
		}
	}
}

/* Drops link lists from the body (only when the page has no landmark). */
static void drop_link_blocks(xmlNode *n, int depth)
{
	static const char *const lists[] = {"ul", "ol", "div", "section", "table", "p", NULL};
	if (depth > PAGE_MAX_DEPTH)
		return;
	for (xmlNode *c = n->children, *next; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (name_in(c, lists)) {
			size_t all = 0, links = 0, nlinks = 0;
			text_sizes(c, 0, &all, &links, &nlinks, 0);
			if (nlinks >= 4 && all > 0 && links * 10 >= all * 8) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
				continue;
			}
		}
		drop_link_blocks(c, depth + 1);
	}
}

static char *title_of(xmlDocPtr doc)
{
	xmlXPathContextPtr xp = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xp ? xmlXPathEvalExpression((const xmlChar *)"string(//title)", xp) : NULL;
	char *t = NULL;
	if (o && o->type == XPATH_STRING && o->stringval && *o->stringval) {
		t = text_clean((const char *)o->stringval, strlen((const char *)o->stringval));
		if (t)
			text_truncate(t, TITLE_MAX);
		if (t && !*t) {
			free(t);
			t = NULL;
		}
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	return t;
}

/* libxml2 prints XPath errors; the first is kept for the message. */
static void keep_first(void *ctx, const char *msg, ...)
{
	char *first = ctx;
	if (!first[0] && msg)
		snprintf(first, 200, "%s", msg);
}

static int by_selector(struct render *r, xmlDocPtr doc, const char *sel, struct err *err)
{
	while (*sel == ' ' || *sel == '\t')
		sel++;
	char *owned = NULL;
	const char *expr = sel;
	if (!(sel[0] == '/' || !strncmp(sel, "./", 2) || sel[0] == '(' || !strncmp(sel, "xpath:", 6))) {
		struct err e2 = {{0}};
		if (!(owned = css_to_xpath(sel, 0, &e2)))
			return err_set(err, "selector \"%s\": %s", sel, e2.msg);
		expr = owned;
	} else if (!strncmp(sel, "xpath:", 6)) {
		expr = sel + 6;
	}
	char first[208] = "";
	xmlGenericErrorFunc old = xmlGenericError;
	void *old_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(first, keep_first);
	xmlXPathContextPtr xp = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xp ? xmlXPathEvalExpression((const xmlChar *)expr, xp) : NULL;
	xmlSetGenericErrorFunc(old_ctx, old);
	int rc = 0;
	if (!o || o->type != XPATH_NODESET) {
		size_t k = strlen(first);
		while (k && (first[k - 1] == '\n' || first[k - 1] == ' '))
			first[--k] = '\0';
		rc = err_set(err, "selector \"%s\": %s", sel,
			     !o ? (first[0] ? first : "invalid XPath expression") : "does not select elements");
	} else if (!o->nodesetval || !o->nodesetval->nodeNr) {
		rc = err_set(err, "selector \"%s\" matched nothing: the page layout may have changed", sel);
	} else {
		for (int i = 0; i < o->nodesetval->nodeNr; i++) {
			const xmlNode *n = o->nodesetval->nodeTab[i];
			if (n->type == XML_ELEMENT_NODE) {
				/* the node itself, as if it were the only child */
				xmlNode holder = {0};
				holder.children = (xmlNode *)n;
				xmlNode *saved_next = n->next;
				((xmlNode *)n)->next = NULL;
				walk(r, &holder, 0);
				((xmlNode *)n)->next = saved_next;
				flush(r);
			} else if (n->type == XML_TEXT_NODE || n->type == XML_ATTRIBUTE_NODE) {
				xmlChar *v = xmlNodeGetContent(n);
				begin(r, K_PARA, 0);
				if (v)
					text(r, (const char *)v);
				xmlFree(v);
				flush(r);
			}
		}
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	free(owned);
	return rc;
}

int page_extract_html(const char *html, size_t len, const struct page_opts *o,
		      struct page_text *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	if (len > PAGE_MAX_HTML)
		return err_set(err, "page of %zu bytes is larger than the %u MiB limit", len,
			       PAGE_MAX_HTML >> 20);
	xmlDocPtr doc = htmlReadMemory(html ? html : "", (int)len, NULL, "UTF-8",
				       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
					       HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (!doc) {
		/* an empty body: no text, which the store calls broken (it is
		 * the page's problem, not the fetch's) */
		if (!(out->text = strdup("")))
			return err_set(err, "out of memory");
		return 0;
	}
	struct render r = {.out = BUF_INIT, .line = BUF_INIT, .clean = BUF_INIT,
			   .max = o && o->max_text ? o->max_text : PAGE_MAX_TEXT};
	int rc = 0;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (o && o->selector && *o->selector) {
		r.with_selector = 1;
		rc = by_selector(&r, doc, o->selector, err);
	} else if (root) {
		int articles = 0;
		const xmlNode *article = NULL;
		const xmlNode *m = find_main(root, 0, &articles, &article);
		if (!m && articles == 1)
			m = article;
		if (!m) {
			drop_link_blocks(root, 0);
			m = root;
		}
		if (m != root) {
			xmlNode holder = {0};
			xmlNode *saved_next = m->next;
			holder.children = (xmlNode *)m;
			((xmlNode *)m)->next = NULL;
			walk(&r, &holder, 0);
			((xmlNode *)m)->next = saved_next;
		} else {
			walk(&r, m, 0);
		}
		flush(&r);
	}
	if (!rc && !r.oom) {
		out->title = r.h1;
		r.h1 = NULL;
		if (!out->title)
			out->title = title_of(doc);
		out->text = buf_steal(&r.out);
		if (!out->text)
			r.oom = 1;
	}
	if (r.oom && !rc)
		rc = err_set(err, "out of memory");
	if (rc)
		page_text_free(out);
	free(r.h1);
	buf_free(&r.out);
	buf_free(&r.line);
	buf_free(&r.clean);
	xmlFreeDoc(doc);
	return rc;
}

void page_text_free(struct page_text *t)
{
	free(t->text);
	free(t->title);
	memset(t, 0, sizeof *t);
}

int page_extract_document(const char *data, size_t len, const char *content_type,
			  const struct page_opts *o, const char *language, struct page_text *out,
			  struct err *err)
{
	memset(out, 0, sizeof *out);
	if (!data)
		data = "";
	if (pdf_detect(data, len)) {
		struct pdf_opts po = {.page_word = pdf_page_word(language)};
		return pdf_extract(data, len, &po, out, err);
	}
	if (!memchr(data, '<', len < 1024 ? len : 1024) && !memchr(data, '\0', len) &&
	    utf8_valid(data, len)) {
		/* plain UTF-8 text (a saved extract): as it is */
		if (!(out->text = strndup(data, len)))
			return err_set(err, "out of memory");
		return 0;
	}
	struct buf utf8 = BUF_INIT;
	int r = charset_to_utf8(data, len, content_type, &utf8, NULL, 0, err);
	if (r == 0 && memchr(buf_str(&utf8), '<', utf8.len < 1024 ? utf8.len : 1024)) {
		r = page_extract_html(buf_str(&utf8), utf8.len, o, out, err);
	} else if (r == 0) {
		out->text = buf_steal(&utf8);
		if (!out->text)
			r = err_set(err, "out of memory");
	}
	buf_free(&utf8);
	return r;
}

/* ---- ignore ----------------------------------------------------------------- */

char *page_ignore(const char *text, size_t len, char *const *patterns, size_t npatterns,
		  struct err *err)
{
	struct buf cur = BUF_INIT;
	if (buf_append(&cur, text, len) < 0) {
		err_set(err, "out of memory");
		return NULL;
	}
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	if (mc)
		pcre2_set_match_limit(mc, 10000000);
	for (size_t i = 0; i < npatterns; i++) {
		int code;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED,
					       PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &code, &off,
					       NULL);
		if (!re) {
			char msg[200];
			pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
			err_set(err, "ignore \"%s\": %s at offset %zu", patterns[i], msg, (size_t)off);
			goto fail;
		}
		PCRE2_SIZE outlen = cur.len + 1;
		char *res = malloc(outlen);
		int rc = res ? pcre2_substitute(re, (PCRE2_SPTR)buf_str(&cur), cur.len, 0,
						PCRE2_SUBSTITUTE_GLOBAL | PCRE2_NO_UTF_CHECK, NULL, mc,
						(PCRE2_SPTR) "", 0, (PCRE2_UCHAR *)res, &outlen)
			     : PCRE2_ERROR_NOMEMORY;
		pcre2_code_free(re);
		if (rc < 0) {
			free(res);
			char msg[200];
			pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
			err_set(err, "ignore \"%s\": %s", patterns[i], msg);
			goto fail;
		}
		buf_reset(&cur);
		buf_append(&cur, res, outlen); /* removal only shrinks the text */
		free(res);
	}
	pcre2_match_context_free(mc);
	mc = NULL;
	/* lines left blank go; runs of blank lines become one */
	struct buf out = BUF_INIT;
	int blank = 1;
	const char *p = buf_str(&cur), *end = p + cur.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t == p || (t - p == 2 && !memcmp(p, "- ", 2))) {
			if (!blank)
				buf_putc(&out, '\n');
			blank = 1;
		} else {
			buf_append(&out, p, (size_t)(t - p));
			buf_putc(&out, '\n');
			blank = 0;
		}
		p = nl ? nl + 1 : end;
	}
	buf_free(&cur);
	char *r = buf_steal(&out);
	if (!r)
		err_set(err, "out of memory");
	return r;
fail:
	pcre2_match_context_free(mc);
	buf_free(&cur);
	return NULL;
}
