#!/bin/sh
# Nothing secret leaks, outside text stays on its line (issue 13, part 5):
# a password in smtp_url or in a source URL never reaches stderr, sources,
# status, the chair's mailed report or syslog's words; the sendmail
# transport gets -i, -f and a scrubbed environment; a CR/LF from a member
# list never starts a line; send --status reads a store it may not write;
# a bad address in the config stops at load time.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
members 3
sink
secret=Hemlig-lösen-42
# A source behind a login, failing (404), and an SMTP URL with a password
# whose server is down.
printf '[source locked]\nurl = http://anna:%s@127.0.0.1:%s/no-such-feed.xml\n' "$secret" "$HTTP_PORT" >> "$work/cfg/sources.ini"
write_cfg "smtp_url = smtp://nyhetsbrev:$secret@127.0.0.1:1"
sed -i 's/^\[digest\]$/[digest]\nchair = m1@example.se/' "$cfg"
"$BULLETIN" -c "$cfg" -v fetch > "$work/out" 2> "$work/err"
check "fetch: the source's password is not on stderr, its user is" sh -c \
	"! grep -q '$secret' '$work/err' && grep -q 'anna:\*\*\*@127.0.0.1' '$work/err'" || sed 's/^/#   /' "$work/err"
"$BULLETIN" -c "$cfg" sources > "$work/out" 2>&1
check "sources: no password" sh -c "! grep -q '$secret' '$work/out' && grep -q '^locked ' '$work/out'"
"$BULLETIN" -c "$cfg" status > "$work/out" 2>&1
check "status: no password, the URL shown as user:***" sh -c "! grep -q '$secret' '$work/out' && grep -q 'anna:\*\*\*@' '$work/out'" || sed 's/^/#   /' "$work/out"
"$BULLETIN" -c "$cfg" -v send > "$work/out" 2> "$work/err"; rc=$?
check "send, server down: exit 75, the SMTP URL without its password" sh -c \
	"[ $rc -eq 75 ] && ! grep -q '$secret' '$work/err' && grep -q 'nyhetsbrev:\*\*\*@127.0.0.1:1' '$work/err'" || sed 's/^/#   /' "$work/err"
# The chair's report by mail ([run] report), through a working server (its
# subject, "bulletin: rapport från körningen", is base64 in the header).
write_cfg "smtp_url = smtp://127.0.0.1:$SMTP_PORT"
sed -i 's/^\[digest\]$/[digest]\nchair = m1@example.se/; 1i [run]\nreport = yes' "$cfg"
"$BULLETIN" -c "$cfg" run > "$work/out" 2> "$work/err"
check "the chair's run report came, without the password" sh -c \
	"grep -l '^Subject: =?UTF-8?B?YnVsbGV0aW46IHJhcHBvcnQgZnLDpW4ga8O2cm5pbmdlbg==?=' '$work'/maildir/new/* > /dev/null && ! grep -rq '$secret' '$work/maildir/new' && ! grep -q '$secret' '$work/err'"

# sendmail: -i, -f the sender, -- the member; PATH, LANG and TZ only.
cat > "$work/fake-sendmail" <<SM
#!/bin/sh
echo "\$*" >> '$work/sm.args'
env > '$work/sm.env'
cat > /dev/null
SM
chmod +x "$work/fake-sendmail"
write_cfg "smtp_url = sendmail:$work/fake-sendmail" "password_env = BULLETIN_TEST_PW"
fresh_digest
BULLETIN_TEST_PW=$secret "$BULLETIN" -c "$cfg" send > "$work/out" 2> "$work/err"; rc=$?
check "sendmail: exit 0, -i -f sender -- member" sh -c \
	"[ $rc -eq 0 ] && grep -qx -- '-i -f nyhetsbrev@example.org -- m1@example.se' '$work/sm.args'" || sed 's/^/#   /' "$work/err"
check "sendmail: the child's environment has no password and nothing of ours" sh -c \
	"! grep -q '$secret' '$work/sm.env' && ! grep -q '^BULLETIN' '$work/sm.env' && grep -q '^PATH=' '$work/sm.env'"

# A CR/LF in a member list value never starts a line on stderr.
printf 'email,name\n"evil@example.se\r\nInjected: yes",x\nm1@example.se,A\n' > "$work/cfg/members.csv"
"$BULLETIN" -c "$cfg" members check > "$work/out" 2> "$work/err"
check "members check: the bad row is reported, its CR/LF escaped" grep -qF 'evil@example.se\r\nInjected' "$work/err"
check "members check: no line of stderr starts with the injected text, no raw CR" sh -c \
	"! grep -q '^Injected' '$work/err' && ! tr -d '\n' < '$work/err' | grep -q \"\$(printf '\\r')\""

# send --status on a store it cannot write (as nobody, the file 0644 in a
# folder nobody can write).
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	chmod 755 "$work" "$work/cfg" "$work/cfg/state"
	chmod 644 "$db" "$cfg"
	chmod -f 644 "$db-wal" "$db-shm"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BULLETIN" -c "$cfg" send --status > "$work/out" 2> "$work/err"; rc=$?
	check "send --status as a user who cannot write the store: it reads (exit 0)" sh -c \
		"[ $rc -eq 0 ] && grep -q '^digest ' '$work/out'" || sed 's/^/#   /' "$work/err"
	rm -f "$db-wal" "$db-shm"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BULLETIN" -c "$cfg" send --status > "$work/out" 2> "$work/err"; rc=$?
	check "... and with no -wal or -shm file beside it" sh -c "[ $rc -eq 0 ] && grep -q '^digest ' '$work/out'" || sed 's/^/#   /' "$work/err"
else
	ok "send --status on a read-only store # SKIP needs root and setpriv(1)"
	ok "... and with no -wal or -shm file beside it # SKIP needs root and setpriv(1)"
fi

# A bad address in [mail] stops at load time with file:line (78).
write_cfg "reply_to = not-an-address"
"$BULLETIN" -c "$cfg" send > "$work/out" 2> "$work/err"; rc=$?
check "reply_to invalid: exit 78 at load, file:line named" sh -c \
	"[ $rc -eq 78 ] && grep -q 'bulletin.ini:[0-9]*: reply_to' '$work/err'" || sed 's/^/#   /' "$work/err"
tap_done
