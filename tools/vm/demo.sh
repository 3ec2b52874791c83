#!/bin/sh
# `make run`: WarpDrive end to end, inside the VM (busybox sh, in /work),
# after wd-vm loaded uacce and wd_soft (instance 0: /dev/ua0, SVA mode).
# Every step runs the wd tool (tools/wd, docs/wd.md) on the kernel device
# and checks its result with an independent program.
set -e
file=/opt/wd/bin/wd	# a real file: the tool's own static binary

echo "== kernel $(uname -r); modules: $(lsmod | awk 'NR > 1 { printf "%s ", $1 }')"

echo
echo "== wd list: the accelerators"
wd list

echo
echo "== wd zip: $file ($(wc -c < "$file") bytes) through /dev/ua0, checked by gzip -d"
cp "$file" /tmp/wd.bin
start=$(date +%s)
wd -v zip -k --device /dev/ua0 /tmp/wd.bin 2>&1 | sed 's/^/  /'
gzip -dc /tmp/wd.bin.gz | cmp - "$file"
echo "  gzip -dc /tmp/wd.bin.gz: identical to the original ($(wc -c < /tmp/wd.bin.gz) bytes compressed)"
rm /tmp/wd.bin
wd unzip /tmp/wd.bin.gz
cmp /tmp/wd.bin "$file"
echo "  wd unzip /tmp/wd.bin.gz: identical too"

echo
echo "== wd digest --alg sha256, checked by sha256sum -c"
cd /lib/modules/wd
wd digest --alg sha256 *.ko /tmp/wd.bin | tee /tmp/sums | sed 's/^/  /'
sha256sum -c /tmp/sums | sed 's/^/  sha256sum -c: /'
echo "  crc32c:  $(wd digest --alg crc32c /tmp/wd.bin)"
cd /work

echo
echo "== wd-bench (short): uacce against AF_ALG and a syscall per request"
echo "   (QEMU/TCG emulation: the ratios show the shape, not the hardware's speed)"
# AF_ALG: modprobe, or the modules `make bench` puts beside this script
modprobe algif_hash 2>/dev/null ||
	{ [ -f kmods/af_alg.ko ] && insmod kmods/af_alg.ko && insmod kmods/algif_hash.ko; } ||
	echo "  (algif_hash not loadable here: the AF_ALG comparison says so and is skipped)"
wd-bench --suite kernel --quick --time 0.1
