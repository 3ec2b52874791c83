#!/usr/bin/env bash
# t_zlib_python: the zlib front door under suites nobody here wrote:
# Debian's Python 3.11 test suites test_zlib, test_gzip, test_zipfile and
# test_tarfile (package libpython3.11-testsuite) run by /usr/bin/python3
# with build/front/lib/libwd_zlib.so.1 preloaded, on the in-process device
# (WD_DEV_PATH=local), with the default threshold. First the preload is
# shown effective (the python process's own counters move, through ctypes,
# and its stats line is there); then each suite must pass, sequentially,
# with a clean HOME and TMPDIR and no network (a network namespace of its
# own when unshare can make one; the suites ask for no network resource
# anyway). The stats lines of every process (the suites' subprocesses
# append theirs) are summed: device deflate and inflate streams > 0, and
# the device's share is printed (INFO:). The suites run a second time with
# WD_ZLIB_THRESHOLD=0 (thr0.*), their small streams on the device too.
# PASS:/FAIL:/SKIP: lines.
#
# Then Python's zlib API on inputs the device takes (t_zlib_api.py, the
# suites' data being mostly below the 8 KiB threshold), run unpreloaded as
# the reference and preloaded: each case's line must be the same (api.*),
# but for the known limits (KNOWN below: the preloaded line must then be
# the documented one, docs/zlib.md).
#
# Fails on purpose with T_ZLIB_LIB=<a library that is not the front door>
# (the preload and device_share checks).
set -uo pipefail
TNAME=t_zlib_python
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_zlib_env.sh
. "$here/../libexec/t_zlib_env.sh" || exit 1
PY=/usr/bin/python3
SUITES=(test_zlib test_gzip test_zipfile test_tarfile)

if [[ ! -x $PY ]] || ! "$PY" -c 'import test.support, test.test_zlib' 2>/dev/null; then
	skip suites "no $PY with its test suite (Debian: libpython3.11-testsuite, scripts/deps.sh)"
	exit 0
fi

# no network: a network namespace of its own (as root, or as a user mapped
# to root in a user namespace), else as the suites are (no -u network)
NONET=()
if unshare -n true 2>/dev/null; then
	NONET=(unshare -n)
elif unshare -rn true 2>/dev/null; then
	NONET=(unshare -rn)
else
	info "no network namespace available: the suites run without the network resource only"
fi

# pyrun STATS DIR CMD...: CMD in DIR with the library preloaded, a clean
# environment, HOME and TMPDIR of its own, stats appended to STATS
pyrun() {
	local stats=$1 dir=$2
	shift 2
	mkdir -p "$dir/home" "$dir/tmp" || return 1
	(cd "$dir" && exec "${NONET[@]}" env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
		HOME="$dir/home" TMPDIR="$dir/tmp" WD_DEV_PATH=local \
		WD_ZLIB_STATS="$stats" LD_PRELOAD="$ZLIB_SO" "$@")
}

# ---- the preload is effective: the process's own counters, its own line ----
cat > "$T/probe.py" <<'PY'
import ctypes, os, zlib
F = ("deflate_dev deflate_sw inflate_dev inflate_sw dev_in_bytes sw_in_bytes "
     "dev_out_bytes sw_out_bytes fallbacks errors").split()
class S(ctypes.Structure):
    _fields_ = [(f, ctypes.c_uint64) for f in F]
get = ctypes.CDLL(None).wd_zlib_get_stats   # AttributeError: not preloaded
def stats():
    s = S(); get(ctypes.byref(s)); return {f: getattr(s, f) for f in F}
before = stats()
data = b"".join(b"line %d of a text-like input\n" % i for i in range(40000))
comp = zlib.compress(data, 6)
assert zlib.decompress(comp) == data
after = stats()
print("pid", os.getpid())
for f in F:
    print(f, after[f] - before[f])
PY
probe() {
	pyrun "$T/probe.stats" "$T/probe" "$PY" "$T/probe.py" > "$T/probe.out" 2>&1 || {
		cat "$T/probe.out"; return 1; }
	local pid d i
	pid=$(awk '$1 == "pid" { print $2 }' "$T/probe.out")
	d=$(awk '$1 == "deflate_dev" { print $2 }' "$T/probe.out")
	i=$(awk '$1 == "inflate_dev" { print $2 }' "$T/probe.out")
	echo "pid $pid: deflate_dev +$d, inflate_dev +$i"
	((d >= 1 && i >= 1)) || { echo "zlib.compress/decompress of 1 MiB did not reach the device"; return 1; }
	grep -q "^wd-zlib pid=$pid " "$T/probe.stats" ||
		{ echo "no stats line for pid $pid in WD_ZLIB_STATS"; return 1; }
}
check preload probe
grep -q "^pid" "$T/out.preload" && info "preload probe: $(head -n 1 "$T/out.preload")"

# ---- the suites, one at a time: with the default threshold, then with
# WD_ZLIB_THRESHOLD=0 (thr0.*: every stream the device can do goes to it,
# the suites' many small ones too) ----
# suite NAME PREFIX [ENV...]
suite() {
	local s=$1 p=$2 rc=0
	shift 2
	pyrun "$T/$p$s.stats" "$T/$p$s" env "$@" "$PY" -m test "$s" > "$T/$p$s.log" 2>&1 || rc=$?
	if ((rc == 0)) && grep -q '^Tests result: SUCCESS' "$T/$p$s.log"; then
		pass "$p$s"
	else
		fail "$p$s" "exit status $rc: $(grep -E '^(FAIL|ERROR):|^test .* failed|^[A-Za-z.]*(Error|Exception): |^Tests result' "$T/$p$s.log" | head -n 8 | tr '\n' ';')"
		# the failures' detail, for the log
		grep -E -B12 '^[A-Za-z.]*(Error|Exception): ' "$T/$p$s.log" | head -n 60 | sed "s/^/INFO: $TNAME: $p$s: /"
	fi
	zstats "$T/$p$s.stats"
	info "$p$s: $(zshare)"
}
for s in "${SUITES[@]}"; do
	suite "$s" ""
done
for s in "${SUITES[@]}"; do
	suite "$s" thr0. WD_ZLIB_THRESHOLD=0
done

# ---- Python's zlib API on device-sized inputs, against unpreloaded ----
# KNOWN[case]: what the preloaded run prints where it may not equal zlib
# (docs/zlib.md, "Limits"): a device stream inherited by a fork child fails
# there with Z_STREAM_ERROR (the device's context is the parent's) unless
# the library can go on in software: an inflate stream at most 64 KiB in
# (replayed), a deflate stream at a sync point; a new stream works. And
# inflateCopy() of a device inflate stream more than 64 KiB in fails (the
# device's inflate context cannot be copied; within 64 KiB the copy is a
# software stream replayed from the kept input)
declare -A KNOWN=(
	[decompressobj_copy_late]="decompressobj_copy_late: raised ValueError: Inconsistent stream state"
	[fork_child_late]="fork_child_late: child: error Error -2 new True; parent: True"
	[fork_deflate]="fork_deflate: child: error Error -2; parent: True"
)
API=$here/../libexec/t_zlib_api.py
if pyrun /dev/null "$T/api-ref" env -u LD_PRELOAD "$PY" "$API" > "$T/api.ref" 2>&1 &&
   pyrun "$T/api.stats" "$T/api" "$PY" "$API" > "$T/api.out" 2>&1; then
	while IFS= read -r ref; do
		[[ $ref == info\ * ]] && continue
		name=${ref%%:*}
		got=$(grep -m1 "^$name: " "$T/api.out")
		if [[ $got == "$ref" ]]; then
			pass "api.$name"
		elif [[ -n ${KNOWN[$name]:-} && $got == "${KNOWN[$name]}" ]]; then
			pass "api.$name"
			info "api.$name: a known limit: $got (zlib: ${ref#*: })"
		else
			fail "api.$name" "zlib: ${ref#*: } / libwd_zlib: ${got#*: }"
		fi
	done < "$T/api.ref"
	grep '^info ' "$T/api.out" | sed "s/^info /INFO: $TNAME: api (preloaded): /"
	zstats "$T/api.stats"
	info "api: $(zshare)"
else
	fail api "t_zlib_api.py: $(tail -n 3 "$T/api.ref" "$T/api.out" | tr '\n' ' ')"
fi

# ---- the device's share over every process of every suite ----
files=()
for s in "${SUITES[@]}"; do files+=("$T/$s.stats"); done
zstats "${files[@]}"
info "all suites: $(zshare)"
thr0=()
for s in "${SUITES[@]}"; do thr0+=("$T/thr0.$s.stats"); done
zstats "${thr0[@]}"
info "all suites, WD_ZLIB_THRESHOLD=0: $(zshare)"
device_streams device_share "${files[@]}"
exit $((fails > 0))
