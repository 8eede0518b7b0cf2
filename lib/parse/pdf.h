/* Watched PDFs (procurement documents, budgets): their text with
 * pdftotext from poppler-utils, run as its own process with a fixed argv
 * (`pdftotext -layout -enc UTF-8 - -`, the document on its standard
 * input; no shell), its output and time bounded: a hostile or broken PDF
 * can crash or stall pdftotext, never bulletin. A page marker line keeps
 * the page numbers ("— sida 3 —"), and numbered headings ("7 Ersättning",
 * "7.2 Tilläggsuppdrag") are marked as headings ("## 7 Ersättning") so a
 * change is told by section as on a web page. */
#ifndef BULLETIN_PDF_H
#define BULLETIN_PDF_H

#include <stddef.h>

#include "core/err.h"
#include "parse/page.h"

struct pdf_opts {
	const char *page_word; /* "sida" (default), "side", "page": the marker's word */
	long timeout_ms;       /* 0 = 30000; then pdftotext is killed */
	size_t max_text;       /* 0 = PAGE_MAX_TEXT; more is cut and said */
	const char *program;   /* NULL: "pdftotext", looked up in PATH */
};

/* 1 when the document is a PDF: it starts with "%PDF-" (within its first
 * 1024 bytes, as readers allow), whatever the Content-Type says. */
int pdf_detect(const char *data, size_t len);

/* The text of a PDF as a page extract (title: the document's first
 * non-empty line; NULL when none). Returns 0, or -1 with err: pdftotext is
 * missing (install poppler-utils), failed (its message), or took longer
 * than the timeout. */
int pdf_extract(const char *data, size_t len, const struct pdf_opts *o, struct page_text *out,
		struct err *err);

/* The marker's word in the digest's language: sv "sida", nb "side", else
 * "page". */
const char *pdf_page_word(const char *language);

#endif
