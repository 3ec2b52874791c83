#!/bin/sh
# In-VM test suite of WarpDrive (busybox sh). Run by tests/run.sh in the
# guest as `sh /work/suite.sh`, with build/vm at /work: programs in /work/bin.
# Prints one PASS:/FAIL:/SKIP: line per test and exits 0; leaves uacce and
# wd_soft unloaded (reported as tests).
BIN=${BIN:-/work/bin}
[ -d "$BIN" ] || BIN=/opt/wd/bin
KO=${KO:-/lib/modules/wd}
CYCLES=${CYCLES:-5}

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
loaded() { [ -d /sys/module/$1 ]; }

# test programs, in order
# (then the wd tool's suite, t_crypto.sh, then t_module: it unloads and reloads)
PROGS="t_sysfs t_instances t_ioctl t_mmap t_owner t_poll t_ring t_ring_queue t_ring_v3 t_rules t_rules_addr t_zc t_control t_hostile t_kill t_remove t_isolate t_fault t_fault_left t_trust t_trust_dev t_algs t_algs_comp t_sha_state t_stream_ring t_fair t_share t_stress t_syscalls t_libwd"

if ! loaded uacce || ! loaded wd_soft; then
	fail suite.modules_loaded "uacce or wd_soft not loaded at start"
	loaded uacce || insmod $KO/uacce.ko
	loaded wd_soft || insmod $KO/wd_soft.ko
else
	pass suite.modules_loaded
fi

# after NAME: both modules must still be loaded (else a failure, and they
# are loaded again for what follows)
left_loaded() {
	if ! loaded uacce || ! loaded wd_soft; then
		fail "$1.modules_left_loaded" "a module is missing after $1"
		loaded uacce || insmod $KO/uacce.ko
		loaded wd_soft || insmod $KO/wd_soft.ko
	fi
}

# run_prog NAME: one test program, then make sure it left both modules
run_prog() {
	p=$1
	if [ ! -x "$BIN/$p" ]; then
		fail "$p" "no $BIN/$p"
		return
	fi
	echo "# running $p"
	"$BIN/$p"
	rc=$?
	# 0: all passed, 1: some failed (already reported); else it crashed
	if [ $rc -gt 1 ]; then
		fail "$p.runner" "exit status $rc"
	fi
	# each program must leave both modules loaded for the next
	left_loaded "$p"
}

for p in $PROGS; do
	run_prog "$p"
done
# the OpenSSL provider "wd" on the kernel device (tests/front/openssl.mk:
# t_ossl, dynamic, with its module in ossl-modules/), when front/ is built
if [ -x "$BIN/t_ossl" ]; then
	run_prog t_ossl
fi

# the wd tool on the kernel device (tests/tools/suite-tools.sh), before
# t_module reloads the modules
here=$(dirname "$0")
if [ -f "$here/suite-tools.sh" ]; then
	echo "# running suite-tools.sh"
	PATH=$BIN:$PATH sh "$here/suite-tools.sh" || :
	left_loaded suite-tools
else
	fail suite-tools "no $here/suite-tools.sh"
fi
# the crypto API front door (t_crypto.sh: it reloads wd_soft with other
# parameters and leaves the defaults), before t_module
if [ -f "$here/t_crypto.sh" ]; then
	echo "# running t_crypto.sh"
	BIN=$BIN KO=$KO sh "$here/t_crypto.sh" || :
	left_loaded t_crypto
else
	fail t_crypto "no $here/t_crypto.sh"
fi
# the user-space front doors on the kernel's device (t_front.sh)
if [ -f "$here/t_front.sh" ]; then
	echo "# running t_front.sh"
	BIN=$BIN sh "$here/t_front.sh" || :
	left_loaded t_front
else
	fail t_front "no $here/t_front.sh"
fi
run_prog t_module

# unload/reload cycles with a queue used in between
i=1
while [ $i -le $CYCLES ]; do
	name=module.cycle_$i
	out=/tmp/cycle.$$
	if ! rmmod wd_soft 2>$out; then
		fail $name "rmmod wd_soft: $(cat $out)"
	elif ! rmmod uacce 2>$out; then
		fail $name "rmmod uacce: $(cat $out)"
	elif loaded uacce || loaded wd_soft; then
		fail $name "still loaded after rmmod"
	elif ! insmod $KO/uacce.ko 2>$out; then
		fail $name "insmod uacce: $(cat $out)"
	elif ! insmod $KO/wd_soft.ko 2>$out; then
		fail $name "insmod wd_soft: $(cat $out)"
	elif ! "$BIN/t_ring" copy_dst_larger nop >$out 2>&1 || \
	     [ "$(grep -c '^PASS:' $out)" != 2 ]; then
		fail $name "open/copy/close after reload: $(grep -v '^#' $out | tr '\n' ' ')"
	else
		pass $name
	fi
	rm -f $out
	loaded uacce || insmod $KO/uacce.ko 2>/dev/null
	loaded wd_soft || insmod $KO/wd_soft.ko 2>/dev/null
	i=$((i + 1))
done

# the kernel log: no oops, BUG, warning or leak report from anything above
if dmesg >/tmp/dmesg.$$ 2>/dev/null; then
	bad=$(grep -E 'BUG:|WARNING:|Oops|general protection|UBSAN|KASAN|kmemleak: [0-9]+ new suspected|refcount_t|list_(add|del) corruption|INFO: task .* blocked' /tmp/dmesg.$$ | head -5 | tr '\n' ' ')
	if [ -n "$bad" ]; then
		fail kernel.log_clean "$bad"
	else
		pass kernel.log_clean
	fi
	rm -f /tmp/dmesg.$$
else
	echo "SKIP: kernel.log_clean: dmesg not available"
fi

# last: both modules unload
if rmmod wd_soft; then pass module.final_rmmod_wd_soft
else fail module.final_rmmod_wd_soft "rmmod wd_soft failed"; fi
if rmmod uacce; then pass module.final_rmmod_uacce
else fail module.final_rmmod_uacce "rmmod uacce failed"; fi
if loaded uacce || loaded wd_soft; then
	fail module.unloaded "still loaded: $(cat /proc/modules | tr '\n' ' ')"
else
	pass module.unloaded
fi
exit 0
