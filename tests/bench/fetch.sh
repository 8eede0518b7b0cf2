#!/bin/sh
# Fetch benchmark (issue 3): `bulletin fetch` of 200 sources beside
# `curl --parallel --parallel-max 50` and a serial curl fetching the same
# URLs from the same local server (tests/bench/benchd.py), then the same
# with every source answering 304. Prints a Markdown table and a verdict.
#
# usage: sh tests/bench/fetch.sh path/to/bulletin   (or `make bench`)
# Environment: BENCH_RUNS (default 5), BENCH_SERIAL=0 skips the ~50 s serial
# fetch. A benchmark reports: it exits 0 when a goal is missed, and non-zero
# only when bulletin fetch itself fails or the setup does.
set -u

BULLETIN=${1:-}
if [ -z "$BULLETIN" ] || [ ! -x "$BULLETIN" ]; then
	echo "usage: sh tests/bench/fetch.sh path/to/bulletin" >&2
	exit 64
fi
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
HOSTS=50
PER_HOST=4
SOURCES=$((HOSTS * PER_HOST))
PARALLEL=50
DELAY=0.25
RUNS=${BENCH_RUNS:-5}
SERIAL=${BENCH_SERIAL:-1}

for tool in curl /usr/bin/time "$PY"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "fetch.sh: $tool is missing" >&2; exit 69; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-bench.XXXXXX") || exit 70
SPID=""
cleanup() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the server -----------------------------------------------------------
"$PY" "$HERE/benchd.py" --hosts "$HOSTS" --delay "$DELAY" --lifetime 900 \
	>"$TMP/benchd.out" 2>"$TMP/benchd.err" &
SPID=$!
i=0
while ! grep -q '^port ' "$TMP/benchd.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$SPID" 2>/dev/null; then
		echo "fetch.sh: benchd did not start:" >&2
		cat "$TMP/benchd.out" "$TMP/benchd.err" >&2
		exit 70
	fi
	sleep 0.1
done
PORT=$(sed -n 's/^port //p' "$TMP/benchd.out")
LAST=127.0.0.$((1 + HOSTS))
# Every address must really be served (all of 127/8 is lo on Linux).
for a in 127.0.0.2 "$LAST"; do
	curl -sf -o /dev/null "http://$a:$PORT/stats" ||
		{ echo "fetch.sh: benchd does not answer on $a:$PORT" >&2; exit 70; }
done

url() { # url K: source K (1-based) on host 127.0.0.(2 + (K-1) mod HOSTS)
	echo "http://127.0.0.$((2 + ($1 - 1) % HOSTS)):$PORT/feed/$1.xml"
}
stats() { curl -s "http://127.0.0.2:$PORT/stats?reset"; }
stat_of() { # stat_of NAME "STATS LINE"
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# --- configuration and URL lists ------------------------------------------
# Sources are listed round-robin over the hosts (source K on host K mod 50),
# 4 per host, so bulletin's default per-host limit of 2 applies as on the
# real web. The "grouped" config lists the same sources host by host.
mkdir -p "$TMP/run" "$TMP/grouped"
k=1
while [ $k -le $SOURCES ]; do
	printf '[source s%03d]\ntitle = Källa %d – primärvård\nurl = %s\n\n' "$k" "$k" "$(url $k)"
	echo "url = \"$(url $k)\"" >>"$TMP/curl-full.cfg"
	echo "output = \"/dev/null\"" >>"$TMP/curl-full.cfg"
	# One operation per URL for its own header; "next" only between them
	# (a trailing one is an empty operation that aborts the whole run).
	[ $k -gt 1 ] && echo next >>"$TMP/curl-304.cfg"
	printf 'url = "%s"\noutput = "/dev/null"\nsilent\nheader = "If-None-Match: \\"bench-%d-v1\\""\n' \
		"$(url $k)" "$k" >>"$TMP/curl-304.cfg"
	k=$((k + 1))
done >"$TMP/run/sources.ini"
h=0
while [ $h -lt $HOSTS ]; do
	k=$((h + 1))
	while [ $k -le $SOURCES ]; do
		printf '[source s%03d]\ntitle = Källa %d – primärvård\nurl = %s\n\n' "$k" "$k" "$(url $k)"
		printf 'url = "%s"\noutput = "/dev/null"\n' "$(url $k)" >>"$TMP/curl-grouped.cfg"
		k=$((k + HOSTS))
	done
	h=$((h + 1))
done >"$TMP/grouped/sources.ini"
for d in run grouped; do
	cat >"$TMP/$d/bulletin.ini" <<EOF
; Written by tests/bench/fetch.sh. max_parallel = $PARALLEL matches the
; reference, curl --parallel-max $PARALLEL; max_per_host stays at its default.
[store]
path = bulletin.db
[fetch]
contact = mailto:bench@example.invalid
max_parallel = $PARALLEL
[sources]
files = sources.ini
[rules]
files = bench.rules
EOF
	printf '# One topic: bulletin fetch needs a valid config, not these rules.\ntopic x "X"\ninclude 1 primärvård\n' \
		>"$TMP/$d/bench.rules"
done

# --- timing ----------------------------------------------------------------
# timed CASE CMD...: runs CMD under /usr/bin/time (peak RSS), appends its wall
# time (date +%s.%N around it) to $TMP/CASE.t and its RSS in KiB to CASE.rss.
timed() {
	c=$1
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -o "$TMP/time.out" -f '%M' "$@" >"$TMP/cmd.out" 2>"$TMP/cmd.err"
	rc=$?
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$TMP/$c.t"
	tail -n 1 "$TMP/time.out" >>"$TMP/$c.rss"
	return $rc
}
# bulletin_run CASE DIR: one timed bulletin fetch; a failure ends the benchmark.
bulletin_run() {
	if ! timed "$1" "$BULLETIN" -c "$2/bulletin.ini" fetch; then
		echo "fetch.sh: bulletin fetch failed ($1):" >&2
		tail -n 20 "$TMP/cmd.err" >&2
		exit 1
	fi
}
# check CASE FIELD: the server saw exactly $SOURCES answers of that kind.
check() {
	s=$(stats)
	n=$(stat_of "$2" "$s")
	echo "$s" >>"$TMP/$1.stats"
	if [ "$n" != "$SOURCES" ]; then
		echo "fetch.sh: case $1: the server sent $n $2 answers, not $SOURCES ($s)" >&2
		[ "${1#bulletin}" != "$1" ] && exit 1
		BAD="$BAD $1"
	fi
}
BAD=""
# median/min/max of a case's times
summary() { sort -n "$TMP/$1.t" | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%d %.3f %.3f %.3f\n", NR, m, v[1], v[NR] }'; }
median() { summary "$1" | cut -d' ' -f2; }

echo "# bulletin fetch benchmark"
echo
echo "- $SOURCES sources on benchd.py, $PER_HOST per address over $HOSTS loopback addresses" \
	"(127.0.0.2-$LAST, port $PORT): bulletin's default per-host limit (2) applies as on the real web."
echo "- Every feed answer waits $DELAY s, then sends $(curl -s "$(url 1)" | wc -c) bytes of RSS;" \
	"304s wait the same $DELAY s (same simulated latency for bulletin and curl) unless the case says otherwise."
echo "- bulletin runs with [fetch] max_parallel = $PARALLEL to match the reference," \
	"curl --parallel --parallel-max $PARALLEL (curl has no per-host limit)."
FLOOR=$(awk -v n=$SOURCES -v p=$PARALLEL -v d=$DELAY 'BEGIN { printf "%.2f", int((n + p - 1) / p) * d }')
echo "- Lower bound for either: ceil($SOURCES/$PARALLEL) x $DELAY s = $FLOOR s."
echo "- $("$BULLETIN" --version 2>/dev/null | head -1) ($BULLETIN); $(curl --version | head -1 | cut -d' ' -f1-2);" \
	"$(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
stats >/dev/null

# (a) full fetch, fresh store each run; (b) curl parallel; interleaved so
# that drift in the machine's load hits both alike.
r=1
while [ $r -le "$RUNS" ]; do
	rm -f "$TMP/run/bulletin.db"*
	bulletin_run full "$TMP/run"
	check full ok
	timed curlpar curl -s --parallel --parallel-max $PARALLEL -K "$TMP/curl-full.cfg" ||
		BAD="$BAD curlpar"
	check curlpar ok
	rm -f "$TMP/grouped/bulletin.db"*
	bulletin_run grouped "$TMP/grouped"
	check grouped ok
	timed curlgrouped curl -s --parallel --parallel-max $PARALLEL -K "$TMP/curl-grouped.cfg" ||
		BAD="$BAD curlgrouped"
	check curlgrouped ok
	r=$((r + 1))
done

# (d) 304 run on the store of a full fetch; (e) curl parallel with If-None-Match.
rm -f "$TMP/run/bulletin.db"*
"$BULLETIN" -c "$TMP/run/bulletin.ini" fetch >/dev/null 2>"$TMP/cmd.err" ||
	{ echo "fetch.sh: bulletin fetch failed:" >&2; tail -n 20 "$TMP/cmd.err" >&2; exit 1; }
stats >/dev/null
r=1
while [ $r -le "$RUNS" ]; do
	bulletin_run nm "$TMP/run"
	check nm not_modified
	timed curlnm curl -s --parallel --parallel-max $PARALLEL -K "$TMP/curl-304.cfg" ||
		BAD="$BAD curlnm"
	check curlnm not_modified
	r=$((r + 1))
done
# (d0) the same with 304s sent at once: bulletin's own cost of a quiet week.
curl -s "http://127.0.0.2:$PORT/control?delay304=0"
r=1
while [ $r -le "$RUNS" ]; do
	bulletin_run nm0 "$TMP/run"
	check nm0 not_modified
	timed curlnm0 curl -s --parallel --parallel-max $PARALLEL -K "$TMP/curl-304.cfg" ||
		BAD="$BAD curlnm0"
	check curlnm0 not_modified
	r=$((r + 1))
done
curl -s "http://127.0.0.2:$PORT/control?delay304=$DELAY"

# (c) serial: one curl process, one URL after another (no --parallel).
if [ "$SERIAL" != 0 ]; then
	timed serial curl -s -K "$TMP/curl-full.cfg" || BAD="$BAD serial"
	check serial ok
fi

# --- report ----------------------------------------------------------------
REF=$(median curlpar)
REF304=$(median curlnm)
REF304_0=$(median curlnm0)
row() { # row LABEL CASE REFERENCE
	[ -f "$TMP/$2.t" ] || return 0
	summary "$2" | awk -v l="$1" -v ref="$3" \
		'{ printf "| %s | %d | %.3f | %.3f | %.3f | %.2f |\n", l, $1, $2, $3, $4, $2 / ref }'
}
echo "| case | runs | median wall s | min | max | ratio to curl parallel |"
echo "|---|---:|---:|---:|---:|---:|"
row "(a) bulletin fetch, fresh store" full "$REF"
row "(b) curl --parallel --parallel-max $PARALLEL" curlpar "$REF"
row "(c) curl serial, one process (1 run only: ~50 s)" serial "$REF"
row "(d) bulletin fetch again: all 304 (after $DELAY s)" nm "$REF304"
row "(e) curl parallel, If-None-Match: all 304 (after $DELAY s)" curlnm "$REF304"
row "(d0) bulletin fetch again: all 304 at once" nm0 "$REF304_0"
row "(e0) curl parallel, If-None-Match: all 304 at once" curlnm0 "$REF304_0"
row "(a') bulletin fetch, sources listed host by host" grouped "$REF"
row "(b') curl parallel, URLs listed host by host" curlgrouped "$REF"
echo
echo "Ratios of (d)/(e) and (d0)/(e0) are to the curl row of the same kind; all others to (b)."
echo "(a') and (b') list the same sources host by host instead of round-robin:"
echo "a diagnostic of scheduling under the per-host limit, not part of the goal."
echo
rssmed() { sort -n "$TMP/$1.rss" | awk '{ v[NR] = $1 } END { printf "%.1f MiB (median of %d; max %.1f)", v[int((NR + 1) / 2)] / 1024, NR, v[NR] / 1024 }'; }
echo "Peak RSS: bulletin fetch full $(rssmed full); 304 $(rssmed nm);" \
	"curl --parallel $(rssmed curlpar)."
for c in full curlpar grouped curlgrouped nm; do
	echo "Server, last $c run: $(tail -n 1 "$TMP/$c.stats")"
done
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
FULL=$(median full)
NM=$(median nm)
NM0=$(median nm0)
awk -v a="$FULL" -v b="$REF" -v d="$NM" -v e="$REF304" -v d0="$NM0" 'BEGIN {
	printf "Verdict: full fetch %.3f s = %.2fx curl parallel (goal <= 1.2x): %s. ", a, a / b, a <= 1.2 * b ? "MET" : "MISSED"
	printf "304 run %.3f s with 304s sent at once (goal < 1 s): %s", d0, d0 < 1 ? "MET" : "MISSED"
	printf "; with every 304 after the same %s s delay %.3f s = %.2fx curl (floor %s s).\n", '"$DELAY"', d, d / e, "'"$FLOOR"'"
}'
if [ -n "$BAD" ]; then
	echo "Note: curl failed or got unexpected answers in:$BAD (see above)."
fi
exit 0
