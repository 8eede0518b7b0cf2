#include "core/config.h"
#include "core/timefmt.h"

#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/address.h"
#include "core/log.h"

/* inih does not pass line numbers to the handler in Debian's build, so we
 * feed it lines ourselves and count them. */
struct reader {
	FILE *f;
	int line;
	int too_long; /* line number of the first over-long line */
	int max;      /* inih's line buffer: 200 bytes in Debian's build */
	int section_line; /* line of the last [section] header */
	int bad_line, bad_col, bad_byte; /* the first control byte seen */
	/* [section] headers seen in this file, to warn about a repeated one */
	struct {
		char name[64];
		int line;
	} seen[32];
	int nseen;
	const char *path;
	int warn_repeats; /* the main file: a repeat merges, so say so */
	const char *buf;  /* inih's line buffer: values point into it (columns) */
};

/* A [section] header again in one file: inih merges the two silently, so
 * a chair who pasted a second [mail] would not know which value wins. */
static void reader_section(struct reader *r, const char *line)
{
	const char *end = strchr(line, ']');
	if (!r->warn_repeats || !end || end - line - 1 >= (long)sizeof r->seen[0].name)
		return;
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(end - line - 1), line + 1);
	for (int i = 0; i < r->nseen; i++) {
		if (!strcmp(r->seen[i].name, name)) {
			log_warn("%s:%d: [%s] again (first at line %d): the two are read as one, "
				 "a later value winning", r->path, r->line, name, r->seen[i].line);
			return;
		}
	}
	if (r->nseen < (int)(sizeof r->seen / sizeof *r->seen)) {
		snprintf(r->seen[r->nseen].name, sizeof r->seen[0].name, "%s", name);
		r->seen[r->nseen++].line = r->line;
	}
}

struct parse {
	struct config *c;
	const char *path;   /* file being read */
	char *dir;          /* its directory, for relative paths */
	struct reader rd;
	struct err *err;
	int failed;
	struct source *cur; /* the [source NAME] being filled */
	int cur_line;       /* line of its header */
};

/* Reads one line into str as fgets would, but sees what fgets hides: a NUL
 * byte (which would silently end the line, and could hide a setting after
 * it) or another control byte is remembered with its column. */
static char *reader_fn(char *str, int num, void *stream)
{
	struct reader *r = stream;
	int n = 0, ch = EOF;
	while (n < num - 1 && (ch = fgetc(r->f)) != EOF) {
		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
			if (!r->bad_line) {
				r->bad_line = r->line + 1;
				r->bad_col = n + 1;
				r->bad_byte = ch;
			}
			ch = ' ';
		}
		str[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	r->buf = str;
	r->line++;
	r->max = num;
	/* inih only reports keys; a repeated [source a] header would silently
	 * merge into the first without this. */
	if (str[strspn(str, " \t")] == '[') {
		r->section_line = r->line;
		reader_section(r, str + strspn(str, " \t"));
	}
	if (n == num - 1 && str[n - 1] != '\n' && !feof(r->f)) {
		if (!r->too_long)
			r->too_long = r->line;
		while ((ch = fgetc(r->f)) != EOF && ch != '\n')
			;
	}
	return str;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *resolve(const char *dir, const char *p)
{
	if (p[0] == '/' || !dir)
		return strdup(p);
	if (p[0] == '~' && p[1] == '/' && getenv("HOME")) {
		size_t n = strlen(getenv("HOME")) + strlen(p);
		char *r = malloc(n);
		if (r)
			snprintf(r, n, "%s%s", getenv("HOME"), p + 1);
		return r;
	}
	size_t n = strlen(dir) + strlen(p) + 2;
	char *r = malloc(n);
	if (r)
		snprintf(r, n, "%s/%s", dir, p);
	return r;
}

static int perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parse *p, const char *fmt, ...)
{
	if (!p->failed) {
		char msg[768];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		err_set(p->err, "%s:%d: %s", p->path, p->rd.line, msg);
		p->failed = 1;
	}
	return 0; /* stops inih when ini_stop_on_first_error is set */
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst != NULL;
}

static int set_long(struct parse *p, long *dst, const char *name, const char *v, long min,
		    long max)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return perr(p, "%s must be a whole number from %ld to %ld, not \"%s\"", name, min,
			    max, v);
	*dst = n;
	return 1;
}

static int set_bool(struct parse *p, int *dst, const char *name, const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1"))
		*dst = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
		 !strcmp(v, "0"))
		*dst = 0;
	else
		return perr(p, "%s must be yes or no, not \"%s\"", name, v);
	return 1;
}

/* A value naming files: space-separated paths or globs, each resolved
 * against the file's directory. A glob that matches nothing is an error
 * (a typo must not silently drop every source). */
static int add_files(struct parse *p, char ***list, size_t *n, const char *name, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	if (!copy)
		return perr(p, "out of memory");
	int ok = 1;
	for (char *tok = strtok_r(copy, " \t", &save); tok && ok; tok = strtok_r(NULL, " \t", &save)) {
		char *full = resolve(p->dir, tok);
		glob_t g;
		int r = full ? glob(full, 0, NULL, &g) : GLOB_NOSPACE;
		if (r == GLOB_NOMATCH) {
			ok = perr(p, "%s: no file matches \"%s\"", name, full);
		} else if (r != 0) {
			ok = perr(p, "%s: cannot list \"%s\"", name, tok);
		} else {
			for (size_t i = 0; i < g.gl_pathc && ok; i++) {
				char **nl = realloc(*list, (*n + 1) * sizeof *nl);
				if (!nl)
					ok = perr(p, "out of memory");
				else if (*list = nl, !(nl[*n] = strdup(g.gl_pathv[i])))
					ok = perr(p, "out of memory");
				else
					(*n)++;
			}
			globfree(&g);
		}
		free(full);
	}
	free(copy);
	return ok;
}

/* ---- the settings, as tables ----
 *
 * One row per key: a key is added in one line, and `bulletin config keys`
 * prints these tables (man.sh checks bulletin.ini(5) against them). */

enum key_type {
	K_STR,    /* char *: any text */
	K_PATH,   /* char *: relative to the file's directory */
	K_LONG,   /* long: min..max */
	K_BOOL,   /* int: yes/no */
	K_FILES,  /* char ** + size_t count (off2): paths or globs, each must match */
	K_WORD,   /* char *: one of choices ("sv|nb|en") */
	K_CHOICE, /* int: the index of the value in choices ("skip|send") */
	K_ADDR,   /* char *: a mail address (core/address.h) */
	K_URL,    /* char *: starting with one of choices ("https://|http://") */
	K_LIST    /* char ** + size_t count (off2): each line with the key appends one */
};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t off, off2;
	long min, max;
	const char *choices;
	const char *hint; /* the choices as a message says them, when plainer */
	const char *def; /* the default, applied before the file is read; NULL: none or computed */
	/* A further check; returns NULL when v is fine, else why not. */
	const char *(*check)(const char *v);
	/* The same for values with a column: 0 when fine, else -1 with why and
	 * *at, the byte of v the message is about. */
	int (*check_at)(const char *v, size_t *at, char *why, size_t whylen);
};

#define OFF(f) offsetof(struct config, f)
#define SOFF(f) offsetof(struct source, f)
#define AT(f) .off = OFF(f)
#define SAT(f) .off = SOFF(f)

static const char *check_smtp_url(const char *v)
{
	/* sendmail:/usr/sbin/sendmail hands messages to the local MTA */
	if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8) &&
	    !(!strncmp(v, "sendmail:", 9) && (!v[9] || v[9] == '/')))
		return "must start with smtp://, smtps:// or sendmail:/PATH";
	return NULL;
}

/* An ignore pattern of a watched page: PCRE2 as the rules use it (UTF,
 * UCP), compiled now so a typo is an error at its column, not a page
 * that silently never changes. */
static int check_regex(const char *v, size_t *at, char *why, size_t whylen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP, &code, &off, NULL);
	if (re) {
		pcre2_code_free(re);
		return 0;
	}
	char msg[256];
	if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg) < 0)
		snprintf(msg, sizeof msg, "error %d", code);
	snprintf(why, whylen, "%s", msg);
	*at = off;
	return -1;
}

/* IMAP folder names as we send them: ASCII without quotes, wildcards or
 * control bytes (a name with other letters needs modified UTF-7). */
static const char *check_folder(const char *v)
{
	if (!*v || strlen(v) > 200)
		return "must be 1 to 200 characters";
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '*' || *p == '%')
			return "must be plain ASCII without \", \\, * or %";
	return NULL;
}

/* A list of mail addresses, comma or space separated. */
static const char *check_addresses(const char *v)
{
	char one[256];
	for (const char *p = v; *p;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (!n)
			break;
		if (n >= sizeof one)
			return "has an address longer than 255 bytes";
		memcpy(one, p, n);
		one[n] = '\0';
		if (!mail_address_valid(one))
			return "must be mail addresses separated by commas";
		p += n;
	}
	return NULL;
}

/* A weekly time of [review]: "thu 08:00". */
static const char *check_weekly(const char *v)
{
	int d, m;
	return time_weekly_parse(v, &d, &m) ? "must be a weekday and a time, as thu 08:00" : NULL;
}

static const struct key main_keys[] = {
	{"store", "path", K_PATH, AT(store_path)},
	{"store", "lock_wait", K_LONG, AT(lock_wait), .min = 0, .max = 86400, .def = "300"},
	{"log", "syslog", K_BOOL, AT(log_syslog), .def = "no"},
	{"run", "report", K_BOOL, AT(run_report), .def = "no"},
	{"fetch", "contact", K_STR, AT(contact)},
	{"fetch", "max_parallel", K_LONG, AT(max_parallel), .min = 1, .max = 1000},
	{"fetch", "max_per_host", K_LONG, AT(max_per_host), .min = 1, .max = 100},
	{"fetch", "connect_timeout", K_LONG, AT(connect_timeout), .min = 1, .max = 600},
	{"fetch", "timeout", K_LONG, AT(timeout), .min = 1, .max = 3600},
	{"fetch", "max_redirects", K_LONG, AT(max_redirects), .min = 0, .max = 20},
	{"fetch", "max_body", K_LONG, AT(max_body), .min = 1024, .max = 1L << 30},
	{"fetch", "low_speed_time", K_LONG, AT(low_speed_time), .min = 1, .max = 3600},
	{"fetch", "retries", K_LONG, AT(retries), .min = 0, .max = 10},
	{"fetch", "retry_after_max", K_LONG, AT(retry_after_max), .min = 0, .max = 3600},
	{"fetch", "flag_after", K_LONG, AT(flag_after), .min = 1, .max = 1000, .def = "3"},
	{"sources", "files", K_FILES, AT(source_files), .off2 = OFF(nsource_files)},
	{"rules", "files", K_FILES, AT(rules_files), .off2 = OFF(nrules_files)},
	{"digest", "title", K_STR, AT(title), .def = "Primärvårdsnytt"},
	{"digest", "language", K_WORD, AT(language), .choices = "sv|nb|nn|da|en", .def = "sv"},
	{"digest", "timezone", K_WORD, AT(timezone), .choices = "Europe/Stockholm|Europe/Oslo|Europe/Copenhagen|Europe/Helsinki|Atlantic/Reykjavik|UTC", .def = "Europe/Stockholm"},
	{"digest", "templates", K_PATH, AT(templates_dir)},
	{"digest", "archive", K_PATH, AT(archive_dir)},
	{"digest", "summary_length", K_LONG, AT(summary_length), .min = 40, .max = 4000, .def = "180"},
	{"digest", "max_items", K_LONG, AT(max_items), .min = 0, .max = 10000},
	{"digest", "max_age_days", K_LONG, AT(max_age_days), .min = 0, .max = 3660, .def = "30"},
	{"digest", "association", K_STR, AT(association)},
	{"digest", "max_per_topic", K_LONG, AT(max_per_topic), .min = 0, .max = 1000},
	{"digest", "html_budget", K_LONG, AT(html_budget), .min = 20000, .max = 10000000, .def = "100000"},
	{"digest", "empty", K_CHOICE, AT(empty_send), .choices = "skip|send", .def = "skip",
	 .hint = "skip (send nothing) or send (a short note)"},
	{"digest", "archive_url", K_URL, AT(archive_url), .choices = "https://|http://"},
	{"digest", "chair", K_ADDR, AT(chair)},
	{"mail", "from_name", K_STR, AT(from_name)},
	{"mail", "from_address", K_ADDR, AT(from_address)},
	{"mail", "reply_to", K_ADDR, AT(reply_to)},
	{"mail", "smtp_url", K_STR, AT(smtp_url), .def = "smtp://127.0.0.1:25", .check = check_smtp_url},
	{"mail", "starttls", K_BOOL, AT(starttls), .def = "no"},
	{"mail", "verify_tls", K_BOOL, AT(verify_tls), .def = "yes"},
	{"mail", "username", K_STR, AT(smtp_user)},
	{"mail", "password_file", K_PATH, AT(smtp_password_file)},
	{"mail", "password_env", K_STR, AT(smtp_password_env)},
	{"mail", "timeout", K_LONG, AT(smtp_timeout), .min = 1, .max = 3600},
	{"mail", "data_timeout", K_LONG, AT(smtp_data_timeout), .min = 1, .max = 3600, .def = "600"},
	{"mail", "defer_retry", K_LONG, AT(defer_retry), .min = 0, .max = 86400, .def = "900"},
	{"mail", "defer_window", K_LONG, AT(defer_window), .min = 0, .max = 168, .def = "0"},
	{"mail", "ca_file", K_PATH, AT(smtp_ca_file)},
	{"mail", "rate", K_LONG, AT(mail_rate), .min = 0, .max = 1000000},
	{"mail", "per_connection", K_LONG, AT(mail_per_connection), .min = 0, .max = 1000000},
	{"mail", "retries", K_LONG, AT(mail_retries), .min = 0, .max = 10, .def = "2"},
	{"mail", "retry_wait", K_LONG, AT(mail_retry_wait), .min = 0, .max = 300, .def = "2"},
	{"mail", "calendar", K_BOOL, AT(mail_calendar), .def = "yes"},
	{"mail", "list_id", K_STR, AT(list_id)},
	{"mail", "unsubscribe", K_URL, AT(unsubscribe), .choices = "mailto:|https://",
	 .hint = "a mailto: or https: URL"},
	{"members", "file", K_PATH, AT(members_file)},
	{"members", "unsubscribe_key", K_PATH, AT(unsub_key_path)},
	{"calendar", "file", K_PATH, AT(calendar_file)},
	{"calendar", "weeks", K_LONG, AT(calendar_weeks), .min = 1, .max = 52, .def = "6"},
	{"watch", "keep", K_LONG, AT(watch_keep), .min = 2, .max = 1000, .def = "10"},
	{"mailbox", "url", K_URL, AT(mb_url), .choices = "imaps://|imap://"},
	{"mailbox", "tls", K_CHOICE, AT(mb_tls_none), .choices = "auto|none", .def = "auto",
	 .hint = "auto (imaps://, or STARTTLS on imap://) or none"},
	{"mailbox", "ca_file", K_PATH, AT(mb_ca_file)},
	{"mailbox", "user", K_STR, AT(mb_user)},
	{"mailbox", "password_file", K_PATH, AT(mb_password_file)},
	{"mailbox", "password_env", K_STR, AT(mb_password_env)},
	{"mailbox", "folder", K_STR, AT(mb_folder), .def = "INBOX", .check = check_folder},
	{"mailbox", "handled_folder", K_STR, AT(mb_handled_folder), .def = "bulletin/handled",
	 .check = check_folder},
	{"mailbox", "chairs", K_STR, AT(mb_chairs), .check = check_addresses},
	{"mailbox", "trusted_authserv_id", K_STR, AT(mb_authserv_id)},
	{"mailbox", "hard_bounces", K_LONG, AT(mb_hard_bounces), .min = 1, .max = 100, .def = "2"},
	{"mailbox", "timeout", K_LONG, AT(mb_timeout), .min = 1, .max = 3600, .def = "60"},
	{"review", "reviewers", K_STR, AT(review_reviewers), .check = check_addresses},
	{"review", "copy_at", K_STR, AT(review_copy_at), .check = check_weekly},
	{"review", "deadline", K_STR, AT(review_deadline), .check = check_weekly},
	{"mailbox", "max_messages", K_LONG, AT(mb_max_messages), .min = 0, .max = 10000000, .def = "0"},
};

static const struct key source_keys[] = {
	{"source", "url", K_URL, SAT(url), .choices = "http://|https://"},
	{"source", "title", K_STR, SAT(title)},
	{"source", "type", K_CHOICE, SAT(type), .choices = "feed|html|page|rss|atom", .def = "feed",
	 .hint = "feed (RSS or Atom), html or page"},
	{"source", "enabled", K_BOOL, SAT(enabled), .def = "yes"},
	{"source", "item", K_STR, SAT(sel_item)},
	{"source", "item_title", K_STR, SAT(sel_title)},
	{"source", "item_link", K_STR, SAT(sel_link)},
	{"source", "item_date", K_STR, SAT(sel_date)},
	{"source", "item_summary", K_STR, SAT(sel_summary)},
	{"source", "allow_downgrade", K_BOOL, SAT(allow_downgrade), .def = "no"},
	{"source", "selector", K_STR, SAT(selector)},
	{"source", "ignore", K_LIST, SAT(ignore), .off2 = SOFF(nignore), .check_at = check_regex},
};

#define NKEYS(t) (sizeof t / sizeof *t)

/* The index of v among choices "a|b|c", or -1. */
static int choice_index(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	int i = 0;
	for (const char *c = choices; *c; i++) {
		size_t l = strcspn(c, "|");
		if (l == vl && !strncmp(c, v, l))
			return i;
		c += l + (c[l] == '|');
	}
	return -1;
}

/* "a, b or c" from "a|b|c", for messages. */
static void choices_text(const char *choices, char *out, size_t len)
{
	size_t n = 0, total = 1;
	for (const char *c = choices; *c; c++)
		total += *c == '|';
	out[0] = '\0';
	for (const char *c = choices; *c && n + 1 < len; n++) {
		size_t l = strcspn(c, "|");
		const char *sep = n == 0 ? "" : n + 1 == total ? " or " : ", ";
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%.*s", sep, (int)l, c);
		c += l + (c[l] == '|');
	}
}

/* Sets the field of key k in base (a struct config or struct source) from
 * v. Returns 1, or 0 after perr. */
static int key_set(struct parse *p, const struct key *k, void *base, const char *v)
{
	char *at = (char *)base + k->off;
	char **str = (char **)(void *)at;
	char list[160];
	const char *why = NULL;
	switch (k->type) {
	case K_STR:
		break;
	case K_PATH:
		free(*str);
		*str = resolve(p->dir, v);
		return *str ? 1 : perr(p, "out of memory");
	case K_LONG:
		return set_long(p, (long *)(void *)at, k->name, v, k->min, k->max);
	case K_BOOL:
		return set_bool(p, (int *)(void *)at, k->name, v);
	case K_FILES:
		return add_files(p, (char ***)(void *)at, (size_t *)(void *)((char *)base + k->off2),
				 k->name, v);
	case K_LIST: {
		size_t off = 0;
		char why2[300];
		if (k->check_at && k->check_at(v, &off, why2, sizeof why2) < 0) {
			/* file:line:col, the column counted in characters of the line */
			size_t col = 1;
			const char *line = p->rd.buf && v >= p->rd.buf ? p->rd.buf : v;
			/* inih ended the name with a NUL in the same buffer: count it too */
			for (const char *q = line; q < v + off; q++)
				col += ((unsigned char)*q & 0xC0) != 0x80;
			if (!p->failed)
				err_set(p->err, "%s:%d:%zu: %s: %s", p->path, p->rd.line, col, k->name,
					why2);
			p->failed = 1;
			return 0;
		}
		size_t *cnt = (size_t *)(void *)((char *)base + k->off2);
		char ***vals = (char ***)(void *)at;
		char **nl = realloc(*vals, (*cnt + 1) * sizeof *nl);
		if (!nl)
			return perr(p, "out of memory");
		*vals = nl;
		if (!(nl[*cnt] = strdup(v)))
			return perr(p, "out of memory");
		(*cnt)++;
		return 1;
	}
	case K_WORD:
	case K_CHOICE: {
		int i = choice_index(k->choices, v);
		if (i < 0) {
			choices_text(k->choices, list, sizeof list);
			return perr(p, "%s must be %s, not \"%s\"", k->name, k->hint ? k->hint : list, v);
		}
		if (k->type == K_CHOICE) {
			*(int *)(void *)at = i;
			return 1;
		}
		break;
	}
	case K_ADDR:
		if (!mail_address_valid(v))
			return perr(p, "%s: \"%.200s\" is not a mail address (name@example.se)",
				    k->name, v);
		break;
	case K_URL: {
		int ok = 0;
		for (const char *c = k->choices; *c && !ok;) {
			size_t l = strcspn(c, "|");
			ok = !strncmp(v, c, l);
			c += l + (c[l] == '|');
		}
		if (!ok) {
			if (k->hint)
				return perr(p, "%s must be %s, not \"%.200s\"", k->name, k->hint, v);
			choices_text(k->choices, list, sizeof list);
			return perr(p, "%s must start with %s, not \"%.200s\"", k->name, list, v);
		}
		break;
	}
	}
	if (k->check && (why = k->check(v)))
		return perr(p, "%s %s, not \"%.200s\"", k->name, why, v);
	return set_str(str, v) ? 1 : perr(p, "out of memory");
}

static void key_defaults(struct parse *p, const struct key *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].def)
			key_set(p, &t[i], base, t[i].def);
}

static const struct key *key_find(const struct key *t, size_t n, const char *section,
				  const char *name, int *section_known)
{
	*section_known = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].section, section))
			continue;
		*section_known = 1;
		if (!strcmp(t[i].name, name))
			return &t[i];
	}
	return NULL;
}

static void key_free(const struct key *t, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++) {
		char *at = (char *)base + t[i].off;
		switch (t[i].type) {
		case K_LONG:
		case K_BOOL:
		case K_CHOICE:
			break;
		case K_FILES:
		case K_LIST: {
			char **v = *(char ***)(void *)at;
			size_t cnt = *(size_t *)(void *)((char *)base + t[i].off2);
			for (size_t j = 0; j < cnt; j++)
				free(v[j]);
			free(v);
			break;
		}
		default:
			free(*(char **)(void *)at);
		}
	}
}

static void key_print(FILE *out, const struct key *k)
{
	static const char *names[] = {"text", "path", "number", "yes/no", "files", "word", "word",
				      "address", "url", "list"};
	fprintf(out, "%s\t%s\t%s", k->section, k->name, names[k->type]);
	if (k->type == K_LONG)
		fprintf(out, " %ld..%ld", k->min, k->max);
	if (k->choices)
		fprintf(out, " %s", k->choices);
	fprintf(out, "\t%s\n", k->def ? k->def : "-");
}

void config_keys_print(FILE *out)
{
	for (size_t i = 0; i < NKEYS(main_keys); i++)
		key_print(out, &main_keys[i]);
	for (size_t i = 0; i < NKEYS(source_keys); i++)
		key_print(out, &source_keys[i]);
}

static int main_handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *p = user;
	if (p->failed)
		return 0;
	int known;
	const struct key *k = key_find(main_keys, NKEYS(main_keys), section, name, &known);
	if (k)
		return key_set(p, k, p->c, v);
	if (known)
		return perr(p, "unknown setting \"%s\" in [%s]", name, section);
	if (!*section)
		return perr(p, "setting \"%s\" outside any [section]", name);
	return perr(p, "unknown section [%s]", section);
}

static int source_handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *p = user;
	struct config *c = p->c;
	if (p->failed)
		return 0;
	/* The calendar (feeds/arshjul.ini) sits beside the sources, where
	 * the feeds folder's glob finds it too: its entries are [calendar] file's. */
	if (!strncmp(section, "entry ", 6))
		return 1;
	if (strncmp(section, "source ", 7) || !section[7])
		return perr(p, "sections here must be [source NAME], not [%s]", section);
	const char *sname = section + 7;
	if (!p->cur || p->cur_line != p->rd.section_line) {
		for (size_t i = 0; i < c->nsources; i++)
			if (!strcmp(c->sources[i].name, sname) && (p->rd.line = p->rd.section_line))
				return perr(p, "source \"%s\" is already defined at %s", sname,
					    c->sources[i].where);
		struct source *ns = realloc(c->sources, (c->nsources + 1) * sizeof *ns);
		if (!ns)
			return perr(p, "out of memory");
		c->sources = ns;
		p->cur = &ns[c->nsources++];
		memset(p->cur, 0, sizeof *p->cur);
		key_defaults(p, source_keys, NKEYS(source_keys), p->cur);
		p->cur_line = p->rd.section_line;
		char where[PATH_MAX + 32];
		snprintf(where, sizeof where, "%s:%d", p->path, p->rd.section_line);
		if (!(p->cur->name = strdup(sname)) || !(p->cur->where = strdup(where)))
			return perr(p, "out of memory");
	}
	int known;
	const struct key *k = key_find(source_keys, NKEYS(source_keys), "source", name, &known);
	if (!k)
		return perr(p, "unknown setting \"%s\" in [%s]", name, section);
	if (!key_set(p, k, p->cur, v))
		return 0;
	/* rss and atom are old spellings of feed */
	if (k->off == SOFF(type) && p->cur->type > SOURCE_PAGE)
		p->cur->type = SOURCE_FEED;
	return 1;
}

static int parse_file(struct parse *p, const char *path, ini_handler h)
{
	p->path = path;
	p->cur = NULL;
	memset(&p->rd, 0, sizeof p->rd);
	p->rd.path = path;
	p->rd.warn_repeats = h == main_handler;
	free(p->dir);
	p->dir = dir_of(path);
	p->rd.f = fopen(path, "r");
	if (!p->rd.f)
		return err_set(p->err, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(p->rd.f), &sb) == 0 && !S_ISREG(sb.st_mode)) {
		fclose(p->rd.f);
		return err_set(p->err, "%s: not a file (%s)", path,
			       S_ISDIR(sb.st_mode) ? "a directory" : "a device or pipe");
	}
	/* Continuation lines would let an indented key silently join the value
	 * above it; a chair's edit should mean what it looks like. */
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	int r = ini_parse_stream(reader_fn, &p->rd, h, p);
	fclose(p->rd.f);
	if (p->rd.bad_line && (!p->failed || p->rd.bad_line <= p->rd.line)) {
		p->failed = 0;
		p->rd.line = p->rd.bad_line;
		perr(p, "column %d: a control byte (0x%02x) in the text; an INI file is plain "
		     "text (was it saved by a word processor?)", p->rd.bad_col, p->rd.bad_byte);
		return -1;
	}
	if (p->rd.too_long && !p->failed) {
		p->rd.line = p->rd.too_long;
		perr(p, "line longer than %d bytes (inih's limit); shorten it", p->rd.max - 3);
	}
	if (p->failed)
		return -1;
	if (r > 0) {
		p->rd.line = r;
		perr(p, "cannot read this line: expected [section] or name = value");
		return -1;
	}
	return 0;
}

/* ---- other INI files, read the same way but to the end ---- */

struct ini_each {
	struct reader rd;
	const struct config_ini_ops *ops;
};

static void ini_problem(struct ini_each *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ini_problem(struct ini_each *e, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	e->ops->problem(e->ops->user, line, msg);
}

/* reader_fn, and what inih would stop at or pass over in silence said
 * for every line: a control byte, a line too long, a line that is no
 * [section], comment or name = value. */
static char *each_reader(char *str, int num, void *stream)
{
	struct ini_each *e = stream;
	char *r = reader_fn(str, num, &e->rd);
	if (!r)
		return NULL;
	if (e->rd.bad_line) {
		ini_problem(e, e->rd.bad_line, "column %d: a control byte (0x%02x) in the text",
			    e->rd.bad_col, e->rd.bad_byte);
		e->rd.bad_line = 0;
	}
	if (e->rd.too_long) {
		ini_problem(e, e->rd.too_long, "line longer than %d bytes; shorten it", num - 3);
		e->rd.too_long = 0;
	}
	const char *p = str + strspn(str, " \t"), *end = strchr(p, ']');
	if (*p == '[') {
		if (!end) {
			ini_problem(e, e->rd.line, "a [section] header without its ]");
			if (e->ops->section) /* what follows is not the section before */
				e->ops->section(e->ops->user, NULL, e->rd.line);
		} else if (e->ops->section) {
			const char *a = p + 1 + strspn(p + 1, " \t"), *b = end;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			char name[256];
			snprintf(name, sizeof name, "%.*s", (int)(b - a), a);
			e->ops->section(e->ops->user, name, e->rd.line);
		}
	} else if (*p && !strchr(";#\r\n", *p) && !strpbrk(p, "=:")) {
		ini_problem(e, e->rd.line, "cannot read this line: expected [section] or name = value");
	}
	return r;
}

static int each_handler(void *user, const char *section, const char *name, const char *v)
{
	struct ini_each *e = user;
	e->ops->key(e->ops->user, section, name, v, e->rd.line);
	return 1;
}

void config_ini_read(FILE *f, const struct config_ini_ops *ops)
{
	struct ini_each e = {.rd = {.f = f}, .ops = ops};
	ini_allow_multiline = false;
	ini_stop_on_first_error = false;
	ini_parse_stream(each_reader, &e, each_handler, &e);
	ini_stop_on_first_error = true;
}

#ifndef BULLETIN_DATADIR
#define BULLETIN_DATADIR "/usr/local/share/bulletin"
#endif

const char *config_data_dir(void)
{
	const char *env = getenv("BULLETIN_DATADIR");
	return env && *env ? env : BULLETIN_DATADIR;
}

char *config_state_dir(struct err *err)
{
	/* The XDG spec says to ignore a relative value. */
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *r = NULL;
	if (xdg && xdg[0] == '/') {
		if (asprintf(&r, "%s/bulletin", xdg) < 0)
			r = NULL;
	} else if (home && home[0] == '/') {
		if (asprintf(&r, "%s/.local/state/bulletin", home) < 0)
			r = NULL;
	} else {
		err_set(err, "neither XDG_STATE_HOME nor HOME is set: set path in [store] "
			"and archive in [digest]");
		return NULL;
	}
	if (!r)
		err_set(err, "out of memory");
	return r;
}

/* Paths the config left unset. State (store, archive) never goes beside
 * the binary or the config: an installed config directory may be
 * read-only, and a cron job's working directory is arbitrary. */
static int default_paths(struct config *c, struct err *err)
{
	if (!c->store_path || !c->archive_dir) {
		char *st = config_state_dir(err);
		if (!st)
			return -1;
		if (!c->store_path)
			c->store_path = resolve(st, "bulletin.db");
		if (!c->archive_dir)
			c->archive_dir = resolve(st, "archive");
		free(st);
	}
	if (!c->templates_dir) {
		char *maindir = dir_of(c->path);
		char *beside = maindir ? resolve(maindir, "templates") : NULL;
		struct stat sb;
		free(maindir);
		if (beside && stat(beside, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			c->templates_dir = beside;
		} else {
			free(beside);
			c->templates_dir = resolve(config_data_dir(), "templates");
		}
	}
	if (c->store_path && asprintf(&c->lock_path, "%s.lock", c->store_path) < 0)
		c->lock_path = NULL;
	if (!c->unsub_key_path && c->store_path) {
		char *sd = dir_of(c->store_path);
		c->unsub_key_path = sd ? resolve(sd, "unsubscribe.key") : NULL;
		free(sd);
		if (!c->unsub_key_path)
			return err_set(err, "out of memory");
	}
	if (!c->store_path || !c->archive_dir || !c->templates_dir || !c->lock_path)
		return err_set(err, "out of memory");
	return 0;
}

int config_load(struct config *c, const char *path, struct err *err)
{
	memset(c, 0, sizeof *c);
	c->retries = -1;
	struct parse p = {.c = c, .err = err};
	if (!(c->path = strdup(path)))
		return err_set(err, "out of memory");
	key_defaults(&p, main_keys, NKEYS(main_keys), c);
	if (p.failed)
		goto fail;
	if (parse_file(&p, path, main_handler) < 0)
		goto fail;
	if (default_paths(c, err) < 0)
		goto fail;
	for (size_t i = 0; i < c->nsource_files; i++)
		if (parse_file(&p, c->source_files[i], source_handler) < 0)
			goto fail;
	/* A schedule without reviewers would silently mail straight to the
	 * members: the chair meant a review. */
	if ((c->review_copy_at || c->review_deadline) && !c->review_reviewers) {
		err_set(err, "%s: [review] needs reviewers (the addresses that get the review copy)",
			path);
		goto fail;
	}
	for (size_t i = 0; i < c->nsources; i++) {
		struct source *s = &c->sources[i];
		if (!s->url) {
			err_set(err, "%s: source \"%s\" has no url", s->where, s->name);
			goto fail;
		}
		/* A disabled listing may wait for its selectors: nobody could look
		 * at the real page yet. */
		if (s->type == SOURCE_HTML && s->enabled && !s->sel_item) {
			err_set(err, "%s: source \"%s\" is type html but has no item selector "
				"(item = CSS or XPath of one news item)", s->where, s->name);
			goto fail;
		}
		if (s->type != SOURCE_HTML && s->sel_item) {
			err_set(err, "%s: source \"%s\" has selectors but is not type html", s->where,
				s->name);
			goto fail;
		}
		if (s->type != SOURCE_PAGE && (s->selector || s->nignore)) {
			err_set(err, "%s: source \"%s\" has selector or ignore, which are for "
				"type = page", s->where, s->name);
			goto fail;
		}
		if (!s->title && !(s->title = strdup(s->name))) {
			err_set(err, "out of memory");
			goto fail;
		}
	}
	free(p.dir);
	return 0;
fail:
	free(p.dir);
	config_free(c);
	return -1;
}

void config_free(struct config *c)
{
	key_free(main_keys, NKEYS(main_keys), c);
	free(c->path);
	free(c->lock_path);
	for (size_t i = 0; i < c->nsources; i++) {
		key_free(source_keys, NKEYS(source_keys), &c->sources[i]);
		free(c->sources[i].name);
		free(c->sources[i].where);
	}
	free(c->sources);
	memset(c, 0, sizeof *c);
}

char *config_find(const char *explicit_path, struct err *err)
{
	struct stat st;
	if (explicit_path) {
		if (stat(explicit_path, &st) < 0) {
			err_set(err, "%s: %s", explicit_path, strerror(errno));
			return NULL;
		}
		return strdup(explicit_path);
	}
	if (stat("bulletin.ini", &st) == 0)
		return strdup("bulletin.ini");
	char path[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/bulletin/bulletin.ini", xdg);
	else
		snprintf(path, sizeof path, "%s/.config/bulletin/bulletin.ini", home ? home : "");
	if (stat(path, &st) == 0)
		return strdup(path);
	err_set(err, "no configuration: looked for ./bulletin.ini and %s (use -c FILE)", path);
	return NULL;
}

int config_smtp_password(const struct config *c, char **out, struct err *err)
{
	return config_read_secret(c, c->smtp_password_file, c->smtp_password_env, out, err);
}

int config_read_secret(const struct config *c, const char *file, const char *env, char **out,
		       struct err *err)
{
	*out = NULL;
	if (env) {
		const char *v = getenv(env);
		if (!v)
			return err_set(err, "%s: password_env names %s, which is not set", c->path,
				       env);
		return (*out = strdup(v)) ? 0 : err_set(err, "out of memory");
	}
	if (!file)
		return 0;
	FILE *f = fopen(file, "r");
	struct stat st;
	if (!f)
		return err_set(err, "%s: %s", file, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return err_set(err, "%s: readable by others; chmod 600 it", file);
	}
	char line[1024];
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	*out = strdup(line);
	explicit_bzero(line, sizeof line);
	return *out ? 0 : err_set(err, "out of memory");
}
