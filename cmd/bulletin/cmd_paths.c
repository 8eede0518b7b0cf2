/* bulletin paths: where the configuration and everything it names were
 * found, for a chair who wonders which file is read and where state goes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* One line: what, the path, and whether it is there. */
static void line(const char *what, const char *path, const char *absent)
{
	struct stat st;
	printf("%-10s %s", what, path ? path : "-");
	if (!path)
		printf("  (not set)");
	else if (stat(path, &st) < 0)
		printf("  (%s)", absent);
	putchar('\n');
}

/* A state folder this user cannot write: named. */
static void writable(const char *dir)
{
	char blocked[4096];
	int e = app_writable(dir, blocked, sizeof blocked);
	if (e)
		printf("%-10s %s cannot be written by this user (%s): bulletin needs to write "
		       "there\n", "", blocked, strerror(e));
}

int cmd_paths(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin paths\n\nPrints where the configuration was found (-c, else\n"
		"./bulletin.ini, else $XDG_CONFIG_HOME/bulletin/bulletin.ini) and where the\n"
		"files it names are: sources, rules, templates, the member list, the\n"
		"calendar, the store, its lock and unsubscribe key, the archive and the\n"
		"installed data. Paths not there yet say so; state folders this user\n"
		"cannot write are named.";
	int na = app_no_args(argc, argv, "paths", usage);
	if (na >= 0)
		return na;
	int r = app_config(a);
	if (r)
		return r;
	const struct config *c = &a->cfg;
	const char *how = a->config_arg ? "-c"
			  : strcmp(c->path, "bulletin.ini") ? "found in your configuration folder"
							    : "found in this folder";
	printf("%-10s %s  (%s)\n", "config", c->path, how);
	for (size_t i = 0; i < c->nsource_files; i++)
		line(i ? "" : "sources", c->source_files[i], "missing");
	if (!c->nsource_files)
		line("sources", NULL, "");
	for (size_t i = 0; i < c->nrules_files; i++)
		line(i ? "" : "rules", c->rules_files[i], "missing");
	if (!c->nrules_files)
		line("rules", NULL, "");
	line("templates", c->templates_dir, "missing");
	line("members", c->members_file, "missing");
	line("calendar", c->calendar_file, "missing");
	line("store", c->store_path, "not there yet: the first fetch or run makes it");
	char *dir = strdup(c->store_path);
	if (dir && strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		writable(*dir ? dir : "/");
	}
	free(dir);
	line("lock", c->lock_path, "not there yet");
	line("key", c->unsub_key_path, "not there yet: made when a member's link is first sent");
	line("archive", c->archive_dir, "not there yet: the first send makes it");
	writable(c->archive_dir);
	line("data", config_data_dir(), "missing: not installed under this prefix; BULLETIN_DATADIR names another");
	return 0;
}
