/* The member list CSV (RFC 4180 as spreadsheets write it, comma or
 * semicolon). */
#include "deliver/members.h"
#include "core/hash.h"

#include <ctype.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "store/store.h"
#include "core/text.h"

/* A member list is small; anything bigger is a wrong file. */
#define MAX_FILE (16u << 20)
#define MAX_FIELDS 256

/* ---- CSV ---- */

struct record {
	char *f[MAX_FIELDS];
	size_t n;
	int too_many;     /* fields after MAX_FIELDS were dropped ... */
	int lost_text;    /* ... and one of them was not blank */
	int has_nul;
	int unterminated; /* a quoted field ran to the end of the file, or a
			   * quote closing a field that spans lines was
			   * followed by more text (a stray quote): the record
			   * swallowed rows that were not its own */
};

static void record_clear(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	memset(r, 0, sizeof *r);
}

static int record_push(struct record *r, struct buf *b)
{
	if (r->n == MAX_FIELDS) {
		r->too_many = 1;
		for (size_t i = 0; i < b->len; i++)
			if (b->data[i] != ' ' && b->data[i] != '\t')
				r->lost_text = 1;
		buf_reset(b);
		return 0;
	}
	r->f[r->n++] = buf_steal(b);
	return 0;
}

/* Reads one record from d[*pos..n) into r; *line counts newlines. Returns
 * 1 for a record, 0 at the end, -1 on out of memory. */
static int next_record(const char *d, size_t n, size_t *pos, size_t *line, char sep,
		       struct record *r)
{
	size_t i = *pos;
	if (i >= n)
		return 0;
	struct buf b = BUF_INIT;
	int quoted = 0, spans = 0, rc = 0;
	for (;;) {
		if (i >= n) {
			if (quoted)
				r->unterminated = 1;
			break;
		}
		char c = d[i];
		if (quoted) {
			if (c == '"') {
				if (i + 1 < n && d[i + 1] == '"') {
					rc = buf_putc(&b, '"');
					i += 2;
				} else {
					quoted = 0;
					i++;
					/* "Smith" Jr on one line is read leniently as
					 * before; across lines it is a stray quote. */
					size_t j = i;
					while (j < n && (d[j] == ' ' || d[j] == '\t'))
						j++;
					if (spans && j < n && d[j] != sep && d[j] != '\r' &&
					    d[j] != '\n') {
						r->unterminated = 1;
						break;
					}
				}
			} else {
				if (c == '\n')
					(*line)++, spans = 1;
				if (c == '\0')
					r->has_nul = 1;
				rc = buf_putc(&b, c);
				i++;
			}
		} else if (c == '"' && b.len == 0) {
			quoted = 1;
			spans = 0;
			i++;
		} else if (c == sep) {
			rc = record_push(r, &b);
			i++;
		} else if (c == '\r' && i + 1 < n && d[i + 1] == '\n') {
			i += 2;
			(*line)++;
			break;
		} else if (c == '\n' || c == '\r') {
			i++;
			(*line)++;
			break;
		} else {
			if (c == '\0')
				r->has_nul = 1;
			rc = buf_putc(&b, c);
			i++;
		}
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = record_push(r, &b);
	buf_free(&b);
	*pos = i;
	return rc == 0 ? 1 : -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	return s;
}

static int blank_record(const struct record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *s = r->f[i];
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s)
			return 0;
	}
	return 1;
}

/* Separator from the header line: whichever of ',' and ';' occurs more
 * often outside quotes (Nordic spreadsheets export with ';'). */
static char detect_sep(const char *d, size_t n)
{
	size_t commas = 0, semis = 0;
	int quoted = 0;
	for (size_t i = 0; i < n && (quoted || (d[i] != '\n' && d[i] != '\r')); i++) {
		if (d[i] == '"')
			quoted = !quoted;
		else if (!quoted && d[i] == ',')
			commas++;
		else if (!quoted && d[i] == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

/* ---- one member, one address, whatever its case ---- */

/* The simple lower-case of c for the scripts member lists are written in:
 * ASCII, Latin-1 (å ä ö æ ø é ü), Latin Extended-A (the rest of Europe's
 * Latin letters), Greek and Cyrillic; other code points unchanged. */
static uint32_t fold_cp(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
	    (c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if ((c >= 0x100 && c <= 0x12F) || (c >= 0x132 && c <= 0x137) ||
	    (c >= 0x14A && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return c & 1 ? c + 1 : c;
	switch (c) {
	case 0x178: return 0xFF;   /* Ÿ */
	case 0x3C2: return 0x3C3;  /* final sigma folds as sigma */
	case 0x386: return 0x3AC;
	case 0x388: case 0x389: case 0x38A: return c + 37;
	case 0x38C: return 0x3CC;
	case 0x38E: case 0x38F: return c + 63;
	case 0x1E9E: return 0xDF;  /* capital sharp s */
	default: return c;
	}
}

/* Appends s[0..n) case-folded to b (invalid UTF-8 as it is). */
static int fold_utf8(struct buf *b, const char *s, size_t n)
{
	while (n) {
		uint32_t c;
		size_t l = utf8_decode(s, n, &c);
		if (l == 0) {
			if (buf_putc(b, *s))
				return -1;
			s++, n--;
			continue;
		}
		c = fold_cp(c);
		char u[4];
		size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (k == 1) {
			u[0] = (char)c;
		} else {
			for (size_t i = k; i-- > 1; c >>= 6)
				u[i] = (char)(0x80 | (c & 0x3F));
			u[0] = (char)((k == 2 ? 0xC0 : k == 3 ? 0xE0 : 0xF0) | c);
		}
		if (buf_append(b, u, k))
			return -1;
		s += l, n -= l;
	}
	return 0;
}

/* The key two rows of one member share. Domains are case-blind (DNS), so
 * the domain is folded the way IDNA does it (libidn2: UTS #46 mapping and
 * NFC, then punycode; so VÅRD.se, vård.se and xn--vrd-tla.se are one), or
 * by fold_cp when libidn2 refuses the name. The local part is compared as
 * the member list always compared it, without regard to case, and that
 * now holds for å, ä, ö and the other letters fold_cp knows too:
 * Åsa@example.se and åsa@example.se are one member (no mail server
 * delivers those to two people). Returns a new string, or NULL (ENOMEM). */
static char *address_key(const char *email)
{
	struct buf b = BUF_INIT;
	const char *at = strrchr(email, '@');
	size_t llen = at ? (size_t)(at - email) : strlen(email);
	if (fold_utf8(&b, email, llen))
		goto oom;
	if (at) {
		char *ace = NULL;
		int rc = buf_putc(&b, '@');
		if (rc == 0 && idn2_to_ascii_8z(at + 1, &ace, IDN2_NONTRANSITIONAL) == IDN2_OK)
			rc = fold_utf8(&b, ace, strlen(ace));
		else if (rc == 0)
			rc = fold_utf8(&b, at + 1, strlen(at + 1));
		idn2_free(ace);
		if (rc)
			goto oom;
	}
	if (buf_putc(&b, '\0'))
		goto oom;
	return buf_steal(&b);
oom:
	buf_free(&b);
	return NULL;
}

/* The list's addresses by key, for merging duplicates: a slot holds its
 * key and the member's index + 1 (0 = empty), so the first row's line can
 * be named and its status updated. */
struct slot {
	char *key;
	size_t idx1;
};

struct seen {
	struct slot *slot;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	return fnv1a_str(FNV1A_INIT, s);
}

static void seen_free(struct seen *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].key);
	free(t->slot);
}

/* Adds member idx of l. Returns 0 when added, -1 on out of memory, or
 * 1 with *first set to the earlier member's index. */
static int seen_add(struct seen *t, const struct member_list *l, size_t idx, size_t *first)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct slot *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return -1;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slot[i].idx1)
				continue;
			size_t j = hash_str(t->slot[i].key) & (cap - 1);
			while (slot[j].idx1)
				j = (j + 1) & (cap - 1);
			slot[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = slot;
		t->cap = cap;
	}
	char *key = address_key(l->v[idx].email);
	if (!key)
		return -1;
	size_t j = hash_str(key) & (t->cap - 1);
	while (t->slot[j].idx1) {
		if (strcmp(t->slot[j].key, key) == 0) {
			*first = t->slot[j].idx1 - 1;
			free(key);
			return 1;
		}
		j = (j + 1) & (t->cap - 1);
	}
	t->slot[j] = (struct slot){key, idx + 1};
	t->n++;
	return 0;
}

static int list_push(struct member_list *l, const char *email, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct member *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *e = strdup(email), *nm = strdup(name);
	if (!e || !nm) {
		free(e);
		free(nm);
		return -1;
	}
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	l->v[l->n].email = e;
	l->v[l->n].name = nm;
	l->n++;
	return 0;
}

const char *member_status_name(enum member_status st)
{
	switch (st) {
	case MEMBER_ACTIVE: return "active";
	case MEMBER_PAUSED: return "paused";
	case MEMBER_UNSUBSCRIBED: return "unsubscribed";
	}
	return "invalid";
}

/* The language cell: "" when empty; an unknown value is reported and
 * left "" so the digest's own language applies. */
static void read_language(const char *path, size_t line, const char *v, struct member *m,
			  struct member_list *l)
{
	static const char *const known[] = {"sv", "nb", "nn", "da", "en"};
	m->language[0] = '\0';
	if (!*v)
		return;
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		if (strcasecmp(v, known[i]) == 0) {
			memcpy(m->language, known[i], 3);
			return;
		}
	}
	log_warn("%s:%zu: language \"%.40s\" is not one of sv, nb, nn, da, en; ignored", path, line, v);
	l->problems++;
}

/* The status cell: empty is active; an unknown value is reported and read
 * as paused, so a typo never mails someone who may have asked not to be. */
static enum member_status read_status(const char *path, size_t line, const char *v,
				      struct member_list *l)
{
	for (int st = MEMBER_ACTIVE; st <= MEMBER_UNSUBSCRIBED; st++)
		if (strcasecmp(v, member_status_name((enum member_status)st)) == 0)
			return (enum member_status)st;
	if (!*v)
		return MEMBER_ACTIVE;
	log_warn("%s:%zu: status \"%.40s\" is not active, paused or unsubscribed; "
		 "read as paused", path, line, v);
	l->problems++;
	return MEMBER_PAUSED;
}

int members_load(const char *path, struct member_list *out, struct err *err)
{
	memset(out, 0, sizeof *out);
	size_t n;
	char *data = fs_read_file(path, MAX_FILE, &n, err);
	if (!data) {
		err_prefix(err, "member list");
		return -1;
	}
	int rc = members_load_buf(path, data, n, out, err);
	free(data);
	return rc;
}

int members_load_buf(const char *path, const char *data, size_t n, struct member_list *out,
		     struct err *err)
{
	memset(out, 0, sizeof *out);
	size_t pos = 0, line = 1;
	if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	char sep = detect_sep(data + pos, n - pos);

	struct record r;
	memset(&r, 0, sizeof r);
	int rc = -1;
	long ecol = -1, ncol = -1, lcol = -1, scol = -1;
	struct seen seen = {NULL, 0, 0};

	/* The header is the first non-blank record; the members follow. */
	for (;;) {
		record_clear(&r);
		size_t start = line, rstart = pos;
		int k = next_record(data, n, &pos, &line, sep, &r);
		if (k < 0)
			goto oom;
		if (k == 1 && r.unterminated) {
			/* The quote swallowed what followed: only this line is
			 * lost, the next one is read as a row of its own. */
			pos = rstart;
			while (pos < n && data[pos] != '\n' && data[pos] != '\r')
				pos++;
			pos += pos < n && data[pos] == '\r' && pos + 1 < n && data[pos + 1] == '\n';
			pos += pos < n;
			line = start + 1;
		}
		if (k == 0 && ecol < 0) {
			err_set(err, "%s: empty file; expected a header row with an email column", path);
			goto out;
		}
		if (k == 0)
			break;
		if (blank_record(&r))
			continue;
		if (ecol < 0 && r.unterminated) {
			err_set(err, "%s:%zu: the header row has a quoted field that is not closed",
				path, start);
			goto out;
		}
		if (ecol < 0) {
			if (r.too_many)
				log_warn("%s:%zu: the header row has more than %d columns; those after "
					 "are ignored", path, start, MAX_FIELDS);
			for (size_t i = 0; i < r.n; i++) {
				const char *h = trim(r.f[i]);
				if (ecol < 0 && (strcasecmp(h, "email") == 0 || strcasecmp(h, "e-mail") == 0))
					ecol = (long)i;
				else if (ncol < 0 && strcasecmp(h, "name") == 0)
					ncol = (long)i;
				else if (lcol < 0 && strcasecmp(h, "language") == 0)
					lcol = (long)i;
				else if (scol < 0 && strcasecmp(h, "status") == 0)
					scol = (long)i;
			}
			if (ecol < 0) {
				err_set(err, "%s:%zu: the header row has no \"email\" column", path, start);
				goto out;
			}
			continue;
		}
		out->rows++;
		if (r.lost_text && !r.unterminated) {
			log_warn("%s:%zu: more than %d fields; the text after field %d is ignored",
				 path, start, MAX_FIELDS, MAX_FIELDS);
			out->problems++;
		}
		const char *why = r.has_nul ? "NUL byte in the row" : NULL;
		const char *email = (size_t)ecol < r.n ? trim(r.f[ecol]) : "";
		const char *name = ncol >= 0 && (size_t)ncol < r.n ? trim(r.f[ncol]) : "";
		const char *lang = lcol >= 0 && (size_t)lcol < r.n ? trim(r.f[lcol]) : "";
		const char *status = scol >= 0 && (size_t)scol < r.n ? trim(r.f[scol]) : "";
		if (r.unterminated) {
			if (pos < n)
				log_warn("%s:%zu: a quoted field opened on this line is not closed; "
					 "row skipped, reading on from line %zu", path, start, line);
			else
				log_warn("%s:%zu: a quoted field is not closed; row skipped", path,
					 start);
			why = "";
		} else if (why) {
			log_warn("%s:%zu: %s; row skipped", path, start, why);
		} else if (!*email) {
			log_warn("%s:%zu: no email address; row skipped", path, start);
			why = "";
		} else if (!mail_address_valid(email)) {
			log_warn("%s:%zu: \"%.100s\" is not a valid address; row skipped", path,
				 start, email);
			why = "";
		}
		if (why) {
			out->invalid++;
			out->skipped++;
			out->problems++;
			continue;
		}
		if (list_push(out, email, name) != 0)
			goto oom;
		struct member *m = &out->v[out->n - 1];
		m->line = start;
		read_language(path, start, lang, m, out);
		m->status = read_status(path, start, status, out);
		size_t first;
		int s = seen_add(&seen, out, out->n - 1, &first);
		if (s < 0)
			goto oom;
		if (s == 1) {
			struct member *f = &out->v[first];
			/* The first row is kept, but never made less restrictive:
			 * "unsubscribed" on either row wins. */
			int stricter = m->status > f->status;
			log_warn("%s:%zu: %s is listed more than once (first on line %zu); the "
				 "first row is kept%s%s",
				 path, start, email, f->line, stricter ? " with status " : "",
				 stricter ? member_status_name(m->status) : "");
			if (stricter)
				f->status = m->status;
			out->duplicates++;
			out->skipped++;
			out->problems++;
			out->n--;
			free(out->v[out->n].email);
			free(out->v[out->n].name);
		}
	}
	rc = 0;
	goto out;
oom:
	err_set(err, "%s: out of memory", path);
out:
	record_clear(&r);
	seen_free(&seen);
	if (rc != 0)
		member_list_free(out);
	return rc;
}

void member_list_free(struct member_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].email);
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Appends the chair's additions that the CSV does not list and that are
 * neither unsubscribed nor bounced. */
static int members_add_from_store(struct member_list *l, struct store *s,
				  struct member_filter_counts *c, struct err *err)
{
	struct member_state *v;
	size_t n;
	if (store_members_added(s, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int listed = 0;
		for (size_t k = 0; k < l->n && !listed; k++)
			listed = !strcasecmp(l->v[k].email, v[i].address);
		int u = listed ? 0 : store_unsubscribe_get(s, v[i].address, NULL, err);
		int b = listed || u ? 0 : store_member_bounced(s, v[i].address, err);
		if (u < 0 || b < 0)
			rc = -1;
		else if (!listed && !u && !b) {
			if (list_push(l, v[i].address, v[i].name ? v[i].name : "") < 0)
				rc = err_set(err, "member list: out of memory");
			else if (v[i].language && strlen(v[i].language) == 2)
				memcpy(l->v[l->n - 1].language, v[i].language, 3);
			c->added += rc == 0;
		}
	}
	member_states_free(v, n);
	return rc;
}

int members_filter_active(struct member_list *l, struct store *s, int record,
			  struct member_filter_counts *c, struct err *err)
{
	memset(c, 0, sizeof *c);
	/* Decide for every member first, so an error leaves l untouched. */
	unsigned char *drop = calloc(l->n + 1, 1);
	if (!drop)
		return err_set(err, "filtering members: out of memory");
	for (size_t i = 0; i < l->n; i++) {
		const struct member *m = &l->v[i];
		if (m->status == MEMBER_PAUSED) {
			drop[i] = 1;
			c->paused++;
		} else if (m->status == MEMBER_UNSUBSCRIBED) {
			drop[i] = 1;
			c->unsub_csv++;
			if (record && s &&
			    store_unsubscribe_add(s, m->email, "csv", time(NULL), err) < 0)
				goto fail;
		} else if (s) {
			int u = store_unsubscribe_get(s, m->email, NULL, err);
			int b = u ? 0 : store_member_bounced(s, m->email, err);
			if (u < 0 || b < 0)
				goto fail;
			if (u || b) {
				drop[i] = 1;
				*(u ? &c->unsub_store : &c->bounced) += 1;
			}
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (drop[i]) {
			free(l->v[i].email);
			free(l->v[i].name);
		} else {
			l->v[k++] = l->v[i];
		}
	}
	l->n = k;
	free(drop);
	/* Members the chair added by mail (issue 18) join the list. */
	if (s && members_add_from_store(l, s, c, err) < 0)
		return -1;
	return 0;
fail:
	free(drop);
	memset(c, 0, sizeof *c);
	return -1;
}
