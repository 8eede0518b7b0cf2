#!/usr/bin/python3
"""A tiny CGI host for the tests: every request to 127.0.0.1 runs SCRIPT as
a web server would (RFC 3875 variables, the body on stdin, the script's
Status and headers passed on). BULLETIN_BIN and BULLETIN_CONFIG go through,
as a web server's configuration would set them.

Usage: cgid.py --port 0 --script PATH. Prints "ready PORT" once listening.
"""
import argparse
import http.server
import os
import signal
import subprocess
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", required=True)
    a = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def run(self):
            path, _, query = self.path.partition("?")
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
            env = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": self.command,
                   "QUERY_STRING": query, "SCRIPT_NAME": path, "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": str(self.server.server_port), "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": self.client_address[0], "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                   "PATH": "/usr/bin:/bin"}
            for k in ("BULLETIN_BIN", "BULLETIN_CONFIG"):
                if k in os.environ:
                    env[k] = os.environ[k]
            p = subprocess.run([a.script], input=body, env=env, capture_output=True, timeout=60)
            sys.stderr.write(p.stderr.decode("utf-8", "replace"))
            head, _, rest = p.stdout.partition(b"\r\n\r\n")
            status, headers = "200 OK", []
            for line in head.decode("latin-1").split("\r\n"):
                k, _, v = line.partition(":")
                if k.lower() == "status":
                    status = v.strip()
                elif k and k.lower() != "content-length":
                    headers.append((k, v.strip()))
            code, _, reason = status.partition(" ")
            self.send_response(int(code), reason)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(rest)))
            self.end_headers()
            self.wfile.write(rest)

        do_GET = do_POST = do_HEAD = run

        def log_message(self, fmt, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print("ready %d" % srv.server_port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
