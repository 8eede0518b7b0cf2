#!/bin/sh
# What is written stays written (issue 13, part 4): the archive is complete
# or send says so. On a full file system (a 1 MiB tmpfs, filled, in a
# mount namespace of its own) send mails everyone, exits 74 naming the
# file it could not write, and the next send writes every missing file
# without mailing anyone again. Modes: the store and the unsubscribe key
# 0600 in a 0700 folder, dry-run copies 0600, archive files public (0644).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/servers/tap.sh"
command -v sqlite3 > /dev/null || { echo "1..0 # SKIP sqlite3 CLI missing"; exit 0; }
. "$top/tests/integration/send_setup.inc"
members 4
sink
write_cfg
umask 022
mode() { stat -c %a "$1"; }
check "store file 0600" [ "$(mode "$db")" = 600 ]
check "store folder (made by bulletin) 0700" [ "$(mode "$(dirname "$db")")" = 700 ]
"$BULLETIN" -c "$cfg" send --dry-run "$work/dry" > /dev/null 2>&1
check "dry run: folder 0700, each member's copy 0600" sh -c \
	"[ \$(stat -c %a '$work/dry') = 700 ] && [ -z \"\$(find '$work/dry' -name '*.eml' ! -perm 600)\" ] && [ \$(ls '$work/dry' | wc -l) -eq 4 ]"

if [ "$(id -u)" != 0 ] || ! command -v unshare > /dev/null; then
	for t in "full disk: exit 74" "full disk: mail unaffected" "full disk: the next send completes the archive"; do
		ok "$t # SKIP needs root and unshare(1) to mount a small tmpfs"
	done
	tap_done
	exit $?
fi
arch=$work/cfg/archive
mkdir -p "$arch"
cat > "$work/inner.sh" <<INNER
mount -t tmpfs -o size=1m,mode=755 tmpfs '$arch' || exit 99
dd if=/dev/zero of='$arch/filler' bs=64k count=32 2> /dev/null
'$BULLETIN' -c '$cfg' send > '$work/out1' 2> '$work/err1'; echo \$? > '$work/rc1'
ls '$arch' > '$work/ls1'
sqlite3 '$db' 'SELECT COUNT(*) FROM digests WHERE archived IS NULL' > '$work/unarchived1'
rm -f '$arch/filler'
'$BULLETIN' -c '$cfg' send > '$work/out2' 2> '$work/err2'; echo \$? > '$work/rc2'
ls -l '$arch' > '$work/ls2'
cat '$arch'/index.html > '$work/index2' 2> /dev/null
umount '$arch'
INNER
if ! unshare -m sh "$work/inner.sh" || [ "$(cat "$work/rc1" 2>/dev/null)" = "" ]; then
	for t in "full disk: exit 74" "full disk: mail unaffected" "full disk: the next send completes the archive"; do
		ok "$t # SKIP could not mount a tmpfs here"
	done
	tap_done
	exit $?
fi
check "full disk: exit 74, the file named with the reason" sh -c \
	"[ \$(cat '$work/rc1') = 74 ] && grep -q 'archive: .*digest-[0-9-]*\.[a-z]*: No space left on device' '$work/err1'" || sed 's/^/#   /' "$work/err1"
check "full disk: mail unaffected (each member one)" each_once 4
check "full disk: the digest is not marked archived" [ "$(cat "$work/unarchived1")" = 1 ]
check "full disk: no .tmp left behind" sh -c "! grep -q '\.tmp$' '$work/ls1'"
check "full disk, next send: exit 0, every file written, nobody mailed again" sh -c "
	[ \$(cat '$work/rc2') = 0 ] && [ $(mails) -eq 4 ] &&
	for e in md html txt json; do grep -q \"digest-.*\\.\$e\$\" '$work/ls2' || exit 1; done &&
	grep -q ' index.html$' '$work/ls2' && grep -q ' feed.atom$' '$work/ls2' &&
	grep -q 'digest-' '$work/index2'" || sed 's/^/#   /' "$work/err2"
check "full disk, next send: archived recorded" [ -n "$(q 'SELECT archived FROM digests')" ]
check "archive files are public (0644)" sh -c "! grep -v '^total' '$work/ls2' | grep -qv '^-rw-r--r--'"
tap_done
