/* Shared by the rules tests (test_rules.c, test_rules_engine.c): loading
 * a rules set or failing the test with the load's message. */
#ifndef BULLETIN_TEST_RULES_H
#define BULLETIN_TEST_RULES_H

#include "testutil.h"

#include "select/rules.h"

static inline struct rules *load(const char *path)
{
	struct rules *r = rules_new();
	assert_non_null(r);
	struct err e = {{0}};
	if (rules_load_file(r, path, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

static inline struct rules *load_str(const char *text)
{
	struct rules *r = rules_new();
	assert_non_null(r);
	struct err e = {{0}};
	if (rules_load_string(r, "t.rules", text, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

#endif
