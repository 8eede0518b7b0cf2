#!/bin/sh
# The association's mailbox (issue 18) against a real IMAP server: a
# private Dovecot (tests/servers/servers.sh start_imap) whose INBOX holds
# the 56 fixtures of tests/fixtures/mailbox (bounces of each kind,
# auto-replies in each language, unsubscribe replies, the chair's commands
# and forgeries of them, junk), a reply with a 50 MiB attachment, an
# endless DSN and a header of 6,000 Received: lines. The store knows the
# ledger the bounces point back to (ledger.sql); answers go to the SMTP
# sink. Checked: where every message ends up (moved, never deleted, or
# left for a person), what the store then says (bounces counted, one
# member marked bounced, unsubscribes by reply, the chair's additions,
# removal and pause; nothing from the forgeries), the answers (one per
# request, in the member's language, Auto-Submitted), `bulletin members`,
# `bulletin status`, that a second run does nothing, that the 50 MiB
# message was never fetched whole, and a server without MOVE (COPY, \Deleted,
# UID EXPUNGE). Skips only when Dovecot is not installed. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
fix=$top/tests/fixtures/mailbox
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
# Dovecot runs as nobody when we are root: it must reach its folder.
chmod 711 "$work"
start_imap "$work/imap"
case $? in
0) ;;
2) echo "1..0 # SKIP Dovecot is not installed (Debian: dovecot-imapd; sudo make deps)"; exit 0 ;;
*) echo "Bail out! Dovecot did not start"; exit 1 ;;
esac
ok "Dovecot $(/usr/sbin/dovecot --version | cut -d' ' -f1) on 127.0.0.1:$IMAPS_PORT (TLS) and :$IMAP_PORT (STARTTLS), as $(id -un "$imap_u")"
start_smtp "$work/sink" || { echo "Bail out! no SMTP sink"; exit 1; }

cfg=$work/cfg/bulletin.ini
db=$work/cfg/state/bulletin.db
mkdir -p "$work/cfg" "$work/gen"
cp "$fix/members.csv" "$work/cfg/members.csv"
printf '%s\n' "$IMAP_PASSWORD" > "$work/cfg/imap-password"
chmod 600 "$work/cfg/imap-password"
printf '[source lakartidningen]\nurl = http://127.0.0.1:1/lt.xml\n[source vardgivarguiden]\nurl = http://127.0.0.1:1/vg.xml\n' > "$work/cfg/sources.ini"
# write_cfg [URL [EXTRA MAILBOX LINES...]]
write_cfg() {
	url=${1:-imaps://127.0.0.1:$IMAPS_PORT/}
	[ $# -gt 0 ] && shift
	{
		cat <<EOF
[store]
path = state/bulletin.db
[sources]
files = sources.ini
[rules]
files = $top/feeds/primarvard.rules
[digest]
title = Primärvårdsnytt
language = sv
templates = $top/templates
archive = archive
[mail]
from_name = Distriktsläkarföreningen
from_address = nyhetsbrev@dlf-test.se
smtp_url = smtp://127.0.0.1:$SMTP_PORT
unsubscribe = mailto:avregistrera@dlf-test.se?subject=avregistrera
[members]
file = members.csv
[mailbox]
url = $url
ca_file = $IMAP_CA
user = $IMAP_USER
password_file = imap-password
chairs = ordforande@dlf-test.se
trusted_authserv_id = mx.dlf-test.se
EOF
		for l in "$@"; do echo "$l"; done
	} > "$cfg"
}
write_cfg
q() { sqlite3 "$db" "$1"; }
mb() { "$BULLETIN" -c "$cfg" mailbox "$@" > "$work/out" 2> "$work/err"; }
show() { sed 's/^/#   /' "$work/out" "$work/err"; }
# in_inbox / in_handled NAME: the message delivered from fixture NAME is
# there and not in the other folder (Dovecot renames what it moves, so
# handled messages are found by their Message-ID).
handled=$IMAP_MAILDIR/.bulletin.handled
count_in() { ls "$1/new" "$1/cur" 2> /dev/null | grep -c "$2"; }
mid_of() { grep -m1 -i '^Message-ID:' "$fix/$1.eml" "$work/gen/$1.eml" 2> /dev/null | head -1 | sed 's/^[^:]*:Message-ID: *//I'; }
holds() { [ -d "$1/new" ] && [ "$(grep -rlF -- "$(mid_of "$2")" "$1/new" "$1/cur" 2> /dev/null | wc -l)" -eq 1 ]; }
in_inbox() { [ "$(count_in "$IMAP_MAILDIR" "$1")" -eq 1 ] && ! holds "$handled" "$1"; }
in_handled() { holds "$handled" "$1" && [ "$(count_in "$IMAP_MAILDIR" "$1")" -eq 0 ]; }
files_in() { find "$1/new" "$1/cur" -type f 2> /dev/null | wc -l; }

# The store, with the ledger of digests 11 and 12.
"$BULLETIN" -c "$cfg" members resubscribe nobody@example.org > /dev/null 2>&1
q ".read $fix/ledger.sql" || { echo "Bail out! the ledger could not be written"; exit 1; }
/usr/bin/python3 "$fix/generate.py" "$work/gen" 50 || { echo "Bail out! generate.py"; exit 1; }
# Delivered as NAME in the Maildir file name, to find them again.
for f in "$fix"/*.eml "$work"/gen/*.eml; do
	fx=$(basename "$f" .eml)
	cp "$f" "$IMAP_MAILDIR/new/1773000000.M$(echo "$fx" | cut -c1-2)P$$.$fx"
done
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
total=$(ls "$IMAP_MAILDIR/new" | wc -l)
mailbytes=$(du -sb "$IMAP_MAILDIR" | cut -f1)

mb; rc=$?
check "bulletin mailbox: exit 0" [ $rc -eq 0 ] || show
check "examined all $total messages" grep -q "^examined now: $total\$" "$work/out" || show
check "45 moved to bulletin/handled with MOVE, 14 left for a person" \
	sh -c "grep -q '^moved to bulletin/handled: 45 (MOVE)' '$work/out' && grep -q '^left for a person: 14 ' '$work/out'" || show
left=$(files_in "$IMAP_MAILDIR")
moved=$(files_in "$handled")
check "nothing deleted: $moved in the handled folder + $left in INBOX = $total" [ $((moved + left)) -eq "$total" ]
for fx in 01-postfix-dsn-user-unknown 07-gmail-style-no-dsn 11-verp-dsn-no-original 12-dsn-delivered \
	18-autoreply-sv-outlook 22-autoreply-da-ferie 27-mdn-read-receipt 30-unsub-sv-first-line \
	40-unsub-raw-latin1-subject 41-chair-add-remove 53-bounce-raw-8bit-headers 58-endless-dsn; do
	check "handled and moved: $fx" in_handled "$fx"
done
for fx in 37-unsub-nonmember 39-unsub-and-away-left-alone 43-chair-forged-no-auth \
	44-chair-forged-foreign-authserv 45-chair-forged-lower-header 46-chair-other-mail 48-spam \
	49-member-question 51-malformed-binary 52-malformed-mime-no-boundary 55-chair-from-two-addresses \
	57-big-attachment 59-huge-header; do
	check "left in INBOX for a person: $fx" in_inbox "$fx"
done
check "every bad input counted, none fatal (5 fixtures, the endless DSN, the big attachment, the huge header)" \
	grep -q '^with bad input (read anyway): 8$' "$work/out" || show

# The store.
unsub=$(q "SELECT address FROM unsubscribes WHERE how = 'reply' ORDER BY address" | tr '\n' ' ')
check "unsubscribed by reply: the 10 members who asked (not the non-member, not the one also away)" \
	[ "$unsub" = "anna.berg@region.se gunnar.ek@vardcentral.example.se john.smith@example.com kari.nordmann@helse.example.no karin.oberg@example.se lena.ek@kommun.example.se mette.jensen@example.dk ole.nygard@example.no per.hansen@example.no sofia.lind@example.se " ] || echo "# $unsub"
check "removed by the chair: bo.sjoberg@example.se only (the forged removals changed nothing)" \
	[ "$(q "SELECT group_concat(address) FROM unsubscribes WHERE how = 'chair'")" = "bo.sjoberg@example.se" ]
check "added by the chair: Märta Ödegård and \"Holm, Lars\" (not the forged Mallory)" \
	[ "$(q "SELECT group_concat(address || '=' || name, ' ') FROM (SELECT * FROM member_state WHERE added IS NOT NULL ORDER BY address)")" = "lars.holm@gmail.com=Holm, Lars marta.odegard@example.se=Märta Ödegård" ]
check "lakartidningen paused, vardgivarguiden not (the forged resume changed nothing)" \
	[ "$(q "SELECT group_concat(name) FROM sources WHERE paused IS NOT NULL")" = "lakartidningen" ]
check "bounced: lars.holm.lakare@gmail.com only (2 hard bounces in digests 11 and 12)" \
	[ "$(q "SELECT group_concat(address) FROM member_state WHERE bounced IS NOT NULL")" = "lars.holm.lakare@gmail.com" ]
check "sven.lund: 2 hard bounces of one digest, counted, not bounced" \
	[ "$(q "SELECT COUNT(*) || ' ' || COUNT(DISTINCT digest_id) FROM bounces WHERE address = 'sven.lund@regionvast.se' AND hard = 1")" = "2 1" ]
check "bounces counted: 18 (15 hard fixtures + 2 soft + the endless DSN)" \
	[ "$(q "SELECT COUNT(*) FROM bounces")" -eq 18 ]
check "soft bounces counted only: per.hansen, maria.strand" \
	[ "$(q "SELECT group_concat(address) FROM (SELECT address FROM bounces WHERE hard = 0 ORDER BY address)")" = "maria.strand@gmail.com,per.hansen@example.no" ]
check "auto-replies are never bounces" [ "$(q "SELECT COUNT(*) FROM bounces b JOIN mailbox_messages m ON m.msgkey = b.msgkey WHERE m.class = 'auto-reply'")" -eq 0 ]
check "members.csv untouched" cmp -s "$fix/members.csv" "$work/cfg/members.csv"

# The answers: one confirmation per new unsubscribe, in the member's
# language (Lena has none: the digest's, sv), and one per command mail.
/usr/bin/python3 "$fix/answers.py" "$work/sink" > "$work/answers"
check "13 answers: 10 confirmations and 3 to the chair" [ "$(wc -l < "$work/answers")" -eq 13 ] || sed 's/^/#   /' "$work/answers"
ans() { grep "^$1	" "$work/answers"; }
check "per.hansen (nb): \"Du er meldt av Primärvårdsnytt\"" sh -c "grep -q '^per.hansen@example.no	Du er meldt av Primärvårdsnytt' '$work/answers'"
check "ole.nygard (nn): \"Du er meld av\"" sh -c "grep -q '^ole.nygard@example.no	Du er meld av Primärvårdsnytt' '$work/answers'"
check "mette.jensen (da): \"Du er afmeldt\"" sh -c "grep -q '^mette.jensen@example.dk	Du er afmeldt Primärvårdsnytt' '$work/answers'"
check "john.smith (en): \"You are unsubscribed\"" sh -c "grep -q '^john.smith@example.com	You are unsubscribed from Primärvårdsnytt' '$work/answers'"
check "lena.ek (no language: the digest's sv)" sh -c "grep -q '^lena.ek@kommun.example.se	Du är avregistrerad från Primärvårdsnytt' '$work/answers'"
check "karin.oberg asked twice, got one confirmation" [ "$(grep -c '^karin.oberg@example.se	' "$work/answers")" -eq 1 ]
check "every answer says Auto-Submitted: auto-replied" [ "$(cut -f3 "$work/answers" | grep -c '^auto-replied$')" -eq 13 ]
check "the confirmation is In-Reply-To the member's message" sh -c "grep '^anna.berg@region.se' '$work/answers' | cut -f4 | grep -q '<reply-ab-2@region.se>'"
check "the chair hears what was done: added, removed, paused, no such source" sh -c "
	grep -q 'lagt till: Märta Ödegård <marta.odegard@example.se>' '$work/answers' &&
	grep -q 'borttagen: bo.sjoberg@example.se' '$work/answers' &&
	grep -q 'pausad källa: lakartidningen' '$work/answers' &&
	grep -q 'återupptagen källa: vardgivarguiden' '$work/answers' &&
	grep -q 'förstod inte: Hej,' '$work/answers'" || sed 's/^/#   /' "$work/answers"
check "nothing to the non-member, the forger or an auto-responder" \
	[ -z "$(cut -f1 "$work/answers" | grep -E 'okand.person|mallory|anna.strom|evil')" ]

# bulletin members and the chair's report say the same.
"$BULLETIN" -c "$cfg" members > "$work/members" 2> "$work/members.err"
check "bulletin members: lars.holm.lakare bounced, with the last status and diagnostic" \
	grep -q '^lars.holm.lakare@gmail.com  *bounced .*marked bounced on .*2 hard bounces in 2 digests, last 5.1.1 (550 5.1.1 The email account' "$work/members" || sed 's/^/#   /' "$work/members"
check "bulletin members: sven.lund active, \"2 hard bounces, 5.1.1\"" \
	grep -q '^sven.lund@regionvast.se  *active .*2 hard bounces, 5.1.1$' "$work/members"
check "bulletin members: karin.oberg's old address \"1 hard bounce, 5.4.4\"" \
	grep -q '^karin.oberg@vardcentral-nord.se  *active .*1 hard bounce, 5.4.4$' "$work/members"
check "bulletin members: anna.berg unsubscribed by reply, with the date" \
	grep -q '^anna.berg@region.se  *unsubscribed .*unsubscribed by reply on 20[0-9-]*' "$work/members"
check "bulletin members: bo.sjoberg removed; marta.odegard added" sh -c "
	grep -q '^bo.sjoberg@example.se  *removed .*removed by the chair' '$work/members' &&
	grep -q '^marta.odegard@example.se  *active  *Märta Ödegård  *added by the chair' '$work/members'"
check "bulletin members: the counts line" grep -q '^22 members: 10 active, 0 paused, 1 bounced, 10 unsubscribed, 1 removed$' "$work/members" || tail -1 "$work/members"
"$BULLETIN" -c "$cfg" members check > "$work/check" 2>&1
check "members check: 1 bounced, 2 added, 10 active will be mailed" sh -c "
	grep -q 'bounced (the mailbox) *1' '$work/check' && grep -q 'added by the chair.s mail *2' '$work/check' &&
	grep -q 'active (will be mailed) *10' '$work/check'" || sed 's/^/#   /' "$work/check"
"$BULLETIN" -c "$cfg" status > "$work/status" 2> "$work/status.err"
check "bulletin status (the chair's report) lists the members in Swedish" sh -c "
	grep -q 'lars.holm.lakare@gmail.com: markerad som studsande' '$work/status' &&
	grep -q 'sven.lund@regionvast.se: 2 hårda studsar, 5.1.1' '$work/status'" || sed 's/^/#   /' "$work/status" "$work/status.err"

# Never fetched whole: Dovecot counts the bytes it sent.
out_bytes=$(sed -n 's/.*Logged out in=[0-9]* out=\([0-9]*\).*/\1/p' "$work/imap/dovecot.log" | awk '{ s += $1 } END { print s + 0 }')
check "the server sent $out_bytes bytes for a mailbox of $mailbytes: never a message whole" [ "$out_bytes" -lt 5000000 ]

# Again: everything was handled or left; nothing is done twice.
sent_before=$(ls "$work/sink/new" | wc -l)
mb; rc=$?
check "second run: exit 0, nothing examined, nothing moved" sh -c "[ $rc -eq 0 ] &&
	grep -q '^examined now: 0\$' '$work/out' && grep -q '^moved to bulletin/handled: 0 ' '$work/out' &&
	grep -q '(14 left alone by earlier runs)' '$work/out'" || show
check "second run: no answer sent again" [ "$(ls "$work/sink/new" | wc -l)" -eq "$sent_before" ]

# `bulletin run` reads the mailbox first: a new unsubscribe before the send.
cp "$fix/35-unsub-en.eml" "$work/gen/late.eml"
sed -i -e 's/john.smith@example.com/maria.strand@gmail.com/' -e 's/unsub-js@/late-ms@/' "$work/gen/late.eml"
cp "$work/gen/late.eml" "$IMAP_MAILDIR/new/1773000000.M99P$$.late"
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
"$BULLETIN" -c "$cfg" -v run > "$work/out" 2> "$work/err"
check "bulletin run reads the mailbox before it fetches and sends" sh -c "
	grep -q 'mailbox: 1 examined' '$work/err' &&
	[ \"\$(sqlite3 '$db' \"SELECT how FROM unsubscribes WHERE address = 'maria.strand@gmail.com'\")\" = reply ]" || show

# A server without MOVE: COPY, \Deleted, UID EXPUNGE of exactly those UIDs.
imap_stop
mv "$work/imap" "$work/imap-move"
IMAP_CAPABILITY="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE CHILDREN" \
	start_imap "$work/imap" || { echo "Bail out! the second Dovecot did not start"; exit 1; }
rm -f "$db" "$db-wal" "$db-shm"
"$BULLETIN" -c "$cfg" members resubscribe nobody@example.org > /dev/null 2>&1
q ".read $fix/ledger.sql"
write_cfg
for f in "$fix"/0*.eml "$fix"/3*.eml "$fix"/4*.eml; do
	fx=$(basename "$f" .eml)
	cp "$f" "$IMAP_MAILDIR/new/1773000000.M$(echo "$fx" | cut -c1-2)P$$.$fx"
done
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
total=$(ls "$IMAP_MAILDIR/new" | wc -l)
mb; rc=$?
check "no MOVE: exit 0, moved with COPY+UID EXPUNGE" sh -c "[ $rc -eq 0 ] && grep -q '(COPY+UID EXPUNGE)' '$work/out'" || show
left=$(files_in "$IMAP_MAILDIR")
moved=$(files_in "$handled")
check "no MOVE: $moved copied + $left left = $total, none left flagged \\Deleted" sh -c "
	[ $((moved + left)) -eq $total ] && ! ls '$IMAP_MAILDIR/cur' | grep -q ':2,[A-Z]*T'"
check "no MOVE: the left ones are the chair's forgeries and the rest for a person" sh -c "grep -q '^left for a person: $left ' '$work/out'"

# A run killed between UID COPY and \Deleted left a message in the INBOX,
# recorded as being copied: the next run finds the copy and only deletes
# the original; one killed before the COPY gets it copied, once.
for c in copied not-copied; do
	sed -e "s/^Message-ID: <.*>/Message-ID: <interrupted-$c@example.se>/" "$fix/23-autoreply-en-out-of-office.eml" \
		> "$IMAP_MAILDIR/new/1773000000.M9$c.interrupted"
done
[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
for c in copied not-copied; do
	set -- $(/usr/bin/python3 "$fix/interrupted.py" "$IMAPS_PORT" "$IMAP_CA" "$IMAP_USER" "$IMAP_PASSWORD" \
		bulletin.handled "interrupted-$c@example.se" "$c")
	q "INSERT INTO mailbox_messages(msgkey, folder, uidvalidity, uid, class, state, seen, updated)
	   VALUES ('interrupted-$c@example.se', 'INBOX', $1, $2, 'auto-reply', 'copying', 1, 1)"
done
copies() { grep -rlF "interrupted-$1@example.se" "$handled/new" "$handled/cur" 2> /dev/null | wc -l; }
check "an interrupted copy: one copy in the handled folder before the run" [ "$(copies copied)" -eq 1 ]
mb; rc=$?
check "the next run: exit 0, both moved, nothing examined again" sh -c "[ $rc -eq 0 ] &&
	grep -q '^moved to bulletin/handled: 2 ' '$work/out' && grep -q '^examined now: 0\$' '$work/out'" || show
check "copied before the crash: still one copy, gone from the INBOX" sh -c "[ $(copies copied) -eq 1 ] && ! grep -rqF interrupted-copied '$IMAP_MAILDIR/new' '$IMAP_MAILDIR/cur'"
check "not copied before the crash: copied once now, gone from the INBOX" sh -c "[ $(copies not-copied) -eq 1 ] && ! grep -rqF interrupted-not-copied '$IMAP_MAILDIR/new' '$IMAP_MAILDIR/cur'"

pg=$IMAP_PID
imap_stop
check "Dovecot stopped, none of its processes left" [ "$(imap_procs "$pg")" -eq 0 ]
tap_done
