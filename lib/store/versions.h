/* Watched pages in the store: each page's extract as versions (zlib
 * compressed; the last [watch] keep good ones kept, and the newest broken
 * one), and the changes found between versions. */
#ifndef BULLETIN_VERSIONS_H
#define BULLETIN_VERSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "store/store.h"

struct page_version {
	int64_t id;
	char *source;
	time_t fetched;
	char *url;     /* the URL it was fetched from (after redirects) */
	char *title;   /* the page's title; may be NULL */
	char *kind;    /* "html" or "pdf" */
	char *text;    /* the extract */
	size_t size;   /* its bytes */
	char *broken;  /* NULL: good; else why it looks broken */
};
void page_version_free(struct page_version *v);

/* The newest version of source (good_only: the newest good one). Returns
 * 1 and fills out, 0 when there is none, -1 with err. */
int store_version_latest(struct store *s, const char *source, int good_only,
			 struct page_version *out, struct err *err);
/* Version id. 1, 0 (pruned or unknown), -1. */
int store_version_get(struct store *s, int64_t id, struct page_version *out, struct err *err);
/* Stores v (compressed) and sets v->id. A good version prunes the source's
 * good versions beyond keep and forgets its broken ones (the page is
 * back); a broken one replaces the source's earlier broken one. */
int store_version_add(struct store *s, struct page_version *v, long keep, struct err *err);
/* Forgets source's broken versions (the page came back unchanged). */
int store_version_clear_broken(struct store *s, const char *source, struct err *err);
/* The newest version, when broken, becomes good (the chair says the page
 * really is like that now). Returns 1 and its id in *id, 0 when the newest
 * is not broken, -1. */
int store_version_accept(struct store *s, const char *source, int64_t *id, struct err *err);

struct page_change {
	int64_t id;
	char *source;
	int64_t old_version, new_version;
	time_t detected;
	long added, removed; /* lines */
};
void page_changes_free(struct page_change *v, size_t n);
int store_change_add(struct store *s, struct page_change *c, struct err *err); /* sets c->id */
/* Changes with since <= detected < until, by source then id. */
int store_changes_between(struct store *s, time_t since, time_t until, struct page_change **out,
			  size_t *n, struct err *err);
/* The newest change of source: 1 and out, 0 none, -1. */
int store_change_last(struct store *s, const char *source, struct page_change *out,
		      struct err *err);

#endif
