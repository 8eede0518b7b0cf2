#!/usr/bin/python3
"""Stand-in for msmtp in tests/bench/send.sh: sends each .eml file given on
the command line over its own SMTP connection (connect, EHLO, MAIL, RCPT,
DATA, QUIT), as `msmtp -t < FILE` would once per file. The recipient is
the file's To: address.

Usage: smtpsend_ref.py HOST PORT FROM FILE...
"""
import email.parser
import email.policy
import smtplib
import sys


def main():
    host, port, sender = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hp = email.parser.BytesHeaderParser(policy=email.policy.default)
    for path in sys.argv[4:]:
        with open(path, "rb") as f:
            data = f.read()
        to = hp.parsebytes(data)["To"].addresses[0].addr_spec
        with smtplib.SMTP(host, port) as s:
            s.sendmail(sender, [to], data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
