#!/bin/sh
# suite-tools.sh: the wd tool in the VM, on the kernel device (/dev/uaN):
# every subcommand and its bad inputs, and a short run of the benchmark
# harness (wd-bench). busybox sh; run in /work after
# wd-vm loaded uacce and wd_soft (instance 0, SVA):
#   tools/vm/wd-vm --add build/vm -- sh ./suite-tools.sh
# Prints PASS:/FAIL:/SKIP: lines; exit status 1 if any failed.
cd "$(dirname "$0")" || exit 1
here=$(pwd)
WD=${WD:-wd}
WDB=${WDB:-wd-bench}	# the benchmark harness (tools/bench)
LOCALGZ=$here/tools-local.gz
T=/tmp/suite-tools.$$
mkdir -p "$T" && cd "$T" || exit 1
fails=0

pass() { echo "PASS: tools.$1"; }
fail() { echo "FAIL: tools.$1${2:+ ($2)}"; fails=$((fails + 1)); }
skip() { echo "SKIP: tools.$1 ($2)"; }
ok() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
no_temp() { ! ls -a "${1:-.}" | grep -q '\.wd-tmp\.'; }

seq 1 200000 > text
head -c 2000000 /dev/urandom > rnd
cat text rnd text > cat3
printf '123456789' > nine

# ---- list ----
$WD list > l.txt 2>&1; rc=$?
grep -q '^ua0  /dev/ua0  wd_soft_v3  mode sva' l.txt && grep -q 'algorithms .*gzip' l.txt
ok list_kernel_device $((rc + $?)) "$(cat l.txt)"
$WD list --json > l.json 2>&1; rc=$?
grep -q '"name": "ua0"' l.json && grep -q '"local": null' l.json
ok list_json $((rc + $?)) "$(cat l.json)"
# no device at all: remove instance 0, list, put it back
if echo 0 > /sys/bus/wd_soft/del_device 2>/dev/null; then
	$WD list > n.out 2> n.err; rc=$?
	echo 0 > /sys/bus/wd_soft/new_device
	[ "$rc" = 1 ] && grep -q 'no accelerators found' n.err
	ok list_none $? "rc $rc: $(cat n.err)"
else
	skip list_none "cannot remove wd_soft instance 0"
fi
echo "9 mode=pasid queues=4 engines=2" > /sys/bus/wd_soft/new_device
$WD list > l2.txt 2>&1
grep -q 'mode pasid  free queues 4' l2.txt
ok list_second_instance $? "$(cat l2.txt)"
ua9=$(ls /sys/bus/wd_soft/devices/wd_soft9/uacce 2>/dev/null)

# ---- zip / unzip ----
$WD zip -6 -c text > t.gz; rc=$?
gzip -dc t.gz | cmp - text
ok zip_gzip_d $((rc + $?))
# the in-process device's output for the same input (other bytes: its
# one-shot deflate is libdeflate, several members): unzipped here to it
if [ -f "$LOCALGZ" ]; then
	$WD unzip -c "$LOCALGZ" | cmp - text
	ok zip_in_process_output_unzips $?
else
	skip zip_in_process_output_unzips "no tools-local.gz (native build)"
fi
if [ -n "$ua9" ]; then
	got9=$($WD zip -6 -c --device /dev/$ua9 text | sha256sum | cut -d' ' -f1)
	[ "$got9" = "$(sha256sum < t.gz | cut -d' ' -f1)" ]
	ok zip_same_output_pasid_device $?
	$WD zip -c --device /dev/ua0,/dev/$ua9 --queues 4 rnd | $WD unzip --device /dev/$ua9 | cmp - rnd
	ok zip_two_devices $?
fi
cp text a && $WD zip a && [ ! -e a ] && gzip -t a.gz && $WD unzip a.gz && cmp a text && no_temp
ok zip_unzip_files $?
cat rnd | $WD zip | $WD unzip | cmp - rnd
ok zip_unzip_pipes $?
gzip -c rnd > g.gz && $WD unzip -c g.gz | cmp - rnd
ok unzip_busybox_gzip $?
$WD zip -c text > own.gz
head -c 20000 own.gz > tr.gz
$WD unzip tr.gz 2> tr.err; rc=$?
[ "$rc" != 0 ] && grep -q 'unexpected end of input' tr.err && [ ! -e tr ] && no_temp
ok unzip_truncated $? "rc $rc: $(cat tr.err)"
cp own.gz co.gz && printf 'XXXX' | dd of=co.gz bs=1 seek=3000 conv=notrunc 2>/dev/null
$WD unzip co.gz 2> co.err; rc=$?
[ "$rc" != 0 ] && grep -q 'co.gz: corrupt input .* at byte offset [0-9]' co.err && [ ! -e co ] && no_temp
ok unzip_corrupt $? "rc $rc: $(cat co.err)"
# members of gzip and wd zip one after the other, one decompression stream
# on the PASID device, and its trailing garbage: ignored with a warning
if [ -n "$ua9" ]; then
	gzip -c text > ga.gz && $WD zip -c rnd > wa.gz && cat ga.gz wa.gz ga.gz > cat.gz &&
	$WD -v unzip -c --device /dev/$ua9 cat.gz 2> cat.err | cmp - cat3 &&
	grep -q "cat.gz: decompressed on /dev/$ua9 (pasid mode)" cat.err
	ok unzip_members_pasid $? "$(cat cat.err)"
	(cat ga.gz; echo junk) > tj.gz
	$WD unzip -c --device /dev/$ua9 tj.gz > tj.out 2> tj.err; rc=$?
	[ "$rc" = 2 ] && grep -q 'trailing garbage ignored' tj.err && cmp tj.out text
	ok unzip_trailing_garbage_pasid $? "rc $rc: $(cat tj.err)"
fi
echo 'not gzip' > ng.gz
$WD unzip ng.gz 2> ng.err; rc=$?
[ "$rc" != 0 ] && grep -q 'not in gzip format' ng.err
ok unzip_not_gzip $?
mkdir -p full
if mount -t tmpfs -o size=64k none full 2>/dev/null; then
	head -c 40000 rnd > full/r
	$WD zip -k full/r 2> f.err; rc=$?
	[ "$rc" != 0 ] && grep -q 'No space left on device' f.err && [ ! -e full/r.gz ] && no_temp full && [ -e full/r ]
	ok zip_full_disk $? "rc $rc: $(cat f.err)"
	rm -f full/r
	head -c 500000 /dev/zero | gzip -c > full/t.gz
	$WD unzip full/t.gz 2> f2.err; rc=$?
	[ "$rc" != 0 ] && grep -q 'No space left on device' f2.err && [ ! -e full/t ] && [ -e full/t.gz ] && no_temp full
	ok unzip_full_disk $? "rc $rc: $(cat f2.err)"
	umount full
else
	skip zip_full_disk "mount tmpfs failed"
fi

# ---- digest ----
$WD digest --alg sha256 text rnd nine > s.sum && sha256sum -c s.sum > /dev/null
ok digest_sha256_sha256sum_c $?
[ "$($WD digest < rnd)" = "$(sha256sum < rnd)" ]
ok digest_stdin $?
[ "$($WD digest -a crc32c nine)" = "e3069283  nine" ]
ok digest_crc32c_vector $?
if [ -n "$ua9" ]; then
	[ "$($WD digest -a crc32c --device /dev/$ua9 rnd)" = "$($WD digest -a crc32c rnd)" ] &&
	[ "$($WD digest --device /dev/$ua9 rnd text)" = "$(sha256sum rnd text)" ]
	ok digest_pasid_device $?
fi
# over the device's 64 MiB request limit: one digest stream per file, on the
# device in SVA, PASID and NOIOMMU mode (-v says which), as sha256sum
head -c $((65 << 20)) /dev/zero > z65 && cat rnd >> z65 && sha256sum z65 > z65.ref
echo "8 mode=noiommu queues=2" > /sys/bus/wd_soft/new_device 2>/dev/null
ua8=$(ls /sys/bus/wd_soft/devices/wd_soft8/uacce 2>/dev/null)
for dm in ua0:sva "$ua9:pasid" "$ua8:noiommu"; do
	d=${dm%%:*} m=${dm#*:}
	[ -n "$d" ] || continue
	$WD -v digest --device "/dev/$d" z65 > z65.sum 2> z65.err && cmp z65.sum z65.ref &&
	grep -q "z65: 70157440 bytes hashed on /dev/$d ($m mode)" z65.err
	ok "digest_over_64mib_$m" $? "$(cat z65.err)"
done
[ -n "$ua8" ] || skip digest_over_64mib_noiommu "no NOIOMMU instance"
echo 8 > /sys/bus/wd_soft/del_device 2>/dev/null
rm -f z65
# a file truncated right after wd's first fstat of it (wd_at, static in
# /work/bin): the kernel engine faults on the mapping and the file is an
# error, "shrank", never a signal; the next file is still summed
if command -v wd_at > /dev/null; then
	for alg in sha256 crc32c; do
		head -c 2000000 /dev/zero > dt
		wd_at -s fstat,newfstatat,statx -f "$T/dt" -c "truncate -s 100000 $T/dt" -- \
			$WD digest -a $alg dt nine > dt.out 2> dt.err; rc=$?
		if [ "$rc" = 77 ]; then skip digest_truncated_$alg "ptrace refused here"; continue; fi
		[ "$rc" = 1 ] && grep -q 'dt: file shrank while it was read' dt.err && grep -q '  nine$' dt.out
		ok digest_truncated_$alg $? "rc $rc: $(cat dt.err)"
	done
else
	skip digest_truncated "no wd_at"
fi
$WD digest nine missing > mi.out 2> mi.err; rc=$?
[ "$rc" = 1 ] && grep -q 'missing: No such file' mi.err && [ "$(cat mi.out)" = "$(sha256sum nine)" ]
ok digest_missing_file $?

# ---- bench: wd bench (one algorithm), then the harness (wd-bench) ----
$WD bench --alg sha256 --size 4k --time 0.2 > bs.txt 2>&1; rc=$?
grep -q '^sha256 on /dev/ua0 (sva mode), 4096 bytes per request' bs.txt &&
grep -Eq '^  [0-9]+ requests/s  [0-9.]+ MiB/s  latency p50' bs.txt
ok bench_one_algorithm $((rc + $?)) "$(cat bs.txt)"
modprobe algif_hash 2>/dev/null
$WDB --suite kernel --quick --time 0.05 --no-trace --csv b.csv --json b.json > b.txt 2>&1; rc=$?
grep -q 'AF_ALG' b.txt && grep -q '== targets' b.txt && grep -q '^kernel,' b.csv &&
grep -q '"targets": \[' b.json
ok bench_kernel $((rc + $?)) "$(tail -n 5 b.txt)"
# Debian's kernel has AF_ALG as modules, which wd-vm puts in the guest: the
# comparison must have run, with numbers (other kernels may say unavailable)
grep -E '^  AF_ALG .*sha256 +64 .* [0-9]+ ' b.txt > /dev/null && ! grep -q 'AF_ALG unavailable' b.txt
ok bench_kernel_afalg_measured $? "$(grep AF_ALG b.txt | head -n 3)"
# the submitting thread's CPU time per request (issue 15): the poll() rows
# and AF_ALG at 4 KiB and 64 KiB (their CSV's cpu_ns_per_req column), and
# both targets, by their names. Whether they are met is the machine's
# business, and a row may be "too slow" on a loaded host: not checked.
[ "$(grep -Ec '^kcpu,"[^"]*",(wdpoll|afalg),sha256,(4096|65536),' b.csv)" = 4 ] &&
grep -q '"name": "kernel submitter CPU per request / AF_ALG, sha256 4 KiB (VM)"' b.json &&
grep -q '"name": "kernel submitter CPU per request / AF_ALG, sha256 64 KiB (VM)"' b.json
ok bench_kernel_cpu_rows $? "$(grep '^kcpu,' b.csv)"
# One engine three ways (the kernel suite's cryptoapi group): the rows, and
# the ratios in the JSON. AF_ALG bound by driver name reaches the driver it
# names: wd_soft's engines completed sha256-wd_soft's operations (their
# debugfs counters, read by the harness around 200 operations: at least one
# engine request per operation), and none of the CPU's own driver's. Rows
# that take their time may be "too slow" on a loaded host: the checks are
# of what was there and of counts, not of rates.
grep -q '^cryptoapi,' b.csv && grep -q '"ratios": \[' b.json &&
grep -q '"name": "sha256 64 B: AF_ALG->wd_soft / AF_ALG->' b.json
ok bench_cryptoapi_rows $? "$(grep -A 12 'one engine three ways' b.txt)"
per_op() {
	sed -n "s/^cryptoapi,\"$1\",afalg,$2,$3,.*engine requests per op \([0-9.]*\)\"\$/\1/p" \
		"${4:-b.csv}"
}
ws=$(per_op 'AF_ALG->crypto API->wd_soft' sha256 64)
cpu=$(per_op "AF_ALG->CPU's own driver" sha256 64)
[ -n "$ws" ] && [ -n "$cpu" ] && awk -v w="$ws" -v c="$cpu" 'BEGIN { exit !(w >= 1 && c == 0) }'
ok bench_cryptoapi_bound_by_driver $? "engine requests per op: wd_soft '$ws', CPU '$cpu'"

# ---- permissions: users in and outside the node's group (busybox su) ----
# /dev/ua0 as dist/60-uacce.rules leaves it: root:uacce 0660. Outside the
# group, wd names the device and the group to join; in it, wd works; on a
# NOIOMMU node (the rule keeps those root's: opened up here on purpose),
# the group is not enough and wd names CAP_SYS_RAWIO. docs/install.md.
wdbin=$(command -v "$WD")
cp /etc/passwd pw.bak 2>/dev/null || : > pw.bak
cp /etc/group gr.bak 2>/dev/null || : > gr.bak
printf 'root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/tmp:/bin/sh\nbob:x:1002:1002::/tmp:/bin/sh\n' > /etc/passwd
printf 'root:x:0:\nuacce:x:990:alice\nalice:x:1001:\nbob:x:1002:\n' > /etc/group
chown 0:990 /dev/ua0 && chmod 0660 /dev/ua0
chmod 0755 "$T" && chmod 0644 text
su bob -c "$wdbin digest --alg sha256 --device /dev/ua0 text" > bob.out 2> bob.err; rc=$?
[ "$rc" != 0 ] && grep -q "permission denied on /dev/ua0: join the group 'uacce' (adduser bob uacce, then log in again)" bob.err
ok perm_outside_group_names_group $? "rc $rc: $(cat bob.err)"
su alice -c "$wdbin digest --alg sha256 --device /dev/ua0 text" > a.sum 2> a.err; rc=$?
[ "$rc" = 0 ] && [ "$(cut -d' ' -f1 a.sum)" = "$(sha256sum text | cut -d' ' -f1)" ]
ok perm_group_member_digest $? "rc $rc: $(cat a.err)"
su alice -c "$wdbin zip -c --device /dev/ua0 text" > a.gz 2> a.err; rc=$?
gzip -dc a.gz | cmp -s - text
ok perm_group_member_zip $((rc + $?)) "rc $rc: $(cat a.err)"
# RLIMIT_MEMLOCK counts the pinned pages of all of a user's processes
# (docs/install.md): with one wd of alice holding more than half of her
# 8 MiB limit (blocked reading a FIFO whose writer waits: found by its
# VmPin, not by time), a second one, whose buffers want about 4 MiB even
# with one request in flight, cannot have them, and says which limit, for
# all of her processes together
rm -f memfifo
mkfifo memfifo && chmod 0666 memfifo
sleep 600 > memfifo &
writer=$!
su alice -c "ulimit -l 8192; exec $wdbin zip -c --device /dev/ua0 memfifo" > /dev/null 2>&1 &
holder=$!
i=0
pid=
while [ $i -lt 600 ] && [ -z "$pid" ]; do
	for d in /proc/[0-9]*; do
		grep -q memfifo "$d/cmdline" 2>/dev/null || continue
		pin=$(sed -n 's/^VmPin:[[:space:]]*\([0-9]*\).*/\1/p' "$d/status" 2>/dev/null)
		[ "${pin:-0}" -ge 4200 ] && pid=${d#/proc/}
	done
	[ -n "$pid" ] || sleep 0.1
	i=$((i + 1))
done
su alice -c "ulimit -l 8192; $wdbin digest --alg sha256 --device /dev/ua0 text" > a.sum 2> a.err; rc=$?
[ -n "$pid" ] && [ "$rc" != 0 ] &&
	grep -q "ulimit -l, is 8192 KiB for all of this user's processes together" a.err
ok perm_memlock_counted_per_user $? "rc $rc, holder ${pid:-not pinned 4200 KiB} ($pin KiB pinned): $(cat a.err)"
kill $writer 2>/dev/null	# the holder reads EOF and ends
wait $writer $holder 2>/dev/null
rm -f memfifo
echo "8 mode=noiommu queues=4" > /sys/bus/wd_soft/new_device
ua8=$(ls /sys/bus/wd_soft/devices/wd_soft8/uacce 2>/dev/null)
chown 0:990 "/dev/$ua8" && chmod 0660 "/dev/$ua8"
su alice -c "$wdbin digest --alg sha256 --device /dev/$ua8 text" > a.out 2> a.err; rc=$?
[ "$rc" != 0 ] && grep -q "/dev/$ua8 is a NOIOMMU device: a queue on it needs CAP_SYS_RAWIO" a.err
ok perm_noiommu_names_cap_sys_rawio $? "rc $rc: $(cat a.err)"
echo 8 > /sys/bus/wd_soft/del_device
chown 0:0 /dev/ua0 && chmod 0600 /dev/ua0
cat pw.bak > /etc/passwd && cat gr.bak > /etc/group

echo 9 > /sys/bus/wd_soft/del_device 2>/dev/null

# The same group with half of wd_soft: uacce_mode=2 (no crypto API
# drivers) makes AF_ALG->wd_soft a SKIP with a message and the ring is
# tried; uacce_mode=0 (no /dev/uaN) the other way round. The run
# succeeds both times. Last: wd_soft is reloaded (default parameters after).
reload() { rmmod wd_soft 2>/dev/null; modprobe wd_soft "$@"; }
if reload uacce_mode=2 2> m.err; then
	$WDB --suite cryptoapi --quick --time 0.02 --no-trace > c2.txt 2>&1; rc=$?
	grep -Eq '^  AF_ALG->crypto API->wd_soft +sha256 +SKIP: AF_ALG hash sha256-wd_soft' c2.txt &&
	grep -E '^  uacce, one at a time \(spin\) +sha256 ' c2.txt > r.txt && ! grep -q SKIP r.txt
	ok bench_cryptoapi_skip_uacce_mode_2 $((rc + $?)) "$(cat c2.txt)"
else
	skip bench_cryptoapi_skip_uacce_mode_2 "modprobe wd_soft uacce_mode=2: $(cat m.err)"
fi
if reload uacce_mode=0 2> m.err; then
	$WDB --suite cryptoapi --quick --time 0.02 --no-trace --csv c0.csv > c0.txt 2>&1; rc=$?
	ws=$(per_op 'AF_ALG->crypto API->wd_soft' sha256 64 c0.csv)
	grep -Eq '^  uacce, one at a time \(spin\) +sha256 +SKIP: no uacce device' c0.txt &&
	[ -n "$ws" ] && awk -v w="$ws" 'BEGIN { exit !(w >= 1) }'
	ok bench_cryptoapi_uacce_mode_0 $((rc + $?)) "$(cat c0.txt)"
else
	skip bench_cryptoapi_uacce_mode_0 "modprobe wd_soft uacce_mode=0: $(cat m.err)"
fi
reload || fail bench_cryptoapi_reload "modprobe wd_soft failed"
cd / && rm -rf "$T"
[ "$fails" = 0 ]
