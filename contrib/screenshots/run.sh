#!/bin/sh
# `make screenshots`: renders the demo's HTML digest in headless Chromium
# (Debian: chromium) to PNGs at a phone width (390 px) and a desktop width
# (1280 px), into build/screenshots/. Needs `make demo` first. Optional:
# not part of `make check`, and it says so and stops when Chromium is
# missing. Chromium runs with a fresh profile and without its background
# connections, which a machine without a network refuses many at a time.
#
# Then what a phone shows of the archive's calendar.ics subscription:
# ics-view.py reads it with Python's icalendar (python3-icalendar) into an
# agenda page, shot at the phone's width (calendar-390.png). CALENDAR_ICS
# names another calendar.ics, CALENDAR_FROM (YYYY-MM-DD) the first day shown.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/screenshots
html=$(ls -t "$top"/build/demo/archive/digest-*.html 2>/dev/null | head -n 1)
if [ -z "$html" ]; then
	echo "screenshots: no digest in build/demo/archive: run make demo first" >&2
	exit 1
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
	echo "screenshots: Chromium is not installed (Debian: apt-get install chromium)" >&2
	exit 1
fi
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for w in 390 1280; do
	for scheme in light dark; do
		png=$out/digest-$w-$scheme.png
		flags=""
		[ "$scheme" = dark ] && flags="--force-dark-mode --blink-settings=preferredColorScheme=0"
		# shellcheck disable=SC2086
		"$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars $flags \
			--disable-quic --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --user-data-dir="$profile" \
			--window-size="$w,2400" --screenshot="$png" "file://$html" >/dev/null 2>&1 ||
			{ echo "screenshots: $browser failed for $png" >&2; exit 1; }
		echo "$png"
	done
done
ics=${CALENDAR_ICS:-$top/build/demo/archive/calendar.ics}
if [ ! -s "$ics" ]; then
	echo "screenshots: no $ics: the calendar view is left out" >&2
	exit 0
fi
view=$out/calendar.html
/usr/bin/python3 "$top/contrib/screenshots/ics-view.py" "$ics" "$view" ${CALENDAR_FROM:+"$CALENDAR_FROM"} ||
	{ echo "screenshots: ics-view.py could not read $ics (python3-icalendar?)" >&2; exit 1; }
png=$out/calendar-390.png
"$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --window-size=390,1400 --screenshot="$png" "file://$view" >/dev/null 2>&1 ||
	{ echo "screenshots: $browser failed for $png" >&2; exit 1; }
echo "$png"
