/* Member states in words. Dates are UTC days: the chair reads them as the
 * day a thing happened, not to the second. */
#include "compose/memberstatus.h"

#include <string.h>
#include <time.h>

struct words {
	const char *lang;
	const char *kinds[4];
	const char *by_reply, *by_command, *in_list, *by_chair, *bounced_on, *added;
	const char *hard1, *hardn, *soft1, *softn, *soft_only1, *soft_onlyn, *in_digests, *last;
};

/* %s: a day; %d: a count */
static const struct words words[] = {
	{"en", {"active", "bounced", "unsubscribed", "removed"},
	 "unsubscribed by reply on %s", "unsubscribed by command on %s", "unsubscribed in the member list",
	 "removed by the chair's mail on %s", "marked bounced on %s", "added by the chair's mail on %s",
	 "%d hard bounce", "%d hard bounces", "%d soft", "%d soft", "%d soft bounce", "%d soft bounces",
	 " in %d digests", "last "},
	{"sv", {"aktiv", "studsar", "avregistrerad", "borttagen"},
	 "avregistrerade sig med ett svar %s", "avregistrerad med kommando %s",
	 "avregistrerad i medlemslistan", "borttagen av ordförandens mejl %s",
	 "markerad som studsande %s", "tillagd av ordförandens mejl %s",
	 "%d hård studs", "%d hårda studsar", "%d mjuk", "%d mjuka", "%d mjuk studs", "%d mjuka studsar",
	 " i %d utskick", "senast "},
	{"nb", {"aktiv", "avvist", "meldt av", "fjernet"},
	 "meldte seg av med et svar %s", "meldt av med kommando %s", "meldt av i medlemslisten",
	 "fjernet av lederens e-post %s", "merket som avvist %s", "lagt til av lederens e-post %s",
	 "%d hard avvisning", "%d harde avvisninger", "%d myk", "%d myke", "%d myk avvisning",
	 "%d myke avvisninger", " i %d utsendelser", "sist "},
};

static const struct words *words_for(const char *lang)
{
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (lang && !strcmp(lang, words[i].lang))
			return &words[i];
	return &words[0];
}

enum member_kind member_kind(const struct member_state *m)
{
	if (m->unsub_how)
		return strcmp(m->unsub_how, "chair") ? MK_UNSUBSCRIBED : MK_REMOVED;
	return m->bounced ? MK_BOUNCED : MK_ACTIVE;
}

const char *member_kind_word(enum member_kind k, const char *lang)
{
	return words_for(lang)->kinds[(int)k >= 0 && k <= MK_REMOVED ? k : 0];
}

int member_state_notable(const struct member_state *m)
{
	return member_kind(m) != MK_ACTIVE || m->hard || m->soft || m->added;
}

static void day(time_t t, char out[16])
{
	struct tm tm;
	if (!t || !gmtime_r(&t, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		strcpy(out, "?");
}

int member_state_reason(const struct member_state *m, const char *lang, struct buf *out)
{
	const struct words *w = words_for(lang);
	char d[16];
	size_t start = out->len;
	int rc = 0;
#define SEP() (out->len > start ? buf_puts(out, "; ") : 0)
	if (m->unsub_how) {
		const char *f = !strcmp(m->unsub_how, "reply")	  ? w->by_reply
				: !strcmp(m->unsub_how, "chair") ? w->by_chair
				: !strcmp(m->unsub_how, "csv")   ? w->in_list
								 : w->by_command;
		day(m->unsub_time, d);
		rc |= buf_printf(out, f, d);
	}
	if (m->bounced) {
		day(m->bounced, d);
		rc |= SEP() | buf_printf(out, w->bounced_on, d);
		if (m->hard || m->soft)
			rc |= buf_puts(out, ": ");
	} else if (m->hard || m->soft) {
		rc |= SEP();
	}
	if (m->hard)
		rc |= buf_printf(out, m->hard == 1 ? w->hard1 : w->hardn, m->hard);
	if (m->soft)
		rc |= buf_puts(out, m->hard ? ", " : "") |
		      buf_printf(out, m->hard ? (m->soft == 1 ? w->soft1 : w->softn)
					      : (m->soft == 1 ? w->soft_only1 : w->soft_onlyn),
				 m->soft);
	if (m->bounced && m->hard_digests > 1)
		rc |= buf_printf(out, w->in_digests, m->hard_digests);
	if ((m->hard || m->soft) && m->last_status)
		rc |= buf_printf(out, ", %s%s", m->bounced ? w->last : "", m->last_status);
	if (m->bounced && m->last_diagnostic)
		rc |= buf_printf(out, " (%.160s)", m->last_diagnostic);
	if (m->added) {
		day(m->added, d);
		rc |= SEP() | buf_printf(out, w->added, d);
	}
#undef SEP
	return rc ? -1 : 0;
}
