#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "deliver/review.h"
#include "core/fsutil.h"
#include "compose/archive.h"
#include "compose/compose.h"
#include "core/lock.h"
#include "core/log.h"

int app_config(struct app *a)
{
	if (a->cfg_loaded)
		return 0;
	struct err err;
	char *path = config_find(a->config_arg, &err);
	if (!path) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	int r = config_load(&a->cfg, path, &err);
	free(path);
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	a->cfg_loaded = 1;
	log_set_syslog(a->cfg.log_syslog);
	return 0;
}

/* One writer at a time: two runs would both compose and mail the same
 * period (the ledger stops a double send per member only within a digest). */
static int app_lock(struct app *a)
{
	struct err err;
	const char *path = a->cfg.lock_path;
	pid_t holder = 0;
	int r = -1;
	if (fs_mkdir_parent_mode(path, 0700, &err) == 0) {
		r = lock_acquire(path, 0, &a->lock_fd, &holder, &err);
		if (r == 1 && a->cfg.lock_wait > 0) {
			log_info("%s is held by pid %ld; waiting up to %ld s", path, (long)holder,
				 a->cfg.lock_wait);
			r = lock_acquire(path, a->cfg.lock_wait, &a->lock_fd, &holder, &err);
		}
	}
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	if (r == 1) {
		char who[48] = "another bulletin";
		if (holder)
			snprintf(who, sizeof who, "another bulletin (pid %ld)", (long)holder);
		fprintf(stderr, "bulletin: %s holds %s; gave up after %ld s (lock_wait in [store]); "
			"nothing done\n", who, path, a->cfg.lock_wait);
		return EXIT_TEMPFAIL;
	}
	a->locked = 1;
	return 0;
}

int app_writable(const char *dir, char *blocked, size_t n)
{
	char d[4096];
	snprintf(d, sizeof d, "%s", dir);
	struct stat st;
	char *slash;
	while (stat(d, &st) < 0 && (slash = strrchr(d, '/')) && slash != d)
		*slash = '\0';
	if (stat(d, &st) < 0 && !strchr(d, '/'))
		snprintf(d, sizeof d, ".");
	if (access(d, W_OK) == 0)
		return 0;
	int e = errno;
	snprintf(blocked, n, "%s", d);
	return e ? e : EACCES;
}

int app_state_writable(const struct app *a, const char *path, int is_dir, const char *key)
{
	char dir[4096], blocked[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!is_dir && !slash)
		snprintf(dir, sizeof dir, ".");
	else if (!is_dir)
		slash[slash == dir] = '\0'; /* "/x.db": "/" */
	int e = app_writable(dir, blocked, sizeof blocked);
	if (!e)
		return 0;
	/* Under systemd's ProtectSystem=strict (bulletin.service) /etc is
	 * read-only: a relative path beside /etc/bulletin/bulletin.ini
	 * cannot be written, whatever the permissions say. */
	fprintf(stderr, "bulletin: %s cannot be written by this user (%s), and %s goes there: "
		"%s in %s (a relative path is relative to that file's folder). Set it to a "
		"folder this user may write, e.g. /var/lib/bulletin/%s; bulletin paths shows "
		"every path\n", blocked, strerror(e), path, key, a->cfg.path,
		is_dir ? "archive" : "bulletin.db");
	return EXIT_CANTCREAT;
}

int app_store(struct app *a)
{
	if (a->store)
		return 0;
	int r = app_config(a);
	if (r)
		return r;
	/* Said plainly, before SQLite says "unable to open database file". */
	if ((r = app_state_writable(a, a->cfg.store_path, 0, "[store] path")))
		return r;
	if (a->writes && !a->locked && (r = app_lock(a)))
		return r;
	struct err err;
	/* The store's folder holds the ledger and the unsubscribe key: private. */
	if (fs_mkdir_parent_mode(a->cfg.store_path, 0700, &err) < 0 ||
	    store_open(a->cfg.store_path, &a->store, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CANTCREAT;
	}
	return 0;
}

int app_store_readonly(struct app *a)
{
	if (a->store)
		return 0;
	int r = app_config(a);
	if (r)
		return r;
	struct err err;
	if (store_open_readonly(a->cfg.store_path, &a->store, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_NOINPUT;
	}
	return 0;
}

int app_rules(struct app *a, char **files, size_t nfiles)
{
	if (a->rules)
		return 0;
	if (!nfiles) {
		int r = app_config(a);
		if (r)
			return r;
		files = a->cfg.rules_files;
		nfiles = a->cfg.nrules_files;
		if (!nfiles) {
			fprintf(stderr, "bulletin: %s: no rules: set files in [rules]\n", a->cfg.path);
			return EXIT_CONFIG;
		}
	}
	struct err err;
	a->rules = rules_new();
	if (!a->rules) {
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (rules_load_file(a->rules, files[i], &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			return EXIT_CONFIG;
		}
	}
	if (!rules_topic_count(a->rules)) {
		fprintf(stderr, "bulletin: %s: no topics: nothing could ever be selected\n", files[0]);
		return EXIT_CONFIG;
	}
	return 0;
}

void app_free(struct app *a)
{
	if (a->store)
		store_close(a->store);
	if (a->rules)
		rules_free(a->rules);
	json_decref(a->chair_report);
	calendar_free(&a->cal);
	if (a->cfg_loaded)
		config_free(&a->cfg);
	if (a->locked)
		lock_release(a->lock_fd); /* after the store is closed */
	memset(a, 0, sizeof *a);
}

int app_calendar(struct app *a, const struct calendar **out)
{
	*out = NULL;
	int r = app_config(a);
	if (r)
		return r;
	if (!a->cfg.calendar_file)
		return 0;
	if (!a->cal_loaded) {
		struct err err;
		if (calendar_load(a->cfg.calendar_file, &a->cal, &err) < 0) {
			calendar_free(&a->cal);
			log_warn("%s; the digest goes out without the association's calendar "
				 "(bulletin calendar --check)", err.msg);
		}
		for (size_t i = 0; i < a->cal.nproblems; i++)
			log_warn("%s (entry left out)", a->cal.problems[i]);
		a->cal_loaded = 1;
	}
	*out = &a->cal;
	return 0;
}

int app_write_calendar(struct app *a, const char *dir, time_t now)
{
	const struct calendar *cal;
	int r;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)) || (r = app_calendar(a, &cal)))
		return r;
	struct err err;
	char *ics = NULL;
	if (compose_calendar_ics(a->store, &a->cfg, a->rules, cal, now, &ics, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	r = archive_write_calendar(dir, ics, &err);
	free(ics);
	if (r < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR; /* a failed write */
	}
	return 0;
}

time_t app_now(void)
{
	/* Test-only: never set in production (bulletin(1), ENVIRONMENT). */
	const char *v = getenv("BULLETIN_TEST_NOW");
	if (v && *v) {
		char *end;
		errno = 0;
		long long t = strtoll(v, &end, 10);
		if (!errno && !*end && t > 0)
			return (time_t)t;
	}
	return time(NULL);
}

char *app_read_file(const char *path, size_t max, size_t *len)
{
	struct err err;
	char *data = fs_read_file(path, max, len, &err);
	if (!data)
		fprintf(stderr, "bulletin: %s\n", err.msg);
	return data;
}

/* A compose step's failure as an exit status, after printing it. */
static int compose_status(int r, const struct err *err)
{
	if (r == COMPOSE_OK)
		return 0;
	fprintf(stderr, "bulletin: %s\n", err->msg);
	return r == COMPOSE_STORE_FAILED ? EXIT_IOERR
	       : r == COMPOSE_TEMPLATE_FAILED ? EXIT_CONFIG : EXIT_SOFTWARE;
}

int app_compose(struct app *a, time_t now, time_t since, struct digest_row *row, json_t **model_out)
{
	int r;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)))
		return r;
	const struct calendar *cal;
	if ((r = app_calendar(a, &cal)))
		return r;
	struct compose_opts o = {.cfg = &a->cfg, .rules = a->rules, .now = now, .since = since,
				 .calendar = cal};
	struct err err;
	/* The current period under review: the draft as edited so far. */
	struct review_edits e = {0};
	if (!since && review_apply_draft(a->store, &a->cfg, &o, &e, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	r = compose_status(compose_digest(a->store, &o, row, model_out, &a->chair_report, &err), &err);
	review_edits_free(&e);
	return r;
}

const char *app_when(time_t t, char *buf, size_t len)
{
	if (!t)
		return "never";
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%MZ", &tm);
	return buf;
}

/* Feed and server text on one line: control bytes (a hostile server's
 * CR/LF or escapes) become spaces, long text is cut at a UTF-8 boundary. */
void app_put_clean(FILE *out, const char *s)
{
	if (!s || !*s) {
		fputs("-", out);
		return;
	}
	size_t n = strlen(s);
	if (n > 200) {
		n = 200;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], out);
}

int app_chatty(void)
{
	return (isatty(STDERR_FILENO) && log_get_level() >= LOG_LVL_WARN) ||
	       log_get_level() >= LOG_LVL_INFO;
}

int app_no_args(int argc, char **argv, const char *verb, const char *usage)
{
	if (argc <= 1)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		puts(usage);
		return 0;
	}
	fprintf(stderr, "bulletin %s: unexpected argument \"%s\"\n", verb, argv[1]);
	return EXIT_USAGE;
}

void app_smtp_opts(const struct config *c, const char *password, struct smtp_opts *so)
{
	*so = (struct smtp_opts){.url = c->smtp_url, .starttls = c->starttls,
				 .verify_tls = c->verify_tls, .username = c->smtp_user,
				 .password = password, .timeout = c->smtp_timeout,
				 .ca_file = c->smtp_ca_file, .per_connection = c->mail_per_connection};
}

int app_days(const char *verb, const char *arg, long *days)
{
	char *end;
	errno = 0;
	long d = strtol(arg, &end, 10);
	if (errno || end == arg || *end || d <= 0 || d > 36500) {
		fprintf(stderr, "bulletin %s: --days needs a number of days, e.g. 7, not \"%.40s\"\n",
			verb, arg);
		return EXIT_USAGE;
	}
	*days = d;
	return 0;
}
