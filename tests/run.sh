#!/usr/bin/env bash
# The test command of `make check`: the native test programs, then the in-VM
# suite in one VM. Counts the "PASS: name" / "FAIL: name" lines of every
# suite, lists the failures and ends with "N passed, N failed" alone on the
# last line. Exits non-zero on any failure, a guest kernel warning, or when
# no test ran at all.
#
# Native tests: every executable in build/native/bin/. VM suite: build/vm
# (static programs in bin/, suite.sh) is added to the guest as /work and
# `sh ./suite.sh` runs there. Logs go to build/test-logs/. The VMs run one
# after the other in a lane of their own, beside the native tests (no test
# depends on the machine being otherwise idle); each VM's log is shown once
# it is counted, after the native tests. WD_CHECK_SERIAL=1: one lane.
#
# tests/run.sh --debug-kernel (make check-debug): only the VM suites, on the
# debug kernel (scripts/build-debug-kernel.sh; KASAN, lockdep, UBSAN,
# kmemleak checked after the modules are unloaded). Without the option the
# same debug VMs run at the end only when asked (WD_DEBUG_VM=1) and the debug
# kernel is already built on this machine (`make debug-kernel`, ~22 minutes,
# once): their running time under TCG is not measured yet, and CI's budget
# is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

debug=0
[[ ${1:-} == --debug-kernel ]] && debug=1

logs=build/test-logs
rm -rf "$logs"
mkdir -p "$logs"
passed=0
fails=()

# Add the PASS/FAIL lines of a suite's log to the totals; nfail = its FAILs.
count() {
	local n
	n=$(grep -c '^PASS: ' "$1" || :)
	passed=$((passed + n))
	nfail=$(grep -c '^FAIL: ' "$1" || :)
	mapfile -t -O "${#fails[@]}" fails < <(grep '^FAIL: ' "$1" || :)
}

# A failure the suite itself could not report (crash, timeout, kernel log).
fail() {
	echo "FAIL: $1"
	fails+=("FAIL: $1")
}

native_tests() {
	local t name rc
	for t in build/native/bin/*; do
		[[ -f $t && -x $t ]] || continue
		name=${t##*/}
		rc=0
		# A bound per program: a hang is a failure with a name, not CI's
		# timeout.
		timeout -k 10 "${WD_NATIVE_TIMEOUT:-900}" "$t" </dev/null 2>&1 |
			tee "$logs/native-$name.log" || rc=$?
		count "$logs/native-$name.log"
		if ((rc == 124 || rc == 137)); then
			fail "native: $name finished within ${WD_NATIVE_TIMEOUT:-900} s"
		elif ((rc != 0 && nfail == 0)); then
			fail "native: $name exit status $rc"
		elif ((rc == 0)) && ! grep -q '^\(PASS\|FAIL\|SKIP\): ' "$logs/native-$name.log"; then
			passed=$((passed + 1)) # a plain program passes by its exit status
		fi
	done
}

# Run one VM suite: vm_run NAME WD-VM-ARGS... Its output goes to
# $logs/NAME.log, wd-vm's exit status to $logs/NAME.rc; vm_count counts it.
vm_run() {
	local name=$1 rc=0
	shift
	tools/vm/wd-vm --keep-log "$logs/$name-kernel.log" "$@" \
		>"$logs/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$logs/$name.rc"
}

# Show and count a VM suite vm_run ran (NAME prefixes the failures only the
# harness can see).
vm_count() {
	local name=$1 rc
	cat "$logs/$name.log"
	rc=$(cat "$logs/$name.rc")
	count "$logs/$name.log"
	# wd-vm: 124 timeout, 125 kernel warning/crash/module load or unload
	# failure, else the suite's own exit status.
	case $rc in
	0) ;;
	124) fail "$name: suite finished within the timeout" ;;
	125) fail "$name: kernel log clean" ;;
	*) ((nfail)) || fail "$name: suite exit status $rc" ;;
	esac
}

vm() {
	vm_run "$@"
	vm_count "$1"
}

# The debug kernel's VMs: everything the VM suites hold, fuzzers' bounded
# runs and the stress tests first (they leave the modules loaded; suite.sh
# unloads them at its end), then the memory-pressure test. wd-vm reads the
# whole console log, KASAN, lockdep, UBSAN and kmemleak reports included;
# suite.sh's kernel.log_clean checks the same ring buffer from inside.
debug_vms() {
	vm vm-debug --debug-kernel --timeout "${WD_VM_TIMEOUT_DEBUG:-3600}" --add build/vm -- \
		sh -c 'sh ./suite-fuzz.sh; sh ./suite-stress.sh; sh ./suite.sh'
	vm vm-debug-smallmem --debug-kernel --allow-oom --mem 512M --timeout 1200 -- st_mem
}

# `make all` builds every suite script: a missing one is a failure.
built() {
	local s
	for s; do
		[[ -f build/vm/$s ]] || { fail "vm: build/vm/$s built (run 'make all')"; return 1; }
	done
}

# The VM lane: the suites in order (vm_run only: counted below).
vm_lane() {
	vm_run vm --timeout "${WD_VM_TIMEOUT:-1200}" --add build/vm -- sh ./suite.sh
	# The fuzzers' bounded runs (fixed seed), then the fault, load and
	# isolation tests, in a VM of their own; the memory-pressure test in
	# a small one (only the base image: /work's copy would not fit in
	# 320 MiB).
	vm_run vm-fuzz --timeout 1200 --add build/vm -- sh -c 'sh ./suite-fuzz.sh; sh ./suite-stress.sh'
	vm_run vm-smallmem --allow-oom --mem 320M --timeout 600 -- st_mem
	# A second, short VM with two NUMA nodes: discovery must pick the
	# device on the caller's node (libwd's discovery tests; the rest ran
	# above).
	vm_run vm-numa --numa --timeout 300 --add build/vm -- \
		sh ./suite-lib.sh discover_numa discover_most_available
}

if ((debug)); then
	debug_vms
elif built suite.sh suite-fuzz.sh suite-stress.sh suite-lib.sh; then
	if [[ ${WD_CHECK_SERIAL:-0} != 0 ]]; then
		vm_lane
		native_tests
	else
		vm_lane &
		lane=$!
		native_tests
		wait "$lane"
	fi
	for name in vm vm-fuzz vm-smallmem vm-numa; do
		vm_count "$name"
	done
else
	native_tests
fi

if ((!debug)) && [[ ${WD_DEBUG_VM:-0} != 0 ]]; then
	if scripts/build-debug-kernel.sh --dir >/dev/null 2>&1; then
		if make -s debug-modules >"$logs/debug-modules.log" 2>&1; then
			debug_vms
		else
			fail "vm-debug: modules built against the debug kernel (see $logs/debug-modules.log)"
		fi
	else
		echo "SKIP: vm-debug: the debug kernel is not built on this machine; 'make debug-kernel' (~22 min, once) and the next 'make check' runs the VM suites on it"
	fi
fi

((passed + ${#fails[@]})) || fail "tests ran (none found)"

if ((${#fails[@]})); then
	echo
	echo "Failures:"
	printf '%s\n' "${fails[@]}"
fi
echo "$passed passed, ${#fails[@]} failed"
((${#fails[@]} == 0))
