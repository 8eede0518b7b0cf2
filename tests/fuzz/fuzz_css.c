/* libFuzzer target: any selector through the CSS-to-XPath compiler. A
 * selector it accepts must give an XPath expression libxml2 compiles
 * (the chair writes selectors by hand; a bad one is an error with its
 * column, never a crash or an expression that fails later). `make fuzz`. */
/* fuzz-options: -max_len=4096 */
#include <libxml/xpath.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/css.h"

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2048)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	xmlSetGenericErrorFunc(NULL, quiet);
	for (int rel = 0; rel < 2; rel++) {
		struct err err = {{0}};
		char *x = css_to_xpath(s, rel, &err);
		if (!x) {
			if (!err.msg[0])
				abort(); /* an error says what is wrong */
			continue;
		}
		xmlXPathCompExprPtr c = xmlXPathCompile((const xmlChar *)x);
		if (!c)
			abort();
		xmlXPathFreeCompExpr(c);
		free(x);
	}
	free(s);
	return 0;
}
