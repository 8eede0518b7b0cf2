#include <stdio.h>
#include <string.h>

#include "cli.h"

static size_t enabled_sources(const struct config *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nsources; i++)
		n += c->sources[i].enabled != 0;
	return n;
}

int cmd_config(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin config check\n"
		"       bulletin config keys\n"
		"\ncheck loads the configuration and every sources file it names and\n"
		"says where it was found, or the first error with file:line (exit 78).\n"
		"keys lists every setting: section, name, type, default.\n";
	if (argc == 2 && !strcmp(argv[1], "keys")) {
		config_keys_print(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "check")) {
		int r = app_config(a);
		if (r)
			return r;
		printf("%s: %zu sources (%zu enabled), %zu rules files\n", a->cfg.path,
		       a->cfg.nsources, enabled_sources(&a->cfg),
		       a->cfg.nrules_files);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return EXIT_USAGE;
}
