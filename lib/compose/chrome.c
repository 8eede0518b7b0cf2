#include "compose/chrome.h"

#include <stdio.h>
#include <string.h>

#include "parse/date.h"

void digest_format_date_tz(time_t t, const char *lang, const char *zone, char *out, size_t outlen)
{
	static const char *sv[] = {"januari", "februari", "mars", "april", "maj", "juni",
				   "juli", "augusti", "september", "oktober", "november", "december"};
	static const char *nb[] = {"januar", "februar", "mars", "april", "mai", "juni",
				   "juli", "august", "september", "oktober", "november", "desember"};
	static const char *en[] = {"January", "February", "March", "April", "May", "June",
				   "July", "August", "September", "October", "November", "December"};
	struct tm tm;
	/* The day as the digest's readers live it: "00:30 +0200" on 1 July
	 * is 1 July in Stockholm, though 30 June in UTC. The model also
	 * carries the exact UTC time. */
	time_t local = t + date_zone_offset(zone, t);
	if (!gmtime_r(&local, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	if (lang && !strcmp(lang, "nb"))
		snprintf(out, outlen, "%d. %s %d", tm.tm_mday, nb[tm.tm_mon], tm.tm_year + 1900);
	else if (lang && !strcmp(lang, "en"))
		snprintf(out, outlen, "%d %s %d", tm.tm_mday, en[tm.tm_mon], tm.tm_year + 1900);
	else
		snprintf(out, outlen, "%d %s %d", tm.tm_mday, sv[tm.tm_mon], tm.tm_year + 1900);
}

void digest_format_date(time_t t, const char *lang, char *out, size_t outlen)
{
	digest_format_date_tz(t, lang, NULL, out, outlen);
}

/* %d is the count; the Markdown template adds the archive link. */
static const struct chrome chromes[] = {
	{"sv", "Hej!", "Hej", "Här är veckans nyhet om primärvården.",
	 "Här är veckans nyheter om primärvården, %d stycken, samlade efter ämne.",
	 "Inga nya nyheter om primärvården den här veckan.", "Vecka",
	 "…och %d till i samma ämne", "…och %d nyheter till som inte fick plats",
	 "Du får det här brevet som medlem.", "Avregistrera dig", "Länkar", "Arkivet",
	 "(utan rubrik)", "och", "vecka", "1 nyhet", "%d nyheter",
	 "Till ordföranden (bara i ditt exemplar)", "Källor som inte gick att hämta:",
	 "misslyckade försök i rad", "%d av %d ord i reglerna träffade inget den här perioden:",
	 "Alla källor hämtades utan fel.", "Tid:", "kl.",
	 {"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"},
	 "Arkiv", "Prenumerera via Atom-flöde", "Inga utskick ännu.", "nyhet", "nyheter",
	 "På gång", "Påminnelse:", "Prenumerera på kalendern", "%s: på gång",
	 "Någon gång i %s (dagen är inte bestämd)",
	 {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
	  "oktober", "november", "december"},
	 .watch = {"Bevakning", "Ändrat: %s", "Nytt avsnitt: %s", "Borttaget avsnitt: %s",
		   "Ändrat avsnitt: %s", "Tidigare: ”%s”", "Nu: ”%s”", "Tillagt: ”%s”", "Borttaget: ”%s”",
		   "…och fler ändringar", "Jämför versionerna", "rader: +%ld −%ld",
		   "Förra versionen", "Nya versionen", "Bevakade sidor som ändrats:",
		   "Sidor som ser trasiga ut (inte skickat till medlemmarna):"}},
	{"nb", "Hei!", "Hei", "Her er ukens nyhet om primærhelsetjenesten.",
	 "Her er ukens nyheter om primærhelsetjenesten, %d i alt, samlet etter tema.",
	 "Ingen nye nyheter om primærhelsetjenesten denne uken.", "Uke",
	 "…og %d til om samme tema", "…og %d nyheter til som ikke fikk plass",
	 "Du får dette brevet som medlem.", "Meld deg av", "Lenker", "Arkivet",
	 "(uten tittel)", "og", "uke", "1 nyhet", "%d nyheter",
	 "Til lederen (bare i ditt eksemplar)", "Kilder som ikke kunne hentes:",
	 "mislykkede forsøk på rad", "%d av %d ord i reglene traff ingenting denne perioden:",
	 "Alle kilder ble hentet uten feil.", "Tid:", "kl.",
	 {"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"},
	 "Arkiv", "Abonner via Atom-feed", "Ingen utsendinger ennå.", "nyhet", "nyheter",
	 "Hva skjer", "Påminnelse:", "Abonner på kalenderen", "%s: hva skjer",
	 "En gang i %s (dagen er ikke fastsatt)",
	 {"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
	  "oktober", "november", "desember"},
	 .watch = {"Overvåking", "Endret: %s", "Ny del: %s", "Fjernet del: %s", "Endret del: %s",
		   "Før: «%s»", "Nå: «%s»", "Lagt til: «%s»", "Fjernet: «%s»", "…og flere endringer",
		   "Sammenlign versjonene", "linjer: +%ld −%ld", "Forrige versjon",
		   "Ny versjon", "Overvåkede sider som er endret:",
		   "Sider som ser ødelagte ut (ikke sendt til medlemmene):"}},
	{"en", "Hello!", "Hello", "Here is this week's primary care news item.",
	 "Here are this week's %d primary care news items, grouped by topic.",
	 "No new primary care news this week.", "Week", "…and %d more on this topic",
	 "…and %d more items that did not fit", "You receive this letter as a member.",
	 "Unsubscribe", "Links", "The archive", "(untitled)", "and", "week", "1 item", "%d items",
	 "For the chair (only in your copy)", "Sources that could not be fetched:",
	 "failed attempts in a row", "%d of %d words in the rules matched nothing this period:",
	 "Every source was fetched without errors.", "When:", "at",
	 {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	 "Archive", "Subscribe via Atom feed", "No digests yet.", "item", "items",
	 "Coming up", "Reminder:", "Subscribe to the calendar", "%s: coming up",
	 "Some time in %s (the day is not set)",
	 {"January", "February", "March", "April", "May", "June", "July", "August", "September",
	  "October", "November", "December"},
	 .watch = {"Watched pages", "Changed: %s", "New section: %s", "Removed section: %s",
		   "Changed section: %s", "Before: “%s”", "Now: “%s”", "Added: “%s”", "Removed: “%s”",
		   "…and more changes", "Compare the versions", "lines: +%ld −%ld",
		   "Previous version", "New version", "Watched pages that changed:",
		   "Pages that look broken (not sent to members):"}},
};

const struct chrome *chrome_for(const char *lang)
{
	for (size_t i = 0; i < sizeof chromes / sizeof *chromes; i++)
		if (lang && !strcmp(lang, chromes[i].lang))
			return &chromes[i];
	return &chromes[0];
}

json_t *chrome_json(const struct chrome *c)
{
	json_t *t = json_object();
	const struct {
		const char *k, *v;
	} kv[] = {{"greeting", c->greeting}, {"greeting_to", c->greeting_to}, {"no_news", c->no_news}, {"week", c->week},
		  {"member", c->member}, {"unsubscribe", c->unsubscribe}, {"links", c->links},
		  {"archive", c->archive}, {"week_lc", c->week_lc}, {"event", c->event},
		  {"upcoming", c->upcoming}, {"reminder", c->reminder},
		  {"watch", c->watch.section}, {"watch_compare", c->watch.compare}};
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		json_object_set_new(t, kv[i].k, json_string(kv[i].v));
	return t;
}

