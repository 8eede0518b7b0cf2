#!/bin/sh
# Sums the results files of the plain and sanitizer runs into the one line
# `make check` ends with ("N passed, N failed, N skipped"), after the
# skipped tests by name; fails when anything failed, never for a skip.
pass=0 fail=0 skip=0
for f in "$@"; do
	if [ ! -f "$f" ]; then echo "missing results: $f" >&2; fail=$((fail + 1)); continue; fi
	read -r p x s < "$f"
	pass=$((pass + p)); fail=$((fail + x)); skip=$((skip + s))
	sed -n '2,$p' "$f"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
