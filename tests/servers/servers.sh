# Sourced by the demo and the integration tests: starts the local test
# servers on 127.0.0.1 and stops them on exit. Needs $SERVERS_DIR (a
# scratch folder).
SERVERS_TOP=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -f "$SERVERS_TOP/tests/servers/httpd.py" ] || SERVERS_TOP=$(pwd)
SERVER_PIDS=""

# stop_pid PID: SIGTERM, up to ~5 s to exit, then SIGKILL; reaps it. A
# server that hangs on its way out must not hang the test.
stop_pid() {
	kill "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "# server $1 ignored SIGTERM for 5 s; killed" >&2
		kill -9 "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	return 0
}

servers_stop() {
	for p in $SERVER_PIDS; do stop_pid "$p"; done
	SERVER_PIDS=""
	[ -z "${IMAP_PID:-}" ] || imap_stop
}

# Waits until FILE has a line matching PATTERN (at most ~10 s).
wait_for_line() {
	i=0
	while [ $i -lt 100 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "server did not start; its output:" >&2
	cat "$1" >&2
	return 1
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_http ROOT: serves ROOT; sets HTTP_PORT.
start_http() {
	out="$SERVERS_DIR/httpd.out"
	rm -f "$out" # a previous server's "port" line must not be read as this one's
	/usr/bin/python3 "$SERVERS_TOP/tests/servers/httpd.py" --port 0 --root "$1" > "$out" 2>"$SERVERS_DIR/httpd.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for_line "$out" '^port ' || return 1
	HTTP_PORT=$(sed -n 's/^port //p' "$out" | head -1)
}

# start_smtp MAILDIR [ARGS...]: an SMTP sink delivering to MAILDIR; sets SMTP_PORT.
start_smtp() {
	md=$1; shift
	out="$SERVERS_DIR/smtpd.out"
	rm -f "$out" # a previous sink's "ready" line must not be read as this one's
	/usr/bin/python3 "$SERVERS_TOP/tests/servers/smtpd.py" --port 0 --maildir "$md" "$@" > "$out" 2>"$SERVERS_DIR/smtpd.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for_line "$out" '^ready ' || return 1
	SMTP_PORT=$(sed -n 's/^ready //p' "$out" | head -1)
}

# fill_template IN OUT: the demo/test config with ports and paths filled in.
fill_template() {
	sed -e "s|@HTTP_PORT@|${HTTP_PORT:-0}|g" -e "s|@SMTP_PORT@|${SMTP_PORT:-0}|g" \
		-e "s|@TOP@|$SERVERS_TOP|g" "$1" > "$2"
}

# ---- IMAP: a private Dovecot (issue 18) ----

# start_imap DIR [USER [PASSWORD]]: Debian's Dovecot (dovecot-imapd) with
# its config (tests/servers/dovecot.conf.in), state, log and mail under
# DIR, on 127.0.0.1: IMAP_PORT (plain, offering STARTTLS) and IMAPS_PORT
# (TLS), with a certificate for localhost and 127.0.0.1 signed by a CA
# made here (IMAP_CA). It runs as the invoking user, or as nobody when that
# is root, in a session of its own (IMAP_PID is its process group).
# IMAP_MAILDIR is the user's Maildir (INBOX). IMAP_CAPABILITY, when set,
# replaces what Dovecot announces (a server without MOVE). Returns 2 when
# Dovecot or openssl is missing (skip), 1 when it does not start.
start_imap() {
	imap_dir=$1
	IMAP_USER=${2:-nyhetsbrev}
	IMAP_PASSWORD=${3:-hemligt-$$}
	[ -x /usr/sbin/dovecot ] && command -v openssl > /dev/null || return 2
	IMAP_MAILDIR=$imap_dir/home/$IMAP_USER/Maildir
	mkdir -p "$imap_dir/run" "$imap_dir/state" "$IMAP_MAILDIR/new" "$IMAP_MAILDIR/cur" \
		"$IMAP_MAILDIR/tmp" || return 1
	if [ "$(id -u)" = 0 ]; then
		imap_u=nobody imap_g=$(id -gn nobody)
		set -- setpriv --reuid=nobody --regid="$imap_g" --clear-groups
	else
		imap_u=$(id -un) imap_g=$(id -gn)
		set --
	fi
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bulletin test CA" \
		-keyout "$imap_dir/ca.key" -out "$imap_dir/ca.pem" > "$imap_dir/openssl.out" 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$imap_dir/key.pem" \
			-out "$imap_dir/req.csr" >> "$imap_dir/openssl.out" 2>&1 &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$imap_dir/ext" &&
		openssl x509 -req -in "$imap_dir/req.csr" -CA "$imap_dir/ca.pem" -CAkey "$imap_dir/ca.key" \
			-CAcreateserial -days 2 -extfile "$imap_dir/ext" -out "$imap_dir/cert.pem" \
			>> "$imap_dir/openssl.out" 2>&1 || { cat "$imap_dir/openssl.out" >&2; return 1; }
	IMAP_CA=$imap_dir/ca.pem
	printf '%s:{PLAIN}%s\n' "$IMAP_USER" "$IMAP_PASSWORD" > "$imap_dir/passwd"
	for _ in 1 2 3; do
		IMAP_PORT=$(free_port)
		IMAPS_PORT=$(free_port)
		sed -e "s|@DIR@|$imap_dir|g" -e "s|@USER@|$imap_u|g" -e "s|@GROUP@|$imap_g|g" \
			-e "s|@UID@|$(id -u "$imap_u")|g" -e "s|@GID@|$(id -g "$imap_u")|g" \
			-e "s|@IMAP_USER@|$IMAP_USER|g" -e "s|@PORT@|$IMAP_PORT|g" -e "s|@SPORT@|$IMAPS_PORT|g" \
			-e "s|@CAPABILITY@|${IMAP_CAPABILITY:+imap_capability = $IMAP_CAPABILITY}|" \
			"$SERVERS_TOP/tests/servers/dovecot.conf.in" > "$imap_dir/dovecot.conf"
		: > "$imap_dir/dovecot.log"
		[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$imap_dir"
		setsid "$@" /usr/sbin/dovecot -F -c "$imap_dir/dovecot.conf" > "$imap_dir/dovecot.out" 2>&1 &
		IMAP_PID=$!
		imap_wait && return 0
		imap_stop
		grep -q 'in use' "$imap_dir/dovecot.log" "$imap_dir/dovecot.out" 2> /dev/null || break
	done
	echo "Dovecot did not start; its output:" >&2
	cat "$imap_dir/dovecot.out" "$imap_dir/dovecot.log" >&2
	return 1
}

# imap_wait: both ports accept a connection (at most ~10 s).
imap_wait() {
	/usr/bin/python3 - "$IMAP_PORT" "$IMAPS_PORT" "$IMAP_PID" <<'PY'
import os, socket, sys, time
ports, pid = [int(p) for p in sys.argv[1:3]], int(sys.argv[3])
end = time.time() + 10
while time.time() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    up = 0
    for p in ports:
        try:
            socket.create_connection(("127.0.0.1", p), 0.5).close()
            up += 1
        except OSError:
            pass
    if up == len(ports):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

# imap_procs: live processes in Dovecot's process group (from /proc).
imap_procs() {
	cat /proc/[0-9]*/stat 2> /dev/null | awk -v g="${1:-$IMAP_PID}" '{ sub(/^.*\) /, "") } $3 == g && $1 != "Z"' | wc -l
}

# imap_stop: SIGTERM to the master (it stops its children), up to ~5 s for
# the whole group to go, then SIGKILL to what is left.
imap_stop() {
	[ -n "${IMAP_PID:-}" ] || return 0
	kill "$IMAP_PID" 2> /dev/null
	i=0
	while [ "$(imap_procs)" -gt 0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(imap_procs)" -eq 0 ] || { echo "# Dovecot ignored SIGTERM for 5 s; killed" >&2; kill -9 -"$IMAP_PID" 2> /dev/null; }
	wait "$IMAP_PID" 2> /dev/null
	IMAP_PID=""
}

# imap_deliver FILE...: puts each file into the INBOX as a new message.
imap_deliver() {
	for f in "$@"; do
		imap_n=$((${imap_n:-0} + 1))
		cp "$f" "$IMAP_MAILDIR/new/1773000000.M${imap_n}P$$.bulletin-test" || return 1
	done
	[ "$(id -u)" != 0 ] || chown -R "$imap_u:$imap_g" "$IMAP_MAILDIR"
}
