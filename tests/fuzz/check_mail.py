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
        found += [(where, repr(d)) for d in part.defects]
        for name, value in part.items():
            found += [(where + " header " + name, repr(d)) for d in getattr(value, "defects", ())]
        if part.is_multipart():
            continue
        try:
            content = part.get_content()
        except Exception as e:  # a part the client cannot decode
            found.append((where, "get_content: %r" % e))
            continue
        if isinstance(content, str) and "\ufffd" in content and part.get_content_charset() == "utf-8":
            raw = part.get_payload(decode=True) or b""
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                found.append((where, "not UTF-8: %s" % e))
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
