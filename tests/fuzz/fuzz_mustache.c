/* libFuzzer target: a template and its JSON data through the Mustache
 * engine. The first byte says where the template ends and the data
 * begins, and whether {{x}} is escaped; the partial "p" is the template
 * itself (recursion), "q" the data's text read as a template. Data that is
 * not JSON is rendered as one string. Rendering twice gives the same
 * bytes or the same error. `make fuzz`. */
/* fuzz-options: -max_len=65536 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/mustache.h"
#include "core/buf.h"

struct parts {
	char *tmpl, *data;
};

static const char *partial(void *ctx, const char *name)
{
	const struct parts *p = ctx;
	return !strcmp(name, "p") ? p->tmpl : !strcmp(name, "q") ? p->data : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int no_escape = data[0] & 1;
	size_t n = size - 1;
	size_t split = (size_t)(data[0] >> 1) * n / 127;
	if (split > n)
		split = n;
	const char *d = (const char *)data + 1;
	struct parts p = {strndup(d, split), strndup(d + split, n - split)};
	if (!p.tmpl || !p.data)
		goto out;
	json_error_t je;
	json_t *model = json_loadb(d + split, n - split, JSON_DECODE_ANY, &je);
	if (!model)
		model = json_stringn_nocheck(d + split, n - split);
	struct mustache_opts o = {.partial = partial, .partial_ctx = &p, .no_escape = no_escape};
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct err ea, eb;
	int ra = mustache_render(p.tmpl, model, &o, &a, &ea);
	int rb = mustache_render(p.tmpl, model, &o, &b, &eb);
	if (ra != rb || (ra == 0 && (a.len != b.len || memcmp(buf_str(&a), buf_str(&b), a.len))))
		abort();
	if (ra < 0 && (!ea.msg[0] || strcmp(ea.msg, eb.msg)))
		abort();
	buf_free(&a);
	buf_free(&b);
	json_decref(model);
out:
	free(p.tmpl);
	free(p.data);
	return 0;
}
