#!/bin/sh
# The fuzz corpora as regression tests, without clang: each target built
# as a plain program by `make tests` (BUILD/fuzz-replay/, tests/fuzz/replay.c)
# runs every input of tests/fuzz/corpus/TARGET/ once, crash inputs kept
# from fuzzing included; under the sanitizer build a bad read or leak
# fails here. The messages fuzz_mail makes from its corpus are then read
# with Python's email parser (tests/fuzz/check_mail.py): no defect allowed.
# Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
build=$(dirname "$BULLETIN")
cd "$top" || exit 1

for t in fuzz_config fuzz_members fuzz_mustache fuzz_archive_json fuzz_mail fuzz_jsonl; do
	b=$build/fuzz-replay/$t
	if [ ! -x "$b" ]; then
		not_ok "$t: corpus replays" "$b is not built (make tests)"
		continue
	fi
	k=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
	mkdir -p "$work/$t"
	if FUZZ_MAIL_OUT=$work/$t "$b" "tests/fuzz/corpus/$t" > "$work/out" 2> "$work/err" &&
		grep -q "^$k inputs\$" "$work/out"; then
		ok "$t: the $k inputs of its corpus run clean"
	else
		not_ok "$t: corpus replays" "$(tail -n 15 "$work/err"; cat "$work/out")"
	fi
done

k=$(find "$work/fuzz_mail" -name '*.eml' | wc -l)
if /usr/bin/python3 tests/fuzz/check_mail.py "$work/fuzz_mail" > "$work/check" 2>&1; then
	ok "fuzz_mail: Python's email parser finds no defect in its $k messages"
else
	not_ok "fuzz_mail: no defect in the messages" "$(tail -n 20 "$work/check")"
fi
tap_done
