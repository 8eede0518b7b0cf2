/* Watched pages: a page's text as a person reads it, with its structure
 * kept so a change can be told by section. One block a line: headings as
 * "# "/"## "..., list items "- " (indented two spaces a level), table rows
 * "| a | b |", paragraphs as they are; a blank line between blocks (none
 * between the items of one list or the rows of one table). Without a
 * selector only the main content is kept: navigation, header, footer,
 * cookie banners, forms, scripts and link-heavy boilerplate are dropped. */
#ifndef BULLETIN_PAGE_H
#define BULLETIN_PAGE_H

#include <stddef.h>

#include "core/err.h"

/* The extract is cut here (with a line saying so): a page is watched for
 * its text, and the store keeps several versions of it. */
#define PAGE_MAX_TEXT (4u << 20)

struct page_opts {
	const char *selector; /* CSS or XPath (as html.h); NULL: the main content */
	size_t max_text;      /* 0 = PAGE_MAX_TEXT */
};

struct page_text {
	char *text;  /* the extract, UTF-8, each line ending in '\n' */
	char *title; /* the first top heading of the extract, else <title>; NULL: none */
};

/* The extract of an HTML page (UTF-8; see charset.h). Returns 0, or -1
 * with err: a selector that does not compile or matches nothing (the site
 * changed: a failure of the source, not a quiet change to an empty page).
 * An empty body is an empty extract (the store calls that broken). */
int page_extract_html(const char *html, size_t len, const struct page_opts *o,
		      struct page_text *out, struct err *err);
void page_text_free(struct page_text *t);

/* Any fetched document as an extract: a PDF (whatever content_type says;
 * see pdf.h, its page markers in language), HTML (any charset, converted
 * to UTF-8 first), or plain text as it is (a document with no '<' in its
 * first KiB). content_type and language may be NULL. 0, or -1 with err. */
int page_extract_document(const char *data, size_t len, const char *content_type,
			  const struct page_opts *o, const char *language, struct page_text *out,
			  struct err *err);

/* text without what the ignore patterns match (PCRE2, UTF and UCP, ^ and $
 * at line ends; every match removed), lines left blank dropped and runs
 * of blank lines made one. New string, or NULL with err (a pattern that
 * does not compile: the config check catches that first). */
char *page_ignore(const char *text, size_t len, char *const *patterns, size_t npatterns,
		  struct err *err);

#endif
