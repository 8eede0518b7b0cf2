#!/usr/bin/python3
"""Test HTTP server for bulletin's fetch tests (Python stdlib only).

Serves files from --root on 127.0.0.1 and prints "port N" on stdout once it
listens. Routes under /_/ misbehave on purpose:

  /_/status/CODE        answers CODE with a short body
  /_/etag/NAME          serves NAME with an ETag and Last-Modified; 304 when
                        If-None-Match matches (or, without it, when
                        If-Modified-Since is not older than the file)
  /_/slow/SECONDS       sleeps (at most 60 s), then answers
  /_/redirect/N         302 to /_/redirect/N-1; /_/redirect/0 is a small feed.
                        Each hop sends its own ETag and Last-Modified, the
                        final feed only ETag "final", so a client that keeps
                        a hop's headers is caught
  /_/loop               302 to itself
  /_/file-redirect      302 to file:///etc/passwd
  /_/ftp-redirect       302 to ftp://127.0.0.1:1/feed.xml
  /_/big/BYTES          a body of BYTES bytes (at most 1 GiB)
  /_/gzip/NAME          NAME gzip-encoded, Content-Encoding: gzip
  /_/hang               reads the request and never answers
  /_/headers            echoes the request headers as text/plain
  /_/flaky/KEY/NAME     the first request for KEY answers 500, later ones
                        serve NAME
  /_/retry-after/SECONDS/KEY/NAME
                        the first request for KEY answers 429 with
                        Retry-After: SECONDS (delta-seconds, or an HTTP-date
                        percent-encoded in the path), later ones serve NAME
  /_/unavailable/KEY/NAME
                        the first two requests for KEY answer 503, then NAME
  /_/trickle/NAME       status and headers (with Content-Length) at once,
                        then NAME's body one byte a second
  /_/br/NAME            NAME brotli-encoded, Content-Encoding: br
  /_/gzip-bomb/MIB      gzip that decodes to MIB MiB of zeros (at most 4096),
                        Content-Encoding: gzip, text/xml
  /_/charset/LABEL/NAME NAME's bytes unchanged as application/rss+xml with
                        charset=LABEL, or no charset parameter for "none"
  /_/moved/CODE/NAME    CODE (301, 302, 307 or 308) with Location: /NAME
  /_/requests/KEY       text/plain count of requests seen for KEY so far;
                        /_/status/CODE counts under "status-CODE"
  /_/to-http/CODE/PORT/NAME
                        CODE (301, 302, 307 or 308) with Location:
                        http://127.0.0.1:PORT/NAME (from https: a downgrade)
  /_/fixed-etag/TAG/NAME
                        NAME with ETag "TAG" (one tag for many files, as a
                        CMS's build number), 304 when If-None-Match has it
  /_/announce/BYTES     200 with Content-Length: BYTES (any size), then a
                        few bytes and silence until the client hangs up

--tls-cert PEM --tls-key PEM serve https instead of http (the handshake in
the request's thread, so a client that refuses the certificate only ends
its own connection).

The server exits by itself after --lifetime seconds, so a crashed test
cannot leave it running for long.
"""

import argparse
import email.utils
import gzip
import hashlib
import http.server
import os
import select
import ssl
import sys
import threading
import time
import urllib.parse
import zlib

import brotli  # Debian's python3-brotli: run with /usr/bin/python3

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Omdirigerad källa</title>
<link>http://127.0.0.1/</link><description>Slutet på kedjan</description>
<item><title>Vårdcentralen i Bodø får ny läkare</title>
<link>http://127.0.0.1/a</link><guid>redirect-final-1</guid></item>
</channel></rss>
""".encode("utf-8")

MAX_BIG = 1 << 30
MAX_SLOW = 60.0
HANG_LIMIT = 300.0
MAX_BOMB_MIB = 4096
TRICKLE_LIMIT = 300.0


class State:
    """Per-KEY request counts and built gzip bombs, shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.bomb_lock = threading.Lock()  # building one must not stall counting
        self.bombs = {}

    def hit(self, key):
        """Counts one request for key; returns the count including it."""
        with self.lock:
            n = self.counts.get(key, 0) + 1
            self.counts[key] = n
            return n

    def seen(self, key):
        with self.lock:
            return self.counts.get(key, 0)

    def bomb(self, mib):
        # Built under a lock so concurrent first requests build it once;
        # streamed through the compressor a MiB at a time, so only the
        # compressed form (about 1 KB per MiB) is ever held.
        with self.bomb_lock:
            data = self.bombs.get(mib)
            if data is None:
                c = zlib.compressobj(9, zlib.DEFLATED, 31)
                zeros = bytes(1 << 20)
                parts = [c.compress(zeros) for _ in range(mib)]
                parts.append(c.flush())
                data = self.bombs[mib] = b"".join(parts)
            return data


def header_safe(v):
    """A value we may put in a response header: printable, no CR/LF."""
    if not v or len(v) > 200 or any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in v):
        raise ValueError(v)
    return v


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "bulletin-test-httpd"

    def log_message(self, format, *args):  # quiet: tests read stdout
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            self.request.do_handshake()
        super().setup()

    def reply(self, code, body=b"", ctype="text/plain; charset=utf-8", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code not in (204, 304):
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if code not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def root_file(self, name):
        """Bytes and mtime of a file directly under --root, or None."""
        name = urllib.parse.unquote(name)
        if not name or "/" in name or name.startswith("."):
            return None
        path = os.path.join(self.server.root, name)
        try:
            with open(path, "rb") as f:
                return f.read(), os.stat(path).st_mtime
        except OSError:
            return None

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/_/"):
            return super().do_GET()
        parts = path[3:].split("/", 1)
        route, arg = parts[0], parts[1] if len(parts) > 1 else ""
        handler = getattr(self, "route_" + route.replace("-", "_"), None)
        if handler is None:
            return self.reply(404, b"no such route\n")
        try:
            handler(arg)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except ValueError:
            self.reply(400, b"bad argument\n")

    def do_HEAD(self):
        self.do_GET()

    def route_status(self, arg):
        code = int(arg)
        if not 100 <= code <= 599:
            raise ValueError(arg)
        self.server.state.hit("status-%d" % code)
        self.reply(code, ("status %d\n" % code).encode())

    def serve_file(self, name, ctype=None, headers=()):
        f = self.root_file(name)
        if f is None:
            return self.reply(404, b"no such file\n")
        self.reply(200, f[0], ctype or self.guess_type(name), headers)

    @staticmethod
    def key_and_name(arg):
        key, sep, name = arg.partition("/")
        if not key or not sep or not name:
            raise ValueError(arg)
        return urllib.parse.unquote(key), name

    def route_flaky(self, arg):
        key, name = self.key_and_name(arg)
        if self.server.state.hit(key) == 1:
            return self.reply(500, b"flaky: try again\n")
        self.serve_file(name)

    def route_retry_after(self, arg):
        secs, sep, rest = arg.partition("/")
        if not sep:
            raise ValueError(arg)
        secs = header_safe(urllib.parse.unquote(secs))
        key, name = self.key_and_name(rest)
        if self.server.state.hit(key) == 1:
            return self.reply(429, b"slow down\n", headers=(("Retry-After", secs),))
        self.serve_file(name)

    def route_unavailable(self, arg):
        key, name = self.key_and_name(arg)
        if self.server.state.hit(key) <= 2:
            return self.reply(503, b"unavailable\n")
        self.serve_file(name)

    def route_trickle(self, arg):
        f = self.root_file(arg)
        if f is None:
            return self.reply(404, b"no such file\n")
        data = f[0]
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(arg))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.flush()
        deadline = time.monotonic() + TRICKLE_LIMIT
        for i in range(len(data)):
            if time.monotonic() > deadline:
                return
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(1.0)

    def route_br(self, arg):
        f = self.root_file(arg)
        if f is None:
            return self.reply(404, b"no such file\n")
        self.reply(200, brotli.compress(f[0]), self.guess_type(arg),
                   (("Content-Encoding", "br"),))

    def route_gzip_bomb(self, arg):
        mib = int(arg)
        if not 0 <= mib <= MAX_BOMB_MIB:
            raise ValueError(arg)
        self.reply(200, self.server.state.bomb(mib), "text/xml",
                   (("Content-Encoding", "gzip"),))

    def route_charset(self, arg):
        label, sep, name = arg.partition("/")
        if not label or not sep:
            raise ValueError(arg)
        label = header_safe(urllib.parse.unquote(label))
        if any(ch in label for ch in ' ;,"'):
            raise ValueError(label)
        ctype = "application/rss+xml"
        if label != "none":
            ctype += "; charset=" + label
        self.serve_file(name, ctype)

    def route_moved(self, arg):
        code, sep, name = arg.partition("/")
        if int(code) not in (301, 302, 307, 308) or not sep:
            raise ValueError(arg)
        # Never "//host": a protocol-relative Location would leave loopback.
        target = "/" + header_safe(name).lstrip("/")
        self.reply(int(code), b"moved\n", headers=(("Location", target),))

    def route_to_http(self, arg):
        code, port, name = (arg.split("/", 2) + ["", ""])[:3]
        if int(code) not in (301, 302, 307, 308) or not 0 < int(port) < 65536:
            raise ValueError(arg)
        target = "http://127.0.0.1:%d/%s" % (int(port), header_safe(name).lstrip("/"))
        self.reply(int(code), b"moved\n", headers=(("Location", target),))

    def route_fixed_etag(self, arg):
        tag, sep, name = arg.partition("/")
        if not tag or not sep:
            raise ValueError(arg)
        tag = '"%s"' % header_safe(urllib.parse.unquote(tag)).replace('"', "")
        inm = self.headers.get("If-None-Match")
        if inm is not None and tag in [t.strip() for t in inm.split(",")]:
            return self.reply(304, headers=(("ETag", tag),))
        self.serve_file(name, headers=(("ETag", tag),))

    def route_announce(self, arg):
        n = int(arg)
        if n < 16:
            raise ValueError(arg)
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.write(b"<?xml version=")
        self.wfile.flush()
        self.route_hang("")

    def route_requests(self, arg):
        if not arg:
            raise ValueError(arg)
        self.reply(200, b"%d" % self.server.state.seen(urllib.parse.unquote(arg)))

    def route_etag(self, arg):
        f = self.root_file(arg)
        if f is None:
            return self.reply(404, b"no such file\n")
        data, mtime = f
        tag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        lm = email.utils.formatdate(int(mtime), usegmt=True)
        hdrs = (("ETag", tag), ("Last-Modified", lm))
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if tag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return self.reply(304, headers=hdrs)
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and int(mtime) <= since:
                return self.reply(304, headers=hdrs)
        self.reply(200, data, self.guess_type(arg), hdrs)

    def route_slow(self, arg):
        time.sleep(min(max(float(arg), 0.0), MAX_SLOW))
        self.reply(200, b"slow answer\n")

    def route_redirect(self, arg):
        n = int(arg)
        if n < 0:
            raise ValueError(arg)
        if n == 0:
            return self.reply(200, FEED, "application/rss+xml; charset=utf-8",
                              (("ETag", '"final"'),))
        self.reply(302, b"moved\n", headers=(
            ("Location", "/_/redirect/%d" % (n - 1)),
            ("ETag", '"hop-%d"' % n),
            ("Last-Modified", "Mon, 01 Jan 2001 00:00:00 GMT")))

    def route_loop(self, arg):
        self.reply(302, b"again\n", headers=(("Location", "/_/loop"),))

    def route_file_redirect(self, arg):
        self.reply(302, b"elsewhere\n", headers=(("Location", "file:///etc/passwd"),))

    def route_ftp_redirect(self, arg):
        # libcurl's own default would follow this one; ours must not.
        self.reply(302, b"elsewhere\n", headers=(("Location", "ftp://127.0.0.1:1/feed.xml"),))

    def route_big(self, arg):
        n = int(arg)
        if not 0 <= n <= MAX_BIG:
            raise ValueError(arg)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        chunk = b"x" * 65536
        while n > 0:
            k = min(n, len(chunk))
            self.wfile.write(chunk[:k])
            n -= k

    def route_gzip(self, arg):
        f = self.root_file(arg)
        if f is None:
            return self.reply(404, b"no such file\n")
        self.reply(200, gzip.compress(f[0]), self.guess_type(arg),
                   (("Content-Encoding", "gzip"),))

    def route_hang(self, arg):
        # Hold the connection without a byte of answer until the client
        # gives up (EOF) or the limit passes.
        self.close_connection = True
        deadline = time.monotonic() + HANG_LIMIT
        sock = self.connection
        while time.monotonic() < deadline:
            r, _, _ = select.select([sock], [], [], 1.0)
            if r:
                try:
                    if not sock.recv(4096):
                        return
                except OSError:
                    return

    def route_headers(self, arg):
        body = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items())
        self.reply(200, body.encode("utf-8", "replace"))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is normal here


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--root", default=".", help="directory of files to serve")
    ap.add_argument("--lifetime", type=float, default=600.0,
                    help="exit after this many seconds")
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    ap.add_argument("--tls-key", help="and this key (PEM)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    if not os.path.isdir(root):
        sys.exit("httpd.py: --root %s: not a directory" % a.root)

    class H(Handler):
        def __init__(self, *args, **kw):
            super().__init__(*args, directory=root, **kw)

    srv = Server(("127.0.0.1", a.port), H)
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    srv.root = root
    srv.state = State()
    print("port %d" % srv.server_address[1], flush=True)
    t = threading.Timer(a.lifetime, srv.shutdown)
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    main()
