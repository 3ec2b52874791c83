#!/usr/bin/env bash
# Build (once per machine) a small x86_64 debug kernel from Debian's
# linux-source-6.1 for `tools/vm/wd-vm --debug-kernel`: a minimal config
# (serial console, initramfs, modules, ACPI/NUMA for --numa, virtio, what
# uacce and wd_soft need) plus KASAN, lockdep (PROVE_LOCKING), kmemleak,
# DEBUG_ATOMIC_SLEEP, DEBUG_LIST, UBSAN and friends.
#
# The result lives OUTSIDE the checkout, in
#   ${WD_DEBUG_KERNEL_CACHE:-/var/cache/warpdrive}/debug-kernel-HASH/
# (HASH: the config fragment below, the recipe version, the source package
# version and the compiler), so every clone on the machine shares it and
# a change of any of them builds a new one. It holds the
# built tree (linux/, usable with `make -C linux M=...` for our modules),
# vmlinux (booted through its PVH entry), bzImage, the config, a modules
# root (mods/, for depmod/modprobe in the guest image), build.log and
# READY (the kernel release; written last). A lock serialises builders.
#
#   scripts/build-debug-kernel.sh             build unless cached; print the dir
#   scripts/build-debug-kernel.sh --dir       print the dir (exit 1 if not built)
#   scripts/build-debug-kernel.sh --config    print the config fragment
#
# The build runs under nice with make -j${WD_DEBUG_KERNEL_JOBS:-2}.
set -euo pipefail


# The config fragment, merged over `make tinyconfig`. Options that do not
# exist in 6.1 are listed for the record and reported as such after the
# build: REFCOUNT_FULL was removed in 5.5, refcount_t always saturates and
# warns now.
fragment() {
	cat <<'EOF'
# --- base: a 64-bit SMP guest under QEMU (TCG or KVM)
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_LOCALVERSION="-wddebug"
# CONFIG_LOCALVERSION_AUTO is not set
CONFIG_BASE_FULL=y
# CONFIG_CC_OPTIMIZE_FOR_SIZE is not set
CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y
CONFIG_SLUB=y
CONFIG_SLUB_DEBUG=y
CONFIG_PREEMPT=y
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y
CONFIG_HPET_TIMER=y
CONFIG_CPU_SUP_INTEL=y
CONFIG_CPU_SUP_AMD=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_KVM_GUEST=y
CONFIG_PVH=y
CONFIG_PCI=y
CONFIG_ACPI=y
CONFIG_NUMA=y
CONFIG_X86_64_ACPI_NUMA=y
CONFIG_ACPI_NUMA=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_BUG=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_IKCONFIG=y
CONFIG_IKCONFIG_PROC=y
# --- user space: busybox, strace, the test programs
CONFIG_MULTIUSER=y
CONFIG_SYSVIPC=y
CONFIG_POSIX_TIMERS=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_SHMEM=y
CONFIG_AIO=y
CONFIG_IO_URING=y
CONFIG_ADVISE_SYSCALLS=y
CONFIG_MEMBARRIER=y
CONFIG_RSEQ=y
CONFIG_USERFAULTFD=y
CONFIG_FUSE_FS=y
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_FILE_LOCKING=y
CONFIG_INOTIFY_USER=y
CONFIG_FHANDLE=y
CONFIG_CROSS_MEMORY_ATTACH=y
CONFIG_COREDUMP=y
CONFIG_ELF_CORE=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_PROC_PAGE_MONITOR=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_DEVTMPFS=y
CONFIG_DEBUG_FS=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_8250_NR_UARTS=4
CONFIG_SERIAL_8250_RUNTIME_UARTS=4
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_NET=y
CONFIG_UNIX=y
# --- what uacce and wd_soft use, built in
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_CRYPTO=y
CONFIG_CRYPTO_SHA256=y
CONFIG_CRYPTO_CRC32C=y
CONFIG_CRYPTO_CRC32C_INTEL=y
CONFIG_CRYPTO_DEFLATE=y
CONFIG_CRYPTO_USER_API_HASH=y
CONFIG_CRYPTO_USER_API_SKCIPHER=y
# --- the crypto front door (docs/crypto.md): testmgr's randomized
# comparisons against the generic implementations, and tcrypt
CONFIG_CRYPTO_MANAGER=y
# CONFIG_CRYPTO_MANAGER_DISABLE_TESTS is not set
CONFIG_CRYPTO_MANAGER_EXTRA_TESTS=y
CONFIG_CRYPTO_TEST=m
# AF_ALG's algorithm queries (kcapi-dgst), and zswap in front of a zram
# swap device (t_crypto.sh: deflate-wd_soft under reclaim)
CONFIG_CRYPTO_USER=y
CONFIG_BLOCK=y
CONFIG_BLK_DEV=y
CONFIG_SWAP=y
CONFIG_ZPOOL=y
CONFIG_ZBUD=y
CONFIG_ZSMALLOC=y
CONFIG_ZSWAP=y
CONFIG_ZRAM=y
CONFIG_CRYPTO_LZO=y
CONFIG_CRC32=y
CONFIG_LIBCRC32C=y
# --- the debugging this kernel is for
CONFIG_DEBUG_KERNEL=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_KMEMLEAK=y
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=40000
CONFIG_REFCOUNT_FULL=y
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
CONFIG_UBSAN_BOOL=y
CONFIG_UBSAN_ENUM=y
CONFIG_DEBUG_VM=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_HARDENED_USERCOPY=y
CONFIG_FORTIFY_SOURCE=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_FAULT_INJECTION=y
CONFIG_FAILSLAB=y
CONFIG_FAIL_PAGE_ALLOC=y
CONFIG_FAULT_INJECTION_DEBUG_FS=y
CONFIG_DEBUG_INFO_NONE=y
EOF
}

# Bump when the build steps change in a way that changes the result.
recipe=1
srcpkg=linux-source-6.1
tarball=/usr/src/$srcpkg.tar.xz
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null || :)

recipe_id() {
	echo "recipe $recipe $srcver $(gcc --version | head -n 1)"
}

cachedir() {
	local base=${WD_DEBUG_KERNEL_CACHE:-/var/cache/warpdrive} sum
	sum=$( { fragment; echo "recipe $recipe $srcver"; gcc --version | head -n 1; } |
		sha256sum | cut -c1-16)
	echo "$base/debug-kernel-$sum"
}

case ${1:-} in
--config) fragment; exit 0 ;;
--dir)
	d=$(cachedir)
	[[ -f $d/READY ]] || { echo "build-debug-kernel: not built ($d)" >&2; exit 1; }
	echo "$d"
	exit 0
	;;
'') ;;
*) echo "usage: $0 [--dir|--config]" >&2; exit 2 ;;
esac

[[ -n $srcver && -r $tarball ]] || { echo "build-debug-kernel: $tarball missing (apt-get install $srcpkg)" >&2; exit 1; }
dir=$(cachedir)
mkdir -p "${dir%/*}"
exec 9>"$dir.lock"
if ! flock -n 9; then
	echo "build-debug-kernel: another build of $dir is running; waiting" >&2
	flock 9
fi
if [[ -f $dir/READY ]]; then
	echo "$dir"
	exit 0
fi

jobs=${WD_DEBUG_KERNEL_JOBS:-2}
# A finished build of the same source and compiler whose fragment is a
# subset of ours seeds this one: adding options then costs minutes, not
# the hour of a build from scratch.
seed=
for d in "${dir%/*}"/debug-kernel-*/; do
	d=${d%/}
	[[ $d != "$dir" && -f $d/READY && -d $d/linux && -f $d/fragment.config ]] || continue
	[[ $(cat "$d/recipe" 2>/dev/null) == "$(recipe_id)" ]] || continue
	if ! grep -vxF -f <(fragment) "$d/fragment.config" | grep -q .; then
		seed=$d
	fi
done
t0=$(date +%s)
echo "build-debug-kernel: building $srcpkg $srcver into $dir (nice, -j$jobs; log: $dir/build.log)" >&2
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
{
	if [[ -n $seed ]]; then
		# kbuild rebuilds only what the changed options touch
		echo "== seed: copy of $seed"
		cp -a "$seed/linux" "$dir/linux"
		cd "$dir/linux"
		fragment >"$dir/fragment.config"
		echo "== seed's config + fragment"
	else
		echo "== extract $tarball"
		nice tar -xf "$tarball" -C "$dir"
		mv "$dir/$srcpkg" "$dir/linux"
		cd "$dir/linux"
		fragment >"$dir/fragment.config"
		echo "== tinyconfig + fragment"
		nice make ARCH=x86_64 tinyconfig
	fi
	scripts/kconfig/merge_config.sh -m .config "$dir/fragment.config"
	nice make ARCH=x86_64 olddefconfig
	echo "== build"
	nice make ARCH=x86_64 -j"$jobs" vmlinux bzImage modules
	nice make ARCH=x86_64 INSTALL_MOD_PATH="$dir/mods" modules_install
} >"$log" 2>&1 || {
	echo "build-debug-kernel: build failed; tail of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}
cd "$dir/linux"
cp vmlinux arch/x86/boot/bzImage System.map .config "$dir/"
rel=$(cat include/config/kernel.release)
mkdir -p "$dir/mods/lib/modules/$rel"
depmod -b "$dir/mods" "$rel"

# What the fragment asked for and did not get (unknown in 6.1, or a
# dependency missing): for the record, in the log and on stderr.
missing=$(fragment | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' | while read -r o; do
	grep -qx "$o=y" .config || echo "$o"
done)
t1=$(date +%s)
{
	echo "== built $rel in $((t1 - t0)) s"
	[[ -z $missing ]] || echo "== not set (absent from 6.1 or unmet dependencies): $(echo "$missing" | tr '\n' ' ')"
} | tee -a "$log" >&2
echo "$((t1 - t0))" >"$dir/build-seconds"
recipe_id >"$dir/recipe"
echo "$rel" >"$dir/READY"
echo "$dir"
