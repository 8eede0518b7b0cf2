/* bulletin members: check the member list, and record or remove
 * unsubscribes in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "compose/chrome.h"
#include "core/log.h"
#include "deliver/members.h"
#include "deliver/unsubscribe.h"
#include "core/timefmt.h"
#include "mailbox/roster.h"

static const char usage[] =
	"usage: bulletin members [list]\n"
	"       bulletin members check [FILE]\n"
	"       bulletin members unsubscribe ADDRESS\n"
	"       bulletin members unsubscribe --token TOKEN\n"
	"       bulletin members resubscribe ADDRESS\n"
	"\n"
	"check reads the member list (FILE, else [members] file) and the store's\n"
	"unsubscribes when the store exists, prints the counts and reports every\n"
	"problem with file:line on stderr. It sends nothing. Exit 0: no problems;\n"
	"1: rows were skipped or values ignored; 78: the file cannot be used.\n"
	"\n"
	"list (the default) prints every member with a status (active, paused,\n"
	"bounced, unsubscribed, removed) and its reason: unsubscribed by reply on\n"
	"a date, bounced with the last status and diagnostic, \"1 hard bounce,\n"
	"5.1.1\" for a member not yet marked bounced, added by the chair's mail.\n"
	"\n"
	"unsubscribe records ADDRESS in the store: it gets no digest from then on,\n"
	"whatever the member list says. An address that is neither in the member\n"
	"list nor added by the chair's mail is refused (exit 1): a typo must not\n"
	"pass for done. resubscribe removes that record, and a bounced mark with\n"
	"the bounces counted.\n"
	"\n"
	"A row with status unsubscribed is recorded in the store by the next send,\n"
	"and the record stays when the row is changed back to active: an old copy\n"
	"of the file must never resubscribe anyone. check, list, send and run name\n"
	"such rows with the command that lets them count again: resubscribe.\n"
	"\n"
	"unsubscribe --token takes the token of a member's own unsubscribe link\n"
	"(the https link in [mail] unsubscribe, as each member's mail carries it;\n"
	"contrib/cgi/bulletin-unsubscribe calls this for the one-click POST),\n"
	"checks it against the key ([members] unsubscribe_key) and records that\n"
	"member's unsubscribe. Exit 65 when the token is not valid.\n";

/* Warnings name the rows; check exists to show them, even under -q. */
static void show_warnings(void)
{
	if (log_get_level() < LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);
}

static int members_check(struct app *a, const char *file)
{
	int r;
	struct err err;
	if (!file) {
		if ((r = app_config(a)))
			return r;
		file = a->cfg.members_file;
		if (!file) {
			fprintf(stderr, "bulletin: %s: set file in [members]\n", a->cfg.path);
			return EXIT_CONFIG;
		}
	} else {
		/* A FILE alone may be checked before there is a configuration;
		 * with one, its store's unsubscribes count too. */
		char *p = config_find(a->config_arg, &err);
		if (p) {
			free(p);
			if ((r = app_config(a)))
				return r;
		} else if (a->config_arg) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			return EXIT_CONFIG;
		}
	}
	show_warnings();
	struct member_list ml;
	if (members_load(file, &ml, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	size_t valid = ml.n, recorded = 0;
	struct member_filter_counts fc;
	struct store *s = NULL;
	/* Only an existing store: checking must not create one. */
	if (a->cfg_loaded && a->cfg.store_path && access(a->cfg.store_path, F_OK) == 0) {
		if ((r = app_store(a))) {
			member_list_free(&ml);
			return r;
		}
		s = a->store;
		struct unsubscribe *v;
		if (store_unsubscribes_all(s, &v, &recorded, &err) < 0) {
			fprintf(stderr, "bulletin: %s\n", err.msg);
			member_list_free(&ml);
			return EXIT_IOERR;
		}
		unsubscribes_free(v, recorded);
	}
	if (members_filter_active(&ml, s, 0, &fc, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		member_list_free(&ml);
		return EXIT_IOERR;
	}
	printf("%s\n", file);
	printf("  %-28s %zu\n", "rows", ml.rows);
	printf("  %-28s %zu\n", "valid", valid);
	printf("  %-28s %zu\n", "active (will be mailed)", ml.n);
	printf("  %-28s %zu\n", "paused", fc.paused);
	printf("  %-28s %zu\n", "unsubscribed in the CSV", fc.unsub_csv);
	if (s)
		printf("  %-28s %zu (of %zu recorded)\n", "unsubscribed in the store",
		       fc.unsub_store, recorded);
	else
		printf("  %-28s -   (no store yet)\n", "unsubscribed in the store");
	if (s) {
		printf("  %-28s %zu\n", "bounced (the mailbox)", fc.bounced);
		printf("  %-28s %zu\n", "added by the chair's mail", fc.added);
	}
	printf("  %-28s %zu\n", "duplicates merged", ml.duplicates);
	printf("  %-28s %zu\n", "invalid, skipped", ml.invalid);
	if (ml.problems)
		printf("%zu problem%s, each named with file:line on stderr.\n", ml.problems,
		       ml.problems == 1 ? "" : "s");
	r = ml.problems ? EXIT_FAILURE_ : 0;
	/* The configured list only: the store's records are about that one. */
	int back = s && a->cfg.members_file && !strcmp(file, a->cfg.members_file) ? app_members_changed_back(a, stderr, NULL) : 0;
	if (back < 0)
		r = EXIT_IOERR;
	else if (back) {
		printf("%d member%s the list says active %s kept out by an earlier \"unsubscribed\" "
		       "in it: see stderr.\n", back, back == 1 ? "" : "s", back == 1 ? "is" : "are");
		r = r ? r : EXIT_FAILURE_;
	}
	if (!valid) {
		fprintf(stderr, "bulletin: %s: no members with a valid address\n", file);
		r = EXIT_CONFIG;
	}
	member_list_free(&ml);
	return r;
}

static int check_address(const char *addr)
{
	if (mail_address_valid(addr))
		return 0;
	/* %.100s and no raw control bytes: the argument may be anything. */
	fputs("bulletin: \"", stderr);
	for (const char *p = addr; *p && p - addr < 100; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
	fputs("\" is not a valid address\n", stderr);
	return EXIT_DATAERR;
}

/* The roster of the configured member list: 1, or 0 without one, or -1
 * after saying why. */
static int load_roster(struct app *a, struct roster *ro)
{
	struct err err;
	if (!a->cfg.members_file)
		return 0;
	if (roster_build(&a->cfg, a->store, ro, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return -1;
	}
	return 1;
}

int app_members_changed_back(struct app *a, FILE *out, const struct chrome_report *t)
{
	struct roster ro;
	int have = load_roster(a, &ro);
	if (have <= 0)
		return have;
	int n = 0;
	for (size_t i = 0; i < ro.n; i++) {
		if (!ro.v[i].changed_back)
			continue;
		n++;
		if (t) {
			fputs("  ", out);
			fprintf(out, t->changed_back, ro.v[i].email, ro.v[i].email);
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%s:%zu: %s says active, but an earlier \"unsubscribed\" in this "
			"list still keeps it out (the store does not forget one); if the member "
			"wants the digest again: bulletin members resubscribe %s\n",
			a->cfg.members_file, ro.v[i].line, ro.v[i].email, ro.v[i].email);
	}
	roster_free(&ro);
	return n;
}

/* An address the member list, the chair's additions and the store's
 * unsubscribes have never heard of: 1 (a typo, most likely). */
static int unknown_member(struct app *a, const char *addr, int *unknown)
{
	struct roster ro;
	struct err err;
	*unknown = 0;
	int have = load_roster(a, &ro);
	if (have <= 0)
		return have < 0 ? EXIT_CONFIG : 0;
	int known = 0;
	for (size_t i = 0; i < ro.n && !known; i++)
		known = !strcasecmp(ro.v[i].email, addr);
	roster_free(&ro);
	int recorded = known ? 0 : store_unsubscribe_get(a->store, addr, NULL, &err);
	if (recorded < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	*unknown = !known && !recorded;
	return 0;
}

static int members_unsubscribe(struct app *a, const char *addr, const char *how)
{
	int r, unknown = 0;
	struct err err;
	if ((r = check_address(addr)) || (r = app_store(a)))
		return r;
	/* The member's own link names a member we mailed; a command may
	 * carry a typo, which must not pass for done. */
	if (!strcmp(how, "command") && (r = unknown_member(a, addr, &unknown)))
		return r;
	if (unknown) {
		fprintf(stderr, "bulletin: %s is not a member: not in %s, not added by the chair's "
			"mail; nothing recorded (bulletin members lists them all)\n", addr,
			a->cfg.members_file);
		return EXIT_FAILURE_;
	}
	int added = store_unsubscribe_add(a->store, addr, how, time(NULL), &err);
	struct unsubscribe u = {0};
	if (added == 0 && store_unsubscribe_get(a->store, addr, &u, &err) < 0)
		added = -1;
	if (added < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (added) {
		printf("%s: unsubscribed; no more digests from the next send on\n", addr);
	} else {
		char ts[RFC3339_LEN];
		printf("%s: already unsubscribed since %s (%s)\n", addr,
		       time_format_rfc3339(u.time, ts),
		       u.how && !strcmp(u.how, "csv")    ? "from the member list"
		       : u.how && !strcmp(u.how, "link") ? "by the member's link"
							 : "by command");
	}
	unsubscribe_free(&u);
	return 0;
}

/* The member's own link: the token names the member and proves the link
 * is ours (an HMAC under the key beside the store). */
static int members_unsubscribe_token(struct app *a, const char *token)
{
	int r = app_config(a);
	if (r)
		return r;
	const struct config *c = &a->cfg;
	struct unsub_key key;
	struct err err;
	if (unsub_key_load(c->unsub_key_path, 0, &key, &err) < 0) {
		fprintf(stderr, "bulletin: %s (no link with a token was ever sent?)\n", err.msg);
		return EXIT_CONFIG;
	}
	char *addr = unsub_token_verify(&key, unsub_list(c), token);
	explicit_bzero(&key, sizeof key);
	if (!addr) {
		fprintf(stderr, "bulletin: the unsubscribe token is not valid (damaged, or made "
				"for another list or key)\n");
		return EXIT_DATAERR;
	}
	r = members_unsubscribe(a, addr, "link");
	free(addr);
	return r;
}

/* After a resubscribe: the CSV may still keep the member out. */
static void note_csv_status(struct app *a, const char *addr)
{
	if (!a->cfg.members_file)
		return;
	enum log_level lv = log_get_level();
	log_set_level(LOG_LVL_ERROR); /* other rows' problems are check's business */
	struct member_list ml;
	struct err err;
	int rc = members_load(a->cfg.members_file, &ml, &err);
	log_set_level(lv);
	if (rc < 0)
		return;
	for (size_t i = 0; i < ml.n; i++) {
		if (strcasecmp(ml.v[i].email, addr) || ml.v[i].status == MEMBER_ACTIVE)
			continue;
		printf("note: %s:%zu still says status %s; change it there too\n",
		       a->cfg.members_file, ml.v[i].line, member_status_name(ml.v[i].status));
	}
	member_list_free(&ml);
}

static int members_resubscribe(struct app *a, const char *addr)
{
	int r;
	struct err err;
	if ((r = check_address(addr)) || (r = app_store(a)))
		return r;
	int removed = store_unsubscribe_remove(a->store, addr, &err);
	int reset = removed < 0 ? -1 : store_member_reset(a->store, addr, &err);
	if (removed < 0 || reset < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	if (reset)
		printf("%s: the bounced mark and the bounces counted are forgotten\n", addr);
	printf(removed ? "%s: resubscribed\n" : "%s: was not unsubscribed in the store\n", addr);
	note_csv_status(a, addr);
	return 0;
}

/* Every member with status and reason; reads only (no store: the CSV). */
static int members_list(struct app *a)
{
	int r = app_config(a);
	if (r)
		return r;
	if (!a->cfg.members_file) {
		fprintf(stderr, "bulletin: %s: set file in [members]\n", a->cfg.path);
		return EXIT_CONFIG;
	}
	if (access(a->cfg.store_path, F_OK) == 0 && (r = app_store(a)))
		return r;
	struct roster ro;
	struct err err;
	if (roster_build(&a->cfg, a->store, &ro, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_CONFIG;
	}
	printf("%-36s %-13s %-24s %s\n", "EMAIL", "STATUS", "NAME", "REASON");
	for (size_t i = 0; i < ro.n; i++) {
		const struct roster_row *m = &ro.v[i];
		printf("%-36s %-13s ", m->email, m->status);
		/* names and server words are outside data: one clean line, the
		 * name cut and padded by characters, not bytes */
		char name[100];
		size_t k = 0, chars = 0;
		for (const char *p = m->name; *p && chars < 24 && k + 4 < sizeof name; chars++) {
			size_t l = 1;
			while (((unsigned char)p[l] & 0xc0) == 0x80 && l < 4)
				l++;
			memcpy(name + k, p, l);
			k += l;
			p += l;
		}
		name[k] = '\0';
		app_put_clean(stdout, k ? name : "-");
		printf("%*s ", (int)(24 - (k ? chars : 1)), "");
		app_put_clean(stdout, m->reason);
		putchar('\n');
	}
	printf("%zu members: %zu active, %zu paused, %zu bounced, %zu unsubscribed, %zu removed\n",
	       ro.n, ro.counts[0], ro.counts[1], ro.counts[2], ro.counts[3], ro.counts[4]);
	roster_free(&ro);
	return 0;
}

int cmd_members(struct app *a, int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "list")))
		return members_list(a);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "check"))
		return members_check(a, NULL);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return members_check(a, argv[2]);
	if (argc == 4 && !strcmp(argv[1], "unsubscribe") && !strcmp(argv[2], "--token"))
		return members_unsubscribe_token(a, argv[3]);
	if (argc == 3 && !strcmp(argv[1], "unsubscribe") && !strncmp(argv[2], "--token=", 8))
		return members_unsubscribe_token(a, argv[2] + 8);
	if (argc == 3 && !strcmp(argv[1], "unsubscribe") && argv[2][0] != '-')
		return members_unsubscribe(a, argv[2], "command");
	if (argc == 3 && !strcmp(argv[1], "resubscribe"))
		return members_resubscribe(a, argv[2]);
	fputs(usage, stderr);
	return EXIT_USAGE;
}
