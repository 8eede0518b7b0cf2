#include "core/diff.h"
#include "core/hash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* ---- tokens ---------------------------------------------------------------- */

static int seq_push(struct diff_seq *q, size_t *cap, const char *s, size_t len)
{
	if (q->n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		const char **ns = realloc(q->s, c * sizeof *ns);
		if (!ns)
			return -1;
		q->s = ns;
		size_t *nl = realloc(q->len, c * sizeof *nl);
		if (!nl)
			return -1;
		q->len = nl;
		*cap = c;
	}
	q->s[q->n] = s;
	q->len[q->n++] = len;
	q->bytes += len;
	return 0;
}

int diff_split_lines(const char *text, size_t len, struct diff_seq *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;
		if (seq_push(out, &cap, text + i, e - i) < 0)
			goto oom;
		i = e + 1;
	}
	return 0;
oom:
	diff_seq_free(out);
	return -1;
}

static int is_word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int diff_split_words(const char *text, size_t len, struct diff_seq *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i + 1;
		if (is_word_byte((unsigned char)text[i]))
			while (e < len && is_word_byte((unsigned char)text[e]))
				e++;
		if (seq_push(out, &cap, text + i, e - i) < 0) {
			diff_seq_free(out);
			return -1;
		}
		i = e;
	}
	return 0;
}

void diff_seq_free(struct diff_seq *q)
{
	free(q->s);
	free(q->len);
	memset(q, 0, sizeof *q);
}

/* ---- the search ------------------------------------------------------------ */

struct ctx {
	const uint32_t *a, *b;   /* token ids: equal tokens, equal ids */
	const size_t *alen, *blen;
	struct diff *d;
	size_t max_cost;
	/* patience: per id, counts and the one position on each side */
	uint32_t *cnt_a, *cnt_b;
	size_t *pos_b;
	int oom;
};

static void emit(struct ctx *c, enum diff_op op, size_t a, size_t b, size_t n)
{
	if (!n || c->oom)
		return;
	struct diff *d = c->d;
	if (op == DIFF_SAME) {
		d->same += n;
		for (size_t i = 0; i < n; i++)
			d->same_bytes += c->alen[a + i];
	} else if (op == DIFF_DEL) {
		d->del += n;
	} else {
		d->add += n;
	}
	if (d->n) {
		struct diff_run *last = &d->v[d->n - 1];
		if (last->op == op) {
			last->n += n;
			return;
		}
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct diff_run *v = realloc(d->v, cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = (struct diff_run){op, a, b, n};
}

/* Both sides changed: removed first, then added. */
static void emit_replace(struct ctx *c, size_t a0, size_t a1, size_t b0, size_t b1)
{
	emit(c, DIFF_DEL, a0, b0, a1 - a0);
	emit(c, DIFF_ADD, a1, b0, b1 - b0);
}

/* Myers' greedy forward search over a[a0..a1) and b[b0..b1), which share
 * no first or last token; each step's frontier is kept for the way back.
 * Returns 0, 1 when the cost bound was reached, -1 out of memory. */
static int myers(struct ctx *c, size_t a0, size_t a1, size_t b0, size_t b1)
{
	long n = (long)(a1 - a0), m = (long)(b1 - b0);
	long max = (long)c->max_cost;
	if (max > n + m)
		max = n + m;
	/* trace[d] holds V[k] for k = -d..d at offset d*d + (k + d) */
	size_t total = (size_t)(max + 1) * (size_t)(max + 1);
	int32_t *trace = malloc(total * sizeof *trace);
	int32_t *v = malloc((size_t)(2 * max + 3) * sizeof *v);
	if (!trace || !v) {
		free(trace);
		free(v);
		return -1;
	}
	long off = max + 1, found = -1;
	v[off + 1] = 0;
	for (long d = 0; d <= max && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			long y = x - k;
			while (x < n && y < m && c->a[a0 + (size_t)x] == c->b[b0 + (size_t)y])
				x++, y++;
			v[off + k] = (int32_t)x;
			if (x >= n && y >= m)
				found = d;
		}
		int32_t *row = trace + (size_t)d * (size_t)d;
		for (long k = -d; k <= d; k++)
			row[k + d] = (k + d) % 2 == 0 ? v[off + k] : 0;
	}
	free(v);
	if (found < 0) {
		free(trace);
		return 1;
	}
	/* Back from (n, m): each step is one edit and the snake after it. */
	struct step {
		enum diff_op op;
		long x, y, snake; /* the edit's position, then snake tokens kept */
	} *steps = malloc((size_t)(found + 1) * sizeof *steps);
	if (!steps) {
		free(trace);
		return -1;
	}
	long x = n, y = m;
	for (long d = found; d > 0; d--) {
		const int32_t *prev = trace + (size_t)(d - 1) * (size_t)(d - 1);
		long k = x - y, pk;
		/* prev row holds k' = -(d-1)..d-1 at k' + d - 1 */
		if (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]))
			pk = k + 1;
		else
			pk = k - 1;
		long px = prev[pk + d - 1], py = px - pk;
		long sx = pk == k + 1 ? px : px + 1; /* after the edit */
		long sy = sx - k;
		steps[d] = (struct step){pk == k + 1 ? DIFF_ADD : DIFF_DEL, px, py, x - sx};
		(void)sy;
		x = px;
		y = py;
	}
	/* d = 0: the snake from the start */
	emit(c, DIFF_SAME, a0, b0, (size_t)x);
	for (long d = 1; d <= found; d++) {
		const struct step *s = &steps[d];
		long ex = s->x, ey = s->y;
		if (s->op == DIFF_ADD) {
			emit(c, DIFF_ADD, a0 + (size_t)ex, b0 + (size_t)ey, 1);
			ey++;
		} else {
			emit(c, DIFF_DEL, a0 + (size_t)ex, b0 + (size_t)ey, 1);
			ex++;
		}
		emit(c, DIFF_SAME, a0 + (size_t)ex, b0 + (size_t)ey, (size_t)s->snake);
	}
	free(steps);
	free(trace);
	return 0;
}

/* Longest increasing run of b positions among the candidate pairs (in a
 * order): the anchors. Returns their count, written over cand. */
struct pair {
	size_t a, b;
};

static size_t lis(struct pair *cand, size_t k)
{
	if (!k)
		return 0;
	size_t *tail = malloc(k * sizeof *tail), *prev = malloc(k * sizeof *prev);
	struct pair *tmp = malloc(k * sizeof *tmp);
	if (!tail || !prev || !tmp) {
		free(tail);
		free(prev);
		free(tmp);
		return 0; /* no anchors: Myers alone (bounded) */
	}
	size_t len = 0;
	for (size_t i = 0; i < k; i++) {
		size_t lo = 0, hi = len;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cand[tail[mid]].b < cand[i].b)
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	size_t at = tail[len - 1];
	for (size_t i = len; i-- > 0;) {
		tmp[i] = cand[at];
		at = prev[at];
	}
	memcpy(cand, tmp, len * sizeof *tmp);
	free(tail);
	free(prev);
	free(tmp);
	return len;
}

#define MAX_DEPTH 48

static void diff_range(struct ctx *c, size_t a0, size_t a1, size_t b0, size_t b1, int depth)
{
	if (c->oom)
		return;
	size_t p = 0;
	while (a0 + p < a1 && b0 + p < b1 && c->a[a0 + p] == c->b[b0 + p])
		p++;
	emit(c, DIFF_SAME, a0, b0, p);
	a0 += p;
	b0 += p;
	size_t s = 0;
	while (a1 - s > a0 && b1 - s > b0 && c->a[a1 - 1 - s] == c->b[b1 - 1 - s])
		s++;
	a1 -= s;
	b1 -= s;
	if (a0 == a1 || b0 == b1) {
		emit_replace(c, a0, a1, b0, b1);
	} else {
		/* Patience: tokens once on each side anchor the rest. */
		size_t k = 0, nanch = 0;
		struct pair *cand = NULL;
		if (depth < MAX_DEPTH) {
			for (size_t i = a0; i < a1; i++)
				c->cnt_a[c->a[i]]++;
			for (size_t j = b0; j < b1; j++) {
				c->cnt_b[c->b[j]]++;
				c->pos_b[c->b[j]] = j;
			}
			size_t cands = 0;
			for (size_t i = a0; i < a1; i++)
				cands += c->cnt_a[c->a[i]] == 1 && c->cnt_b[c->a[i]] == 1;
			cand = cands ? malloc(cands * sizeof *cand) : NULL;
			for (size_t i = a0; cand && i < a1; i++)
				if (c->cnt_a[c->a[i]] == 1 && c->cnt_b[c->a[i]] == 1)
					cand[k++] = (struct pair){i, c->pos_b[c->a[i]]};
			for (size_t i = a0; i < a1; i++)
				c->cnt_a[c->a[i]] = 0;
			for (size_t j = b0; j < b1; j++)
				c->cnt_b[c->b[j]] = 0;
			nanch = lis(cand, k);
		}
		if (nanch) {
			size_t pa = a0, pb = b0;
			for (size_t i = 0; i < nanch; i++) {
				diff_range(c, pa, cand[i].a, pb, cand[i].b, depth + 1);
				emit(c, DIFF_SAME, cand[i].a, cand[i].b, 1);
				pa = cand[i].a + 1;
				pb = cand[i].b + 1;
			}
			diff_range(c, pa, a1, pb, b1, depth + 1);
		} else {
			int r = myers(c, a0, a1, b0, b1);
			if (r < 0)
				c->oom = 1;
			else if (r > 0) {
				c->d->gave_up = 1;
				emit_replace(c, a0, a1, b0, b1);
			}
		}
		free(cand);
	}
	emit(c, DIFF_SAME, a1, b1, s);
}

/* Equal tokens get equal ids (open addressing on an FNV-1a hash). */
static uint32_t *intern(const struct diff_seq *q, const char **keys, size_t *klen,
			uint32_t *slots, size_t mask, uint32_t *nid, int *oom)
{
	uint32_t *ids = malloc((q->n + 1) * sizeof *ids);
	if (!ids) {
		*oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < q->n; i++) {
		uint64_t h = fnv1a(FNV1A_INIT, q->s[i], q->len[i]);
		size_t at = (size_t)h & mask;
		for (;;) {
			uint32_t id = slots[at];
			if (id == UINT32_MAX) {
				id = (*nid)++;
				slots[at] = id;
				keys[id] = q->s[i];
				klen[id] = q->len[i];
				ids[i] = id;
				break;
			}
			if (klen[id] == q->len[i] && !memcmp(keys[id], q->s[i], q->len[i])) {
				ids[i] = id;
				break;
			}
			at = (at + 1) & mask;
		}
	}
	return ids;
}

int diff_compute(const struct diff_seq *a, const struct diff_seq *b, size_t max_cost,
		 struct diff *out)
{
	memset(out, 0, sizeof *out);
	size_t total = a->n + b->n;
	if (total >= UINT32_MAX / 2)
		return -1;
	size_t cap = 16;
	while (cap < 2 * total + 2)
		cap *= 2;
	uint32_t *slots = malloc(cap * sizeof *slots);
	const char **keys = malloc((total + 1) * sizeof *keys);
	size_t *klen = malloc((total + 1) * sizeof *klen);
	uint32_t *ia = NULL, *ib = NULL, nid = 0;
	struct ctx c = {.d = out, .max_cost = max_cost ? max_cost : DIFF_MAX_COST,
			.alen = a->len, .blen = b->len};
	int oom = !slots || !keys || !klen;
	if (!oom) {
		memset(slots, 0xff, cap * sizeof *slots);
		ia = intern(a, keys, klen, slots, cap - 1, &nid, &oom);
		if (!oom)
			ib = intern(b, keys, klen, slots, cap - 1, &nid, &oom);
	}
	free(slots);
	free(keys);
	free(klen);
	if (!oom) {
		c.cnt_a = calloc(nid + 1, sizeof *c.cnt_a);
		c.cnt_b = calloc(nid + 1, sizeof *c.cnt_b);
		c.pos_b = calloc(nid + 1, sizeof *c.pos_b);
		oom = !c.cnt_a || !c.cnt_b || !c.pos_b;
	}
	if (!oom) {
		c.a = ia;
		c.b = ib;
		diff_range(&c, 0, a->n, 0, b->n, 0);
		oom = c.oom;
	}
	free(c.cnt_a);
	free(c.cnt_b);
	free(c.pos_b);
	free(ia);
	free(ib);
	if (oom) {
		diff_free(out);
		return -1;
	}
	return 0;
}

void diff_free(struct diff *d)
{
	free(d->v);
	memset(d, 0, sizeof *d);
}

double diff_similarity(const struct diff_seq *a, const struct diff_seq *b, const struct diff *d)
{
	size_t all = a->bytes + b->bytes;
	if (!all)
		return a->n == b->n ? 1.0 : 0.0;
	return 2.0 * (double)d->same_bytes / (double)all;
}

/* ---- unified output --------------------------------------------------------- */

static void put_lines(struct buf *out, char mark, const struct diff_seq *q, size_t at, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_putc(out, mark);
		buf_append(out, q->s[at + i], q->len[at + i]);
		buf_putc(out, '\n');
	}
}

/* diff -u writes an empty range as "l,0" with l the line before it. */
static void put_range(struct buf *out, char sign, size_t start, size_t n)
{
	if (n == 1)
		buf_printf(out, " %c%zu", sign, start + 1);
	else
		buf_printf(out, " %c%zu,%zu", sign, n ? start + 1 : start, n);
}

int diff_unified(struct buf *out, const struct diff_seq *a, const struct diff_seq *b,
		 const struct diff *d, size_t context, const char *label_a, const char *label_b)
{
	if (!d->del && !d->add)
		return 0;
	buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
	size_t i = 0;
	while (i < d->n) {
		/* the next change, and the runs its hunk reaches */
		while (i < d->n && d->v[i].op == DIFF_SAME)
			i++;
		if (i >= d->n)
			break;
		size_t first = i, last = i;
		for (size_t j = i + 1; j < d->n; j++) {
			if (d->v[j].op != DIFF_SAME) {
				last = j;
				continue;
			}
			if (j + 1 < d->n && d->v[j].n <= 2 * context)
				continue; /* a short common run joins two changes */
			break;
		}
		const struct diff_run *f = &d->v[first];
		size_t lead = 0;
		if (first > 0)
			lead = d->v[first - 1].n < context ? d->v[first - 1].n : context;
		size_t trail = 0;
		if (last + 1 < d->n)
			trail = d->v[last + 1].n < context ? d->v[last + 1].n : context;
		size_t sa = f->a - lead, sb = f->b - lead, na = lead + trail, nb = lead + trail;
		for (size_t j = first; j <= last; j++) {
			if (d->v[j].op != DIFF_ADD)
				na += d->v[j].n;
			if (d->v[j].op != DIFF_DEL)
				nb += d->v[j].n;
		}
		buf_puts(out, "@@");
		put_range(out, '-', sa, na);
		put_range(out, '+', sb, nb);
		buf_puts(out, " @@\n");
		put_lines(out, ' ', a, sa, lead);
		for (size_t j = first; j <= last; j++) {
			const struct diff_run *r = &d->v[j];
			if (r->op == DIFF_SAME)
				put_lines(out, ' ', a, r->a, r->n);
			else if (r->op == DIFF_DEL)
				put_lines(out, '-', a, r->a, r->n);
			else
				put_lines(out, '+', b, r->b, r->n);
		}
		if (last + 1 < d->n)
			put_lines(out, ' ', a, d->v[last + 1].a, trail);
		i = last + 1;
	}
	return buf_failed(out) ? -1 : 0;
}
