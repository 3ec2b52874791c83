#!/usr/bin/env bash
# check-packages.sh (make check-packages): WarpDrive installed as a user
# installs it, without changing the build machine (docs/install.md).
#
#  1. the Debian packages built as README.md says: in a fresh bookworm
#     chroot holding only the packages of README's apt-get line, by a
#     user, with scripts/build-packages.sh (dpkg-buildpackage -us -uc -b,
#     lintian clean); the .deb files copied to build/pkg/;
#  2. a bookworm chroot made by mmdebstrap from Debian's packages (dkms,
#     the headers of the kernel wd-vm boots, adduser, a compiler; cached
#     in /var/cache/warpdrive/), the packages installed in it with apt;
#  3. DKMS builds the modules there for that kernel, which is not the
#     running one (dkms build -k); depmod resolves wd_soft -> uacce;
#  4. libwd-dev: the example built with pkg-config only, and run;
#     libwd-zlib-dev: tests/pkg/zlib-prog.c likewise; openssl-provider-wd:
#     wd.so in `openssl version -m`'s directory;
#  5. users made with adduser: alice in group uacce, bob not;
#  6. the VM boots with the modules DKMS installed (wd-vm --modules), the
#     chroot's wd, libwd.so.1, example, udev (systemd-udevd with the
#     package's rule), modprobe.d file, passwd and group, and the front
#     doors with Debian's pigz and openssl; tests/pkg/guest.sh loads the
#     modules with modprobe and runs wd and the example as alice and bob
#     (busybox su), and as alice pigz with libwd_zlib preloaded, openssl
#     dgst with the provider and zlib-prog, on the device;
#  7. purge: nothing the packages brought is left (a listing of the
#     chroot before and after), the group removed, the modules gone;
#  8. from source, in a fresh chroot: make install, wd and pkg-config at
#     work, make install-dkms for the VM's kernel (twice: an update of the
#     sources rebuilds), then make uninstall and
#     make uninstall-dkms leaving nothing but the group (documented).
# Prints PASS:/FAIL: lines and "N passed, N failed"; exit status 1 on any
# failure. Logs in build/pkg/logs/.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
out=$top/build/pkg
logs=$out/logs
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0
pass() { echo "PASS: pkg.$1"; passed=$((passed + 1)); }
fail() { echo "FAIL: pkg.$1${2:+: $2}"; failed=$((failed + 1)); }
ok() { if [[ $2 == 0 ]]; then pass "$1"; else fail "$1" "${3:-}"; fi; }
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit
}
t0=$(date +%s)

kver=$(scripts/kver.sh) || { fail kernel "no kernel with headers (scripts/deps.sh)"; finish; }
ver=$(sed -n 's/^VERSION := //p' lib/Makefile)

mirrors=("deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main")
cache=/var/cache/warpdrive
command -v mmdebstrap >/dev/null || {
	echo "check-packages: installing mmdebstrap"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends mmdebstrap; } >"$logs/apt-host.log" 2>&1 ||
		{ fail tools_installed "$(tail -3 "$logs/apt-host.log")"; finish; }
}

# A bookworm root of Debian's packages (comma-separated $1), made by
# mmdebstrap once and kept as a tarball in /var/cache/warpdrive/: its path.
tarball_for() {
	local key t
	key=$(echo "$1 ${mirrors[*]}" | sha256sum | cut -c1-12)
	t=$cache/pkg-root-$key.tar
	if [[ ! -f $t ]]; then
		echo "check-packages: making a chroot (mmdebstrap, once: $t)" >&2
		mkdir -p "$cache"
		if ! nice mmdebstrap --variant=apt --include="$1" bookworm "${t%.tar}.tmp.tar" \
			"${mirrors[@]}" >"$logs/mmdebstrap.log" 2>&1; then
			rm -f "${t%.tar}.tmp.tar"
			return 1
		fi
		mv "${t%.tar}.tmp.tar" "$t"
	fi
	echo "$t"
}

# A fresh root from a tarball, /proc and /dev mounted while in use.
mounted=()
umount_all() {
	local m
	for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null; done
	mounted=()
}
trap umount_all EXIT
trap 'exit 130' INT TERM
# Never remove through a mount: a run killed before its clean-up leaves
# /dev bound inside the root, and rm -rf there would empty the host's /dev.
remove_root() { # DIR
	local m
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$1"
}
new_root() { # DIR TARBALL
	umount_all
	remove_root "$1"
	mkdir -p "$1"
	tar -C "$1" -xf "$2" || return 1
	mount -t proc proc "$1/proc" && mounted+=("$1/proc")
	mount --bind /dev "$1/dev" && mounted+=("$1/dev")
	# what the kernel's package leaves on a real machine (the chroot has
	# its headers only): depmod's files, which DKMS then rewrites
	if [[ -d $1/lib/modules/$kver ]]; then chroot "$1" depmod -a "$kver" 2>/dev/null; fi
	return 0
}
# Everything in a root but what changes on its own (logs, caches, dpkg's
# and apt's state, /tmp, mounts, the backups adduser and deluser keep of
# /etc/passwd and the like, DKMS's module signing key: dkms makes it at its
# first build where openssl is installed and keeps it for every DKMS
# module, as a Secure Boot machine has it enrolled).
listing() { # DIR
	(cd "$1" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp \
		-o -path ./run -o -path ./var/cache -o -path ./var/log -o -path ./var/lib/dpkg \
		-o -path ./var/lib/apt -o -path ./var/backups -o -path ./etc/ld.so.cache \
		-o -path './etc/*-' -o -path ./var/lib/dkms/mok.key -o -path ./var/lib/dkms/mok.pub \) -prune \
		-o -printf '%p %u:%g %m\n' | LC_ALL=C sort)
}

# The source tree into DIR, without build outputs (build/, kbuild's objects)
src_to() { # DIR
	tar -C "$top" --exclude=./build --exclude=.git --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude=modules.order \
		--exclude=Module.symvers --exclude='.checkpatch-camelcase.*' -cf - . |
		tar -C "$1" -xf -
}

# ---- 1. build, as README.md says, on a fresh system, as a user ----
# The packages README's apt-get line names (and nothing else but apt):
# a Build-Depends missing from it fails here.
readme_pkgs=$(sed -n 's/^sudo apt-get install \(build-essential .*\)$/\1/p' README.md | head -n 1)
[[ -n $readme_pkgs ]] || { fail readme_build_line "no 'sudo apt-get install build-essential ...' in README.md"; finish; }
bld=$out/build-root
if ! tb=$(tarball_for "${readme_pkgs// /,}") || ! new_root "$bld" "$tb"; then
	fail chroot "$(tail -3 "$logs/mmdebstrap.log" | tr '\n' ' ')"
	finish
fi
chroot "$bld" useradd -m builder
mkdir -p "$bld/home/builder/warpdrive"
src_to "$bld/home/builder/warpdrive"
chroot "$bld" chown -R builder: /home/builder/warpdrive
if chroot "$bld" su - builder -c 'cd warpdrive && scripts/build-packages.sh' >"$logs/build.log" 2>&1; then
	pass packages_build_as_a_user_with_readme_deps_lintian_clean
else
	fail packages_build_as_a_user_with_readme_deps_lintian_clean "$(tail -5 "$logs/build.log" | tr '\n' ' ')"
	finish
fi
rm -f "$out"/*.deb
cp "$bld"/home/builder/warpdrive/build/pkg/*.deb "$bld"/home/builder/warpdrive/build/pkg/lintian.txt "$out/"
umount_all
remove_root "$bld"
debs=()
pkgs=(warpdrive-dkms libwd1 libwd-dev warpdrive-tools libwd-zlib1 libwd-zlib-dev openssl-provider-wd)
for p in "${pkgs[@]}"; do
	debs+=("$(ls "$out/${p}_${ver}"_*.deb)")
done

# ---- 2. the chroot to install in ----
chroot_pkgs="dkms,linux-headers-$kver,adduser,passwd,pkg-config,udev,make,gcc,libc6-dev"
chroot_pkgs+=",libdeflate-dev,libisal-dev,libssl-dev,zlib1g-dev,gzip,kmod,pigz,openssl"
tarball=$(tarball_for "$chroot_pkgs") || { fail chroot "$(tail -3 "$logs/mmdebstrap.log" | tr '\n' ' ')"; finish; }
root=$out/root
new_root "$root" "$tarball" || { fail chroot "cannot unpack $tarball"; finish; }
in_root() { chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"; }
listing "$root" >"$logs/before.txt"

# ---- 2b. install with apt, from the .deb files alone ----
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
in_debs=()
for d in "${debs[@]}"; do in_debs+=("/tmp/debs/${d##*/}"); done
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${in_debs[@]}" \
	>"$logs/install.log" 2>&1; then
	pass apt_install
else
	fail apt_install "$(tail -5 "$logs/install.log" | tr '\n' ' ')"
	finish
fi
in_root getent group uacce >"$logs/group.txt" 2>&1
ok group_uacce_created $? "$(cat "$logs/group.txt")"
[[ -f $root/lib/udev/rules.d/60-uacce.rules && -f $root/etc/modprobe.d/warpdrive.conf ]]
ok udev_rule_and_modprobe_d_installed $?
[[ -f $root/usr/share/man/man1/wd.1.gz && -f $root/usr/share/man/man3/wd_strerror.3.gz &&
	-f $root/usr/share/man/man3/libwd.3.gz && -f $root/usr/share/man/man7/wd_zlib.7.gz &&
	-f $root/usr/share/man/man7/wd_openssl.7.gz ]]
ok man_pages $?

# ---- 3. DKMS, for the VM's kernel (not the running one) ----
running=$(uname -r)
{
	echo "running kernel: $running; target: $kver"
	in_root dkms build "warpdrive/$ver" -k "$kver" --force &&
		in_root dkms install "warpdrive/$ver" -k "$kver" --force &&
		in_root dkms status
} >"$logs/dkms.log" 2>&1
rc=$?
[[ $rc == 0 && $kver != "$running" ]] &&
	grep -q "^warpdrive/$ver, $kver, x86_64: installed" "$logs/dkms.log"
ok dkms_build_for_another_kernel $? "$(tail -5 "$logs/dkms.log" | tr '\n' ' ')"
mods=$root/lib/modules/$kver/updates/dkms
[[ -f $mods/uacce.ko && -f $mods/wd_soft.ko ]]
ok dkms_modules_in_updates $? "$(find "$root/lib/modules/$kver" -name '*.ko' 2>&1 | tr '\n' ' ')"
# depmod ran: the chroot's modules.dep has wd_soft needing uacce
modprobe -d "$root" -S "$kver" --show-depends wd_soft >"$logs/depends.txt" 2>&1
head -n 1 "$logs/depends.txt" | grep -q "^insmod $root/lib/modules/$kver/updates/dkms/uacce.ko" &&
	tail -n 1 "$logs/depends.txt" | grep -q "^insmod $root/lib/modules/$kver/updates/dkms/wd_soft.ko"
ok modprobe_wd_soft_loads_uacce_first $? "$(cat "$logs/depends.txt")"

# ---- 4. the development package: the example with pkg-config only ----
cp -r examples "$root/tmp/ex"
head -c 300000 /dev/urandom | od -An -tx1 >"$root/tmp/in"
{
	in_root pkg-config --modversion libwd &&
		in_root make -C /tmp/ex &&
		in_root env WD_DEV_PATH=local /tmp/ex/wd-example /tmp/in /tmp/in.gz
} >"$logs/example.log" 2>&1
rc=$?
[[ $rc == 0 ]] && gzip -dc "$root/tmp/in.gz" | cmp -s - "$root/tmp/in"
ok libwd_dev_example_builds_and_runs $? "$(tail -3 "$logs/example.log" | tr '\n' ' ')"
in_root env WD_DEV_PATH=local wd digest --alg sha256 /tmp/in >"$logs/wd-local.txt" 2>&1
[[ $(cut -d' ' -f1 "$logs/wd-local.txt") == $(sha256sum <"$root/tmp/in" | cut -d' ' -f1) ]]
ok wd_on_path_in_process_device $? "$(cat "$logs/wd-local.txt")"
# libwd-zlib-dev: a zlib program built with pkg-config only (no -lz), bound
# to libwd_zlib.so.1 and not libz, run on the in-process device
cp tests/pkg/zlib-prog.c "$root/tmp/"
{
	# shellcheck disable=SC2016 # pkg-config runs in the chroot
	in_root sh -c 'cc -O2 -Wall -Wextra -Werror -o /tmp/zlib-prog /tmp/zlib-prog.c $(pkg-config --cflags --libs wd_zlib)' &&
		in_root ldd /tmp/zlib-prog &&
		in_root env WD_DEV_PATH=local /tmp/zlib-prog /tmp/in /tmp/zin.gz
} >"$logs/zlib-prog.log" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q 'libwd_zlib.so.1 => /[a-z/]*/x86_64-linux-gnu/libwd_zlib.so.1 ' "$logs/zlib-prog.log" &&
	! grep -q 'libz.so' "$logs/zlib-prog.log" && grep -q '^ok deflate_dev=1 .*inflate_dev=1 ' "$logs/zlib-prog.log" &&
	gzip -dc "$root/tmp/zin.gz" | cmp -s - "$root/tmp/in"
ok libwd_zlib_dev_program_with_pkg_config_only $? "$(tail -3 "$logs/zlib-prog.log" | tr '\n' ' ')"
# openssl-provider-wd: the module where Debian's openssl looks, and loaded
in_root openssl version -m >"$logs/ossl-m.txt" 2>&1
dir=$(sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p' "$logs/ossl-m.txt")
[[ -n $dir && -f $root$dir/wd.so ]] &&
	in_root openssl list -providers -provider wd >>"$logs/ossl-m.txt" 2>&1 &&
	grep -q '^  wd$' "$logs/ossl-m.txt"
ok openssl_provider_in_openssl_modules_dir $? "$(tr '\n' ' ' <"$logs/ossl-m.txt")"

# ---- 5. users ----
{
	in_root adduser --disabled-password --gecos '' alice &&
		in_root adduser --disabled-password --gecos '' bob &&
		in_root adduser alice uacce
} >"$logs/users.log" 2>&1
ok users_alice_in_uacce_bob_not $? "$(tail -3 "$logs/users.log")"

# ---- 6. the VM, with what was installed ----
g=$out/guest
rm -rf "$g"
mkdir -p "$g/sysroot"
# a file of the root, and for an ELF the libraries it needs, at the same paths
put() {
	local f lib
	for f; do
		mkdir -p "$g/sysroot$(dirname "$f")"
		cp -a "$root$f" "$g/sysroot$f"
		if [[ -L $root$f ]]; then
			lib=$(readlink "$root$f")
			[[ $lib == /* ]] || lib=$(dirname "$f")/$lib
			put "$lib"
		fi
		if file -L "$root$f" | grep -q 'ELF.*dynamic'; then
			in_root ldd "$f" | grep -o '/[^ ]*' | while read -r lib; do
				[[ -e $g/sysroot$lib ]] || put "$lib"
			done
		fi
	done
}
put /usr/bin/wd /usr/lib/x86_64-linux-gnu/libwd.so.1 /bin/udevadm /lib/udev/rules.d/60-uacce.rules \
	/tmp/ex/wd-example /etc/passwd /etc/group /bin/kmod \
	/usr/lib/x86_64-linux-gnu/libwd_zlib.so.1 /usr/bin/pigz /tmp/zlib-prog \
	/usr/bin/openssl /usr/lib/ssl/openssl.cnf /usr/lib/x86_64-linux-gnu/ossl-modules/wd.so
mkdir -p "$g/sysroot/lib/systemd" "$g/sysroot/etc/modprobe.d"
ln -sf /bin/udevadm "$g/sysroot/lib/systemd/systemd-udevd"
# Debian's modprobe (kmod) in place of busybox's (the guest's /sbin is /bin)
ln -sf kmod "$g/sysroot/bin/modprobe"
# boot-time configuration as docs/install.md says: the file's two example
# lines uncommented (two SVA instances, then a PASID and a NOIOMMU one)
sed 's/^#\(options wd_soft .*\)$/\1/' \
	"$root/etc/modprobe.d/warpdrive.conf" >"$g/sysroot/etc/modprobe.d/warpdrive.conf"
[[ $(grep -c '^options wd_soft nr_devs=2 \|^options wd_soft devices="8 mode=pasid queues=8;9 mode=noiommu"$' \
	"$g/sysroot/etc/modprobe.d/warpdrive.conf") == 2 ]] ||
	fail modprobe_d_documented_lines "the example lines to uncomment are not in warpdrive.conf"
modinfo -F srcversion "$mods/uacce.ko" >"$g/uacce.srcversion"
cp tests/pkg/guest.sh "$g/"
tools/vm/wd-vm --no-load --modules "$mods" --add "$g" --timeout 600 -- sh ./guest.sh \
	>"$logs/vm.log" 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP|#)' "$logs/vm.log" || :
passed=$((passed + $(grep -c '^PASS: ' "$logs/vm.log")))
failed=$((failed + $(grep -c '^FAIL: ' "$logs/vm.log")))
ok vm_clean_exit "$rc" "wd-vm exit status $rc: $(tail -5 "$logs/vm.log" | tr '\n' ' ')"

# ---- 7. purge: nothing left ----
{
	in_root deluser alice && in_root deluser bob &&
		in_root rm -rf /home/alice /home/bob &&
		in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y \
			"${pkgs[@]}"
} >"$logs/purge.log" 2>&1
ok apt_purge $? "$(tail -5 "$logs/purge.log" | tr '\n' ' ')"
rm -rf "$root/tmp/"*
listing "$root" >"$logs/after.txt"
diff "$logs/before.txt" "$logs/after.txt" >"$logs/left.diff"
ok purge_leaves_nothing $? "$(head -20 "$logs/left.diff" | tr '\n' ' ')"
! in_root getent group uacce >/dev/null
ok purge_removes_empty_group $?
! grep -q uacce "$root/lib/modules/$kver/modules.dep" 2>/dev/null
ok purge_depmod_forgets_modules $?

# ---- 8. from source, in a fresh root ----
new_root "$root" "$tarball"
listing "$root" >"$logs/src-before.txt"
mkdir -p "$root/tmp/src"
src_to "$root/tmp/src"
in_root sh -c "cd /tmp/src && make install" >"$logs/src-install.log" 2>&1
ok make_install "$?" "$(tail -5 "$logs/src-install.log" | tr '\n' ' ')"
{
	in_root ldconfig &&
		in_root sh -c 'WD_DEV_PATH=local wd digest --alg sha256 /etc/passwd' &&
		in_root pkg-config --modversion libwd
} >"$logs/src-use.log" 2>&1
rc=$?
[[ $rc == 0 ]] && grep -q "$(sha256sum <"$root/etc/passwd" | cut -d' ' -f1)" "$logs/src-use.log" &&
	grep -qx "$ver" "$logs/src-use.log"
ok make_install_wd_and_pkg_config $? "$(tail -3 "$logs/src-use.log" | tr '\n' ' ')"
in_root getent group uacce >/dev/null && [[ -f $root/etc/udev/rules.d/60-uacce.rules ]]
ok make_install_group_and_rule $?
in_root sh -c "cd /tmp/src && make install-dkms KVER=$kver" >"$logs/src-dkms.log" 2>&1 &&
	[[ -f $root/lib/modules/$kver/updates/dkms/wd_soft.ko ]]
ok make_install_dkms "$?" "$(tail -5 "$logs/src-dkms.log" | tr '\n' ' ')"
# again after an update (same version, new sources): rebuilt from them
echo 'MODULE_INFO(wd_updated, "yes");' >>"$root/tmp/src/kernel/wd_soft/main.c"
in_root sh -c "cd /tmp/src && make install-dkms KVER=$kver" >"$logs/src-dkms2.log" 2>&1 &&
	[[ $(modinfo -F wd_updated "$root/lib/modules/$kver/updates/dkms/wd_soft.ko") == yes ]]
ok make_install_dkms_again_rebuilds "$?" "$(tail -5 "$logs/src-dkms2.log" | tr '\n' ' ')"
{
	in_root sh -c "cd /tmp/src && make uninstall-dkms && make uninstall" &&
		in_root groupdel uacce && in_root ldconfig
} >"$logs/src-uninstall.log" 2>&1
ok make_uninstall "$?" "$(tail -5 "$logs/src-uninstall.log" | tr '\n' ' ')"
rm -rf "$root/tmp/"*
listing "$root" >"$logs/src-after.txt"
# the directories make install created (/usr/local/... existed already;
# /etc/udev/rules.d and /var/lib/dkms/warpdrive did not) are left
diff "$logs/src-before.txt" "$logs/src-after.txt" >"$logs/src-left.diff"
ok make_uninstall_leaves_nothing $? "$(head -20 "$logs/src-left.diff" | tr '\n' ' ')"
umount_all

echo "check-packages: $(($(date +%s) - t0)) s"
finish
