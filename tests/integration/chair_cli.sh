#!/bin/sh
# The chair's first hour (issue 17): what a new chair meets in the first
# commands, against a local HTTP server with the demo's sources and an SMTP
# sink. `-q run` says nothing on a quiet week; `digest` names max_age_days
# when it dropped what the rules select; `members unsubscribe` of an
# unknown address; the CSV and the store disagreeing about a member.
# Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
mkdir -p "$work/site" "$work/maildir" "$work/cfg"
cp -r "$top"/contrib/demo/site/. "$work/site/"
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
start_smtp "$work/maildir" || { echo "Bail out! no SMTP server"; exit 1; }
fill_template "$top/contrib/demo/feeds/demo.ini" "$work/cfg/sources.ini"
cat > "$work/cfg/bulletin.ini" <<EOF
[store]
path = state/bulletin.db
[sources]
files = sources.ini
[rules]
files = $top/feeds/primarvard.rules
[digest]
templates = $top/templates
archive = archive
max_age_days = 0
chair = ordforande@example.se
[mail]
from_address = nyhetsbrev@example.se
smtp_url = smtp://127.0.0.1:$SMTP_PORT
[members]
file = members.csv
EOF
printf 'email,name,language,status\nordforande@example.se,Ingrid Holmqvist,sv,active\nasa@example.se,Åsa Lindström,sv,active\n' \
	> "$work/cfg/members.csv"
cfg=$work/cfg/bulletin.ini
B() { "$BULLETIN" -c "$cfg" "$@"; }

# 1. -q run: the first run mails the digest and says nothing; the second,
#    a quiet week, says nothing either (cron mails the chair whatever a job
#    prints).
B -q run > "$work/out" 2> "$work/err"
rc=$?
check "-q run with news: exit 0, mails sent, nothing printed" sh -c \
	"[ $rc -eq 0 ] && [ \$(ls '$work/maildir/new' | wc -l) -eq 2 ] && [ ! -s '$work/out' ] && [ ! -s '$work/err' ]"
B -q run > "$work/out" 2> "$work/err"
rc=$?
check "-q run on a quiet week: exit 0, nothing printed" sh -c \
	"[ $rc -eq 0 ] && [ ! -s '$work/out' ] && [ ! -s '$work/err' ] || { cat '$work/err'; exit 1; }"
B run > "$work/out" 2> "$work/err"
check "run without -q on a quiet week says why nothing was sent" grep -q 'nothing sent' "$work/err"

# 2. digest with max_age_days dropping everything the rules select (the
#    demo's items are from 2020-2024): it says how many and which setting.
#    The meetings feed (dated around now) is left out here.
sed '/^\[source dlf-stockholm-moten\]/,$d' "$work/cfg/sources.ini" > "$work/cfg/old-sources.ini"
sed 's/^max_age_days = 0/max_age_days = 30/; s|^path = state/bulletin.db|path = old/bulletin.db|; s/^files = sources.ini/files = old-sources.ini/' \
	"$cfg" > "$work/cfg/old.ini"
"$BULLETIN" -c "$work/cfg/old.ini" fetch > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/old.ini" digest --days 7 > "$work/out" 2> "$work/err"
rc=$?
check "digest, every selected item too old: exit 0, an empty digest" sh -c \
	"[ $rc -eq 0 ] && grep -q '^Subject: .*0 nyheter' '$work/out'"
check "... and stderr says how many were too old, naming max_age_days and the file" sh -c \
	"grep -q 'the digest is empty: the rules select [0-9][0-9]* items, but all were published more than 30 days ago (max_age_days in \[digest\], $work/cfg/old.ini' '$work/err' || { cat '$work/err'; exit 1; }"
n_old=$(sed -n 's/.*the rules select \([0-9]*\) items.*/\1/p' "$work/err")
"$BULLETIN" -c "$work/cfg/old.ini" rules test --days 7 > "$work/out" 2>&1
check "rules test --days 7 says the same $n_old are too old for the digest" sh -c \
	"grep -q '^$n_old of [0-9]* items selected' '$work/out' && grep -q '^$n_old of them published more than 30 days ago: the digest leaves them out (max_age_days in \[digest\])' '$work/out'"
"$BULLETIN" -q -c "$work/cfg/old.ini" digest --days 7 > /dev/null 2> "$work/err"
check "digest -q: no note" sh -c "[ ! -s '$work/err' ]"
sed 's/^max_age_days = 0/max_age_days = 30/' "$cfg" > "$work/cfg/some.ini"
"$BULLETIN" -c "$work/cfg/some.ini" digest --days 7 > "$work/out" 2> "$work/err"
check "digest with some items too old: it says how many more were left out" sh -c \
	"grep -q '^bulletin: $n_old more items the rules select were left out: published more than 30 days ago' '$work/err' || { cat '$work/err'; exit 1; }"

# 3. members unsubscribe of an address nobody knows: refused, exit 1,
#    nothing recorded; of a member: recorded.
B members unsubscribe nobody@example.se > "$work/out" 2> "$work/err"
rc=$?
check "members unsubscribe UNKNOWN: exit 1, says it is not a member, prints no success" sh -c \
	"[ $rc -eq 1 ] && grep -q 'nobody@example.se is not a member: not in $work/cfg/members.csv' '$work/err' && [ ! -s '$work/out' ]"
B members resubscribe nobody@example.se > "$work/out" 2>&1
check "... and nothing was recorded" grep -q 'nobody@example.se: was not unsubscribed in the store' "$work/out"
B members unsubscribe ASA@example.se > "$work/out" 2> "$work/err"
check "members unsubscribe of a member (any case): exit 0, unsubscribed" sh -c \
	"[ $? -eq 0 ] && grep -q 'ASA@example.se: unsubscribed' '$work/out'"
B members unsubscribe asa@example.se > "$work/out" 2> "$work/err"
check "a second time: exit 0, already unsubscribed" sh -c "[ $? -eq 0 ] && grep -q 'already unsubscribed' '$work/out'"
B members resubscribe asa@example.se > /dev/null 2>&1

# 4. A row set to unsubscribed, then changed back to active: the store
#    keeps the member out (an old copy of the file must not resubscribe
#    anyone), and check, list and run say so with the command to use.
sed -i 's/^asa@example.se,\(.*\),active$/asa@example.se,\1,unsubscribed/' "$work/cfg/members.csv"
B send > /dev/null 2>&1
sed -i 's/^asa@example.se,\(.*\),unsubscribed$/asa@example.se,\1,active/' "$work/cfg/members.csv"
B members check > "$work/out" 2> "$work/err"
rc=$?
check "members check, row changed back: exit 1, file:line and the resubscribe command on stderr" sh -c \
	"[ $rc -eq 1 ] && grep -q '^$work/cfg/members.csv:3: asa@example.se says active, but an earlier \"unsubscribed\" in this list still keeps it out.*bulletin members resubscribe asa@example.se$' '$work/err' && grep -q '^1 member the list says active is kept out' '$work/out'"
B members list > "$work/out" 2>&1
check "members list: unsubscribed, with the command in its reason" \
	grep -q '^asa@example.se  *unsubscribed .*the list says active now: `bulletin members resubscribe asa@example.se` mails it again' "$work/out"
B -q run > "$work/out" 2> "$work/err"
check "-q run says it too: it needs the chair" \
	grep -q 'members.csv:3: asa@example.se says active.*bulletin members resubscribe asa@example.se$' "$work/err"
B members resubscribe asa@example.se > "$work/out" 2>&1
B members check > "$work/out" 2> "$work/err"
check "after resubscribe: check is clean (exit 0)" sh -c "[ $? -eq 0 ] && ! grep -q 'keeps it out' '$work/err'"

# 5. sources add/disable/enable/test: the sources file edited in place,
#    its comments and layout kept; test fetches one source now.
src=$work/cfg/sources.ini
cp "$src" "$work/sources.before"
B sources add dlf-kopia "http://127.0.0.1:$HTTP_PORT/dlf-stockholm.xml" --title "DLF, kopia" > "$work/out" 2> "$work/err"
rc=$?
check "sources add: exit 0, names the file and line" sh -c \
	"[ $rc -eq 0 ] && grep -q '^added \[source dlf-kopia\] at $src:[0-9]*; see what it brings: bulletin sources test dlf-kopia' '$work/out'"
diff "$work/sources.before" "$src" > "$work/diff"
check "... only the new section was added, at the end (comments and layout kept)" sh -c \
	"[ \"\$(grep -c '^>' '$work/diff')\" -eq 4 ] && ! grep -q '^<' '$work/diff' && tail -3 '$src' | head -1 | grep -qx '\[source dlf-kopia\]' && tail -1 '$src' | grep -qx 'url = http://127.0.0.1:$HTTP_PORT/dlf-stockholm.xml'"
check "... and no temporary file is left" sh -c "[ ! -e '$src.tmp' ]"
B sources test dlf-kopia > "$work/out" 2> "$work/err"
rc=$?
check "sources test: exit 0, HTTP 200 and the items, SELECTED ones marked" sh -c \
	"[ $rc -eq 0 ] && grep -q '^dlf-kopia (http://127.0.0.1:$HTTP_PORT/dlf-stockholm.xml): HTTP 200, [0-9]* bytes, 2 items$' '$work/out' && grep -q '^SELECTED primarvard  *[0-9.]*  2022-01-15  DLF Stockholm: verksamhetsplan 2022$' '$work/out' && grep -q '^-  .*Vi söker en ny kassör' '$work/out' && grep -q '^1 of 2 items selected by the rules' '$work/out'" ||
	sed 's/^/#   /' "$work/out" "$work/err"
B sources > "$work/out" 2>&1
check "sources test stores nothing: the source is still new" grep -q '^dlf-kopia  *new ' "$work/out"
B sources disable dlf-kopia > "$work/out" 2>&1
check "sources disable: enabled = no added after its url" sh -c \
	"grep -q '^dlf-kopia: disabled ($src:[0-9]*)' '$work/out' && tail -1 '$src' | grep -qx 'enabled = no'"
B sources > "$work/out" 2>&1
check "... bulletin sources shows it off" grep -q '^dlf-kopia  *off ' "$work/out"
B sources enable dlf-kopia > "$work/out" 2>&1
check "sources enable: the same line says yes" sh -c \
	"grep -q '^dlf-kopia: enabled' '$work/out' && tail -1 '$src' | grep -qx 'enabled = yes'"
B sources enable dlf-kopia > "$work/out" 2>&1
check "sources enable again: already enabled, exit 0" grep -q '^dlf-kopia: already enabled' "$work/out"
B sources enable nosuch > "$work/out" 2> "$work/err"
check "sources enable UNKNOWN: exit 65, names it" sh -c "[ $? -eq 65 ] && grep -q 'no source named \"nosuch\"' '$work/err'"
B sources add dlf-stockholm https://example.se/feed > "$work/out" 2> "$work/err"
check "sources add of a name in use: exit 65, says where it is" sh -c \
	"[ $? -eq 65 ] && grep -q 'a source named \"dlf-stockholm\" is already defined at $src:[0-9]*' '$work/err'"
B sources add ftpkalla ftp://example.se/feed > "$work/out" 2> "$work/err"
check "sources add of an ftp URL: exit 65, only http and https" sh -c \
	"[ $? -eq 65 ] && grep -q 'only http:// and https://' '$work/err'"
B sources add "bad name" https://example.se/feed > "$work/out" 2> "$work/err"
check "sources add of a bad name: exit 65" sh -c "[ $? -eq 65 ] && grep -q 'cannot be a source' '$work/err'"
B sources add borta "http://127.0.0.1:$HTTP_PORT/_/status/404" > /dev/null 2>&1
B sources test borta > "$work/out" 2> "$work/err"
check "sources test of a URL that answers 404: exit 1, says HTTP 404 and what it means" sh -c \
	"[ $? -eq 1 ] && grep -q 'borta: HTTP 404' '$work/err' && grep -q '^bulletin: The page is not there (404/410)' '$work/err'"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 755 "$work" "$work/cfg"
	chmod 644 "$src" "$cfg"
	cp "$src" "$work/sources.before"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BULLETIN" -c "$cfg" sources disable borta \
		> "$work/out" 2> "$work/err"
	rc=$?
	check "sources disable where the file cannot be written: exit 74, file unchanged" sh -c \
		"[ $rc -eq 74 ] && grep -q 'Permission denied' '$work/err' && cmp -s '$src' '$work/sources.before' && [ ! -e '$src.tmp' ]" ||
		sed 's/^/#   /' "$work/err"
else
	ok "sources disable where the file cannot be written # SKIP needs root and setpriv(1)"
fi

# 6. The chair's run report by mail is in the digest's language, and a
#    failing source's libcurl English gets a line in it too; `bulletin
#    status` on the terminal stays English, with the line in English.
# report_mail LANG: the report's subject and text, from the newest mail to
# the chair with a subject that is not the digest's.
report_mail() {
	/usr/bin/python3 - "$work/maildir/new" <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
best = None
for f in sorted(os.listdir(d), key=lambda f: os.stat(os.path.join(d, f)).st_mtime):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    if m['Subject'].startswith('bulletin: '):
        best = m
print(best['Subject'])
print(best.get_body(('plain',)).get_content().replace('\r', ''))
PY
}
sed -i '/^\[source borta\]/,$d' "$src"
printf '\n[source borta]\nurl = http://127.0.0.1:%s/_/status/404\n' "$HTTP_PORT" >> "$src"
printf '[run]\nreport = yes\n' >> "$cfg"
B run > /dev/null 2>&1
report_mail > "$work/report" 2>&1
check "run report, sv: the subject and the text in Swedish" sh -c \
	"head -1 '$work/report' | grep -qx 'bulletin: rapport från körningen' && grep -q '^Senaste körning: ' '$work/report' && grep -q '^Källor: [0-9]* hämtade, 1 misslyckades' '$work/report' && grep -q '^Senaste utskick: ”' '$work/report'" ||
	sed 's/^/#   /' "$work/report"
check "run report, sv: the 404 with one Swedish line on what it means" sh -c \
	"grep -q '^  misslyckas: borta (http://127.0.0.1:$HTTP_PORT/_/status/404), 1 körning i rad: HTTP 404$' '$work/report' && grep -q '^    Sidan finns inte (404/410): webbplatsen har troligen flyttat sitt flöde' '$work/report'" ||
	sed 's/^/#   /' "$work/report"
sed -i 's/^\[digest\]$/[digest]\nlanguage = nb/' "$cfg"
printf '\n[source nirgends]\nurl = http://nirgends.invalid/feed.xml\n' >> "$src"
B run > /dev/null 2>&1
report_mail > "$work/report" 2>&1
check "run report, nb: Norwegian, and an unknown host explained in Norwegian" sh -c \
	"head -1 '$work/report' | grep -qx 'bulletin: rapport fra kjøringen' && grep -q '^Kilder: [0-9]* hentet, 2 feilet' '$work/report' && grep -q '^  feiler: nirgends (http://nirgends.invalid/feed.xml), 1 kjøring på rad: .*resolve' '$work/report' && grep -q '^    Servernavnet ble ikke funnet' '$work/report'" ||
	sed 's/^/#   /' "$work/report"
B status > "$work/out" 2>&1
check "bulletin status: English, the failure explained in English" sh -c \
	"grep -q '^Sources: [0-9]* fetched, 2 failed' '$work/out' && grep -q '^    The page is not there (404/410)' '$work/out' && grep -q '^    The server.s name could not be found' '$work/out'" ||
	sed 's/^/#   /' "$work/out"

tap_done
