#include "deliver/deliver.h"
#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "compose/chrome.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "deliver/sendmail.h"
#include "deliver/mail.h"

void deliver_message_id(const struct digest_row *d, const char *email, const char *from,
			char *out, size_t outlen)
{
	unsigned long long h = FNV1A_INIT;
	for (const char *p = email; *p; p++)
		h = fnv1a_byte(h, (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
	const char *at = from ? strrchr(from, '@') : NULL;
	snprintf(out, outlen, "bulletin.%lld.%lld.%016llx@%s", (long long)d->id,
		 (long long)d->created, h, at && at[1] ? at + 1 : "localhost");
}

double deliver_pace_wait(struct deliver_pace *p, double now)
{
	if (p->rate <= 0)
		return 0;
	double interval = 60.0 / (double)p->rate;
	double start = p->next > now ? p->next : now;
	p->next = start + interval;
	return start - now;
}

long deliver_backoff_ms(long first_ms, int n)
{
	long w = first_ms > 0 ? first_ms : 0;
	for (int i = 1; i < n && w < 60000; i++)
		w *= 2;
	return w < 60000 ? w : 60000;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double sec)
{
	if (sec <= 0)
		return;
	struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int write_eml(const char *dir, size_t n, const char *email, const struct buf *msg,
		     struct err *err)
{
	char safe[128], path[4096];
	size_t k = 0;
	for (const char *p = email; *p && k < sizeof safe - 1; p++)
		safe[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
					    (*p >= '0' && *p <= '9') || *p == '@' || *p == '.' ||
					    *p == '-' || *p == '_'
				    ? *p
				    : '_';
	safe[k] = '\0';
	snprintf(path, sizeof path, "%s/%04zu-%s.eml", dir, n, safe);
	/* A member's copy: the name and the address are theirs alone. */
	return fs_write_atomic_mode(path, msg->data, msg->len, 0600, err);
}

/* The ledger row, unless this send is outside the ledger (send --to). */
static int ledger(struct store *s, const struct deliver_opts *o, const struct digest_row *d,
		  const char *email, enum delivery_state st, const char *mid, const char *reply,
		  int tries, time_t next, struct err *err)
{
	if (o->outside_ledger || o->dry_run_dir)
		return 0;
	return store_delivery_update(s, d->id, email, st, mid, reply, tries, next, time(NULL), err);
}

/* "sendmail:PATH" as the URL: the local MTA takes the messages; NULL for SMTP. */
static const char *sendmail_path(const struct smtp_opts *o)
{
	if (!o->url || strncmp(o->url, "sendmail:", 9))
		return NULL;
	return o->url[9] ? o->url + 9 : "/usr/sbin/sendmail";
}

enum smtp_result deliver_one(const struct smtp_opts *o, const char *from, const char *to,
			     const char *msg, size_t len, char *reply, size_t replylen)
{
	const char *sm = sendmail_path(o);
	if (sm)
		return sendmail_send(sm, from, to, msg, len, reply, replylen);
	struct smtp_session *sess;
	struct err err;
	if (smtp_open(o, &sess, &err) < 0) {
		snprintf(reply, replylen, "%s", err.msg);
		return SMTP_FATAL;
	}
	enum smtp_result r = smtp_send(sess, from, to, msg, len, reply, replylen);
	smtp_close(sess);
	return r;
}

long deliver_defer_wait(long first, int deferrals)
{
	long w = first > 0 ? first : 0;
	for (int i = 0; i < deferrals && w < 86400; i++)
		w *= 2;
	return w < 86400 ? w : 86400;
}

/* The member as the list has it, by address (ASCII case ignored). */
static int cmp_member_ptr(const void *a, const void *b)
{
	return strcasecmp((*(const struct member *const *)a)->email,
			  (*(const struct member *const *)b)->email);
}

static const struct member *find_member(const struct member *const *idx, size_t n,
					const char *email)
{
	struct member key = {.email = (char *)email};
	const struct member *kp = &key;
	const struct member *const *hit = bsearch(&kp, idx, n, sizeof *idx, cmp_member_ptr);
	return hit ? *hit : NULL;
}

/* The parts a member gets: the digest's own, or its variant in the
 * member's language (v: subject, text, html; NULL fields: d's). */
struct variant {
	char lang[3];
	int have;                 /* rendered (or tried) for lang */
	struct digest_parts p;
};

/* One member's message: the digest's parts (or their variant in the
 * member's language, or the chair's copy) with the member's greeting,
 * unsubscribe link and web link, as MIME. */
static int compose_for(const struct digest_row *d, const struct variant *v, const struct member *m,
		       const char *mid, const struct deliver_opts *o, struct buf *msg,
		       struct err *err)
{
	int chair = o->chair_email && o->chair_html && o->chair_text &&
		    !strcasecmp(m->email, o->chair_email);
	int own = v && v->p.html && v->p.text;
	const char *text = chair ? o->chair_text : own ? v->p.text : d->text;
	const char *html = chair ? o->chair_html : own ? v->p.html : d->html;
	const char *subject = own && v->p.subject ? v->p.subject : d->subject;
	char *ptext = NULL, *phtml = NULL, *utext = NULL, *uhtml = NULL, *wtext = NULL, *whtml = NULL;
	char *token = NULL, *header = NULL, *footer = NULL;
	int rc = -1;
	if (o->unsub_key && !(token = unsub_token(o->unsub_key, o->unsub_list, m->email)))
		goto oom;
	if (unsub_links(o->unsubscribe, token, &header, &footer) < 0)
		goto oom;
	if (text && strstr(text, DIGEST_GREETING_SLOT)) {
		char *g = o->greeting ? o->greeting(o->greeting_ctx, m) : NULL;
		ptext = digest_personalize(text, g, 0);
		phtml = digest_personalize(html, g, 1);
		free(g);
		if (!ptext || (html && !phtml))
			goto oom;
		text = ptext;
		html = phtml;
	}
	wtext = digest_fill_slot(text, DIGEST_WEB_SLOT, o->web_url, 0);
	whtml = digest_fill_slot(html, DIGEST_WEB_SLOT, o->web_url, 1);
	utext = digest_fill_url(wtext, footer, 0);
	uhtml = digest_fill_url(whtml, footer, 1);
	if ((text && !utext) || (html && !uhtml))
		goto oom;
	struct mail_msg mm = {
		.from_name = o->from_name, .from_addr = o->from_address,
		.reply_to = o->reply_to, .to_name = m->name, .to_addr = m->email,
		.subject = subject, .message_id = mid, .list_id = o->list_id,
		.list_unsubscribe = header, .date = time(NULL),
		.text = utext, .html = uhtml, .calendar = d->calendar,
		.calendar_name = chrome_for(v && v->lang[0] ? v->lang : o->language)->calendar_file,
	};
	buf_reset(msg);
	rc = mail_compose(&mm, msg, err);
	if (rc < 0)
		err_prefix(err, "%s", m->email);
	goto out;
oom:
	err_set(err, "out of memory");
out:
	free(ptext);
	free(phtml);
	free(utext);
	free(uhtml);
	free(wtext);
	free(whtml);
	free(token);
	free(header);
	free(footer);
	return rc;
}

/* The data hook: "sending" is in the ledger, durably, before the first
 * byte of the message leaves. */
struct hook_ctx {
	struct store *s;
	const struct deliver_opts *o;
	const struct digest_row *d;
	const char *email, *mid;
	int *tries, fired;
	struct err *err;
	int failed;
};

static int mark_sending(void *ud)
{
	struct hook_ctx *h = ud;
	h->fired = 1;
	if (ledger(h->s, h->o, h->d, h->email, DELIVERY_SENDING, h->mid, NULL, *h->tries, 0, h->err) < 0) {
		h->failed = 1;
		return -1;
	}
	*h->tries = 0;
	return 0;
}

/* The members to mail: the ledger's due rows, matched to the list (ml
 * keeps the names), or all of ml outside the ledger. */
struct todo {
	const struct member **m;
	int *deferrals;  /* so far, for the backoff */
	size_t n;
};

/* The language a member reads: the list's, else the digest's. */
static const char *member_lang(const struct member *m, const struct deliver_opts *o)
{
	return m->language[0] ? m->language : o->language ? o->language : "";
}

/* Members grouped by language, the digest's own first, each group in
 * the order it had (insertion sort: stable, and lists are short). */
static void todo_group(struct todo *t, const struct deliver_opts *o)
{
	if (!o->variant)
		return;
	for (size_t i = 1; i < t->n; i++) {
		const struct member *m = t->m[i];
		int d = t->deferrals[i];
		const char *l = member_lang(m, o);
		int own = o->language && !strcmp(l, o->language);
		size_t k = i;
		while (k > 0) {
			const char *p = member_lang(t->m[k - 1], o);
			int pown = o->language && !strcmp(p, o->language);
			if (pown || (!own && strcmp(p, l) <= 0))
				break;
			t->m[k] = t->m[k - 1];
			t->deferrals[k] = t->deferrals[k - 1];
			k--;
		}
		t->m[k] = m;
		t->deferrals[k] = d;
	}
}

/* v for member m: the digest's own parts (v->have set, no parts) or the
 * variant in m's language, rendered when m starts a new group (the
 * previous variant freed). */
static void variant_for(const struct digest_row *d, const struct member *m,
			const struct deliver_opts *o, struct variant *v)
{
	const char *l = member_lang(m, o);
	if (v->have && !strcmp(v->lang, l))
		return;
	digest_parts_free(&v->p);
	snprintf(v->lang, sizeof v->lang, "%s", l);
	v->have = 1;
	if (!o->variant || !*l || (o->language && !strcmp(l, o->language)) || !d->model)
		return;
	struct err err;
	if (o->variant(o->variant_ctx, d, l, &v->p, &err) < 0) {
		log_warn("digest %lld in %s: %s; those members get it in %s", (long long)d->id, l,
			 err.msg, o->language ? o->language : "the digest's language");
		digest_parts_free(&v->p);
	}
}

static int build_todo(struct store *s, const struct digest_row *d, const struct member_list *ml,
		      const struct deliver_opts *o, struct todo *t, struct deliver_stats *st,
		      struct err *err)
{
	t->n = 0;
	t->m = calloc(ml->n + 1, sizeof *t->m);
	t->deferrals = calloc(ml->n + 1, sizeof *t->deferrals);
	if (!t->m || !t->deferrals)
		return err_set(err, "out of memory");
	if (o->dry_run_dir || o->outside_ledger) {
		for (size_t i = 0; i < ml->n; i++)
			t->m[t->n++] = &ml->v[i];
		return 0;
	}
	const struct member **idx = calloc(ml->n + 1, sizeof *idx);
	if (!idx)
		return err_set(err, "out of memory");
	for (size_t i = 0; i < ml->n; i++)
		idx[i] = &ml->v[i];
	qsort(idx, ml->n, sizeof *idx, cmp_member_ptr);
	time_t now = time(NULL);
	int rc = 0;
	if (!d->members_recorded) {
		/* A digest from before the ledger named its members: those of
		 * the list without a row are its members still to mail. */
		enum delivery_state ds;
		for (size_t i = 0; i < ml->n && rc == 0; i++)
			if ((rc = store_delivery_get(s, d->id, ml->v[i].email, &ds, err)) == 0 &&
			    ds == DELIVERY_NONE)
				rc = store_delivery_set(s, d->id, ml->v[i].email, DELIVERY_QUEUED, NULL,
							NULL, now, err);
		if (rc == 0)
			rc = store_digest_set_members_recorded(s, d->id, err);
	}
	struct delivery_row *v = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = store_delivery_pending(s, d->id, now, &v, &n, err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct member *m = find_member(idx, ml->n, v[i].email);
		if (m) {
			t->deferrals[t->n] = v[i].deferrals;
			t->m[t->n++] = m;
			continue;
		}
		st->gone++;
		log_info("%s: not sent: no longer an active member (unsubscribed, paused or "
			 "removed from the list since the digest was composed)", v[i].email);
		rc = store_delivery_set(s, d->id, v[i].email, DELIVERY_FAILED, NULL,
					"not sent: no longer an active member", now, err);
	}
	delivery_rows_free(v, n);
	free(idx);
	return rc;
}

int deliver_digest(struct store *s, const struct digest_row *d, const struct member_list *ml,
		   const struct deliver_opts *o, struct deliver_stats *st, struct err *err)
{
	memset(st, 0, sizeof *st);
	const char *sm = sendmail_path(o->smtp);
	struct smtp_session *sess = NULL;
	struct buf msg = BUF_INIT;
	struct deliver_pace pace = {o->rate, 0};
	struct todo todo = {0};
	struct variant var = {0};
	int rc = build_todo(s, d, ml, o, &todo, st, err);
	if (rc == 0)
		todo_group(&todo, o);
	for (size_t i = 0; i < todo.n && rc == 0; i++) {
		const struct member *m = todo.m[i];
		char mid[256], reply[512] = "";
		deliver_message_id(d, m->email, o->from_address, mid, sizeof mid);
		variant_for(d, m, o, &var);
		if (compose_for(d, &var, m, mid, o, &msg, err) < 0) {
			rc = -1;
			break;
		}
		if (o->dry_run_dir) {
			if (write_eml(o->dry_run_dir, i + 1, m->email, &msg, err) < 0) {
				rc = -1;
				break;
			}
			st->sent++;
			continue;
		}
		if (!sm && !sess && smtp_open(o->smtp, &sess, err) < 0) {
			st->setup_error = 1;
			rc = -1;
			break;
		}
		int tries = 0;
		struct hook_ctx hook = {s, o, d, m->email, mid, &tries, 0, err, 0};
		if (sess)
			smtp_set_data_hook(sess, mark_sending, &hook);
		enum smtp_result r = SMTP_TEMPFAIL;
		for (int t = 0; t <= o->retries || t == 0; t++) {
			if (t > 0) {
				long ms = deliver_backoff_ms(o->retry_wait_ms, t);
				log_info("%s: %s; try %d of %d in %ld ms", m->email, reply, t + 1,
					 o->retries + 1, ms);
				sleep_s((double)ms / 1000.0);
			}
			double w = deliver_pace_wait(&pace, now_mono());
			if (w > 0) {
				log_debug("rate %ld a minute: waiting %.0f ms", o->rate, w * 1000);
				sleep_s(w);
			}
			tries++;
			hook.fired = 0;
			/* sendmail: "sending" before the program starts. */
			if (sm && mark_sending(&hook) < 0) {
				rc = -1;
				break;
			}
			r = sm ? sendmail_send(sm, o->from_address, m->email, msg.data, msg.len, reply,
					       sizeof reply)
			       : smtp_send(sess, o->from_address, m->email, msg.data, msg.len, reply,
					   sizeof reply);
			if (hook.failed) {
				rc = -1;
				break;
			}
			if (r != SMTP_TEMPFAIL || t >= o->retries)
				break;
			/* Known not delivered: back to queued while we wait, so
			 * that a crash now leaves nothing in doubt. */
			if (hook.fired &&
			    ledger(s, o, d, m->email, DELIVERY_QUEUED, mid, reply, tries, 0, err) < 0) {
				rc = -1;
				break;
			}
			if (hook.fired)
				tries = 0;
		}
		if (sess)
			smtp_set_data_hook(sess, NULL, NULL);
		if (rc < 0)
			break;
		const char *cmd = sess ? smtp_last_command(sess) : "DATA";
		int member_temp = r == SMTP_TEMPFAIL && (!strcmp(cmd, "RCPT") || !strcmp(cmd, "DATA"));
		enum delivery_state ns = r == SMTP_SENT       ? DELIVERY_SENT
					 : r == SMTP_PERMFAIL ? DELIVERY_FAILED
					 : r == SMTP_IN_DOUBT ? DELIVERY_IN_DOUBT
					 : member_temp        ? DELIVERY_DEFERRED
							      : DELIVERY_QUEUED;
		time_t next = 0;
		if (ns == DELIVERY_DEFERRED)
			next = time(NULL) + deliver_defer_wait(o->defer_retry, todo.deferrals[i]);
		if (ledger(s, o, d, m->email, ns, mid, reply, tries, next, err) < 0) {
			rc = -1;
			break;
		}
		if (r == SMTP_SENT) {
			st->sent++;
		} else if (r == SMTP_PERMFAIL) {
			st->failed++;
			log_error("%s: refused by the mail server: %s", m->email, reply);
		} else if (r == SMTP_IN_DOUBT) {
			st->in_doubt++;
			log_warn("%s: in doubt: %s; not resent (see send --status; the chair decides "
				 "with send --resend-in-doubt or --mark-sent)", m->email, reply);
		} else if (member_temp) {
			st->deferred++;
			log_warn("%s: deferred, tried again on a later run: %s", m->email, reply);
		} else if (r == SMTP_TEMPFAIL) {
			/* Not this member's problem: the server is down or
			 * refusing sessions. The rest wait for the next run. */
			st->deferred++;
			rc = err_set(err, "mail server %s: %s; %s and the members after it stay "
					  "queued for the next run",
				     o->smtp->url, reply, m->email);
		} else {
			st->deferred++;
			st->setup_error = 1;
			rc = err_set(err, "mail server %s: %s", o->smtp->url, reply);
		}
	}
	if (sess)
		log_info("%d sent over %ld SMTP connections", st->sent, smtp_connections(sess));
	if (sess)
		smtp_close(sess);
	buf_free(&msg);
	digest_parts_free(&var.p);
	free(todo.m);
	free(todo.deferrals);
	if (rc == 0 && !o->dry_run_dir && !o->outside_ledger &&
	    store_digest_complete_if_done(s, d->id, time(NULL), err) < 0)
		rc = -1;
	return rc;
}
