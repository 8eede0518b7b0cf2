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


/* The chair's run report. Formats and their arguments: chrome.h. */
static const struct chrome_report reports[] = {
	{"en", "bulletin: run report", "Last run: %s", "never", "Sources: %zu fetched, %zu failed",
	 ", %zu never fetched", "failing: %s (%s), %d run in a row: ",
	 "failing: %s (%s), %d runs in a row: ",
	 "Next digest (items first seen since %s): %lld new, %lld selected", "the start",
	 "%lld more selected, left out as published more than %ld days ago (max_age_days in [digest])",
	 "watched page changed: ", "watched page looks broken (not sent to members): ",
	 "Rules: no items in the period yet",
	 "Rules that matched nothing in the period: %lld of %lld include rules", "and %lld more",
	 "Members to look at (bulletin members):",
	 "%s: the member list says active, but an earlier \"unsubscribed\" in it keeps the member "
	 "out; to mail it again: bulletin members resubscribe %s",
	 "Last digest: none sent yet", "Last digest: \"", "\", composed %s, ",
	 "delivery completed %s", "delivery unfinished (see send --status)",
	 "%zu sent, %zu failed, %zu to retry, %zu in doubt", "failed: %s: ", "in doubt", "to send",
	 "deferred", "(digest %lld)",
	 {NULL, "The server's name could not be found: the address may be misspelt, or the site has moved or closed.",
	  "The server could not be reached: it may be down for now; if it stays so for several runs, check the address.",
	  "The server answered too slowly and bulletin gave up; usually temporary.",
	  "No secure connection could be made (the site's certificate or encryption): the site must fix it, or something is interfering.",
	  "The page is not there (404/410): the site has probably moved its feed; find the new address and change url.",
	  "The site refuses bulletin (401/403): it may want a login, or it keeps automatic readers out.",
	  "The site asks bulletin to come back later (429, too many requests); it is tried again next run.",
	  "The site had an error of its own (5xx); usually temporary.",
	  "The document is larger than max_body in [fetch] allows; it was not read.",
	  "The site sends bulletin on to another address, which was not followed (too many steps, or from https to plain http).",
	  "The connection broke off half-way; usually temporary.",
	  "The address answered, but not with a feed or the page bulletin expects: the site may have changed (bulletin sources test NAME shows what comes back)."}},
	{"sv", "bulletin: rapport från körningen", "Senaste körning: %s", "aldrig",
	 "Källor: %zu hämtade, %zu misslyckades", ", %zu aldrig hämtade",
	 "misslyckas: %s (%s), %d körning i rad: ", "misslyckas: %s (%s), %d körningar i rad: ",
	 "Nästa utskick (nyheter sedan %s): %lld nya, %lld utvalda", "början",
	 "%lld utvalda till, utelämnade som publicerade för mer än %ld dagar sedan (max_age_days i [digest])",
	 "bevakad sida ändrad: ", "bevakad sida ser trasig ut (inte skickad till medlemmarna): ",
	 "Regler: inga nyheter i perioden ännu",
	 "Regler som inte träffade något i perioden: %lld av %lld", "och %lld till",
	 "Medlemmar att se över (bulletin members):",
	 "%s: medlemslistan säger active, men ett tidigare \"unsubscribed\" i den håller medlemmen "
	 "utanför; för att skicka igen: bulletin members resubscribe %s",
	 "Senaste utskick: inget ännu", "Senaste utskick: ”", "”, sammanställt %s, ",
	 "levererat %s", "leveransen är inte klar (se send --status)",
	 "%zu skickade, %zu misslyckade, %zu att försöka igen, %zu osäkra", "misslyckades: %s: ",
	 "osäker", "att skicka", "uppskjuten", "(utskick %lld)",
	 {NULL, "Serverns namn gick inte att slå upp: adressen kan vara felstavad, eller så har webbplatsen flyttat eller lagts ner.",
	  "Servern gick inte att nå: den kan vara nere just nu; om det håller i sig flera körningar, kontrollera adressen.",
	  "Servern svarade för långsamt och bulletin gav upp; det brukar gå över.",
	  "Ingen säker anslutning gick att upprätta (webbplatsens certifikat eller kryptering): webbplatsen måste rätta det, eller så stör något anslutningen.",
	  "Sidan finns inte (404/410): webbplatsen har troligen flyttat sitt flöde; leta upp den nya adressen och ändra url.",
	  "Webbplatsen nekar bulletin (401/403): den kan kräva inloggning eller stänga ute automatiska läsare.",
	  "Webbplatsen ber bulletin återkomma senare (429, för många anrop); den hämtas igen nästa körning.",
	  "Webbplatsen hade ett eget fel (5xx); det brukar gå över.",
	  "Dokumentet är större än max_body i [fetch] tillåter; det lästes inte.",
	  "Webbplatsen skickar bulletin vidare till en annan adress, som inte följdes (för många steg, eller från https till okrypterad http).",
	  "Anslutningen bröts halvvägs; det brukar gå över.",
	  "Adressen svarade, men inte med ett flöde eller den sida bulletin väntar sig: webbplatsen kan ha ändrats (bulletin sources test NAMN visar vad som kommer)."}},
	{"nb", "bulletin: rapport fra kjøringen", "Siste kjøring: %s", "aldri",
	 "Kilder: %zu hentet, %zu feilet", ", %zu aldri hentet",
	 "feiler: %s (%s), %d kjøring på rad: ", "feiler: %s (%s), %d kjøringer på rad: ",
	 "Neste utsending (nyheter siden %s): %lld nye, %lld valgt ut", "starten",
	 "%lld valgt ut i tillegg, utelatt som publisert for mer enn %ld dager siden (max_age_days i [digest])",
	 "overvåket side endret: ", "overvåket side ser ødelagt ut (ikke sendt til medlemmene): ",
	 "Regler: ingen nyheter i perioden ennå",
	 "Regler som ikke traff noe i perioden: %lld av %lld", "og %lld til",
	 "Medlemmer å se på (bulletin members):",
	 "%s: medlemslisten sier active, men en tidligere \"unsubscribed\" i den holder medlemmet "
	 "utenfor; for å sende igjen: bulletin members resubscribe %s",
	 "Siste utsending: ingen ennå", "Siste utsending: «", "», laget %s, ", "levert %s",
	 "leveringen er ikke ferdig (se send --status)",
	 "%zu sendt, %zu feilet, %zu skal prøves igjen, %zu usikre", "feilet: %s: ", "usikker",
	 "skal sendes", "utsatt", "(utsending %lld)",
	 {NULL, "Servernavnet ble ikke funnet: adressen kan være feilstavet, eller nettstedet er flyttet eller lagt ned.",
	  "Serveren kunne ikke nås: den kan være nede akkurat nå; varer det flere kjøringer, sjekk adressen.",
	  "Serveren svarte for sakte, og bulletin ga opp; det går som regel over.",
	  "Ingen sikker forbindelse kunne opprettes (nettstedets sertifikat eller kryptering): nettstedet må rette det, eller noe forstyrrer forbindelsen.",
	  "Siden finnes ikke (404/410): nettstedet har trolig flyttet feeden; finn den nye adressen og endre url.",
	  "Nettstedet avviser bulletin (401/403): det kan kreve innlogging eller stenge ute automatiske lesere.",
	  "Nettstedet ber bulletin komme tilbake senere (429, for mange forespørsler); den hentes igjen neste kjøring.",
	  "Nettstedet hadde en feil hos seg selv (5xx); det går som regel over.",
	  "Dokumentet er større enn max_body i [fetch] tillater; det ble ikke lest.",
	  "Nettstedet sender bulletin videre til en annen adresse, som ikke ble fulgt (for mange steg, eller fra https til ukryptert http).",
	  "Forbindelsen ble brutt underveis; det går som regel over.",
	  "Adressen svarte, men ikke med en feed eller den siden bulletin venter: nettstedet kan ha endret seg (bulletin sources test NAVN viser hva som kommer)."}},
	{"nn", "bulletin: rapport frå køyringa", "Siste køyring: %s", "aldri",
	 "Kjelder: %zu henta, %zu feila", ", %zu aldri henta",
	 "feilar: %s (%s), %d køyring på rad: ", "feilar: %s (%s), %d køyringar på rad: ",
	 "Neste utsending (nyheiter sidan %s): %lld nye, %lld valde ut", "starten",
	 "%lld valde ut i tillegg, utelatne som publiserte for meir enn %ld dagar sidan (max_age_days i [digest])",
	 "overvaka side endra: ", "overvaka side ser øydelagd ut (ikkje send til medlemmene): ",
	 "Reglar: ingen nyheiter i perioden enno",
	 "Reglar som ikkje trefte noko i perioden: %lld av %lld", "og %lld til",
	 "Medlemmer å sjå på (bulletin members):",
	 "%s: medlemslista seier active, men ein tidlegare \"unsubscribed\" i henne held medlemmen "
	 "utanfor; for å sende att: bulletin members resubscribe %s",
	 "Siste utsending: ingen enno", "Siste utsending: «", "», laga %s, ", "levert %s",
	 "leveringa er ikkje ferdig (sjå send --status)",
	 "%zu sende, %zu feila, %zu skal prøvast att, %zu usikre", "feila: %s: ", "usikker",
	 "skal sendast", "utsett", "(utsending %lld)",
	 {NULL, "Servarnamnet vart ikkje funne: adressa kan vere feilstava, eller nettstaden er flytta eller lagd ned.",
	  "Servaren kunne ikkje nåast: han kan vere nede akkurat no; varer det fleire køyringar, sjekk adressa.",
	  "Servaren svara for seint, og bulletin gav opp; det går som regel over.",
	  "Inga sikker tilkopling kunne opprettast (sertifikatet eller krypteringa til nettstaden): nettstaden må rette det, eller noko forstyrrar tilkoplinga.",
	  "Sida finst ikkje (404/410): nettstaden har truleg flytta feeden; finn den nye adressa og endra url.",
	  "Nettstaden avviser bulletin (401/403): han kan krevje innlogging eller stengje ute automatiske lesarar.",
	  "Nettstaden ber bulletin kome att seinare (429, for mange førespurnader); han vert henta att neste køyring.",
	  "Nettstaden hadde ein feil hjå seg sjølv (5xx); det går som regel over.",
	  "Dokumentet er større enn max_body i [fetch] tillèt; det vart ikkje lese.",
	  "Nettstaden sender bulletin vidare til ei anna adresse, som ikkje vart følgd (for mange steg, eller frå https til ukryptert http).",
	  "Tilkoplinga vart broten undervegs; det går som regel over.",
	  "Adressa svara, men ikkje med ein feed eller den sida bulletin ventar: nettstaden kan ha endra seg (bulletin sources test NAMN viser kva som kjem)."}},
	{"da", "bulletin: rapport fra kørslen", "Seneste kørsel: %s", "aldrig",
	 "Kilder: %zu hentet, %zu fejlede", ", %zu aldrig hentet",
	 "fejler: %s (%s), %d kørsel i træk: ", "fejler: %s (%s), %d kørsler i træk: ",
	 "Næste udsendelse (nyheder siden %s): %lld nye, %lld udvalgt", "starten",
	 "%lld udvalgt derudover, udeladt som offentliggjort for mere end %ld dage siden (max_age_days i [digest])",
	 "overvåget side ændret: ", "overvåget side ser ødelagt ud (ikke sendt til medlemmerne): ",
	 "Regler: ingen nyheder i perioden endnu",
	 "Regler, der ikke ramte noget i perioden: %lld af %lld", "og %lld mere",
	 "Medlemmer at se på (bulletin members):",
	 "%s: medlemslisten siger active, men et tidligere \"unsubscribed\" i den holder medlemmet "
	 "ude; for at sende igen: bulletin members resubscribe %s",
	 "Seneste udsendelse: ingen endnu", "Seneste udsendelse: »", "«, lavet %s, ", "leveret %s",
	 "leveringen er ikke færdig (se send --status)",
	 "%zu sendt, %zu fejlede, %zu skal prøves igen, %zu usikre", "fejlede: %s: ", "usikker",
	 "skal sendes", "udsat", "(udsendelse %lld)",
	 {NULL, "Serverens navn kunne ikke findes: adressen er måske stavet forkert, eller webstedet er flyttet eller lukket.",
	  "Serveren kunne ikke nås: den er måske nede lige nu; varer det flere kørsler, så tjek adressen.",
	  "Serveren svarede for langsomt, og bulletin gav op; det går som regel over.",
	  "Der kunne ikke oprettes en sikker forbindelse (webstedets certifikat eller kryptering): webstedet skal rette det, eller noget forstyrrer forbindelsen.",
	  "Siden findes ikke (404/410): webstedet har sandsynligvis flyttet sit feed; find den nye adresse, og ret url.",
	  "Webstedet afviser bulletin (401/403): det kræver måske login eller lukker automatiske læsere ude.",
	  "Webstedet beder bulletin vende tilbage senere (429, for mange forespørgsler); det hentes igen ved næste kørsel.",
	  "Webstedet havde en fejl hos sig selv (5xx); det går som regel over.",
	  "Dokumentet er større, end max_body i [fetch] tillader; det blev ikke læst.",
	  "Webstedet sender bulletin videre til en anden adresse, som ikke blev fulgt (for mange trin, eller fra https til ukrypteret http).",
	  "Forbindelsen blev afbrudt undervejs; det går som regel over.",
	  "Adressen svarede, men ikke med et feed eller den side, bulletin venter: webstedet kan have ændret sig (bulletin sources test NAVN viser, hvad der kommer)."}},
};

const struct chrome_report *chrome_report_for(const char *lang)
{
	for (size_t i = 0; i < sizeof reports / sizeof *reports; i++)
		if (lang && !strcmp(lang, reports[i].lang))
			return &reports[i];
	return &reports[0];
}

static const struct chrome_review reviews[] = {
	{"sv", "Granska: %s",
	 "**Granskningsexemplar.** Så här får medlemmarna veckans nummer. Det skickas **%s** "
	 "med dina ändringar.",
	 "**Granskningsexemplar.** Så här får medlemmarna veckans nummer. Det skickas när du "
	 "godkänner det.",
	 "Svara på det här mejlet, en ändring per rad: `drop 3 7` tar bort nummer 3 och 7, "
	 "`pin 2` sätter nummer 2 först under sin rubrik, `add 12` tar med nummer 12 från under "
	 "strecket, `approve` skickar nu, `hold` skickar inget denna vecka. En rad `note:` och "
	 "texten efter den blir en notis överst i numret.",
	 "Under strecket", "Reglerna valde nästan de här:", "poäng %s av %s",
	 "Re: %s", "Utfört:", "Svaret innehöll ingen ändring som bulletin känner igen.",
	 "Nummer %d finns inte i utkastet.",
	 "\"%s\" är redan skickat; ändringen gjordes inte.",
	 "Ersätter en tidigare ändring av %s (nummer %d): den sista ändringen gäller.",
	 "Tar bort nummer %d.", "Sätter nummer %d först.", "Tar med nummer %d.",
	 "Notisen överst är ändrad.", "Godkänt: numret skickas nu till medlemmarna.",
	 "Stoppat: inget nummer denna vecka; nyheterna kommer med nästa.",
	 "Avsändaren är inte granskare.",
	 "Under granskning: skickas %s", "Under granskning: skickas när det godkänns (bulletin review approve)"},
	{"nb", "Gjennomgå: %s",
	 "**Gjennomgangseksemplar.** Slik får medlemmene ukens nummer. Det sendes **%s** med "
	 "endringene dine.",
	 "**Gjennomgangseksemplar.** Slik får medlemmene ukens nummer. Det sendes når du "
	 "godkjenner det.",
	 "Svar på denne e-posten, én endring per linje: `drop 3 7` fjerner nummer 3 og 7, "
	 "`pin 2` setter nummer 2 først under sin overskrift, `add 12` tar med nummer 12 fra "
	 "under streken, `approve` sender nå, `hold` sender ingenting denne uken. En linje "
	 "`note:` og teksten etter den blir en notis øverst i nummeret.",
	 "Under streken", "Reglene valgte nesten disse:", "poeng %s av %s",
	 "Re: %s", "Utført:", "Svaret inneholdt ingen endring bulletin kjenner igjen.",
	 "Nummer %d finnes ikke i utkastet.",
	 "\"%s\" er allerede sendt; endringen ble ikke gjort.",
	 "Erstatter en tidligere endring fra %s (nummer %d): den siste endringen gjelder.",
	 "Fjerner nummer %d.", "Setter nummer %d først.", "Tar med nummer %d.",
	 "Notisen øverst er endret.", "Godkjent: nummeret sendes nå til medlemmene.",
	 "Stoppet: ikke noe nummer denne uken; nyhetene kommer med neste.",
	 "Avsenderen er ikke gjennomgåer.",
	 "Til gjennomgang: sendes %s", "Til gjennomgang: sendes når det godkjennes (bulletin review approve)"},
	{"nn", "Gå gjennom: %s",
	 "**Gjennomgangseksemplar.** Slik får medlemene nummeret for veka. Det vert sendt **%s** "
	 "med endringane dine.",
	 "**Gjennomgangseksemplar.** Slik får medlemene nummeret for veka. Det vert sendt når du "
	 "godkjenner det.",
	 "Svar på denne e-posten, éi endring per linje: `drop 3 7` fjernar nummer 3 og 7, "
	 "`pin 2` set nummer 2 først under overskrifta si, `add 12` tek med nummer 12 frå under "
	 "streken, `approve` sender no, `hold` sender ingenting denne veka. Ei linje `note:` og "
	 "teksten etter ho vert ei notis øvst i nummeret.",
	 "Under streken", "Reglane valde nesten desse:", "poeng %s av %s",
	 "Re: %s", "Utført:", "Svaret inneheldt inga endring bulletin kjenner att.",
	 "Nummer %d finst ikkje i utkastet.",
	 "\"%s\" er alt sendt; endringa vart ikkje gjord.",
	 "Erstattar ei tidlegare endring frå %s (nummer %d): den siste endringa gjeld.",
	 "Fjernar nummer %d.", "Set nummer %d først.", "Tek med nummer %d.",
	 "Notisen øvst er endra.", "Godkjent: nummeret vert sendt no til medlemene.",
	 "Stoppa: ikkje noko nummer denne veka; nyheitene kjem med det neste.",
	 "Avsendaren er ikkje gjennomgåar.",
	 "Til gjennomgang: vert sendt %s", "Til gjennomgang: vert sendt når det vert godkjent (bulletin review approve)"},
	{"da", "Gennemse: %s",
	 "**Gennemsynseksemplar.** Sådan får medlemmerne ugens nummer. Det sendes **%s** med "
	 "dine ændringer.",
	 "**Gennemsynseksemplar.** Sådan får medlemmerne ugens nummer. Det sendes, når du "
	 "godkender det.",
	 "Svar på denne mail, én ændring pr. linje: `drop 3 7` fjerner nummer 3 og 7, `pin 2` "
	 "sætter nummer 2 først under sin overskrift, `add 12` tager nummer 12 med fra under "
	 "stregen, `approve` sender nu, `hold` sender intet denne uge. En linje `note:` og "
	 "teksten efter den bliver en note øverst i nummeret.",
	 "Under stregen", "Reglerne valgte næsten disse:", "point %s af %s",
	 "Re: %s", "Udført:", "Svaret indeholdt ingen ændring, bulletin kender.",
	 "Nummer %d findes ikke i udkastet.",
	 "\"%s\" er allerede sendt; ændringen blev ikke foretaget.",
	 "Erstatter en tidligere ændring fra %s (nummer %d): den sidste ændring gælder.",
	 "Fjerner nummer %d.", "Sætter nummer %d først.", "Tager nummer %d med.",
	 "Noten øverst er ændret.", "Godkendt: nummeret sendes nu til medlemmerne.",
	 "Stoppet: intet nummer denne uge; nyhederne kommer med det næste.",
	 "Afsenderen er ikke gennemser.",
	 "Til gennemsyn: sendes %s", "Til gennemsyn: sendes, når det godkendes (bulletin review approve)"},
	{"en", "Review: %s",
	 "**Review copy.** This is this week's issue as members will get it. It goes out "
	 "**%s** with your edits.",
	 "**Review copy.** This is this week's issue as members will get it. It goes out when "
	 "you approve it.",
	 "Reply to this mail, one edit per line: `drop 3 7` removes numbers 3 and 7, `pin 2` puts "
	 "number 2 first under its heading, `add 12` takes number 12 from below the line, "
	 "`approve` sends now, `hold` sends nothing this week. A line `note:` and the text after "
	 "it become a note at the top of the issue.",
	 "Below the line", "The rules nearly selected these:", "score %s of %s",
	 "Re: %s", "Done:", "The reply held no edit bulletin knows.",
	 "Number %d is not in the draft.",
	 "\"%s\" was already sent; the edit was not made.",
	 "Replaces an earlier edit by %s (number %d): the last edit wins.",
	 "Drops number %d.", "Puts number %d first.", "Adds number %d.",
	 "The note at the top is changed.", "Approved: the issue goes out to the members now.",
	 "Held: no issue this week; its news comes with the next one.",
	 "The sender is not a reviewer.",
	 "Under review: goes out %s", "Under review: goes out when approved (bulletin review approve)"},
};

const struct chrome_review *chrome_review_for(const char *lang)
{
	for (size_t i = 0; i < sizeof reviews / sizeof *reviews; i++)
		if (lang && !strcmp(lang, reviews[i].lang))
			return &reviews[i];
	return &reviews[0];
}

void chrome_review_when(time_t t, const char *lang, const char *zone, char *out, size_t n)
{
	const struct chrome *c = chrome_for(lang);
	char date[64];
	digest_format_date_tz(t, lang, zone, date, sizeof date);
	time_t local = t + date_zone_offset(zone ? zone : "Europe/Stockholm", t);
	struct tm tm;
	gmtime_r(&local, &tm);
	snprintf(out, n, "%s %s %02d%c%02d", c->days[tm.tm_wday], date, tm.tm_hour, c->clock_sep,
		 tm.tm_min);
}
