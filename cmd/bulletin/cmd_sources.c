#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/url.h"

static const struct source_health *find(const struct source_health *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void row(const char *name, const char *state, const struct source_state *st,
		const char *url)
{
	char a[32], b[32], shown[1024];
	printf("%-28s %-8s %-18s %-18s %5d  ", name, state,
	       app_when(st ? st->last_success : 0, a, sizeof a),
	       app_when(st ? st->last_attempt : 0, b, sizeof b), st ? st->consecutive_failures : 0);
	/* A URL's password never shows; a server's text never moves the line. */
	app_put_clean(stdout, url_redact(st && st->consecutive_failures && st->last_error
					 ? st->last_error : url, shown, sizeof shown));
	putchar('\n');
}

int cmd_sources(struct app *a, int argc, char **argv)
{
	static const char usage[] =
		"usage: bulletin sources\n\n"
		"Lists every configured source with its health: last success, last\n"
		"attempt, failures in a row and the last error (or the URL when it\n"
		"works). FLAGGED: failing for [fetch] flag_after runs or more.";
	int na = app_no_args(argc, argv, "sources", usage);
	if (na >= 0)
		return na;
	int r = app_config(a);
	if (r)
		return r;
	/* Nothing fetched yet: no store to read, every source is new. */
	struct source_health *v = NULL;
	size_t n = 0;
	struct err err;
	if (access(a->cfg.store_path, F_OK) == 0 && (r = app_store_readonly(a)))
		return r;
	if (a->store && store_sources_all(a->store, &v, &n, &err) < 0) {
		fprintf(stderr, "bulletin: %s\n", err.msg);
		return EXIT_IOERR;
	}
	const struct config *c = &a->cfg;
	int flagged = 0;
	printf("%-28s %-8s %-18s %-18s %5s  %s\n", "SOURCE", "STATE", "LAST SUCCESS", "LAST ATTEMPT",
	       "FAILS", "LAST ERROR / URL");
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source *s = &c->sources[i];
		const struct source_health *h = find(v, n, s->name);
		const char *state = !s->enabled ? "off"
				    : !h || !h->st.last_attempt ? "new"
				    : h->st.consecutive_failures >= c->flag_after ? "FLAGGED"
				    : h->st.consecutive_failures ? "failing"
								 : "ok";
		flagged += !strcmp(state, "FLAGGED");
		row(s->name, state, h ? &h->st : NULL, s->url);
	}
	/* Sources the store knows but the config no longer names. */
	for (size_t i = 0; i < n; i++) {
		int known = 0;
		for (size_t k = 0; k < c->nsources && !known; k++)
			known = !strcmp(c->sources[k].name, v[i].name);
		if (!known)
			row(v[i].name, "removed", &v[i].st, v[i].url ? v[i].url : "");
	}
	int said = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].key_mode && strcmp(v[i].key_mode, "auto"))
			printf("%s%s: its feed's ids could not be trusted; its items are "
			       "identified by their %ss.\n",
			       said++ ? "" : "\n", v[i].name, v[i].key_mode);
	if (flagged)
		printf("\n%d source%s failing for %ld runs or more: check the URL in its .ini file.\n",
		       flagged, flagged == 1 ? "" : "s", c->flag_after);
	source_health_free(v, n);
	return 0;
}
