#!/usr/bin/python3
"""Writes the parse benchmark's RSS 2.0 document (issue 4).

usage: /usr/bin/python3 tests/bench/genfeed.py OUT [--items N] [--bytes B] [--seed S]

Defaults: 200,000 items, about 100 MiB (104,857,600 bytes), seed 4. The output is a
function of the arguments only (seeded random.Random, no clock), so two runs
write the same bytes. The file is written item by item and never held in
memory. Each item has a title in Swedish/Norwegian with escaped entities, a
link, a guid (some isPermaLink="false"), an RFC 822 pubDate in one of several
zones, a description (CDATA with HTML, or escaped HTML), 1-3 categories, and
on some items an enclosure, dc:creator and content:encoded. Description
lengths are steered item by item so that the total lands near --bytes.
Prints "items N bytes B" on stdout.
"""
import argparse
import datetime
import os
import random
import sys

WORDS = (
    "vårdcentral primärvård allmänläkare läkemedel försäkringskassan region "
    "sjukskrivning remiss journalföring patientsäkerhet vårdgaranti "
    "fastläkare legevakt helsedirektoratet kommunehelsetjeneste samhandling "
    "pasientjournal øyeblikkelig hjelp tilskudd fastlegeordningen ventetid "
    "lægevagt almen praksis sundhedsstyrelsen overenskomst "
    "äldre vård ökad tillgänglighet årsrapport förändring överenskommelse "
    "åtgärd läkarförbundet målsättning uppföljning kvalitetsregister "
    "kontinuitet hälsa bemanning arbetsmiljö utbildning ST-läkare "
    "næringsliv sykehus økonomi påvirkning tjeneste rådgivning ørebetennelse "
    "forskrift høring legeforeningen tillitsvalgt praksiskonsulent "
    "blodtryck diabetes astma KOL depression ångest multisjuka "
    "digitala vårdmöten e-recept nationella riktlinjer socialstyrelsen"
).split()
# Entities as feeds send them in titles: escaped markup and numeric
# character references (&#229; is å, &#xF8; is ø).
TITLE_BITS = ("&amp;", "&lt;nytt&gt;", "&#229;", "&#xF8;", "&#228;", "&quot;",
              "&#8211;", "&apos;")
ZONES = ("+0100", "+0200", "-0500", "+0000", "GMT", "UT", "EST", "EDT",
         "PDT", "CET", "Z", "-0330")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")
HOSTS = ("lakarforbundet.se", "legeforeningen.no", "rjl.se", "helsedir.no",
         "socialstyrelsen.se", "laeger.dk")
CATEGORIES = ("Primärvård", "Allmänmedicin", "Läkemedel", "Fastlege", "Helse",
              "Sjukskrivning", "Nyheter", "Pressmeddelande", "Høring",
              "Kvalitet &amp; säkerhet", "Almen praksis", "Ersättning")
CREATORS = ("Åsa Öberg", "Øystein Ærø", "Märta Ängström", "Bjørn Dæhlie",
            "Kari Nordmann", "Sören Åkesson")
ENCLOSURES = (("audio/mpeg", "mp3"), ("application/pdf", "pdf"),
              ("image/jpeg", "jpg"), ("video/mp4", "mp4"))

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Bänkfeed – primärvård i Norden</title>
<link>https://bench.example.org/</link>
<atom:link href="https://bench.example.org/feed.xml" rel="self" type="application/rss+xml"/>
<description>Genererad för prestandatest: nyheter för allmänläkare, fastleger og almen praksis.</description>
<language>sv</language>
"""
TAIL = "</channel>\n</rss>\n"


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def paragraph_html(rng, n, host, i):
    """n words of HTML as it appears unescaped inside CDATA: paragraphs with
    <strong>, and on every other item a link (relative on odd items, which
    need the feed's base) and a <br/>."""
    out = []
    left = max(n, 1)
    k = 0
    while left > 0:
        m = min(left, rng.randint(10, 30))
        text = words(rng, m)
        cut = text.find(" ", len(text) // 3)
        if cut > 0:
            text = "%s <strong>%s</strong>" % (text[:cut], text[cut + 1:])
        if (i + k) % 2 == 0:
            href = "https://%s/a/%d" % (host, i) if i % 4 == 0 else "/a/%d" % i
            text = '%s <a href="%s">mer</a><br/>' % (text, href)
        out.append("<p>%s</p>" % text)
        left -= m
        k += 1
    return "".join(out)


def escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pubdate(rng):
    # The weekday matches the date, so a parser that checks it loses nothing.
    d = datetime.date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28))
    return "%s, %02d %s %d %02d:%02d:%02d %s" % (
        DAYS[d.weekday()], d.day, MONTHS[d.month - 1], d.year,
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.choice(ZONES))


def item(rng, i, desc_words):
    host = rng.choice(HOSTS)
    link = "https://%s/%s/%d" % (host, rng.choice(("nyheter", "aktuelt", "nyt")), i)
    t = words(rng, rng.randint(2, 5)).capitalize()
    # One or two entities in every title, at different places.
    t = "%s %s %s" % (t, rng.choice(TITLE_BITS), rng.choice(WORDS))
    if i % 3 == 0:
        t += " &amp; %s" % rng.choice(WORDS)
    parts = ["<item>\n<title>%s</title>\n<link>%s</link>\n" % (t, link)]
    if i % 4 == 0:
        parts.append('<guid isPermaLink="false">urn:bench:%d:%08x</guid>\n' % (i, rng.getrandbits(32)))
    elif i % 4 != 3:
        parts.append("<guid>%s</guid>\n" % link)
    parts.append("<pubDate>%s</pubDate>\n" % pubdate(rng))
    html = paragraph_html(rng, desc_words, host, i)
    if i % 2 == 0:
        parts.append("<description><![CDATA[%s]]></description>\n" % html)
    else:
        parts.append("<description>%s</description>\n" % escape(html))
    for c in rng.sample(CATEGORIES, rng.choice((1, 1, 2, 3))):
        parts.append("<category>%s</category>\n" % c)
    if i % 5 == 1:
        typ, ext = rng.choice(ENCLOSURES)
        parts.append('<enclosure url="https://%s/media/%d.%s" type="%s" length="%d"/>\n'
                     % (host, i, ext, typ, rng.randint(10000, 90000000)))
    if i % 2 == 0:
        parts.append("<dc:creator>%s</dc:creator>\n" % rng.choice(CREATORS))
    if i % 8 == 1:
        parts.append("<content:encoded><![CDATA[%s]]></content:encoded>\n"
                     % paragraph_html(rng, desc_words + 4, host, i))
    parts.append("</item>\n")
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description="write the parse benchmark feed")
    ap.add_argument("out")
    ap.add_argument("--items", type=int, default=200000)
    ap.add_argument("--bytes", type=int, default=100 << 20)
    ap.add_argument("--seed", type=int, default=4)
    a = ap.parse_args()
    if a.items < 1 or a.bytes < 1000:
        sys.exit("genfeed.py: --items must be >= 1 and --bytes >= 1000")
    rng = random.Random(a.seed)
    tmp = a.out + ".tmp"
    head = HEAD.encode("utf-8")
    tail = TAIL.encode("utf-8")
    total = len(head)
    # Steering: an item costs about `overhead + PER_WORD * words` bytes;
    # overhead is learnt as a running mean, and the description gets the
    # words that the budget left per item pays for.
    per_word = 15.0
    overhead = 0.0
    desc = 8
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(head)
        for i in range(a.items):
            b = item(rng, i, desc).encode("utf-8")
            f.write(b)
            total += len(b)
            overhead += (len(b) - per_word * desc - overhead) / (i + 1)
            left = a.items - i - 1
            if left:
                per = (a.bytes - len(tail) - total) / left
                want = max(3.0, min(400.0, (per - overhead) / per_word))
                desc = int(want) + (rng.random() < want - int(want))
        f.write(tail)
        total += len(tail)
    os.replace(tmp, a.out)
    print("items %d bytes %d" % (a.items, total))


if __name__ == "__main__":
    main()
