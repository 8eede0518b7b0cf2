/* What bulletin does about one classified message, in the store: count a
 * bounce (and mark the member bounced after [mailbox] hard_bounces across
 * at least two digests), unsubscribe a member who replied, apply the
 * chair's commands; and the answer it owes, if any. Called inside the
 * caller's transaction, with the message's record, so that the record and
 * its effects are written together or not at all. */
#ifndef BULLETIN_ACTIONS_H
#define BULLETIN_ACTIONS_H

#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "deliver/members.h"
#include "mailbox/classify.h"
#include "mailbox/mailbox.h"
#include "store/store.h"

/* The members a message may concern: the member list and the chair's
 * additions, looked up by address (any case). */
struct mb_members;
int mb_members_load(const struct config *c, struct store *s, struct mb_members **out,
		    struct err *err);
void mb_members_free(struct mb_members *m);
const struct member *mb_members_find(const struct mb_members *m, const char *address);

struct mb_act_ctx {
	const struct config *cfg;
	struct store *s;
	const struct mb_members *members;
	struct mailbox_stats *st;
	time_t now;
	/* The member a value carries as a per-member token (the returned
	 * original's List-Unsubscribe, the address a reply went to, the
	 * "token=X" of the links a reply quotes), written into out (a mail
	 * address); returns 1 when it names one. Called at most twice per
	 * message. NULL: no token to look for (mb_token_member of
	 * mailbox/tokens.h is the real one). */
	int (*token_member)(void *ctx, const char *list_unsubscribe, char *out, size_t outlen);
	void *token_ctx;
};

/* Decides and applies r (the message msgkey) and fills rec's class,
 * address, detail, state ("left" or "done") and answer ("pending" with
 * answer_to, or NULL). Returns 0, or -1 with err (the store failed). */
int mb_act(const struct mb_act_ctx *c, const struct mb_result *r, const char *msgkey,
	   struct mb_record *rec, struct err *err);

#endif
