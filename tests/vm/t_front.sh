#!/bin/sh
# shellcheck shell=dash # busybox ash
# t_front.sh: the user-space front doors (docs/openssl.md, docs/zlib.md) on
# the kernel's device in the VM, with Debian's own programs: openssl dgst
# with the provider "wd" against busybox's sha256sum, and pigz with the
# zlib-compatible library preloaded against busybox's gzip. The counters
# each front door appends at exit (WD_OSSL_STATS, WD_ZLIB_STATS) must show
# the device did the work. (Python's suites need a Python the guest has not
# got: they run natively, tests/front.)
# busybox sh; run by suite.sh with uacce and wd_soft loaded, or alone:
#   tools/vm/wd-vm --add build/vm -- sh ./t_front.sh
BIN=${BIN:-/work/bin}
[ -d "$BIN" ] || BIN=/opt/wd/bin
PATH=$BIN:$PATH
FRONT=$BIN/front
T=/tmp/t_front.$$
mkdir -p "$T" || exit 1
fails=0

pass() { echo "PASS: front.$1"; }
fail() {
	echo "FAIL: front.$1: $(echo "$2" | tr '\n' ' ' | cut -c 1-600)"
	fails=$((fails + 1))
}
check() { if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi; }
# stat FILE KEY: KEY=N summed over the lines of FILE (0 if none)
stat() {
	tr ' ' '\n' <"$1" 2>/dev/null | sed -n "s/^$2=//p" |
		awk '{ s += $1 } END { print s + 0 }'
}

# ---- the provider: openssl dgst -provider wd against sha256sum ----
why=
if [ ! -x "$BIN/openssl" ] || [ ! -f "$BIN/ossl-modules/wd.so" ]; then
	why="no openssl or $BIN/ossl-modules/wd.so in the image"
else
	: >"$T/ossl.stats"
	for n in 0 1 64 65 4095 1048579 16777221; do
		head -c $n /dev/urandom >"$T/f" || why="$why; head -c $n"
		want=$(sha256sum <"$T/f" | cut -d' ' -f1)
		got=$(WD_OSSL_STATS=$T/ossl.stats openssl dgst -sha256 \
			-provider-path "$BIN/ossl-modules" -provider wd \
			-provider default -propquery provider=wd -r "$T/f" 2>"$T/err" | cut -d' ' -f1)
		[ "$got" = "$want" ] ||
			why="$why; $n bytes: '$got' != sha256sum's $want ($(cat "$T/err"))"
	done
	[ "$(stat "$T/ossl.stats" offloaded_bytes)" -gt 0 ] ||
		why="$why; no bytes offloaded: $(cat "$T/ossl.stats")"
fi
check openssl_dgst "$why"

# ---- the zlib library: pigz preloaded against busybox gzip ----
why=
if [ ! -x "$BIN/pigz" ] || [ ! -f "$FRONT/lib/libwd_zlib.so.1" ]; then
	why="no pigz or $FRONT/lib/libwd_zlib.so.1 in the image"
else
	: >"$T/z.stats"
	# a few MiB that compress: text-like lines and a random part
	i=0
	while [ $i -lt 20000 ]; do
		echo "line $i of the front door test, $((i * 7919 % 1000003))"
		i=$((i + 1))
	done >"$T/in"
	head -c 1048576 /dev/urandom >>"$T/in"
	for opt in "-1 -p 1" "-6 -p 2" "-9 -p 2"; do
		# shellcheck disable=SC2086 # opt is a list of options
		LD_PRELOAD=$FRONT/lib/libwd_zlib.so.1 WD_ZLIB_STATS=$T/z.stats \
			pigz $opt -c "$T/in" >"$T/in.gz" 2>"$T/err" ||
			why="$why; pigz $opt: $(cat "$T/err")"
		gzip -dc "$T/in.gz" >"$T/out" 2>"$T/err" && cmp -s "$T/in" "$T/out" ||
			why="$why; gzip -d of pigz $opt's output differs ($(cat "$T/err"))"
	done
	gzip -c "$T/in" >"$T/ref.gz"
	LD_PRELOAD=$FRONT/lib/libwd_zlib.so.1 WD_ZLIB_STATS=$T/z.stats \
		pigz -dc "$T/ref.gz" >"$T/out" 2>"$T/err" && cmp -s "$T/in" "$T/out" ||
		why="$why; pigz -d of gzip's output differs ($(cat "$T/err"))"
	[ "$(stat "$T/z.stats" deflate_dev)" -gt 0 ] ||
		why="$why; no deflate stream on the device: $(cat "$T/z.stats")"
	[ "$(stat "$T/z.stats" inflate_dev)" -gt 0 ] ||
		why="$why; no inflate stream on the device: $(cat "$T/z.stats")"
fi
check pigz "$why"

rm -rf "$T"
[ $fails = 0 ]
