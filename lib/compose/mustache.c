/* Mustache renderer. A template is scanned into a flat token array; the
 * standalone-line pass then marks which whitespace disappears, and sections
 * become ranges of that array (close = index of the matching end tag), so
 * the tree needs no per-node allocation. Indentation of standalone partials
 * and of inheritance blocks is applied while rendering (a frame's indent is
 * written at each template line start), so one parsed partial serves every
 * indentation it is used with. */
#include "compose/mustache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64            /* nested partials/parents: stops self-inclusion */
#define MAX_SECTIONS 100        /* sections nested in one template: rendering
				 * recurses once per level, so 85,000 levels
				 * overflowed the stack */
#define MAX_NEST 1000           /* levels of render() through partials too */
#define MAX_EXPANSIONS 100000   /* partials per render: stops {{>a}}{{>a}} doubling */
#define MAX_DELIM 32

enum ttype {
	T_TEXT,
	T_VAR,      /* {{x}} */
	T_RAW,      /* {{{x}}} {{&x}} */
	T_SECTION,  /* {{#x}} */
	T_INVERTED, /* {{^x}} */
	T_CLOSE,    /* {{/x}} */
	T_COMMENT,  /* {{!x}} */
	T_PARTIAL,  /* {{>x}} */
	T_DELIM,    /* {{=a b=}} */
	T_PARENT,   /* {{<x}} */
	T_BLOCK     /* {{$x}} */
};

struct tok {
	enum ttype type;
	const char *s; /* text, or the tag's name */
	size_t len;
	size_t start, end; /* the whole tag in the source */
	int line, col;
	unsigned removed : 1;    /* whitespace of a standalone line */
	unsigned bol : 1;        /* text starting at a source line start */
	unsigned standalone : 1; /* tag on a standalone line */
	unsigned dynamic : 1;    /* {{>*name}}: the name is looked up in the data */
	size_t ws, wslen;        /* standalone: leading whitespace of its line */
	size_t lstart, lend;     /* standalone: the line's extent (incl. newline) */
	size_t close;            /* sections, parents, blocks: index of end tag */
	size_t dedent;           /* blocks: common indentation of the body */
};

struct tmpl {
	const char *src;
	size_t srclen;
	struct tok *t;
	size_t n, cap;
};

static void tmpl_free(struct tmpl *t)
{
	free(t->t);
	t->t = NULL;
	t->n = t->cap = 0;
}

/* Incremental byte offset → line:col (columns count UTF-8 characters). */
struct cursor {
	const char *src;
	size_t pos;
	int line, col;
};

static void cursor_at(struct cursor *c, size_t pos, int *line, int *col)
{
	for (; c->pos < pos; c->pos++) {
		unsigned char ch = (unsigned char)c->src[c->pos];
		if (ch == '\n') {
			c->line++;
			c->col = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c->col++;
		}
	}
	*line = c->line;
	*col = c->col;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_blank(char c) { return c == ' ' || c == '\t'; }

static void trim(const char **s, size_t *len)
{
	while (*len && is_ws(**s))
		(*s)++, (*len)--;
	while (*len && is_ws((*s)[*len - 1]))
		(*len)--;
}

static struct tok *push_tok(struct tmpl *t, enum ttype type)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tok *p = realloc(t->t, cap * sizeof *p);
		if (!p)
			return NULL;
		t->t = p;
		t->cap = cap;
	}
	struct tok *k = &t->t[t->n++];
	memset(k, 0, sizeof *k);
	k->type = type;
	return k;
}

/* Text is split after each newline so that a line is a run of tokens. */
static int push_text(struct tmpl *t, size_t from, size_t to)
{
	while (from < to) {
		const char *nl = memchr(t->src + from, '\n', to - from);
		size_t stop = nl ? (size_t)(nl - t->src) + 1 : to;
		struct tok *k = push_tok(t, T_TEXT);
		if (!k)
			return -1;
		k->s = t->src + from;
		k->len = stop - from;
		k->start = from;
		k->end = stop;
		k->bol = from == 0 || t->src[from - 1] == '\n';
		from = stop;
	}
	return 0;
}

/* "{{=<% %>=}}": two non-empty delimiters without whitespace or '='. */
static int set_delims(const char *s, size_t len, char *otag, char *ctag)
{
	trim(&s, &len);
	size_t a = 0;
	while (a < len && !is_ws(s[a]))
		a++;
	size_t b = a;
	while (b < len && is_ws(s[b]))
		b++;
	if (a == 0 || b == len || a >= MAX_DELIM || len - b >= MAX_DELIM)
		return -1;
	for (size_t i = b; i < len; i++)
		if (is_ws(s[i]))
			return -1;
	if (memchr(s, '=', a) || memchr(s + b, '=', len - b))
		return -1;
	memcpy(otag, s, a);
	otag[a] = '\0';
	memcpy(ctag, s + b, len - b);
	ctag[len - b] = '\0';
	return 0;
}

static int scan(struct tmpl *t, struct err *err)
{
	char otag[MAX_DELIM] = "{{", ctag[MAX_DELIM] = "}}";
	const char *src = t->src;
	size_t len = t->srclen, pos = 0;
	struct cursor cur = {src, 0, 1, 1};
	while (pos < len) {
		size_t ol = strlen(otag);
		const char *o = memmem(src + pos, len - pos, otag, ol);
		if (!o)
			return push_text(t, pos, len) ? err_set(err, "out of memory") : 0;
		size_t tstart = (size_t)(o - src);
		if (push_text(t, pos, tstart))
			return err_set(err, "out of memory");
		int line, col;
		cursor_at(&cur, tstart, &line, &col);
		size_t c = tstart + ol;
		enum ttype type = T_VAR;
		char end[MAX_DELIM + 1];
		snprintf(end, sizeof end, "%s", ctag);
		if (c < len) {
			switch (src[c]) {
			case '#': type = T_SECTION; break;
			case '^': type = T_INVERTED; break;
			case '/': type = T_CLOSE; break;
			case '!': type = T_COMMENT; break;
			case '>': type = T_PARTIAL; break;
			case '<': type = T_PARENT; break;
			case '$': type = T_BLOCK; break;
			case '&': type = T_RAW; break;
			case '{':
				type = T_RAW;
				snprintf(end, sizeof end, "}%s", ctag);
				break;
			case '=':
				type = T_DELIM;
				snprintf(end, sizeof end, "=%s", ctag);
				break;
			default: c--; break; /* no sigil */
			}
			c++;
		}
		size_t el = strlen(end);
		const char *e = c <= len ? memmem(src + c, len - c, end, el) : NULL;
		if (!e)
			return err_set(err, "%d:%d: unclosed tag (no \"%s\" after \"%s\")", line, col, end, otag);
		const char *name = src + c;
		size_t nlen = (size_t)(e - name);
		pos = (size_t)(e - src) + el;
		if (type == T_DELIM) {
			if (set_delims(name, nlen, otag, ctag))
				return err_set(err, "%d:%d: bad set-delimiter tag", line, col);
		} else if (type != T_COMMENT) {
			trim(&name, &nlen);
			if (nlen == 0)
				return err_set(err, "%d:%d: empty tag", line, col);
		}
		struct tok *k = push_tok(t, type);
		if (!k)
			return err_set(err, "out of memory");
		if ((type == T_PARTIAL || type == T_PARENT) && name[0] == '*') {
			k->dynamic = 1;
			name++, nlen--;
			trim(&name, &nlen);
			if (nlen == 0)
				return err_set(err, "%d:%d: empty tag", line, col);
		}
		k->s = name;
		k->len = nlen;
		k->start = tstart;
		k->end = pos;
		k->line = line;
		k->col = col;
	}
	return 0;
}

static int can_stand_alone(enum ttype ty) { return ty != T_TEXT && ty != T_VAR && ty != T_RAW; }

/* A line holding only whitespace and non-interpolation tags loses its
 * whitespace and newline. A block opened and closed on one such line keeps
 * its newline (the block's content is inserted there, like inline text). */
static void standalone(struct tmpl *t)
{
	size_t i = 0;
	while (i < t->n) {
		size_t j = i, ntags = 0;
		int ok = 1;
		for (;; j++) {
			struct tok *k = &t->t[j];
			if (k->type == T_TEXT) {
				for (size_t x = 0; x < k->len; x++)
					if (!is_ws(k->s[x]) || (k->s[x] == '\r' && x + 2 != k->len) ||
					    (k->s[x] == '\n' && x + 1 != k->len))
						ok = 0;
			} else if (can_stand_alone(k->type)) {
				ntags++;
			} else {
				ok = 0;
			}
			if (j + 1 == t->n || (k->type == T_TEXT && k->s[k->len - 1] == '\n'))
				break;
		}
		if (ok && ntags) {
			size_t ws = t->t[i].start, wslen = 0;
			if (t->t[i].type == T_TEXT)
				wslen = t->t[i].len;
			for (size_t x = i; x <= j; x++) {
				struct tok *k = &t->t[x];
				if (k->type == T_TEXT) {
					k->removed = 1;
					continue;
				}
				k->standalone = 1;
				k->ws = ws;
				k->wslen = wslen;
				k->lstart = t->t[i].start;
				k->lend = t->t[j].end;
			}
			struct tok *last = &t->t[j];
			if (ntags == 2 && last->type == T_TEXT && last->s[last->len - 1] == '\n') {
				size_t a = i + (t->t[i].type == T_TEXT);
				if (t->t[a].type == T_BLOCK && a + 1 < j && t->t[a + 1].type == T_CLOSE &&
				    t->t[a].len == t->t[a + 1].len && !memcmp(t->t[a].s, t->t[a + 1].s, t->t[a].len)) {
					size_t nl = last->len >= 2 && last->s[last->len - 2] == '\r' ? 2 : 1;
					last->removed = 0;
					last->s += last->len - nl;
					last->start = last->end - nl;
					last->len = nl;
					last->bol = 0;
				}
			}
		}
		i = j + 1;
	}
}

/* The common leading blanks of the non-blank lines of src[from, to). */
static size_t common_indent(const char *src, size_t from, size_t to)
{
	size_t best = SIZE_MAX;
	const char *first = NULL;
	size_t p = from;
	while (p < to) {
		size_t q = p;
		while (q < to && is_blank(src[q]))
			q++;
		if (q < to && src[q] != '\n' && src[q] != '\r') {
			size_t n = q - p;
			if (!first) {
				first = src + p;
				best = n;
			} else {
				size_t m = 0;
				while (m < n && m < best && src[p + m] == first[m])
					m++;
				best = m;
			}
		}
		const char *nl = memchr(src + q, '\n', to - q);
		p = nl ? (size_t)(nl - src) + 1 : to;
	}
	return best == SIZE_MAX ? 0 : best;
}

static int pair_sections(struct tmpl *t, struct err *err)
{
	size_t *open = NULL, nopen = 0;
	if (t->n && !(open = malloc(t->n * sizeof *open)))
		return err_set(err, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct tok *k = &t->t[i];
		if (k->type == T_SECTION || k->type == T_INVERTED || k->type == T_PARENT || k->type == T_BLOCK) {
			if (nopen == MAX_SECTIONS) {
				rc = err_set(err, "%d:%d: sections nested deeper than %d levels (\"%.*s\")",
					     k->line, k->col, MAX_SECTIONS, (int)(k->len > 64 ? 64 : k->len), k->s);
				break;
			}
			open[nopen++] = i;
		} else if (k->type == T_CLOSE) {
			if (!nopen) {
				rc = err_set(err, "%d:%d: closing tag \"%.*s\" without an open section", k->line,
					     k->col, (int)k->len, k->s);
				break;
			}
			struct tok *o = &t->t[open[--nopen]];
			const char *cs = k->s;
			size_t clen = k->len;
			if (o->dynamic && clen && cs[0] == '*') { /* a dynamic parent may be closed as {{/ *name}} */
				cs++, clen--;
				trim(&cs, &clen);
			}
			if (o->len != clen || memcmp(o->s, cs, clen)) {
				rc = err_set(err, "%d:%d: closing tag \"%.*s\" does not match section \"%.*s\" opened at %d:%d",
					     k->line, k->col, (int)k->len, k->s, (int)o->len, o->s, o->line, o->col);
				break;
			}
			o->close = i;
			if (o->type == T_BLOCK && o->standalone) {
				size_t from = o->lend, to = k->standalone ? k->lstart : k->start;
				o->dedent = from < to ? common_indent(t->src, from, to) : 0;
			}
		}
	}
	if (!rc && nopen) {
		struct tok *o = &t->t[open[nopen - 1]];
		rc = err_set(err, "%d:%d: unclosed section \"%.*s\"", o->line, o->col, (int)o->len, o->s);
	}
	free(open);
	return rc;
}

static int parse(const char *src, struct tmpl *t, struct err *err)
{
	memset(t, 0, sizeof *t);
	t->src = src;
	t->srclen = strlen(src);
	if (scan(t, err) || (standalone(t), pair_sections(t, err))) {
		tmpl_free(t);
		return -1;
	}
	return 0;
}

/* ---- rendering ---- */

struct pcache {
	char *name;
	struct tmpl t;
	struct pcache *next;
};

struct ovr { /* a parent tag whose blocks override its template's */
	const struct tmpl *t;
	size_t idx;
};

struct frame {
	const char *indent;
	size_t indent_len;
	size_t strip; /* blanks removed at each template line start */
};

struct rctx {
	const struct mustache_opts *opts;
	struct buf *out;
	struct err *err;
	const json_t **stack;
	size_t nstack, capstack;
	struct ovr *ovr;
	size_t novr, capovr;
	struct pcache *cache;
	int pending; /* at a template line start: the indent is due */
	int depth;
	int nest; /* render() calls open now */
	unsigned long expansions;
	const char *cur_name; /* partial being rendered, NULL at top level */
	size_t cur_name_len;
	int top_line, top_col; /* the top-level tag that led into partials */
};

static int rerr(struct rctx *r, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int rerr(struct rctx *r, int line, int col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->depth == 0)
		return err_set(r->err, "%d:%d: %s", line, col, msg);
	return err_set(r->err, "%d:%d: in partial \"%.*s\" at %d:%d: %s", r->top_line, r->top_col,
		       (int)r->cur_name_len, r->cur_name, line, col, msg);
}

static int oom(struct rctx *r) { return err_set(r->err, "out of memory"); }

static int push_ctx(struct rctx *r, const json_t *v)
{
	if (r->nstack == r->capstack) {
		size_t cap = r->capstack ? r->capstack * 2 : 16;
		const json_t **p = realloc(r->stack, cap * sizeof *p);
		if (!p)
			return oom(r);
		r->stack = p;
		r->capstack = cap;
	}
	r->stack[r->nstack++] = v;
	return 0;
}

/* Spec name resolution: "." is the top; otherwise the first part is found
 * in the nearest context that has it, the rest only inside that value. */
static const json_t *lookup(const struct rctx *r, const char *name, size_t len)
{
	if (len == 1 && name[0] == '.')
		return r->nstack ? r->stack[r->nstack - 1] : NULL;
	const char *dot = memchr(name, '.', len);
	size_t seg = dot ? (size_t)(dot - name) : len;
	const json_t *v = NULL;
	for (size_t i = r->nstack; i-- > 0;) {
		if (json_is_object(r->stack[i]) && (v = json_object_getn(r->stack[i], name, seg)))
			break;
	}
	while (v && dot) {
		name = dot + 1;
		len -= seg + 1;
		dot = memchr(name, '.', len);
		seg = dot ? (size_t)(dot - name) : len;
		v = json_is_object(v) ? json_object_getn(v, name, seg) : NULL;
	}
	return v;
}

/* JavaScript truthiness, as the spec's `!!data` suggests: false, null,
 * missing, "", 0 and [] are falsey. */
static int truthy(const json_t *v)
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE: return 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	default: return 1;
	}
}

/* Shortest %g form that reads back as the same double: 1.21 → "1.21". */
static void format_real(double d, char *s, size_t n)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, n, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			return;
	}
}

static int emit_indent(struct rctx *r, const struct frame *f)
{
	r->pending = 0;
	return f->indent_len ? buf_append(r->out, f->indent, f->indent_len) : 0;
}

static int emit_value(struct rctx *r, const struct frame *f, const json_t *v, int escape)
{
	char num[64];
	const char *s = NULL;
	size_t n = 0;
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num, n = strlen(num);
		break;
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof num);
		s = num, n = strlen(num);
		break;
	case JSON_TRUE: s = "true", n = 4; break;
	case JSON_FALSE: s = "false", n = 5; break;
	default: return 0; /* null, objects and arrays print nothing */
	}
	if (n == 0)
		return 0;
	if (r->pending && emit_indent(r, f))
		return oom(r);
	if (!escape)
		return buf_append(r->out, s, n) ? oom(r) : 0;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if (buf_append(r->out, s + run, i - run) || buf_puts(r->out, rep))
			return oom(r);
		run = i + 1;
	}
	return buf_append(r->out, s + run, n - run) ? oom(r) : 0;
}

static int emit_text(struct rctx *r, const struct frame *f, const struct tok *k)
{
	const char *s = k->s;
	size_t n = k->len;
	if (k->bol)
		for (size_t i = 0; i < f->strip && n && is_blank(*s); i++)
			s++, n--;
	if (n == 0)
		return 0;
	/* No indent on empty lines: trailing blanks mean a hard break in Markdown. */
	if (r->pending && !(s[0] == '\n' || (s[0] == '\r' && n == 2)) && emit_indent(r, f))
		return oom(r);
	if (buf_append(r->out, s, n))
		return oom(r);
	r->pending = s[n - 1] == '\n';
	return 0;
}

static int render(struct rctx *r, const struct tmpl *t, size_t from, size_t to, const struct frame *f);

/* A frame for content placed at a standalone tag's site: the site's own
 * indentation (less what its frame strips) adds to the frame's indent. */
static int sub_frame(struct rctx *r, const struct frame *f, const char *ind, size_t indlen,
		     size_t strip, struct frame *nf, struct buf *store)
{
	for (size_t i = 0; i < f->strip && indlen; i++)
		ind++, indlen--;
	nf->strip = strip;
	if (!indlen) {
		nf->indent = f->indent;
		nf->indent_len = f->indent_len;
		return 0;
	}
	if (buf_append(store, f->indent, f->indent_len) || buf_append(store, ind, indlen))
		return oom(r);
	nf->indent = store->data;
	nf->indent_len = store->len;
	return 0;
}

static int get_partial(struct rctx *r, const struct tok *k, const char *name, size_t nlen,
		       const struct tmpl **out)
{
	for (struct pcache *c = r->cache; c; c = c->next)
		if (strlen(c->name) == nlen && !memcmp(c->name, name, nlen)) {
			*out = &c->t;
			return 0;
		}
	struct pcache *c = calloc(1, sizeof *c);
	if (!c || !(c->name = strndup(name, nlen))) {
		free(c);
		return oom(r);
	}
	/* A missing partial renders as empty, so it is cached as "". */
	const char *src = r->opts && r->opts->partial ? r->opts->partial(r->opts->partial_ctx, c->name) : NULL;
	struct err perr;
	if (parse(src ? src : "", &c->t, &perr)) {
		free(c->name);
		free(c);
		return err_set(r->err, "%d:%d: in partial \"%.*s\": %s", r->depth ? r->top_line : k->line,
			       r->depth ? r->top_col : k->col, (int)nlen, name, perr.msg);
	}
	c->next = r->cache;
	r->cache = c;
	*out = &c->t;
	return 0;
}

/* Partials and parents: an external template at this tag, with the tag's
 * standalone indentation. */
static int expand(struct rctx *r, const struct tmpl *t, const struct tok *k, size_t i, const struct frame *f)
{
	const char *name = k->s;
	size_t nlen = k->len;
	if (k->dynamic) {
		const json_t *v = lookup(r, k->s, k->len);
		if (!json_is_string(v))
			return 0;
		name = json_string_value(v);
		nlen = json_string_length(v);
	}
	if (r->depth >= MAX_DEPTH)
		return rerr(r, k->line, k->col, "partials nested deeper than %d levels (\"%.*s\" includes itself?)",
			    MAX_DEPTH, (int)nlen, name);
	if (++r->expansions > MAX_EXPANSIONS)
		return rerr(r, k->line, k->col, "more than %d partial expansions", MAX_EXPANSIONS);
	const struct tmpl *p;
	if (get_partial(r, k, name, nlen, &p))
		return -1;
	struct frame nf;
	struct buf store = BUF_INIT;
	int rc = sub_frame(r, f, t->src + k->ws, k->standalone ? k->wslen : 0, 0, &nf, &store);
	if (rc == 0 && k->type == T_PARENT) {
		if (r->novr == r->capovr) {
			size_t cap = r->capovr ? r->capovr * 2 : 8;
			struct ovr *o = realloc(r->ovr, cap * sizeof *o);
			if (!o)
				rc = oom(r);
			else
				r->ovr = o, r->capovr = cap;
		}
		if (rc == 0)
			r->ovr[r->novr++] = (struct ovr){t, i};
	}
	if (rc == 0) {
		const char *saved = r->cur_name;
		size_t saved_len = r->cur_name_len;
		if (r->depth == 0)
			r->top_line = k->line, r->top_col = k->col;
		r->depth++;
		r->cur_name = name;
		r->cur_name_len = nlen;
		rc = render(r, p, 0, p->n, &nf);
		r->depth--;
		r->cur_name = saved;
		r->cur_name_len = saved_len;
		if (k->type == T_PARENT)
			r->novr--;
	}
	buf_free(&store);
	return rc;
}

/* A block renders the outermost override of its name, else its default. */
static int block(struct rctx *r, const struct tmpl *t, const struct tok *k, size_t i, const struct frame *f)
{
	const struct tmpl *bt = t;
	size_t bi = i;
	for (size_t o = 0; o < r->novr && bi == i; o++) {
		const struct tmpl *pt = r->ovr[o].t;
		const struct tok *p = &pt->t[r->ovr[o].idx];
		for (size_t j = r->ovr[o].idx + 1; j < p->close;) {
			const struct tok *b = &pt->t[j];
			if (b->type == T_BLOCK && b->len == k->len && !memcmp(b->s, k->s, k->len)) {
				bt = pt, bi = j;
				break;
			}
			j = (b->type == T_SECTION || b->type == T_INVERTED || b->type == T_PARENT ||
			     b->type == T_BLOCK) ? b->close + 1 : j + 1;
		}
	}
	const struct tok *b = &bt->t[bi];
	/* Where the block stands alone its indentation is that of its default
	 * content, or failing that the blanks before the tag. */
	const char *ind = NULL;
	size_t indlen = 0;
	if (k->standalone) {
		if (k->dedent) {
			size_t p = k->lend; /* the first non-blank line of the body */
			for (;;) {
				size_t q = p;
				while (is_blank(t->src[q]))
					q++;
				if (t->src[q] != '\n' && t->src[q] != '\r')
					break;
				p = q + 1;
			}
			ind = t->src + p, indlen = k->dedent;
		} else {
			ind = t->src + k->ws, indlen = k->wslen;
		}
	}
	struct frame nf;
	struct buf store = BUF_INIT;
	int rc = sub_frame(r, f, ind, indlen, b->dedent, &nf, &store);
	if (rc == 0)
		rc = render(r, bt, bi + 1, b->close, &nf);
	buf_free(&store);
	return rc;
}

static int render_range(struct rctx *r, const struct tmpl *t, size_t from, size_t to,
			const struct frame *f);

/* Each template is at most MAX_SECTIONS deep and partials MAX_DEPTH, but
 * the two multiply: this bounds the recursion whatever they combine to. */
static int render(struct rctx *r, const struct tmpl *t, size_t from, size_t to, const struct frame *f)
{
	if (r->nest >= MAX_NEST) {
		const struct tok *k = from > 0 ? &t->t[from - 1] : NULL; /* the opening tag */
		return rerr(r, k ? k->line : 1, k ? k->col : 1,
			    "sections and partials nested deeper than %d levels", MAX_NEST);
	}
	r->nest++;
	int rc = render_range(r, t, from, to, f);
	r->nest--;
	return rc;
}

static int render_range(struct rctx *r, const struct tmpl *t, size_t from, size_t to,
			const struct frame *f)
{
	for (size_t i = from; i < to;) {
		const struct tok *k = &t->t[i];
		size_t next = i + 1;
		const json_t *v;
		int rc = 0;
		switch (k->type) {
		case T_TEXT:
			if (!k->removed)
				rc = emit_text(r, f, k);
			break;
		case T_VAR:
		case T_RAW:
			rc = emit_value(r, f, lookup(r, k->s, k->len),
					k->type == T_VAR && !(r->opts && r->opts->no_escape));
			break;
		case T_SECTION:
			next = k->close + 1;
			v = lookup(r, k->s, k->len);
			if (!truthy(v))
				break;
			if (json_is_array(v)) {
				for (size_t x = 0; rc == 0 && x < json_array_size(v); x++) {
					if (push_ctx(r, json_array_get(v, x)))
						return -1;
					rc = render(r, t, i + 1, k->close, f);
					r->nstack--;
				}
			} else {
				if (push_ctx(r, v))
					return -1;
				rc = render(r, t, i + 1, k->close, f);
				r->nstack--;
			}
			break;
		case T_INVERTED:
			next = k->close + 1;
			if (!truthy(lookup(r, k->s, k->len)))
				rc = render(r, t, i + 1, k->close, f);
			break;
		case T_PARTIAL:
			rc = expand(r, t, k, i, f);
			break;
		case T_PARENT:
			next = k->close + 1;
			rc = expand(r, t, k, i, f);
			break;
		case T_BLOCK:
			next = k->close + 1;
			rc = block(r, t, k, i, f);
			break;
		default: /* comments, delimiters, end tags */
			break;
		}
		if (rc)
			return -1;
		i = next;
	}
	return 0;
}

int mustache_render(const char *tmpl, const json_t *data, const struct mustache_opts *opts,
		    struct buf *out, struct err *err)
{
	struct tmpl t;
	if (parse(tmpl ? tmpl : "", &t, err))
		return -1;
	struct rctx r = {0};
	r.opts = opts;
	r.out = out;
	r.err = err;
	r.pending = 1;
	struct frame f = {"", 0, 0};
	int rc = data ? push_ctx(&r, data) : 0;
	if (rc == 0)
		rc = render(&r, &t, 0, t.n, &f);
	while (r.cache) {
		struct pcache *c = r.cache;
		r.cache = c->next;
		tmpl_free(&c->t);
		free(c->name);
		free(c);
	}
	free(r.stack);
	free(r.ovr);
	tmpl_free(&t);
	return rc;
}
