#!/bin/sh
# The mailbox finds a member by the unsubscribe token the digests carry
# (issue 18's hook, issue 13's tokens): a digest is sent with per-member
# https links; then a private Dovecot holds what comes back: a bounce of a
# forwarded address whose Message-ID a relay rewrote (only the token in
# the returned List-Unsubscribe names the member), a reply from a member's
# private address quoting the footer's link, a mail to the List-Unsubscribe
# mailto address (listed after the https URL in the setting), and a reply
# quoting a forged link. Skips when Dovecot is not installed. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
# Dovecot runs as nobody when we are root: it must reach its folder.
chmod 711 "$work"
start_imap "$work/imap"
case $? in
0) ;;
2) echo "1..0 # SKIP Dovecot is not installed (Debian: dovecot-imapd; sudo make deps)"; exit 0 ;;
*) echo "Bail out! Dovecot did not start"; exit 1 ;;
esac
. "$top/tests/integration/send_setup.inc"
members 3
sink
write_cfg "unsubscribe = https://dlf-test.example/avregistrera, mailto:avregistrera@example.org"
printf '%s\n' "$IMAP_PASSWORD" > "$work/cfg/imap-password"
chmod 600 "$work/cfg/imap-password"
cat >> "$cfg" <<EOF
[mailbox]
url = imaps://127.0.0.1:$IMAPS_PORT/
ca_file = $IMAP_CA
user = $IMAP_USER
password_file = imap-password
EOF
fresh_digest
send; rc=$?
check "send: exit 0, one mail each, each with its own token" sh -c "[ $rc -eq 0 ] && [ $(mails) -eq 3 ]" || sed 's/^/#   /' "$work/err"

# What comes back, made from what the sink received.
/usr/bin/python3 - "$work/maildir/new" "$work/gen" <<'PY' 2> "$work/gen.err"
import email, email.policy, os, re, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
msgs = {}
for f in sorted(os.listdir(src)):
    raw = open(os.path.join(src, f), "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    msgs[m["X-Envelope-To"].strip("<>")] = (raw, m)

def head(raw):
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")

# 1. m1 forwards to an address that bounces; the relay rewrote the
# Message-ID and the To: only the token says who it was.
raw, m = msgs["m1@example.se"]
h = head(raw)
h = re.sub(r"(?mi)^Message-ID:.*$", "Message-ID: <rewritten-0001@relay.example.com>", h)
h = re.sub(r"(?mi)^To:.*$", "To: <m1.forward@elsewhere.example>", h)
open(os.path.join(out, "bounce"), "w").write(
    "Return-Path: <>\r\nFrom: MAILER-DAEMON@relay.example.com (Mail Delivery System)\r\n"
    "To: nyhetsbrev@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    "Message-ID: <dsn-0001@relay.example.com>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
    "--B\r\nContent-Type: text/plain\r\n\r\n<m1.forward@elsewhere.example>: 550 5.1.1 No such user\r\n\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example.com\r\n\r\n"
    "Final-Recipient: rfc822; m1.forward@elsewhere.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + h.replace("\r\n", "\n").replace("\n", "\r\n") +
    "\r\n\r\n--B--\r\n")

# 2. m2 answers from a private address, quoting the digest's text.
raw, m = msgs["m2@example.se"]
text = m.get_body(("plain",)).get_content()
quoted = "".join("> " + l + "\r\n" for l in text.splitlines())
reply = ("From: Privat <m2.privat@home.example>\r\nTo: nyhetsbrev@example.org\r\n"
         "Subject: Re: " + str(m["Subject"]) + "\r\nMessage-ID: <reply-m2@home.example>\r\n"
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n\r\nAvregistrera mig, tack.\r\n\r\n" + quoted)
open(os.path.join(out, "reply"), "wb").write(reply.encode("utf-8"))

# 3. m3 writes to the List-Unsubscribe mailto address, no subject.
open(os.path.join(out, "mailto"), "w").write(
    "From: m3@example.se\r\nTo: avregistrera@example.org\r\nSubject: \r\n"
    "Message-ID: <mailto-m3@example.se>\r\n\r\n\r\n")

# 4. a stranger quotes m1's link with another member's MAC.
t1 = re.search(r"token=([A-Za-z0-9_.-]+)", str(msgs["m1@example.se"][1]["List-Unsubscribe"])).group(1)
t3 = re.search(r"token=([A-Za-z0-9_.-]+)", str(msgs["m3@example.se"][1]["List-Unsubscribe"])).group(1)
forged = t1.split(".")[0] + "." + t3.split(".")[1]
open(os.path.join(out, "forged"), "w").write(
    "From: mallory@evil.example\r\nTo: nyhetsbrev@example.org\r\nSubject: avregistrera\r\n"
    "Message-ID: <forged@evil.example>\r\n\r\navregistrera\r\n\r\n"
    "> https://dlf-test.example/avregistrera?token=" + forged + "\r\n")
PY
check "the returned messages made from the sent ones" [ -s "$work/gen/bounce" ] || sed 's/^/#   /' "$work/gen.err"
for f in bounce reply mailto forged; do
	cp "$work/gen/$f" "$IMAP_MAILDIR/new/1773000000.M1P$$.$f"
done
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
answers_before=$(mails)
"$BULLETIN" -c "$cfg" -v mailbox > "$work/out" 2> "$work/err"; rc=$?
show() { sed 's/^/#   /' "$work/out" "$work/err"; }
check "bulletin mailbox: exit 0, 4 examined" sh -c "[ $rc -eq 0 ] && grep -q '^examined now: 4\$' '$work/out'" || show
bounced=$(q "SELECT address || ' ' || hard FROM bounces")
by_token=$(q "SELECT COUNT(*) FROM mailbox_messages WHERE class = 'bounce-hard' AND detail LIKE '%by the List-Unsubscribe token%'")
check "the bounce counted for m1, found by the List-Unsubscribe token" \
	sh -c "[ '$bounced' = 'm1@example.se 1' ] && [ '$by_token' = 1 ]" || show
unsub_of() { q "SELECT how FROM unsubscribes WHERE address = '$1'"; }
check "m2's reply from a private address: m2 unsubscribed (the quoted link's token)" [ "$(unsub_of m2@example.se)" = reply ] || show
check "the confirmation goes to m2's member address, not to the private one" sh -c "
	[ $(mails_to m2@example.se) -eq 2 ] && [ $(mails_to m2.privat@home.example) -eq 0 ]"
check "m3's mail to the mailto address (after the https URL in the setting): unsubscribed" [ "$(unsub_of m3@example.se)" = reply ] || show
m1=$(unsub_of m1@example.se)
check "the forged link changed nothing: m1 subscribed, the message left for a person" sh -c "
	[ -z '$m1' ] && grep -q '^left for a person: 1 ' '$work/out'" || show
check "answers: the two confirmations only" [ $(($(mails) - answers_before)) -eq 2 ]

pg=$IMAP_PID
imap_stop
check "Dovecot stopped, none of its processes left" [ "$(imap_procs "$pg")" -eq 0 ]
tap_done
