#!/bin/sh
# Watched pages (issue 19) through the whole pipeline: a Swedish strategy
# page, a Norwegian county page (behind ETag: conditional GET), a PDF
# procurement document, a page whose only changes are a "Senast
# uppdaterad" date and a cookie notice (ignore), and a page that turns
# into a login wall and then an error page served with 200. Three
# versions each, one `bulletin run` a week (mail to a stand-in sendmail);
# each step's reported change text is asserted in the archived digest,
# the chair's report (bulletin status) and bulletin watch. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

fx="$top/tests/fixtures/watch"
if ! command -v pdftotext >/dev/null; then
	echo "1..0 # SKIP pdftotext (poppler-utils) is not installed"
	exit 0
fi
mkdir -p "$work/site" "$work/cfg" "$work/mail"
# Each copy gets a later modification time than the last: the server
# answers If-Modified-Since by the second, and a test is faster than that.
stamp=$(date +%s)
fresh() { stamp=$((stamp + 10)); touch -d "@$stamp" "$@"; }
# step N: the site serves version N of every page
step() {
	for p in strategi fylke blanketter; do cp "$fx/$p-$1.html" "$work/site/$p.html"; done
	/usr/bin/python3 "$fx/mkpdf.py" "$fx/upphandling-$1.txt" "$work/site/upphandling.pdf"
	fresh "$work/site"/*.html "$work/site/upphandling.pdf"
}
step 1
cp "$fx/strategi-1.html" "$work/site/trasig.html"
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
base="http://127.0.0.1:$HTTP_PORT"
printf '#!/bin/sh\ncat > "%s/mail/$(date +%%s%%N).eml"\n' "$work" > "$work/sendmail"
chmod +x "$work/sendmail"
cat > "$work/cfg/bulletin.ini" <<EOF
[store]
path = state.db
[fetch]
timeout = 20
[sources]
files = sources.ini
[rules]
files = $top/feeds/primarvard.rules
[digest]
title = Primärvårdsnytt
language = sv
templates = $top/templates
archive = archive
archive_url = https://example.se/arkiv/
max_age_days = 0
chair = ordf@example.se
[mail]
from_address = nyhetsbrev@example.se
smtp_url = sendmail:$work/sendmail
[members]
file = members.csv
[watch]
keep = 3
EOF
cat > "$work/cfg/sources.ini" <<EOF
[source strategi]
title = Vårdgivarguiden: Primärvårdsstrategi
url = $base/strategi.html
type = page

[source fylke]
title = Statsforvalteren i Trøndelag
url = $base/_/etag/fylke.html
type = page

[source upphandling]
title = Förfrågningsunderlag husläkarverksamhet
url = $base/upphandling.pdf
type = page

[source blanketter]
title = Blanketter
url = $base/blanketter.html
type = page
ignore = ^Senast uppdaterad:.*\$
ignore = (?i)^.*\\bkakor\\b.*\$

[source trasig]
title = Sidan som går sönder
url = $base/trasig.html
type = page
EOF
printf 'email,name\nmedlem@example.se,Medlem Ett\nordf@example.se,Ordförande\n' > "$work/cfg/members.csv"
b() { "$BULLETIN" -c "$work/cfg/bulletin.ini" "$@"; }
has() { grep -qF -- "$2" "$1"; }
newest_md() { ls -t "$work/cfg/archive"/digest-*.md 2>/dev/null | head -1; }

# ---- week 1: the first versions are the baseline, not news
b run > "$work/run1.out" 2>&1
check "week 1: run exits 0 with nothing to send" [ $? -eq 0 ]
check "week 1: no digest (a first version is not a change)" [ -z "$(newest_md)" ]
b watch strategi > "$work/extract" 2>&1
check "watch NAME prints the extract: headings kept" has "$work/extract" "## Status i arbetet"
check "extract: list items" has "$work/extract" "- Alla invånare ska kunna lista sig hos en namngiven läkare"
check "extract: no navigation, cookie banner or footer" \
	sh -c "! grep -qE 'Om webbplatsen|kakor|Nyheter|Relaterat|Start / Utveckling' '$work/extract'"
b watch fylke > "$work/extract-nb" 2>&1
check "extract: table rows" has "$work/extract-nb" "| 09:40–10:20 | Handlingsplan for allmennlegetjenesten | Helsedirektoratet |"
b watch upphandling > "$work/extract-pdf" 2>&1
check "PDF extract: page markers and numbered headings" \
	sh -c "grep -qF '— sida 2 —' '$work/extract-pdf' && grep -qF '## 7 Ersättning' '$work/extract-pdf'"

# ---- week 2: small changes everywhere; the watched page turns into a login wall
step 2
cp "$fx/login.html" "$work/site/trasig.html"
fresh "$work/site/trasig.html"
b fetch > "$work/fetch2.out" 2>&1
b status > "$work/status2" 2>&1
check "week 2: the chair's report lists each change with its size" \
	has "$work/status2" "watched page changed: Vårdgivarguiden: Primärvårdsstrategi: rader: +1 −1"
check "week 2: the PDF's change is in the chair's report" \
	has "$work/status2" "watched page changed: Förfrågningsunderlag husläkarverksamhet: rader: +2 −2"
check "week 2: a login wall is 'looks broken' for the chair" \
	has "$work/status2" "watched page looks broken (not sent to members): Sidan som går sönder"
b run > "$work/run2.out" 2>&1
md=$(newest_md)
check "week 2: a digest was sent" [ -n "$md" ]
# the two mails of week 2 as plain text (every text part, decoded)
for m in "$work/mail"/*.eml; do
	/usr/bin/python3 -c 'import email, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(msg["To"])
for p in msg.walk():
    if p.get_content_maintype() == "text":
        print(p.get_payload(decode=True).decode("utf-8"))' "$m" > "$m.txt"
done
chair_mail=$(grep -l "ordf@example.se" "$work/mail"/*.eml.txt | head -1)
member_mail=$(grep -l "medlem@example.se" "$work/mail"/*.eml.txt | head -1)
check "the chair's copy lists the changes with their sizes and the broken page" sh -c \
	"grep -qF 'Bevakade sidor som ändrats:' '$chair_mail' && grep -qF 'Förfrågningsunderlag husläkarverksamhet: rader: +2 −2' '$chair_mail' && grep -qF 'Sidor som ser trasiga ut (inte skickat till medlemmarna):' '$chair_mail' && grep -qF 'Sidan som går sönder' '$chair_mail'"
check "a member's copy has the changes but no broken page" sh -c \
	"grep -qF 'Ändrat: Primärvårdsstrategi' '$member_mail' && ! grep -q 'trasiga\|sönder' '$member_mail'"
mkdir -p "$work/mail/week2" && mv "$work/mail"/*.eml* "$work/mail/week2/"
cp "$md" "$work/week2.md" 2>/dev/null
check "week 2: section Bevakning" has "$work/week2.md" "## Bevakning"
check "strategy: title" has "$work/week2.md" "Ändrat: Primärvårdsstrategi"
check "strategy: the changed section" has "$work/week2.md" "Ändrat avsnitt: Status i arbetet."
check "strategy: old and new wording" has "$work/week2.md" \
	"Tidigare: ”Arbetet med alla 18 åtgärder påbörjas stegvis under 2025.” Nu: ”Arbetet med alla 18 åtgärder påbörjas stegvis under 2026.”"
check "county: old and new wording" has "$work/week2.md" \
	"Tidigare: ”Sted: Teams” Nu: ”Sted: Scandic Lerkendal, Trondheim”"
check "PDF: the reimbursement table's section" has "$work/week2.md" "Ändrat avsnitt: 7 Ersättning."
check "PDF: the changed rows" has "$work/week2.md" \
	"Tidigare: ”Läkarbesök 350 kr per besök” Nu: ”Läkarbesök 380 kr per besök” Tidigare: ”Hembesök 700 kr per besök” Nu: ”Hembesök 760 kr per besök”"
check "a date and a cookie notice (ignore) are no change" sh -c "! grep -q 'Blanketter' '$work/week2.md'"
check "a broken page is not sent to members" sh -c "! grep -q 'Logga in\|trasig\|sönder' '$work/week2.md'"
check "the diff link goes to the archive" has "$work/week2.md" \
	"[Jämför versionerna](<https://example.se/arkiv/watch-strategi-"
diffpage=$(ls "$work/cfg/archive"/watch-upphandling-*.html 2>/dev/null | head -1)
check "the side-by-side page is in the archive" [ -n "$diffpage" ]
check "side-by-side: words marked" sh -c "grep -qF '<del>350</del>' '$diffpage' && grep -qF '<ins>380</ins>' '$diffpage'"
b watch --diff strategi > "$work/diff2" 2>&1
check "watch --diff: a unified diff of the last change" sh -c \
	"grep -q '^@@ ' '$work/diff2' && grep -qF -- '-Hälso- och sjukvårdsförvaltningen bildar nu' '$work/diff2' && grep -qF '+Hälso- och' '$work/diff2'"
b watch > "$work/list2" 2>&1
check "watch lists a broken page as BROKEN" sh -c "grep -q '^trasig  *BROKEN' '$work/list2'"

# ---- week 3: sections come and go; the broken page is now an error page served with 200
step 3
cp "$fx/error200.html" "$work/site/trasig.html"
fresh "$work/site/trasig.html"
b fetch > "$work/fetch3.out" 2>&1
b status > "$work/status3" 2>&1
check "week 3: an error page with 200 is 'looks broken'" \
	has "$work/status3" "watched page looks broken (not sent to members): Sidan som går sönder"
b run > "$work/run3.out" 2>&1
md=$(newest_md)
cp "$md" "$work/week3.md" 2>/dev/null
check "week 3: another digest" [ "$(ls "$work/cfg/archive"/digest-*.md | wc -l)" -eq 2 ]
check "strategy: sections added, removed, changed" has "$work/week3.md" \
	"Nytt avsnitt: Uppföljning 2025. Borttaget avsnitt: Kontakt. Ändrat avsnitt: Genomförandeplan, Status i arbetet."
check "strategy: the wording of the changes inside kept sections" has "$work/week3.md" \
	"Tidigare: ”Den innehåller 18 prioriterade åtgärder med milstolpar och en plan för uppföljning av varje åtgärd.” Nu: ”Den innehåller 20 prioriterade åtgärder med milstolpar och en plan för uppföljning av varje åtgärd.” Tillagt: ”Fler ST-läkare i allmänmedicin ska utbildas på vårdcentralerna”"
check "county: new part and changed program (sv digest, Norwegian page)" has "$work/week3.md" \
	"Nytt avsnitt: Påmelding. Ändrat avsnitt: Program."
check "county: the new programme row quoted" has "$work/week3.md" "Tillagt: ”11:00–11:30 | ALIS-avtaler i praksis | ALIS-kontoret Midt”"
check "PDF: a new section on a new page, a new table row" has "$work/week3.md" \
	"Nytt avsnitt: 9 Uppföljning. Ändrat avsnitt: 7 Ersättning."
check "PDF: the new table row quoted, not the page marker" sh -c \
	"grep -qF 'Tillagt: ”Videobesök 250 kr per besök” [Jämför' '$work/week3.md' && ! grep -q 'sida 3' '$work/week3.md'"
check "a real change next to ignored noise is reported alone" has "$work/week3.md" \
	"Tillagt: ”Från och med 1 september 2025 ersätts blanketten av en e-tjänst.”"
check "week 3: only week 3's change (not since week 1)" sh -c "! grep -qF 'under 2025.” Nu:' '$work/week3.md'"

# ---- week 4: the page comes back as it was; nothing changed elsewhere
cp "$fx/strategi-1.html" "$work/site/trasig.html"
fresh "$work/site/trasig.html"
b -v fetch > "$work/fetch4.out" 2>&1
check "conditional GET: an unchanged page behind ETag costs a 304" has "$work/fetch4.out" "source fylke: not modified"
b watch > "$work/list4" 2>&1
check "a page that comes back is ok again" sh -c "grep -q '^trasig  *ok' '$work/list4'"
b status > "$work/status4" 2>&1
check "week 4: nothing for the chair" sh -c "! grep -q 'watched page' '$work/status4'"
check "versions are pruned to [watch] keep" [ "$(sqlite3 "$work/cfg/state.db" "SELECT COUNT(*) FROM page_versions WHERE source = 'strategi'")" -eq 3 ]

# ---- the same store as a Norwegian digest (a preview of the last 30 days)
sed 's/^language = sv$/language = nb/' "$work/cfg/bulletin.ini" > "$work/cfg/nb.ini"
"$BULLETIN" -c "$work/cfg/nb.ini" digest --days 30 --format md > "$work/nb.md" 2>&1
check "nb: section Overvåking, 'Endret:', sizes in lines" sh -c \
	"grep -qF '## Overvåking' '$work/nb.md' && grep -qF 'Endret: Dialogmøte om fastlegeordningen' '$work/nb.md' && grep -qF 'linjer: +' '$work/nb.md'"
check "nb: old and new wording" has "$work/nb.md" "Før: «Sted: Teams» Nå: «Sted: Scandic Lerkendal, Trondheim»"

# ---- the config: a bad ignore pattern is an error at its column
printf '[source x]\nurl = http://127.0.0.1/\ntype = page\nignore = Senast (uppdaterad\n' > "$work/cfg/bad.ini"
sed 's/^files = sources.ini$/files = bad.ini/' "$work/cfg/bulletin.ini" > "$work/cfg/bad-main.ini"
"$BULLETIN" -c "$work/cfg/bad-main.ini" config check > "$work/bad.out" 2>&1
rc=$?
check "a bad ignore pattern: exit 78, file:line:col" sh -c \
	"[ $rc -eq 78 ] && grep -q 'bad.ini:4:28: ignore: missing closing parenthesis' '$work/bad.out'"
tap_done
