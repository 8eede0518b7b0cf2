/* The digest's chrome: every text of the digest that is not news (the
 * greeting, headings, footer, counts, month and day names) in the
 * languages the digest speaks. */
#ifndef BULLETIN_CHROME_H
#define BULLETIN_CHROME_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "fetch/failure.h"

struct chrome {
	const char *lang;
	const char *greeting, *greeting_to, *intro_one, *intro_many, *no_news, *week, *more_topic, *more_all,
		*member, *unsubscribe, *links, *archive, *untitled, *and, *week_lc, *one_item,
		*n_items, *chair_title, *chair_failing, *chair_failures, *chair_dead, *chair_ok;
	const char *event;    /* before an event's start on the item's line */
	const char *at;       /* between an event's day and its clock */
	const char *days[7];  /* Sunday first */
	/* the archive's index page and feed */
	const char *archive_title, *archive_feed, *archive_empty, *item_lc, *items_lc;
	/* the agenda: the digest's "På gång", `bulletin calendar`, calendar.ics */
	const char *upcoming;         /* the section's heading */
	const char *reminder;         /* before a line that is a reminder */
	const char *archive_calendar; /* the index page's link to calendar.ics */
	const char *calendar_name;    /* calendar.ics's name: "%s" is the digest's title */
	const char *calendar_month;   /* an entry without a day: "%s" is "februari 2027" */
	const char *months[12];       /* an entry with a month but no day */
	const char *date_fmt;         /* day, month, year: "%d %s %d", "%d. %s %d" */
	char clock_sep;               /* between hour and minute: '.' or ':' */
	/* the mail's frame (templates/layout.html.mustache) */
	const char *read_online;      /* the link to this issue in the archive */
	const char *index_link;       /* an archived issue's link to the archive's index */
	const char *calendar_file;    /* the attached events' file name */
	/* the chair's report */
	const char *chair_limited, *chair_members;
	/* watched pages (compose/watch.c); %s a title or a text, %ld counts */
	struct chrome_watch {
		const char *section;  /* the digest's section: "Bevakning" */
		const char *changed;  /* an item's title: "Ändrat: %s" */
		const char *added, *removed, *edited; /* "Nytt avsnitt: %s" ... */
		const char *before, *now;             /* "Tidigare: %s", "Nu: %s" */
		const char *new_text, *gone_text;     /* "Tillagt: %s", "Borttaget: %s" */
		const char *more;     /* "…och fler ändringar" */
		const char *compare;  /* the diff page's link: "Jämför versionerna" */
		const char *size;     /* lines added and removed: "rader: +%ld −%ld" */
		const char *old_col, *new_col; /* the diff page's columns */
		const char *chair_changed, *chair_broken; /* the chair's report */
	} watch;
};

/* The chrome of lang; the first (Swedish) for an unknown or NULL lang. */
const struct chrome *chrome_for(const char *lang);
/* Whether lang has a chrome of its own (sv, nb, nn, da, en). */
int chrome_has(const char *lang);
/* The i-th chrome (0 ..), NULL past the last: every language spoken. */
const struct chrome *chrome_at(size_t i);
/* The texts templates use, as the model's "t" object. New reference. */
json_t *chrome_json(const struct chrome *c);

/* Formats a time as a date (in Europe/Stockholm) the language's readers expect:
 * "17 april 2024" (sv), "17. april 2024" (nb, nn), "17. marts 2024" (da),
 * "17 April 2024" (en). */
void digest_format_date(time_t t, const char *language, char *out, size_t outlen);
/* The same in zone (DATE_ZONES in parse/date.h; NULL: Europe/Stockholm). */
void digest_format_date_tz(time_t t, const char *language, const char *zone, char *out,
			   size_t outlen);

/* The chair's run report (`bulletin status`; mailed after `bulletin run`
 * with [run] report = yes) in sv, nb, nn, da or en. The printf formats
 * take what their comments say; each text is one line without its "\n". */
struct chrome_report {
	const char *lang;
	const char *subject;          /* the mail's subject */
	const char *last_run;         /* %s: a time, or never */
	const char *never;
	const char *sources;          /* %zu fetched, %zu failed */
	const char *never_fetched;    /* appended: %zu */
	const char *failing_one, *failing_many; /* %s name, %s URL, %d runs; then the error */
	const char *next_digest;      /* %s since, %lld new, %lld selected */
	const char *the_start;        /* since: no digest yet */
	const char *too_old;          /* %lld items, %ld days */
	const char *watch_changed, *watch_broken; /* then the page's name */
	const char *rules_empty;
	const char *rules_dead;       /* %lld of %lld */
	const char *and_more;         /* %lld */
	const char *members;          /* the heading of members to look at */
	const char *changed_back;     /* %s address, %s address again */
	const char *no_digest;
	const char *last_digest;      /* the subject follows, then last_digest_end */
	const char *last_digest_end;  /* %s: when it was composed */
	const char *completed;        /* %s: when */
	const char *unfinished;
	const char *counts;           /* %zu sent, %zu failed, %zu to retry, %zu in doubt */
	const char *failed;           /* %s address; the server's reply follows */
	const char *in_doubt, *to_send, *deferred; /* a member's state */
	const char *digest_id;        /* %lld */
	/* one line on what a failing source's error means (fetch/failure.h),
	 * for a chair who does not read libcurl's English; NULL: nothing */
	const char *failure[FAILURE_NKINDS];
};
/* The report's texts in lang; English for an unknown or NULL lang. */
const struct chrome_report *chrome_report_for(const char *lang);

/* The chair's review (issue 20): the review copy and the answers to
 * reviewers' edits, in sv, nb, nn, da or en. Markdown where it says so. */
struct chrome_review {
	const char *lang;
	const char *subject;       /* the copy's subject: %s the digest's */
	const char *header;        /* Markdown: %s when the members' digest goes out */
	const char *header_approve; /* Markdown: no deadline, it waits for approve */
	const char *how;           /* Markdown: the words a reply may use */
	const char *below;         /* the heading under the line */
	const char *below_intro;   /* before the nearly selected items */
	const char *score;         /* %s score, %s the threshold */
	const char *answer_subject; /* the answer to an edit: %s the copy's subject */
	const char *applied;       /* heading of what was done */
	const char *nothing;       /* the reply held no edit */
	const char *no_number;     /* %d: the draft has no such number */
	const char *too_late;      /* %s the digest's subject: already sent, nothing applied */
	const char *overridden;    /* %s who, %d number: the last edit wins */
	const char *dropped, *pinned, *added, *noted, *approved, *held; /* %d number or none */
	const char *not_reviewer;  /* the sender is not a reviewer */
	const char *waits;         /* the run report: %s when the digest goes out */
	const char *waits_approve; /* the same without a deadline */
};
const struct chrome_review *chrome_review_for(const char *lang);
/* "fredag 11 december 2026 kl. 07.00" in lang and zone. */
void chrome_review_when(time_t t, const char *lang, const char *zone, char *out, size_t n);

#endif
