#!/bin/sh
# A slow reply after the final "." never mails twice (issue 13, part 3): a
# server that stores m2's message at once but answers the final dot only
# after [mail] data_timeout leaves m2 in doubt, with exactly one copy,
# however many runs follow. Then the chair's two ways out: --mark-sent and
# --resend-in-doubt (once, by her decision).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
members 6
sink --slow-data m2@example.se:10:1
write_cfg "retries = 2" "data_timeout = 4"
fresh_digest
send; rc=$?
check "slow final reply: exit 1 (a member in doubt)" [ $rc -eq 1 ]
check "slow final reply: ledger in_doubt 1, sent 5" [ "$(ledger)" = "in_doubt 1 sent 5" ]
check "slow final reply: m2 tried once, never again in the run" [ "$(attempts_of m2@example.se)" = 1 ]
check "slow final reply: the reason stored" sh -c "sqlite3 '$db' \"SELECT last_reply FROM deliveries WHERE email = 'm2@example.se'\" | grep -q 'no reply to the end of the message within 4 s'"
check "slow final reply: stderr says in doubt, not resent" grep -q 'm2@example.se: in doubt: .*not resent' "$work/err"
sleep 7 # the sink's late reply goes out to nobody
for run in 2 3; do
	send; rc=$?
	check "run $run: exit 0, nobody mailed again" sh -c "[ $rc -eq 0 ] && [ $(mails) -eq 6 ]"
done
check "after three runs: m2 has exactly one copy, each member one" each_once 6
check "after three runs: still one member in doubt" [ "$(ledger)" = "in_doubt 1 sent 5" ]
check "the digest is complete: nobody waits for a member in doubt" completed
"$BULLETIN" -c "$cfg" send --status > "$work/status"; rc=$?
check "send --status: m2 in doubt with the reason and what to do" sh -c \
	"[ $rc -eq 1 ] && grep -Eq '^m2@example.se +in doubt +1 .*no reply to the end of the message' '$work/status' && grep -q 'send --mark-sent ADDRESS' '$work/status'"

# A news week later: the next digest is not held up by m2, who gets it.
news 1
send; rc=$?
check "next digest: exit 0, composed and sent to all six, m2 too" sh -c "[ $rc -eq 0 ] && [ '$(ledger)' = 'sent 6' ]"
d1=$(q "SELECT MIN(id) FROM digests")

# The chair: m2 says it arrived.
"$BULLETIN" -c "$cfg" send --mark-sent M2@example.se "$d1" > "$work/out" 2>&1; rc=$?
check "--mark-sent ADDRESS DIGEST: exit 0, m2 sent, reply says who decided" sh -c \
	"[ $rc -eq 0 ] && [ '$(ledger_of "$d1")' = 'sent 6' ] && sqlite3 '$db' \"SELECT last_reply FROM deliveries WHERE digest_id = $d1 AND email = 'm2@example.se'\" | grep -q 'marked sent'"
"$BULLETIN" -c "$cfg" send --mark-sent m2@example.se > "$work/out" 2>&1; rc=$?
check "--mark-sent again: nobody in doubt, exit 1, said" sh -c "[ $rc -eq 1 ] && grep -q 'no member in doubt' '$work/out'"

# Again in doubt (by hand: a crash), then resent once by the chair's word.
q "UPDATE deliveries SET state = 'in_doubt' WHERE digest_id = $d1 AND email IN ('m2@example.se', 'm4@example.se')"
sink
write_cfg "retries = 2" "data_timeout = 4"
"$BULLETIN" -c "$cfg" send --resend-in-doubt "$d1" > "$work/out" 2> "$work/err"; rc=$?
check "--resend-in-doubt DIGEST: exit 0, m2 and m4 mailed once more, nobody else" sh -c \
	"[ $rc -eq 0 ] && [ $(mails) -eq 2 ] && [ '$(ledger_of "$d1")' = 'sent 6' ]" || sed 's/^/#   /' "$work/err"
q "UPDATE deliveries SET state = 'sending' WHERE email = 'm5@example.se'"
"$BULLETIN" -c "$cfg" send --mark-sent --all > "$work/out" 2>&1; rc=$?
check "--mark-sent --all: a 'sending' row left by a crash counts as in doubt" sh -c \
	"[ $rc -eq 0 ] && grep -q '^2 members in doubt marked sent in any digest' '$work/out'"
"$BULLETIN" -c "$cfg" send --mark-sent > /dev/null 2>&1
check "--mark-sent without an address: usage (64)" [ $? -eq 64 ]
"$BULLETIN" -c "$cfg" send --resend-in-doubt x > /dev/null 2>&1
check "--resend-in-doubt x: usage (64)" [ $? -eq 64 ]
"$BULLETIN" -c "$cfg" send --help > "$work/help"
check "send --help names both" sh -c "grep -q -- '--resend-in-doubt' '$work/help' && grep -q -- '--mark-sent ADDRESS|--all' '$work/help'"
tap_done
