#!/bin/sh
# The chair's review by reply (issue 20): a private Dovecot holds the
# reviewers' replies to the review copy, with the association's server's
# Authentication-Results. An authenticated reply's edits ("drop 2", "pin
# 5", a note) are applied and confirmed in the reviewer's language; a
# second reviewer who disagrees wins as the last edit and both are told;
# a forged reply (no trusted pass) changes nothing and stays for a person;
# "approve" by reply sends the members' digest in the same run; a reply
# after that changes nothing and says so. Skips only when Dovecot is not
# installed. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
chmod 711 "$work"
start_imap "$work/imap"
case $? in
0) ;;
2) echo "1..0 # SKIP Dovecot is not installed (Debian: dovecot-imapd; sudo make deps)"; exit 0 ;;
*) echo "Bail out! Dovecot did not start"; exit 1 ;;
esac
set --
. "$top/tests/integration/pipeline_setup.inc"
cfg=$work/cfg/bulletin.ini
# The sources that work: the failing ones are pipeline.sh's subject, and
# their retries would only make every run here slower.
awk '/^\[source (not-a-feed|truncated|refused)\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' \
	"$work/cfg/sources.ini" > "$work/cfg/sources.tmp" && mv "$work/cfg/sources.tmp" "$work/cfg/sources.ini"
printf '%s\n' "$IMAP_PASSWORD" > "$work/cfg/imap-password"
chmod 600 "$work/cfg/imap-password"
cat >> "$cfg" <<EOF
[review]
reviewers = ordforande@example.se, oystein.brathen@example.no
copy_at = thu 08:00
deadline = fri 07:00
[mailbox]
url = imaps://127.0.0.1:$IMAPS_PORT/
ca_file = $IMAP_CA
user = $IMAP_USER
password_file = imap-password
trusted_authserv_id = mx.example.org
EOF
at() { date -u -d "$1" +%s; }
mails() { ls "$work/maildir/new" 2>/dev/null | wc -l; }
texts() { /usr/bin/python3 "$top/tests/servers/mail_texts.py" "$work/maildir/new" "$1"; }
copy_id() { grep -rh -m1 '^Message-ID: <review-1-' "$work/maildir/new" | head -1 | sed 's/^Message-ID: //'; }
# reply NAME FROM AUTH BODY: a reply to the review copy into the INBOX;
# AUTH "pass" gives the trusted server's dkim=pass for FROM's domain.
reply() {
	dom=${2#*@}
	{
		if [ "$3" = pass ]; then
			printf 'Authentication-Results: mx.example.org; dkim=pass header.d=%s header.i=@%s\n' "$dom" "$dom"
		else
			printf 'Authentication-Results: mx.example.org; dkim=fail header.d=%s\n' "$dom"
		fi
		printf 'From: <%s>\nTo: nyhetsbrev@example.org\nSubject: Re: Granska\nDate: Thu, 10 Dec 2026 10:00:00 +0100\n' "$2"
		printf 'Message-ID: <%s@%s>\nIn-Reply-To: %s\nReferences: %s\n' "$1" "$dom" "$(copy_id)" "$(copy_id)"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n' "$4"
		printf '\nDen 10 dec. 2026 skrev Primärvårdsnytt:\n> 1. DLF Stockholm\n> drop 1\n'
	} > "$work/$1.eml"
	imap_deliver "$work/$1.eml"
}
bull() { "$BULLETIN" -c "$cfg" "$@"; }

export BULLETIN_TEST_NOW=$(at '2026-12-10 07:30')
bull run > "$work/out" 2> "$work/err"
check "thu run: the review copies went out" [ "$(mails)" -eq 2 ]
check "the copy's Message-ID names the draft" [ -n "$(copy_id)" ]

# 1. The chair's authenticated reply: edits and a note, not the quoted text.
reply r1 ordforande@example.se pass "drop 2
pin 5
note: Kom ihåg årsmötet den 12 mars.
Välkomna!"
# 2. A forgery under the other reviewer's address: left alone.
reply r2 oystein.brathen@example.no fail "drop 3"
export BULLETIN_TEST_NOW=$(at '2026-12-10 11:00')
bull run > "$work/out" 2> "$work/err"
bull review > "$work/show" 2>&1
check "reply: drop 2 applied" grep -q '2\. .*\[dropped\]' "$work/show"
check "reply: pin 5 applied" grep -q '5\. .*\[pinned\]' "$work/show"
check "reply: the note, both lines" sh -c "grep -q 'Kom ihåg årsmötet den 12 mars.' '$work/show' && grep -q 'Välkomna!' '$work/show'"
check "reply: the quote's intro line is not part of the note" sh -c "! grep -q 'skrev Primärvårdsnytt' '$work/show'"
check "reply: the quoted drop 1 is not an edit" sh -c "! grep -q '1\. .*\[dropped\]' '$work/show'"
check "forged reply: drop 3 not applied" sh -c "! grep -q '3\. .*\[dropped\]' '$work/show'"
check "forged reply: warned about" grep -q 'without the trusted server' "$work/err"
check "forged reply: left in the INBOX" sh -c "grep -rlq 'r2@example.no' '$IMAP_MAILDIR/new' '$IMAP_MAILDIR/cur'"
texts ordforande@example.se > "$work/to-chair"
check "confirmation: in Swedish, says what was done" sh -c "grep -q 'Tar bort nummer 2' '$work/to-chair' && grep -q 'Sätter nummer 5 först' '$work/to-chair' && grep -q 'Notisen överst är ändrad' '$work/to-chair'"
check "confirmation: says the deadline in local time" grep -q 'Under granskning: skickas fredag 11 december 2026 07.00' "$work/to-chair"
check "confirmation: Auto-Submitted" grep -q 'Auto-Submitted: auto-replied' "$work/to-chair"
check "no member got the digest yet" [ -z "$(texts asa.lindstrom@example.se)" ]

# 3. Øystein (authenticated) adds 2 back: the last edit wins, both are told.
reply r3 oystein.brathen@example.no pass "add 2"
export BULLETIN_TEST_NOW=$(at '2026-12-10 12:00')
bull run > "$work/out" 2> "$work/err"
bull review > "$work/show" 2>&1
check "disagreement: the last edit wins" grep -q '2\. .*\[added\]' "$work/show"
texts oystein.brathen@example.no > "$work/to-oystein"
check "disagreement: the second reviewer is told whose edit it replaced" grep -q 'ordforande@example.se (nummer 2)' "$work/to-oystein"
texts ordforande@example.se > "$work/to-chair"
check "disagreement: the first reviewer is told too" grep -q 'Erstatter en tidligere endring\|Ersätter en tidigare ändring' "$work/to-chair"

# 4. approve by reply: the members' digest goes out in the same run.
reply r4 ordforande@example.se pass "approve"
export BULLETIN_TEST_NOW=$(at '2026-12-10 13:00')
bull run > "$work/out" 2> "$work/err"
texts asa.lindstrom@example.se > "$work/member"
check "approve: the members got it before the deadline" grep -q 'Kom ihåg årsmötet' "$work/member"
check "approve: the item added back is in it" grep -q 'Antalet läkare' "$work/member"

# 5. A reply after sending: nothing changes, the reviewer is told.
reply r5 ordforande@example.se pass "drop 1"
export BULLETIN_TEST_NOW=$(at '2026-12-10 14:00')
before=$(mails)
bull run > "$work/out" 2> "$work/err"
texts ordforande@example.se > "$work/to-chair"
check "late reply: told it was already sent" grep -q 'är redan skickat' "$work/to-chair"
check "late reply: only the answer was sent, no digest again" [ "$(mails)" -eq $((before + 1)) ]

tap_done
