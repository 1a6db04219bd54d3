#!/usr/bin/env bash
# testlib.sh: test-mr.sh's bookkeeping.
# Source it; it defines functions and the variables below, and changes no
# shell option.
#
# A suite keeps its scratch directory in SCRATCH. Each case returns 0 to
# pass, or calls `fail "reason"` (which sets REASON) and returns 1; report
# prints its verdict line and counts it in PASSED or FAILED (naming it in
# FAILED_NAMES); record_time adds its duration to TIMES; tally prints the
# last line of the suite. forward_with_ticks keeps a suite from being
# silent while a long step runs.

PASSED=0 # cases that passed
FAILED=0 # cases that failed
SKIPPED=0 # cases that could not run here (status 2), with the reason
FAILED_NAMES=()  # the names of the failed cases, in order
SKIPPED_NAMES=() # the names of the skipped ones
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

# report TITLE STATUS [NAME]: prints "--- TITLE: PASS", "--- TITLE: SKIP: "
# and REASON (status 2), or "--- TITLE: FAIL: " and REASON, and counts it
# under NAME (default TITLE) for the tally.
report() {
	local title=$1 status=$2 name=${3:-$1}
	if ((status == 0)); then
		echo "--- $title: PASS"
		count_case PASS "$name"
	elif ((status == 2)); then
		echo "--- $title: SKIP: ${REASON:-no reason given}"
		count_case SKIP "$name"
	else
		echo "--- $title: FAIL: ${REASON:-no reason given}"
		count_case FAIL "$name"
	fi
}

# count_case PASS|FAIL|SKIP NAME: counts a case's verdict for the tally.
count_case() {
	case $1 in
	PASS) PASSED=$((PASSED + 1)) ;;
	SKIP) SKIPPED=$((SKIPPED + 1)) && SKIPPED_NAMES+=("$2") ;;
	*) FAILED=$((FAILED + 1)) && FAILED_NAMES+=("$2") ;;
	esac
}

# tally: prints the one line that sums a suite up, "N passed, N failed"
# (", N skipped" when some were), then "; failed: " and the failed cases'
# names, and "; skipped: " and the skipped ones'. Returns 1 when a case
# failed.
tally() {
	local line="$PASSED passed, $FAILED failed"
	((SKIPPED > 0)) && line+=", $SKIPPED skipped"
	((${#FAILED_NAMES[@]} > 0)) && line+="; failed: $(join_names "${FAILED_NAMES[@]}")"
	((${#SKIPPED_NAMES[@]} > 0)) && line+="; skipped: $(join_names "${SKIPPED_NAMES[@]}")"
	echo "$line"
	((FAILED == 0))
}

# join_names NAME...: the names separated by ", ".
join_names() {
	local IFS=$'\x1f'
	local s="$*"
	echo "${s//$'\x1f'/, }"
}

# selected NAME LIST: whether the space-separated LIST names NAME; an empty
# LIST selects everything.
selected() {
	[[ -z $2 || " $2 " == *" $1 "* ]]
}

# since T: seconds (one decimal) from T (a now) to now.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# record_time NAME T: adds "NAME <seconds since T>s" to TIMES.
record_time() { TIMES+=("$1 $(since "$2")s"); }

# forward_with_ticks PID SECS: the filter a suite's output goes through,
#   exec 3>&1 4>&2 > >(forward_with_ticks $$ 20) 2>&1
# It copies its input line by line and, whenever no line came for SECS
# seconds, prints one line saying what runs:
#   "    ... crash test still running (45 s; now: mrworker x3, mrcoordinator)"
# naming the step (from the last line that began with "*** "), the seconds
# since that line, and the commands running under PID (shells and other
# plumbing left out). Being the only writer, it never garbles a line. It
# ignores INT and TERM (the suite reports them) and PIPE (when a reader
# such as tee dies on Ctrl-C, it drains its input, so that the suite
# still cleans up), and ends with its input.
forward_with_ticks() {
	local pid=$1 secs=$2 line='' part step='the suite' step_t=$SECONDS last=$SECONDS rc now
	trap '' INT TERM PIPE
	while :; do
		IFS= read -r -t 1 part
		rc=$?
		line+=$part
		if ((rc == 0)); then
			printf '%s\n' "$line"
			if [[ $line == '*** '* ]]; then
				step=${line#'*** '}
				[[ $step == 'Starting '* ]] && step=${step#Starting } && step=${step%.}
				step_t=$SECONDS
			fi
			line=''
			last=$SECONDS
		elif ((rc <= 128)); then
			[[ -n $line ]] && printf '%s\n' "$line"
			return 0
		elif ((SECONDS - last >= secs)); then
			now=$(running_under "$pid")
			printf '    ... %s still running (%d s%s)\n' "$step" $((SECONDS - step_t)) "${now:+; now: $now}"
			last=$SECONDS
		fi
	done
}

# start_forwarding SECS: from now on, the shell's output and errors go
# through forward_with_ticks (a line after SECS seconds of silence); the
# original ones are kept as fds 3 and 4. The filter reads a FIFO made in
# SCRATCH and is a grandchild of the shell, not a child: a `wait` of the
# suite (bash may wait for any child, e.g. for a pid it already reaped
# while in an exit trap) can then never wait for it. end_forwarding
# (called by the cleanup of cleanup_on_exit) puts the outputs back and
# lets the filter finish.
start_forwarding() {
	local fifo=$SCRATCH/.output
	mkfifo "$fifo" || return 1
	exec 3>&1 4>&2
	TESTLIB_FORWARDER=$( (forward_with_ticks "$$" "$1" >&3 2>&4 <"$fifo" & echo "$!"))
	exec >"$fifo" 2>&1
	rm -f "$fifo"
}
# end_forwarding: the end of start_forwarding: the filter copies what it
# still has and ends (it is killed if still there 5 s later).
end_forwarding() {
	local deadline=$((SECONDS + 5))
	[[ -n ${TESTLIB_FORWARDER:-} ]] || return 0
	exec 1>&3 2>&4 3>&- 4>&-
	while kill -0 "$TESTLIB_FORWARDER" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.05
	done
	kill -KILL "$TESTLIB_FORWARDER" 2>/dev/null
	TESTLIB_FORWARDER=
}

# running_under PID: the commands running under PID, most frequent first,
# as "compile x2, link"; shells, timeout(1) and such plumbing left out.
running_under() {
	ps -e -o pid=,ppid=,comm= 2>/dev/null | awk -v root="$1" '
		BEGIN {
			split("bash sh timeout tail sleep ps awk sort head env sed tee cat grep unshare nsenter ip xargs go", p, " ")
			for (i in p) plumbing[p[i]] = 1
		}
		{ parent[$1] = $2; name[$1] = $3 }
		END {
			for (q in parent) {
				a = parent[q]
				for (depth = 0; a != root && a in parent && depth < 64; depth++) a = parent[a]
				if (a == root && !(name[q] in plumbing)) count[name[q]]++
			}
			for (c in count) printf "%d %s\n", count[c], c
		}' | sort -k1,1nr -k2 | head -n 5 |
		awk '{ printf "%s%s%s", (NR > 1 ? ", " : ""), $2, ($1 > 1 ? " x" $1 : "") }'
}

# cleanup_on_exit NAME STOP KEEP: the traps of the suite NAME. On exit,
# STOP (a command) ends whatever the suite started, then SCRATCH is
# removed, or kept and named when KEEP is 1, and end_forwarding ends the
# output's filter if there is one; the exit status stays. INT and TERM say
# what happened and exit 130 and 143. In a subshell of the suite (a
# background job signalled before it could exec), the traps only exit.
cleanup_on_exit() {
	TESTLIB_NAME=$1
	TESTLIB_STOP=$2
	TESTLIB_KEEP=$3
	trap testlib_cleanup EXIT
	trap 'testlib_signal interrupted 130' INT
	trap 'testlib_signal terminated 143' TERM
}

# testlib_signal WHAT STATUS: the INT and TERM traps.
testlib_signal() {
	[[ $BASHPID == "$$" ]] && echo "$TESTLIB_NAME: $1" >&2
	exit "$2"
}

testlib_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ $BASHPID == "$$" ]] || exit "$rc"
	"$TESTLIB_STOP"
	if [[ $TESTLIB_KEEP == 1 ]]; then
		echo "scratch directory kept: $SCRATCH"
	else
		rm -rf "$SCRATCH"
	fi
	end_forwarding
	exit "$rc"
}
