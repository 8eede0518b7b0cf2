# Sourced by the integration tests after setting $top: a scratch folder
# ($work, kept when KEEP_WORK is set), the local servers (servers.sh) and
# TAP output. End a test with tap_done.
: "${BULLETIN:?set BULLETIN to the binary}"
work=$(mktemp -d)
SERVERS_DIR=$work
. "$top/tests/servers/servers.sh"
trap 'servers_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
# A signal ends the test (through the EXIT trap) instead of resuming it.
trap 'exit 143' INT TERM
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
tap_done() { echo "1..$n"; [ "$failed" -eq 0 ]; }
