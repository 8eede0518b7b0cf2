#!/bin/sh
# `bulletin archive` rebuilds index.html and feed.atom of the configured
# archive folder, and our own feed parser reads the feed back: one item per
# digest, newest first, with the digest's title and published URL. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
PY=/usr/bin/python3
mkdir -p "$work/cfg/archive"
fill_template "$top/tests/fixtures/pipeline/bulletin.ini" "$work/cfg/bulletin.ini"
sed -i 's|^\[digest\]$|[digest]\narchive_url = https://example.org/arkiv/|' "$work/cfg/bulletin.ini"
fill_template "$top/tests/fixtures/pipeline/sources.ini" "$work/cfg/sources.ini"
cp "$top/tests/fixtures/pipeline/members.csv" "$work/cfg/"
cfg=$work/cfg/bulletin.ini
arch=$work/cfg/archive

# digest STEM SUBJECT WEEK COUNT: an archived digest as archive_write leaves it.
digest() {
	"$PY" - "$arch/$1" "$2" "$3" "$4" <<'EOF2'
import json, sys
stem, subject, week, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
day = stem.rsplit("/", 1)[1][7:17]
m = {"title": "Primärvårdsnytt", "language": "sv", "generated": day + "T06:00:00Z",
     "period": {"week": week, "year": 2024}, "count": count, "subject": subject,
     "topics": [{"id": "pv", "title": "Primärvård & <fastläkare>", "count": count, "items": []}]}
json.dump(m, open(stem + ".json", "w", encoding="utf-8"), ensure_ascii=False)
open(stem + ".html", "w").write("<p>x</p>")
EOF2
}
digest digest-2024-04-03-1 'Vecka 14 <script>alert(1)</script>' 14 2
digest digest-2024-04-17-3 '"><img onerror=x> Fastlegeordningen i Tromsø' 16 1
digest digest-2024-04-10-2 'Primärvårdsnytt, vecka 15 2024: 4 nyheter' 15 4
printf '{"title": ' > "$arch/digest-2024-04-24-4.json"

"$BULLETIN" -c "$cfg" archive > "$work/out" 2> "$work/err"
check "archive: exit 0" [ $? -eq 0 ]
check "archive: prints the index path" [ "$(cat "$work/out")" = "$arch/index.html" ]
check "archive: the broken .json is named in a warning" grep -q "digest-2024-04-24-4.json:.*skipped" "$work/err"
check "index.html and feed.atom written" [ -s "$arch/index.html" -a -s "$arch/feed.atom" ]
check "index.html: no markup from titles" sh -c "! grep -q '<script\|<img' '$arch/index.html'"

"$BULLETIN" parse "$arch/feed.atom" > "$work/items.jsonl" 2> "$work/err"
check "parse feed.atom: exit 0" [ $? -eq 0 ]
check "parse feed.atom: 3 items, newest first, titles and URLs" "$PY" - "$work/items.jsonl" <<'EOF2'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
want = [('"><img onerror=x> Fastlegeordningen i Tromsø', "https://example.org/arkiv/digest-2024-04-17-3.html"),
        ("Primärvårdsnytt, vecka 15 2024: 4 nyheter", "https://example.org/arkiv/digest-2024-04-10-2.html"),
        ("Vecka 14 <script>alert(1)</script>", "https://example.org/arkiv/digest-2024-04-03-1.html")]
got = [(i["title"], i["url"]) for i in items]
if got != want:
    print("# got:", json.dumps(got, ensure_ascii=False))
sys.exit(got != want)
EOF2

"$BULLETIN" -c "$cfg" archive --dir "$work/nope" > "$work/out" 2> "$work/err"
check "archive --dir missing: exit 66, names it" sh -c "[ $? -eq 66 ] && grep -q '$work/nope' '$work/err'"
mkdir "$work/other"
"$BULLETIN" -c "$cfg" archive --dir "$work/other" > "$work/out" 2> "$work/err"
check "archive --dir empty folder: exit 0, an empty index" sh -c "[ $? -eq 0 ] && grep -q 'Inga utskick' '$work/other/index.html'"

tap_done
