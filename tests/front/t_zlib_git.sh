#!/usr/bin/env bash
# t_zlib_git: git (Debian's, linked with -lz: every object it stores is a
# zlib stream) with the zlib front door preloaded (WD_DEV_PATH=local,
# default threshold), against references that are not the library: git
# unpreloaded (its fsck inflates what the device deflated), gzip -d and
# unzip (their own inflate).
#  - a repository of this tree's docs/ and front/ plus a 3 MiB text file:
#    add and commit (loose objects), fsck --full --strict preloaded and
#    unpreloaded, gc --aggressive (a pack: deltas, deflate and inflate),
#    fsck again both ways, clone (file://, pack transfer) with the same
#    files out;
#  - git archive --format=tar.gz and --format=zip, read by gzip -d and
#    unzip, equal to the unpreloaded git's archive contents;
#  - the stats: device deflate and inflate streams.
# PASS:/FAIL:/SKIP: lines.
set -uo pipefail
TNAME=t_zlib_git
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_zlib_env.sh
. "$here/../libexec/t_zlib_env.sh" || exit 1
command -v git >/dev/null || { skip all "no git"; exit 0; }
cd "$T" || exit 1
mkdir home
# git's own configuration only: no user's or system's settings
G=(env HOME="$T/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000')
GZ=("${G[@]}" WD_DEV_PATH=local WD_ZLIB_STATS="$T/stats" LD_PRELOAD="$ZLIB_SO")
zgit() { "${GZ[@]}" git "$@"; }
rgit() { "${G[@]}" git "$@"; }

mkdir r
cp -r "$top/docs" "$top/front" r/
/usr/bin/python3 -S -c 'import random
r = random.Random(7)
w = [b"deflate", b"inflate", b"window", b"stream", b"device", b"the", b"of"]
open("r/big.txt", "wb").write(b"".join(b"%d %s %s\n" % (r.randrange(10**6), r.choice(w), r.choice(w)) for _ in range(200000)))'

t_commit() {
	zgit init -q r && zgit -C r add -A && zgit -C r commit -qm one &&
	printf 'more\n' >> r/big.txt && zgit -C r commit -qam two
}
check commit t_commit
t_fsck() {
	zgit -C r fsck --full --strict || { echo "preloaded fsck"; return 1; }
	rgit -C r fsck --full --strict || { echo "unpreloaded fsck"; return 1; }
}
check fsck_loose t_fsck
check gc bash -c '"$@" -C r gc -q --aggressive' _ "${GZ[@]}" git
check fsck_packed t_fsck
t_clone() {
	zgit clone -q "file://$T/r" c || return 1
	diff -r -x .git r c
}
check clone t_clone
t_archive() {
	zgit -C r archive --format=tar.gz HEAD > a.tgz && gzip -t a.tgz || return 1
	rgit -C r archive --format=tar HEAD > ref.tar || return 1
	gzip -dc a.tgz | cmp - ref.tar || { echo "tar.gz"; return 1; }
	zgit -C r archive --format=zip HEAD > a.zip && mkdir z && (cd z && unzip -q ../a.zip) || return 1
	diff -r -x .git r z
}
if command -v unzip >/dev/null; then check archive t_archive; else skip archive "no unzip"; fi

device_streams device_streams "$T/stats"
exit $((fails > 0))
