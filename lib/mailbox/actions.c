/* Bounces, unsubscribe replies and the chair's commands, applied to the
 * store. Whom a message concerns is decided from what we sent, strongest
 * first: the ledger's Message-ID, then the VERP address, the report's
 * recipient and the original's To, each only when it is a member. */
#include "mailbox/actions.h"

#include "compose/chrome.h"
#include "core/address.h"
#include "deliver/review.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "mailbox/answer.h"

struct mb_members {
	struct member_list list;
	const struct member **sorted;
};

static int by_email(const void *a, const void *b)
{
	return strcasecmp((*(const struct member *const *)a)->email,
			  (*(const struct member *const *)b)->email);
}

int mb_members_load(const struct config *c, struct store *s, struct mb_members **out,
		    struct err *err)
{
	struct mb_members *m = calloc(1, sizeof *m);
	*out = NULL;
	if (!m)
		return err_set(err, "out of memory");
	if (c->members_file) {
		/* the list's own problems are reported by send and members check */
		enum log_level lv = log_get_level();
		log_set_level(LOG_LVL_ERROR);
		int r = members_load(c->members_file, &m->list, err);
		log_set_level(lv);
		if (r < 0) {
			free(m);
			return -1;
		}
	}
	struct member_state *added;
	size_t n;
	if (store_members_added(s, &added, &n, err) < 0) {
		mb_members_free(m);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int listed = 0;
		for (size_t k = 0; k < m->list.n && !listed; k++)
			listed = !strcasecmp(m->list.v[k].email, added[i].address);
		if (listed)
			continue;
		if (m->list.n == m->list.cap) {
			size_t cap = m->list.cap ? m->list.cap * 2 : 16;
			struct member *v = realloc(m->list.v, cap * sizeof *v);
			if (!v) {
				rc = err_set(err, "out of memory");
				break;
			}
			m->list.v = v;
			m->list.cap = cap;
		}
		struct member *mm = &m->list.v[m->list.n];
		memset(mm, 0, sizeof *mm);
		mm->email = strdup(added[i].address);
		mm->name = strdup(added[i].name ? added[i].name : "");
		if (!mm->email || !mm->name) {
			free(mm->email);
			free(mm->name);
			rc = err_set(err, "out of memory");
			break;
		}
		if (added[i].language && strlen(added[i].language) == 2)
			memcpy(mm->language, added[i].language, 3);
		m->list.n++;
	}
	member_states_free(added, n);
	if (rc == 0 && !(m->sorted = malloc((m->list.n + 1) * sizeof *m->sorted)))
		rc = err_set(err, "out of memory");
	if (rc < 0) {
		mb_members_free(m);
		return -1;
	}
	for (size_t i = 0; i < m->list.n; i++)
		m->sorted[i] = &m->list.v[i];
	qsort(m->sorted, m->list.n, sizeof *m->sorted, by_email);
	*out = m;
	return 0;
}

void mb_members_free(struct mb_members *m)
{
	if (!m)
		return;
	member_list_free(&m->list);
	free(m->sorted);
	free(m);
}

const struct member *mb_members_find(const struct mb_members *m, const char *address)
{
	if (!m || !address || !*address || !m->list.n)
		return NULL;
	struct member key = {.email = (char *)address};
	const struct member *kp = &key;
	const struct member **hit = bsearch(&kp, m->sorted, m->list.n, sizeof *m->sorted, by_email);
	return hit ? *hit : NULL;
}

static int set(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? strdup(v) : NULL;
	return v && !*dst ? -1 : 0;
}

static int finish(struct mb_record *rec, const char *state, const char *address,
		  const char *detail, struct err *err)
{
	if (set(&rec->state, state) || set(&rec->address, address) || set(&rec->detail, detail))
		return err_set(err, "out of memory");
	return 0;
}

/* ---- bounces ---- */

static int act_bounce(const struct mb_act_ctx *c, const struct mb_result *r, const char *msgkey,
		      struct mb_record *rec, struct err *err)
{
	int64_t digest = 0;
	char *ledger = NULL, who[256] = "", detail[600];
	const char *how = NULL;
	for (size_t i = 0; i < r->norig_ids && !who[0]; i++) {
		int k = store_delivery_by_message_id(c->s, r->orig_ids[i], &digest, &ledger, err);
		if (k < 0)
			return -1;
		if (k && ledger) {
			snprintf(who, sizeof who, "%s", ledger);
			how = "the ledger's Message-ID";
		}
		free(ledger);
		ledger = NULL;
	}
	char token[256];
	if (!who[0] && c->token_member && r->list_unsubscribe[0] &&
	    c->token_member(c->token_ctx, r->list_unsubscribe, token, sizeof token) == 1 &&
	    mb_members_find(c->members, token)) {
		snprintf(who, sizeof who, "%s", mb_members_find(c->members, token)->email);
		how = "the List-Unsubscribe token";
	}
	const struct {
		const char *addr, *how;
	} cands[] = {{r->verp, "the VERP address"},
		     {r->recipient, "the report's recipient"},
		     {r->orig_to, "the returned message's To"}};
	for (size_t i = 0; i < sizeof cands / sizeof *cands && !who[0]; i++) {
		const struct member *m = mb_members_find(c->members, cands[i].addr);
		if (m) {
			snprintf(who, sizeof who, "%s", m->email);
			how = cands[i].how;
		}
	}
	if (!who[0]) {
		c->st->unknown++;
		log_warn("mailbox: a bounce (%s) names no member (recipient %s); left in the folder",
			 r->why, r->recipient[0] ? r->recipient : "unknown");
		snprintf(detail, sizeof detail, "%s; no member found", r->why);
		return finish(rec, "left", NULL, detail, err);
	}
	if (!digest && store_digest_before(c->s, c->now, &digest, err) < 0)
		return -1;
	int hard = r->cls == MB_BOUNCE_HARD;
	int added = store_bounce_add(c->s, msgkey, who, digest, c->now, hard, r->status,
				     r->diagnostic, err);
	if (added < 0)
		return -1;
	c->st->bounces += (size_t)added;
	snprintf(detail, sizeof detail, "%s; %s by %s%s%s", r->why, who, how,
		 r->diagnostic[0] ? ": " : "", r->diagnostic);
	if (hard) {
		struct member_state ms;
		if (store_member_state_get(c->s, who, &ms, err) < 0)
			return -1;
		long need = c->cfg->mb_hard_bounces > 0 ? c->cfg->mb_hard_bounces : 2;
		int digests = need >= 2 ? 2 : 1;
		int mark = !ms.bounced && ms.hard >= need && ms.hard_digests >= digests;
		member_state_free(&ms);
		if (mark) {
			if (store_member_bounced_set(c->s, who, c->now, err) < 0)
				return -1;
			c->st->bounced++;
			log_info("mailbox: %s marked bounced (%d or more hard bounces across %d digests, "
				 "last %s); no more digests to it", who, (int)need, digests,
				 r->status[0] ? r->status : "without a status");
		}
	}
	return finish(rec, "done", who, detail, err);
}

/* ---- unsubscribe replies ---- */

static int act_unsubscribe(const struct mb_act_ctx *c, const struct mb_result *r,
			   struct mb_record *rec, struct err *err)
{
	const struct member *m = mb_members_find(c->members, r->from);
	/* From another address: the token of a per-member unsubscribe address
	 * it was sent to, else of the member's link it quotes, names the
	 * member (who gets the confirmation, at the member's address) */
	const struct {
		const char *value, *how;
	} vals[] = {{r->to_unsubscribe, "the token of the address it went to"},
		    {r->list_unsubscribe, "the token of the link it quotes"}};
	const char *by = NULL;
	for (size_t i = 0; i < 2 && !m && c->token_member; i++) {
		char token[256];
		if (vals[i].value[0] &&
		    c->token_member(c->token_ctx, vals[i].value, token, sizeof token) == 1 &&
		    (m = mb_members_find(c->members, token)))
			by = vals[i].how;
	}
	if (!m) {
		c->st->unknown++;
		int quoted = c->token_member && r->list_unsubscribe[0];
		log_info("mailbox: %s asks to unsubscribe but is not a member%s; nothing changed, "
			 "left in the folder", r->from,
			 quoted ? " (nor does the link it quotes name one)" : "");
		return finish(rec, "left", r->from,
			      quoted ? "asks to unsubscribe; not a member, nor does the link it "
				       "quotes name one"
				     : "asks to unsubscribe; not a member", err);
	}
	int added = store_unsubscribe_add(c->s, m->email, "reply", c->now, err);
	if (added < 0)
		return -1;
	if (!added)
		return finish(rec, "done", m->email, "asks to unsubscribe; already unsubscribed", err);
	c->st->unsubscribed++;
	struct buf b = BUF_INIT;
	const char *lang = answer_language(m->language, c->cfg->language);
	if (answer_unsubscribed(lang, c->cfg->title, &b) || set(&rec->answer, "pending") ||
	    set(&rec->answer_to, m->email)) {
		buf_free(&b);
		return err_set(err, "out of memory");
	}
	int rc = finish(rec, "done", m->email, buf_str(&b), err);
	buf_free(&b);
	if (by)
		log_info("mailbox: %s unsubscribed by a reply from %s, by %s (%s); a confirmation "
			 "in %s follows, to %s", m->email, r->from, by, r->why, lang, m->email);
	else
		log_info("mailbox: %s unsubscribed by reply (%s); a confirmation in %s follows",
			 m->email, r->why, lang);
	return rc;
}

/* ---- the chair's commands ---- */

static enum answer_line chair_add(const struct mb_act_ctx *c, const struct mb_cmd *cmd,
				  struct err *err, int *fail)
{
	struct unsubscribe u = {0};
	int un = store_unsubscribe_get(c->s, cmd->address, &u, err);
	enum answer_line l = ANS_ADDED;
	int again = 0;
	if (un < 0)
		goto fail;
	if (un && (!u.how || strcmp(u.how, "chair"))) {
		unsubscribe_free(&u);
		return ANS_SELF_UNSUBSCRIBED; /* their own wish stands */
	}
	unsubscribe_free(&u);
	if (un && store_unsubscribe_remove(c->s, cmd->address, err) < 0)
		goto fail;
	again = un;
	int b = store_member_bounced(c->s, cmd->address, err);
	if (b < 0 || (b && store_member_reset(c->s, cmd->address, err) < 0))
		goto fail;
	again |= b;
	const struct member *m = mb_members_find(c->members, cmd->address);
	if (m && !again)
		return ANS_ALREADY_MEMBER;
	if (!m && store_member_add(c->s, cmd->address, cmd->name, NULL, c->now, err) < 0)
		goto fail;
	l = again ? ANS_ADDED_AGAIN : ANS_ADDED;
	return l;
fail:
	*fail = 1;
	return l;
}

static int known_source(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return 1;
	return 0;
}

static int act_chair(const struct mb_act_ctx *c, const struct mb_result *r,
		     struct mb_record *rec, struct err *err)
{
	const char *lang = answer_language(c->cfg->language, NULL);
	struct buf b = BUF_INIT;
	int oom = answer_chair_start(lang, r->subject, &b), fail = 0;
	for (size_t i = 0; i < r->ncmds && !fail; i++) {
		const struct mb_cmd *cmd = &r->cmds[i];
		enum answer_line l;
		char arg[400];
		snprintf(arg, sizeof arg, "%s", cmd->op == MB_PAUSE || cmd->op == MB_RESUME ? cmd->name
									      : cmd->address);
		switch (cmd->op) {
		case MB_ADD:
			snprintf(arg, sizeof arg, "%s <%s>", cmd->name, cmd->address);
			l = chair_add(c, cmd, err, &fail);
			break;
		case MB_REMOVE:
			if (!mb_members_find(c->members, cmd->address)) {
				l = ANS_NOT_MEMBER;
				break;
			}
			int k = store_unsubscribe_add(c->s, cmd->address, "chair", c->now, err);
			fail = k < 0;
			l = k > 0 ? ANS_REMOVED : ANS_ALREADY_REMOVED;
			break;
		default:
			if (!known_source(c->cfg, cmd->name)) {
				l = ANS_NO_SOURCE;
				break;
			}
			fail = store_source_pause(c->s, cmd->name, cmd->op == MB_PAUSE, c->now, err) < 0;
			l = cmd->op == MB_PAUSE ? ANS_PAUSED : ANS_RESUMED;
			break;
		}
		if (!fail) {
			log_info("mailbox: the chair (%s): %s", r->from, arg);
			oom |= answer_chair_line(lang, l, arg, &b);
		}
	}
	for (size_t i = 0; i < r->nother && !fail; i++)
		oom |= answer_chair_line(lang, ANS_NOT_UNDERSTOOD, r->other_lines[i], &b);
	if (fail) {
		buf_free(&b);
		return -1;
	}
	c->st->commands += r->ncmds;
	if (oom || set(&rec->answer, "pending") || set(&rec->answer_to, r->from)) {
		buf_free(&b);
		return err_set(err, "out of memory");
	}
	int rc = finish(rec, "done", r->from, buf_str(&b), err);
	buf_free(&b);
	return rc;
}

/* A word to a reviewer whose edit this reply replaced: an answer of its
 * own record, sent (once) with the others. */
static int notice(const struct mb_act_ctx *c, const struct mb_record *rec, const char *msgkey,
		  const char *to, const char *subject, const char *text, struct err *err)
{
	char key[600];
	snprintf(key, sizeof key, "%.300s/review-notice/%.250s", msgkey, to);
	struct buf detail = BUF_INIT;
	buf_printf(&detail, "%s\n\n%s", subject, text);
	struct mb_record n = {.msgkey = key, .folder = rec->folder ? rec->folder : (char *)"",
			      .cls = (char *)"review-notice", .address = (char *)to,
			      .detail = (char *)buf_str(&detail), .state = (char *)"done",
			      .answer = (char *)"pending", .answer_to = (char *)to};
	int rc = store_mb_put(c->s, &n, c->now, err);
	buf_free(&detail);
	return rc;
}

/* A reviewer's reply to the review copy (issue 20): each edit line and
 * the note applied to the draft it answers, as `bulletin review` would;
 * the reviewer is told what was done, in the reviewer's language, and so
 * is any reviewer whose edit it replaced. */
static int act_review(const struct mb_act_ctx *c, const struct mb_result *r, const char *msgkey,
		      struct mb_record *rec, struct err *err)
{
	const struct member *m = mb_members_find(c->members, r->from);
	const char *lang = answer_language(m ? m->language : NULL, c->cfg->language);
	const struct chrome_review *cr = chrome_review_for(lang);
	struct buf body = BUF_INIT, all = BUF_INIT, who = BUF_INIT;
	int rc = 0, done = 0;
	for (size_t i = 0; i <= r->nreview && rc >= 0; i++) {
		int note = i == r->nreview;
		if (note && !r->has_note)
			break;
		if (note && r->note_too_long) {
			buf_printf(&all, "> note:\nnote: at most %d bytes\n", MB_NOTE_MAX - 1);
			break;
		}
		char *others = NULL;
		buf_reset(&body);
		rc = review_edit(c->s, c->cfg, r->review_draft, r->from, note ? "note" : r->review_lines[i],
				 note ? r->note : NULL, c->now, lang, &body, &others, err);
		if (rc < 0)
			break;
		if (!note)
			buf_printf(&all, "> %s\n", r->review_lines[i]);
		buf_puts(&all, buf_str(&body));
		done += rc == 0;
		if (others) {
			if (who.len)
				buf_putc(&who, ',');
			buf_puts(&who, others);
			free(others);
		}
		if (rc == 2)
			break; /* too late: the rest would say the same */
		rc = 0;
	}
	if (rc >= 0 && !r->nreview && !r->has_note)
		buf_printf(&all, "%s\n", cr->nothing);
	for (size_t i = 0; i < r->nother && rc >= 0; i++)
		buf_printf(&all, "> %s\n%s\n", r->other_lines[i], cr->nothing);
	/* when the draft still waits: when it goes out, in local time */
	struct review_draft d;
	int have = rc >= 0 ? store_review_get(c->s, r->review_draft, &d, err) : 0;
	if (have < 0)
		rc = -1;
	if (have > 0) {
		char when[160];
		if (!strcmp(d.state, "open") && d.deadline) {
			chrome_review_when(d.deadline, lang, c->cfg->timezone, when, sizeof when);
			buf_putc(&all, '\n');
			buf_printf(&all, cr->waits, when);
			buf_putc(&all, '\n');
		} else if (!strcmp(d.state, "open")) {
			buf_printf(&all, "\n%s\n", cr->waits_approve);
		}
		review_draft_free(&d);
	}
	if (rc >= 0) {
		log_info("mailbox: reviewer %s: %d edit%s to draft %lld", r->from, done,
			 done == 1 ? "" : "s", r->review_draft);
		c->st->commands += (size_t)done;
		char subject[300];
		snprintf(subject, sizeof subject, cr->answer_subject, r->subject);
		struct buf answer = BUF_INIT;
		buf_printf(&answer, "%s\n\n%s\n%s", subject, cr->applied, buf_str(&all));
		char *list = who.len ? strdup(buf_str(&who)) : NULL, *save = NULL;
		for (char *to = list ? strtok_r(list, ",", &save) : NULL; to && rc >= 0;
		     to = strtok_r(NULL, ",", &save))
			if (mail_address_valid(to) && strcasecmp(to, r->from))
				rc = notice(c, rec, msgkey, to, subject, buf_str(&all), err);
		free(list);
		if (rc >= 0 && (set(&rec->answer, "pending") || set(&rec->answer_to, r->from)))
			rc = err_set(err, "out of memory");
		if (rc >= 0)
			rc = finish(rec, "done", r->from, buf_str(&answer), err);
		buf_free(&answer);
	}
	buf_free(&body);
	buf_free(&all);
	buf_free(&who);
	return rc < 0 ? -1 : 0;
}

int mb_act(const struct mb_act_ctx *c, const struct mb_result *r, const char *msgkey,
	   struct mb_record *rec, struct err *err)
{
	if (set(&rec->cls, mb_class_name(r->cls)))
		return err_set(err, "out of memory");
	switch (r->cls) {
	case MB_BOUNCE_HARD:
	case MB_BOUNCE_SOFT:
		return act_bounce(c, r, msgkey, rec, err);
	case MB_UNSUBSCRIBE:
		return act_unsubscribe(c, r, rec, err);
	case MB_CHAIR:
		return act_chair(c, r, rec, err);
	case MB_AUTOREPLY:
	case MB_DSN_INFO:
		return finish(rec, "done", r->from[0] ? r->from : NULL, r->why, err);
	case MB_REVIEW:
		return act_review(c, r, msgkey, rec, err);
	case MB_REVIEW_UNVERIFIED:
		log_warn("mailbox: a reply to the review copy from %s without the trusted server's "
			 "pass (%s); no edit made, left in the folder", r->from, r->why);
		return finish(rec, "left", r->from, r->why, err);
	case MB_CHAIR_UNVERIFIED:
		log_warn("mailbox: commands under the chair's address %s without the trusted "
			 "server's pass (%s); nothing done, left in the folder", r->from, r->why);
		/* fall through */
	default:
		return finish(rec, "left", r->from[0] ? r->from : NULL, r->why, err);
	}
}
