#!/usr/bin/python3
"""Reads every .eml file of a folder with Python's email parser (policy
default, as a mail client would) and fails on any defect: in the message,
in any part, in any header, or in decoding any part's content.

    check_mail.py DIR

Prints one line per message with a defect and a summary; exits 1 when there
was any (or no message at all), 0 otherwise. tests/integration/fuzz_corpus.sh
runs it over the messages tests/fuzz/fuzz_mail makes from its corpus.
"""

import email
import email.policy
import os
import sys


def defects(msg):
    """The defects of msg and its parts, as (where, text) pairs."""
    found = []
    for n, part in enumerate(msg.walk()):
        where = "part %d (%s)" % (n, part.get_content_type())
        for name, raw in part.raw_items():
            try:
                value = part.policy.header_fetch_parse(name, raw)
            except Exception as e:  # the parser gave up on the header
                found.append((where + " header " + name, "unparsable: %r" % e))
                continue
            found += [(where + " header " + name, repr(d)) for d in getattr(value, "defects", ())]
        if not part.is_multipart():
            # Decoding records its own defects (bad base64, ...) on the part.
            try:
                part.get_content()
            except Exception as e:  # a part the client cannot decode
                found.append((where, "get_content: %r" % e))
            raw = part.get_payload(decode=True) or b""
            if part.get_content_charset() == "utf-8":
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    found.append((where, "not UTF-8: %s" % e))
        found += [(where, repr(d)) for d in part.defects]
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    names = sorted(f for f in os.listdir(folder) if f.endswith(".eml"))
    bad = 0
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        found = defects(msg)
        if found:
            bad += 1
            print("%s: %s" % (name, "; ".join("%s: %s" % w for w in found[:5])))
    print("%d messages, %d with defects" % (len(names), bad))
    sys.exit(1 if bad or not names else 0)


if __name__ == "__main__":
    main()
