#!/bin/sh
# Unsubscribe that names the member (issue 13, part 6): each member's
# List-Unsubscribe (with RFC 8058's one-click header) and footer carry the
# member's own link, one working href; contrib/cgi/bulletin-unsubscribe,
# run as CGI on 127.0.0.1, unsubscribes on a POST and never on a GET, and
# refuses a forged token; `members unsubscribe --token` does the same.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
members 3
sink
BULLETIN_BIN=$BULLETIN BULLETIN_CONFIG=$cfg /usr/bin/python3 "$top/tests/servers/cgid.py" --port 0 \
	--script "$top/contrib/cgi/bulletin-unsubscribe" > "$work/cgid.out" 2> "$work/cgid.err" &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for_line "$work/cgid.out" '^ready ' || { echo "Bail out! no CGI host"; exit 1; }
CGI_PORT=$(sed -n 's/^ready //p' "$work/cgid.out")
base="https://127.0.0.1:$CGI_PORT/avregistrera"
write_cfg "unsubscribe = mailto:nyhetsbrev@example.org?subject=avregistrera, $base"
fresh_digest
send; rc=$?
check "send: exit 0" [ $rc -eq 0 ]
check "send: one mail each" each_once 3
check "the key was made beside the store, 0600" [ "$(stat -c %a "$work/cfg/state/unsubscribe.key" 2>/dev/null)" = 600 ]

# Each message: the header's links, the footer's one link, the text's.
/usr/bin/python3 - "$work/maildir/new" "$base" > "$work/links" 2> "$work/links.err" <<'PY'
import email, email.policy, html, os, re, sys
d, base = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    to = m["X-Envelope-To"].strip("<>")
    lu = str(m["List-Unsubscribe"])
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", m["List-Unsubscribe-Post"]
    urls = re.findall(r"<([^>]*)>", lu)
    assert urls[0] == "mailto:nyhetsbrev@example.org?subject=avregistrera", lu
    mine = [u for u in urls if u.startswith(base + "?token=")]
    assert len(mine) == 1, lu
    token = mine[0].split("token=", 1)[1]
    h = m.get_body(("html",)).get_content()
    hrefs = [html.unescape(x) for x in re.findall(r'href="([^"]*avregistrera[^"]*)"', h)]
    assert hrefs == [mine[0]], hrefs          # one link, the member's own
    assert "mailto:" not in "".join(hrefs)    # no two URLs joined into one href
    t = m.get_body(("plain",)).get_content()
    assert mine[0] in t.replace("\n", ""), t[-400:]
    print(to, token)
PY
check "every message: List-Unsubscribe has the mailto and the member's https link, One-Click" [ -s "$work/links" ] || sed 's/^/#   /' "$work/links.err"
check "every message: the footer's one href is the member's link, the text part has it too" [ "$(wc -l < "$work/links")" -eq 3 ]
check "three members, three different tokens" [ "$(cut -d' ' -f2 "$work/links" | sort -u | wc -l)" -eq 3 ]
tok() { sed -n "s/^$1 //p" "$work/links"; }
t1=$(tok m1@example.se) t2=$(tok m2@example.se) t3=$(tok m3@example.se)
unsub_of() { q "SELECT how FROM unsubscribes WHERE address = '$1'"; }
http() { curl -s -o "$work/page" -w '%{http_code}' "$@"; }

code=$(http "http://127.0.0.1:$CGI_PORT/avregistrera?token=$t2")
check "GET the footer's link: 200, a page with a button, nobody unsubscribed" sh -c \
	"[ $code = 200 ] && grep -q '<form method=\"post\">' '$work/page' && [ -z '$(unsub_of m2@example.se)' ]"
code=$(http -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
	--data 'List-Unsubscribe=One-Click' "http://127.0.0.1:$CGI_PORT/avregistrera?token=$t2")
check "one-click POST: 200, m2 unsubscribed by the link" sh -c "[ $code = 200 ] && [ '$(unsub_of m2@example.se)' = link ]" || sed 's/^/#   /' "$work/cgid.err"
forged="${t1%%.*}.${t2#*.}"
code=$(http -X POST --data 'List-Unsubscribe=One-Click' "http://127.0.0.1:$CGI_PORT/avregistrera?token=$forged")
check "a forged token (m1's address, m2's MAC): 400, m1 stays" sh -c "[ $code = 400 ] && [ -z '$(unsub_of m1@example.se)' ]"
code=$(http -X POST --data 'List-Unsubscribe=One-Click' "http://127.0.0.1:$CGI_PORT/avregistrera?token=x%27%3Brm%20-rf")
check "a token outside the alphabet: 400, bulletin not run" [ "$code" = 400 ]
code=$(http -X POST --data "token=$t2&confirm=1" "http://127.0.0.1:$CGI_PORT/avregistrera")
check "the page's button (POST, token in the form) again: 200, already unsubscribed" [ "$code" = 200 ]

"$BULLETIN" -c "$cfg" members unsubscribe --token "$t3" > "$work/out" 2>&1; rc=$?
check "members unsubscribe --token: exit 0, m3 unsubscribed" sh -c "[ $rc -eq 0 ] && [ '$(unsub_of m3@example.se)' = link ] && grep -q '^m3@example.se: unsubscribed' '$work/out'"
"$BULLETIN" -c "$cfg" members unsubscribe --token "$forged" > "$work/out" 2>&1; rc=$?
check "members unsubscribe --token forged: exit 65" [ $rc -eq 65 ]

news 1
send
check "the next digest: only m1 gets it" sh -c "[ $(mails) -eq 4 ] && [ $(mails_to m1@example.se) -eq 2 ] && [ $(mails_to m2@example.se) -eq 1 ]"
tap_done
