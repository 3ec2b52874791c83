#!/bin/sh
# shellcheck shell=dash # busybox ash: like dash, it has local
# t_crypto.sh: wd_soft's crypto API front door (docs/crypto.md) in the VM,
# against the kernel's own implementations and busybox's sha256sum:
# /proc/crypto, digests through AF_ALG (kcapi-dgst, wd-crypto), tcrypt's
# async hash speed test, uacce_mode, the lifetime of a tfm (del_device and
# rmmod refused while one is bound), the backlog (debugfs hold + kq_limit)
# and zswap compressing with deflate-wd_soft.
# busybox sh; run by suite.sh (before t_module) with uacce and wd_soft loaded
# with their defaults, or alone:
#   tools/vm/wd-vm --add build/vm -- sh ./t_crypto.sh [PART]...
# PARTs: algs digest tcrypt mode lifetime backlog zswap (default: all).
# Prints PASS:/FAIL:/SKIP: lines; leaves both modules loaded with their
# defaults and no tfm bound; exit status 1 if any test failed.
BIN=${BIN:-/work/bin}
[ -d "$BIN" ] || BIN=/opt/wd/bin
KO=${KO:-/lib/modules/wd}
PATH=$BIN:$PATH
BUS=/sys/bus/wd_soft
DBG=/sys/kernel/debug/wd_soft
PARAM=/sys/module/wd_soft/parameters
T=/tmp/t_crypto.$$
mkdir -p "$T" || exit 1
fails=0

pass() { echo "PASS: crypto.$1"; }
# (the reason on the same line, shortened)
fail() {
	echo "FAIL: crypto.$1: $(echo "$2" | tr '\n' ' ' | cut -c 1-600)"
	fails=$((fails + 1))
}
skip() { echo "SKIP: crypto.$1: $2"; }
# ok NAME STATUS WHY: PASS if STATUS is 0, else FAIL with WHY
ok() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
# check NAME WHY: PASS if WHY (what went wrong) is empty, else FAIL with it
check() { if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi; }
loaded() { [ -d "/sys/module/$1" ]; }
# note TEXT: a progress line with the guest's uptime (T_CRYPTO_VERBOSE=1)
note() { [ -z "$T_CRYPTO_VERBOSE" ] || echo "# $(cut -d' ' -f1 /proc/uptime) $*"; }

# the IDs of the wd_soft instances (their debugfs directories)
insts() {
	for d in "$DBG"/wd_soft*; do
		[ -d "$d" ] && echo "${d##*/wd_soft}"
	done
}
# ctr ID KEY: the instance's debugfs crypto counter KEY; -1 when missing
# (arithmetic goes on, and no "grows" or "is 0" holds)
ctr() {
	local v
	v=$(sed -n "s/^$2 //p" "$DBG/wd_soft$1/crypto" 2>/dev/null)
	echo "${v:--1}"
}
# ctr_sum KEY: KEY summed over all instances
ctr_sum() {
	local i s=0
	for i in $(insts); do s=$((s + $(ctr "$i" "$1"))); done
	echo $s
}
# mapped_sum: request bytes all instances' engines reached in place
mapped_sum() {
	local i s=0 v
	for i in $(insts); do
		v=$(cat "$DBG/wd_soft$i/bytes_mapped" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}
# bound_inst: the first instance with a tfm bound (empty if none)
bound_inst() {
	local i
	for i in $(insts); do
		[ "$(ctr "$i" tfms)" -gt 0 ] 2>/dev/null && { echo "$i"; return; }
	done
}
# poll SECS CMD...: run CMD every 0.1 s until it succeeds (0) or SECS seconds
# of uptime pass (1): a bound in time, whatever CMD itself costs
poll() {
	local end=$(($(uptime_cs) + $1 * 100))
	shift
	while ! "$@"; do
		[ "$(uptime_cs)" -ge $end ] && return 1
		sleep 0.1
	done
}
# uptime_cs: the uptime in hundredths of a second
uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
# rmmod_refused NAME WHILE: rmmod wd_soft must fail (a tfm holds the
# module); if it succeeds, a FAIL and the module is loaded again
rmmod_refused() {
	if rmmod wd_soft 2>"$T/err"; then
		fail "$1" "rmmod wd_soft succeeded $2"
		insmod "$KO/wd_soft.ko"
	else
		loaded wd_soft
		ok "$1" $? "wd_soft gone: $(cat "$T/err")"
	fi
}
# no_tfms: no tfm bound to any instance
no_tfms() { [ "$(ctr_sum tfms)" = 0 ]; }
# dbg_write ID FILE VALUE: debugfs write; hold answers EAGAIN when the
# engines did not settle within a tenth of a second: write again
dbg_write() {
	local r n=50
	while r=$(wd-crypto write "$DBG/wd_soft$1/$2" "$3"); [ "${r%% *}" = EAGAIN ]; do
		n=$((n - 1))
		[ $n -le 0 ] && break
	done
	[ "${r%% *}" = ok ] || echo "debugfs $2=$3 on wd_soft$1: $r"
}
# sha FILE: the reference SHA-256 (busybox's sha256sum, once per file)
sha() {
	[ -s "$1.sha" ] || sha256sum "$1" | cut -d' ' -f1 >"$1.sha"
	cat "$1.sha"
}
# kdgst ALG FILE: kcapi-dgst's hex digest of FILE through ALG (wd-crypto's
# where kcapi-dgst cannot run: see KCAPI below)
kdgst() {
	if [ "$KCAPI" = 1 ]; then
		kcapi-dgst -c "$1" --hex -i "$2" 2>&1
	else
		wd-crypto digest "$1" "$2" 2>&1
	fi
}
# proc_block DRIVER: the /proc/crypto entries of DRIVER
proc_block() {
	awk -v d="$1" '/^name/ { blk = "" } { blk = blk $0 "\n" }
		/^driver/ && $3 == d { hit = 1 }
		/^$/ { if (hit) printf "%s", blk; hit = 0; blk = "" }
		END { if (hit) printf "%s", blk }' /proc/crypto
}
# field BLOCK KEY: KEY's value in a /proc/crypto block
field() { echo "$1" | sed -n "s/^$2 *: //p" | head -n 1; }
# reload PARAMS...: wd_soft again with PARAMS (no tfm must be bound)
reload() {
	rmmod wd_soft 2>"$T/err" || { echo "rmmod wd_soft: $(cat "$T/err")"; return 1; }
	insmod "$KO/wd_soft.ko" "$@" 2>"$T/err" ||
		{ echo "insmod wd_soft $*: $(cat "$T/err")"; return 1; }
}
# the defaults back, whatever a failed test left
restore() {
	loaded uacce || insmod "$KO/uacce.ko"
	if ! loaded wd_soft; then
		insmod "$KO/wd_soft.ko"
	elif [ "$(cat $PARAM/uacce_mode 2>/dev/null)" != 1 ] ||
	     [ "$(cat $PARAM/crypto_priority 2>/dev/null)" != 0 ]; then
		poll 60 no_tfms
		reload >/dev/null
	fi
}

# AF_ALG loaded before concurrent users (two first socket() calls at once
# can see EAFNOSUPPORT); kcapi-dgst asks NETLINK_CRYPTO (crypto_user) first
for m in af_alg algif_hash crypto_user; do
	modprobe $m 2>/dev/null
done

# kcapi-dgst needs NETLINK_CRYPTO (CONFIG_CRYPTO_USER: Debian's kernel has
# it, the debug kernel not): without it, one SKIP and wd-crypto instead
echo abc >"$T/abc"
KCAPI=1
if ! out=$(kcapi-dgst -c sha256 --hex -i "$T/abc" 2>&1) ||
   [ "$out" != "$(sha256sum "$T/abc" | cut -d' ' -f1)" ]; then
	KCAPI=0
	skip kcapi_dgst "kcapi-dgst does not work here, wd-crypto digests instead: $(echo "$out" | tail -n 1)"
fi

# test files: sizes around SHA-256's 64-byte block and a page, and large
SIZES="0 1 63 64 65 4095 1048579 16777221"
for n in $SIZES; do
	head -c "$n" /dev/urandom >"$T/f$n"
done

t_algs() {
	prio=$(cat $PARAM/crypto_priority 2>/dev/null)
	for spec in sha256:ahash:32 crc32c:ahash:4 deflate:acomp:; do
		name=${spec%%:*}
		d=$name-wd_soft
		rest=${spec#*:}
		type=${rest%%:*}
		ds=${rest#*:}
		b=$(proc_block "$d")
		why=
		if [ -z "$b" ]; then
			why="not in /proc/crypto"
		elif [ "$(echo "$b" | grep -c '^driver')" != 1 ]; then
			why="registered $(echo "$b" | grep -c '^driver') times"
		else
			for kv in "name:$name" module:wd_soft selftest:passed "type:$type" \
				  "priority:$prio" ${ds:+digestsize:$ds}; do
				v=$(field "$b" "${kv%%:*}")
				[ "$v" = "${kv#*:}" ] || why="$why ${kv%%:*} '$v' (want '${kv#*:}')"
			done
		fi
		[ -n "$prio" ] || why="$why; no $PARAM/crypto_priority"
		check "algs.$name" "$why"
	done
}

t_digest() {
	# sha256-wd_soft against sha256sum; the engines count every request
	# and hash the kernel queues' data in place (debugfs bytes_mapped)
	c0=$(ctr_sum sha256)
	m0=$(mapped_sum)
	why=
	total=0
	for n in $SIZES; do
		got=$(kdgst sha256-wd_soft "$T/f$n")
		[ "$got" = "$(sha "$T/f$n")" ] || why="$why $n bytes: '$got';"
		total=$((total + n))
	done
	c1=$(ctr_sum sha256)
	m1=$(mapped_sum)
	check digest.sha256_kcapi "$why"
	[ "$c1" -gt "$c0" ]
	ok digest.sha256_counted $? "debugfs sha256 $c0 -> $c1"
	[ $((m1 - m0)) -ge "$total" ]
	ok digest.sha256_in_place $? "debugfs bytes_mapped $m0 -> $m1 for $total bytes"
	# wd-crypto's own AF_ALG path (t_crypto's other tests use it)
	why=
	for n in 0 65 4095 1048579; do
		got=$(wd-crypto digest sha256-wd_soft "$T/f$n" 2>&1)
		[ "$got" = "$(sha "$T/f$n")" ] || why="$why $n bytes: '$got';"
	done
	check digest.sha256_af_alg "$why"
	# by name, at the default priority, a user still gets a CPU driver
	if [ "$(cat $PARAM/crypto_priority)" = 0 ]; then
		c0=$(ctr_sum sha256)
		why=
		for n in $SIZES; do
			got=$(kdgst sha256 "$T/f$n")
			[ "$got" = "$(sha "$T/f$n")" ] || why="$why $n bytes: '$got';"
		done
		c1=$(ctr_sum sha256)
		[ "$c1" = "$c0" ] || why="$why debugfs sha256 $c0 -> $c1"
		check digest.sha256_by_name_not_wd_soft "$why"
	else
		skip digest.sha256_by_name_not_wd_soft "crypto_priority is not 0"
	fi
	# crc32c-wd_soft against the kernel's crc32c-generic
	modprobe crc32c_generic 2>/dev/null
	c0=$(ctr_sum crc32c)
	why=
	for n in $SIZES; do
		ref=$(kdgst crc32c-generic "$T/f$n")
		got=$(kdgst crc32c-wd_soft "$T/f$n")
		[ ${#ref} = 8 ] && [ "$got" = "$ref" ] || why="$why $n bytes: '$got' != '$ref';"
	done
	c1=$(ctr_sum crc32c)
	[ "$c1" -gt "$c0" ] || why="$why debugfs crc32c $c0 -> $c1"
	check digest.crc32c_kcapi "$why"
	# with a seed (the 4-byte key, little endian): kcapi-dgst --keyfd and
	# wd-crypto, the seed making a difference
	why=
	for key in 00000000 78563412 ffffffff; do
		# shellcheck disable=SC2059 # the format is the key's bytes as \xHH
		printf "$(echo "$key" | sed 's/../\\x&/g')" >"$T/key"
		for n in 0 65 1048579; do
			ref=$(wd-crypto digest crc32c-generic "$T/f$n" $key 2>&1)
			got=$(wd-crypto digest crc32c-wd_soft "$T/f$n" $key 2>&1)
			got2=$ref
			[ "$KCAPI" = 0 ] ||
				got2=$(kcapi-dgst -c crc32c-wd_soft --hex -i "$T/f$n" --keyfd 3 3<"$T/key" 2>&1)
			[ ${#ref} = 8 ] && [ "$got" = "$ref" ] && [ "$got2" = "$ref" ] ||
				why="$why key $key $n bytes: '$got', '$got2' != '$ref';"
		done
	done
	[ "$(wd-crypto digest crc32c-wd_soft "$T/f65" 78563412)" != \
	  "$(wd-crypto digest crc32c-wd_soft "$T/f65")" ] || why="$why the seed changed nothing"
	check digest.crc32c_key "$why"
}

# tcrypt's mode 400 with alg=: test_ahash_speed() (async allowed; mode 300
# asks for a synchronous hash), sec=0: cycle counts of 22 block/update sizes
# (generic_hash_speed_template). Its init fails with EAGAIN by design; one
# finit_module() (wd-crypto finit), as busybox's modprobe would run it twice.
t_tcrypt() {
	ko=$(find /lib/modules/"$(uname -r)" -name 'tcrypt.ko*' | head -n 1)
	if [ -z "$ko" ]; then
		fail tcrypt "no tcrypt.ko in /lib/modules/$(uname -r)"
		return
	fi
	for a in sha256 crc32c; do
		d=$a-wd_soft
		n0=$(dmesg | wc -l)
		c0=$(ctr_sum "$a")
		r=$(wd-crypto finit "$ko" "mode=400 sec=0 alg=$d" 2>&1)
		dmesg | tail -n +$((n0 + 1)) >"$T/tc.log"
		c1=$(ctr_sum "$a")
		# (a line of the test and its result, printed with pr_cont, may
		# be split by another CPU's message: count both halves)
		lines=$(grep -c 'tcrypt: test *[0-9]* (.*byte blocks' "$T/tc.log")
		res=$(grep -o 'cycles/operation' "$T/tc.log" | wc -l)
		why=
		[ "$r" = EAGAIN ] || why="$why finit_module: $r (tcrypt's init ends with EAGAIN);"
		grep -q "testing speed of async $d ($d)" "$T/tc.log" ||
			why="$why no 'testing speed of async $d ($d)';"
		[ "$lines" = 22 ] && [ "$res" = 22 ] ||
			why="$why $lines of 22 speed tests, $res of 22 results;"
		bad=$(grep -iE 'fail|error' "$T/tc.log" | head -n 3)
		[ -z "$bad" ] || why="$why log: $bad"
		[ "$c1" -gt "$c0" ] || why="$why debugfs $a $c0 -> $c1"
		[ -z "$why" ] || why="$why last: $(grep tcrypt "$T/tc.log" | tail -n 2)"
		check "tcrypt.$a" "$why"
	done
}

t_mode() {
	if ! poll 60 no_tfms; then
		fail mode.reload "tfms still bound: $(ctr_sum tfms)"
		return
	fi
	# 0: crypto API only; with a priority above the CPU drivers' too, so
	# that users asking by name get wd_soft
	if r=$(reload uacce_mode=0 crypto_priority=300); then
		why=
		[ "$(cat $PARAM/uacce_mode)" = 0 ] || why="$why uacce_mode reads $(cat $PARAM/uacce_mode);"
		for f in /dev/ua[0-9]*; do
			[ -e "$f" ] && why="$why $f exists;"
		done
		[ -d $BUS/devices/wd_soft0 ] || why="$why no wd_soft0;"
		[ ! -e $BUS/devices/wd_soft0/uacce ] || why="$why wd_soft0/uacce exists;"
		for a in sha256 crc32c deflate; do
			[ -n "$(proc_block $a-wd_soft)" ] || why="$why no $a-wd_soft;"
		done
		got=$(kdgst sha256-wd_soft "$T/f1048579")
		[ "$got" = "$(sha "$T/f1048579")" ] || why="$why digest '$got';"
		check mode.0_crypto_only "$why"
		b=$(proc_block sha256-wd_soft)
		c0=$(ctr_sum sha256)
		got=$(kdgst sha256 "$T/f4095")
		c1=$(ctr_sum sha256)
		[ "$(field "$b" priority)" = 300 ] && [ "$c1" -gt "$c0" ] &&
			[ "$got" = "$(sha "$T/f4095")" ]
		ok mode.priority_300_by_name "$?" "priority $(field "$b" priority), debugfs sha256 $c0 -> $c1, digest '$got'"
	else
		fail mode.0_crypto_only "$r"
	fi
	poll 60 no_tfms
	# 2: uacce only
	if r=$(reload uacce_mode=2); then
		why=
		[ -c /dev/ua0 ] || why="$why no /dev/ua0;"
		[ -e $BUS/devices/wd_soft0/uacce ] || why="$why no wd_soft0/uacce;"
		grep -q 'wd_soft' /proc/crypto && why="$why /proc/crypto: $(grep 'wd_soft' /proc/crypto | tr '\n' ' ');"
		kdgst sha256-wd_soft "$T/f65" >"$T/out" && why="$why a digest with sha256-wd_soft worked;"
		check mode.2_uacce_only "$why"
	else
		fail mode.2_uacce_only "$r"
	fi
	# and the defaults
	if r=$(reload); then
		why=
		[ -c /dev/ua0 ] || why="$why no /dev/ua0;"
		got=$(kdgst sha256-wd_soft "$T/f65")
		[ "$got" = "$(sha "$T/f65")" ] || why="$why digest '$got';"
		check mode.1_default_again "$why"
	else
		fail mode.1_default_again "$r"
	fi
}

# hold_start ALG FILE: wd-crypto hold in the background, stdin a FIFO kept
# open on fd 7; waits for "ready" (sets hp, hold_out)
hold_start() {
	rm -f "$T/hin"
	mkfifo "$T/hin"
	hold_out=$T/hout
	wd-crypto hold "$1" "$2" <"$T/hin" >"$hold_out" 2>&1 &
	hp=$!
	exec 7>"$T/hin"
	poll 120 grep -q '^ready' "$hold_out"
}
# hold_end: close its stdin; it exits
hold_end() {
	exec 7>&-
	wait "$hp"
}
# hold_lines N: wd-crypto hold printed N lines at least
hold_lines() { [ "$(wc -l <"$hold_out")" -ge "$1" ]; }

t_lifetime() {
	if ! poll 60 no_tfms; then
		fail lifetime "tfms bound before: $(ctr_sum tfms)"
		return
	fi
	f=$T/f1048579
	ref=$(sha "$f")
	if ! hold_start sha256-wd_soft "$f"; then
		fail lifetime.hold "$(cat "$hold_out")"
		hold_end
		return
	fi
	[ "$(head -n 1 "$hold_out")" = "$ref" ]
	ok lifetime.held_digest $? "$(head -n 1 "$hold_out")"
	i=$(bound_inst)
	if [ -z "$i" ]; then
		fail lifetime.tfm_counted "no instance counts the held tfm"
		hold_end
		return
	fi
	pass lifetime.tfm_counted
	# del_device: waits at most 1 s for the tfm, then EBUSY; nothing gone
	r=$(wd-crypto write $BUS/del_device "$i")
	ms=${r#* }
	[ "${r%% *}" = EBUSY ] && [ "$ms" -ge 900 ] && [ "$ms" -lt 30000 ] && [ -d "$DBG/wd_soft$i" ] &&
		[ -e "$BUS/devices/wd_soft$i" ]
	ok lifetime.del_device_busy $? "del_device $i: $r"
	if [ ! -e "$BUS/devices/wd_soft$i" ]; then
		echo "$i" >$BUS/new_device
	fi
	echo digest >&7
	poll 120 hold_lines 3
	[ "$(sed -n 3p "$hold_out")" = "$ref" ]
	ok lifetime.digest_after_busy $? "$(tail -n 2 "$hold_out" | tr '\n' ' ')"
	got=$(kdgst sha256-wd_soft "$T/f4095")
	[ "$got" = "$(sha "$T/f4095")" ]
	ok lifetime.instance_whole $? "new tfm: '$got'"
	rmmod_refused lifetime.rmmod_refused "with a tfm held"
	hold_end
	poll 60 no_tfms
	ok lifetime.tfms_zero_after_exit $? "tfms $(ctr_sum tfms)"
	r=$(wd-crypto write $BUS/del_device "$i")
	# the last instance gone: the algorithms go with it (docs/crypto.md),
	# users by name get the kernel's own
	if [ -z "$(insts)" ]; then
		why=
		grep -q 'wd_soft' /proc/crypto && why="$why /proc/crypto: $(grep 'wd_soft' /proc/crypto);"
		out=$(wd-crypto digest sha256-wd_soft "$T/f65" 2>&1)
		echo "$out" | grep -q 'No such file or directory' ||
			why="$why sha256-wd_soft: $out (want ENOENT);"
		got=$(kdgst sha256 "$T/f65")
		[ "$got" = "$(sha "$T/f65")" ] || why="$why sha256 by name: '$got';"
		check lifetime.no_instance_unregistered "$why"
	fi
	r2=$(wd-crypto write $BUS/new_device "$i")
	got=$(kdgst sha256-wd_soft "$T/f65")
	[ "${r%% *}" = ok ] && [ "${r2%% *}" = ok ] && [ "$got" = "$(sha "$T/f65")" ]
	ok lifetime.del_new_device_after $? "del_device: $r, new_device: $r2, digest '$got'"
	b=$(proc_block sha256-wd_soft)
	[ "$(field "$b" selftest)" = passed ]
	ok lifetime.registered_again $? "sha256-wd_soft selftest '$(field "$b" selftest)'"
	[ -e "$BUS/devices/wd_soft$i" ] || echo "$i" >$BUS/new_device
}

# Backlog: engines held and at most 2 requests on each kernel queue, more
# concurrent digests than that (6 per instance; one engine, so one kernel
# queue, by default): some must go to the backlog, and all come out right
# once released. The digests run as separate processes, each with its tfm
# and one request at a time: kcapi-dgst and wd-crypto in turn.
# bk_done: how many of them finished
bk_done() {
	local f n=0
	for f in "$T"/bk*.rc; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo $n
}
# bk_all_done: all $k finished
bk_all_done() { [ "$(bk_done)" = "$k" ]; }
# backlog_grew: debugfs backlogged went past $b0
backlog_grew() { [ "$(ctr_sum backlogged)" -gt "$b0" ]; }
t_backlog() {
	why=
	for i in $(insts); do
		why="$why$(dbg_write "$i" kq_limit 2)$(dbg_write "$i" hold 1)"
	done
	if [ -n "$why" ]; then
		fail backlog.setup "$why"
	fi
	b0=$(ctr_sum backlogged)
	e0=$(ctr_sum errors)
	jobs=
	k=0
	sizes=
	for i in $(insts); do
		sizes="$sizes 65 4095 1048579 65 4095 1048579"
	done
	for n in $sizes; do
		k=$((k + 1))
		if [ $((k % 2)) = 0 ]; then
			(kdgst sha256-wd_soft "$T/f$n" >"$T/bk$k"; echo $? >"$T/bk$k.rc") &
		else
			(wd-crypto digest sha256-wd_soft "$T/f$n" >"$T/bk$k" 2>&1
			 echo $? >"$T/bk$k.rc") &
		fi
		jobs="$jobs $k:$n"
	done
	# the digests wait in D state while held: no hung-task report for
	# the bounded wait below, however slow the host (restored after)
	hung=$(cat /proc/sys/kernel/hung_task_timeout_secs)
	echo 600 >/proc/sys/kernel/hung_task_timeout_secs
	note "backlog: $k digests started"
	poll 120 backlog_grew
	ok backlog.backlogged $? "debugfs backlogged stayed $b0 with $k digests and the engines held"
	done_early=$(bk_done)
	[ "$done_early" = 0 ]
	ok backlog.held $? "$done_early digests finished while held"
	why=
	note "backlog: release"
	for i in $(insts); do
		why="$why$(dbg_write "$i" hold 0)"
	done
	note "backlog: released"
	poll 300 bk_all_done || why="$why only $(bk_done) of $k finished;"
	for j in $jobs; do
		got=$(cat "$T/bk${j%%:*}")
		[ "$got" = "$(sha "$T/f${j#*:}")" ] || why="$why job ${j%%:*} (${j#*:} bytes): '$got';"
	done
	[ "$(ctr_sum errors)" = "$e0" ] || why="$why debugfs errors $e0 -> $(ctr_sum errors)"
	check backlog.all_right_after_release "$why"
	wait
	echo "$hung" >/proc/sys/kernel/hung_task_timeout_secs
	for i in $(insts); do
		dbg_write "$i" kq_limit 1024
	done
}

# zswap (CONFIG_ZSWAP=y) in front of a zram swap device, compressing with
# deflate-wd_soft for a process in a memory cgroup smaller than its data.
ZS=/sys/module/zswap/parameters
ZD=/sys/kernel/debug/zswap
CG=/sys/fs/cgroup
ZPAGES=2048
t_zswap() {
	if [ ! -d $ZS ]; then
		skip zswap "no zswap in this kernel"
		return
	fi
	if ! modprobe zram 2>"$T/err" || ! echo 64M >/sys/block/zram0/disksize ||
	   ! mkswap /dev/zram0 >/dev/null || ! swapon /dev/zram0; then
		fail zswap.setup "zram swap: $(cat "$T/err")"
		return
	fi
	old_comp=$(cat $ZS/compressor)
	grep -q cgroup2 /proc/mounts || mount -t cgroup2 none $CG
	echo +memory >$CG/cgroup.subtree_control
	mkdir -p $CG/t_crypto
	echo 4M >$CG/t_crypto/memory.max
	s0=$(($(cat $ZD/stored_pages) - $(cat $ZD/same_filled_pages)))
	c0=$(ctr_sum compress)
	d0=$(ctr_sum decompress)
	why=
	echo deflate-wd_soft >$ZS/compressor || why="$why compressor not set;"
	[ "$(cat $ZS/compressor)" = deflate-wd_soft ] || why="$why compressor reads $(cat $ZS/compressor);"
	echo 1 >$ZS/enabled || why="$why zswap not enabled;"
	[ -z "$why" ]
	ok zswap.setup $? "$why"
	rm -f "$T/zin"
	mkfifo "$T/zin"
	sh -c "echo \$\$ >$CG/t_crypto/cgroup.procs && exec wd-crypto zswap-fill $ZPAGES" \
		<"$T/zin" >"$T/zout" 2>&1 &
	zp=$!
	exec 8>"$T/zin"
	note "zswap: filling $ZPAGES pages"
	poll 300 grep -q '^filled' "$T/zout"
	note "zswap: filled"
	# pages that went through the compressor (zswap stores same-filled
	# ones without it)
	stored=$(($(cat $ZD/stored_pages) - $(cat $ZD/same_filled_pages)))
	c1=$(ctr_sum compress)
	[ "$stored" -gt "$s0" ] && [ "$c1" -gt "$c0" ]
	ok zswap.stored_compressed $? "$(cat "$T/zout") stored_pages (not same-filled) $s0 -> $stored, compress $c0 -> $c1"
	i=$(bound_inst)
	if [ -n "$i" ]; then
		r=$(wd-crypto write $BUS/del_device "$i")
		[ "${r%% *}" = EBUSY ] && [ -d "$DBG/wd_soft$i" ]
		ok zswap.del_device_busy $? "del_device $i: $r"
		[ -e "$BUS/devices/wd_soft$i" ] || echo "$i" >$BUS/new_device
	else
		fail zswap.del_device_busy "no instance counts zswap's tfms"
	fi
	rmmod_refused zswap.rmmod_refused "while zswap used deflate-wd_soft"
	note "zswap: reading back"
	echo check >&8
	poll 300 grep -q '^intact\|^corrupt' "$T/zout"
	d1=$(ctr_sum decompress)
	grep -q "^intact $ZPAGES" "$T/zout" && [ "$d1" -gt "$d0" ]
	ok zswap.pages_intact $? "$(tail -n 1 "$T/zout"), decompress $d0 -> $d1"
	note "zswap: read"
	exec 8>&-
	wait $zp
	echo 0 >$ZS/enabled
	echo "$old_comp" >$ZS/compressor
	swapoff /dev/zram0
	echo 1 >/sys/block/zram0/reset
	rmdir $CG/t_crypto
	# zswap frees its pool (and the tfms) from a work item once empty
	note "zswap: cleaned up"
	poll 120 no_tfms
	ok zswap.tfms_released $? "tfms $(ctr_sum tfms)"
}

parts=${*:-algs digest tcrypt mode lifetime backlog zswap}
for p in $parts; do
	t0=$(uptime_cs)
	"t_$p"
	restore
	t1=$(uptime_cs)
	echo "# t_crypto: $p took $(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10)) s"
done
rm -rf "$T"
[ $fails = 0 ]
