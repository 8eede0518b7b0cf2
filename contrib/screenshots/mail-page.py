#!/usr/bin/python3
# A member's HTML part as Chromium should show it at a given width: a
# page holding the part in an iframe of exactly that width (headless
# Chromium will not make a window narrower than 500 px, an iframe can be
# any width). Once loaded, the page's <body> carries data-size="SCROLLWIDTH
# WIDTH SCROLLHEIGHT WRAPWIDTH" of the mail's document (WRAPWIDTH: its
# .wrap table, the 600 px container; 0 when none), which `--dump-dom`
# prints: contrib/screenshots/run.sh sizes its screenshots with it and
# tests/integration/mail_overflow.sh fails when SCROLLWIDTH > WIDTH.
#   mail-page.py MESSAGE|MAILDIR LANG WIDTH OUT.html [HEIGHT]
# With a Maildir folder, the first message (by name) whose HTML part is in
# LANG (<html lang="LANG">) is taken; with a message, LANG is "-".
import email, email.policy, html, os, re, sys

src, lang, width, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
height = int(sys.argv[5]) if len(sys.argv) > 5 else 800


def html_part(path):
    with open(path, "rb") as f:
        m = email.message_from_bytes(f.read(), policy=email.policy.default)
    body = m.get_body(("html",))
    return body.get_content() if body is not None else None


if os.path.isdir(src):
    part = None
    for name in sorted(os.listdir(src)):
        h = html_part(os.path.join(src, name))
        if h and re.search(r'<html lang="%s"' % re.escape(lang), h):
            part = h
            break
    if part is None:
        sys.exit("mail-page.py: no message in %s has an HTML part in %s" % (src, lang))
else:
    part = html_part(src)
    if part is None:
        sys.exit("mail-page.py: %s has no HTML part" % src)

page = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
html, body { margin: 0; padding: 0; }
iframe { border: 0; display: block; width: %dpx; height: %dpx; }
</style></head><body>
<iframe id="mail" srcdoc="%s"></iframe>
<script>
var f = document.getElementById("mail");
f.onload = function () {
  var d = f.contentDocument.documentElement, w = f.contentDocument.querySelector(".wrap");
  document.body.setAttribute("data-size", d.scrollWidth + " " + f.contentWindow.innerWidth + " " +
                             d.scrollHeight + " " + (w ? w.getBoundingClientRect().width : 0));
};
</script></body></html>
""" % (width, height, html.escape(part, quote=True))
with open(out, "w", encoding="utf-8") as f:
    f.write(page)
