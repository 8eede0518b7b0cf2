#!/usr/bin/python3
"""A minimal, fast SMTP sink for tests/bench/send.sh (asyncio, no aiosmtpd):
accepts everything, keeps nothing, counts messages, bytes and connections.

Usage: smtpsink.py --port N [--stats FILE]
Prints "port N" when listening; on SIGTERM writes
"messages M bytes B connections C" to FILE (or stdout) and exits.
"""
import argparse
import asyncio
import signal
import sys

stats = {"messages": 0, "bytes": 0, "connections": 0}


async def session(reader, writer):
    stats["connections"] += 1
    w = writer.write
    w(b"220 bench sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                w(b"250-bench\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n")
            elif verb == b"DATA":
                w(b"354 go ahead\r\n")
                # One search for the end marker, not a readline per line.
                try:
                    body = await reader.readuntil(b"\r\n.\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                n = len(body) - 3
                stats["messages"] += 1
                stats["bytes"] += n
                w(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                w(b"221 bye\r\n")
                break
            else:  # MAIL, RCPT, RSET, NOOP
                w(b"250 OK\r\n")
            await writer.drain()
    finally:
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--stats")
    a = ap.parse_args()
    srv = await asyncio.start_server(session, "127.0.0.1", a.port, limit=64 << 20)
    print("port %d" % srv.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    srv.close()
    out = "messages %(messages)d bytes %(bytes)d connections %(connections)d\n" % stats
    if a.stats:
        with open(a.stats, "w") as f:
            f.write(out)
    else:
        sys.stdout.write(out)


if __name__ == "__main__":
    asyncio.run(main())
