#!/bin/sh
# One stuck member never blocks the association (issue 13, part 2): a
# member whose mailbox answers 452 every week is deferred, retried on later
# runs, failed with the server's last reply when the next digest comes,
# and three weekly digests in a row reach everyone else. Then the window
# by time ([mail] defer_window), the backoff, and what the chair reads.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
members 6
sink --fail-rcpt m3@example.se:452
write_cfg "retries = 1" "defer_retry = 0"
fresh_digest

# Week 1: the first digest; m3 deferred, the rest sent.
send; rc1=$?
d1=$(q "SELECT MAX(id) FROM digests")
check "week 1: exit 1 (a member deferred)" [ $rc1 -eq 1 ]
check "week 1: deferred 1, sent 5" [ "$(ledger_of "$d1")" = "deferred 1 sent 5" ]
check "week 1: stderr says m3 is deferred with the reply" grep -q 'm3@example.se: deferred, tried again on a later run: 452' "$work/err"
# A run in the same week with no news: m3 tried again (its wait is 0 here),
# nobody else mailed, no new digest.
send
check "same week: m3 tried again, deferred again (2 deferrals)" sh -c \
	"[ \$(sqlite3 '$db' \"SELECT deferrals FROM deliveries WHERE digest_id = $d1 AND email = 'm3@example.se'\") = 2 ]"
check "same week: no second digest, nobody mailed twice" sh -c "[ \$(sqlite3 '$db' 'SELECT COUNT(*) FROM digests') = 1 ] && [ $(mails) -eq 5 ]"

# Weeks 2 and 3: a new digest each, on schedule, whatever m3's state.
for w in 2 3; do
	news "$w"
	send; rc=$?
	check "week $w: exit 1, a new digest composed and sent to the other five" sh -c \
		"[ $rc -eq 1 ] && [ \$(sqlite3 '$db' 'SELECT COUNT(*) FROM digests') = $w ] && [ '$(ledger)' = 'deferred 1 sent 5' ]" || sed 's/^/#   /' "$work/err"
done
d3=$(q "SELECT MAX(id) FROM digests")
check "three digests: the five others got each one exactly once (15 mails)" sh -c \
	"[ $(mails) -eq 15 ] && for i in 1 2 4 5 6; do [ \$(grep -l \"^X-Envelope-To: <m\$i@example.se>\" '$work'/maildir/new/* | wc -l) -eq 3 ] || exit 1; done"
check "three digests: m3 got none" [ "$(mails_to m3@example.se)" -eq 0 ]
check "weeks 1 and 2: m3 failed when the next digest came, with the 452 reply" sh -c "
	for d in $d1 \$(($d1 + 1)); do
		[ \"\$(sqlite3 '$db' \"SELECT state FROM deliveries WHERE digest_id = \$d AND email = 'm3@example.se'\")\" = failed ] || exit 1
		sqlite3 '$db' \"SELECT last_reply FROM deliveries WHERE digest_id = \$d AND email = 'm3@example.se'\" | grep -q '^452' || exit 1
	done"
check "weeks 1 and 2: complete; week 3 still open for m3" sh -c \
	"[ \$(sqlite3 '$db' 'SELECT COUNT(*) FROM digests WHERE completed IS NOT NULL') = 2 ] && [ -z \"\$(sqlite3 '$db' 'SELECT completed FROM digests WHERE id = $d3')\" ]"
check "stderr named m3 failed with its last reply" grep -q 'm3@example.se: failed (digest .*): deferred .* until its window closed; the last reply: 452' "$work/err"

# What the chair sees.
"$BULLETIN" -c "$cfg" send --status > "$work/status" 2> "$work/status.err"; rc=$?
check "send --status: exit 1, m3 deferred with the reply and its next try" sh -c \
	"[ $rc -eq 1 ] && grep -Eq '^m3@example.se +deferred +[0-9]+ .*next try from .*452' '$work/status'" || sed 's/^/#   /' "$work/status"
"$BULLETIN" -c "$cfg" send --status "$d1" > "$work/status1" 2>&1
check "send --status $d1: m3 failed, with the reply" grep -Eq '^m3@example.se +failed +[0-9]+ .*452' "$work/status1"
"$BULLETIN" -c "$cfg" status > "$work/report" 2>&1
check "status (the chair's report): m3 deferred in the last digest, with the reply" \
	grep -q '^  deferred: m3@example.se (digest [0-9]*): 452' "$work/report" || sed 's/^/#   /' "$work/report"

# The window by time: defer_window = 1 hour, the digest composed 2 hours
# ago: the next run fails m3 without trying, and completes the digest.
sink
write_cfg "retries = 1" "defer_retry = 0" "defer_window = 1"
q "UPDATE digests SET created = created - 7200 WHERE id = $d3"
send; rc=$?
check "defer_window 1 h, 2 h later: m3 failed unsent, the digest complete" sh -c \
	"[ \"\$(sqlite3 '$db' \"SELECT state FROM deliveries WHERE digest_id = $d3 AND email = 'm3@example.se'\")\" = failed ] && [ $(mails) -eq 0 ] && [ -n \"\$(sqlite3 '$db' 'SELECT completed FROM digests WHERE id = $d3')\" ]"
check "defer_window: exit 1 (a member failed)" [ $rc -eq 1 ]

# Backoff across runs: with defer_retry 900 s, a deferred member is not
# tried again in the next minutes.
sink --fail-rcpt m3@example.se:452
write_cfg "retries = 0" "defer_retry = 900"
news 4
send
att=$(attempts_of m3@example.se)
send
check "defer_retry 900: the run right after does not try m3 again" [ "$(attempts_of m3@example.se)" = "$att" ]
check "defer_retry 900: its next try is 900 s after the first" sh -c \
	"[ \$(sqlite3 '$db' \"SELECT next_attempt - updated FROM deliveries WHERE email = 'm3@example.se' AND digest_id = (SELECT MAX(id) FROM digests)\") = 900 ]"
tap_done
