#!/bin/sh
# How `bulletin mailbox` reaches the server (issue 18), against a private
# Dovecot: imaps:// with the certificate verified (the test's CA, the host
# name 127.0.0.1 or localhost with SNI), imap:// upgraded with STARTTLS,
# plain IMAP only to the loopback address or with tls = none; and what
# fails, with the exit status that says what to do: a certificate no CA
# vouches for, a wrong password, settings that do not fit (78: fix the
# setup); nobody listening (75: try later). The password never reaches
# the output. Skips only when Dovecot is not installed. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
chmod 711 "$work"
start_imap "$work/imap" nyhetsbrev "S3cret-$$-pw"
case $? in
0) ;;
2) echo "1..0 # SKIP Dovecot is not installed (Debian: dovecot-imapd; sudo make deps)"; exit 0 ;;
*) echo "Bail out! Dovecot did not start"; exit 1 ;;
esac
mkdir -p "$work/cfg"
cfg=$work/cfg/bulletin.ini
printf '%s\n' "$IMAP_PASSWORD" > "$work/cfg/pw"
chmod 600 "$work/cfg/pw"
printf 'email,name\nanna.berg@region.se,Anna Berg\n' > "$work/cfg/members.csv"
cp "$top/tests/fixtures/mailbox/12-dsn-delivered.eml" "$IMAP_MAILDIR/new/1773000000.M1P$$.x"
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"

# cfg URL [EXTRA LINES...]: a fresh store each time.
cfg() {
	url=$1
	shift
	rm -rf "$work/cfg/state"
	{
		printf '[store]\npath = state/bulletin.db\n[mail]\nfrom_address = nyhetsbrev@dlf-test.se\n'
		printf '[members]\nfile = members.csv\n[mailbox]\nurl = %s\nuser = %s\n' "$url" "$IMAP_USER"
		printf 'timeout = 10\n'
		for l in "$@"; do echo "$l"; done
	} > "$cfg"
}
mb() { "$BULLETIN" -c "$cfg" mailbox > "$work/out" 2> "$work/err"; }
show() { sed 's/^/#   /' "$work/out" "$work/err"; }
says() { grep -q "$1" "$work/err" || { show; return 1; }; }
no_secret() { ! grep -q "S3cret-$$" "$work/out" "$work/err"; }

cfg "imaps://127.0.0.1:$IMAPS_PORT/" "ca_file = $IMAP_CA" "password_file = pw"
mb; rc=$?
check "imaps://127.0.0.1 with the test's CA: exit 0" [ $rc -eq 0 ] || show
check "the handled folder was created and the report moved there" grep -q '^moved to bulletin/handled: 1 (MOVE)' "$work/out"
check "Dovecot logged a TLS login" grep -q 'Login: user=<nyhetsbrev>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=[0-9]*, TLS' "$work/imap/dovecot.log"

cfg "imaps://localhost:$IMAPS_PORT" "ca_file = $IMAP_CA" "password_file = pw"
mb; rc=$?
check "imaps://localhost (the certificate's DNS name checked; SNI sent): exit 0" [ $rc -eq 0 ] || show

cfg "imap://127.0.0.1:$IMAP_PORT/" "ca_file = $IMAP_CA" "password_env = IMAP_PW"
IMAP_PW=$IMAP_PASSWORD mb; rc=$?
check "imap:// upgraded with STARTTLS, password from the environment: exit 0" [ $rc -eq 0 ] || show
check "Dovecot logged the STARTTLS login" sh -c "[ \$(grep -c 'Login: user=<nyhetsbrev>.*TLS' '$work/imap/dovecot.log') -ge 3 ]"

cfg "imap://127.0.0.1:$IMAP_PORT/" "tls = none" "password_file = pw"
mb; rc=$?
check "tls = none: plain IMAP, exit 0" [ $rc -eq 0 ] || show
check "Dovecot logged a login without TLS" sh -c "grep 'Login: user=<nyhetsbrev>' '$work/imap/dovecot.log' | grep -vq 'TLS'"

logins_before=$(grep -c 'Login: user=' "$work/imap/dovecot.log")
cfg "imaps://127.0.0.1:$IMAPS_PORT/" "password_file = pw"
mb; rc=$?
check "a certificate no trusted CA signed (the system's CAs): exit 78" [ $rc -eq 78 ] || show
check "... said so" says 'the certificate is not trusted'
check "... before the password went out (no login on the server)" [ "$(grep -c 'Login: user=' "$work/imap/dovecot.log")" -eq "$logins_before" ]

cfg "imaps://127.0.0.2:$IMAPS_PORT/" "ca_file = $IMAP_CA" "password_file = pw"
mb; rc=$?
check "127.0.0.2 is not the certificate's name (nor listening): not 0" [ $rc -ne 0 ]

cfg "imaps://127.0.0.1:$IMAPS_PORT/" "ca_file = $IMAP_CA" "password_env = WRONG_PW"
WRONG_PW=wrong mb; rc=$?
check "a wrong password: exit 78, the server's words shown" sh -c "[ $rc -eq 78 ] && grep -q 'LOGIN: login refused' '$work/err'" || show

cfg "imaps://127.0.0.1:$IMAPS_PORT/" "ca_file = $IMAP_CA" "tls = none" "password_file = pw"
mb; rc=$?
check "imaps:// with tls = none: exit 78" sh -c "[ $rc -eq 78 ] && grep -q 'tls = none' '$work/err'" || show

chmod 644 "$work/cfg/pw"
cfg "imaps://127.0.0.1:$IMAPS_PORT/" "ca_file = $IMAP_CA" "password_file = pw"
mb; rc=$?
check "a password file others can read: exit 78" sh -c "[ $rc -eq 78 ] && grep -q 'chmod 600' '$work/err'" || show
chmod 600 "$work/cfg/pw"

cfg "imaps://127.0.0.1:$(free_port)/" "ca_file = $IMAP_CA" "password_file = pw"
mb; rc=$?
check "nobody listening: exit 75 (try later)" [ $rc -eq 75 ] || show

printf '[store]\npath = state/bulletin.db\n[mailbox]\nuser = x\n' > "$cfg"
mb; rc=$?
check "[mailbox] without url: exit 78" sh -c "[ $rc -eq 78 ] && grep -q 'no url' '$work/err'" || show
printf '[store]\npath = state/bulletin.db\n[mailbox]\nurl = pop3://x/\n' > "$cfg"
mb; rc=$?
check "url pop3://: exit 78 at the config line" sh -c "[ $rc -eq 78 ] && grep -q 'bulletin.ini:4: url must start with imaps:// or imap://' '$work/err'" || show
printf '[store]\npath = state/bulletin.db\n[mailbox]\nurl = imaps://h/\nchairs = ordforande@dlf-test.se, not an address\n' > "$cfg"
mb; rc=$?
check "chairs with a bad address: exit 78" [ $rc -eq 78 ] || show

printf '[store]\npath = state/bulletin.db\n' > "$cfg"
"$BULLETIN" -c "$cfg" mailbox > "$work/out" 2> "$work/err"; rc=$?
check "bulletin mailbox without [mailbox]: exit 78, says so" sh -c "[ $rc -eq 78 ] && grep -q 'no \[mailbox\] url' '$work/err'" || show
check "the password never in any output" no_secret

pg=$IMAP_PID
imap_stop
check "Dovecot stopped, none of its processes left" [ "$(imap_procs "$pg")" -eq 0 ]
tap_done
