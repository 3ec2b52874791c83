#!/usr/bin/env bash
# Put the kernel's zlib (lib/zlib_inflate, lib/zlib_deflate and their
# headers, from Debian's linux-source-6.1, the source of the kernels we run)
# into DIR, with the few stand-ins for kernel headers it needs in user
# space (tests/fuzz/kzlib/), for fz_kcore. Taken from the debug kernel's
# tree when it is built, else out of the source tarball (slow: xz), once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: kzlib.sh DIR}
[[ -f $out/.done ]] && exit 0
rm -rf "$out.tmp"
mkdir -p "$out.tmp/linux" "$out.tmp/src"
files=(lib/zlib_inflate lib/zlib_deflate include/linux/zlib.h include/linux/zconf.h
       include/linux/zutil.h)
if dk=$("$here/../../../scripts/build-debug-kernel.sh" --dir 2>/dev/null); then
	for f in "${files[@]}"; do
		mkdir -p "$out.tmp/src/$(dirname "$f")"
		cp -r "$dk/linux/$f" "$out.tmp/src/$f"
	done
else
	tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1.tar.*' | head -n 1)
	[[ -n $tarball ]] || { echo "kzlib.sh: no linux-source-6.1 tarball" >&2; exit 1; }
	tar -xf "$tarball" -C "$out.tmp/src" --strip-components=1 \
		"${files[@]/#/linux-source-6.1/}"
fi
cp "$out.tmp"/src/include/linux/z*.h "$out.tmp/linux/"
cp "$here/linux-kernel.h" "$out.tmp/linux/kernel.h"
echo '#include <string.h>' >"$out.tmp/linux/string.h"
echo '#include <linux/kernel.h>' >"$out.tmp/linux/module.h"
cp "$here/linux-bitrev.h" "$out.tmp/linux/bitrev.h"
touch "$out.tmp/.done"
rm -rf "$out"
mv "$out.tmp" "$out"
