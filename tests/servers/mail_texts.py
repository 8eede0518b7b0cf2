#!/usr/bin/python3
# The plain-text part of every message in a Maildir folder sent to TO,
# oldest first, each after its Subject and Auto-Submitted lines: what the
# tests grep.   mail_texts.py FOLDER TO
import email, email.policy, os, sys

folder, to = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(folder), key=lambda f: os.stat(os.path.join(folder, f)).st_mtime_ns)
for name in names:
    with open(os.path.join(folder, name), 'rb') as f:
        m = email.message_from_bytes(f.read(), policy=email.policy.default)
    if to not in str(m['To']):
        continue
    print('Subject: ' + str(m['Subject']))
    print('Auto-Submitted: ' + str(m['Auto-Submitted']))
    body = m.get_body(('plain',))
    print(body.get_content() if body is not None else '')
