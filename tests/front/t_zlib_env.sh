# t_zlib_env.sh: the setup the zlib front door's validation scripts
# (t_zlib_python, t_zlib_pigz, t_zlib_install) source, one copy, once TNAME
# (the prefix of every result line) and `here` (the script's directory,
# build/native/bin) are set: the project's top, the library, a scratch
# directory T (removed on exit), the result lines and the stats sums.
# The caller ends with exit $((fails > 0)).
#
# T_ZLIB_LIB=path preloads another library instead of
# build/front/lib/libwd_zlib.so.1: how the checks are seen to fail when the
# preload does nothing (e.g. an empty shared object).
# shellcheck shell=bash
top=$(cd "$here/../../.." && pwd)
ZLIB_SO=${T_ZLIB_LIB:-$top/build/front/lib/libwd_zlib.so.1}
T=$(mktemp -d "${TMPDIR:-/tmp}/$TNAME.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $TNAME.$1"; }
fail() { echo "FAIL: $TNAME.$1${2:+ ($2)}"; fails=$((fails + 1)); }
skip() { echo "SKIP: $TNAME.$1${2:+ ($2)}"; }
info() { echo "INFO: $TNAME: $*"; }
# check NAME CMD...: PASS when CMD succeeds (its output in $T/out.NAME, the
# last lines of it in the FAIL line); exit status 77 is a SKIP
check() {
	local n=$1 rc=0
	shift
	"$@" >"$T/out.$n" 2>&1 || rc=$?
	if ((rc == 0)); then pass "$n"
	elif ((rc == 77)); then skip "$n" "$(tail -n 1 "$T/out.$n")"
	else fail "$n" "$(tail -n 3 "$T/out.$n" | tr '\n' ' ')"; fi
}
[[ -f $ZLIB_SO ]] || { fail setup "no $ZLIB_SO (make front)"; exit 1; }

# zstats FILE...: the sums of the "wd-zlib pid=P key=N ..." lines of the
# stats files (every process of a run appends its own) into the array Z
# (Z[deflate_dev] ...; Z[lines]: how many lines), all keys 0 when none.
declare -A Z
zstats() {
	local k v
	Z=()
	for k in lines deflate_dev deflate_sw inflate_dev inflate_sw dev_in_bytes \
		sw_in_bytes dev_out_bytes sw_out_bytes fallbacks errors; do
		Z[$k]=0
	done
	while read -r k v; do
		Z[$k]=$v
	done < <(cat "$@" 2>/dev/null | awk '$1 == "wd-zlib" {
		n++
		for (i = 2; i <= NF; i++) {
			split($i, a, "=")
			if (a[1] != "pid") s[a[1]] += a[2]
		}
	}
	END { print "lines", n + 0; for (k in s) print k, s[k] }')
}
# pct PART WHOLE: PART as a percentage of WHOLE, one decimal ("-" if 0)
pct() { awk -v p="$1" -v w="$2" 'BEGIN { if (w > 0) printf "%.1f%%", 100 * p / w; else printf "-" }'; }
# the device's share of what Z sums, one line
zshare() {
	echo "deflate streams ${Z[deflate_dev]} device / ${Z[deflate_sw]} software" \
		"($(pct "${Z[deflate_dev]}" $((Z[deflate_dev] + Z[deflate_sw])))), inflate streams" \
		"${Z[inflate_dev]} / ${Z[inflate_sw]} ($(pct "${Z[inflate_dev]}" $((Z[inflate_dev] + Z[inflate_sw])))), input bytes" \
		"${Z[dev_in_bytes]} / ${Z[sw_in_bytes]} ($(pct "${Z[dev_in_bytes]}" $((Z[dev_in_bytes] + Z[sw_in_bytes])))), output bytes" \
		"${Z[dev_out_bytes]} / ${Z[sw_out_bytes]} ($(pct "${Z[dev_out_bytes]}" $((Z[dev_out_bytes] + Z[sw_out_bytes])))), fallbacks" \
		"${Z[fallbacks]}, errors ${Z[errors]}, ${Z[lines]} processes"
}

# device_streams NAME STATS-FILE...: PASS if the stats lines (zstats) show
# device deflate and inflate streams, else FAIL (the share in an INFO line)
device_streams() {
	local name=$1
	shift
	zstats "$@"
	info "$(zshare)"
	if ((${Z[deflate_dev]} > 0 && ${Z[inflate_dev]} > 0)); then
		pass "$name"
	else
		fail "$name" "device streams: deflate ${Z[deflate_dev]}, inflate ${Z[inflate_dev]} (${Z[lines]} stats lines)"
	fi
}
