/* libFuzzer target: HTML listing extraction on hostile pages, with CSS and
 * XPath selectors. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>

#include "parse/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct html_selectors sels[] = {
		{"li.news", "h3", "a", ".date", "p"},
		{"article", NULL, NULL, NULL, NULL},
		{"//div[@class='item']", "./h2", "./a", NULL, "./p"},
	};
	struct html_opts o = {.base_url = "https://example.se/nyheter/", .now = 1700000000};
	for (size_t k = 0; k < sizeof sels / sizeof *sels; k++) {
		struct item_list l = {0};
		struct err err;
		html_extract((const char *)data, size, &sels[k], &o, &l, &err);
		item_list_free(&l);
	}
	return 0;
}
