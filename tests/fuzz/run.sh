#!/bin/sh
# make fuzz: runs each fuzz target for FUZZ_SECONDS and prints one summary
# line per target (executions, coverage, crashes), so a campaign's figures
# can be collected: sh tests/fuzz/run.sh BUILD_DIR TARGET...
#
# Each target's working corpus is BUILD_DIR/TARGET.corpus, seeded from
# tests/fuzz/corpus/TARGET/ (and, for the feed parsers, the fixtures); it
# grows from run to run. Options: a target's source may carry a line
# "/* fuzz-options: -max_len=N ... */"; tests/fuzz/TARGET.dict is its
# dictionary. FUZZ_MAX_LEN (default 1100000, above the parsers' 1 MiB
# caps) applies where the target says nothing, and overrides it when set.
# FUZZ_JOBS=N runs N processes per target (libFuzzer -fork). A crash stops
# that target only; the others still run, and the exit status is 1.
set -u
bin=${1:?usage: run.sh BUILD_DIR TARGET...}
shift
secs=${FUZZ_SECONDS:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
summary=$bin/summary.txt
: > "$summary"
failed=0
for t in "$@"; do
	src=$top/tests/fuzz/$t.c
	if [ ! -x "$bin/$t" ] || [ ! -f "$src" ]; then
		echo "$t: not built" | tee -a "$summary"
		failed=1
		continue
	fi
	corpus=$bin/$t.corpus
	mkdir -p "$corpus"
	[ -d "$top/tests/fuzz/corpus/$t" ] && cp -n "$top/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	case $t in
	fuzz_charset|fuzz_feed|fuzz_html)
		cp -n "$top"/tests/fixtures/feeds/* "$top"/tests/fixtures/charset/* \
			"$top"/tests/fixtures/html/* "$corpus"/ 2>/dev/null ;;
	fuzz_mailbox)
		cp -n "$top"/tests/fixtures/mailbox/*.eml "$corpus"/ 2>/dev/null ;;
	fuzz_rules)
		cp -n "$top"/feeds/*.rules "$top"/tests/fixtures/rules/*.rules "$corpus"/ 2>/dev/null ;;
	esac
	opts=$(sed -n 's|^/\* fuzz-options: \(.*\) \*/$|\1|p' "$src" | head -1)
	case $opts in *-max_len=*) ;; *) opts="-max_len=1100000 $opts" ;; esac
	[ -n "${FUZZ_MAX_LEN:-}" ] && opts="$opts -max_len=$FUZZ_MAX_LEN"
	[ -f "$top/tests/fuzz/$t.dict" ] && opts="$opts -dict=$top/tests/fuzz/$t.dict"
	[ -n "${FUZZ_JOBS:-}" ] && opts="$opts -fork=$FUZZ_JOBS"
	stamp=$bin/$t.started
	: > "$stamp"
	echo "  FUZZ    $t (${secs} s) $opts"
	# The shipped templates and the fixtures are read relative to the top.
	(cd "$top" && BULLETIN_TEMPLATES=$top/templates "$bin/$t" -max_total_time="$secs" \
		-timeout=25 -print_final_stats=1 -artifact_prefix="$bin/$t-" $opts "$corpus") \
		> "$bin/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$bin/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$bin/$t.log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$bin/$t.log" | tail -1 | cut -d' ' -f2)
	units=$(find "$corpus" -type f | wc -l)
	crashes=$(find "$bin" -maxdepth 1 -name "$t-*" -newer "$stamp" | wc -l)
	line=$(printf '%-18s %12s executions  cov: %-6s ft: %-6s corpus: %-6s crashes: %s' \
		"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$units" "$crashes")
	echo "$line" >> "$summary"
	if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
		failed=1
		tail -n 30 "$bin/$t.log"
		echo "$t FAILED (exit $rc): see $bin/$t.log and $bin/$t-*"
	fi
done
echo "fuzz summary (${secs} s per target):"
cat "$summary"
exit $failed
