/* The classifier: bounce (RFC 3464 first, then the shapes Postfix, Exim,
 * qmail, Exchange and Gmail send without one), auto-reply (RFC 3834 and
 * the Nordic subjects), the chair's commands (authenticated by the
 * association's own server), unsubscribe replies. The order is the
 * safety: a bounce or an auto-reply is never read as a request, and a
 * message that both asks to unsubscribe and says its writer is away is
 * left for a person. */
#include "mailbox/classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/text.h"
#include "deliver/unsubscribe.h"
#include "mailbox/message.h"

#define TEXT_MAX (64u << 10)  /* bytes of a text part looked at */
#define DSN_GROUPS 50         /* per-recipient groups read from one report */

static const char *const class_names[MB_CLASS_COUNT_] = {
	[MB_OTHER] = "other",
	[MB_MALFORMED] = "malformed",
	[MB_BOUNCE_HARD] = "bounce-hard",
	[MB_BOUNCE_SOFT] = "bounce-soft",
	[MB_DSN_INFO] = "dsn-info",
	[MB_AUTOREPLY] = "auto-reply",
	[MB_UNSUBSCRIBE] = "unsubscribe",
	[MB_CHAIR] = "chair-commands",
	[MB_CHAIR_UNVERIFIED] = "chair-unverified",
	[MB_CHAIR_OTHER] = "chair-other",
	[MB_REVIEW] = "review-edits",
	[MB_REVIEW_UNVERIFIED] = "review-unverified",
};

const char *mb_class_name(enum mb_class c)
{
	return (int)c >= 0 && c < MB_CLASS_COUNT_ ? class_names[c] : "invalid";
}

/* ---- words ---- */

/* text lower-cased (ASCII and the Latin-1 letters: Å Ä Ö Æ Ø) with runs
 * of blanks as one space, into out. */
static int fold(const char *text, struct buf *out)
{
	buf_reset(out);
	if (buf_reserve(out, strlen(text) + 1))
		return -1;
	int space = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		unsigned char c = *p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xa0) {
			space = 1;
			continue;
		}
		if (space && out->len)
			out->data[out->len++] = ' ';
		space = 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		out->data[out->len++] = (char)c;
		if (c == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e && p[1] != 0x97) {
			out->data[out->len++] = (char)(p[1] + 0x20);
			p++;
		}
	}
	out->data[out->len] = '\0';
	return 0;
}

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

struct word {
	const char *w;
	int whole; /* 1: must end at a word boundary; 0: a compound may follow */
};

/* 1 when folded text has one of the words starting at a word boundary. */
static int has_word(const char *folded, const struct word *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i].w);
		for (const char *p = folded; (p = strstr(p, words[i].w)); p++) {
			if (p > folded && is_letter((unsigned char)p[-1]))
				continue;
			if (words[i].whole && is_letter((unsigned char)p[l]))
				continue;
			return 1;
		}
	}
	return 0;
}

static const struct word unsub_words[] = {
	{"avregistrer", 0}, /* sv avregistrera, nb avregistrer */
	{"avanmäl", 0},     {"avsluta", 1},     {"avslutt", 1},
	{"meld av", 1},     {"meld meg av", 1}, {"meld meg ut", 1},
	{"melde av", 1},    {"melde meg av", 1},
	{"avmeld", 0},      {"afmeld", 0},      {"unsubscribe", 0},
};

static const struct word away_words[] = {
	{"frånvaro", 0},        {"frånvarande", 1},    {"fravær", 0},
	{"fråvær", 0},          {"fråverande", 1},     {"ferie", 1},
	{"semester", 1},        {"out of office", 1},  {"out of the office", 1},
	{"autosvar", 0},        {"automatisk svar", 1}, {"automatiskt svar", 1},
	{"automatic reply", 1}, {"auto-reply", 1},     {"autoreply", 1},
	{"auto reply", 1},      {"abwesenheit", 0},    {"vacation", 1},
	{"tjänstledig", 0},     {"på ferie", 1},
};

#define NW(a) (sizeof a / sizeof *a)

static int says(const char *text, const struct word *w, size_t n)
{
	struct buf f = BUF_INIT;
	int r = fold(text ? text : "", &f) == 0 && has_word(buf_str(&f), w, n);
	buf_free(&f);
	return r;
}

int mb_says_unsubscribe(const char *text)
{
	return says(text, unsub_words, NW(unsub_words));
}

int mb_says_away(const char *text)
{
	return says(text, away_words, NW(away_words));
}

/* ---- small helpers ---- */

static void copy_cut(char *out, size_t outlen, const char *s, size_t n)
{
	if (!outlen)
		return;
	if (n >= outlen)
		n = outlen - 1;
	/* never end inside a UTF-8 sequence */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

static void trim_span(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static int header_text(const char *raw, char *out, size_t outlen, unsigned *warn)
{
	struct buf b = BUF_INIT;
	if (msg_header_text(raw, &b, warn) < 0) {
		buf_free(&b);
		return -1;
	}
	const char *s = buf_str(&b);
	size_t n = b.len;
	trim_span(&s, &n);
	copy_cut(out, outlen, s, n);
	buf_free(&b);
	return 0;
}

/* The token before the first ';' (or blank), lower case. */
static void first_token(const char *v, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = v ? v : "";
	p += strspn(p, " \t");
	for (; *p && *p != ';' && *p != ' ' && *p != '\t' && *p != '(' && o + 1 < outlen; p++)
		out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	out[o] = '\0';
}

static int local_part_is(const char *addr, const char *const *names, size_t n)
{
	const char *at = strchr(addr, '@');
	if (!at)
		return 0;
	size_t l = (size_t)(at - addr);
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == l && !strncasecmp(addr, names[i], l))
			return 1;
	return 0;
}

static const char *const daemon_names[] = {"mailer-daemon", "postmaster", "mail-daemon",
					   "mailerdaemon", "mdaemon", "bounce", "bounces"};

/* ---- the text of a message ---- */

/* The first text/plain leaf that is not a report or a returned message,
 * else the first text/html: the words its writer wrote. */
static const struct msg_part *own_text_part(const struct msg *m)
{
	for (size_t i = 0; i < m->nparts; i++)
		if (!strcmp(m->parts[i].type, "text/plain"))
			return &m->parts[i];
	for (size_t i = 0; i < m->nparts; i++)
		if (!strcmp(m->parts[i].type, "text/html"))
			return &m->parts[i];
	return NULL;
}

/* Iterates the lines of s: *line and *n for each, returns 0 at the end. */
static int next_line(const char **cur, const char **line, size_t *n)
{
	if (!**cur)
		return 0;
	const char *s = *cur, *nl = strchr(s, '\n');
	*line = s;
	*n = nl ? (size_t)(nl - s) : strlen(s);
	*cur = nl ? nl + 1 : s + *n;
	trim_span(line, n);
	return 1;
}

/* "Den 12 mars 2026 skrev X:", "On ... wrote:": the start of a quote. */
static int quote_intro(const char *line, size_t n)
{
	static const char *const ends[] = {"wrote:", "skrev:", "skreiv:", "schrieb:", "a écrit :"};
	for (size_t i = 0; i < NW(ends); i++) {
		size_t l = strlen(ends[i]);
		if (n >= l && !strncasecmp(line + n - l, ends[i], l))
			return 1;
	}
	/* "Den 10 dec. 2026 kl. 08:30 skrev Primärvårdsnytt <x@y>:" (Gmail,
	 * Apple Mail in sv, nb, nn, da): the verb before the writer's name;
	 * also wrapped over two lines, the first ending "... skrev X <" */
	static const char *const verbs[] = {" wrote ", " skrev ", " skreiv ", " schrieb "};
	if (n > 1 && (line[n - 1] == ':' || line[n - 1] == '<') && n < 400) {
		char l[400];
		memcpy(l, line, n);
		l[n] = '\0';
		for (size_t i = 0; i < NW(verbs); i++)
			if (strcasestr(l, verbs[i]))
				return 1;
	}
	/* Outlook's rule before the quoted header, and the header's first
	 * field in sv, nb, da, en, de */
	if (n >= 10 && strspn(line, "_") >= 10)
		return 1;
	return (n >= 5 && !strncmp(line, "-----", 5)) || (n >= 5 && !strncasecmp(line, "From:", 5)) ||
	       (n >= 6 && !strncmp(line, "Från:", 6)) || (n >= 4 && !strncmp(line, "Fra:", 4)) ||
	       (n >= 4 && !strncmp(line, "Von:", 4));
}

/* The writer's own lines: until a quote, a signature ("-- ") or a
 * forwarded header. Calls fn for each non-blank one (trimmed); stops when
 * fn returns non-zero. */
static void own_lines_blanks(const char *text, int blanks,
			     int (*fn)(void *, const char *, size_t), void *ctx)
{
	const char *cur = text, *line;
	size_t n;
	while (next_line(&cur, &line, &n)) {
		if (!n) {
			if (blanks && fn(ctx, "", 0))
				return;
			continue;
		}
		if (line[0] == '>' || quote_intro(line, n) || (n == 2 && !strncmp(line, "--", 2)))
			return;
		if (fn(ctx, line, n))
			return;
	}
}

static void own_lines(const char *text, int (*fn)(void *, const char *, size_t), void *ctx)
{
	own_lines_blanks(text, 0, fn, ctx);
}

struct first_lines {
	struct buf *out;
	int want, got;
};

static int take_line(void *ctx, const char *line, size_t n)
{
	struct first_lines *f = ctx;
	if (f->got)
		buf_putc(f->out, '\n');
	buf_append(f->out, line, n);
	return ++f->got >= f->want;
}

/* ---- Authentication-Results (RFC 8601) ---- */

/* v without comments, into out. */
static void strip_comments(const char *v, char *out, size_t outlen)
{
	size_t o = 0;
	int depth = 0, q = 0;
	for (const char *p = v; *p && o + 1 < outlen; p++) {
		if (!q && *p == '(') {
			depth++;
			continue;
		}
		if (!q && depth && *p == ')') {
			depth--;
			out[o++] = ' ';
			continue;
		}
		if (depth)
			continue;
		if (*p == '"')
			q = !q;
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* 1 when the value of prop ("header.d") in the resinfo equals domain, or
 * (header.i) is an address or subdomain of it. */
static int prop_domain(const char *res, const char *prop, const char *domain)
{
	size_t pl = strlen(prop), dl = strlen(domain);
	for (const char *p = res; (p = strcasestr(p, prop)); p += pl) {
		if (p > res && p[-1] != ' ' && p[-1] != '\t')
			continue;
		const char *v = p + pl;
		v += strspn(v, " \t");
		if (*v != '=')
			continue;
		v++;
		v += strspn(v, " \t\"");
		size_t vl = strcspn(v, " \t\";");
		const char *at = memchr(v, '@', vl);
		if (at) { /* header.i=@example.se or user@example.se */
			vl -= (size_t)(at + 1 - v);
			v = at + 1;
		}
		if (vl == dl && !strncasecmp(v, domain, dl))
			return 1;
	}
	return 0;
}

/* Does the association's own server vouch for the From domain? Only the
 * topmost Authentication-Results with the trusted authserv-id counts:
 * that server adds its own on top and removes copies that claim its name,
 * so any lower one came from outside. */
static int chair_authenticated(const struct msg_header *h, const char *authserv_id,
			       const char *from_domain, char *why, size_t whylen)
{
	if (!authserv_id || !*authserv_id) {
		snprintf(why, whylen, "no trusted_authserv_id configured");
		return 0;
	}
	size_t at = 0;
	for (const char *v; (v = msg_header_next(h, "Authentication-Results", at, &at)); at++) {
		char clean[2048], id[256];
		strip_comments(v, clean, sizeof clean);
		first_token(clean, id, sizeof id);
		if (strcasecmp(id, authserv_id))
			continue;
		const char *p = strchr(clean, ';');
		while (p) {
			p++;
			const char *end = strchr(p, ';');
			char res[1024];
			size_t n = end ? (size_t)(end - p) : strlen(p);
			snprintf(res, sizeof res, "%.*s", (int)(n < sizeof res ? n : sizeof res - 1), p);
			const char *r = res + strspn(res, " \t");
			if (!strncasecmp(r, "dkim", 4) && r[4 + strspn(r + 4, " \t")] == '=') {
				const char *val = r + 4 + strspn(r + 4, " \t") + 1;
				val += strspn(val, " \t");
				if (!strncasecmp(val, "pass", 4) &&
				    (prop_domain(res, "header.d", from_domain) ||
				     prop_domain(res, "header.i", from_domain))) {
					snprintf(why, whylen, "dkim=pass for %s from %s", from_domain, id);
					return 1;
				}
			}
			if (!strncasecmp(r, "arc", 3) && r[3 + strspn(r + 3, " \t")] == '=') {
				const char *val = r + 3 + strspn(r + 3, " \t") + 1;
				val += strspn(val, " \t");
				if (!strncasecmp(val, "pass", 4)) {
					snprintf(why, whylen, "arc=pass from %s", id);
					return 1;
				}
			}
			p = end;
		}
		snprintf(why, whylen, "%s says neither dkim=pass for %s nor arc=pass", id,
			 from_domain);
		return 0;
	}
	snprintf(why, whylen, "no Authentication-Results from %s", authserv_id);
	return 0;
}

/* ---- the chair's commands ---- */

static int source_name_ok(const char *s, size_t n)
{
	if (!n || n >= 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"')
			return 0;
	}
	return 1;
}

static int word_at(const char *line, size_t n, const char *w, size_t *after)
{
	size_t l = strlen(w);
	if (n < l || strncasecmp(line, w, l) || (n > l && line[l] != ' ' && line[l] != '\t'))
		return 0;
	/* within the line's n bytes: a trimmed blank after them is not ours */
	while (l < n && (line[l] == ' ' || line[l] == '\t'))
		l++;
	*after = l;
	return 1;
}

static int parse_command(const char *line, size_t n, struct mb_cmd *c)
{
	size_t k;
	memset(c, 0, sizeof *c);
	if (word_at(line, n, "add", &k)) {
		const char *lt = NULL, *gt = NULL;
		for (size_t i = k; i < n; i++)
			if (line[i] == '<')
				lt = line + i;
		if (!lt || line[n - 1] != '>')
			return 0;
		gt = line + n - 1;
		const char *name = line + k;
		size_t nl = (size_t)(lt - name);
		trim_span(&name, &nl);
		if (nl && (name[0] == '"') && name[nl - 1] == '"' && nl >= 2)
			name++, nl -= 2;
		char addr[512];
		snprintf(addr, sizeof addr, "%.*s", (int)(gt - lt + 1), lt);
		if (!nl || nl >= sizeof c->name || !msg_address(addr, c->address, sizeof c->address))
			return 0;
		copy_cut(c->name, sizeof c->name, name, nl);
		c->op = MB_ADD;
		return 1;
	}
	if (word_at(line, n, "remove", &k)) {
		char addr[512];
		const char *a = line + k;
		size_t al = n - k;
		if (!al || memchr(a, ' ', al) || al >= sizeof addr)
			return 0;
		snprintf(addr, sizeof addr, "%.*s", (int)al, a);
		if (!msg_address(addr, c->address, sizeof c->address))
			return 0;
		c->op = MB_REMOVE;
		return 1;
	}
	int pause = word_at(line, n, "pause", &k);
	if (pause || word_at(line, n, "resume", &k)) {
		size_t k2;
		if (!word_at(line + k, n - k, "source", &k2))
			return 0;
		const char *name = line + k + k2;
		size_t nl = n - k - k2;
		if (!source_name_ok(name, nl))
			return 0;
		copy_cut(c->name, sizeof c->name, name, nl);
		c->op = pause ? MB_PAUSE : MB_RESUME;
		return 1;
	}
	return 0;
}

static int take_command(void *ctx, const char *line, size_t n)
{
	struct mb_result *r = ctx;
	struct mb_cmd c;
	if (parse_command(line, n, &c)) {
		if (r->ncmds < MB_MAX_CMDS)
			r->cmds[r->ncmds++] = c;
		else
			r->warnings |= MSG_W_TOO_MANY;
	} else if (r->nother < MB_MAX_LINES) {
		copy_cut(r->other_lines[r->nother++], sizeof r->other_lines[0], line, n);
	}
	return 0;
}

/* ---- a reviewer's reply to a review copy (issue 20) ---- */

/* The draft id of a review copy's Message-ID ("review-12-...@") among
 * In-Reply-To and References; 0 when none. */
static long long review_reply_to(const struct msg_header *h)
{
	static const char *const fields[] = {"In-Reply-To", "References"};
	for (size_t i = 0; i < NW(fields); i++) {
		const char *v = msg_header_get(h, fields[i]);
		for (const char *p = v; p && (p = strstr(p, "<review-")); p++) {
			const char *d = p + 8;
			long long id = 0;
			size_t k = 0;
			while (d[k] >= '0' && d[k] <= '9' && k < 12)
				id = id * 10 + (d[k++] - '0');
			if (k && d[k] == '-' && id > 0)
				return id;
		}
	}
	return 0;
}

static int is_reviewer(const struct mb_classify_opts *o, const char *from)
{
	for (size_t i = 0; *from && i < o->nreviewers; i++)
		if (!strcasecmp(o->reviewers[i], from))
			return 1;
	return 0;
}

/* Each line of the reply's own text: an edit, the note (after "note:",
 * to the end of the own text), or something else. */
static int take_review(void *ctx, const char *line, size_t n)
{
	static const char *const words[] = {"drop", "pin", "add", "approve", "hold"};
	struct mb_result *r = ctx;
	size_t k;
	if (!n) {
		/* a paragraph break, kept inside the note (not at its ends) */
		size_t have = strlen(r->note);
		if (r->has_note && have && r->note[have - 1] != '\n' && have + 2 < sizeof r->note)
			r->note[have] = '\n', r->note[have + 1] = '\0';
		return 0;
	}
	if (r->has_note) {
		size_t have = strlen(r->note);
		if (have + n + 2 < sizeof r->note)
			snprintf(r->note + have, sizeof r->note - have, "%s%.*s", have ? "\n" : "", (int)n,
				 line);
		else
			r->note_too_long = 1; /* never a note cut short: none at all */
		return 0;
	}
	if (n >= 5 && !strncasecmp(line, "note:", 5)) {
		r->has_note = 1;
		k = 5;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k < n && n - k < sizeof r->note)
			snprintf(r->note, sizeof r->note, "%.*s", (int)(n - k), line + k);
		else if (k < n)
			r->note_too_long = 1;
		return 0;
	}
	for (size_t i = 0; i < NW(words); i++) {
		if (!word_at(line, n, words[i], &k))
			continue;
		if (n >= sizeof r->review_lines[0])
			break; /* too long to be read whole: not an edit, said so */
		if (r->nreview < MB_MAX_CMDS)
			copy_cut(r->review_lines[r->nreview++], sizeof r->review_lines[0], line, n);
		else
			r->warnings |= MSG_W_TOO_MANY;
		return 0;
	}
	if (r->nother < MB_MAX_LINES)
		copy_cut(r->other_lines[r->nother++], sizeof r->other_lines[0], line, n);
	return 0;
}

/* ---- bounces ---- */

/* The first enhanced status code (RFC 3463: class 2, 4 or 5) in s[0..n):
 * its offset, or -1. */
static long find_status(const char *s, size_t n, char *out, size_t outlen)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		char c = s[i];
		if ((c != '4' && c != '5' && c != '2') || s[i + 1] != '.')
			continue;
		if (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))
			continue;
		size_t k = i + 2, d1 = 0, d2 = 0;
		while (k < n && s[k] >= '0' && s[k] <= '9' && d1 < 4)
			k++, d1++;
		if (!d1 || d1 > 3 || k >= n || s[k] != '.')
			continue;
		k++;
		while (k < n && s[k] >= '0' && s[k] <= '9' && d2 < 4)
			k++, d2++;
		if (!d2 || d2 > 3 || (k < n && ((s[k] >= '0' && s[k] <= '9') || (s[k] == '.' && k + 1 < n && s[k + 1] >= '0' && s[k + 1] <= '9'))))
			continue;
		copy_cut(out, outlen, s + i, k - i);
		return (long)i;
	}
	return -1;
}

/* A basic SMTP reply code 4xx/5xx at a line start or after "said:" in
 * s[0..n): its first digit, or 0. */
static char find_smtp_code(const char *s, size_t n, size_t *at)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if ((s[i] != '4' && s[i] != '5') || !(s[i + 1] >= '0' && s[i + 1] <= '9') ||
		    !(s[i + 2] >= '0' && s[i + 2] <= '9'))
			continue;
		if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-')
			continue;
		int start = i == 0 || s[i - 1] == '\n' || s[i - 1] == '#' ||
			    (i >= 2 && s[i - 1] == ' ' && s[i - 2] == ':') ||
			    (i >= 1 && s[i - 1] == ' ' && i >= 6 && !strncasecmp(s + i - 6, "error ", 6));
		if (start) {
			*at = i;
			return s[i];
		}
	}
	return 0;
}

/* The line of text around offset at, trimmed, into out. */
static void line_around(const char *s, size_t n, size_t at, char *out, size_t outlen)
{
	size_t a = at, b = at;
	while (a > 0 && s[a - 1] != '\n')
		a--;
	while (b < n && s[b] != '\n')
		b++;
	const char *l = s + a;
	size_t ln = b - a;
	trim_span(&l, &ln);
	copy_cut(out, outlen, l, ln);
}

static void add_orig_id(struct mb_result *r, const char *id)
{
	if (!*id || !strcmp(id, r->message_id))
		return;
	for (size_t i = 0; i < r->norig_ids; i++)
		if (!strcmp(r->orig_ids[i], id))
			return;
	if (r->norig_ids < MB_MAX_IDS)
		snprintf(r->orig_ids[r->norig_ids++], sizeof r->orig_ids[0], "%s", id);
}

/* The returned original's header (a message/rfc822 or text/rfc822-headers
 * part): its Message-ID, To and List-Unsubscribe. */
static int original_headers(const struct msg *m, struct mb_result *r)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = &m->parts[i];
		if (strcmp(p->type, "message/rfc822") && strcmp(p->type, "text/rfc822-headers") &&
		    strcmp(p->type, "message/rfc822-headers") && strcmp(p->type, "message/global") &&
		    strcmp(p->type, "message/global-headers"))
			continue;
		struct buf raw = BUF_INIT;
		struct msg_part cut = *p;
		if (cut.len > TEXT_MAX)
			cut.len = TEXT_MAX;
		if (msg_part_decode(&cut, &raw, &r->warnings) < 0) {
			buf_free(&raw);
			return -1;
		}
		struct msg_header oh;
		unsigned w = 0;
		if (msg_header_parse(buf_str(&raw), raw.len, &oh, NULL, &w) < 0) {
			buf_free(&raw);
			return -1;
		}
		char id[256];
		if (msg_id(msg_header_get(&oh, "Message-ID"), id, sizeof id))
			add_orig_id(r, id);
		if (!r->orig_to[0])
			msg_address(msg_header_get(&oh, "To"), r->orig_to, sizeof r->orig_to);
		const char *lu = msg_header_get(&oh, "List-Unsubscribe");
		if (lu && !r->list_unsubscribe[0])
			copy_cut(r->list_unsubscribe, sizeof r->list_unsubscribe, lu, strlen(lu));
		msg_header_free(&oh);
		buf_free(&raw);
	}
	return 0;
}

/* An RFC 3464 report: the per-recipient groups of its
 * message/delivery-status part. Returns 1 when it decided the class, 0
 * when the report has no usable group (the text is tried next), -1 on
 * memory. */
static int dsn_report(const struct msg *m, struct mb_result *r)
{
	const struct msg_part *ds = NULL;
	for (size_t i = 0; i < m->nparts && !ds; i++)
		if (!strcmp(m->parts[i].type, "message/delivery-status") ||
		    !strcmp(m->parts[i].type, "message/global-delivery-status"))
			ds = &m->parts[i];
	if (!ds)
		return 0;
	struct buf raw = BUF_INIT;
	struct msg_part cut = *ds;
	if (cut.len > TEXT_MAX)
		cut.len = TEXT_MAX;
	if (msg_part_decode(&cut, &raw, &r->warnings) < 0) {
		buf_free(&raw);
		return -1;
	}
	/* best: 3 failed 5.x.x, 2 failed/delayed 4.x.x, 1 delivered */
	int best = 0, groups = 0, rc = 0;
	size_t off = 0;
	const char *d = buf_str(&raw);
	while (off < raw.len) {
		if (d[off] == '\r' || d[off] == '\n') {
			off++;
			continue;
		}
		struct msg_header g;
		size_t used = 0;
		unsigned w = 0;
		if (msg_header_parse(d + off, raw.len - off, &g, &used, &w) < 0) {
			rc = -1;
			break;
		}
		off += used ? used : raw.len - off;
		if (groups++ == 0) { /* the per-message group */
			msg_header_free(&g);
			continue;
		}
		if (groups > DSN_GROUPS) {
			r->warnings |= MSG_W_TOO_MANY;
			msg_header_free(&g);
			break;
		}
		char action[32], status[16] = "";
		first_token(msg_header_get(&g, "Action"), action, sizeof action);
		const char *st = msg_header_get(&g, "Status");
		if (st)
			find_status(st, strlen(st), status, sizeof status);
		const char *diag = msg_header_get(&g, "Diagnostic-Code");
		char dst[16] = "";
		if (diag)
			find_status(diag, strlen(diag), dst, sizeof dst);
		/* "5.0.0" says less than the server's own "5.1.1" */
		if (dst[0] && (!status[0] || (dst[0] == status[0] && !strcmp(status + 1, ".0.0"))))
			snprintf(status, sizeof status, "%s", dst);
		int rank = !strcmp(action, "failed") ? (status[0] == '4' ? 2 : 3)
			   : !strcmp(action, "delayed")	 ? 2
			   : (!strcmp(action, "delivered") || !strcmp(action, "relayed") ||
			      !strcmp(action, "expanded"))
				   ? 1
				   : 0;
		if (rank > best) {
			best = rank;
			snprintf(r->status, sizeof r->status, "%s", status);
			r->diagnostic[0] = '\0';
			if (diag) {
				/* the server's words, in any bytes: as UTF-8 */
				const char *semi = strchr(diag, ';');
				if (header_text(semi ? semi + 1 : diag, r->diagnostic,
						sizeof r->diagnostic, &r->warnings) < 0) {
					rc = -1;
					msg_header_free(&g);
					break;
				}
			}
			const char *rcpt = msg_header_get(&g, "Original-Recipient");
			char a[256];
			r->recipient[0] = '\0';
			if (rcpt && strchr(rcpt, ';') && msg_address(strchr(rcpt, ';') + 1, a, sizeof a))
				snprintf(r->recipient, sizeof r->recipient, "%s", a);
			rcpt = msg_header_get(&g, "Final-Recipient");
			if (!r->recipient[0] && rcpt)
				msg_address(strchr(rcpt, ';') ? strchr(rcpt, ';') + 1 : rcpt,
					    r->recipient, sizeof r->recipient);
		}
		msg_header_free(&g);
	}
	buf_free(&raw);
	if (rc < 0)
		return -1;
	if (!best)
		return 0;
	if (best == 3 && r->status[0] == '5') {
		r->cls = MB_BOUNCE_HARD;
		snprintf(r->why, sizeof r->why, "delivery status report: failed, %s", r->status);
	} else if (best == 3) {
		/* no code: counted, never decisive */
		r->cls = MB_BOUNCE_SOFT;
		snprintf(r->why, sizeof r->why, "delivery status report: failed without a status code");
	} else if (best >= 2) {
		r->cls = MB_BOUNCE_SOFT;
		snprintf(r->why, sizeof r->why, "delivery status report: %s%s",
			 r->status[0] ? "temporary failure " : "delayed", r->status);
	} else {
		r->cls = MB_DSN_INFO;
		snprintf(r->why, sizeof r->why, "delivery status report: delivered or relayed");
	}
	return 1;
}

/* Where the quoted original starts in t[0..n): the first marker line
 * ("--- Below this line is a copy of the message.", "Original message
 * headers:", ...) or header line of a message (unindented "Received:",
 * "Message-ID:", ...); n when there is none. */
static size_t original_start(const char *t, size_t n)
{
	static const char *const markers[] = {
		"below this line is a copy", "this is a copy of the message", "original message",
		"ursprungliga meddelande", "ursprungligt meddelande", "opprinnelig melding",
		"oprindelige meddelelse", "oprindelig meddelelse", "returned message",
		"undelivered message", "message headers"};
	static const char *const fields[] = {"Return-Path:", "Received:", "From:", "To:",
					     "Subject:", "Message-ID:", "Date:", "MIME-Version:"};
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, len = end - pos;
		char line[200];
		copy_cut(line, sizeof line, t + pos, len);
		for (size_t i = 0; i < NW(fields); i++)
			if (!strncasecmp(line, fields[i], strlen(fields[i])))
				return pos;
		for (size_t i = 0; i < NW(markers); i++)
			if (strcasestr(line, markers[i]))
				return pos;
		pos = end + 1;
	}
	return n;
}

/* A header line folded onto the next (RFC 5322): that line starts with a
 * blank, also when the header is quoted ("> " before it). raw is the
 * line as it stands in the text. */
static int folded(const char *raw)
{
	while (*raw == '>') {
		raw++;
		if (*raw == ' ')
			raw++;
	}
	return *raw == ' ' || *raw == '\t';
}

/* s[0..n) after what dst holds, a blank between (unfolding). */
static void append_folded(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t have = strlen(dst);
	if (have && have + 1 < dstlen)
		dst[have++] = ' ';
	copy_cut(dst + have, dstlen - have, s, n);
}

/* Scans the bounce's text: the status code and its line, the failed
 * address, and the original's Message-ID and List-Unsubscribe when they
 * are quoted inline. */
static int scan_bounce_text(const struct msg *m, struct mb_result *r, const char *own)
{
	struct buf all = BUF_INIT;
	int rc = 0, k = 0;
	size_t human_end = 0;
	for (size_t i = 0; i < m->nparts && k < 3 && rc == 0; i++) {
		const struct msg_part *p = &m->parts[i];
		if (strncmp(p->type, "text/", 5) || !strcmp(p->type, "text/rfc822-headers"))
			continue;
		rc = msg_part_text(p, TEXT_MAX, &all, &r->warnings);
		if (rc == 0)
			rc = buf_putc(&all, '\n');
		if (k++ == 0)
			human_end = all.len;
	}
	if (rc < 0) {
		buf_free(&all);
		return -1;
	}
	const char *t = buf_str(&all);
	size_t n = all.len;
	/* The quoted original starts at a marker line or at its first
	 * header-looking line; the human part is what comes before. */
	size_t orig = original_start(t, human_end ? human_end : n);
	if (orig < human_end || !human_end)
		human_end = orig;
	const char *cur = t, *line, *start = cur;
	size_t ln;
	int lu = 0, lu_seen = 0; /* in the quoted List-Unsubscribe; it was seen */
	for (; next_line(&cur, &line, &ln); start = cur) {
		const char *l = line;
		while (ln && (*l == '>' || *l == ' '))
			l++, ln--;
		if (lu && ln && folded(start)) {
			/* its next URL, folded onto a line of its own */
			append_folded(r->list_unsubscribe, sizeof r->list_unsubscribe, l, ln);
			continue;
		}
		lu = 0;
		if (ln > 11 && !strncasecmp(l, "Message-ID:", 11)) {
			char id[256], v[512];
			copy_cut(v, sizeof v, l + 11, ln - 11);
			if (msg_id(v, id, sizeof id))
				add_orig_id(r, id);
		} else if (ln >= 17 && !strncasecmp(l, "List-Unsubscribe:", 17) && !lu_seen) {
			const char *v = l + 17;
			size_t vn = ln - 17;
			trim_span(&v, &vn);
			copy_cut(r->list_unsubscribe, sizeof r->list_unsubscribe, v, vn);
			lu = lu_seen = 1;
		} else if (ln > 3 && !strncasecmp(l, "To:", 3) && !r->orig_to[0] &&
			   (size_t)(line - t) >= human_end) {
			char v[512], a[256];
			copy_cut(v, sizeof v, l + 3, ln - 3);
			if (msg_address(v, a, sizeof a) && (!own || strcasecmp(a, own)))
				snprintf(r->orig_to, sizeof r->orig_to, "%s", a);
		}
	}
	/* The status code: in the human part first (the quoted original may
	 * carry anything). */
	size_t scan = human_end ? human_end : n;
	char st[16] = "";
	long at = find_status(t, scan, st, sizeof st);
	if (at < 0 && scan < n)
		at = find_status(t, n, st, sizeof st);
	if (at >= 0 && st[0] != '2') {
		snprintf(r->status, sizeof r->status, "%s", st);
		line_around(t, n, (size_t)at, r->diagnostic, sizeof r->diagnostic);
	} else {
		size_t cat;
		char c = find_smtp_code(t, scan, &cat);
		if (c) {
			snprintf(r->status, sizeof r->status, "%c.0.0", c);
			line_around(t, n, cat, r->diagnostic, sizeof r->diagnostic);
		}
	}
	/* The failed address: one distinct address in the human part that is
	 * not ours or a daemon's. */
	if (!r->recipient[0]) {
		char found[256] = "";
		int distinct = 0;
		const char *p = t, *end = t + scan;
		while (p < end && distinct < 2) {
			const char *atp = memchr(p, '@', (size_t)(end - p));
			if (!atp)
				break;
			const char *a = atp, *b = atp + 1;
			while (a > t && !strchr(" \t\r\n<>()\"',;:[]", a[-1]))
				a--;
			while (b < end && !strchr(" \t\r\n<>()\"',;:[]", *b))
				b++;
			while (b > atp + 1 && b[-1] == '.')
				b--;
			char raw[256], cand[256];
			if ((size_t)(b - a) < sizeof raw)
				snprintf(raw, sizeof raw, "%.*s", (int)(b - a), a);
			if ((size_t)(b - a) < sizeof raw && msg_address(raw, cand, sizeof cand) &&
			    !local_part_is(cand, daemon_names, NW(daemon_names)) &&
			    (!own || strcasecmp(cand, own)) && strcmp(cand, r->from)) {
				if (!found[0]) {
					snprintf(found, sizeof found, "%s", cand);
					distinct = 1;
				} else if (strcmp(found, cand)) {
					distinct = 2;
				}
			}
			p = b > atp ? b : atp + 1;
		}
		if (distinct == 1)
			snprintf(r->recipient, sizeof r->recipient, "%s", found);
	}
	buf_free(&all);
	return 0;
}

/* The subject of a non-standard bounce, in the languages such servers
 * answer in. */
static int bounce_subject(const char *subject)
{
	static const struct word w[] = {
		{"undeliver", 0},	 {"undelivered", 1},	{"delivery status notification", 1},
		{"returned mail", 1},	 {"delivery failure", 1}, {"failure notice", 1},
		{"mail delivery failed", 1}, {"delivery has failed", 1}, {"could not be delivered", 1},
		{"olevererbar", 0},	 {"kunne ikke leveres", 1}, {"ikke levert", 1},
		{"kan ikke leveres", 1}, {"ikke leveret", 1},	{"returned to sender", 1},
		{"delivery incomplete", 1}, {"mail system error", 1}, {"non remis", 1},
	};
	return says(subject, w, NW(w));
}

/* Decodes a VERP address own_local+LOCAL=DOMAIN@own_domain. */
static int verp_decode(const char *rcpt, const char *own, char *out, size_t outlen)
{
	const char *oat = own ? strchr(own, '@') : NULL, *rat = strchr(rcpt, '@');
	if (!oat || !rat || strcasecmp(oat, rat))
		return 0;
	size_t ol = (size_t)(oat - own);
	if (strncasecmp(rcpt, own, ol) || rcpt[ol] != '+')
		return 0;
	const char *v = rcpt + ol + 1, *eq = NULL;
	for (const char *p = v; p < rat; p++)
		if (*p == '=')
			eq = p;
	if (!eq || eq == v || eq + 1 >= rat)
		return 0;
	char a[256];
	snprintf(a, sizeof a, "%.*s@%.*s", (int)(eq - v), v, (int)(rat - eq - 1), eq + 1);
	return msg_address(a, out, outlen);
}

static void find_verp(const struct msg_header *h, const char *own, struct mb_result *r)
{
	static const char *const fields[] = {"X-Original-To", "Delivered-To", "Envelope-To", "To"};
	for (size_t i = 0; i < NW(fields) && !r->verp[0]; i++) {
		size_t at = 0;
		for (const char *v; !r->verp[0] && (v = msg_header_next(h, fields[i], at, &at)); at++) {
			char list[8][256];
			size_t k = msg_addresses(v, list, 8);
			for (size_t j = 0; j < k && !r->verp[0]; j++)
				verp_decode(list[j], own, r->verp, sizeof r->verp);
		}
	}
}

/* ---- auto-replies ---- */

static int autoreply_header(const struct msg_header *h, char *why, size_t whylen)
{
	char v[64];
	const char *as = msg_header_get(h, "Auto-Submitted");
	if (as) {
		first_token(as, v, sizeof v);
		if (*v && strcmp(v, "no")) {
			snprintf(why, whylen, "Auto-Submitted: %s", v);
			return 1;
		}
	}
	static const char *const flags[] = {"X-Autoreply", "X-Autorespond", "X-Autoresponder",
					    "X-Vacation"};
	for (size_t i = 0; i < NW(flags); i++) {
		if (msg_header_get(h, flags[i])) {
			snprintf(why, whylen, "%s header", flags[i]);
			return 1;
		}
	}
	const char *prec = msg_header_get(h, "Precedence");
	first_token(prec, v, sizeof v);
	if (!strcmp(v, "auto_reply")) {
		snprintf(why, whylen, "Precedence: auto_reply");
		return 1;
	}
	return 0;
}

/* A list or a bulk sender: never a member's request. */
static int bulk(const struct msg_header *h)
{
	char v[64];
	first_token(msg_header_get(h, "Precedence"), v, sizeof v);
	return !strcmp(v, "bulk") || !strcmp(v, "list") || !strcmp(v, "junk") ||
	       msg_header_get(h, "List-Id") || msg_header_get(h, "List-Unsubscribe");
}

/* ---- unsubscribe replies ---- */

#define TOKENS_MAX 4 /* distinct link tokens kept from one reply */

/* 1 when list (blank-separated "token=X") has token p[0..n). */
static int has_token(const char *list, const char *p, size_t n)
{
	for (const char *q = list; (q = strstr(q, "token=")); q += 6)
		if (!strncmp(q + 6, p, n) && (q[6 + n] == ' ' || !q[6 + n]))
			return 1;
	return 0;
}

/* The tokens of the unsubscribe links a reply's text has (the digest's
 * footer, quoted): "token=X", blank-separated, distinct, at most
 * TOKENS_MAX, into r->list_unsubscribe. A reply from another address
 * than the member's names the member by them. */
static void reply_tokens(const char *text, struct mb_result *r)
{
	char *out = r->list_unsubscribe;
	size_t have = strlen(out);
	int k = 0;
	for (const char *p = text; k < TOKENS_MAX && (p = strstr(p, "token="));) {
		p += 6;
		size_t n = strspn(p, UNSUB_TOKEN_CHARS), need = (have ? 7u : 6u) + n;
		if (n >= 3 && n <= UNSUB_TOKEN_MAX && have + need < sizeof r->list_unsubscribe &&
		    !has_token(out, p, n)) {
			if (have)
				out[have++] = ' ';
			memcpy(out + have, "token=", 6);
			memcpy(out + have + 6, p, n);
			have += 6 + n;
			out[have] = '\0';
			k++;
		}
		p += n;
	}
}

/* ---- the classifier ---- */

static int is_chair(const struct mb_classify_opts *o, const char *from)
{
	for (size_t i = 0; *from && i < o->nchairs; i++)
		if (!strcasecmp(o->chairs[i], from))
			return 1;
	return 0;
}

/* An address of To, Cc, Delivered-To or X-Original-To equal to addr. */
static int sent_to(const struct msg_header *h, const char *addr, char *out, size_t outlen)
{
	static const char *const fields[] = {"To", "Cc", "Delivered-To", "X-Original-To"};
	for (size_t i = 0; i < NW(fields); i++) {
		size_t at = 0;
		for (const char *v; (v = msg_header_next(h, fields[i], at, &at)); at++) {
			char list[16][256];
			size_t k = msg_addresses(v, list, 16);
			for (size_t j = 0; j < k; j++) {
				if (!strcasecmp(list[j], addr)) {
					snprintf(out, outlen, "%s", list[j]);
					return 1;
				}
			}
		}
	}
	return 0;
}

static int classify(const struct msg *m, const struct mb_classify_opts *o, struct mb_result *r)
{
	const struct msg_header *h = &m->h;
	if (!h->n) {
		r->cls = MB_MALFORMED;
		snprintf(r->why, sizeof r->why, "no header fields");
		return 0;
	}
	msg_id(msg_header_get(h, "Message-ID"), r->message_id, sizeof r->message_id);
	const char *fromv = msg_header_get(h, "From");
	char froms[4][256];
	size_t nfrom = msg_addresses(fromv, froms, 4);
	if (nfrom)
		snprintf(r->from, sizeof r->from, "%s", froms[0]);
	if (header_text(msg_header_get(h, "Subject"), r->subject, sizeof r->subject, &r->warnings))
		return -1;
	if (!fromv && !msg_header_get(h, "Return-Path") && !msg_header_get(h, "Sender")) {
		r->cls = MB_MALFORMED;
		snprintf(r->why, sizeof r->why, "no From, Sender or Return-Path");
		return 0;
	}
	char rt[64] = "";
	if (!strcmp(m->top_type, "multipart/report"))
		mime_param(m->top_ctype, "report-type", rt, sizeof rt);
	/* 1. bounces */
	if (!strcasecmp(rt, "delivery-status")) {
		if (original_headers(m, r) < 0)
			return -1;
		int d = dsn_report(m, r);
		if (d < 0)
			return -1;
		if (d) {
			find_verp(h, o->own_address, r);
			if (!r->norig_ids && scan_bounce_text(m, r, o->own_address) < 0)
				return -1;
			return 0;
		}
	}
	if (!strcasecmp(rt, "disposition-notification")) {
		r->cls = MB_AUTOREPLY;
		snprintf(r->why, sizeof r->why, "read receipt (disposition notification)");
		return 0;
	}
	char rp[256] = "";
	const char *rpv = msg_header_get(h, "Return-Path");
	int null_sender = rpv && !msg_address(rpv, rp, sizeof rp) && strstr(rpv, "<>");
	const char *xfr = msg_header_get(h, "X-Failed-Recipients");
	int daemon = nfrom && (local_part_is(r->from, daemon_names, NW(daemon_names)) ||
			       !strncasecmp(r->from, "microsoftexchange", 17));
	int subj = bounce_subject(r->subject);
	if (xfr || (daemon && subj) || (null_sender && subj) || !strcasecmp(rt, "delivery-status")) {
		if (original_headers(m, r) < 0 || scan_bounce_text(m, r, o->own_address) < 0)
			return -1;
		if (xfr) {
			char a[256];
			if (msg_address(xfr, a, sizeof a))
				snprintf(r->recipient, sizeof r->recipient, "%s", a);
		}
		find_verp(h, o->own_address, r);
		if (r->status[0] == '5') {
			r->cls = MB_BOUNCE_HARD;
			snprintf(r->why, sizeof r->why, "non-standard bounce (%s), %s",
				 xfr ? "X-Failed-Recipients" : daemon ? "from a mailer daemon"
								      : "null sender", r->status);
		} else {
			r->cls = MB_BOUNCE_SOFT;
			snprintf(r->why, sizeof r->why, "non-standard bounce, %s",
				 r->status[0] ? r->status : "no status code: counted as soft");
		}
		return 0;
	}
	/* 2. auto-replies */
	if (autoreply_header(h, r->why, sizeof r->why)) {
		r->cls = MB_AUTOREPLY;
		return 0;
	}
	if (mb_says_away(r->subject)) {
		r->cls = MB_AUTOREPLY;
		snprintf(r->why, sizeof r->why, "subject says away: %.100s", r->subject);
		return 0;
	}
	/* A header cut short may hide what would have made it an auto-reply
	 * or a forgery: nothing in it is acted on. */
	if (!m->header_ended) {
		snprintf(r->why, sizeof r->why, "the header was cut short: left for a person");
		return 0;
	}
	struct buf text = BUF_INIT, first = BUF_INIT;
	const struct msg_part *tp = own_text_part(m);
	if (tp && msg_part_text(tp, TEXT_MAX, &text, &r->warnings) < 0)
		goto oom;
	struct first_lines fl = {&first, 1, 0};
	own_lines(buf_str(&text), take_line, &fl);
	/* 3. a reviewer's reply to the review copy: edits, under the same
	 * authentication rule as the chair's commands */
	long long draft = nfrom == 1 && is_reviewer(o, r->from) ? review_reply_to(h) : 0;
	if (draft) {
		r->review_draft = draft;
		own_lines_blanks(buf_str(&text), 1, take_review, r);
		for (size_t e = strlen(r->note); e && r->note[e - 1] == '\n'; e--)
			r->note[e - 1] = '\0';
		char why[160];
		const char *dom = strchr(r->from, '@') + 1;
		int authentic = chair_authenticated(h, o->authserv_id, dom, why, sizeof why);
		r->cls = authentic ? MB_REVIEW : MB_REVIEW_UNVERIFIED;
		snprintf(r->why, sizeof r->why, "a reply to review copy %lld%s%s: %zu edit%s%s", draft,
			 authentic ? ", " : ", but ", why, r->nreview, r->nreview == 1 ? "" : "s",
			 r->has_note ? " and a note" : "");
		goto done;
	}
	/* 4. the chair */
	if (nfrom == 1 && is_chair(o, r->from)) {
		own_lines(buf_str(&text), take_command, r);
		char why[160];
		const char *dom = strchr(r->from, '@') + 1;
		if (chair_authenticated(h, o->authserv_id, dom, why, sizeof why)) {
			r->cls = r->ncmds ? MB_CHAIR : MB_CHAIR_OTHER;
			snprintf(r->why, sizeof r->why, "%s: %zu command%s", why, r->ncmds,
				 r->ncmds == 1 ? "" : "s");
			goto done;
		}
		if (r->ncmds) {
			r->cls = MB_CHAIR_UNVERIFIED;
			snprintf(r->why, sizeof r->why, "commands under a chair's From, but %s", why);
			goto done;
		}
		r->nother = 0;
	}
	/* 5. unsubscribe replies */
	int to_unsub = o->unsubscribe_address && *o->unsubscribe_address &&
		       sent_to(h, o->unsubscribe_address, r->to_unsubscribe, sizeof r->to_unsubscribe);
	int asks = mb_says_unsubscribe(r->subject) || mb_says_unsubscribe(buf_str(&first));
	if ((asks || to_unsub) && !bulk(h)) {
		struct buf five = BUF_INIT;
		struct first_lines f5 = {&five, 5, 0};
		own_lines(buf_str(&text), take_line, &f5);
		int away = mb_says_away(buf_str(&five));
		buf_free(&five);
		if (!r->from[0] || nfrom != 1) {
			snprintf(r->why, sizeof r->why, "asks to unsubscribe, but has %s From address",
				 nfrom ? "more than one" : "no readable");
		} else if (away) {
			snprintf(r->why, sizeof r->why, "asks to unsubscribe but also says away: left for a person");
		} else {
			r->cls = MB_UNSUBSCRIBE;
			reply_tokens(buf_str(&text), r);
			snprintf(r->why, sizeof r->why, "%s",
				 to_unsub ? "sent to the List-Unsubscribe address"
				 : mb_says_unsubscribe(r->subject) ? "the subject asks to unsubscribe"
								    : "the first line asks to unsubscribe");
		}
		goto done;
	}
	r->cls = MB_OTHER;
	snprintf(r->why, sizeof r->why, "%s", bulk(h) ? "a list or bulk message" : "nothing for bulletin");
done:
	buf_free(&text);
	buf_free(&first);
	return 0;
oom:
	buf_free(&text);
	buf_free(&first);
	return -1;
}

/* Bytes that are not UTF-8 (a raw header token, a cut) become '?': every
 * text of a result is printed, logged and stored. */
static void fix_utf8(char *s)
{
	for (size_t n = strlen(s), i = 0; i < n;) {
		size_t l = utf8_decode(s + i, n - i, NULL);
		if (!l) {
			s[i++] = '?';
			continue;
		}
		i += l;
	}
}

int mb_classify(const char *data, size_t len, const struct mb_classify_opts *o,
		struct mb_result *r)
{
	memset(r, 0, sizeof *r);
	struct msg m;
	if (msg_parse(data, len, &m) < 0)
		return -1;
	int rc = classify(&m, o, r);
	r->warnings |= m.warn;
	fix_utf8(r->why);
	fix_utf8(r->subject);
	fix_utf8(r->diagnostic);
	fix_utf8(r->list_unsubscribe);
	for (size_t i = 0; i < r->nother; i++)
		fix_utf8(r->other_lines[i]);
	for (size_t i = 0; i < r->ncmds; i++)
		fix_utf8(r->cmds[i].name);
	msg_free(&m);
	return rc;
}
