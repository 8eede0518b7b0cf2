#!/bin/sh
# The tree shows the pipeline: every lib/ module sits in a stage folder with
# a README, and no include points back up the pipeline (a stage including a
# later one; scripts/include-graph.sh). Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
loose=$(find "$top/lib" -maxdepth 1 -name '*.[ch]' | wc -l)
check "no module loose in lib/ ($loose)" [ "$loose" -eq 0 ]
for d in "$top"/lib/*/; do
	s=$(basename "$d")
	check "lib/$s/ has a README" [ -s "$d/README.md" ]
done
if out=$(sh "$top/scripts/include-graph.sh" 2>&1); then
	ok "no include points back up the pipeline"
else
	not_ok "no include points back up the pipeline" "$(echo "$out" | grep "BACK\|PRIVATE")"
fi
# A module's header is included by its folder name, so the graph is complete.
bare=$(grep -rn '#include "[a-z_]*\.h"' "$top/lib" | head -5)
check "every lib include names its folder" [ -z "$bare" ]
tap_done
