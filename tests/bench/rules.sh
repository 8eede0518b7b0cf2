#!/bin/sh
# Rules benchmark (issues 5 and 16): 500 rules over 200,000 items. The
# whole `bulletin rules test ITEMS.jsonl` command (reading the JSON Lines
# one item at a time, matching, printing every decision) in wall seconds
# and peak RSS, beside `grep -P -i -c` with the same patterns (one
# alternation, each rule's compiled PCRE2 from `bulletin rules list
# --regex`) over the same text (title, summary and categories, one item
# per line) in the same run, with grep's peak RSS. Also `bulletin -v rules
# stats` (reading and matching, as it times itself) with PCRE2's JIT and
# without, with the literal index and without, and `rules test` over half
# the items, to show that memory does not grow with them. grep stops at a
# line's first match; bulletin finds every match of every rule in every
# field, which is what scoring and --explain need.
#
# usage: sh tests/bench/rules.sh path/to/bulletin   (or `make bench`)
# Environment: BENCH_ITEMS (default 200000), BENCH_RUNS (default 3),
# BENCH_DIR (default build/bench: the generated feed, items and rules are
# kept there and reused).
set -u
BULLETIN=${1:-}
if [ -z "$BULLETIN" ] || [ ! -x "$BULLETIN" ]; then
	echo "usage: sh tests/bench/rules.sh path/to/bulletin" >&2
	exit 64
fi
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
ITEMS=${BENCH_ITEMS:-200000}
RUNS=${BENCH_RUNS:-3}
DIR=${BENCH_DIR:-$REPO/build/bench}
mkdir -p "$DIR" || exit 70
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-rulesbench.XXXXXX") || exit 70
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
export LC_ALL=C.UTF-8

# --- items: the parse benchmark's feed, parsed once --------------------------
FEED=$DIR/parse-$ITEMS.xml
JSONL=$DIR/items-$ITEMS.jsonl
TEXT=$DIR/items-$ITEMS.txt
if [ ! -s "$JSONL" ] || [ ! -s "$TEXT" ] || [ "$JSONL" -ot "$HERE/genfeed.py" ]; then
	BYTES=$((ITEMS * 524288 / 1000))
	[ -s "$FEED" ] || "$PY" "$HERE/genfeed.py" "$FEED" --items "$ITEMS" --bytes "$BYTES" >/dev/null || exit 70
	"$BULLETIN" parse "$FEED" >"$JSONL" || { echo "rules.sh: bulletin parse failed" >&2; exit 1; }
	"$PY" - "$JSONL" "$TEXT" <<'PYEOF' || exit 70
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        o = json.loads(line)
        parts = [o.get("title") or "", o.get("summary") or "", "\n".join(o.get("categories") or [])]
        out.write(" ".join(p for p in parts if p).replace("\n", " ") + "\n")
PYEOF
fi

# --- 500 rules: the shipped ones and a generated topic -----------------------
RULES=$DIR/rules-500.rules
"$PY" - "$REPO/feeds/primarvard.rules" "$RULES" <<'PYEOF' || exit 70
import random, re, sys
shipped = open(sys.argv[1], encoding="utf-8").read()
n = sum(1 for l in shipped.splitlines() if re.match(r"\s*(include|exclude)\s", l))
rng = random.Random(5)
# Stems of the health vocabulary (some occur in the items, most do not)
# and invented Nordic-looking words, plus some raw patterns and *stems.
real = ("remiss journal vårdgaranti sjukskriv patientsäker kvalitetsregist "
        "kontinuitet tillgänglig bemanning arbetsmiljö samhandling pasientjournal "
        "tilskudd ventetid overenskomst næringsliv tjeneste rådgivning forskrift "
        "høring tillitsvalgt praksiskonsulent blodtryck diabetes astma depression "
        "ångest multisjuk riktlinje socialstyrelse").split()
syll = "bar ber bor dal fjell hav hem kvist lund mark mos näs rud sjö stad strand torp vik ås ød øy ål".split()
out = [shipped, '\ntopic benchmark "Generated for the benchmark"\n']
i = 0
while n < 500:
    k = i % 10
    if k < 4:
        w = rng.choice(real)
        line = "include 1 %s%s" % (w[: max(4, len(w) - rng.randrange(3))], "" if i % 3 else "*")
    elif k < 8:
        line = "include 1 %s%s%s" % tuple(rng.choice(syll) for _ in range(3))
    elif k == 8:
        line = "include 1 *%s%s" % (rng.choice(syll), rng.choice(syll))
    else:
        line = "include 1 /%s(?:a|e|en|et)?\\b/" % rng.choice(real)[:5]
    out.append(line + "\n")
    n += 1
    i += 1
open(sys.argv[2], "w", encoding="utf-8").write("".join(out))
PYEOF
NRULES=$("$BULLETIN" rules list -r "$RULES" | grep -c '^  ')
"$BULLETIN" rules list -r "$RULES" --regex | sed -n 's/^ *regex: //p' | "$PY" -c '
import sys
pats = []
for r in sys.stdin.read().splitlines():
    pats.append("(?:" + r[4:] + ")" if r.startswith("(?i)") else "(?-i:" + r + ")")
open(sys.argv[1], "w", encoding="utf-8").write("|".join(pats) + "\n")' "$TMP/pats" || exit 70

# --- runs ----------------------------------------------------------------------
# bench CASE ENV...: one `rules stats` run; the matcher's own seconds (from
# its -v line) go to TMP/CASE.m, the whole command's to TMP/CASE.t.
bench() {
	c=$1
	shift
	env "$@" /usr/bin/time -o "$TMP/time" -f '%e %M' "$BULLETIN" -v rules stats -r "$RULES" "$JSONL" \
		>"$TMP/out" 2>"$TMP/err" || { echo "rules.sh: rules stats failed:" >&2; tail -5 "$TMP/err" >&2; exit 1; }
	sed -n 's/.*matched \([0-9]*\) items against \([0-9]*\) rules in \([0-9.]*\) s.*/\3/p' "$TMP/err" >>"$TMP/$c.m"
	cut -d' ' -f1 "$TMP/time" >>"$TMP/$c.t"
	cut -d' ' -f2 "$TMP/time" >>"$TMP/$c.rss"
}
# whole CASE ARGS...: one whole `rules test` run; seconds to TMP/CASE.t,
# peak RSS (KiB) to TMP/CASE.rss.
whole() {
	c=$1
	shift
	/usr/bin/time -o "$TMP/time" -f '%e %M' "$BULLETIN" rules test -r "$RULES" "$@" >"$TMP/out" 2>"$TMP/err" ||
		{ echo "rules.sh: rules test failed:" >&2; tail -5 "$TMP/err" >&2; exit 1; }
	cut -d' ' -f1 "$TMP/time" >>"$TMP/$c.t"
	cut -d' ' -f2 "$TMP/time" >>"$TMP/$c.rss"
}
HALF=$DIR/items-$ITEMS-half.jsonl
[ -s "$HALF" ] || head -n $((ITEMS / 2)) "$JSONL" >"$HALF"
r=1
while [ $r -le "$RUNS" ]; do
	whole test "$JSONL"
	whole half "$HALF"
	bench jit X=1
	bench nojit BULLETIN_PCRE2_NO_JIT=1
	bench noindex BULLETIN_RULES_NO_INDEX=1
	/usr/bin/time -o "$TMP/time" -f '%e %M' grep -P -i -c -f "$TMP/pats" "$TEXT" >"$TMP/grepcount" 2>"$TMP/grep.err" ||
		{ [ -s "$TMP/grep.err" ] && { echo "rules.sh: grep -P failed:" >&2; cat "$TMP/grep.err" >&2; exit 1; }; }
	cut -d' ' -f1 "$TMP/time" >>"$TMP/grep.m"
	cut -d' ' -f2 "$TMP/time" >>"$TMP/grep.rss"
	r=$((r + 1))
done

median() { sort -n "$TMP/$1" | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
GREP=$(median grep.m)
row() { # LABEL CASE
	m=$(median "$1.m")
	t=$(median "$1.t")
	awk -v l="$2" -v m="$m" -v t="$t" -v n="$ITEMS" -v g="$GREP" -v rss="$(sort -n "$TMP/$1.rss" | tail -1)" 'BEGIN {
		printf "| %s | %.3f | %.0f | %.2f | %.3f | %.1f |\n", l, m, n / m, m / g, t, rss / 1024 }'
}
peak() { sort -n "$TMP/$1" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }
echo "# bulletin rules benchmark"
echo
echo "- $NRULES rules ($RULES: feeds/primarvard.rules and a generated topic) over $ITEMS items ($JSONL), median of $RUNS runs; $(nproc) CPUs."
echo "- grep: $(grep --version | head -1), one alternation of the $NRULES compiled patterns, \`grep -P -i -c\` over $TEXT: $(cat "$TMP/grepcount") lines matched."
echo
echo "## The whole command"
echo
echo "| command | wall s | items/s | ratio to grep | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|"
T=$(median test.t)
H=$(median half.t)
awk -v t="$T" -v n="$ITEMS" -v g="$GREP" -v rss="$(peak test.rss)" 'BEGIN {
	printf "| `bulletin rules test ITEMS.jsonl > /dev/null` | %.3f | %.0f | %.2f | %s |\n", t, n / t, t / g, rss }'
awk -v t="$H" -v n="$((ITEMS / 2))" -v g="$GREP" -v rss="$(peak half.rss)" 'BEGIN {
	printf "| the same over the first half of the items | %.3f | %.0f | | %s |\n", t, n / t, rss }'
awk -v g="$GREP" -v n="$ITEMS" -v rss="$(peak grep.rss)" 'BEGIN {
	printf "| `grep -P -i -c -f PATTERNS TEXT` (reference) | %.3f | %.0f | 1.00 | %s |\n", g, n / g, rss }'
echo
echo "## The matcher"
echo
echo "| case | read + match s | items/s | ratio to grep | whole command s | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
row jit "bulletin, JIT, literal index (default)"
row nojit "bulletin, no JIT (BULLETIN_PCRE2_NO_JIT=1)"
row noindex "bulletin, JIT, no index (BULLETIN_RULES_NO_INDEX=1)"
echo
echo "\"read + match s\" is \`bulletin -v rules stats\` timing its loop over the items (read one at a time from JSON Lines and matched); \"whole command\" adds loading the rules and printing."
awk -v t="$T" -v g="$GREP" -v a="$(peak test.rss)" -v b="$(peak half.rss)" 'BEGIN {
	printf "Verdict: rules test %.3f s vs grep -P %.3f s = %.2fx (goal < 1.00x): %s; peak RSS %s MiB for all items, %s MiB for half (goal: constant): %s.\n",
		t, g, t / g, t < g ? "MET" : "MISSED", a, b, (a - b < 4 && b - a < 4) ? "MET" : "MISSED" }'
