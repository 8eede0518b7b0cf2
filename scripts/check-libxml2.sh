#!/bin/sh
# The parse stage against another libxml2 (issue 14: public API only, so
# a newer libxml2 must build and pass). Builds the parse unit tests in
# build/libxml2-VERSION against the libxml2 installed under PREFIX (its
# lib/pkgconfig/libxml-2.0.pc) and runs them with that library loaded.
# This script builds bulletin, not libxml2: install the libxml2 to test
# (Debian backports, a distribution package, or your own build) first.
#
# usage: sh scripts/check-libxml2.sh PREFIX     (or make check-libxml2-new LIBXML2_PREFIX=...)
# Prints TAP; exits 0 when every test passed, 1 otherwise, 77 (skip) when
# PREFIX has no libxml2.
set -u
PREFIX=${1:-${LIBXML2_PREFIX:-}}
top=$(cd "$(dirname "$0")/.." && pwd)
pc=
for d in lib lib64 lib/x86_64-linux-gnu; do
	[ -f "$PREFIX/$d/pkgconfig/libxml-2.0.pc" ] && pc=$PREFIX/$d/pkgconfig && libdir=$PREFIX/$d && break
done
if [ -z "$PREFIX" ] || [ -z "$pc" ]; then
	echo "1..0 # SKIP no libxml2 under '${PREFIX}' (give the prefix of an installed libxml2 >= 2.12)"
	exit 77
fi
ver=$(PKG_CONFIG_PATH=$pc pkg-config --modversion libxml-2.0) || exit 1
build=build/libxml2-$ver
tests="test_feed test_feed_conformance test_html test_css test_charset test_item test_text test_date"
cd "$top" || exit 1
echo "# libxml2 $ver from $libdir (the system has $(pkg-config --modversion libxml-2.0))"
# -Werror stays on: a deprecated or changed libxml2 API fails the build.
if ! PKG_CONFIG_PATH=$pc:${PKG_CONFIG_PATH:-} make --no-print-directory BUILD="$build" \
	$(for t in $tests; do printf '%s/tests/%s ' "$build" "$t"; done) >"$build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - build against libxml2 $ver (see $build.log)"
	tail -n 20 "$build.log" | sed 's/^/# /'
	exit 1
fi
n=0
fail=0
set -- $tests
echo "1..$#"
for t in "$@"; do
	n=$((n + 1))
	# the library really loaded is the one under test (when it is linked)
	if { ! ldd "$build/tests/$t" | grep -q libxml2 ||
		LD_LIBRARY_PATH=$libdir ldd "$build/tests/$t" | grep -q "$libdir/libxml2"; } &&
		LD_LIBRARY_PATH=$libdir "$build/tests/$t" >"$build/$t.log" 2>&1; then
		echo "ok $n - $t with libxml2 $ver"
	else
		echo "not ok $n - $t with libxml2 $ver (see $build/$t.log)"
		fail=1
	fi
done
exit $fail
