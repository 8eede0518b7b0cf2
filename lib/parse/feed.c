/* Feeds into items, streaming.
 *
 * XML feeds go through libxml2's SAX2 push parser; no tree is ever built.
 * Only the current item's raw fields are kept (each capped), in buffers
 * reused from item to item, so memory stays flat whatever the document's
 * size. JSON Feed is buffered (capped) and read with jansson at the end.
 *
 * Layers:
 *   1. filter: repairs what libxml2 would otherwise lose (a bare '&', an
 *      undeclared HTML entity) on the way into the push parser.
 *   2. SAX callbacks: classify each item child once, capture its text
 *      into a raw field (text, HTML with stray markup, XHTML, base64).
 *   3. emit: raw fields to struct item (HTML to text, URLs, dates,
 *      truncation, key), handed to the callback.
 */
#include "parse/feed.h"

#include <curl/curl.h>
#include <jansson.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "parse/date.h"
#include "core/text.h"

#define NS_ATOM10 "http://www.w3.org/2005/Atom"
#define NS_ATOM03 "http://purl.org/atom/ns#"
#define NS_RSS10 "http://purl.org/rss/1.0/"
#define NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define NS_USERLAND2 "http://backend.userland.com/rss2"
#define NS_USERLAND "http://backend.userland.com/rss"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_XHTML "http://www.w3.org/1999/xhtml"
#define NS_MEDIA "http://search.yahoo.com/mrss/"

#define SUMMARY_MAX_DEFAULT 600
#define CONTENT_MAX (64 * 1024)
#define FIELD_MAX (1024 * 1024)       /* raw bytes kept per field */
#define JSON_MAX (64 * 1024 * 1024)   /* a JSON Feed is read whole */
#define SLICE (64 * 1024)             /* bytes handed to libxml2 at a time */
#define PRE_MAX 4096                  /* leading whitespace before detection */
#define MAX_CATEGORIES 64
#define MAX_ENCLOSURES 16
#define MAX_BASES 32
#define MAX_ENT_CLONES 1024
#define HOLD_MAX 64

/* ---- raw fields ----------------------------------------------------------- */

enum ttype { T_TEXT = 0, T_HTML, T_XHTML };
enum cmode { M_TEXT = 0, M_HTML, M_XHTML, M_B64 };

struct raw {
	struct buf title, summary, content, link, guid_url, key, about, author, aname, aemail,
		published, updated, dc_date, created, cats, encl, tmp;
	enum ttype title_t, summary_t, content_t;
	int title_prio, summary_prio, content_prio, link_prio, author_prio;
	int key_set, guid_perma, rss_author;
	size_t ncats, nencl;
};

static struct buf *raw_bufs(struct raw *r, size_t i)
{
	struct buf *v[] = {&r->title, &r->summary, &r->content, &r->link, &r->guid_url,
			   &r->key, &r->about, &r->author, &r->aname, &r->aemail,
			   &r->published, &r->updated, &r->dc_date, &r->created, &r->cats,
			   &r->encl, &r->tmp};
	return i < sizeof v / sizeof *v ? v[i] : NULL;
}

static void raw_reset(struct raw *r)
{
	struct buf *v[] = {&r->title, &r->summary, &r->content, &r->link, &r->guid_url,
			   &r->key, &r->about, &r->author, &r->aname, &r->aemail,
			   &r->published, &r->updated, &r->dc_date, &r->created, &r->cats,
			   &r->encl, &r->tmp};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		if (v[i]->len) {
			v[i]->len = 0;
			v[i]->data[0] = '\0';
		}
	r->title_t = r->summary_t = r->content_t = T_TEXT;
	r->title_prio = r->summary_prio = r->content_prio = r->link_prio = r->author_prio = 0;
	r->key_set = r->guid_perma = r->rss_author = 0;
	r->ncats = r->nencl = 0;
}

static void raw_free(struct raw *r)
{
	struct buf *b;
	for (size_t i = 0; (b = raw_bufs(r, i)); i++)
		buf_free(b);
}

/* ---- the parser ------------------------------------------------------------ */

enum kind { K_UNKNOWN = 0, K_XML, K_JSON };
enum root { R_NONE = 0, R_RSS, R_RDF, R_ATOM };
enum fstate { F_TEXT = 0, F_CDATA, F_COMMENT, F_PI, F_DOCTYPE };

struct ent_clone {
	xmlEntity e;
	struct ent_clone *next;
};

struct base {
	int depth;
	char *url;
};

struct feed_parser {
	const char *base_url; /* copy owned: base_copy */
	char *base_copy;
	size_t summary_max;
	feed_item_fn cb;
	void *cbctx;

	enum kind kind;
	struct buf pre;  /* bytes before the format is known */
	struct buf json; /* the whole JSON document */
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	char head[8]; /* first bytes, for libxml2's encoding detection */
	size_t headlen;
	int finished;

	/* filter */
	enum fstate fs;
	int f_off;         /* UTF-16/32: libxml2 alone */
	int has_entities;  /* the DTD declares entities: names pass through */
	int dt_depth;      /* [ ] nesting in the DOCTYPE */
	char dt_quote;
	char hold[HOLD_MAX];
	size_t holdlen;
	struct buf fin, fout;

	/* document state */
	enum root root;
	const char *format;
	int depth;
	int channel_depth;
	int item_depth;  /* 0 outside an item */
	int group_depth; /* media:group inside an item */
	int person_depth, person_feed;
	char *feed_author;
	struct base bases[MAX_BASES];
	int nbases;

	/* capture */
	struct buf *cap;
	int cap_depth;
	enum cmode cap_mode;
	int cap_what;
	enum ttype cap_type; /* after base64 decoding */
	size_t open_pos;     /* end of the last serialised start tag */
	int div_depth;       /* XHTML wrapper div being skipped */
	int link_rel;        /* for an Atom link given as element text */

	/* The item being read: r_own, or a ring slot's raw item once the
	 * pipeline has swapped them (pointers: a raw item is 450 bytes). */
	struct raw *r, r_own;
	int threaded, pipe_failed;
	struct pipeline *pipe;
	CURLU *cu;
	struct buf ubuf;
	struct buf scratch; /* build_item's on this thread */
	struct ent_clone *clones;
	size_t nclones;

	/* outcome */
	int count;
	int stopped, oom, fatal; /* fatal: the parse cannot continue */
	int xerr;                /* first XML error recorded */
	int xline, xcol;
	char xmsg[400];
	char fatal_msg[512];
	struct {
		const xmlChar *name;
		int ns, cls;
	} elcache[64]; /* classify_cached's hash picks one of 64 */
	const xmlChar *nscache_ptr[8];
	int nscache_cls[8];
	int nscache_next;
};

/* ---- URLs --------------------------------------------------------------- */

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int is_hex(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
/* The punctuation canonical_http passes as it is: -_~!$&'()*+,;=:@ */
static const unsigned char url_plain[128] = {
	['-'] = 1, ['_'] = 1, ['~'] = 1, ['!'] = 1, ['$'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1,
	[')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, [';'] = 1, ['='] = 1, [':'] = 1, ['@'] = 1,
};

/* 1 when s[0..n) is an absolute http(s) URL that libcurl would hand back
 * unchanged: lowercase scheme and host, a path, only URL-safe characters,
 * well-formed escapes, no dot segments, no port or user info. */
static int canonical_http(const char *s, size_t n)
{
	size_t i;
	if (n > 7 && !memcmp(s, "http://", 7))
		i = 7;
	else if (n > 8 && !memcmp(s, "https://", 8))
		i = 8;
	else
		return 0;
	size_t h = i;
	int prev_dot = 1;
	for (; i < n && s[i] != '/'; i++) {
		char c = s[i];
		if (c == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			prev_dot = 0;
		} else {
			return 0;
		}
	}
	if (i == h || i == n || prev_dot)
		return 0;
	int part = 0; /* 0 path, 1 query, 2 fragment */
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c < 0x80 && url_plain[c]))
			continue;
		if (c == '%') {
			if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			continue;
		}
		if (c == '/') {
			if (part == 0 && s[i + 1 < n ? i + 1 : i] == '.' )
				return 0; /* possible dot segment: let libcurl decide */
			continue;
		}
		if (c == '.')
			continue;
		if (c == '?' && part == 0) {
			part = 1;
			if (i + 1 == n || s[i + 1] == '#')
				return 0;
			continue;
		}
		if (c == '?' )
			continue;
		if (c == '#' && part < 2) {
			part = 2;
			if (i + 1 == n)
				return 0;
			continue;
		}
		return 0;
	}
	return 1;
}

/* ref resolved against base (NULL: must be absolute) with libcurl's URL
 * API, on one handle reused for the whole document. http_only keeps only
 * http and https results. Returns a new string or NULL. */
static char *resolve(struct feed_parser *p, const char *base, const char *ref, size_t n,
		     int http_only)
{
	while (n && is_ws((unsigned char)*ref))
		ref++, n--;
	while (n && is_ws((unsigned char)ref[n - 1]))
		n--;
	if (!n || n > 8192)
		return NULL;
	/* Most links are already absolute and canonical: libcurl would parse
	 * and rebuild them unchanged, which dominated the profile. */
	if (canonical_http(ref, n)) {
		char *c = strndup(ref, n);
		if (!c)
			p->oom = 1;
		return c;
	}
	buf_reset(&p->ubuf);
	if (buf_append(&p->ubuf, ref, n) < 0) {
		p->oom = 1;
		return NULL;
	}
	if (!p->cu && !(p->cu = curl_url())) {
		p->oom = 1;
		return NULL;
	}
	const char *r = p->ubuf.data;
	/* An absolute URL needs no base: skip parsing one. */
	size_t k = 0;
	while (k < n && ((r[k] >= 'a' && r[k] <= 'z') || (r[k] >= 'A' && r[k] <= 'Z') ||
			 (k && ((r[k] >= '0' && r[k] <= '9') || r[k] == '+' || r[k] == '-' ||
				r[k] == '.'))))
		k++;
	int absolute = k > 0 && k < n && r[k] == ':' && k + 2 < n && r[k + 1] == '/' &&
		       r[k + 2] == '/';
	if (!absolute) {
		if (!base || curl_url_set(p->cu, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) !=
				     CURLUE_OK)
			curl_url_set(p->cu, CURLUPART_URL, NULL, 0);
	}
	char *out = NULL, *scheme = NULL, *res = NULL;
	if (curl_url_set(p->cu, CURLUPART_URL, r, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		return NULL;
	if (http_only && (curl_url_get(p->cu, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			  (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)))
		goto done;
	if (curl_url_get(p->cu, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto done;
	if (!(res = strdup(out)))
		p->oom = 1;
done:
	curl_free(out);
	curl_free(scheme);
	return res;
}

static void put(struct feed_parser *p, struct buf *b, const char *s, size_t n);
static void set_buf(struct feed_parser *p, struct buf *b, const char *s);

/* resolve, with the result in out (replacing what it held): a link that
 * is already canonical is copied straight in, with no string of its own.
 * Returns 1, or 0 with out as it was. */
static int resolve_to(struct feed_parser *p, struct buf *out, const char *base, const char *ref,
		      size_t n, int http_only)
{
	while (n && is_ws((unsigned char)*ref))
		ref++, n--;
	while (n && is_ws((unsigned char)ref[n - 1]))
		n--;
	if (n && n <= 8192 && canonical_http(ref, n)) {
		buf_reset(out);
		put(p, out, ref, n);
		return 1;
	}
	char *u = resolve(p, base, ref, n, http_only);
	if (!u)
		return 0;
	set_buf(p, out, u);
	free(u);
	return 1;
}

static const char *cur_base(const struct feed_parser *p)
{
	return p->nbases ? p->bases[p->nbases - 1].url : p->base_url;
}

/* ---- small helpers ------------------------------------------------------- */

static void put(struct feed_parser *p, struct buf *b, const char *s, size_t n)
{
	/* Every captured byte comes through here: the usual case in place. */
	if (n < b->cap - b->len && b->len + n <= FIELD_MAX) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	if (b->len + n > FIELD_MAX) {
		if (b->len >= FIELD_MAX)
			return;
		n = FIELD_MAX - b->len; /* the rest of the field is dropped */
	}
	if (buf_append(b, s, n) < 0)
		p->oom = 1;
}

static void put_escaped(struct feed_parser *p, struct buf *b, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = s[i] == '<' ? "&lt;" : s[i] == '&' ? "&amp;" : NULL;
		if (!rep)
			continue;
		put(p, b, s + st, i - st);
		put(p, b, rep, rep[1] == 'l' ? 4 : 5);
		st = i + 1;
	}
	put(p, b, s + st, n - st);
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

static void put_attr(struct feed_parser *p, struct buf *b, const xmlChar *v, size_t n)
{
	const char *s = (const char *)v;
	size_t st = 0;
	for (size_t i = 0; i + 5 <= n; i++)
		if (s[i] == '&' && !memcmp(s + i, "&#38;", 5)) {
			put(p, b, s + st, i + 1 - st);
			st = i + 5;
			i += 4;
		}
	put(p, b, s + st, n - st);
}

static int attr_is(int n, const xmlChar **attrs, const char *name, const char *want)
{
	size_t len;
	const xmlChar *v = attr_find(n, attrs, name, &len);
	return v && len == strlen(want) && !strncasecmp((const char *)v, want, len);
}

static void set_buf(struct feed_parser *p, struct buf *b, const char *s)
{
	buf_reset(b);
	if (s)
		put(p, b, s, strlen(s));
}

/* Categories and enclosures are kept NUL-separated in one buffer each. */
static void add_cat(struct feed_parser *p, const char *s, size_t n)
{
	if (p->r->ncats >= MAX_CATEGORIES)
		return;
	put(p, &p->r->cats, s, n);
	put(p, &p->r->cats, "", 1);
	p->r->ncats++;
}

static void add_encl(struct feed_parser *p, const char *url, size_t ulen, const char *type,
		     size_t tlen, const char *length, size_t llen)
{
	if (p->r->nencl >= MAX_ENCLOSURES || !url || !ulen)
		return;
	char *u = resolve(p, cur_base(p), url, ulen, 1);
	if (!u)
		return;
	put(p, &p->r->encl, u, strlen(u) + 1);
	free(u);
	put(p, &p->r->encl, type ? type : "", type ? tlen : 0);
	put(p, &p->r->encl, "", 1);
	put(p, &p->r->encl, length ? length : "", length ? llen : 0);
	put(p, &p->r->encl, "", 1);
	p->r->nencl++;
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

/* ---- element classes ------------------------------------------------------ */

enum nsc { N_OTHER = 0, N_RSS, N_ATOM, N_DC, N_DCTERMS, N_CONTENT, N_MEDIA, N_XHTML, N_RDF };

static int ns_class(struct feed_parser *p, const xmlChar *uri)
{
	if (!uri || !*uri)
		return N_RSS;
	/* libxml2 interns namespace names: the same pointer comes back. */
	for (int i = 0; i < 8; i++)
		if (p->nscache_ptr[i] == uri)
			return p->nscache_cls[i];
	static const struct {
		const char *uri;
		int cls;
	} known[] = {{NS_RSS10, N_RSS},     {NS_RSS090, N_RSS},     {NS_USERLAND2, N_RSS},
		     {NS_USERLAND, N_RSS},  {NS_ATOM10, N_ATOM},    {NS_ATOM03, N_ATOM},
		     {NS_DC, N_DC},         {NS_DCTERMS, N_DCTERMS}, {NS_CONTENT, N_CONTENT},
		     {NS_MEDIA, N_MEDIA},   {"http://search.yahoo.com/mrss", N_MEDIA},
		     {NS_XHTML, N_XHTML},   {NS_RDF, N_RDF}};
	int cls = N_OTHER;
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (!strcmp((const char *)uri, known[i].uri)) {
			cls = known[i].cls;
			break;
		}
	p->nscache_ptr[p->nscache_next] = uri;
	p->nscache_cls[p->nscache_next] = cls;
	p->nscache_next = (p->nscache_next + 1) % 8;
	return cls;
}

enum el {
	E_OTHER = 0,
	E_R_TITLE, E_R_LINK, E_R_GUID, E_R_DESC, E_R_AUTHOR, E_R_CATEGORY, E_R_TAGS,
	E_R_PUBDATE, E_R_ENCLOSURE, E_R_FULLITEM, E_R_BODY,
	E_A_TITLE, E_A_LINK, E_A_ID, E_A_SUMMARY, E_A_CONTENT, E_A_AUTHOR, E_A_CATEGORY,
	E_A_PUBLISHED, E_A_CREATED, E_A_UPDATED,
	E_DC_TITLE, E_DC_DESC, E_DC_CREATOR, E_DC_SUBJECT, E_DC_DATE,
	E_DT_ISSUED, E_DT_CREATED, E_DT_MODIFIED, E_ENCODED,
	E_M_CONTENT, E_M_DESC, E_M_GROUP, E_X_BODY,
	/* capture targets that are not item children */
	E_NAME, E_EMAIL, E_LINK_TEXT,
};

static int streq(const xmlChar *a, const char *b) { return !strcmp((const char *)a, b); }

static enum el classify(int ns, const xmlChar *n)
{
	/* Names no class knows (a cheap test before the string compares). */
	switch (n[0]) {
	case 'a': case 'b': case 'c': case 'd': case 'e': case 'f': case 'g': case 'i':
	case 'l': case 'm': case 'p': case 's': case 't': case 'u':
		break;
	default:
		return E_OTHER;
	}
	switch (ns) {
	case N_RSS:
		if (streq(n, "title")) return E_R_TITLE;
		if (streq(n, "link")) return E_R_LINK;
		if (streq(n, "guid")) return E_R_GUID;
		if (streq(n, "description") || streq(n, "summary")) return E_R_DESC;
		if (streq(n, "author")) return E_R_AUTHOR;
		if (streq(n, "category")) return E_R_CATEGORY;
		if (streq(n, "tags")) return E_R_TAGS;
		if (streq(n, "pubDate")) return E_R_PUBDATE;
		if (streq(n, "enclosure")) return E_R_ENCLOSURE;
		if (streq(n, "fullitem")) return E_R_FULLITEM;
		if (streq(n, "body")) return E_R_BODY;
		break;
	case N_ATOM:
		if (streq(n, "title")) return E_A_TITLE;
		if (streq(n, "link")) return E_A_LINK;
		if (streq(n, "id")) return E_A_ID;
		if (streq(n, "summary")) return E_A_SUMMARY;
		if (streq(n, "content")) return E_A_CONTENT;
		if (streq(n, "author")) return E_A_AUTHOR;
		if (streq(n, "category")) return E_A_CATEGORY;
		if (streq(n, "published") || streq(n, "issued")) return E_A_PUBLISHED;
		if (streq(n, "created")) return E_A_CREATED;
		if (streq(n, "updated") || streq(n, "modified")) return E_A_UPDATED;
		break;
	case N_DC:
		if (streq(n, "title")) return E_DC_TITLE;
		if (streq(n, "description")) return E_DC_DESC;
		if (streq(n, "creator") || streq(n, "author")) return E_DC_CREATOR;
		if (streq(n, "subject")) return E_DC_SUBJECT;
		if (streq(n, "date")) return E_DC_DATE;
		break;
	case N_DCTERMS:
		if (streq(n, "issued")) return E_DT_ISSUED;
		if (streq(n, "created")) return E_DT_CREATED;
		if (streq(n, "modified")) return E_DT_MODIFIED;
		break;
	case N_CONTENT:
		if (streq(n, "encoded")) return E_ENCODED;
		break;
	case N_MEDIA:
		if (streq(n, "content")) return E_M_CONTENT;
		if (streq(n, "description")) return E_M_DESC;
		if (streq(n, "group")) return E_M_GROUP;
		break;
	case N_XHTML:
		if (streq(n, "body")) return E_X_BODY;
		break;
	default:
		break;
	}
	return E_OTHER;
}

/* libxml2 interns element names in the parser's dictionary, so a name
 * pointer seen before has the same class again (string compares for every
 * item child showed in profiles). Names it does not own are not cached. */
static enum el classify_cached(struct feed_parser *p, int ns, const xmlChar *name)
{
	/* Interned names sit next to each other in the dictionary's pool:
	 * multiplying spreads them over the slots (shifting alone had the
	 * usual item children collide). */
	size_t h = (size_t)(((uint64_t)((uintptr_t)name + (uintptr_t)ns) *
			     UINT64_C(0x9E3779B97F4A7C15)) >> 58);
	if (p->elcache[h].name == name && p->elcache[h].ns == ns)
		return (enum el)p->elcache[h].cls;
	enum el e = classify(ns, name);
	if (p->ctxt && p->ctxt->dict && xmlDictOwns(p->ctxt->dict, name) == 1) {
		p->elcache[h].name = name;
		p->elcache[h].ns = ns;
		p->elcache[h].cls = (int)e;
	}
	return e;
}

/* ---- capture ---------------------------------------------------------------- */

static void capture(struct feed_parser *p, struct buf *b, int what, enum cmode m, enum ttype t)
{
	buf_reset(b);
	p->cap = b;
	p->cap_depth = p->depth;
	p->cap_what = what;
	p->cap_mode = m;
	p->cap_type = t;
	p->div_depth = 0;
}

/* Atom text constructs: 1.0 type (text, html, xhtml, a MIME type) and
 * 0.3 type + mode (xml, escaped, base64). */
static void text_construct(struct feed_parser *p, struct buf *b, int what, int n,
			   const xmlChar **attrs, enum ttype *type_out)
{
	size_t tl = 0, ml = 0;
	const char *t = (const char *)attr_find(n, attrs, "type", &tl);
	const char *m = (const char *)attr_find(n, attrs, "mode", &ml);
	enum ttype tt = T_TEXT;
	enum cmode cm = M_TEXT;
#define TIS(s) (t && tl == strlen(s) && !strncasecmp(t, s, tl))
	if (!t || !tl || TIS("text") || TIS("text/plain")) {
		tt = T_TEXT;
	} else if (TIS("html") || TIS("text/html")) {
		tt = T_HTML;
	} else if (TIS("xhtml") || TIS("application/xhtml+xml")) {
		tt = T_XHTML;
	} else if (tl > 5 && !strncasecmp(t, "text/", 5)) {
		tt = T_TEXT;
	} else if ((tl > 4 && !strncasecmp(t + tl - 4, "+xml", 4)) ||
		   (tl > 4 && !strncasecmp(t + tl - 4, "/xml", 4))) {
		tt = T_XHTML; /* inline XML: its text is what a reader sees */
	} else {
		tt = T_HTML; /* other media types are base64 payloads */
		cm = M_B64;
	}
#undef TIS
	if (m && ml == 6 && !strncmp(m, "base64", 6))
		cm = M_B64;
	else if (m && ml == 7 && !strncmp(m, "escaped", 7) && tt == T_XHTML)
		tt = T_HTML;
	if (cm != M_B64)
		cm = tt == T_XHTML ? M_XHTML : tt == T_HTML ? M_HTML : M_TEXT;
	*type_out = tt == T_XHTML ? T_HTML : tt; /* serialised XHTML is read as HTML */
	capture(p, b, what, cm, *type_out);
}

static void atom_link_apply(struct feed_parser *p, int rel_alt, const char *href, size_t n)
{
	int prio = rel_alt ? 2 : 1;
	if (p->r->link_prio >= prio)
		return;
	if (resolve_to(p, &p->r->link, cur_base(p), href, n, 1))
		p->r->link_prio = prio;
}

/* An item child starts: decide what, if anything, to capture. */
static void item_child(struct feed_parser *p, enum el e, int n, const xmlChar **attrs)
{
	struct raw *r = p->r;
	switch (e) {
	case E_R_TITLE:
	case E_DC_TITLE: {
		int prio = e == E_R_TITLE ? 2 : 1;
		if (r->title_prio < prio) {
			r->title_prio = prio;
			r->title_t = T_HTML; /* RSS titles carry entities and markup too */
			capture(p, &r->title, e, M_HTML, T_HTML);
		}
		break;
	}
	case E_A_TITLE:
		if (r->title_prio < 2) {
			r->title_prio = 2;
			text_construct(p, &r->title, e, n, attrs, &r->title_t);
		}
		break;
	case E_R_LINK:
		if (r->link_prio < 2)
			capture(p, &r->tmp, e, M_TEXT, T_TEXT);
		break;
	case E_R_GUID:
		if (!r->key_set) {
			r->guid_perma = !attr_is(n, attrs, "isPermaLink", "false");
			capture(p, &r->key, e, M_TEXT, T_TEXT);
		}
		break;
	case E_A_ID:
		if (!r->key_set)
			capture(p, &r->key, e, M_TEXT, T_TEXT);
		break;
	case E_R_DESC:
	case E_DC_DESC:
		if (r->summary_prio < 2) {
			r->summary_prio = 2;
			r->summary_t = e == E_DC_DESC ? T_TEXT : T_HTML;
			capture(p, &r->summary, e, e == E_DC_DESC ? M_TEXT : M_HTML, r->summary_t);
		} else if (e == E_R_DESC && r->content_prio < 1) {
			/* description and summary both: the second is the content */
			r->content_prio = 1;
			r->content_t = T_HTML;
			capture(p, &r->content, e, M_HTML, T_HTML);
		}
		break;
	case E_M_DESC:
		if (r->summary_prio < 1) {
			r->summary_prio = 1;
			r->summary_t = attr_is(n, attrs, "type", "html") ? T_HTML : T_TEXT;
			capture(p, &r->summary, e, r->summary_t == T_HTML ? M_HTML : M_TEXT,
				r->summary_t);
		}
		break;
	case E_A_SUMMARY:
		if (r->summary_prio < 2) {
			r->summary_prio = 2;
			text_construct(p, &r->summary, e, n, attrs, &r->summary_t);
		}
		break;
	case E_A_CONTENT: {
		size_t sl;
		if (r->content_prio < 2 && !attr_find(n, attrs, "src", &sl)) {
			r->content_prio = 2;
			text_construct(p, &r->content, e, n, attrs, &r->content_t);
		}
		break;
	}
	case E_ENCODED:
	case E_R_FULLITEM:
	case E_R_BODY:
		if (r->content_prio < 2) {
			r->content_prio = 2;
			r->content_t = T_HTML;
			capture(p, &r->content, e, M_HTML, T_HTML);
		}
		break;
	case E_X_BODY:
		if (r->content_prio < 2) {
			r->content_prio = 2;
			r->content_t = T_HTML;
			capture(p, &r->content, e, M_XHTML, T_HTML);
			p->div_depth = -1; /* no wrapper div to skip */
		}
		break;
	case E_R_AUTHOR:
		if (r->author_prio < 2) {
			r->author_prio = 2;
			r->rss_author = 1;
			capture(p, &r->author, e, M_TEXT, T_TEXT);
		}
		break;
	case E_DC_CREATOR:
		if (r->author_prio < 1) {
			r->author_prio = 1;
			r->rss_author = 1;
			capture(p, &r->author, e, M_TEXT, T_TEXT);
		}
		break;
	case E_A_AUTHOR:
		if (r->author_prio < 2) {
			p->person_depth = p->depth;
			p->person_feed = 0;
			buf_reset(&r->aname);
			buf_reset(&r->aemail);
		}
		break;
	case E_R_CATEGORY:
	case E_DC_SUBJECT:
	case E_R_TAGS:
		capture(p, &r->tmp, e, M_TEXT, T_TEXT);
		break;
	case E_A_CATEGORY: {
		size_t len;
		const xmlChar *v = attr_find(n, attrs, "term", &len);
		if (!v || !len)
			v = attr_find(n, attrs, "label", &len);
		if (v && len) {
			buf_reset(&p->ubuf);
			put_attr(p, &p->ubuf, v, len);
			add_cat(p, p->ubuf.data, p->ubuf.len);
		}
		break;
	}
	case E_R_PUBDATE:
	case E_A_PUBLISHED:
	case E_DT_ISSUED:
		capture(p, &r->published, e, M_TEXT, T_TEXT); /* the last one wins */
		break;
	case E_A_CREATED:
	case E_DT_CREATED:
		capture(p, &r->created, e, M_TEXT, T_TEXT);
		break;
	case E_A_UPDATED:
	case E_DT_MODIFIED:
		capture(p, &r->updated, e, M_TEXT, T_TEXT);
		break;
	case E_DC_DATE:
		capture(p, &r->dc_date, e, M_TEXT, T_TEXT);
		break;
	case E_R_ENCLOSURE:
	case E_M_CONTENT: {
		size_t ul = 0, tl = 0, ll = 0;
		const xmlChar *u = attr_find(n, attrs, "url", &ul);
		const xmlChar *t = attr_find(n, attrs, "type", &tl);
		const xmlChar *l = attr_find(n, attrs, e == E_M_CONTENT ? "fileSize" : "length", &ll);
		if (u) {
			struct buf ub = BUF_INIT;
			put_attr(p, &ub, u, ul);
			add_encl(p, buf_str(&ub), ub.len, (const char *)t, tl, (const char *)l, ll);
			buf_free(&ub);
		}
		break;
	}
	case E_A_LINK: {
		size_t hl = 0, rl = 0;
		const xmlChar *href = attr_find(n, attrs, "href", &hl);
		const xmlChar *rel = attr_find(n, attrs, "rel", &rl);
		int alt = !rel || (rl == 9 && !strncmp((const char *)rel, "alternate", 9));
		int encl = rel && rl == 9 && !strncmp((const char *)rel, "enclosure", 9);
		if (href) {
			struct buf hb = BUF_INIT;
			put_attr(p, &hb, href, hl);
			if (encl) {
				size_t tl = 0, ll = 0;
				const xmlChar *t = attr_find(n, attrs, "type", &tl);
				const xmlChar *l = attr_find(n, attrs, "length", &ll);
				add_encl(p, buf_str(&hb), hb.len, (const char *)t, tl,
					 (const char *)l, ll);
			}
			atom_link_apply(p, alt, buf_str(&hb), hb.len);
			buf_free(&hb);
		} else if (!encl && r->link_prio < (alt ? 2 : 1)) {
			/* Atom 0.3-era feeds put the address in the element */
			p->link_rel = alt;
			capture(p, &r->tmp, E_LINK_TEXT, M_TEXT, T_TEXT);
		}
		break;
	}
	case E_M_GROUP:
		p->group_depth = p->depth;
		break;
	default:
		break;
	}
}

/* Splits "tag one, tag two" into categories. */
static void add_cat_list(struct feed_parser *p, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == ',') {
			size_t a = st, b = i;
			while (a < b && is_ws((unsigned char)s[a]))
				a++;
			while (b > a && is_ws((unsigned char)s[b - 1]))
				b--;
			if (b > a)
				add_cat(p, s + a, b - a);
			st = i + 1;
		}
}

/* A capture ends (the element closed). */
static void capture_end(struct feed_parser *p)
{
	struct raw *r = p->r;
	struct buf *b = p->cap;
	if (p->cap_mode == M_B64) {
		base64_decode(b);
		if (b == &r->title)
			r->title_t = p->cap_type;
		else if (b == &r->summary)
			r->summary_t = p->cap_type;
		else if (b == &r->content)
			r->content_t = p->cap_type;
	}
	switch (p->cap_what) {
	case E_R_LINK: {
		if (resolve_to(p, &r->link, cur_base(p), b->data ? b->data : "", b->len, 1))
			r->link_prio = 2;
		break;
	}
	case E_LINK_TEXT:
		atom_link_apply(p, p->link_rel, b->data ? b->data : "", b->len);
		break;
	case E_R_GUID:
		r->key_set = b->len > 0;
		if (r->guid_perma && b->len &&
		    !resolve_to(p, &r->guid_url, cur_base(p), b->data, b->len, 1))
			buf_reset(&r->guid_url);
		break;
	case E_A_ID:
		r->key_set = b->len > 0;
		/* Atom 0.3 feeds give relative ids; resolve path-like ones only,
		 * so opaque ids ("tag:", "urn:", plain words) stay as they are. */
		if (b->len && (b->data[0] == '/' || !strncmp(b->data, "./", 2) ||
			       !strncmp(b->data, "../", 3)) &&
		    cur_base(p)) {
			char *u = resolve(p, cur_base(p), b->data, b->len, 0);
			if (u)
				set_buf(p, b, u);
			free(u);
		}
		break;
	case E_R_CATEGORY:
	case E_DC_SUBJECT:
		if (b->len)
			add_cat(p, b->data, b->len);
		break;
	case E_R_TAGS:
		if (b->len)
			add_cat_list(p, b->data, b->len);
		break;
	case E_NAME:
	case E_EMAIL:
		break;
	default:
		break;
	}
	p->cap = NULL;
	p->cap_depth = 0;
}

/* ---- item to struct item -------------------------------------------------- */

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
static int to_text(struct buf *sc, const struct buf *b, enum ttype t)
{
	buf_reset(sc);
	if (!b->len)
		return 0;
	if (t == T_TEXT ? text_clean_buf(sc, b->data, b->len) : text_from_html_buf(sc, b->data, b->len))
		return 0;
	return sc->len > 0;
}

/* Titles are one line. The folding in text.c leaves no space next to a
 * line break, so each run of breaks becomes exactly one space. */
static void one_line(char *s)
{
	char *w = s;
	for (const char *q = s; *q; q++) {
		if (*q == '\n') {
			while (q[1] == '\n')
				q++;
			*w++ = ' ';
		} else {
			*w++ = *q;
		}
	}
	*w = '\0';
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

static time_t date_of(const struct buf *b)
{
	if (!b->len)
		return 0;
	/* Dates are short; trimming here keeps date_parse simple. */
	const char *s = b->data;
	size_t n = b->len;
	while (n && is_ws((unsigned char)*s))
		s++, n--;
	while (n && is_ws((unsigned char)s[n - 1]))
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

/* sc: scratch space for the conversions, the caller's (one per thread). */
static int build_item(const struct raw *r, const char *feed_author, size_t summary_max,
		      struct buf *sc, struct item *it)
{
	if (to_text(sc, &r->title, r->title_t)) {
		one_line(sc->data);
		it->title = strdup(sc->data);
	}
	if (to_text(sc, &r->summary, r->summary_t)) {
		text_truncate(sc->data, summary_max);
		it->summary = strdup(sc->data);
	}
	if (to_text(sc, &r->content, r->content_t)) {
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
		it->content = strdup(sc->data);
	}
	if (r->author_prio) {
		if (r->author.len)
			it->author = clean(sc, r->author.data, r->author.len);
		else
			it->author = person(&r->aname, &r->aemail);
		if (it->author && r->rss_author)
			it->author = rss_author(it->author);
	} else if (feed_author) {
		it->author = strdup(feed_author);
	}
	if (it->author) {
		one_line(it->author);
		if (!*it->author) {
			free(it->author);
			it->author = NULL;
		}
	}
	if (r->link.len)
		it->url = strdup(r->link.data);
	else if (r->guid_url.len)
		it->url = strdup(r->guid_url.data);
	it->url = url_utf8(it->url);
	const struct buf *kb = r->key.len ? &r->key : r->about.len ? &r->about : NULL;
	if (kb) {
		char *k = clean(sc, kb->data, kb->len);
		if (k && *k)
			it->key = k;
		else
			free(k);
	}
	const char *c = r->cats.data;
	for (size_t i = 0; i < r->ncats; i++) {
		size_t cl = strlen(c);
		char *t = clean(sc, c, cl);
		c += cl + 1;
		if (!t)
			return -1;
		one_line(t);
		int dup = !*t;
		for (size_t j = 0; !dup && j < it->ncategories; j++)
			dup = strcmp(it->categories[j], t) == 0;
		int rc = dup ? 0 : item_add_category(it, t);
		free(t);
		if (rc < 0)
			return -1;
	}
	const char *e = r->encl.data;
	for (size_t i = 0; i < r->nencl; i++) {
		const char *u = e, *t = u + strlen(u) + 1, *l = t + strlen(t) + 1;
		e = l + strlen(l) + 1;
		char *tc = *t ? clean(sc, t, strlen(t)) : NULL;
		char *uc = url_utf8(strdup(u));
		long long len = 0;
		if (*l) {
			char *end;
			len = strtoll(l, &end, 10);
			if (len < 0 || end == l)
				len = 0;
		}
		int rc = uc ? item_add_enclosure(it, uc, tc && *tc ? tc : NULL, len) : -1;
		free(uc);
		free(tc);
		if (rc < 0)
			return -1;
	}
	it->published = date_of(&r->published);
	if (!it->published)
		it->published = date_of(&r->created);
	if (!it->published)
		it->published = date_of(&r->dc_date);
	it->updated = date_of(&r->updated);
	if (!it->updated)
		it->updated = date_of(&r->dc_date);
	return item_ensure_key(it);
}

/* ---- the item pipeline (opt-in: feed_parser_threaded) ---------------------
 *
 * The SAX thread swaps each finished raw item into a ring slot and takes
 * back an empty one; a worker builds the items and calls the callback in
 * document order. push and finish drain the ring before they return, so
 * the callback never runs outside those calls. Everything below `mu` is
 * guarded by it; a slot belongs to the worker from the hand-off until
 * `n` no longer counts it.
 *
 * Slots are filled without the lock and published BATCH at a time: the
 * slots past head + n are the SAX thread's alone, and the worker only
 * ever shrinks n, so free room seen earlier is still there. One lock and
 * at most one wake-up per batch instead of a lock per item. */

#define RING 256
/* Items the worker is woken for: fewer wake-ups. (A worker polling on a
 * timer instead woke less often but made the wall time worse; so did
 * larger batches, which lengthen the wait at the end of each push.) */
#define BATCH 64
/* An idle worker watches for the next batch this long before it sleeps:
 * a batch comes every ~0.2 ms while items flow, and waking a sleeping
 * thread costs the SAX thread a system call (tens of us under a VM). */
#define SPIN_NS 300000L
#define RING_BYTES (4u << 20) /* raw bytes waiting at most */
#define SLOT_KEEP (64 * 1024) /* buffer capacity a slot keeps between items */

struct pipeline {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, room;
	struct raw *ring[RING]; /* each points into store, or at the parser's r_own */
	struct raw store[RING];
	const char *author[RING]; /* the feed's author when the item ended */
	size_t size[RING];
	size_t head, n, bytes;
	int count, stopped, oom, quit;
	int flush; /* someone waits for room or for the ring to empty */
	atomic_uint pubs;  /* publications so far: what an idle worker watches */
	atomic_uint dones; /* batches done so far: what a draining parser watches */
	/* the SAX thread's alone: filled slots not yet counted in n */
	size_t tail;    /* next slot to fill: head + n + pending */
	size_t pending, pbytes;
	size_t space;   /* free slots when last seen, less pending */
	size_t seen;    /* bytes when last seen */
	/* read by the worker without the lock: set before it starts */
	feed_item_fn cb;
	void *cbctx;
	size_t summary_max;
	struct buf scratch; /* the worker's, for build_item */
};

static size_t raw_size(struct raw *r, int cap)
{
	size_t t = 0;
	struct buf *b;
	for (size_t i = 0; (b = raw_bufs(r, i)); i++)
		t += cap ? b->cap : b->len;
	return t;
}

/* What a waiting item holds, for RING_BYTES: the fields that can be big. */
static size_t raw_len(const struct raw *r)
{
	return r->title.len + r->summary.len + r->content.len + r->cats.len + r->encl.len +
	       r->author.len + r->link.len + r->key.len + 256;
}

static long elapsed_ns(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* Spins (mu released) until the other thread moves *c or SPIN_NS pass;
 * 0 when the time ran out. What changed is read under mu again. */
static int pipeline_spin(struct pipeline *w, atomic_uint *c)
{
	unsigned seen = atomic_load_explicit(c, memory_order_relaxed);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_unlock(&w->mu);
	int got = 0;
	for (unsigned i = 1; !got; i++) {
		got = atomic_load_explicit(c, memory_order_relaxed) != seen;
		if (got || (i % 16 == 0 && elapsed_ns(&t0) > SPIN_NS))
			break;
		/* on a busy machine, the CPU goes to whoever else can run */
		sched_yield();
	}
	pthread_mutex_lock(&w->mu);
	return got;
}

static void *pipeline_run(void *arg)
{
	struct pipeline *w = arg;
	int stopped = 0, oom = 0, spin = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n < BATCH && !(w->n && (w->flush || w->bytes > RING_BYTES / 2)) &&
		       !w->quit) {
			/* spin only right after a batch: an idle parse sleeps */
			if (spin)
				spin = pipeline_spin(w, &w->pubs); /* then the condition again */
			else
				pthread_cond_wait(&w->work, &w->mu);
		}
		spin = 1;
		if (!w->n)
			break;
		size_t h = w->head, k = w->n, bytes = 0;
		int count = 0;
		pthread_mutex_unlock(&w->mu);
		for (size_t i = 0; i < k; i++) {
			size_t at = (h + i) % RING;
			struct raw *r = w->ring[at];
			if (!stopped && !oom) {
				struct item it;
				memset(&it, 0, sizeof it);
				if (build_item(r, w->author[at], w->summary_max, &w->scratch, &it) < 0) {
					oom = 1;
				} else {
					count++;
					stopped = w->cb(w->cbctx, &it) != 0;
				}
				item_free(&it);
			}
			raw_reset(r);
			/* one huge item must not keep its buffers for the whole run */
			if (raw_size(r, 1) > SLOT_KEEP)
				raw_free(r);
			if (w->scratch.cap > SLOT_KEEP)
				buf_free(&w->scratch);
			bytes += w->size[at];
		}
		pthread_mutex_lock(&w->mu);
		w->head = (h + k) % RING;
		w->n -= k;
		w->bytes -= bytes;
		w->count += count;
		w->stopped |= stopped;
		w->oom |= oom;
		atomic_fetch_add_explicit(&w->dones, 1, memory_order_relaxed);
		pthread_cond_signal(&w->room);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Starts the worker; NULL (the caller goes on alone) when it cannot. */
static struct pipeline *pipeline_new(struct feed_parser *p)
{
	struct pipeline *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	for (size_t i = 0; i < RING; i++)
		w->ring[i] = &w->store[i];
	w->space = RING;
	w->cb = p->cb;
	w->cbctx = p->cbctx;
	w->summary_max = p->summary_max;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return NULL;
	}
	if (pthread_cond_init(&w->work, NULL) != 0 || pthread_cond_init(&w->room, NULL) != 0 ||
	    pthread_create(&w->th, NULL, pipeline_run, w) != 0) {
		/* cond_destroy of an unused, zeroed condition is harmless */
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->room);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

/* Takes the worker's outcome; called with mu held and the ring empty. */
static void pipeline_collect(struct feed_parser *p, struct pipeline *w)
{
	p->count += w->count;
	w->count = 0;
	p->stopped |= w->stopped;
	p->oom |= w->oom;
}

/* Counts the pending slots in n, waking the worker for a batch; called
 * with mu held. */
static void pipeline_publish(struct pipeline *w)
{
	w->n += w->pending;
	w->bytes += w->pbytes;
	w->pending = w->pbytes = 0;
	atomic_fetch_add_explicit(&w->pubs, 1, memory_order_relaxed);
	/* no system call when the worker is spinning rather than waiting */
	if (w->n >= BATCH || w->bytes > RING_BYTES / 2)
		pthread_cond_signal(&w->work);
}

/* Notes the room left after the worker's progress; called with mu held. */
static void pipeline_seen(struct pipeline *w)
{
	w->space = RING - w->n;
	w->seen = w->bytes;
}

/* Waits until every item handed over has been handed out. */
static void pipeline_drain(struct feed_parser *p)
{
	struct pipeline *w = p->pipe;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	pipeline_publish(w);
	w->flush = 1;
	pthread_cond_signal(&w->work);
	/* the wait is short (a batch or two): watch rather than sleep */
	int spin = 1;
	while (w->n) {
		if (spin)
			spin = pipeline_spin(w, &w->dones);
		else
			pthread_cond_wait(&w->room, &w->mu);
	}
	w->flush = 0;
	pipeline_seen(w);
	pipeline_collect(p, w);
	pthread_mutex_unlock(&w->mu);
}

/* Stops the worker and frees the pipeline with every raw item it stores;
 * the parser's r then points at its own (emptied) r_own again. */
static void pipeline_free(struct feed_parser *p)
{
	struct pipeline *w = p->pipe;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	atomic_fetch_add_explicit(&w->pubs, 1, memory_order_relaxed);
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	for (size_t i = 0; i < RING; i++)
		raw_free(&w->store[i]);
	raw_free(&p->r_own);
	p->r = &p->r_own;
	p->pipe = NULL;
	buf_free(&w->scratch);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Hands p->r to the worker, leaving an empty raw item in its place.
 * Returns 0, or -1 when the caller must emit it itself (no worker). */
static int pipeline_put(struct feed_parser *p)
{
	if (!p->pipe && !p->pipe_failed && !(p->pipe = pipeline_new(p)))
		p->pipe_failed = 1;
	struct pipeline *w = p->pipe;
	if (!w)
		return -1;
	size_t size = raw_len(p->r);
	int stopped = 0;
	if (!w->space || (w->seen + w->pbytes && w->seen + w->pbytes + size > RING_BYTES)) {
		/* no room as last seen: publish, and wait for the worker */
		pthread_mutex_lock(&w->mu);
		pipeline_publish(w);
		while (w->n == RING || (w->n && w->bytes + size > RING_BYTES)) {
			w->flush = 1;
			pthread_cond_signal(&w->work);
			pthread_cond_wait(&w->room, &w->mu);
		}
		w->flush = 0;
		pipeline_seen(w);
		stopped = w->stopped || w->oom;
		pthread_mutex_unlock(&w->mu);
	}
	if (stopped) {
		/* an earlier callback said stop: this item is dropped */
		pipeline_drain(p);
		raw_reset(p->r);
		return 0;
	}
	size_t at = w->tail;
	struct raw *t = w->ring[at];
	w->ring[at] = p->r;
	p->r = t;
	w->author[at] = p->feed_author;
	w->size[at] = size;
	w->tail = (at + 1) % RING;
	w->pending++;
	w->pbytes += size;
	w->space--;
	if (w->pending >= BATCH || w->seen + w->pbytes > RING_BYTES / 2) {
		pthread_mutex_lock(&w->mu);
		pipeline_publish(w);
		pipeline_seen(w);
		stopped = w->stopped || w->oom;
		pthread_mutex_unlock(&w->mu);
		if (stopped)
			pipeline_drain(p);
	}
	return 0;
}

static void emit(struct feed_parser *p)
{
	if (p->threaded && p->kind == K_XML && !p->oom && pipeline_put(p) == 0) {
		if ((p->stopped || p->oom) && p->ctxt)
			xmlStopParser(p->ctxt);
		return;
	}
	struct item it;
	memset(&it, 0, sizeof it);
	if (p->oom || build_item(p->r, p->feed_author, p->summary_max, &p->scratch, &it) < 0) {
		p->oom = 1;
	} else {
		p->count++;
		if (p->cb(p->cbctx, &it) != 0)
			p->stopped = 1;
	}
	item_free(&it);
	raw_reset(p->r);
	if (p->scratch.cap > SLOT_KEEP)
		buf_free(&p->scratch);
	if ((p->stopped || p->oom) && p->ctxt)
		xmlStopParser(p->ctxt);
}

/* ---- SAX callbacks ------------------------------------------------------- */

static struct feed_parser *P(void *ctx) { return ((xmlParserCtxtPtr)ctx)->_private; }

/* libxml2 2.9 drops every entity reference, even &amp;, once the document
 * has had one error. We record the first error ourselves, so the flag can
 * be restored and the rest of a recovered document keeps its text. */
static void keep_wellformed(struct feed_parser *p)
{
	if (p->xerr && p->ctxt)
		p->ctxt->wellFormed = 1;
}

static void set_fatal(struct feed_parser *p, const char *fmt, const char *a, const char *b)
{
	if (p->fatal)
		return;
	p->fatal = 1;
	snprintf(p->fatal_msg, sizeof p->fatal_msg, fmt, a, b);
	if (p->ctxt)
		xmlStopParser(p->ctxt);
}

static void start_root(struct feed_parser *p, const xmlChar *name, const xmlChar *prefix,
		       const xmlChar *uri, int nns, const xmlChar **nss, int n,
		       const xmlChar **attrs)
{
	int ns = ns_class(p, uri);
	if (ns == N_RSS && streq(name, "rss")) {
		p->root = R_RSS;
		size_t vl = 0;
		const char *v = (const char *)attr_find(n, attrs, "version", &vl);
		if (!v)
			p->format = "rss";
		else if (vl >= 2 && !strncmp(v, "2.", 2))
			p->format = "rss2.0";
		else if (vl == 4 && !strncmp(v, "0.91", 4))
			p->format = "rss0.91";
		else if (vl == 4 && !strncmp(v, "0.92", 4))
			p->format = "rss0.92";
		else if (vl == 4 && !strncmp(v, "0.93", 4))
			p->format = "rss0.93";
		else if (vl == 4 && !strncmp(v, "0.94", 4))
			p->format = "rss0.94";
		else
			p->format = "rss";
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
	if (uri && streq(name, "feed")) {
		if (!strcmp((const char *)uri, NS_ATOM10))
			p->format = "atom1.0";
		else if (!strcmp((const char *)uri, NS_ATOM03))
			p->format = "atom0.3";
		if (p->format) {
			p->root = R_ATOM;
			return;
		}
	}
	if (prefix)
		set_fatal(p, "not an RSS, Atom or JSON feed (root element <%s:%s>)",
			  (const char *)prefix, (const char *)name);
	else
		set_fatal(p, "not an RSS, Atom or JSON feed (root element <%s%s>)",
			  (const char *)name, "");
}

static void push_base(struct feed_parser *p, int n, const xmlChar **attrs)
{
	for (int i = 0; i < n; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (!a[2] || strcmp((const char *)a[2], (const char *)XML_XML_NAMESPACE) != 0 ||
		    !streq(a[0], "base"))
			continue;
		if (p->nbases >= MAX_BASES)
			return;
		struct buf v = BUF_INIT;
		put_attr(p, &v, a[3], (size_t)(a[4] - a[3]));
		char *u = resolve(p, cur_base(p), buf_str(&v), v.len, 0);
		buf_free(&v);
		if (u) {
			p->bases[p->nbases].depth = p->depth;
			p->bases[p->nbases].url = u;
			p->nbases++;
		}
		return;
	}
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		     int nns, const xmlChar **nss, int n, int ndef, const xmlChar **attrs)
{
	(void)ndef;
	struct feed_parser *p = P(ctx);
	keep_wellformed(p);
	if (p->fatal || p->stopped)
		return;
	p->depth++;
	if (n)
		push_base(p, n, attrs);
	if (p->depth == 1) {
		start_root(p, name, prefix, uri, nns, nss, n, attrs);
		return;
	}
	if (p->cap) {
		/* Inside a captured field: markup is kept for the HTML modes. */
		if (p->cap_mode == M_HTML || p->cap_mode == M_XHTML) {
			if (p->cap_mode == M_XHTML && p->div_depth == 0 &&
			    p->depth == p->cap_depth + 1 && streq(name, "div") && uri &&
			    !strcmp((const char *)uri, NS_XHTML)) {
				p->div_depth = p->depth;
				return;
			}
			put(p, p->cap, "<", 1);
			put(p, p->cap, (const char *)name, strlen((const char *)name));
			put(p, p->cap, ">", 1);
			p->open_pos = p->cap->len;
		}
		return;
	}
	int ns = ns_class(p, uri);
	if (!p->item_depth) {
		if (p->root == R_ATOM) {
			if (p->depth == 2 && ns == N_ATOM && streq(name, "entry")) {
				p->item_depth = p->depth;
			} else if (p->depth == 2 && ns == N_ATOM && streq(name, "author") &&
				   !p->feed_author) {
				p->person_depth = p->depth;
				p->person_feed = 1;
				buf_reset(&p->r->aname);
				buf_reset(&p->r->aemail);
			} else if (p->person_depth && p->depth == p->person_depth + 1 &&
				   ns == N_ATOM) {
				if (streq(name, "name"))
					capture(p, &p->r->aname, E_NAME, M_TEXT, T_TEXT);
				else if (streq(name, "email"))
					capture(p, &p->r->aemail, E_EMAIL, M_TEXT, T_TEXT);
			}
		} else if (ns == N_RSS) {
			if (p->depth == 2 && streq(name, "channel"))
				p->channel_depth = 2;
			else if (streq(name, "item") &&
				 (p->depth == 2 || (p->depth == 3 && p->channel_depth == 2)))
				p->item_depth = p->depth;
		}
		if (p->item_depth) {
			p->group_depth = 0; /* p->r was reset by the last emit */
			size_t al = 0;
			const xmlChar *about = NULL;
			for (int i = 0; i < n; i++)
				if (attrs[5 * i + 2] && !strcmp((const char *)attrs[5 * i + 2], NS_RDF) &&
				    streq(attrs[5 * i], "about")) {
					about = attrs[5 * i + 3];
					al = (size_t)(attrs[5 * i + 4] - about);
				}
			if (about)
				put_attr(p, &p->r->about, about, al);
		}
		return;
	}
	if (p->person_depth) {
		if (p->depth == p->person_depth + 1 && ns == N_ATOM) {
			if (streq(name, "name"))
				capture(p, &p->r->aname, E_NAME, M_TEXT, T_TEXT);
			else if (streq(name, "email"))
				capture(p, &p->r->aemail, E_EMAIL, M_TEXT, T_TEXT);
		}
		return;
	}
	if (p->depth == p->item_depth + 1 || (p->group_depth && p->depth == p->group_depth + 1))
		item_child(p, classify_cached(p, ns, name), n, attrs);
}

static void end_depth(struct feed_parser *p, const char *name)
{
	if (p->cap) {
		if (p->depth == p->cap_depth) {
			capture_end(p);
		} else if (p->depth > p->cap_depth &&
			   (p->cap_mode == M_HTML || p->cap_mode == M_XHTML)) {
			if (p->depth == p->div_depth) {
				p->div_depth = -1;
			} else if (p->cap->len == p->open_pos && p->cap->len &&
				   p->cap->data[p->cap->len - 1] == '>') {
				/* nothing inside: <br></br> reads oddly, write <br/> */
				p->cap->data[p->cap->len - 1] = '/';
				put(p, p->cap, ">", 1);
			} else {
				put(p, p->cap, "</", 2);
				put(p, p->cap, name, strlen(name));
				put(p, p->cap, ">", 1);
			}
		}
	}
	if (p->person_depth && p->depth == p->person_depth) {
		if (p->person_feed) {
			p->feed_author = person(&p->r->aname, &p->r->aemail);
		} else if (p->r->author_prio < 2) {
			p->r->author_prio = 2;
			buf_reset(&p->r->author);
			p->r->rss_author = 0;
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
	struct feed_parser *p = P(ctx);
	keep_wellformed(p);
	if (p->fatal || p->stopped || p->depth <= 0)
		return;
	end_depth(p, (const char *)name);
}

static void on_chars(void *ctx, const xmlChar *s, int len)
{
	struct feed_parser *p = P(ctx);
	keep_wellformed(p);
	if (!p->cap || len <= 0)
		return;
	if (p->cap_mode == M_XHTML)
		put_escaped(p, p->cap, (const char *)s, (size_t)len);
	else
		put(p, p->cap, (const char *)s, (size_t)len);
}

/* Entities the document declares are read through here. Plain-text
 * internal ones are handed back as if predefined (libxml2 then passes
 * the text straight to on_chars); external ones as empty text, so
 * nothing is ever loaded; anything with nested references goes to
 * libxml2's own expansion with its amplification limits. Undeclared
 * names (only reached when the filter left names alone) are HTML
 * entities or kept literally. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
	xmlParserCtxtPtr c = ctx;
	struct feed_parser *p = c->_private;
	if (!p)
		return NULL;
	for (struct ent_clone *e = p->clones; e; e = e->next)
		if (streq(e->e.name, (const char *)name))
			return &e->e;
	xmlEntityPtr decl = c->myDoc ? xmlGetDocEntity(c->myDoc, name) : NULL;
	char val[64];
	const char *content;
	if (decl) {
		if (decl->etype == XML_INTERNAL_PREDEFINED_ENTITY)
			return decl;
		if (decl->etype == XML_INTERNAL_GENERAL_ENTITY) {
			if (decl->content && strpbrk((const char *)decl->content, "&<"))
				return NULL;
			content = decl->content ? (const char *)decl->content : "";
		} else {
			content = "";
		}
	} else {
		size_t nl = strlen((const char *)name);
		unsigned long cp = text_html_entity((const char *)name, nl);
		if (cp) {
			char u[8] = {0};
			if (cp < 0x80) {
				u[0] = (char)cp;
			} else if (cp < 0x800) {
				u[0] = (char)(0xC0 | (cp >> 6));
				u[1] = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				u[0] = (char)(0xE0 | (cp >> 12));
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				u[2] = (char)(0x80 | (cp & 0x3F));
			} else {
				u[0] = (char)(0xF0 | (cp >> 18));
				u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
				u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
				u[3] = (char)(0x80 | (cp & 0x3F));
			}
			snprintf(val, sizeof val, "%s", u);
		} else if (nl + 3 < sizeof val) {
			snprintf(val, sizeof val, "&%s;", (const char *)name);
		} else {
			return NULL;
		}
		content = val;
	}
	if (p->nclones >= MAX_ENT_CLONES)
		return NULL;
	struct ent_clone *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->e.type = XML_ENTITY_DECL;
	e->e.etype = XML_INTERNAL_PREDEFINED_ENTITY;
	e->e.name = xmlStrdup(name);
	e->e.content = xmlStrdup((const xmlChar *)content);
	e->e.orig = NULL;
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

static void on_error(void *data, xmlErrorPtr e)
{
	/* errors from inside xmlCreatePushParserCtxt come before _private is set */
	struct feed_parser *p = data ? P(data) : NULL;
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

static void on_global_error(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
}

static void quiet_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* ---- the filter in front of libxml2 ------------------------------------ */

static int is_name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
}

/* Length of the reference at s[0] == '&', or 0 when it is not one;
 * *more when the answer depends on bytes not yet seen. */
static size_t ref_len(const char *s, size_t n, int *named, int *more)
{
	size_t i = 1;
	*named = *more = 0;
	if (i >= n) {
		*more = 1;
		return 0;
	}
	if (s[i] == '#') {
		i++;
		int hex = i < n && s[i] == 'x';
		i += (size_t)hex;
		size_t st = i;
		while (i < n && i - st < 10 &&
		       ((s[i] >= '0' && s[i] <= '9') ||
			(hex && ((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))))
			i++;
		if (i >= n) {
			*more = 1;
			return 0;
		}
		return i > st && s[i] == ';' ? i + 1 : 0;
	}
	size_t st = i;
	while (i < n && i - st < 32 && is_name_char((unsigned char)s[i]))
		i++;
	if (i >= n) {
		*more = 1;
		return 0;
	}
	if (i == st || s[i] != ';' || (s[st] >= '0' && s[st] <= '9'))
		return 0;
	*named = 1;
	return i + 1;
}

static int xml_feed(struct feed_parser *p, const char *d, size_t n, int final);

/* amp, lt, gt, quot, apos */
static int is_predefined(const char *s, size_t n)
{
	switch (n) {
	case 2: return (s[0] == 'l' || s[0] == 'g') && s[1] == 't';
	case 3: return !memcmp(s, "amp", 3);
	case 4: return !memcmp(s, "quot", 4) || !memcmp(s, "apos", 4);
	default: return 0;
	}
}

/* memmem for the end of a CDATA section, comment or PI, whose first
 * byte is rare in their text: memchr for it does the scanning. */
static const char *find_end(const char *s, size_t n, const char *end, size_t el)
{
	const char *f = s, *stop = s + n;
	while ((f = memchr(f, end[0], (size_t)(stop - f)))) {
		if ((size_t)(stop - f) < el)
			return NULL;
		if (!memcmp(f, end, el))
			return f;
		f++;
	}
	return NULL;
}

/* The first c in d[i..n) (n when none), given the one found before:
 * `at`, or SIZE_MAX when none was looked for yet. */
static size_t next_special(const char *d, size_t i, size_t n, char c, size_t at)
{
	if (at != SIZE_MAX && at >= i)
		return at;
	const char *f = memchr(d + i, c, n - i);
	return f ? (size_t)(f - d) : n;
}

/* Scans d[0..n) outside CDATA, comments, PIs and the DOCTYPE: a bare '&'
 * becomes "&amp;", and (unless the DTD declares entities) an undeclared
 * HTML entity becomes a character reference and an unknown one literal
 * text. Without this, libxml2 2.9 would drop every later reference after
 * the first such error. Up to HOLD_MAX bytes at the end may be held back
 * until the next chunk decides them. */
static int filter(struct feed_parser *p, const char *d, size_t n, int final)
{
	struct buf *out = &p->fout;
	size_t i = 0, done = 0, next_amp = SIZE_MAX, next_bang = SIZE_MAX, next_q = SIZE_MAX;
	int changed = 0;
	buf_reset(out);
	while (i < n) {
		switch (p->fs) {
		case F_TEXT: {
			/* Only '&' and the '<' of "<!" and "<?" matter here. Every
			 * tag has a '<'; '&', '!' and '?' are far rarer, so each is
			 * found with memchr (vectorised) and its position kept
			 * until passed. */
			next_amp = next_special(d, i, n, '&', next_amp);
			next_bang = next_special(d, i, n, '!', next_bang);
			next_q = next_special(d, i, n, '?', next_q);
			size_t j = next_amp < next_bang ? next_amp : next_bang;
			j = j < next_q ? j : next_q;
			if (j >= n) {
				/* A '<' at the end waits: a '!' or '?' may follow. */
				if (!final && d[n - 1] == '<') {
					i = n - 1;
					goto hold;
				}
				i = n;
				break;
			}
			if (d[j] != '&') {
				if (j == i || d[j - 1] != '<') {
					i = j + 1; /* punctuation in text */
					break;
				}
				i = j - 1;
				size_t rem = n - i;
				if (rem < 9 && !final)
					goto hold;
				if (d[j] == '?')
					p->fs = F_PI, i += 2;
				else if (rem >= 9 && !memcmp(d + i, "<![CDATA[", 9))
					p->fs = F_CDATA, i += 9;
				else if (rem >= 4 && !memcmp(d + i, "<!--", 4))
					p->fs = F_COMMENT, i += 4;
				else if (rem >= 9 && !memcmp(d + i, "<!DOCTYPE", 9))
					p->fs = F_DOCTYPE, i += 9, p->dt_depth = 0, p->dt_quote = 0;
				else
					i = j + 1;
				break;
			}
			i = j;
			size_t rem = n - i;
			int named, more;
			size_t k = ref_len(d + i, rem, &named, &more);
			if (more && !final && rem < HOLD_MAX)
				goto hold;
			const char *rep = NULL;
			char cref[16];
			if (!k) {
				rep = "&amp;";
				k = 1;
			} else if (named && !p->has_entities) {
				size_t nl = k - 2;
				if (!is_predefined(d + i + 1, nl)) {
					unsigned long cp = text_html_entity(d + i + 1, nl);
					if (cp) {
						snprintf(cref, sizeof cref, "&#%lu;", cp);
						rep = cref;
					} else {
						rep = "&amp;";
						k = 1;
					}
				}
			}
			if (rep) {
				if (buf_append(out, d + done, i - done) < 0 || buf_puts(out, rep) < 0)
					return -1;
				done = i + k;
				changed = 1;
			}
			i += k;
			break;
		}
		case F_CDATA:
		case F_COMMENT:
		case F_PI: {
			const char *end = p->fs == F_CDATA ? "]]>" : p->fs == F_COMMENT ? "-->" : "?>";
			size_t el = strlen(end);
			const char *f = find_end(d + i, n - i, end, el);
			if (f) {
				i = (size_t)(f - d) + el;
				p->fs = F_TEXT;
			} else if (final || n - i < el) {
				if (final)
					i = n;
				else
					goto hold;
			} else {
				i = n - (el - 1);
				goto hold;
			}
			break;
		}
		case F_DOCTYPE:
			for (; i < n; i++) {
				char ch = d[i];
				if (p->dt_quote) {
					if (ch == p->dt_quote)
						p->dt_quote = 0;
				} else if (ch == '"' || ch == '\'') {
					p->dt_quote = ch;
				} else if (ch == '[') {
					p->dt_depth++;
				} else if (ch == ']') {
					if (p->dt_depth)
						p->dt_depth--;
				} else if (ch == '<') {
					if (n - i < 8 && !final)
						goto hold;
					if (n - i >= 8 && !memcmp(d + i, "<!ENTITY", 8))
						p->has_entities = 1;
				} else if (ch == '>' && !p->dt_depth) {
					i++;
					p->fs = F_TEXT;
					break;
				}
			}
			break;
		}
	}
	i = n;
hold:
	if (n - i > HOLD_MAX) /* cannot happen; be safe */
		i = n - HOLD_MAX;
	memcpy(p->hold, d + i, n - i);
	p->holdlen = n - i;
	if (changed) {
		if (buf_append(out, d + done, i - done) < 0)
			return -1;
		return xml_feed(p, out->data, out->len, 0);
	}
	return xml_feed(p, d, i, 0);
}

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

/* Hands filtered bytes to libxml2, creating the context once the first
 * four bytes (its encoding detection) are known. */
static int xml_feed(struct feed_parser *p, const char *d, size_t n, int final)
{
	if (!p->ctxt) {
		while (p->headlen < 4 && n) {
			p->head[p->headlen++] = *d++;
			n--;
		}
		if (p->headlen < 4 && !final)
			return 0;
		p->ctxt = xmlCreatePushParserCtxt(&p->sax, NULL, p->head, (int)p->headlen, NULL);
		if (!p->ctxt) {
			p->oom = 1;
			return -1;
		}
		p->ctxt->_private = p;
		/* NONET: nothing fetched; no NOENT/DTDLOAD: external entities and
		 * DTDs are never loaded; HUGE stays off so libxml2's limits on
		 * entity amplification apply. */
		xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_RECOVER);
	}
	if (n || final)
		xmlParseChunk(p->ctxt, d, (int)n, final);
	return 0;
}

static int detect(struct feed_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->pre.data;
	size_t n = p->pre.len, i = 0;
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	while (i < n && is_ws(s[i]))
		i++;
	if (i == n && n < PRE_MAX)
		return 0;
	if (i < n && s[i] == '{') {
		p->kind = K_JSON;
	} else {
		p->kind = K_XML;
		/* UTF-16/32 (a BOM or NUL bytes) is left to libxml2 as is. */
		if (n >= 2 && (s[0] == 0xFE || s[0] == 0xFF || s[0] == 0 || s[1] == 0))
			p->f_off = 1;
		if (n >= 4 && (s[2] == 0 || s[3] == 0))
			p->f_off = 1;
	}
	return 1;
}

/* ---- public API ------------------------------------------------------------ */

struct feed_parser *feed_parser_new(const struct feed_opts *opts, feed_item_fn cb, void *ctx)
{
	struct feed_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (opts && opts->base_url && *opts->base_url) {
		if (!(p->base_copy = strdup(opts->base_url))) {
			free(p);
			return NULL;
		}
		p->base_url = p->base_copy;
	}
	p->summary_max = opts && opts->summary_max ? opts->summary_max : SUMMARY_MAX_DEFAULT;
	p->cb = cb;
	p->cbctx = ctx;
	p->r = &p->r_own;
	xmlSAXVersion(&p->sax, 2);
	p->sax.startElementNs = on_start;
	p->sax.endElementNs = on_end;
	p->sax.characters = on_chars;
	p->sax.ignorableWhitespace = on_chars;
	p->sax.cdataBlock = on_chars;
	p->sax.getEntity = on_get_entity;
	p->sax.serror = on_error;
	/* No tree: comments and PIs would otherwise pile up in the document. */
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

const char *feed_parser_format(const struct feed_parser *p) { return p ? p->format : NULL; }

void feed_parser_threaded(struct feed_parser *p)
{
	if (p && !p->kind)
		p->threaded = 1;
}

/* The error for the current state, or 0 when the parse may go on. */
static int check(struct feed_parser *p, struct err *err, int at_end)
{
	if (p->oom)
		return err_set(err, "out of memory");
	if (p->stopped)
		return err_set(err, "stopped");
	if (p->fatal)
		return err_set(err, "%s", p->fatal_msg);
	if (p->kind != K_XML || !p->xerr)
		return 0;
	int halted = p->ctxt && p->ctxt->instate == XML_PARSER_EOF;
	if (!at_end && !halted)
		return 0; /* recovered: keep going, report at the end */
	if (!p->root)
		return err_set(err, "not an XML document: line %d, column %d: %s", p->xline,
			       p->xcol, p->xmsg);
	return err_set(err, "line %d, column %d: %s", p->xline, p->xcol, p->xmsg);
}

static int push_xml(struct feed_parser *p, const char *data, size_t len, int final)
{
	/* Slices keep libxml2's input buffer small; held bytes go first. */
	size_t off = 0;
	while (off < len) {
		size_t take = len - off < SLICE ? len - off : SLICE;
		const char *d = data + off;
		size_t n = take;
		if (p->holdlen) {
			buf_reset(&p->fin);
			if (buf_append(&p->fin, p->hold, p->holdlen) < 0 ||
			    buf_append(&p->fin, d, n) < 0) {
				p->oom = 1;
				return -1;
			}
			p->holdlen = 0;
			d = p->fin.data;
			n = p->fin.len;
		}
		int last = final && off + take == len;
		if (p->f_off) {
			xml_feed(p, d, n, 0); /* UTF-16/32: libxml2 alone */
		} else if (filter(p, d, n, last) < 0) {
			p->oom = 1;
			return -1;
		}
		off += take;
		if (p->fatal || p->stopped || p->oom ||
		    (p->ctxt && p->ctxt->instate == XML_PARSER_EOF))
			break;
	}
	if (final && p->holdlen && !p->f_off) {
		/* the held tail, decided now that nothing follows */
		buf_reset(&p->fin);
		if (buf_append(&p->fin, p->hold, p->holdlen) < 0) {
			p->oom = 1;
			return -1;
		}
		p->holdlen = 0;
		if (filter(p, p->fin.data, p->fin.len, 1) < 0) {
			p->oom = 1;
			return -1;
		}
	}
	if (final)
		xml_feed(p, NULL, 0, 1);
	return 0;
}

int feed_parser_push(struct feed_parser *p, const char *data, size_t len, struct err *err)
{
	if (p->finished)
		return err_set(err, "push after finish");
	if (!len)
		return check(p, err, 0);
	int rc = check(p, err, 0);
	if (rc < 0)
		return rc;
	if (p->kind == K_UNKNOWN) {
		if (buf_append(&p->pre, data, len < PRE_MAX ? len : PRE_MAX) < 0)
			return err_set(err, "out of memory");
		size_t used = len < PRE_MAX ? len : PRE_MAX;
		if (!detect(p))
			return 0;
		data += used;
		len -= used;
		struct buf pre = p->pre;
		p->pre = (struct buf)BUF_INIT;
		int r2 = 0;
		if (p->kind == K_JSON) {
			p->json = pre;
		} else {
			swap_handlers(1);
			r2 = push_xml(p, pre.data, pre.len, 0);
			swap_handlers(0);
			pipeline_drain(p);
			buf_free(&pre);
		}
		if (r2 < 0 || (rc = check(p, err, 0)) < 0)
			return r2 < 0 ? check(p, err, 0) : rc;
	}
	if (!len)
		return 0;
	if (p->kind == K_JSON) {
		if (p->json.len + len > JSON_MAX)
			return err_set(err, "JSON feed larger than %d MiB", JSON_MAX >> 20);
		if (buf_append(&p->json, data, len) < 0)
			return err_set(err, "out of memory");
		return 0;
	}
	swap_handlers(1);
	push_xml(p, data, len, 0);
	swap_handlers(0);
	pipeline_drain(p);
	return check(p, err, 0);
}

/* ---- JSON Feed ---------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *json_author(const json_t *o)
{
	const json_t *a = json_object_get(o, "authors");
	if (json_is_array(a)) {
		size_t i;
		const json_t *x;
		json_array_foreach(a, i, x)
		{
			const char *nm = jstr(x, "name");
			if (nm && *nm)
				return strdup(nm);
		}
	}
	a = json_object_get(o, "author");
	const char *nm = json_is_object(a) ? jstr(a, "name") : NULL;
	return nm && *nm ? strdup(nm) : NULL;
}

static void json_put(struct feed_parser *p, struct buf *b, const char *s)
{
	buf_reset(b);
	if (s)
		put(p, b, s, strlen(s));
}

static int json_finish(struct feed_parser *p, struct err *err)
{
	json_error_t je;
	json_t *root = json_loadb(p->json.data ? p->json.data : "", p->json.len, 0, &je);
	buf_free(&p->json);
	if (!root)
		return err_set(err, "line %d, column %d: %s", je.line, je.column, je.text);
	const char *ver = json_is_object(root) ? jstr(root, "version") : NULL;
	const json_t *items = json_is_object(root) ? json_object_get(root, "items") : NULL;
	if (!ver || strncmp(ver, "https://jsonfeed.org/version/1", 30) != 0 ||
	    !json_is_array(items)) {
		json_decref(root);
		return err_set(err, "not an RSS, Atom or JSON feed (JSON without a JSON Feed version)");
	}
	p->format = !strcmp(ver + 30, ".1") ? "jsonfeed1.1" : "jsonfeed1.0";
	p->feed_author = json_author(root);
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it)
	{
		if (!json_is_object(it))
			continue;
		struct raw *r = p->r;
		raw_reset(r);
		const json_t *id = json_object_get(it, "id");
		if (json_is_string(id)) {
			json_put(p, &r->key, json_string_value(id));
		} else if (json_is_integer(id)) {
			char tmp[32];
			snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(id));
			json_put(p, &r->key, tmp);
		}
		const char *u = jstr(it, "url");
		char *ru = u ? resolve(p, p->base_url, u, strlen(u), 1) : NULL;
		if (!ru && (u = jstr(it, "external_url")))
			ru = resolve(p, p->base_url, u, strlen(u), 1);
		json_put(p, &r->link, ru);
		free(ru);
		json_put(p, &r->title, jstr(it, "title"));
		r->title_t = T_TEXT;
		json_put(p, &r->summary, jstr(it, "summary"));
		r->summary_t = T_TEXT;
		if (jstr(it, "content_html")) {
			json_put(p, &r->content, jstr(it, "content_html"));
			r->content_t = T_HTML;
		} else {
			json_put(p, &r->content, jstr(it, "content_text"));
			r->content_t = T_TEXT;
		}
		json_put(p, &r->published, jstr(it, "date_published"));
		json_put(p, &r->updated, jstr(it, "date_modified"));
		char *au = json_author(it);
		if (au) {
			json_put(p, &r->author, au);
			r->author_prio = 2;
			free(au);
		}
		const json_t *tags = json_object_get(it, "tags"), *x;
		size_t j;
		if (json_is_array(tags))
			json_array_foreach(tags, j, x) if (json_is_string(x))
				add_cat(p, json_string_value(x), json_string_length(x));
		const json_t *att = json_object_get(it, "attachments");
		if (json_is_array(att))
			json_array_foreach(att, j, x)
			{
				const char *au2 = json_is_object(x) ? jstr(x, "url") : NULL;
				const char *mt = au2 ? jstr(x, "mime_type") : NULL;
				const json_t *sz = au2 ? json_object_get(x, "size_in_bytes") : NULL;
				char len[32] = "";
				if (json_is_integer(sz))
					snprintf(len, sizeof len, "%lld", (long long)json_integer_value(sz));
				if (au2)
					add_encl(p, au2, strlen(au2), mt, mt ? strlen(mt) : 0, len,
						 strlen(len));
			}
		emit(p);
		if (p->stopped || p->oom)
			break;
	}
	json_decref(root);
	int rc = check(p, err, 1);
	return rc < 0 ? rc : p->count;
}

int feed_parser_finish(struct feed_parser *p, struct err *err)
{
	if (p->finished)
		return err_set(err, "finish called twice");
	p->finished = 1;
	int rc = check(p, err, 0);
	if (rc < 0)
		return rc;
	if (p->kind == K_UNKNOWN) {
		size_t i = p->pre.len >= 3 && !memcmp(p->pre.data, "\xEF\xBB\xBF", 3) ? 3 : 0;
		while (i < p->pre.len && is_ws((unsigned char)p->pre.data[i]))
			i++;
		if (i == p->pre.len)
			return err_set(err, "empty document");
		p->kind = K_XML;
		struct buf pre = p->pre;
		p->pre = (struct buf)BUF_INIT;
		swap_handlers(1);
		push_xml(p, pre.data, pre.len, 1);
		swap_handlers(0);
		buf_free(&pre);
	} else if (p->kind == K_JSON) {
		return json_finish(p, err);
	} else {
		swap_handlers(1);
		push_xml(p, NULL, 0, 1);
		swap_handlers(0);
	}
	/* A document cut off inside an item: what was read of it is kept. */
	if (p->item_depth && !p->fatal && !p->stopped && !p->oom) {
		while (p->depth > p->item_depth)
			end_depth(p, "");
		if (p->r->title.len || p->r->link.len || p->r->key.len)
			end_depth(p, "");
	}
	pipeline_drain(p);
	if ((rc = check(p, err, 1)) < 0)
		return rc;
	if (!p->root)
		return err_set(err, "not an XML document");
	return p->count;
}

void feed_parser_free(struct feed_parser *p)
{
	if (!p)
		return;
	pipeline_free(p);
	if (p->ctxt) {
		if (p->ctxt->myDoc)
			xmlFreeDoc(p->ctxt->myDoc);
		p->ctxt->myDoc = NULL;
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
	raw_free(p->r);
	buf_free(&p->pre);
	buf_free(&p->json);
	buf_free(&p->fin);
	buf_free(&p->fout);
	buf_free(&p->ubuf);
	buf_free(&p->scratch);
	if (p->cu)
		curl_url_cleanup(p->cu);
	free(p->feed_author);
	free(p->base_copy);
	free(p);
}

/* ---- whole documents ------------------------------------------------------ */

static int collect(void *ctx, struct item *it)
{
	struct item_list *l = ctx;
	struct item *slot = item_list_push(l);
	if (!slot)
		return -1;
	*slot = *it;
	memset(it, 0, sizeof *it);
	return 0;
}

int feed_parse(const char *data, size_t len, const struct feed_opts *opts,
	       struct item_list *out, struct err *err)
{
	if (!data || len == 0)
		return err_set(err, "empty document");
	struct feed_parser *p = feed_parser_new(opts, collect, out);
	if (!p)
		return err_set(err, "out of memory");
	int rc = feed_parser_push(p, data, len, err);
	if (rc == 0)
		rc = feed_parser_finish(p, err);
	else if (p->stopped)
		rc = err_set(err, "out of memory"); /* collect() could not grow out */
	feed_parser_free(p);
	return rc;
}
