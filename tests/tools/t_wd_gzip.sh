#!/usr/bin/env bash
# t_wd_gzip: the wd tool against the real gzip 1.12 and sha256sum
# (docs/wd.md has the table), natively on the in-process device: the part of
# t_wd's tests (t_wd.sh) that follows those tools' rules, its results named
# t_wd.* as theirs.
# Prints PASS:/FAIL:/SKIP: lines (tests/run.sh counts them; tcheck.sh).
#
# T_WD_ONLY=GLOB runs only the checks whose names match (e.g. 'vs_gzip.*').
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=t_wd_env.sh
. "${T_WD_ENV:-$here/../libexec/t_wd_env.sh}" || exit 1

# ---- gzip's and sha256sum's rules (docs/wd.md has the table) ----
# Each check runs the real gzip 1.12 / sha256sum on the same input where it
# can, and compares what matters: exit status, whether stderr says anything,
# the files left behind, their modes and owners.

# what a directory holds, one line per entry: name, type, mode, links and
# content (a .gz file by what it decompresses to: wd's bytes are not gzip's)
tree_sig() {
	local f
	(
		cd "$1" || exit 1
		for f in .* *; do
			[[ $f == . || $f == .. ]] && continue
			[[ -e $f || -L $f ]] || continue
			if [[ -L $f ]]; then echo "$f link $(readlink "$f")"
			elif [[ -d $f ]]; then echo "$f dir $(stat -c %a "$f")"
			elif [[ ! -f $f ]]; then echo "$f special $(stat -c %F "$f")"
			elif [[ $f == *.gz ]] && gzip -t "$f" 2>/dev/null; then
				echo "$f gz $(stat -c '%a %h %U:%G' "$f") $(gzip -dc "$f" | sha256sum | cut -c1-16)"
			else echo "$f file $(stat -c '%a %h %U:%G' "$f") $(sha256sum < "$f" | cut -c1-16)"; fi
		done
	)
}
# stdout's content: compressed data by what it decompresses to
out_sig() {
	if [[ ! -s $1 ]]; then echo empty
	elif gzip -t < "$1" 2>/dev/null; then echo "gz $(gzip -dc < "$1" | sha256sum | cut -c1-16)"
	else echo "raw $(sha256sum < "$1" | cut -c1-16)"; fi
}
# vs_gzip NAME SETUP zip|unzip ARG...: in two directories made alike by the
# shell snippet SETUP, `gzip [-d] ARG...` and `wd zip|unzip ARG...` (stdin
# /dev/null, 20 s at most: a hang is a failure); PASS when the exit status,
# whether stderr says anything, stdout and the files left are the same.
vs_gzip() {
	local name=$1 setup=$2 cmd=$3 s d rc
	local -A res
	shift 3
	only "vs_gzip.$name" || return 0
	for s in gzip wd; do
		d=$T/vs.$name.$s
		rm -rf "$d" && mkdir -p "$d" && (cd "$d" && eval "$setup") ||
			{ fail "vs_gzip.$name" "setup"; return; }
		rc=0
		if [[ $s == gzip ]]; then
			(cd "$d" && exec timeout 20 gzip $([[ $cmd == unzip ]] && echo -d) "$@") \
				< /dev/null > "$d.out" 2> "$d.err" || rc=$?
		else
			(cd "$d" && exec timeout 20 "$WD" "$cmd" "$@") \
				< /dev/null > "$d.out" 2> "$d.err" || rc=$?
		fi
		res[$s]="status $rc, stderr $([[ -s $d.err ]] && echo said || echo silent), stdout $(out_sig "$d.out")
$(tree_sig "$d")"
	done
	if [[ ${res[gzip]} == "${res[wd]}" ]]; then
		pass "vs_gzip.$name"
	else
		fail "vs_gzip.$name" "gzip: $(echo "${res[gzip]}" | tr '\n' ';') $(head -c 200 "$T/vs.$name.gzip.err" | tr '\n' ' ')/ wd: $(echo "${res[wd]}" | tr '\n' ';') $(head -c 200 "$T/vs.$name.wd.err" | tr '\n' ' ')"
	fi
}

# files: the input and its link, the refusals, exit statuses, -q
seq 1 3000 > small
mk='cp -p ../small a'
for q in '' -q; do
	vs_gzip "file$q" "$mk" zip $q a
	vs_gzip "output_exists$q" "$mk; echo old > a.gz" zip $q a
	vs_gzip "output_exists_keep$q" "$mk; echo old > a.gz" zip $q -k a
	vs_gzip "gz_suffix$q" "$mk; gzip a" zip $q a.gz
	vs_gzip "unknown_suffix$q" "$mk; gzip -c a > a.xyz" unzip $q a.xyz
	vs_gzip "directory$q" 'mkdir d' zip $q d
	vs_gzip "directory_c$q" 'mkdir d' zip $q -c d
	vs_gzip "fifo$q" 'mkfifo f' zip $q f
	vs_gzip "fifo_unzip$q" 'mkfifo f.gz' unzip $q f.gz
	vs_gzip "dev_null$q" '' zip $q /dev/null
	vs_gzip "hard_link$q" "$mk; ln a b" zip $q a
	vs_gzip "hard_link_unzip$q" "$mk; gzip a; ln a.gz b.gz" unzip $q a.gz
	vs_gzip "hard_link_f$q" "$mk; ln a b" zip $q -f a
	vs_gzip "hard_link_c$q" "$mk; ln a b" zip $q -c a
	vs_gzip "symlink$q" "$mk; ln -s a l" zip $q l
	vs_gzip "symlink_k$q" "$mk; ln -s a l" zip $q -k l
	vs_gzip "symlink_f$q" "$mk; ln -s a l" zip $q -f l
	vs_gzip "symlink_c$q" "$mk; ln -s a l" zip $q -c l
	vs_gzip "symlink_dangling$q" 'ln -s nowhere l' zip $q l
	vs_gzip "setuid$q" "$mk; chmod 4755 a" zip $q a
	vs_gzip "setuid_f$q" "$mk; chmod 4755 a" zip $q -f a
	vs_gzip "setgid$q" "$mk; chmod 2750 a" zip $q a
	vs_gzip "setid_c$q" "$mk; chmod 6755 a" zip $q -c a
	vs_gzip "sticky$q" "$mk; chmod 1644 a" zip $q a
	vs_gzip "sticky_f$q" "$mk; chmod 1640 a" zip $q -f a
	vs_gzip "missing$q" '' zip $q nonexistent
	vs_gzip "usage$q" '' zip $q --bogus-option
	vs_gzip "not_gzip$q" 'echo text > a.gz' unzip $q a.gz
	vs_gzip "trailing_garbage$q" "$mk; (gzip -c a; echo junk) > t.gz" unzip $q t.gz
	vs_gzip "trailing_garbage_c$q" "$mk; (gzip -c a; echo junk) > t.gz" unzip $q -c t.gz
	vs_gzip "trailing_garbage_t$q" "$mk; (gzip -c a; echo junk) > t.gz" unzip $q -t t.gz
	vs_gzip "trailing_zeros$q" "$mk; (gzip -c a; head -c 1000 /dev/zero) > t.gz" unzip $q t.gz
	vs_gzip "trailing_zeros_junk$q" "$mk; (gzip -c a; head -c 10 /dev/zero; echo x) > t.gz" unzip $q -c t.gz
	vs_gzip "several$q" "$mk; mkdir d; cp a b; echo old > b.gz" zip $q a d b
done

# -v only adds a warning for zero padding (and exit status 2); wd -v also says
# which path a file took, so only the status and the files are compared
t_zeros_v() {
	local rc g=0
	(gzip -c small; head -c 1000 /dev/zero) > zv.gz
	gzip -dcv zv.gz > /dev/null 2> zv.gerr || g=$?
	rc=0
	"$WD" unzip -cv zv.gz > zv.out 2> zv.err || rc=$?
	echo "gzip $g wd $rc: $(cat zv.err)"
	[[ $rc == "$g" ]] && grep -q 'trailing zero bytes ignored' zv.err && cmp zv.out small
}
check unzip_trailing_zeros_verbose t_zeros_v

# FIFOs and other special files: refused without waiting unless -c, which
# also takes /dev/stdin and <(command) (gzip's rules)
t_special_c() {
	seq 1 1000 > sp.ref
	seq 1 1000 | "$WD" zip -c /dev/stdin | gzip -dc | cmp - sp.ref &&
	"$WD" zip -c <(seq 1 1000) | gzip -dc | cmp - sp.ref &&
	"$WD" unzip -c <(gzip -c sp.ref) | cmp - sp.ref &&
	gzip -c sp.ref | "$WD" unzip -c /dev/stdin | cmp - sp.ref &&
	[[ $("$WD" zip -c /dev/null | gzip -dc | wc -c) == 0 ]] &&
	gzip -c sp.ref > sp.gz && "$WD" unzip -t /dev/stdin < sp.gz
}
check zip_special_files_c t_special_c
# -c on a FIFO reads what its writer sends, whichever opens first (gzip's
# non-blocking open may read an empty input when it comes first)
t_fifo_c() {
	local pid rc=0
	rm -f fc && mkfifo fc || return 1
	timeout 20 "$WD" zip -c fc > fc.gz &
	pid=$!
	timeout 20 sh -c 'seq 1 1000 > fc'
	wait "$pid" || rc=$?
	((rc == 0)) && seq 1 1000 | cmp - <(gzip -dc fc.gz)
}
check zip_fifo_c_waits_for_writer t_fifo_c

# a symbolic link swapped in right after the tool first names the input: the
# input is opened without following links (gzip's O_NOFOLLOW), so the file
# compressed is the one that was there, never the link's target
t_symlink_swap() {
	local s d rc res=()
	[[ -x $WD_AT ]] || { echo "no $WD_AT"; return 1; }
	for s in gzip wd; do
		d=$T/swap.$s
		mkdir -p "$d" && seq 1 5000 > "$d/victim" && echo secret > "$d/secret" || return 1
		rc=0
		"$WD_AT" -s openat,newfstatat,statx,open,stat,lstat -p "$d/victim" \
			-c "ln -s secret '$d/new' && mv -T '$d/new' '$d/victim' && touch '$d.hit'" -- \
			$([[ $s == wd ]] && echo "$WD zip" || echo gzip) -k "$d/victim" 2> "$d.err" || rc=$?
		((rc == 77)) && { echo "ptrace refused here"; return 77; }
		[[ -e $d.hit ]] || { echo "$s: the swap never happened"; return 1; }
		res+=("status $rc $(tree_sig "$d" | tr '\n' ';')")
	done
	echo "gzip: ${res[0]}"
	echo "wd:   ${res[1]}"
	[[ ${res[0]} == "${res[1]}" ]] && seq 1 5000 | cmp - <(gzip -dc "$T/swap.wd/victim.gz")
}
check zip_symlink_swapped_in t_symlink_swap

# the output name taken by someone else while the tool works: never replaced
# without -f (no-clobber rename); the input is kept, exit status 2 as gzip's
# "already exists"
t_output_appears() {
	local d=$T/appear rc=0
	[[ -x $WD_AT ]] || { echo "no $WD_AT"; return 1; }
	mkdir -p "$d" && seq 1 100000 > "$d/in" || return 1
	"$WD_AT" -s write -f "$d/.wd-tmp.*" -c "echo planted > '$d/in.gz'" -- \
		"$WD" zip "$d/in" 2> "$d.err" || rc=$?
	((rc == 77)) && { echo "ptrace refused here"; return 77; }
	echo "status $rc: $(cat "$d.err")"
	((rc == 2)) && [[ $(cat "$d/in.gz") == planted ]] && seq 1 100000 | cmp - "$d/in" &&
	grep -q 'already exists' "$d.err" && no_temp "$d" || return 1
	# with -f it is replaced
	rc=0
	"$WD_AT" -s write -f "$d/.wd-tmp.*" -c "echo planted > '$d/in.gz'" -- \
		"$WD" zip -f "$d/in" 2> "$d.err" || rc=$?
	((rc == 0)) && [[ ! -e $d/in ]] && seq 1 100000 | cmp - <(gzip -dc "$d/in.gz") && no_temp "$d" ||
		return 1
	# a file system without RENAME_NOREPLACE (renameat2 fails with EINVAL,
	# injected by strace): link() and unlink() place the output
	command -v strace > /dev/null || { echo "no strace: link fallback not tried"; return 0; }
	rm -f "$d/in.gz" && seq 1 100000 > "$d/in" || return 1
	strace -f -o "$d.strace" -e trace=renameat2,link -e inject=renameat2:error=EINVAL \
		"$WD" zip "$d/in" || return 1
	grep -q '^[0-9]* *link(' "$d.strace" && [[ ! -e $d/in ]] &&
	seq 1 100000 | cmp - <(gzip -dc "$d/in.gz") && no_temp "$d"
}
check zip_output_appears_meanwhile t_output_appears

# a second user (root only): U in its primary group P and in group G
mkusers() {
	[[ -n $U ]] && return 0
	[[ $(id -u) == 0 ]] || return 1
	command -v useradd > /dev/null && command -v setpriv > /dev/null || return 1
	P=wdtp$$ G=wdtg$$
	groupadd "$P" && groupadd "$G" || return 1
	U=wdtu$$
	useradd -M -N -g "$P" -G "$G" -d / -s /usr/sbin/nologin "$U" || return 1
	chmod 711 "$T"
}
as_user() { setpriv --reuid "$U" --regid "$P" --init-groups "$@"; }

# a member of the source's group compresses a 0640 file: the output's group
# is the source's, its mode 0640, and at no moment is the temporary file open
# to more than the final file is (gzip: group, then mode, then owner)
t_group_order() {
	local s d rc fin st bad=0 res=()
	mkusers || { skip zip_group_mode_owner_order "needs root (useradd, setpriv)"; return 0; }
	only zip_group_mode_owner_order || return 0
	for s in gzip wd; do
		d=$T/grp.$s
		mkdir -p "$d" && chown "$U:$P" "$d" && seq 1 100000 > "$d/in" &&
			chown "root:$G" "$d/in" && chmod 640 "$d/in" || return 1
		: > "$d.states" && chmod 666 "$d.states"
		rc=0
		as_user "$WD_AT" -a -s write,fchmod,fchown,utimensat,fsync \
			-f "$d/$([[ $s == wd ]] && echo '.wd-tmp.*' || echo in.gz)" \
			-c "stat -L -c '%a %U %G' \"\$WD_AT_FILE\" >> '$d.states'" -- \
			$([[ $s == wd ]] && echo "$WD zip" || echo gzip) "$d/in" 2> "$d.err" || rc=$?
		((rc == 77)) && { skip zip_group_mode_owner_order "ptrace refused here"; return 0; }
		res+=("status $rc $(tree_sig "$d" | tr '\n' ';')")
	done
	# the final state, gzip's: every state of wd's file must be within it
	read -r fin < <(stat -c '%a %U %G' "$T/grp.gzip/in.gz")
	while read -r st; do
		set -- $st
		local m=$((8#$1)) f=$((8#${fin%% *}))
		if (((m & 07000) || (m & ~f & 0777))) ||
			{ [[ $3 != "${fin##* }" ]] && ((m & 077)); }; then
			echo "temporary file more open than the final one ($fin): $st"
			bad=1
		fi
	done < "$T/grp.wd.states"
	echo "gzip: ${res[0]}"
	echo "wd:   ${res[1]}"
	echo "wd's states: $(tr '\n' ';' < "$T/grp.wd.states")"
	[[ -s $T/grp.wd.states ]] && ((bad == 0)) && [[ ${res[0]} == "${res[1]}" ]] &&
		[[ $fin == "640 $U $G" ]]
}
if only zip_group_mode_owner_order; then
	if t_group_order > "$T/out.grp" 2>&1; then
		grep -q '^SKIP' "$T/out.grp" && cat "$T/out.grp" || pass zip_group_mode_owner_order
	else fail zip_group_mode_owner_order "$(tail -n 4 "$T/out.grp" | tr '\n' ' ')"; fi
fi

# the input cannot be removed (another user's file in a sticky directory):
# the output stays, a warning (silent with -q), exit status 2
t_unremovable() {
	local s d q rc res=()
	for q in '' -q; do
		for s in gzip wd; do
			d=$T/unrm$q.$s
			mkdir -p "$d" && chmod 1777 "$d" && seq 1 3000 > "$d/in" || return 1
			rc=0
			as_user $([[ $s == wd ]] && echo "$WD zip" || echo gzip) $q "$d/in" 2> "$d.err" || rc=$?
			res+=("status $rc stderr $([[ -s $d.err ]] && echo said || echo silent) $(tree_sig "$d" | tr '\n' ';')")
		done
	done
	printf '%s\n' "${res[@]}"
	[[ ${res[0]} == "${res[1]}" && ${res[2]} == "${res[3]}" ]] && [[ ${res[0]} == 'status 2 '* ]]
}
if only zip_unremovable_input; then
	if ! mkusers; then skip zip_unremovable_input "needs root (useradd, setpriv)"
	else check zip_unremovable_input t_unremovable; fi
fi

# signals: the temporary file is removed and the tool dies of the signal, as
# gzip removes its output (SIGXCPU and SIGXFSZ included); -q turns SIGPIPE
# into exit status 2 (gzip's rule, for pipelines cut short)
t_signals() {
	local sig s d rc res
	[[ -x $WD_AT ]] || { echo "no $WD_AT"; return 1; }
	head -c 3000000 /dev/urandom > sg.in
	for sig in INT HUP TERM XCPU; do
		res=()
		for s in gzip wd; do
			d=$T/sig.$sig.$s
			mkdir -p "$d" && cp sg.in "$d/in" || return 1
			rc=0
			(ulimit -c 0; exec "$WD_AT" -s write \
				-f "$d/$([[ $s == wd ]] && echo '.wd-tmp.*' || echo in.gz)" \
				-c "kill -$sig \$WD_AT_PID" -- \
				$([[ $s == wd ]] && echo "$WD zip" || echo gzip) "$d/in") 2> /dev/null || rc=$?
			((rc == 77)) && { echo "ptrace refused here"; return 77; }
			res+=("status $rc $(tree_sig "$d" | tr '\n' ';')")
		done
		echo "SIG$sig: gzip: ${res[0]} / wd: ${res[1]}"
		[[ ${res[0]} == "${res[1]}" ]] || return 1
	done
	res=()
	for s in gzip wd; do
		d=$T/sig.XFSZ.$s
		mkdir -p "$d" && cp sg.in "$d/in" || return 1
		rc=0
		(ulimit -c 0; ulimit -f 200; exec $([[ $s == wd ]] && echo "$WD zip" || echo gzip) "$d/in") \
			2> /dev/null || rc=$?
		res+=("status $rc $(tree_sig "$d" | tr '\n' ';')")
	done
	echo "SIGXFSZ: gzip: ${res[0]} / wd: ${res[1]}"
	[[ ${res[0]} == "${res[1]}" ]] || return 1
	res=()
	for s in "gzip -q" "gzip" "$WD zip -q" "$WD zip"; do
		$s -c sg.in 2> /dev/null | head -c 1 > /dev/null
		res+=("${PIPESTATUS[0]}")
	done
	echo "SIGPIPE (-q, not): gzip ${res[0]} ${res[1]}, wd ${res[2]} ${res[3]}"
	[[ ${res[0]} == "${res[2]}" && ${res[1]} == "${res[3]}" ]]
}
check zip_signals_clean_up t_signals

# an input that grows or shrinks while it is compressed, with the progress
# bar on (a terminal, 64 MiB): no crash; the output holds what was read up to
# the end of the file, as gzip's does. The size changes right after the tool
# learned it (the first fstat of the input).
t_progress_size_changes() {
	local how s rc out res n=0
	[[ -x $WD_AT ]] || { echo "no $WD_AT"; return 1; }
	command -v script > /dev/null || { echo "no script(1) for a pseudo-terminal"; return 77; }
	for how in "head -c 32M /dev/zero >>" "truncate -s 1M"; do
		n=$((n + 1))
		res=()
		for s in gzip wd; do
			rm -f pg pg.gz pg.hit && head -c 64M /dev/zero > pg || return 1
			rc=0
			script -qec "'$WD_AT' -s fstat,newfstatat,statx -f '$T/pg' -c '$how $T/pg; touch $T/pg.hit' -- \
				$([[ $s == wd ]] && echo "'$WD' zip --queues 1 --depth 1" || echo gzip) -1 -k pg" \
				/dev/null < /dev/null > pg.$s.$n.tty || rc=$?
			((rc == 77)) && { echo "ptrace refused here"; return 77; }
			[[ -e pg.hit ]] || { echo "$s: the size never changed"; return 1; }
			out=$(gzip -dc pg.gz 2>/dev/null | wc -c)
			res+=("status $rc, output holds $out bytes, $(ls -a | grep -c '\.wd-tmp\.') temporary")
		done
		echo "$how: gzip: ${res[0]} / wd: ${res[1]}"
		[[ ${res[0]} == "${res[1]}" ]] || return 1
	done
	# the bar was drawn, full when the input grew
	grep -q '100%' pg.wd.1.tty
}
check zip_progress_input_size_changes t_progress_size_changes

exit $((fails > 0))
