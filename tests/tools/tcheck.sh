# tcheck.sh: the harness of the native tool tests (t_wd, t_wd_bench), one
# copy, sourced once T (the scratch directory, the current one) and TNAME
# (the prefix of every result line) are set. Prints PASS:/FAIL:/SKIP:
# lines (tests/run.sh counts them); the caller ends with exit $((fails > 0)).
# T_WD_ONLY=GLOB runs only the checks whose names match (e.g. 'vs_gzip.*').
# shellcheck shell=bash
fails=0
pass() { echo "PASS: $TNAME.$1"; }
fail() { echo "FAIL: $TNAME.$1${2:+ ($2)}"; fails=$((fails + 1)); }
skip() { echo "SKIP: $TNAME.$1 ($2)"; }
only() { [[ -z ${T_WD_ONLY:-} || $1 == $T_WD_ONLY ]]; }
# check NAME CMD...: PASS when CMD succeeds; exit status 77 is a SKIP, the
# reason on its last line of output
check() {
	local n=$1 rc=0
	shift
	only "$n" || return 0
	"$@" >"$T/out.$n" 2>&1 || rc=$?
	if ((rc == 0)); then pass "$n"
	elif ((rc == 77)); then skip "$n" "$(tail -n 1 "$T/out.$n")"
	else fail "$n" "$(tail -n 3 "$T/out.$n" | tr '\n' ' ')"; fi
}
