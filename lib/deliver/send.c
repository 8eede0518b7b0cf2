#include "deliver/send.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "compose/archive.h"
#include "compose/compose.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "deliver/review.h"
#include "deliver/unsubscribe.h"

#define WINDOW_MAX (7 * 86400) /* a deferred member is tried for a week at most */
#define GREETERS 8             /* sv, nb, nn, da, en, with room */

struct ctx {
	struct store *s;
	const struct send_opts *o;
	const struct config *c;
	struct send_result *r;
	struct member_list ml;
	/* greeting.mustache read once per language spoken */
	struct digest_greeter *greeter[GREETERS];
	char greeter_lang[GREETERS][3];
	json_t *chair_report;
	struct unsub_key key;
	int have_key;
	int stop;                 /* a run-stopping status: no more deliveries */
	struct err stop_err;
	struct err archive_err;   /* the first archive failure */
	/* the review (deliver/review.h): the draft's period and edits for
	 * compose_now, the draft a stored digest closes, the nearly selected */
	struct compose_opts review_co;
	int in_review;
	int64_t draft_id;
	json_t **below;
};

void send_result_free(struct send_result *r)
{
	for (size_t i = 0; r->v && i < r->n; i++)
		free(r->v[i].subject);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* The language member m reads: the list's, else the digest's. */
static const char *lang_of(const struct ctx *x, const struct member *m)
{
	return m && m->language[0] ? m->language : x->c->language;
}

/* deliver_opts.greeting: in the member's language, greeting.mustache read
 * once per language in a step. */
static char *greet(void *ud, const struct member *m)
{
	struct ctx *x = ud;
	struct err err;
	const char *lang = lang_of(x, m);
	size_t i = 0;
	while (i < GREETERS && x->greeter[i] && strcmp(x->greeter_lang[i], lang ? lang : ""))
		i++;
	if (i == GREETERS)
		i = 0; /* cannot happen: five languages */
	if (!x->greeter[i]) {
		if (!(x->greeter[i] = digest_greeter_new(x->c->templates_dir, lang, &err))) {
			log_error("%s", err.msg);
			return NULL;
		}
		snprintf(x->greeter_lang[i], sizeof x->greeter_lang[i], "%s", lang ? lang : "");
	}
	char *g = digest_greeter_greet(x->greeter[i], m ? m->name : NULL, &err);
	if (!g)
		log_error("%s", err.msg);
	return g;
}

/* deliver_opts.variant: the stored digest rendered from its model in
 * another language, with each member's slots. */
static int render_variant(void *ud, const struct digest_row *d, const char *lang,
			  struct digest_parts *out, struct err *err)
{
	struct ctx *x = ud;
	json_t *model = d->model ? json_loads(d->model, 0, NULL) : NULL;
	if (!json_is_object(model)) {
		json_decref(model);
		return err_set(err, "its stored model could not be read");
	}
	int r = compose_render(x->c, model, &(struct compose_render_opts){.language = lang, .personal = 1},
			       out, err);
	json_decref(model);
	return r == COMPOSE_OK ? 0 : -1;
}

static void deliver_opts_for(struct ctx *x, struct smtp_opts *so, struct deliver_opts *d)
{
	const struct config *c = x->c;
	*so = (struct smtp_opts){.url = c->smtp_url, .starttls = c->starttls,
				 .verify_tls = c->verify_tls, .username = c->smtp_user,
				 .password = x->o->password, .timeout = c->smtp_timeout,
				 .data_timeout = c->smtp_data_timeout, .ca_file = c->smtp_ca_file,
				 .per_connection = c->mail_per_connection};
	*d = (struct deliver_opts){
		.from_name = c->from_name, .from_address = c->from_address,
		.reply_to = c->reply_to, .list_id = c->list_id, .unsubscribe = c->unsubscribe,
		.unsub_key = x->have_key ? &x->key : NULL,
		.unsub_list = unsub_list(c), .smtp = so,
		.retries = (int)c->mail_retries, .retry_wait_ms = c->mail_retry_wait * 1000,
		.defer_retry = c->defer_retry, .rate = c->mail_rate,
		.dry_run_dir = x->o->dry_run_dir, .outside_ledger = x->o->to != NULL,
		.greeting = greet, .greeting_ctx = x, .language = c->language,
		.variant = render_variant, .variant_ctx = x};
}

/* A failure of deliver_digest: 78 says "fix the setup" to cron and the
 * chair, 75 "try later". No more deliveries in this step. */
static void stop_with(struct ctx *x, const struct deliver_stats *st, const struct err *err)
{
	if (!x->stop) {
		x->stop = st->setup_error ? EXIT_CONFIG : EXIT_TEMPFAIL;
		x->stop_err = *err;
	}
}

static struct send_digest *result_for(struct ctx *x, const struct digest_row *d, int composed)
{
	struct send_digest *v = realloc(x->r->v, (x->r->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	x->r->v = v;
	struct send_digest *e = &v[x->r->n++];
	memset(e, 0, sizeof *e);
	e->id = d->id;
	e->subject = d->subject ? strdup(d->subject) : NULL;
	e->composed = composed;
	return e;
}

/* Delivers d to its due members (or, dry run and --to, to ml). */
static int deliver(struct ctx *x, const struct digest_row *d, int composed, const char *chair_text,
		   const char *chair_html, struct err *err)
{
	struct smtp_opts so;
	struct deliver_opts dopt;
	char web[4200];
	deliver_opts_for(x, &so, &dopt);
	dopt.chair_email = x->o->to ? x->o->to : x->c->chair;
	dopt.chair_text = chair_text;
	dopt.chair_html = chair_html;
	if (archive_page_url(x->c->archive_url, d, web, sizeof web))
		dopt.web_url = web;
	struct send_digest *e = result_for(x, d, composed);
	if (!e)
		return err_set(err, "out of memory");
	if (deliver_digest(x->s, d, &x->ml, &dopt, &e->st, err) < 0) {
		stop_with(x, &e->st, err);
		return -1;
	}
	return 0;
}

/* --- the archive: complete, or the step says so (74) --- */

static void archive_failed(struct ctx *x, const struct err *err)
{
	log_error("archive: %s", err->msg);
	if (!x->r->archive_failed)
		x->archive_err = *err;
	x->r->archive_failed = 1;
}

/* calendar.ics for subscribers, as of now (not of the digest: an older
 * digest's archive written again must not turn the calendar back). */
static int write_calendar(struct ctx *x, struct err *err)
{
	char *ics = NULL;
	if (compose_calendar_ics(x->s, x->c, x->o->rules, x->o->calendar, x->o->now, &ics, err) < 0)
		return -1;
	int r = archive_write_calendar(x->c->archive_dir, ics, err);
	free(ics);
	return r;
}

/* Every file of stored digest id (parts, .json, .ics), calendar.ics, then
 * the index and feed; the digest counts as archived only when all were written. Files
 * have fixed names: writing again is harmless. */
static void archive_digest(struct ctx *x, int64_t id)
{
	const struct config *c = x->c;
	struct err err;
	struct digest_row full, arch;
	int have = store_digest_load(x->s, id, &full, &err);
	if (have <= 0) {
		if (have < 0)
			archive_failed(x, &err);
		return;
	}
	json_t *model = full.model ? json_loads(full.model, 0, NULL) : NULL;
	if (compose_archive_row(c, &full, &arch, &err) != COMPOSE_OK) {
		archive_failed(x, &err);
	} else {
		int aw = archive_write(c->archive_dir, &arch, model, x->r->archive_html,
				       sizeof x->r->archive_html, &err);
		digest_row_free(&arch);
		struct archive_site site = {c->title, c->language, c->archive_url, c->association};
		if (aw < 0 || write_calendar(x, &err) < 0 ||
		    archive_index(c->archive_dir, &site, &err) < 0) {
			x->r->archive_html[0] = '\0';
			archive_failed(x, &err);
		} else if (store_digest_set_archived(x->s, id, x->o->now, &err) < 0) {
			archive_failed(x, &err);
		} else {
			log_info("digest %lld written to %s", (long long)id, x->r->archive_html);
		}
	}
	json_decref(model);
	digest_row_free(&full);
}

/* Digests whose archive an earlier step could not finish (a full disk). */
static int archive_pending(struct ctx *x, struct err *err)
{
	struct digest_row *v;
	size_t n;
	if (store_digests_unarchived(x->s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		log_info("digest %lld: writing its archive files again", (long long)v[i].id);
		archive_digest(x, v[i].id);
	}
	digest_rows_free(v, n);
	return 0;
}

/* --- what earlier runs left --- */

/* Members a stopped run left "sending": in doubt, never resent by us. */
static int recover(struct ctx *x, struct err *err)
{
	struct delivery_row *v;
	size_t n;
	if (store_delivery_recover(x->s, "a run stopped while sending it (killed, crashed or "
				   "the power went): it may have arrived", x->o->now, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		log_warn("%s: in doubt (digest %lld): a previous run stopped while sending "
			 "Message-ID <%s>; not resent (send --resend-in-doubt or --mark-sent)",
			 v[i].email, (long long)v[i].digest_id, v[i].message_id ? v[i].message_id : "");
	x->r->recovered += (int)n;
	delivery_rows_free(v, n);
	return 0;
}

/* Deferred members of d whose window has closed fail, with the server's
 * last reply: [mail] defer_window hours after d was composed, else when
 * the next digest was composed, a week at most. */
static int expire(struct ctx *x, const struct digest_row *d, struct err *err)
{
	const struct config *c = x->c;
	time_t deadline = d->created + (c->defer_window ? c->defer_window * 3600 : WINDOW_MAX);
	time_t next = 0;
	if (!c->defer_window && store_digest_next_created(x->s, d->id, &next, err) < 0)
		return -1;
	/* A next digest exists: it was due, so this one's window is over. */
	if (!next && x->o->now < deadline)
		return 0;
	struct delivery_row *v;
	size_t n;
	if (store_delivery_expire(x->s, d->id, x->o->now, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		log_error("%s: failed (digest %lld): deferred %d time%s until its window closed; "
			  "the last reply: %s",
			  v[i].email, (long long)d->id, v[i].deferrals, v[i].deferrals == 1 ? "" : "s",
			  v[i].last_reply ? v[i].last_reply : "none");
	x->r->expired += (int)n;
	delivery_rows_free(v, n);
	if (n && store_digest_complete_if_done(x->s, d->id, x->o->now, err) < 0)
		return -1;
	return 0;
}

static int expire_all(struct ctx *x, struct err *err)
{
	struct digest_row *v;
	size_t n;
	if (store_digests_open(x->s, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = expire(x, &v[i], err);
	digest_rows_free(v, n);
	return rc;
}

/* Every unfinished digest, oldest first: its due members. */
static int deliver_open(struct ctx *x, struct err *err)
{
	struct digest_row *v;
	size_t n;
	if (store_digests_open(x->s, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0 && !x->stop; i++) {
		if ((rc = expire(x, &v[i], err)) < 0)
			break;
		struct digest_row d;
		int have = store_digest_load(x->s, v[i].id, &d, err);
		if (have < 0) {
			rc = -1;
			break;
		}
		if (!have || d.completed) {
			digest_row_free(&d);
			continue;
		}
		char ts[RFC3339_LEN];
		log_info("digest %lld composed %s: mailing the members it is due to", (long long)d.id,
			 time_format_rfc3339(d.created, ts));
		struct err derr;
		deliver(x, &d, 0, NULL, NULL, &derr); /* a stop is kept in x */
		digest_row_free(&d);
	}
	digest_rows_free(v, n);
	return rc;
}

/* --- this period's digest --- */

/* The member with address email in l, or NULL. */
static const struct member *member_by_address(const struct member_list *l, const char *email)
{
	for (size_t i = 0; email && i < l->n; i++)
		if (!strcasecmp(l->v[i].email, email))
			return &l->v[i];
	return NULL;
}

/* The chair's copy of a digest: the members' digest plus the chair's
 * section, in her language (the member list's row for address, else the
 * digest's); NULL parts when it cannot be made (logged). */
static void chair_copy(struct ctx *x, const json_t *model, const char *address,
		       struct digest_parts *out)
{
	memset(out, 0, sizeof *out);
	if (!address || !model || !x->chair_report)
		return;
	struct err cerr = {{0}};
	const struct compose_render_opts ro = {
		.language = lang_of(x, member_by_address(&x->ml, address)), .personal = 1,
		.chair = x->chair_report};
	if (compose_render(x->c, model, &ro, out, &cerr) != COMPOSE_OK) {
		log_warn("the chair's copy: %s; she gets the members' version", cerr.msg);
		digest_parts_free(out);
	}
}

static int compose_status(int r)
{
	return r == COMPOSE_STORE_FAILED ? EXIT_IOERR
	       : r == COMPOSE_TEMPLATE_FAILED ? EXIT_CONFIG : EXIT_SOFTWARE;
}

/* Composes the period's digest into row/model. Returns 0 (row.subject set
 * when there is something to send), or an exit status with err. */
static int compose_now(struct ctx *x, struct digest_row *row, json_t **model, int allow_empty,
		       struct err *err)
{
	struct compose_opts co = {.cfg = x->c, .rules = x->o->rules, .now = x->o->now,
				  .personal = 1, .calendar = x->o->calendar, .below = x->below};
	if (x->in_review) {
		co.since = x->review_co.since;
		co.now = x->review_co.now;
		co.edits = x->review_co.edits;
	}
	int r = compose_digest(x->s, &co, row, model, &x->chair_report, err);
	if (r != COMPOSE_OK)
		return compose_status(r);
	if (!allow_empty && json_integer_value(json_object_get(*model, "count")) == 0 &&
	    !x->c->empty_send) {
		x->r->nothing_new = 1;
		x->r->period_start = row->period_start;
		digest_row_free(row);
		json_decref(*model);
		*model = NULL;
	}
	return 0;
}

/* Stores row with a queued ledger row for each active member and the
 * reminders its model gives, in one transaction: a digest is never stored
 * without knowing its members, and a reminder is given once. */
static int store_with_members(struct ctx *x, struct digest_row *row, const json_t *model,
			      struct err *err)
{
	row->model = json_dumps(model, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!row->model)
		return err_set(err, "out of memory");
	if (store_begin(x->s, err) < 0)
		return -1;
	int rc = store_digest_insert(x->s, row, err);
	if (rc == 0)
		rc = compose_mark_reminders(x->s, row, model, err);
	/* the review's draft became this digest: never sent twice */
	if (rc == 0 && x->draft_id)
		rc = store_review_decide(x->s, x->draft_id, "sent", NULL, row->id, x->o->now, err) < 0
			     ? -1
			     : 0;
	for (size_t i = 0; i < x->ml.n && rc == 0; i++)
		rc = store_delivery_set(x->s, row->id, x->ml.v[i].email, DELIVERY_QUEUED, NULL, NULL,
					x->o->now, err);
	if (rc == 0)
		rc = store_commit(x->s, err);
	if (rc < 0) {
		store_rollback(x->s);
		row->id = 0;
	}
	return rc;
}

static int compose_store_deliver(struct ctx *x, struct err *err)
{
	struct digest_row row = {0};
	json_t *model = NULL;
	int r = compose_now(x, &row, &model, 0, err);
	if (r || !model)
		return r;
	int stored = store_with_members(x, &row, model, err) == 0;
	if (stored) {
		row.members_recorded = 1;
		archive_digest(x, row.id);
	}
	/* A next digest closes the default window of earlier ones. */
	if (!stored || expire_all(x, err) < 0) {
		json_decref(model);
		digest_row_free(&row);
		return EXIT_IOERR;
	}
	struct digest_parts chair;
	chair_copy(x, model, x->c->chair, &chair);
	if (!x->stop) {
		struct err derr;
		deliver(x, &row, 1, chair.text, chair.html, &derr);
	}
	digest_parts_free(&chair);
	json_decref(model);
	digest_row_free(&row);
	return 0;
}

/* --- the chair's review (deliver/review.h) --- */

static void review_smtp(struct ctx *x, struct smtp_opts *so)
{
	struct deliver_opts d;
	deliver_opts_for(x, so, &d);
}

/* The review's composition: draft d's period (NULL: a new draft's, up
 * to now) with the edits that hold for it (filled into *e, the caller
 * frees it), and the nearly selected items into *below. */
static int review_compose(struct ctx *x, const struct review_draft *d, struct review_edits *e,
			  struct digest_row *row, json_t **model, json_t **below, int allow_empty,
			  struct err *err)
{
	if (review_edits_load(x->s, d, e, err) < 0)
		return EXIT_IOERR;
	x->review_co = d ? (struct compose_opts){.since = d->period_start, .now = d->period_end - 1,
						 .edits = &e->ce}
			 : (struct compose_opts){.now = x->o->now, .edits = &e->ce};
	x->in_review = 1;
	x->below = below;
	int r = compose_now(x, row, model, allow_empty, err);
	x->in_review = 0;
	x->below = NULL;
	return r;
}

/* The period's draft: composed with the drops that hold, numbered,
 * stored, and its copy mailed to the reviewers. Nothing new: no draft. */
static int review_draft_make(struct ctx *x, struct err *err)
{
	struct review_edits e;
	struct digest_row row = {0};
	json_t *model = NULL, *below = NULL;
	int r = review_compose(x, NULL, &e, &row, &model, &below, 0, err);
	struct review_number *v = NULL;
	size_t n = 0;
	if (r == 0 && !model && x->c->review_copy_at) {
		/* A quiet week still had its copy_at: recorded, so that news
		 * found later waits for the next copy_at, not for any run.
		 * One statement: a stop in between must not leave an open
		 * draft with nothing in it waiting for an approve. */
		struct review_draft q = {.period_start = x->r->period_start, .period_end = x->o->now + 1,
					 .created = x->o->now, .state = (char *)"empty"};
		if (store_review_insert(x->s, &q, NULL, 0, err) < 0)
			r = EXIT_IOERR;
	}
	if (r || !model)
		goto out;
	struct review_draft d = {.period_start = row.period_start, .period_end = row.period_end,
				 .created = x->o->now};
	if (x->c->review_deadline)
		d.deadline = review_week_next(x->c->review_deadline, x->c->timezone, x->o->now);
	if (review_number(model, below, &v, &n, err) < 0 ||
	    store_review_insert(x->s, &d, v, n, err) < 0) {
		r = EXIT_IOERR;
		goto out;
	}
	struct smtp_opts so;
	review_smtp(x, &so);
	int sent = review_copy_send(x->s, x->c, &so, &x->ml, &d, model, below, x->o->now, err);
	if (sent < 0) {
		r = EXIT_IOERR;
		goto out;
	}
	x->r->review = REVIEW_DRAFT;
	x->r->review_draft = d.id;
	x->r->review_deadline = d.deadline;
	x->r->review_copies = sent;
	x->r->review_items = n;
out:
	review_numbers_free(v, n);
	json_decref(model);
	json_decref(below);
	digest_row_free(&row);
	review_edits_free(&e);
	return r;
}

/* A waiting draft: copies still owed (a reviewer added, a server that
 * said "later") go out; nothing else until its deadline or an approve. */
static int review_wait(struct ctx *x, const struct review_draft *d, struct err *err)
{
	x->r->review = REVIEW_WAIT;
	x->r->review_draft = d->id;
	x->r->review_deadline = d->deadline;
	int due = review_copy_due(x->s, x->c, d, err);
	if (due <= 0)
		return due < 0 ? EXIT_IOERR : 0;
	struct review_edits e;
	struct digest_row row = {0};
	json_t *model = NULL, *below = NULL;
	int r = review_compose(x, d, &e, &row, &model, &below, 1, err);
	if (r == 0 && model) {
		struct smtp_opts so;
		review_smtp(x, &so);
		int sent = review_copy_send(x->s, x->c, &so, &x->ml, d, model, below, x->o->now, err);
		if (sent < 0)
			r = EXIT_IOERR;
		else
			x->r->review_copies = sent;
	}
	json_decref(model);
	json_decref(below);
	digest_row_free(&row);
	review_edits_free(&e);
	return r;
}

/* Approved, or its deadline passed: the members' digest of the draft's
 * period with its edits, stored (closing the draft in the same
 * transaction) and delivered as any digest. */
static int review_send(struct ctx *x, const struct review_draft *d, struct err *err)
{
	struct review_edits e;
	if (review_edits_load(x->s, d, &e, err) < 0)
		return EXIT_IOERR;
	x->review_co = (struct compose_opts){.since = d->period_start, .now = d->period_end - 1,
					     .edits = &e.ce};
	x->in_review = 1;
	x->draft_id = d->id;
	int r = compose_store_deliver(x, err);
	x->in_review = 0;
	x->draft_id = 0;
	review_edits_free(&e);
	x->r->review = REVIEW_SEND;
	x->r->review_draft = d->id;
	/* Everything dropped, nothing left to send: the draft is done all
	 * the same, or every run would try it again. */
	if (r == 0 && x->r->nothing_new &&
	    store_review_decide(x->s, d->id, "sent", NULL, 0, x->o->now, err) < 0)
		r = EXIT_IOERR;
	return r;
}

static int review_step(struct ctx *x, struct err *err)
{
	struct review_draft d;
	int due = review_due(x->s, x->c, x->o->now, &d, err);
	int r = 0;
	if (due < 0)
		return EXIT_IOERR;
	if (due == REVIEW_DRAFT)
		r = review_draft_make(x, err);
	else if (due == REVIEW_WAIT)
		r = review_wait(x, &d, err);
	else if (due == REVIEW_SEND)
		r = review_send(x, &d, err);
	else
		x->r->review = REVIEW_NOT_YET;
	review_draft_free(&d);
	return r;
}

/* send --to: the member the address is in the list (any status: the
 * chair tests as that member would be greeted), else nobody; the given
 * name (send --to ADDRESS --name NAME) wins. */
static struct member test_member(struct ctx *x, struct member_list *all)
{
	struct member one = {.email = (char *)x->o->to, .name = (char *)""};
	struct err err;
	if (x->c->members_file && members_load(x->c->members_file, all, &err) < 0)
		log_info("--to: %s; %s is greeted without a name", err.msg, x->o->to);
	const struct member *m = member_by_address(all, x->o->to);
	if (m) {
		one.name = m->name;
		memcpy(one.language, m->language, sizeof one.language);
	}
	if (x->o->to_name)
		one.name = (char *)x->o->to_name;
	return one;
}

/* send --to and --dry-run: the digest members would get now (the newest
 * unfinished one as stored, else this period's, composed and not kept),
 * to that one address (as the member it is, with the chair's section)
 * or into .eml files; nothing stored. */
static int send_preview(struct ctx *x, struct err *err)
{
	struct digest_row row = {0};
	json_t *model = NULL;
	int have = store_digest_unfinished(x->s, &row, err);
	if (have < 0)
		return EXIT_IOERR;
	if (have) {
		char ts[RFC3339_LEN];
		log_info("digest %lld composed %s, unfinished: as stored", (long long)row.id,
			 time_format_rfc3339(row.created, ts));
		model = row.model ? json_loads(row.model, 0, NULL) : NULL;
		struct err cerr;
		if (x->o->to && model &&
		    !(x->chair_report = compose_chair_report_period(x->s, x->c, x->o->rules,
								   row.period_start, row.period_end,
								   &cerr)))
			log_warn("the chair's section: %s; left out", cerr.msg);
	} else {
		/* A draft under review: the issue as edited so far. */
		struct review_edits e;
		int in = review_apply_draft(x->s, x->c, &x->review_co, &e, err);
		if (in < 0)
			return EXIT_IOERR;
		x->in_review = in;
		/* The chair's test goes out even on an empty week. */
		int r = compose_now(x, &row, &model, x->o->to != NULL, err);
		x->in_review = 0;
		review_edits_free(&e);
		if (r || !model)
			return r;
		/* what variants and the archive render from */
		row.model = json_dumps(model, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	x->r->empty = model && json_integer_value(json_object_get(model, "count")) == 0;
	struct member_list all = {0};
	struct member one = {0};
	struct member_list saved = x->ml;
	struct digest_parts chair = {0};
	if (x->o->to) {
		one = test_member(x, &all);
		x->ml = (struct member_list){.v = &one, .n = 1, .cap = 1};
		chair_copy(x, model, x->o->to, &chair);
	}
	struct err derr;
	deliver(x, &row, !have, chair.text, chair.html, &derr);
	x->ml = saved;
	digest_parts_free(&chair);
	member_list_free(&all);
	json_decref(model);
	digest_row_free(&row);
	return 0;
}

static int load_members(struct ctx *x, struct err *err)
{
	const struct config *c = x->c;
	if (!c->members_file || !c->from_address) {
		err_set(err, "%s: set file in [members] and from_address in [mail]", c->path);
		return EXIT_CONFIG;
	}
	if (members_load(c->members_file, &x->ml, err) < 0)
		return EXIT_CONFIG;
	if (!x->ml.n) {
		err_set(err, "%s: no members with a valid address", c->members_file);
		return EXIT_CONFIG;
	}
	/* Paused and unsubscribed members get nothing; a real send also
	 * records the CSV's unsubscribes so an older copy cannot undo them. */
	struct member_filter_counts *fc = &x->r->fc;
	if (members_filter_active(&x->ml, x->s, !x->o->dry_run_dir, fc, err) < 0)
		return EXIT_IOERR;
	if (fc->paused || fc->unsub_csv || fc->unsub_store)
		log_info("%zu member%s left out: %zu paused, %zu unsubscribed in %s, "
			 "%zu unsubscribed in the store",
			 fc->paused + fc->unsub_csv + fc->unsub_store,
			 fc->paused + fc->unsub_csv + fc->unsub_store == 1 ? "" : "s", fc->paused,
			 fc->unsub_csv, c->members_file, fc->unsub_store);
	return 0;
}

/* The unsubscribe key, when [mail] unsubscribe has an https link to put
 * each member's token on (made on first use, beside the store). */
static int load_key(struct ctx *x, struct err *err)
{
	char *https = compose_unsubscribe_url(x->c->unsubscribe, 1);
	int want = https && !strncmp(https, "https://", 8);
	free(https);
	if (!want || !x->c->unsub_key_path)
		return 0;
	if (unsub_key_load(x->c->unsub_key_path, 1, &x->key, err) < 0)
		return EXIT_CONFIG;
	x->have_key = 1;
	return 0;
}

int send_step(struct store *s, const struct send_opts *o, struct send_result *r,
	      struct err *err)
{
	memset(r, 0, sizeof *r);
	struct ctx x = {.s = s, .o = o, .c = o->cfg, .r = r};
	int rc = 0;
	if (o->to && !o->cfg->from_address) {
		err_set(err, "%s: set from_address in [mail]", o->cfg->path);
		rc = EXIT_CONFIG;
	}
	if (rc || (!o->to && (rc = load_members(&x, err))) || (rc = load_key(&x, err)))
		goto out;
	if (x.ml.n == 0 && !o->to) {
		r->nobody = 1; /* nothing composed or marked done: the items wait */
		goto out;
	}
	if (o->dry_run_dir && fs_mkdir_p_mode(o->dry_run_dir, 0700, err) < 0) {
		rc = EXIT_CANTCREAT;
		goto out;
	}
	if (o->to || o->dry_run_dir) {
		rc = send_preview(&x, err);
	} else {
		if (recover(&x, err) < 0 || archive_pending(&x, err) < 0 ||
		    deliver_open(&x, err) < 0) {
			rc = EXIT_IOERR;
			goto out;
		}
		if (o->compose)
			rc = review_enabled(x.c) ? review_step(&x, err) : compose_store_deliver(&x, err);
	}
	if (rc)
		goto out;
	int trouble = r->recovered || r->expired;
	for (size_t i = 0; i < r->n; i++)
		trouble |= r->v[i].st.failed || r->v[i].st.deferred || r->v[i].st.in_doubt;
	if (x.stop) {
		rc = x.stop;
		*err = x.stop_err;
	} else if (r->archive_failed) {
		rc = EXIT_IOERR;
		*err = x.archive_err;
		err_prefix(err, "archive");
	} else {
		rc = trouble ? EXIT_FAILURE_ : 0;
	}
out:
	member_list_free(&x.ml);
	for (size_t i = 0; i < GREETERS; i++)
		digest_greeter_free(x.greeter[i]);
	json_decref(x.chair_report);
	explicit_bzero(&x.key, sizeof x.key);
	return rc;
}
