#!/bin/sh
# Fault, load and isolation tests in the VM (busybox sh), bounded: run with
# build/vm at /work, by tests/run.sh or by hand:
#   tools/vm/wd-vm --add build/vm -- sh ./suite-stress.sh [PROGRAM...]
# Long runs: `make stress` (ST_SECONDS, ST_ROUNDS). Prints the programs'
# PASS:/FAIL: lines; exits 0. Leaves the modules loaded.
BIN=${BIN:-/work/bin}
[ -d "$BIN" ] || BIN=/opt/wd/bin
export ST_SECONDS=${ST_SECONDS:-8}
export ST_ROUNDS=${ST_ROUNDS:-3}
PROGS=${*:-"st_isolation st_fork st_load"}

for p in $PROGS; do
	if [ ! -x "$BIN/$p" ]; then
		echo "FAIL: $p: no $BIN/$p"
		continue
	fi
	echo "# running $p"
	"$BIN/$p"
	rc=$?
	[ $rc -gt 1 ] && echo "FAIL: $p.runner: exit status $rc"
done
exit 0
