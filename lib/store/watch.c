#include "store/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "parse/page.h"

const char *watch_looks_broken(size_t old_len, size_t new_len, int similar, char *why)
{
	if (new_len < WATCH_MIN_TEXT)
		snprintf(why, 200, "it has almost no text (%zu bytes; it had %zu)", new_len, old_len);
	else if (old_len >= WATCH_COLLAPSE_FROM && new_len * 4 < old_len)
		snprintf(why, 200, "its text shrank from %zu to %zu bytes", old_len, new_len);
	else if (old_len >= 200 && similar < WATCH_MIN_SIMILAR)
		snprintf(why, 200, "only %d%% of its text is the same", similar);
	else
		return NULL;
	return why;
}

int watch_record(struct store *s, const struct source *src, struct page_version *v, long keep,
		 struct watch_outcome *o, struct err *err)
{
	memset(o, 0, sizeof *o);
	struct page_version old;
	int have = store_version_latest(s, src->name, 1, &old, err);
	if (have < 0)
		return -1;
	if (!have) {
		o->what = WATCH_FIRST;
		return store_version_add(s, v, keep, err);
	}
	int ret = -1;
	char *fa = page_ignore(old.text, old.size, src->ignore, src->nignore, err);
	char *fb = fa ? page_ignore(v->text, v->size, src->ignore, src->nignore, err) : NULL;
	struct diff_seq a = {0}, b = {0};
	struct diff d = {0};
	if (!fb)
		goto out;
	if (!strcmp(fa, fb)) {
		o->what = WATCH_SAME;
		ret = store_version_clear_broken(s, src->name, err);
		goto out;
	}
	if (diff_split_lines(fa, strlen(fa), &a) < 0 || diff_split_lines(fb, strlen(fb), &b) < 0 ||
	    diff_compute(&a, &b, 0, &d) < 0) {
		err_set(err, "out of memory");
		goto out;
	}
	o->added = (long)d.add;
	o->removed = (long)d.del;
	o->similar = (int)(diff_similarity(&a, &b, &d) * 100.0 + 0.5);
	if (watch_looks_broken(strlen(fa), strlen(fb), o->similar, o->why)) {
		o->what = WATCH_BROKEN;
		if (!(v->broken = strdup(o->why))) {
			err_set(err, "out of memory");
			goto out;
		}
		ret = store_version_add(s, v, keep, err);
		goto out;
	}
	o->what = WATCH_CHANGED;
	if (store_version_add(s, v, keep, err) < 0)
		goto out;
	struct page_change c = {.source = v->source, .old_version = old.id, .new_version = v->id,
				.detected = v->fetched, .added = o->added, .removed = o->removed};
	ret = store_change_add(s, &c, err);
out:
	diff_free(&d);
	diff_seq_free(&a);
	diff_seq_free(&b);
	free(fa);
	free(fb);
	page_version_free(&old);
	return ret;
}

int watch_accept(struct store *s, const struct source *src, time_t now, struct err *err)
{
	struct page_version good, cur;
	int have = store_version_latest(s, src->name, 1, &good, err);
	if (have < 0)
		return -1;
	int r = store_version_latest(s, src->name, 0, &cur, err);
	if (r <= 0 || !cur.broken) {
		if (r > 0)
			page_version_free(&cur);
		if (have)
			page_version_free(&good);
		return r < 0 ? -1 : 0;
	}
	int64_t id;
	int ret = store_version_accept(s, src->name, &id, err);
	if (ret > 0 && have) {
		struct diff_seq a = {0}, b = {0};
		struct diff d = {0};
		if (diff_split_lines(good.text, good.size, &a) == 0 &&
		    diff_split_lines(cur.text, cur.size, &b) == 0 && diff_compute(&a, &b, 0, &d) == 0) {
			struct page_change c = {.source = src->name, .old_version = good.id,
						.new_version = id, .detected = now,
						.added = (long)d.add, .removed = (long)d.del};
			if (store_change_add(s, &c, err) < 0)
				ret = -1;
		} else {
			ret = err_set(err, "out of memory");
		}
		diff_free(&d);
		diff_seq_free(&a);
		diff_seq_free(&b);
	}
	page_version_free(&cur);
	if (have)
		page_version_free(&good);
	return ret;
}
