#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "core/jsonmem.h"
#include "fetch/fetch.h"
#include "core/log.h"

static const char usage[] =
	"usage: bulletin [-c FILE] [-v|-q] COMMAND [ARGS]\n"
	"\n"
	"Fetches news sources, keeps the items the keyword rules select, and mails\n"
	"members a digest grouped by topic. `bulletin COMMAND --help` says more.\n"
	"\n"
	"Commands:\n"
	"  run                        read the mailbox, fetch, compose and send: the\n"
	"                             cron entry point\n"
	"  fetch                      fetch every enabled source and store new items\n"
	"  sources                    each source's health: last success, failures, error\n"
	"  sources add NAME URL [--title TITLE] [--file FILE]\n"
	"                             add a source to the sources file, in place\n"
	"  sources disable|enable NAME\n"
	"                             switch a source off or on in its file\n"
	"  sources test NAME          fetch one source now and show what the rules keep\n"
	"  status                     the chair's report: the last run's sources, the\n"
	"                             next digest, unused rules, the last delivery\n"
	"  parse [--base URL] FILE|-  print the items of one feed document as JSON Lines\n"
	"  parse --type html (--source NAME | --item SEL [--item-title SEL]\n"
	"        [--item-link SEL] [--item-date SEL] [--item-summary SEL]) FILE|-\n"
	"                             the items of a news listing page, by selectors\n"
	"  rules test [-r RULES]... [--explain] [--format text|jsonl]\n"
	"        [--color auto|always|never] [--days N | --since DATE] [ITEMS.jsonl]\n"
	"                             show which items the rules select, and why\n"
	"  rules check [-r RULES]... [--days N | --since DATE] [ITEMS.jsonl]\n"
	"                             mistakes that are not errors: words that match\n"
	"                             anything, duplicates, unreachable topics\n"
	"  rules stats [-r RULES]... [--days N | --since DATE] [ITEMS.jsonl]\n"
	"                             how often each rule matched; dead rules\n"
	"  rules list [-r RULES]... [--regex]\n"
	"                             the groups and topics with their rules\n"
	"  rules eval [-r RULES]... LABELS.tsv\n"
	"                             precision and recall against labeled items\n"
	"  digest [--format md|html|text|json] [--days N] [--open]\n"
	"                             compose the current period's digest (--days: the\n"
	"                             last N days) and print it; --open writes\n"
	"                             preview.html for a browser and prints its path\n"
	"  send [--dry-run DIR]       mail the digest to each member (or write .eml)\n"
	"  send --to ADDRESS [--name NAME]\n"
	"                             a test copy to one address, outside the ledger,\n"
	"                             greeted as that member (or NAME)\n"
	"  send --status [DIGEST]     the last digest's delivery: who is not sent, why\n"
	"  send --resend-in-doubt [DIGEST] | --mark-sent ADDRESS|--all [DIGEST]\n"
	"                             the chair's decision on members in doubt\n"
	"  mailbox [--no-move]        read the association's mailbox: bounces,\n"
	"                             unsubscribe replies, the chair's commands\n"
	"  review [show|history]      the chair's review ([review]): the draft with its\n"
	"                             numbers, or every drop and pin so far\n"
	"  review drop|pin|add N... | note FILE|- | approve | hold\n"
	"                             edit the week's digest before the members get it\n"
	"  members [list]             every member with status and reason\n"
	"  members check [FILE]       check the member list: counts and every problem\n"
	"  members unsubscribe|resubscribe ADDRESS\n"
	"                             record or remove an unsubscribe in the store\n"
	"  members unsubscribe --token TOKEN\n"
	"                             a member's own unsubscribe link (one-click)\n"
	"  archive [--dir DIR]        rebuild the archive's index.html and feed.atom\n"
	"  config check|keys          check the configuration; list every setting\n"
	"  paths                      where the configuration was found, and the sources,\n"
	"                             rules, templates, members, store and archive\n"
	"  calendar [--weeks N]       what is coming: the association's calendar and\n"
	"                             the events in selected items\n"
	"  calendar --check [FILE]    check the calendar file: every problem, file:line\n"
	"  watch [NAME]               watched pages' state; NAME: the page's current text\n"
	"  watch --diff|--accept NAME its last change as a unified diff; accept a page\n"
	"                             that looked broken\n"
	"  watch [--selector SEL] --extract FILE | --compare OLD NEW\n"
	"                             try an extract on a saved page, or compare two\n"
	"  render TEMPLATE [--data FILE.json|-] [--partials DIR] [--no-escape]\n"
	"                             render one Mustache template with JSON data\n"
	"\n"
	"Options:\n"
	"  -c FILE    configuration (default ./bulletin.ini, then\n"
	"             $XDG_CONFIG_HOME/bulletin/bulletin.ini)\n"
	"  -v, -q     more or fewer messages on stderr; with -q a run prints nothing\n"
	"             unless something needs a person\n"
	"  --help, --version\n"
	"\n"
	"Exit status: 0 success, 1 some source or member failed, 64 usage,\n"
	"65 bad input data, 66 missing input, 70 internal error, 73 a file or\n"
	"folder could not be created, 74 I/O error, 75 try later (another run\n"
	"holds the lock, the mail server is down), 78 configuration error\n"
	"(nothing was fetched or sent).\n";

/* Verbs that write the store, the archive or send take the run lock (see
 * app_store); --help and the read-only forms do not. */
static int verb_writes(const char *verb, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
		    !strncmp(argv[i], "--status", 8))
			return 0;
	/* A member's one-click unsubscribe (--token, from a web server) must
	 * not wait minutes for a running send: it is one row, and SQLite
	 * serialises it with the run's writes. */
	if (!strcmp(verb, "members"))
		return argc > 2 && (!strcmp(argv[1], "unsubscribe") || !strcmp(argv[1], "resubscribe")) &&
		       strncmp(argv[2], "--token", 7);
	if (!strcmp(verb, "watch"))
		return argc > 1 && !strcmp(argv[1], "--accept");
	return !strcmp(verb, "run") || !strcmp(verb, "fetch") || !strcmp(verb, "send") ||
	       !strcmp(verb, "archive") || !strcmp(verb, "mailbox") ||
	       (!strcmp(verb, "review") && argc > 1 && strcmp(argv[1], "show") &&
		strcmp(argv[1], "history") && strcmp(argv[1], "--help"));
}

/* Output nobody checked is output nobody got: a verb that printed into a
 * full disk or a closed pipe fails with 74, as sfeed does at exit. */
static int stdout_status(int r)
{
	if ((fflush(stdout) == 0 && !ferror(stdout)) || r == EXIT_IOERR)
		return r; /* a verb that returns 74 has said why */
	fprintf(stderr, "bulletin: cannot write to standard output: %s\n",
		errno ? strerror(errno) : "write error");
	return r && r != EXIT_FAILURE_ ? r : EXIT_IOERR;
}

int main(int argc, char **argv)
{
	struct app a = {0};
	jsonmem_init();
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	int c;
	/* "+" stops at the verb; each verb parses its own options. */
	while ((c = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a.config_arg = optarg; break;
		case 'v': log_set_level(log_get_level() < LOG_LVL_DEBUG ? log_get_level() + 1 : LOG_LVL_DEBUG); break;
		case 'q': log_set_level(LOG_LVL_ERROR); break;
		case 'h': fputs(usage, stdout); return stdout_status(0);
		case 'V': printf("bulletin %s\n", BULLETIN_VERSION); return stdout_status(0);
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	static const struct {
		const char *name;
		int (*fn)(struct app *, int, char **);
	} verbs[] = {
		{"run", cmd_run},       {"fetch", cmd_fetch}, {"parse", cmd_parse},
		{"rules", cmd_rules},   {"digest", cmd_digest}, {"send", cmd_send},
		{"sources", cmd_sources}, {"archive", cmd_archive}, {"render", cmd_render},
		{"members", cmd_members}, {"status", cmd_status}, {"config", cmd_config},
		{"calendar", cmd_calendar},
		{"watch", cmd_watch},
		{"mailbox", cmd_mailbox},
		{"review", cmd_review},
		{"paths", cmd_paths},
	};
	const char *verb = argv[optind];
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
		if (strcmp(verb, verbs[i].name))
			continue;
		if (fetch_global_init() < 0) {
			fprintf(stderr, "bulletin: cannot initialise libcurl\n");
			return EXIT_SOFTWARE;
		}
		int argc2 = argc - optind;
		char **argv2 = argv + optind;
		a.writes = verb_writes(verb, argc2, argv2);
		optind = 0; /* verbs restart getopt on their own argv; 0 (GNU) also forgets main's "+" mode so options may follow files */
		int r = verbs[i].fn(&a, argc2, argv2);
		/* Fatal messages went to stderr only; leave a trace in syslog. */
		if (r && r != EXIT_USAGE)
			log_syslog_only(r == EXIT_FAILURE_ ? LOG_LVL_WARN : LOG_LVL_ERROR,
					"%s: exit status %d (the reason is on stderr)", verb, r);
		app_free(&a);
		fetch_global_cleanup();
		return stdout_status(r);
	}
	fprintf(stderr, "bulletin: unknown command \"%s\"\n\n%s", verb, usage);
	return EXIT_USAGE;
}
