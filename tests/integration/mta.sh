#!/bin/sh
# Delivers a digest through a real MTA: a private Postfix instance on
# 127.0.0.1 and a free port (config, queue, log and Maildir all under
# $work; tests/fixtures/mta/), then reads the delivered files back with
# Python's mail parser (tests/fixtures/mta/check_delivery.py).
#
# Why, when the SMTP sink (tests/servers/smtpd.py) already takes our mail:
# a real MTA takes it too, but it also puts every message through a
# production SMTP server, header parser and queue (here with Postfix's
# strict MIME checks on) and its own delivery agent. What lands in the
# Maildir is what a member's mailbox would get.
#
# Needs root (Postfix starts as root and drops to its own user) and the
# postfix package (scripts/deps.sh); without them it skips. It never uses
# the system's Postfix, its port or /etc/postfix, and a system instance the
# package may have started does not disturb it. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root to run Postfix"; exit 0; }
command -v postfix > /dev/null || { echo "1..0 # SKIP postfix missing (apt-get install postfix)"; exit 0; }
id postfix > /dev/null 2>&1 || { echo "1..0 # SKIP no postfix user (a broken postfix install)"; exit 0; }
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }

fix=$top/tests/fixtures/mta
pf=$work/postfix          # etc/ (main.cf, master.cf), queue/, data/, maillog
queue=$pf/queue
mlog=$pf/maillog
maildir=$work/vmail/Maildir
uid=$(id -u nobody) gid=$(id -g nobody)

# mta_procs PGID: live (not zombie) processes in the Postfix master's
# process group, from /proc (ps is not in a minimal Debian).
mta_procs() {
	cat /proc/[0-9]*/stat 2> /dev/null | awk -v g="$1" '{ sub(/^.*\) /, "") } $3 == g && $1 != "Z"' | wc -l
}
# Stops our instance as "postfix stop" does (SIGTERM to the master, which
# passes it on to its process group) without its 1-second polls, and waits,
# at most ~5 s, until its children are gone too, so that nothing writes
# into $work while it is removed; then SIGKILL to whatever is left.
MASTER_PID=""
mta_stop() {
	[ -n "$MASTER_PID" ] || return 0
	kill "$MASTER_PID" 2> /dev/null
	i=0
	while [ "$(mta_procs "$MASTER_PID")" -gt 0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(mta_procs "$MASTER_PID")" -eq 0 ] || kill -9 -"$MASTER_PID" 2> /dev/null
	MASTER_PID=""
}
# tap.sh's EXIT trap, with the MTA first. A daemon outlives the test if it
# is not stopped, so a hangup or a closed pipe (| head) ends the test too.
trap 'mta_stop; servers_stop; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE

# The HTTP server with the demo feeds, bulletin.ini and a fetched store.
. "$top/tests/integration/send_setup.inc"

# Postfix's own user must reach its queue, the mail's owner the Maildir.
chmod 711 "$work"
mkdir -p "$pf/etc" "$queue" "$work/vmail"
chown "$uid:$gid" "$work/vmail"
sed -e "s|@WORK@|$work|g" -e "s|@UID@|$uid|g" -e "s|@GID@|$gid|g" "$fix/main.cf" > "$pf/etc/main.cf"
# "start" creates the queue folders, checks them and returns once the
# master daemon is up and listening. Another try on another port if the
# free one was taken meanwhile.
for _ in 1 2 3; do
	SMTP_PORT=$(free_port)
	sed -e "s|@PORT@|$SMTP_PORT|g" "$fix/master.cf" > "$pf/etc/master.cf"
	# Postfix rereads a config file until it is a second old (it might be
	# half-written); an old date saves that wait on each of its many reads.
	touch -d 2000-01-01 "$pf/etc/main.cf" "$pf/etc/master.cf"
	if postfix -c "$pf/etc" start > "$work/postfix.out" 2>&1; then
		MASTER_PID=$(sed -n '1s/ //gp' "$queue/pid/master.pid")
		break
	fi
	grep -q 'Address already in use' "$mlog" 2> /dev/null || break
done
if [ -z "$MASTER_PID" ]; then
	postfix -c "$pf/etc" abort > /dev/null 2>&1
	echo "Bail out! Postfix did not start"
	sed 's/^/# /' "$work/postfix.out" "$mlog" 2> /dev/null
	exit 1
fi
ok "Postfix $(postconf -d -h mail_version) listens on 127.0.0.1:$SMTP_PORT"

# Five members with Nordic names, one of them "Last, First". The file's
# expected_first_name column is for check_delivery.py; bulletin ignores it.
cp "$fix/members.csv" "$work/cfg/members.csv"
write_cfg
nmembers=$(($(wc -l < "$fix/members.csv") - 1))

# Messages still in Postfix's queue, and the files it delivered. Once
# bulletin has returned, each message it handed over is in one or the other
# (or bounced, which queues a bounce to the sender, also in our domains).
queued() { find "$queue/maildrop" "$queue/incoming" "$queue/active" "$queue/deferred" "$queue/hold" -type f 2> /dev/null | wc -l; }
delivered() { find "$maildir/new" -type f 2> /dev/null | wc -l; }
# show_log: the MTA's log as TAP comments, once (later calls point to it).
show_log() {
	if [ -n "${log_shown:-}" ]; then echo "#   (the MTA's log is shown above)"; return; fi
	log_shown=1
	sed 's/^/#   /' "$mlog"
}
# drained: waits, at most ~30 s, until the queue is empty; otherwise says
# what is left and shows the MTA's log (and does not wait again).
drained() {
	i=0
	while [ "$(queued)" -gt 0 ]; do
		if [ $i -ge 300 ] || [ -n "${stuck:-}" ]; then
			stuck=1
			echo "# $(queued) message(s) still queued, $(delivered) delivered; the MTA's log:"
			show_log
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}
# files N: the Maildir holds N files; otherwise lists them and the log.
files() {
	[ "$(delivered)" -eq "$1" ] && return 0
	echo "# $(delivered) files in the Maildir, expected $1:"
	ls -l "$maildir/new" 2>&1 | sed 's/^/#   /'
	show_log
	return 1
}
show_err() { sed 's/^/#   /' "$work/err"; }

send; rc=$?
check "send: exit 0" [ $rc -eq 0 ] || show_err
check "send: the ledger says all $nmembers sent" [ "$(ledger)" = "sent $nmembers" ] || echo "# ledger: $(ledger)"
check "Postfix's queue drained (all delivered or bounced)" drained
check "exactly $nmembers files in the Maildir" files "$nmembers"
check "the MTA deferred and bounced nothing" sh -c "! grep -qE 'status=(deferred|bounced)' '$mlog'" || show_log

# Each copy, read back with Python's parser, against the member list and
# the Message-IDs the ledger recorded.
tab=$(printf '\t')
sqlite3 -separator "$tab" "$db" \
	"SELECT email, message_id FROM deliveries WHERE digest_id = (SELECT MAX(id) FROM digests);" > "$work/ledger.tsv"
/usr/bin/python3 "$fix/check_delivery.py" "$maildir/new" "$work/cfg/members.csv" "$work/ledger.tsv" \
	> "$work/checks" 2> "$work/checks.err"
while IFS=$tab read -r verdict name why; do
	case $verdict in
	ok) ok "$name" ;;
	"not ok") not_ok "$name" "$why" ;;
	esac
done < "$work/checks"
check "check_delivery.py ran to the end" grep -q '^end$' "$work/checks" || sed 's/^/#   /' "$work/checks.err"

# A second run: everyone has had this digest, so nothing new arrives.
send; rc=$?
check "second send: exit 0, ledger still all sent" sh -c "[ $rc -eq 0 ] && [ '$(ledger)' = 'sent $nmembers' ]" || show_err
nothing_new() { drained && files "$nmembers"; }
check "second send: nothing new delivered (still one file per member)" nothing_new

pgid=$MASTER_PID
mta_stop
check "Postfix stopped, none of its processes left" [ "$(mta_procs "$pgid")" -eq 0 ]

tap_done
