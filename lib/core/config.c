#include "core/config.h"

#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* inih does not pass line numbers to the handler in Debian's build, so we
 * feed it lines ourselves and count them. */
struct reader {
	FILE *f;
	int line;
	int too_long; /* line number of the first over-long line */
	int max;      /* inih's line buffer: 200 bytes in Debian's build */
	int section_line; /* line of the last [section] header */
};

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

static char *reader_fn(char *str, int num, void *stream)
{
	struct reader *r = stream;
	if (!fgets(str, num, r->f))
		return NULL;
	r->line++;
	r->max = num;
	/* inih only reports keys; a repeated [source a] header would silently
	 * merge into the first without this. */
	if (str[strspn(str, " \t")] == '[')
		r->section_line = r->line;
	size_t n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(r->f)) {
		if (!r->too_long)
			r->too_long = r->line;
		int ch;
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

static int set_path(struct parse *p, char **dst, const char *v)
{
	free(*dst);
	*dst = resolve(p->dir, v);
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

#define KEY(s, k) (!strcmp(section, s) && !strcmp(name, k))

static int main_handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *p = user;
	struct config *c = p->c;
	if (p->failed)
		return 0;
	if (KEY("store", "path"))
		return set_path(p, &c->store_path, v);
	if (KEY("store", "lock_wait"))
		return set_long(p, &c->lock_wait, name, v, 0, 86400);
	if (KEY("log", "syslog"))
		return set_bool(p, &c->log_syslog, name, v);
	if (KEY("run", "report"))
		return set_bool(p, &c->run_report, name, v);
	if (KEY("fetch", "contact"))
		return set_str(&c->contact, v);
	if (KEY("fetch", "max_parallel"))
		return set_long(p, &c->max_parallel, name, v, 1, 1000);
	if (KEY("fetch", "max_per_host"))
		return set_long(p, &c->max_per_host, name, v, 1, 100);
	if (KEY("fetch", "connect_timeout"))
		return set_long(p, &c->connect_timeout, name, v, 1, 600);
	if (KEY("fetch", "timeout"))
		return set_long(p, &c->timeout, name, v, 1, 3600);
	if (KEY("fetch", "max_redirects"))
		return set_long(p, &c->max_redirects, name, v, 0, 20);
	if (KEY("fetch", "max_body"))
		return set_long(p, &c->max_body, name, v, 1024, 1L << 30);
	if (KEY("fetch", "low_speed_time"))
		return set_long(p, &c->low_speed_time, name, v, 1, 3600);
	if (KEY("fetch", "retries"))
		return set_long(p, &c->retries, name, v, 0, 10);
	if (KEY("fetch", "retry_after_max"))
		return set_long(p, &c->retry_after_max, name, v, 0, 3600);
	if (KEY("fetch", "flag_after"))
		return set_long(p, &c->flag_after, name, v, 1, 1000);
	if (KEY("sources", "files"))
		return add_files(p, &c->source_files, &c->nsource_files, name, v);
	if (KEY("rules", "files"))
		return add_files(p, &c->rules_files, &c->nrules_files, name, v);
	if (KEY("digest", "title"))
		return set_str(&c->title, v);
	if (KEY("digest", "language")) {
		if (strcmp(v, "sv") && strcmp(v, "nb") && strcmp(v, "en"))
			return perr(p, "language must be sv, nb or en, not \"%s\"", v);
		return set_str(&c->language, v);
	}
	if (KEY("digest", "templates"))
		return set_path(p, &c->templates_dir, v);
	if (KEY("digest", "archive"))
		return set_path(p, &c->archive_dir, v);
	if (KEY("digest", "summary_length"))
		return set_long(p, &c->summary_length, name, v, 40, 4000);
	if (KEY("digest", "max_items"))
		return set_long(p, &c->max_items, name, v, 0, 10000);
	if (KEY("digest", "max_age_days"))
		return set_long(p, &c->max_age_days, name, v, 0, 3660);
	if (KEY("digest", "association"))
		return set_str(&c->association, v);
	if (KEY("digest", "max_per_topic"))
		return set_long(p, &c->max_per_topic, name, v, 0, 1000);
	if (KEY("digest", "html_budget"))
		return set_long(p, &c->html_budget, name, v, 20000, 10000000);
	if (KEY("digest", "empty")) {
		if (strcmp(v, "skip") && strcmp(v, "send"))
			return perr(p, "empty must be skip (send nothing) or send (a short note), not \"%s\"", v);
		c->empty_send = !strcmp(v, "send");
		return 1;
	}
	if (KEY("digest", "archive_url")) {
		if (strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
			return perr(p, "archive_url must start with https:// or http://");
		return set_str(&c->archive_url, v);
	}
	if (KEY("digest", "chair"))
		return set_str(&c->chair, v);
	if (KEY("mail", "from_name"))
		return set_str(&c->from_name, v);
	if (KEY("mail", "from_address"))
		return set_str(&c->from_address, v);
	if (KEY("mail", "reply_to"))
		return set_str(&c->reply_to, v);
	if (KEY("mail", "smtp_url")) {
		/* sendmail:/usr/sbin/sendmail hands messages to the local MTA */
		if (strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8) &&
		    !(!strncmp(v, "sendmail:", 9) && (!v[9] || v[9] == '/')))
			return perr(p, "smtp_url must start with smtp://, smtps:// or sendmail:/PATH, not \"%s\"", v);
		return set_str(&c->smtp_url, v);
	}
	if (KEY("mail", "starttls"))
		return set_bool(p, &c->starttls, name, v);
	if (KEY("mail", "verify_tls"))
		return set_bool(p, &c->verify_tls, name, v);
	if (KEY("mail", "username"))
		return set_str(&c->smtp_user, v);
	if (KEY("mail", "password_file"))
		return set_path(p, &c->smtp_password_file, v);
	if (KEY("mail", "password_env"))
		return set_str(&c->smtp_password_env, v);
	if (KEY("mail", "timeout"))
		return set_long(p, &c->smtp_timeout, name, v, 1, 3600);
	if (KEY("mail", "ca_file"))
		return set_path(p, &c->smtp_ca_file, v);
	if (KEY("mail", "rate"))
		return set_long(p, &c->mail_rate, name, v, 0, 1000000);
	if (KEY("mail", "per_connection"))
		return set_long(p, &c->mail_per_connection, name, v, 0, 1000000);
	if (KEY("mail", "retries"))
		return set_long(p, &c->mail_retries, name, v, 0, 10);
	if (KEY("mail", "retry_wait"))
		return set_long(p, &c->mail_retry_wait, name, v, 0, 300);
	if (KEY("mail", "calendar"))
		return set_bool(p, &c->mail_calendar, name, v);
	if (KEY("mail", "list_id"))
		return set_str(&c->list_id, v);
	if (KEY("mail", "unsubscribe")) {
		if (strncmp(v, "mailto:", 7) && strncmp(v, "https://", 8))
			return perr(p, "unsubscribe must be a mailto: or https: URL, not \"%s\"", v);
		return set_str(&c->unsubscribe, v);
	}
	if (KEY("members", "file"))
		return set_path(p, &c->members_file, v);
	if (!strcmp(section, "store") || !strcmp(section, "fetch") || !strcmp(section, "sources") ||
	    !strcmp(section, "rules") || !strcmp(section, "digest") || !strcmp(section, "mail") ||
	    !strcmp(section, "members") || !strcmp(section, "log") ||
	    !strcmp(section, "run"))
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
		p->cur->enabled = 1;
		p->cur_line = p->rd.section_line;
		char where[PATH_MAX + 32];
		snprintf(where, sizeof where, "%s:%d", p->path, p->rd.section_line);
		if (!(p->cur->name = strdup(sname)) || !(p->cur->where = strdup(where)))
			return perr(p, "out of memory");
	}
	struct source *s = p->cur;
	if (!strcmp(name, "url")) {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return perr(p, "url must start with http:// or https://, not \"%s\"", v);
		return set_str(&s->url, v);
	}
	if (!strcmp(name, "title"))
		return set_str(&s->title, v);
	if (!strcmp(name, "item"))
		return set_str(&s->sel_item, v);
	if (!strcmp(name, "item_title"))
		return set_str(&s->sel_title, v);
	if (!strcmp(name, "item_link"))
		return set_str(&s->sel_link, v);
	if (!strcmp(name, "item_date"))
		return set_str(&s->sel_date, v);
	if (!strcmp(name, "item_summary"))
		return set_str(&s->sel_summary, v);
	if (!strcmp(name, "enabled"))
		return set_bool(p, &s->enabled, name, v);
	if (!strcmp(name, "type")) {
		if (!strcmp(v, "feed") || !strcmp(v, "rss") || !strcmp(v, "atom"))
			s->type = SOURCE_FEED;
		else if (!strcmp(v, "html"))
			s->type = SOURCE_HTML;
		else
			return perr(p, "type must be feed (RSS or Atom) or html, not \"%s\"", v);
		return 1;
	}
	return perr(p, "unknown setting \"%s\" in [%s]", name, section);
}

static int parse_file(struct parse *p, const char *path, ini_handler h)
{
	p->path = path;
	p->cur = NULL;
	p->rd.line = 0;
	p->rd.too_long = 0;
	p->rd.section_line = 0;
	free(p->dir);
	p->dir = dir_of(path);
	p->rd.f = fopen(path, "r");
	if (!p->rd.f)
		return err_set(p->err, "%s: %s", path, strerror(errno));
	/* Continuation lines would let an indented key silently join the value
	 * above it; a chair's edit should mean what it looks like. */
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	int r = ini_parse_stream(reader_fn, &p->rd, h, p);
	fclose(p->rd.f);
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
	if (!c->store_path || !c->archive_dir || !c->templates_dir || !c->lock_path)
		return err_set(err, "out of memory");
	return 0;
}

static int dup_default(char **dst, const char *v)
{
	return *dst || (*dst = strdup(v)) ? 0 : -1;
}

int config_load(struct config *c, const char *path, struct err *err)
{
	memset(c, 0, sizeof *c);
	c->verify_tls = 1;
	c->mail_calendar = 1;
	c->summary_length = 180;
	c->max_age_days = 30;
	c->html_budget = 100000;
	c->retries = -1;
	c->flag_after = 3;
	c->mail_retries = 2;
	c->mail_retry_wait = 2;
	c->lock_wait = 300;
	struct parse p = {.c = c, .err = err};
	if (!(c->path = strdup(path)))
		return err_set(err, "out of memory");
	if (parse_file(&p, path, main_handler) < 0)
		goto fail;
	if (default_paths(c, err) < 0)
		goto fail;
	if (dup_default(&c->title, "Primärvårdsnytt") || dup_default(&c->language, "sv") ||
	    dup_default(&c->smtp_url, "smtp://127.0.0.1:25")) {
		err_set(err, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->nsource_files; i++)
		if (parse_file(&p, c->source_files[i], source_handler) < 0)
			goto fail;
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

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct config *c)
{
	char **strs[] = {&c->path, &c->store_path, &c->lock_path, &c->contact, &c->title, &c->language,
			 &c->templates_dir, &c->archive_dir, &c->association, &c->from_name,
			 &c->from_address, &c->reply_to, &c->smtp_url, &c->smtp_user,
			 &c->smtp_password_file, &c->smtp_password_env, &c->list_id,
			 &c->unsubscribe, &c->members_file, &c->archive_url, &c->chair,
			 &c->smtp_ca_file};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		free(*strs[i]);
	free_list(c->source_files, c->nsource_files);
	free_list(c->rules_files, c->nrules_files);
	for (size_t i = 0; i < c->nsources; i++) {
		free(c->sources[i].name);
		free(c->sources[i].title);
		free(c->sources[i].url);
		free(c->sources[i].where);
		free(c->sources[i].sel_item);
		free(c->sources[i].sel_title);
		free(c->sources[i].sel_link);
		free(c->sources[i].sel_date);
		free(c->sources[i].sel_summary);
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
	*out = NULL;
	if (c->smtp_password_env) {
		const char *v = getenv(c->smtp_password_env);
		if (!v)
			return err_set(err, "%s: password_env names %s, which is not set", c->path,
				       c->smtp_password_env);
		return (*out = strdup(v)) ? 0 : err_set(err, "out of memory");
	}
	if (!c->smtp_password_file)
		return 0;
	FILE *f = fopen(c->smtp_password_file, "r");
	struct stat st;
	if (!f)
		return err_set(err, "%s: %s", c->smtp_password_file, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return err_set(err, "%s: readable by others; chmod 600 it", c->smtp_password_file);
	}
	char line[1024];
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return (*out = strdup(line)) ? 0 : err_set(err, "out of memory");
}
