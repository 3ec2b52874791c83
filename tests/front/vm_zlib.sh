#!/usr/bin/env bash
# vm_zlib.sh: the zlib front door on the kernel's device, by hand (not part
# of tests/run.sh: one more VM boot; docs/zlib.md "Validation"). Boots one
# VM (tools/vm/wd-vm, wd_soft loaded) with build/vm-zlib/ as /work: the
# host's pigz, build/front/lib/libwd_zlib.so.1, t_zlib_gzfile and
# t_zlib_gzfile-preload with the shared libraries they need (/work/lib,
# LD_LIBRARY_PATH; the base image stays as it is), and a 3 MiB corpus.
# In the guest, on /dev/uaN (libwd's discovery, or WD_DEV_PATH=/dev/uaN):
# pigz -1/-6/-9 with -p 1 and 2 preloaded, read back by busybox gzip -d;
# pigz -d preloaded reading busybox gzip's output; the stats lines show
# device deflate streams; then both t_zlib_gzfile programs (their gzip is
# busybox's); then bench_zlib on /dev/uaN (VM_ZLIB_BENCH=0: not;
# VM_ZLIB_BENCH_ARGS, default "--runs 3 --ms 50"). PASS:/FAIL: lines; exit
# status non-zero on a failure.
# Needs `make modules front` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=build/vm-zlib
lib=build/front/lib/libwd_zlib.so.1
for f in "$lib" build/native/bin/t_zlib_gzfile build/native/bin/t_zlib_gzfile-preload \
	build/native/libexec/bench_zlib kernel/wd_soft/wd_soft.ko; do
	[[ -e $f ]] || { echo "vm_zlib.sh: no $f (make modules front)" >&2; exit 1; }
done
command -v pigz >/dev/null || { echo "vm_zlib.sh: no pigz" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
cp -L "$lib" "$out/lib/libwd_zlib.so.1"
cp -L "$(command -v pigz)" "$out/bin/pigz"
cp build/native/bin/t_zlib_gzfile build/native/bin/t_zlib_gzfile-preload \
	build/native/libexec/bench_zlib "$out/bin/"
# every library they need, flat in lib/ (found through LD_LIBRARY_PATH)
for b in "$lib" "$out/bin/"*; do
	ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r l; do cp -L "$l" "$out/lib/"; done
{ find /usr/include -type f -print0 | sort -z | xargs -0 cat 2>/dev/null || :; } |
	head -c $((2 << 20)) > "$out/corpus"
head -c $((1 << 20)) /dev/urandom >> "$out/corpus"

cat > "$out/guest.sh" <<'SH'
#!/bin/sh
# in the guest (vm_zlib.sh)
export LD_LIBRARY_PATH=/work/lib PATH=/work/bin:$PATH
L=/work/lib/libwd_zlib.so.1
fails=0
pass() { echo "PASS: vm_zlib.$1"; }
fail() { echo "FAIL: vm_zlib.$1${2:+ ($2)}"; fails=$((fails + 1)); }
dev=$(ls /dev/ua* 2>/dev/null | head -n 1)
[ -n "$dev" ] || { fail device "no /dev/uaN"; exit 1; }
echo "INFO: vm_zlib: devices $(ls /dev/ua* | tr '\n' ' ')"
cd /tmp
for l in 1 6 9; do
	for p in 1 2; do
		if WD_ZLIB_STATS=/tmp/comp.st LD_PRELOAD=$L pigz -$l -p $p -c /work/corpus > c.gz &&
		   gzip -dc c.gz | cmp - /work/corpus; then
			pass "pigz_l${l}_p$p"
		else
			fail "pigz_l${l}_p$p"
		fi
	done
done
gzip -c /work/corpus > g.gz
if WD_ZLIB_STATS=/tmp/decomp.st LD_PRELOAD=$L pigz -dc g.gz | cmp - /work/corpus; then
	pass pigz_d
else
	fail pigz_d
fi
sum() { awk -v k="$2" '{ for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) s += a[2] } } END { print s + 0 }' "$1"; }
echo "INFO: vm_zlib: compression stats: $(sum /tmp/comp.st deflate_dev) device / $(sum /tmp/comp.st deflate_sw) software deflate streams, input bytes $(sum /tmp/comp.st dev_in_bytes) / $(sum /tmp/comp.st sw_in_bytes), fallbacks $(sum /tmp/comp.st fallbacks), errors $(sum /tmp/comp.st errors)"
if [ "$(sum /tmp/comp.st deflate_dev)" -gt 0 ] && [ "$(sum /tmp/comp.st fallbacks)" = 0 ]; then
	pass pigz_device_streams
else
	fail pigz_device_streams "$(cat /tmp/comp.st)"
fi
WD_DEV_PATH=$dev t_zlib_gzfile || fails=$((fails + 1))
WD_DEV_PATH=$dev T_ZLIB_LIB=$L t_zlib_gzfile-preload || fails=$((fails + 1))
# the threshold's measurement on the kernel's device (emulated: TCG)
if [ "${VM_ZLIB_BENCH:-1}" != 0 ]; then
	WD_DEV_PATH=$dev bench_zlib $VM_ZLIB_BENCH_ARGS || fail bench_zlib
fi
exit $((fails > 0))
SH
exec tools/vm/wd-vm --timeout "${WD_VM_TIMEOUT:-900}" --add "$top/$out" -- \
	env VM_ZLIB_BENCH="${VM_ZLIB_BENCH:-1}" VM_ZLIB_BENCH_ARGS="${VM_ZLIB_BENCH_ARGS:---runs 3 --ms 50}" \
	sh ./guest.sh
