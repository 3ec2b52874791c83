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
	python3 -c 'import json; d = json.load(open("b.json")); assert len(d["results"]) > 20 and d["targets"]' &&
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
# with every row of the run and the targets as {name, ratio, goal, met}
t_results_json() {
	BENCH_VM=0 BENCH_OUT=$T/bo BENCH_CORPUS=$T/text \
		BENCH_ARGS='--suite native,comp --quick --time 0.02 --no-trace' \
		timeout 300 "$TOP/tools/bench/bench.sh" > bo.txt 2>&1 || { cat bo.txt; return 1; }
	python3 -m json.tool "$T/bo/results.json" > /dev/null &&
	python3 - "$T/bo/results.json" "$T/bo/native.csv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = sum(1 for _ in open(sys.argv[2])) - 1
assert [r["run"] for r in d["runs"]] == ["native"], d["runs"]
assert len(d["results"]) == rows > 20, (len(d["results"]), rows)
assert all(r["run"] == "native" and "ops_per_s" in r for r in d["results"])
assert len(d["compression"]) == 13, d["compression"]
assert d["ratios"] == [], d["ratios"]
t = d["targets"]
assert len(t) == 10, t
for x in t:
    assert {"name", "ratio", "goal", "met"} <= x.keys(), x
    assert isinstance(x["met"], bool) and isinstance(x["goal"], (int, float)), x
    assert x["ratio"] is None or isinstance(x["ratio"], (int, float)), x
    assert x["met"] == (x["ratio"] is not None and (x["ratio"] >= x["goal"]
        if x["better"] == "higher" else x["ratio"] <= x["goal"])), x
PY
}
check bench_results_json t_results_json

exit $((fails > 0))
