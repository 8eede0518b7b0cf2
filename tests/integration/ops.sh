#!/bin/sh
# Running from cron unattended: the run lock, state paths, silence on
# success, `bulletin status`, and a second run in the same period. Local
# servers only. Prints TAP. No test asserts a time.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

mkdir -p "$work/xdg"
set -- --fail-rcpt asa.lindstrom@example.se:550 # the sink's fault options
. "$top/tests/integration/pipeline_setup.inc"
# Nothing here may write to the real home.
export XDG_STATE_HOME="$work/xdg" HOME="$work/home"
cfg=$work/cfg/bulletin.ini
lock=$work/cfg/state/bulletin.db.lock
mails() { ls "$work/maildir/new" 2>/dev/null | wc -l; }
# with_wait SECONDS: the config with [store] lock_wait set.
with_wait() {
	sed "s|^\[store\]$|[store]\nlock_wait = $1|" "$cfg" > "$work/cfg/wait$1.ini"
	echo "$work/cfg/wait$1.ini"
}
# lock_held: true once some process holds the lock (at most ~10 s).
lock_held() {
	i=0
	while [ $i -lt 100 ]; do
		[ -e "$lock" ] && ! flock -n "$lock" true && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1. The lock held by another process (flock(1) standing in for a run).
if command -v flock > /dev/null; then
	mkdir -p "$work/cfg/state"
	: > "$lock"
	# The holder waits for a file, not a timer: a killed flock(1) would
	# leave its child holding the lock.
	flock "$lock" sh -c "while [ ! -e '$work/release' ]; do sleep 0.1; done" &
	holder=$!
	lock_held
	"$BULLETIN" -c "$(with_wait 0)" run > "$work/out" 2> "$work/err"
	rc=$?
	check "lock held, lock_wait = 0: exit 75 at once" [ $rc -eq 75 ]
	check "lock held: one message naming the lock file" sh -c \
		"[ \$(wc -l < '$work/err') -eq 1 ] && grep -q 'holds $lock' '$work/err'"
	check "lock held: nothing fetched, stored or sent" sh -c \
		"[ ! -e '$work/cfg/state/bulletin.db' ] && [ $(mails) -eq 0 ]"
	"$BULLETIN" -c "$(with_wait 1)" run > "$work/out" 2> "$work/err"
	check "lock held, lock_wait = 1: waits, then exit 75" [ $? -eq 75 ]
	"$BULLETIN" -c "$(with_wait 0)" sources > "$work/out" 2> "$work/err"
	check "lock held: read-only verbs (sources) still work" [ $? -eq 0 ]
	touch "$work/release"
	wait "$holder" 2> /dev/null
else
	ok "lock held by another process # SKIP no flock(1)"
fi

# 2. Two runs at once: a slow source keeps the first one busy.
printf '[source slow]\nurl = http://127.0.0.1:%s/_/slow/4\n' "$HTTP_PORT" >> "$work/cfg/sources.ini"
"$BULLETIN" -c "$cfg" run > "$work/a.out" 2> "$work/a.err" &
pid_a=$!
if lock_held; then
	"$BULLETIN" -c "$(with_wait 0)" run > "$work/b.out" 2> "$work/b.err"
	rc=$?
	check "second run, lock_wait = 0: exit 75" [ $rc -eq 75 ]
	check "second run: the message names the lock file and the first run's pid" \
		grep -q "(pid $pid_a) holds $lock" "$work/b.err"
	"$BULLETIN" -c "$(with_wait 120)" run > "$work/c.out" 2> "$work/c.err" &
	pid_c=$!
else
	not_ok "the first run took the lock"
	pid_c=
fi
wait "$pid_a"
rc_a=$?
check "first run: exit 1 (failing sources), not a crash" [ $rc_a -eq 1 ]
if [ -n "$pid_c" ]; then
	wait "$pid_c"
	rc_c=$?
	check "third run, lock_wait = 120: waited for the lock and ran (exit 0 or 1)" sh -c \
		"[ $rc_c -le 1 ] && ! grep -q 'gave up' '$work/c.err'"
	check "third run: nothing new, nothing sent" grep -q 'nothing sent' "$work/c.err"
fi
check "three runs: one mail only (the chair's; the other member's address is refused)" \
	[ "$(mails)" -eq 1 ]
check "the lock file is left empty (no stale pid)" [ ! -s "$lock" ]

# 3. The chair's report names the failing sources and the refused member.
"$BULLETIN" -c "$cfg" status > "$work/status" 2> "$work/err"
rc=$?
check "status: exit 0, nothing on stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$work/err' ]" 
check "status: the failing sources with their URLs and runs in a row" sh -c \
	"grep -q '^  failing: refused (http://127.0.0.1:$REFUSED_PORT/feed.xml), 2 runs in a row' '$work/status' &&
	 grep -q '^  failing: not-a-feed (.*), 2 runs in a row' '$work/status' &&
	 grep -q '^  failing: slow (.*), 2 runs in a row' '$work/status'"
check "status: fetched and failed counts" grep -q '^Sources: 6 fetched, 3 failed' "$work/status"
check "status: the next digest's preview (nothing new yet)" grep -q '^Next digest .*: 0 new, 0 selected' "$work/status"
check "status: no rule listed as unused when the period has no items" grep -q '^Rules: no items in the period yet' "$work/status"
check "status: the last digest's subject and counts" sh -c \
	"grep -q '^Last digest: \"Primärvårdsnytt' '$work/status' && grep -q '^  1 sent, 1 failed, 0 to retry, 0 in doubt' '$work/status'"
check "status: the refused member with the server's reply" grep -q '^  failed: asa.lindstrom@example.se: 550' "$work/status"
[ "$failed" -eq 0 ] || sed 's/^/#   /' "$work/status"

# 4. A clean setup: silent on success, and a second run in the period sends
#    nothing and says so in one line.
sed -n '/^\[source dlf-stockholm\]/,/^\[source not-a-feed\]/p' "$work/cfg/sources.ini" | sed '$d' > "$work/cfg/good.ini"
printf 'email,name\noystein.brathen@example.no,Øystein\n' > "$work/cfg/good.csv"
sed -e 's|^path = .*|path = clean/bulletin.db|' -e 's|^files = sources.ini|files = good.ini|' \
	-e 's|^file = members.csv|file = good.csv|' -e 's|^archive = archive|archive = clean/archive|' \
	"$cfg" > "$work/cfg/clean.ini"
"$BULLETIN" -c "$work/cfg/clean.ini" status > /dev/null 2>&1
check "status before any run: exit 66 (no store yet), none created" sh -c \
	"[ $? -eq 66 ] && [ ! -e '$work/cfg/clean/bulletin.db' ]"
"$BULLETIN" -c "$work/cfg/clean.ini" fetch > /dev/null 2>&1
"$BULLETIN" -c "$work/cfg/clean.ini" status > "$work/status" 2> "$work/err"
check "status after a fetch: new and selected items, per topic" sh -c \
	"grep -q '^Next digest (items first seen since the start): [1-9][0-9]* new, [1-9][0-9]* selected' '$work/status' &&
	 grep -q '^  [^ ].*: [1-9][0-9]*\$' '$work/status'"
check "status after a fetch: the include rules that matched nothing, with file:line" sh -c \
	"grep -q '^Rules that matched nothing in the period: [1-9][0-9]* of [1-9][0-9]* include rules' '$work/status' &&
	 grep -q '^  .*primarvard.rules:[0-9]*: ' '$work/status'"
check "status after a fetch: no digest yet" grep -q '^Last digest: none sent yet' "$work/status"
[ "$failed" -eq 0 ] || sed 's/^/#   /' "$work/status"
before=$(mails)
"$BULLETIN" -c "$work/cfg/clean.ini" run > "$work/out" 2> "$work/err"
rc=$?
check "clean run: exit 0" [ $rc -eq 0 ]
check "clean run: silent (stderr is not a terminal), stdout empty" sh -c "[ ! -s '$work/err' ] && [ ! -s '$work/out' ]"
[ -s "$work/err" ] && sed 's/^/#   /' "$work/err"
check "clean run: one mail" [ "$(mails)" -eq $((before + 1)) ]
"$BULLETIN" -c "$work/cfg/clean.ini" run > "$work/out" 2> "$work/err"
rc=$?
check "second run in the period: exit 0" [ $rc -eq 0 ]
check "second run: one line saying nothing was sent" sh -c \
	"[ \$(wc -l < '$work/err') -eq 1 ] && grep -q 'no new items selected since .*; nothing sent' '$work/err'"
check "second run: nobody mailed twice" [ "$(mails)" -eq $((before + 1)) ]
"$BULLETIN" -c "$work/cfg/clean.ini" -v run > "$work/out" 2> "$work/err"
"$BULLETIN" -v -c "$work/cfg/clean.ini" run > "$work/out" 2> "$work/err"
check "-v: says more" sh -c "[ \$(wc -l < '$work/err') -gt 1 ]"
"$BULLETIN" -q -c "$work/cfg/clean.ini" fetch > "$work/out" 2> "$work/err"
check "-q fetch: silent" [ ! -s "$work/err" ]

# 5. State paths default to $XDG_STATE_HOME/bulletin, else ~/.local/state.
mkdir -p "$work/bare"
printf '[rules]\nfiles = %s/feeds/primarvard.rules\n' "$top" > "$work/bare/bulletin.ini"
"$BULLETIN" -c "$work/bare/bulletin.ini" members unsubscribe x@example.org > /dev/null 2> "$work/err"
rc=$?
check "no store named: the store and its lock in \$XDG_STATE_HOME/bulletin" sh -c \
	"[ $rc -eq 0 ] && [ -f '$work/xdg/bulletin/bulletin.db' ] && [ -f '$work/xdg/bulletin/bulletin.db.lock' ] &&
	 [ ! -e '$work/bare/bulletin.db' ]"
env -u XDG_STATE_HOME "$BULLETIN" -c "$work/bare/bulletin.ini" members unsubscribe x@example.org > /dev/null 2> "$work/err"
check "no store named, no XDG_STATE_HOME: ~/.local/state/bulletin" \
	[ -f "$work/home/.local/state/bulletin/bulletin.db" ]
env -u XDG_STATE_HOME -u HOME "$BULLETIN" -c "$work/bare/bulletin.ini" members unsubscribe x@example.org > /dev/null 2> "$work/err"
rc=$?
check "no store named, no HOME either: exit 78 asking for a path" sh -c \
	"[ $rc -eq 78 ] && grep -q 'set path in \[store\]' '$work/err'"
BULLETIN_DATADIR=$work/nowhere "$BULLETIN" -c "$work/bare/bulletin.ini" digest --days 1 --format text > "$work/out" 2> "$work/err"
rc=$?
check "no templates named, none beside the config, none installed: exit 78 naming the installed path" sh -c \
	"[ $rc -eq 78 ] && grep -q '$work/nowhere/templates/subject.mustache' '$work/err'"
BULLETIN_DATADIR=$top "$BULLETIN" -c "$work/bare/bulletin.ini" digest --days 1 --format text > "$work/out" 2> "$work/err"
rc=$?
check "BULLETIN_DATADIR in the environment: its templates are used" sh -c \
	"[ $rc -eq 0 ] && grep -q '^Subject: ' '$work/out'"
mkdir -p "$work/bare/templates"
cp "$top"/templates/* "$work/bare/templates/"
sed -i 's|^|Beside: |' "$work/bare/templates/subject.mustache"
BULLETIN_DATADIR=$top "$BULLETIN" -c "$work/bare/bulletin.ini" digest --days 1 --format text > "$work/out" 2> "$work/err"
check "templates/ beside the config wins over the installed ones" grep -q '^Subject: Beside: ' "$work/out"

# 6. [run] report = yes: the chair gets the status text by mail after the run.
printf '[run]\nreport = yes\n' >> "$work/cfg/clean.ini"
before=$(mails)
"$BULLETIN" -c "$work/cfg/clean.ini" run > "$work/out" 2> "$work/err"
rc=$?
check "report = yes: exit 0, one more mail" sh -c "[ $rc -eq 0 ] && [ $(mails) -eq $((before + 1)) ]"
/usr/bin/python3 - "$work/maildir/new" > "$work/report" 2>&1 <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    if m['Subject'] != 'bulletin: rapport från körningen':  # the digest's language, sv
        continue
    assert 'oystein.brathen@example.no' in str(m['To'])
    assert m.get_content_type() == 'text/plain', m.get_content_type()  # a note, no HTML twin
    text = m.get_body(('plain',)).get_content()
    assert 'Källor: 5 hämtade, 0 misslyckades' in text, text
    assert 'Senaste utskick: ”Primärvårdsnytt' in text, text
    print('ok')
PY
check "report = yes: the chair's mail holds the status text" grep -qx ok "$work/report"
[ "$failed" -eq 0 ] || sed 's/^/#   /' "$work/report"

tap_done
