/* What members see, by the numbers: the contrast of body text and links
 * against their background in the light and the dark scheme, computed
 * (WCAG 2.x relative luminance) from the colours the shipped templates
 * give: the content cell's inline background and colour, the links'
 * inline colour (link-style.css) and the dark scheme's rules in the
 * layout's stylesheet. Each must be at least 4.5:1 (issue 17: links were
 * 2.39:1 in a dark client). `build/tests/test_look` prints the ratios. */
#include "testutil.h"

#include <ctype.h>

#define LAYOUT "templates/layout.html.mustache"
#define LINKS "templates/link-style.css"

/* x^2.4 for 0 < x <= 1 without libm: x^2 times the fifth root of x^2
 * (Newton's method). */
static double pow24(double x)
{
	double sq = x * x, y = 1.0;
	for (int i = 0; i < 200; i++)
		y -= (y * y * y * y * y - sq) / (5 * y * y * y * y);
	return sq * y;
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

static double channel(int v)
{
	double c = v / 255.0;
	return c <= 0.03928 ? c / 12.92 : pow24((c + 0.055) / 1.055);
}

/* "#rrggbb" (or "#rgb") at s: its relative luminance; -1 when it is not one. */
static double luminance(const char *s)
{
	unsigned r, g, b;
	size_t n = strspn(s + 1, "0123456789abcdefABCDEF");
	if (*s != '#')
		return -1;
	if (n == 6 && sscanf(s + 1, "%2x%2x%2x", &r, &g, &b) == 3)
		return 0.2126 * channel((int)r) + 0.7152 * channel((int)g) + 0.0722 * channel((int)b);
	if (n == 3 && sscanf(s + 1, "%1x%1x%1x", &r, &g, &b) == 3)
		return 0.2126 * channel((int)(r * 17)) + 0.7152 * channel((int)(g * 17)) +
		       0.0722 * channel((int)(b * 17));
	return -1;
}

static double ratio(const char *a, const char *b)
{
	double x = luminance(a), y = luminance(b);
	assert_true(x >= 0 && y >= 0);
	return x > y ? (x + 0.05) / (y + 0.05) : (y + 0.05) / (x + 0.05);
}

/* The colour of CSS property prop ("color", "background") in decls (up
 * to end, or the end of decls), copied into out; 0 when absent. The
 * property must start a declaration ("background-color" is not
 * "color"). */
static int prop(const char *decls, const char *end, const char *name, char out[8])
{
	size_t n = strlen(name);
	for (const char *p = decls; (p = strstr(p, name)) && (!end || p < end); p += n) {
		const char *b = p;
		while (b > decls && isspace((unsigned char)b[-1]))
			b--;
		if (b > decls && !strchr(";{\"", b[-1]))
			continue;
		const char *v = p + n;
		while (*v == ' ')
			v++;
		if (*v != ':')
			continue;
		v++;
		while (*v == ' ')
			v++;
		if (*v != '#')
			continue;
		size_t k = 1 + strspn(v + 1, "0123456789abcdefABCDEF");
		if (k != 7 && k != 4)
			continue;
		memcpy(out, v, k);
		out[k] = '\0';
		return 1;
	}
	return 0;
}

/* The declarations of the rule whose selector list starts with sel inside
 * block (a stylesheet or an @media body): a pointer after its "{". */
static const char *rule(const char *block, const char *sel)
{
	size_t n = strlen(sel);
	for (const char *p = block; (p = strstr(p, sel)); p += n) {
		if (p > block && !isspace((unsigned char)p[-1]) && p[-1] != '}')
			continue;
		const char *brace = strchr(p, '{');
		if (brace && !memchr(p, ';', (size_t)(brace - p)))
			return brace + 1;
	}
	return NULL;
}

struct scheme {
	char bg[8], text[8], link[8], muted[8];
};

static void read_schemes(struct scheme *light, struct scheme *dark)
{
	char *layout = test_read_file(LAYOUT, NULL);
	char *links = test_read_file(LINKS, NULL);
	assert_non_null(layout);
	assert_non_null(links);
	/* light: the content cell's own inline style, the links' inline colour */
	const char *cell = strstr(layout, "class=\"content\" style=\"");
	assert_non_null(cell);
	cell += strlen("class=\"content\" style=\"");
	const char *cell_end = strchr(cell, '"');
	assert_true(prop(cell, cell_end, "background", light->bg));
	assert_true(prop(cell, cell_end, "color", light->text));
	const char *decls = links;
	while (strstr(decls, "*/"))
		decls = strstr(decls, "*/") + 2;
	assert_true(prop(decls, NULL, "color", light->link));
	const char *muted = strstr(layout, "class=\"muted\" style=\"");
	assert_non_null(muted);
	muted += strlen("class=\"muted\" style=\"");
	assert_true(prop(muted, strchr(muted, '"'), "color", light->muted));
	/* dark: the stylesheet's prefers-color-scheme rules */
	const char *media = strstr(layout, "@media (prefers-color-scheme: dark)");
	assert_non_null(media);
	const char *wrap = rule(media, ".wrap, .content");
	assert_non_null(wrap);
	assert_true(prop(wrap, strchr(wrap, '}'), "background", dark->bg));
	assert_true(prop(wrap, strchr(wrap, '}'), "color", dark->text));
	const char *a = rule(media, "a");
	assert_non_null(a);
	assert_true(prop(a, strchr(a, '}'), "color", dark->link));
	const char *m = rule(media, ".muted");
	assert_non_null(m);
	assert_true(prop(m, strchr(m, '}'), "color", dark->muted));
	/* the dark link colour must win over the inline one */
	assert_non_null(strstr(a, "!important"));
	free(layout);
	free(links);
}

static void test_luminance_reference_values(void **state)
{
	(void)state;
	/* WCAG's own extremes and a value from its examples */
	assert_true(absd(ratio("#000000", "#ffffff") - 21.0) < 1e-9);
	assert_true(absd(ratio("#fff", "#ffffff") - 1.0) < 1e-9);
	assert_true(absd(ratio("#777777", "#ffffff") - 4.48) < 0.01);
	/* the figure: the old link colour against a dark client's background */
	assert_true(ratio("#1f5f8b", "#1e1e1e") < 2.5);
}

static void test_contrast_light_and_dark(void **state)
{
	(void)state;
	struct scheme light, dark;
	read_schemes(&light, &dark);
	const struct {
		const char *what, *fg, *bg;
	} pairs[] = {
		{"light body text", light.text, light.bg},
		{"light links", light.link, light.bg},
		{"light footer (muted)", light.muted, light.bg},
		{"dark body text", dark.text, dark.bg},
		{"dark links", dark.link, dark.bg},
		{"dark footer (muted)", dark.muted, dark.bg},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		double r = ratio(pairs[i].fg, pairs[i].bg);
		print_message("%-22s %s on %s: %.2f:1\n", pairs[i].what, pairs[i].fg, pairs[i].bg, r);
		if (r < 4.5)
			fail_msg("%s: %s on %s is %.2f:1, under 4.5:1", pairs[i].what, pairs[i].fg,
				 pairs[i].bg, r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luminance_reference_values),
		cmocka_unit_test(test_contrast_light_and_dark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
