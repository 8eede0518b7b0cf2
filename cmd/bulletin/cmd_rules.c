#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "parse/date.h"
#include "parse/jsonl.h"
#include "core/log.h"
#include "select/rules_eval.h"

struct rules_args {
	char *files[64];
	size_t nfiles;
	int explain;
	int jsonl;
	int color;      /* -1 auto (a terminal, NO_COLOR unset), 0 never, 1 always */
	long days;      /* --days N; 0 when not given */
	time_t since;   /* --since DATE; 0 when not given */
	int regex;      /* list --regex */
};

/* -r FILE (repeatable), --explain, --format text|jsonl, --color WHEN,
 * --days N, --since DATE, --regex. Returns 0 or an exit status. */
static int parse_args(int argc, char **argv, struct rules_args *ra, const char *usage)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'},
		{"explain", no_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'f'},
		{"color", required_argument, NULL, 'C'},
		{"days", required_argument, NULL, 'd'},
		{"since", required_argument, NULL, 's'},
		{"regex", no_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	ra->color = -1;
	while ((c = getopt_long(argc, argv, "r:ef:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (ra->nfiles == sizeof ra->files / sizeof *ra->files) {
				fprintf(stderr, "bulletin rules: too many -r files\n");
				return EXIT_USAGE;
			}
			ra->files[ra->nfiles++] = optarg;
			break;
		case 'e': ra->explain = 1; break;
		case 'x': ra->regex = 1; break;
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				ra->jsonl = 1;
			else if (strcmp(optarg, "text")) {
				fprintf(stderr, "bulletin rules: --format must be text or jsonl\n");
				return EXIT_USAGE;
			}
			break;
		case 'C':
			if (!strcmp(optarg, "always"))
				ra->color = 1;
			else if (!strcmp(optarg, "never"))
				ra->color = 0;
			else if (strcmp(optarg, "auto")) {
				fprintf(stderr, "bulletin rules: --color must be auto, always or never\n");
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (app_days("rules", optarg, &ra->days))
				return EXIT_USAGE;
			break;
		case 's':
			if (!(ra->since = date_parse(optarg))) {
				fprintf(stderr, "bulletin rules: --since: '%s' is not a date (e.g. 2024-04-17)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (ra->color < 0)
		ra->color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	return 0;
}

/* Calls fn for each item to look at: those of ITEMS.jsonl when given
 * (read one line at a time, so memory does not grow with the file), else
 * the store's items first seen in the period (--since, --days, else the
 * default: the current digest period when default_days is 0). *what
 * describes them. fn returns 0 or an exit status, which stops the walk. */
typedef int (*item_fn)(void *ctx, struct item *it); /* may take *it, leaving it zeroed */
static int each_jsonl(const char *path, item_fn fn, void *ctx);
static int each_item(struct app *a, const struct rules_args *ra, int argc, char **argv,
		     long default_days, item_fn fn, void *ctx, char *what, size_t whatlen)
{
	if (optind == argc - 1) {
		snprintf(what, whatlen, "the items of %s", argv[optind]);
		return each_jsonl(argv[optind], fn, ctx);
	}
	int r = app_store(a);
	if (r)
		return r;
	struct err err;
	time_t now = time(NULL), start = 0;
	long days = ra->days ? ra->days : default_days;
	if (ra->since) {
		start = ra->since;
		snprintf(what, whatlen, "the stored items first seen since --since");
	} else if (days) {
		start = now - days * 86400;
		snprintf(what, whatlen, "the stored items of the last %ld days", days);
	} else {
		if (store_digest_last_end(a->store, &start, &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			return EXIT_IOERR;
		}
		snprintf(what, whatlen, "the stored items of the current digest period");
	}
	struct item_list items = {0};
	if (store_items_between(a->store, start, now + 1, &items, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	for (size_t i = 0; !r && i < items.n; i++)
		r = fn(ctx, &items.v[i]);
	item_list_free(&items);
	return r;
}

static int push_item(void *ctx, struct item *it)
{
	struct item *slot = item_list_push(ctx);
	if (!slot) {
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	*slot = *it;
	memset(it, 0, sizeof *it);
	return 0;
}

/* Options, the number of file arguments (at most one when max_args is 1,
 * exactly one when -1, none when 0) and the rules: a verb's common start.
 * Returns 0 or an exit status. */
static int verb_start(struct app *a, int argc, char **argv, struct rules_args *ra,
		      const char *usage, int max_args)
{
	int r = parse_args(argc, argv, ra, usage);
	if (r)
		return r;
	int n = argc - optind;
	if (max_args < 0 ? n != 1 : n > max_args) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return app_rules(a, ra->files, ra->nfiles);
}

static const char *why_text(enum topic_why w)
{
	switch (w) {
	case WHY_ONLY: return "only";
	case WHY_OWN: return "own_words";
	case WHY_SPECIFIC: return "more_specific";
	case WHY_TIE: return "tie_earlier";
	case WHY_TITLE: return "title";
	case WHY_HEADLINE: return "headline_wins";
	case WHY_PASSING: return "others_in_passing";
	default: return "none";
	}
}

static json_t *match_json(const struct rules *r, const struct item *it, const struct match *m)
{
	json_t *o = json_object(), *terms = json_array(), *topics = json_array();
	json_object_set_new(o, "key", it->key ? json_string(it->key) : json_null());
	json_object_set_new(o, "title", it->title ? json_string(it->title) : json_null());
	if (it->source)
		json_object_set_new(o, "source", json_string(it->source));
	json_object_set_new(o, "selected", json_boolean(m->selected));
	json_object_set_new(o, "vetoed", json_boolean(m->vetoed));
	json_object_set_new(o, "topic", m->topic >= 0 ? json_string(rules_topic_id(r, (size_t)m->topic)) : json_null());
	json_object_set_new(o, "score", json_real(m->score));
	json_object_set_new(o, "threshold", json_real(m->threshold));
	json_object_set_new(o, "why", json_string(why_text(m->why)));
	json_object_set_new(o, "near_miss", m->selected ? json_null()
					    : m->vetoed	   ? json_string("vetoed")
					    : m->topic >= 0 ? json_string("under_threshold")
							    : json_null());
	for (size_t t = 0; t < m->ntopics; t++) {
		if (m->scores[t] <= 0 && !m->topic_vetoed[t])
			continue;
		json_t *jt = json_object();
		json_object_set_new(jt, "topic", json_string(rules_topic_id(r, t)));
		json_object_set_new(jt, "score", json_real(m->scores[t]));
		json_object_set_new(jt, "own", json_real(m->own[t]));
		json_object_set_new(jt, "threshold", json_real(rules_threshold(r, (long)t)));
		json_object_set_new(jt, "qualifies", json_boolean(match_qualifies(r, m, t)));
		json_object_set_new(jt, "vetoed", json_boolean(m->topic_vetoed[t] || m->global_veto));
		json_array_append_new(topics, jt);
	}
	json_object_set_new(o, "topics", topics);
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		json_t *jt = json_object();
		json_object_set_new(jt, "field", json_string(match_field_name(t->field)));
		json_object_set_new(jt, "start", json_integer((json_int_t)t->start));
		json_object_set_new(jt, "end", json_integer((json_int_t)t->end));
		json_object_set_new(jt, "text", json_string(t->text));
		json_object_set_new(jt, "weight", json_real(t->weight));
		json_object_set_new(jt, "exclude", json_boolean(t->exclude));
		const struct rule_info *in = rules_rule(r, t->rule_index);
		json_object_set_new(jt, "topic", t->topic >= 0 ? json_string(rules_topic_id(r, (size_t)t->topic)) : json_null());
		if (in->group >= 0)
			json_object_set_new(jt, "group", json_string(rules_group_id(r, (size_t)in->group)));
		if (t->no_context)
			json_object_set_new(jt, "no_context", json_true());
		if (t->modifier)
			json_object_set_new(jt, "modifier", json_true());
		json_object_set_new(jt, "rule", json_string(t->rule));
		json_object_set_new(jt, "where", json_string(t->where));
		json_array_append_new(terms, jt);
	}
	json_object_set_new(o, "matches", terms);
	if (m->nlimited) {
		json_t *lim = json_array();
		for (size_t k = 0; k < m->nlimited; k++)
			json_array_append_new(lim, json_string(rules_rule(r, m->limited[k])->where));
		json_object_set_new(o, "limit_hit", lim);
	}
	return o;
}

#define HL_INCLUDE "\033[1;32m"
#define HL_EXCLUDE "\033[1;31m"
#define HL_OFF "\033[0m"
#define SUMMARY_SHOWN 280

/* Writes s[0..n) on one line: line breaks become spaces. */
static void put_flat(FILE *out, const char *s, size_t n)
{
	for (const char *nl; n && (nl = memchr(s, '\n', n)); n -= (size_t)(nl - s) + 1, s = nl + 1) {
		fwrite(s, 1, (size_t)(nl - s), out);
		fputc(' ', out);
	}
	fwrite(s, 1, n, out);
}

/* text[0..len) with the matched ranges of field f set off: in colour on a
 * terminal, else between [ ] (excludes between [- ]). */
static void print_marked(FILE *out, const char *text, size_t len, const struct match *m,
			 enum match_field f, int color)
{
	size_t at = 0;
	while (at < len) {
		/* the next term of this field starting at or after `at` */
		const struct match_term *next = NULL;
		for (size_t k = 0; k < m->nterms; k++) {
			const struct match_term *t = &m->terms[k];
			if (t->field == f && t->start >= at && t->end <= len &&
			    (!next || t->start < next->start ||
			     (t->start == next->start && t->end > next->end)))
				next = t;
		}
		if (!next) {
			put_flat(out, text + at, len - at);
			return;
		}
		put_flat(out, text + at, next->start - at);
		fputs(color ? (next->exclude ? HL_EXCLUDE : HL_INCLUDE) : next->exclude ? "[-" : "[", out);
		put_flat(out, text + next->start, next->end - next->start);
		fputs(color ? HL_OFF : "]", out);
		at = next->end;
	}
}

static size_t shown_len(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static const char *sc(double v, char *b, size_t n) { return rules_score_str(v, b, n); }

/* --explain: each topic with a score, whether it qualifies, and why the
 * item went under the one it did. */
static void print_topics(const struct rules *r, const struct match *m, FILE *out)
{
	char b1[32], b2[32], b3[32];
	int any = 0;
	for (size_t t = 0; t < m->ntopics; t++) {
		if (m->own[t] <= 0)
			continue; /* borrowing alone says nothing of the item */
		fprintf(out, "%s%s %s of %s", any ? ", " : "                         topics: ",
			rules_topic_id(r, t), sc(m->scores[t], b1, sizeof b1),
			sc(rules_threshold(r, (long)t), b2, sizeof b2));
		if (m->scores[t] != m->own[t])
			fprintf(out, " (own %s)", sc(m->own[t], b3, sizeof b3));
		fputs(match_qualifies(r, m, t) ? " qualifies"
		      : m->topic_vetoed[t] || m->global_veto ? " vetoed" : "", out);
		any = 1;
	}
	if (!any)
		return;
	fputc('\n', out);
	if (!m->selected)
		return;
	const char *id = rules_topic_id(r, (size_t)m->topic);
	fprintf(out, "%25s-> %s: ", "", id);
	switch (m->why) {
	case WHY_ONLY: fputs("the only topic that reaches its threshold\n", out); break;
	case WHY_SPECIFIC: fputs("it borrows from the others that qualify, so it is the more specific\n", out); break;
	case WHY_OWN: fprintf(out, "the most of its own words (%s) among the topics that qualify\n", sc(m->own[m->topic], b1, sizeof b1)); break;
	case WHY_TIE: fputs("tied on its own words with another; the earlier in the rules\n", out); break;
	case WHY_TITLE: fputs("its own words are in the title; the others' only further down\n", out); break;
	case WHY_HEADLINE: fputs("its own words are in the title, and its headline wins (the rules say so of it)\n", out); break;
	case WHY_PASSING: fputs("the topics that borrow from it are only mentioned in passing: none of their words in the title, and one word or too little to reach their threshold without borrowing\n", out); break;
	default: fputc('\n', out);
	}
}

static void print_text(const struct rules *r, const struct item *it, const struct match *m,
		       const struct rules_args *ra, FILE *out)
{
	const char *verdict = m->selected ? "SELECTED" : m->vetoed ? "VETOED  " : "-       ";
	char b[32];
	fprintf(out, "%s %-14s %5s  ", verdict,
		m->topic >= 0 ? rules_topic_id(r, (size_t)m->topic) : "-", sc(m->score, b, sizeof b));
	if (it->title && (ra->color || ra->explain))
		print_marked(out, it->title, strlen(it->title), m, FIELD_TITLE, ra->color);
	else
		fputs(it->title ? it->title : "(no title)", out);
	fputc('\n', out);
	if (ra->explain && it->summary) {
		size_t n = shown_len(it->summary, SUMMARY_SHOWN);
		fprintf(out, "%25s", "");
		print_marked(out, it->summary, n, m, FIELD_SUMMARY, ra->color);
		fputs(n < strlen(it->summary) ? " …\n" : "\n", out);
	}
	if (!m->nterms)
		return;
	if (!ra->explain) {
		fputs("                         ", out); /* fputs: a line per item of 200k */
		for (size_t k = 0; k < m->nterms; k++) {
			fputs(k ? (m->terms[k].exclude ? ", -" : ", ") : m->terms[k].exclude ? "-" : "", out);
			fputs(m->terms[k].text, out);
		}
		fputc('\n', out);
		return;
	}
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		const struct rule_info *in = rules_rule(r, t->rule_index);
		char what[96];
		if (t->exclude)
			snprintf(what, sizeof what, "exclude");
		else if (in->group >= 0)
			snprintf(what, sizeof what, "context");
		else
			snprintf(what, sizeof what, "+%s", sc(t->weight, b, sizeof b));
		const char *note = t->no_context ? " (no context: not counted)"
				   : t->repeat	  ? " (again: counted once)"
				   : t->modifier  ? " (begins a compound: not the headline's subject)"
						  : "";
		char owner[96];
		if (in->group >= 0)
			snprintf(owner, sizeof owner, "group %s", rules_group_id(r, (size_t)in->group));
		else
			snprintf(owner, sizeof owner, "%s", t->topic >= 0 ? rules_topic_id(r, (size_t)t->topic) : "(all topics)");
		fprintf(out, "%25s%-10s \"%s\" at %zu-%zu  %s %s%s  (%s: %s)\n", "",
			match_field_name(t->field), t->text, t->start, t->end, what, owner, note,
			t->where, t->rule);
	}
	print_topics(r, m, out);
}

/* What a JSON Lines failure means to the caller's exit status. */
static int jsonl_exit(int status)
{
	return status == JSONL_READ ? EXIT_IOERR : status == JSONL_NOMEM ? EXIT_SOFTWARE : EXIT_DATAERR;
}

static int jsonl_start(struct jsonl_reader *rd, const char *path)
{
	struct err err;
	if (jsonl_open(rd, path, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_NOINPUT;
	}
	return 0;
}

/* Items from a JSON Lines file, each handed to fn and freed before the
 * next is read; a bad line names file:line and stops (the chair's input
 * should be fixed, not guessed). */
static int each_jsonl(const char *path, item_fn fn, void *ctx)
{
	struct jsonl_reader rd;
	int r = jsonl_start(&rd, path), rc = 0;
	struct err err;
	struct item it;
	while (!r && (rc = jsonl_next_item(&rd, &it, &err)) == 1) {
		r = fn(ctx, &it);
		item_free(&it);
	}
	if (!r && rc < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = jsonl_exit(rc);
	}
	jsonl_close(&rd);
	return r;
}

/* The exclude term that decided a veto, for the near-miss list. */
static const struct match_term *veto_term(const struct match *m)
{
	for (size_t k = 0; k < m->nterms; k++)
		if (m->terms[k].exclude && (m->terms[k].topic < 0 || m->terms[k].topic == m->topic))
			return &m->terms[k];
	for (size_t k = 0; k < m->nterms; k++)
		if (m->terms[k].exclude)
			return &m->terms[k];
	return NULL;
}

/* The state of `rules test`: items are matched in batches on every CPU
 * while the next batch is read; near misses go to temporary files as
 * they come. Memory does not grow with the number of items. */
#define TEST_BATCH 512

struct test_batch {
	struct item it[TEST_BATCH];
	struct match m[TEST_BATCH];
	struct buf text;             /* JSON Lines input, parsed on the pool's threads: */
	size_t off[TEST_BATCH], len[TEST_BATCH]; /* the lines in text */
	long lineno[TEST_BATCH];
	char has_line[TEST_BATCH];
	char bad[TEST_BATCH];        /* that line did not parse */
	size_t n;
};

struct test_run {
	struct app *a;
	struct rules_pool *pool;
	const struct rules_args *ra;
	const char *path;            /* of the JSON Lines input */
	FILE *veto, *under;
	size_t n, selected, nveto, nunder;
	/* the store's items: selected ones max_age_days leaves out of the digest */
	long max_age_days;
	time_t end;
	size_t too_old;
	struct test_batch b[2];
	int cur;      /* the batch being filled */
	int running;  /* the other batch is being matched */
};

/* On a pool thread: one line of JSON Lines into an item. */
static int test_parse(void *ctx, size_t i, struct item *it, struct err *err)
{
	struct test_batch *b = ctx;
	if (!b->has_line[i])
		return 0;
	struct err e;
	int rc = item_from_jsonl(b->text.data + b->off[i], b->len[i], it, &e);
	if (rc != JSONL_OK)
		err_set(err, "%ld:%s%s", b->lineno[i], rc == JSONL_SYNTAX ? "" : " ", e.msg);
	b->bad[i] = rc != JSONL_OK;
	return rc != JSONL_OK ? -1 : 0;
}

static int test_print(struct test_run *t, const struct item *it, const struct match *m)
{
	const struct rules *r = t->a->rules;
	t->n++;
	t->selected += m->selected != 0;
	t->too_old += m->selected && m->topic >= 0 && digest_too_old(it, t->max_age_days, t->end);
	if (t->ra->jsonl) {
		json_t *j = match_json(r, it, m);
		char *js = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
		if (js)
			puts(js);
		free(js);
		json_decref(j);
	} else {
		print_text(r, it, m, t->ra, stdout);
		const char *title = it->title ? it->title : "(no title)";
		const struct match_term *vt = m->vetoed ? veto_term(m) : NULL;
		if (vt) {
			t->nveto++;
			fprintf(t->veto, "    %s\n      exclude %s%s%s matched \"%s\" in the %s (%s)\n", title,
				t->ra->color ? HL_EXCLUDE : "", vt->rule, t->ra->color ? HL_OFF : "", vt->text,
				match_field_name(vt->field), vt->where);
		} else if (!m->selected && m->topic >= 0) {
			char b1[32], b2[32];
			t->nunder++;
			fprintf(t->under, "    %4s of %-4s %-14s %s\n", sc(m->score, b1, sizeof b1),
				sc(m->threshold, b2, sizeof b2), rules_topic_id(r, (size_t)m->topic), title);
		}
	}
	return ferror(stdout) ? EXIT_IOERR : 0;
}

static void batch_clear(struct test_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		match_free(&b->m[i]);
		item_free(&b->it[i]);
		b->has_line[i] = 0;
		b->bad[i] = 0;
	}
	b->n = 0;
	buf_reset(&b->text);
}

/* Waits for the batch being matched and prints it, in order. */
static int test_drain(struct test_run *t)
{
	if (!t->running)
		return 0;
	t->running = 0;
	struct test_batch *b = &t->b[!t->cur];
	struct err err;
	size_t failed = (size_t)-1;
	int r = 0;
	int bad = rules_pool_wait(t->pool, &failed, &err) < 0;
	for (size_t i = 0; i < b->n && !r && i < failed; i++)
		r = test_print(t, &b->it[i], &b->m[i]);
	if (!r && bad) {
		if (b->bad[failed])
			fprintf(stderr, "bulletin: %s:%s\n", t->path, err.msg);
		else
			fprintf(stderr, "bulletin: item %zu: %s\n", t->n + 1, err.msg);
		r = b->bad[failed] ? EXIT_DATAERR : EXIT_SOFTWARE;
	}
	batch_clear(b);
	return r;
}

/* The batch being filled goes to the threads; the one before is printed. */
static int test_flush(struct test_run *t)
{
	int r = test_drain(t);
	struct test_batch *b = &t->b[t->cur];
	if (r || !b->n)
		return r;
	struct err err;
	if (rules_pool_start(t->pool, b->it, b->n, b->m, test_parse, b, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_SOFTWARE;
	}
	t->running = 1;
	t->cur = !t->cur;
	return 0;
}

static int test_one(void *ctx, struct item *it)
{
	struct test_run *t = ctx;
	struct test_batch *b = &t->b[t->cur];
	b->it[b->n++] = *it;
	memset(it, 0, sizeof *it);
	return b->n == TEST_BATCH ? test_flush(t) : 0;
}

/* ITEMS.jsonl: the lines are read here and parsed on the pool's threads. */
static int test_lines(struct test_run *t, const char *path)
{
	struct jsonl_reader rd;
	int r = jsonl_start(&rd, path), rc = 0;
	struct err err;
	const char *line;
	size_t n;
	while (!r && (rc = jsonl_next_line(&rd, &line, &n, &err)) == 1) {
		struct test_batch *b = &t->b[t->cur];
		b->off[b->n] = b->text.len;
		b->len[b->n] = n;
		if (buf_append(&b->text, line, n) < 0) {
			fprintf(stderr, "bulletin: out of memory\n");
			r = EXIT_SOFTWARE;
			break;
		}
		b->lineno[b->n] = rd.lineno;
		b->has_line[b->n] = 1;
		memset(&b->it[b->n], 0, sizeof b->it[b->n]);
		if (++b->n == TEST_BATCH)
			r = test_flush(t);
	}
	if (!r && rc < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = jsonl_exit(rc);
	}
	jsonl_close(&rd);
	return r;
}

static int copy_out(FILE *f)
{
	char b[8192];
	size_t n;
	rewind(f);
	while ((n = fread(b, 1, sizeof b, f)) > 0)
		fwrite(b, 1, n, stdout);
	return ferror(f) ? -1 : 0;
}

/* Rules whose pattern hit PCRE2's backtracking limit: once per rule. */
static void report_limit(const struct rules *r, size_t k, size_t n)
{
	if (n)
		fprintf(stderr, "bulletin: %s: %s hit PCRE2's backtracking limit on %zu item%s; "
				"counted as no match there (simplify the pattern)\n",
			rules_rule(r, k)->where, rules_rule(r, k)->text, n, n == 1 ? "" : "s");
}

static void report_limits(const struct rules *r, const struct rules_pool *p)
{
	for (size_t k = 0; k < rules_rule_count(r); k++)
		report_limit(r, k, rules_pool_limit_hits(p, k));
}

static int rules_test(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules test [-r RULES]... [--explain] [--format text|jsonl]\n"
		"                           [--color auto|always|never] [--days N | --since DATE]\n"
		"                           [ITEMS.jsonl]\n"
		"\nShows, per item, whether the rules select it, its topic, score and the\n"
		"matched terms (--explain: each term with its field, weight and rule, the\n"
		"summary with the matches marked, each topic that scored and why the item\n"
		"went under the one it did), then the near misses: items an exclude threw\n"
		"out and items that scored under the threshold. Items come from\n"
		"ITEMS.jsonl (the form `bulletin parse` prints; - for stdin) or from the\n"
		"store: those first seen in the last N days, since DATE, or by default in\n"
		"the current digest period.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 1);
	if (r)
		return r;
	struct test_run *tp = calloc(1, sizeof *tp);
	if (!tp) {
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	tp->a = a;
	tp->ra = &ra;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	tp->pool = rules_pool_new(a->rules, cpus > 0 ? (unsigned)cpus : 1);
	if (!ra.jsonl) {
		tp->veto = tmpfile();
		tp->under = tmpfile();
	}
	if (!tp->pool || (!ra.jsonl && (!tp->veto || !tp->under))) {
		fprintf(stderr, "bulletin: %s\n", tp->pool ? "cannot make a temporary file" : "out of memory");
		r = EXIT_CANTCREAT;
	}
	char what[160];
	if (!r && optind == argc - 1) {
		snprintf(what, sizeof what, "the items of %s", argv[optind]);
		tp->path = argv[optind];
		r = test_lines(tp, argv[optind]);
	} else if (!r && !(r = app_config(a))) {
		tp->max_age_days = a->cfg.max_age_days;
		tp->end = time(NULL) + 1;
		r = each_item(a, &ra, argc, argv, 0, test_one, tp, what, sizeof what);
	}
	if (!r)
		r = test_flush(tp);
	int r2 = test_drain(tp); /* frees the last batch whatever happened */
	if (!r)
		r = r2;
	batch_clear(&tp->b[tp->cur]);
	buf_free(&tp->b[0].text);
	buf_free(&tp->b[1].text);
	if (!r && !ra.jsonl) {
		if (tp->nveto || tp->nunder)
			printf("\nNear misses: items the digest will not carry, though some words matched\n");
		if (tp->nveto) {
			printf("\n  Thrown out by an exclude (%zu):\n", tp->nveto);
			fflush(stdout);
			copy_out(tp->veto);
		}
		if (tp->nunder) {
			printf("\n  Under the threshold (%zu):\n", tp->nunder);
			fflush(stdout);
			copy_out(tp->under);
		}
		printf("\n%zu of %zu items selected (%s)\n", tp->selected, tp->n, what);
		if (tp->too_old)
			printf("%zu of them published more than %ld days ago: the digest leaves %s "
			       "out (max_age_days in [digest])\n", tp->too_old, tp->max_age_days,
			       tp->too_old == 1 ? "it" : "them");
	}
	if (tp->pool)
		report_limits(a->rules, tp->pool);
	rules_pool_free(tp->pool);
	if (tp->veto)
		fclose(tp->veto);
	if (tp->under)
		fclose(tp->under);
	free(tp);
	return r;
}

static void lint_print(void *ctx, enum lint_level level, const char *where, const char *msg)
{
	int *counts = ctx;
	counts[level]++;
	printf("%s: %s: %s\n", where, level == LINT_WARNING ? "warning" : "note", msg);
}

static int rules_check(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules check [-r RULES]... [--days N | --since DATE] [ITEMS.jsonl]\n"
		"\nLoads the rules (errors stop with file:line:column and exit 78; every\n"
		"error of a file is listed) and looks for mistakes that load fine: a\n"
		"pattern that matches nearly any text, a false friend (a word that\n"
		"matches many words of Debian's Swedish, Norwegian and Danish word lists,\n"
		"where installed), a regex that can backtrack without end or matches\n"
		"only an empty place, a rule written twice, a topic with no include or\n"
		"whose words can never reach its threshold, [from NAME] naming no\n"
		"configured source. Against the items (ITEMS.jsonl, or the stored items\n"
		"of the last 90 days) it notes excludes that never fired and patterns\n"
		"that fire on most items.\n"
		"Exit 0: no warnings; 1: warnings.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 1);
	if (r)
		return r;
	/* Sources and stored items come from the configuration; with -r and
	 * no configuration, those checks are left out (and said so). */
	const char **names = NULL;
	size_t nnames = 0;
	int have_cfg = !ra.nfiles || a->config_arg != NULL;
	if (!have_cfg) {
		struct err e;
		char *found = config_find(NULL, &e);
		have_cfg = found != NULL;
		free(found);
	}
	if (have_cfg && (r = app_config(a)))
		return r;
	if (have_cfg) {
		names = calloc(a->cfg.nsources + 1, sizeof *names);
		if (!names)
			return EXIT_SOFTWARE;
		for (size_t i = 0; i < a->cfg.nsources; i++)
			names[nnames++] = a->cfg.sources[i].name;
	}
	struct item_list items = {0};
	char what[160] = "";
	if (optind == argc - 1 || have_cfg)
		r = each_item(a, &ra, argc, argv, 90, push_item, &items, what, sizeof what);
	int counts[2] = {0, 0};
	struct err err;
	size_t lists = 0;
	struct rules_lint_opts o = {.items = &items, .sources = have_cfg ? names : NULL, .nsources = nnames,
				    .no_wordlists = getenv("BULLETIN_NO_WORDLISTS") != NULL};
	int w = r ? 0 : rules_lint(a->rules, &o, lint_print, counts, &lists, &err);
	if (!r && w < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		r = EXIT_SOFTWARE;
	}
	if (!r) {
		printf("%d warning%s, %d note%s: %zu rules in %zu topics", counts[0],
		       counts[0] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s",
		       rules_rule_count(a->rules), rules_topic_count(a->rules));
		if (*what)
			printf("; checked against %zu of %s", items.n, what);
		printf("%s", have_cfg ? "" : "; no configuration, so [from] sources were not checked");
		if (o.no_wordlists)
			printf("; word lists not read (BULLETIN_NO_WORDLISTS)");
		else if (lists)
			printf("; false friends sought in %zu word list%s", lists, lists == 1 ? "" : "s");
		else
			printf("; no word lists installed, so false friends were not sought (Debian: wswedish wnorwegian wdanish)");
		printf("\n");
		r = counts[0] ? EXIT_FAILURE_ : 0;
	}
	free(names);
	item_list_free(&items);
	return r;
}

struct stats_run {
	const struct rules *ru;
	struct rules_matcher *m;
	size_t *hits, *sel;
	char *seen;
	size_t n, selected;
};

static int stats_one(void *ctx, struct item *it)
{
	struct stats_run *s = ctx;
	struct match m;
	struct err err;
	if (rules_matcher_match(s->m, it, &m, &err) < 0) {
		fprintf(stderr, "bulletin: item %zu: %s\n", s->n + 1, err.msg);
		return EXIT_SOFTWARE;
	}
	s->n++;
	s->selected += m.selected != 0;
	size_t n = rules_rule_count(s->ru);
	memset(s->seen, 0, n);
	for (size_t k = 0; k < m.nterms; k++) {
		size_t x = m.terms[k].rule_index;
		if (!s->seen[x]++) {
			s->hits[x]++;
			s->sel[x] += m.selected != 0;
		}
	}
	match_free(&m);
	return 0;
}

static int rules_stats(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules stats [-r RULES]... [--days N | --since DATE] [ITEMS.jsonl]\n"
		"\nFor each rule: in how many items it matched and how many of those the\n"
		"digest carries, over ITEMS.jsonl or the stored items (default: the last\n"
		"90 days). Rules that never matched are listed at the end, and rules that\n"
		"hit PCRE2's backtracking limit (counted as no match) after them.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 1);
	if (r)
		return r;
	const struct rules *ru = a->rules;
	size_t n = rules_rule_count(ru);
	struct stats_run s = {.ru = ru};
	s.hits = calloc(n + 1, sizeof *s.hits);
	s.sel = calloc(n + 1, sizeof *s.sel);
	s.seen = calloc(n + 1, 1);
	s.m = rules_matcher_new(ru);
	if (!s.hits || !s.sel || !s.seen || !s.m)
		r = EXIT_SOFTWARE;
	char what[160];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!r)
		r = each_item(a, &ra, argc, argv, 90, stats_one, &s, what, sizeof what);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* for tests/bench/rules.sh (bulletin -v rules stats): reading and matching */
	log_info("matched %zu items against %zu rules in %.3f s (%.0f items/s)", s.n, n, secs,
		 secs > 0 ? (double)s.n / secs : 0.0);
	if (!r) {
		printf("%6s %8s  %-14s %-28s %s\n", "items", "carried", "topic", "where", "rule");
		size_t dead = 0, refs = 0, limited = 0;
		for (size_t k = 0; k < n; k++) {
			const struct rule_info *in = rules_rule(ru, k);
			refs += in->ref >= 0;
			limited += rules_matcher_limit_hits(s.m, k) > 0;
			if (in->ref >= 0)
				continue; /* @topic: no matches of its own */
			dead += !s.hits[k];
			if (s.hits[k])
				printf("%6zu %8zu  %-14s %-28s %s%s\n", s.hits[k], s.sel[k],
				       in->topic >= 0 ? rules_topic_id(ru, (size_t)in->topic)
				       : in->group >= 0 ? rules_group_id(ru, (size_t)in->group) : "(all)",
				       in->where, in->exclude ? "exclude " : in->group >= 0 ? "word " : "", in->text);
		}
		if (dead) {
			printf("\n%zu rules never matched:\n", dead);
			for (size_t k = 0; k < n; k++) {
				const struct rule_info *in = rules_rule(ru, k);
				if (in->ref < 0 && !s.hits[k])
					printf("  %-28s %-14s %s%s\n", in->where,
					       in->topic >= 0 ? rules_topic_id(ru, (size_t)in->topic)
					       : in->group >= 0 ? rules_group_id(ru, (size_t)in->group) : "(all)",
					       in->exclude ? "exclude " : in->group >= 0 ? "word " : "", in->text);
			}
		}
		if (limited) {
			printf("\n%zu rules hit PCRE2's backtracking limit (counted as no match on those items):\n", limited);
			for (size_t k = 0; k < n; k++) {
				size_t h = rules_matcher_limit_hits(s.m, k);
				if (h)
					printf("  %-28s %zu item%s  %s\n", rules_rule(ru, k)->where, h, h == 1 ? "" : "s",
					       rules_rule(ru, k)->text);
			}
		}
		printf("\n%zu items (%s), %zu carried; %zu of %zu rules matched at least once\n", s.n,
		       what, s.selected, n - refs - dead, n - refs);
	}
	for (size_t k = 0; s.m && k < n; k++)
		report_limit(ru, k, rules_matcher_limit_hits(s.m, k));
	free(s.hits);
	free(s.sel);
	free(s.seen);
	rules_matcher_free(s.m);
	return r;
}

static void list_rule(const struct rule_info *in, int regex)
{
	printf("  %-28s ", in->where);
	if (in->exclude)
		printf("exclude ");
	else if (in->group >= 0)
		printf("word ");
	else
		printf("include %g ", in->weight);
	if (in->fields != FIELDS_DEFAULT && in->ref < 0) {
		putchar('[');
		for (int f = 0, first = 1; f < FIELD_COUNT_; f++)
			if (in->fields & (1u << f)) {
				printf("%s%s", first ? "" : ", ", match_field_name((enum match_field)f));
				first = 0;
			}
		printf("] ");
	}
	if (in->nfrom) {
		printf("[from ");
		for (size_t i = 0; i < in->nfrom; i++)
			printf("%s%s", i ? ", " : "", in->from[i]);
		printf("] ");
	}
	if (in->nwith) {
		printf("[with ");
		for (size_t i = 0; i < in->nwith; i++)
			printf("%s%s", i ? ", " : "", in->with[i]);
		printf("] ");
	}
	printf("%s\n", in->text);
	if (regex && in->regex)
		printf("  %-28s regex: %s%s\n", "", in->caseless ? "(?i)" : "", in->regex);
}

static int rules_list(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules list [-r RULES]... [--regex]\n"
		"\nThe groups of context words, then the topics in digest order with\n"
		"their thresholds and rules; --regex adds the PCRE2 pattern each rule\n"
		"was compiled to.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 0);
	if (r)
		return r;
	const struct rules *ru = a->rules;
	printf("threshold %g; field weights:", rules_threshold(ru, -1));
	for (int f = 0; f < FIELD_COUNT_; f++)
		printf(" %s %g", match_field_name((enum match_field)f), rules_field_weight(ru, (enum match_field)f));
	putchar('\n');
	for (size_t g = 0; g < rules_group_count(ru); g++) {
		printf("\ngroup %s\n", rules_group_id(ru, g));
		for (size_t k = 0; k < rules_rule_count(ru); k++)
			if (rules_rule(ru, k)->group == (long)g)
				list_rule(rules_rule(ru, k), ra.regex);
	}
	for (long t = -1; t < (long)rules_topic_count(ru); t++) {
		if (t < 0)
			printf("\n(all topics)\n");
		else
			printf("\ntopic %s \"%s\" (threshold %g)\n", rules_topic_id(ru, (size_t)t),
			       rules_topic_title(ru, (size_t)t), rules_threshold(ru, t));
		for (size_t k = 0; k < rules_rule_count(ru); k++) {
			const struct rule_info *in = rules_rule(ru, k);
			if (in->topic == t && in->group < 0)
				list_rule(in, ra.regex);
		}
	}
	return 0;
}

static int rules_eval(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules eval [-r RULES]... LABELS.tsv\n"
		"\nPrecision, recall, F1 and topic accuracy of the rules against a\n"
		"labeled TSV (id, lang, label, topic, title, summary).\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, -1);
	if (r)
		return r;
	struct rules_eval ev;
	struct err err;
	if (rules_eval_tsv(a->rules, argv[optind], &ev, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_DATAERR;
	}
	rules_eval_print(a->rules, &ev, stdout);
	rules_eval_free(&ev);
	return 0;
}

int cmd_rules(struct app *a, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct app *, int, char **);
	} verbs[] = {{"test", rules_test}, {"check", rules_check}, {"stats", rules_stats},
		     {"eval", rules_eval}, {"list", rules_list}};
	for (size_t i = 0; argc >= 2 && i < sizeof verbs / sizeof *verbs; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(a, argc - 1, argv + 1);
	fprintf(stderr, "usage: bulletin rules test|check|stats|eval|list ...  (bulletin rules test --help)\n");
	return EXIT_USAGE;
}
