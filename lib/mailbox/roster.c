/* The roster: one row per member, the store's word over the CSV's. */
#include "mailbox/roster.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/memberstatus.h"
#include "core/buf.h"
#include "core/log.h"
#include "deliver/members.h"

static const char *const statuses[] = {"active", "paused", "bounced", "unsubscribed", "removed"};

static int status_index(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(statuses[i], s))
			return i;
	return 0;
}

static int add_row(struct roster *r, const char *email, const char *name, const char *status,
		   const char *reason, int from_list, size_t line, int changed_back)
{
	struct roster_row *v = realloc(r->v, (r->n + 1) * sizeof *v);
	if (!v)
		return -1;
	r->v = v;
	struct roster_row *row = &v[r->n];
	row->email = strdup(email);
	row->name = strdup(name ? name : "");
	row->reason = strdup(reason ? reason : "");
	row->status = statuses[status_index(status)];
	row->from_list = from_list;
	row->line = line;
	row->changed_back = changed_back;
	if (!row->email || !row->name || !row->reason) {
		free(row->email);
		free(row->name);
		free(row->reason);
		return -1;
	}
	r->counts[status_index(status)]++;
	r->n++;
	return 0;
}

/* The row of one address: the store's state when it has one to tell,
 * else the CSV's status. */
static int one(struct roster *r, struct store *s, const char *email, const char *name,
	       enum member_status csv, int from_list, size_t line, struct err *err)
{
	struct member_state ms = {0};
	struct buf reason = BUF_INIT;
	const char *status = csv == MEMBER_PAUSED ? "paused"
			     : csv == MEMBER_UNSUBSCRIBED ? "unsubscribed" : "active";
	if (s && store_member_state_get(s, email, &ms, err) < 0)
		return -1;
	int rc = 0;
	int changed_back = from_list && csv == MEMBER_ACTIVE && ms.unsub_how &&
			   !strcmp(ms.unsub_how, "csv");
	if (member_state_notable(&ms)) {
		static const char *const kinds[] = {"active", "bounced", "unsubscribed", "removed"};
		enum member_kind k = member_kind(&ms);
		if (k != MK_ACTIVE || csv == MEMBER_ACTIVE)
			status = kinds[k];
		rc = member_state_reason(&ms, "en", &reason);
		if (rc == 0 && changed_back)
			rc = buf_printf(&reason, "; the list says active now: `bulletin members "
					"resubscribe %s` mails it again", email);
	} else if (csv != MEMBER_ACTIVE) {
		rc = buf_puts(&reason, "in the member list");
	}
	if (rc == 0)
		rc = add_row(r, email, name, status, buf_str(&reason), from_list, line, changed_back);
	if (rc < 0)
		err_set(err, "out of memory");
	member_state_free(&ms);
	buf_free(&reason);
	return rc;
}

int roster_build(const struct config *c, struct store *s, struct roster *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	struct member_list ml = {0};
	if (c->members_file) {
		enum log_level lv = log_get_level();
		log_set_level(LOG_LVL_ERROR); /* the list's own problems: members check */
		int r = members_load(c->members_file, &ml, err);
		log_set_level(lv);
		if (r < 0)
			return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < ml.n && rc == 0; i++)
		rc = one(out, s, ml.v[i].email, ml.v[i].name, ml.v[i].status, 1, ml.v[i].line, err);
	struct member_state *added = NULL;
	size_t na = 0;
	if (rc == 0 && s && store_members_added(s, &added, &na, err) < 0)
		rc = -1;
	for (size_t i = 0; i < na && rc == 0; i++) {
		int listed = 0;
		for (size_t k = 0; k < ml.n && !listed; k++)
			listed = !strcasecmp(ml.v[k].email, added[i].address);
		if (!listed)
			rc = one(out, s, added[i].address, added[i].name, MEMBER_ACTIVE, 0, 0, err);
	}
	member_states_free(added, na);
	member_list_free(&ml);
	if (rc < 0)
		roster_free(out);
	return rc;
}

void roster_free(struct roster *r)
{
	for (size_t i = 0; r->v && i < r->n; i++) {
		free(r->v[i].email);
		free(r->v[i].name);
		free(r->v[i].reason);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}
