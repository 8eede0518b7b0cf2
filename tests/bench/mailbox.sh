#!/bin/sh
# Mailbox benchmark (issue 18): `bulletin mailbox` over 10,000 messages in
# a local Dovecot (and 2,000, to show memory does not grow with the
# mailbox), beside a reference doing the same IMAP work on the same server
# in the same run: Python's imaplib fetching the same parts in batches of
# 50 and moving each batch (tests/bench/imapref.py), without classifying
# or recording anything. The messages (tests/bench/genmail.py) are what a
# mailbox holds after a big send: bounces 60 %, auto-replies 28 %, junk
# 10 %, unsubscribe replies 2 % (each answered through a local SMTP sink).
# Prints a Markdown table; asserts nothing about time.
#
# usage: sh tests/bench/mailbox.sh path/to/bulletin
# Environment: BENCH_MESSAGES (10000), BENCH_SMALL (2000), BENCH_RUNS (2).
set -u
BULLETIN=${1:-}
if [ -z "$BULLETIN" ] || [ ! -x "$BULLETIN" ]; then
	echo "usage: sh tests/bench/mailbox.sh path/to/bulletin" >&2
	exit 64
fi
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
HERE=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$HERE/../.." && pwd)
BIG=${BENCH_MESSAGES:-10000}
SMALL=${BENCH_SMALL:-2000}
RUNS=${BENCH_RUNS:-2}
MIX="unsub=2,bounce=60,auto=28,junk=10"
for tool in /usr/bin/time /usr/bin/python3 sqlite3; do
	command -v "$tool" > /dev/null 2>&1 || { echo "mailbox.sh: $tool is missing" >&2; exit 69; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-bench-mailbox.XXXXXX") || exit 70
SERVERS_DIR=$work
. "$top/tests/servers/servers.sh"
trap 'servers_stop; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
me=mailbox.sh
. "$top/tests/bench/mailbox_setup.inc"
round=0
# fill N DIR: N fresh messages into the Maildir folder DIR (new/).
fill() {
	round=$((round + 1))
	/usr/bin/python3 "$HERE/genmail.py" --maildir "$2" --members "$work/cfg/members.csv" \
		--ledger "$work/ledger.sql" --round "$round" --count "$1" --mix "$MIX" > "$work/expect" || exit 70
	sqlite3 "$db" ".read $work/ledger.sql"
	[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
}
# The left-alone messages of earlier runs stay in the INBOX: each run
# skips them without a fetch, as a real mailbox's would be.
run_bulletin() {
	fill "$1" "$IMAP_MAILDIR"
	/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$BULLETIN" -c "$cfg" mailbox > "$work/out" 2> "$work/err"
	rc=$?
	[ $rc -eq 0 ] || { echo "mailbox.sh: bulletin mailbox failed ($rc)" >&2; cat "$work/err" >&2; exit 1; }
	grep -q "^examined now: $1\$" "$work/out" || { echo "mailbox.sh: not all $1 examined" >&2; cat "$work/out" >&2; exit 1; }
	RES="$(cat "$work/time") $(sed -n 's/^moved to [^:]*: \([0-9]*\).*/\1/p' "$work/out") $(sed -n 's/^answers: \([0-9]*\) sent.*/\1/p' "$work/out")"
}
# The reference on its own folder, Ref, filled with the same mix.
run_ref() {
	mkdir -p "$IMAP_MAILDIR/.Ref/new" "$IMAP_MAILDIR/.Ref/cur" "$IMAP_MAILDIR/.Ref/tmp"
	fill "$1" "$IMAP_MAILDIR/.Ref"
	/usr/bin/time -f '%e %M %U %S' -o "$work/time" /usr/bin/python3 "$HERE/imapref.py" 127.0.0.1 \
		"$IMAPS_PORT" "$IMAP_CA" "$IMAP_USER" "$IMAP_PASSWORD" Ref Ref.done > "$work/out" 2> "$work/err" ||
		{ echo "mailbox.sh: the reference failed" >&2; cat "$work/err" >&2; exit 1; }
	RES="$(cat "$work/time") $(sed -n 's/^messages \([0-9]*\).*/\1/p' "$work/out")"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$work/rows"
i=0
while [ $i -lt "$RUNS" ]; do
	run_bulletin "$BIG"; echo "bulletin $BIG $RES" >> "$work/rows"
	run_ref "$BIG"; echo "ref $BIG $RES" >> "$work/rows"
	i=$((i + 1))
done
run_bulletin "$SMALL"; echo "bulletin $SMALL $RES" >> "$work/rows"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Dovecot $(/usr/sbin/dovecot --version | cut -d' ' -f1) on 127.0.0.1 (TLS), Maildir; each run a fresh batch (mix $MIX),"
echo "messages of $(awk '{ printf "%d", $14 / ($2 + $4) }' "$work/expect") bytes on average; $RUNS runs of each at $BIG, alternating."
echo
echo "| case | messages | runs | median wall s | msg/s | peak RSS | CPU s (user+sys) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
summary() { # TOOL N LABEL
	awk -v t="$1" -v n="$2" -v label="$3" '$1 == t && $2 == n { w[++k] = $3; m = ($4 > m ? $4 : m); c += $5 + $6 }
		END { if (!k) exit
			for (i = 2; i <= k; i++) for (j = i; j > 1 && w[j - 1] > w[j]; j--) { x = w[j]; w[j] = w[j - 1]; w[j - 1] = x }
			med = (k % 2 ? w[(k + 1) / 2] : (w[k / 2] + w[k / 2 + 1]) / 2)
			printf "| %s | %d | %d | %.2f | %.0f | %.1f MiB | %.1f |\n", label, n, k, med, n / med, m / 1024, c / k }' "$work/rows"
}
summary bulletin "$BIG" "bulletin mailbox (classify, record, act, answer, move)"
summary ref "$BIG" "reference: python3 imaplib, same fetches and UID MOVE per 50"
summary bulletin "$SMALL" "bulletin mailbox"
echo
awk -v n="$BIG" '$1 == "bulletin" && $2 == n { b += $3; k++ } $1 == "ref" && $2 == n { r += $3; j++ }
	END { if (k && j) printf "bulletin / reference wall time at %d messages: %.2f\n", n, (b / k) / (r / j) }' "$work/rows"
awk -v n="$BIG" -v s="$SMALL" '$1 == "bulletin" && $2 == n { mb = ($4 > mb ? $4 : mb) } $1 == "bulletin" && $2 == s { ms = $4 }
	END { printf "memory: peak RSS %.1f MiB at %d messages, %.1f MiB at %d\n", mb / 1024, n, ms / 1024, s }' "$work/rows"
awk -v n="$BIG" '$1 == "bulletin" && $2 == n { printf "bulletin at %d: %d moved, %d answers sent\n", n, $7, $8; exit }' "$work/rows"
