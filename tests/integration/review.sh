#!/bin/sh
# The chair's review (issue 20) against the local HTTP and SMTP servers,
# with the clock set by BULLETIN_TEST_NOW: Thursday's run mails the
# reviewers a numbered review copy and nothing to members; the chair's
# edits from the command line (drop, pin, note) are in the members'
# digest that Friday's run sends after the deadline; a second store where
# nobody edits sends the digest as selected; a held week sends nothing
# and its news, less what was dropped, comes with the next copy. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

set --
. "$top/tests/integration/pipeline_setup.inc"
cfg=$work/cfg/bulletin.ini
# The sources that work: the failing ones are pipeline.sh's subject, and
# their retries would only make every run here slower.
awk '/^\[source (not-a-feed|truncated|refused)\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' \
	"$work/cfg/sources.ini" > "$work/cfg/sources.tmp" && mv "$work/cfg/sources.tmp" "$work/cfg/sources.ini"
printf '[review]\nreviewers = granskare@example.org, oystein.brathen@example.no\ncopy_at = thu 08:00\ndeadline = fri 07:00\n' >> "$cfg"
# One item the rules nearly select (3.75 of bemanning's 4): below the line.
cat > "$work/site/extra.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Extra</title><link>https://extra.example.se/</link>
<item><title>Svårt att rekrytera läkare</title><link>https://extra.example.se/rekrytera</link>
<description>Många vakanser.</description><pubDate>Tue, 08 Dec 2026 09:00:00 +0100</pubDate></item>
</channel></rss>
EOF
printf '\n[source extra]\ntitle = Extra\nurl = http://127.0.0.1:%s/extra.xml\n' "$HTTP_PORT" >> "$work/cfg/sources.ini"
at() { date -u -d "$1" +%s; }
mails() { ls "$work/maildir/new" 2>/dev/null | wc -l; }
# mail_text TO: the text/plain parts of every mail to TO, in order
mail_text() { /usr/bin/python3 "$top/tests/servers/mail_texts.py" "$work/maildir/new" "$1"; }
bull() { "$BULLETIN" -c "$cfg" "$@"; }

# 1. Thursday 10 December 08:30 (Stockholm): the review copy, nothing to members.
export BULLETIN_TEST_NOW=$(at '2026-12-10 07:30')
bull run > "$work/out" 2> "$work/err"
check "thu run: review copy said" grep -q 'review copy of 6 items mailed to 2 reviewers' "$work/err"
check "thu run: two mails, both to reviewers" [ "$(mails)" -eq 2 ]
mail_text granskare@example.org > "$work/copy"
check "copy: subject says review" grep -q '^Subject: Granska: Primärvårdsnytt' "$work/copy"
check "copy: deadline in local time" grep -q 'fredag 11 december 2026 07.00' "$work/copy"
# The numbers follow the digest's order, which the shipped rules decide:
# they are read from the copy by title, then checked against review show.
num() { sed -n "s/^\\* \\([0-9]*\\)\\. $1.*/\\1/p" "$work/copy" | head -n 1; }
A=$(num 'Antalet läkare') S=$(num 'Primärvårdsstrategi') D=$(num 'Dialogmøte')
check "copy: items numbered 1 to 5 in order" [ "$(sed -n 's/^\* \([0-9]*\)\. .*/\1/p' "$work/copy" | tr '\n' ' ')" = "1 2 3 4 5 " ]
check "copy: the three stories numbered" [ -n "$A" -a -n "$S" -a -n "$D" ]
check "copy: says how to answer" grep -q 'drop 3 7' "$work/copy"
check "copy: the nearly selected item below the line, with its score" sh -c "grep -q '^== Under strecket ==' '$work/copy' && grep -q '^6\. Svårt att rekrytera läkare' '$work/copy' && grep -q 'poäng 3.75 av 4' '$work/copy'"
check "copy: no member got anything" sh -c "! grep -rl 'To: .*asa.lindstrom' '$work/maildir/new'"

bull review > "$work/show" 2>&1
check "review: shows the copy's numbers" grep -q "   $A\\. Antalet läkare ska fördubblas" "$work/show"
check "review: shows the deadline" grep -q 'Deadline: Friday 11 December 2026 07:00' "$work/show"
bull status > "$work/status" 2>&1
check "status: the chair's report says the digest is under review, until when" grep -q 'Under review: goes out Friday 11 December 2026 07:00' "$work/status"

# 2. The chair's edits from the command line.
bull review drop 99 > "$work/out" 2> "$work/err"
check "drop 99: exit 64" [ $? -eq 64 ]
check "drop 99: says the number is not there" grep -q 'Number 99 is not in the draft' "$work/err"
bull review drop "$A" 7 > "$work/out" 2> "$work/err"
check "drop A 7: refused whole, 7 named" grep -q 'Number 7 is not in the draft' "$work/err"
bull review > "$work/show" 2>&1
check "drop A 7: nothing stored" sh -c "! grep -q dropped '$work/show'"
bull review drop "$A" > "$work/out" 2>&1
check "drop: done" grep -q "Drops number $A" "$work/out"
bull review add 6 > "$work/out" 2>&1
check "add 6: done" grep -q 'Adds number 6' "$work/out"
bull review pin "$D" > "$work/out" 2>&1
check "pin: done" grep -q "Puts number $D first" "$work/out"
printf 'Kom ihåg **årsmötet** den 12 mars.\n<!-- intern anteckning\n```\n' | bull review note - > "$work/out" 2>&1
check "note: done" grep -q 'note at the top is changed' "$work/out"
bull review > "$work/show" 2>&1
check "review: marks the drop and the pin" sh -c "grep -q '$A\. Antalet.*\[dropped\]' '$work/show' && grep -q '$D\. Dialogmøte.*\[pinned\]' '$work/show'"

# 3. Before the deadline a run sends nothing; a dry run shows the edited issue.
export BULLETIN_TEST_NOW=$(at '2026-12-10 15:00')
bull run > "$work/out" 2> "$work/err"
check "thu afternoon run: nothing more sent" [ "$(mails)" -eq 2 ]
check "thu afternoon run: says it waits" grep -q 'waits for review until Friday 11 December' "$work/err"
bull send --dry-run "$work/dry" > "$work/out" 2>&1
/usr/bin/python3 - "$work/dry" > "$work/drytext" <<'PY'
import email, email.policy, os, sys
for f in sorted(os.listdir(sys.argv[1])):
    m = email.message_from_bytes(open(os.path.join(sys.argv[1], f), 'rb').read(), policy=email.policy.default)
    print(m.get_body(('plain',)).get_content())
PY
check "dry run: the note is there" grep -q 'årsmötet' "$work/drytext"
check "dry run: the dropped item is not" sh -c "grep -q 'Primärvårdsstrategi' '$work/drytext' && ! grep -q 'Antalet läkare' '$work/drytext'"
bull digest --format text > "$work/digest" 2>&1
check "digest: the edited issue" sh -c "grep -q 'årsmötet' '$work/digest' && ! grep -q 'Antalet läkare' '$work/digest'"

# 4. Friday 07:05: the members' digest with the edits.
export BULLETIN_TEST_NOW=$(at '2026-12-11 06:05')
bull run > "$work/out" 2> "$work/err"
check "fri run: two members got the digest" [ "$(mails)" -eq 4 ]
mail_text asa.lindstrom@example.se > "$work/member"
check "member: the note at the top" grep -q 'Kom ihåg \*\*årsmötet\*\* den 12 mars' "$work/member"
check "member: the dropped item is out" sh -c "! grep -q 'Antalet läkare' '$work/member'"
check "member: the item added from below the line is in it" grep -q 'Svårt att rekrytera läkare' "$work/member"
check "member: no below-the-line section" sh -c "! grep -q 'Under strecket' '$work/member'"
check "member: no review numbers" sh -c "! grep -q '^\* [0-9]\. ' '$work/member'"
check "member: the pinned item is first in its section" sh -c "grep -A2 '== Konferenser och möten ==' '$work/member' | grep -q 'Dialogmøte om fastlegeordningen'"
html=$(ls "$work"/cfg/archive/*.html 2>/dev/null | grep -v index | head -n 1)
check "archive: a note's stray <!-- and fence swallow nothing after them" sh -c "grep -q 'Dialogmøte om fastlegeordningen' '$html' && grep -q 'Svårt att rekrytera' '$html' && grep -q '&lt;!.* intern anteckning' '$html'"
check "archive: the edited issue with the note in HTML" sh -c "grep -q '<strong>årsmötet</strong>' '$html' && ! grep -q 'Antalet läkare' '$html'"
bull review > "$work/show" 2>&1
check "review: the draft is sent" grep -q 'Draft 1, .*: sent' "$work/show"
bull review drop 1 > "$work/out" 2> "$work/err"
check "an edit after sending: exit 1" [ $? -eq 1 ]
check "an edit after sending: says it was sent" grep -q 'was already sent' "$work/err"
bull run > "$work/out" 2> "$work/err"
check "fri rerun: nothing sent twice" [ "$(mails)" -eq 4 ]
bull review history > "$work/hist" 2>&1
check "history: the drop and the pin with titles" sh -c "grep -q 'drop .*Antalet läkare' '$work/hist' && grep -q 'pin .*Dialogmøte' '$work/hist'"

# 5. Nobody edits: at the deadline the digest goes out as selected.
sed "s|^path = state/bulletin.db|path = state2/bulletin.db|; s|^archive = archive|archive = archive2|" "$cfg" > "$work/cfg/b2.ini"
rm -f "$work"/maildir/new/*
export BULLETIN_TEST_NOW=$(at '2026-12-10 07:30')
"$BULLETIN" -c "$work/cfg/b2.ini" run > /dev/null 2>&1
check "untouched: copies only" [ "$(mails)" -eq 2 ]
export BULLETIN_TEST_NOW=$(at '2026-12-11 06:01')
"$BULLETIN" -c "$work/cfg/b2.ini" run > /dev/null 2>&1
check "untouched: members got it at the deadline" [ "$(mails)" -eq 4 ]
mail_text asa.lindstrom@example.se > "$work/member2"
check "untouched: every selected item is there" sh -c "grep -q 'Antalet läkare' '$work/member2' && grep -q 'Primärvårdsstrategi' '$work/member2' && grep -q 'Dialogmøte' '$work/member2'"

# 6. A held week sends nothing; its news, less the dropped item, comes next week.
sed "s|^path = state/bulletin.db|path = state3/bulletin.db|; s|^archive = archive|archive = archive3|" "$cfg" > "$work/cfg/b3.ini"
rm -f "$work"/maildir/new/*
export BULLETIN_TEST_NOW=$(at '2026-12-10 07:30')
"$BULLETIN" -c "$work/cfg/b3.ini" run > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/b3.ini" review drop "$S" > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/b3.ini" review hold > "$work/out" 2>&1
check "hold: said" grep -q 'Held: no issue this week' "$work/out"
export BULLETIN_TEST_NOW=$(at '2026-12-11 06:01')
"$BULLETIN" -c "$work/cfg/b3.ini" run > /dev/null 2>&1
check "hold: nothing to members at the deadline" [ "$(mails)" -eq 2 ]
rm -f "$work"/maildir/new/*
export BULLETIN_TEST_NOW=$(at '2026-12-17 07:30')
"$BULLETIN" -c "$work/cfg/b3.ini" run > "$work/out" 2> "$work/err"
mail_text granskare@example.org > "$work/copy3"
check "next week: a new copy with the held news" sh -c "grep -q 'Antalet läkare' '$work/copy3' && grep -q 'Dialogmøte' '$work/copy3'"
check "next week: the dropped item never comes back" sh -c "! grep -q 'Primärvårdsstrategi' '$work/copy3'"

# 7. A dropped story stays out with every source that carried it.
sed "s|^path = state/bulletin.db|path = state4/bulletin.db|; s|^archive = archive|archive = archive4|; s|^files = sources.ini|files = sources4.ini|" "$cfg" > "$work/cfg/b4.ini"
cp "$work/cfg/sources.ini" "$work/cfg/sources4.ini"
cat > "$work/site/dup.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Dup</title><link>https://dup.example.se/</link>
<item><title>Fler läkare till vårdcentralerna i länet</title>
<link>https://regionstockholm.example.se/nyheter/fler-lakare-pa-vardcentralerna/</link>
<description>Vårdcentralerna i Stockholm får fler läkare.</description><pubDate>Wed, 09 Dec 2026 09:00:00 +0100</pubDate></item>
</channel></rss>
EOF
printf '\n[source dup]\ntitle = Dup\nurl = http://127.0.0.1:%s/dup.xml\n' "$HTTP_PORT" >> "$work/cfg/sources4.ini"
rm -f "$work"/maildir/new/*
export BULLETIN_TEST_NOW=$(at '2026-12-10 07:30')
"$BULLETIN" -c "$work/cfg/b4.ini" run > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/b4.ini" review > "$work/show4" 2>&1
k=$(sed -n 's/^ *\([0-9]*\)\. \(Antalet läkare\|Fler läkare till\).*/\1/p' "$work/show4" | head -n 1)
check "duplicates: the story is numbered once" [ "$(grep -c 'Antalet läkare\|Fler läkare till' "$work/show4")" -eq 1 ]
"$BULLETIN" -c "$work/cfg/b4.ini" review drop "${k:-0}" > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/b4.ini" review approve > /dev/null 2>&1
mail_text asa.lindstrom@example.se > "$work/member4"
check "duplicates: dropped, neither source's copy reaches the members" sh -c "grep -q 'Primärvårdsstrategi' '$work/member4' && ! grep -q 'Antalet läkare\|Fler läkare till' '$work/member4'"

tap_done
