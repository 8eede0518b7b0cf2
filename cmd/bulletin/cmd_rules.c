#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "parse/date.h"
#include "core/log.h"
#include "select/rules_eval.h"

#define ITEMS_MAX_INPUT (256u << 20)

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

/* The items to look at: ITEMS.jsonl when given, else the store's items
 * first seen in the period (--since, --days, else the default: the current
 * digest period when default_days is 0). *what describes them. */
static int load_jsonl(const char *path, struct item_list *items);
static int get_items(struct app *a, const struct rules_args *ra, int argc, char **argv,
		     long default_days, struct item_list *items, char *what, size_t whatlen)
{
	if (optind == argc - 1) {
		snprintf(what, whatlen, "the items of %s", argv[optind]);
		return load_jsonl(argv[optind], items);
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
	if (store_items_between(a->store, start, now + 1, items, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
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

static json_t *match_json(const struct rules *r, const struct item *it, const struct match *m)
{
	json_t *o = json_object(), *terms = json_array();
	json_object_set_new(o, "key", it->key ? json_string(it->key) : json_null());
	json_object_set_new(o, "title", it->title ? json_string(it->title) : json_null());
	if (it->source)
		json_object_set_new(o, "source", json_string(it->source));
	json_object_set_new(o, "selected", json_boolean(m->selected));
	json_object_set_new(o, "vetoed", json_boolean(m->vetoed));
	json_object_set_new(o, "topic", m->topic >= 0 ? json_string(rules_topic_id(r, (size_t)m->topic)) : json_null());
	json_object_set_new(o, "score", json_real(m->score));
	json_object_set_new(o, "threshold", json_real(m->threshold));
	json_object_set_new(o, "near_miss", m->selected ? json_null()
					    : m->vetoed	   ? json_string("vetoed")
					    : m->topic >= 0 ? json_string("under_threshold")
							    : json_null());
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		json_t *jt = json_object();
		json_object_set_new(jt, "field", json_string(match_field_name(t->field)));
		json_object_set_new(jt, "start", json_integer((json_int_t)t->start));
		json_object_set_new(jt, "end", json_integer((json_int_t)t->end));
		json_object_set_new(jt, "text", json_string(t->text));
		json_object_set_new(jt, "weight", json_real(t->weight));
		json_object_set_new(jt, "exclude", json_boolean(t->exclude));
		json_object_set_new(jt, "topic", t->topic >= 0 ? json_string(rules_topic_id(r, (size_t)t->topic)) : json_null());
		json_object_set_new(jt, "rule", json_string(t->rule));
		json_object_set_new(jt, "where", json_string(t->where));
		json_array_append_new(terms, jt);
	}
	json_object_set_new(o, "matches", terms);
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

static void print_text(const struct rules *r, const struct item *it, const struct match *m,
		       const struct rules_args *ra, FILE *out)
{
	const char *verdict = m->selected ? "SELECTED" : m->vetoed ? "VETOED  " : "-       ";
	fprintf(out, "%s %-14s %5.1f  ", verdict,
		m->topic >= 0 ? rules_topic_id(r, (size_t)m->topic) : "-", m->score);
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
		fprintf(out, "%25s", "");
		for (size_t k = 0; k < m->nterms; k++)
			fprintf(out, "%s%s%s", k ? ", " : "", m->terms[k].exclude ? "-" : "",
				m->terms[k].text);
		fputc('\n', out);
		return;
	}
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		fprintf(out, "%25s%-10s \"%s\" at %zu-%zu  %s%.1f %s  (%s: %s)\n", "",
			match_field_name(t->field), t->text, t->start, t->end,
			t->exclude ? "exclude " : "+", t->exclude ? 0.0 : t->weight,
			t->topic >= 0 ? rules_topic_id(r, (size_t)t->topic) : "(all topics)",
			t->where, t->rule);
	}
}

/* Items from a JSON Lines file, one object per line; a bad line names
 * file:line and stops (the chair's input should be fixed, not guessed). */
static int load_jsonl(const char *path, struct item_list *items)
{
	size_t len;
	char *data = app_read_file(path, ITEMS_MAX_INPUT, &len);
	if (!data)
		return EXIT_NOINPUT;
	int line = 0, r = 0;
	for (char *p = data, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line++;
		if (!p[strspn(p, " \t\r")])
			continue;
		json_error_t je;
		json_t *j = json_loads(p, JSON_REJECT_DUPLICATES, &je);
		struct err err;
		struct item *it = item_list_push(items);
		if (!j) {
			fprintf(stderr, "bulletin: %s:%d:%d: %s\n", path, line, je.column, je.text);
			r = EXIT_DATAERR;
		} else if (!it || item_from_json(j, it, &err) < 0) {
			fprintf(stderr, "bulletin: %s:%d: %s\n", path, line, it ? err.msg : "out of memory");
			r = EXIT_DATAERR;
		}
		json_decref(j);
		if (r) {
			if (it)
				items->n--;
			break;
		}
	}
	free(data);
	return r;
}

/* The exclude term that decided a veto, for the near-miss list. */
static const struct match_term *veto_term(const struct match *m)
{
	for (size_t k = 0; k < m->nterms; k++)
		if (m->terms[k].exclude && (m->terms[k].topic < 0 || m->terms[k].topic == m->topic))
			return &m->terms[k];
	return NULL;
}

static void print_near_misses(const struct rules *r, const struct item_list *items,
			      const struct match *ms, int color)
{
	size_t nveto = 0, nunder = 0;
	for (size_t i = 0; i < items->n; i++) {
		nveto += !ms[i].selected && ms[i].vetoed;
		nunder += !ms[i].selected && !ms[i].vetoed && ms[i].topic >= 0;
	}
	if (!nveto && !nunder)
		return;
	printf("\nNear misses: items the digest will not carry, though some words matched\n");
	if (nveto) {
		printf("\n  Thrown out by an exclude (%zu):\n", nveto);
		for (size_t i = 0; i < items->n; i++) {
			const struct match_term *t = veto_term(&ms[i]);
			if (ms[i].selected || !ms[i].vetoed || !t)
				continue;
			printf("    %s\n      exclude %s%s%s matched \"%s\" in the %s (%s)\n",
			       items->v[i].title ? items->v[i].title : "(no title)", color ? HL_EXCLUDE : "",
			       t->rule, color ? HL_OFF : "", t->text, match_field_name(t->field), t->where);
		}
	}
	if (nunder) {
		printf("\n  Under the threshold (%zu):\n", nunder);
		for (size_t i = 0; i < items->n; i++) {
			const struct match *m = &ms[i];
			if (m->selected || m->vetoed || m->topic < 0)
				continue;
			printf("    %4.1f of %-4g %-14s %s\n", m->score, m->threshold,
			       rules_topic_id(r, (size_t)m->topic),
			       items->v[i].title ? items->v[i].title : "(no title)");
		}
	}
}

static int rules_test(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules test [-r RULES]... [--explain] [--format text|jsonl]\n"
		"                           [--color auto|always|never] [--days N | --since DATE]\n"
		"                           [ITEMS.jsonl]\n"
		"\nShows, per item, whether the rules select it, its topic, score and the\n"
		"matched terms (--explain: each term with its field, weight and rule, and\n"
		"the summary with the matches marked), then the near misses: items an\n"
		"exclude threw out and items that scored under the threshold. Items come\n"
		"from ITEMS.jsonl (the form `bulletin parse` prints) or from the store:\n"
		"those first seen in the last N days, since DATE, or by default in the\n"
		"current digest period.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 1);
	if (r)
		return r;
	struct item_list items = {0};
	char what[160];
	r = get_items(a, &ra, argc, argv, 0, &items, what, sizeof what);
	struct match *ms = r ? NULL : calloc(items.n + 1, sizeof *ms);
	if (!r && !ms)
		r = EXIT_SOFTWARE;
	int selected = 0;
	size_t done = 0;
	for (size_t i = 0; !r && i < items.n; i++, done++) {
		struct match *m = &ms[i];
		struct err err;
		if (rules_match(a->rules, &items.v[i], m, &err) < 0) {
			fprintf(stderr, "bulletin: item %zu: %s\n", i + 1, err.msg);
			r = EXIT_SOFTWARE;
			break;
		}
		selected += m->selected;
		if (ra.jsonl) {
			json_t *j = match_json(a->rules, &items.v[i], m);
			char *js = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (js)
				puts(js);
			free(js);
			json_decref(j);
		} else {
			print_text(a->rules, &items.v[i], m, &ra, stdout);
		}
	}
	if (!r && !ra.jsonl) {
		print_near_misses(a->rules, &items, ms, ra.color);
		printf("\n%d of %zu items selected (%s)\n", selected, items.n, what);
	}
	for (size_t i = 0; ms && i < done; i++)
		match_free(&ms[i]);
	free(ms);
	item_list_free(&items);
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
		"\nLoads the rules (errors stop with file:line:column and exit 78) and looks\n"
		"for mistakes that load fine: a pattern that matches nearly any text, a\n"
		"rule written twice, a topic with no include or whose words can never\n"
		"reach its threshold, [from NAME] naming no configured source. Against\n"
		"the items (ITEMS.jsonl, or the stored items of the last 90 days) it\n"
		"notes excludes that never fired and patterns that fire on most items.\n"
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
		r = get_items(a, &ra, argc, argv, 90, &items, what, sizeof what);
	int counts[2] = {0, 0};
	struct err err;
	int w = r ? 0 : rules_lint(a->rules, &items, names, nnames, lint_print, counts, &err);
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
		printf("%s\n", have_cfg ? "" : "; no configuration, so [from] sources were not checked");
		r = counts[0] ? EXIT_FAILURE_ : 0;
	}
	free(names);
	item_list_free(&items);
	return r;
}

static int rules_stats(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules stats [-r RULES]... [--days N | --since DATE] [ITEMS.jsonl]\n"
		"\nFor each rule: in how many items it matched and how many of those the\n"
		"digest carries, over ITEMS.jsonl or the stored items (default: the last\n"
		"90 days). Rules that never matched are listed at the end.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 1);
	if (r)
		return r;
	struct item_list items = {0};
	char what[160];
	if ((r = get_items(a, &ra, argc, argv, 90, &items, what, sizeof what)))
		return r;
	const struct rules *ru = a->rules;
	size_t n = rules_rule_count(ru);
	size_t *hits = calloc(n + 1, sizeof *hits), *sel = calloc(n + 1, sizeof *sel);
	char *seen = calloc(n + 1, 1);
	size_t selected = 0;
	if (!hits || !sel || !seen)
		r = EXIT_SOFTWARE;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; !r && i < items.n; i++) {
		struct match m;
		struct err err;
		if (rules_match(ru, &items.v[i], &m, &err) < 0) {
			fprintf(stderr, "bulletin: item %zu: %s\n", i + 1, err.msg);
			r = EXIT_SOFTWARE;
			break;
		}
		selected += m.selected != 0;
		memset(seen, 0, n);
		for (size_t k = 0; k < m.nterms; k++) {
			size_t x = m.terms[k].rule_index;
			if (!seen[x]++) {
				hits[x]++;
				sel[x] += m.selected != 0;
			}
		}
		match_free(&m);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* for tests/bench/rules.sh (bulletin -v rules stats) */
	log_info("matched %zu items against %zu rules in %.3f s (%.0f items/s)", items.n, n, secs,
		 secs > 0 ? (double)items.n / secs : 0.0);
	if (!r) {
		printf("%6s %8s  %-14s %-28s %s\n", "items", "carried", "topic", "where", "rule");
		size_t dead = 0, refs = 0;
		for (size_t k = 0; k < n; k++) {
			const struct rule_info *in = rules_rule(ru, k);
			refs += in->ref >= 0;
			if (in->ref >= 0)
				continue; /* @topic: no matches of its own */
			dead += !hits[k];
			if (hits[k])
				printf("%6zu %8zu  %-14s %-28s %s%s\n", hits[k], sel[k],
				       in->topic >= 0 ? rules_topic_id(ru, (size_t)in->topic) : "(all)",
				       in->where, in->exclude ? "exclude " : "", in->text);
		}
		if (dead) {
			printf("\n%zu rules never matched:\n", dead);
			for (size_t k = 0; k < n; k++) {
				const struct rule_info *in = rules_rule(ru, k);
				if (in->ref < 0 && !hits[k])
					printf("  %-28s %-14s %s%s\n", in->where,
					       in->topic >= 0 ? rules_topic_id(ru, (size_t)in->topic) : "(all)",
					       in->exclude ? "exclude " : "", in->text);
			}
		}
		printf("\n%zu items (%s), %zu carried; %zu of %zu rules matched at least once\n", items.n,
		       what, selected, n - refs - dead, n - refs);
	}
	free(hits);
	free(sel);
	free(seen);
	item_list_free(&items);
	return r;
}

static int rules_list(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules list [-r RULES]... [--regex]\n"
		"\nThe topics in digest order with their thresholds and rules; --regex\n"
		"adds the PCRE2 pattern each rule was compiled to.\n";
	struct rules_args ra = {0};
	int r = verb_start(a, argc, argv, &ra, usage, 0);
	if (r)
		return r;
	const struct rules *ru = a->rules;
	printf("threshold %g; field weights:", rules_threshold(ru, -1));
	for (int f = 0; f < FIELD_COUNT_; f++)
		printf(" %s %g", match_field_name((enum match_field)f), rules_field_weight(ru, (enum match_field)f));
	putchar('\n');
	for (long t = -1; t < (long)rules_topic_count(ru); t++) {
		if (t < 0)
			printf("\n(all topics)\n");
		else
			printf("\ntopic %s \"%s\" (threshold %g)\n", rules_topic_id(ru, (size_t)t),
			       rules_topic_title(ru, (size_t)t), rules_threshold(ru, t));
		for (size_t k = 0; k < rules_rule_count(ru); k++) {
			const struct rule_info *in = rules_rule(ru, k);
			if (in->topic != t)
				continue;
			printf("  %-28s ", in->where);
			if (in->exclude)
				printf("exclude ");
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
			printf("%s\n", in->text);
			if (ra.regex && in->regex)
				printf("  %-28s regex: %s%s\n", "", in->caseless ? "(?i)" : "", in->regex);
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
	rules_eval_print(&ev, stdout);
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
