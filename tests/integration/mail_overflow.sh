#!/bin/sh
# Any width (issue 17): a digest whose news has a long unbroken compound
# word and a long URL, rendered by headless Chromium as a member's mail
# (contrib/screenshots/mail-page.py), does not scroll sideways at a
# phone's 375 px, in the light or the dark scheme, and at 1280 px its
# content is the 600 px container. Skips (as a skip) without Chromium.
# Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
names="375 px, light: no sideways scrolling|375 px, dark: no sideways scrolling|1280 px: a 600 px container"
if [ -z "$browser" ] || ! command -v sqlite3 > /dev/null; then
	echo "$names" | tr '|' '\n' | while read -r t; do ok "$t # SKIP chromium (or sqlite3) not installed"; done
	echo "1..3"
	exit 0
fi
. "$top/tests/integration/send_setup.inc"

long=Primärvårdsstrategiförfrågningsunderlagsremissvarsarbetsgruppsmötesprotokollsjusteringsanteckningarnasallmänläkarbristsfrågornasvårdcentralsläkarföreningen
url="https://www.vardgivarguiden.se/utveckling/projekt/primarvard/forfragningsunderlag-huslakarverksamhet-med-basal-hemsjukvard-2027/bilagor/$long.pdf?utm_source=nyhetsbrev&utm_medium=epost"
cat > "$work/site/lang.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Långa ord</title><link>https://vgg.example.se/</link>
<item><title>$long i primärvården</title>
<link>$(printf '%s' "$url" | sed 's/&/\&amp;/g')</link><guid>lang-1</guid>
<description>Remissen om primärvården: $(printf '%s' "$url" | sed 's/&/\&amp;/g') och $long.</description>
</item></channel></rss>
EOF
printf '[source lang]\ntitle = %s\nurl = http://127.0.0.1:%s/lang.xml\n' "$long" "$HTTP_PORT" >> "$work/cfg/sources.ini"
"$BULLETIN" -c "$cfg" fetch > /dev/null 2> "$work/fetch.err"
"$BULLETIN" -c "$cfg" send --dry-run "$work/dry" > /dev/null 2> "$work/err"
eml=$(ls "$work"/dry/*.eml 2>/dev/null | head -n 1)
/usr/bin/python3 - "${eml:-none}" "$long" <<'PY' || { echo "Bail out! the dry run's message lacks the long word"; sed 's/^/# /' "$work/err"; exit 1; }
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
sys.exit(0 if sys.argv[2] in m.get_body(("html",)).get_content() else 1)
PY

profile=$work/chromium
# size WIDTH [FLAGS...]: "scrollWidth width scrollHeight wrapWidth" of the mail at WIDTH
size() {
	w=$1
	shift
	/usr/bin/python3 "$top/contrib/screenshots/mail-page.py" "$eml" - "$w" "$work/page-$w.html" || return 1
	"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@" --window-size="$w,900" --virtual-time-budget=3000 --dump-dom \
		"file://$work/page-$w.html" 2> /dev/null | sed -n 's/.*data-size="\([0-9. ]*\)".*/\1/p'
}
# fits WIDTH [FLAGS...]: the mail is no wider than WIDTH
fits() {
	s=$(size "$@")
	set -- $s
	[ $# -eq 4 ] && [ "$1" -le "$2" ] || { echo "# size: ${s:-none} (scrollWidth, width, height, container)"; return 1; }
}
check "375 px, light: no sideways scrolling" fits 375
check "375 px, dark: no sideways scrolling" fits 375 --force-dark-mode --blink-settings=preferredColorScheme=0
wide=$(size 1280)
# shellcheck disable=SC2086
set -- $wide
check "1280 px: a 600 px container, no sideways scrolling" sh -c \
	"[ '${4:-0}' = 600 ] && [ '${1:-9999}' -le 1280 ]" || echo "# size: $wide"
tap_done
