#!/usr/bin/python3
# What a phone shows of a calendar.ics subscription: the file read by
# Python's icalendar (Debian: python3-icalendar, a parser independent of
# bulletin's writer), its events from a month on (as a phone's month
# view starts on its first day; a month's entry sits there) as a list in
# Europe/Stockholm time, grouped by month, all-day events marked, as one
# HTML page for headless Chromium (contrib/screenshots/run.sh).
#   ics-view.py CALENDAR.ics OUT.html [YYYY-MM-DD]
import datetime, html, sys, zoneinfo
import icalendar

ics, out = sys.argv[1], sys.argv[2]
tz = zoneinfo.ZoneInfo("Europe/Stockholm")
cal = icalendar.Calendar.from_ical(open(ics, "rb").read())
today = (datetime.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3
         else datetime.datetime.now(tz).date()).replace(day=1)
months = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]
days = ["mån", "tis", "ons", "tors", "fre", "lör", "sön"]

rows = []
for e in cal.walk("VEVENT"):
    start = e.decoded("DTSTART")
    end = e.decoded("DTEND") if "DTEND" in e else None
    all_day = not isinstance(start, datetime.datetime)
    if all_day:
        day, when = start, "heldag"
    else:
        s = start.astimezone(tz)
        day = s.date()
        when = s.strftime("%H.%M")
        if end:
            when += "–" + end.astimezone(tz).strftime("%H.%M")
    if day < today:
        continue
    rows.append((day, 0 if all_day else 1, when, str(e.get("SUMMARY", "")),
                 str(e.get("LOCATION", "")), str(e.get("URL", "")), int(e.get("SEQUENCE", 0))))
rows.sort()

name = str(cal.get("X-WR-CALNAME", "Kalender"))
p = ['<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
     '<meta name="viewport" content="width=device-width, initial-scale=1">'
     '<title>%s</title><style>' % html.escape(name),
     'body{margin:0;font:15px/1.35 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;'
     'background:#f2f2f7;color:#1c1c1e}'
     'header{background:#fff;padding:14px 16px 10px;border-bottom:1px solid #d1d1d6}'
     'header h1{font-size:20px;margin:0}header p{margin:2px 0 0;color:#8e8e93;font-size:13px}'
     'h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#8e8e93;'
     'margin:16px 16px 6px}'
     '.day{display:flex;background:#fff;border-bottom:1px solid #e5e5ea;padding:8px 16px}'
     '.date{width:52px;flex:none;text-align:center;color:#d70015}'
     '.date b{display:block;font-size:20px;color:#1c1c1e}'
     '.ev{flex:1;border-left:3px solid #2e6b5e;padding-left:10px;margin:2px 0}'
     '.ev .t{font-weight:600}.ev .w{color:#636366;font-size:13px}'
     '.ev.allday{border-color:#8e8e93}</style></head><body>',
     '<header><h1>%s</h1><p>Prenumeration · calendar.ics · %d händelser från %d %s %d</p></header>'
     % (html.escape(name), len(rows), today.day, months[today.month - 1], today.year)]
month = None
i = 0
while i < len(rows):
    day = rows[i][0]
    if (day.year, day.month) != month:
        month = (day.year, day.month)
        p.append("<h2>%s %d</h2>" % (months[day.month - 1], day.year))
    p.append('<div class="day"><div class="date">%s<b>%d</b></div><div>' % (days[day.weekday()], day.day))
    while i < len(rows) and rows[i][0] == day:
        _, timed, when, title, loc, url, seq = rows[i]
        extra = " · ".join(x for x in (when, loc) if x)
        p.append('<div class="ev%s"><div class="t">%s</div><div class="w">%s</div></div>'
                 % ("" if timed else " allday", html.escape(title), html.escape(extra)))
        i += 1
    p.append("</div></div>")
p.append("</body></html>")
open(out, "w", encoding="utf-8").write("\n".join(p))
