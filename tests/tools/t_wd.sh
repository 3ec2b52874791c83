#!/usr/bin/env bash
# t_wd: native tests of the wd tool (build/bin/wd) on the in-process device:
# list, zip, unzip, digest, the engines, usage and bench, and their bad inputs,
# against gzip/gunzip/sha256sum/zlib. gzip's and sha256sum's rules, compared
# with the real tools: t_wd_gzip.sh (results named t_wd.* too).
# Prints PASS:/FAIL:/SKIP: lines (tests/run.sh counts them; tcheck.sh).
#
# T_WD_ONLY=GLOB runs only the checks whose names match (e.g. 'unzip_*').
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_wd_env.sh
. "${T_WD_ENV:-$here/../libexec/t_wd_env.sh}" || exit 1

# ---- list ----
t_list() {
	"$WD" list > l.txt && grep -q '^local' l.txt && grep -q 'gzip' l.txt &&
	grep -q 'sha256' l.txt
}
check list_local t_list
check list_json bash -c '"$0" list --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"local\"][\"in_process\"]; assert \"gzip\" in d[\"local\"][\"algorithms\"]"' "$WD"
t_list_none() {
	local rc=0
	WD_UACCE_SYSFS=$T/nonexistent "$WD" list --kernel > n.out 2> n.err || rc=$?
	[[ $rc == 1 ]] && grep -q 'no accelerators found' n.err && [[ ! -s n.out ]]
}
check list_none t_list_none
t_list_fake() {
	local d=$T/sys/ua3
	mkdir -p "$d"
	echo 3 > "$d/id"; echo wd_soft_v1 > "$d/api"; echo 6 > "$d/flags"
	echo 17 > "$d/available_instances"; printf 'nop\ncopy\ngzip\n' > "$d/algorithms"
	echo '0 4096 -1 8192' > "$d/qfrs_offset"; echo 4096 > "$d/region_mmio_size"
	echo 0 > "$d/region_dko_size"; echo 69632 > "$d/region_dus_size"
	echo 10 > "$d/numa_distance"; echo 1 > "$d/node_id"; echo 0 > "$d/isolate"
	echo 5 > "$d/isolate_strategy"; echo 'MAJOR=1' > "$d/uevent"
	WD_UACCE_SYSFS=$T/sys "$WD" list --kernel > f.txt &&
	grep -q '^ua3  /dev/ua3  wd_soft_v1  mode sva  free queues 17  node 1' f.txt &&
	grep -q 'algorithms  *nop copy gzip' f.txt && grep -q 'isolate_strategy  *5' f.txt &&
	! grep -q uevent f.txt &&
	WD_UACCE_SYSFS=$T/sys "$WD" list --kernel --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["devices"][0]
assert d["name"] == "ua3" and d["mode"] == "sva" and d["available_instances"] == 17
assert d["algorithms"] == ["nop", "copy", "gzip"] and d["qfrs_offset"] == [0, 4096, -1, 8192]
assert d["node_id"] == 1'
}
check list_fake_sysfs t_list_fake
# A setuid wd takes none of WD_UACCE_SYSFS, WD_DEV_PATH and WD_LOCAL_ENGINES
# from whoever runs it (secure_getenv, as libwd): a setuid-root copy run as
# uid 65534 lists the real sysfs and the default engine count.
t_list_setuid() {
	local s d=$T/suid-sys/ua5 rc=0
	[[ $(id -u) == 0 ]] || { echo "not root: cannot make a setuid-root copy"; return 77; }
	mkdir -p "$d" && echo wd_soft_v1 > "$d/api" && echo 6 > "$d/flags" &&
	printf 'copy\n' > "$d/algorithms" || return 1
	s=$(mktemp -d /tmp/t_wd_suid.XXXXXX) || return 1
	chmod 711 "$s" && cp "$WD" "$s/wd" && chown 0:0 "$s/wd" && chmod 4755 "$s/wd" || {
		rm -rf "$s"
		return 1
	}
	if findmnt -no OPTIONS -T "$s" | grep -qw nosuid; then
		rm -rf "$s"
		echo "$s: nosuid mount"
		return 77
	fi
	cp text suid.in && chmod 644 suid.in && sha256sum < suid.in > suid.sum || return 1
	(cd / && export WD_UACCE_SYSFS=$T/suid-sys WD_DEV_PATH=/dev/ua-bad WD_LOCAL_ENGINES=x &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$s/wd" list &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$s/wd" digest < "$T/suid.in") \
		> suid.out 2>&1 || rc=$?
	rm -rf "$s"
	cat suid.out
	# the fake device is not listed; the in-process device has its default
	# engine count; WD_DEV_PATH does not name the device
	((rc == 0)) && ! grep -q ua5 suid.out && ! grep -q 'WD_LOCAL_ENGINES: invalid' suid.out &&
	grep -q 'engines  *1 (the default' suid.out && grep -qF "$(cut -c1-64 suid.sum)" suid.out
}
check list_setuid_env t_list_setuid

# ---- zip ----
t_zip_file() {
	cp text a && "$WD" zip a && [[ ! -e a && -s a.gz ]] && gzip -t a.gz &&
	gzip -dc a.gz | cmp - text && no_temp
}
check zip_file_gzip_d t_zip_file
check zip_keep bash -c 'cp text k && "$0" zip -k k && [[ -e k && -e k.gz ]] && gzip -dc k.gz | cmp - k' "$WD"
check zip_stdout_c bash -c '"$0" zip -c text > c.gz && [[ -e text ]] && gzip -dc c.gz | cmp - text' "$WD"
check zip_pipe bash -c 'cat rnd | "$0" zip | gzip -dc | cmp - rnd' "$WD"
check zip_python_zlib bash -c '"$0" zip -c text | python3 -c "
import sys, zlib
d = zlib.decompressobj(31); data = sys.stdin.buffer.read(); out = b\"\"
while data:
    out += d.decompress(data); data = d.unused_data; d = zlib.decompressobj(31)
assert out == open(\"text\", \"rb\").read()"' "$WD"
t_levels() {
	"$WD" zip -1 -c text > l1.gz && "$WD" zip -9 -c text > l9.gz &&
	"$WD" zip --fast -c text > lf.gz && cmp l1.gz lf.gz &&
	gzip -dc l1.gz | cmp - text && gzip -dc l9.gz | cmp - text &&
	(($(stat -c %s l9.gz) < $(stat -c %s l1.gz)))
}
check zip_levels t_levels
t_several() {
	cp text s1 && cp rnd s2 && cp empty s3 && "$WD" zip s1 s2 s3 &&
	gzip -dc s1.gz | cmp - text && gzip -dc s2.gz | cmp - rnd &&
	[[ $(gzip -dc s3.gz | wc -c) == 0 ]] && [[ ! -e s1 && ! -e s2 && ! -e s3 ]]
}
check zip_several_files t_several
check zip_empty bash -c '"$0" zip -c empty > e.gz && gzip -t e.gz && [[ $(gzip -dc e.gz | wc -c) == 0 ]]' "$WD"
check zip_chunk_multiples bash -c 'for f in mib1 mib2; do "$0" zip -c $f | gzip -dc | cmp - $f || exit 1; done' "$WD"
# on the in-process device: a gzip member per chunk (one request each, the
# one-shot path), none empty after a last whole chunk; 2 MiB in 1 MiB chunks
t_members() {
	"$WD" -v zip -c --chunk 1M mib2 2> m.err > m.gz &&
	grep -q 'a gzip member each' m.err && python3 -c "
import sys, zlib
data = open(\"m.gz\", \"rb\").read(); n = 0; out = b\"\"
while data:
    d = zlib.decompressobj(31); out += d.decompress(data); data = d.unused_data; n += 1
assert out == open(\"mib2\", \"rb\").read() and n == 2, n"
}
check zip_members_in_process t_members
check zip_small_chunks bash -c '"$0" zip --chunk 4k --queues 3 --depth 7 -c text > sc.gz && gzip -dc sc.gz | cmp - text && "$0" unzip -c sc.gz | cmp - text' "$WD"
t_modes() {
	local ref
	ref=$("$WD" zip -c --device local:sva text | sha256sum)
	[[ $("$WD" zip -c --device local:pasid text | sha256sum) == "$ref" ]] &&
	[[ $("$WD" zip -c --device local:noiommu text | sha256sum) == "$ref" ]] &&
	[[ $("$WD" zip -c --device local:sva,local:pasid --queues 4 text | sha256sum) == "$ref" ]]
}
check zip_same_output_every_mode t_modes
# pigz's method on the device (a dictionary across chunks in flight on
# several queues): gzip -d reads it back, and on real text (4 MiB of
# /usr/include, as make bench's corpus when there is no kernel source) it
# is no larger than pigz -p 2 -6. (On other data it may not
# be: pigz's fresh 128 KiB blocks beat zlib's one stream by 0.6% on `seq`
# output, and at level 1 by 0.2% on the corpus; docs/wd.md.)
t_vs_pigz() {
	command -v pigz > /dev/null || { echo "no pigz"; return 77; }
	find /usr/include -type f -print0 | sort -z | xargs -0 cat 2> /dev/null |
		head -c $((4 << 20)) > pin
	(($(stat -c %s pin) == 4 << 20)) || { echo "no 4 MiB in /usr/include"; return 77; }
	local l w p
	for l in 6; do
		"$WD" zip -$l -c pin > pw.gz && gzip -dc pw.gz | cmp - pin &&
		pigz -p 2 -$l -c < pin > pp.gz || return 1
		w=$(stat -c %s pw.gz) p=$(stat -c %s pp.gz)
		echo "level $l: wd zip $w, pigz -p 2 $p bytes"
		((w <= p)) || return 1
	done
	cat text rnd > pin2 &&
	"$WD" zip -c --device local:pasid,local:noiommu --queues 3 --chunk 200k pin2 | gzip -dc | cmp - pin2
}
check zip_round_trip_and_size_vs_pigz t_vs_pigz
t_exists() {
	cp text x && : > x.gz && ! "$WD" zip x 2> ex.err && grep -q 'already exists' ex.err &&
	[[ -e x && ! -s x.gz ]] && "$WD" zip -f x && gzip -dc x.gz | cmp - text
}
check zip_refuses_existing_output t_exists
# gzip's rule: said, but exit status 0
check zip_refuses_gz_suffix bash -c 'cp text y.gz && "$0" zip y.gz 2> y.err && grep -q "already has .gz suffix" y.err && [[ ! -e y.gz.gz ]]' "$WD"
check zip_missing_file bash -c '! "$0" zip nonexistent 2> m.err && grep -q "nonexistent: No such file" m.err' "$WD"
check zip_directory bash -c 'mkdir -p dd && ! "$0" zip dd 2> d.err && grep -q "is a directory -- ignored" d.err' "$WD"
t_mode_kept() {
	cp text pm && chmod 640 pm && touch -d '2001-02-03 04:05:06' pm && "$WD" zip pm &&
	[[ $(stat -c %a pm.gz) == 640 ]] && [[ $(stat -c %Y pm.gz) == $(date -d '2001-02-03 04:05:06' +%s) ]]
}
check zip_keeps_mode_and_mtime t_mode_kept

# ---- unzip ----
check unzip_own bash -c 'cp text u && "$0" zip u && "$0" unzip u.gz && [[ ! -e u.gz ]] && cmp u text' "$WD"
check unzip_gzip_made bash -c 'gzip -6 -c text > g.gz && "$0" unzip -v -k g.gz 2> g.err && cmp g text && grep -q "g.gz: decompressed on local" g.err' "$WD"
check unzip_pigz_made bash -c 'command -v pigz >/dev/null || exit 0; pigz -p 2 -c rnd > p.gz && "$0" unzip -c p.gz | cmp - rnd' "$WD"
check unzip_multi_member bash -c '(gzip -c text; "$0" zip -c rnd; gzip -1 -c empty; gzip -c mib1) > mm.gz && "$0" unzip -c mm.gz | cmp - <(cat text rnd mib1)' "$WD"
check unzip_stdin bash -c 'gzip -c rnd | "$0" unzip | cmp - rnd && "$0" zip -c text | "$0" unzip -d | cmp - text' "$WD"
check unzip_tgz bash -c 'gzip -c text > z.tgz && "$0" unzip z.tgz && cmp z.tar text' "$WD"
check unzip_test_mode bash -c '"$0" zip -c text > tt.gz && "$0" unzip -t tt.gz && [[ -e tt.gz && ! -e tt ]]' "$WD"
# one decompression stream through any gzip data, in every memory mode,
# against gzip -d: pigz's output (one member, many flushed blocks), members
# of gzip, pigz and wd zip one after the other (cat a.gz b.gz), an empty one
t_unzip_streams() {
	command -v pigz > /dev/null || { echo "no pigz"; return 77; }
	pigz -p 2 -6 -c rnd > pz.gz && (cat text rnd) | pigz -p 2 -1 -c > pz2.gz &&
	gzip -c text > ga.gz && gzip -c empty > ge.gz && "$WD" zip -c mib2 > wa.gz &&
	cat ga.gz pz.gz ge.gz wa.gz pz2.gz > cat.gz || return 1
	local m
	for m in sva pasid noiommu; do
		"$WD" -v unzip -c --device local:$m pz.gz 2> pz.err | cmp - <(gzip -dc pz.gz) &&
		grep -q "pz.gz: decompressed on local:$m ($m mode)" pz.err &&
		"$WD" unzip -c --device local:$m cat.gz | cmp - <(gzip -dc cat.gz) || {
			echo "mode $m: $(cat pz.err)"; return 1; }
	done
}
check unzip_pigz_and_members_every_mode t_unzip_streams
# bad inputs: message, non-zero exit, no output file, no temporary, input kept
bad() {
	local name=$1 file=$2 want=$3 rc=0
	only "$name" || return 0
	"$WD" unzip "$file" 2> "$name.err" || rc=$?
	if ((rc == 0)); then fail "$name" "exit status 0"; return; fi
	if ! grep -q "$want" "$name.err"; then fail "$name" "message: $(cat "$name.err")"; return; fi
	if [[ -e ${file%.gz} ]] || ! no_temp || [[ ! -e $file ]]; then fail "$name" "output or temp left, or input gone"; return; fi
	pass "$name"
}
"$WD" zip -c text > own.gz
gzip -c text > gz.gz
head -c 30000 own.gz > trunc_own.gz
head -c 30000 gz.gz > trunc_gz.gz
head -c 15 own.gz > trunc_hdr.gz
cp own.gz corrupt_own.gz && printf 'XXXX' | dd of=corrupt_own.gz bs=1 seek=5000 conv=notrunc 2>/dev/null
cp gz.gz corrupt_gz.gz && printf 'XXXX' | dd of=corrupt_gz.gz bs=1 seek=5000 conv=notrunc 2>/dev/null
sz=$(stat -c %s gz.gz)
cp gz.gz crc_gz.gz && printf '\xff' | dd of=crc_gz.gz bs=1 seek=$((sz - 6)) conv=notrunc 2>/dev/null
echo 'plain text, not gzip' > notgz.gz
: > e0.gz
bad unzip_truncated_own trunc_own.gz 'unexpected end of input'
bad unzip_truncated_foreign trunc_gz.gz 'unexpected end of input'
bad unzip_truncated_header trunc_hdr.gz 'unexpected end of input'
bad unzip_corrupt_own corrupt_own.gz 'corrupt_own.gz: corrupt input .* at byte offset [0-9]'
bad unzip_corrupt_foreign corrupt_gz.gz 'corrupt_gz.gz: corrupt input .* at byte offset [0-9]'
bad unzip_bad_crc crc_gz.gz 'crc_gz.gz: corrupt input .* at byte offset [0-9]'
bad unzip_not_gzip notgz.gz 'not in gzip format'
bad unzip_empty e0.gz 'unexpected end of input'
# where the damage is: the byte at which zlib, fed one byte at a time, fails
# too (damaged deflate data); a wrong CRC is found in the 8-byte trailer;
# a pipe is not read again and gets the failed request's range
t_corrupt_offset() {
	local want got sz
	want=$(python3 -c '
import sys, zlib
d = open(sys.argv[1], "rb").read(); o = zlib.decompressobj(31)
for i in range(len(d)):
    try:
        o.decompress(d[i:i + 1])
    except zlib.error:
        print(i); break' corrupt_gz.gz)
	got=$("$WD" unzip -c corrupt_gz.gz 2>&1 > /dev/null | sed -n 's/.* at byte offset \([0-9]*\)$/\1/p')
	echo "zlib: $want, wd: $got"
	[[ -n $want && $got == "$want" ]] || return 1
	sz=$(stat -c %s crc_gz.gz)
	got=$("$WD" unzip -c crc_gz.gz 2>&1 > /dev/null | sed -n 's/.* at byte offset \([0-9]*\)$/\1/p')
	echo "crc: $got of $sz"
	[[ -n $got ]] && ((got >= sz - 8 && got < sz)) || return 1
	cat corrupt_gz.gz | "$WD" unzip -c > /dev/null 2> cp.err
	grep -q "stdin: corrupt input .* at byte offset 0 to [0-9]*$" cp.err
}
check unzip_corrupt_offset t_corrupt_offset
check unzip_unknown_suffix bash -c 'cp own.gz own.xyz && ! "$0" unzip own.xyz 2> us.err && grep -q "unknown suffix" us.err' "$WD"
check unzip_test_mode_corrupt bash -c '! "$0" unzip -t corrupt_own.gz 2>/dev/null' "$WD"
t_trailing() {
	local rc=0
	(cat own.gz; echo 'trailing junk') > tg.gz
	"$WD" unzip -c tg.gz > tg.out 2> tg.err || rc=$?
	[[ $rc == 2 ]] && grep -q 'trailing garbage ignored' tg.err && cmp tg.out text
}
check unzip_trailing_garbage t_trailing
t_full() {
	if [[ $(id -u) != 0 ]]; then skip zip_full_disk "not root: cannot mount a small tmpfs"; return 0; fi
	mkdir -p full
	if ! mount -t tmpfs -o size=64k none full 2>/dev/null; then skip zip_full_disk "mount tmpfs refused here"; return 0; fi
	cp -f rnd full/r 2>/dev/null
	head -c 40000 rnd > full/r
	local rc=0
	"$WD" zip -k full/r 2> full.err || rc=$?
	if ((rc != 0)) && grep -q 'No space left on device' full.err && [[ ! -e full/r.gz ]] &&
		no_temp full && cmp full/r <(head -c 40000 rnd); then pass zip_full_disk
	else fail zip_full_disk "rc $rc: $(cat full.err)"; fi
	rm -f full/r
	head -c 500000 /dev/zero | gzip -c > full/t.gz
	rc=0
	"$WD" unzip full/t.gz 2> full2.err || rc=$?
	if ((rc != 0)) && grep -q 'No space left on device' full2.err && [[ ! -e full/t ]] &&
		[[ -e full/t.gz ]] && no_temp full; then pass unzip_full_disk
	else fail unzip_full_disk "rc $rc: $(cat full2.err)"; fi
	umount full
}
if only zip_full_disk || only unzip_full_disk; then t_full; fi

# ---- digest ----
printf '123456789' > nine

# ---- the in-process device's engines (WD_LOCAL_ENGINES) ----
cat text rnd text mib2 > multi		# about 10 MiB: chunks on every queue
t_engines_same_output() {
	WD_LOCAL_ENGINES=1 "$WD" zip -c --queues 4 multi > en1.gz &&
	WD_LOCAL_ENGINES=2 "$WD" zip -c --queues 4 multi > en2.gz &&
	env -u WD_LOCAL_ENGINES "$WD" zip -c --queues 4 multi > en0.gz &&
	cmp en1.gz en2.gz && cmp en0.gz en1.gz && gzip -dc en2.gz | cmp - multi &&
	WD_LOCAL_ENGINES=2 "$WD" unzip -c en2.gz | cmp - multi
}
check zip_local_engines_same_output t_engines_same_output
# the engine threads ("wdlD/E") of a wd zip that waits for its input
engine_threads() {
	local n=0 c
	for c in /proc/"$1"/task/*/comm; do
		[[ $(cat "$c" 2>/dev/null) == wdl* ]] && n=$((n + 1))
	done
	echo "$n"
}
# is process $1 asleep reading its stdin (read(0, ...))?
reading_stdin() {
	local sc st
	sc=$(cat /proc/"$1"/syscall 2>/dev/null) || return 1
	st=$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null) || return 1
	[[ $sc == "0 0x0 "* && $st == S* ]]
}
t_engine_threads() {
	local want pid n i rc=0
	for want in 1 2 3; do
		rm -f fifo && mkfifo fifo || return 1
		if ((want == 1)); then
			env -u WD_LOCAL_ENGINES "$WD" zip -c < fifo > et.gz &
		else
			WD_LOCAL_ENGINES=$want "$WD" zip -c < fifo > et.gz &
		fi
		pid=$!
		exec 7> fifo
		# its queues (and engines) are open before it reads its input:
		# count once it waits for that (30 s: a hang, not a slow host)
		for ((i = 0; i < 3000; i++)); do
			reading_stdin "$pid" && break
			sleep 0.01
		done
		reading_stdin "$pid" || { echo "wd zip never read its input"; rc=1; }
		n=$(engine_threads "$pid")
		head -c 100000 text >&7
		exec 7>&-
		wait "$pid" || rc=1
		if ((n != want)); then echo "WD_LOCAL_ENGINES=$want: $n engine threads"; rc=1; fi
		gzip -dc et.gz | cmp - <(head -c 100000 text) || rc=1
	done
	return $rc
}
check zip_local_engines_threads t_engine_threads
t_engines_invalid() {
	local v rc
	for v in abc 0 17 2x -1 ' 2'; do
		rc=0
		cp text inv
		WD_LOCAL_ENGINES=$v "$WD" zip -c inv > inv.out 2> inv.err || rc=$?
		if ((rc != 1)) || [[ -s inv.out ]] ||
			! grep -q "WD_LOCAL_ENGINES: invalid value '$v'" inv.err; then
			echo "zip -c, WD_LOCAL_ENGINES='$v': rc $rc, $(cat inv.err)"; return 1
		fi
		rc=0
		WD_LOCAL_ENGINES=$v "$WD" zip inv 2> inv.err || rc=$?
		if ((rc != 1)) || [[ -e inv.gz || ! -e inv ]] || ! no_temp ||
			! grep -q 'WD_LOCAL_ENGINES: invalid value' inv.err; then
			echo "zip FILE, WD_LOCAL_ENGINES='$v': rc $rc, $(cat inv.err)"; return 1
		fi
		rc=0
		WD_LOCAL_ENGINES=$v "$WD" digest nine > /dev/null 2> inv.err || rc=$?
		if ((rc != 1)) || ! grep -q 'WD_LOCAL_ENGINES: invalid value' inv.err; then
			echo "digest, WD_LOCAL_ENGINES='$v': rc $rc, $(cat inv.err)"; return 1
		fi
	done
	# with no device named at all: the fallback to the in-process device
	if [[ ! -d /sys/class/uacce ]] || [[ -z $(ls /sys/class/uacce) ]]; then
		rc=0
		env -u WD_DEV_PATH WD_LOCAL_ENGINES=abc "$WD" zip -c text > /dev/null 2> inv.err || rc=$?
		((rc == 1)) && grep -q "WD_LOCAL_ENGINES: invalid value 'abc'" inv.err || return 1
	fi
	# an invalid device name is still called one
	rc=0
	"$WD" zip -c --device local:fast text > /dev/null 2> inv.err || rc=$?
	((rc == 1)) && grep -q 'invalid device name' inv.err
}
check zip_local_engines_invalid t_engines_invalid
t_list_engines() {
	env -u WD_LOCAL_ENGINES "$WD" list | grep -q '^    engines  *1 ' &&
	WD_LOCAL_ENGINES=2 "$WD" list | grep -q '^    engines  *2 (WD_LOCAL_ENGINES)' &&
	WD_LOCAL_ENGINES=5 "$WD" list --json |
		python3 -c 'import json,sys; assert json.load(sys.stdin)["local"]["engines"] == 5' &&
	{ WD_LOCAL_ENGINES=abc "$WD" list > le.out 2> le.err; true; } &&
	grep -q "in-process device: WD_LOCAL_ENGINES: invalid value 'abc'" le.err &&
	! grep -q '^local' le.out
}
check list_local_engines t_list_engines
check digest_sha256_sha256sum_c bash -c '"$0" digest --alg sha256 text rnd empty nine > s.sum && sha256sum -c --quiet s.sum && diff <(sha256sum text rnd empty nine) s.sum' "$WD"
check digest_sha256_stdin bash -c '[[ $(cat rnd | "$0" digest) == "$(sha256sum < rnd)" ]]' "$WD"
check digest_crc32c_vector bash -c '[[ $("$0" digest -a crc32c nine) == "e3069283  nine" ]]' "$WD"
t_crc_ref() {
	"$WD" digest -a crc32c rnd mib2 empty > c.sum &&
	"$WD" digest -a crc32c --device local:pasid rnd mib2 empty > c2.sum &&
	cat rnd | "$WD" digest -a crc32c > c3.sum &&
	diff c.sum c2.sum && [[ $(cut -d' ' -f1 c3.sum) == $(head -n1 c.sum | cut -d' ' -f1) ]] &&
	python3 - c.sum <<'PY'
import sys
t = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    t.append(c)
for line in open(sys.argv[1]):
    h, name = line.rstrip("\n").split("  ", 1)
    c = 0xFFFFFFFF
    for b in open(name, "rb").read():
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    assert int(h, 16) == c ^ 0xFFFFFFFF, name
PY
}
check digest_crc32c_reference t_crc_ref
check digest_modes bash -c 'for d in local:pasid local:noiommu; do diff <("$0" digest --device $d text rnd) <(sha256sum text rnd) || exit 1; done' "$WD"
# files over the device's 64 MiB request limit: one stream each, on the
# device in every mode (-v says where), never in-process
t_digest_large() {
	local m rc=0
	{ cat rnd; head -c $((64 << 20)) /dev/zero; cat rnd; } > z67 &&
	sha256sum z67 text > big.ref || return 1
	for m in sva pasid noiommu; do
		"$WD" -v digest --device local:$m z67 text > big.sum 2> big.err &&
		diff big.sum big.ref && grep -q "z67: 73108864 bytes hashed on local:$m ($m mode)" big.err || {
			echo "mode $m: $(cat big.err)"; rc=1; break; }
	done
	rm -f z67
	return $rc
}
check digest_over_64mib_every_mode t_digest_large
check digest_escaped_names bash -c 'cp nine "we\\ird
name" && "$0" digest "we\\ird
name" > esc.sum && diff esc.sum <(sha256sum "we\\ird
name") && sha256sum -c --quiet esc.sum' "$WD"
t_missing() {
	local rc=0
	"$WD" digest nine nonexistent text > mi.out 2> mi.err || rc=$?
	[[ $rc == 1 ]] && grep -q 'nonexistent: No such file' mi.err &&
	diff mi.out <(sha256sum nine text)
}
check digest_missing_file t_missing
check digest_directory bash -c '! "$0" digest . 2> dir.err && grep -q "Is a directory" dir.err' "$WD"
check digest_unknown_alg bash -c '"$0" digest --alg md5 nine 2> ua.err; [[ $? == 1 ]] && grep -q "unknown algorithm" ua.err' "$WD"

# wd digest on a file truncated right after the tool learned its size: an
# error (exit status 1, "shrank"), never a signal: the mapped path (the
# device reads the mapping) and the read path (over 64 MiB, in-process).
# sha256sum prints a checksum of what it read (docs/wd.md says why not).
t_digest_truncated() {
	local size alg dev rc
	[[ -x $WD_AT ]] || { echo "no $WD_AT"; return 1; }
	for size in 65M 2M; do
		for alg in sha256 crc32c; do
			for dev in local local:pasid; do
				rm -f dt dt.hit && head -c "$size" /dev/zero > dt || return 1
				rc=0
				"$WD_AT" -s fstat,newfstatat,statx -f "$T/dt" \
					-c "truncate -s 1M '$T/dt'; touch '$T/dt.hit'" -- \
					"$WD" digest --device $dev -a $alg dt nine > dt.out 2> dt.err || rc=$?
				((rc == 77)) && { echo "ptrace refused here"; return 77; }
				echo "$size $alg $dev: status $rc: $(cat dt.err)"
				[[ -e dt.hit ]] && ((rc == 1)) && grep -q 'dt: file shrank while it was read' dt.err &&
				[[ $(cut -d' ' -f3 dt.out) == nine ]] || return 1
			done
		done
	done
	rm -f dt
}
check digest_truncated_while_hashed t_digest_truncated

# names with a carriage return, a newline or a backslash: escaped exactly as
# coreutils 9.1's sha256sum does, so that sha256sum -c checks the right file
t_digest_cr() {
	local n1=$'car\rret' n2=$'b\\s\rn\nx' n3=$'plain\r'
	printf 1 > "$n1" && printf 2 > "$n2" && printf 3 > "$n3" || return 1
	"$WD" digest "$n1" "$n2" "$n3" nine > cr.sum && sha256sum "$n1" "$n2" "$n3" nine > cr.ref &&
	cmp cr.sum cr.ref && sha256sum -c --quiet cr.sum &&
	"$WD" digest -a crc32c "$n1" | grep -q '^\\[0-9a-f]\{8\}  car\\rret$'
}
check digest_escapes_cr t_digest_cr

# fds 0-2 closed: messages never land in an output file (gzip's output is
# the same); writing to a closed stdout is an error (as gzip, sha256sum)
t_closed_fds() {
	local g=0 w=0 rc
	(gzip -c text; echo junk) > cf.gz && cp cf.gz cg.gz || return 1
	rm -f cf cg
	gzip -d cg.gz >&- 2>&- || g=$?
	"$WD" unzip cf.gz >&- 2>&- || w=$?
	echo "trailing garbage, stdout and stderr closed: gzip $g, wd $w"
	((g == w)) && cmp cf text && cmp cg text || return 1
	cp text cz && rm -f cz.gz
	rc=0; "$WD" zip cz <&- >&- 2>&- || rc=$?
	echo "zip, all closed: $rc"
	((rc == 0)) && gzip -dc cz.gz | cmp - text || return 1
	g=0; w=0
	gzip -c text >&- 2>/dev/null || g=$?
	"$WD" zip -c text >&- 2> cz.err || w=$?
	echo "zip -c to a closed stdout: gzip $g, wd $w: $(cat cz.err)"
	((g == w)) && grep -q 'stdout: Bad file descriptor' cz.err || return 1
	g=0; w=0
	sha256sum nine >&- 2>/dev/null || g=$?
	"$WD" digest nine >&- 2> cz.err || w=$?
	echo "digest to a closed stdout: sha256sum $g, wd $w: $(cat cz.err)"
	((g == w)) && grep -q 'write error' cz.err
}
check closed_std_fds t_closed_fds

# usage errors: exit status 1 (gzip's, sha256sum's), a message naming the
# problem
t_usage() {
	local c rc
	while read -r c; do
		rc=0
		$c < /dev/null > /dev/null 2> us.err || rc=$?
		echo "$c: $rc: $(head -n 1 us.err)"
		((rc == 1)) && [[ -s us.err ]] || return 1
	done <<-EOF
		$WD zip --bogus
		$WD unzip -Z
		$WD zip --chunk 3k
		$WD zip --chunk 18014398509482008k
		$WD zip --chunk 1Q
		$WD zip --queues 2x
		$WD zip --depth 99999999999999999999
		$WD digest --bogus
		$WD digest --alg md5
		$WD digest --queues 0
		$WD list --bogus
		$WD bench --time -1
		$WD bench --size 1Q
		$WD frobnicate
		$WD
	EOF
	rc=0; gzip --bogus 2> /dev/null || rc=$?; ((rc == 1)) || return 1
	rc=0; sha256sum --bogus 2> /dev/null || rc=$?; ((rc == 1))
}
check usage_errors_status_1 t_usage

# wd list: JSON that any parser takes, whatever sysfs holds
t_list_json_odd() {
	local d=$T/sys2/ua\"7
	mkdir -p "$d" || return 1
	echo +7 > "$d/id"; echo 007 > "$d/available_instances"; echo -0 > "$d/node_id"
	echo '1e3' > "$d/numa_distance"; echo 6 > "$d/flags"; printf 'wd_"soft\\v1\n' > "$d/api"
	printf 'nop +1 0x10\n' > "$d/algorithms"; echo '0 +4096 007 -1 - 1.5' > "$d/qfrs_offset"
	printf 'caf\xe9 \x01\n' > "$d/isolate_strategy"; echo 12 > "$d/region_mmio_size"
	WD_UACCE_SYSFS=$T/sys2 "$WD" list --kernel --json > lj.json || return 1
	cat lj.json
	python3 - lj.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))["devices"][0]
assert d["name"] == 'ua"7' and d["path"] == '/dev/ua"7', d
assert d["id"] == "+7" and d["available_instances"] == "007", d
assert d["node_id"] == 0 and d["numa_distance"] == "1e3", d
assert d["region_mmio_size"] == 12 and d["api"] == 'wd_"soft\\v1', d
assert d["algorithms"] == ["nop", "+1", "0x10"], d
assert d["qfrs_offset"] == [0, "+4096", "007", -1, "-", "1.5"], d
assert d["isolate_strategy"] == "caf\ufffd \x01", d
PY
}
check list_json_odd_values t_list_json_odd

# stdout write errors are errors (coreutils' rule): exit status 1, a message
t_list_full() {
	local c rc
	for c in "list" "list --json" "help" "--version" "zip --help" "digest nine" "bench --help"; do
		rc=0
		"$WD" $c > /dev/full 2> lf.err || rc=$?
		echo "wd $c > /dev/full: $rc: $(cat lf.err)"
		((rc == 1)) && grep -q 'No space left on device' lf.err || return 1
	done
}
check stdout_write_error t_list_full

# a valid member whose "WD" length or size is over this run's buffers: it is
# inflated another way, never refused
t_unzip_big_member() {
	python3 - <<'PY' || return 1
import struct, zlib
data = bytes(40 << 20)
co = zlib.compressobj(6, zlib.DEFLATED, -15)
body = co.compress(data) + co.flush()
mlen = 10 + 2 + 8 + len(body) + 8
hdr = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\x03" + struct.pack("<H", 8) + b"WD" + struct.pack("<HI", 4, mlen)
with open("bm.gz", "wb") as f:
    f.write(hdr + body + struct.pack("<II", zlib.crc32(data), len(data)))
PY
	gzip -t bm.gz && "$WD" unzip -c bm.gz | cmp - <(head -c 40M /dev/zero) &&
	("$WD" zip -c text; cat bm.gz; "$WD" zip -c text) > bm2.gz &&
	"$WD" unzip -c --device local:pasid bm2.gz | cmp - <(cat text; head -c 40M /dev/zero; cat text) &&
	cat text text text text text text > bm6 && "$WD" zip -c --chunk 16M bm6 > bm6.gz &&
	"$WD" unzip -c --chunk 4k bm6.gz | cmp - bm6 &&
	"$WD" unzip -c --chunk 4k --device local:noiommu bm6.gz | cmp - bm6
}
check unzip_member_over_chunk_buffer t_unzip_big_member

# ---- bench: one algorithm on the chosen device (the benchmark harness,
# wd-bench, has its tests in t_wd_bench) ----
t_bench() {
	local a
	for a in nop copy crc32c sha256 gzip; do
		timeout 60 "$WD" bench --alg $a --size 4k --time 0.05 > b.txt || return 1
		cat b.txt
		grep -Eq "^$a on local:sva \(sva mode\), 4096 bytes per request, batch 16, 64 in flight" b.txt &&
		grep -Eq '^  [0-9]+ requests/s  [0-9.]+ MiB/s  latency p50 [0-9.]+ us, p99 [0-9.]+ us$' b.txt ||
		return 1
	done
}
check bench_one_algorithm t_bench
t_bench_json() {
	timeout 60 "$WD" bench --alg copy --size 64 --batch 4 --depth 8 --device local:pasid \
		--time 0.05 --json > bj.json &&
	python3 -c '
import json, sys
d = json.load(open("bj.json"))
assert d["alg"] == "copy" and d["device"] == "local:pasid" and d["mode"] == "pasid", d
assert d["bytes"] == 64 and d["batch"] == 4 and d["depth"] == 8, d
assert d["ops_per_s"] > 0 and d["mib_per_s"] > 0 and d["p99_ns"] >= d["p50_ns"] >= 0, d'
}
check bench_json t_bench_json
check bench_bad_option bash -c '"$0" bench --time -1 2>/dev/null; [[ $? == 1 ]]' "$WD"
check bench_unknown_alg bash -c '"$0" bench --alg md5 2> ba.err; [[ $? == 1 ]] && grep -q "md5 on any device" ba.err' "$WD"
# the product tool carries no benchmark: no liburing, no libdeflate of its
# own (the native one has libwd's in-process device, whose one-shot deflate
# is libdeflate's; the VM one has no in-process device, so none at all), no
# traced worker (the harness's, wd-bench __worker)
t_no_bench_libs() {
	local vmwd=$here/../../vm/bin/wd
	ldd "$WD" && ! ldd "$WD" | grep -Eq 'liburing' || return 1
	if [[ -f $vmwd ]] && command -v nm > /dev/null; then
		! nm "$vmwd" | grep -Eq ' [TtWw] (io_uring_|libdeflate_)' || return 1
	fi
	"$WD" __bench-worker wd:nop:0:1:1: 10 2> bw.err
	[[ $? == 1 ]] && grep -q 'unknown command' bw.err
}
check bench_no_benchmark_libs t_no_bench_libs
check usage_unknown_command bash -c '"$0" frobnicate 2> uc.err; [[ $? == 1 ]] && grep -q "unknown command" uc.err' "$WD"

exit $((fails > 0))
