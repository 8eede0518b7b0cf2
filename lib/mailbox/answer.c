/* The answers' words, in the languages members read, and their sending. */
#include "mailbox/answer.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver.h"
#include "deliver/mail.h"

struct words {
	const char *lang;
	const char *unsub_subject, *unsub_body; /* %s: the digest's title */
	const char *chair_intro;
	const char *lines[ANS_LINE_COUNT_];
};

static const struct words words[] = {
	{"sv", "Du är avregistrerad från %s",
	 "Hej!\n\nDu är avregistrerad från %s och får inga fler utskick.\n\n"
	 "Var det ett misstag? Svara på det här brevet, så lägger vi till dig igen.\n",
	 "Så här gick dina kommandon:\n",
	 {"lagt till", "lagt till igen", "redan medlem", "avregistrerade sig själv, inte tillagd",
	  "borttagen", "redan borttagen", "inte medlem, inget gjort", "pausad källa",
	  "återupptagen källa", "ingen källa med det namnet", "förstod inte"}},
	{"nb", "Du er meldt av %s",
	 "Hei!\n\nDu er meldt av %s og får ingen flere utsendelser.\n\n"
	 "Var det en feil? Svar på denne e-posten, så legger vi deg til igjen.\n",
	 "Slik gikk kommandoene dine:\n",
	 {"lagt til", "lagt til igjen", "allerede medlem", "meldte seg av selv, ikke lagt til",
	  "fjernet", "allerede fjernet", "ikke medlem, ingenting gjort", "kilde satt på pause",
	  "kilde gjenopptatt", "ingen kilde med det navnet", "forsto ikke"}},
	{"nn", "Du er meld av %s",
	 "Hei!\n\nDu er meld av %s og får ikkje fleire utsendingar.\n\n"
	 "Var det ein feil? Svar på denne e-posten, så legg vi deg til att.\n",
	 "Slik gjekk kommandoane dine:\n",
	 {"lagt til", "lagt til att", "allereie medlem", "melde seg av sjølv, ikkje lagt til",
	  "fjerna", "allereie fjerna", "ikkje medlem, ingenting gjort", "kjelde sett på pause",
	  "kjelde teken opp att", "inga kjelde med det namnet", "forstod ikkje"}},
	{"da", "Du er afmeldt %s",
	 "Hej!\n\nDu er afmeldt %s og modtager ikke flere udsendelser.\n\n"
	 "Var det en fejl? Svar på denne mail, så tilmelder vi dig igen.\n",
	 "Sådan gik dine kommandoer:\n",
	 {"tilføjet", "tilføjet igen", "allerede medlem", "afmeldte sig selv, ikke tilføjet",
	  "fjernet", "allerede fjernet", "ikke medlem, intet gjort", "kilde sat på pause",
	  "kilde genoptaget", "ingen kilde med det navn", "forstod ikke"}},
	{"en", "You are unsubscribed from %s",
	 "Hello!\n\nYou are unsubscribed from %s and will get no more issues.\n\n"
	 "Was this a mistake? Reply to this message and we will add you again.\n",
	 "This is what your commands did:\n",
	 {"added", "added again", "already a member", "unsubscribed themselves, not added",
	  "removed", "already removed", "not a member, nothing done", "source paused",
	  "source resumed", "no source of that name", "not understood"}},
};

static const struct words *words_for(const char *lang)
{
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (lang && !strcmp(lang, words[i].lang))
			return &words[i];
	return NULL;
}

const char *answer_language(const char *lang, const char *fallback)
{
	const struct words *w = words_for(lang);
	if (!w)
		w = words_for(fallback);
	return w ? w->lang : "sv";
}

static const struct words *must(const char *lang)
{
	const struct words *w = words_for(lang);
	return w ? w : &words[0];
}

int answer_unsubscribed(const char *lang, const char *title, struct buf *out)
{
	const struct words *w = must(lang);
	const char *t = title && *title ? title : "";
	/* The title is ours (the config), never the sender's. */
	return buf_printf(out, w->unsub_subject, t) || buf_puts(out, "\n\n") ||
	       buf_printf(out, w->unsub_body, t);
}

int answer_chair_start(const char *lang, const char *subject, struct buf *out)
{
	const char *s = subject && *subject ? subject : "bulletin";
	return buf_printf(out, "%s%.200s\n\n%s", strncmp(s, "Re:", 3) ? "Re: " : "", s,
			  must(lang)->chair_intro);
}

int answer_chair_line(const char *lang, enum answer_line l, const char *arg, struct buf *out)
{
	if ((int)l < 0 || l >= ANS_LINE_COUNT_)
		return -1;
	return buf_printf(out, "- %s: %.200s\n", must(lang)->lines[l], arg ? arg : "");
}

/* A msg-id we may write into In-Reply-To: printable, no brackets. */
static int id_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 250 || !strchr(s, '@') || !strncmp(s, "noid:", 5))
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("<>()[]\\\",;:", *s))
			return 0;
	return 1;
}

enum smtp_result answer_send(const struct config *c, const struct smtp_opts *so,
			     struct smtp_session **sess, const struct mb_record *rec, char *reply,
			     size_t replylen)
{
	if (!c->from_address || !rec->answer_to || !rec->detail) {
		snprintf(reply, replylen, "no sender (from_address in [mail]) or no recipient");
		return SMTP_FATAL;
	}
	/* "Subject\n\nBody" */
	const char *sep = strstr(rec->detail, "\n\n");
	char subject[256];
	snprintf(subject, sizeof subject, "%.*s", sep ? (int)(sep - rec->detail) : 0, rec->detail);
	const char *body = sep ? sep + 2 : rec->detail;
	unsigned long long h = fnv1a_str(FNV1A_INIT, rec->msgkey);
	const char *at = strrchr(c->from_address, '@');
	char mid[128];
	snprintf(mid, sizeof mid, "bulletin-answer.%016llx%s", h, at ? at : "@bulletin.invalid");
	struct mail_msg mm = {.from_name = c->from_name, .from_addr = c->from_address,
			      .to_name = "", .to_addr = rec->answer_to, .subject = subject,
			      .message_id = mid, .date = time(NULL), .text = body};
	struct buf msg = BUF_INIT, full = BUF_INIT;
	struct err err;
	enum smtp_result r = SMTP_FATAL;
	if (mail_compose(&mm, &msg, &err) < 0) {
		snprintf(reply, replylen, "%s", err.msg);
		goto out;
	}
	/* Header fields may come in any order: these two go first. */
	int rc = buf_puts(&full, "Auto-Submitted: auto-replied\r\n");
	if (rc == 0 && id_ok(rec->msgkey))
		rc = buf_printf(&full, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", rec->msgkey,
				rec->msgkey);
	if (rc == 0)
		rc = buf_append(&full, msg.data, msg.len);
	if (rc) {
		snprintf(reply, replylen, "out of memory");
		goto out;
	}
	if (so->url && !strncmp(so->url, "sendmail:", 9)) {
		r = deliver_one(so, c->from_address, rec->answer_to, full.data, full.len, reply,
				replylen);
	} else if (!*sess && smtp_open(so, sess, &err) < 0) {
		snprintf(reply, replylen, "%s", err.msg);
		r = SMTP_FATAL;
	} else {
		r = smtp_send(*sess, c->from_address, rec->answer_to, full.data, full.len, reply,
			      replylen);
	}
out:
	buf_free(&msg);
	buf_free(&full);
	return r;
}
