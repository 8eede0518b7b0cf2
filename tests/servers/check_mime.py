#!/usr/bin/python3
"""Checks a message written by mail_compose against what the test expected,
with Python's own mail parser as the independent reader.

Usage: check_mime.py MESSAGE EXPECT.json
EXPECT keys (all optional): subject, from_name, from_addr, to_name,
to_addr, reply_to, list_id, list_unsubscribe, date (epoch seconds), text,
html, calendar (then the message is multipart/mixed of the alternative and
an attached text/calendar; method=PUBLISH .ics that must hold it),
forbid_headers (list of names that must not exist).
Prints one line per problem on stderr; exit 0 when all hold, 1 otherwise.
"""
import email
import email.policy
import email.utils
import json
import sys


def main():
    raw = open(sys.argv[1], "rb").read()
    want = json.load(open(sys.argv[2], encoding="utf-8"))
    bad = []

    def check(cond, what):
        if not cond:
            bad.append(what)

    lines = raw.split(b"\r\n")
    check(raw.endswith(b"\r\n"), "message does not end with CRLF")
    check(b"\n" not in raw.replace(b"\r\n", b""), "bare LF in message")
    check(b"\r" not in raw.replace(b"\r\n", b""), "bare CR in message")
    longest = max(len(l) for l in lines)
    check(longest <= 998, "a line is %d octets" % longest)
    check(all(b < 0x80 for b in raw), "8-bit byte in the message")

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    check(not msg.defects, "message defects: %r" % msg.defects)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    names = [l.split(b":", 1)[0].decode().lower() for l in head if l[:1] not in (b" ", b"\t")]
    for h in want.get("forbid_headers", []):
        check(h.lower() not in names, "forbidden header %s present" % h)
    for h in ("date", "from", "to", "subject", "message-id", "mime-version"):
        check(names.count(h) == 1, "header %s appears %d times" % (h, names.count(h)))
    check(names.count("precedence") == 1 and str(msg["Precedence"]) == "bulk", "Precedence")
    check(str(msg["Auto-Submitted"]) == "auto-generated", "Auto-Submitted")
    check(str(msg["MIME-Version"]) == "1.0", "MIME-Version")

    if "subject" in want:
        check(str(msg["Subject"]) == want["subject"],
              "Subject %r != %r" % (str(msg["Subject"]), want["subject"]))
    for hname, key in (("From", "from"), ("To", "to")):
        h = msg[hname]
        if h is None or len(h.addresses) != 1:
            bad.append("%s: not exactly one address" % hname)
            continue
        a = h.addresses[0]
        if key + "_name" in want:
            check(a.display_name == want[key + "_name"],
                  "%s name %r != %r" % (hname, a.display_name, want[key + "_name"]))
        if key + "_addr" in want:
            check(a.addr_spec == want[key + "_addr"],
                  "%s addr %r != %r" % (hname, a.addr_spec, want[key + "_addr"]))
    if "reply_to" in want:
        rt = msg["Reply-To"]
        check(rt is not None and rt.addresses[0].addr_spec == want["reply_to"], "Reply-To")
    else:
        check(msg["Reply-To"] is None, "unexpected Reply-To")
    if "list_id" in want:
        check(str(msg["List-Id"]) == want["list_id"], "List-Id %r" % str(msg["List-Id"]))
    if "list_unsubscribe" in want:
        check(str(msg["List-Unsubscribe"]) == want["list_unsubscribe"],
              "List-Unsubscribe %r" % str(msg["List-Unsubscribe"]))
    if "message_id" in want:
        check(str(msg["Message-ID"]) == "<%s>" % want["message_id"], "Message-ID")
    if "date" in want:
        d = email.utils.parsedate_to_datetime(str(msg["Date"]))
        check(int(d.timestamp()) == want["date"], "Date %s" % msg["Date"])

    # With a calendar: multipart/mixed of the alternative (the digest,
    # first) and the events as an attached .ics.
    alt = msg
    attached = []
    if "calendar" in want:
        check(msg.get_content_type() == "multipart/mixed", "top type %s" % msg.get_content_type())
        outer = list(msg.iter_parts()) if msg.is_multipart() else []
        check([p.get_content_type() for p in outer] == ["multipart/alternative", "text/calendar"],
              "mixed parts %r" % [p.get_content_type() for p in outer])
        if len(outer) == 2:
            alt, attached = outer[0], [outer[1]]
            cal = outer[1]
            check(cal.get_param("method") == "PUBLISH", "calendar method %r" % cal.get_param("method"))
            check(cal.get_content_disposition() == "attachment",
                  "calendar disposition %r" % cal.get_content_disposition())
            check((cal.get_filename() or "").endswith(".ics"), "calendar file name %r" % cal.get_filename())
    check(alt.get_content_type() == "multipart/alternative",
          "alternative type %s" % alt.get_content_type())
    parts = (list(alt.iter_parts()) if alt.is_multipart() else []) + attached
    types = ["text/plain", "text/html"] + ["text/calendar"] * len(attached)
    check([p.get_content_type() for p in parts] == types,
          "parts %r" % [p.get_content_type() for p in parts])
    for p, key in zip(parts, ("text", "html", "calendar")):
        check(p.get_content_charset() == "utf-8", "%s charset %s" % (key, p.get_content_charset()))
        check(p["Content-Transfer-Encoding"] == "quoted-printable", "%s CTE" % key)
        if key in want:
            # The wire form is CRLF; the input may have used LF.
            got = p.get_content().replace("\r\n", "\n")
            exp = want[key].replace("\r\n", "\n")
            check(got == exp, "%s body differs: %r... vs %r..." % (key, got[:80], exp[:80]))

    for b in bad:
        print("check_mime: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
