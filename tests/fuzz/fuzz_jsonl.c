/* libFuzzer target: one line of JSON Lines into an item (parse/jsonl.h),
 * differential. When the fast path reads the line, jansson with
 * JSON_REJECT_DUPLICATES and item_from_json must take it too and give an
 * equal item; item_from_jsonl must always give jansson's outcome: the same
 * status, the same item or the same error message. `make fuzz`. */
/* fuzz-options: -max_len=65536 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonl.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct item fast, ref, got;
	struct err e_ref, e_got;
	int f = item_from_jsonl_fast(line, size, &fast);
	if (f < -1 || f > 1)
		abort();

	int r = JSONL_OK;
	memset(&ref, 0, sizeof ref);
	json_error_t je;
	json_t *j = json_loadb(line, size, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		err_set(&e_ref, "%d: %s", je.column, je.text);
		r = JSONL_SYNTAX;
	} else if (item_from_json(j, &ref, &e_ref) < 0) {
		r = JSONL_ITEM;
	}
	json_decref(j);

	if (f == 1 && (r != JSONL_OK || !item_equal(&fast, &ref)))
		abort(); /* the fast path took a line jansson reads otherwise */
	if (f == 0 && (fast.key || fast.title || fast.categories || fast.enclosures))
		abort(); /* "ask jansson" leaves a zeroed item */

	int g = item_from_jsonl(line, size, &got, &e_got);
	if (g != JSONL_NOMEM && f != -1) {
		if (g != r || (r == JSONL_OK && !item_equal(&got, &ref)) ||
		    (r != JSONL_OK && strcmp(e_got.msg, e_ref.msg)))
			abort();
	}
	item_free(&fast);
	item_free(&ref);
	item_free(&got);
	return 0;
}
