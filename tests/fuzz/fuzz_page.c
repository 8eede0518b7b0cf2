/* libFuzzer target: watched pages on hostile input: the main-content
 * extract and a selector's, the ignore filter, then the diff and summary
 * of the two extracts (both directions). `make fuzz`. PDFs are not fuzzed
 * here: pdftotext runs in its own process with bounded output and time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/watch.h"
#include "parse/page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	/* the first half one version, the rest the other */
	size_t half = size / 2;
	struct page_opts all = {0}, sel = {.selector = "main, div.content"};
	struct page_text a = {0}, b = {0};
	struct err err;
	char *pats[] = {"^Senast uppdaterad:.*$", "(?i)\\bkakor\\b"};
	if (page_extract_html((const char *)data, half, &all, &a, &err) == 0 &&
	    page_extract_html((const char *)data + half, size - half, &sel, &b, &err) == 0) {
		char *s = watch_summary("sv", a.text, b.text, pats, 2, &err);
		free(s);
		s = watch_summary("nb", b.text, a.text, NULL, 0, &err);
		free(s);
		struct buf out = BUF_INIT;
		watch_compare(a.text, b.text, NULL, 0, "a", "b", &out, &err);
		buf_free(&out);
	}
	page_text_free(&a);
	page_text_free(&b);
	return 0;
}
