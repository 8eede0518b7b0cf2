#include "mailbox/tokens.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mb_tokens_load(const struct config *c, struct mb_tokens *t, struct err *err)
{
	memset(t, 0, sizeof *t);
	struct stat st;
	if (!c->unsub_key_path || (stat(c->unsub_key_path, &st) < 0 && errno == ENOENT))
		return 0;
	if (unsub_key_load(c->unsub_key_path, 0, &t->key, err) < 0) {
		explicit_bzero(&t->key, sizeof t->key);
		return -1;
	}
	t->list = unsub_list(c);
	return 1;
}

int mb_token_member(void *ctx, const char *value, char *out, size_t outlen)
{
	const struct mb_tokens *t = ctx;
	char *a = unsub_token_find(&t->key, t->list, value);
	int ok = a && strlen(a) < outlen;
	if (ok)
		snprintf(out, outlen, "%s", a);
	free(a);
	return ok;
}
