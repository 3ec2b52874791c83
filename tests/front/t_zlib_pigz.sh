#!/usr/bin/env bash
# t_zlib_pigz: pigz (Debian's, linked with -lz) with the zlib front door
# preloaded (build/front/lib/libwd_zlib.so.1, WD_DEV_PATH=local, default
# threshold), against the system gzip (not preloaded; it has its own
# deflate) as the reference:
#  - pigz -1/-6/-9 with -p 1 (pigz's single-thread path) and -p 2 (blocks
#    compressed in parallel, each primed with the last 32 KiB of the one
#    before), and -i (independent blocks) and --rsyncable and -z (zlib
#    format, read by Python's zlib, not preloaded): the output is what
#    `gzip -d` reads back as the input;
#  - pigz -d and pigz -t preloaded read gzip -1/-6/-9's output, pigz's own,
#    multi-member files; a corrupted file is refused as gzip refuses it;
#  - the stats lines: device deflate streams > 0 over the compressions; the
#    decompressions' share is printed (INFO:).
# The corpus: the bench's text (tools/bench/bench.sh: the Linux 6.1 source
# tarball, else /usr/include; 2 MiB of it), 1 MiB of binary-like records,
# 1 MiB of random bytes (both from a fixed seed), 256 KiB of zeros, and a
# few small files (below the threshold: software).
# PASS:/FAIL:/SKIP: lines. T_ZLIB_LIB=<another library> shows the checks
# failing.
set -uo pipefail
TNAME=t_zlib_pigz
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_zlib_env.sh
. "$here/../libexec/t_zlib_env.sh" || exit 1
command -v pigz >/dev/null || { skip all "no pigz (scripts/deps.sh)"; exit 0; }
cd "$T" || exit 1

# ---- the corpus ----
src=$(find /usr/src -maxdepth 1 -name 'linux-source-6.1.tar.*' 2>/dev/null | head -n 1)
if [[ -n $src ]]; then
	{ xz -dc "$src" 2>/dev/null || :; } | head -c $((2 << 20)) > text
else
	find /usr/include -type f -print0 | sort -z | xargs -0 cat 2>/dev/null | head -c $((2 << 20)) > text
fi
/usr/bin/python3 -S - <<'PY' || { fail corpus "python3"; exit 1; }
import random, struct
r = random.Random(14)
# records: small integers, a few names, offsets: what binaries and tables look like
names = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]
with open("records", "wb") as f:
    out = bytearray()
    i = 0
    while len(out) < 1 << 20:
        out += struct.pack("<IHhQ", i, r.randrange(64), r.randrange(-300, 300), 4096 * i + r.randrange(16))
        out += r.choice(names) + b"\0" * r.randrange(4)
        i += 1
    f.write(out[:1 << 20])
with open("random", "wb") as f:
    f.write(r.randbytes(1 << 20))
PY
head -c $((256 << 10)) /dev/zero > zeros
cat text records random zeros > corpus
: > empty
printf x > one
head -c 100 text > small
head -c $((128 << 10)) text > block # pigz's block size exactly
(($(stat -c %s text) == 2 << 20)) || { fail corpus "text: $(stat -c %s text) bytes"; exit 1; }
info "corpus: $(stat -c %s corpus) bytes (text from ${src:-/usr/include})"

ZENV=(env WD_DEV_PATH=local LD_PRELOAD="$ZLIB_SO")
# zpigz STATS ARG...: pigz preloaded, its stats line appended to STATS
zpigz() {
	local stats=$1
	shift
	"${ZENV[@]}" WD_ZLIB_STATS="$T/$stats" pigz "$@"
}

# ---- compression: pigz preloaded, gzip -d reads it ----
# comp NAME PIGZ-ARGS...: every input, compressed and checked
comp() {
	local n=$1 f
	shift
	for f in corpus text random empty one small block; do
		zpigz comp.stats "$@" -c "$f" > "$n.$f.gz" || { echo "pigz $* $f: status $?"; return 1; }
		gzip -dc "$n.$f.gz" | cmp - "$f" || { echo "gzip -d of pigz $* $f"; return 1; }
	done
}
for l in 1 6 9; do
	for p in 1 2; do
		check "comp_l${l}_p$p" comp "l${l}_p$p" -$l -p $p
	done
done
check comp_independent comp ind -6 -p 2 -i
check comp_rsyncable comp rsy -6 -p 2 --rsyncable
# gzip's own level 9 output is no larger than pigz's: only a sanity bound
# on what the device made (10% slack: pigz's blocks, the device's deflate)
t_size() {
	local g p
	g=$(gzip -9 -c corpus | wc -c) p=$(stat -c %s l9_p2.corpus.gz)
	echo "corpus: gzip -9 $g bytes, pigz -9 -p 2 preloaded $p"
	((p * 10 <= g * 11))
}
check comp_size t_size
# zlib format: pigz -z, read by Python's zlib (not preloaded)
t_zlib() {
	zpigz comp.stats -z -6 -p 2 -c corpus > corpus.zz &&
	/usr/bin/python3 -S -c 'import sys, zlib
sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], "rb").read()))' corpus.zz | cmp - corpus
}
check comp_zlib_format t_zlib

zstats comp.stats
info "compression: $(zshare)"
if ((${Z[deflate_dev]} > 0)); then
	pass comp_device_streams
else
	fail comp_device_streams "no device deflate stream (${Z[lines]} stats lines)"
fi

# ---- decompression: pigz -d preloaded reads gzip's output ----
# decomp NAME GZIP-FILE INPUT: pigz -d and -t preloaded, -p 1 and 2
decomp() {
	local p
	for p in 1 2; do
		zpigz decomp.stats -d -p $p -c "$2" | cmp - "$3" || { echo "pigz -d -p $p $2"; return 1; }
	done
	zpigz decomp.stats -t "$2" || { echo "pigz -t $2"; return 1; }
}
for l in 1 6 9; do
	for f in corpus text random empty one block; do
		gzip -$l -c "$f" > "g$l.$f.gz"
	done
	t_decomp_gzip() {
		local f
		for f in corpus text random empty one block; do
			decomp "gzip -$1" "g$1.$f.gz" "$f" || return 1
		done
	}
	check "decomp_gzip_l$l" t_decomp_gzip $l
done
check decomp_pigz decomp pigz l6_p2.corpus.gz corpus
# multi-member: three gzip members, the middle one empty
t_members() {
	cat g6.text.gz g1.empty.gz g9.random.gz > members.gz && cat text random > members &&
	decomp members members.gz members
}
check decomp_members t_members
# a corrupted file: pigz -t refuses it as gzip -t does (a byte of the
# deflate data and, apart, of the CRC)
t_corrupt() {
	local off
	for off in 5000 -6; do
		cp g6.corpus.gz bad.gz
		if ((off < 0)); then off=$(($(stat -c %s bad.gz) + off)); fi
		printf '\x55' | dd of=bad.gz bs=1 seek=$off conv=notrunc status=none
		gzip -t bad.gz 2>/dev/null && { echo "gzip accepts the corruption at $off"; return 1; }
		zpigz decomp.stats -t bad.gz 2>/dev/null && { echo "pigz -t preloaded accepts a file corrupted at $off"; return 1; }
		zpigz decomp.stats -dc bad.gz > /dev/null 2>&1 && { echo "pigz -d preloaded exits 0 on a file corrupted at $off"; return 1; }
	done
	return 0
}
check decomp_corrupt t_corrupt

zstats decomp.stats
info "decompression: $(zshare)"
# pigz -d decodes with inflateBack(), which runs on our inflate
if ((${Z[inflate_dev]} > 0)); then
	pass decomp_device_streams
else
	fail decomp_device_streams "no device inflate stream (${Z[lines]} stats lines)"
fi
exit $((fails > 0))
