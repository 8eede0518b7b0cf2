/* FNV-1a's values are stored (item keys, calendar UIDs, Message-IDs): the
 * published test vectors pin it, and the helpers agree with each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/hash.h"

static void test_vectors(void **state)
{
	(void)state;
	assert_true(fnv1a_str(FNV1A_INIT, "") == 0xcbf29ce484222325ULL);
	assert_true(fnv1a_str(FNV1A_INIT, NULL) == 0xcbf29ce484222325ULL);
	assert_true(fnv1a_str(FNV1A_INIT, "a") == 0xaf63dc4c8601ec8cULL);
	assert_true(fnv1a_str(FNV1A_INIT, "foobar") == 0x85944171f73967e8ULL);
	assert_true(fnv1a(FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
	/* chained: the same as hashing the whole */
	assert_true(fnv1a_str(fnv1a_str(FNV1A_INIT, "foo"), "bar") == 0x85944171f73967e8ULL);
	assert_true(fnv1a_byte(fnv1a_str(FNV1A_INIT, "fooba"), 'r') == 0x85944171f73967e8ULL);
	/* bytes above 0x7f as unsigned: "å" in UTF-8 */
	assert_true(fnv1a_str(FNV1A_INIT, "\xc3\xa5") == fnv1a_byte(fnv1a_byte(FNV1A_INIT, 0xc3), 0xa5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
