#!/bin/sh
# The fault matrix of `bulletin fetch`: one run over a local server that
# misbehaves on purpose in every way the real web does. Each case asserts
# its own outcome (from the store and the messages), and that every good
# source in the same run still produced its items. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

mkdir -p "$work/site" "$work/cfg"
cp "$top"/tests/fixtures/html/region-nyheter.html "$top"/tests/fixtures/html/statsforvalteren-trondelag.html "$work/site/"
cp "$top"/tests/fixtures/http/feed1.xml "$top"/tests/fixtures/http/feed2.xml "$top"/tests/fixtures/fetch/*.xml "$work/site/"
# A feed whose guids change on every fetch: ids-1 now, ids-2 before the second run.
ids_feed() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Myndigheten</title>\n'
	for k in 1 2 3; do
		printf '<item><title>Nyhet %s om vårdval</title><link>https://myndighet.example.se/n/%s</link><guid isPermaLink="false">cache-%s-%s</guid></item>\n' "$k" "$k" "$1" "$k"
	done
	printf '</channel></rss>\n'
}
ids_feed run1 > "$work/site/ids.xml"
# Bodies that are not text: gzip served without Content-Encoding, and junk.
gzip -c "$top"/tests/fixtures/http/feed1.xml > "$work/site/undeclared-gzip.xml"
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 8)' > "$work/site/junk.xml"
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
REFUSED=$(free_port)
base="http://127.0.0.1:$HTTP_PORT"
# name|path|expected: ok, fail:<text in the error>, or notmod
cat > "$work/matrix" <<EOF2
good-rss|/feed1.xml|ok
good-atom|/feed2.xml|ok
etag|/_/etag/feed1.xml|ok
gzip|/_/gzip/feed2.xml|ok
brotli|/_/br/feed1.xml|ok
redirect-chain|/_/redirect/3|ok
moved-301|/_/moved/301/feed1.xml|ok
moved-308|/_/moved/308/feed2.xml|ok
moved-302|/_/moved/302/feed1.xml|ok
flaky-500|/_/flaky/k500/feed1.xml|ok
retry-after-429|/_/retry-after/1/k429/feed2.xml|ok
not-found|/_/status/404|fail:HTTP 404
server-error|/_/status/500|fail:HTTP 500
redirect-loop|/_/loop|fail:redirect
file-redirect|/_/file-redirect|fail:
hang|/_/hang|fail:too slow\|timed out
trickle|/_/trickle/feed2.xml|fail:
too-big|/_/big/3000000|fail:larger than
announced-10g|/_/announce/10737418240|fail:announced 10737418240), not downloaded
url-changed|/_/fixed-etag/build-7/feed1.xml|ok
gzip-bomb|/_/gzip-bomb/64|fail:larger than
refused|REFUSED|fail:onnect
latin1-header|/_/charset/iso-8859-1/latin1-nodecl.xml|ok
latin1-nolabel|/_/charset/none/latin1-nolabel.xml|ok
latin1-decl|/_/charset/none/latin1-decl.xml|ok
cp1252|/_/charset/none/cp1252-nodecl.xml|ok
utf8-mislabelled|/_/charset/iso-8859-1/utf8-nodecl.xml|ok
changing-ids|/ids.xml|ok
gzip-undeclared|/undeclared-gzip.xml|fail:gzip data, not a feed or page (compressed without saying so)
binary-junk|/junk.xml|fail:binary data, not a feed or page
EOF2
{
	printf '[store]\npath = state.db\n[fetch]\ntimeout = 4\nconnect_timeout = 2\n'
	printf 'low_speed_time = 2\nretries = 1\nretry_after_max = 5\nmax_body = 1048576\nflag_after = 2\n'
	printf '[sources]\nfiles = sources.ini\n'
} > "$work/cfg/bulletin.ini"
while IFS='|' read -r name path want; do
	if [ "$path" = REFUSED ]; then url="http://127.0.0.1:$REFUSED/feed.xml"; else url="$base$path"; fi
	printf '[source %s]\nurl = %s\n\n' "$name" "$url"
done < "$work/matrix" > "$work/cfg/sources.ini"
# HTML listing pages: one that works, one whose layout "changed".
cat >> "$work/cfg/sources.ini" <<EOF2
[source html-region]
url = $base/region-nyheter.html
type = html
item = ul.news-list > li

[source html-statsforvalteren]
url = $base/statsforvalteren-trondelag.html
type = html
item = div.article-list > div.article-list__item
item_title = h2
item_link = h2 > a
item_date = .article-list__published

[source html-changed]
url = $base/region-nyheter.html
type = html
item = .news-list-v2 li
EOF2

"$BULLETIN" -c "$work/cfg/bulletin.ini" fetch > "$work/out" 2> "$work/err"
rc=$?
if [ $rc -eq 1 ]; then ok "fetch: exit 1 when some sources failed"; else not_ok "fetch: exit 1 when some sources failed" "exit $rc; $(cat "$work/err")"; fi
db=$work/cfg/state.db
q() { sqlite3 "$db" "$1"; }
while IFS='|' read -r name path want; do
	fails=$(q "SELECT consecutive_failures FROM sources WHERE name = '$name'")
	err=$(q "SELECT last_error FROM sources WHERE name = '$name'")
	items=$(q "SELECT count(*) FROM items WHERE source = '$name'")
	case $want in
	ok)
		if [ "$fails" = 0 ] && [ "$items" -gt 0 ]; then ok "$name: items stored ($items)"
		else not_ok "$name: items stored" "failures=$fails items=$items error=$err"; fi ;;
	fail:*)
		text=${want#fail:}
		if [ "$fails" = 1 ] && [ "$items" = 0 ] && printf '%s' "$err" | grep -q -- "$text" &&
			grep -q "source $name (" "$work/err"; then ok "$name: failed, reported: $err"
		else not_ok "$name: failed with \"$text\"" "failures=$fails items=$items error=$err"; fi ;;
	esac
done < "$work/matrix"

requests() { /usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode().strip())' "$base/_/requests/$1"; }
r=$(requests k500); [ "$r" = 2 ] && ok "500 then success: retried once ($r requests)" || not_ok "500 then success: retried once" "$r requests"
r=$(requests k429); [ "$r" = 2 ] && ok "429 with Retry-After: retried once ($r requests)" || not_ok "429 with Retry-After: retried once" "$r requests"
r=$(requests status-404); [ "$r" = 1 ] && ok "404: not retried" || not_ok "404: not retried" "$r requests"
r=$(requests status-500); [ "$r" = 2 ] && ok "500 for good: retried, then given up ($r requests)" || not_ok "500 for good: retried, then given up" "$r requests"
grep -q "source moved-301 has moved permanently to $base/feed1.xml" "$work/err" && ok "301: reported so the chair can update the source" || not_ok "301: reported" "$(cat "$work/err")"
grep -q "source moved-308 has moved permanently" "$work/err" && ok "308: reported" || not_ok "308: reported"
grep -q "source moved-302 has moved" "$work/err" && not_ok "302: not reported as a move" || ok "302: not reported as a move"

# HTML listings: items with titles, links and Nordic dates; a vanished layout fails.
r=$(q "SELECT count(*) FROM items WHERE source = 'html-region' AND title = 'Primärvårdsstrategi' AND url LIKE 'http%'")
[ "$r" = 1 ] && ok "html: seed 003 from the region's news list" || not_ok "html: region item" "$(q "SELECT title, url FROM items WHERE source = 'html-region'")"
r=$(q "SELECT datetime(published, 'unixepoch') FROM items WHERE source = 'html-statsforvalteren' AND title = 'Dialogmøte om fastlegeordningen'")
[ "$r" = "2021-11-19 23:00:00" ] && ok "html: seed 004 with its Norwegian date (Publisert 20.11.2021, Oslo time)" || not_ok "html: statsforvalteren date" "got $r"
err=$(q "SELECT last_error FROM sources WHERE name = 'html-changed'")
printf '%s' "$err" | grep -q 'matched nothing: the page layout may have changed' && grep -q "source html-changed (" "$work/err" && ok "html: a selector matching nothing fails the source, reported" || not_ok "html: layout change" "error: $err"

# Charsets: whatever the server says, the stored title is the right UTF-8.
want='Fastläkare på Ærø och i Ødegård: åäö ÅÄÖ æø ÆØ'
for name in latin1-header latin1-nolabel latin1-decl utf8-mislabelled; do
	got=$(q "SELECT title FROM items WHERE source = '$name'")
	[ "$got" = "$want" ] && ok "charset $name: title intact" || not_ok "charset $name: title intact" "got: $got"
done
got=$(q "SELECT title FROM items WHERE source = 'cp1252'")
[ "$got" = 'Vårdval – ”nya” regler för €100 i Ödeshög' ] && ok "charset cp1252: en dash, quotes and euro intact" || not_ok "charset cp1252" "got: $got"
bad=$(q "SELECT count(*) FROM items WHERE title <> CAST(CAST(title AS BLOB) AS TEXT)")
[ "$bad" = 0 ] && ok "no stored title is invalid UTF-8" || not_ok "no stored title is invalid UTF-8"

# A second run: the ETag source answers 304, nothing is parsed or changed,
# and sources failing twice in a row are flagged for the chair.
before=$(q "SELECT count(*) FROM items")
ids_feed run2 > "$work/site/ids.xml"
# The chair points url-changed at another feed of a server that gives all
# its feeds one ETag: the old URL's validator must not be sent to the new.
sed -i 's|/_/fixed-etag/build-7/feed1.xml|/_/fixed-etag/build-7/feed2.xml|' "$work/cfg/sources.ini"
feed2_items=$(grep -c '<entry>' "$work/site/feed2.xml")
"$BULLETIN" -v -c "$work/cfg/bulletin.ini" fetch > "$work/out2" 2> "$work/err2"
grep -q "source etag: not modified" "$work/err2" && ok "second run: ETag answered with 304, not parsed" || not_ok "second run: 304" "$(grep etag "$work/err2")"
after=$(q "SELECT count(*) FROM items")
[ "$after" = $((before + feed2_items)) ] && ok "second run: no item is new again, but the changed URL's ($after)" || not_ok "second run: no item is new again" "$before then $after (+$feed2_items expected)"
grep -q "source url-changed: $feed2_items items, $feed2_items new" "$work/err2" && ok "changed URL: the old URL's ETag not sent, the new feed stored" || not_ok "changed URL: new feed stored" "$(grep url-changed "$work/err2")"
r=$(q "SELECT validators_url FROM sources WHERE name = 'url-changed'")
case $r in */feed2.xml) ok "changed URL: the validators now belong to it" ;; *) not_ok "changed URL: validators' URL" "$r" ;; esac
grep -q "source changing-ids (.*): 3 of 3 items came back with new ids but links already seen" "$work/err2" && ok "second run: guids that changed are detected and the source re-keyed by link" || not_ok "changing guids detected" "$(grep changing-ids "$work/err2")"
grep -q "source changing-ids: 3 items, 0 new" "$work/err2" && ok "second run: the re-ided items are not new again" || not_ok "re-ided items not new" "$(grep changing-ids "$work/err2")"
grep -q "source not-found (.*) has failed 2 runs in a row (last success: never)" "$work/err2" && ok "second run: a source failing twice is flagged" || not_ok "flagged" "$(grep not-found "$work/err2")"

"$BULLETIN" -c "$work/cfg/bulletin.ini" sources > "$work/table" 2>&1
grep -q '^not-found .*FLAGGED.* 2  HTTP 404' "$work/table" && ok "sources: the flagged source shows FLAGGED, failures and error" || not_ok "sources table" "$(cat "$work/table")"
grep -q '^good-rss .* ok ' "$work/table" && ok "sources: a good source shows ok" || not_ok "sources: ok row" "$(cat "$work/table")"
grep -q "^changing-ids: its feed's ids could not be trusted; its items are identified by their links" "$work/table" && ok "sources: the re-keyed source is flagged" || not_ok "sources: re-keyed note" "$(cat "$work/table")"

# Cron (no terminal): silence when nothing failed. A terminal: a progress line.
{
	printf '[store]\npath = quiet.db\n[sources]\nfiles = good.ini\n'
} > "$work/cfg/quiet.ini"
printf '[source a]\nurl = %s/feed1.xml\n[source b]\nurl = %s/feed2.xml\n[source c]\nurl = %s/_/gzip/feed2.xml\n' "$base" "$base" "$base" > "$work/cfg/good.ini"
"$BULLETIN" -c "$work/cfg/quiet.ini" fetch > "$work/q.out" 2> "$work/q.err" < /dev/null
rc=$?
[ $rc -eq 0 ] && [ ! -s "$work/q.out" ] && [ ! -s "$work/q.err" ] && ok "cron: nothing printed when every source worked" || not_ok "cron: silent on success" "exit $rc; $(cat "$work/q.out" "$work/q.err")"
if command -v script > /dev/null; then
	rm -f "$work/cfg/quiet.db"
	script -qec "'$BULLETIN' -c '$work/cfg/quiet.ini' fetch" /dev/null > "$work/tty.out" 2>&1 < /dev/null
	grep -q 'fetching 3/3 sources, 0 failed' "$work/tty.out" && grep -q 'fetched 3 sources: ' "$work/tty.out" && ok "terminal: a progress line and a summary" || not_ok "terminal: progress line" "$(cat -v "$work/tty.out")"
else
	ok "terminal: progress line # SKIP script(1) not installed"
fi

tap_done
