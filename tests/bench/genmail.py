#!/usr/bin/python3
"""Fills a Maildir with a mailbox's worth of real-world-shaped messages for
the mailbox benchmark and the kill campaign (issue 18), and the member
list and delivery ledger they point back to.

usage: genmail.py --maildir DIR --members CSV --ledger SQL --round R
                  --count N [--mix unsub=20,bounce=30,auto=20,chair=5,junk=25]

Messages go straight into DIR/new (Dovecot picks them up); members are
appended to CSV (written with a header when missing), ledger rows to SQL
(digest R and one delivery per bounced message). Everything is distinct
per round (addresses u<R>-<i>@example.se, Message-IDs gen.<R>.<k>@...),
and the same arguments give the same bytes. Prints one line:
"moved M left L answers A bounces B unsubscribed U added D bytes N".
"""
import argparse
import os

p = argparse.ArgumentParser()
p.add_argument("--maildir", required=True)
p.add_argument("--members", required=True)
p.add_argument("--ledger", required=True)
p.add_argument("--round", type=int, required=True)
p.add_argument("--count", type=int, required=True)
p.add_argument("--mix", default="unsub=20,bounce=30,auto=20,chair=5,junk=25")
a = p.parse_args()
R = a.round
mix = dict((k, int(v)) for k, v in (x.split("=") for x in a.mix.split(",")))
total = sum(mix.values())
kinds = []
for k in ("unsub", "bounce", "auto", "chair", "junk"):
    kinds += [k] * mix.get(k, 0)

AUTO = [("Automatiskt svar: Primärvårdsnytt", "Auto-Submitted: auto-generated", "Jag är på semester till 22 mars."),
        ("Fravær: Primærnytt", "Auto-Submitted: auto-replied", "Jeg er på ferie til 20. mars."),
        ("Fråvær", "Precedence: auto_reply", "Eg er på ferie."),
        ("Ferie", "X-Autoreply: yes", "Jeg holder ferie til og med 16. marts."),
        ("Out of Office: Primärvårdsnytt", "Auto-Submitted: auto-replied", "I am out of the office.")]
UNSUB = [("avregistrera", "sv", ""), ("Re: Primärvårdsnytt", "sv", "Avregistrera mig, tack."),
         ("Meld meg av", "nb", "Takk."), ("Avmeld", "nn", "Takk for no."),
         ("Afmeld", "da", "Afmeld mig venligst."), ("unsubscribe", "en", "Please remove me.")]
JUNK = [("Re: Primärvårdsnytt", "Var hittar jag förfrågningsunderlaget?"),
        ("Congratulations! You have won", "Click here to claim your prize."),
        ("Styrelsemöte", "Kan vi ses på torsdag?")]


def hdr_date(k):
    return "Mon, 16 Mar 2026 %02d:%02d:%02d +0100" % (6 + k // 3600 % 12, k // 60 % 60, k % 60)


members = []
ledger = []
counts = dict(moved=0, left=0, answers=0, bounces=0, unsubscribed=0, added=0, bytes=0)
new = os.path.join(a.maildir, "new")
os.makedirs(new, exist_ok=True)
for k in range(a.count):
    kind = kinds[k % total]
    mid = "gen.%d.%d@soak.example" % (R, k)
    who = "u%d-%d@example.se" % (R, k)
    if kind == "unsub":
        subj, lang, line = UNSUB[k % len(UNSUB)]
        members.append((who, "Medlem %d-%d" % (R, k), lang))
        msg = ("From: Medlem <%s>\nTo: nyhetsbrev@dlf-test.se\nSubject: %s\nDate: %s\n"
               "Message-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: 8bit\n\n%s\n\n> Hej! Här är veckans nyheter.\n"
               % (who, subj, hdr_date(k), mid, line))
        counts["moved"] += 1
        counts["answers"] += 1
        counts["unsubscribed"] += 1
    elif kind == "bounce":
        members.append((who, "Medlem %d-%d" % (R, k), "sv"))
        sent = "bulletin.%d.1773639000.%016x@dlf-test.se" % (R, k)
        ledger.append((who, sent))
        b = "BND%d.%d/mx.dlf-test.se" % (R, k)
        msg = ("Return-Path: <>\nDate: %s\nFrom: MAILER-DAEMON@mx.dlf-test.se (Mail Delivery System)\n"
               "Subject: Undelivered Mail Returned to Sender\nTo: nyhetsbrev@dlf-test.se\n"
               "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
               "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"%s\"\n"
               "Message-Id: <%s>\n\nThis is a MIME-encapsulated message.\n\n--%s\n"
               "Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
               "This is the mail system at host mx.dlf-test.se.\n\n<%s>: host mx.example.se said: 550 5.1.1\n"
               "    <%s>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
               "--%s\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
               "Reporting-MTA: dns; mx.dlf-test.se\n\nFinal-Recipient: rfc822; %s\nAction: failed\n"
               "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n\n"
               "--%s\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
               "From: nyhetsbrev@dlf-test.se\nTo: Medlem <%s>\nSubject: =?UTF-8?Q?Prim=C3=A4rv=C3=A5rdsnytt?=\n"
               "Message-ID: <%s>\n\n--%s--\n"
               % (hdr_date(k), b, mid, b, who, who, b, who, who, b, who, sent, b))
        counts["moved"] += 1
        counts["bounces"] += 1
    elif kind == "auto":
        subj, h, body = AUTO[k % len(AUTO)]
        msg = ("From: Kollega <kollega%d@example.org>\nTo: nyhetsbrev@dlf-test.se\nSubject: %s\n"
               "Date: %s\nMessage-ID: <%s>\n%s\nMIME-Version: 1.0\n"
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n"
               % (k, subj, hdr_date(k), mid, h, body))
        counts["moved"] += 1
    elif kind == "chair":
        msg = ("Authentication-Results: mx.dlf-test.se; dkim=pass header.d=dlf-test.se header.s=mail2026\n"
               "From: Ingrid Holmqvist <ordforande@dlf-test.se>\nTo: nyhetsbrev@dlf-test.se\n"
               "Subject: Medlemmar\nDate: %s\nMessage-ID: <%s>\nMIME-Version: 1.0\n"
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
               "add Ny Medlem %d-%d <ny%d-%d@example.org>\n" % (hdr_date(k), mid, R, k, R, k))
        counts["moved"] += 1
        counts["answers"] += 1
        counts["added"] += 1
    else:
        subj, body = JUNK[k % len(JUNK)]
        msg = ("From: Someone <someone%d@example.org>\nTo: nyhetsbrev@dlf-test.se\nSubject: %s\n"
               "Date: %s\nMessage-ID: <%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: 8bit\n\n%s\n" % (k, subj, hdr_date(k), mid, body))
        counts["left"] += 1
    with open(os.path.join(new, "1773639000.R%dK%d.genmail" % (R, k)), "w") as f:
        f.write(msg)
    counts["bytes"] += len(msg.encode())

fresh = not os.path.exists(a.members)
with open(a.members, "a") as f:
    if fresh:
        f.write("email,name,language\n")
    for e, n, l in members:
        f.write("%s,%s,%s\n" % (e, n, l))
with open(a.ledger, "w") as f:
    f.write("INSERT OR IGNORE INTO digests(id, period_start, period_end, created, completed, subject)"
            " VALUES (%d, %d, %d, %d, %d, 'Primärvårdsnytt');\n" % (R, 1773000000 + R, 1773000001 + R, 1773000000 + R, 1773000002 + R))
    for e, m in ledger:
        f.write("INSERT INTO deliveries(digest_id, email, state, attempts, message_id, updated)"
                " VALUES (%d, '%s', 'sent', 1, '%s', 1773639000);\n" % (R, e, m))
print(" ".join("%s %d" % (k, counts[k]) for k in ("moved", "left", "answers", "bounces", "unsubscribed", "added", "bytes")))
