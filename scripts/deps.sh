#!/usr/bin/env bash
# Install everything the build, the checks and the VM tests need, so that a
# fresh Debian bookworm machine (CI included) needs nothing else. Idempotent,
# and a fast no-op when all is present: `make run` and `make check` call it
# every time.
set -euo pipefail

cd "$(dirname "$0")/.."

pkgs=(
	gcc make bc flex bison libelf-dev python3 perl xz-utils kmod pkg-config
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 sparse
	qemu-system-x86 busybox-static cpio strace pigz
	zlib1g-dev libssl-dev liburing-dev libdeflate-dev libisal-dev gnuplot-nox
	libfuse3-dev # the FUSE test daemon (tests/vm/fuse-hold.c), linked statically
	clang libclang-rt-14-dev # libFuzzer (tests/fuzz)
	kcapi-tools # kcapi-dgst: the crypto API front door's tests (tests/vm/t_crypto.sh)
	libpython3.11-testsuite # Python's test_zlib & co. over libwd_zlib (tests/front/t_zlib_python.sh)
	openssl git unzip # the front doors' users: openssl dgst/speed (t_ossl_cli), git and unzip (t_zlib_git)
)

# dpkg-query knows nothing of a package never installed; such a package is
# simply absent from its output, so compare against the list.
mapfile -t installed < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' \
	"${pkgs[@]}" 2>/dev/null | awk '$1 == "installed" { print $2 }')
missing=()
for p in "${pkgs[@]}"; do
	[[ " ${installed[*]} " == *" $p "* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# checkpatch.pl is not packaged on its own: take it (and the data files it
# reads from its own directory) out of the kernel source tarball, once.
cp_dir=build/tools/checkpatch
if [[ ! -x $cp_dir/checkpatch.pl ]]; then
	echo "deps.sh: extracting checkpatch.pl into $cp_dir" >&2
	src=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1.tar.*' | head -n 1)
	[[ -n $src ]] || { echo "deps.sh: linux-source-6.1 tarball not found" >&2; exit 1; }
	# Into a scratch dir first so an interrupted run leaves nothing half done.
	rm -rf "$cp_dir.tmp"
	mkdir -p "$cp_dir.tmp"
	tar -xf "$src" -C "$cp_dir.tmp" --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	chmod +x "$cp_dir.tmp/checkpatch.pl"
	rm -rf "$cp_dir"
	mv "$cp_dir.tmp" "$cp_dir"
fi

# The target kernel must have headers and an image; fail early if not.
scripts/kver.sh >/dev/null
