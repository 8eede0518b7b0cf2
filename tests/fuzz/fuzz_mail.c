/* libFuzzer target: arbitrary item text all the way to the message a
 * member receives. The input's fields (separated by NUL bytes) become the
 * member's name, the digest's title and association, a failing source's
 * error for the chair's copy, and up to three items (title, summary, link
 * path, author, category, source title), cleaned to UTF-8 text as the
 * parsers hand it on. They go through rules_match, the digest model, the
 * shipped templates (templates/, or $BULLETIN_TEMPLATES), the member's
 * greeting and mail_compose, as compose and deliver do. The message must
 * keep the rules of RFC 5322 that a receiving server enforces: CRLF line
 * ends only, no line over 998 bytes, headers in 7-bit ASCII, no NUL.
 * With $FUZZ_MAIL_OUT set every message is also written there as N.eml
 * (tests/fuzz/check_mail.py reads them with Python's parser). `make fuzz`. */
/* fuzz-options: -max_len=65536 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/digest.h"
#include "compose/greeting.h"
#include "compose/ical.h"
#include "compose/render.h"
#include "core/buf.h"
#include "core/text.h"
#include "deliver/mail.h"
#include "fuzz_util.h"
#include "select/rules.h"

static struct rules *rules;
static const char *templates = "templates";

static const char rules_text[] =
	"threshold 2\n"
	"topic pv \"Primärvård & <nära> vård\"\n"
	"include 3 /\\p{L}{2}/\n"
	"include 2 *vård\n"
	"topic jour \"Jour och legevakt\"\n"
	"include 4 legevakt\n"
	"include 4 [title] jour\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	const char *t = getenv("BULLETIN_TEMPLATES");
	if (t && *t)
		templates = t;
	struct err err;
	rules = rules_new();
	if (!rules || rules_load_string(rules, "fuzz.rules", rules_text, &err) < 0) {
		fprintf(stderr, "fuzz_mail: rules: %s\n", err.msg);
		abort();
	}
	return 0;
}

/* The next NUL-separated field of the input, or "" past its end. */
static const char *field(const char **p, const char *end, size_t *len)
{
	if (*p >= end) {
		*len = 0;
		return "";
	}
	const char *s = *p, *z = memchr(s, '\0', (size_t)(end - s));
	*len = z ? (size_t)(z - s) : (size_t)(end - s);
	*p = s + *len + 1;
	return s;
}

/* Field text as a parser hands it on: valid UTF-8, whitespace folded. */
static char *clean(const char **p, const char *end)
{
	size_t n;
	const char *s = field(p, end, &n);
	char *c = text_clean(s, n);
	if (!c)
		abort();
	return c;
}

/* https://example.se/ and the field, percent-encoded where a URL must be. */
static char *item_link(const char **p, const char *end)
{
	size_t n;
	const char *s = field(p, end, &n);
	struct buf b = BUF_INIT;
	buf_puts(&b, "https://example.se/");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/?#=&%:+", c))
			buf_putc(&b, (char)c);
		else
			buf_printf(&b, "%%%02X", c);
	}
	return buf_steal(&b);
}

/* Aborts unless msg keeps the line and header rules of RFC 5322. */
static void check_message(const char *msg, size_t len)
{
	size_t line = 0;
	int in_headers = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '\0')
			abort();
		if (c == '\r') {
			if (i + 1 >= len || msg[i + 1] != '\n')
				abort(); /* a bare CR */
			if (line == 0)
				in_headers = 0; /* the empty line ends the headers */
			line = 0;
			i++;
			continue;
		}
		if (c == '\n')
			abort(); /* a bare LF */
		if (in_headers && (c >= 0x80 || (c < 0x20 && c != '\t')))
			abort(); /* headers are 7-bit: RFC 2047 encodes the rest */
		if (++line > 998)
			abort();
	}
	if (in_headers)
		abort(); /* no body at all */
}

static void save(const char *msg, size_t len)
{
	static unsigned long count;
	const char *dir = getenv("FUZZ_MAIL_OUT");
	if (!dir || !*dir)
		return;
	char path[4200];
	snprintf(path, sizeof path, "%s/%06lu.eml", dir, ++count);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(msg, 1, len, f) != len || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	/* Four bytes of settings, then the fields. */
	static const char *const langs[] = {"sv", "nb", "en"};
	const char *lang = langs[data[0] % 3];
	int chair = data[0] & 4, budget = data[0] & 8, personal = data[0] & 16;
	size_t nitems = 1 + data[1] % 3;
	long summary_length = 40 + data[2];
	time_t start = 1713340800; /* 2024-04-17 08:00 UTC */
	time_t end = start + 7 * 86400;
	const char *p = (const char *)data + 4, *e = (const char *)data + size;

	size_t name_len;
	const char *name_raw = field(&p, e, &name_len);
	char *name = strndup(name_raw, name_len); /* as the CSV gives it: not cleaned */
	char *title = clean(&p, e), *assoc = clean(&p, e), *failure = clean(&p, e);
	struct item_list items = {0};
	struct source srcs[3];
	char srcname[3][8];
	memset(srcs, 0, sizeof srcs);
	for (size_t i = 0; i < nitems; i++) {
		struct item *it = item_list_push(&items);
		if (!it)
			abort();
		snprintf(srcname[i], sizeof srcname[i], "s%zu", i);
		it->source = strdup(srcname[i]);
		it->title = clean(&p, e);
		it->summary = clean(&p, e);
		it->url = item_link(&p, e);
		it->author = clean(&p, e);
		char *cat = clean(&p, e);
		if (*cat && item_add_category(it, cat) < 0)
			abort();
		free(cat);
		srcs[i].name = srcname[i];
		srcs[i].title = clean(&p, e);
		srcs[i].enabled = 1;
		it->published = start + (time_t)(data[3] * (i + 1)) * 3600;
		it->first_seen = it->published;
		if (item_ensure_key(it) < 0)
			abort();
	}
	struct match *ms = calloc(nitems, sizeof *ms);
	struct err err;
	for (size_t i = 0; i < nitems; i++)
		if (rules_match(rules, &items.v[i], &ms[i], &err) < 0)
			abort();
	struct digest_opts o = {
		.title = *title ? title : "Primärvårdsnytt", .language = lang,
		.association = assoc, .unsubscribe = "mailto:nyhetsbrev@example.se?subject=avregistrera",
		.summary_length = summary_length, .max_per_topic = 2,
		.archive_url = "https://example.se/nyhetsbrev/", .sources = srcs, .nsources = nitems,
	};
	json_t *model = digest_model_build(&o, rules, &items, ms, start, end);
	if (!model)
		abort();
	if (chair) {
		json_t *rep = json_pack("{s:[{s:s, s:s, s:i, s:s}], s:b, s:[], s:i, s:i, s:i}",
					"failing", "name", srcs[0].title ? srcs[0].title : "s0",
					"url", "https://example.se/flode", "failures", 3,
					"error", failure, "has_failing", 1, "dead", "dead_count", 0,
					"include_count", 3, "dead_unlisted", 0);
		if (!rep || digest_add_chair(model, rep) < 0)
			abort();
		json_decref(rep);
	}
	if (personal)
		json_object_set_new(model, "greeting", json_string(DIGEST_GREETING_SLOT));
	struct digest_parts parts = {0};
	if (digest_compose_budget(model, templates, budget ? 20000 : 0, &parts, &err) < 0) {
		fprintf(stderr, "fuzz_mail: the shipped templates failed: %s\n", err.msg);
		abort();
	}
	char *calendar = NULL;
	if (ical_from_model(model, "nyhetsbrev@example.se", &calendar) < 0)
		abort();
	char *text = parts.text, *html = parts.html, *ptext = NULL, *phtml = NULL;
	if (personal) {
		char *g = digest_greeting(templates, lang, name, &err);
		if (!g)
			abort();
		ptext = digest_personalize(parts.text, g, 0);
		phtml = digest_personalize(parts.html, g, 1);
		free(g);
		if (!ptext || !phtml)
			abort();
		text = ptext, html = phtml;
	}
	struct mail_msg mm = {
		.from_name = "Distriktsläkarföreningen", .from_addr = "nyhetsbrev@example.se",
		.reply_to = "ordforande@example.se", .to_name = name, .to_addr = "asa@example.se",
		.subject = parts.subject, .message_id = "digest-1.asa@example.se",
		.list_id = "Primärvårdsnytt <nyhetsbrev.example.se>",
		.list_unsubscribe = "mailto:nyhetsbrev@example.se?subject=avregistrera",
		.date = end, .text = text, .html = html, .calendar = calendar,
	};
	struct buf msg = BUF_INIT;
	if (mail_compose(&mm, &msg, &err) < 0)
		abort(); /* every text must make a message */
	check_message(msg.data, msg.len);
	save(msg.data, msg.len);

	buf_free(&msg);
	free(ptext);
	free(phtml);
	free(calendar);
	digest_parts_free(&parts);
	json_decref(model);
	for (size_t i = 0; i < nitems; i++) {
		match_free(&ms[i]);
		free(srcs[i].title);
	}
	free(ms);
	item_list_free(&items);
	free(name);
	free(title);
	free(assoc);
	free(failure);
	return 0;
}
