#!/usr/bin/env bash
# make bench: wd-bench (tools/bench) natively and in the VM, each result
# beside its comparisons, and the report in build/bench/ (docs/performance.md):
#   results.json                 both runs for scripts: every row, the
#                                compression rows, "ratios" (figures: each
#                                {"name", "ratio", "run", "detail"}) and
#                                "targets", each
#                                {"name", "ratio", "goal", "better", "met", ...}
#   native.txt/.csv/.json/.png   in-process device, io_uring, eventfd,
#                                cache line, CPU, compression
#   vm.txt, vm.csv, vm.json      uacce against AF_ALG and a syscall per request;
#                                one engine three ways (AF_ALG to wd_soft's
#                                crypto API driver, to the CPU's, the ring)
#   corpus                       the compression input (64 MiB)
#   openssl.txt, openssl.csv     the OpenSSL provider "wd" beside the default
#                                provider, and its threshold's crossover
#                                (tools/bench/openssl.sh)
#   zlib.txt, zlib.csv           libwd_zlib's one-shots forced to the device
#                                and to software, their ratio per size and
#                                the crossover (docs/zlib.md's threshold;
#                                build/native/libexec/bench_zlib, built with
#                                the front doors' tests)
# BENCH_ARGS adds options to both runs (e.g. --quick; bench_zlib takes only
# that one). BENCH_VM=0 skips the VM run, BENCH_ZLIB=0 the zlib table;
# BENCH_OUT (default build/bench) and BENCH_CORPUS (default
# $BENCH_OUT/corpus, made here when missing) move the files (the tests use
# them for a short native run).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${BENCH_OUT:-build/bench}
corpus=${BENCH_CORPUS:-$out/corpus}
vm=${BENCH_VM:-1}
rm -rf "$out/vm/kmods"
mkdir -p "$out/vm"
rm -f "$out/results.json" "$out/native.json" "$out/vm.json" "$out/zlib.txt" "$out/zlib.csv"
bench=build/bin/wd-bench
[[ -x $bench && -x build/bin/wd && -x build/vm/bin/wd-bench ]] ||
	{ echo "bench.sh: run 'make' first" >&2; exit 1; }

# The corpus: the first 64 MiB of the Linux 6.1 source tarball (text, as a
# real tree is), else what /usr/include holds.
if [[ ! -s $corpus ]]; then
	src=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1.tar.*' 2>/dev/null | head -n 1)
	if [[ -n $src ]]; then
		echo "bench.sh: corpus from $src" >&2
		{ xz -dc "$src" 2>/dev/null || :; } | head -c $((64 << 20)) > "$corpus.tmp"
	else
		echo "bench.sh: corpus from /usr/include" >&2
		find /usr/include -type f -print0 | sort -z | xargs -0 cat | head -c $((64 << 20)) > "$corpus.tmp"
	fi
	mv "$corpus.tmp" "$corpus"
fi

echo "== native: $bench ${BENCH_ARGS:-}"
# shellcheck disable=SC2086
"$bench" --run native --corpus "$corpus" --csv "$out/native.csv" --json "$out/native.json" \
	--plot "$out/native.png" ${BENCH_ARGS:-} | tee "$out/native.txt"

# The OpenSSL provider beside the default one, and its threshold's
# crossover (openssl.txt, openssl.csv; docs/openssl.md).
echo
echo "== native: the OpenSSL provider wd (tools/bench/openssl.sh)"
tools/bench/openssl.sh "$out" || echo "bench.sh: tools/bench/openssl.sh failed" >&2

# libwd_zlib's threshold: in-process device against software, one-shots
if [[ ${BENCH_ZLIB:-1} != 0 && -x build/native/libexec/bench_zlib ]]; then
	echo
	echo "== native: libwd_zlib one-shots, device against software (docs/zlib.md)"
	zargs=(--out "$out")
	[[ " ${BENCH_ARGS:-} " != *" --quick "* ]] || zargs+=(--quick)
	build/native/libexec/bench_zlib "${zargs[@]}" || echo "bench.sh: bench_zlib failed" >&2
fi

if ((vm)); then
	# The VM: wd-vm puts the kernel's own crypto modules (af_alg,
	# algif_hash, crc32c_generic) in the guest.
	cat > "$out/vm/vm-bench.sh" <<SH
#!/bin/sh
modprobe algif_hash 2>/dev/null || echo "algif_hash not loadable: no AF_ALG comparison"
# crc32c for AF_ALG (wd_soft's instance 0 already chose its crc32c at load)
modprobe crc32c_generic 2>/dev/null
echo "crypto drivers: \$(awk '/^driver/ { print \$3 }' /proc/crypto | grep -E 'sha256|crc32c' | tr '\n' ' ')"
wd-bench --run vm --suite kernel --csv /tmp/vm.csv --json /tmp/vm.json ${BENCH_ARGS:-} || exit 1
echo "--- csv"
cat /tmp/vm.csv
echo "--- json"
cat /tmp/vm.json
echo "--- end"
SH
	echo
	echo "== VM (QEMU/TCG): wd-bench --suite kernel ${BENCH_ARGS:-}"
	tools/vm/wd-vm --timeout "${WD_BENCH_VM_TIMEOUT:-2400}" --add "$out/vm" -- sh ./vm-bench.sh \
		> "$out/vm.log" 2>&1 || { tail -n 30 "$out/vm.log"; exit 1; }
	sed -n '/^\(crypto drivers\|wd-bench:\)/,/^--- csv/p' "$out/vm.log" | sed '$d' | tee "$out/vm.txt"
	sed -n '/^--- csv/,/^--- json/p' "$out/vm.log" | sed '1d;$d' > "$out/vm.csv"
	sed -n '/^--- json/,/^--- end/p' "$out/vm.log" | sed '1d;$d' > "$out/vm.json"
fi

# One file for scripts: both runs' rows and targets, each row naming its run.
runs=("$out/native.json")
((vm)) && runs+=("$out/vm.json")
python3 - "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "${runs[@]}" \
	> "$out/results.json.tmp" <<'PY'
import datetime, json, sys
res = {"commit": sys.argv[1],
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "runs": [], "results": [], "compression": [], "ratios": [], "targets": []}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
    res["runs"].append({k: v for k, v in run.items() if not isinstance(v, list)})
    for key in ("results", "compression", "ratios", "targets"):
        res[key] += run.get(key, [])
json.dump(res, sys.stdout, indent=2)
print()
PY
mv "$out/results.json.tmp" "$out/results.json"
echo
echo "== targets in $out/results.json: $(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["targets"]
print(sum(x["met"] for x in t), "of", len(t), "met")' "$out/results.json")"
echo "report: $out/results.json; $out/{native,vm}.txt, .csv, .json, native.png; see docs/performance.md"
[[ ! -f $out/zlib.txt ]] || echo "libwd_zlib's threshold: $out/zlib.txt, zlib.csv; see docs/zlib.md"
