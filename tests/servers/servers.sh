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
	/usr/bin/python3 "$SERVERS_TOP/tests/servers/httpd.py" --port 0 --root "$1" > "$out" 2>"$SERVERS_DIR/httpd.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for_line "$out" '^port ' || return 1
	HTTP_PORT=$(sed -n 's/^port //p' "$out" | head -1)
}

# start_smtp MAILDIR [ARGS...]: an SMTP sink delivering to MAILDIR; sets SMTP_PORT.
start_smtp() {
	md=$1; shift
	out="$SERVERS_DIR/smtpd.out"
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
