/* Configuration: the main INI file (bulletin.ini) and the source files it
 * names (INI files with one [source NAME] section each). Relative paths
 * are resolved against the directory of the file they appear in. Every
 * error names file:line. */
#ifndef BULLETIN_CONFIG_H
#define BULLETIN_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

/* The values are the indices of type's choices in config.c; the old
 * spellings rss and atom come after the last one and read as feed. */
enum source_type { SOURCE_FEED = 0, SOURCE_HTML, SOURCE_PAGE };

struct source {
	char *name;
	char *title;  /* display name in the digest; defaults to name */
	char *url;
	enum source_type type;
	int enabled;
	int allow_downgrade; /* 1: an https url may be redirected to http */
	/* type = html: CSS or XPath selectors (see html.h); NULL when unset */
	char *sel_item, *sel_title, *sel_link, *sel_date, *sel_summary;
	/* type = page (a watched page or PDF): the part to watch (CSS or
	 * XPath; NULL: the main content) and PCRE2 patterns of text that is
	 * never a change (one ignore = line each; checked when loaded) */
	char *selector;
	char **ignore;
	size_t nignore;
	char *where;  /* "file:line" of its section, for messages */
};

struct config {
	char *path;           /* the main file */
	char *store_path;     /* default $XDG_STATE_HOME/bulletin/bulletin.db */
	char *lock_path;      /* store_path + ".lock" */
	long lock_wait;       /* seconds a second run waits for the lock; 0 = none */
	/* [log] */
	int log_syslog;       /* also send log lines to syslog (facility user) */
	/* [run] */
	int run_report;       /* mail `bulletin status` to the chair after each run */
	/* [fetch] */
	char *contact;        /* for the User-Agent */
	long max_parallel, max_per_host, connect_timeout, timeout, max_redirects;
	long max_body;
	long low_speed_time;  /* seconds under 100 bytes/s before giving up */
	long retries;         /* after the first attempt; -1 = default */
	long retry_after_max; /* seconds */
	long flag_after;      /* consecutive failed runs before a source is flagged */
	/* [sources], [rules] */
	char **source_files;
	size_t nsource_files;
	char **rules_files;
	size_t nrules_files;
	/* [digest] */
	char *title;
	char *language;       /* sv, nb, nn, da or en */
	char *timezone;       /* the digest's dates: Europe/Stockholm (default), Europe/Oslo, ... */
	char *templates_dir;  /* default templates/ beside the config, else the installed ones */
	char *archive_dir;    /* default $XDG_STATE_HOME/bulletin/archive */
	long summary_length;
	long max_items;       /* per digest; 0 = no cap */
	long max_age_days;    /* leave out items published longer ago than this; 0 = off */
	char *association;    /* footer line */
	long max_per_topic;   /* items per topic; 0 = no cap */
	long html_budget;     /* bytes of the HTML part (Gmail clips at ~102 KB); default 100000 */
	int empty_send;       /* an empty period: 1 = send a short note, 0 = skip (default) */
	char *archive_url;    /* where the archive folder is published (https://...); may be NULL */
	char *chair;          /* the chair's address: her copy gets the source-health footer */
	/* [mail] */
	char *from_name, *from_address, *reply_to;
	char *smtp_url;
	int starttls, verify_tls;
	char *smtp_user, *smtp_password_file, *smtp_password_env;
	long smtp_timeout;
	long smtp_data_timeout; /* seconds for the reply to the final "." (RFC 5321: 600) */
	long defer_retry;     /* seconds before a deferred member's first try on a later run */
	long defer_window;    /* hours a deferred member is tried; 0 = until the next digest (at most 7 days) */
	char *smtp_ca_file;   /* extra CA bundle (a private relay's certificate); NULL: system CAs */
	long mail_rate;       /* messages per minute; 0 = unlimited */
	long mail_per_connection; /* messages before reconnecting; 0 = unlimited */
	long mail_retries;    /* tries after a 4xx or a lost connection, in the same run */
	long mail_retry_wait; /* seconds before the first retry; doubles each time */
	char *list_id, *unsubscribe;
	int mail_calendar;    /* a text/calendar part when the digest carries events (default 1) */
	/* [members] */
	char *members_file;
	char *unsub_key_path; /* HMAC key of the unsubscribe tokens; default beside the store */
	/* [calendar] */
	char *calendar_file;  /* the association's year (compose/calendar.h); NULL: none */
	long calendar_weeks;  /* how far ahead the digest's "På gång" looks */
	/* [watch] */
	long watch_keep;      /* versions of each watched page kept in the store */
	/* [mailbox] (issue 18): no url, no mailbox step */
	char *mb_url;         /* imaps://host[:port]/ or imap://host[:port]/ (STARTTLS) */
	int mb_tls_none;      /* tls = none: plain IMAP allowed to any host */
	char *mb_ca_file;     /* extra CA bundle; NULL: system CAs */
	char *mb_user, *mb_password_file, *mb_password_env;
	char *mb_folder, *mb_handled_folder;
	char *mb_chairs;      /* addresses, comma or space separated */
	char *mb_authserv_id; /* trusted_authserv_id */
	long mb_hard_bounces; /* hard bounces (across at least two digests) before "bounced" */
	long mb_timeout;      /* seconds per IMAP command */
	long mb_max_messages; /* messages examined per run; 0 = all */

	/* [review] (issue 20): no reviewers, no review */
	char *review_reviewers; /* addresses, comma or space separated */
	char *review_copy_at;   /* "thu 08:00": the review copy is made from then on */
	char *review_deadline;  /* "fri 07:00": the members' digest goes out; NULL: at approve */

	struct source *sources;
	size_t nsources;
};

/* Finds the main file: explicit (may be NULL), else ./bulletin.ini, else
 * $XDG_CONFIG_HOME/bulletin/bulletin.ini (~/.config when unset). Returns a
 * new string, or NULL with err listing where it looked. */
char *config_find(const char *explicit_path, struct err *err);
/* Where state goes when the config names no path: $XDG_STATE_HOME/bulletin
 * (~/.local/state/bulletin when unset). A new string, or NULL with err. */
char *config_state_dir(struct err *err);
/* The installed data: $BULLETIN_DATADIR when set, else the compiled-in
 * BULLETIN_DATADIR. Not to be freed. */
const char *config_data_dir(void);
/* Loads the main file and every source file it names. Returns 0, or -1
 * with err "file:line: message" (the caller exits with EXIT_CONFIG). */
int config_load(struct config *c, const char *path, struct err *err);
void config_free(struct config *c);
/* Every key of the main file and of a [source NAME] section, one per line:
 * section, name, type (with its range or choices), default ("-": none or
 * computed), tab-separated. */
void config_keys_print(FILE *out);
/* Reads the SMTP password from the file (must not be group/world-readable)
 * or the environment variable the config names; *out = NULL when neither
 * is configured. */
int config_smtp_password(const struct config *c, char **out, struct err *err);
/* The same for any secret: from the file (owner-only) or the variable. */
int config_read_secret(const struct config *c, const char *file, const char *env, char **out,
		       struct err *err);

/* Another INI file read as the configuration is (inih, line numbers
 * counted here), but to its end, for files whose reader reports every
 * problem and not only the first (the calendar). section (may be NULL)
 * gets each [header]'s name (NULL for a broken header, after its problem), key each name = value, problem each line
 * inih cannot read or that holds a control byte or is too long. */
struct config_ini_ops {
	void (*section)(void *user, const char *name, int line);
	void (*key)(void *user, const char *section, const char *name, const char *value,
		    int line);
	void (*problem)(void *user, int line, const char *msg);
	void *user;
};
void config_ini_read(FILE *f, const struct config_ini_ops *ops);

#endif
