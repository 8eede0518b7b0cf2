#!/bin/sh
# `make screenshots`: the demo's digest as members see it, in headless
# Chromium (Debian: chromium): the HTML part of the mail an sv member and
# an nb member got (build/demo/maildir, the member list's language
# column), at a phone's width (375 px) and a desktop's (1280 px), in the
# light and the dark scheme (prefers-color-scheme), into
# build/screenshots/digest-LANG-WIDTH-SCHEME.png, each as tall as the
# message. Needs `make demo` first. Optional: not part of `make check`,
# and it says so and stops when Chromium is missing. Chromium runs with a
# fresh profile and without its background connections, which a machine
# without a network refuses many at a time. A message wider than the
# screen (it would scroll sideways) is reported.
#
# Then what a phone shows of the archive's calendar.ics subscription:
# ics-view.py reads it with Python's icalendar (python3-icalendar) into an
# agenda page, shot at the phone's width (calendar-390.png). CALENDAR_ICS
# names another calendar.ics, CALENDAR_FROM (YYYY-MM-DD) the first day shown.
#
# And the chair's review: review-copy-sv-1280.png (the copy the reviewer
# got) and review-digest-sv-1280.png (the members' digest after her edits).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/screenshots
maildir=$top/build/demo/maildir/new
if [ -z "$(ls "$maildir" 2>/dev/null)" ]; then
	echo "screenshots: no mail in build/demo/maildir: run make demo first" >&2
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
# chrome ARGS...: headless Chromium, quiet, on the fresh profile.
chrome() {
	"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$profile" "$@" 2>/dev/null
}
wide=0
for lang in sv nb; do
	for w in 375 1280; do
		for scheme in light dark; do
			png=$out/digest-$lang-$w-$scheme.png
			page=$out/digest-$lang-$w.html
			flags=""
			[ "$scheme" = dark ] && flags="--force-dark-mode --blink-settings=preferredColorScheme=0"
			/usr/bin/python3 "$top/contrib/screenshots/mail-page.py" "$maildir" "$lang" "$w" "$page" ||
				exit 1
			# shellcheck disable=SC2086
			size=$(chrome $flags --window-size="$w,800" --virtual-time-budget=3000 --dump-dom \
				"file://$page" | sed -n 's/.*data-size="\([0-9. ]*\)".*/\1/p')
			set -- $size
			if [ $# -lt 3 ]; then
				echo "screenshots: $browser could not lay out $page" >&2
				exit 1
			fi
			h=${3%.*}
			[ "$1" -le "$w" ] || { echo "screenshots: $lang at $w px is $1 px wide: it scrolls sideways" >&2; wide=1; }
			/usr/bin/python3 "$top/contrib/screenshots/mail-page.py" "$maildir" "$lang" "$w" "$page" "$h" ||
				exit 1
			# shellcheck disable=SC2086
			chrome $flags --window-size="$w,$h" --virtual-time-budget=3000 --screenshot="$png" \
				"file://$page" >/dev/null ||
				{ echo "screenshots: $browser failed for $png" >&2; exit 1; }
			echo "$png"
		done
	done
done
# The chair's review (issue 20): the review copy and the digest members got
# after her edits (contrib/screenshots/review.sh), at the desktop's width.
set -- $(sh "$top/contrib/screenshots/review.sh" "$top/build/bulletin") || exit 1
for shot in "review-copy-sv:$1" "review-digest-sv:$2"; do
	name=${shot%%:*} msg=${shot#*:}
	page=$out/$name.html
	/usr/bin/python3 "$top/contrib/screenshots/mail-page.py" "$msg" - 1280 "$page" || exit 1
	size=$(chrome --window-size=1280,800 --virtual-time-budget=3000 --dump-dom "file://$page" |
		sed -n 's/.*data-size="\([0-9. ]*\)".*/\1/p')
	set -- $size
	[ $# -ge 3 ] || { echo "screenshots: $browser could not lay out $page" >&2; exit 1; }
	h=${3%.*}
	/usr/bin/python3 "$top/contrib/screenshots/mail-page.py" "$msg" - 1280 "$page" "$h" || exit 1
	chrome --window-size="1280,$h" --virtual-time-budget=3000 --screenshot="$out/$name-1280.png" \
		"file://$page" > /dev/null || { echo "screenshots: $browser failed for $name" >&2; exit 1; }
	echo "$out/$name-1280.png"
done
ics=${CALENDAR_ICS:-$top/build/demo/archive/calendar.ics}
if [ ! -s "$ics" ]; then
	echo "screenshots: no $ics: the calendar view is left out" >&2
	exit $wide
fi
view=$out/calendar.html
/usr/bin/python3 "$top/contrib/screenshots/ics-view.py" "$ics" "$view" ${CALENDAR_FROM:+"$CALENDAR_FROM"} ||
	{ echo "screenshots: ics-view.py could not read $ics (python3-icalendar?)" >&2; exit 1; }
png=$out/calendar-390.png
chrome --window-size=390,1400 --screenshot="$png" "file://$view" >/dev/null ||
	{ echo "screenshots: $browser failed for $png" >&2; exit 1; }
echo "$png"
exit $wide
