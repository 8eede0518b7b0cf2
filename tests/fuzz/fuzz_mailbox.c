/* libFuzzer target for the mailbox's classifier (issue 18): any bytes, as
 * a fetch may deliver them (cut anywhere, any charset, any structure), must
 * classify without a crash, within bounds, and never into an action that
 * lacks what it needs: an unsubscribe names one valid sender, the chair's
 * commands come from a chair, every text is valid UTF-8, a reply's link
 * tokens are tokens, a review reply comes from a reviewer and names its
 * draft. `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/address.h"
#include "core/text.h"
#include "deliver/unsubscribe.h"
#include "mailbox/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const chairs[] = {"ordforande@dlf-test.se"};
	static const char *const reviewers[] = {"ordforande@dlf-test.se", "redaktor@dlf-test.se"};
	static const struct mb_classify_opts o = {
		.chairs = chairs, .nchairs = 1, .authserv_id = "mx.dlf-test.se",
		.own_address = "nyhetsbrev@dlf-test.se", .unsubscribe_address = "avregistrera@dlf-test.se",
		.reviewers = reviewers, .nreviewers = 2};
	static struct mb_result r;
	if (mb_classify((const char *)data, size, &o, &r) < 0)
		return 0; /* out of memory */
	if ((int)r.cls < 0 || r.cls >= MB_CLASS_COUNT_)
		abort();
	if (r.cls == MB_UNSUBSCRIBE && !mail_address_valid(r.from))
		abort();
	if ((r.cls == MB_CHAIR || r.cls == MB_CHAIR_UNVERIFIED) &&
	    (strcmp(r.from, chairs[0]) || !r.ncmds))
		abort();
	if (r.ncmds > MB_MAX_CMDS || r.nother > MB_MAX_LINES || r.norig_ids > MB_MAX_IDS ||
	    r.nreview > MB_MAX_CMDS)
		abort();
	if ((r.cls == MB_REVIEW || r.cls == MB_REVIEW_UNVERIFIED) &&
	    ((strcmp(r.from, reviewers[0]) && strcmp(r.from, reviewers[1])) || r.review_draft <= 0))
		abort();
	if (!utf8_valid(r.note, strlen(r.note)))
		abort();
	for (size_t i = 0; i < r.nreview; i++)
		if (!utf8_valid(r.review_lines[i], strlen(r.review_lines[i])))
			abort();
	for (size_t i = 0; i < r.ncmds; i++)
		if ((r.cmds[i].op == MB_ADD || r.cmds[i].op == MB_REMOVE) &&
		    !mail_address_valid(r.cmds[i].address))
			abort();
	if (!utf8_valid(r.subject, strlen(r.subject)) || !utf8_valid(r.why, strlen(r.why)) ||
	    !utf8_valid(r.diagnostic, strlen(r.diagnostic)) ||
	    !utf8_valid(r.list_unsubscribe, strlen(r.list_unsubscribe)))
		abort();
	/* a reply's link tokens: "token=X" only, at most 4 */
	int k = 0;
	for (const char *p = r.list_unsubscribe; r.cls == MB_UNSUBSCRIBE && *p; k++) {
		size_t n = strncmp(p, "token=", 6) ? 0 : strspn(p + 6, UNSUB_TOKEN_CHARS);
		if (!n || k == 4 || (p[6 + n] && p[6 + n] != ' '))
			abort();
		p += 6 + n + (p[6 + n] == ' ');
	}
	return 0;
}
