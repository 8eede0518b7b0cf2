#!/bin/sh
# Crash safety of the mailbox (issue 18): `bulletin mailbox` is killed with
# SIGKILL at a random moment while it works through a fresh batch of
# messages in a private Dovecot (tests/bench/genmail.py: unsubscribe
# replies, bounces, auto-replies, the chair's commands, junk), then run
# again to completion; until KILL_ROUNDS kills (default 25) have landed in
# a running `bulletin mailbox`. After each round:
#   handled twice: a Message-ID twice in the handled folder, an answer sent
#     twice (a confirmation or a chair's answer), a bounce or an action
#     counted more than once;
#   lost: a message in neither folder, a message to handle still in the
#     INBOX, an unsubscribe, bounce or addition missing, an answer missing
#     that the store does not call "in doubt" (a kill between "sending"
#     and "sent": never resent, a person decides).
# Both must be 0. Prints the counts; exits 1 when either is not.
#
# usage: sh tests/soak/mailbox_kill.sh path/to/bulletin   (make soak)
# Environment: KILL_ROUNDS (25), BATCH (messages per round, 200);
# IMAP_CAPABILITY="IMAP4rev1 UIDPLUS ..." for a server without MOVE (UID
# COPY, \Deleted, UID EXPUNGE: a kill between the copy and the flag must
# not leave a second copy in the handled folder).
set -u
BULLETIN=${1:-${BULLETIN:-}}
[ -n "$BULLETIN" ] && [ -x "$BULLETIN" ] || { echo "usage: sh tests/soak/mailbox_kill.sh path/to/bulletin" >&2; exit 64; }
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
top=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${KILL_ROUNDS:-25}
BATCH=${BATCH:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-soak-mailbox.XXXXXX") || exit 70
SERVERS_DIR=$work
. "$top/tests/servers/servers.sh"
trap 'servers_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
trap 'exit 143' INT TERM
command -v sqlite3 > /dev/null || { echo "mailbox_kill.sh: the sqlite3 CLI is missing" >&2; exit 69; }
me=mailbox_kill.sh
. "$top/tests/bench/mailbox_setup.inc"
q() { sqlite3 "$db" "$1"; }
handled=$IMAP_MAILDIR/.bulletin.handled
files_in() { find "$1/new" "$1/cur" -type f 2> /dev/null | wc -l; }
# round R: a fresh batch; sets the expectations E_*
batch() {
	exp=$(/usr/bin/python3 "$top/tests/bench/genmail.py" --maildir "$IMAP_MAILDIR" \
		--members "$work/cfg/members.csv" --ledger "$work/ledger.sql" --round "$1" --count "$BATCH")
	set -- $exp
	E_MOVED=$2 E_LEFT=$4 E_ANSWERS=$6 E_BOUNCES=$8 E_UNSUB=${10} E_ADDED=${12}
	q ".read $work/ledger.sql"
	[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
}
run() { "$BULLETIN" -c "$cfg" mailbox > "$work/out" 2> "$work/err"; }

# An uninterrupted round, to know how long one takes (kills land anywhere
# in it: start-up, TLS, fetches, the store, answers, moves). Not asserted.
batch 0
t0=$(date +%s.%N)
run || { echo "mailbox_kill.sh: the first run failed" >&2; cat "$work/err" >&2; exit 1; }
t1=$(date +%s.%N)
full=$(echo "$t0 $t1" | awk '{ d = $2 - $1; print (d < 0.05 ? 0.05 : d) }')
echo "an uninterrupted run over $BATCH messages: $full s"

T_MOVED=$E_MOVED T_LEFT=$E_LEFT T_ANSWERS=$E_ANSWERS T_BOUNCES=$E_BOUNCES T_UNSUB=$E_UNSUB T_ADDED=$E_ADDED
kills=0 r=1 twice=0 lost=0 doubt=0 doubt_got=0 scale=1
while [ $kills -lt "$ROUNDS" ] && [ $r -le $((ROUNDS * 3)) ]; do
	batch "$r"
	T_MOVED=$((T_MOVED + E_MOVED)) T_LEFT=$((T_LEFT + E_LEFT)) T_ANSWERS=$((T_ANSWERS + E_ANSWERS))
	T_BOUNCES=$((T_BOUNCES + E_BOUNCES)) T_UNSUB=$((T_UNSUB + E_UNSUB)) T_ADDED=$((T_ADDED + E_ADDED))
	"$BULLETIN" -c "$cfg" mailbox > /dev/null 2> "$work/kill.err" &
	pid=$!
	sleep "$(awk -v s="$r$$" -v f="$full" -v k="$scale" 'BEGIN { srand(s); printf "%.3f", rand() * f * 1.1 * k }')"
	if kill -KILL "$pid" 2> /dev/null; then
		kills=$((kills + 1)); scale=1
	else
		scale=$(awk -v k="$scale" 'BEGIN { print k / 2 }')
	fi
	wait "$pid" 2> /dev/null
	run; rc=$?
	# answers in doubt: not resent, may or may not have arrived
	q "SELECT answer_to FROM mailbox_messages WHERE answer = 'doubt'" | sort > "$work/doubt"
	ls "$work/sink/new" > /dev/null
	grep -h '^X-Envelope-To:' "$work"/sink/new/* 2> /dev/null | tr -d '\r' |
		sed 's/^X-Envelope-To: <\(.*\)>$/\1/' | sort > "$work/got"
	bad="" dup=0
	# handled twice (each finding counts once)
	d=$(grep -rh -i -m1 '^Message-ID:' "$handled/new" "$handled/cur" 2> /dev/null | sort | uniq -d | wc -l)
	[ "$d" -eq 0 ] || { bad="$bad $d-message-ids-twice-in-handled"; dup=$((dup + d)); }
	a=$(sort "$work/got" | uniq -d | grep -v '^ordforande@dlf-test.se$' | wc -l)
	[ "$a" -eq 0 ] || { bad="$bad $a-confirmations-twice"; dup=$((dup + a)); }
	chair_got=$(grep -c '^ordforande@dlf-test.se$' "$work/got")
	nb=$(q "SELECT COUNT(*) FROM bounces")
	nu=$(q "SELECT COUNT(*) FROM unsubscribes WHERE how = 'reply'")
	na=$(q "SELECT COUNT(*) FROM member_state WHERE added IS NOT NULL")
	[ "$nb" -le "$T_BOUNCES" ] && [ "$nu" -le "$T_UNSUB" ] && [ "$na" -le "$T_ADDED" ] ||
		{ bad="$bad effects-counted-twice"; dup=$((dup + 1)); }
	[ "$chair_got" -le "$T_ADDED" ] || { bad="$bad chair-answered-twice"; dup=$((dup + chair_got - T_ADDED)); }
	# lost
	bad2=""
	m=$(files_in "$handled") l=$(files_in "$IMAP_MAILDIR")
	[ "$m" -eq "$T_MOVED" ] || bad2="$bad2 handled=$m/$T_MOVED"
	[ "$l" -eq "$T_LEFT" ] || bad2="$bad2 inbox=$l/$T_LEFT"
	[ "$nb" -eq "$T_BOUNCES" ] || bad2="$bad2 bounces=$nb/$T_BOUNCES"
	[ "$nu" -eq "$T_UNSUB" ] || bad2="$bad2 unsubscribed=$nu/$T_UNSUB"
	[ "$na" -eq "$T_ADDED" ] || bad2="$bad2 added=$na/$T_ADDED"
	nd=$(wc -l < "$work/doubt")
	ngot=$(wc -l < "$work/got")
	# every answer arrived, except in-doubt ones (which may have)
	[ "$ngot" -ge $((T_ANSWERS - nd)) ] && [ "$ngot" -le "$T_ANSWERS" ] || bad2="$bad2 answers=$ngot/$T_ANSWERS(doubt=$nd)"
	lostn=$(echo "$bad2" | wc -w) # one word per kind of loss
	if [ "$dup" -gt 0 ] || [ "$lostn" -gt 0 ] || [ $rc -gt 1 ]; then
		echo "round $r (exit $rc):$bad$bad2"
		sed 's/^/    /' "$work/err" | tail -5
	fi
	twice=$((twice + dup)) lost=$((lost + lostn))
	r=$((r + 1))
done
nd=$(wc -l < "$work/doubt")
# a member's confirmation in doubt either arrived or not; the chair gets
# many answers, so hers cannot be told apart
doubt_got=$(awk 'NR == FNR { if ($0 != "ordforande@dlf-test.se") d[$0] = 1; next } ($0 in d) { n++; delete d[$0] } END { print n + 0 }' "$work/doubt" "$work/got")
doubt_chair=$(grep -c '^ordforande@dlf-test.se$' "$work/doubt")
echo "rounds: $r of $BATCH messages ($(( r * BATCH )) messages with the uninterrupted first), kills landed in a running mailbox: $kills"
echo "answers in doubt (never resent): $nd ($doubt_chair to the chair); members' confirmations in doubt that had arrived: $doubt_got of $((nd - doubt_chair))"
echo "handled twice: $twice"
echo "lost: $lost"
pg=$IMAP_PID
imap_stop
[ "$(imap_procs "$pg")" -eq 0 ] || { echo "Dovecot processes left behind"; exit 1; }
[ "$twice" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$kills" -ge "$ROUNDS" ]
