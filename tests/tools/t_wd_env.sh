# t_wd_env.sh: the setup of the wd tool's native tests (t_wd.sh,
# t_wd_gzip.sh), one copy, sourced once `here` (the script's directory) is
# set: the tool, wd_at and the harness (tcheck.sh: check, pass, fail; TNAME
# t_wd for both, so that every result keeps its name), a scratch directory
# (the current one, removed on exit with the users mkusers made) and the
# inputs every check may read. The caller ends with exit $((fails > 0)).
#
# WD_AT (default build/native/libexec/wd_at) acts at a known system call of
# a traced program: the races happen at a fixed point, not by timing.
# shellcheck shell=bash
WD=${WD:-$(cd "$here/../.." && pwd)/bin/wd}
WD_AT=${WD_AT:-$(cd "$here/.." && pwd)/libexec/wd_at}
TCHECK=${TCHECK:-$here/../libexec/tcheck.sh}
[[ -x $WD ]] || { echo "FAIL: t_wd.setup (no $WD)"; exit 1; }
[[ -f $TCHECK ]] || { echo "FAIL: t_wd.setup (no $TCHECK)"; exit 1; }
export WD_DEV_PATH=local
T=$(mktemp -d /tmp/t_wd.XXXXXX)
U='' P='' G=''	# a second user, its primary group, a group it is in (mkusers)
cleanup() {
	umount "$T/full" 2>/dev/null
	[[ -n $U ]] && userdel "$U" 2>/dev/null
	[[ -n $P ]] && groupdel "$P" 2>/dev/null
	[[ -n $G ]] && groupdel "$G" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 1

# shellcheck disable=SC2034 # tcheck.sh prefixes every result with it
TNAME=t_wd
# shellcheck source=tcheck.sh
. "$TCHECK"
no_temp() { ! ls -a "${1:-.}" | grep -q '\.wd-tmp\.'; }

# inputs: text (compressible), random, and exact chunk multiples
seq 1 400000 > text
head -c 3000000 /dev/urandom > rnd
head -c 1048576 text > mib1
(cat text; cat text) | head -c 2097152 > mib2
: > empty
