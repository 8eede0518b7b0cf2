#!/usr/bin/python3
"""Benchmark HTTP/1.1 server for tests/bench/fetch.sh.

Listens on 127.0.0.2 ... 127.0.0.(1+HOSTS), one socket per address, all on
the same port, so that a client's per-host connection limit applies as it
would to that many real sites. Linux routes all of 127.0.0.0/8 to lo, so no
setup is needed; loopback only, never a wildcard address.

GET /feed/N.xml answers after --delay seconds with a ~50 KB RSS 2.0 feed
(built once at start; Swedish and Norwegian text, distinct per N by a title
prefix), an ETag and a Last-Modified. A request whose If-None-Match (or,
without one, If-Modified-Since) matches answers 304 after the same delay,
so the 304 run is timed against the same simulated network latency as the
full one; --delay-304 or GET /control?delay304=S changes that delay.
Bodies are always sent uncompressed whatever Accept-Encoding says, so
bulletin (which asks for gzip/br/zstd) and curl (which, without
--compressed, does not) move the same bytes.

asyncio, one event loop: hundreds of connections wait out the delay at once
without a thread each, and the delay never serialises them.

Prints "port N" when every socket is listening; exits by itself after
--lifetime seconds (and on SIGTERM/SIGINT). GET /stats answers at once with
the counters so far (requests, 200s, 304s, 404s, connections opened, peak
open connections, peak requests in flight, and on one address), which
are also printed on exit; GET /stats?reset sets them back to zero.
"""

import argparse
import asyncio
import signal
import socket
import sys
from email.utils import formatdate

LAST_MODIFIED = formatdate(1717200000, usegmt=True)  # fixed: runs are comparable
MAX_HEAD = 16384

PARAGRAPHS = [
    "Primärvården i Region Stockholm får ett förstärkt uppdrag när fler "
    "vårdcentraler ska ta ansvar för patienter med kroniska sjukdomar. "
    "Distriktsläkarna efterfrågar kontinuitet, fast läkarkontakt och "
    "rimliga listningstak för att kunna möta behoven.",
    "Fastlegeordningen i Norge er under press: flere kommuner melder om "
    "ledige lister og lange køer på legevakten. Allmennlegeforeningen ber "
    "om økt basistilskudd og færre administrative oppgaver for fastlegene.",
    "Socialstyrelsen publicerar nya nationella riktlinjer för vård vid "
    "depression och ångestsyndrom, där vårdcentralen är första linjen och "
    "samarbetet med kommunens äldreomsorg lyfts fram särskilt.",
    "Helsedirektoratet foreslår endringer i takstsystemet slik at "
    "tverrfaglige team i allmennpraksis kan få bedre økonomiske rammer; "
    "sykepleiere og fysioterapeuter skal inngå i teamene.",
    "Läkarförbundet varnar för att ST-läkare i allmänmedicin får för lite "
    "handledning på mindre vårdcentraler i glesbygd, särskilt i Norrland "
    "där rekryteringen av specialister är svår.",
    "Statsforvalteren i Trøndelag har gjennomført tilsyn med "
    "legevaktordningen i fem kommuner; rapporten påpeker mangler i "
    "bemanning, opplæring og journalføring på natt og i helger.",
    "Sveriges Kommuner och Regioner redovisar att väntetiderna till "
    "primärvården har minskat något under året, men skillnaderna mellan "
    "regionerna är fortfarande stora och tillgängligheten ojämn.",
    "Dansk Selskab for Almen Medicin præsenterer nye anbefalinger om "
    "opfølgning af ældre patienter med flere kroniske sygdomme i almen "
    "praksis, med fokus på færre dobbeltundersøgelser.",
]


def build_feed(items):
    """The feed as text with {P} where each feed's own prefix goes."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0"><channel>\n'
        "<title>{P}Nyheter om primärvård och fastlegeordningen</title>\n"
        "<link>http://bench.example/{P}</link>\n"
        "<description>Benchmarkflöde: å ä ö æ ø Å Ä Ö Æ Ø</description>\n"
        "<language>sv</language>\n"
    )
    parts = [head]
    for i in range(items):
        p = PARAGRAPHS[i % len(PARAGRAPHS)]
        q = PARAGRAPHS[(i * 3 + 1) % len(PARAGRAPHS)]
        parts.append(
            "<item>\n"
            f"<title>{{P}}Nyhet {i + 1}: primärvård, vårdcentral och fastlege "
            f"– åtgärder för tillgänglighet ({i + 1})</title>\n"
            f"<link>http://bench.example/{{P}}/item/{i + 1}</link>\n"
            f'<guid isPermaLink="false">{{P}}-item-{i + 1}</guid>\n'
            f"<pubDate>{formatdate(1717200000 - i * 3600, usegmt=True)}</pubDate>\n"
            f"<description>{p} {q} {p[:len(p) // 2]}…</description>\n"
            "</item>\n"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts)


class Server:
    def __init__(self, args):
        self.args = args
        self.template = None
        self.bodies = {}
        self.stats = dict(requests=0, ok=0, not_modified=0, not_found=0,
                          connections=0, peak_conn=0, peak_inflight=0,
                          peak_host=0)
        self.inflight = 0
        self.conns = 0
        self.per_host = {}
        self.delay304 = args.delay if args.delay_304 is None else args.delay_304

    def body(self, n):
        b = self.bodies.get(n)
        if b is None:
            b = self.template.replace("{P}", f"feed{n}-").encode("utf-8")
            self.bodies[n] = b
        return b

    @staticmethod
    def etag(n):
        return f'"bench-{n}-v1"'

    async def handle(self, reader, writer):
        host = writer.get_extra_info("sockname")[0]
        self.stats["connections"] += 1
        self.conns += 1
        self.stats["peak_conn"] = max(self.stats["peak_conn"], self.conns)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                if not await self.respond(head, host, writer):
                    return
        finally:
            self.conns -= 1
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def respond(self, head, host, writer):
        """Answers one request; returns False when the connection must close."""
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        hdrs = {}
        for ln in lines[1:]:
            k, sep, v = ln.partition(":")
            if sep:
                hdrs[k.strip().lower()] = v.strip()
        self.stats["requests"] += 1
        if len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            return False
        keep = parts[2] == "HTTP/1.1" and hdrs.get("connection", "").lower() != "close"
        path = parts[1]
        if path in ("/stats", "/stats?reset"):
            # Counters so far, answered at once and not counted: lets the
            # benchmark check what each run really asked for.
            self.stats["requests"] -= 1
            body = (" ".join(f"{k}={v}" for k, v in self.stats.items()) + "\n").encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            if path.endswith("?reset"):
                self.stats = dict.fromkeys(self.stats, 0)
                self.stats["peak_conn"] = self.conns - 1  # not this one
            await writer.drain()
            return keep
        if path.startswith("/control?delay304="):
            # Lets one run measure the client alone: 304s without the delay.
            try:
                self.delay304 = max(0.0, float(path.partition("=")[2]))
                code = b"204 No Content"
            except ValueError:
                code = b"400 Bad Request"
            self.stats["requests"] -= 1
            writer.write(b"HTTP/1.1 " + code + b"\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return keep
        n = None
        if path.startswith("/feed/") and path.endswith(".xml"):
            try:
                n = int(path[6:-4])
            except ValueError:
                n = None
        if n is None or n < 0:
            self.stats["not_found"] += 1
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return keep
        etag = self.etag(n)
        inm = hdrs.get("if-none-match")
        ims = hdrs.get("if-modified-since")
        fresh = (inm is not None and etag in [t.strip() for t in inm.split(",")]) or \
            (inm is None and ims == LAST_MODIFIED)
        ph = self.per_host
        ph[host] = ph.get(host, 0) + 1
        self.inflight += 1
        self.stats["peak_host"] = max(self.stats["peak_host"], ph[host])
        self.stats["peak_inflight"] = max(self.stats["peak_inflight"], self.inflight)
        try:
            await asyncio.sleep(self.delay304 if fresh else self.args.delay)
        finally:
            ph[host] -= 1
            self.inflight -= 1
        common = (f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
                  f"Date: {formatdate(usegmt=True)}\r\nServer: benchd\r\n")
        if fresh:
            self.stats["not_modified"] += 1
            writer.write(f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode())
        else:
            self.stats["ok"] += 1
            body = self.body(n)
            writer.write((f"HTTP/1.1 200 OK\r\n{common}"
                          "Content-Type: application/rss+xml; charset=utf-8\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode())
            if parts[0] == "GET":
                writer.write(body)
        await writer.drain()
        return keep


def listen_all(hosts, port):
    """One listening socket per address, all on one port. Port 0: take a
    free one on the first address and retry if another address has it."""
    addrs = [f"127.0.0.{2 + i}" for i in range(hosts)]
    for _ in range(20):
        socks = []
        try:
            p = port
            for a in addrs:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind((a, p))
                p = s.getsockname()[1]
                s.listen(512)
                s.setblocking(False)
            return socks
        except OSError as e:
            for s in socks:
                s.close()
            if port:
                raise SystemExit(f"benchd: cannot listen on {a}:{port}: {e}")
    raise SystemExit("benchd: no port free on every address")


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.25)
    ap.add_argument("--delay-304", type=float, default=None,
                    help="delay before a 304 (default: --delay)")
    ap.add_argument("--items", type=int, default=62)
    ap.add_argument("--lifetime", type=float, default=600)
    args = ap.parse_args()
    if not 1 <= args.hosts <= 250:
        raise SystemExit("benchd: --hosts must be 1..250")
    srv = Server(args)
    srv.template = build_feed(args.items)
    socks = listen_all(args.hosts, args.port)
    servers = [await asyncio.start_server(srv.handle, sock=s, limit=MAX_HEAD) for s in socks]
    port = socks[0].getsockname()[1]
    size = len(srv.body(1))
    print(f"port {port}", flush=True)
    print(f"benchd: {args.hosts} addresses 127.0.0.2-127.0.0.{1 + args.hosts}, "
          f"delay {args.delay}s, feed {size} bytes, {args.items} items", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.lifetime)
    except asyncio.TimeoutError:
        pass
    for s in servers:
        s.close()
    st = srv.stats
    print("benchd: " + " ".join(f"{k}={v}" for k, v in st.items()), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
