#!/bin/sh
# guest.sh: the installed packages at work in the VM (busybox sh), for
# tests/pkg/check-packages.sh, which boots the VM with
#   wd-vm --no-load --modules CHROOT/lib/modules/KVER/updates/dkms --add build/pkg/guest
# so that /work holds sysroot/ (the chroot's wd, libwd.so.1, wd-example,
# udevadm, the udev rule, the modprobe.d file with nr_devs=2 uncommented,
# passwd and group with alice in uacce and bob not, libwd_zlib.so.1, pigz,
# zlib-prog (built against libwd-zlib-dev), openssl with openssl.cnf and the
# provider in its module directory, each ELF with its libraries) and
# uacce.srcversion (the DKMS-built module's). Prints PASS:/FAIL: lines.
cd /work || exit 1
pass() { echo "PASS: pkg.vm.$1"; }
fail() { echo "FAIL: pkg.vm.$1${2:+: $2}"; }
ok() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }

# the installed files onto /, through the guest's own links (/usr/bin -> /bin)
(cd sysroot && find . ! -type d) | while read -r f; do
	mkdir -p "/${f%/*}"
	cp -af "sysroot/$f" "/$f"
done

# modprobe alone (Debian's kmod): the modules of the DKMS build, uacce as
# wd_soft's dependency, the options of /etc/modprobe.d/warpdrive.conf
# (by its path: busybox sh runs its own applet for a bare "modprobe")
/sbin/modprobe wd_soft 2> m.err
rc=$?
grep -q '^wd_soft ' /proc/modules && grep -q '^uacce .* wd_soft,' /proc/modules
ok modprobe_wd_soft_loads_uacce $((rc + $?)) "$(cat m.err; cat /proc/modules)"
[ "$(cat /sys/module/uacce/srcversion)" = "$(cat uacce.srcversion)" ]
ok modules_are_the_dkms_build $? "loaded $(cat /sys/module/uacce/srcversion), DKMS $(cat uacce.srcversion)"
[ "$(cat /sys/module/wd_soft/parameters/nr_devs)" = 2 ] && [ -e /sys/class/uacce/ua1 ]
ok modprobe_d_nr_devs $? "nr_devs $(cat /sys/module/wd_soft/parameters/nr_devs): $(ls /sys/class/uacce)"
ua8=$(ls /sys/bus/wd_soft/devices/wd_soft8/uacce 2>/dev/null)
ua9=$(ls /sys/bus/wd_soft/devices/wd_soft9/uacce 2>/dev/null)
[ -n "$ua8" ] && [ "$(cat "/sys/class/uacce/$ua8/flags")" = 2 ] &&
	[ -n "$ua9" ] && [ "$(cat "/sys/class/uacce/$ua9/flags")" = 1 ]
ok modprobe_d_devices_pasid_and_noiommu $? "$(ls /sys/bus/wd_soft/devices)"

# udev: Debian's systemd-udevd with the package's rule, the existing nodes
# triggered as the package's postinst does; then a NOIOMMU device made
# while it runs
mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon 2> udevd.err
udevadm trigger --subsystem-match=uacce --action=add 2>> udevd.err
udevadm settle --timeout=30 2>> udevd.err
gid=$(sed -n 's/^uacce:x:\([0-9]*\):.*/\1/p' /etc/group)
node() { stat -c '%u:%g %a' "$1" 2>&1; }
[ -n "$gid" ] && [ "$(node /dev/ua0)" = "0:$gid 660" ] && [ "$(node /dev/ua1)" = "0:$gid 660" ] &&
	[ "$(node "/dev/$ua8")" = "0:$gid 660" ]
ok udev_rule_root_uacce_0660 $? "uacce gid '$gid', /dev/ua0 $(node /dev/ua0): $(cat udevd.err)"
echo "5 mode=noiommu queues=4" > /sys/bus/wd_soft/new_device
udevadm settle --timeout=30
ua5=$(ls /sys/bus/wd_soft/devices/wd_soft5/uacce)
[ -n "$ua5" ] && [ "$(node "/dev/$ua5")" = "0:0 600" ] && [ "$(node "/dev/$ua9")" = "0:0 600" ]
ok udev_rule_noiommu_root_only $? "/dev/$ua5 $(node "/dev/$ua5"), /dev/$ua9 $(node "/dev/$ua9")"
# flags udev cannot read (the package's rule asking for an attribute that
# is not there, as an override in /etc): a PASID device stays root's
mkdir -p /etc/udev/rules.d
sed 's/ATTR{flags}/ATTR{no_such_flags}/' /lib/udev/rules.d/60-uacce.rules > /etc/udev/rules.d/60-uacce.rules
udevadm control --reload 2>> udevd.err
echo "6 mode=pasid queues=4" > /sys/bus/wd_soft/new_device
udevadm settle --timeout=30
ua6=$(ls /sys/bus/wd_soft/devices/wd_soft6/uacce)
[ -n "$ua6" ] && [ "$(cat "/sys/class/uacce/$ua6/flags")" = 2 ] && [ "$(node "/dev/$ua6")" = "0:0 600" ]
ok udev_rule_unread_flags_root_only $? "/dev/$ua6 $(node "/dev/$ua6"): $(cat udevd.err)"
echo 6 > /sys/bus/wd_soft/del_device
rm -f /etc/udev/rules.d/60-uacce.rules
udevadm control --reload 2>> udevd.err

# alice (in uacce) and bob (not), as su makes them: initgroups from /etc/group
mkdir -p /tmp/pk && chmod 1777 /tmp/pk && cd /tmp/pk || exit 1
seq 1 100000 > text && chmod 644 text
as() { u=$1; shift; su -s /bin/sh "$u" -c "$*"; }
as alice /usr/bin/wd digest --alg sha256 text > a.sum 2> a.err
rc=$?
[ "$rc" = 0 ] && [ "$(cut -d' ' -f1 a.sum)" = "$(sha256sum text | cut -d' ' -f1)" ]
ok alice_wd_digest $? "rc $rc: $(cat a.err)"
as alice /usr/bin/wd zip -c text > a.gz 2> a.err
rc=$?
gzip -dc a.gz | cmp -s - text
ok alice_wd_zip $((rc + $?)) "rc $rc: $(cat a.err)"
as alice /tmp/ex/wd-example text ex.gz > ex.out 2>&1
rc=$?
gzip -dc ex.gz | cmp -s - text && grep -q '/dev/ua' ex.out
ok alice_libwd_program $((rc + $?)) "rc $rc: $(cat ex.out)"
as bob /usr/bin/wd digest --alg sha256 text > b.out 2> b.err
rc=$?
[ "$rc" != 0 ] && grep -q "permission denied on /dev/ua[01]: join the group 'uacce' (adduser bob uacce, then log in again)" b.err
ok bob_wd_names_the_group $? "rc $rc: $(cat b.err)"
as bob /tmp/ex/wd-example text bx.gz > bx.out 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "join the group 'uacce'" bx.out
ok bob_libwd_program_names_the_group $? "rc $rc: $(cat bx.out)"
as alice /usr/bin/wd digest --alg sha256 --device "/dev/$ua5" text > n.out 2> n.err
rc=$?
[ "$rc" != 0 ] && grep -q "NOIOMMU device: a queue on it needs CAP_SYS_RAWIO" n.err
ok alice_noiommu_refused_cap_sys_rawio $? "rc $rc: $(cat n.err)"

# the front doors as installed, as alice, on the device (discovery: no
# WD_DEV_PATH), on a file of more than 1 MiB: the provider offloads every
# whole 256 KiB, pigz's 128 KiB blocks are above libwd_zlib's threshold
seq 1 250000 > big && chmod 644 big
# a field of a counters line: stat FILE KEY
stat_of() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n 1; }
as alice "WD_ZLIB_STATS=/tmp/pk/z.stats LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libwd_zlib.so.1 pigz -c big" \
	> big.gz 2> z.err
rc=$?
gzip -dc big.gz | cmp -s - big && [ "$(stat_of z.stats deflate_dev)" -gt 0 ] &&
	[ "$(stat_of z.stats errors)" = 0 ] && [ "$(stat_of z.stats fallbacks)" = 0 ]
ok alice_pigz_preloaded_libwd_zlib_device_streams $((rc + $?)) "rc $rc: $(cat z.err z.stats 2>&1)"
as alice "WD_OSSL_STATS=/tmp/pk/o.stats openssl dgst -sha256 -provider wd -provider default -propquery provider=wd big" \
	> o.out 2> o.err
rc=$?
[ "$(sed -n 's/^SHA2-256(big)= //p' o.out)" = "$(sha256sum big | cut -d' ' -f1)" ] &&
	[ "$(stat_of o.stats offloaded_bytes)" -ge 1048576 ] && [ "$(stat_of o.stats errors)" = 0 ]
ok alice_openssl_dgst_provider_wd_offloads $((rc + $?)) "rc $rc: $(cat o.out o.err o.stats 2>&1)"
as alice /tmp/zlib-prog big zp.gz > zp.out 2>&1
rc=$?
gzip -dc zp.gz | cmp -s - big && grep -q '^ok deflate_dev=1 .* inflate_dev=1 .* errors=0$' zp.out
ok alice_libwd_zlib_dev_program $((rc + $?)) "rc $rc: $(cat zp.out)"

cd /work || exit 1
echo 5 > /sys/bus/wd_soft/del_device
udevadm control --exit 2>/dev/null
/sbin/modprobe -r wd_soft; rmmod uacce 2>/dev/null
! grep -q -e '^wd_soft ' -e '^uacce ' /proc/modules
ok modules_unload $? "$(cat /proc/modules)"
