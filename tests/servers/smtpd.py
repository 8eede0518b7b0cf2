#!/usr/bin/python3
"""SMTP sink for the tests (aiosmtpd; Debian's python3-aiosmtpd).

Usage: smtpd.py --port N --maildir DIR [--fail-rcpt ADDR:CODE[:N] ...]
                [--fail-mail ADDR:CODE[:N] ...] [--drop-after N]
                [--tls-cert PEM --tls-key PEM] [--auth USER:PASSWORD]
                [--slow-data ADDR:SECONDS[:N] ...] [--pidfile F]

Listens on 127.0.0.1 only (--port 0 picks a free port). Each accepted
message is stored once per recipient in the Maildir DIR (new/, tmp/, cur/),
with X-Envelope-From and X-Envelope-To headers prepended, and a line
"FILE FROM TO" is appended to DIR/envelopes.log, and "EHLO NAME" to
DIR/sessions.log for each EHLO. --fail-rcpt answers CODE
(e.g. 550 or 451) to RCPT TO for ADDR, the first N times only when :N
is given (then it accepts); --fail-mail does the same for MAIL FROM. After
a 421 the server closes the connection, as real servers do. --drop-after N
closes a connection without a word once it has accepted N messages (the
next command the client sends finds it gone). --tls-cert/--tls-key offer
STARTTLS and require it before MAIL; --auth requires AUTH PLAIN or LOGIN
(over TLS when TLS is offered) with that user and password. Each accepted
message also appends "MONOTONIC_SECONDS TO" to DIR/timing.log.
--slow-data stores a message for ADDR ("*": any recipient) at once but
answers the final "." only SECONDS later (a fraction is fine), the first
N times only when :N is given: a server whose reply outlives the
client's patience, the message delivered all the same. Prints
"ready PORT" on stdout once listening; exits cleanly on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

TEXTS = {
    421: "4.3.0 Service not available",
    450: "4.2.0 Mailbox unavailable",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.1.1 Mailbox unavailable: no such user",
    551: "5.1.6 User not local",
    552: "5.2.2 Mailbox full",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.7.1 Transaction failed",
}


def parse_fail(items, what):
    """ADDR:CODE or ADDR:CODE:N -> {addr: [code, times left or None]}."""
    out = {}
    for it in items or []:
        parts = it.rsplit(":", 2)
        times = None
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            addr, code, times = parts[0], parts[1], int(parts[2])
        else:
            addr, _, code = it.rpartition(":")
        if not addr or not code.isdigit() or not 400 <= int(code) <= 599:
            sys.exit("smtpd.py: --%s wants ADDR:CODE[:N] (4xx or 5xx), got %r" % (what, it))
        out[addr.lower()] = [int(code), times]
    return out


def take(table, address):
    """The code to answer for address now, counting down N-times entries."""
    ent = table.get(address.lower())
    if not ent or ent[1] == 0:
        return None
    if ent[1] is not None:
        ent[1] -= 1
    return ent[0]


def close_soon(server):
    # After the reply is queued: transport.close() flushes it first.
    asyncio.get_event_loop().call_soon(server.transport.close)


def reply(code):
    return "%d %s" % (code, TEXTS.get(code, "Refused by test server"))


def parse_slow(items):
    """ADDR:SECONDS or ADDR:SECONDS:N -> {addr: [seconds, times left or None]}."""
    out = {}
    for it in items or []:
        parts = it.split(":")
        try:
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValueError
            out[parts[0].lower()] = [float(parts[1]), int(parts[2]) if len(parts) == 3 else None]
        except ValueError:
            sys.exit("smtpd.py: --slow-data wants ADDR:SECONDS[:N], got %r" % it)
    return out


class Sink:
    def __init__(self, maildir, fail_rcpt, fail_mail, drop_after=0, slow_data=None):
        self.slow_data = slow_data or {}
        self.maildir = maildir
        self.fail_rcpt = fail_rcpt
        self.fail_mail = fail_mail
        self.drop_after = drop_after
        self.count = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One line per SMTP session: lets tests see connection reuse.
        session.host_name = hostname
        with self.lock, open(os.path.join(self.maildir, "sessions.log"), "a",
                             encoding="utf-8") as log:
            log.write("EHLO %s\n" % hostname)
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        code = take(self.fail_mail, address)
        if code:
            if code == 421:
                close_soon(server)
            return reply(code)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = take(self.fail_rcpt, address)
        if code:
            if code == 421:
                close_soon(server)
            return reply(code)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        names = []
        for rcpt in envelope.rcpt_tos:
            with self.lock:
                self.count += 1
                n = self.count
            name = "%d.%d_%d.bulletin-test" % (int(time.time()), os.getpid(), n)
            head = ("X-Envelope-From: <%s>\r\nX-Envelope-To: <%s>\r\n"
                    % (envelope.mail_from, rcpt)).encode("utf-8")
            tmp = os.path.join(self.maildir, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(head + data)
            os.rename(tmp, os.path.join(self.maildir, "new", name))
            with self.lock, open(os.path.join(self.maildir, "envelopes.log"), "a",
                                 encoding="utf-8") as log:
                log.write("%s %s %s\n" % (name, envelope.mail_from, rcpt))
            with self.lock, open(os.path.join(self.maildir, "timing.log"), "a",
                                 encoding="utf-8") as log:
                log.write("%.6f %s\n" % (time.monotonic(), rcpt))
            names.append(name)
        delay = 0.0
        for rcpt in envelope.rcpt_tos:
            for key in (rcpt.lower(), "*"):
                ent = self.slow_data.get(key)
                if ent and ent[1] != 0:
                    if ent[1] is not None:
                        ent[1] -= 1
                    delay = max(delay, ent[0])
                    break
        if delay:
            # Stored already: only the reply to the final "." is late.
            await asyncio.sleep(delay)
        if self.drop_after:
            # Counted per connection: the session object lives as long as it.
            session.bulletin_accepted = getattr(session, "bulletin_accepted", 0) + 1
            if session.bulletin_accepted >= self.drop_after:
                close_soon(server)
        return "250 2.0.0 OK queued as %s" % ",".join(names)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--fail-rcpt", action="append")
    ap.add_argument("--fail-mail", action="append")
    ap.add_argument("--drop-after", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--auth", help="USER:PASSWORD")
    ap.add_argument("--slow-data", action="append")
    ap.add_argument("--pidfile")
    a = ap.parse_args()

    for sub in ("new", "tmp", "cur"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)
    sink = Sink(a.maildir, parse_fail(a.fail_rcpt, "fail-rcpt"),
                parse_fail(a.fail_mail, "fail-mail"), a.drop_after, parse_slow(a.slow_data))
    extra = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        extra.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, _, password = a.auth.partition(":")

        def check(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login == user.encode() and data.password == password.encode())
            with sink.lock, open(os.path.join(a.maildir, "sessions.log"), "a",
                                 encoding="utf-8") as log:
                log.write("AUTH %s %s\n" % (mechanism, "ok" if ok else "refused"))
            # handled=False: aiosmtpd then answers 535 itself.
            return AuthResult(success=ok, handled=False)

        extra.update(authenticator=check, auth_required=True,
                     auth_require_tls=bool(a.tls_cert))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # --port 0: a free port, chosen here and announced on the ready line.
    # Another process can take it between the check and the bind (a busy
    # machine opens ports all the time), so a failed bind tries another.
    for attempt in range(10):
        port = a.port or free_port()
        ctl = Controller(sink, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True,
                         decode_data=False, **extra)
        try:
            ctl.start()
            break
        except OSError:
            if a.port or attempt == 9:
                raise
    try:
        if a.pidfile:
            with open(a.pidfile, "w") as f:
                f.write("%d\n" % os.getpid())
        print("ready %d" % port, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except OSError:
                pass
        # Controller.stop() joins the server thread with no time limit, and
        # a session caught mid-handshake can keep it from ending. Every
        # message is already in the Maildir (written before its 250), so
        # give the clean stop two seconds and then leave regardless.
        stopper = threading.Thread(target=ctl.stop, daemon=True)
        stopper.start()
        stopper.join(2)
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
