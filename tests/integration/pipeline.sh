#!/bin/sh
# The whole pipeline against real local servers: an HTTP server with the
# demo's sample sources plus a non-feed and a refused port, an SMTP sink
# writing a Maildir. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

set --
. "$top/tests/integration/pipeline_setup.inc"
cfg=$work/cfg/bulletin.ini
mails() { ls "$work/maildir/new" 2>/dev/null | wc -l; }

# 1. A broken rule stops the run before anything is fetched or sent.
cp "$cfg" "$work/cfg/badrules.ini"
printf 'topic x "X"\ninclude 2 /(unclosed/\n' > "$work/cfg/bad.rules"
sed -i "s|^files = .*primarvard.rules|files = bad.rules|" "$work/cfg/badrules.ini"
"$BULLETIN" -c "$work/cfg/badrules.ini" run > "$work/out" 2> "$work/err"
rc=$?
check "bad rule: exit 78" [ $rc -eq 78 ]
check "bad rule: message names file:line:col" grep -q 'bad.rules:2:[0-9]*:.*parenthesis' "$work/err"
check "bad rule: nothing fetched, nothing stored" [ ! -e "$work/cfg/state/bulletin.db" ]
check "bad rule: nothing sent" [ "$(mails)" -eq 0 ]

# 2. A broken config line names file:line.
printf '[fetch]\ntimeout = soon\n' > "$work/cfg/badcfg.ini"
"$BULLETIN" -c "$work/cfg/badcfg.ini" run > "$work/out" 2> "$work/err"
rc=$?
check "bad config: exit 78" [ $rc -eq 78 ]
check "bad config: file:line" grep -q 'badcfg.ini:2: timeout must be' "$work/err"

# 3. The run: bad sources and a bad member row are reported; the rest goes on.

"$BULLETIN" -c "$cfg" run > "$work/out" 2> "$work/err"
rc=$?
check "run: exit 1 (some sources failed), not a crash" [ $rc -eq 1 ]
check "run: the non-feed is named with its URL" grep -q "source not-a-feed (http://127.0.0.1:$HTTP_PORT/not-a-feed.txt)" "$work/err"
check "run: the refused source is named with its URL" grep -q "source refused (http://127.0.0.1:$REFUSED_PORT/feed.xml)" "$work/err"
check "run: a truncated feed keeps the items whose end tag was read, with a warning" grep -q "source truncated (.*): line 15, column 1: .*kept the 2 items" "$work/err"
check "run: a disabled source is not fetched" sh -c "! grep -q switched-off '$work/err'"
check "run: the member row without an address names file:line" grep -q 'members.csv:3' "$work/err"
check "run: each valid member got exactly one mail" [ "$(mails)" -eq 2 ]
if [ "$(mails)" -ge 1 ]; then
	/usr/bin/python3 - "$work/maildir/new" > "$work/mime" 2>&1 <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
to = []
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    assert m.get_content_type() == 'multipart/alternative', m.get_content_type()
    parts = {p.get_content_type(): p for p in m.iter_parts()}
    assert set(parts) == {'text/plain', 'text/html'}, parts.keys()
    for p in parts.values():
        assert p.get_content_charset() == 'utf-8'
    text = parts['text/plain'].get_content()
    html = parts['text/html'].get_content()
    assert m['Subject'].startswith('Primärvårdsnytt'), m['Subject']
    assert 'Testföreningen för allmänmedicin' in str(m['From'])
    assert len(m.get_all('To')) == 1
    to.append(str(m['To']))
    for t in ['DLF Stockholm: verksamhetsplan 2022',
              'Antalet läkare ska fördubblas på vårdcentralerna i Stockholm län',
              'Restaurering og nybygg',
              'Primärvårdsstrategi',
              'Dialogmøte om fastlegeordningen']:
        assert t in text, 'text part lacks ' + t
        assert t in html, 'html part lacks ' + t
    for t in ['kassör', 'pendeltåg', 'kulturskolan', 'Tannlegevakten', 'Karolinska', 'tunnelbanans',
              'Ledig stilling', 'skogvern']:
        assert t not in text, 'negative item selected: ' + t
    assert '<script' not in html
print('\n'.join(sorted(to)))
PY
	rc=$?
	check "mail: MIME structure, UTF-8, five seeds in, negatives out" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/#   /' "$work/mime"
	check "mail: one per member, to that member alone" grep -q 'oystein.brathen@example.no' "$work/mime"
else
	not_ok "mail: MIME structure, UTF-8, five seeds in, negatives out" "no mail"
	not_ok "mail: one per member, to that member alone" "no mail"
fi
# The chair's copy alone carries the source-health section: the failing
# sources by name and count, and the rules that matched nothing.
/usr/bin/python3 - "$work/maildir/new" > "$work/chair" 2>&1 <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
seen = {}
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    parts = {p.get_content_type(): p.get_content() for p in m.iter_parts()}
    has = [("Till ordföranden" in parts[t]) for t in ('text/plain', 'text/html')]
    seen[str(m['To'])] = has
    if "oystein" in str(m['To']):
        for t in ('text/plain', 'text/html'):
            # (the truncated source is not failing: it kept its items)
            for want in ("Källor som inte gick att hämta", "not-a-feed", "refused", "träffade inget"):
                assert want in parts[t], (t, want)
for to, has in seen.items():
    assert has == ([True, True] if "oystein" in to else [False, False]), (to, has)
print("ok")
PY
check "chair's copy: source health and dead rules, only in hers" grep -q '^ok$' "$work/chair" || sed 's/^/#   /' "$work/chair"
# Each copy greets its member by the given name ("Bråthen, Øystein" is
# Øystein), in both parts; the archive has the generic greeting.
/usr/bin/python3 - "$work/maildir/new" > "$work/greet" 2>&1 <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
want = {"asa.lindstrom@example.se": "Hej Åsa!", "oystein.brathen@example.no": "Hej Øystein!"}
seen = set()
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    to = m['To'].addresses[0].addr_spec
    parts = {p.get_content_type(): p.get_content() for p in m.iter_parts()}
    text = parts["text/plain"].replace("\r\n", "\n")
    assert "\n\n%s\n\n" % want[to] in text, (to, text[:200])
    assert "<p>%s</p>" % want[to] in parts['text/html'], to
    for p in parts.values():
        assert "BULLETINGREETINGSLOT" not in p
    seen.add(to)
assert seen == set(want), seen
print("ok")
PY
check "greeting: each member by the given name, in text and HTML" grep -q '^ok$' "$work/greet" || sed 's/^/#   /' "$work/greet"
check "greeting: the archive has the generic one and no slot" sh -c "grep -q '^<p>Hej!</p>' '$work'/cfg/archive/digest-*.html && grep -qx 'Hej!' '$work'/cfg/archive/digest-*.txt && ! grep -rq BULLETINGREETINGSLOT '$work/cfg/archive'"
! grep -rq "Till ordföranden" "$work"/cfg/archive/ 2>/dev/null
check "chair's section never in the archive" [ $? -eq 0 ]
check "archive: index.html and feed.atom list the digest" \
	sh -c "grep -q 'digest-.*\.html' '$work/cfg/archive/index.html' && \"\$BULLETIN\" parse '$work/cfg/archive/feed.atom' | grep -q 'Primärvårdsnytt'"
check "archive: .md, .html, .txt and .json written" sh -c "ls '$work'/cfg/archive/*.md '$work'/cfg/archive/*.html '$work'/cfg/archive/*.txt '$work'/cfg/archive/*.json > /dev/null"

# 4. Sending again mails nobody twice.
before=$(mails)
"$BULLETIN" -c "$cfg" send > "$work/out" 2> "$work/err"
rc=$?
check "send again: exit 0" [ $rc -eq 0 ]
check "send again: nobody mailed twice" [ "$(mails)" -eq "$before" ]
check "send again: says there is nothing new" grep -q 'nothing sent' "$work/err"
"$BULLETIN" -c "$cfg" run > "$work/out" 2> "$work/err"
check "run again: nobody mailed twice" [ "$(mails)" -eq "$before" ]

# 5. The inspection verbs.
"$BULLETIN" parse --base "http://127.0.0.1/" "$work/site/dlf-stockholm.xml" > "$work/parse.jsonl" 2> "$work/err"
check "parse: exit 0" [ $? -eq 0 ]
check "parse: one JSON object per item with the contract's keys" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
keys = {"key", "url", "title", "summary", "content", "author", "categories", "published", "updated"}
assert all(keys <= set(r) for r in rows)
assert rows[0]["title"] == "DLF Stockholm: verksamhetsplan 2022"
assert rows[0]["published"] == "2022-01-15T09:00:00Z", rows[0]["published"]
assert rows[0]["author"] == "Ylva Sandström"
' "$work/parse.jsonl"
"$BULLETIN" parse "$work/site/not-a-feed.txt" > /dev/null 2> "$work/err"
rc=$?
check "parse: a non-feed is an error (65) naming the file" sh -c "[ $rc -eq 65 ] && grep -q not-a-feed.txt '$work/err'"
"$BULLETIN" parse "$work/site/"*.xml > /dev/null 2>&1
check "parse: more than one file is a usage error" [ $? -eq 64 ]

cat "$work"/site/*.xml > /dev/null
for f in "$work"/site/*.xml; do "$BULLETIN" parse "$f"; done > "$work/all.jsonl" 2>/dev/null
"$BULLETIN" rules test -r "$top/feeds/primarvard.rules" --format jsonl "$work/all.jsonl" > "$work/rt.jsonl" 2> "$work/err"
check "rules test: exit 0" [ $? -eq 0 ]
check "rules test --format jsonl: key, selected, topic, score, matches; five selected" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 13, len(rows)
for r in rows:
    assert {"key", "selected", "topic", "score", "matches"} <= set(r)
    assert isinstance(r["selected"], bool)
sel = [r["title"] for r in rows if r["selected"]]
assert len(sel) == 5, sel
' "$work/rt.jsonl"
"$BULLETIN" rules test -r "$top/feeds/primarvard.rules" --explain "$work/all.jsonl" > "$work/rt.txt" 2>&1
check "rules test --explain: names the field and the rule's file:line" grep -q 'title.*primarvard.rules:[0-9]' "$work/rt.txt"
printf '{"title": "ok"}\n{"title": 3}\n' > "$work/bad.jsonl"
"$BULLETIN" rules test -r "$top/feeds/primarvard.rules" "$work/bad.jsonl" > /dev/null 2> "$work/err"
check "rules test: a bad item line names file:line" sh -c "grep -q 'bad.jsonl:2' '$work/err'"

"$BULLETIN" -c "$cfg" digest --format json > "$work/model.json" 2> "$work/err"
check "digest --format json: valid JSON model" /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert "topics" in m and "period" in m' "$work/model.json"

# Previews: --days, --format text (72 columns, numbered links), --open.
"$BULLETIN" -c "$cfg" digest --days 3650 --format text > "$work/preview.txt" 2> "$work/err"
check "digest --days --format text: a preview of the stored items" grep -q '^== Primärvård och allmänmedicin ==' "$work/preview.txt"
check "digest --format text: lines of at most 72 columns, except a lone URL" /usr/bin/python3 -c '
import sys
for l in open(sys.argv[1], encoding="utf-8").read().splitlines():
    assert len(l) <= 72 or "://" in l or l.startswith("Subject:"), l
' "$work/preview.txt"
check "digest --format text: links as numbered references" sh -c "grep -q '^\[1\] http' '$work/preview.txt' && grep -q ' \[1\]\$' '$work/preview.txt'"
"$BULLETIN" -c "$cfg" digest --days 3650 --open > "$work/open.out" 2> "$work/err"
check "digest --open: writes the preview and prints its path" sh -c "p=\$(cat '$work/open.out'); [ -s \"\$p\" ] && grep -q '<html' \"\$p\""

# An empty period: skipped by default (exit 0, said on stderr) ...
"$BULLETIN" -c "$cfg" send > "$work/out" 2> "$work/err"
rc=$?
check "empty period, default: exit 0, nothing mailed, the setting named" \
	sh -c "[ $rc -eq 0 ] && grep -q 'nothing sent (set empty = send' '$work/err'"
# ... or a short note when the association wants one.
sed 's/^\[digest\]$/[digest]\nempty = send/' "$cfg" > "$work/cfg/empty.ini"
before_note=$(mails)
"$BULLETIN" -c "$work/cfg/empty.ini" send > "$work/out" 2> "$work/err"
check "empty period, empty = send: every member gets the no-news note" \
	sh -c "[ \$(ls '$work/maildir/new' | wc -l) -gt $before_note ] && grep -rlq 'Inga nya nyheter' '$work/maildir/new'"

# send --to: one address, outside the ledger.
digests_before=$(sqlite3 "$work/cfg/state/bulletin.db" "SELECT COUNT(*) FROM digests" 2>/dev/null)
rows_before=$(sqlite3 "$work/cfg/state/bulletin.db" "SELECT COUNT(*) FROM deliveries" 2>/dev/null)
"$BULLETIN" -c "$cfg" send --to provlasare@example.org > "$work/out" 2> "$work/err"
rc=$?
check "send --to: exit 0, one mail to that address, said on stderr" \
	sh -c "[ $rc -eq 0 ] && grep -q 'sent to provlasare@example.org (outside the ledger)' '$work/err' && grep -q 'provlasare@example.org' '$work/maildir/envelopes.log'"
check "send --to: no digest stored, no ledger row" sh -c \
	"[ \"\$(sqlite3 '$work/cfg/state/bulletin.db' 'SELECT COUNT(*) FROM digests')\" = '$digests_before' ] && [ \"\$(sqlite3 '$work/cfg/state/bulletin.db' 'SELECT COUNT(*) FROM deliveries')\" = '$rows_before' ]"
"$BULLETIN" -c "$cfg" send --to 'x@y.se
Bcc: all@example.org' > /dev/null 2> "$work/err"
check "send --to: an address with a line break is refused (64)" [ $? -eq 64 ]

mkdir -p "$work/dry"
before=$(mails)
sqlite3 "$work/cfg/state/bulletin.db" "DELETE FROM deliveries; DELETE FROM digests;" 2>/dev/null
"$BULLETIN" -c "$cfg" send --dry-run "$work/dry" > /dev/null 2> "$work/err"
check "send --dry-run: one .eml per valid member, nothing mailed" sh -c "[ \$(ls '$work/dry' | wc -l) -eq 2 ] && [ $(mails) -eq $before ]"

# The sendmail transport: a stand-in for the local MTA that keeps what it
# is given, once per call, and insists on the fixed arguments.
mkdir -p "$work/mta"
printf '#!/bin/sh\ncase "$*" in "-i -f nyhetsbrev@"*" -- "*) ;; *) false;; esac || { echo "bad arguments: $*" >&2; exit 64; }\ncat > "%s/mta/msg.$$"\n' "$work" > "$work/fake-sendmail"
chmod +x "$work/fake-sendmail"
sed "s|^smtp_url = .*|smtp_url = sendmail:$work/fake-sendmail|" "$cfg" > "$work/cfg/sendmail.ini"
"$BULLETIN" -c "$work/cfg/sendmail.ini" send > "$work/out" 2> "$work/err"
rc=$?
check "sendmail transport: exit 0, one message per member" sh -c "[ $rc -eq 0 ] && [ \$(ls '$work/mta' | wc -l) -eq 2 ]" || sed 's/^/#   /' "$work/err"
check "sendmail transport: LF line ends, To the member alone" sh -c \
	"! grep -q \"\$(printf '\r')\" '$work/mta'/* && grep -l '^To: .*oystein.brathen@example.no' '$work/mta'/* > /dev/null"
check "sendmail transport: the ledger says sent" \
	[ "$(sqlite3 "$work/cfg/state/bulletin.db" "SELECT COUNT(*) FROM deliveries WHERE state = 'sent'" 2>/dev/null)" = 2 ]

# Events (issue 7): items announcing an upcoming meeting give every message
# a text/calendar part, stored with the digest so a resumed send keeps it;
# calendar = no leaves it out. The feed is made for dates ahead of today.
mkdir -p "$work/cal"
/usr/bin/python3 - "$work/site/events.xml" "$work/cal/want" <<'PY'
import datetime, email.utils, sys, zoneinfo
oslo = zoneinfo.ZoneInfo("Europe/Oslo")
nb = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
      "oktober", "november", "desember"]
sv = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
      "oktober", "november", "december"]
svd = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
today = datetime.datetime.now(oslo).date()
d1 = today + datetime.timedelta(days=40)
d2 = today + datetime.timedelta(days=200)
utc = lambda d, h, m: datetime.datetime(d.year, d.month, d.day, h, m, tzinfo=oslo).astimezone(
    datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
pub = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
items = [
    ("Dialogmøte om fastlegeordningen; rekruttering, ALIS og legevakt i Trøndelag",
     "Tid: %d. %s %d kl. 09.00–12.00 på Teams." % (d1.day, nb[d1.month - 1], d1.year), "cal-1"),
    ("Öppet hus på vårdcentralen %s %d %s kl. 13" % (svd[d2.weekday()], d2.day, sv[d2.month - 1]),
     "Välkommen till vårdcentralen i Tensta.", "cal-2"),
    ("Vårdcentralen fick nytt avtal", "Beslutet togs %d %s %d." % (d1.day, sv[d1.month - 1], d1.year),
     "cal-3"),
]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Möten</title>'
            '<link>https://moten.example.no/</link><description>x</description>\n')
    for t, desc, g in items:
        f.write("<item><title>%s</title><link>https://moten.example.no/%s</link><guid>%s</guid>"
                "<pubDate>%s</pubDate><description>%s</description></item>\n" % (t, g, g, pub, desc))
    f.write("</channel></rss>\n")
with open(sys.argv[2], "w") as f:
    f.write("%s %s %s\n" % (utc(d1, 9, 0), utc(d1, 12, 0), utc(d2, 13, 0)))
PY
sed -e "s|^files = sources.ini|files = cal-sources.ini|" -e "s|^path = state/|path = cal-state/|" \
	-e "s|^archive = archive|archive = cal-archive|" "$cfg" > "$work/cfg/cal.ini"
printf '[source moten]\ntitle = Møter og konferanser\nurl = http://127.0.0.1:%s/events.xml\n' \
	"$HTTP_PORT" > "$work/cfg/cal-sources.ini"
"$BULLETIN" -c "$work/cfg/cal.ini" fetch > /dev/null 2> "$work/err"
mkdir -p "$work/cal/dry"
"$BULLETIN" -c "$work/cfg/cal.ini" send --dry-run "$work/cal/dry" > /dev/null 2> "$work/err"
# check_cal DIR COUNT: every .eml in DIR is plain and HTML, then (mixed) an
# attached calendar with COUNT events at the wanted UTC times, lines of at
# most 75 octets.
check_cal() {
	/usr/bin/python3 - "$1" "$2" "$work/cal/want" <<'PY'
import email, email.policy, os, sys
d, count = sys.argv[1], int(sys.argv[2])
s1, e1, s2 = open(sys.argv[3]).read().split()
files = sorted(os.listdir(d))
assert files, "no messages"
for f in files:
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    parts = list(m.iter_parts())
    types = [p.get_content_type() for p in parts]
    if count == 0:
        assert types == ["text/plain", "text/html"], types
        continue
    # the digest first, the events attached (issue 17)
    assert m.get_content_type() == "multipart/mixed", m.get_content_type()
    assert types == ["multipart/alternative", "text/calendar"], types
    cal = parts[1]
    parts = list(parts[0].iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert cal.get_content_disposition() == "attachment" and cal.get_filename().endswith(".ics")
    assert cal.get_param("method") == "PUBLISH" and cal.get_content_charset() == "utf-8"
    raw = cal.get_payload(decode=True)
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")
    text = raw.decode("utf-8").replace("\r\n ", "")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "METHOD:PUBLISH\r\n" in text, text
    assert text.count("BEGIN:VEVENT") == count, text
    assert "DTSTART:%s\r\nDTEND:%s\r\n" % (s1, e1) in text, text
    assert "DTSTART:%s\r\n" % s2 in text, text
    assert "@example.org\r\n" in text and "URL:https://moten.example.no/cal-1\r\n" in text, text
    assert "SUMMARY:Dialogmøte om fastlegeordningen\\; rekruttering\\, ALIS og legevakt i Trøndelag\r\n" in text, text
    assert "nytt avtal" not in text, "a news date became an event"
    plain = parts[0].get_content()
    assert "Tid: " in plain, plain
PY
}
check "events: the dry run's messages carry an attached text/calendar with both events" \
	check_cal "$work/cal/dry" 2
"$BULLETIN" -c "$work/cfg/cal.ini" send > /dev/null 2> "$work/err"
check "events: the stored digest keeps its calendar" [ "$(sqlite3 "$work/cfg/cal-state/bulletin.db" \
	"SELECT COUNT(*) FROM digests WHERE calendar LIKE 'BEGIN:VCALENDAR%'" 2>/dev/null)" = 1 ]
check "events: the archive has the .ics beside the .html" sh -c "ls '$work/cfg/cal-archive'/digest-*.ics > /dev/null 2>&1"
# A crash after the digest was stored: the resumed send mails the stored
# calendar (marked here, so a freshly composed one would show).
sqlite3 "$work/cfg/cal-state/bulletin.db" "UPDATE digests SET completed = NULL, calendar =
	replace(calendar, 'METHOD:PUBLISH', 'METHOD:PUBLISH' || char(13, 10) || 'X-RESUMED:yes');
	DELETE FROM deliveries;" 2>/dev/null
mkdir -p "$work/cal/resumed"
"$BULLETIN" -c "$work/cfg/cal.ini" send --dry-run "$work/cal/resumed" > /dev/null 2> "$work/err"
check "events: a resumed delivery carries the stored calendar" sh -c \
	"[ \$(ls '$work/cal/resumed' | wc -l) -eq 2 ] && [ -z \"\$(grep -L '^X-RESUMED:yes' '$work/cal/resumed'/*)\" ]"
check "events: ... with both events" check_cal "$work/cal/resumed" 2
# calendar = no: the same items, no calendar part.
sed -e "s|^path = cal-state/|path = cal-state-no/|" -e "s|^\[mail\]$|[mail]\ncalendar = no|" \
	"$work/cfg/cal.ini" > "$work/cfg/cal-no.ini"
"$BULLETIN" -c "$work/cfg/cal-no.ini" fetch > /dev/null 2> "$work/err"
mkdir -p "$work/cal/no"
"$BULLETIN" -c "$work/cfg/cal-no.ini" send --dry-run "$work/cal/no" > /dev/null 2> "$work/err"
check "events: calendar = no leaves the part out" check_cal "$work/cal/no" 0

tap_done
