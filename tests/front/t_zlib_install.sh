#!/usr/bin/env bash
# t_zlib_install: the zlib front door as a user gets it (as t_libwd_install
# does for libwd): `make -C front install PREFIX=/usr DESTDIR=<scratch>`,
# the files it must put there (libwd_zlib.so, .so.1 and the real file,
# wd_zlib.h, wd_zlib.pc with prefix=/usr), the exports (zlib's API with
# libz.so.1's symbol versions and wd_zlib_get_stats, nothing of libwd), no
# run path into the build tree; then a small program built with
# `pkg-config --cflags --libs wd_zlib` alone (PKG_CONFIG_SYSROOT_DIR and
# PKG_CONFIG_PATH into DESTDIR), run with the installed library
# (LD_LIBRARY_PATH) on the in-process device: its gzip output is what
# gzip -d reads back, its counters show the device stream, and the
# library it ran is the installed one; last, `make uninstall` removes
# what install put there. PASS:/FAIL:/SKIP: lines.
set -uo pipefail
TNAME=t_zlib_install
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_zlib_env.sh
. "$here/../libexec/t_zlib_env.sh" || exit 1
root=$T/root
prefix=/usr
lib=$root$prefix/lib

if make -s -C "$top/front" install PREFIX=$prefix DESTDIR="$root" >"$T/install.log" 2>&1; then
	pass make_install
else
	fail make_install "$(tail -5 "$T/install.log" | tr '\n' ' ')"
	exit 1
fi
missing=
for f in lib/libwd_zlib.so lib/libwd_zlib.so.1 include/wd_zlib.h lib/pkgconfig/wd_zlib.pc \
	share/man/man7/wd_zlib.7; do
	[[ -e $root$prefix/$f ]] || missing="$missing $f"
done
# the links lead to one real file in the same directory
real=$(readlink -f "$lib/libwd_zlib.so.1")
[[ -f $real && ${real%/*} == "$(readlink -f "$lib")" && ! -L $real ]] ||
	missing="$missing the-real-file($real)"
[[ $(readlink -f "$lib/libwd_zlib.so") == "$real" ]] || missing="$missing libwd_zlib.so->$real"
if [[ -z $missing ]]; then pass installed_files; else fail installed_files "missing:$missing"; fi
if grep -qx "prefix=$prefix" "$lib/pkgconfig/wd_zlib.pc"; then
	pass pc_prefix
else
	fail pc_prefix "wd_zlib.pc does not say prefix=$prefix"
fi
if [[ $(readelf -d "$real" 2>&1) == *"SONAME"*"[libwd_zlib.so.1]"* ]]; then
	pass soname
else
	fail soname "$(readelf -d "$real" | grep -i soname)"
fi
# no run path at all (the build tree's would load build/ copies)
if readelf -d "$real" | grep -q -E 'RPATH|RUNPATH'; then
	fail no_runpath "$(readelf -d "$real" | grep -E 'RPATH|RUNPATH')"
else
	pass no_runpath
fi
# the exports: every function of the system's libz.so.1 with its version
# (programs linked with -lz reference e.g. inflateBack@ZLIB_1.2.0), ours,
# and nothing of libwd, lib/soft or the renamed zlib, nor the tests' hook
# (wd_zlib_test_device: only in the tests' build)
t_exports() {
	local libz have want miss extra
	libz=$(readlink -f /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null || readlink -f /usr/lib/x86_64-linux-gnu/libz.so.1)
	[[ -f $libz ]] || { echo "no system libz.so.1"; return 77; }
	want=$(objdump -T "$libz" | awk '$2 == "g" && $3 == "DF" { v = $(NF-1); if (v !~ /^ZLIB_/) v = "Base"; print $NF, v }' | sort -u)
	have=$(objdump -T "$real" | awk '$2 == "g" && $3 == "DF" { v = $(NF-1); if (v !~ /^(ZLIB_|WD_ZLIB_)/) v = "Base"; print $NF, v }' | sort -u)
	miss=$(comm -23 <(echo "$want") <(echo "$have"))
	extra=$(comm -13 <(echo "$want") <(echo "$have") | grep -v -e '^wd_zlib_get_stats WD_ZLIB_1.0$')
	[[ -z $miss ]] || { echo "not exported as libz.so.1 does:" $miss; return 1; }
	[[ -z $extra ]] || { echo "exported beyond zlib's API:" $extra; return 1; }
	echo "$have" | grep -q '^wd_zlib_get_stats ' || { echo "no wd_zlib_get_stats"; return 1; }
}
check exports t_exports

# ---- a program, built from the installed copy only ----
mkdir -p "$T/ex"
cat > "$T/ex/zgz.c" <<'C'
/* gzip-compresses stdin to stdout with deflate (windowBits 31); prints the
 * device counters on stderr */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <wd_zlib.h>

int main(void)
{
	static unsigned char in[1 << 16], out[1 << 16];
	struct wd_zlib_stats st;
	z_stream s;
	int flush, r;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 1;
	do {
		s.avail_in = fread(in, 1, sizeof(in), stdin);
		s.next_in = in;
		flush = feof(stdin) ? Z_FINISH : Z_NO_FLUSH;
		do {
			s.next_out = out;
			s.avail_out = sizeof(out);
			r = deflate(&s, flush);
			if (r == Z_STREAM_ERROR)
				return 1;
			fwrite(out, 1, sizeof(out) - s.avail_out, stdout);
		} while (s.avail_out == 0);
	} while (flush != Z_FINISH);
	if (r != Z_STREAM_END || deflateEnd(&s) != Z_OK)
		return 1;
	wd_zlib_get_stats(&st);
	fprintf(stderr, "deflate_dev=%llu deflate_sw=%llu zlib=%s\n",
		(unsigned long long)st.deflate_dev, (unsigned long long)st.deflate_sw, zlibVersion());
	return 0;
}
C
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
t_builds() {
	local flags
	flags=$(pkg-config --cflags --libs wd_zlib) || return 1
	echo "pkg-config: $flags"
	[[ $flags == *"-L$lib"* && $flags == *-lwd_zlib* ]] || { echo "not the DESTDIR copy: $flags"; return 1; }
	# shellcheck disable=SC2086
	${CC:-gcc} -std=c11 -Wall -Wextra -Werror -o "$T/ex/zgz" "$T/ex/zgz.c" $flags
}
check pkgconfig_builds t_builds
[[ -x $T/ex/zgz ]] || exit 1
head -c 1000000 /dev/urandom | od -An -tx1 > "$T/in"
t_runs() {
	LD_LIBRARY_PATH=$lib WD_DEV_PATH=local "$T/ex/zgz" < "$T/in" > "$T/in.gz" 2> "$T/run.err" ||
		{ cat "$T/run.err"; return 1; }
	cat "$T/run.err"
	gzip -dc "$T/in.gz" | cmp - "$T/in" || { echo "gzip -d does not read it back"; return 1; }
	grep -q 'deflate_dev=1 ' "$T/run.err" || { echo "the stream did not go to the device"; return 1; }
}
check runs_on_device t_runs
# it ran the installed library, not another copy
t_which() {
	local got
	got=$(LD_LIBRARY_PATH=$lib ldd "$T/ex/zgz" | awk '$1 == "libwd_zlib.so.1" { print $3 }')
	echo "libwd_zlib.so.1 => $got"
	[[ $(readlink -f "$got") == "$real" ]]
}
check runs_installed_copy t_which

if make -s -C "$top/front" uninstall PREFIX=$prefix DESTDIR="$root" >"$T/uninstall.log" 2>&1; then
	left=$(find "$root" \( -name 'libwd_zlib*' -o -name 'wd_zlib*' \) -printf '%P ')
	if [[ -z $left ]]; then pass uninstall; else fail uninstall "left: $left"; fi
else
	fail uninstall "$(tail -5 "$T/uninstall.log" | tr '\n' ' ')"
fi
exit $((fails > 0))
