#!/bin/sh
# Installs the Debian packages bulletin needs, when some are missing and we
# are root; otherwise names them. What is installed depends on what for:
#
#   deps.sh          building and running bulletin (`make deps`): nothing
#                    that only the tests use
#   deps.sh demo     and the local servers `make demo` starts
#   deps.sh check    and every tool and server the tests use (`make check`)
#   deps.sh bench    and the reference tools `make bench` measures beside us
#   deps.sh --list [demo|check|bench]
#                    prints that set, one package a line; installs nothing
#
# Building and running:
# libcurl4-gnutls-dev, not -openssl-dev: Debian's libetpan-dev depends on
# the GnuTLS flavour and the two cannot coexist. libgnutls28-dev: the IMAP
# client verifies the server's certificate with GnuTLS, the TLS library
# libetpan uses. nettle-dev: HMAC-SHA256 for the members' unsubscribe
# tokens. libidn2-dev: fetch converts international host names
# (www.vårdförbundet.se) to punycode itself. zlib1g-dev: watched pages'
# versions are stored compressed. libsasl2-modules: SMTP and IMAP logins
# (PLAIN, LOGIN) through libetpan. ca-certificates: TLS verification.
# poppler-utils: pdftotext turns a watched PDF into text, in its own
# process. wswedish, wnorwegian, wdanish: word lists `bulletin rules check`
# looks for false friends in; without them that check is skipped.
RUNTIME="build-essential pkg-config libcurl4-gnutls-dev libxml2-dev libetpan-dev
libpcre2-dev libsqlite3-dev libcmark-dev libinih-dev libjansson-dev
libidn2-dev zlib1g-dev nettle-dev libgnutls28-dev libsasl2-modules ca-certificates
poppler-utils wswedish wnorwegian wdanish"
# `make demo`: tests/servers/httpd.py (Python's standard library) and
# smtpd.py (aiosmtpd) serve the sample sources and take the mail.
DEMO="python3 python3-aiosmtpd"
# `make check`: cmocka for the unit tests; python3-brotli for the fetch
# tests' br encoding; sqlite3, curl, xmllint (libxml2-utils), openssl (test
# certificates), groff-base (man.sh renders the pages), util-linux
# (setpriv, flock, unshare); python3-icalendar and python3-vobject read
# calendar.ics with two independent parsers.
TEST="libcmocka-dev python3-brotli sqlite3 curl libxml2-utils openssl groff-base
util-linux python3-icalendar python3-vobject"
# postfix: tests/integration/mta.sh runs a private instance of it. It is
# left out where another MTA (exim4, ...) provides /usr/sbin/sendmail, as
# installing it would replace that one; the test then skips.
if [ ! -e /usr/sbin/sendmail ] || dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'ok installed'; then
	TEST="$TEST postfix"
fi
# dovecot-imapd: tests/integration/mailbox*.sh read the mailbox (issue 18)
# from a private Dovecot.
TEST="$TEST dovecot-imapd"
list=0
[ "${1:-}" = --list ] && { list=1; shift; }
case "${1:-}" in
"") PKGS=$RUNTIME ;;
demo) PKGS="$RUNTIME $DEMO" ;;
check) PKGS="$RUNTIME $DEMO $TEST" ;;
bench) PKGS="$RUNTIME $DEMO $TEST msmtp" ;;
*) echo "usage: sh scripts/deps.sh [demo|check|bench]" >&2; exit 64 ;;
esac
if [ $list = 1 ]; then
	printf '%s\n' $PKGS
	exit 0
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "bulletin: missing Debian packages:$missing" >&2
	echo "bulletin: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "bulletin: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2
