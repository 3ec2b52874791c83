#!/usr/bin/env bash
# make bench: wd-bench (tools/bench) natively and in the VM, each result
# beside its comparisons, and the report in build/bench/ (docs/performance.md):
#   results.json                 both runs for scripts: every row, the
#                                compression rows, "ratios" (figures: each
#                                {"name", "ratio", "run", "detail"}) and
#                                "targets" (every target of the project,
#                                measured or saying why not), each
#                                {"name", "ratio", "goal", "better", "met",
#                                 "loaded", "run", "detail", ...}; each run's
#                                load average at its start and end
#   native.txt/.csv/.json/.png   in-process device, io_uring, eventfd,
#                                cache line, CPU, compression
#   native.txt also: the scale rows (threads on the in-process device)
#   vm.txt, vm.csv, vm.json      uacce against AF_ALG and a syscall per request;
#                                the submitter's CPU time against AF_ALG's;
#                                the scale rows (processes on /dev/uaN);
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
wd-bench --run vm --suite kernel,scale --csv /tmp/vm.csv --json /tmp/vm.json ${BENCH_ARGS:-} || exit 1
echo "--- csv"
cat /tmp/vm.csv
echo "--- json"
cat /tmp/vm.json
echo "--- end"
SH
	echo
	echo "== VM (QEMU/TCG): wd-bench --suite kernel,scale ${BENCH_ARGS:-}"
	# The guest's load says nothing of the host's: the host's is sampled
	# during the VM run (other processes' runnable tasks, QEMU's own
	# threads not counted) and decides whether the VM's targets were
	# measured on a loaded machine.
	read -r host_la0 _ < /proc/loadavg
	descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
	# (never a failing status: set -e; the process may be gone)
	running_threads() {
		local n
		n=$(cat /proc/"$1"/task/*/status 2>/dev/null |
			awk '/^State:[[:space:]]*R/ { n++ } END { print n + 0 }') || n=0
		echo "${n:-0}"
	}
	tools/vm/wd-vm --timeout "${WD_BENCH_VM_TIMEOUT:-2400}" --add "$out/vm" -- sh ./vm-bench.sh \
		> "$out/vm.log" 2>&1 &
	vmpid=$!
	: > "$out/vm-hostload"
	while kill -0 "$vmpid" 2>/dev/null; do
		run=$(awk '/^procs_running/ { print $2 }' /proc/stat)
		mine=0
		for q in $(descendants "$vmpid"); do
			mine=$((mine + $(running_threads "$q")))
		done
		# this loop's own awk/grep: one task
		echo $((run > mine + 1 ? run - mine - 1 : 0)) >> "$out/vm-hostload"
		sleep 2
	done
	wait "$vmpid" || { tail -n 30 "$out/vm.log"; exit 1; }
	read -r host_la1 _ < /proc/loadavg
	host_others=$(awk '{ s += $1; n++ } END { printf "%.2f", n ? s / n : 0 }' "$out/vm-hostload")
	sed -n '/^\(crypto drivers\|wd-bench:\)/,/^--- csv/p' "$out/vm.log" | sed '$d' | tee "$out/vm.txt"
	echo "== host load during the VM run: 1-minute load average $host_la0 at the start," \
		"$host_la1 at the end; other processes' runnable tasks (QEMU's not counted):" \
		"$host_others on average" | tee -a "$out/vm.txt"
	sed -n '/^--- csv/,/^--- json/p' "$out/vm.log" | sed '1d;$d' > "$out/vm.csv"
	sed -n '/^--- json/,/^--- end/p' "$out/vm.log" | sed '1d;$d' > "$out/vm.json"
fi

# One file for scripts: both runs' rows and targets, each row naming its run.
runs=("$out/native.json")
((vm)) && runs+=("$out/vm.json")
# Every target of the project appears: one whose run did not happen
# (BENCH_VM=0) is there, not measured, saying so. A VM target's "loaded"
# is the host's (the guest cannot see it).
WD_HOST_LOAD="${host_la0:-} ${host_la1:-} ${host_others:-}" \
python3 - "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$vm" "${runs[@]}" \
	> "$out/results.json.tmp" <<'PY'
import datetime, json, os, sys
LOADED_ABOVE = 1.5      # as wd-bench's (tools/bench/bench.h)
WANT = [  # (name, run, goal, better): docs/performance.md
    ("in-process round trip / cache-line round trip (p50)", "native", 1.2, "lower"),
    ("in-process batched null requests / io_uring NOP (batch 32)", "native", 3, "higher"),
    ("kernel sha256 64 B / AF_ALG (VM)", "vm", 5, "higher"),
    ("kernel submitter CPU per request / AF_ALG, sha256 4 KiB (VM)", "vm", 0.1, "lower"),
    ("kernel submitter CPU per request / AF_ALG, sha256 64 KiB (VM)", "vm", 0.1, "lower"),
    ("system calls per request while the engine has work (worst point)", "native", 0, "lower"),
    ("system calls per request while the engine has work (worst point)", "vm", 0, "lower"),
    ("wd zip (in-process, 2 engines) / pigz -p 2 -6 throughput", "native", 1.5, "higher"),
    ("wd zip size / pigz -p 2 -6 size", "native", 1.0, "lower"),
    ("cost per request, 256 / 1 active queues", "native", [0.9, 1.1], "band"),
    ("cost per request, 256 / 1 active queues", "vm", [0.9, 1.1], "band"),
]
res = {"commit": sys.argv[1],
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "runs": [], "results": [], "compression": [], "ratios": [], "targets": []}
vm_ran = sys.argv[2] != "0"
host = os.environ.get("WD_HOST_LOAD", "").split()
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
    info = {k: v for k, v in run.items() if not isinstance(v, list)}
    if info.get("run") == "vm" and len(host) == 3:
        # the guest's figures stay, named as such; the host's decide
        for k in ("load_avg_start", "load_avg_end", "others_running"):
            info["guest_" + k] = info.pop(k, None)
        info["load_avg_start"], info["load_avg_end"], info["others_running"] = map(float, host)
        for t in run.get("targets", []):
            t["guest_others_running"] = t.pop("others_running", None)
            t["others_running"] = float(host[2])
            t["loaded"] = float(host[2]) > LOADED_ABOVE
    res["runs"].append(info)
    for key in ("results", "compression", "ratios", "targets"):
        res[key] += run.get(key, [])
for name, run, goal, better in WANT:
    if any(t["name"] == name and t["run"] == run for t in res["targets"]):
        continue
    why = ("no VM run (BENCH_VM=0)" if run == "vm" and not vm_ran else
           "the %s run did not report it" % run)
    res["targets"].append({"name": name, "ratio": None, "goal": goal, "better": better,
                           "met": False, "loaded": False, "others_running": None,
                           "run": run, "detail": "not measured: " + why})
json.dump(res, sys.stdout, indent=2)
print()
PY
mv "$out/results.json.tmp" "$out/results.json"
echo
python3 - "$out/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"]
print("== targets in %s: %d of %d met (%d of them on a loaded machine)" % (
    sys.argv[1], sum(x["met"] for x in t), len(t), sum(x["met"] and x["loaded"] for x in t)))
for r in d["runs"]:
    print("   run %s: load average %s at the start, %s at the end; others' runnable tasks %s" % (
        r["run"], r.get("load_avg_start"), r.get("load_avg_end"), r.get("others_running")))
for x in t:
    g = x["goal"]
    goal = ("in %g..%g" % tuple(g)) if x["better"] == "band" else (
        (">= " if x["better"] == "higher" else "<= ") + "%g" % g)
    print("  %-6s %-66s %8s  (%s)  %-7s%s %s" % (
        x["run"], x["name"], "n/a" if x["ratio"] is None else "%.3f" % x["ratio"], goal,
        "met" if x["met"] else "UNKNOWN" if x["ratio"] is None else "NOT MET",
        " loaded" if x["loaded"] else "", x["detail"]))
PY
echo "report: $out/results.json; $out/{native,vm}.txt, .csv, .json, native.png; see docs/performance.md"
[[ ! -f $out/zlib.txt ]] || echo "libwd_zlib's threshold: $out/zlib.txt, zlib.csv; see docs/zlib.md"
