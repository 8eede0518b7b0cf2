#!/bin/sh
# `make install` into a scratch DESTDIR, then the installed tree alone: the
# installed binary (run from a scratch folder, with HOME and
# XDG_CONFIG_HOME pointing there) loads the installed sample configuration
# (its paths moved into the DESTDIR) and a small one of its own naming the
# installed rules and templates, checks the rules, composes an empty
# digest, renders an installed template, checks the sample member list and
# writes .eml files with `send --dry-run`. `make uninstall` removes it all.
# Prints TAP. Needs no servers.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
PREFIX=/usr/local
dest=$work/stage
build=$(cd "$(dirname "$BULLETIN")" && pwd)

# 1. Install, without rebuilding the binary under test (-o: take it as it is).
#    PREFIX/bin is there before (as Debian ships /usr/local/bin): uninstall
#    must leave it.
mkdir -p "$dest$PREFIX/bin"
make -s -C "$top" -o "$build/bulletin" install DESTDIR="$dest" PREFIX=$PREFIX BUILD="$build" \
	> "$work/make.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "make install DESTDIR=... PREFIX=$PREFIX"; else not_ok "make install DESTDIR=... PREFIX=$PREFIX" "$(tail -5 "$work/make.out")"; fi
root=$dest$PREFIX
bin=$root/bin/bulletin
check "bin/bulletin is executable and is the binary under test" sh -c "[ -x '$bin' ] && cmp -s '$bin' '$BULLETIN'"
missing=""
for f in share/man/man1/bulletin.1 share/man/man5/bulletin.ini.5 share/man/man5/bulletin-rules.5 \
	share/man/man5/bulletin-sources.5 share/bulletin/feeds/nordic.ini share/bulletin/feeds/primarvard.rules \
	share/bulletin/templates/subject.mustache share/bulletin/templates/digest.md.mustache \
	share/bulletin/templates/layout.html.mustache share/bulletin/templates/digest.txt.mustache \
	share/doc/bulletin/bulletin.ini share/doc/bulletin/members.csv share/doc/bulletin/bulletin.cron \
	share/doc/bulletin/bulletin.service share/doc/bulletin/bulletin.timer; do
	[ -f "$root/$f" ] || missing="$missing $f"
done
check "man pages, feeds, rules, templates and samples are installed" sh -c "[ -z '$missing' ] || { echo '#   missing:$missing'; exit 1; }"
check "installed files are not writable by others, samples mode 644" sh -c \
	"[ -z \"\$(find '$dest' -perm -o+w ! -type l)\" ] && [ \"\$(stat -c %a '$root/share/doc/bulletin/bulletin.ini')\" = 644 ]"
check "samples name PREFIX's share/bulletin" grep -q "^files = $PREFIX/share/bulletin/feeds/primarvard.rules" \
	"$root/share/doc/bulletin/bulletin.ini"
if command -v man > /dev/null; then
	check "man -l on the installed bulletin.1 renders" sh -c \
		"MANPAGER=cat man -l '$root/share/man/man1/bulletin.1' 2>/dev/null | grep -q 'EXIT STATUS'"
else
	ok "man -l on the installed bulletin.1 renders # SKIP man(1) is not installed"
fi

# From here on nothing of the source tree is used: a scratch folder, the
# installed binary and files.
run=$work/run
mkdir -p "$run/etc" "$run/home"
cd "$run" || exit 1
export HOME="$run/home" XDG_CONFIG_HOME="$run/home/.config"

# 2. The installed sample configuration, its paths moved into the DESTDIR.
sed "s|$PREFIX/|$root/|g" "$root/share/doc/bulletin/bulletin.ini" > "$run/etc/bulletin.ini"
cp "$root/share/doc/bulletin/members.csv" "$run/etc/members.csv"
"$bin" -c "$run/etc/bulletin.ini" rules check > "$work/out" 2>&1
check "sample config: rules check loads the installed sources and rules, 0 warnings" sh -c \
	"[ $? -eq 0 ] && grep -q '^0 warnings.* in [0-9]* topics' '$work/out'"
"$bin" -c "$run/etc/bulletin.ini" members check > "$work/out" 2>&1
check "sample config: members check reads the sample list (1 row, 1 active)" sh -c \
	"[ $? -eq 0 ] && grep -q 'rows  *1$' '$work/out' && grep -q 'active (will be mailed) *1$' '$work/out'"
# The README tells the chair the sample list has one row, hers: it must.
row=$(sed -n 's/.*line below its header, yours (`\([^`]*\)`).*/\1/p' "$top/README.md")
check "the sample members.csv is the header and the one row the README quotes ($row)" sh -c \
	"[ -n '$row' ] && [ \"\$(sed -n 2p '$root/share/doc/bulletin/members.csv')\" = '$row' ] && [ \$(wc -l < '$root/share/doc/bulletin/members.csv') -eq 2 ]"

# 3. A small configuration of its own, naming the installed rules and
#    templates explicitly.
cat > "$run/etc/small.ini" <<EOF
[rules]
files = $root/share/bulletin/feeds/primarvard.rules
[digest]
templates = $root/share/bulletin/templates
[mail]
from_address = nyhetsbrev@example.se
[members]
file = members.csv
EOF
"$bin" -c "$run/etc/small.ini" rules check > "$work/out" 2>&1
check "small config: rules check, exit 0" sh -c "[ $? -eq 0 ] && grep -q '^0 warnings' '$work/out'"
"$bin" -c "$run/etc/small.ini" digest --days 1 --format text > "$work/digest.txt" 2> "$work/err"
check "small config: digest --days 1 --format text on an empty store" sh -c \
	"[ $? -eq 0 ] && [ -f '$run/home/.local/state/bulletin/bulletin.db' ] && [ ! -e '$run/etc/bulletin.db' ] && grep -q '^Subject: Primärvårdsnytt.*0 nyheter' '$work/digest.txt'"
"$bin" -c "$run/etc/small.ini" digest --days 1 --format json > "$work/model.json" 2> "$work/err"
"$bin" render "$root/share/bulletin/templates/subject.mustache" --data "$work/model.json" --no-escape \
	> "$work/subject" 2> "$work/err"
check "render of the installed subject.mustache with the digest's model" sh -c \
	"[ $? -eq 0 ] && grep -q 'Primärvårdsnytt, vecka' '$work/subject' && ! grep -q '{{' '$work/subject'"
"$bin" render "$root/share/bulletin/templates/digest.md.mustache" --data "$work/model.json" --no-escape \
	> "$work/md" 2> "$work/err"
check "render of the installed digest.md.mustache" sh -c "[ $? -eq 0 ] && grep -q '^# Primärvårdsnytt' '$work/md'"
"$bin" -c "$run/etc/small.ini" digest --days 1 --open > "$work/out" 2> "$work/err"
state=$run/home/.local/state/bulletin
check "small config: digest --open writes preview.html in the state folder's archive" sh -c \
	"[ $? -eq 0 ] && [ \"\$(cat '$work/out')\" = '$state/archive/preview.html' ] && grep -q '<html' '$state/archive/preview.html'"

# 4. With no templates named and none beside the config, the installed ones
#    are used: BULLETIN_DATADIR as compiled (PREFIX, not the DESTDIR), or
#    the environment variable of that name pointing into the DESTDIR.
mkdir -p "$run/bare"
printf '[rules]\nfiles = %s\n' "$root/share/bulletin/feeds/primarvard.rules" > "$run/bare/bulletin.ini"
BULLETIN_DATADIR=$root/share/bulletin "$bin" -c "$run/bare/bulletin.ini" digest --days 1 --format text > "$work/out" 2> "$work/err"
check "no templates named: BULLETIN_DATADIR's templates are used" sh -c "[ $? -eq 0 ] && grep -q '^Subject:' '$work/out'"
BULLETIN_DATADIR=$run/nowhere "$bin" -c "$run/bare/bulletin.ini" digest --days 1 --format text > "$work/out" 2> "$work/err"
check "BULLETIN_DATADIR without templates: exit 78 naming the file it looked for" sh -c \
	"[ $? -eq 78 ] && grep -q '$run/nowhere/templates/subject.mustache' '$work/err'"

# 5. send --dry-run with the sample member list: one .eml per active member.
"$bin" -c "$run/etc/small.ini" send --dry-run "$run/eml" > "$work/out" 2> "$work/err"
check "send --dry-run: an empty week sends nothing (empty = skip), exit 0" sh -c \
	"[ $? -eq 0 ] && grep -q 'nothing sent' '$work/err' && [ ! -s '$work/out' ]"
printf '[digest]\nempty = send\n' >> "$run/etc/small.ini"
"$bin" -c "$run/etc/small.ini" send --dry-run "$run/eml" > "$work/out" 2> "$work/err"
check "send --dry-run with empty = send: 1 .eml file, for the one member" sh -c \
	"[ $? -eq 0 ] && [ \$(ls '$run/eml' | grep -c '\\.eml\$') -eq 1 ] && grep -rl 'ordforande@example.se' '$run/eml' > /dev/null"

# 6. Uninstall leaves nothing but folders.
cd "$top" || exit 1
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=$PREFIX > "$work/make.out" 2>&1
check "make uninstall removes every installed file" sh -c "[ $? -eq 0 ] && [ -z \"\$(find '$dest' ! -type d)\" ]"
check "... and the folders install made, not PREFIX/bin that was there before" sh -c \
	"[ \"\$(cd '$dest' && find . | sort | tr '\n' ' ')\" = '. ./usr ./usr/local ./usr/local/bin ' ]" ||
	(cd "$dest" && find . | sed 's/^/#   /')

tap_done
