#include "compose/compose.h"

#include <stdlib.h>
#include <string.h>

#include "compose/agenda.h"
#include "compose/chrome.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "compose/ical.h"
#include "compose/watch.h"
#include "compose/memberstatus.h"
#include "core/jsonmem.h"
#include "core/log.h"
#include "core/url.h"
#include "parse/date.h"

/* How far the calendar reaches around now: calendar.ics keeps a month of
 * the past (a subscriber's calendar does not lose last week's meeting)
 * and a year ahead. */
#define ICS_PAST_DAYS 31
#define ICS_AHEAD_DAYS 400

#define CHAIR_DEAD_LISTED 15
#define CHAIR_MEMBERS_LISTED 30

static time_t latest(const struct member_state *m)
{
	time_t t = m->unsub_time;
	if (m->bounced > t)
		t = m->bounced;
	if (m->last_bounce > t)
		t = m->last_bounce;
	return m->added > t ? m->added : t;
}

static int newest_first(const void *a, const void *b)
{
	time_t x = latest(a), y = latest(b);
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The members the mailbox (or a command) has something to say about,
 * newest first, as `bulletin members` says it (issue 18). */
static void chair_members(struct store *s, const struct config *cfg, json_t *rep)
{
	struct member_state *v = NULL;
	size_t n = 0, notable = 0;
	struct err err;
	if (store_member_states(s, &v, &n, &err) < 0)
		log_warn("chair's report: %s", err.msg);
	if (n) /* qsort wants a pointer even for nothing */
		qsort(v, n, sizeof *v, newest_first);
	json_t *list = json_array();
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (!member_state_notable(&v[i]) || notable++ >= CHAIR_MEMBERS_LISTED)
			continue;
		buf_reset(&b);
		member_state_reason(&v[i], cfg->language, &b);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "address", v[i].address,
						      "status", member_kind_word(member_kind(&v[i]), cfg->language),
						      "reason", buf_str(&b)));
	}
	buf_free(&b);
	member_states_free(v, n);
	json_object_set_new(rep, "members", list);
	json_object_set_new(rep, "has_members", json_boolean(notable > 0));
	json_object_set_new(rep, "members_unlisted", json_integer((json_int_t)(notable > CHAIR_MEMBERS_LISTED ? notable - CHAIR_MEMBERS_LISTED : 0)));
}

json_t *compose_chair_report(struct store *s, const struct config *cfg, const struct rules *rules,
			     const struct item_list *items, const struct match *ms)
{
	json_t *rep = json_object(), *failing = json_array(), *dead = json_array();
	struct source_health *hv = NULL;
	size_t nh = 0;
	struct err err;
	if (store_sources_all(s, &hv, &nh, &err) < 0)
		log_warn("chair's report: %s", err.msg);
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		for (size_t k = 0; src->enabled && k < nh; k++) {
			if (strcmp(hv[k].name, src->name) || !hv[k].st.consecutive_failures)
				continue;
			json_t *f = json_object();
			char shown[1024];
			json_object_set_new(f, "name", json_string(src->title ? src->title : src->name));
			/* A password in a source's URL never reaches the chair's mail. */
			json_object_set_new(f, "url", json_string(url_redact(src->url, shown, sizeof shown)));
			json_object_set_new(f, "failures", json_integer(hv[k].st.consecutive_failures));
			if (hv[k].st.last_error)
				json_object_set_new(f, "error", json_string(url_redact(hv[k].st.last_error,
										shown, sizeof shown)));
			json_array_append_new(failing, f);
		}
	}
	source_health_free(hv, nh);
	size_t n = rules_rule_count(rules), ndead = 0, nincl = 0;
	char *hit = calloc(n + 1, 1);
	for (size_t i = 0; hit && i < items->n; i++)
		for (size_t k = 0; k < ms[i].nterms; k++)
			hit[ms[i].terms[k].rule_index] = 1;
	for (size_t k = 0; hit && k < n; k++) {
		const struct rule_info *in = rules_rule(rules, k);
		if (in->exclude || in->ref >= 0 || in->group >= 0)
			continue;
		nincl++;
		if (hit[k])
			continue;
		if (ndead++ < CHAIR_DEAD_LISTED) {
			json_t *d = json_object();
			json_object_set_new(d, "where", json_string(in->where));
			json_object_set_new(d, "rule", json_string(in->text));
			json_array_append_new(dead, d);
		}
	}
	/* rules that hit PCRE2's backtracking limit: counted as no match */
	json_t *limited = json_array();
	size_t *lim = hit ? calloc(n + 1, sizeof *lim) : NULL;
	for (size_t i = 0; lim && i < items->n; i++)
		for (size_t k = 0; k < ms[i].nlimited; k++)
			lim[ms[i].limited[k]]++;
	for (size_t k = 0; lim && k < n; k++) {
		if (!lim[k])
			continue;
		json_t *d = json_object();
		json_object_set_new(d, "where", json_string(rules_rule(rules, k)->where));
		json_object_set_new(d, "rule", json_string(rules_rule(rules, k)->text));
		json_object_set_new(d, "items", json_integer((json_int_t)lim[k]));
		json_array_append_new(limited, d);
	}
	free(lim);
	free(hit);
	json_object_set_new(rep, "limited", limited);
	json_object_set_new(rep, "has_limited", json_boolean(json_array_size(limited) > 0));
	json_object_set_new(rep, "failing", failing);
	json_object_set_new(rep, "has_failing", json_boolean(json_array_size(failing) > 0));
	json_object_set_new(rep, "dead", dead);
	json_object_set_new(rep, "dead_count", json_integer((json_int_t)ndead));
	json_object_set_new(rep, "include_count", json_integer((json_int_t)nincl));
	json_object_set_new(rep, "dead_unlisted", json_integer((json_int_t)(ndead > CHAIR_DEAD_LISTED ? ndead - CHAIR_DEAD_LISTED : 0)));
	json_object_set_new(rep, "items_checked", json_integer((json_int_t)items->n));
	chair_members(s, cfg, rep);
	return rep;
}

char *compose_unsubscribe_url(const char *configured, int prefer_https)
{
	char *copy = configured ? strdup(configured) : NULL, *save = NULL, *pick = NULL;
	const char *want = prefer_https ? "https://" : "mailto:";
	const char *other = prefer_https ? "mailto:" : "https://";
	for (char *u = copy ? strtok_r(copy, ", \t", &save) : NULL; u;
	     u = strtok_r(NULL, ", \t", &save)) {
		if (!strncmp(u, want, strlen(want))) {
			pick = u;
			break;
		}
		if (!pick && !strncmp(u, other, strlen(other)))
			pick = u;
	}
	char *r = pick ? strdup(pick) : NULL;
	free(copy);
	return r;
}

/* A part of row with the generic greeting and unsubscribe link. */
static char *archive_part(const char *part, const char *greeting, const char *unsub, int html)
{
	char *g = digest_personalize(part, greeting, html);
	char *u = digest_fill_url(g, unsub, html);
	free(g);
	return u;
}

/* The slots each member's copy fills (greeting.h): the greeting, the
 * unsubscribe link (when the digest has one) and the link to the issue
 * in the published archive (when there is one). */
static void personal_slots(json_t *model, const struct config *cfg)
{
	json_object_set_new(model, "greeting", json_string(DIGEST_GREETING_SLOT));
	if (json_object_get(model, "unsubscribe"))
		json_object_set_new(model, "unsubscribe", json_string(DIGEST_UNSUBSCRIBE_SLOT));
	if (cfg->archive_url && (!strncmp(cfg->archive_url, "https://", 8) ||
				 !strncmp(cfg->archive_url, "http://", 7)))
		json_object_set_new(model, "web_url", json_string(DIGEST_WEB_SLOT));
}

int compose_render(const struct config *cfg, const json_t *model, const struct compose_render_opts *o,
		   struct digest_parts *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	json_t *m = json_deep_copy(model);
	if (!m) {
		err_set(err, "out of memory");
		return COMPOSE_FAILED;
	}
	if (o->language)
		digest_model_localize(m, o->language);
	if (o->chair && digest_add_chair(m, (json_t *)o->chair) < 0) {
		json_decref(m);
		err_set(err, "out of memory");
		return COMPOSE_FAILED;
	}
	if (o->personal)
		personal_slots(m, cfg);
	if (o->archive_page) {
		json_object_set_new(m, "archive_page", json_true());
		json_object_set_new(m, "index_url", json_string("index.html"));
	}
	int r = digest_compose(m, cfg->templates_dir, out, err);
	json_decref(m);
	return r < 0 ? COMPOSE_TEMPLATE_FAILED : COMPOSE_OK;
}

int compose_archive_row(const struct config *cfg, const struct digest_row *row,
			struct digest_row *out, struct err *err)
{
	*out = *row;
	out->subject = out->markdown = out->html = out->text = out->calendar = out->model = NULL;
	json_t *model = row->model ? json_loads(row->model, 0, NULL) : NULL;
	if (json_is_object(model)) {
		/* Rendered again from its model as the archive's page: the
		 * generic greeting and unsubscribe link, a link back to the
		 * index instead of "read in your browser". */
		struct digest_parts p;
		int r = compose_render(cfg, model, &(struct compose_render_opts){.archive_page = 1}, &p,
				       err);
		json_decref(model);
		if (r != COMPOSE_OK)
			return r;
		out->subject = row->subject ? strdup(row->subject) : NULL;
		out->markdown = p.markdown;
		out->html = p.html;
		out->text = p.text;
		p.markdown = p.html = p.text = NULL;
		digest_parts_free(&p);
		out->calendar = row->calendar ? strdup(row->calendar) : NULL;
		if ((row->subject && !out->subject) || (row->calendar && !out->calendar)) {
			digest_row_free(out);
			err_set(err, "out of memory");
			return COMPOSE_FAILED;
		}
		return COMPOSE_OK;
	}
	json_decref(model);
	/* A digest stored without its model (schema 4 and before): its
	 * parts with the slots filled. */
	char *g = digest_greeting(cfg->templates_dir, cfg->language, NULL, err);
	if (!g)
		return COMPOSE_TEMPLATE_FAILED;
	char *unsub = compose_unsubscribe_url(cfg->unsubscribe, 0);
	out->subject = row->subject ? strdup(row->subject) : NULL;
	out->markdown = archive_part(row->markdown, g, unsub, 0);
	out->html = archive_part(row->html, g, unsub, 1);
	out->text = archive_part(row->text, g, unsub, 0);
	out->calendar = row->calendar ? strdup(row->calendar) : NULL;
	free(unsub);
	free(g);
	if ((row->subject && !out->subject) || (row->markdown && !out->markdown) ||
	    (row->html && !out->html) || (row->text && !out->text) ||
	    (row->calendar && !out->calendar)) {
		digest_row_free(out);
		err_set(err, "out of memory");
		return COMPOSE_FAILED;
	}
	return COMPOSE_OK;
}

/* The items first seen in [start, end) and their matches (matches[i]
 * belongs to items->v[i]; *matches NULL on failure). */
static int period_matches(struct store *s, const struct rules *rules, time_t start, time_t end,
			  struct item_list *items, struct match **matches, struct err *err)
{
	*matches = NULL;
	if (store_items_between(s, start, end, items, err) < 0)
		return COMPOSE_STORE_FAILED;
	struct match *ms = calloc(items->n + 1, sizeof *ms);
	struct rules_matcher *mt = ms ? rules_matcher_new(rules) : NULL;
	if (!mt) {
		free(ms);
		err_set(err, "out of memory");
		return COMPOSE_FAILED;
	}
	for (size_t i = 0; i < items->n; i++) {
		if (rules_matcher_match(mt, &items->v[i], &ms[i], err) < 0) {
			err_prefix(err, "%s", items->v[i].key);
			rules_matcher_free(mt);
			for (size_t k = 0; k < i; k++)
				match_free(&ms[k]);
			free(ms);
			return COMPOSE_FAILED;
		}
	}
	/* A rule PCRE2 gave up on counts as no match: said once per rule. */
	for (size_t k = 0; k < rules_rule_count(rules); k++)
		if (rules_matcher_limit_hits(mt, k))
			log_warn("%s: %s hit PCRE2's backtracking limit on %zu items; counted as no match there",
				 rules_rule(rules, k)->where, rules_rule(rules, k)->text,
				 rules_matcher_limit_hits(mt, k));
	rules_matcher_free(mt);
	*matches = ms;
	return COMPOSE_OK;
}

json_t *compose_chair_report_period(struct store *s, const struct config *cfg,
				    const struct rules *rules, time_t start, time_t end,
				    struct err *err)
{
	struct item_list items = {0};
	struct match *ms = NULL;
	json_t *rep = NULL;
	if (period_matches(s, rules, start, end, &items, &ms, err) == COMPOSE_OK &&
	    !(rep = compose_chair_report(s, cfg, rules, &items, ms)))
		err_set(err, "out of memory");
	for (size_t i = 0; ms && i < items.n; i++)
		match_free(&ms[i]);
	free(ms);
	item_list_free(&items);
	return rep;
}

static int has_id(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

/* The review's edits on the period's matches: a dropped item is marked
 * (the model leaves it and its near-duplicates out), an added or pinned
 * one is selected (under the topic it scored best in, else the first)
 * and kept whatever the caps; a pinned one gets its rank (its place in
 * edits->pin, from 1). Returns 0, or -1 when out of memory. */
static int apply_edits(const struct compose_edits *e, const struct item_list *items,
		       struct match *ms, size_t **rank_out, char **edit_out)
{
	size_t *rank = calloc(items->n + 1, sizeof *rank);
	char *edit = calloc(items->n + 1, 1);
	if (!rank || !edit) {
		free(rank);
		free(edit);
		return -1;
	}
	for (size_t i = 0; i < items->n; i++) {
		int64_t id = items->v[i].id;
		for (size_t k = 0; k < e->npin; k++)
			if (e->pin[k] == id)
				rank[i] = k + 1;
		if (has_id(e->drop, e->ndrop, id)) {
			edit[i] = DIGEST_DROPPED;
			rank[i] = 0;
		} else if (rank[i] || has_id(e->add, e->nadd, id)) {
			edit[i] = DIGEST_FORCED;
			ms[i].selected = 1;
			if (ms[i].topic < 0)
				ms[i].topic = 0;
		}
	}
	*rank_out = rank;
	*edit_out = edit;
	return 0;
}

struct near {
	size_t idx;
	double ratio;
};

static int near_cmp(const void *a, const void *b)
{
	const struct near *x = a, *y = b;
	return x->ratio < y->ratio ? 1 : x->ratio > y->ratio ? -1 : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The items the rules nearly selected: not in the digest, at least half
 * of their best topic's threshold, best first. */
static json_t *nearly_selected(const struct config *c, const struct compose_edits *e,
			       const struct item_list *items, const struct match *ms, time_t end)
{
	struct near *v = calloc(items->n + 1, sizeof *v);
	json_t *list = json_array();
	if (!v || !list) {
		free(v);
		json_decref(list);
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < items->n; i++) {
		const struct match *m = &ms[i];
		if (e && has_id(e->drop, e->ndrop, items->v[i].id))
			continue;
		if (m->selected || m->topic < 0 || m->global_veto || m->threshold <= 0 ||
		    m->score < m->threshold / 2 || digest_too_old(&items->v[i], c->max_age_days, end))
			continue;
		v[n++] = (struct near){i, m->score / m->threshold};
	}
	qsort(v, n, sizeof *v, near_cmp);
	for (size_t k = 0; k < n && k < COMPOSE_BELOW; k++) {
		const struct item *it = &items->v[v[k].idx];
		const struct match *m = &ms[v[k].idx];
		const char *title = it->source;
		for (size_t q = 0; q < c->nsources; q++)
			if (it->source && !strcmp(c->sources[q].name, it->source))
				title = c->sources[q].title;
		json_t *j = json_pack("{s:I, s:s, s:s, s:f, s:f}", "id", (json_int_t)it->id, "title",
				      it->title && *it->title ? it->title : "?", "source_title",
				      title ? title : "", "score", m->score, "threshold", m->threshold);
		if (j && it->url && (!strncmp(it->url, "https://", 8) || !strncmp(it->url, "http://", 7)))
			json_object_set_new(j, "url", json_string(it->url));
		if (j)
			json_array_append_new(list, j);
	}
	free(v);
	return list;
}

/* The chair's note: Markdown for the Markdown part (cmark renders it
 * into the HTML one in safe mode, as the rest), the same text for the
 * plain part. */
static void add_note(json_t *model, const char *note)
{
	/* Inline Markdown only: a line that would open an HTML block or a
	 * code fence (and never close it) would swallow the rest of the
	 * issue, so its first character is escaped. */
	struct buf md = BUF_INIT;
	for (const char *p = note; *p;) {
		size_t n = strcspn(p, "\n"), lead = strspn(p, " ");
		if (lead <= 3 && lead < n &&
		    (p[lead] == '<' || !strncmp(p + lead, "```", 3) || !strncmp(p + lead, "~~~", 3))) {
			buf_append(&md, p, lead);
			buf_putc(&md, '\\');
			buf_append(&md, p + lead, n - lead);
		} else {
			buf_append(&md, p, n);
		}
		p += n;
		if (*p)
			buf_putc(&md, *p++);
	}
	json_object_set_new(model, "note_markdown", json_string(buf_str(&md)));
	json_object_set_new(model, "note_text", json_string(note));
	buf_free(&md);
}

int compose_digest(struct store *s, const struct compose_opts *o, struct digest_row *row,
		   json_t **model_out, json_t **chair_out, struct err *err)
{
	const struct config *c = o->cfg;
	time_t now = o->now, start = o->since;
	struct item_list items = {0};
	struct match *matches = NULL;
	json_t *model = NULL;
	struct digest_parts parts = {0};
	int r = COMPOSE_STORE_FAILED;
	memset(row, 0, sizeof *row);
	if (!start && store_digest_last_end(s, &start, err) < 0)
		goto out;
	/* Items found in the second the last digest was composed carry its
	 * period's end (see ingest.c): this period must reach past it. */
	if (now < start)
		now = start;
	if ((r = period_matches(s, o->rules, start, now + 1, &items, &matches, err)) != COMPOSE_OK)
		goto out;
	r = COMPOSE_FAILED;
	size_t *pin_rank = NULL;
	char *edit = NULL;
	if (o->edits && apply_edits(o->edits, &items, matches, &pin_rank, &edit) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	if (o->below) {
		json_decref(*o->below);
		if (!(*o->below = nearly_selected(c, o->edits, &items, matches, now + 1))) {
			free(pin_rank);
			free(edit);
			err_set(err, "out of memory");
			goto out;
		}
	}
	if (chair_out) {
		json_decref(*chair_out);
		*chair_out = compose_chair_report(s, c, o->rules, &items, matches);
		/* Items the rules select that max_age_days leaves out: the chair
		 * must not read an empty digest as "the rules found nothing". */
		long too_old = 0;
		for (size_t i = 0; i < items.n; i++)
			too_old += matches[i].selected && matches[i].topic >= 0 &&
				   digest_too_old(&items.v[i], c->max_age_days, now + 1);
		json_object_set_new(*chair_out, "too_old", json_integer(too_old));
	}
	struct agenda ag = {0};
	if (agenda_build(s, &(struct agenda_opts){.cal = o->calendar, .rules = o->rules,
						  .from = now, .until = now + c->calendar_weeks * 7 * 86400L,
						  .reminders = now},
			 &ag, err) < 0) {
		free(pin_rank);
		free(edit);
		goto out;
	}
	/* One link in the footer (the setting may name a mailto: and an https:
	 * URL; joined, they made one broken href). */
	char *unsub = compose_unsubscribe_url(c->unsubscribe, 0);
	struct digest_opts d = {
		.title = c->title, .language = c->language, .timezone = c->timezone, .association = c->association,
		.unsubscribe = unsub, .summary_length = c->summary_length,
		.max_items = c->max_items, .max_age_days = c->max_age_days,
		.max_per_topic = c->max_per_topic, .archive_url = c->archive_url,
		.sources = c->sources, .nsources = c->nsources, .agenda = &ag,
		.association_name = c->from_name, .pin_rank = pin_rank, .edit = edit,
	};
	jsonmem_reset();
	model = digest_model_build(&d, o->rules, &items, matches, start, now + 1);
	free(pin_rank);
	free(edit);
	if (model && o->edits && o->edits->note && *o->edits->note)
		add_note(model, o->edits->note);
	free(unsub);
	agenda_free(&ag);
	if (!model || jsonmem_failed()) {
		err_set(err, "out of memory");
		goto out;
	}
	/* Watched pages: their own section, not filtered by the rules. */
	json_t *witems = NULL, *wchair = NULL;
	r = COMPOSE_STORE_FAILED;
	if (watch_compose(s, c, start, now + 1, &witems, chair_out ? &wchair : NULL, err) < 0)
		goto out;
	digest_model_add_watch(model, witems);
	if (chair_out && *chair_out && wchair)
		json_object_update(*chair_out, wchair);
	json_decref(wchair);
	r = COMPOSE_TEMPLATE_FAILED;
	if (o->personal) {
		/* A template error shows now, not once per member. */
		char *g = digest_greeting(c->templates_dir, c->language, "Åsa", err);
		if (!g)
			goto out;
		free(g);
	}
	json_t *generic_unsub = json_incref(json_object_get(model, "unsubscribe"));
	if (o->personal)
		personal_slots(model, c);
	int budget = digest_compose_budget(model, c->templates_dir, (size_t)c->html_budget, &parts,
					   err);
	/* The model goes to the archive's .json: the generic greeting and
	 * link there. */
	json_object_del(model, "greeting");
	json_object_del(model, "web_url");
	if (generic_unsub)
		json_object_set_new(model, "unsubscribe", generic_unsub);
	if (budget < 0)
		goto out;
	if (jsonmem_failed() || (chair_out && !*chair_out)) {
		err_set(err, "out of memory");
		r = COMPOSE_FAILED;
		goto out;
	}
	/* The events as the mails' text/calendar part, from the model as the
	 * budget left it (only events of items that were kept). */
	r = COMPOSE_FAILED;
	if (c->mail_calendar && ical_from_model(model, c->from_address, &row->calendar) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	row->period_start = start;
	row->period_end = now + 1;
	row->created = now;
	row->subject = parts.subject;
	row->markdown = parts.markdown;
	row->html = parts.html;
	row->text = parts.text;
	memset(&parts, 0, sizeof parts);
	if (model_out) {
		*model_out = model;
		model = NULL;
	}
	r = COMPOSE_OK;
out:
	if (r != COMPOSE_OK)
		digest_row_free(row);
	json_decref(model);
	digest_parts_free(&parts);
	for (size_t i = 0; i < items.n && matches; i++)
		match_free(&matches[i]);
	free(matches);
	item_list_free(&items);
	return r;
}

int compose_mark_reminders(struct store *s, const struct digest_row *row, const json_t *model,
			   struct err *err)
{
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(json_object_get(model, "upcoming"), "reminders"), i, r) {
		const char *entry = json_string_value(json_object_get(r, "entry"));
		if (entry && store_reminder_mark(s, entry, (int)json_integer_value(json_object_get(r, "year")),
						 row->id, row->created, err) < 0)
			return -1;
	}
	return 0;
}

int compose_calendar_ics(struct store *s, const struct config *cfg, const struct rules *rules,
			 const struct calendar *cal, time_t now, char **out, struct err *err)
{
	*out = NULL;
	const struct chrome *c = chrome_for(cfg->language);
	struct agenda ag;
	struct agenda_opts ao = {.cal = cal, .rules = rules, .from = now - ICS_PAST_DAYS * 86400L,
				 .until = now + ICS_AHEAD_DAYS * 86400L};
	if (agenda_build(s, &ao, &ag, err) < 0)
		return -1;
	struct ical_event *v = calloc(ag.n + 1, sizeof *v);
	char (*notes)[160] = calloc(ag.n + 1, sizeof *notes);
	int r = -1;
	if (!v || !notes) {
		err_set(err, "out of memory");
		goto out;
	}
	if (store_begin(s, err) < 0)
		goto out;
	for (size_t i = 0; i < ag.n; i++) {
		const struct agenda_line *l = &ag.v[i];
		struct ical_event *e = &v[i];
		*e = (struct ical_event){.uid = l->uid, .start = l->start, .end = l->end,
					 .all_day = l->span != CAL_TIMED, .summary = l->title,
					 .location = l->place, .url = l->url};
		if (l->span == CAL_MONTH) {
			/* Some day in the month: on its first, as one day, so that
			 * a phone does not show a month-long bar. */
			time_t wall = l->start + date_nordic_offset(l->start);
			struct tm tm;
			gmtime_r(&wall, &tm);
			e->end = date_nordic_local(tm.tm_year + 1900, tm.tm_mon + 1, 2, 0, 0);
			char month[64];
			snprintf(month, sizeof month, "%s %d", c->months[tm.tm_mon], tm.tm_year + 1900);
			snprintf(notes[i], sizeof notes[i], c->calendar_month, month);
			e->description = notes[i];
		} else if (l->source) {
			for (size_t k = 0; k < cfg->nsources; k++)
				if (!strcmp(cfg->sources[k].name, l->source))
					e->description = cfg->sources[k].title;
			if (!e->description)
				e->description = l->source;
		}
		char hash[17];
		struct ical_state st;
		agenda_line_hash(l, hash);
		if (store_ical_sequence(s, l->uid, hash, now, &st, err) < 0) {
			store_rollback(s);
			goto out;
		}
		e->sequence = st.sequence;
		e->created = st.created;
		e->modified = st.modified;
	}
	if (store_commit(s, err) < 0) {
		store_rollback(s);
		goto out;
	}
	char name[256];
	snprintf(name, sizeof name, c->calendar_name, cfg->title ? cfg->title : "bulletin");
	struct ical_opts io = {.from_address = cfg->from_address, .dtstamp = now, .name = name,
			       .organizer = cfg->from_name,
			       .empty_ok = 1};
	if (ical_write(v, ag.n, &io, out) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	r = 0;
out:
	free(v);
	free(notes);
	agenda_free(&ag);
	return r;
}
