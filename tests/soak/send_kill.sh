#!/bin/sh
# make soak: the kill -9 campaign over `bulletin send` (issue 13). Two
# campaigns of tests/integration/send_crash.sh, each until 30 kills have
# landed: 50 members at full speed, then 20 members behind a sink that
# answers every final "." 0.1 s late (kills land while it waits) and one
# member's 2 s late, past data_timeout = 1 (in doubt every round, by the
# clock rather than a kill). Prints each campaign's figures: members
# mailed exactly once, in doubt (and how many of those had the message),
# mailed twice, lost. Fails when any member was mailed twice or lost.
BULLETIN=${1:-build/bulletin}
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
export BULLETIN
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
printf '%-34s %6s %6s %12s %9s %17s %10s %5s\n' campaign rounds kills "mailed once" "in doubt" "(of them had it)" duplicates lost
for mode in plain slow; do
	if [ $mode = plain ]; then
		CRASH_ROUNDS=30 CRASH_MEMBERS=50 sh "$here/../integration/send_crash.sh" > "$out" 2>&1 || rc=1
		name="50 members, full speed"
	else
		CRASH_ROUNDS=30 CRASH_MEMBERS=20 CRASH_SLOW=0.1 CRASH_LATE=m7@example.se \
			sh "$here/../integration/send_crash.sh" > "$out" 2>&1 || rc=1
		name="20 members, final reply late"
	fi
	f=$(sed -n 's/^# figures: //p' "$out")
	if [ -z "$f" ]; then
		echo "$name: no figures; its output:" >&2
		cat "$out" >&2
		rc=1
		continue
	fi
	get() { echo "$f" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	printf '%-34s %6s %6s %12s %9s %17s %10s %5s\n' "$name" "$(get rounds)" "$(get kills)" \
		"$(get mailed_once)" "$(get in_doubt)" "$(get in_doubt_received)" "$(get duplicates)" "$(get lost)"
	grep -E '^not ok|^# round|^#   ' "$out" >&2
done
exit $rc
