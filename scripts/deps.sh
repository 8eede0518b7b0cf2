#!/bin/sh
# Installs the Debian packages bulletin builds and tests with, when some are
# missing and we are root. libcurl4-gnutls-dev, not -openssl-dev: Debian's
# libetpan-dev depends on the GnuTLS flavour and the two cannot coexist.
# nettle-dev: HMAC-SHA256 for the members' unsubscribe tokens (libcurl's
# GnuTLS already pulls in the library itself).
# postfix: tests/integration/mta.sh runs a private instance of it. It is
# left out where another MTA (exim4, ...) provides /usr/sbin/sendmail, as
# installing it would replace that one; the test then skips.
# wswedish, wnorwegian, wdanish: word lists `bulletin rules check` looks for
# false friends in (a short stem matching many everyday words); without
# them that check is skipped and says so.
# libidn2-dev: fetch converts international host names (www.vårdförbundet.se)
# to punycode itself; libcurl's own conversion needs a UTF-8 locale.
# python3-icalendar and python3-vobject: tests/integration/calendar.sh reads
# calendar.ics with two independent parsers (and the screenshots render it).
# zlib1g-dev: watched pages' versions are stored compressed. poppler-utils:
# pdftotext turns a watched PDF into text, in its own process (a hostile
# PDF can crash or stall it, not bulletin).
PKGS="build-essential pkg-config libcurl4-gnutls-dev libxml2-dev libetpan-dev
libpcre2-dev libsqlite3-dev libcmark-dev libinih-dev libjansson-dev libcmocka-dev
libsasl2-modules python3 python3-aiosmtpd python3-brotli sqlite3 curl libxml2-utils ca-certificates
openssl groff-base util-linux libidn2-dev
wswedish wnorwegian wdanish
python3-icalendar python3-vobject
zlib1g-dev poppler-utils nettle-dev"
if [ ! -e /usr/sbin/sendmail ] || dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q 'ok installed'; then
	PKGS="$PKGS postfix"
fi
# dovecot-imapd: tests/integration/mailbox*.sh read the mailbox (issue 18)
# from a private Dovecot; libgnutls28-dev: the IMAP client verifies the
# server's certificate with GnuTLS, the TLS library libetpan uses.
PKGS="$PKGS dovecot-imapd libgnutls28-dev"
# `deps.sh bench`: also the reference tools `make bench` measures beside us.
[ "${1:-}" = bench ] && PKGS="$PKGS msmtp"
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
