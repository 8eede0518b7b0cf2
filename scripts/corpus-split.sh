#!/bin/sh
# The tuning / judging split of the labeled corpus, reproducible.
#
#   sh scripts/corpus-split.sh tune|judge [TSV]          the header and the rows of that part
#   sh scripts/corpus-split.sh eval tune|judge|all [TSV] [RULES]
#                                                        bulletin rules eval on that part
#
# A row is in the tuning part when the first hex digit of md5(id) is even,
# else in the judging part (public2.tsv: 148 and 152 rows). TSV defaults to
# $BULLETIN_SHARED/corpus/public2.tsv (BULLETIN_SHARED defaults to
# ../shared); RULES to feeds/primarvard.rules; the program to
# $BULLETIN or build/bulletin. Corpus text goes to a temporary file outside
# the repository and is removed after, never into the tree.
set -eu
root=$(dirname "$0")/..
shared=${BULLETIN_SHARED:-$root/../shared}

usage() {
	echo "usage: sh scripts/corpus-split.sh tune|judge [TSV]" >&2
	echo "       sh scripts/corpus-split.sh eval tune|judge|all [TSV] [RULES]" >&2
	exit 2
}

# part PART FILE: the header, then the rows of PART. md5sum once per row
# is slow in shell, so the ids go through it in one awk pass.
part() {
	awk -F '\t' -v want="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "id") col = i; print; next }
		!col { print "corpus-split: no id column" > "/dev/stderr"; exit 1 }
		$0 == "" { next }
		{
			cmd = "printf %s \"" $col "\" | md5sum"
			if ($col !~ /^[A-Za-z0-9_.-]+$/) { print "corpus-split: odd id " $col > "/dev/stderr"; exit 1 }
			cmd | getline h; close(cmd)
			d = substr(h, 1, 1)
			even = index("02468ace", d) > 0
			if ((want == "tune" && even) || (want == "judge" && !even)) print
		}' "$2"
}

[ $# -ge 1 ] || usage
case $1 in
tune | judge)
	file=${2:-$shared/corpus/public2.tsv}
	[ -r "$file" ] || { echo "corpus-split: cannot read $file" >&2; exit 1; }
	part "$1" "$file"
	;;
eval)
	[ $# -ge 2 ] || usage
	which=$2
	file=${3:-$shared/corpus/public2.tsv}
	rules=${4:-$root/feeds/primarvard.rules}
	bin=${BULLETIN:-$root/build/bulletin}
	[ -r "$file" ] || { echo "corpus-split: cannot read $file" >&2; exit 1; }
	case $which in
	all) exec "$bin" rules eval -r "$rules" "$file" ;;
	tune | judge) ;;
	*) usage ;;
	esac
	tmp=$(mktemp "${TMPDIR:-/tmp}/corpus-$which.XXXXXX")
	trap 'rm -f "$tmp"' EXIT INT TERM
	part "$which" "$file" > "$tmp"
	"$bin" rules eval -r "$rules" "$tmp"
	;;
*) usage ;;
esac
