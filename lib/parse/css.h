/* CSS selectors (the subset html.h lists) as XPath, for listing pages. */
#ifndef BULLETIN_CSS_H
#define BULLETIN_CSS_H

#include "core/err.h"

/* The CSS subset (element, .class, #id, [attr], [attr=value], descendant
 * and child combinators, :first-child) as an XPath 1.0 expression (relative: ".//..." when
 * relative is 1, "//..." otherwise). New string, or NULL with err naming
 * the column of the first unsupported construct. */
char *css_to_xpath(const char *css, int relative, struct err *err);

#endif
