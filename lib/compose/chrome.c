#include "compose/chrome.h"

#include <stdio.h>
#include <string.h>

#include "parse/date.h"

void digest_format_date_tz(time_t t, const char *lang, const char *zone, char *out, size_t outlen)
{
	const struct chrome *c = chrome_for(lang);
	struct tm tm;
	/* The day as the digest's readers live it: "00:30 +0200" on 1 July
	 * is 1 July in Stockholm, though 30 June in UTC. The model also
	 * carries the exact UTC time. */
	time_t local = t + date_zone_offset(zone, t);
	if (!gmtime_r(&local, &tm)) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, c->date_fmt, tm.tm_mday, c->months[tm.tm_mon], tm.tm_year + 1900);
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
	 .date_fmt = "%d %s %d", .clock_sep = '.', .read_online = "Läs i webbläsaren",
	 .index_link = "Alla utskick", .calendar_file = "kalender.ics",
	 .chair_limited = "Regler som PCRE2 gav upp på (räknas som ingen träff; förenkla mönstret):",
	 .chair_members = "Medlemmar att se över (bulletin members):",
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
	 .date_fmt = "%d. %s %d", .clock_sep = '.', .read_online = "Les i nettleseren",
	 .index_link = "Alle utsendinger", .calendar_file = "kalender.ics",
	 .chair_limited = "Regler som PCRE2 ga opp på (teller som ikke treff; forenkle mønsteret):",
	 .chair_members = "Medlemmer å se på (bulletin members):",
	 .watch = {"Overvåking", "Endret: %s", "Ny del: %s", "Fjernet del: %s", "Endret del: %s",
		   "Før: «%s»", "Nå: «%s»", "Lagt til: «%s»", "Fjernet: «%s»", "…og flere endringer",
		   "Sammenlign versjonene", "linjer: +%ld −%ld", "Forrige versjon",
		   "Ny versjon", "Overvåkede sider som er endret:",
		   "Sider som ser ødelagte ut (ikke sendt til medlemmene):"}},
	{"nn", "Hei!", "Hei", "Her er nyheita om primærhelsetenesta denne veka.",
	 "Her er nyheitene om primærhelsetenesta denne veka, %d i alt, samla etter tema.",
	 "Ingen nye nyheiter om primærhelsetenesta denne veka.", "Veke",
	 "…og %d til om same tema", "…og %d nyheiter til som ikkje fekk plass",
	 "Du får dette brevet som medlem.", "Meld deg av", "Lenker", "Arkivet",
	 "(utan tittel)", "og", "veke", "1 nyheit", "%d nyheiter",
	 "Til leiaren (berre i ditt eksemplar)", "Kjelder som ikkje kunne hentast:",
	 "mislukka forsøk på rad", "%d av %d ord i reglane trefte ingenting denne perioden:",
	 "Alle kjelder vart henta utan feil.", "Tid:", "kl.",
	 {"søndag", "måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag"},
	 "Arkiv", "Abonner via Atom-feed", "Ingen utsendingar enno.", "nyheit", "nyheiter",
	 "Kva skjer", "Påminning:", "Abonner på kalenderen", "%s: kva skjer",
	 "Ein gong i %s (dagen er ikkje fastsett)",
	 {"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
	  "oktober", "november", "desember"},
	 .date_fmt = "%d. %s %d", .clock_sep = '.', .read_online = "Les i nettlesaren",
	 .index_link = "Alle utsendingane", .calendar_file = "kalender.ics",
	 .chair_limited = "Reglar som PCRE2 gav opp på (tel som ikkje treff; forenkle mønsteret):",
	 .chair_members = "Medlemer å sjå på (bulletin members):",
	 .watch = {"Overvaking", "Endra: %s", "Ny del: %s", "Fjerna del: %s", "Endra del: %s",
		   "Før: «%s»", "No: «%s»", "Lagt til: «%s»", "Fjerna: «%s»", "…og fleire endringar",
		   "Samanlikn versjonane", "linjer: +%ld −%ld", "Førre versjon",
		   "Ny versjon", "Overvaka sider som er endra:",
		   "Sider som ser øydelagde ut (ikkje sende til medlemene):"}},
	{"da", "Hej!", "Hej", "Her er ugens nyhed om almen praksis.",
	 "Her er ugens nyheder om almen praksis, %d i alt, samlet efter emne.",
	 "Ingen nye nyheder om almen praksis i denne uge.", "Uge",
	 "…og %d mere om samme emne", "…og %d nyheder mere, som der ikke var plads til",
	 "Du får dette brev som medlem.", "Afmeld dig", "Links", "Arkivet",
	 "(uden titel)", "og", "uge", "1 nyhed", "%d nyheder",
	 "Til formanden (kun i dit eksemplar)", "Kilder, der ikke kunne hentes:",
	 "mislykkede forsøg i træk", "%d af %d ord i reglerne ramte intet i denne periode:",
	 "Alle kilder blev hentet uden fejl.", "Tid:", "kl.",
	 {"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"},
	 "Arkiv", "Abonnér via Atom-feed", "Ingen udsendelser endnu.", "nyhed", "nyheder",
	 "Det sker", "Påmindelse:", "Abonnér på kalenderen", "%s: det sker",
	 "En gang i %s (dagen er ikke fastlagt)",
	 {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
	  "oktober", "november", "december"},
	 .date_fmt = "%d. %s %d", .clock_sep = '.', .read_online = "Læs i browseren",
	 .index_link = "Alle udsendelser", .calendar_file = "kalender.ics",
	 .chair_limited = "Regler, som PCRE2 gav op på (tæller som intet match; forenkl mønstret):",
	 .chair_members = "Medlemmer at se på (bulletin members):",
	 .watch = {"Overvågning", "Ændret: %s", "Nyt afsnit: %s", "Fjernet afsnit: %s",
		   "Ændret afsnit: %s", "Før: »%s«", "Nu: »%s«", "Tilføjet: »%s«", "Fjernet: »%s«",
		   "…og flere ændringer", "Sammenlign versionerne", "linjer: +%ld −%ld",
		   "Forrige version", "Ny version", "Overvågede sider, der er ændret:",
		   "Sider, der ser ødelagte ud (ikke sendt til medlemmerne):"}},
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
	 .date_fmt = "%d %s %d", .clock_sep = ':', .read_online = "Read in your browser",
	 .index_link = "All issues", .calendar_file = "calendar.ics",
	 .chair_limited = "Rules PCRE2 gave up on (counted as no match; simplify the pattern):",
	 .chair_members = "Members to look at (bulletin members):",
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

int chrome_has(const char *lang)
{
	return lang && !strcmp(chrome_for(lang)->lang, lang);
}

const struct chrome *chrome_at(size_t i)
{
	return i < sizeof chromes / sizeof *chromes ? &chromes[i] : NULL;
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
		  {"watch", c->watch.section}, {"watch_compare", c->watch.compare},
		  {"read_online", c->read_online}, {"index_link", c->index_link}};
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		json_object_set_new(t, kv[i].k, json_string(kv[i].v));
	return t;
}

