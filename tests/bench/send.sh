#!/bin/sh
# Send benchmark (issue 7): `bulletin send` of one digest to 10,000 members
# (and 2,000, to show memory does not grow with members) against a local
# sink that accepts everything (tests/bench/smtpsink.py), beside a reference
# client sending the same .eml files (from `send --dry-run`) one connection
# per message. The reference is msmtp (`msmtp -t < FILE`, one process and
# connection per message) when installed; otherwise a Python smtplib
# stand-in, labeled as such: one process per message (msmtp's model) over a
# sample, and one process opening a connection per message over all files.
# Prints a Markdown table. Reports; asserts nothing about time.
#
# usage: sh tests/bench/send.sh path/to/bulletin
# Environment: BENCH_MEMBERS (default 10000), BENCH_SMALL (2000),
# BENCH_SAMPLE (500: messages for the process-per-message reference).
set -u
BULLETIN=${1:-}
if [ -z "$BULLETIN" ] || [ ! -x "$BULLETIN" ]; then
	echo "usage: sh tests/bench/send.sh path/to/bulletin" >&2
	exit 64
fi
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
BIG=${BENCH_MEMBERS:-10000}
SMALL=${BENCH_SMALL:-2000}
SAMPLE=${BENCH_SAMPLE:-500}
for tool in /usr/bin/time "$PY" sqlite3; do
	command -v "$tool" > /dev/null 2>&1 || { echo "send.sh: $tool is missing" >&2; exit 69; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-bench-send.XXXXXX") || exit 70
HPID="" SPID=""
cleanup() {
	for p in $HPID $SPID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

waitline() { # FILE PATTERN PID
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$3" 2>/dev/null; then echo "send.sh: a server did not start" >&2; cat "$1" >&2; exit 70; fi
		sleep 0.1
	done
}
sink_start() {
	"$PY" "$HERE/smtpsink.py" --stats "$TMP/sink.stats" > "$TMP/sink.out" 2> "$TMP/sink.err" &
	SPID=$!
	waitline "$TMP/sink.out" '^port ' "$SPID"
	SPORT=$(sed -n 's/^port //p' "$TMP/sink.out")
}
sink_stop() { # sets ST to the sink's "messages M bytes B connections C"
	rm -f "$TMP/sink.stats.done"
	kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""
	ST=$(cat "$TMP/sink.stats")
	rm -f "$TMP/sink.stats"
}

mkdir -p "$TMP/site" "$TMP/cfg"
cp "$TOP"/contrib/demo/site/*.xml "$TMP/site/"
"$PY" "$TOP/tests/servers/httpd.py" --port 0 --root "$TMP/site" > "$TMP/httpd.out" 2> "$TMP/httpd.err" &
HPID=$!
waitline "$TMP/httpd.out" '^port ' "$HPID"
HPORT=$(sed -n 's/^port //p' "$TMP/httpd.out" | head -1)
for f in "$TMP"/site/*.xml; do
	b=$(basename "$f" .xml)
	printf '[source %s]\nurl = http://127.0.0.1:%s/%s.xml\n' "$b" "$HPORT" "$b"
done > "$TMP/cfg/sources.ini"
write_cfg() {
	cat > "$TMP/cfg/bulletin.ini" <<EOF
[store]
path = bulletin.db
[sources]
files = sources.ini
[rules]
files = $TOP/feeds/primarvard.rules
[digest]
title = Primärvårdsnytt
templates = $TOP/templates
archive = archive
max_age_days = 0
[mail]
from_name = Testföreningen för allmänmedicin
from_address = nyhetsbrev@example.org
smtp_url = smtp://127.0.0.1:${SPORT:-1}
list_id = Primärvårdsnytt <nyhetsbrev.example.org>
unsubscribe = mailto:nyhetsbrev@example.org?subject=avregistrera
[members]
file = members.csv
EOF
}
members() {
	"$PY" - "$1" > "$TMP/cfg/members.csv" <<'PY'
import sys
names = ["Åsa Lindström", "Øystein Bråthen", "Märta Ödegård", "Bjørn Æsøy", "Göran Ärlig"]
print("email,name")
for i in range(1, int(sys.argv[1]) + 1):
    print('medlem%d@example.se,"%s %d"' % (i, names[i % len(names)], i))
PY
}
CFG=$TMP/cfg/bulletin.ini
DB=$TMP/cfg/bulletin.db
write_cfg
"$BULLETIN" -c "$CFG" fetch > /dev/null 2> "$TMP/fetch.err" || { echo "send.sh: fetch failed" >&2; cat "$TMP/fetch.err" >&2; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# bulletin send to N members: "seconds peak_kib sink_stats"
run_bulletin() {
	members "$1"
	sqlite3 "$DB" "DELETE FROM deliveries; DELETE FROM digests;"
	sink_start
	write_cfg
	/usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$BULLETIN" -c "$CFG" send > /dev/null 2> "$TMP/send.err"
	rc=$?
	sink_stop
	if [ $rc -ne 0 ]; then echo "send.sh: bulletin send failed ($rc)" >&2; cat "$TMP/send.err" >&2; exit 1; fi
	sent=$(sqlite3 "$DB" "SELECT COUNT(*) FROM deliveries WHERE state = 'sent'")
	[ "$sent" -eq "$1" ] || { echo "send.sh: $sent of $1 sent" >&2; exit 1; }
	RES="$(cat "$TMP/time") $ST"
}
run_bulletin "$SMALL"; small=$RES
run_bulletin "$BIG"; big=$RES

# The same messages as files, for the reference.
members "$BIG"
sqlite3 "$DB" "DELETE FROM deliveries; DELETE FROM digests;"
"$BULLETIN" -c "$CFG" send --dry-run "$TMP/eml" > /dev/null 2>&1 || { echo "send.sh: dry run failed" >&2; exit 1; }
neml=$(ls "$TMP/eml" | wc -l)
emlbytes=$(du -sb "$TMP/eml" | cut -f1)

if command -v msmtp > /dev/null 2>&1; then
	REF="msmtp, one process + connection per message"
	sink_start
	t0=$(date +%s.%N)
	for f in "$TMP"/eml/*.eml; do
		msmtp --host=127.0.0.1 --port="$SPORT" --from=nyhetsbrev@example.org -t < "$f" || exit 1
	done
	t1=$(date +%s.%N)
	sink_stop; refst=$ST
	ref="$(echo "$t0 $t1" | awk '{ print $2 - $1 }') $neml"
	ref2=""
else
	REF="NOT msmtp (not installed): Python smtplib stand-in, one process + connection per message"
	sink_start
	t0=$(date +%s.%N)
	ls "$TMP"/eml/*.eml | head -n "$SAMPLE" | while read -r f; do
		"$PY" "$HERE/smtpsend_ref.py" 127.0.0.1 "$SPORT" nyhetsbrev@example.org "$f" || exit 1
	done
	t1=$(date +%s.%N)
	sink_stop; refst=$ST
	ref="$(echo "$t0 $t1" | awk '{ print $2 - $1 }') $SAMPLE"
	sink_start
	t0=$(date +%s.%N)
	ls "$TMP"/eml/*.eml | xargs "$PY" "$HERE/smtpsend_ref.py" 127.0.0.1 "$SPORT" nyhetsbrev@example.org || exit 1
	t1=$(date +%s.%N)
	sink_stop; ref2st=$ST
	ref2="$(echo "$t0 $t1" | awk '{ print $2 - $1 }') $neml"
fi

# Postfix's own pair (issue 14): bulletin sending its personalised messages
# to smtp-sink, beside smtp-source -d pushing as many messages of the same
# size over one connection to the same sink, in the same run.
PF_SINK=/usr/sbin/smtp-sink PF_SOURCE=/usr/sbin/smtp-source
pf=""
if [ -x "$PF_SINK" ] && [ -x "$PF_SOURCE" ]; then
	pf_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	pf_start() {
		PFPORT=$(pf_port)
		if [ "$(id -u)" = 0 ]; then set -- -u nobody; else set --; fi
		"$PF_SINK" "$@" 127.0.0.1:"$PFPORT" 256 > "$TMP/pfsink.out" 2>&1 &
		SPID=$!
		i=0
		while ! "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$PFPORT),1).close()" 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 50 ] && { echo "send.sh: smtp-sink did not start" >&2; cat "$TMP/pfsink.out" >&2; exit 70; }
			sleep 0.1
		done
	}
	pf_stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""; }
	members "$BIG"
	sqlite3 "$DB" "DELETE FROM deliveries; DELETE FROM digests;"
	pf_start
	SPORT=$PFPORT write_cfg
	/usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$BULLETIN" -c "$CFG" send > /dev/null 2> "$TMP/send.err" || { echo "send.sh: bulletin send to smtp-sink failed" >&2; cat "$TMP/send.err" >&2; exit 1; }
	pf_stop
	pfb=$(cat "$TMP/time")
	avg=$((emlbytes / neml))
	pf_start
	t0=$(date +%s.%N)
	"$PF_SOURCE" -d -m "$BIG" -l "$avg" -f nyhetsbrev@example.org -t medlem@example.se 127.0.0.1:"$PFPORT" || { echo "send.sh: smtp-source failed" >&2; exit 1; }
	t1=$(date +%s.%N)
	pf_stop
	pfs=$(echo "$t0 $t1" | awk '{ print $2 - $1 }')
	pf=1
	write_cfg
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "One digest, $neml messages of $((emlbytes / neml)) bytes on average, to a local sink that keeps nothing."
echo
echo "| case | messages | wall s | msg/s | peak RSS | CPU s (user+sys) | connections (sink) | bulletin's rate / this |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
bigrate=$(echo "$big" | awk '{ printf "%.0f", '"$BIG"' / $1 }')
echo "$big" | awk -v n="$BIG" '{ printf "| bulletin send | %d | %.2f | %.0f | %.1f MiB | %.1f | %s | 1.0 |\n", n, $1, n / $1, $2 / 1024, $3 + $4, $10 }'
echo "$small" | awk -v n="$SMALL" '{ printf "| bulletin send | %d | %.2f | %.0f | %.1f MiB | %.1f | %s | |\n", n, $1, n / $1, $2 / 1024, $3 + $4, $10 }'
echo "$ref $refst" | awk -v r="$REF" -v b="$bigrate" '{ printf "| %s | %d | %.2f | %.1f | | | %s | %.1f |\n", r, $2, $1, $2 / $1, $8, b / ($2 / $1) }'
[ -n "$ref2" ] && echo "$ref2 $ref2st" | awk -v b="$bigrate" '{ printf "| Python smtplib, one process, one connection per message (all files) | %d | %.2f | %.0f | | | %s | %.1f |\n", $2, $1, $2 / $1, $8, b / ($2 / $1) }'
echo "Sink counts: $(echo "$big" | cut -d' ' -f5-) for bulletin at $BIG."
echo
refrate=$(echo "$ref" | awk '{ print $2 / $1 }')
echo "$bigrate $refrate" | awk -v r="$REF" '{ printf "goal >= 10x the reference (%s): %.1fx, %s\n", r, $1 / $2, ($1 / $2 >= 10 ? "met" : "NOT met") }'
echo "$big $small" | awk -v b="$BIG" -v s="$SMALL" '{ printf "memory: peak RSS %.1f MiB at %d members, %.1f MiB at %d (%+.1f MiB for %d more members)\n", $2/1024, b, $12/1024, s, ($2-$12)/1024, b-s }'
[ -n "$pf" ] && {
	echo
	echo "Against Postfix's smtp-sink (one sink, same run), $BIG messages of about $avg bytes:"
	echo
	echo "| case | messages | wall s | msg/s | peak RSS | ratio to smtp-source |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "$pfb $pfs" | awk -v n="$BIG" '{ printf "| bulletin send (personalised, ledger, one connection) | %d | %.2f | %.0f | %.1f MiB | %.2f |\n", n, $1, n / $1, $2 / 1024, $5 / $1 }'
	echo "$pfs" | awk -v n="$BIG" '{ printf "| smtp-source -d (one connection, fixed message) | %d | %.2f | %.0f | | 1.00 |\n", n, $1, n / $1 }'
	echo "$pfb $pfs" | awk '{ printf "goal >= 0.7x smtp-source: %.2fx, %s\n", $5 / $1, ($5 / $1 >= 0.7 ? "met" : "NOT met") }'
}
