#!/bin/sh
# tests/run.sh and tests/summary.sh (issue 13): a skip is counted apart and
# named, never as a failure, in every TAP form our tests print (cmocka's
# "not ok N # SKIP", a script's "ok N # SKIP" and "1..0 # SKIP"); the run
# exits 0 when nothing failed. With CI=true a skip is a failure. ONLY
# names the tests to run (.ci/run's pass without the shared folder).
set -u
unset ONLY # the runner under test runs its own tests, whatever ran this one
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A build folder of its own, and no integration scripts: the runner looks
# for tests/integration/*.sh under the folder it runs in.
mkdir -p "$work/b/tests" "$work/tests/integration"
: > "$work/b/bulletin"
printf '#!/bin/sh\necho 1..3\necho "ok 1 - a"\necho "not ok 2 # SKIP spec_comments"\necho "ok 3 - c # SKIP no man(1)"\n' > "$work/b/tests/test_cmocka"
printf '#!/bin/sh\necho "1..0 # SKIP needs root"\n' > "$work/b/tests/test_whole"
chmod +x "$work/b/tests/test_cmocka" "$work/b/tests/test_whole"
cd "$work" || exit 1
env -u CI sh "$top/tests/run.sh" b plain > /dev/null 2> err; rc=$?
check "three skips and one pass: exit 0" [ $rc -eq 0 ]
check "results: 1 passed, 0 failed, 3 skipped" [ "$(head -n 1 b/results.txt)" = "1 0 3" ]
check "each skipped test named in the results" sh -c "[ \$(grep -c '^skipped: \[plain test_' b/results.txt) -eq 3 ] && grep -q 'SKIP spec_comments' b/results.txt && grep -q 'needs root' b/results.txt"
sh "$top/tests/summary.sh" b/results.txt > sum; rc=$?
check "summary: exit 0, last line '1 passed, 0 failed, 3 skipped'" sh -c "[ $rc -eq 0 ] && [ \"\$(tail -n 1 sum)\" = '1 passed, 0 failed, 3 skipped' ]"
check "summary lists the skipped tests by name" grep -q 'test_cmocka.*SKIP spec_comments' sum
CI=true sh "$top/tests/run.sh" b plain > /dev/null 2> err; rc=$?
check "CI=true: a skip is a failure (exit 1, 3 failed)" sh -c "[ $rc -ne 0 ] && [ \"\$(head -n 1 b/results.txt)\" = '1 3 0' ]"
check "CI=true: says why" grep -q 'skipped under CI=true' err
printf '#!/bin/sh\necho 1..1\necho "not ok 1 - broken"\n' > b/tests/test_whole
env -u CI sh "$top/tests/run.sh" b plain > /dev/null 2> err; rc=$?
check "a real failure still fails (exit 1, 1 failed)" sh -c "[ $rc -ne 0 ] && [ \"\$(head -n 1 b/results.txt)\" = '1 1 2' ]"
env -u CI ONLY=test_cmocka sh "$top/tests/run.sh" b plain > /dev/null 2> err; rc=$?
check "ONLY=test_cmocka: the broken test is not run (exit 0, 1 passed, 2 skipped)" sh -c "[ $rc -eq 0 ] && [ \"\$(head -n 1 b/results.txt)\" = '1 0 2' ] && ! grep -q test_whole err"
echo "1..$n"
[ "$failed" -eq 0 ]
