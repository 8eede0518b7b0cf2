/* The members' unsubscribe tokens (deliver/unsubscribe: an HMAC under
 * the key beside the store) as the mailbox reads them: the member that a
 * returned digest's List-Unsubscribe, or the link a reply quotes, names,
 * whoever sent the message. */
#ifndef BULLETIN_TOKENS_H
#define BULLETIN_TOKENS_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "deliver/unsubscribe.h"

struct mb_tokens {
	struct unsub_key key;
	const char *list; /* what the tokens are made for: unsub_list() */
};

/* The key at [members] unsubscribe_key (beside the store unless set) and
 * the list, into t. Returns 1; 0 when there is no key file (send has
 * never put a token on a link: there is nothing to look up); -1 with err
 * when the file is there but not a private key. Wipe t->key after use. */
int mb_tokens_load(const struct config *c, struct mb_tokens *t, struct err *err);

/* mb_act_ctx.token_member with ctx a struct mb_tokens: the member the
 * first valid token in value names (UNSUB_FIND_MAX candidates at most),
 * into out. 1 when one did, else 0. */
int mb_token_member(void *ctx, const char *value, char *out, size_t outlen);

#endif
