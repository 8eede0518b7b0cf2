#!/bin/sh
# `bulletin render` as a template author runs it: sections, inverted
# sections, partials from --partials or the template's folder, escaping,
# UTF-8, data from a file or stdin, the shipped subject template, and each
# error with its exit status and "FILE:LINE:COL: message". Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
t=$work/t p=$work/parts
mkdir -p "$t" "$p"

# same FILE TEXT: the file holds exactly TEXT (printf-style escapes).
same() { printf "$2" > "$work/want"; cmp -s "$1" "$work/want" || { echo "# got: $(cat "$1")"; false; }; }

cat > "$t/page.mustache" <<'T'
<h1>{{title}}</h1>
{{#items}}<li>{{name}}: {{&raw}}</li>
{{/items}}{{^items}}<p>inga</p>
{{/items}}{{#flag}}ja{{/flag}}{{^flag}}nej{{/flag}} {{> foot}}
T
printf '<p>{{title}} – {{who}}</p>' > "$p/foot.mustache"
printf 'LOCAL {{title}}' > "$t/foot.mustache"
cat > "$work/data.json" <<'J'
{"title": "Fastlegeordningen i Tromsø <b>&\"", "who": "Åsa",
 "items": [{"name": "<b>&\"", "raw": "<i>kept</i>"}, {"name": "blåbär", "raw": "ø"}],
 "flag": false}
J

# 1. Sections, escaping, raw, inverted, a partial from --partials.
"$BULLETIN" render "$t/page.mustache" --data "$work/data.json" --partials "$p" > "$work/out" 2> "$work/err"
check "file data: exit 0, quiet" sh -c "[ $? -eq 0 ] && [ ! -s '$work/err' ]"
check "sections, escaping of <b>&\", UTF-8, inverted, --partials" same "$work/out" \
'<h1>Fastlegeordningen i Tromsø &lt;b&gt;&amp;&quot;</h1>\n<li>&lt;b&gt;&amp;&quot;: <i>kept</i></li>\n<li>blåbär: ø</li>\nnej <p>Fastlegeordningen i Tromsø &lt;b&gt;&amp;&quot; – Åsa</p>\n'

# 2. Stdin data, the partial from the template's own folder, an empty list.
printf '{"title": "Vårdval", "items": [], "flag": 1}' |
	"$BULLETIN" render "$t/page.mustache" --data - > "$work/out" 2> "$work/err"
check "stdin data: exit 0" [ $? -eq 0 ]
check "stdin: inverted empty list, default partial folder" same "$work/out" \
	'<h1>Vårdval</h1>\n<p>inga</p>\nja LOCAL Vårdval\n'

# 3. --no-escape for text; no --data is an empty object.
printf '{{title}} & {{missing}}|' > "$t/plain.mustache"
"$BULLETIN" render --no-escape "$t/plain.mustache" --data "$work/data.json" > "$work/out"
check "--no-escape leaves <b>&\" alone" same "$work/out" 'Fastlegeordningen i Tromsø <b>&" & |'
"$BULLETIN" render "$t/plain.mustache" > "$work/out"
check "no --data: an empty object" same "$work/out" ' & |'

# 4. Partial names stay inside the folder.
echo SECRET > "$work/secret.mustache"
printf '[{{> ../secret}}][{{> .hidden}}]' > "$t/escape.mustache"
"$BULLETIN" render "$t/escape.mustache" --partials "$p" > "$work/out" 2> "$work/err"
check "partial ../secret and .hidden render empty" same "$work/out" '[][]'

# 5. Errors: exit status and one message each.
printf 'ok\n{{#open}}\nx\n' > "$t/bad.mustache"
"$BULLETIN" render "$t/bad.mustache" > "$work/out" 2> "$work/err"
rc=$?
check "template error: exit 65" [ $rc -eq 65 ]
check "template error: FILE:LINE:COL: message" grep -q "^$t/bad.mustache:[0-9]*:[0-9]*: .*open" "$work/err"
check "template error: nothing on stdout" [ ! -s "$work/out" ]
printf '{{x}' > "$t/bad2.mustache"
"$BULLETIN" render "$t/bad2.mustache" > "$work/out" 2> "$work/err"
check "unclosed tag: exit 65, file:1:1" sh -c "[ $? -eq 65 ] && grep -q '^$t/bad2.mustache:1:1: ' '$work/err'"

# 85,000 nested sections crashed render with a stack overflow (issue 15).
/usr/bin/python3 -c 'import sys; n = 85000; sys.stdout.write("{{#a}}" * n + "x" + "{{/a}}" * n)' > "$t/deep.mustache"
printf '{"a": true}' > "$work/deep.json"
"$BULLETIN" render "$t/deep.mustache" --data "$work/deep.json" > "$work/out" 2> "$work/err"
rc=$?
check "85,000 nested sections: exit 65, not a crash" [ $rc -eq 65 ]
check "85,000 nested sections: FILE:LINE:COL of the 101st" \
	grep -q "^$t/deep.mustache:1:601: sections nested deeper than 100 levels" "$work/err"

"$BULLETIN" render "$t/nope.mustache" > "$work/out" 2> "$work/err"
check "missing template: exit 66" [ $? -eq 66 ]
check "missing template: names the file" grep -q "nope.mustache: No such file" "$work/err"
"$BULLETIN" render "$t/page.mustache" --data "$work/nope.json" > "$work/out" 2> "$work/err"
check "missing data: exit 66" [ $? -eq 66 ]
check "missing data: names the file" grep -q "nope.json: No such file" "$work/err"

printf '{"title": "x",\n "items": [1, }\n' > "$work/bad.json"
"$BULLETIN" render "$t/page.mustache" --data "$work/bad.json" > "$work/out" 2> "$work/err"
check "bad JSON: exit 65" [ $? -eq 65 ]
check "bad JSON: FILE:LINE:COL: message" grep -q "^$work/bad.json:2:[0-9]*: " "$work/err"
printf '{"a": 1' | "$BULLETIN" render "$t/page.mustache" --data - > "$work/out" 2> "$work/err"
check "bad JSON on stdin: exit 65, <stdin>:1:COL:" sh -c "[ $? -eq 65 ] && grep -q '^<stdin>:1:[0-9]*: ' '$work/err'"
"$BULLETIN" render > "$work/out" 2> "$work/err"
check "no template: exit 64" [ $? -eq 64 ]

# 6. The shipped subject template with a small model, as `digest --format json` makes it.
cat > "$work/model.json" <<'J'
{"title": "Primärvårdsnytt <Sthlm>", "language": "sv",
 "t": {"week": "Vecka", "week_lc": "vecka"},
 "generated": "2024-04-17T06:00:00Z",
 "period": {"start": "2024-04-10T06:00:00Z", "end": "2024-04-17T06:00:00Z",
            "start_text": "10 april 2024", "end_text": "17 april 2024", "week": 16, "year": 2024},
 "count": 3, "count_text": "3 nyheter", "has_items": true, "more": 0,
 "topics": [{"id": "pv", "title": "Primärvård", "count": 3, "items": []}]}
J
"$BULLETIN" render "$top/templates/subject.mustache" --no-escape --data "$work/model.json" > "$work/out" 2> "$work/err"
check "templates/subject.mustache: exit 0" [ $? -eq 0 ]
check "templates/subject.mustache: the subject line" same "$work/out" \
	'Primärvårdsnytt <Sthlm>, vecka 16 2024: 3 nyheter\n'

tap_done
