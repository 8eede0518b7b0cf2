#!/bin/sh
# Runs every unit test binary and integration script of one build; each
# prints TAP ("ok N - name" / "not ok N - name"). A binary that dies without
# a plan counts as one failure. Writes "PASS FAIL SKIP" to BUILD/results.txt
# and echoes the TAP with a per-run prefix.
BUILD=${1:-build}
TAG=${2:-plain}
BULLETIN=$(cd "$BUILD" && pwd)/bulletin
export BULLETIN
pass=0 fail=0 skip=0
log="$BUILD/test-$TAG.log"
: > "$log"
run_one() {
	name=$1; shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed "s|^|[$TAG $name] |" >> "$log"
	p=$(printf '%s\n' "$out" | grep -c '^ok ' )
	s=$(printf '%s\n' "$out" | grep -c '^ok .*# *[Ss][Kk][Ii][Pp]')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	p=$((p - s))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "[$TAG $name] not ok - $name exited with status $rc" >> "$log"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" != 0 ]; then
		printf '%s\n' "$out" | grep -E '^not ok|ERROR|error|Sanitizer|runtime error' | head -20 | sed "s|^|[$TAG $name] |" >&2
		echo "FAIL [$TAG] $name ($f failed)" >&2
	else
		echo "ok   [$TAG] $name ($p passed, $s skipped)" >&2
	fi
}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	CMOCKA_MESSAGE_OUTPUT=TAP run_one "$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" sh "$t"
done
echo "$pass $fail $skip" > "$BUILD/results.txt"
echo "$TAG: $pass passed, $fail failed, $skip skipped" >&2
[ "$fail" = 0 ]
