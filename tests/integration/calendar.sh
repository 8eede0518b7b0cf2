#!/bin/sh
# The association's year (issue 21) on the demo's configuration and sites:
# the digest's "På gång" in February and in August (BULLETIN_TEST_NOW, the
# tests' clock), a reminder given once per entry and year (a preview does
# not use it up, a stored digest does, a second run does not repeat it),
# calendar.ics read by two independent parsers (Python's icalendar and
# vobject) with stable UIDs and a SEQUENCE that moves only with a change,
# `bulletin calendar` and `bulletin calendar --check` (file:line for every
# problem), an impossible entry reported and skipped without stopping the
# run, an all-day entry and one past midnight. Prints TAP; set
# SHOW_UPCOMING=1 to see the sections as TAP comments.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
PY=/usr/bin/python3
cp -r "$top/contrib/demo/site" "$work/site"
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
start_smtp "$work/maildir" || { echo "Bail out! no SMTP server"; exit 1; }
mkdir -p "$work/feb/feeds" "$work/aug/feeds" "$work/demo-aug/feeds" "$work/maildir"
for d in feb aug demo-aug; do
	fill_template "$top/contrib/demo/bulletin.ini" "$work/$d/bulletin.ini"
	fill_template "$top/contrib/demo/feeds/demo.ini" "$work/$d/feeds/demo.ini"
	cp "$top/contrib/demo/members.csv" "$work/$d/"
done
# The tests' clock: Monday 8 February and Monday 9 August 2027, 06:30 in
# Stockholm (cron's hour), as seconds since the epoch.
FEB=$("$PY" -c 'import datetime as d; print(int(d.datetime(2027,2,8,5,30,tzinfo=d.timezone.utc).timestamp()))')
AUG=$("$PY" -c 'import datetime as d; print(int(d.datetime(2027,8,9,4,30,tzinfo=d.timezone.utc).timestamp()))')

# upcoming FILE: the "På gång" section of a Markdown digest.
upcoming() { sed -n '/^## På gång/,$p' "$1" | sed '/^$/d'; }
show() { [ -n "${SHOW_UPCOMING:-}" ] && sed 's/^/# /' "$1"; return 0; }

# --- February: preview first, then the run that sends and stores -------
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" fetch 2> "$work/err"
check "February: fetch at the tests' clock" [ $? -eq 0 ]
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" digest --format json > "$work/feb/preview1.json" 2> "$work/err"
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" digest --format json > "$work/feb/preview2.json" 2>> "$work/err"
check "February: previews give March's FUM reminder, twice (a preview does not use it up); lines by date" "$PY" - "$work/feb/preview1.json" "$work/feb/preview2.json" <<'EOF'
import json, sys
for f in sys.argv[1:]:
    m = json.load(open(f))
    r = m["upcoming"]["reminders"]
    assert r == [{"entry": "lf-fum-mars", "year": 2027}], r
    starts = [l["start"] for l in m["upcoming"]["lines"]]
    assert starts == sorted(starts) and len(starts) >= 4, starts
EOF
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" run > /dev/null 2> "$work/err"
check "February: bulletin run exits 0" [ $? -eq 0 ] || sed 's/^/#   /' "$work/err"
md=$(ls "$work/feb/archive"/digest-2027-02-08-*.md 2>/dev/null | head -1)
upcoming "$md" > "$work/feb/upcoming.md"
show "$work/feb/upcoming.md"
check "February: På gång lists the årsmöte and February's motions (month entries)" sh -c \
	"grep -q '^- \*\*februari 2027\*\*: Årsmöte DLF Sthlm$' '$work/feb/upcoming.md' && grep -q '^- \*\*februari 2027\*\*: Motioner till DLF:s fullmäktige (FUM)$' '$work/feb/upcoming.md'"
check "February: ... March's FUM (within 6 weeks) with its reminder, but not April's" sh -c \
	"grep -q '^- \*\*mars 2027\*\*: \*Påminnelse:\* Stockholms läkarförenings fullmäktige (FUM)$' '$work/feb/upcoming.md' && ! grep -q 'april' '$work/feb/upcoming.md'"
check "February: ... the member meeting found in the news: day, time, link, source" grep -q \
	'^- \*\*torsdag 11 mars 2027\*\*, kl\. 18\.00–20\.00: \[Medlemsmöte om primärvårdsstrategin\](<https://dlf-sthlm.example.se/moten/medlemsmote-var/>) (Distriktsläkarföreningen i Stockholm: möten)$' "$work/feb/upcoming.md"
check "February: ... not the 2021 dialogue meeting (past)" sh -c "! grep -q 'Dialogmøte' '$work/feb/upcoming.md'"
txt=${md%.md}.txt
# The meeting's link reuses its item's number: whatever that number is (it
# follows the items the rules selected above it), the URL is listed once.
n=$(sed -n 's/^  primärvårdsstrategin (Distriktsläkarföreningen i Stockholm: möten) \[\([0-9]*\)\]$/\1/p' "$txt")
check "February: the plain text has the section; the meeting's link has the item's number" sh -c \
	"grep -q '^== På gång ==' '$txt' && grep -q '^\* torsdag 11 mars 2027, kl. 18.00–20.00: Medlemsmöte om$' '$txt' && [ -n '$n' ] && grep -q '^\[$n\] https://dlf-sthlm.example.se/moten/medlemsmote-var/$' '$txt' && [ \$(grep -c '^\[[0-9]*\] https://dlf-sthlm.example.se/moten/medlemsmote-var/$' '$txt') -eq 1 ]" ||
	sed -n '/^== På gång/,/^--/p' "$txt" | sed 's/^/#   /'
check "February: the HTML part has the section" grep -q '<h2>På gång</h2>' "${md%.md}.html"
check "February: the reminder is recorded with the stored digest" [ "$(sqlite3 "$work/feb/bulletin.db" \
	"SELECT entry || ' ' || year FROM reminders ORDER BY entry" 2>/dev/null | tr '\n' ,)" = "lf-fum-mars 2027," ]
# A second digest the same week (a new item arrives): the reminder is not given again.
"$PY" - "$work/site/moten/dlf-stockholm-moten.xml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("</channel>", "<item><title>Nytt om Primärvårdsstrategin</title><link>https://dlf-sthlm.example.se/moten/ny/</link>"
              "<guid>dlf-ny</guid><description>Distriktsläkarna och vårdcentralerna.</description></item></channel>")
open(p, "w", encoding="utf-8").write(s)
EOF
BULLETIN_TEST_NOW=$((FEB + 86400)) "$BULLETIN" -c "$work/feb/bulletin.ini" run > /dev/null 2> "$work/err"
md2=$(ls "$work/feb/archive"/digest-2027-02-09-*.md 2>/dev/null | head -1)
check "February, a day later: a second digest, without the reminder given yesterday" sh -c \
	"[ -n '$md2' ] && grep -q 'Stockholms läkarförenings fullmäktige' '$md2' && ! grep -q 'Påminnelse' '$md2'"

# --- calendar.ics ---------------------------------------------------------
ics=$work/feb/archive/calendar.ics
check "calendar.ics is published beside the digests, linked from index.html" sh -c \
	"[ -s '$ics' ] && grep -q 'href=\"calendar.ics\"' '$work/feb/archive/index.html'"
# validate FILE: both parsers read it without an error; prints UID SEQUENCE lines.
validate() {
	"$PY" - "$1" <<'EOF'
import sys, icalendar, vobject
raw = open(sys.argv[1], "rb").read()
for line in raw.split(b"\r\n"):
    assert len(line) <= 75, line
assert raw.endswith(b"END:VCALENDAR\r\n")
cal = icalendar.Calendar.from_ical(raw)
errors = [(c.name, c.errors) for c in cal.walk() if getattr(c, "errors", None)]
assert not errors, errors
evs = cal.walk("VEVENT")
assert evs, "no events"
for e in evs:
    for k in ("UID", "DTSTAMP", "DTSTART", "SUMMARY", "SEQUENCE"):
        assert k in e, (k, e)
    e.decoded("DTSTART"), e.decoded("DTSTAMP")
v = vobject.readOne(raw.decode("utf-8"), validate=True)
assert len(v.vevent_list) == len(evs), (len(v.vevent_list), len(evs))
assert len({e["UID"] for e in evs}) == len(evs), "UIDs repeat"
for e in sorted(evs, key=lambda e: str(e["UID"])):
    print(e["UID"], e["SEQUENCE"], e.decoded("DTSTART"), e.get("DTEND") and e.decoded("DTEND"))
EOF
}
validate "$ics" > "$work/ics1.txt" 2> "$work/err"
check "calendar.ics: icalendar and vobject read it, zero errors ($(wc -l < "$work/ics1.txt") events)" [ $? -eq 0 ] || sed 's/^/#   /' "$work/err"
check "calendar.ics: the årsmöte as a day (VALUE=DATE), its UID the entry's name and year" \
	grep -q '^cal-arsmote-2027@dlf-sthlm.example.se 0 2027-02-01 2027-02-02$' "$work/ics1.txt"
check "calendar.ics: the meeting from the news, UTC times (18.00 CET is 17Z)" \
	grep -q '^item-[0-9a-f]\{16\}@dlf-sthlm.example.se 0 2027-03-11 17:00:00+00:00 2027-03-11 19:00:00+00:00$' "$work/ics1.txt"
BULLETIN_TEST_NOW=$((FEB + 2 * 86400)) "$BULLETIN" -c "$work/feb/bulletin.ini" archive > /dev/null 2> "$work/err"
validate "$ics" > "$work/ics2.txt" 2>> "$work/err"
check "calendar.ics rebuilt: the same UIDs and SEQUENCEs when nothing changed" cmp -s "$work/ics1.txt" "$work/ics2.txt"
# The chair sets the årsmöte's day, time and place: that event's SEQUENCE moves, no other's.
cp "$top/feeds/arshjul.ini" "$work/arshjul.ini"
"$PY" - "$work/arshjul.ini" <<'EOF'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("title = Årsmöte DLF Sthlm\nmonth = 2\n",
              "title = Årsmöte DLF Sthlm\nmonth = 2\nday = 24\ntime = 18:00-20:00\nplace = Läkarnas hus, Villagatan 5\n")
open(p, "w", encoding="utf-8").write(s)
EOF
sed -i "s|^file = .*arshjul.ini$|file = $work/arshjul.ini|" "$work/feb/bulletin.ini"
BULLETIN_TEST_NOW=$((FEB + 3 * 86400)) "$BULLETIN" -c "$work/feb/bulletin.ini" archive > /dev/null 2> "$work/err"
validate "$ics" > "$work/ics3.txt" 2>> "$work/err"
diff "$work/ics2.txt" "$work/ics3.txt" | grep '^[<>]' > "$work/ics.diff"
check "calendar.ics: the changed entry keeps its UIDs (2027, 2028), SEQUENCE 1, the rest as they were" sh -c \
	"[ \$(wc -l < '$work/ics.diff') -eq 4 ] && grep -q '^> cal-arsmote-2027@dlf-sthlm.example.se 1 2027-02-24 17:00:00+00:00 2027-02-24 19:00:00+00:00$' '$work/ics.diff' && grep -q '^> cal-arsmote-2028@dlf-sthlm.example.se 1 2028-02-24 ' '$work/ics.diff' && [ \$(grep -c '^> cal-arsmote-20' '$work/ics.diff') -eq 2 ]" ||
	sed 's/^/#   /' "$work/ics.diff"
check "calendar.ics: LOCATION and LAST-MODIFIED of the change" sh -c \
	"grep -q '^LOCATION:Läkarnas hus\\\\, Villagatan 5' '$ics' && grep -q '^LAST-MODIFIED:20270211T' '$ics'"

# --- bulletin calendar ------------------------------------------------------
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" calendar > "$work/cal.out" 2> "$work/err"
check "bulletin calendar: exit 0, the heading and the coming weeks" sh -c \
	"[ $? -eq 0 ] && head -1 '$work/cal.out' | grep -q '^På gång: 8 februari 2027 – 22 mars 2027' && grep -q 'onsdag 24 februari 2027 *kl. 18.00–20.00 *Påminnelse: Årsmöte DLF Sthlm, Läkarnas hus' '$work/cal.out' && grep -q 'torsdag 11 mars 2027.*Medlemsmöte om primärvårdsstrategin (Distriktsläkarföreningen i Stockholm: möten)  https://' '$work/cal.out'" ||
	sed 's/^/#   /' "$work/cal.out"
BULLETIN_TEST_NOW=$FEB "$BULLETIN" -c "$work/feb/bulletin.ini" calendar --weeks 10 > "$work/cal10.out" 2>&1
check "bulletin calendar --weeks 10 reaches April" grep -q 'april 2027' "$work/cal10.out"
"$BULLETIN" -c "$work/feb/bulletin.ini" calendar --weeks 0 > /dev/null 2>&1
check "bulletin calendar --weeks 0: usage (64)" [ $? -eq 64 ]
"$BULLETIN" calendar --check "$top/feeds/arshjul.ini" > "$work/out" 2> "$work/err"
check "calendar --check: the shipped årshjul has no problem" sh -c \
	"[ $? -eq 0 ] && grep -q 'arshjul.ini: 20 entries, 0 problems' '$work/out' && [ ! -s '$work/err' ]"
cat > "$work/bad.ini" <<'EOF'
[entry tretton]
title = Månad tretton
month = 13

[entry feb31]
title = Trettioförsta februari
month = 2
day = 31

[entry tid]
title = Tid utan dag
month = 5
time = 18:00

[entry okand]
title = Okänd nyckel
month = 4
colour = red

[entry bra]
title = Den här är rätt
date = 2027-02-15
EOF
"$BULLETIN" calendar --check "$work/bad.ini" > "$work/out" 2> "$work/err"
rc=$?
check "calendar --check: exit 78, every problem, not the first only" sh -c \
	"[ $rc -eq 78 ] && grep -q '4 problems' '$work/out' && [ \$(wc -l < '$work/err') -eq 4 ]"
check "calendar --check: month 13, 31 February, a time without a day, an unknown key, each with file:line" sh -c \
	"grep -q '^$work/bad.ini:3: month must be a whole number from 1 to 12, not \"13\"' '$work/err' && grep -q '^$work/bad.ini:8: there is no 31 February' '$work/err' && grep -q '^$work/bad.ini:13: a time without a day' '$work/err' && grep -q '^$work/bad.ini:18: unknown setting \"colour\"' '$work/err'" ||
	sed 's/^/#   /' "$work/err"
"$BULLETIN" -c "$work/feb/bulletin.ini" calendar --check > "$work/out" 2>&1
check "calendar --check without FILE reads the configured one" grep -q "^$work/arshjul.ini: 20 entries, 0 problems" "$work/out"
"$BULLETIN" calendar --check "$work/nosuch.ini" > /dev/null 2> "$work/err"
check "calendar --check of a missing file: 66, named" sh -c "[ $? -eq 66 ] && grep -q 'nosuch.ini' '$work/err'"

# --- August: the demo as it ships ------------------------------------------
BULLETIN_TEST_NOW=$AUG "$BULLETIN" -c "$work/demo-aug/bulletin.ini" run > /dev/null 2> "$work/err"
check "August (the demo as shipped): bulletin run exits 0" [ $? -eq 0 ] || sed 's/^/#   /' "$work/err"
upcoming "$(ls "$work/demo-aug/archive"/digest-2027-08-09-*.md | head -1)" > "$work/demo-aug/upcoming.md"
show "$work/demo-aug/upcoming.md"
check "August (the demo as shipped): this month's budget talks first, September's meeting last" sh -c \
	"[ \$(grep -c '^- ' '$work/demo-aug/upcoming.md') -eq 4 ] && sed -n 2p '$work/demo-aug/upcoming.md' | grep -q 'augusti 2027\*\*: Budgetsamtal' && tail -1 '$work/demo-aug/upcoming.md' | grep -q 'torsdag 9 september 2027'"

# --- August, with a broken entry, an all-day one and one past midnight -----
cp "$top/feeds/arshjul.ini" "$work/aug/arshjul.ini"
cat >> "$work/aug/arshjul.ini" <<'EOF'

[entry omojlig]
title = Den 31 september finns inte
month = 9
day = 31

[entry sommarfest]
title = Sommarfest
date = 2027-08-20
place = Rålambshovsparken

[entry nattjour]
title = Nattmöte om jouren
date = 2027-08-27
time = 22:00-02:00
EOF
sed -i "s|^file = .*arshjul.ini$|file = $work/aug/arshjul.ini|" "$work/aug/bulletin.ini"
BULLETIN_TEST_NOW=$AUG "$BULLETIN" -c "$work/aug/bulletin.ini" run > /dev/null 2> "$work/err"
rc=$?
check "August: bulletin run exits 0 with an impossible entry in the calendar" [ $rc -eq 0 ] || sed 's/^/#   /' "$work/err"
check "August: the impossible entry is reported with file:line and left out" sh -c \
	"grep -q 'arshjul.ini:[0-9]*: there is no 31 September (entry left out)' '$work/err'"
md=$(ls "$work/aug/archive"/digest-2027-08-09-*.md 2>/dev/null | head -1)
upcoming "$md" > "$work/aug/upcoming.md"
show "$work/aug/upcoming.md"
check "August: the budget talks (this month), September's Samfonden with its reminder" sh -c \
	"grep -q 'augusti 2027\*\*: Budgetsamtal med Region Stockholm' '$work/aug/upcoming.md' && grep -q 'september 2027\*\*: \*Påminnelse:\* Sök Samfondens stipendium' '$work/aug/upcoming.md'"
check "August: the autumn member meeting from the news, 17.30–19.30" grep -q \
	'torsdag 9 september 2027\*\*, kl\. 17\.30–19\.30: \[Höstens medlemsmöte' "$work/aug/upcoming.md"
check "August: an all-day entry has a day and no time; one past midnight ends at 02.00" sh -c \
	"grep -q '^- \*\*fredag 20 augusti 2027\*\*: Sommarfest, Rålambshovsparken$' '$work/aug/upcoming.md' && grep -q '^- \*\*fredag 27 augusti 2027\*\*, kl. 22.00–02.00: Nattmöte om jouren$' '$work/aug/upcoming.md'"
check "August: not the spring meeting (March: past) nor October" sh -c \
	"! grep -q 'Medlemsmöte om primärvårdsstrategin\|oktober' '$work/aug/upcoming.md'"
validate "$work/aug/archive/calendar.ics" > "$work/ics-aug.txt" 2> "$work/err"
check "August's calendar.ics: both parsers, zero errors" [ $? -eq 0 ] || sed 's/^/#   /' "$work/err"
check "August's calendar.ics: the all-day entry is one day, the night meeting ends the next day" sh -c \
	"grep -q '^cal-sommarfest-2027@[^ ]* 0 2027-08-20 2027-08-21$' '$work/ics-aug.txt' && grep -q '^cal-nattjour-2027@[^ ]* 0 2027-08-27 20:00:00+00:00 2027-08-28 00:00:00+00:00$' '$work/ics-aug.txt'"
check "August's calendar.ics: no entry for the impossible day" sh -c "! grep -q omojlig '$work/aug/archive/calendar.ics'"

tap_done
