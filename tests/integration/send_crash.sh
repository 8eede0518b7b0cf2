#!/bin/sh
# Crash safety of delivery (issues 7 and 13): `bulletin send` to
# CRASH_MEMBERS members (default 30) is killed with SIGKILL at a random
# moment, then run again to completion, until CRASH_ROUNDS kills (default
# 12 here; make soak lands 30 in each of two campaigns) have landed, each round a new digest. Afterwards every member must
# hold that round's digest exactly once, except members the second run
# reported "in doubt" (killed between the start of the message and the
# ledger's "sent", or answered later than data_timeout), who may hold 0 or
# 1; none twice, none lost. CRASH_SLOW=S makes the sink answer every final
# "." S seconds late (kills then land while it waits), CRASH_LATE=ADDR
# makes it answer that member's after 2 s, past data_timeout = 1. Prints
# TAP, with the counts as comments (make soak reads them).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
ROUNDS=${CRASH_ROUNDS:-12}
M=${CRASH_MEMBERS:-30}
members $M
set --
[ -n "${CRASH_SLOW:-}" ] && set -- "$@" --slow-data "*:$CRASH_SLOW"
[ -n "${CRASH_LATE:-}" ] && set -- --slow-data "$CRASH_LATE:2" "$@"
sink "$@"
write_cfg "data_timeout = 1"
mkdir -p "$work/rounds"

# How long an uninterrupted send takes here, so the kills land anywhere in
# it (start-up, compose, the ledger, mid-SMTP, the end). Not asserted.
fresh_digest
t0=$(date +%s.%N)
send
t1=$(date +%s.%N)
full=$(echo "$t0 $t1" | awk '{ d = $2 - $1; print (d < 0.05 ? 0.05 : d) }')
echo "# an uninterrupted send of $M: ${full} s"
check "warm-up run sends all $M" each_once $M
mv "$work/maildir/new" "$work/rounds/0"; mkdir "$work/maildir/new"

# Rounds go on until ROUNDS kills have landed in a running send. A kill
# that comes after the run ended (a busy machine, a fast run) still makes
# a checked round, and halves the next delay, so the count is reached
# whatever the machine's speed (at most 3 x ROUNDS rounds).
kills=0 doubt=0 doubt_got=0 dups=0 lost=0 bad_rounds=0 r=1 mismatch=0 scale=1
while [ $kills -lt "$ROUNDS" ] && [ $r -le $((ROUNDS * 3)) ]; do
	fresh_digest
	"$BULLETIN" -c "$cfg" send > /dev/null 2> "$work/kill.err" &
	pid=$!
	sleep "$(awk -v s="$r$$" -v f="$full" -v k="$scale" 'BEGIN { srand(s); printf "%.3f", rand() * f * 1.1 * k }')"
	if kill -KILL "$pid" 2>/dev/null; then
		kills=$((kills + 1)); scale=1
	else
		scale=$(awk -v k="$scale" 'BEGIN { print k / 2 }')
	fi
	wait "$pid" 2>/dev/null
	sleep 0.05 # let the sink finish anything the killed run had fully sent
	send; rc=$?
	grep -ho '[^ ]*@example.se: in doubt' "$work/err" "$work/kill.err" | sed 's/: in doubt//' | sort -u > "$work/doubt.log"
	q "SELECT email FROM deliveries WHERE state IN ('in_doubt', 'sending') AND digest_id = (SELECT MAX(id) FROM digests);" | sort > "$work/doubt"
	# Every member in doubt was named on stderr (the killed run's or the next).
	[ -z "$(comm -23 "$work/doubt" "$work/doubt.log")" ] || mismatch=$((mismatch + 1))
	nd=$(wc -l < "$work/doubt")
	round_bad=0
	i=1
	while [ $i -le $M ]; do
		a=m$i@example.se
		c=$(mails_to "$a")
		if grep -qx "$a" "$work/doubt"; then
			doubt=$((doubt + 1))
			[ "$c" -eq 1 ] && doubt_got=$((doubt_got + 1))
			[ "$c" -le 1 ] || { dups=$((dups + 1)); round_bad=1; }
		elif [ "$c" -eq 0 ]; then
			lost=$((lost + 1)); round_bad=1
			echo "# round $r: $a lost (exit $rc)"
		elif [ "$c" -gt 1 ]; then
			dups=$((dups + 1)); round_bad=1
			echo "# round $r: $a got $c"
		fi
		i=$((i + 1))
	done
	# With nobody in doubt the second run must finish the digest (exit 0).
	if [ "$nd" -eq 0 ] && [ $rc -ne 0 ]; then round_bad=1; echo "# round $r: exit $rc with nobody in doubt"; sed 's/^/#   /' "$work/err"; fi
	if [ $round_bad = 1 ]; then
		echo "# round $r: the second run (exit $rc) said:"
		head -n 8 "$work/err" | sed 's/^/#   /'
	fi
	bad_rounds=$((bad_rounds + round_bad))
	mv "$work/maildir/new" "$work/rounds/$r"; mkdir "$work/maildir/new"
	r=$((r + 1))
done
once=$(( (r - 1) * M - doubt - dups - lost ))
echo "# rounds: $((r - 1)), kills landed: $kills, members in doubt: $doubt ($doubt_got of them had received it), duplicates: $dups, lost: $lost"
echo "# figures: members=$M rounds=$((r - 1)) kills=$kills mailed_once=$once in_doubt=$doubt in_doubt_received=$doubt_got duplicates=$dups lost=$lost"
check "no member mailed twice in $((r - 1)) rounds, $kills of them killed" [ "$dups" -eq 0 ]
check "no member lost (all not in doubt got exactly one)" [ "$lost" -eq 0 ]
check "every round ended well" [ "$bad_rounds" -eq 0 ]
check "every member in doubt in the ledger was named on stderr" [ "$mismatch" -eq 0 ]
check "$ROUNDS kills landed in a running send" [ "$kills" -ge "$ROUNDS" ]
tap_done
