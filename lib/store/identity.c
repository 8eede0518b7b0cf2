#include "store/identity.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A switch needs this much evidence: one odd item is a title edit or a
 * republished article, not a broken feed. */
#define MIN_EVIDENCE 2

const char *key_mode_name(enum key_mode m)
{
	return m == KEY_LINK ? "link" : m == KEY_TITLE ? "title" : "auto";
}

static enum key_mode mode_from_name(const char *s)
{
	if (s && !strcmp(s, "link"))
		return KEY_LINK;
	if (s && !strcmp(s, "title"))
		return KEY_TITLE;
	return KEY_AUTO;
}

static int same(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* Items of this fetch whose key another item of the same fetch also has,
 * with a different title: the key (a shared link) identifies nothing. */
static size_t shared_keys(const struct item_list *items)
{
	size_t n = 0;
	for (size_t i = 0; i < items->n; i++)
		for (size_t k = 0; k < items->n; k++)
			if (k != i && same(items->v[i].key, items->v[k].key) &&
			    !same(items->v[i].title, items->v[k].title)) {
				n++;
				break;
			}
	return n;
}

static void title_key(struct item *it, char *out, size_t len)
{
	snprintf(out, len, "title:%016llx", (unsigned long long)fnv1a_str(FNV1A_INIT, it->title));
}

static int rekey(struct item *it, char *key)
{
	if (!key)
		return -1;
	free(it->key);
	it->key = key;
	return 0;
}

int identity_assign(struct store *s, const char *source, struct item_list *items,
		    struct identity_report *rep, struct err *err)
{
	memset(rep, 0, sizeof *rep);
	char *stored_mode = NULL;
	if (store_key_mode_get(s, source, &stored_mode, err) < 0)
		return -1;
	enum key_mode mode = mode_from_name(stored_mode);
	free(stored_mode);

	if (mode == KEY_AUTO && items->n >= MIN_EVIDENCE) {
		size_t shared = shared_keys(items), fresh = 0, known_link = 0, reused = 0;
		for (size_t i = 0; i < items->n; i++) {
			struct item *it = &items->v[i];
			int exists = store_item_exists(s, source, it->key, err);
			if (exists < 0)
				return -1;
			char *by_url = NULL, *by_title = NULL;
			if (it->url && store_item_key_by_url(s, source, it->url, &by_url, err) < 0)
				return -1;
			if (!exists) {
				fresh++;
				/* New id, old link: the id changed, not the news. */
				known_link += by_url && strcmp(by_url, it->key);
			} else if (same(it->key, it->url) && it->title) {
				/* Known key that is its link, with a title never seen
				 * before: the link is being reused for new news. */
				if (store_item_key_by_title(s, source, it->title, &by_title, err) < 0) {
					free(by_url);
					return -1;
				}
				reused += by_title == NULL;
			}
			free(by_url);
			free(by_title);
		}
		if (shared >= MIN_EVIDENCE || reused >= MIN_EVIDENCE) {
			mode = KEY_TITLE;
			snprintf(rep->note, sizeof rep->note,
				 "%zu of %zu items share a link that is their only identity; "
				 "its items are identified by their titles from now on",
				 shared >= MIN_EVIDENCE ? shared : reused, items->n);
		} else if (known_link >= MIN_EVIDENCE && known_link * 2 >= items->n) {
			mode = KEY_LINK;
			snprintf(rep->note, sizeof rep->note,
				 "%zu of %zu items came back with new ids but links already seen "
				 "(the feed's ids change on every fetch); its items are identified "
				 "by their links from now on",
				 known_link, items->n);
		}
		if (mode != KEY_AUTO) {
			rep->switched = 1;
			if (store_key_mode_set(s, source, key_mode_name(mode), err) < 0)
				return -1;
		}
	}
	rep->mode = mode;
	if (mode == KEY_AUTO)
		return 0;
	for (size_t i = 0; i < items->n; i++) {
		struct item *it = &items->v[i];
		char *stored = NULL;
		if (mode == KEY_LINK) {
			if (!it->url)
				continue; /* no link: the parser's key is all there is */
			if (store_item_key_by_url(s, source, it->url, &stored, err) < 0)
				return -1;
			if (rekey(it, stored ? stored : strdup(it->url)) < 0)
				return err_set(err, "out of memory");
		} else {
			if (!it->title)
				continue;
			if (store_item_key_by_title(s, source, it->title, &stored, err) < 0)
				return -1;
			char k[64];
			title_key(it, k, sizeof k);
			if (rekey(it, stored ? stored : strdup(k)) < 0)
				return err_set(err, "out of memory");
		}
	}
	return 0;
}
