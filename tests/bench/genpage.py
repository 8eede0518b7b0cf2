#!/usr/bin/python3
"""Watched-page benchmark documents (tests/bench/watch.sh), stdlib only.

usage: genpage.py html OUT_A OUT_B [BYTES]   two versions of a page of
           about BYTES (default 2 MiB) of HTML: sections with headings,
           paragraphs, lists and tables; B changes a word in 2% of the
           paragraphs, a cell in 5% of the tables, adds 3 sections and
           removes 2
       genpage.py pdf OUT_A.txt OUT_B.txt [PAGES]   mkpdf.py input for a
           document of PAGES (default 100) pages, B with a changed
           reimbursement table on every tenth page
Deterministic (fixed seed): the same arguments give the same bytes.
"""
import random
import sys

WORDS = ("primärvården vårdcentralen husläkare listning ersättning uppdrag "
         "kontinuitet tillgänglighet invånare region förvaltningen åtgärder "
         "uppföljning läkare sjuksköterska kvalitet ansvar utveckling plan "
         "fastlege kommune legevakt rekruttering mål strategi budget avtal").split()


def sentence(r):
    n = r.randint(8, 18)
    w = [r.choice(WORDS) for _ in range(n)]
    return w[0].capitalize() + " " + " ".join(w[1:]) + "."


def para(r):
    return " ".join(sentence(r) for _ in range(r.randint(3, 5)))


def html(a, b, size):
    r = random.Random(19)
    sections = []
    total = 0
    i = 0
    while total < size:
        i += 1
        s = {"h": "Avsnitt %d: %s" % (i, " ".join(r.choice(WORDS) for _ in range(3))),
             "p": [para(r) for _ in range(6)],
             "li": [sentence(r) for _ in range(4)],
             "rows": [(r.choice(WORDS), "%d kr" % r.randint(100, 900), r.choice(WORDS)) for _ in range(5)]}
        total += 200 + sum(len(p) for p in s["p"]) + sum(len(x) + 10 for x in s["li"]) + 5 * 60
        sections.append(s)
    r2 = random.Random(20)
    def render(secs):
        out = ['<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Strategi</title></head><body>',
               '<header><nav><ul><li><a href="/">Start</a></li></ul></nav></header><main><h1>Strategi</h1>']
        for s in secs:
            out.append("<h2>%s</h2>" % s["h"])
            out.extend("<p>%s</p>" % p for p in s["p"])
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % x for x in s["li"]))
            out.append("<table>%s</table>" % "".join("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % row for row in s["rows"]))
        out.append("</main><footer><p>Regionen</p></footer></body></html>")
        return "\n".join(out)
    open(a, "w").write(render(sections))
    changed = []
    for s in sections:
        s = dict(s, p=list(s["p"]), rows=list(s["rows"]))
        for k in range(len(s["p"])):
            if r2.random() < 0.02:
                w = s["p"][k].split(" ")
                w[r2.randrange(len(w))] = "ÄNDRAT"
                s["p"][k] = " ".join(w)
        if r2.random() < 0.05:
            s["rows"][0] = (s["rows"][0][0], "%d kr" % r2.randint(100, 900), s["rows"][0][2])
        changed.append(s)
    for k in (3, 10):
        del changed[len(changed) // k]
    for k in (2, 5, 7):
        changed.insert(len(changed) // k, {"h": "Nytt avsnitt %d" % k, "p": [para(r2) for _ in range(3)],
                                            "li": [], "rows": []})
    open(b, "w").write(render(changed))


def pdf(a, b, pages):
    r = random.Random(19)
    pa, pb = [], []
    for p in range(1, pages + 1):
        lines = ["%d %s" % (p, " ".join(r.choice(WORDS) for _ in range(3)).capitalize())]
        for _ in range(20):
            lines.append(" ".join(r.choice(WORDS) for _ in range(11)))
        table = [(r.choice(WORDS), "%d kr" % r.randint(100, 900), "per besök") for _ in range(8)]
        la = lines + ["\t".join(t) for t in table]
        if p % 10 == 0:
            table[2] = (table[2][0], "%d kr" % (int(table[2][1].split()[0]) + 30), "per besök")
        lb = lines + ["\t".join(t) for t in table]
        pa.append("\n".join(la))
        pb.append("\n".join(lb))
    open(a, "w").write("\f".join(pa) + "\n")
    open(b, "w").write("\f".join(pb) + "\n")


if sys.argv[1] == "html":
    html(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 2 << 20)
else:
    pdf(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 100)
