#!/bin/sh
# libwd's tests in the guest (busybox sh): uacce and wd_soft loaded, as
# tools/vm/wd-vm leaves them. Prints one PASS:/FAIL:/SKIP: line per test and
# exits 0. Run by the VM suite, or by hand:
#   tools/vm/wd-vm --add build/vm -- sh ./suite-lib.sh
#   tools/vm/wd-vm --numa --add build/vm -- sh ./suite-lib.sh discover_numa
# Arguments: test names (default: all of them).
BIN=${BIN:-/work/bin}
[ -x "$BIN/t_libwd" ] || BIN=/opt/wd/bin
if [ ! -x "$BIN/t_libwd" ]; then
	echo "FAIL: t_libwd: no t_libwd in /work/bin or /opt/wd/bin"
	exit 0
fi
if [ ! -d /sys/module/uacce ] || [ ! -d /sys/module/wd_soft ]; then
	echo "FAIL: t_libwd.modules_loaded: uacce or wd_soft not loaded"
	exit 0
fi
echo "# running t_libwd"
"$BIN/t_libwd" "$@"
rc=$?
# 0: all passed, 1: some failed (already reported); else it crashed
if [ $rc -gt 1 ]; then
	echo "FAIL: t_libwd.runner: exit status $rc"
fi
exit 0
