#!/usr/bin/env bash
# Print the kernel version to build the modules for and to boot in the VM:
# the newest installed */-amd64 kernel that has both headers (a `build` dir)
# and a bootable image, so modules always match the kernel wd-vm boots.
set -euo pipefail

best=
for dir in /lib/modules/*-amd64; do
	v=${dir##*/}
	[[ -d $dir/build && -f /boot/vmlinuz-$v ]] && best+="$v"$'\n'
done
[[ -n $best ]] || {
	echo "kver.sh: no /lib/modules/*-amd64 with build/ and /boot/vmlinuz (run scripts/deps.sh)" >&2
	exit 1
}
printf '%s' "$best" | sort -V | tail -n 1
