#!/bin/sh
# `make demo`: serves the bundled sample sources (contrib/demo/site) and an
# SMTP sink on 127.0.0.1, runs `bulletin run` against them with the config
# in contrib/demo/, and shows where the digest and the mails landed.
# Everything it starts, it stops.
set -u
BULLETIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
top=$(pwd)
work=$top/build/demo
rm -rf "$work"
mkdir -p "$work/feeds" "$work/maildir"
SERVERS_DIR=$work
. "$top/tests/servers/servers.sh"
trap servers_stop EXIT
trap 'exit 143' INT TERM

start_http "$top/contrib/demo/site" || exit 1
start_smtp "$work/maildir" || exit 1
fill_template contrib/demo/bulletin.ini "$work/bulletin.ini"
fill_template contrib/demo/feeds/demo.ini "$work/feeds/demo.ini"
cp contrib/demo/members.csv "$work/members.csv"

echo "demo: sources on http://127.0.0.1:$HTTP_PORT/, SMTP on 127.0.0.1:$SMTP_PORT"
echo "demo: bulletin -c build/demo/bulletin.ini run"
"$BULLETIN" -v -c "$work/bulletin.ini" run
rc=$?
servers_stop
echo
if [ $rc -ne 0 ]; then
	echo "demo: bulletin run failed with status $rc" >&2
	exit $rc
fi
echo "demo: the digest, as archived:"
ls -1 "$work"/archive/* | sed 's|^|  |'
echo "demo: mails received by the local SMTP server (Maildir $work/maildir):"
/usr/bin/python3 - "$work/maildir/new" <<'PY'
import email, email.policy, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    print('  To: %s\n      Subject: %s' % (m['To'], m['Subject']))
PY
echo "demo: read one with:  less $(ls "$work"/maildir/new/* | head -1)"
echo "demo: the Markdown digest:  less $(ls "$work"/archive/*.md | head -1)"
