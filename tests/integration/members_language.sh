#!/bin/sh
# Each member reads the digest in their own language, in any client
# (issue 17): a sv, an nb, an en member and one without a language (the
# digest's, sv) get it through the local SMTP server with that language's
# subject, greeting, headings, dates and footer; the messages are the
# digest first and the events attached as an .ics (multipart/mixed, with
# ORGANIZER and LOCATION), the HTML "Tid:" line keeps the end time, the
# plain text signs off with "-- ", "read in your browser" links to the
# issue in the archive, and Python's email parser finds no defect. Then
# send --to: greeted as that member (or by --name), in their language,
# with the chair's section, and a warning on an empty digest. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"

cat > "$work/cfg/members.csv" <<'EOF'
email,name,language
m1@example.se,Åsa Lindström,sv
m2@example.no,Øystein Bråthen,nb
m3@example.com,Jane Smith,en
m4@example.se,Karin Öberg,
EOF
# An item announcing a meeting (with its end), and the association's own
# entry with a place, both within the digest's weeks ahead.
/usr/bin/python3 - "$work/site/moten.xml" "$work/cfg/arshjul.ini" <<'PY'
import datetime, email.utils, sys, zoneinfo
oslo = zoneinfo.ZoneInfo("Europe/Oslo")
nb = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
      "oktober", "november", "desember"]
today = datetime.datetime.now(oslo).date()
d1, d2 = today + datetime.timedelta(days=10), today + datetime.timedelta(days=16)
pub = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Møter</title>'
            '<link>https://moten.example.no/</link><description>x</description>\n'
            '<item><title>Dialogmøte om fastlegeordningen og legevakt</title>'
            '<link>https://moten.example.no/dialog</link><guid>dialog-1</guid><pubDate>%s</pubDate>'
            '<description>Tid: %d. %s %d kl. 09.00–12.00 på Teams.</description></item>\n'
            '</channel></rss>\n' % (pub, d1.day, nb[d1.month - 1], d1.year))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write("[entry styrelse]\ntitle = Styrelsemöte\ndate = %s\ntime = 18:00-20:00\n"
            "place = Läkarnas hus, Villagatan 5\n" % d2.isoformat())
PY
printf '[source moten]\ntitle = Møter og konferanser\nurl = http://127.0.0.1:%s/moten.xml\n' \
	"$HTTP_PORT" >> "$work/cfg/sources.ini"
# cfg: the test's bulletin.ini against the sink's current port
cfg_now() {
	write_cfg
	sed -i -e 's|^association = .*|&\narchive_url = https://example.se/nyhetsbrev/\nchair = m3@example.com|' "$cfg"
	printf '[calendar]\nfile = arshjul.ini\n' >> "$cfg"
}
sink
cfg_now
"$BULLETIN" -c "$cfg" fetch > /dev/null 2> "$work/fetch.err"

# send --to before the digest goes out: as the member, with the chair's section
"$BULLETIN" -c "$cfg" send --to m2@example.no > "$work/to.out" 2> "$work/to.err"
rc=$?
check "send --to a member: exit 0, one message" sh -c "[ $rc -eq 0 ] && [ $(mails) -eq 1 ]" || sed 's/^/#   /' "$work/to.err"
to_check() {
	/usr/bin/python3 - "$work/maildir/new" "$@" <<'PY'
import email, email.policy, os, sys
d, want = sys.argv[1], sys.argv[2:]
f = sorted(os.listdir(d), key=lambda n: os.path.getmtime(os.path.join(d, n)))[-1]
m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
html = m.get_body(("html",)).get_content()
for w in want:
    neg = w.startswith("!")
    w = w[1:] if neg else w
    if (w in text + html + str(m["Subject"])) == neg:
        sys.exit("%s %r in %s" % ("unexpected" if neg else "missing", w, text[:400]))
PY
}
check "send --to a member: greeted as that member, in nb, with the chair's section" \
	to_check "Hei Øystein!" "Til lederen (bare i ditt eksemplar)" "uke" "!Hej!" "!vecka"
! grep -q "warning" "$work/to.err"
check "send --to a non-empty digest: no warning" [ $? -eq 0 ]
"$BULLETIN" -c "$cfg" send --to someone@example.se --name "Öberg, Karin" > /dev/null 2> "$work/to2.err"
check "send --to --name: greeted by that name, in the digest's language" \
	to_check "Hej Karin!" "Till ordföranden" "vecka"

sink
cfg_now
"$BULLETIN" -c "$cfg" send > "$work/out" 2> "$work/err"
rc=$?
check "send: exit 0, four messages" sh -c "[ $rc -eq 0 ] && [ $(mails) -eq 4 ]" || sed 's/^/#   /' "$work/err"
stem=$(cd "$work/cfg/archive" && ls digest-*.html | sed 's/\.html$//')
rm -rf "$work/eml" && mkdir -p "$work/eml"
for f in "$work"/maildir/new/*; do cp "$f" "$work/eml/$(basename "$f").eml"; done
check "Python's email parser: zero defects in every message" \
	/usr/bin/python3 "$top/tests/fuzz/check_mail.py" "$work/eml"

/usr/bin/python3 - "$work/maildir/new" "$stem" > "$work/lang.out" 2>&1 <<'PY'
import email, email.policy, os, re, sys
d, stem = sys.argv[1], sys.argv[2]
want = {
    "m1@example.se": ("sv", "vecka", "Hej Åsa!", "Läs i webbläsaren", "Avregistrera dig", "kl. 09.00–12.00", "Tid:"),
    "m2@example.no": ("nb", "uke", "Hei Øystein!", "Les i nettleseren", "Meld deg av", "kl. 09.00–12.00", "Tid:"),
    "m3@example.com": ("en", "week", "Hello Jane!", "Read in your browser", "Unsubscribe", "at 09:00–12:00", "When:"),
    "m4@example.se": ("sv", "vecka", "Hej Karin!", "Läs i webbläsaren", "Avregistrera dig", "kl. 09.00–12.00", "Tid:"),
}
seen = set()
bad = []
for f in os.listdir(d):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    to = m["To"].addresses[0].addr_spec
    seen.add(to)
    lang, week, greet, web, unsub, when, tid = want[to]
    subj = str(m["Subject"])
    if week not in subj:
        bad.append("%s: subject %r" % (to, subj))
    parts = [p.get_content_type() for p in m.iter_parts()]
    if m.get_content_type() != "multipart/mixed" or parts != ["multipart/alternative", "text/calendar"]:
        bad.append("%s: structure %s %r" % (to, m.get_content_type(), parts))
        continue
    alt, cal = list(m.iter_parts())
    if cal.get_content_disposition() != "attachment" or not cal.get_filename().endswith(".ics"):
        bad.append("%s: calendar not attached: %r" % (to, cal.get_filename()))
    ics = cal.get_content().replace("\r\n ", "")
    if 'ORGANIZER;CN="Testföreningen för allmänmedicin":mailto:nyhetsbrev@example.org' not in ics:
        bad.append("%s: no ORGANIZER: %s" % (to, ics))
    if "LOCATION:Läkarnas hus\\, Villagatan 5" not in ics or ics.count("BEGIN:VEVENT") != 2:
        bad.append("%s: events/LOCATION: %s" % (to, ics))
    text = alt.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = alt.get_body(("html",)).get_content()
    for what, s in (("text", text), ("html", html)):
        for w in (greet, unsub, when):
            if w not in s:
                bad.append("%s: %s lacks %r" % (to, what, w))
    if ('<html lang="%s">' % lang) not in html:
        bad.append("%s: html lang" % to)
    if not re.search(r"%s [^\n<]*%s" % (re.escape(tid), re.escape(when)), html):
        bad.append("%s: the HTML %s line lacks the end time %r" % (to, tid, when))
    if '<a href="https://example.se/nyhetsbrev/%s.html" style="color:#1f5f8b; text-decoration:underline;">%s</a>' % (stem, web) not in html:
        bad.append("%s: no web link to %s" % (to, stem))
    if "\n-- \n" not in text:
        bad.append("%s: no '-- ' signature separator" % to)
    if "BULLETIN" in text + html:
        bad.append("%s: a slot left" % to)
if seen != set(want):
    bad.append("members mailed: %r" % sorted(seen))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "each member in their language: subject, greeting, footer, dates, web link, .ics with ORGANIZER and LOCATION, Tid: with the end" \
	[ $? -eq 0 ] || sed 's/^/#   /' "$work/lang.out"
check "the chair's copy (m3, en) has her section in English" \
	grep -q "For the chair (only in your copy)" $(grep -l "^X-Envelope-To: <m3@example.com>" "$work"/maildir/new/*)
check "the archive's page links back to the index, not to itself" sh -c \
	"grep -q 'href=\"index.html\"' '$work/cfg/archive/$stem.html' && ! grep -q 'webbläsaren' '$work/cfg/archive/$stem.html'"
check "the feed has rel=self and a tag: id" sh -c \
	"grep -q 'rel=\"self\"' '$work/cfg/archive/feed.atom' && grep -q '<id>tag:bulletin.invalid,' '$work/cfg/archive/feed.atom'"

# a week without news: send --to warns
sink
cfg_now
"$BULLETIN" -c "$cfg" send --to m1@example.se > /dev/null 2> "$work/to3.err"
check "send --to an empty digest: sent, with a warning" sh -c \
	"[ $(mails) -eq 1 ] && grep -q 'warning: this digest has no news' '$work/to3.err'" || sed 's/^/#   /' "$work/to3.err"
tap_done
