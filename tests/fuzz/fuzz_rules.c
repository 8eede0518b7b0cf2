/* libFuzzer target: the rules language, loaded and matched. The input is
 * a rules file, then (after a NUL byte, when there is one) an item's title
 * and summary separated by a newline; without one, two fixed items. A
 * load may fail (with a message naming line and column); a loaded set is
 * linted (without word lists) and matched, and every match must lie in
 * its field, every chosen topic must qualify. Nothing may crash, leak or
 * run without bound (PCRE2's limits end a runaway pattern). `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select/rules.h"

static void ignore(void *ctx, enum lint_level level, const char *where, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)where;
	(void)msg;
}

static void check(const struct rules *r, struct rules_matcher *mt, char *title, char *summary)
{
	struct item it = {0};
	it.title = title;
	it.summary = summary;
	it.source = "fuzz";
	struct match m;
	struct err err;
	if (rules_matcher_match(mt, &it, &m, &err) < 0)
		return;
	for (size_t i = 0; i < m.nterms; i++) {
		const struct match_term *t = &m.terms[i];
		const char *f = t->field == FIELD_TITLE ? title : t->field == FIELD_SUMMARY ? summary : NULL;
		if (t->start > t->end || (f && t->end > strlen(f)) || t->rule_index >= rules_rule_count(r))
			abort();
	}
	if (m.selected && (m.topic < 0 || !match_qualifies(r, &m, (size_t)m.topic)))
		abort();
	if (m.vetoed && m.selected)
		abort();
	match_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *item = strlen(text) < size ? text + strlen(text) + 1 : NULL;
	struct rules *r = rules_new();
	struct err err;
	if (r && rules_load_string(r, "fuzz.rules", text, &err) == 0) {
		struct rules_lint_opts o = {.no_wordlists = 1};
		rules_lint(r, &o, ignore, NULL, NULL, &err);
		struct rules_matcher *mt = rules_matcher_new(r);
		if (mt && item) {
			char *nl = strchr(item, '\n');
			if (nl)
				*nl = '\0';
			check(r, mt, item, nl ? nl + 1 : NULL);
		} else if (mt) {
			char t1[] = "Vårdcentralen i Tensta får ny jour och fler fastleger";
			char s1[] = "Legevakta og lægevagten: a\xCC\x8A primärvårdsstrategin, 1\xC2\xA0" "100 listade patienter";
			check(r, mt, t1, s1);
			char t2[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
			check(r, mt, t2, NULL);
		}
		rules_matcher_free(mt);
	}
	rules_free(r);
	free(text);
	return 0;
}
