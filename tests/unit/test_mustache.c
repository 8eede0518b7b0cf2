/* Mustache: the official spec modules (from ../shared, skipped when absent)
 * and our own cases (error positions, recursion, UTF-8, escaping). */
#include "testutil.h"

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "compose/mustache.h"

/* ---- spec runner ---- */

static const char *spec_partial(void *ctx, const char *name)
{
	return json_string_value(json_object_get((const json_t *)ctx, name));
}

struct spec_module {
	const char *file;
	int required;
};

/* Runs every test of one module; prints "module: N/M passed" and each
 * failure to stderr. Returns the number of failures, or -1 if the file
 * cannot be read. */
static int run_module(const char *file, int *total)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/mustache-spec/%s", test_shared_dir(), file);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		fprintf(stderr, "%s: %s\n", path, jerr.text);
		return -1;
	}
	json_t *tests = json_object_get(root, "tests");
	size_t i, pass = 0, n = json_array_size(tests);
	json_t *tc;
	json_array_foreach(tests, i, tc) {
		const char *name = json_string_value(json_object_get(tc, "name"));
		const char *tmpl = json_string_value(json_object_get(tc, "template"));
		const char *want = json_string_value(json_object_get(tc, "expected"));
		struct mustache_opts opts = {spec_partial, json_object_get(tc, "partials"), 0};
		struct buf out = BUF_INIT;
		struct err err = {{0}};
		int rc = mustache_render(tmpl, json_object_get(tc, "data"), &opts, &out, &err);
		if (rc == 0 && want && strcmp(buf_str(&out), want) == 0) {
			pass++;
		} else {
			char *w = json_dumps(json_object_get(tc, "expected"), JSON_ENCODE_ANY);
			json_t *g = json_string(buf_str(&out));
			char *gs = json_dumps(g, JSON_ENCODE_ANY);
			fprintf(stderr, "  FAIL %s / %s\n    expected %s\n    got      %s%s%s\n", file, name,
				w ? w : "?", rc ? "error: " : "", rc ? err.msg : (gs ? gs : "?"), "");
			free(w);
			free(gs);
			json_decref(g);
		}
		buf_free(&out);
	}
	fprintf(stderr, "%s: %zu/%zu passed\n", file, pass, n);
	json_decref(root);
	*total = (int)n;
	return (int)(n - pass);
}

static void test_spec(void **state)
{
	const struct spec_module *m = *state;
	if (!test_shared_dir()) {
		fprintf(stderr, "../shared absent: mustache spec %s not run\n", m->file);
		skip();
	}
	int total = 0;
	int failed = run_module(m->file, &total);
	assert_int_not_equal(failed, -1);
	assert_true(total > 0);
	if (m->required)
		assert_int_equal(failed, 0);
}

static struct spec_module mod_comments = {"comments.json", 1};
static struct spec_module mod_delimiters = {"delimiters.json", 1};
static struct spec_module mod_interpolation = {"interpolation.json", 1};
static struct spec_module mod_inverted = {"inverted.json", 1};
static struct spec_module mod_partials = {"partials.json", 1};
static struct spec_module mod_sections = {"sections.json", 1};
static struct spec_module mod_inheritance = {"~inheritance.json", 1};
static struct spec_module mod_dynamic = {"~dynamic-names.json", 1};

/* ---- our own cases ---- */

struct kv {
	const char *name, *text;
};

static const char *kv_partial(void *ctx, const char *name)
{
	for (const struct kv *p = ctx; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p->text;
	return NULL;
}

/* Renders with data given as JSON text; returns the output (caller frees)
 * or NULL with the error in *err. */
static char *render(const char *tmpl, const char *data, const struct kv *partials, int no_escape,
		    struct err *err)
{
	json_error_t jerr;
	json_t *d = json_loads(data, 0, &jerr);
	assert_non_null(d);
	struct mustache_opts opts = {partials ? kv_partial : NULL, (void *)partials, no_escape};
	struct buf out = BUF_INIT;
	int rc = mustache_render(tmpl, d, &opts, &out, err);
	json_decref(d);
	if (rc) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}

static void expect(const char *tmpl, const char *data, const char *want)
{
	struct err err = {{0}};
	char *got = render(tmpl, data, NULL, 0, &err);
	if (!got)
		fail_msg("%s: %s", tmpl, err.msg);
	assert_string_equal(got, want);
	free(got);
}

static void expect_err(const char *tmpl, const struct kv *partials, const char *want)
{
	struct err err = {{0}};
	char *got = render(tmpl, "{}", partials, 0, &err);
	if (got)
		fail_msg("%s rendered as \"%s\", expected an error", tmpl, got);
	assert_string_equal(err.msg, want);
}

static void test_error_positions(void **state)
{
	(void)state;
	expect_err("Hej\n  {{#items}}\n{{title}}\n", NULL, "2:3: unclosed section \"items\"");
	expect_err("{{#a}}{{#b}}{{/b}}", NULL, "1:1: unclosed section \"a\"");
	expect_err("Rubrik\nåäö {{title", NULL, "2:5: unclosed tag (no \"}}\" after \"{{\")");
	expect_err("{{{raw}}", NULL, "1:1: unclosed tag (no \"}}}\" after \"{{\")");
	expect_err("{{#a}}\n x {{/b}}", NULL, "2:4: closing tag \"b\" does not match section \"a\" opened at 1:1");
	expect_err("x\n{{/a}}", NULL, "2:1: closing tag \"a\" without an open section");
	expect_err("  {{=<% =}}", NULL, "1:3: bad set-delimiter tag");
	expect_err("{{=<% %>=}}\n<%a", NULL, "2:1: unclosed tag (no \"%>\" after \"<%\")");
	expect_err("{{ }}", NULL, "1:1: empty tag");
	/* An error inside a partial is placed at the tag that included it. */
	static const struct kv bad[] = {{"p", "ok\n{{#x}}"}, {NULL, NULL}};
	expect_err("a\n  {{>p}}", bad, "2:3: in partial \"p\": 2:1: unclosed section \"x\"");
}

static void test_recursive_partial_stops(void **state)
{
	(void)state;
	static const struct kv self[] = {{"self", "x{{>self}}"}, {NULL, NULL}};
	struct err err = {{0}};
	char *got = render("{{>self}}", "{}", self, 0, &err);
	assert_null(got);
	assert_non_null(strstr(err.msg, "nested deeper than"));
	assert_true(strncmp(err.msg, "1:1: in partial \"self\"", 22) == 0);

	/* Doubling at each of 40 data levels would take 2^40 steps without a
	 * budget on the total number of expansions. */
	static const struct kv twice[] = {{"t", "{{#a}}{{>t}}{{>t}}{{/a}}"}, {NULL, NULL}};
	char deep[512] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"a\":");
	strcat(deep, "false");
	for (int i = 0; i < 40; i++)
		strcat(deep, "}");
	got = render("{{>t}}", deep, twice, 0, &err);
	assert_null(got);
	assert_non_null(strstr(err.msg, "partial expansions"));

	/* Data-driven recursion within the limit works. */
	static const struct kv tree[] = {{"node", "{{name}}({{#kids}}{{>node}}{{/kids}})"}, {NULL, NULL}};
	got = render("{{>node}}", "{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[]},{\"name\":\"c\",\"kids\":[]}]}", tree,
		     0, &err);
	assert_non_null(got);
	assert_string_equal(got, "a(b()c())");
	free(got);
}

/* "{{#a}}" n times, x, "{{/a}}" n times (caller frees). */
static char *nested(size_t n, const char *open, const char *close)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, open), 0);
	assert_int_equal(buf_puts(&b, "x"), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, close), 0);
	return buf_steal(&b);
}

/* 85,000 nested sections overflowed the stack (SIGSEGV in bulletin
 * render): one template nests at most 100 deep, and the error names the
 * tag that went past it. Through partials the levels multiply, so the
 * renderer's own depth is bounded too. */
static void test_deep_sections(void **state)
{
	(void)state;
	struct err err = {{0}};
	char *t = nested(85000, "{{#a}}", "{{/a}}");
	assert_null(render(t, "{\"a\":true}", NULL, 0, &err));
	assert_string_equal(err.msg, "1:601: sections nested deeper than 100 levels (\"a\")");
	free(t);
	t = nested(85000, "{{^b}}", "{{/b}}");
	assert_null(render(t, "{}", NULL, 0, &err));
	assert_string_equal(err.msg, "1:601: sections nested deeper than 100 levels (\"b\")");
	free(t);
	t = nested(3000, "{{$b}}\n", "{{/b}}\n");
	assert_null(render(t, "{}", NULL, 0, &err));
	assert_string_equal(err.msg, "101:1: sections nested deeper than 100 levels (\"b\")");
	free(t);

	t = nested(100, "{{#a}}", "{{/a}}");
	char *got = render(t, "{\"a\":true}", NULL, 0, &err);
	assert_non_null(got);
	assert_string_equal(got, "x");
	free(got);
	free(t);

	/* A partial 20 sections deep that includes itself: the render depth
	 * passes 1000 before the partials pass 64. */
	char *p = nested(20, "{{#a}}", "{{/a}}");
	char *deeper = malloc(strlen(p) + 16);
	assert_non_null(deeper);
	char *x = strchr(p, 'x');
	snprintf(deeper, strlen(p) + 16, "%.*s{{>p}}%s", (int)(x - p), p, x + 1);
	struct kv parts[] = {{"p", deeper}, {NULL, NULL}};
	assert_null(render("{{>p}}", "{\"a\":{\"a\":true}}", parts, 0, &err));
	assert_non_null(strstr(err.msg, "nested deeper than"));
	assert_int_equal(strncmp(err.msg, "1:1: in partial \"p\" at ", 23), 0);
	free(deeper);
	free(p);
}

static void test_utf8_passes_through(void **state)
{
	(void)state;
	expect("Hälsningar från {{org}}: {{{x}}} — æøå ÆØÅ\n",
	       "{\"org\":\"Läkarföreningen i Tromsø\",\"x\":\"åäö æø\"}",
	       "Hälsningar från Läkarföreningen i Tromsø: åäö æø — æøå ÆØÅ\n");
	expect("{{#ämne}}{{.}};{{/ämne}}", "{\"ämne\":[\"primærhelse\",\"vårdcentral\"]}", "primærhelse;vårdcentral;");
	/* Columns count characters, not bytes. */
	expect_err("åäö {{#x}}", NULL, "1:5: unclosed section \"x\"");
}

static void test_html_escaping(void **state)
{
	(void)state;
	expect("<p>{{t}}</p>", "{\"t\":\"<script>alert(1)</script>\"}", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
	expect("<a href=\"{{u}}\">", "{\"u\":\"\\\"><img onerror=alert(1) src=x>\"}",
	       "<a href=\"&quot;&gt;&lt;img onerror=alert(1) src=x&gt;\">");
	expect("<a title='{{u}}'>", "{\"u\":\"' onmouseover='x\"}", "<a title='&#39; onmouseover=&#39;x'>");
	expect("{{{t}}}|{{&t}}", "{\"t\":\"<b>&\"}", "<b>&|<b>&");
	/* no_escape: Markdown and plain text take the value as it is. */
	struct err err = {{0}};
	char *got = render("{{t}}", "{\"t\":\"R&D <i>\"}", NULL, 1, &err);
	assert_non_null(got);
	assert_string_equal(got, "R&D <i>");
	free(got);
}

static void test_values(void **state)
{
	(void)state;
	expect("{{i}} {{r}} {{big}} {{neg}} {{t}} {{n}}",
	       "{\"i\":85,\"r\":1.21,\"big\":1e21,\"neg\":-0.5,\"t\":true,\"n\":null}", "85 1.21 1e+21 -0.5 true ");
	/* Falsey: false, null, missing, "", 0, []. */
	expect("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#z}}Z{{/z}}{{#o}}O{{/o}}",
	       "{\"a\":false,\"b\":null,\"c\":\"\",\"d\":0,\"e\":[],\"o\":{}}", "O");
	expect("{{^c}}none{{/c}}", "{\"c\":\"\"}", "none");
	expect("{{#list}}{{name}}{{^last}}, {{/last}}{{/list}}",
	       "{\"list\":[{\"name\":\"Åsa\"},{\"name\":\"Øyvind\",\"last\":true}]}", "Åsa, Øyvind");
}

static void test_standalone_partial_indent(void **state)
{
	(void)state;
	static const struct kv p[] = {{"item", "- {{title}}\n\n  {{url}}\n"}, {NULL, NULL}};
	struct err err = {{0}};
	char *got = render("List:\n{{#items}}\n  {{>item}}\n{{/items}}\n",
			   "{\"items\":[{\"title\":\"A\\nB\",\"url\":\"u1\"},{\"title\":\"C\",\"url\":\"u2\"}]}", p, 0,
			   &err);
	assert_non_null(got);
	/* Data is not indented; empty lines get no trailing blanks. */
	assert_string_equal(got, "List:\n  - A\nB\n\n    u1\n  - C\n\n    u2\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{"spec_comments", test_spec, NULL, NULL, &mod_comments},
		{"spec_delimiters", test_spec, NULL, NULL, &mod_delimiters},
		{"spec_interpolation", test_spec, NULL, NULL, &mod_interpolation},
		{"spec_inverted", test_spec, NULL, NULL, &mod_inverted},
		{"spec_partials", test_spec, NULL, NULL, &mod_partials},
		{"spec_sections", test_spec, NULL, NULL, &mod_sections},
		{"spec_inheritance", test_spec, NULL, NULL, &mod_inheritance},
		{"spec_dynamic_names", test_spec, NULL, NULL, &mod_dynamic},
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_recursive_partial_stops),
		cmocka_unit_test(test_deep_sections),
		cmocka_unit_test(test_utf8_passes_through),
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_standalone_partial_indent),
	};
	return cmocka_run_group_tests_name("mustache", tests, NULL, NULL);
}
