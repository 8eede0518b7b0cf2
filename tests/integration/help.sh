#!/bin/sh
# `bulletin --help` lists every verb and every option: each verb of
# main.c's table is there, and each option and subcommand of each verb's
# own synopsis (`bulletin VERB --help`, and `bulletin rules SUB --help`)
# appears in that verb's lines of the overview (issue 17). Then
# `bulletin paths`. Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
"$BULLETIN" --help > "$work/help"
sed -n '/^Commands:/,/^$/p' "$work/help" > "$work/commands"

# block VERB: the overview's lines for VERB: each line "  VERB ..." and the
# continuation lines under it.
block() {
	awk -v v="$1" '/^  [a-z]/ { on = ($1 == v) } on' "$work/commands"
}
# synopsis: the usage lines of a verb's own --help (up to the first blank).
synopsis() { sed -n '/^usage:/,/^$/p' "$1"; }

verbs=$(grep -o '{"[a-z]*", cmd_[a-z]*}' "$top/cmd/bulletin/main.c" | sed 's/{"\([a-z]*\)".*/\1/')
missing=""
for v in $verbs; do [ -n "$(block "$v")" ] || missing="$missing $v"; done
check "every verb of main.c's table is in bulletin --help ($(echo $verbs | wc -w) verbs)" \
	sh -c "[ -n '$verbs' ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"

# Each verb's (and each rules subcommand's) options and subcommands.
"$BULLETIN" rules > /dev/null 2> "$work/rules_usage"
subs=$(sed -n 's/^usage: bulletin rules \([a-z|]*\) .*/\1/p' "$work/rules_usage" | tr '|' ' ')
missing="" n=0
for v in $verbs $(for s in $subs; do echo "rules:$s"; done); do
	case $v in
	rules) continue ;;
	rules:*) "$BULLETIN" rules "${v#rules:}" --help > "$work/vh" 2>&1; b=rules ;;
	*) "$BULLETIN" "$v" --help > "$work/vh" 2>&1; b=$v ;;
	esac
	block "$b" > "$work/block"
	[ "${v#rules:}" != "$v" ] && grep -q "^  rules ${v#rules:} " "$work/block" || [ "${v#rules:}" = "$v" ] ||
		missing="$missing $v"
	synopsis "$work/vh" > "$work/syn"
	[ "${v#rules:}" != "$v" ] && awk -v s="${v#rules:}" '/^  rules / { on = ($2 == s) } on' "$work/block" > "$work/b2" &&
		mv "$work/b2" "$work/block"
	for o in $(grep -o -- '--[a-z][a-z-]*\|[[ ]-[a-z]\b' "$work/syn" | tr -d '[ ' | sort -u); do
		n=$((n + 1))
		grep -q -- "$o\b" "$work/block" || missing="$missing $v:$o"
	done
	# subcommands: the lower-case words right after "bulletin VERB"
	for s in $(sed -n "s/^\(usage:\)\{0,1\} *bulletin $b \([a-z][a-z|]*\).*/\2/p" "$work/syn" | tr '|' '\n' | sort -u); do
		[ "${v#rules:}" != "$v" ] && continue
		n=$((n + 1))
		grep -q "$s" "$work/block" || missing="$missing $v:$s"
	done
done
check "every option and subcommand of every verb's synopsis is in its lines of bulletin --help ($n)" \
	sh -c "[ $n -gt 40 ] && [ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
missing=""
for o in '-c FILE' '-v, -q' '--help' '--version'; do grep -q -- "^  $o\|, $o\| $o" "$work/help" || missing="$missing $o"; done
check "the global options are in it" sh -c "[ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
# (Its exit statuses: readme.sh, with the README's.)
# Every "[section] key" a verb's --help names is a key of the configuration
# (a word that looks like a key: with an underscore, or some section's key).
"$BULLETIN" config keys | awk -F '\t' '{ print "[" $1 "] " $2 }' > "$work/keys"
"$BULLETIN" config keys | cut -f2 | sort -u > "$work/keynames"
bad=""
for v in $verbs; do
	"$BULLETIN" "$v" --help 2>/dev/null | tr '\n' ' ' | grep -o '\[[a-z]*\] *[a-z_]*' | sed 's/  */ /g' |
		sort -u > "$work/named"
	while read -r k; do
		w=${k#*] }
		case $w in *_*) ;; *) grep -qxF "$w" "$work/keynames" || continue ;; esac
		grep -qxF "$k" "$work/keys" || bad="$bad $v:'$k'"
	done < "$work/named"
done
check "every [section] key a verb's --help names is a setting (archive --help: [digest] archive)" sh -c \
	"[ -z \"$bad\" ] || { echo \"#   not a setting:$bad\"; exit 1; }"
check "no line of it is wider than 80 columns" sh -c \
	"! LC_ALL=C.UTF-8 awk 'length > 80' '$work/help' | grep -q ."

# bulletin paths: where everything was found.
mkdir -p "$work/cfg/templates"
printf 'email,name\na@example.se,A\n' > "$work/cfg/members.csv"
cat > "$work/cfg/bulletin.ini" <<EOF
[store]
path = $work/state/bulletin.db
[rules]
files = $top/feeds/primarvard.rules
[digest]
archive = $work/state/archive
[members]
file = members.csv
EOF
(cd "$work/cfg" && "$BULLETIN" paths) > "$work/out" 2> "$work/err"
rc=$?
check "paths: exit 0, the config found in this folder, templates beside it" sh -c \
	"[ $rc -eq 0 ] && grep -q '^config  *bulletin.ini  (found in this folder)$' '$work/out' && grep -q '^templates  *./templates$' '$work/out'" ||
	sed 's/^/#   /' "$work/out" "$work/err"
check "paths: rules, members, store and archive (not there yet), and the data folder" sh -c \
	"grep -q '^rules  *$top/feeds/primarvard.rules$' '$work/out' && grep -q '^members  *./members.csv$' '$work/out' &&
	 grep -q '^store  *$work/state/bulletin.db  (not there yet' '$work/out' && grep -q '^archive  *$work/state/archive  (not there yet' '$work/out' && grep -q '^data  ' '$work/out'"
"$BULLETIN" -c "$work/cfg/bulletin.ini" paths > "$work/out" 2>&1
check "paths -c: says so" grep -q "^config  *$work/cfg/bulletin.ini  (-c)$" "$work/out"
(cd "$work" && HOME=$work/nohome XDG_CONFIG_HOME= "$BULLETIN" paths) > "$work/out" 2> "$work/err"
check "paths without a configuration: exit 78, where it looked" sh -c \
	"[ $? -eq 78 ] && grep -q 'looked for ./bulletin.ini and $work/nohome/.config/bulletin/bulletin.ini' '$work/err'"

tap_done
