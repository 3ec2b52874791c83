#!/bin/sh
# `make run`: the demonstration run inside the VM (busybox sh, in /work),
# after wd-vm loaded uacce and wd_soft. Shows what the modules expose.
# wd-demo (tools/demo) runs a queue over the raw ABI; the wd tool will
# take over here once it exists.

echo "== kernel $(uname -r)"
lsmod

echo "== wd_soft instances"
ls /sys/bus/wd_soft/devices/ 2>/dev/null || echo "(no /sys/bus/wd_soft)"

found=0
for d in /sys/class/uacce/*; do
	[ -e "$d" ] || continue
	found=1
	echo "== ${d##*/} (/dev/${d##*/})"
	for a in id api flags available_instances algorithms qfrs_offset \
		region_mmio_size region_dko_size region_dus_size node_id \
		numa_distance isolate isolate_strategy; do
		[ -r "$d/$a" ] && printf '  %-20s %s\n' "$a" "$(tr '\n' ' ' <"$d/$a")"
	done
done
[ "$found" = 1 ] || echo "== no uacce devices"
ls -l /dev/ua* 2>/dev/null

echo "== a queue at work: 64 MiB copied through /dev/ua0 by the wd_soft engine"
wd-demo /dev/ua0 64 64 || exit 1

echo "== a second instance in NOIOMMU mode, created through the wd_soft bus"
echo "7 mode=noiommu queues=4 engines=2" > /sys/bus/wd_soft/new_device
ua=$(ls /sys/bus/wd_soft/devices/wd_soft7/uacce)
printf '  %s: flags %s (NOIOMMU), available_instances %s, qfrs_offset %s\n' \
	"$ua" "$(cat /sys/class/uacce/$ua/flags)" \
	"$(cat /sys/class/uacce/$ua/available_instances)" \
	"$(cat /sys/class/uacce/$ua/qfrs_offset)"
echo 7 > /sys/bus/wd_soft/del_device
exit 0
