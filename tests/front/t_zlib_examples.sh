#!/usr/bin/env bash
# t_zlib_examples: zlib's own example programs (Debian zlib1g-dev:
# /usr/share/doc/zlib1g-dev/examples, written by zlib's authors), built
# here against the system zlib (-lz) and run with the zlib front door
# preloaded (build/front/lib/libwd_zlib.so.1, WD_DEV_PATH=local), each
# checked by a reference that is not the library: the same program
# unpreloaded, the system gzip (its own inflate), Python's zlib unpreloaded.
#   example      zlib's test program, default threshold and threshold 0:
#                exit status and output as unpreloaded
#   minigzip     -9 and -d, against gzip
#   zpipe        zlib format both ways, against Python's zlib
#   gun          inflateBack (always software), gzip's output
#   zran         random access (Z_BLOCK index, inflatePrime, raw
#                dictionary) at three offsets
#   fitblk       compress to fit 4096 bytes: at most that, and a valid
#                stream of a prefix of the input
#   gzappend     append to a gzip file (deflatePrime, a raw deflate keeping
#                the CRC in strm->adler): gzip -t and gzip -d
#   gzjoin, gznorm  join and normalise members (crc32_combine, Z_BLOCK)
# The stats lines must show device streams. PASS:/FAIL:/SKIP: lines.
set -uo pipefail
TNAME=t_zlib_examples
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_zlib_env.sh
. "$here/../libexec/t_zlib_env.sh" || exit 1
E=/usr/share/doc/zlib1g-dev/examples
[[ -f $E/example.c || -f $E/example.c.gz ]] ||
	{ skip all "no $E (Debian zlib1g-dev)"; exit 0; }
cd "$T" || exit 1

# build them (warnings off: not our sources)
built=()
for p in example minigzip zpipe gun zran fitblk gzappend gzjoin gznorm; do
	src=$E/$p.c
	[[ -f $src ]] || { [[ -f $src.gz ]] && gzip -dc "$src.gz" > "$p.c" && src=$p.c; }
	def=()
	[[ $p == zran ]] && def=(-DTEST)
	if ${CC:-gcc} -O2 -w -I"$E" "${def[@]}" -o "$p" "$src" -lz >"build.$p" 2>&1; then
		built+=("$p")
	else
		fail "build.$p" "$(tail -n 2 "build.$p" | tr '\n' ' ')"
	fi
done
has() { [[ " ${built[*]} " == *" $1 "* ]]; }

ZRUN=(env WD_DEV_PATH=local WD_ZLIB_STATS="$T/stats" LD_PRELOAD="$ZLIB_SO")
/usr/bin/python3 -S - <<'PY' || { fail input "python3"; exit 1; }
import random
r = random.Random(5)
w = [b"deflate", b"inflate", b"window", b"stream", b"device", b"the", b"of", b"block"]
with open("in", "wb") as f:
    f.write(b"".join(b"%d %s %s\n" % (r.randrange(100000), r.choice(w), r.choice(w)) for _ in range(150000)))
PY
head -c 700000 in > a1
tail -c +700001 in > a2
pyz() { /usr/bin/python3 -S -c 'import sys, zlib
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(zlib.decompress(d) if sys.argv[1] == "d" else zlib.compress(d))' "$1"; }

# example: as unpreloaded (it writes foo.gz in the current directory)
t_example() {
	local rc=0 ref out
	ref=$(./example 2>&1) || { echo "unpreloaded: $ref"; return 1; }
	out=$("${ZRUN[@]}" "$@" ./example 2>&1) || rc=$?
	[[ $rc == 0 && $out == "$ref" ]] || { echo "status $rc, output: $out" | tr '\n' ' '; return 1; }
}
has example && check example t_example
has example && check example_thr0 t_example WD_ZLIB_THRESHOLD=0

t_minigzip() {
	cp in m1 && "${ZRUN[@]}" ./minigzip -9 m1 && gzip -dc m1.gz | cmp - in || return 1
	gzip -c in > m2.gz && "${ZRUN[@]}" ./minigzip -d m2.gz && cmp m2 in
}
has minigzip && check minigzip t_minigzip
t_zpipe() {
	"${ZRUN[@]}" ./zpipe < in > z.zz && pyz d < z.zz | cmp - in || return 1
	pyz c < in > z2.zz && "${ZRUN[@]}" ./zpipe -d < z2.zz | cmp - in
}
has zpipe && check zpipe t_zpipe
t_gun() { gzip -c in > g.gz && "${ZRUN[@]}" ./gun < g.gz | cmp - in; }
has gun && check gun t_gun
t_zran() {
	local off
	cat in in in > in3 && gzip -c in3 > in3.gz || return 1
	for off in 0 1000000 5000000; do
		"${ZRUN[@]}" ./zran in3.gz $off > zr.out 2> zr.err || { cat zr.err; return 1; }
		dd if=in3 iflag=skip_bytes,count_bytes skip=$off count=16384 status=none | cmp - zr.out ||
			{ echo "offset $off"; return 1; }
	done
}
has zran && check zran t_zran
t_fitblk() {
	local n
	"${ZRUN[@]}" ./fitblk 4096 < in > fb.out 2> fb.err || { cat fb.err; return 1; }
	n=$(stat -c %s fb.out)
	((n <= 4096)) || { echo "$n bytes"; return 1; }
	pyz d < fb.out > fb.dec && head -c "$(stat -c %s fb.dec)" in | cmp - fb.dec
}
has fitblk && check fitblk t_fitblk
t_gzappend() {
	gzip -c a1 > ga.gz && "${ZRUN[@]}" ./gzappend ga.gz a2 || return 1
	gzip -t ga.gz || return 1
	gzip -dc ga.gz | cmp - in
}
has gzappend && check gzappend t_gzappend
t_gzjoin() {
	gzip -c a1 > j1.gz && gzip -9 -c a2 > j2.gz && "${ZRUN[@]}" ./gzjoin j1.gz j2.gz > j.gz &&
	gzip -t j.gz && gzip -dc j.gz | cmp - in
}
has gzjoin && check gzjoin t_gzjoin
t_gznorm() {
	cat j1.gz j2.gz > jj.gz && "${ZRUN[@]}" ./gznorm < jj.gz > n.gz && gzip -t n.gz &&
	gzip -dc n.gz | cmp - in
}
has gznorm && has gzjoin && check gznorm t_gznorm

device_streams device_streams "$T/stats"
exit $((fails > 0))
