#!/usr/bin/env bash
# make bench: wd bench natively and in the VM, each result beside its
# comparisons, and the report in build/bench/ (docs/performance.md):
#   native.txt/.csv/.json/.png   in-process device, io_uring, eventfd,
#                                cache line, CPU, compression
#   vm.txt, vm.csv               uacce against AF_ALG and a syscall per request
#   corpus                       the compression input (64 MiB)
# BENCH_ARGS adds options to both runs (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/bench
rm -rf "$out/vm/kmods"
mkdir -p "$out/vm"
wd=build/bin/wd
[[ -x $wd && -x build/vm/bin/wd ]] || { echo "bench.sh: run 'make' first" >&2; exit 1; }

# The corpus: the first 64 MiB of the Linux 6.1 source tarball (text, as a
# real tree is), else what /usr/include holds.
if [[ ! -s $out/corpus ]]; then
	src=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1.tar.*' 2>/dev/null | head -n 1)
	if [[ -n $src ]]; then
		echo "bench.sh: corpus from $src" >&2
		{ xz -dc "$src" 2>/dev/null || :; } | head -c $((64 << 20)) > "$out/corpus.tmp"
	else
		echo "bench.sh: corpus from /usr/include" >&2
		find /usr/include -type f -print0 | sort -z | xargs -0 cat | head -c $((64 << 20)) > "$out/corpus.tmp"
	fi
	mv "$out/corpus.tmp" "$out/corpus"
fi

echo "== native: $wd bench ${BENCH_ARGS:-}"
# shellcheck disable=SC2086
"$wd" bench --corpus "$out/corpus" --csv "$out/native.csv" --json "$out/native.json" \
	--plot "$out/native.png" ${BENCH_ARGS:-} | tee "$out/native.txt"

# The VM: wd-vm puts the kernel's own crypto modules (af_alg,
# algif_hash, crc32c_generic) in the guest.
cat > "$out/vm/vm-bench.sh" <<SH
#!/bin/sh
modprobe algif_hash 2>/dev/null || echo "algif_hash not loadable: no AF_ALG comparison"
# crc32c for AF_ALG (wd_soft's instance 0 already chose its crc32c at load)
modprobe crc32c_generic 2>/dev/null
echo "crypto drivers: \$(awk '/^driver/ { print \$3 }' /proc/crypto | grep -E 'sha256|crc32c' | tr '\n' ' ')"
wd bench --suite kernel --csv /tmp/vm.csv ${BENCH_ARGS:-} || exit 1
echo "--- csv"
cat /tmp/vm.csv
echo "--- end"
SH
echo
echo "== VM (QEMU/TCG): wd bench --suite kernel ${BENCH_ARGS:-}"
tools/vm/wd-vm --timeout "${WD_BENCH_VM_TIMEOUT:-2400}" --add "$out/vm" -- sh ./vm-bench.sh \
	> "$out/vm.log" 2>&1 || { tail -n 30 "$out/vm.log"; exit 1; }
sed -n '/^\(crypto drivers\|wd bench:\)/,/^--- csv/p' "$out/vm.log" | sed '$d' | tee "$out/vm.txt"
sed -n '/^--- csv/,/^--- end/p' "$out/vm.log" | sed '1d;$d' > "$out/vm.csv"
echo
echo "report: $out/{native,vm}.txt, .csv, native.json, native.png; see docs/performance.md"
