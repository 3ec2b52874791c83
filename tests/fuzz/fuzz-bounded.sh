#!/usr/bin/env bash
# The libFuzzer targets' bounded runs (fixed seed, fixed number of runs,
# over the generated seed corpus), as a program of build/native/bin that
# tests/run.sh runs with the native tests. One PASS:/FAIL: line per
# target; a crash's reproducer is kept in build/fuzz/crashes/.
# FZ_RUNS overrides the inputs per target (defaults: fz_core 50000, about
# 20 s: its stream programs open contexts and run zlib both ways; fz_kcore
# 20000, about 30 s: the kernel's zlib is instrumented too; fz_local 20000,
# about 30 s: a thread hand-off per request; fz_libwd 100000, a few seconds).
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
fz=$top/build/fuzz
rc=0
mkdir -p "$fz/crashes"
for t in fz_core fz_kcore fz_local fz_libwd; do
	[[ -x $fz/$t ]] || { echo "FAIL: fuzz.$t: $fz/$t not built (make fuzz-tests)"; rc=1; continue; }
	# seeds: the generated corpus (fz_core's format) and the committed
	# reproducers of the bugs found (tests/fuzz/regress/)
	case $t in
	fz_core) runs=${FZ_RUNS:-50000} seeds=("$fz/seeds/core" "$top/tests/fuzz/regress/core") ;;
	fz_kcore) runs=${FZ_RUNS:-20000} seeds=("$fz/seeds/core" "$top/tests/fuzz/regress/core") ;;
	fz_local) runs=${FZ_RUNS:-20000} seeds=("$fz/seeds/core" "$top/tests/fuzz/regress/core") ;;
	*) runs=${FZ_RUNS:-100000} seeds=("$top/tests/fuzz/regress/${t#fz_}") ;;
	esac
	for d in "${!seeds[@]}"; do [[ -d ${seeds[d]} ]] || unset "seeds[d]"; done
	work=$(mktemp -d)
	t0=$(date +%s.%N)
	# new inputs go to the scratch dir (first), the seeds stay as they are
	if "$fz/$t" -seed=1 -runs="$runs" -max_len=65536 -timeout=60 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$fz/crashes/$t-" \
		"$work" "${seeds[@]}" >"$work.log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
		cov=$(grep -o 'cov: [0-9]*' "$work.log" | tail -n 1)
		printf '# fuzz.%s: %s inputs run (seed 1, from %s seeds), %s, %.1f s\n' "$t" \
			"$execs" "$(find "${seeds[@]}" -type f | wc -l)" "$cov" "$(echo "$(date +%s.%N) - $t0" | bc)"
		echo "PASS: fuzz.$t"
	else
		grep -E 'fz_core:|fz_libwd:|ERROR:|SUMMARY|Test unit written' "$work.log" | head -n 20
		echo "FAIL: fuzz.$t: see the reproducer in $fz/crashes/"
		rc=1
	fi
	rm -rf "$work" "$work.log"
done
exit $rc
