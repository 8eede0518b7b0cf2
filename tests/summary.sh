#!/bin/sh
# Sums the results files of the plain and sanitizer runs into the one line
# `make check` ends with, and fails when anything failed.
pass=0 fail=0 skip=0
for f in "$@"; do
	if [ ! -f "$f" ]; then echo "missing results: $f" >&2; fail=$((fail + 1)); continue; fi
	read -r p x s < "$f"
	pass=$((pass + p)); fail=$((fail + x)); skip=$((skip + s))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
