#include "select/rules_eval.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"

#define EVAL_MAX_FILE (64L * 1024 * 1024)

enum { COL_ID, COL_LABEL, COL_TOPIC, COL_TITLE, COL_SUMMARY, COL_LANG, COL_N_ };
static const char *const col_names[COL_N_] = {"id", "label", "topic", "title", "summary", "lang"};

static void case_free(struct rules_eval_case *c)
{
	free(c->id);
	free(c->lang);
	free(c->title);
	free(c->expected);
	free(c->got);
	free(c->best);
	free(c->why);
}

void rules_eval_free(struct rules_eval *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nfp; i++)
		case_free(&e->fps[i]);
	for (size_t i = 0; i < e->nfn; i++)
		case_free(&e->fns[i]);
	for (size_t i = 0; i < e->nmismatch; i++)
		case_free(&e->mismatches[i]);
	for (size_t i = 0; i < e->nlangs; i++)
		free(e->langs[i].lang);
	for (size_t i = 0; i < e->ntopics; i++)
		free(e->topics[i].topic);
	free(e->langs);
	free(e->topics);
	free(e->fps);
	free(e->fns);
	free(e->mismatches);
	memset(e, 0, sizeof *e);
}

/* Why the rules decided as they did, in one line: the words that counted
 * (or did not), the veto, the topics that qualified. */
static char *explain(const struct rules *r, const struct match *m)
{
	struct buf b = BUF_INIT;
	char s1[32], s2[32];
	if (!m->nterms)
		buf_puts(&b, "no word matched");
	int first = 1;
	for (size_t i = 0; i < m->nterms; i++) {
		const struct match_term *t = &m->terms[i];
		const struct rule_info *in = rules_rule(r, t->rule_index);
		if (in->group >= 0 || t->repeat)
			continue; /* context words and repeats: no weight */
		buf_printf(&b, "%s\"%s\" ", first ? "words: " : ", ", t->text);
		first = 0;
		if (t->exclude)
			buf_printf(&b, "(exclude %s, %s)", t->rule, t->where);
		else if (in->group >= 0)
			buf_printf(&b, "(context %s)", rules_group_id(r, (size_t)in->group));
		else if (t->no_context)
			buf_printf(&b, "(%s, no context: 0)", rules_topic_id(r, (size_t)t->topic));
		else
			buf_printf(&b, "(%s +%s%s)", rules_topic_id(r, (size_t)t->topic), rules_score_str(t->weight, s1, sizeof s1),
				   t->modifier ? ", begins a compound" : "");
	}
	int any = 0;
	for (size_t t = 0; t < m->ntopics; t++) {
		if (m->own[t] <= 0)
			continue; /* borrowing alone says nothing of the item */
		buf_printf(&b, "%s%s %s of %s%s", any ? ", " : "; topics: ", rules_topic_id(r, t),
			   rules_score_str(m->scores[t], s1, sizeof s1),
			   rules_score_str(rules_threshold(r, (long)t), s2, sizeof s2),
			   match_qualifies(r, m, t) ? " qualifies" : m->topic_vetoed[t] || m->global_veto ? " vetoed" : "");
		any = 1;
	}
	return buf_steal(&b);
}

static int push_case(struct rules_eval_case **v, size_t *n, const struct rules *r, const char *id,
		     const char *lang, const char *title, const char *expected, const struct match *m)
{
	/* Grows one at a time: these lists are short by design. */
	struct rules_eval_case *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	struct rules_eval_case *c = &nv[*n];
	memset(c, 0, sizeof *c);
	const char *topic = m->topic >= 0 ? rules_topic_id(r, (size_t)m->topic) : "-";
	c->id = strdup(id);
	c->lang = strdup(lang);
	c->title = strdup(title);
	c->expected = strdup(expected);
	c->got = strdup(m->selected ? topic : "-");
	c->best = strdup(m->selected ? "-" : topic);
	c->why = explain(r, m);
	c->score = m->score;
	c->threshold = m->threshold;
	c->vetoed = m->vetoed;
	if (!c->id || !c->lang || !c->title || !c->expected || !c->got || !c->best || !c->why) {
		case_free(c);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Splits line in place at tabs; returns the number of fields (at most max). */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	for (;;) {
		if (n < max)
			f[n] = p;
		n++;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void finish(struct rules_eval_counts *c)
{
	c->precision = ratio(c->tp, c->tp + c->fp);
	c->recall = ratio(c->tp, c->tp + c->fn);
	c->f1 = c->precision + c->recall > 0 ? 2 * c->precision * c->recall / (c->precision + c->recall) : 0.0;
	c->topic_accuracy = ratio(c->topic_correct, c->tp);
}

static void count(struct rules_eval_counts *c, int label, int selected, int right)
{
	c->n++;
	if (selected && label) {
		c->tp++;
		c->topic_correct += right != 0;
	} else if (selected) {
		c->fp++;
	} else if (label) {
		c->fn++;
	} else {
		c->tn++;
	}
}

static struct rules_eval_lang *lang_slot(struct rules_eval *e, const char *lang)
{
	for (size_t i = 0; i < e->nlangs; i++)
		if (!strcmp(e->langs[i].lang, lang))
			return &e->langs[i];
	struct rules_eval_lang *v = realloc(e->langs, (e->nlangs + 1) * sizeof *v);
	if (!v)
		return NULL;
	e->langs = v;
	memset(&v[e->nlangs], 0, sizeof *v);
	if (!(v[e->nlangs].lang = strdup(lang)))
		return NULL;
	return &v[e->nlangs++];
}

static struct rules_eval_topic *topic_slot(struct rules_eval *e, const char *topic)
{
	for (size_t i = 0; i < e->ntopics; i++)
		if (!strcmp(e->topics[i].topic, topic))
			return &e->topics[i];
	struct rules_eval_topic *v = realloc(e->topics, (e->ntopics + 1) * sizeof *v);
	if (!v)
		return NULL;
	e->topics = v;
	memset(&v[e->ntopics], 0, sizeof *v);
	if (!(v[e->ntopics].topic = strdup(topic)))
		return NULL;
	return &v[e->ntopics++];
}

#define MAX_COLS 32

/* One labeled row: counted overall, for its language and its topics. */
static int eval_row(struct rules_eval *out, const struct rules *r, struct rules_matcher *mt,
		    char **f, const int *col, struct err *err)
{
	const char *id = f[col[COL_ID]], *topic = f[col[COL_TOPIC]];
	const char *lang = col[COL_LANG] >= 0 ? f[col[COL_LANG]] : "";
	int label = f[col[COL_LABEL]][0] == '1';
	struct item it = {0};
	it.key = (char *)id;
	it.title = f[col[COL_TITLE]];
	it.summary = f[col[COL_SUMMARY]];
	struct match m;
	if (rules_matcher_match(mt, &it, &m, err) < 0)
		return -1;
	const char *got = m.selected ? rules_topic_id(r, (size_t)m.topic) : "-";
	int right = m.selected && !strcmp(got, topic);
	struct rules_eval_counts all = {0};
	count(&all, label, m.selected, right);
	out->n++;
	out->tp += all.tp;
	out->fp += all.fp;
	out->fn += all.fn;
	out->tn += all.tn;
	out->topic_correct += all.topic_correct;
	int rc = 0;
	struct rules_eval_lang *l = lang_slot(out, lang);
	/* the second slot may move the array: the first is kept by index */
	struct rules_eval_topic *lt = label ? topic_slot(out, topic) : NULL;
	size_t lti = lt ? (size_t)(lt - out->topics) : 0;
	struct rules_eval_topic *at = m.selected ? topic_slot(out, got) : NULL;
	if (lt)
		lt = &out->topics[lti];
	if (!l || (label && !lt) || (m.selected && !at))
		rc = -1;
	if (l)
		count(&l->c, label, m.selected, right);
	if (lt) {
		lt->labeled++;
		lt->selected += m.selected != 0;
		lt->right += (size_t)right;
	}
	if (at) {
		at->assigned++;
		at->assigned_right += (size_t)(label && right);
	}
	if (!rc && m.selected && label && !right)
		rc = push_case(&out->mismatches, &out->nmismatch, r, id, lang, it.title, topic, &m);
	else if (!rc && m.selected && !label)
		rc = push_case(&out->fps, &out->nfp, r, id, lang, it.title, topic, &m);
	else if (!rc && !m.selected && label)
		rc = push_case(&out->fns, &out->nfn, r, id, lang, it.title, topic, &m);
	match_free(&m);
	return rc < 0 ? err_set(err, "out of memory") : 0;
}

int rules_eval_string(const struct rules *r, const char *name, const char *text,
		      struct rules_eval *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	if (!name)
		name = "(tsv)";
	char *copy = strdup(text);
	struct rules_matcher *mt = rules_matcher_new(r);
	if (!copy || !mt) {
		free(copy);
		rules_matcher_free(mt);
		return err_set(err, "%s: out of memory", name);
	}
	int col[COL_N_];
	size_t ncols = 0;
	unsigned lineno = 0;
	int rc = 0;
	char *p = copy;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		char *line = p;
		p = nl ? nl + 1 : p + strlen(p);
		lineno++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (ll == 0)
			continue;
		char *f[MAX_COLS];
		size_t nf = split_tabs(line, f, MAX_COLS);
		if (nf > MAX_COLS) {
			rc = err_set(err, "%s:%u: too many fields (%zu)", name, lineno, nf);
			break;
		}
		if (ncols == 0) {
			for (int c = 0; c < COL_N_; c++) {
				col[c] = -1;
				for (size_t i = 0; i < nf; i++)
					if (strcmp(f[i], col_names[c]) == 0)
						col[c] = (int)i;
				if (col[c] < 0 && c != COL_LANG) {
					rc = err_set(err, "%s:%u: header lacks the column '%s' (expected id lang label topic title summary)",
						     name, lineno, col_names[c]);
					break;
				}
			}
			if (rc < 0)
				break;
			ncols = nf;
			continue;
		}
		if (nf != ncols) {
			rc = err_set(err, "%s:%u: %zu fields where the header has %zu (tabs inside a field?)", name,
				     lineno, nf, ncols);
			break;
		}
		const char *lab = f[col[COL_LABEL]];
		if (strcmp(lab, "0") != 0 && strcmp(lab, "1") != 0) {
			rc = err_set(err, "%s:%u: label must be 0 or 1, not '%.40s'", name, lineno, lab);
			break;
		}
		if (eval_row(out, r, mt, f, col, err) < 0) {
			rc = err_prefix(err, "%s:%u", name, lineno);
			break;
		}
	}
	if (rc == 0 && ncols == 0)
		rc = err_set(err, "%s:1: empty file: no header", name);
	free(copy);
	rules_matcher_free(mt);
	if (rc < 0) {
		rules_eval_free(out);
		return rc;
	}
	struct rules_eval_counts c = {out->n, out->tp, out->fp, out->fn, out->tn, out->topic_correct, 0, 0, 0, 0};
	finish(&c);
	out->precision = c.precision;
	out->recall = c.recall;
	out->f1 = c.f1;
	out->topic_accuracy = c.topic_accuracy;
	for (size_t i = 0; i < out->nlangs; i++)
		finish(&out->langs[i].c);
	for (size_t i = 0; i < out->ntopics; i++) {
		struct rules_eval_topic *t = &out->topics[i];
		t->recall = ratio(t->selected, t->labeled);
		t->topic_accuracy = ratio(t->right, t->selected);
		t->precision = ratio(t->assigned_right, t->assigned);
	}
	return 0;
}

int rules_eval_tsv(const struct rules *r, const char *path, struct rules_eval *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	size_t n;
	char *data = fs_read_file(path, EVAL_MAX_FILE, &n, err);
	if (!data)
		return -1;
	if (strlen(data) != n) {
		free(data);
		return err_set(err, "%s: NUL byte in the file", path);
	}
	int rc = rules_eval_string(r, path, data, out, err);
	free(data);
	return rc;
}

static void print_cases(const struct rules *r, FILE *f, const char *head, const struct rules_eval_case *v,
			size_t n, int kind)
{
	if (!n)
		return;
	char s1[32], s2[32];
	fprintf(f, "\n%s (%zu):\n", head, n);
	for (size_t i = 0; i < n; i++) {
		const struct rules_eval_case *c = &v[i];
		fprintf(f, "  %s\t%s%s", c->id, c->lang, *c->lang ? "\t" : "");
		rules_score_str(c->score, s1, sizeof s1);
		rules_score_str(c->threshold, s2, sizeof s2);
		if (kind == 0) /* false positive */
			fprintf(f, "selected under %s (%s of %s)", c->got, s1, s2);
		else if (kind == 1 && c->vetoed) /* false negative */
			fprintf(f, "expected %s: thrown out by an exclude (%s scored %s of %s)", c->expected, c->best, s1, s2);
		else if (kind == 1 && strcmp(c->best, "-"))
			fprintf(f, "expected %s: not selected, the best topic %s scored %s of %s", c->expected,
				c->best, s1, s2);
		else if (kind == 1)
			fprintf(f, "expected %s: not selected, no topic scored", c->expected);
		else
			fprintf(f, "expected %s, got %s (%s of %s)", c->expected, c->got, s1, s2);
		fprintf(f, "\t%s\n      %s\n", c->title, c->why);
	}
	(void)r;
}

int rules_eval_print(const struct rules *r, const struct rules_eval *e, FILE *f)
{
	fprintf(f, "items %zu  tp %zu  fp %zu  fn %zu  tn %zu\n", e->n, e->tp, e->fp, e->fn, e->tn);
	fprintf(f, "precision %.3f  recall %.3f  F1 %.3f  topic accuracy %.3f (%zu/%zu)\n", e->precision,
		e->recall, e->f1, e->topic_accuracy, e->topic_correct, e->tp);
	if (e->nlangs > 1 || (e->nlangs == 1 && *e->langs[0].lang)) {
		fprintf(f, "\n%-8s %6s %4s %4s %4s %10s %7s %15s\n", "language", "items", "tp", "fp", "fn",
			"precision", "recall", "topic accuracy");
		for (size_t i = 0; i < e->nlangs; i++) {
			const struct rules_eval_counts *c = &e->langs[i].c;
			fprintf(f, "%-8s %6zu %4zu %4zu %4zu %10.3f %7.3f %9.3f (%zu/%zu)\n", e->langs[i].lang, c->n,
				c->tp, c->fp, c->fn, c->precision, c->recall, c->topic_accuracy, c->topic_correct, c->tp);
		}
	}
	if (e->ntopics) {
		fprintf(f, "\n%-16s %7s %7s %15s %10s\n", "topic", "labeled", "recall", "topic accuracy",
			"precision");
		for (size_t i = 0; i < e->ntopics; i++) {
			const struct rules_eval_topic *t = &e->topics[i];
			fprintf(f, "%-16s %7zu %7.3f %9.3f (%zu/%zu) %6.3f (%zu/%zu)\n", t->topic, t->labeled,
				t->recall, t->topic_accuracy, t->right, t->selected, t->precision,
				t->assigned_right, t->assigned);
		}
		fprintf(f, "(recall: labeled items selected; topic accuracy: of those, under their topic;\n"
			   " precision: items the rules put under the topic that are labeled with it)\n");
	}
	print_cases(r, f, "false positives", e->fps, e->nfp, 0);
	print_cases(r, f, "false negatives", e->fns, e->nfn, 1);
	print_cases(r, f, "topic mismatches", e->mismatches, e->nmismatch, 2);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
