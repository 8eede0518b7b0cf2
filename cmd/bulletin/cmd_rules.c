#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rules_eval.h"

#define ITEMS_MAX_INPUT (256u << 20)

struct rules_args {
	char *files[64];
	size_t nfiles;
	int explain;
	int jsonl;
};

/* -r FILE (repeatable), --explain, --format text|jsonl. Returns 0 or an
 * exit status. */
static int parse_args(int argc, char **argv, struct rules_args *ra, const char *usage)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'},
		{"explain", no_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "r:ef:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (ra->nfiles == sizeof ra->files / sizeof *ra->files) {
				fprintf(stderr, "bulletin rules: too many -r files\n");
				return EXIT_USAGE;
			}
			ra->files[ra->nfiles++] = optarg;
			break;
		case 'e': ra->explain = 1; break;
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				ra->jsonl = 1;
			else if (strcmp(optarg, "text")) {
				fprintf(stderr, "bulletin rules: --format must be text or jsonl\n");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	return 0;
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

static void print_text(const struct rules *r, const struct item *it, const struct match *m,
		       int explain, FILE *out)
{
	const char *verdict = m->selected ? "SELECTED" : m->vetoed ? "VETOED  " : "-       ";
	fprintf(out, "%s %-14s %5.1f  %s\n", verdict,
		m->topic >= 0 ? rules_topic_id(r, (size_t)m->topic) : "-", m->score,
		it->title ? it->title : "(no title)");
	if (!m->nterms)
		return;
	if (!explain) {
		fprintf(out, "%25s", "");
		for (size_t k = 0; k < m->nterms; k++)
			fprintf(out, "%s%s%s", k ? ", " : "", m->terms[k].exclude ? "-" : "",
				m->terms[k].text);
		fputc('\n', out);
		return;
	}
	for (size_t k = 0; k < m->nterms; k++) {
		const struct match_term *t = &m->terms[k];
		fprintf(out, "%25s%-7s \"%s\" at %zu-%zu  %s%.1f %s  (%s: %s)\n", "",
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

static int rules_test(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules test [-r RULES]... [--explain] [--format text|jsonl] [ITEMS.jsonl]\n"
		"\nShows, per item, whether the rules select it, its topic, score and the\n"
		"matched terms. Items come from ITEMS.jsonl (the form `bulletin parse`\n"
		"prints) or, without it, from the store: the current digest period.\n";
	struct rules_args ra = {0};
	int r = parse_args(argc, argv, &ra, usage);
	if (r)
		return r;
	if (optind < argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((r = app_rules(a, ra.files, ra.nfiles)))
		return r;
	struct item_list items = {0};
	if (optind == argc - 1) {
		r = load_jsonl(argv[optind], &items);
	} else {
		struct err err;
		time_t start = 0;
		if (!(r = app_store(a)) &&
		    (store_digest_last_end(a->store, &start, &err) < 0 ||
		     store_items_between(a->store, start, time(NULL) + 1, &items, &err) < 0)) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			r = EXIT_IOERR;
		}
	}
	int selected = 0;
	for (size_t i = 0; !r && i < items.n; i++) {
		struct match m;
		struct err err;
		if (rules_match(a->rules, &items.v[i], &m, &err) < 0) {
			fprintf(stderr, "bulletin: item %zu: %s\n", i + 1, err.msg);
			r = EXIT_SOFTWARE;
			break;
		}
		selected += m.selected;
		if (ra.jsonl) {
			json_t *j = match_json(a->rules, &items.v[i], &m);
			char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (s)
				puts(s);
			free(s);
			json_decref(j);
		} else {
			print_text(a->rules, &items.v[i], &m, ra.explain, stdout);
		}
		match_free(&m);
	}
	if (!r && !ra.jsonl)
		printf("\n%d of %zu items selected\n", selected, items.n);
	item_list_free(&items);
	return r;
}

static int rules_eval(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin rules eval [-r RULES]... LABELS.tsv\n"
		"\nPrecision, recall, F1 and topic accuracy of the rules against a\n"
		"labeled TSV (id, lang, label, topic, title, summary).\n";
	struct rules_args ra = {0};
	int r = parse_args(argc, argv, &ra, usage);
	if (r)
		return r;
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if ((r = app_rules(a, ra.files, ra.nfiles)))
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
	if (argc >= 2 && !strcmp(argv[1], "test"))
		return rules_test(a, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "eval"))
		return rules_eval(a, argc - 1, argv + 1);
	fprintf(stderr, "usage: bulletin rules test|eval ...  (bulletin rules test --help)\n");
	return EXIT_USAGE;
}
