/* The mailbox step. Per batch of fetched messages: one store transaction
 * records each message with its effects (or nothing, after a crash), then
 * the answers owed are sent one by one ("sending" is durable before the
 * first byte goes out), then the batch is moved. */
#include "mailbox/mailbox.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/compose.h"
#include "core/log.h"
#include "mailbox/actions.h"
#include "mailbox/answer.h"
#include "mailbox/imap.h"
#include "mailbox/message.h"
#include "mailbox/tokens.h"

#define BATCH 50
#define HEADER_MAX (64u << 10)
#define TEXT_MAX (128u << 10)
#define MAX_CHAIRS 16

int mailbox_configured(const struct config *c, struct err *err)
{
	if (c->mb_url)
		return 1;
	if (c->mb_user || c->mb_password_file || c->mb_password_env || c->mb_chairs ||
	    c->mb_authserv_id)
		return err_set(err, "%s: [mailbox] has settings but no url (imaps://host/)", c->path);
	return 0;
}

/* The List-Unsubscribe mailto address (wherever it stands in [mail]
 * unsubscribe), when it is not where replies go anyway (then a message
 * to it says nothing). */
static void unsubscribe_address(const struct config *c, char *out, size_t outlen)
{
	out[0] = '\0';
	char *u = compose_unsubscribe_url(c->unsubscribe, 0);
	if (!u || strncasecmp(u, "mailto:", 7)) {
		free(u);
		return;
	}
	const char *a = u + 7;
	size_t n = strcspn(a, "?");
	if (n < outlen)
		snprintf(out, outlen, "%.*s", (int)n, a);
	free(u);
	if ((c->from_address && !strcasecmp(out, c->from_address)) ||
	    (c->reply_to && !strcasecmp(out, c->reply_to)))
		out[0] = '\0';
}

static size_t split_chairs(const char *v, char out[][256], const char **ptrs, size_t max)
{
	size_t k = 0;
	for (const char *p = v ? v : ""; *p && k < max;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (n && n < 256) {
			snprintf(out[k], 256, "%.*s", (int)n, p);
			ptrs[k] = out[k];
			k++;
		}
		p += n;
	}
	return k;
}

static void warn_input(uint32_t uid, const struct mb_result *r, size_t size, size_t got)
{
	static const char *const what[] = {"cut short", "raw 8-bit bytes in a header",
					   "broken MIME structure", "over a bound (fields, parts, depth)",
					   "bad base64 or encoded words"};
	char text[200] = "";
	for (size_t i = 0; i < sizeof what / sizeof *what; i++) {
		if (!(r->warnings & (1u << i)))
			continue;
		size_t l = strlen(text);
		snprintf(text + l, sizeof text - l, "%s%s", l ? ", " : "", what[i]);
	}
	log_warn("mailbox: UID %u (%s, %zu bytes%s): %s; read what could be read", uid,
		 mb_class_name(r->cls), size, got < size ? ", not fetched whole" : "", text);
}

/* Sends every answer the store holds as pending; one left "sending" by a
 * crash is in doubt and never sent again. */
static int send_answers(struct store *s, const struct mailbox_opts *o, struct mailbox_stats *st,
			struct err *err)
{
	struct mb_record *v;
	size_t n;
	if (st->smtp_down)
		return 0; /* once this run: the rest wait for the next one */
	if (store_mb_answers(s, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	struct smtp_session *sess = NULL;
	for (size_t i = 0; i < n && rc == 0 && !st->smtp_down; i++) {
		time_t now = time(NULL);
		if (!strcmp(v[i].answer, "sending")) {
			st->answers_doubt++;
			log_warn("mailbox: the answer to %s (message %s) is in doubt: a run stopped while "
				 "sending it; not sent again", v[i].answer_to, v[i].msgkey);
			rc = store_mb_answer(s, v[i].msgkey, "doubt", now, err);
			continue;
		}
		if ((rc = store_mb_answer(s, v[i].msgkey, "sending", now, err)) < 0)
			break;
		char reply[512] = "";
		enum smtp_result r = answer_send(o->cfg, o->smtp, &sess, &v[i], reply, sizeof reply);
		const char *state = r == SMTP_SENT ? "sent" : r == SMTP_TEMPFAIL ? "pending" : "failed";
		*(r == SMTP_SENT ? &st->answers_sent : r == SMTP_TEMPFAIL ? &st->answers_waiting
									     : &st->answers_failed) += 1;
		if (r != SMTP_SENT)
			log_warn("mailbox: the answer to %s: %s%s", v[i].answer_to, reply,
				 r == SMTP_TEMPFAIL ? "; it and the others wait for the next run" : "");
		st->smtp_down = r == SMTP_TEMPFAIL;
		rc = store_mb_answer(s, v[i].msgkey, state, time(NULL), err);
	}
	if (sess)
		smtp_close(sess);
	mb_records_free(v, n);
	if (rc < 0)
		st->store_error = 1;
	return rc;
}

static int push(uint32_t **v, size_t *n, size_t *cap, uint32_t uid)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		uint32_t *nv = realloc(*v, c * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = uid;
	return 0;
}

static const struct mb_uid *known_uid(const struct mb_uid *k, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k[mid].uid == uid)
			return &k[mid];
		if (k[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct run {
	struct store *s;
	const struct mailbox_opts *o;
	struct mailbox_stats *st;
	struct imap *imap;
	struct mb_members *members;
	struct mb_classify_opts co;
	const char *folder;
	uint32_t uidvalidity;
	char *handled;
};

/* Classifies, records and acts on one fetched message (inside the batch's
 * transaction). *move: it goes to the handled folder. */
static int one_message(struct run *R, const struct imap_msg *msg, int *move, struct err *err)
{
	struct mailbox_stats *st = R->st;
	struct mb_result *r = malloc(sizeof *r);
	struct mb_record rec = {0}, old = {0};
	int rc = -1;
	*move = 0;
	if (!r || mb_classify(msg->data, msg->len, &R->co, r) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	st->fetched++;
	if (r->warnings) {
		st->warnings++;
		warn_input(msg->uid, r, msg->size, msg->len);
	}
	char key[300];
	if (r->message_id[0]) {
		snprintf(key, sizeof key, "%s", r->message_id);
	} else {
		snprintf(key, sizeof key, "noid:%016llx",
			 (unsigned long long)fnv1a(FNV1A_INIT, msg->data, msg->len));
	}
	int had = store_mb_get(R->s, key, &old, err);
	if (had < 0)
		goto out;
	rec.folder = strdup(R->folder);
	rec.uidvalidity = R->uidvalidity;
	rec.uid = msg->uid;
	if (had) {
		/* The same Message-ID again (delivered twice, or copied back):
		 * done or left as the first one was, never acted on twice. */
		st->duplicates++;
		char dup[400];
		snprintf(dup, sizeof dup, "dup:%u.%u:%s", R->uidvalidity, msg->uid, key);
		rec.msgkey = strdup(dup);
		rec.cls = strdup(old.cls);
		rec.state = strdup(old.state);
		rec.detail = strdup("the same Message-ID as a message handled before");
		if (!rec.msgkey || !rec.cls || !rec.state || !rec.detail || !rec.folder) {
			err_set(err, "out of memory");
			goto out;
		}
	} else {
		if (!(rec.msgkey = strdup(key)) || !rec.folder) {
			err_set(err, "out of memory");
			goto out;
		}
		st->by_class[r->cls]++;
		struct mb_act_ctx ctx = {.cfg = R->o->cfg, .s = R->s, .members = R->members, .st = st,
					 .now = time(NULL),
					 .token_member = R->o->tokens ? mb_token_member : NULL,
					 .token_ctx = (void *)R->o->tokens};
		if (mb_act(&ctx, r, key, &rec, err) < 0)
			goto out;
	}
	if (store_mb_put(R->s, &rec, time(NULL), err) < 0)
		goto out;
	*move = !strcmp(rec.state, "done");
	st->left += !*move;
	log_debug("mailbox: UID %u: %s, %s: %s", msg->uid, rec.cls, rec.state, r->why);
	rc = 0;
out:
	free(r);
	mb_record_free(&rec);
	mb_record_free(&old);
	return rc;
}

/* Moves uids to the handled folder. Without MOVE a crash between the copy
 * and the \Deleted would leave them here to be copied again: they are
 * marked "copying" first, and the next run looks in the handled folder
 * before it copies one so marked (sweep). */
static int move(struct run *R, const uint32_t *uids, size_t n, struct err *err)
{
	if (!n)
		return 0;
	int atomic = !strcmp(imap_move_method(R->imap), "MOVE");
	if (!atomic && (store_begin(R->s, err) < 0 ||
			store_mb_set_state(R->s, R->folder, R->uidvalidity, uids, n, "copying", err) < 0 ||
			store_commit(R->s, err) < 0)) {
		store_rollback(R->s);
		R->st->store_error = 1;
		return -1;
	}
	int rc = imap_copy(R->imap, uids, n, R->handled, err);
	if (rc == 0 && !atomic)
		rc = imap_delete(R->imap, uids, n, err);
	if (rc == 0)
		R->st->moved += n;
	else
		R->st->setup_error = rc == IMAP_SETUP;
	return rc ? -1 : 0;
}

/* Messages marked "copying" by an interrupted run: those the handled
 * folder already holds (by Message-ID) are only deleted here, the others
 * go to mv. Leaves the folder selected again. */
static int recheck_copies(struct run *R, const struct mb_uid *known, size_t nk, uint32_t **mv,
			  size_t *nmv, size_t *cmv, struct err *err)
{
	uint32_t *del = NULL;
	size_t nd = 0, cd = 0;
	int rc = 0, looked = 0;
	for (size_t i = 0; i < nk && rc == 0; i++) {
		if (!known[i].copying || !known[i].in_folder)
			continue;
		int found = 0;
		const char *key = known[i].msgkey;
		/* a message without a Message-ID cannot be looked up: copied again */
		if (key && strncmp(key, "noid:", 5) && strncmp(key, "dup:", 4)) {
			rc = imap_has_message(R->imap, R->handled, key, &found, err);
			looked = 1;
		}
		if (rc == 0 && push(found ? &del : mv, found ? &nd : nmv, found ? &cd : cmv,
				    known[i].uid) < 0)
			rc = err_set(err, "out of memory");
	}
	uint32_t uv = R->uidvalidity;
	if (rc == 0 && looked && (rc = imap_select(R->imap, R->folder, &R->uidvalidity, err)) == 0 &&
	    uv != R->uidvalidity)
		rc = err_set(err, "folder %s changed its UIDVALIDITY during the run", R->folder);
	if (rc == 0 && nd) {
		rc = imap_delete(R->imap, del, nd, err);
		R->st->moved += rc ? 0 : nd;
	}
	free(del);
	if (rc)
		R->st->setup_error = rc == IMAP_SETUP;
	return rc ? -1 : 0;
}

/* Fetches, records and moves the new messages, BATCH at a time. */
static int batches(struct run *R, const uint32_t *todo, size_t ntodo, struct err *err)
{
	uint32_t *mv = malloc(BATCH * sizeof *mv);
	if (!mv)
		return err_set(err, "out of memory");
	int rc = 0;
	for (size_t at = 0; at < ntodo && rc == 0; at += BATCH) {
		size_t n = ntodo - at < BATCH ? ntodo - at : BATCH, nm = 0, nmv = 0;
		struct imap_msg *msgs;
		int f = imap_fetch(R->imap, todo + at, n, HEADER_MAX, TEXT_MAX, &msgs, &nm, err);
		if (f) {
			R->st->setup_error = f == IMAP_SETUP;
			rc = -1;
			break;
		}
		if ((rc = store_begin(R->s, err)) < 0) {
			R->st->store_error = 1;
			imap_msgs_free(msgs, nm);
			break;
		}
		for (size_t i = 0; i < nm && rc == 0; i++) {
			int m;
			rc = one_message(R, &msgs[i], &m, err);
			if (rc == 0 && m)
				mv[nmv++] = msgs[i].uid;
		}
		imap_msgs_free(msgs, nm);
		if (rc < 0 || store_commit(R->s, err) < 0) {
			store_rollback(R->s);
			R->st->store_error = 1;
			rc = -1;
			break;
		}
		if ((rc = send_answers(R->s, R->o, R->st, err)) < 0)
			break;
		/* moving needs UIDs ascending for compact sets */
		for (size_t i = 1; i < nmv; i++)
			for (size_t j = i; j > 0 && mv[j - 1] > mv[j]; j--) {
				uint32_t t = mv[j];
				mv[j] = mv[j - 1];
				mv[j - 1] = t;
			}
		rc = move(R, mv, nmv, err);
	}
	free(mv);
	return rc;
}

/* The folder as it stands: what earlier runs left alone is skipped
 * without a fetch, what they finished but did not move is moved now. */
static int sweep(struct run *R, struct err *err)
{
	struct mailbox_stats *st = R->st;
	uint32_t *uids = NULL, *todo = NULL, *mv = NULL, *del = NULL;
	size_t n = 0, nk = 0, nt = 0, ct = 0, nmv = 0, cmv = 0, nd = 0;
	struct mb_uid *known = NULL;
	int rc = imap_select(R->imap, R->folder, &R->uidvalidity, err);
	if (rc == 0)
		rc = imap_uids(R->imap, 0, &uids, &n, err);
	if (rc) {
		st->setup_error = rc == IMAP_SETUP;
		return -1;
	}
	rc = -1;
	if (store_mb_known_uids(R->s, R->folder, R->uidvalidity, &known, &nk, err) < 0) {
		st->store_error = 1;
		goto out;
	}
	st->in_folder = n;
	long cap = R->o->cfg->mb_max_messages;
	for (size_t i = 0; i < n; i++) {
		struct mb_uid *k = (struct mb_uid *)known_uid(known, nk, uids[i]);
		int bad = 0;
		if (k)
			k->in_folder = 1;
		if (k && k->left)
			st->known++, st->left++;
		else if (k && k->copying)
			; /* recheck_copies decides */
		else if (k)
			bad = push(&mv, &nmv, &cmv, uids[i]);
		else if (cap <= 0 || (long)nt < cap)
			bad = push(&todo, &nt, &ct, uids[i]);
		if (bad) {
			err_set(err, "out of memory");
			goto out;
		}
	}
	/* An earlier copy whose \Deleted was stored but not expunged. */
	if (strcmp(imap_move_method(R->imap), "MOVE")) {
		int d = imap_uids(R->imap, 1, &del, &nd, err);
		size_t k = 0;
		for (size_t i = 0; d == 0 && i < nd; i++) {
			const struct mb_uid *ku = known_uid(known, nk, del[i]);
			if (ku && !ku->left)
				del[k++] = del[i];
		}
		if (!d)
			d = imap_expunge(R->imap, del, k, err);
		if (d) {
			st->setup_error = d == IMAP_SETUP;
			goto out;
		}
	}
	if (recheck_copies(R, known, nk, &mv, &nmv, &cmv, err) < 0)
		goto out;
	for (size_t i = 1; i < nmv; i++) /* ascending, for compact sets */
		for (size_t j = i; j > 0 && mv[j - 1] > mv[j]; j--) {
			uint32_t t = mv[j];
			mv[j] = mv[j - 1];
			mv[j - 1] = t;
		}
	if (nmv && move(R, mv, nmv, err) < 0)
		goto out;
	rc = batches(R, todo, nt, err);
out:
	free(uids);
	free(todo);
	free(mv);
	free(del);
	mb_uids_free(known, nk);
	return rc;
}

int mailbox_run(struct store *s, const struct mailbox_opts *o, struct mailbox_stats *st,
		struct err *err)
{
	memset(st, 0, sizeof *st);
	const struct config *c = o->cfg;
	int conf = mailbox_configured(c, err);
	if (conf <= 0) {
		st->setup_error = 1;
		return conf < 0 ? -1 : err_set(err, "%s: no [mailbox] url", c->path);
	}
	struct run R = {.s = s, .o = o, .st = st, .folder = c->mb_folder ? c->mb_folder : "INBOX"};
	if (c->mb_handled_folder && !strcasecmp(R.folder, c->mb_handled_folder)) {
		st->setup_error = 1;
		return err_set(err, "%s: [mailbox] folder and handled_folder are both %s", c->path,
			       R.folder);
	}
	char chairs[MAX_CHAIRS][256], reviewers[MAX_CHAIRS][256], unsub[256];
	const char *chair_ptrs[MAX_CHAIRS], *reviewer_ptrs[MAX_CHAIRS];
	unsubscribe_address(c, unsub, sizeof unsub);
	R.co = (struct mb_classify_opts){
		.chairs = chair_ptrs,
		.nchairs = split_chairs(c->mb_chairs, chairs, chair_ptrs, MAX_CHAIRS),
		.reviewers = reviewer_ptrs,
		.nreviewers = split_chairs(c->review_reviewers, reviewers, reviewer_ptrs, MAX_CHAIRS),
		.authserv_id = c->mb_authserv_id,
		.own_address = c->from_address,
		.unsubscribe_address = unsub[0] ? unsub : NULL,
	};
	if (R.co.nchairs && !c->mb_authserv_id)
		log_warn("%s: chairs in [mailbox] without trusted_authserv_id: no command can be "
			 "trusted, so none is applied", c->path);
	if (mb_members_load(c, s, &R.members, err) < 0) {
		st->setup_error = 1;
		return -1;
	}
	/* Answers a crashed run owed go first: they need no IMAP. */
	int rc = send_answers(s, o, st, err);
	if (rc == 0) {
		struct imap_opts io = {.url = c->mb_url, .tls_none = c->mb_tls_none,
				       .ca_file = c->mb_ca_file, .user = c->mb_user,
				       .password = o->password, .timeout = c->mb_timeout};
		int r = imap_open(&io, &R.imap, err);
		if (r) {
			st->setup_error = r == IMAP_SETUP;
			rc = -1;
		}
	}
	if (rc == 0) {
		if (o->no_move)
			imap_no_move(R.imap);
		snprintf(st->move_method, sizeof st->move_method, "%s", imap_move_method(R.imap));
		int r = imap_folder_ensure(R.imap, c->mb_handled_folder ? c->mb_handled_folder
									: "bulletin/handled",
					   &R.handled, err);
		if (r) {
			st->setup_error = r == IMAP_SETUP;
			rc = -1;
		}
	}
	if (rc == 0)
		rc = sweep(&R, err);
	if (R.imap)
		imap_close(R.imap);
	free(R.handled);
	mb_members_free(R.members);
	return rc;
}
