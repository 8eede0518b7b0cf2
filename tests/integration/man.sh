#!/bin/sh
# The man pages in doc/: each renders without a groff warning, and they say
# what the binary and the sources say: every verb and long option of
# `bulletin --help` and of each verb's --help is in bulletin(1), every exit
# status of lib/core/err.h and every environment variable the code reads too;
# every key `bulletin config keys` lists (config.c's tables) is in bulletin.ini(5) (and in the sample
# contrib/config/bulletin.ini) under its section, every source key in
# bulletin-sources(5); and the examples in bulletin-rules(5) and
# bulletin-sources(5) work as their text says. Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
doc=$top/doc
b1=$doc/bulletin.1

# 1. Each page renders, with every warning on (-ww); preconv (-k) as man(1)
#    does for the å, ä, ö in the text.
for p in "$doc"/*.1 "$doc"/*.5; do
	name=$(basename "$p")
	groff -k -ww -man -Tutf8 "$p" > "$work/out" 2> "$work/err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$work/err" ] && [ "$(wc -l < "$work/out")" -gt 20 ]; then
		ok "$name renders with groff -ww, no warnings"
	else
		not_ok "$name renders with groff -ww, no warnings" "$(head -5 "$work/err")"
	fi
done
check "four pages: bulletin.1, bulletin.ini.5, bulletin-rules.5, bulletin-sources.5" \
	sh -c "[ -f '$doc/bulletin.1' ] && [ -f '$doc/bulletin.ini.5' ] && [ -f '$doc/bulletin-rules.5' ] && [ -f '$doc/bulletin-sources.5' ]"
if command -v man > /dev/null; then
	MANPAGER=cat MANWIDTH=80 man -l "$b1" > "$work/man.txt" 2> "$work/err"
	check "man -l doc/bulletin.1 renders NAME, COMMANDS, EXIT STATUS" sh -c \
		"grep -q 'EXIT STATUS' '$work/man.txt' && grep -q 'COMMANDS' '$work/man.txt' && grep -q 'Primärvårdsnytt\|bulletin run' '$work/man.txt'"
else
	ok "man -l doc/bulletin.1 renders # SKIP man(1) is not installed"
fi

# in_page FILE STRING: STRING (roff source, fixed) is in FILE.
in_page() { grep -qF -- "$2" "$1"; }

# 2. Every verb of `bulletin --help` has its own subsection in bulletin(1).
"$BULLETIN" --help > "$work/help"
verbs=$(sed -n '/^Commands:/,/^$/p' "$work/help" | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
missing=""
for v in $verbs; do in_page "$b1" ".SS \"bulletin $v\"" || missing="$missing $v"; done
if [ -n "$verbs" ] && [ -z "$missing" ]; then
	ok "every verb of bulletin --help has a section in bulletin(1) ($(echo $verbs | wc -w) verbs)"
else
	not_ok "every verb of bulletin --help has a section in bulletin(1)" "missing:$missing (verbs: $verbs)"
fi

# 3. Every long option of every verb's --help (and of the rules sub-verbs)
#    is in bulletin(1), written \-\-name as roff wants it.
"$BULLETIN" rules 2> "$work/rules_usage" > /dev/null
subs=$(sed -n 's/^usage: bulletin rules \([a-z|]*\) .*/\1/p' "$work/rules_usage" | tr '|' ' ')
missing="" nopts=0
for v in $verbs $(for s in $subs; do echo "rules:$s"; done); do
	case $v in
	rules) continue ;;
	rules:*) "$BULLETIN" rules "${v#rules:}" --help > "$work/vh" 2>&1 ;;
	*) "$BULLETIN" "$v" --help > "$work/vh" 2>&1 ;;
	esac
	[ "${v#rules:}" != "$v" ] && { in_page "$b1" ".B ${v#rules:}" || missing="$missing rules:${v#rules:}"; }
	for o in $(grep -o -- '--[a-z][a-z-]*' "$work/vh" | sort -u); do
		[ "$o" = --help ] && continue
		nopts=$((nopts + 1))
		in_page "$b1" "$(printf '%s' "$o" | sed 's/-/\\-/g')" || missing="$missing $v:$o"
	done
done
if [ -n "$subs" ] && [ "$nopts" -gt 10 ] && [ -z "$missing" ]; then
	ok "every long option of every verb is in bulletin(1) ($nopts options, rules: $subs)"
else
	not_ok "every long option of every verb is in bulletin(1)" "missing:$missing (rules: $subs; $nopts options)"
fi
missing=""
for o in '\-c' '\-v' '\-q' '\-\-help' '\-\-version'; do in_page "$b1" ".B $o" || in_page "$b1" ".BI $o" || missing="$missing $o"; done
check "global options -c -v -q --help --version are in OPTIONS" [ -z "$missing" ]

# 4. Every exit status of lib/core/err.h, and every environment variable the
#    code reads by name, is in bulletin(1).
codes=$(sed -n 's/.*EXIT_[A-Z_]* = \([0-9]*\),*.*/\1/p' "$top/lib/core/err.h")
sect=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$b1")
missing=""
for c in $codes; do printf '%s\n' "$sect" | grep -qx "\.B $c" || missing="$missing $c"; done
check "EXIT STATUS lists every code of lib/core/err.h ($(echo $codes | wc -w) codes)" \
	sh -c "[ -n '$codes' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
envs=$(grep -ho 'getenv("[A-Z_0-9]*")' "$top"/lib/*/*.c "$top"/cmd/bulletin/*.c | sed 's/getenv("\(.*\)")/\1/' | grep -v '^HOME$' | sort -u)
sect=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$b1")
missing=""
for e in $envs; do printf '%s\n' "$sect" | grep -qx "\.B $e" || missing="$missing $e"; done
check "ENVIRONMENT lists every variable the code reads ($(echo $envs | tr '\n' ' '))" \
	sh -c "[ -n '$envs' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"

# 5. Every [section] key config.c accepts is documented under its section
#    in bulletin.ini(5), and appears (set or commented out) in that section
#    of the sample configuration.
keys=$("$BULLETIN" config keys | awk -F '\t' '$1 != "source" { print $1 ":" $2 }')
missing="" missing_sample=""
for sk in $keys; do
	s=${sk%%:*} k=${sk#*:}
	sed -n "/^\.SH \"\[$s\]\"/,/^\.SH /p" "$doc/bulletin.ini.5" | grep -qx "\.B $k" || missing="$missing $sk"
	awk -v s="[$s]" -v k="$k" '/^\[/ { in_s = ($0 == s) } in_s && $0 ~ "^;?" k " = " { f = 1 } END { exit !f }' \
		"$top/contrib/config/bulletin.ini" || missing_sample="$missing_sample $sk"
done
check "bulletin.ini(5) documents every key of config.c under its section ($(echo $keys | wc -w) keys)" \
	sh -c "[ -n '$keys' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
check "contrib/config/bulletin.ini shows every key under its section" \
	sh -c "[ -z '$missing_sample' ] || { echo '#   missing:$missing_sample'; exit 1; }"
skeys=$("$BULLETIN" config keys | awk -F '\t' '$1 == "source" { print $2 }')
missing=""
for k in $skeys; do in_page "$doc/bulletin-sources.5" ".B $k" || missing="$missing $k"; done
check "bulletin-sources(5) documents every source key ($(echo $skeys | tr '\n' ' '))" \
	sh -c "[ -n '$skeys' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"

# 6. The example in bulletin-rules(5) loads, and does what its text says:
#    the title "Vårdcentralen i Skärholmen får ny jour" lands in jour, and
#    "Nytt journalsystem" is vetoed there but goes under primarvard.
unroff() { sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g"; }
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$doc/bulletin-rules.5" | sed '1,3d;$d' | unroff > "$work/ex.rules"
cat > "$work/items.jsonl" <<'EOF'
{"key":"a","url":"https://example.se/a","title":"Vårdcentralen i Skärholmen får ny jour"}
{"key":"b","url":"https://example.se/b","title":"Nytt journalsystem","summary":"Vårdcentralen byter system."}
{"key":"c","url":"https://example.se/c","title":"Sista ansökningsdag: vårdcentral söker läkare"}
EOF
"$BULLETIN" rules check -r "$work/ex.rules" > "$work/out" 2>&1
check "bulletin-rules(5) example: rules check loads it, no warnings" sh -c "[ $? -eq 0 ] && grep -q '4 topics' '$work/out'"
"$BULLETIN" rules test -r "$work/ex.rules" --format jsonl "$work/items.jsonl" > "$work/out" 2>&1
check "bulletin-rules(5) example: the worked item is selected under jour with 7" \
	grep -q '"key": *"a".*"selected": *true.*"topic": *"jour", *"score": *7' "$work/out"
check "bulletin-rules(5) example: journal is vetoed in jour (primarvard takes it), the job ad thrown out" sh -c \
	"grep -q '\"key\": *\"b\".*\"selected\": *true, *\"vetoed\": *false, *\"topic\": *\"primarvard\".*\"topic\": *\"jour\".*\"qualifies\": *false, *\"vetoed\": *true' '$work/out' && grep -q '\"key\": *\"c\".*\"selected\": *false, *\"vetoed\": *true' '$work/out'"

# 7. The example in bulletin-sources(5) loads as a configuration, and its
#    CSS and XPath listing sources read the same page alike.
mkdir -p "$work/cfg/feeds"
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' "$doc/bulletin-sources.5" | sed '1,3d;$d' | unroff > "$work/cfg/feeds/ex.ini"
printf '[sources]\nfiles = feeds/*.ini\n' > "$work/cfg/bulletin.ini"
cat > "$work/page.html" <<'EOF'
<html><body><nav><a href="/">Hem</a></nav><ul class="news-list">
<li><h3><a href="/nyheter/a">Tillsyn av vårdcentraler</a></h3><span class="date">17 april 2024</span><p class="teaser">IVO granskar primärvården.</p></li>
<li><h3><a href="/nyheter/b">Ny rapport om fastläkare</a></h3><span class="date">7. desember 2021</span><p class="teaser">Brister.</p></li>
</ul></body></html>
EOF
"$BULLETIN" -c "$work/cfg/bulletin.ini" parse --type html --source ivo --base https://www.ivo.se/ "$work/page.html" > "$work/css.jsonl" 2> "$work/err"
rc1=$?
"$BULLETIN" -c "$work/cfg/bulletin.ini" parse --type html --source ivo-xpath --base https://www.ivo.se/ "$work/page.html" > "$work/xp.jsonl" 2>> "$work/err"
rc2=$?
check "bulletin-sources(5) example: both listing sources read 2 items with dates" sh -c \
	"[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ \$(grep -c '\"published\":\"20' '$work/css.jsonl') -eq 2 ] && [ \$(grep -c 'https://www.ivo.se/nyheter/' '$work/xp.jsonl') -eq 2 ]"
check "bulletin-sources(5) example: CSS and XPath agree on titles and dates" sh -c \
	"cut -d, -f3 '$work/css.jsonl' > '$work/a'; cut -d, -f3 '$work/xp.jsonl' > '$work/b'; cmp -s '$work/a' '$work/b' && grep -q '2024-04-16T22:00:00Z' '$work/xp.jsonl'"

# 8. The false friend bulletin-rules(5) warns of does what it says: a bare
#    lege matches the words the page names, *lege those inside words.
sect=$(sed -n '/^Never write a bare/,/^\.PP/p' "$doc/bulletin-rules.5" | unroff | tr '\n' ' ')
printf 'topic t "T"\nthreshold 1\ninclude 2 lege\n' > "$work/bare.rules"
printf 'topic t "T"\nthreshold 1\ninclude 2 *lege\n' > "$work/star.rules"
for w in legemiddel legende kolleger privilegert; do
	printf '{"key":"%s","url":"https://x.no/%s","title":"%s"}\n' "$w" "$w" "$w"
done > "$work/lege.jsonl"
"$BULLETIN" rules test -r "$work/bare.rules" --format jsonl "$work/lege.jsonl" > "$work/bare.out" 2>&1
"$BULLETIN" rules test -r "$work/star.rules" --format jsonl "$work/lege.jsonl" > "$work/star.out" 2>&1
sel() { grep -q "\"key\": *\"$2\".*\"selected\": *true" "$1"; }
check "bulletin-rules(5): bare lege matches legemiddel and legende, not kolleger or privilegert; *lege all four" sh -c \
	"echo '$sect' | grep -q 'legemiddel' && echo '$sect' | grep -q 'legende' && echo '$sect' | grep -q 'inside kolleger and privilegert' &&
	 $(for w in legemiddel legende; do printf 'grep -q "\\"key\\": *\\"%s\\".*\\"selected\\": *true" %s && ' "$w" "$work/bare.out"; done)
	 $(for w in kolleger privilegert; do printf '! grep -q "\\"key\\": *\\"%s\\".*\\"selected\\": *true" %s && ' "$w" "$work/bare.out"; done)
	 $(for w in legemiddel legende kolleger privilegert; do printf 'grep -q "\\"key\\": *\\"%s\\".*\\"selected\\": *true" %s && ' "$w" "$work/star.out"; done) true"

tap_done
