#!/usr/bin/env bash
# Build WarpDrive's Debian packages (debian/) from this tree into build/pkg/:
# a copy of the tree without build outputs goes to build/pkg/src/ and
# `dpkg-buildpackage -us -uc -b` runs there (it writes to its parent
# directory, and debian/rules clean must not touch this tree's build/).
# Then lintian on the result: its tags in build/pkg/lintian.txt, and any
# error or warning not listed in debian/lintian-expected fails.
#   scripts/build-packages.sh          build, lintian
# Needs dpkg-dev, debhelper, dh-dkms, lintian (tests/pkg/check-packages.sh
# installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

ver=$(dpkg-parsechangelog -S Version)
libver=$(sed -n 's/^VERSION := //p' lib/Makefile)
[[ $ver == "$libver" ]] || {
	echo "build-packages: debian/changelog says $ver, lib/Makefile's VERSION $libver" >&2
	exit 1
}
out=build/pkg
src=$out/src/warpdrive-$ver
rm -rf "$out/src" "$out"/*.deb
mkdir -p "$src"
# the sources, without build/ and kbuild's objects beside the kernel sources
tar -C "$top" --exclude=./build --exclude=.git --exclude='*.o' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' --exclude=modules.order \
	--exclude=Module.symvers --exclude='.tmp_versions' --exclude='.checkpatch-camelcase.*' \
	-cf - . | tar -C "$src" -xf -
echo "build-packages: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -j2) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
ls "$out"/*.deb

# lintian, every tag shown; errors and warnings must be the expected ones
command -v lintian >/dev/null || { echo "build-packages: lintian not installed: not checked" >&2; exit 0; }
# (--fail-on none: the tags are judged below, so a non-zero status is
# lintian failing to check, which an empty list of tags must not hide)
lrc=0
lintian --fail-on none --pedantic -I -E --tag-display-limit 0 \
	"$out/warpdrive_${ver}_amd64.changes" >"$out/lintian.raw" 2>"$out/lintian.err" || lrc=$?
if ((lrc != 0)); then
	echo "build-packages: lintian failed (exit status $lrc):" >&2
	cat "$out/lintian.err" >&2
	exit 1
fi
sort -u "$out/lintian.raw" >"$out/lintian.txt"
rm -f "$out/lintian.raw"
echo "build-packages: lintian (all levels, $out/lintian.txt):"
sed 's/^/  /' "$out/lintian.txt"
expected=$(grep -v '^#' debian/lintian-expected 2>/dev/null | sed '/^$/d' || :)
bad=$({ grep "^[EW]: " "$out/lintian.txt" || :; } | while read -r line; do
	tag=$(echo "$line" | awk '{ print $2 " " $3 }')
	grep -qxF "$tag" <<<"$expected" || echo "$line"
done)
if [[ -n $bad ]]; then
	printf 'build-packages: lintian errors or warnings not in debian/lintian-expected:\n%s\n' "$bad" >&2
	exit 1
fi
