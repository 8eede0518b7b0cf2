#!/usr/bin/python3
"""The reference for the mailbox benchmark (issue 18): Python's imaplib
doing the IMAP work `bulletin mailbox` does on the same server, in FOLDER, without
classifying or recording anything: LOGIN over TLS, SELECT, UID SEARCH
UNDELETED, then per batch of 50 a UID FETCH of (UID RFC822.SIZE
BODY.PEEK[HEADER]<0.65536> BODY.PEEK[TEXT]<0.131072>) and a UID MOVE of
the batch to DEST (created when missing).

usage: imapref.py HOST PORT CAFILE USER PASSWORD FOLDER DEST
Prints "messages N bytes B".
"""
import imaplib
import ssl
import sys

host, port, ca, user, pw, folder, dest = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=ca)
m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx)
m.login(user, pw)
m.create(dest)
m.select(folder)
typ, data = m.uid("SEARCH", "UNDELETED")
uids = data[0].split()
n = nbytes = 0
for i in range(0, len(uids), 50):
    batch = b",".join(uids[i:i + 50]).decode()
    typ, data = m.uid("FETCH", batch, "(UID RFC822.SIZE BODY.PEEK[HEADER]<0.65536> BODY.PEEK[TEXT]<0.131072>)")
    for part in data:
        if isinstance(part, tuple):
            nbytes += len(part[1])
    n += len(uids[i:i + 50])
    typ, _ = m.uid("MOVE", batch, dest)
    if typ != "OK":
        sys.exit("MOVE failed")
m.logout()
print("messages %d bytes %d" % (n, nbytes))
