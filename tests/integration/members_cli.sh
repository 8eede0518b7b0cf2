#!/bin/sh
# The member list and the chair's view of delivery (issue 7): members check,
# unsubscribe/resubscribe, a real send that leaves paused and unsubscribed
# members out, and send --status. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

mkdir -p "$work/site" "$work/maildir" "$work/cfg"
cp "$top/contrib/demo/site/dlf-stockholm.xml" "$top/contrib/demo/site/allmennlegeforeningen.xml" \
	"$work/site/"
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
start_smtp "$work/maildir" --fail-rcpt fail@example.se:550 || { echo "Bail out! no SMTP server"; exit 1; }
fill_template "$top/tests/fixtures/pipeline/bulletin.ini" "$work/cfg/bulletin.ini"
# One source for the first digest; a second is added for the second.
cat > "$work/cfg/sources.ini" <<EOF
[source dlf-stockholm]
title = Distriktsläkarföreningen i Stockholm
url = http://127.0.0.1:$HTTP_PORT/dlf-stockholm.xml
EOF
cfg=$work/cfg/bulletin.ini
csv=$work/cfg/members.csv
db=$work/cfg/state/bulletin.db

# A spreadsheet export: BOM, semicolons, CRLF, quoted names with commas and
# å/ø. Line 4 invalid, 5 a duplicate of 2 in other case, 6 paused, 7
# unsubscribed, 8 a language nobody reads.
printf '\357\273\277email;name;language;status\r\n' > "$csv"
printf 'asa.lindstrom@example.se;"Lindström, Åsa";sv;\r\n' >> "$csv"
printf 'oystein.brathen@example.no;"Bråthen, Øystein";NB;active\r\n' >> "$csv"
printf 'not-an-address;Fel Adress;sv;\r\n' >> "$csv"
printf 'ASA.LINDSTROM@EXAMPLE.SE;"Åsa, igen";sv;\r\n' >> "$csv"
printf 'paus@example.se;"Paus, Pål";sv;paused\r\n' >> "$csv"
printf 'gone@example.se;"Gone, Göran";en;unsubscribed\r\n' >> "$csv"
printf 'karin@example.se;Karin;fi;\r\n' >> "$csv"
printf 'fail@example.se;"Fel, Frida";sv;\r\n' >> "$csv"
printf 'cmd@example.se;"Kommando, Kåre";nb;\r\n' >> "$csv"

count() { sed -n "s/^  $1  *\([0-9-]*\).*/\1/p" "$work/out"; }

# 1. members check before any store exists.
"$BULLETIN" -c "$cfg" members check > "$work/out" 2> "$work/err"
rc=$?
check "check: exit 1 (rows were skipped)" [ $rc -eq 1 ]
check "check: 9 rows, 7 valid, 5 active" \
	[ "$(count rows)" = 9 -a "$(count valid)" = 7 -a "$(count 'active (will be mailed)')" = 5 ]
check "check: 1 paused, 1 unsubscribed in the CSV, 1 duplicate, 1 invalid" \
	[ "$(count paused)" = 1 -a "$(count 'unsubscribed in the CSV')" = 1 \
	  -a "$(count 'duplicates merged')" = 1 -a "$(count 'invalid, skipped')" = 1 ]
check "check: no store yet, and none created" \
	sh -c "grep -q 'unsubscribed in the store *- *(no store yet)' '$work/out' && [ ! -e '$db' ]"
check "check: the invalid address with file:line" grep -q "members.csv:4: \"not-an-address\" is not a valid address" "$work/err"
check "check: the duplicate with both line numbers" grep -q "members.csv:5: ASA.LINDSTROM@EXAMPLE.SE is listed more than once (first on line 2)" "$work/err"
check "check: the bad language with file:line" grep -q "members.csv:8: language \"fi\"" "$work/err"
check "check: three problems, nothing else reported" [ "$(grep -c 'members.csv:[0-9]*:' "$work/err")" -eq 3 ]
"$BULLETIN" -q -c "$cfg" members check > /dev/null 2> "$work/err"
check "check -q: problems still shown" grep -q "members.csv:4:" "$work/err"

printf 'email,name\nanna@example.se,"Ärlig, Anna"\n' > "$work/clean.csv"
"$BULLETIN" -c "$cfg" members check "$work/clean.csv" > "$work/out" 2> "$work/err"
rc=$?
check "check FILE: a clean list exits 0, says nothing on stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$work/err' ]"
printf 'namn;adress\nAnna;anna@example.se\n' > "$work/noemail.csv"
"$BULLETIN" -c "$cfg" members check "$work/noemail.csv" > /dev/null 2> "$work/err"
rc=$?
check "check: no email column is 78, with file:line" sh -c "[ $rc -eq 78 ] && grep -q 'noemail.csv:1:' '$work/err'"
"$BULLETIN" -c "$cfg" members check "$work/missing.csv" > /dev/null 2> "$work/err"
check "check: a missing file is 78" [ $? -eq 78 ]

# A damaged export: an unclosed quote on line 3 costs that row only; Åsa in
# two cases is one member; a row with 300 fields is named.
{
	printf 'email;name\n'
	printf 'Åsa.Berg@example.se;"Berg, Åsa"\n'
	printf 'bo@example.se;"Ek, Bo\n'
	printf 'cilla@example.se;"Ahl, Cilla"\n'
	printf 'åsa.berg@EXAMPLE.SE;Åsa igen\n'
	printf 'dan@example.se;Dan'; i=0; while [ $i -lt 300 ]; do printf ';x'; i=$((i + 1)); done; printf '\n'
	printf 'eva@example.se;Eva\n'
} > "$work/damaged.csv"
"$BULLETIN" -c "$cfg" members check "$work/damaged.csv" > "$work/out" 2> "$work/err"
rc=$?
check "damaged: exit 1, 6 rows, 4 valid, 1 invalid, 1 duplicate" sh -c "[ $rc -eq 1 ] &&
	[ '$(count rows)' = 6 ] && [ '$(count valid)' = 4 ] && [ '$(count 'invalid, skipped')' = 1 ] &&
	[ '$(count 'duplicates merged')' = 1 ]" || sed 's/^/#   /' "$work/out" "$work/err"
check "damaged: the unclosed quote with file:line, the rows after it kept" \
	grep -q "damaged.csv:3: a quoted field opened on this line is not closed; row skipped, reading on from line 4" "$work/err"
check "damaged: Åsa and åsa are one member" \
	grep -q "damaged.csv:5: åsa.berg@EXAMPLE.SE is listed more than once (first on line 2)" "$work/err"
check "damaged: the row with 301 fields with file:line" \
	grep -q "damaged.csv:6: more than 256 fields" "$work/err"

# 2. unsubscribe / resubscribe round trip.
"$BULLETIN" -c "$cfg" members unsubscribe CMD@Example.se > "$work/out" 2> "$work/err"
rc=$?
check "unsubscribe: exit 0, says so" sh -c "[ $rc -eq 0 ] && grep -q '^CMD@Example.se: unsubscribed' '$work/out'"
"$BULLETIN" -c "$cfg" members unsubscribe cmd@example.se > "$work/out" 2> "$work/err"
rc=$?
check "unsubscribe again (other case): exit 0, already there, by command" \
	sh -c "[ $rc -eq 0 ] && grep -q 'already unsubscribed since 20.*(by command)' '$work/out'"
"$BULLETIN" -c "$cfg" members unsubscribe "$(printf 'x@example.se\r\nRCPT TO:<y@example.se>')" > "$work/out" 2> "$work/err"
rc=$?
check "unsubscribe: an invalid address is 65, its CR/LF not echoed" \
	sh -c "[ $rc -eq 65 ] && grep -q 'is not a valid address' '$work/err' && ! grep -q 'RCPT' '$work/out' && [ \$(wc -l < '$work/err') -eq 1 ]"
"$BULLETIN" -c "$cfg" members resubscribe cmd@example.se > "$work/out" 2> "$work/err"
check "resubscribe: removed" grep -q '^cmd@example.se: resubscribed' "$work/out"
"$BULLETIN" -c "$cfg" members resubscribe cmd@example.se > "$work/out" 2> "$work/err"
rc=$?
check "resubscribe again: exit 0, was not there" sh -c "[ $rc -eq 0 ] && grep -q 'was not unsubscribed' '$work/out'"
"$BULLETIN" -c "$cfg" members resubscribe gone@example.se > "$work/out" 2> "$work/err"
check "resubscribe: notes the CSV row that still keeps the member out" \
	grep -q "members.csv:7 still says status unsubscribed" "$work/out"
"$BULLETIN" -c "$cfg" members unsubscribe cmd@example.se > /dev/null 2>&1
"$BULLETIN" -c "$cfg" members check > "$work/out" 2> /dev/null
check "check with the store: 1 unsubscribed there, 4 active" \
	sh -c "grep -q 'unsubscribed in the store *1 (of 1 recorded)' '$work/out' && [ \"\$(sed -n 's/^  active (will be mailed) *//p' '$work/out')\" = 4 ]"

# 3. A real send: paused, unsubscribed (CSV and store) get nothing; the
# sink refuses fail@example.se with 550.
"$BULLETIN" -v -c "$cfg" run > "$work/out" 2> "$work/err"
rc=$?
check "send: exit 1 (one member refused)" [ $rc -eq 1 ]
check "send: the left-out count at info level" \
	grep -q '3 members left out: 1 paused, 1 unsubscribed in .*members.csv, 1 unsubscribed in the store' "$work/err"
check "send: the refusal is named" grep -q 'fail@example.se: refused by the mail server: 550' "$work/err"
rcpts() { cut -d' ' -f3 "$work/maildir/envelopes.log" 2>/dev/null | sort; }
check "send: asa, karin, oystein got exactly one mail each, nobody else" \
	[ "$(rcpts | tr '\n' ' ')" = "asa.lindstrom@example.se karin@example.se oystein.brathen@example.no " ]
check "send: Åsa's To header keeps her name" /usr/bin/python3 -c '
import email, email.policy, os, sys
d = sys.argv[1]
for f in os.listdir(d):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    if "asa.lindstrom" in str(m["To"]):
        assert m["To"].addresses[0].display_name == "Lindström, Åsa", str(m["To"])
        sys.exit(0)
sys.exit(1)
' "$work/maildir/new"
"$BULLETIN" -c "$cfg" members unsubscribe gone@example.se > "$work/out" 2>&1
check "send: the CSV's unsubscribe is now in the store (how: csv)" grep -q 'already unsubscribed since .*(from the member list)' "$work/out"

# 4. send --status for that digest.
"$BULLETIN" -c "$cfg" send --status > "$work/status" 2> "$work/err"
rc=$?
check "status: exit 1 (a member not sent)" [ $rc -eq 1 ]
check "status: 3 sent, 1 failed, 0 queued, 0 in doubt" sh -c "
	grep -q '^  sent  *3\$' '$work/status' && grep -q '^  failed  *1\$' '$work/status' &&
	grep -q '^  to send  *0\$' '$work/status' && grep -q '^  in doubt  *0\$' '$work/status'"
check "status: the failed member with state, attempts, time and the 550 reply" \
	grep -Eq '^fail@example.se +failed +1  20[0-9-]+ [0-9:]+Z +550 .*no such user' "$work/status"
check "status: sent members are not listed" sh -c "! grep -q '^asa.lindstrom\|^karin\|^oystein' '$work/status'"
check "status: names the digest, completed" grep -q '^digest 1 "Primärvårdsnytt.*delivery completed' "$work/status"
"$BULLETIN" -c "$cfg" send --status 1 > "$work/status1" 2>&1
rc=$?
check "status 1: the same digest by id" sh -c "[ $rc -eq 1 ] && cmp -s '$work/status' '$work/status1'"
"$BULLETIN" -c "$cfg" send --status=1 > "$work/status1" 2>&1
check "status=1: the same" cmp -s "$work/status" "$work/status1"
"$BULLETIN" -c "$cfg" send --status 99 > /dev/null 2> "$work/err"
rc=$?
check "status 99: no such digest, 66" sh -c "[ $rc -eq 66 ] && grep -q 'no digest with id 99' '$work/err'"
"$BULLETIN" -c "$cfg" send --status x1 > /dev/null 2>&1
check "status x1: usage error" [ $? -eq 64 ]

# 5. A second digest: fail@ paused in the CSV, cmd@ resubscribed. Everyone
# active is sent, so --status exits 0.
cat >> "$work/cfg/sources.ini" <<EOF
[source allmennlegeforeningen]
title = Allmennlegeforeningen
url = http://127.0.0.1:$HTTP_PORT/allmennlegeforeningen.xml
EOF
sed -i 's/^fail@example.se;"Fel, Frida";sv;\r$/fail@example.se;"Fel, Frida";sv;Paused\r/' "$csv"
"$BULLETIN" -c "$cfg" members resubscribe cmd@example.se > /dev/null 2>&1
# No pause: items found in the second the first digest was composed must
# still reach the next digest (fetch stamps them with the period's end).
"$BULLETIN" -c "$cfg" run > "$work/out" 2> "$work/err"
rc=$?
check "second send: exit 0" [ $rc -eq 0 ] || sed 's/^/#   /' "$work/err"
check "second send: cmd@ is back, fail@ paused, the others again; one each" \
	[ "$(rcpts | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" = "2asa.lindstrom@example.se 1cmd@example.se 2karin@example.se 2oystein.brathen@example.no " ]
"$BULLETIN" -c "$cfg" send --status > "$work/status" 2> "$work/err"
rc=$?
check "status: every member sent, exit 0" sh -c "[ $rc -eq 0 ] && grep -q '^digest 2 ' '$work/status' && grep -q '^  sent  *4\$' '$work/status' && ! grep -q MEMBER '$work/status'"
"$BULLETIN" -c "$cfg" send --status 1 > /dev/null 2>&1
check "status 1: the first digest still exits 1" [ $? -eq 1 ]

# 6. An interrupted delivery: members still to mail are listed as such;
# an "in doubt" row shows as such. (The ledger is edited by hand here to
# stand for a crash.)
if command -v sqlite3 > /dev/null; then
	sqlite3 "$db" "UPDATE digests SET completed = NULL WHERE id = 2;
		UPDATE deliveries SET state = 'queued', attempts = 0 WHERE digest_id = 2 AND email = 'karin@example.se';
		UPDATE deliveries SET state = 'sending', last_reply = 'x' || char(13,10) || 'Injected: y'
		 WHERE digest_id = 2 AND email = 'cmd@example.se';"
	"$BULLETIN" -c "$cfg" send --status > "$work/status" 2> "$work/err"
	rc=$?
	check "status unfinished: exit 1, in doubt and unsent members listed" sh -c "
		[ $rc -eq 1 ] && grep -q 'delivery unfinished' '$work/status' &&
		grep -q '^  to send  *1\$' '$work/status' &&
		grep -Eq '^karin@example.se +to send +0 ' '$work/status' &&
		grep -Eq '^cmd@example.se +in doubt +1 ' '$work/status'"
	check "status: a reply's CR/LF never starts a line" sh -c "! grep -q '^Injected' '$work/status'"
else
	ok "status unfinished # SKIP no sqlite3"
	ok "status: a reply's CR/LF never starts a line # SKIP no sqlite3"
fi

tap_done
