#!/bin/sh
# The include graph of lib/ by stage, and every arrow that points back up
# the pipeline (a stage including a later one). Exit 1 when there is one,
# or when a file outside lib/store/ includes the store's private header.
cd "$(dirname "$0")/.."
order="core fetch parse store select compose deliver mailbox"
rank() { i=0; for s in $order; do [ "$s" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo 99; }
bad=0
tmp=$(mktemp)
for f in lib/*/*.[ch]; do
	from=$(echo "$f" | cut -d/ -f2)
	grep -o '#include "[a-z_]*/[a-z_]*\.h"' "$f" | sed 's|#include "\([a-z_]*\)/.*|\1|' |
	while read -r to; do
		[ "$to" = "$from" ] && continue
		echo "$from -> $to"
		if [ "$(rank "$to")" -gt "$(rank "$from")" ]; then
			echo "BACK $f includes $to/" >&2
		fi
	done
done > "$tmp" 2> "$tmp.bad"
sort "$tmp" | uniq -c | sort -k2
# store/store_db.h is the store's own files' header, not an interface.
grep -l '#include "store/store_db.h"' lib/*/*.[ch] cmd/*/*.[ch] tests/*/*.[ch] 2>/dev/null |
	grep -v '^lib/store/' | sed 's|^|PRIVATE &|; s|$| includes store/store_db.h|' >> "$tmp.bad"
if [ -s "$tmp.bad" ]; then cat "$tmp.bad"; bad=1; else echo "no arrow back up the pipeline"; fi
rm -f "$tmp" "$tmp.bad"
exit $bad
