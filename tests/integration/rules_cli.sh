#!/bin/sh
# The chair's rules tools as she runs them: check (lint), test (decisions,
# highlights, near misses), stats, list, on a JSON Lines file and on the
# stored items after a real fetch from a local HTTP server. Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"

mkdir -p "$work/site" "$work/cfg"
cp "$top"/contrib/demo/site/*.xml "$work/site/"
for f in "$work"/site/*.xml; do "$BULLETIN" parse "$f"; done > "$work/demo.jsonl" 2>/dev/null
# one item a job-ad exclude throws out although primary-care words reach the threshold
printf '%s\n' '{"key":"ad1","title":"Vi söker distriktsläkare till vårdcentralen i Tensta","summary":"Sista ansökningsdag är den 1 mars. Mottagningen har 9 000 patienter."}' >> "$work/demo.jsonl"
# and one whose words stay under the threshold (its topic's words, without primary care)
printf '%s\n' '{"key":"u1","title":"Fler listade patienter per läkare i Sörmland","summary":"Kontinuiteten minskar."}' >> "$work/demo.jsonl"
shipped=$top/feeds/primarvard.rules

# 1. check: the shipped rules are clean; the broken file gets one line per
#    mistake with file:line, and exit 1; a syntax error is exit 78.
"$BULLETIN" rules check -r "$shipped" "$work/demo.jsonl" > "$work/out" 2> "$work/err"
rc=$?
check "check: shipped rules have no warnings (exit 0)" [ $rc -eq 0 ]
check "check: summary line counts warnings and notes" grep -q '^0 warnings, [0-9]* notes: [0-9]* rules in 9 topics; checked against 15' "$work/out"
"$BULLETIN" rules check -r "$top/tests/fixtures/rules/lint.rules" "$work/demo.jsonl" > "$work/out" 2> "$work/err"
rc=$?
check "check: a file with mistakes exits 1" [ $rc -eq 1 ]
for want in "lint.rules:7:11: warning: \*e matches nearly everything" \
	"lint.rules:9: warning: vårdcentral repeats" \
	"lint.rules:11: warning: legevakt can never count" \
	"lint.rules:13: warning: topic tom has no include" \
	"lint.rules:15: warning: topic svag can never reach its threshold 10" \
	"lint.rules:4: note: exclude \*tandläkar never fired on the 15 items checked"; do
	check "check reports: $want" grep -q "$want" "$work/out"
done
check "check: no configuration, so sources are not checked (and it says so)" \
	grep -q "no configuration, so \[from\] sources were not checked" "$work/out"
printf 'topic a "A"\ninclude 2 [titel] fastläkar\n' > "$work/bad.rules"
"$BULLETIN" rules check -r "$work/bad.rules" > "$work/out" 2> "$work/err"
rc=$?
check "check: syntax error exits 78 with file:line:column" \
	sh -c "[ $rc -eq 78 ] && grep -q 'bad.rules:2:12: unknown field' '$work/err'"

# 2. test: decisions, terms, near misses; marks without a terminal, colour
#    on request.
"$BULLETIN" rules test -r "$shipped" --explain "$work/demo.jsonl" > "$work/out" 2> "$work/err"
check "test: exit 0" [ $? -eq 0 ]
check "test: the seed item is selected under its topic" grep -q '^SELECTED primarvard .*\[Primärvård\]sstrategi' "$work/out"
check "test --explain: each term with field, weight and rule" \
	grep -q 'title      "Primärvård" at 0-12  +6 primarvard  (.*primarvard.rules:[0-9]*: primärvård)' "$work/out"
check "test --explain: each qualifying topic and why the winner won" \
	sh -c "grep -q 'topics: primarvard [0-9.]* of 3 qualifies, konferens [0-9.]* of 4 (own [0-9.]*) qualifies' '$work/out' && grep -q -- '-> konferens: it borrows from the others that qualify, so it is the more specific' '$work/out'"
check "test: near misses list what an exclude threw out" \
	sh -c "grep -q 'Thrown out by an exclude (1)' '$work/out' && grep -q 'exclude vi söker matched \"Vi söker\" in the title' '$work/out'"
check "test: VETOED only on the item an exclude threw out" \
	sh -c "[ \$(grep -c '^VETOED' '$work/out') -eq 1 ] && grep -q '^VETOED  *primarvard .*Vi söker' '$work/out'"
check "test: near misses list what scored under the threshold (scores as the weights write them)" \
	grep -q '^       3 of 4    fastlakare     Fler listade patienter per läkare i Sörmland' "$work/out"
check "test: closing count" grep -q '^5 of 15 items selected (the items of ' "$work/out"
check "test: no colour codes when not asked" sh -c "! grep -q \"$(printf '\033')\" '$work/out'"
"$BULLETIN" rules test -r "$shipped" --color always "$work/demo.jsonl" > "$work/color" 2>&1
check "test --color always: matches in bold green, excludes in red" \
	sh -c "grep -q \"$(printf '\033')\[1;32mPrimärvård\" '$work/color' && grep -q \"$(printf '\033')\[1;31mTannleg\" '$work/color'"
"$BULLETIN" rules test -r "$shipped" --format jsonl "$work/demo.jsonl" > "$work/jl" 2>&1
check "test --format jsonl: threshold and near_miss on every line" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 15
assert all("threshold" in r and "near_miss" in r and "topics" in r for r in rows)
assert sum(r["near_miss"] == "vetoed" for r in rows) == 1
assert sum(r["near_miss"] == "under_threshold" for r in rows) == 1
assert all(r["vetoed"] == (r["near_miss"] == "vetoed") for r in rows)
# scores with the precision of the weights: 3.75, never 3.7500000000000004
text = open(sys.argv[1], encoding="utf-8").read()
import re
assert not re.search(r"\d\.\d{7,}", text), re.search(r"\d\.\d{7,}", text).group(0)
' "$work/jl"

# 2b. A pattern PCRE2 gives up on (catastrophic backtracking on a long
#     item) is no match for that rule on that item, named once with its
#     file:line; never an abort (issue 15).
printf 'topic a "A"\ninclude 3 /(a+)+$/\ninclude 3 vårdcentral\n' > "$work/slow.rules"
long=$(/usr/bin/python3 -c 'print("a" * 200 + "!")')
for i in 1 2 3; do printf '{"key":"s%s","title":"%s vårdcentral"}\n' "$i" "$long"; done > "$work/slow.jsonl"
"$BULLETIN" rules test -r "$work/slow.rules" "$work/slow.jsonl" > "$work/out" 2> "$work/err"
rc=$?
check "limit: rules test goes on (exit 0) and the other rules still select" \
	sh -c "[ $rc -eq 0 ] && grep -q '^3 of 3 items selected' '$work/out'"
check "limit: said once, with file:line and the item count" \
	sh -c "[ \$(grep -c 'backtracking limit' '$work/err') -eq 1 ] && grep -q 'slow.rules:2: /(a+)+\$/ hit PCRE2.s backtracking limit on 3 items' '$work/err'"
"$BULLETIN" rules stats -r "$work/slow.rules" "$work/slow.jsonl" > "$work/out" 2> "$work/err"
check "limit: rules stats lists the rule" grep -q 'slow.rules:2  *3 items  /(a+)+\$/' "$work/out"
"$BULLETIN" rules check -r "$work/slow.rules" > "$work/out" 2> "$work/err"
check "limit: rules check warns at the group's column" grep -q 'slow.rules:2:12: warning: /(a+)+\$/: a repeated group of repeats' "$work/out"
printf 'threshold x\ntopic a "A"\ninclude 2 /(vård/\ninclde 1 x\n' > "$work/errs.rules"
"$BULLETIN" rules check -r "$work/errs.rules" > "$work/out" 2> "$work/err"
rc=$?
check "errors: every error of the file, the ( pointed at, exit 78" \
	sh -c "[ $rc -eq 78 ] && grep -q 'errs.rules:1:11: bad threshold' '$work/err' && grep -q 'errs.rules:3:12: bad pattern: this ( has no closing parenthesis' '$work/err' && grep -q 'errs.rules:4:1: unknown directive' '$work/err'"

# 3. stats and list.
"$BULLETIN" rules stats -r "$shipped" "$work/demo.jsonl" > "$work/out" 2> "$work/err"
check "stats: exit 0" [ $? -eq 0 ]
check "stats: a rule's hits and carried count" grep -Eq '^ +[0-9]+ +[0-9]+  primarvard +.*primarvard.rules:[0-9]+ +primärvård$' "$work/out"
check "stats: dead rules listed" grep -Eq '^[0-9]+ rules never matched:' "$work/out"
"$BULLETIN" rules list -r "$top/tests/fixtures/rules/lint.rules" --regex > "$work/out" 2>&1
check "list: scopes and compiled patterns shown" \
	sh -c "grep -q 'include 2 \[from nosuch\] medlemsmöte' '$work/out' && grep -q 'include 2 \[content\] legevakt' '$work/out' && grep -q 'regex: (?i)' '$work/out'"

"$BULLETIN" rules eval "$top/tests/fixtures/rules/extra.tsv" -r "$shipped" > "$work/out" 2> "$work/err"
check "options may follow the file (rules eval FILE -r RULES)" grep -q '^precision ' "$work/out"

# 4. The stored items after a fetch: check knows the sources, stats and
#    test read the store.
start_http "$work/site" || { echo "Bail out! no HTTP server"; exit 1; }
cat > "$work/cfg/bulletin.ini" <<EOF
[store]
path = $work/state/bulletin.db
[fetch]
contact = mailto:test@example.org
[sources]
files = sources.ini
[rules]
files = $shipped
EOF
{
	printf '[source dlf-stockholm]\nurl = http://127.0.0.1:%s/dlf-stockholm.xml\n\n' "$HTTP_PORT"
	printf '[source allmennlegeforeningen]\nurl = http://127.0.0.1:%s/allmennlegeforeningen.xml\n' "$HTTP_PORT"
} > "$work/cfg/sources.ini"
"$BULLETIN" -c "$work/cfg/bulletin.ini" fetch > "$work/out" 2> "$work/err"
check "fetch for the store: exit 0" [ $? -eq 0 ] || sed 's/^/# /' "$work/err"
"$BULLETIN" -c "$work/cfg/bulletin.ini" rules test --days 7 > "$work/out" 2> "$work/err"
check "test from the store (--days 7)" grep -Eq '^[0-9]+ of [1-9][0-9]* items selected \(the stored items of the last 7 days\)' "$work/out"
printf 'topic extra "Extra"\ninclude 3 [from dlf-stockholm, nosuch] verksamhetsplan\n' > "$work/cfg/extra.rules"
"$BULLETIN" -c "$work/cfg/bulletin.ini" rules check -r "$shipped" -r "$work/cfg/extra.rules" > "$work/out" 2> "$work/err"
rc=$?
check "check with the configuration: an unknown source is a warning (exit 1)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'extra.rules:2: warning: verksamhetsplan: \[from nosuch\] names no configured source' '$work/out' && ! grep -q 'from dlf-stockholm\]' '$work/out'"
check "check with the configuration: checked against the stored items" \
	grep -Eq 'checked against [1-9][0-9]* of the stored items of the last 90 days' "$work/out"
"$BULLETIN" -c "$work/cfg/bulletin.ini" rules stats -r "$shipped" -r "$work/cfg/extra.rules" > "$work/out" 2> "$work/err"
check "stats from the store: the source-scoped rule matched its source's item" \
	grep -Eq '^ +1 +[01]  extra +.*extra.rules:2 +verksamhetsplan$' "$work/out"

tap_done
