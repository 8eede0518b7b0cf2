/* The command-line program: wiring only. Each verb lives in its own file;
 * the pipeline's logic lives in lib/. */
#ifndef BULLETIN_CLI_H
#define BULLETIN_CLI_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "compose/calendar.h"
#include "core/config.h"
#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/render.h"
#include "deliver/members.h"
#include "select/rules.h"
#include "deliver/smtp.h"
#include "store/store.h"

struct app {
	const char *config_arg; /* -c FILE, or NULL */
	struct config cfg;
	int cfg_loaded;
	struct store *store;
	struct rules *rules;
	/* Set by main.c for verbs that write the store or send: app_store
	 * then takes the run lock (cfg.lock_path) before opening the store. */
	int writes;
	int locked, lock_fd;
	/* Set by app_compose for the chair's copy only (never archived):
	 * failing sources and rules that matched nothing in the period. */
	json_t *chair_report;
	/* [calendar] file, read once by app_calendar */
	struct calendar cal;
	int cal_loaded;
};

/* Each returns 0 or an exit status (after printing the one message). */
int app_config(struct app *a);
/* Opens the store, after taking the run lock when a->writes is set (exit
 * 75 when another run still holds it after [store] lock_wait seconds). */
int app_store(struct app *a);
/* 0 when dir (or the nearest folder above it that exists, which could
 * make it) is writable by this user; else the errno, with that folder
 * in blocked. */
int app_writable(const char *dir, char *blocked, size_t n);
/* 0 when the file path (is_dir: the folder path) can be made and written;
 * else EXIT_CANTCREAT after saying which folder, naming the setting key
 * and that a relative path is relative to the configuration's folder. */
int app_state_writable(const struct app *a, const char *path, int is_dir, const char *key);
/* The store for verbs that only read it (send --status, status, sources):
 * no lock, no write, works on a read-only file; exit 66 when it is not
 * there or cannot be opened. */
int app_store_readonly(struct app *a);
/* Rules from the -r files when given, else from the config. */
int app_rules(struct app *a, char **files, size_t nfiles);
void app_free(struct app *a);
/* The configured calendar file, read once; its problems are warned about
 * (file:line, the entry left out) and an unreadable file is warned about
 * and read as empty: the digest goes out without it. *out is NULL when the
 * configuration names none. Returns 0 or an exit status. */
int app_calendar(struct app *a, const struct calendar **out);
/* calendar.ics (compose_calendar_ics) written into dir. Returns 0 or an
 * exit status, after printing why. */
int app_write_calendar(struct app *a, const char *dir, time_t now);

/* The time the verbs take as now: time(NULL), or for the test suite only
 * the seconds since the epoch in BULLETIN_TEST_NOW (to compose February's
 * and August's digest on any day). Read here and nowhere else. */
time_t app_now(void);

/* The digest of the current period: items first seen since the end of the
 * last completed digest (or since `since` when it is not 0: a preview) up
 * to now. Fills row (id 0: not yet stored) and, when model is non-NULL,
 * the JSON model. Returns 0 or an exit status. */
int app_compose(struct app *a, time_t now, time_t since, struct digest_row *row, json_t **model);

/* A stored time for the chair's lists: "2026-11-23 08:00Z", or "never"
 * for 0. Returns buf. */
const char *app_when(time_t t, char *buf, size_t len);

/* The [mail] server settings as smtp_opts (password may be NULL). */
void app_smtp_opts(const struct config *c, const char *password, struct smtp_opts *so);

/* --days N for verb: 1 to 36500. Returns 0, or EXIT_USAGE after saying why. */
int app_days(const char *verb, const char *arg, long *days);

/* For verbs that take no arguments: -1 when there are none (go on), else
 * the exit status after printing usage (--help) or an error. */
int app_no_args(int argc, char **argv, const char *verb, const char *usage);

/* Feed and server text on one line: control bytes become spaces, long
 * text is cut at 200 bytes on a UTF-8 boundary; "-" when empty. */
void app_put_clean(FILE *out, const char *s);

/* 1 when a person is watching and did not ask for quiet: stderr is a
 * terminal and no -q was given, or -v asked for more. Summaries of what
 * went well ("fetched 12 sources") print only then: under -q (cron) a
 * run prints nothing unless something needs a human. */
int app_chatty(void);

/* Reads a whole file ("-" = stdin) up to max bytes. NULL on error (printed). */
char *app_read_file(const char *path, size_t max, size_t *len);

int cmd_fetch(struct app *a, int argc, char **argv);
int cmd_parse(struct app *a, int argc, char **argv);
int cmd_rules(struct app *a, int argc, char **argv);
int cmd_digest(struct app *a, int argc, char **argv);
int cmd_send(struct app *a, int argc, char **argv);
int cmd_sources(struct app *a, int argc, char **argv);
int cmd_run(struct app *a, int argc, char **argv);
int cmd_archive(struct app *a, int argc, char **argv);
int cmd_render(struct app *a, int argc, char **argv);
int cmd_members(struct app *a, int argc, char **argv);
int cmd_status(struct app *a, int argc, char **argv);
int cmd_config(struct app *a, int argc, char **argv);
int cmd_calendar(struct app *a, int argc, char **argv);
int cmd_watch(struct app *a, int argc, char **argv);
int cmd_mailbox(struct app *a, int argc, char **argv);
int cmd_review(struct app *a, int argc, char **argv);
int cmd_paths(struct app *a, int argc, char **argv);

/* Members whose row in the member list says active while an earlier
 * "unsubscribed" in it still keeps them out (roster.h: changed_back): one
 * line each on out with the command that lets the row count again,
 * "file:line: ..." (t NULL) or in the report's words (t). Needs a->store.
 * Returns how many, or -1 after saying why. */
struct chrome_report;
int app_members_changed_back(struct app *a, FILE *out, const struct chrome_report *t);

/* The chair's report as plain text (what `bulletin status` prints): the
 * last run's sources, the next digest's preview and the last delivery.
 * Returns 0 or an exit status. */
int app_status_report(struct app *a, FILE *out, const struct chrome_report *t);

/* The stages `run` chains; each returns 0 or an exit status. */
int stage_fetch(struct app *a);
int stage_send(struct app *a, const char *dry_run_dir);
/* The mailbox (lib/mailbox); alone: `bulletin mailbox` (prints counts,
 * [mailbox] required), else a step of run (quiet, skipped without it). */
int stage_mailbox(struct app *a, int alone, int no_move);

#endif
