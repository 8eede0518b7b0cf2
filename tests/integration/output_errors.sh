#!/bin/sh
# Output nobody could write is an error: every verb that prints, pointed at
# a full disk (/dev/full), exits 74 with one message naming standard output,
# never 0 (issue 14). Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
if [ ! -w /dev/full ]; then
	ok "verbs exit 74 on a full disk # SKIP /dev/full is not here"
	tap_done
	exit
fi
cat > "$work/items.jsonl" <<'J'
{"key":"a","url":"https://example.se/a","title":"Vårdcentralen i Skärholmen får fler fastläkare"}
J
printf '{{title}}\n' > "$work/t.mustache"
printf '{"title":"Primärvårdsnytt"}\n' > "$work/d.json"
printf '<rss version="2.0"><channel><item><title>Vårdcentral</title><link>https://example.se/x</link></item></channel></rss>\n' > "$work/f.xml"
full() {
	name=$1; shift
	"$BULLETIN" "$@" > /dev/full 2> "$work/err"
	rc=$?
	if [ $rc -eq 74 ] && grep -q 'standard output\|stdout\|No space left' "$work/err"; then
		ok "$name > /dev/full exits 74"
	else
		not_ok "$name > /dev/full exits 74" "exit $rc: $(head -3 "$work/err")"
	fi
}
full "--help" --help
full "--version" --version
full "config keys" config keys
full "rules list" rules list -r "$top/feeds/primarvard.rules"
full "rules check" rules check -r "$top/feeds/primarvard.rules"
full "rules test" rules test -r "$top/feeds/primarvard.rules" "$work/items.jsonl"
full "render" render "$work/t.mustache" --data "$work/d.json"
full "parse" parse "$work/f.xml"
tap_done
