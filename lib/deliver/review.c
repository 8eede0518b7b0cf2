#include "deliver/review.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/chrome.h"
#include "compose/render.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "deliver/deliver.h"
#include "deliver/mail.h"
#include "deliver/members.h"
#include "parse/date.h"
#include "select/rules.h"

#define WEEK (7 * 86400L)
#define NOTE_MAX 8000 /* bytes of the chair's note: a few paragraphs */

int review_enabled(const struct config *cfg)
{
	return cfg->review_reviewers && *cfg->review_reviewers;
}

static const char *zone_of(const char *zone)
{
	return zone ? zone : "Europe/Stockholm";
}

/* A wall-clock time in zone (seconds as if UTC) as UTC: the offset of
 * that moment, found in two steps (a time near a clock change). */
static time_t local_to_utc(const char *zone, time_t local)
{
	time_t u = local - date_zone_offset(zone, local);
	return local - date_zone_offset(zone, u);
}

/* The occurrence of spec on the local day k days from t's (k may be
 * negative), or 0 when that day is another weekday. Days are stepped in
 * local calendar days, never in UTC weeks: a week across a clock change
 * is 167 or 169 hours. */
static time_t occurrence(const char *spec, const char *zone, time_t t, int k)
{
	int wday, minute;
	if (!spec || time_weekly_parse(spec, &wday, &minute) < 0)
		return 0;
	long day = (long)((t + date_zone_offset(zone, t)) / 86400) + k;
	if ((int)(((day + 4) % 7 + 7) % 7) != wday) /* 1 January 1970 was a Thursday */
		return 0;
	return local_to_utc(zone, (time_t)day * 86400 + minute * 60);
}

time_t review_week_prev(const char *spec, const char *zone, time_t t)
{
	zone = zone_of(zone);
	for (int k = 0; k <= 8; k++) {
		time_t u = occurrence(spec, zone, t, -k);
		if (u && u <= t)
			return u;
	}
	return 0;
}

time_t review_week_next(const char *spec, const char *zone, time_t t)
{
	zone = zone_of(zone);
	for (int k = 0; k <= 8; k++) {
		time_t u = occurrence(spec, zone, t, k);
		if (u > t)
			return u;
	}
	return 0;
}

int review_due(struct store *s, const struct config *cfg, time_t now, struct review_draft *d,
	       struct err *err)
{
	int have = store_review_open(s, d, err);
	if (have < 0)
		return -1;
	/* A digest already covers the draft's period (the review was switched
	 * off and on again meanwhile): the draft is done, never sent again. */
	time_t last_end;
	if (have && store_digest_last_end(s, &last_end, err) < 0) {
		review_draft_free(d);
		return -1;
	}
	if (have && last_end >= d->period_end) {
		int r = store_review_decide(s, d->id, "sent", "superseded by a digest", 0, now, err);
		review_draft_free(d);
		if (r < 0)
			return -1;
		have = 0;
	}
	if (have) {
		if (!strcmp(d->state, "approved") || (d->deadline && now >= d->deadline))
			return REVIEW_SEND;
		return REVIEW_WAIT;
	}
	if (!cfg->review_copy_at) {
		/* held: no new draft of the same news until its week is over */
		struct review_draft last;
		int h = store_review_get(s, 0, &last, err);
		if (h < 0)
			return -1;
		int wait = h && !strcmp(last.state, "held") &&
			   now < (last.deadline ? last.deadline : last.created + WEEK);
		review_draft_free(&last);
		return wait ? REVIEW_NOT_YET : REVIEW_DRAFT;
	}
	time_t last;
	if (store_review_last_created(s, &last, err) < 0)
		return -1;
	return last && last >= review_week_prev(cfg->review_copy_at, cfg->timezone, now)
		       ? REVIEW_NOT_YET
		       : REVIEW_DRAFT;
}

void review_edits_free(struct review_edits *e)
{
	free(e->drop);
	free(e->pin);
	free(e->add);
	free(e->note);
	memset(e, 0, sizeof *e);
}

static int push_id(int64_t **v, size_t *n, int64_t id)
{
	int64_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	nv[(*n)++] = id;
	*v = nv;
	return 0;
}

static int is_item_action(const char *a)
{
	return !strcmp(a, "drop") || !strcmp(a, "pin") || !strcmp(a, "add");
}

int review_edits_load(struct store *s, const struct review_draft *d, struct review_edits *out,
		      struct err *err)
{
	memset(out, 0, sizeof *out);
	if (store_review_dropped(s, &out->drop, &out->ndrop, err) < 0)
		return -1;
	struct review_edit *v = NULL;
	size_t n = 0;
	if (d && store_review_edits(s, d->id, &v, &n, err) < 0) {
		review_edits_free(out);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!strcmp(v[i].action, "note")) {
			free(out->note);
			out->note = v[i].text && *v[i].text ? strdup(v[i].text) : NULL;
			continue;
		}
		if (!is_item_action(v[i].action) || !v[i].item_id)
			continue;
		/* the last edit of each item wins */
		size_t k = i + 1;
		while (k < n && !(v[k].item_id == v[i].item_id && is_item_action(v[k].action)))
			k++;
		if (k < n)
			continue;
		if (!strcmp(v[i].action, "pin"))
			rc = push_id(&out->pin, &out->npin, v[i].item_id);
		else if (!strcmp(v[i].action, "add"))
			rc = push_id(&out->add, &out->nadd, v[i].item_id);
	}
	review_edit_rows_free(v, n);
	if (rc < 0) {
		review_edits_free(out);
		return err_set(err, "out of memory");
	}
	out->ce = (struct compose_edits){.drop = out->drop, .ndrop = out->ndrop, .pin = out->pin,
					 .npin = out->npin, .add = out->add, .nadd = out->nadd,
					 .note = out->note};
	return 0;
}

static int push_number(struct review_number **v, size_t *n, const json_t *it, int below)
{
	json_int_t id = json_integer_value(json_object_get(it, "id"));
	if (!id)
		return 0; /* not a stored item */
	struct review_number *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	const char *t = json_string_value(json_object_get(it, "title"));
	nv[*n] = (struct review_number){.number = (int)*n + 1, .item_id = id, .below = below,
					.score = json_number_value(json_object_get(it, "score")),
					.title = strdup(t ? t : "")};
	if (!nv[*n].title)
		return -1;
	(*n)++;
	return 0;
}

int review_number(const json_t *model, const json_t *below, struct review_number **out, size_t *n,
		  struct err *err)
{
	*out = NULL;
	*n = 0;
	size_t i, k;
	json_t *topic, *it;
	int rc = 0;
	json_array_foreach(json_object_get(model, "topics"), i, topic) {
		json_array_foreach(json_object_get(topic, "items"), k, it) rc |= push_number(out, n, it, 0);
	}
	json_array_foreach(below, i, it) rc |= push_number(out, n, it, 1);
	if (rc) {
		review_numbers_free(*out, *n);
		*out = NULL;
		*n = 0;
		return err_set(err, "out of memory");
	}
	return 0;
}

static int number_of(const struct review_number *v, size_t n, json_int_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].item_id == id)
			return v[i].number;
	return 0;
}

static void numbered_title(json_t *it, int number)
{
	char *t = NULL;
	const char *old = json_string_value(json_object_get(it, "title"));
	if (number && asprintf(&t, "%d. %s", number, old ? old : "") >= 0) {
		json_object_set_new(it, "title", json_string(t));
		free(t);
	}
}

json_t *review_copy_model(const json_t *model, const json_t *below, const struct review_number *v,
			  size_t n, const struct review_draft *d, const struct config *cfg,
			  const char *lang)
{
	const struct chrome_review *cr = chrome_review_for(lang);
	json_t *m = json_deep_copy(model);
	if (!m)
		return NULL;
	size_t i, k;
	json_t *topic, *it;
	json_array_foreach(json_object_get(m, "topics"), i, topic) {
		json_array_foreach(json_object_get(topic, "items"), k, it)
			numbered_title(it, number_of(v, n, json_integer_value(json_object_get(it, "id"))));
	}
	/* the instructions and the deadline at the top, then the chair's own
	 * note as the members will read it */
	struct buf b = BUF_INIT;
	if (d->deadline) {
		char when[160];
		chrome_review_when(d->deadline, lang, cfg->timezone, when, sizeof when);
		buf_printf(&b, cr->header, when);
	} else {
		buf_puts(&b, cr->header_approve);
	}
	buf_printf(&b, "\n\n%s", cr->how);
	const char *note = json_string_value(json_object_get(m, "note_markdown"));
	if (note)
		buf_printf(&b, "\n\n---\n\n%s", note);
	json_object_set_new(m, "note_markdown", json_string(buf_str(&b)));
	json_object_set_new(m, "note_text", json_string(buf_str(&b)));
	buf_free(&b);
	json_t *items = json_array();
	json_array_foreach(below, i, it) {
		int number = number_of(v, n, json_integer_value(json_object_get(it, "id")));
		if (!number)
			continue; /* not numbered when the draft was made: nobody can name it */
		char sc[32], th[32], line[160];
		snprintf(line, sizeof line, cr->score,
			 rules_score_str(json_number_value(json_object_get(it, "score")), sc, sizeof sc),
			 rules_score_str(json_number_value(json_object_get(it, "threshold")), th, sizeof th));
		json_t *row = json_deep_copy(it);
		json_object_set_new(row, "number", json_integer(number));
		json_object_set_new(row, "score_text", json_string(line));
		json_array_append_new(items, row);
	}
	if (json_array_size(items))
		json_object_set_new(m, "below", json_pack("{s:s, s:s, s:o}", "title", cr->below,
							  "intro", cr->below_intro, "items", items));
	else
		json_decref(items);
	return m;
}

/* The reviewer's language: the member list's row for address, else the
 * digest's. */
static void language_of(const struct config *cfg, const struct member_list *ml,
			const char *address, char out[3])
{
	snprintf(out, 3, "%s", cfg->language ? cfg->language : "sv");
	for (size_t i = 0; ml && i < ml->n; i++)
		if (!strcasecmp(ml->v[i].email, address) && ml->v[i].language[0])
			memcpy(out, ml->v[i].language, 3);
}

/* Each reviewer's address in turn (cb returns non-zero to stop). */
static int each_reviewer(const char *list, int (*cb)(const char *address, void *ud), void *ud)
{
	char one[256];
	for (const char *p = list; p && *p;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (!n)
			break;
		if (n < sizeof one) {
			memcpy(one, p, n);
			one[n] = '\0';
			int r = cb(one, ud);
			if (r)
				return r;
		}
		p += n;
	}
	return 0;
}

struct copy_ctx {
	struct store *s;
	const struct config *cfg;
	const struct smtp_opts *so;
	const struct review_draft *d;
	const json_t *model, *below;
	struct review_number *v;
	size_t n;
	const struct member_list *ml;
	time_t now;
	int sent;
	struct err *err;
};

static int copy_one(const char *address, void *ud)
{
	struct copy_ctx *x = ud;
	char *state = NULL;
	if (store_review_copy_get(x->s, x->d->id, address, &state, x->err) < 0)
		return -1;
	int done = state && strcmp(state, "retry");
	free(state);
	if (done)
		return 0; /* sent, refused, or in doubt: never again */
	char lang[3], mid[160];
	language_of(x->cfg, x->ml, address, lang);
	const char *at = strchr(x->cfg->from_address, '@');
	snprintf(mid, sizeof mid, "review-%" PRId64 "-%016" PRIx64 "%s", x->d->id,
		 fnv1a_str(FNV1A_INIT, address), at ? at : "@bulletin.invalid");
	json_t *m = review_copy_model(x->model, x->below, x->v, x->n, x->d, x->cfg, lang);
	struct digest_parts p = {0};
	struct err cerr;
	if (!m || compose_render(x->cfg, m, &(struct compose_render_opts){.language = lang}, &p,
				 &cerr) != COMPOSE_OK) {
		log_error("review copy to %s: %s", address, m ? cerr.msg : "out of memory");
		json_decref(m);
		return 0;
	}
	json_decref(m);
	char subject[1024];
	snprintf(subject, sizeof subject, chrome_review_for(lang)->subject, p.subject ? p.subject : "");
	struct mail_msg mm = {.from_name = x->cfg->from_name, .from_addr = x->cfg->from_address,
			      .reply_to = x->cfg->reply_to, .to_name = "", .to_addr = address,
			      .subject = subject, .message_id = mid, .date = x->now, .text = p.text,
			      .html = p.html};
	struct buf msg = BUF_INIT;
	int rc = 0;
	if (mail_compose(&mm, &msg, &cerr) < 0) {
		log_error("review copy to %s: %s", address, cerr.msg);
	} else if (store_review_copy_set(x->s, x->d->id, address, "sending", mid, x->now, x->err) < 0) {
		rc = -1;
	} else {
		char reply[512] = "";
		enum smtp_result r = deliver_one(x->so, x->cfg->from_address, address, msg.data, msg.len,
						 reply, sizeof reply);
		const char *st = r == SMTP_SENT ? "sent" : r == SMTP_TEMPFAIL ? "retry"
			       : r == SMTP_IN_DOUBT ? "in doubt" : "failed";
		if (r == SMTP_SENT) {
			x->sent++;
			log_info("review copy of draft %" PRId64 " sent to %s", x->d->id, address);
		} else {
			log_error("review copy to %s: %s (%s)", address, reply, st);
		}
		rc = store_review_copy_set(x->s, x->d->id, address, st, NULL, x->now, x->err) < 0 ? -1 : 0;
	}
	buf_free(&msg);
	digest_parts_free(&p);
	return rc;
}

int review_copy_send(struct store *s, const struct config *cfg, const struct smtp_opts *so,
		     const struct member_list *ml, const struct review_draft *d, const json_t *model,
		     const json_t *below, time_t now, struct err *err)
{
	struct copy_ctx x = {.s = s, .cfg = cfg, .so = so, .ml = ml, .d = d, .model = model,
			     .below = below, .now = now, .err = err};
	int rc = 0;
	if (store_review_numbers(s, d->id, &x.v, &x.n, err) < 0 ||
	    each_reviewer(cfg->review_reviewers, copy_one, &x) < 0)
		rc = -1;
	review_numbers_free(x.v, x.n);
	return rc < 0 ? -1 : x.sent;
}

/* --- edits --- */

static const struct review_number *by_number(const struct review_number *v, size_t n, long number)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].number == number)
			return &v[i];
	return NULL;
}

/* Adds an address to a comma separated list, once. */
static void list_add(struct buf *b, const char *address)
{
	const char *p = buf_str(b);
	size_t n = strlen(address);
	for (const char *q = p; (q = strstr(q, address)); q += n)
		if ((q == p || q[-1] == ',') && (q[n] == ',' || !q[n]))
			return;
	if (b->len)
		buf_putc(b, ',');
	buf_puts(b, address);
}

int review_edit(struct store *s, const struct config *cfg, int64_t draft_id, const char *by,
		const char *words, const char *text, time_t now, const char *lang, struct buf *out,
		char **others, struct err *err)
{
	const struct chrome_review *cr = chrome_review_for(lang);
	*others = NULL;
	struct review_draft d;
	int have = store_review_open(s, &d, err);
	if (have < 0)
		return -1;
	if (have && draft_id && d.id != draft_id) {
		review_draft_free(&d);
		have = 0;
	}
	if (!have) {
		struct review_draft last;
		int h = store_review_get(s, draft_id, &last, err);
		if (h < 0)
			return -1;
		char when[160] = "";
		if (h)
			chrome_review_when(last.decided ? last.decided : last.created, lang, cfg->timezone,
					   when, sizeof when);
		if (h && !strcmp(last.state, "held"))
			buf_puts(out, cr->held); /* held, not sent: say so */
		else
			buf_printf(out, cr->too_late, h ? when : "-");
		buf_putc(out, '\n');
		review_draft_free(&last);
		return 2;
	}
	char action[16] = "";
	const char *p = words;
	while (isspace((unsigned char)*p))
		p++;
	size_t an = strcspn(p, " \t\r\n");
	if (an && an < sizeof action) {
		for (size_t i = 0; i < an; i++)
			action[i] = (char)tolower((unsigned char)p[i]);
	}
	p += an;
	int item_action = is_item_action(action);
	if (!item_action && strcmp(action, "approve") && strcmp(action, "hold") &&
	    strcmp(action, "note")) {
		buf_printf(out, "%s\n", cr->nothing);
		review_draft_free(&d);
		return 1;
	}
	struct review_number *v = NULL;
	size_t nv = 0;
	long nums[64];
	size_t nn = 0;
	int rc = 0;
	if (store_review_numbers(s, d.id, &v, &nv, err) < 0) {
		review_draft_free(&d);
		return -1;
	}
	/* every number checked before anything is stored */
	while (item_action && rc == 0) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p || *p == '\r' || *p == '\n')
			break;
		char *end;
		long k = strtol(p, &end, 10);
		if (end == p || k <= 0 || k > 100000 || nn == sizeof nums / sizeof *nums ||
		    !by_number(v, nv, k)) {
			buf_printf(out, cr->no_number, end == p || k <= 0 || k > 100000 ? 0 : (int)k);
			buf_putc(out, '\n');
			rc = 1;
			break;
		}
		nums[nn++] = k;
		p = end;
	}
	if (item_action && !nn && rc == 0) {
		buf_printf(out, "%s\n", cr->nothing);
		rc = 1;
	}
	if (rc == 0 && !strcmp(action, "note") && text &&
	    (strlen(text) > NOTE_MAX || !utf8_valid(text, strlen(text)))) {
		buf_printf(out, "note: at most %d bytes of UTF-8 text\n", NOTE_MAX);
		rc = 1;
	}
	struct review_edit *old = NULL;
	size_t nold = 0;
	struct buf who = BUF_INIT;
	if (rc == 0 && store_review_edits(s, d.id, &old, &nold, err) < 0)
		rc = -1;
	int own = !store_in_transaction(s);
	int began = rc == 0 && own && store_begin(s, err) == 0;
	if (rc == 0 && own && !began)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		const struct review_number *r = by_number(v, nv, nums[i]);
		/* the last earlier edit of this item by someone else, when it
		 * said something different: the last edit wins, both are told */
		for (size_t k = nold; k-- > 0;) {
			if (old[k].item_id != r->item_id || !is_item_action(old[k].action))
				continue;
			if (strcasecmp(old[k].by, by) && strcmp(old[k].action, action)) {
				buf_printf(out, cr->overridden, old[k].by, r->number);
				buf_putc(out, '\n');
				list_add(&who, old[k].by);
			}
			break;
		}
		struct review_edit e = {.draft_id = d.id, .at = now, .by = (char *)by,
					.action = action, .number = r->number, .item_id = r->item_id};
		if (store_review_edit_add(s, &e, err) < 0)
			rc = -1;
		buf_printf(out, !strcmp(action, "drop") ? cr->dropped
				: !strcmp(action, "pin") ? cr->pinned : cr->added, r->number);
		buf_putc(out, '\n');
	}
	if (rc == 0 && !item_action) {
		struct review_edit e = {.draft_id = d.id, .at = now, .by = (char *)by, .action = action,
					.text = !strcmp(action, "note") ? (char *)(text ? text : "") : NULL};
		if (store_review_edit_add(s, &e, err) < 0 ||
		    (strcmp(action, "note") &&
		     store_review_decide(s, d.id, !strcmp(action, "approve") ? "approved" : "held", by,
					 0, now, err) < 0))
			rc = -1;
		else
			buf_printf(out, "%s\n", !strcmp(action, "note") ? cr->noted
						: !strcmp(action, "approve") ? cr->approved : cr->held);
	}
	if (began && (rc != 0 || store_commit(s, err) < 0)) {
		store_rollback(s);
		if (rc == 0)
			rc = -1;
	}
	if (rc == 0 && who.len)
		*others = buf_steal(&who);
	buf_free(&who);
	review_edit_rows_free(old, nold);
	review_numbers_free(v, nv);
	review_draft_free(&d);
	return rc;
}

int review_apply_draft(struct store *s, const struct config *cfg, struct compose_opts *co,
		       struct review_edits *e, struct err *err)
{
	memset(e, 0, sizeof *e);
	if (!review_enabled(cfg))
		return 0;
	struct review_draft d;
	int have = store_review_open(s, &d, err);
	if (have <= 0)
		return have;
	int rc = review_edits_load(s, &d, e, err);
	if (rc == 0) {
		co->since = d.period_start;
		co->now = d.period_end - 1;
		co->edits = &e->ce;
	}
	review_draft_free(&d);
	return rc < 0 ? -1 : 1;
}

static int copy_wanted(const char *address, void *ud)
{
	struct copy_ctx *x = ud;
	char *state = NULL;
	if (store_review_copy_get(x->s, x->d->id, address, &state, x->err) < 0)
		return -1;
	int want = !state || !strcmp(state, "retry");
	free(state);
	return want;
}

int review_copy_due(struct store *s, const struct config *cfg, const struct review_draft *d,
		    struct err *err)
{
	struct copy_ctx x = {.s = s, .cfg = cfg, .d = d, .err = err};
	return each_reviewer(cfg->review_reviewers, copy_wanted, &x);
}

int review_notify(const struct config *cfg, const struct smtp_opts *so, const char *to,
		  const char *subject, const char *text, time_t now)
{
	char mid[160];
	const char *at = strchr(cfg->from_address, '@');
	snprintf(mid, sizeof mid, "review-note-%lld-%016" PRIx64 "%s", (long long)now,
		 fnv1a_str(fnv1a_str(FNV1A_INIT, to), text), at ? at : "@bulletin.invalid");
	struct mail_msg mm = {.from_name = cfg->from_name, .from_addr = cfg->from_address,
			      .reply_to = cfg->reply_to, .to_name = "", .to_addr = to,
			      .subject = subject, .message_id = mid, .date = now, .text = text};
	struct buf msg = BUF_INIT;
	struct err err;
	char reply[512] = "";
	int rc = 0;
	if (mail_compose(&mm, &msg, &err) < 0) {
		log_error("review: a note to %s: %s", to, err.msg);
		rc = -1;
	} else if (deliver_one(so, cfg->from_address, to, msg.data, msg.len, reply, sizeof reply) !=
		   SMTP_SENT) {
		log_error("review: a note to %s: %s", to, reply);
		rc = -1;
	}
	buf_free(&msg);
	return rc;
}
