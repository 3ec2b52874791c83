#!/bin/sh
# The fuzzers' bounded runs in the VM (busybox sh), fixed seed: run by the
# in-VM suite (tests/vm/suite.sh) with build/vm at /work, or by hand:
#   tools/vm/wd-vm --add build/vm -- sh ./suite-fuzz.sh
# Long runs: `make fuzz-ring`, `make fuzz-sys` (FZ_SECONDS, FZ_SEED).
# Prints the programs' PASS:/FAIL: lines; exits 0.
BIN=${BIN:-/work/bin}
[ -d "$BIN" ] || BIN=/opt/wd/bin
export FZ_SEED=${FZ_SEED:-1}
export FZ_BATCHES=${FZ_BATCHES:-60}
export FZ_OPS=${FZ_OPS:-5000}
export FZ_WORKERS=${FZ_WORKERS:-4}
export FZ_SECONDS=${FZ_SECONDS:-0}

for p in fz_ring fz_sys; do
	if [ ! -x "$BIN/$p" ]; then
		echo "FAIL: $p: no $BIN/$p"
		continue
	fi
	echo "# running $p (seed $FZ_SEED)"
	"$BIN/$p"
	rc=$?
	[ $rc -gt 1 ] && echo "FAIL: $p.runner: exit status $rc"
done
exit 0
