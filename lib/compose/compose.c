#include "compose/compose.h"

#include <stdlib.h>
#include <string.h>

#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "compose/ical.h"
#include "compose/memberstatus.h"
#include "core/jsonmem.h"
#include "core/log.h"

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
	static const struct {
		const char *lang, *text;
	} titles[] = {{"sv", "Medlemmar att se över (bulletin members):"},
		      {"nb", "Medlemmer å se på (bulletin members):"},
		      {"en", "Members to look at (bulletin members):"}};
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
	const char *title = titles[0].text;
	for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
		if (cfg->language && !strcmp(cfg->language, titles[i].lang))
			title = titles[i].text;
	json_object_set_new(rep, "members", list);
	json_object_set_new(rep, "has_members", json_boolean(notable > 0));
	json_object_set_new(rep, "members_text", json_string(title));
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
			json_object_set_new(f, "name", json_string(src->title ? src->title : src->name));
			json_object_set_new(f, "url", json_string(src->url));
			json_object_set_new(f, "failures", json_integer(hv[k].st.consecutive_failures));
			if (hv[k].st.last_error)
				json_object_set_new(f, "error", json_string(hv[k].st.last_error));
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
		if (in->exclude || in->ref >= 0)
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
	free(hit);
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

int compose_archive_row(const struct config *cfg, const struct digest_row *row,
			struct digest_row *out, struct err *err)
{
	*out = *row;
	out->subject = out->markdown = out->html = out->text = out->calendar = NULL;
	char *g = digest_greeting(cfg->templates_dir, cfg->language, NULL, err);
	if (!g)
		return COMPOSE_TEMPLATE_FAILED;
	out->subject = row->subject ? strdup(row->subject) : NULL;
	out->markdown = digest_personalize(row->markdown, g, 0);
	out->html = digest_personalize(row->html, g, 1);
	out->text = digest_personalize(row->text, g, 0);
	out->calendar = row->calendar ? strdup(row->calendar) : NULL;
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
	if (store_items_between(s, start, now + 1, &items, err) < 0)
		goto out;
	r = COMPOSE_FAILED;
	matches = calloc(items.n + 1, sizeof *matches);
	if (!matches) {
		err_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < items.n; i++) {
		if (rules_match(o->rules, &items.v[i], &matches[i], err) < 0) {
			err_prefix(err, "%s", items.v[i].key);
			goto out;
		}
	}
	if (chair_out) {
		json_decref(*chair_out);
		*chair_out = compose_chair_report(s, c, o->rules, &items, matches);
	}
	struct digest_opts d = {
		.title = c->title, .language = c->language, .association = c->association,
		.unsubscribe = c->unsubscribe, .summary_length = c->summary_length,
		.max_items = c->max_items, .max_age_days = c->max_age_days,
		.max_per_topic = c->max_per_topic, .archive_url = c->archive_url,
		.sources = c->sources, .nsources = c->nsources,
	};
	jsonmem_reset();
	model = digest_model_build(&d, o->rules, &items, matches, start, now + 1);
	if (!model || jsonmem_failed()) {
		err_set(err, "out of memory");
		goto out;
	}
	r = COMPOSE_TEMPLATE_FAILED;
	if (o->personal) {
		/* A template error shows now, not once per member. */
		char *g = digest_greeting(c->templates_dir, c->language, "Åsa", err);
		if (!g)
			goto out;
		free(g);
		json_object_set_new(model, "greeting", json_string(DIGEST_GREETING_SLOT));
	}
	if (digest_compose_budget(model, c->templates_dir, (size_t)c->html_budget, &parts, err) < 0)
		goto out;
	if (jsonmem_failed() || (chair_out && !*chair_out)) {
		err_set(err, "out of memory");
		r = COMPOSE_FAILED;
		goto out;
	}
	/* The model goes to the archive's .json: the generic greeting there. */
	json_object_del(model, "greeting");
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
