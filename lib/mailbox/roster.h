/* Every member with a status and its reason, for `bulletin members`: the
 * member list (CSV) as the store has shaped it (unsubscribed by reply or
 * command, removed by the chair, marked bounced, bounces counted) and the
 * members the chair added by mail. */
#ifndef BULLETIN_ROSTER_H
#define BULLETIN_ROSTER_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

struct roster_row {
	char *email, *name;
	const char *status;   /* "active", "paused", "bounced", "unsubscribed", "removed" */
	char *reason;         /* "" when none */
	int from_list;        /* 0: added by the chair's mail */
	size_t line;          /* its row in the member list; 0 when added by mail */
	/* 1: kept out by an "unsubscribed" this member list once said, while
	 * its row says active now. The store wins (an old copy of the file
	 * must not resubscribe anyone): `bulletin members resubscribe EMAIL`
	 * is how the chair lets the row count again. */
	int changed_back;
};

struct roster {
	struct roster_row *v;
	size_t n;
	size_t counts[5];     /* by status, in the order above */
};

/* s may be NULL (no store yet: the CSV alone). Returns 0, or -1 with err
 * when the member list cannot be read or the store fails. */
int roster_build(const struct config *c, struct store *s, struct roster *out, struct err *err);
void roster_free(struct roster *r);

#endif
