#!/bin/sh
# Watched-page benchmark (issue 19): the diff of two 2 MiB HTML pages and
# of two 100-page PDFs (tests/bench/genpage.py; PDFs made by
# tests/fixtures/watch/mkpdf.py), beside `diff -u` of the extracted text in
# the same run. Rows: bulletin watch --compare on the documents (extract
# both + diff), bulletin watch --extract of one document, bulletin watch
# --compare of the two extracts (the diff alone), diff -u of the two
# extracts, and bulletin --version (what starting the program costs: its
# shared libraries). Wall time and peak RSS (/usr/bin/time), median of
# BENCH_RUNS.
#
# usage: sh tests/bench/watch.sh path/to/bulletin   (or `make bench`)
# A benchmark reports: it exits non-zero only when a command fails or the
# two diffs disagree on the changed line count.
set -u
BULLETIN=${1:-}
if [ -z "$BULLETIN" ] || [ ! -x "$BULLETIN" ]; then
	echo "usage: sh tests/bench/watch.sh path/to/bulletin" >&2
	exit 64
fi
BULLETIN=$(cd "$(dirname "$BULLETIN")" && pwd)/$(basename "$BULLETIN")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=${BENCH_RUNS:-3}
for tool in /usr/bin/time /usr/bin/python3 diff pdftotext; do
	command -v "$tool" >/dev/null 2>&1 || { echo "watch.sh: $tool is missing (make deps)" >&2; exit 69; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulletin-watchbench.XXXXXX") || exit 70
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
cd "$TMP" || exit 70
/usr/bin/python3 "$HERE/genpage.py" html a.html b.html || exit 70
/usr/bin/python3 "$HERE/genpage.py" pdf a.txt b.txt 100 || exit 70
/usr/bin/python3 "$REPO/tests/fixtures/watch/mkpdf.py" a.txt a.pdf || exit 70
/usr/bin/python3 "$REPO/tests/fixtures/watch/mkpdf.py" b.txt b.pdf || exit 70

# measure NAME OUT CMD...: median wall seconds and peak RSS over RUNS runs
# (exit status 0 or 1 counts as success: diff exits 1 when the files differ)
measure() {
	name=$1 out=$2
	shift 2
	: > times
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %M' -o t.one "$@" > "$out" 2>err.one
		rc=$?
		if [ $rc -gt 1 ]; then
			echo "watch.sh: $name failed ($rc):" >&2
			cat err.one t.one >&2
			exit 1
		fi
		tail -n 1 t.one >> times
		i=$((i + 1))
	done
	sort -n times | awk -v n="$RUNS" -v name="$name" '
		{ t[NR] = $1; m[NR] = $2 }
		END { mid = int((n + 1) / 2); printf "| %s | %.2f s | %.1f MiB |\n", name, t[mid], m[mid] / 1024 }'
}

changed() { grep -c '^[-+][^-+]' "$1"; }

echo "## watch.sh: diffing watched pages ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), median of $RUNS)"
echo
for kind in html pdf; do
	a=a.$kind b=b.$kind
	echo "### two $(ls -l $a | awk '{printf "%.1f MiB", $5 / 1048576}') ${kind} documents"
	echo
	echo "| what | time | peak RSS |"
	echo "|---|---|---|"
	measure "bulletin watch --compare (extract both + diff)" cmp.out "$BULLETIN" watch --compare "$a" "$b"
	measure "bulletin watch --extract (one document)" ea.txt "$BULLETIN" watch --extract "$a"
	"$BULLETIN" watch --extract "$b" > eb.txt || exit 1
	measure "bulletin watch --compare of the extracts (diff alone)" cmp2.out "$BULLETIN" watch --compare ea.txt eb.txt
	measure "diff -u of the extracts (reference)" du.out diff -u ea.txt eb.txt
	measure "bulletin --version (starting the program, for scale)" ver.out "$BULLETIN" --version
	echo
	echo "extracts: $(wc -c < ea.txt) and $(wc -c < eb.txt) bytes; changed lines: bulletin $(changed cmp2.out), diff -u $(changed du.out)"
	echo
	[ "$(changed cmp.out)" -eq "$(changed cmp2.out)" ] || { echo "watch.sh: the diffs disagree" >&2; exit 1; }
done
