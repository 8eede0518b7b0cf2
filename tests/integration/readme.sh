#!/bin/sh
# The README's first hour says what the files and the program do (issue
# 17): its cron lines are contrib/cron/bulletin.cron's, with /usr/local/bin
# on cron's PATH; its systemd steps, run here in a scratch root (as
# nobody instead of the user bulletin), make a configuration folder the
# service can read and a state folder it can write, and a relative store
# beside the read-only configuration is refused with the setting to
# change; `make deps` installs what running needs and no test tool.
# Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
readme=$top/README.md
cron=$top/contrib/cron/bulletin.cron

# 1. cron: the README's block after "crontab -e" is the file's lines.
awk '/crontab -e/ { f = 1 } f && /^    [^ ]/ { sub(/^    /, ""); print; g = 1; next } g && !/^    / { exit }' \
	"$readme" > "$work/readme.cron"
grep -v '^#' "$cron" | grep . > "$work/file.cron"
check "README's cron lines are contrib/cron/bulletin.cron's ($(wc -l < "$work/file.cron") lines)" sh -c \
	"[ -s '$work/file.cron' ] && cmp -s '$work/readme.cron' '$work/file.cron'" ||
	diff "$work/readme.cron" "$work/file.cron" | sed 's/^/#   /'
check "cron's PATH has /usr/local/bin, and the job is bulletin -q run" sh -c \
	"grep -q '^PATH=.*/usr/local/bin' '$cron' && grep -q '^[0-9].* bulletin -q run$' '$cron'"

# 2. The systemd steps: every `sudo install` line of the README, run with
#    /etc and /var/lib moved into a scratch root and nobody standing in
#    for the user bulletin.
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
	for t in "systemd steps make /etc/bulletin, the config and /var/lib/bulletin" \
		"the service user reads the config and writes the state" \
		"a relative store beside /etc/bulletin is refused, naming the setting"; do
		ok "$t # SKIP needs root and setpriv(1)"
	done
else
	root=$work/root
	mkdir -p "$root/etc" "$root/var/lib" "$root/share/doc/bulletin"
	cp "$top/contrib/config/bulletin.ini" "$top/contrib/config/members.csv" "$root/share/doc/bulletin/"
	group=$(id -gn 65534)
	sed -n 's/^    sudo \(install .*\)/\1/p' "$readme" | sed -e "s|/usr/local/share/doc/bulletin/|$root/share/doc/bulletin/|g" \
		-e "s| /etc/| $root/etc/|g" -e "s| /var/lib/| $root/var/lib/|g" \
		-e "s|-o bulletin|-o 65534|g" -e "s|-g bulletin|-g $group|g" > "$work/steps.sh"
	chmod 755 "$work" "$root" "$root/etc" "$root/var" "$root/var/lib"
	sh -e "$work/steps.sh" > "$work/out" 2>&1
	rc=$?
	check "systemd steps make /etc/bulletin, the config and /var/lib/bulletin ($(wc -l < "$work/steps.sh") install lines)" sh -c \
		"[ $rc -eq 0 ] && [ -d '$root/etc/bulletin' ] && [ -f '$root/etc/bulletin/bulletin.ini' ] && [ -f '$root/etc/bulletin/members.csv' ] && [ -d '$root/var/lib/bulletin' ] && [ \$(stat -c %a '$root/etc/bulletin/smtp-password') = 600 ]" ||
		sed 's/^/#   /' "$work/steps.sh" "$work/out"
	# the three settings the README says to make
	cfg=$root/etc/bulletin/bulletin.ini
	sed -i -e "s|^;path = bulletin.db|path = $root/var/lib/bulletin/bulletin.db|" \
		-e "s|^;archive = archive|archive = $root/var/lib/bulletin/archive|" \
		-e "s|^;password_file = .*|password_file = $root/etc/bulletin/smtp-password|" \
		-e "s|/usr/local/share/bulletin/|$top/|" "$cfg"
	as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$BULLETIN" "$@"; }
	as -c "$cfg" paths > "$work/paths" 2>&1
	as -c "$cfg" config check > "$work/out" 2>&1
	rc=$?
	check "the service user reads the config and writes the state" sh -c \
		"[ $rc -eq 0 ] && ! grep -q 'cannot be written' '$work/paths' && grep -q '^store  *$root/var/lib/bulletin/bulletin.db' '$work/paths'" ||
		sed 's/^/#   /' "$work/paths" "$work/out"
	# the trap the README warns of: a relative store beside the config
	sed -i "s|^path = .*|path = bulletin.db|" "$cfg"
	as -c "$cfg" members unsubscribe ordforande@example.se > "$work/out" 2> "$work/err"
	rc=$?
	check "a relative store beside /etc/bulletin is refused, naming the setting" sh -c \
		"[ $rc -eq 73 ] && grep -q '$root/etc/bulletin cannot be written by this user (Permission denied), and $root/etc/bulletin/bulletin.db goes there: \[store\] path in $cfg (a relative path is relative to that file.s folder)' '$work/err' && [ ! -e '$root/etc/bulletin/bulletin.db' ]" ||
		sed 's/^/#   /' "$work/err"
fi

# The exit statuses the README and `bulletin --help` list are
# lib/core/err.h's, every one.
codes=$(sed -n 's/.*EXIT_[A-Z_]* = \([0-9]*\),*.*/\1/p' "$top/lib/core/err.h")
"$BULLETIN" --help > "$work/help"
for f in "$readme" "$work/help"; do
	sed -n '/^Exit status:/,/^$/p' "$f" > "$work/exits"
	missing=""
	for c in $codes; do grep -q "\b$c\b" "$work/exits" || missing="$missing $c"; done
	check "$(basename "$f" | sed 's/^help$/bulletin --help/')'s exit statuses are every code of lib/core/err.h ($(echo $codes | wc -w))" sh -c \
		"[ -n '$codes' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
done

# 3. make deps: what building and running need, and no test tool;
#    make check: those too.
sh "$top/scripts/deps.sh" --list > "$work/run.pkgs"
sh "$top/scripts/deps.sh" --list check > "$work/check.pkgs"
bad=""
for p in libcmocka-dev python3-aiosmtpd postfix dovecot-imapd python3-icalendar python3-vobject python3-brotli msmtp; do
	grep -qx "$p" "$work/run.pkgs" && bad="$bad $p"
done
check "deps.sh (make deps) lists no test tool ($(wc -l < "$work/run.pkgs") packages)" sh -c \
	"[ -s '$work/run.pkgs' ] && [ -z '$bad' ] || { echo '#   test tools:$bad'; exit 1; }"
missing=""
for p in libcmocka-dev python3-aiosmtpd dovecot-imapd $(cat "$work/run.pkgs"); do
	grep -qx "$p" "$work/check.pkgs" || missing="$missing $p"
done
check "deps.sh check (make check) lists the runtime packages and the test tools" sh -c \
	"[ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
check "the Makefile: deps runs deps.sh alone, check and demo ask for their sets" sh -c \
	"grep -A1 '^deps:' '$top/Makefile' | grep -q 'scripts/deps.sh\$' && grep -A1 '^check:' '$top/Makefile' | grep -q 'deps.sh check' && grep -A1 '^demo:' '$top/Makefile' | grep -q 'deps.sh demo'"

tap_done
