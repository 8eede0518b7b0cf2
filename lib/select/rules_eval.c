#include "select/rules_eval.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

#define EVAL_MAX_FILE (64L * 1024 * 1024)

enum { COL_ID, COL_LABEL, COL_TOPIC, COL_TITLE, COL_SUMMARY, COL_N_ };
static const char *const col_names[COL_N_] = {"id", "label", "topic", "title", "summary"};

static void case_free(struct rules_eval_case *c)
{
	free(c->id);
	free(c->title);
	free(c->expected);
	free(c->got);
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
	free(e->fps);
	free(e->fns);
	free(e->mismatches);
	memset(e, 0, sizeof *e);
}

static int push_case(struct rules_eval_case **v, size_t *n, const char *id, const char *title,
		     const char *expected, const char *got, const struct match *m)
{
	/* Grows one at a time: these lists are short by design. */
	struct rules_eval_case *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	struct rules_eval_case *c = &nv[*n];
	c->id = strdup(id);
	c->title = strdup(title);
	c->expected = strdup(expected);
	c->got = strdup(got);
	c->score = m->score;
	c->vetoed = m->vetoed;
	if (!c->id || !c->title || !c->expected || !c->got) {
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

#define MAX_COLS 32

int rules_eval_string(const struct rules *r, const char *name, const char *text,
		      struct rules_eval *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	if (!name)
		name = "(tsv)";
	char *copy = strdup(text);
	if (!copy)
		return err_set(err, "%s: out of memory", name);
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
				if (col[c] < 0) {
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
		const char *id = f[col[COL_ID]], *lab = f[col[COL_LABEL]], *topic = f[col[COL_TOPIC]];
		if (strcmp(lab, "0") != 0 && strcmp(lab, "1") != 0) {
			rc = err_set(err, "%s:%u: label must be 0 or 1, not '%.40s'", name, lineno, lab);
			break;
		}
		int label = lab[0] == '1';
		struct item it = {0};
		it.key = f[col[COL_ID]];
		it.title = f[col[COL_TITLE]];
		it.summary = f[col[COL_SUMMARY]];
		struct match m;
		struct err merr;
		if (rules_match(r, &it, &m, &merr) < 0) {
			rc = err_set(err, "%s:%u: %s", name, lineno, merr.msg);
			break;
		}
		const char *got = m.topic >= 0 ? rules_topic_id(r, (size_t)m.topic) : "-";
		int pushed = 0;
		out->n++;
		if (m.selected && label) {
			out->tp++;
			if (strcmp(got, topic) == 0)
				out->topic_correct++;
			else
				pushed = push_case(&out->mismatches, &out->nmismatch, id, it.title, topic, got, &m);
		} else if (m.selected) {
			out->fp++;
			pushed = push_case(&out->fps, &out->nfp, id, it.title, topic, got, &m);
		} else if (label) {
			out->fn++;
			pushed = push_case(&out->fns, &out->nfn, id, it.title, topic, got, &m);
		} else {
			out->tn++;
		}
		match_free(&m);
		if (pushed < 0) {
			rc = err_set(err, "%s:%u: out of memory", name, lineno);
			break;
		}
	}
	if (rc == 0 && ncols == 0)
		rc = err_set(err, "%s:1: empty file: no header", name);
	free(copy);
	if (rc < 0) {
		rules_eval_free(out);
		return rc;
	}
	out->precision = ratio(out->tp, out->tp + out->fp);
	out->recall = ratio(out->tp, out->tp + out->fn);
	out->f1 = out->precision + out->recall > 0
			  ? 2 * out->precision * out->recall / (out->precision + out->recall)
			  : 0.0;
	out->topic_accuracy = ratio(out->topic_correct, out->tp);
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

static void print_cases(FILE *f, const char *head, const struct rules_eval_case *v, size_t n)
{
	if (!n)
		return;
	fprintf(f, "%s (%zu):\n", head, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %s\texpected %s, got %s (score %g%s)\t%s\n", v[i].id, v[i].expected, v[i].got,
			v[i].score, v[i].vetoed ? ", vetoed" : "", v[i].title);
}

int rules_eval_print(const struct rules_eval *e, FILE *f)
{
	fprintf(f, "items %zu  tp %zu  fp %zu  fn %zu  tn %zu\n", e->n, e->tp, e->fp, e->fn, e->tn);
	fprintf(f, "precision %.3f  recall %.3f  F1 %.3f  topic accuracy %.3f (%zu/%zu)\n", e->precision,
		e->recall, e->f1, e->topic_accuracy, e->topic_correct, e->tp);
	print_cases(f, "false positives", e->fps, e->nfp);
	print_cases(f, "false negatives", e->fns, e->nfn);
	print_cases(f, "topic mismatches", e->mismatches, e->nmismatch);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
