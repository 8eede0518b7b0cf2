#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compose/agenda.h"
#include "compose/chrome.h"
#include "compose/digest.h"
#include "core/text.h"

static const char usage[] =
	"usage: bulletin calendar [--weeks N]\n"
	"       bulletin calendar --check [FILE]\n"
	"\nPrints what is coming in the next N weeks ([calendar] weeks, 6 by\n"
	"default): the entries of the association's calendar ([calendar] file)\n"
	"and the events announced in items the rules select, by date, one line\n"
	"each: date, time, title, place, link. A reminder the next digest will\n"
	"give is marked. Nothing is changed: the digest gives the reminders.\n"
	"--check reads the calendar file (FILE, else the configured one) and\n"
	"lists every problem with file:line; exit 0 when there is none, 78 when\n"
	"there are (those entries are left out of digests and calendar.ics).\n";

/* s padded with spaces to width characters (not bytes: "lördag"). */
static void put_padded(const char *s, size_t width)
{
	size_t chars = 0;
	for (const char *p = s; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	fputs(s, stdout);
	for (; chars < width; chars++)
		putchar(' ');
}

static int check(struct app *a, const char *file)
{
	if (!file) {
		int r = app_config(a);
		if (r)
			return r;
		if (!(file = a->cfg.calendar_file)) {
			fprintf(stderr, "bulletin: %s: no calendar: set file in [calendar]\n", a->cfg.path);
			return EXIT_CONFIG;
		}
	}
	struct calendar cal;
	struct err err;
	if (calendar_load(file, &cal, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		calendar_free(&cal);
		return EXIT_NOINPUT;
	}
	for (size_t i = 0; i < cal.nproblems; i++)
		fprintf(stderr, "%s\n", cal.problems[i]);
	printf("%s: %zu entr%s, %zu problem%s\n", file, cal.n, cal.n == 1 ? "y" : "ies",
	       cal.nproblems, cal.nproblems == 1 ? "" : "s");
	int r = cal.nproblems ? EXIT_CONFIG : 0;
	calendar_free(&cal);
	return r;
}

static int list(struct app *a, long weeks)
{
	const struct calendar *cal;
	int r;
	if ((r = app_store(a)) || (r = app_rules(a, NULL, 0)) || (r = app_calendar(a, &cal)))
		return r;
	const struct config *c = &a->cfg;
	time_t now = app_now();
	if (!weeks)
		weeks = c->calendar_weeks;
	struct agenda ag;
	struct err err;
	struct agenda_opts ao = {.cal = cal, .rules = a->rules, .from = now,
				 .until = now + weeks * 7 * 86400L, .reminders = now};
	if (agenda_build(a->store, &ao, &ag, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	struct digest_opts d = {.language = c->language, .sources = c->sources,
				.nsources = c->nsources};
	json_t *u = digest_upcoming(&d, &ag);
	agenda_free(&ag);
	if (!u) {
		fprintf(stderr, "bulletin: out of memory\n");
		return EXIT_SOFTWARE;
	}
	const struct chrome *ch = chrome_for(c->language);
	char from[64], until[64];
	digest_format_date(now, c->language, from, sizeof from);
	digest_format_date(now + weeks * 7 * 86400L, c->language, until, sizeof until);
	printf("%s: %s \xE2\x80\x93 %s\n", ch->upcoming, from, until);
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(u, "lines"), i, l) {
		const char *time_text = json_string_value(json_object_get(l, "time_text"));
		const char *place = json_string_value(json_object_get(l, "place"));
		const char *url = json_string_value(json_object_get(l, "url"));
		const char *source = json_string_value(json_object_get(l, "source"));
		fputs("  ", stdout);
		put_padded(json_string_value(json_object_get(l, "date_text")), 28);
		put_padded(time_text ? time_text : "", 18);
		if (json_is_true(json_object_get(l, "reminder")))
			printf("%s ", ch->reminder);
		app_put_clean(stdout, json_string_value(json_object_get(l, "title")));
		if (place) {
			fputs(", ", stdout);
			app_put_clean(stdout, place);
		}
		if (source) {
			fputs(" (", stdout);
			app_put_clean(stdout, source);
			fputs(")", stdout);
		}
		if (url) {
			fputs("  ", stdout);
			app_put_clean(stdout, url);
		}
		putchar('\n');
	}
	json_decref(u);
	return 0;
}

int cmd_calendar(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"check", no_argument, NULL, 'c'},
		{"weeks", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, checking = 0;
	long weeks = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'c') {
			checking = 1;
		} else if (c == 'w') {
			char *end;
			errno = 0;
			weeks = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || weeks < 1 || weeks > 52) {
				fprintf(stderr, "bulletin calendar: --weeks needs a number of weeks "
						"from 1 to 52, not \"%.40s\"\n", optarg);
				return EXIT_USAGE;
			}
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (checking && !weeks && argc - optind <= 1)
		return check(a, optind < argc ? argv[optind] : NULL);
	if (checking || optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return list(a, weeks);
}
