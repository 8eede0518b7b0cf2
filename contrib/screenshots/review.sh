#!/bin/sh
# Part of `make screenshots` (issue 20): the chair's review on the demo's
# sources, as a chair would do it in one week, into build/review-demo/:
# `bulletin run` with [review] mails the review copy to the chair (and
# nothing to members); the chair drops item 2, pins item 7 and writes a
# note; `bulletin review approve` sends the members' digest. Prints the
# two messages to shoot: the review copy, then Åsa's (sv) digest.
#   review.sh BULLETIN
set -u
BULLETIN=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/build/review-demo
rm -rf "$work"
mkdir -p "$work/feeds" "$work/maildir"
SERVERS_DIR=$work
. "$top/tests/servers/servers.sh"
trap servers_stop EXIT
trap 'exit 143' INT TERM
start_http "$top/contrib/demo/site" > /dev/null || exit 1
start_smtp "$work/maildir" > /dev/null || exit 1
( cd "$top" && fill_template contrib/demo/bulletin.ini "$work/bulletin.ini" &&
	fill_template contrib/demo/feeds/demo.ini "$work/feeds/demo.ini" ) || exit 1
cp "$top/contrib/demo/members.csv" "$work/members.csv"
printf '\n[review]\nreviewers = ordforande@dlf-sthlm.example.se\n' >> "$work/bulletin.ini"
b() { "$BULLETIN" -q -c "$work/bulletin.ini" "$@"; }
b run >&2 || [ $? -eq 1 ] || exit 1
copy=$(grep -l '^To: .*ordforande@' "$work"/maildir/new/* | head -n 1)
b review drop 2 >&2 && b review pin 7 >&2 &&
	printf 'Kom ihåg **årsmötet** den 12 mars kl. 18.00 på Läkarhuset. Anmäl dig till styrelsen senast 1 mars.\n' |
	b review note - >&2 && b review approve >&2 || exit 1
member=$(grep -l '^To: .*asa.lindstrom@' "$work"/maildir/new/* | head -n 1)
[ -n "$copy" ] && [ -n "$member" ] || { echo "review.sh: a message is missing" >&2; exit 1; }
echo "$copy"
echo "$member"
