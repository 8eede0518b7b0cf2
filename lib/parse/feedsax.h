/* The state of the XML feed reader, shared by its two halves: feedxml.c
 * (libxml2's SAX2 callbacks, the document's structure, entities, errors)
 * and feedtags.c (the tag table and what each item child fills). Private
 * to those two files. */
#ifndef BULLETIN_FEEDSAX_H
#define BULLETIN_FEEDSAX_H

#include <libxml/parser.h>
#include <string.h>

#include "core/url.h"
#include "parse/rawitem.h"
#include "parse/xmlfilter.h"

#define MAX_BASES 32

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

static inline int streq(const xmlChar *a, const char *b) { return !strcmp((const char *)a, b); }

/* The base URL in force: the innermost xml:base, else the document's. */
static inline const char *cur_base(const struct feedxml *p)
{
	return p->nbases ? p->bases[p->nbases - 1].url : p->base_url;
}

/* ---- feedtags.c ---- */
/* The class of a namespace name (none: RSS's). */
enum nsc feedtags_ns(struct feedxml *p, const xmlChar *uri);
/* What an element is, by the tag table. */
enum el feedtags_classify(struct feedxml *p, enum nsc ns, const xmlChar *name);
/* An item child starts: decide what, if anything, to capture. */
void feedtags_child(struct feedxml *p, enum el e, int n, const xmlChar **attrs);
/* Text from here to the element's end goes to field f. */
void feedtags_capture(struct feedxml *p, enum raw_field f, enum el what, enum cmode m,
		      enum raw_type t);
/* The captured element ended. */
void feedtags_capture_end(struct feedxml *p);
/* Text into the field being captured (escaped: as XHTML). */
void feedtags_put(struct feedxml *p, const char *s, size_t n);
void feedtags_put_escaped(struct feedxml *p, const char *s, size_t n);
/* SAX2 attributes: the value of name (no namespace) and its length. */
const xmlChar *feedtags_attr(int n, const xmlChar **attrs, const char *name, size_t *len);
/* An attribute's value into b with libxml2's "&#38;" back to '&'. */
int feedtags_attr_value(struct buf *b, const xmlChar *v, size_t n);

#endif
