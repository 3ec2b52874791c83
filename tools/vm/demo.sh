#!/bin/sh
# `make run`: the demonstration run inside the VM (busybox sh, in /work),
# after wd-vm loaded uacce and wd_soft. Shows what the modules expose.
# Once the wd tool exists (on PATH from build/vm/bin), its demo goes here.

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
exit 0
