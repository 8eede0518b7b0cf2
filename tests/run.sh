#!/bin/sh
# Runs every unit test binary and integration script of one build; each
# prints TAP ("ok N - name" / "not ok N - name"). A binary that dies without
# a plan counts as one failure. Writes "PASS FAIL SKIP" to BUILD/results.txt
# (then one line per skipped test, by name) and echoes the TAP with a
# per-run prefix.
#
# A skip is a skip: "ok N # SKIP why" (our scripts), "not ok N # SKIP name"
# (cmocka 1.1) and a script's "1..0 # SKIP why" are counted apart, never as
# failures. With CI=true a skip is a failure instead: CI has everything
# (../shared, root, the packages), so a skip there means a suite was lost.
#
# Each test runs under timeout(1) (TEST_TIMEOUT seconds, 600 by default), so
# a hang is one failure with its last lines shown, never a stalled CI run.
# Output goes to a file, not a pipe: a stray background process that keeps
# a pipe open could otherwise hold the runner forever.
#
# ONLY="name name ..." runs only those tests (unit binaries by name,
# scripts without .sh); unset, every test runs.
BUILD=${1:-build}
TAG=${2:-plain}
BULLETIN=$(cd "$BUILD" && pwd)/bulletin
export BULLETIN
limit=${TEST_TIMEOUT:-600}
strict=0
[ "${CI:-}" = true ] && strict=1
pass=0 fail=0 skip=0
log="$BUILD/test-$TAG.log"
skipped="$BUILD/skipped-$TAG.txt"
: > "$log"
: > "$skipped"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
skip_re='^(not )?ok [0-9]*[^#]*# *[Ss][Kk][Ii][Pp]|^1\.\.0 *# *[Ss][Kk][Ii][Pp]'
wanted() {
	[ -z "${ONLY:-}" ] && return 0
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}
run_one() {
	name=$1; shift
	wanted "$name" || return 0
	timeout -k 10 "$limit" "$@" > "$tmp" 2>&1 < /dev/null
	rc=$?
	sed "s|^|[$TAG $name] |" "$tmp" >> "$log"
	s=$(grep -cE "$skip_re" "$tmp")
	p=$(grep -c '^ok ' "$tmp")
	f=$(grep -c '^not ok ' "$tmp")
	sp=$(grep -cE '^ok [0-9]*[^#]*# *[Ss][Kk][Ii][Pp]' "$tmp")
	p=$((p - sp))
	f=$((f - (s - sp - $(grep -cE '^1\.\.0 *# *[Ss][Kk][Ii][Pp]' "$tmp"))))
	grep -E "$skip_re" "$tmp" | sed "s|^|[$TAG $name] |" >> "$skipped"
	if [ "$s" != 0 ] && [ "$strict" = 1 ]; then
		echo "[$TAG $name] $s skipped under CI=true, where nothing may be: counted as failed" >&2
		grep -E "$skip_re" "$tmp" | sed "s|^|[$TAG $name] |" >&2
		f=$((f + s)); s=0
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		f=$((f + 1))
		echo "[$TAG $name] not ok - $name timed out after ${limit}s" >> "$log"
		echo "[$TAG $name] timed out after ${limit}s; its last lines:" >&2
		tail -n 15 "$tmp" | sed "s|^|[$TAG $name] |" >&2
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "[$TAG $name] not ok - $name exited with status $rc" >> "$log"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" != 0 ]; then
		grep -E '^not ok|ERROR|error|Sanitizer|runtime error' "$tmp" | grep -vE "$skip_re" | head -20 | sed "s|^|[$TAG $name] |" >&2
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
{
	echo "$pass $fail $skip"
	[ "$strict" = 1 ] || sed 's/^/skipped: /' "$skipped"
} > "$BUILD/results.txt"
[ "$skip" = 0 ] || sed 's/^/skipped: /' "$skipped" >&2
echo "$TAG: $pass passed, $fail failed, $skip skipped" >&2
[ "$fail" = 0 ]
