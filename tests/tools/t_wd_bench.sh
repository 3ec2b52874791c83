#!/usr/bin/env bash
# t_wd_bench: native tests of the benchmark harness (build/bin/wd-bench,
# tools/bench) and of make bench's orchestrator (tools/bench/bench.sh) on
# the in-process device: its outputs, the strace counting, the compression
# rows, results.json. Prints PASS:/FAIL:/SKIP: lines (tests/run.sh counts
# them; tcheck.sh). T_WD_ONLY=GLOB runs only the checks whose names match.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$here/../../.." && pwd)
WDB=${WDB:-$TOP/build/bin/wd-bench}
TCHECK=${TCHECK:-$here/../libexec/tcheck.sh}
[[ -x $WDB ]] || { echo "FAIL: t_wd_bench.setup (no $WDB)"; exit 1; }
[[ -f $TCHECK ]] || { echo "FAIL: t_wd_bench.setup (no $TCHECK)"; exit 1; }
export WD_DEV_PATH=local
T=$(mktemp -d /tmp/t_wd_bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
TNAME=t_wd_bench
# shellcheck source=tcheck.sh
. "$TCHECK"

seq 1 400000 > text

t_bench() {
	# ~1 s of points; the bound catches a point that never ends (a
	# deadline check that missed its turn once ran for an hour in CI)
	timeout 120 "$WDB" --suite native --quick --time 0.02 --no-trace --csv b.csv \
		--json b.json --plot b.png > b.txt &&
	grep -q 'cache line' b.txt && grep -q 'io_uring NOP' b.txt && grep -q '== targets' b.txt &&
	head -n1 b.csv | grep -q '^group,path,kind,alg,bytes' && (($(wc -l < b.csv) > 20)) &&
	python3 - b.json <<'PY' &&
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["results"]) > 20 and d["targets"]
# a target whose suite did not run is there, not measured, saying why
t = {x["name"]: x for x in d["targets"]}
for n in ("wd zip size / pigz -p 2 -6 size", "cost per request, 256 / 1 active queues"):
    assert t[n]["ratio"] is None and not t[n]["met"] and "not run" in t[n]["detail"], t[n]
assert t["cost per request, 256 / 1 active queues"]["goal"] == [0.9, 1.1]
assert t["cost per request, 256 / 1 active queues"]["better"] == "band"
PY
	[[ $(head -c 8 b.png | od -An -tx1 | tr -d ' ') == 89504e470d0a1a0a ]]
}
check bench_native_outputs t_bench
t_bench_trace() {
	command -v strace >/dev/null || { echo "no strace"; return 77; }
	timeout 300 "$WDB" --suite roundtrip --time 0.05 > bt.txt 2>&1 || return 1
	# the counting itself, on paths whose calls are fixed: eventfd, a write
	# and a read on each side = 4 per round trip; io_uring NOP one at a
	# time = 1 (io_uring_enter). The in-process device's count is a
	# measurement (0 while busy; parks on a loaded machine): a number.
	grep -E 'eventfd.* 4\.000 *$' bt.txt && grep -E 'io_uring NOP .* 1\.000 *$' bt.txt &&
	grep -E 'in-process device .* [0-9]+\.[0-9]{3} *$' bt.txt
}
check bench_syscalls_traced t_bench_trace
# the compression rows set WD_LOCAL_ENGINES for their wd zip (an invalid
# value here would fail every one of them otherwise)
t_bench_comp_rows() {
	WD_LOCAL_ENGINES=abc timeout 300 "$WDB" --suite comp --quick --no-trace --corpus text > bc.txt &&
	grep -Eq '^  wd zip -6, in-process device \(1 engine\) +[0-9.]+ MiB/s +[0-9]+ bytes \([0-9.]+ of input\)$' bc.txt &&
	grep -Eq '^  wd zip -6, 2 in-process devices \(2 engines\) +[0-9.]+ MiB/s +[0-9]+ bytes \([0-9.]+ of input\)$' bc.txt &&
	grep -Eq '^  wd zip -6, in-process device \(2 engines\) +[0-9.]+ MiB/s +[0-9]+ bytes \([0-9.]+ of input\)$' bc.txt &&
	grep -q 'wd zip (in-process, 2 engines) / pigz -p 2 -6' bc.txt &&
	[[ $(grep -c '^  wd zip -6.* bytes' bc.txt) == 3 ]] &&
	[[ $(grep '^  wd zip -6' bc.txt | awk '{print $(NF-4)}' | sort -u | wc -l) == 1 ]] &&
	# the streams beside their references: digest, unzip, and their targets
	grep -Eq '^  sha256sum +[0-9.]+ MiB/s$' bc.txt &&
	grep -Eq '^  wd digest, in-process PASID \(reserved memory\) +[0-9.]+ MiB/s$' bc.txt &&
	grep -Eq '^  (gzip|pigz) -d +[0-9.]+ MiB/s$' bc.txt &&
	grep -Eq '^  wd unzip, in-process PASID \(one stream\) +[0-9.]+ MiB/s$' bc.txt &&
	grep -q 'wd digest sha256, large file (in-process, PASID) / sha256sum' bc.txt &&
	grep -q 'wd unzip (in-process, PASID) / gzip -d' bc.txt &&
	grep -q 'wd unzip (in-process, PASID) / pigz -d' bc.txt &&
	[[ ! -e text.pigz.gz && ! -e text.x3 ]]
}
check bench_comp_engines_rows t_bench_comp_rows
# one engine three ways without a kernel device (as natively, or with
# uacce_mode=0): the ring rows are skips, never the in-process device; the
# run succeeds, with every ratio in the JSON (null where a row is missing)
t_bench_cryptoapi() {
	timeout 120 "$WDB" --suite cryptoapi --quick --time 0.02 --no-trace --json bk.json \
		> bk.txt || return 1
	[[ $(grep -Ec '^  uacce.* SKIP: no uacce device' bk.txt) == 12 ]] &&
	python3 - bk.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["results"] if r["group"] == "cryptoapi"]
assert len(rows) == 20, rows
assert not any(r["ok"] for r in rows if r["kind"] != "afalg"), rows
q = d["ratios"]
assert len(q) == 16, q
for x in q:
    assert {"name", "ratio", "run", "detail"} <= x.keys(), x
    assert x["ratio"] is None or isinstance(x["ratio"], (int, float)), x
assert all(x["ratio"] is None for x in q if "uacce" in x["name"]), q
PY
}
check bench_cryptoapi_no_kernel_device t_bench_cryptoapi
check bench_comp_no_corpus bash -c 'timeout 120 "$0" --suite comp --corpus /nonexistent --no-trace | grep -q "no corpus"' "$WDB"
check bench_bad_option bash -c '"$0" --time -1 2>/dev/null; [[ $? == 1 ]] && { "$0" --bogus 2>/dev/null; [[ $? == 1 ]]; }' "$WDB"
check bench_stdout_write_error bash -c '"$0" --help > /dev/full 2> wf.err; [[ $? == 1 ]] && grep -q "No space left on device" wf.err' "$WDB"

# make bench's orchestrator, natively only and short: results.json is JSON
# with every row of the run and every target of the project (issue 15's by
# their fixed names, the VM's present and not measured), each well-formed:
# {name, ratio, goal, better, met, loaded, run, detail}; the scale rows;
# the load average at each run's start and end. Whether a target is met is
# not checked: that is the machine's business.
t_results_json() {
	BENCH_VM=0 BENCH_OUT=$T/bo BENCH_CORPUS=$T/text \
		BENCH_ARGS='--suite native,comp,scale --quick --time 0.02 --no-trace' \
		timeout 300 "$TOP/tools/bench/bench.sh" > bo.txt 2>&1 || { cat bo.txt; return 1; }
	python3 -m json.tool "$T/bo/results.json" > /dev/null &&
	grep -q '^== load: 1-minute load average' "$T/bo/native.txt" &&
	grep -q '^   run native: load average' bo.txt &&
	python3 - "$T/bo/results.json" "$T/bo/native.csv" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
rows = sum(1 for _ in open(sys.argv[2])) - 1
assert [r["run"] for r in d["runs"]] == ["native"], d["runs"]
for r in d["runs"]:
    for k in ("load_avg_start", "load_avg_end", "others_running"):
        assert r[k] is None or isinstance(r[k], (int, float)), (k, r)
assert len(d["results"]) == rows > 20, (len(d["results"]), rows)
assert all(r["run"] == "native" and "ops_per_s" in r and "cpu_ns_per_req" in r
           for r in d["results"])
assert len(d["compression"]) == 13, d["compression"]
assert d["ratios"] == [], d["ratios"]
# the scale rows: 1, 16, 64, 256 queues, each measured (ns per request) or saying why not
sc = [r for r in d["results"] if r["group"] == "scale"]
assert [r["queues"] for r in sc] == [1, 16, 64, 256], sc
for r in sc:
    assert (r["ok"] and r["ns_per_req"] > 0 and r["ops_per_s"] > 0) or (
        not r["ok"] and r["ns_per_req"] is None and r["note"]), r
want = {
    ("in-process round trip / cache-line round trip (p50)", "native", 1.2, "lower"),
    ("in-process batched null requests / io_uring NOP (batch 32)", "native", 3, "higher"),
    ("kernel sha256 64 B / AF_ALG (VM)", "vm", 5, "higher"),
    ("kernel submitter CPU per request / AF_ALG, sha256 4 KiB (VM)", "vm", 0.1, "lower"),
    ("kernel submitter CPU per request / AF_ALG, sha256 64 KiB (VM)", "vm", 0.1, "lower"),
    ("system calls per request while the engine has work (worst point)", "native", 0, "lower"),
    ("system calls per request while the engine has work (worst point)", "vm", 0, "lower"),
    ("wd zip (in-process, 2 engines) / pigz -p 2 -6 throughput", "native", 1.5, "higher"),
    ("wd zip size / pigz -p 2 -6 size", "native", 1.0, "lower"),
    ("cost per request, 256 / 1 active queues", "native", (0.9, 1.1), "band"),
    ("cost per request, 256 / 1 active queues", "vm", (0.9, 1.1), "band"),
}
t = d["targets"]
got = {(x["name"], x["run"], tuple(x["goal"]) if isinstance(x["goal"], list) else x["goal"],
        x["better"]) for x in t}
assert want <= got, want - got
assert len(t) == len(got) == 16, t
def met(x):
    v, g = x["ratio"], x["goal"]
    if v is None:
        return False
    if x["better"] == "band":
        return g[0] <= v <= g[1]
    return v >= g if x["better"] == "higher" else v <= g
for x in t:
    assert {"name", "ratio", "goal", "better", "met", "loaded", "run", "detail"} <= x.keys(), x
    assert isinstance(x["met"], bool) and isinstance(x["loaded"], bool), x
    assert x["ratio"] is None or (isinstance(x["ratio"], (int, float)) and math.isfinite(x["ratio"])), x
    assert x["met"] == met(x), x
    assert x["detail"], x
    if x["run"] == "vm":
        assert x["ratio"] is None and "BENCH_VM=0" in x["detail"], x
    if x["ratio"] is None:
        assert x["detail"].startswith("not measured"), x
PY
}
check bench_results_json t_results_json

exit $((fails > 0))
