/* libFuzzer target: the member list CSV reader on any bytes. Every member
 * kept has a valid address, and every row is accounted for: kept, or
 * skipped as invalid or as a duplicate. `make fuzz`. */
/* fuzz-options: -max_len=262144 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "deliver/members.h"
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
	struct member_list l;
	struct err err;
	if (members_load_buf("members.csv", (const char *)data, size, &l, &err) < 0) {
		if (!err.msg[0] || l.n || l.v)
			abort();
		return 0;
	}
	if (l.n + l.skipped != l.rows || l.invalid + l.duplicates != l.skipped ||
	    l.problems < l.skipped)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		const struct member *m = &l.v[i];
		if (!mail_address_valid(m->email) || !m->name || m->line < 2 ||
		    m->status > MEMBER_UNSUBSCRIBED)
			abort();
		if (m->language[0] && strcmp(m->language, "sv") && strcmp(m->language, "nb") &&
		    strcmp(m->language, "nn") && strcmp(m->language, "da") &&
		    strcmp(m->language, "en"))
			abort();
	}
	member_list_free(&l);
	return 0;
}
