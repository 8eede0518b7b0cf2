#!/bin/sh
# `bulletin parse` as a user runs it: files, stdin, a document too big to
# read whole (streamed), JSON Feed, HTML listings by selectors or by a
# configured source, and the errors (exit codes, one message each).
# Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
PY=/usr/bin/python3
fx=$top/tests/fixtures

# jsonl_check FILE PYTHON-EXPR: every line is a JSON object; EXPR over
# `items` (the list) must hold.
jsonl_check() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ok = eval(sys.argv[2], {"items": items})
if not ok:
    print("# items:", json.dumps(items, ensure_ascii=False)[:600])
sys.exit(0 if ok else 1)
EOF
}

# 1. A file and the same bytes on stdin give the same lines.
"$BULLETIN" parse "$fx/feeds/sv_rss2.xml" > "$work/file.jsonl" 2> "$work/err"
check "file: exit 0, nothing on stderr" sh -c "[ $? -eq 0 ] && [ ! -s '$work/err' ]"
"$BULLETIN" parse - < "$fx/feeds/sv_rss2.xml" > "$work/stdin.jsonl" 2> "$work/err"
check "stdin: exit 0" [ $? -eq 0 ]
check "stdin gives the same items as the file" cmp -s "$work/file.jsonl" "$work/stdin.jsonl"
check "items decoded once: å, &, no entities left" jsonl_check "$work/file.jsonl" \
	'items and items[0]["title"] == "Primärvårdsstrategin & fastläkare: så går det"'

# 2. A document bigger than the whole-read limit (16 MiB) is streamed: same
#    item count as its lines, and the same items as a pipe of the same bytes.
"$PY" "$top/tests/bench/genfeed.py" "$work/big.xml" --items 36000 --bytes 18874368 > /dev/null
"$BULLETIN" parse "$work/big.xml" > "$work/big.jsonl" 2> "$work/err"
check "18 MiB file: exit 0" [ $? -eq 0 ]
check "18 MiB file: 36000 items" [ "$(wc -l < "$work/big.jsonl")" -eq 36000 ]
"$BULLETIN" parse - < "$work/big.xml" > "$work/bigpipe.jsonl" 2>/dev/null
check "18 MiB pipe: the same items" cmp -s "$work/big.jsonl" "$work/bigpipe.jsonl"
check "18 MiB file: every item has key, url, title, published" jsonl_check "$work/big.jsonl" \
	'all(i["key"] and i["url"].startswith("http") and i["title"] and i["published"] for i in items)'
rm -f "$work/big.xml" "$work/big.jsonl" "$work/bigpipe.jsonl"

# 3. JSON Feed, detected from the document.
cat > "$work/feed.json" <<'EOF'
{"version": "https://jsonfeed.org/version/1.1", "title": "Läkartidningen",
 "home_page_url": "https://lakartidningen.se/",
 "items": [{"id": "lt-1", "url": "/nyheter/1", "title": "Vårdcentraler &amp; primärvård",
   "content_html": "<p>Fler <b>fastläkare</b> i Region Skåne.</p>",
   "date_published": "2024-04-17T09:00:00+02:00", "tags": ["Primärvård"],
   "authors": [{"name": "Åsa Öberg"}],
   "attachments": [{"url": "https://lakartidningen.se/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 1000}]}]}
EOF
"$BULLETIN" parse --base https://lakartidningen.se/feed.json "$work/feed.json" > "$work/json.jsonl" 2> "$work/err"
check "JSON Feed: exit 0" [ $? -eq 0 ]
check "JSON Feed: fields, relative URL resolved, date in UTC, enclosure" jsonl_check "$work/json.jsonl" \
	'len(items) == 1 and items[0]["url"] == "https://lakartidningen.se/nyheter/1" and items[0]["published"] == "2024-04-17T07:00:00Z" and items[0]["summary"] == "Fler fastläkare i Region Skåne." and items[0]["author"] == "Åsa Öberg" and items[0]["categories"] == ["Primärvård"] and items[0]["enclosures"][0]["length"] == 1000'

# 4. Broken documents: recovered items are printed, the error names the
#    file, the place and the count, once; the exit status says data error.
"$BULLETIN" parse "$fx/feeds/truncated.xml" > "$work/trunc.jsonl" 2> "$work/err"
rc=$?
check "ill-formed: exit 65" [ $rc -eq 65 ]
check "ill-formed: items read before the damage are printed" [ "$(wc -l < "$work/trunc.jsonl")" -ge 2 ]
check "ill-formed: one message with file, line and item count" \
	sh -c "[ \$(wc -l < '$work/err') -eq 1 ] && grep -q 'truncated.xml: line [0-9]*, column [0-9]*: .*items printed' '$work/err'"
"$BULLETIN" parse "$fx/feeds/not_xml.txt" > /dev/null 2> "$work/err"
check "not a feed: exit 65, named" sh -c "[ $? -eq 65 ] && grep -q not_xml.txt '$work/err'"
# A compressed file under a feed's name (a server that gzips without
# saying so) and binary junk are named for what they are.
gzip -c "$fx/feeds/sv_rss2.xml" > "$work/gz-feed.xml"
"$BULLETIN" parse "$work/gz-feed.xml" > "$work/gz.jsonl" 2> "$work/err"
check "gzip data: exit 65, said so" sh -c "[ $? -eq 65 ] && grep -q 'gz-feed.xml: gzip data, not a feed' '$work/err' && [ ! -s '$work/gz.jsonl' ]"
printf '\000\001\002\003\004junk\000\000' > "$work/junk.xml"
"$BULLETIN" parse "$work/junk.xml" > /dev/null 2> "$work/err"
check "binary junk: exit 65, said so" sh -c "[ $? -eq 65 ] && grep -q 'junk.xml: binary data, not a feed' '$work/err'"
# JSON Feed: a \u0000 or a lone surrogate costs that character, not the feed.
printf '{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"a","title":"x\\u0000y \\ud800z"}]}' > "$work/nul.json"
"$BULLETIN" parse "$work/nul.json" > "$work/nul.jsonl" 2> "$work/err"
check "JSON Feed with \\u0000 and a lone surrogate: kept, U+FFFD in their place" jsonl_check "$work/nul.jsonl" \
	'len(items) == 1 and items[0]["title"] == "x\ufffdy \ufffdz"'
"$BULLETIN" parse "$work/nonexistent.xml" > /dev/null 2> "$work/err"
check "missing file: exit 66" [ $? -eq 66 ]
"$BULLETIN" parse "$work" > /dev/null 2> "$work/err"
check "a folder: exit 66, one message" sh -c "[ $? -eq 66 ] && [ \$(wc -l < '$work/err') -eq 1 ]"
if [ -w /dev/full ]; then
	"$BULLETIN" parse "$fx/feeds/sv_rss2.xml" > /dev/full 2> "$work/err"
	check "output fails: exit 74, one message" sh -c "[ $? -eq 74 ] && [ \$(wc -l < '$work/err') -eq 1 ]"
else
	ok "output fails: exit 74 # SKIP no /dev/full"
fi
"$BULLETIN" parse --type rdf "$fx/feeds/sv_rss2.xml" > /dev/null 2>&1
check "unknown --type: usage error 64" [ $? -eq 64 ]
"$BULLETIN" parse --item li "$fx/feeds/sv_rss2.xml" > /dev/null 2>&1
check "selectors without --type html: usage error 64" [ $? -eq 64 ]

# 5. HTML listings: selectors on the command line (CSS or XPath) ...
"$BULLETIN" parse --type html --item 'div.article-list > div.article-list__item' \
	--item-title h2 --item-link 'h2 > a' --item-date .article-list__published \
	--base https://www.statsforvalteren.no/trondelag/ \
	"$fx/html/statsforvalteren-trondelag.html" > "$work/sf.jsonl" 2> "$work/err"
check "html, CSS selectors: exit 0" [ $? -eq 0 ]
check "html, CSS selectors: titles, absolute links, dates" jsonl_check "$work/sf.jsonl" \
	'len(items) >= 3 and all(i["title"] and i["url"].startswith("https://") and i["published"] for i in items)'
"$BULLETIN" parse --type html --item '//div[contains(@class,"article-list__item")]' \
	--item-title './/h2' --item-link './/h2/a' --item-date './/*[contains(@class,"article-list__published")]' \
	--base https://www.statsforvalteren.no/trondelag/ \
	"$fx/html/statsforvalteren-trondelag.html" > "$work/sfx.jsonl" 2> "$work/err"
check "html, the same page by XPath: the same items" cmp -s "$work/sf.jsonl" "$work/sfx.jsonl"
"$BULLETIN" parse --type html --item 'li.no-such-class' "$fx/html/region-nyheter.html" > /dev/null 2> "$work/err"
check "html, item selector matches nothing: exit 65 and says so" \
	sh -c "[ $? -eq 65 ] && grep -q 'matched nothing' '$work/err'"

# ... and by a configured source.
mkdir -p "$work/cfg"
cat > "$work/cfg/bulletin.ini" <<EOF
[sources]
files = sources.ini
EOF
cat > "$work/cfg/sources.ini" <<'EOF'
[source region]
url = https://www.regionstockholm.se/nyheter/
type = html
item = ul.news-list > li
EOF
"$BULLETIN" -c "$work/cfg/bulletin.ini" parse --type html --source region \
	"$fx/html/region-nyheter.html" > "$work/region.jsonl" 2> "$work/err"
rc=$?
check "html --source: exit 0" [ $rc -eq 0 ] || sed 's/^/# /' "$work/err"
check "html --source: links resolved against the source's URL" jsonl_check "$work/region.jsonl" \
	'len(items) >= 5 and all(i["url"] is None or i["url"].startswith("https://") for i in items) and any(i["url"] == "https://www.regionstockholm.se/nyheter/2024/04/fler-lakare-till-vardcentralerna/" for i in items)'
"$BULLETIN" -c "$work/cfg/bulletin.ini" parse --type html --source nosuch \
	"$fx/html/region-nyheter.html" > /dev/null 2> "$work/err"
check "html --source unknown: exit 78, names it" sh -c "[ $? -eq 78 ] && grep -q nosuch '$work/err'"

tap_done
