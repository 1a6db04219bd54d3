#!/usr/bin/env bash
# testlib.sh: the bookkeeping test-mr.sh and scripts/lan-tests.sh share.
# Source it; it defines functions and the variables below, and changes no
# shell option.
#
# A suite keeps its scratch directory in SCRATCH. Each case returns 0 to
# pass, or calls `fail "reason"` (which sets REASON) and returns 1; report
# prints its verdict line and counts it in PASSED or FAILED; record_time
# adds its duration to TIMES; tally prints the last line of the suite.

PASSED=0 # cases that passed
FAILED=0 # cases that failed
SKIPPED=0 # cases that could not run here (status 2), with the reason
TIMES=() # "name 12.3s", one per case
REASON=  # why the current case fails

# fail REASON...: records why the current case fails; returns 1.
fail() {
	REASON="$*"
	return 1
}

# last_line FILE: the last non-empty line of FILE, for reasons.
last_line() {
	grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1
}

# report TITLE STATUS: prints "--- TITLE: PASS", "--- TITLE: SKIP: " and
# REASON (status 2), or "--- TITLE: FAIL: " and REASON, and counts it.
report() {
	local title=$1 status=$2
	if ((status == 0)); then
		echo "--- $title: PASS"
		PASSED=$((PASSED + 1))
	elif ((status == 2)); then
		echo "--- $title: SKIP: ${REASON:-no reason given}"
		SKIPPED=$((SKIPPED + 1))
	else
		echo "--- $title: FAIL: ${REASON:-no reason given}"
		FAILED=$((FAILED + 1))
	fi
}

# tally: prints "N passed, N failed"; returns 1 when a case failed.
tally() {
	if ((${SKIPPED:-0} > 0)); then
		echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		echo "$PASSED passed, $FAILED failed"
	fi
	((FAILED == 0))
}

# selected NAME LIST: whether the space-separated LIST names NAME; an empty
# LIST selects everything.
selected() {
	[[ -z $2 || " $2 " == *" $1 "* ]]
}

# now: seconds since the epoch, with microseconds.
now() { echo "$EPOCHREALTIME"; }

# since T: seconds (one decimal) from T (a now) to now.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# before T SECS: whether less than SECS have passed since T.
before() { awk -v a="$1" -v b="$EPOCHREALTIME" -v s="$2" 'BEGIN { exit !(b - a < s) }'; }

# record_time NAME T: adds "NAME <seconds since T>s" to TIMES.
record_time() { TIMES+=("$1 $(since "$2")s"); }

# show_tail LOG LINES: the last LINES lines of LOG (at most 300 characters
# each), indented, under a header naming LOG relative to SCRATCH.
show_tail() {
	local log=$1 lines=$2
	if [[ ! -s $log ]]; then
		echo "    ==> ${log#"$SCRATCH"/} (empty) <=="
		return
	fi
	echo "    ==> ${log#"$SCRATCH"/} (last $lines lines) <=="
	tail -n "$lines" "$log" | cut -c1-300 | sed 's/^/    /'
}

# cleanup_on_exit NAME STOP KEEP: the traps of the suite NAME. On exit,
# STOP (a command) ends whatever the suite started, then SCRATCH is
# removed, or kept and named when KEEP is 1; the exit status stays. INT
# and TERM say what happened and exit 130 and 143.
cleanup_on_exit() {
	TESTLIB_STOP=$2
	TESTLIB_KEEP=$3
	trap testlib_cleanup EXIT
	trap "echo '$1: interrupted' >&2; exit 130" INT
	trap "echo '$1: terminated' >&2; exit 143" TERM
}

testlib_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	"$TESTLIB_STOP"
	if [[ $TESTLIB_KEEP == 1 ]]; then
		echo "scratch directory kept: $SCRATCH"
	else
		rm -rf "$SCRATCH"
	fi
	exit "$rc"
}
