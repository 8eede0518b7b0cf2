/* What the store knows of a member (store.h: struct member_state) in
 * words, for `bulletin members` and the chair's report: a status and its
 * reason ("1 hard bounce, 5.1.1", "unsubscribed by reply on 2026-03-09"),
 * in en, sv or nb. */
#ifndef BULLETIN_MEMBERSTATUS_H
#define BULLETIN_MEMBERSTATUS_H

#include "core/buf.h"
#include "store/store.h"

enum member_kind { MK_ACTIVE = 0, MK_BOUNCED, MK_UNSUBSCRIBED, MK_REMOVED };
enum member_kind member_kind(const struct member_state *m);
/* "active", "bounced", "unsubscribed", "removed" in lang (en when unknown). */
const char *member_kind_word(enum member_kind k, const char *lang);
/* 1 when there is something to say: not plain active, bounces counted, or
 * added by the chair. */
int member_state_notable(const struct member_state *m);
/* The reason, appended to out ("" when there is none). Returns 0 or -1. */
int member_state_reason(const struct member_state *m, const char *lang, struct buf *out);

#endif
