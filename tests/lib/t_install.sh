#!/usr/bin/env bash
# t_libwd_install: libwd as a user gets it. `make install` with PREFIX and
# DESTDIR into a scratch directory, then examples/ built against that copy
# with `pkg-config --cflags --libs libwd` only, then the example run on the
# in-process device and its output checked with gzip. PASS:/FAIL: lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
prefix=/opt/libwd
pass() { echo "PASS: t_libwd_install.$1"; }
fail() { echo "FAIL: t_libwd_install.$1: $2"; failed=1; }
failed=0

if make -s -C "$top/lib" lib >"$tmp/build.log" 2>&1 &&
   make -s -C "$top/lib" install PREFIX=$prefix DESTDIR="$root" >"$tmp/install.log" 2>&1; then
	pass make_install
else
	fail make_install "$(tail -5 "$tmp/build.log" "$tmp/install.log" | tr '\n' ' ')"
	exit 1
fi
missing=
for f in lib/libwd.so lib/libwd.so.1 lib/libwd.a include/wd.h include/wd_ring.h include/wd/wd_soft.h lib/pkgconfig/libwd.pc share/man/man3/libwd.3; do
	[ -e "$root$prefix/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass installed_files; else fail installed_files "missing:$missing"; fi
if grep -qx "prefix=$prefix" "$root$prefix/lib/pkgconfig/libwd.pc"; then
	pass pc_prefix
else
	fail pc_prefix "libwd.pc does not say prefix=$prefix"
fi
# only the versioned API is exported
syms=$(nm -D --defined-only "$root$prefix/lib/libwd.so" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
if [[ $syms == *"wd_request_queue@@WD_1.0"* && $syms == *"wd_send_many@@WD_1.1"* &&
      $syms == *"wd_recv_many@@WD_1.1"* && $syms == *"wd_local_engines@@WD_1.1"* &&
      $syms == *"wd_stream_open@@WD_1.2"* && $syms == *"wd_stream_send@@WD_1.2"* &&
      $syms == *"wd_stream_reset@@WD_1.2"* && $syms == *"wd_stream_close@@WD_1.2"* &&
      $syms == *"wd_sha256_state_init@@WD_1.3"* && $syms == *"wd_digest_state_send@@WD_1.3"* &&
      $syms == *"wd_strerror@@WD_1.3"* && $syms == *"__wd_ring_recv@@WD_1.4"* &&
      $syms == *"__wd_ring_kick@@WD_1.4"* ]] &&
   ! [[ $syms =~ (wdl_|wds_|wd_soft_) ]]; then
	pass exported_symbols
else
	fail exported_symbols "$syms"
fi

# the example, from the installed copy only: a copy of examples/ elsewhere
cp -r "$top/examples" "$tmp/ex"
export PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
if make -s -C "$tmp/ex" >"$tmp/ex.log" 2>&1; then
	pass example_builds
else
	fail example_builds "$(tail -5 "$tmp/ex.log" | tr '\n' ' ')"
	exit 1
fi
head -c 300000 /dev/urandom | od -An -tx1 >"$tmp/in"
if LD_LIBRARY_PATH=$root$prefix/lib WD_DEV_PATH=local "$tmp/ex/wd-example" \
	"$tmp/in" "$tmp/in.gz" >"$tmp/run.log" 2>&1 &&
   gzip -dc "$tmp/in.gz" | cmp -s - "$tmp/in"; then
	pass example_runs
else
	fail example_runs "$(tail -5 "$tmp/run.log" | tr '\n' ' ')"
fi
if grep -q 'local:' "$tmp/run.log"; then
	pass example_reports_local
else
	fail example_reports_local "the example did not say it ran on the in-process device"
fi
# the fast path's example: <wd_ring.h> and <wd/wd_soft.h> from the
# installed copy, the file copied through the queue unchanged
if LD_LIBRARY_PATH=$root$prefix/lib WD_DEV_PATH=local "$tmp/ex/wd-ring-example" \
	"$tmp/in" "$tmp/in.copy" >"$tmp/ring.log" 2>&1 &&
   cmp -s "$tmp/in" "$tmp/in.copy"; then
	pass ring_example_runs
else
	fail ring_example_runs "$(tail -5 "$tmp/ring.log" | tr '\n' ' ')"
fi
# the static archive links too
if make -s -C "$tmp/ex" clean >/dev/null && make -s -C "$tmp/ex" STATIC=1 >"$tmp/st.log" 2>&1 &&
   WD_DEV_PATH=local "$tmp/ex/wd-example" "$tmp/in" "$tmp/in2.gz" >/dev/null 2>&1 &&
   gzip -dc "$tmp/in2.gz" | cmp -s - "$tmp/in"; then
	pass example_static
else
	fail example_static "$(tail -5 "$tmp/st.log" | tr '\n' ' ')"
fi
exit $failed
