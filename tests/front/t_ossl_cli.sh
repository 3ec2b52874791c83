#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# t_ossl_cli: the provider "wd" (docs/openssl.md) from the openssl command,
# natively on the in-process device (WD_DEV_PATH=local):
#  - dgst: `openssl dgst -sha256` with the provider equals sha256sum on random
#    files of 0 B to 200 MiB, its WD_OSSL_STATS line counting every byte on
#    one side or the other and offloaded bytes for the large ones; with
#    -provider wd alone too;
#  - openssl.cnf: docs/openssl.md's snippet (module, activate, threshold,
#    default_properties) given with OPENSSL_CONF, no command-line option;
#  - speed: `openssl speed -evp sha256` on the provider runs and reports
#    (nothing timed is asserted);
#  - install: `make -C front install DESTDIR=...`, then dgst from there.
# Installed as build/native/bin/t_ossl_cli; prints PASS:/FAIL:/SKIP: lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
M=$top/build/front/ossl-modules
failed=0
pass() { echo "PASS: t_ossl_cli.$1"; }
fail() { echo "FAIL: t_ossl_cli.$1: $2"; failed=1; }
if ! command -v openssl >/dev/null || ! command -v sha256sum >/dev/null; then
	echo "SKIP: t_ossl_cli: no openssl or sha256sum command"
	exit 0
fi
if [[ ! -f $M/wd.so ]]; then
	echo "FAIL: t_ossl_cli: no $M/wd.so (make front)"
	exit 1
fi
tmp=$(mktemp -d /tmp/t_ossl_cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export WD_DEV_PATH=local
unset WD_OSSL_THRESHOLD WD_OSSL_FALLBACK WD_OSSL_STATS OPENSSL_CONF OPENSSL_MODULES

# the field $2 of the last stats line in file $1
stat_of() { tail -n 1 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ---- dgst against sha256sum ----
# dgst reads 8 KiB at a time: the provider gathers its updates into
# requests of the threshold (default 256 KiB), so every whole 256 KiB of a
# file is offloaded (docs/openssl.md)
sizes=(0 1 63 64 65 4095 $((1048576 + 3)) $((16777216 + 5)) $((200 * 1048576)))
for n in "${sizes[@]}"; do
	f=$tmp/f$n
	head -c "$n" /dev/urandom > "$f"
	want=$(sha256sum "$f" | cut -d' ' -f1)
	for mode in both alone; do
		provs=(-provider wd -provider default)
		[[ $mode == alone ]] && provs=(-provider wd)
		# a big file once is enough for the provider alone
		[[ $mode == alone && $n -gt 20000000 ]] && continue
		st=$tmp/stats.$n.$mode
		got=$(WD_OSSL_STATS=$st openssl dgst \
			-provider-path "$M" "${provs[@]}" -propquery provider=wd \
			-sha256 -r "$f" 2>"$tmp/err" | cut -d' ' -f1)
		name=dgst.$mode.$n
		if [[ $got != "$want" ]]; then
			fail "$name" "digest $got, sha256sum $want ($(head -c 300 "$tmp/err"))"
			continue
		fi
		if [[ ! -s $st ]]; then
			fail "$name" "no WD_OSSL_STATS line"
			continue
		fi
		off=$(stat_of "$st" offloaded_bytes)
		sw=$(stat_of "$st" software_bytes)
		if ((off + sw != n)); then
			fail "$name" "offloaded $off + software $sw bytes is not $n: $(cat "$st")"
		elif ((off != n / 262144 * 262144)); then
			fail "$name" "only $off bytes offloaded: $(cat "$st")"
		elif [[ -s $tmp/err ]]; then
			fail "$name" "stderr: $(head -c 300 "$tmp/err")"
		else
			pass "$name"
		fi
	done
done

# ---- openssl.cnf (docs/openssl.md's snippet) ----
cat > "$tmp/openssl.cnf" <<EOF
openssl_conf = openssl_init

[openssl_init]
providers = provider_sect
alg_section = algorithm_sect

[provider_sect]
default = default_sect
wd = wd_sect

[default_sect]
activate = 1

[wd_sect]
module = $M/wd.so
activate = 1
threshold = 4096

[algorithm_sect]
default_properties = ?provider=wd
EOF
f=$tmp/f$((1048576 + 3))
want=$(sha256sum "$f" | cut -d' ' -f1)
got=$(OPENSSL_CONF=$tmp/openssl.cnf WD_OSSL_STATS=$tmp/stats.cnf \
	openssl dgst -sha256 -r "$f" 2>"$tmp/err" | cut -d' ' -f1)
off=$(stat_of "$tmp/stats.cnf" offloaded_reqs 2>/dev/null)
# threshold = 4096 from the config: each of dgst's 128 updates of 8 KiB is
# a request (the default's 256 KiB would make 4)
if [[ $got != "$want" ]]; then
	fail openssl_cnf "digest $got, sha256sum $want ($(head -c 300 "$tmp/err"))"
elif [[ $off != 128 ]]; then
	fail openssl_cnf "'${off}' requests, not 128: not the provider, or not its threshold"
else
	pass openssl_cnf
fi
# the environment has the last word over the config's threshold: 64 KiB
# requests, 16 of them
OPENSSL_CONF=$tmp/openssl.cnf WD_OSSL_THRESHOLD=65536 WD_OSSL_STATS=$tmp/stats.env \
	openssl dgst -sha256 "$f" >/dev/null 2>&1
off=$(stat_of "$tmp/stats.env" offloaded_reqs 2>/dev/null)
if [[ $off == 16 ]]; then pass env_over_cnf; else fail env_over_cnf "'$off' requests, not 16"; fi

# ---- speed ----
out=$(WD_OSSL_STATS=$tmp/stats.speed openssl speed -provider-path "$M" \
	-provider wd -provider default -propquery provider=wd -elapsed \
	-evp sha256 -bytes 1048576 -seconds 1 2>&1)
if ! grep -q '^sha256 ' <<<"$out"; then
	fail speed "no result line: $(tail -n 5 <<<"$out")"
elif (($(stat_of "$tmp/stats.speed" offloaded_reqs 2>/dev/null || echo 0) == 0)); then
	fail speed "nothing offloaded: $(cat "$tmp/stats.speed" 2>/dev/null)"
else
	pass speed
	echo "# $(grep '^sha256 ' <<<"$out")"
fi

# ---- make install ----
dest=$tmp/dest
if ! make -s -C "$top/front" install DESTDIR="$dest" PREFIX=/usr/local >"$tmp/install.log" 2>&1; then
	fail install "make install: $(tail -n 5 "$tmp/install.log")"
elif [[ ! -f $dest/usr/local/lib/ossl-modules/wd.so ]]; then
	fail install "no wd.so in $dest/usr/local/lib/ossl-modules"
elif [[ ! -f $dest/usr/local/share/man/man7/wd_openssl.7 ]]; then
	fail install "no man page wd_openssl.7 in $dest/usr/local/share/man/man7"
else
	f=$tmp/f65
	want=$(sha256sum "$f" | cut -d' ' -f1)
	got=$(WD_OSSL_STATS=$tmp/stats.inst openssl dgst \
		-provider-path "$dest/usr/local/lib/ossl-modules" -provider wd \
		-propquery provider=wd -sha256 -r "$f" 2>&1 | cut -d' ' -f1)
	if [[ $got == "$want" && $(stat_of "$tmp/stats.inst" software_bytes) == 65 ]]; then
		pass install
	else
		fail install "digest '$got' (want $want), stats $(cat "$tmp/stats.inst" 2>/dev/null)"
	fi
	make -s -C "$top/front" uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
	left=$(find "$dest" -type f -printf '%P ')
	if [[ -n $left ]]; then
		fail uninstall "left: $left"
	else
		pass uninstall
	fi
fi
exit $failed
