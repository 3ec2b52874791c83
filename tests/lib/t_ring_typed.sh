#!/usr/bin/env bash
# t_libwd_typed: <wd_ring.h>'s typed sends take their own request structure
# only: t_ring_typed.c compiled with WRONG=1..8 (another structure, an
# untyped pointer) must fail, with the compiler naming the type mismatch,
# and with WRONG=0 (the right types) must compile, as C11 with the
# project's flags but without -Werror (the refusal is not a warning) and
# as C++. PASS:/FAIL: lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
src=$top/tests/lib/t_ring_typed.c
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS: t_libwd_typed.$1"; }
fail() { echo "FAIL: t_libwd_typed.$1: $2"; }

c_compile() { "$cc" -std=c11 -Wall -Wextra -I"$top/include" -fsyntax-only -DWRONG="$1" "$src" 2>"$tmp/err"; }
cxx_compile() { "$cxx" -x c++ -std=c++11 -Wall -Wextra -I"$top/include" -fsyntax-only -DWRONG="$1" "$src" 2>"$tmp/err"; }

for lang in c cxx; do
	if ${lang}_compile 0 && [ ! -s "$tmp/err" ]; then
		pass "$lang.right_types"
	else
		fail "$lang.right_types" "$(head -3 "$tmp/err" | tr '\n' ' ')"
		continue
	fi
	for w in 1 2 3 4 5 6 7 8; do
		if ${lang}_compile $w; then
			fail "$lang.wrong_$w" "compiled"
		elif grep -qE "_Generic|cannot convert|invalid conversion" "$tmp/err"; then
			pass "$lang.wrong_$w"
		else
			fail "$lang.wrong_$w" "failed for another reason: $(head -3 "$tmp/err" | tr '\n' ' ')"
		fi
	done
done
