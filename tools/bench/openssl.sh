#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The OpenSSL provider "wd" (docs/openssl.md) beside OpenSSL's default
# provider, natively on the in-process device (WD_DEV_PATH, default local):
#   openssl.txt   `openssl speed -elapsed -evp sha256 -bytes N` (one digest
#                 of N bytes per operation: one update) for a few sizes:
#                 default provider, wd with its default threshold, wd with
#                 threshold 0 (every update a device request); then
#                 ossl_crossover's table (the threshold's measurement)
#   openssl.csv   the speed rows: provider,bytes,kB_per_s
# Usage: tools/bench/openssl.sh [OUT_DIR]  (default build/bench); bench.sh
# runs it after its native run. Needs `make front` (wd.so, ossl_crossover).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/bench}
M=build/front/ossl-modules
cross=build/native/libexec/ossl_crossover
secs=${OSSL_BENCH_SECONDS:-1}
[[ -f $M/wd.so && -x $cross ]] || { echo "openssl.sh: run 'make front' first" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl.sh: no openssl command" >&2; exit 1; }
mkdir -p "$out"
export WD_DEV_PATH=${WD_DEV_PATH:-local}
unset WD_OSSL_THRESHOLD WD_OSSL_FALLBACK WD_OSSL_STATS OPENSSL_CONF

# kB/s of one `openssl speed` run: $1 bytes, the rest its provider options
speed() {
	local n=$1
	shift
	openssl speed -elapsed -seconds "$secs" -bytes "$n" "$@" -evp sha256 2>/dev/null |
		awk '/^sha256 / { sub(/k$/, "", $2); print $2 }'
}

sizes=(4096 65536 262144 1048576 16777216)
echo "provider,bytes,kB_per_s" > "$out/openssl.csv"
{
	echo "openssl speed -elapsed -evp sha256 -bytes N -seconds $secs ($(openssl version | cut -d' ' -f1-2)), WD_DEV_PATH=$WD_DEV_PATH"
	printf '%10s %14s %14s %14s %9s\n' bytes "default MB/s" "wd MB/s" "wd thr=0 MB/s" "thr0/def"
	for n in "${sizes[@]}"; do
		d=$(speed "$n" -provider default)
		w=$(speed "$n" -provider-path "$M" -provider wd -provider default -propquery provider=wd)
		z=$(WD_OSSL_THRESHOLD=0 speed "$n" -provider-path "$M" -provider wd -provider default \
			-propquery provider=wd)
		printf '%s,%s,%s\n' default "$n" "$d" wd "$n" "$w" wd-thr0 "$n" "$z" >> "$out/openssl.csv"
		awk -v n="$n" -v d="$d" -v w="$w" -v z="$z" 'BEGIN {
			printf "%10d %14.0f %14.0f %14.0f %9.2f\n", n, d / 1000, w / 1000, z / 1000, z / d }'
	done
	echo
	"$cross" "$M"
} | tee "$out/openssl.txt"
