#!/usr/bin/env bash
# test-mr.sh: the acceptance suite. Usage: bash test-mr.sh
#
# 1. go vet ./... (then gofmt -l: nothing unformatted) and go test -race
#    ./... (both with the build's flags, -trimpath -race, so that the three
#    share their compiling)
# 2. scripts/build.sh -race (binaries and plugins with the same flags)
# 3. the classic MapReduce cases on real processes: wc, indexer, map and
#    reduce parallelism, job count, early exit, crash, and bad input; then
#    ours: a hostile peer, floods of outsiders' connections, poison input,
#    bad workers, plugin compatibility, a journaled coordinator killed and
#    run again, a pool of workers served two jobs, counters (exact totals
#    despite a failed and a superseded attempt) and
#    the status page in a real browser (headless chromium, installed with
#    apt-get when missing; the case is skipped, saying why, only when it
#    cannot be installed).
# 4. the multi-host scenarios of scripts/lan-tests.sh (network namespaces,
#    no shared disk, faults injected), with the same race-built binaries;
#    each of its "--- lan <name> test" lines counts as a case. Without root
#    or namespaces it prints exactly why it skipped (MR_SKIP_LAN=1 skips it).
#
# Every case prints "--- <name> test: PASS", "--- <name> test: FAIL: <why>"
# or (status page only) "--- <name> test: SKIP: <why>"
# (go vet and go test print "--- go vet: ..." and "--- go test: ...") and,
# on failure, the tail of its processes' logs. The last line is the one
# tally of the suite: "N passed, N failed" (", N skipped" when some were),
# then "; failed: " and the name of every failed case ("go test, crash,
# lan secret"), and "; skipped: " likewise; the exit status is 0 only when
# nothing failed.
#
# Progress. Every step starts with a "*** " line. go vet, go test and the
# build show their output as it comes (go test: a line per package as it
# finishes; the build: each step with its seconds), and so do the
# multi-host scenarios. Whatever runs, the suite never stays silent for
# more than 20 s: a line such as
#   "    ... go test -trimpath -race ./... still running (120 s; now: mr.test)"
# says which step runs, since when, and which commands are at work. On an
# empty Go cache, 2 CPUs, the suite takes about 5 minutes (9 with two busy
# CPU loops beside it); each step has a timeout far above its usual time
# (STEP_SECS below), so that a loaded machine passes, and a hung step
# fails instead of hanging the suite.
#
# Isolation: everything runs in a fresh scratch directory (mktemp -d) that is
# removed on exit, together with every process the suite started. Each case
# has a directory of its own in it:
#   coord/      the coordinator's cwd, holding the only copy of the inputs
#               (input-1.txt .. input-8.txt, passed by these relative names;
#               mrsequential runs here too, so Map sees the same names)
#   out/        the coordinator's -out directory
#   w1/ w2/ ... one cwd per worker process, with its -dir (run/) inside
#   markers/    MR_MARKER_DIR, shared by the workers of the case
#   expected    the reference output (mrsequential's mr-out-0)
#   *.log       one log per process
# The crash case's restarted workers get w<loop>.<n>/ instead of w<i>/.
#
# A job case passes when the coordinator exits 0; every worker exits 0
# within 15 s after it (crash workers may exit any way, within 30 s); out/
# holds mr-out-0..9, mr-<app>-all, optionally mr-<app>-summary.json and
# nothing else; mr-<app>-all equals mrsequential's mr-out-0 byte for byte
# and the sorted mr-out-* equal its sorted lines (marker apps: the checks of
# the case instead); and no log reports a data race.
#
# Coordinators listen on 127.0.0.1:0 and publish their address through
# -addr-file, so two suites can run at once on one machine. Every process
# runs under timeout(1); a case whose process times out fails.
#
# Environment:
#   MR_SKIP_GO_TESTS=1  skip go vet and go test (test-mr-many.sh repeats)
#   MR_SKIP_LAN=1       skip the multi-host scenarios
#   MR_SKIP_BUILD=1     use the binaries already in bin/ (build them with
#                       scripts/build.sh -race first)
#   MR_CASES="wc crash" run only these cases (names as in CASES below:
#                       wc indexer map_parallelism reduce_parallelism
#                       job_count early_exit crash bad_input hostile flood
#                       poison bad_worker plugin_compat journal pool
#                       counters status_page)
#   MR_VERBOSE=1        pass -v to the coordinator and the workers
#   MR_KEEP=1           keep the scratch directory and print its path
#   MR_TIMEOUT=120      seconds allowed to each process of a normal case
#   MR_CRASH_TIMEOUT=240 seconds allowed to the crash case's coordinator
#   MR_SCREENSHOT=F     the status page case copies its screenshot of the
#                       finished job to F (scripts/screenshot.sh uses it)
#
# To add a case: write a function case_<name> that returns 0 to pass, or
# calls `fail "reason"` and returns 1 (or sets REASON and returns 2 to be
# skipped), and add "<title>|<name>" to CASES.
# Helpers: new_case_dirs, reference, start_coordinator, start_worker,
# finish_job, check_outputs (see their comments); fail, last_line, report
# and the timing helpers are in scripts/testlib.sh, shared with
# scripts/lan-tests.sh.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
ROOT=$PWD
# shellcheck source=scripts/testlib.sh
source "$ROOT/scripts/testlib.sh"

MR_SKIP_GO_TESTS=${MR_SKIP_GO_TESTS:-0}
MR_SKIP_BUILD=${MR_SKIP_BUILD:-0}
MR_SKIP_LAN=${MR_SKIP_LAN:-0}
MR_CASES=${MR_CASES:-}
MR_VERBOSE=${MR_VERBOSE:-0}
MR_KEEP=${MR_KEEP:-0}
TIMEOUT=${MR_TIMEOUT:-120}
CRASH_TIMEOUT=${MR_CRASH_TIMEOUT:-240}

# Seconds allowed to the steps that are no case, under timeout(1). On 2
# CPUs with an empty Go cache they took 30, 50, 40 and 55 s (go vet, go
# test, the build, the multi-host scenarios), and 105, 120, 120 and 65 s
# with two busy CPU loops beside the suite.
declare -A STEP_SECS=([vet]=600 [test]=1200 [build]=900 [lan]=900)
TICK_SECS=20 # the longest the suite stays silent

NREDUCE=10
NFILES=8
FILE_SIZE=150000
SEED=1

# The cases after build, in order: "<title>|<function suffix>".
CASES=(
	"wc|wc"
	"indexer|indexer"
	"map parallelism|map_parallelism"
	"reduce parallelism|reduce_parallelism"
	"job count|job_count"
	"early exit|early_exit"
	"crash|crash"
	"bad input|bad_input"
	"hostile peer|hostile"
	"flood|flood"
	"poison input|poison"
	"bad worker|bad_worker"
	"plugin compatibility|plugin_compat"
	"journal|journal"
	"pool|pool"
	"counters|counters"
	"status page|status_page"
)

SUITE_START=$SECONDS
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mr-test.XXXXXX") || exit 1
BIN=$SCRATCH/bin
INPUT_DIR=$SCRATCH/inputs
INPUTS=()
VFLAG=()
[[ $MR_VERBOSE == 1 ]] && VFLAG=(-v)

# ---------------------------------------------------------------------------
# Processes. Every background process is started by spawn and recorded in
# LIVE until reaped; on exit, stop_all kills whatever is still there.

declare -A LIVE=()    # pid -> 1 while started and not yet reaped
declare -A EXIT_RC=() # pid -> exit status, once reaped
SPAWNED=

# spawn LOG DIR SECS CMD...: runs CMD in DIR under `timeout -k 2 SECS`, in
# the background, stdout and stderr to LOG; sets SPAWNED to its pid (the
# timeout process, which forwards signals to CMD's whole process group).
spawn() {
	local log=$1 dir=$2 secs=$3
	shift 3
	(cd "$dir" && exec timeout -k 2 "$secs" "$@") </dev/null >"$log" 2>&1 &
	SPAWNED=$!
	LIVE[$SPAWNED]=1
	CASE_LOGS+=("$log")
}

# reap PID: waits for PID (once; later calls return the same status).
reap() {
	local pid=$1 rc
	if [[ -n ${EXIT_RC[$pid]:-} ]]; then
		return "${EXIT_RC[$pid]}"
	fi
	wait "$pid"
	rc=$?
	EXIT_RC[$pid]=$rc
	unset "LIVE[$pid]"
	return "$rc"
}

# run_bounded LOG DIR SECS CMD...: spawn and reap; returns CMD's status
# (124 or 137 when it timed out).
run_bounded() {
	spawn "$@"
	reap "$SPAWNED"
}

# run_streamed LOG DIR SECS CMD...: run_bounded, showing LOG's lines as
# they come.
run_streamed() {
	local log=$1 rc follower
	: >"$log"
	spawn "$@"
	tail -n +1 -s 0.2 -f --pid="$SPAWNED" "$log" 2>/dev/null &
	follower=$!
	reap "$SPAWNED"
	rc=$?
	wait "$follower"
	return "$rc"
}

# timed_out RC: whether an exit status is timeout(1)'s.
timed_out() { [[ $1 == 124 || $1 == 137 ]]; }

# alive PID: whether a process we started has not exited yet.
alive() { [[ -z ${EXIT_RC[$1]:-} ]] && kill -0 "$1" 2>/dev/null; }

# wait_gone SECS PID...: waits until every PID has exited, at most SECS
# seconds; returns 1 if some are still running.
wait_gone() {
	local secs=$1 deadline pid
	shift
	deadline=$((SECONDS + secs))
	for pid in "$@"; do
		while alive "$pid"; do
			((SECONDS >= deadline)) && return 1
			sleep 0.1
		done
	done
	return 0
}

# stop_all: kills every process still live and reaps it.
stop_all() {
	local pid
	for pid in "${!LIVE[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${!LIVE[@]}"; do
		reap "$pid"
	done
}

start_forwarding "$TICK_SECS"
cleanup_on_exit test-mr.sh stop_all "$MR_KEEP"

# ---------------------------------------------------------------------------
# Case bookkeeping (fail, report, last_line... come from scripts/testlib.sh).

CASE_DIR=
CASE_LOGS=()

# show_logs: prints the tail of the case's logs (the first ones, which are
# the reference and the coordinator, and the last few workers).
show_logs() {
	local n=${#CASE_LOGS[@]} i log lines
	for ((i = 0; i < n; i++)); do
		log=${CASE_LOGS[i]}
		((i >= 3 && i < n - 6)) && continue
		[[ -f $log ]] || continue
		lines=10
		[[ $log == */coordinator.log ]] && lines=25
		show_tail "$log" "$lines"
	done
	if ((n > 9)); then
		echo "    (logs of $((n - 9)) more processes left out)"
	fi
}

# check_no_races: fails if any log of the case reports a data race (the
# crash case ignores its workers' exit statuses, so look at the logs).
check_no_races() {
	local log
	for log in "${CASE_LOGS[@]}" "$CASE_DIR"/*.log; do
		if [[ -f $log ]] && grep -q 'WARNING: DATA RACE' "$log"; then
			fail "data race reported in ${log#"$SCRATCH"/}"
			return 1
		fi
	done
}

# run_case TITLE NAME: runs case_NAME in $SCRATCH/NAME and reports it.
run_case() {
	local title=$1 name=$2 start=$EPOCHREALTIME status
	CASE_DIR=$SCRATCH/$name
	CASE_LOGS=()
	REASON=
	mkdir -p "$CASE_DIR"
	echo "*** Starting $title test."
	"case_$name"
	status=$?
	stop_all
	if ((status == 0)); then
		check_no_races || status=1
	fi
	report "$title test" "$status" "$title"
	((status != 0 && status != 2)) && show_logs
	record_time "$title" "$start"
	return "$status"
}

# ---------------------------------------------------------------------------
# Steps before the cases: go vet, go test, build, inputs.

# GO_FLAGS: scripts/build.sh -race's go build flags ("-trimpath -race").
# go vet and go test run with them too, so that all three share their
# compiling. Measured on an empty cache, 2 CPUs: -race saves go vet 16 s
# (what it compiles, go test needs), -trimpath the build 20 s more.
read -ra GO_FLAGS <<<"$(bash "$ROOT/scripts/build.sh" -race -flags 2>/dev/null)"
[[ " ${GO_FLAGS[*]} " == *" -race "* ]] || GO_FLAGS=(-race)

# step_go_vet: go vet ./... with GO_FLAGS, -race included unless a file of
# ours depends on the race build tag: it then checks the same files as
# plain go vet, and compiles for its checks what go test and the build
# need next.
step_go_vet() {
	local start=$EPOCHREALTIME log=$SCRATCH/go-vet.log rc flags=("${GO_FLAGS[@]}") f
	CASE_LOGS=()
	REASON=
	if grep -rqE --include='*.go' '^//go:build.*\brace\b' "$ROOT"; then
		flags=()
		for f in "${GO_FLAGS[@]}"; do [[ $f == -race ]] || flags+=("$f"); done
	fi
	echo "*** go vet ${flags[*]} ./..."
	run_streamed "$log" "$ROOT" "${STEP_SECS[vet]}" go vet "${flags[@]}" ./...
	rc=$?
	if timed_out "$rc"; then
		fail "go vet timed out after ${STEP_SECS[vet]}s"
	elif ((rc != 0)); then
		fail "go vet exited with status $rc"
	else
		# gofmt is part of the same promise: the tree as gofmt would write it.
		local unformatted
		unformatted=$(cd "$ROOT" && "$(go env GOROOT)/bin/gofmt" -l . 2>&1)
		[[ -z $unformatted ]] || {
			rc=1
			fail "gofmt -l lists: $(echo $unformatted)"
		}
	fi
	report "go vet" "$rc"
	record_time "go vet" "$start"
}

step_go_test() {
	local start=$EPOCHREALTIME log=$SCRATCH/go-test.log rc
	CASE_LOGS=()
	REASON=
	echo "*** go test ${GO_FLAGS[*]} ./..."
	run_streamed "$log" "$ROOT" "${STEP_SECS[test]}" go test "${GO_FLAGS[@]}" ./...
	rc=$?
	if timed_out "$rc"; then
		fail "go test timed out after ${STEP_SECS[test]}s"
	elif ((rc != 0)); then
		fail "go test exited with status $rc"
	fi
	report "go test" "$rc"
	record_time "go test" "$start"
}

# step_build: builds (unless MR_SKIP_BUILD=1) and copies bin/ into the
# scratch directory, so a rebuild during the run cannot change the binaries
# under the cases' feet.
step_build() {
	local start=$EPOCHREALTIME log=$SCRATCH/build.log rc=0 f
	CASE_LOGS=()
	REASON=
	if [[ $MR_SKIP_BUILD != 1 ]]; then
		echo "*** scripts/build.sh -race"
		run_streamed "$log" "$ROOT" "${STEP_SECS[build]}" bash scripts/build.sh -race
		rc=$?
		if timed_out "$rc"; then
			fail "build timed out after ${STEP_SECS[build]}s"
		elif ((rc != 0)); then
			fail "scripts/build.sh -race exited with status $rc"
		fi
	fi
	if ((rc == 0)); then
		for f in mrcoordinator mrworker mrsequential mrgen mrcheck mrhostile mrstatuscheck wc.so indexer.so gated.so \
			mtiming.so rtiming.so jobcount.so early_exit.so crash.so nocrash.so straggler.so poison.so counters.so; do
			if [[ ! -f $ROOT/bin/$f ]]; then
				fail "bin/$f is missing (run scripts/build.sh -race)"
				rc=1
				break
			fi
		done
	fi
	if ((rc == 0)); then
		mkdir -p "$BIN" && cp -p "$ROOT"/bin/* "$BIN"/ || {
			fail "cannot copy bin/ to $BIN"
			rc=1
		}
	fi
	[[ $MR_SKIP_BUILD == 1 && $rc == 0 ]] && echo "*** using the binaries in bin/ (MR_SKIP_BUILD=1)"
	report "build" "$rc"
	record_time build "$start"
	return "$rc"
}

# step_inputs: generates the inputs once; the cases copy them.
step_inputs() {
	local log=$SCRATCH/mrgen.log rc i
	CASE_LOGS=()
	REASON=
	run_bounded "$log" "$SCRATCH" 60 "$BIN/mrgen" -out "$INPUT_DIR" \
		-files "$NFILES" -size "$FILE_SIZE" -seed "$SEED" -prefix input-
	rc=$?
	if ((rc != 0)); then
		fail "mrgen exited with status $rc: $(last_line "$log")"
	else
		for ((i = 1; i <= NFILES; i++)); do
			if [[ ! -s $INPUT_DIR/input-$i.txt ]]; then
				fail "mrgen did not write input-$i.txt"
				rc=1
				break
			fi
			INPUTS+=("input-$i.txt")
		done
	fi
	if ((rc != 0)); then
		report "inputs" 1
		show_logs
	fi
	return "$rc"
}

# ---------------------------------------------------------------------------
# Helpers of the job cases. They use CASE_DIR and set the globals below.

COORD_PID=
ADDR=
WORKER_PIDS=()
JOB_ENV=()     # NAME=value pairs for the job's processes (the hostile case's MR_SECRET)
WORKER_ARGS=() # more mrworker flags
JOURNALED=0    # the job keeps a journal in out/ (mr-job.journal)

# new_case_dirs: creates coord/ (with a copy of the inputs), out/, markers/.
new_case_dirs() {
	COORD_PID=
	ADDR=
	WORKER_PIDS=()
	JOB_ENV=()
	mkdir -p "$CASE_DIR/coord" "$CASE_DIR/out" "$CASE_DIR/markers" &&
		cp "$INPUT_DIR"/input-*.txt "$CASE_DIR/coord/" ||
		fail "cannot set up $CASE_DIR"
}

# reference APP: runs mrsequential APP.so on the inputs in coord/ (same cwd
# and names as the coordinator) and moves its mr-out-0 to $CASE_DIR/expected.
reference() {
	local app=$1 log=$CASE_DIR/mrsequential.log rc
	run_bounded "$log" "$CASE_DIR/coord" "$TIMEOUT" \
		"$BIN/mrsequential" "$BIN/$app.so" "${INPUTS[@]}"
	rc=$?
	if timed_out "$rc"; then
		fail "mrsequential $app.so timed out after ${TIMEOUT}s"
		return 1
	elif ((rc != 0)); then
		fail "mrsequential $app.so exited with status $rc: $(last_line "$log")"
		return 1
	fi
	[[ -f $CASE_DIR/coord/mr-out-0 ]] || {
		fail "mrsequential $app.so wrote no mr-out-0"
		return 1
	}
	mv "$CASE_DIR/coord/mr-out-0" "$CASE_DIR/expected"
}

# start_coordinator SECS [FLAGS...]: starts the coordinator in coord/ on
# 127.0.0.1:0 with the inputs, waits (at most 10 s) for its address file and
# sets COORD_PID and ADDR.
start_coordinator() {
	local secs=$1 addr_file=$CASE_DIR/coord.addr deadline
	shift
	rm -f "$addr_file"
	spawn "$CASE_DIR/coordinator.log" "$CASE_DIR/coord" "$secs" \
		env "${JOB_ENV[@]}" "$BIN/mrcoordinator" -addr 127.0.0.1:0 -addr-file "$addr_file" \
		-nreduce "$NREDUCE" -out "$CASE_DIR/out" "${VFLAG[@]}" "$@" "${INPUTS[@]}"
	COORD_PID=$SPAWNED
	deadline=$((SECONDS + 10))
	until [[ -s $addr_file ]]; do
		if ! alive "$COORD_PID"; then
			reap "$COORD_PID"
			fail "coordinator exited with status $? before listening: $(last_line "$CASE_DIR/coordinator.log")"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			fail "coordinator wrote no address file within 10 s"
			return 1
		fi
		sleep 0.05
	done
	ADDR=$(<"$addr_file")
	[[ $ADDR == *:* ]] || {
		fail "coordinator's address file holds '$ADDR', not host:port"
		return 1
	}
}

# start_worker NAME APP SECS: starts a worker in $CASE_DIR/NAME (its cwd,
# with -dir NAME/run) on APP.so, talking to ADDR; appends it to WORKER_PIDS.
start_worker() {
	local name=$1 app=$2 secs=$3 dir=$CASE_DIR/$1
	mkdir -p "$dir/run"
	spawn "$CASE_DIR/$name.log" "$dir" "$secs" \
		env "${JOB_ENV[@]}" COORDINATOR_HOST="$ADDR" MR_MARKER_DIR="$CASE_DIR/markers" \
		"$BIN/mrworker" -dir "$dir/run" "${VFLAG[@]}" "${WORKER_ARGS[@]}" "$BIN/$app.so"
	WORKER_PIDS+=("$SPAWNED")
}

# start_job APP NWORKERS: the coordinator, then NWORKERS workers w1..wN.
start_job() {
	local app=$1 n=$2 i
	start_coordinator "$TIMEOUT" || return 1
	for ((i = 1; i <= n; i++)); do
		start_worker "w$i" "$app" "$TIMEOUT"
	done
}

# worker_label NAME: "w2 (coordinator's w3)": the worker's directory name
# and, when its log says, the id the coordinator gave it.
worker_label() {
	local id
	id=$(grep -m 1 -o 'msg="worker registered" worker=[^ ]*' "$CASE_DIR/$1.log" 2>/dev/null)
	if [[ -n $id ]]; then
		echo "$1 (coordinator's ${id##*=})"
	else
		echo "$1"
	fi
}

# finish_job: waits for the coordinator, then gives the workers 15 s more to
# exit. Fails unless the coordinator and every worker exited 0 in time.
finish_job() {
	local rc i pid
	reap "$COORD_PID"
	rc=$?
	if timed_out "$rc"; then
		fail "coordinator timed out after ${TIMEOUT}s"
		return 1
	elif ((rc != 0)); then
		fail "coordinator exited with status $rc: $(last_line "$CASE_DIR/coordinator.log")"
		return 1
	fi
	if ! wait_gone 15 "${WORKER_PIDS[@]}"; then
		for ((i = 0; i < ${#WORKER_PIDS[@]}; i++)); do
			alive "${WORKER_PIDS[i]}" && break
		done
		fail "worker $(worker_label "w$((i + 1))") still running 15 s after the coordinator exited 0"
		return 1
	fi
	for ((i = 0; i < ${#WORKER_PIDS[@]}; i++)); do
		pid=${WORKER_PIDS[i]}
		reap "$pid"
		rc=$?
		if ((rc != 0)); then
			if timed_out "$rc"; then
				fail "worker $(worker_label "w$((i + 1))") timed out after ${TIMEOUT}s"
			else
				fail "worker $(worker_label "w$((i + 1))") exited with status $rc after the job: $(last_line "$CASE_DIR/w$((i + 1)).log")"
			fi
			return 1
		fi
	done
}

# sorted FILE...: the lines of the files, sorted bytewise.
sorted() { cat "$@" | LC_ALL=C sort; }

# check_files APP: out/ holds exactly mr-out-0..mr-out-(R-1), mr-APP-all
# and (optionally) the job summary mr-APP-summary.json: no temp or other
# files. mr-APP-all has the lines of the mr-out-*.
check_files() {
	local app=$1 out=$CASE_DIR/out y f base extra=()
	for ((y = 0; y < NREDUCE; y++)); do
		[[ -f $out/mr-out-$y ]] || {
			fail "mr-out-$y is missing"
			return 1
		}
	done
	[[ -f $out/mr-$app-all ]] || {
		fail "mr-$app-all is missing"
		return 1
	}
	for f in "$out"/* "$out"/.[!.]*; do
		[[ -e $f ]] || continue
		base=${f##*/}
		[[ $base =~ ^mr-out-[0-9]+$ && ${base#mr-out-} -lt $NREDUCE ]] && continue
		[[ $base == "mr-$app-all" || $base == "mr-$app-summary.json" ]] && continue
		[[ $base == mr-job.journal && $JOURNALED == 1 ]] && continue
		extra+=("$base")
	done
	((${#extra[@]} == 0)) || {
		fail "unexpected files in the output directory: ${extra[*]}"
		return 1
	}
	cmp -s <(sorted "$out"/mr-out-*) <(sorted "$out/mr-$app-all") || {
		fail "mr-$app-all does not hold the same lines as mr-out-*"
		return 1
	}
}

# check_outputs APP: check_files, then mr-APP-all equals the reference byte
# for byte and the mr-out-* hold the reference's lines.
check_outputs() {
	local app=$1 out=$CASE_DIR/out diff
	check_files "$app" || return 1
	if ! diff=$(cmp "$out/mr-$app-all" "$CASE_DIR/expected" 2>&1); then
		fail "mr-$app-all differs from mrsequential's mr-out-0: ${diff#"$CASE_DIR"/}"
		return 1
	fi
	cmp -s <(sorted "$out"/mr-out-*) <(sorted "$CASE_DIR/expected") || {
		fail "sorted mr-out-* differ from sorted mrsequential output"
		return 1
	}
}

# ---------------------------------------------------------------------------
# The cases.

case_wc() {
	new_case_dirs || return 1
	reference wc || return 1
	start_job wc 3 || return 1
	finish_job || return 1
	check_outputs wc
}

case_indexer() {
	new_case_dirs || return 1
	reference indexer || return 1
	start_job indexer 2 || return 1
	finish_job || return 1
	check_outputs indexer
}

case_map_parallelism() {
	local all=$CASE_DIR/out/mr-mtiming-all nt
	new_case_dirs || return 1
	start_job mtiming 2 || return 1
	finish_job || return 1
	check_files mtiming || return 1
	nt=$(grep -c '^times-' "$all")
	((nt == 2)) || {
		fail "saw $nt workers running maps rather than 2"
		return 1
	}
	awk '$1 ~ /^parallel-/ && $2 >= 2 { found = 1 } END { exit !found }' "$all" || {
		fail "map workers did not run in parallel: $(grep '^parallel-' "$all" | tr '\n' ' ')"
		return 1
	}
}

case_reduce_parallelism() {
	local all=$CASE_DIR/out/mr-rtiming-all n
	new_case_dirs || return 1
	start_job rtiming 2 || return 1
	finish_job || return 1
	check_files rtiming || return 1
	n=$(grep -c '^[a-j] ' "$all")
	((n == 10)) || {
		fail "expected the 10 keys a..j, found $n"
		return 1
	}
	awk '$2 >= 2 { found = 1 } END { exit !found }' "$all" || {
		fail "reduce workers did not run in parallel: $(tr '\n' ' ' <"$all")"
		return 1
	}
}

case_job_count() {
	local all=$CASE_DIR/out/mr-jobcount-all got nm
	new_case_dirs || return 1
	start_job jobcount 4 || return 1
	finish_job || return 1
	check_files jobcount || return 1
	nm=$(find "$CASE_DIR/markers" -name 'mr-worker-jobcount-*' | wc -l)
	((nm == NFILES)) || {
		fail "$nm map calls ran for $NFILES map tasks"
		return 1
	}
	got=$(<"$all")
	[[ $got == "a $NFILES" ]] || {
		fail "output is '$(tr '\n' ' ' <"$all")', want 'a $NFILES'"
		return 1
	}
}

# case_early_exit: when the first process exits (coordinator or worker), the
# output must already be complete and correct, and must not change after.
case_early_exit() {
	local out=$CASE_DIR/out all=$CASE_DIR/out/mr-early_exit-all first rc who i
	local pids=()
	new_case_dirs || return 1
	reference early_exit || return 1
	start_job early_exit 3 || return 1
	pids=("$COORD_PID" "${WORKER_PIDS[@]}")
	wait -n -p first "${pids[@]}"
	rc=$?
	EXIT_RC[$first]=$rc
	unset "LIVE[$first]"
	# Snapshot at once, before anything else can change.
	sorted "$out"/mr-out-* >"$CASE_DIR/initial-sorted" 2>/dev/null
	[[ -f $all ]] && cp "$all" "$CASE_DIR/initial-all"
	who=coordinator
	for ((i = 0; i < ${#WORKER_PIDS[@]}; i++)); do
		[[ ${WORKER_PIDS[i]} == "$first" ]] && who="worker $(worker_label "w$((i + 1))")"
	done
	echo "    first to exit: $who (status $rc)"
	finish_job || return 1
	check_outputs early_exit || return 1
	[[ -f $CASE_DIR/initial-all ]] || {
		fail "$who exited (status $rc) before mr-early_exit-all existed"
		return 1
	}
	cmp -s "$CASE_DIR/initial-all" "$all" || {
		fail "mr-early_exit-all changed after $who exited"
		return 1
	}
	cmp -s "$CASE_DIR/initial-sorted" <(sorted "$out"/mr-out-*) || {
		fail "mr-out-* changed after $who exited (output incomplete when the first process exited)"
		return 1
	}
}

# crash_loop I: restarts a crash.so worker (fresh dir w<I>.<n> each time)
# until the coordinator has exited. TERM stops the loop and its worker.
crash_loop() {
	local i=$1 n=0 child='' dir
	trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 0' TERM
	while [[ ! -e $CASE_DIR/coord.exited ]] && kill -0 "$COORD_PID" 2>/dev/null; do
		n=$((n + 1))
		dir=$CASE_DIR/w$i.$n
		mkdir -p "$dir/run"
		(cd "$dir" && exec timeout -k 2 "$CRASH_TIMEOUT" \
			env COORDINATOR_HOST="$ADDR" MR_MARKER_DIR="$CASE_DIR/markers" \
			"$BIN/mrworker" -dir "$dir/run" -wait-coordinator 5s "${VFLAG[@]}" "$BIN/crash.so") \
			</dev/null >"$CASE_DIR/w$i.$n.log" 2>&1 &
		child=$!
		wait "$child"
		child=
		sleep 1
	done
}

case_crash() {
	local loops=() i rc nlogs f
	new_case_dirs || return 1
	reference nocrash || return 1
	start_coordinator "$CRASH_TIMEOUT" || return 1
	for i in 1 2 3; do
		crash_loop "$i" &
		loops+=("$!")
		LIVE[$!]=1
	done
	reap "$COORD_PID"
	rc=$?
	touch "$CASE_DIR/coord.exited"
	# The loops' logs, in start order, for show_logs.
	nlogs=$(find "$CASE_DIR" -maxdepth 1 -name 'w*.log' | wc -l)
	while IFS= read -r f; do CASE_LOGS+=("$f"); done < <(ls -tr "$CASE_DIR"/w*.log 2>/dev/null)
	if timed_out "$rc"; then
		fail "coordinator timed out after ${CRASH_TIMEOUT}s ($nlogs worker processes ran)"
		return 1
	elif ((rc != 0)); then
		fail "coordinator exited with status $rc: $(last_line "$CASE_DIR/coordinator.log")"
		return 1
	fi
	echo "    $nlogs worker processes ran"
	# A worker may be sleeping up to 10 s inside Map or Reduce, then needs
	# ~3 s to notice that the coordinator is gone.
	wait_gone 30 "${loops[@]}" || {
		fail "crash workers still running 30 s after the coordinator exited"
		return 1
	}
	for i in "${loops[@]}"; do reap "$i"; done
	check_outputs crash
}

# case_bad_input: missing input file, missing plugin, unreachable
# coordinator: each exits non-zero, quickly, with one clear line.
# one_line_error WHAT NAME LOG DIR CMD...: runs CMD (5 s at most) and
# checks that it exits non-zero printing exactly one line that names NAME.
one_line_error() {
	local what=$1 name=$2 log=$3 dir=$4 rc out lines
	shift 4
	run_bounded "$log" "$dir" 5 "$@"
	rc=$?
	out=$(<"$log")
	lines=$(grep -c . "$log")
	if timed_out "$rc"; then
		fail "$what still running after 5 s"
		return 1
	elif ((rc == 0)); then
		fail "$what exited 0"
		return 1
	elif ((lines != 1)) || [[ $out != *"$name"* ]]; then
		fail "$what printed $lines lines, want one naming $name: $(last_line "$log")"
		return 1
	fi
	echo "    $what: status $rc: $out"
}

case_bad_input() {
	local d=$CASE_DIR rc start elapsed port=1
	mkdir -p "$d/coord" "$d/out" "$d/w1/run" "$d/w2/run" &&
		cp "$INPUT_DIR"/input-*.txt "$d/coord/" || {
		fail "cannot set up $d"
		return 1
	}

	# A coordinator with a missing input, no input, a named pipe for input,
	# an address without a port; a worker with a missing plugin, a file
	# that is no plugin, an address without a port, a secret its
	# coordinator lacks; a coordinator on a port already taken: each exits
	# non-zero at once (within 5 s) with one line naming what is at fault.
	one_line_error "coordinator with a missing input" no-such-input.txt "$d/c1.log" "$d/coord" \
		"$BIN/mrcoordinator" -addr 127.0.0.1:0 -out "$d/out" input-1.txt no-such-input.txt || return 1
	one_line_error "worker with a missing plugin" no-such-app.so "$d/w1.log" "$d/w1" \
		env COORDINATOR_HOST="127.0.0.1:$port" "$BIN/mrworker" -dir "$d/w1/run" "$d/no-such-app.so" || return 1
	echo "not a plugin" >"$d/bogus.so"
	one_line_error "worker with a file that is no plugin" bogus.so "$d/w3.log" "$d/w1" \
		env COORDINATOR_HOST="127.0.0.1:$port" "$BIN/mrworker" -dir "$d/w1/run" "$d/bogus.so" || return 1
	one_line_error "coordinator with no inputs" "no inputs" "$d/c3.log" "$d/coord" \
		"$BIN/mrcoordinator" -addr 127.0.0.1:0 -out "$d/out" || return 1
	mkfifo "$d/coord/pipe.txt"
	one_line_error "coordinator with a named pipe as input" pipe.txt "$d/c4.log" "$d/coord" \
		"$BIN/mrcoordinator" -addr 127.0.0.1:0 -out "$d/out" input-1.txt pipe.txt || return 1
	one_line_error "coordinator address without a port" 127.0.0.1 "$d/c5.log" "$d/coord" \
		"$BIN/mrcoordinator" -addr 127.0.0.1 -out "$d/out" input-1.txt || return 1
	one_line_error "worker address without a port" 127.0.0.1 "$d/w4.log" "$d/w1" \
		env COORDINATOR_HOST=127.0.0.1 "$BIN/mrworker" -dir "$d/w1/run" "$BIN/wc.so" || return 1
	start_coordinator 30 || return 1
	one_line_error "coordinator on a busy port" "$ADDR" "$d/c2.log" "$d/coord" \
		"$BIN/mrcoordinator" -addr "$ADDR" -out "$d/out" input-1.txt || return 1
	# A worker with a secret that its coordinator lacks stops at once,
	# saying so; the coordinator goes on.
	one_line_error "worker with a secret the coordinator lacks" MR_SECRET "$d/w5.log" "$d/w1" \
		env COORDINATOR_HOST="$ADDR" MR_SECRET=not-the-jobs "$BIN/mrworker" -dir "$d/w1/run" "$BIN/wc.so" || return 1
	kill "$COORD_PID" 2>/dev/null
	reap "$COORD_PID"

	# A worker whose coordinator never answers exits non-zero within ~10 s
	# when told to wait 3 s for it (the default is a minute, for people who
	# start workers first). Nothing listens on 127.0.0.1:1 (checked).
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		fail "something listens on 127.0.0.1:$port; cannot test an unreachable coordinator"
		return 1
	fi
	start=$SECONDS
	run_bounded "$d/w2.log" "$d/w2" 15 env COORDINATOR_HOST="127.0.0.1:$port" \
		"$BIN/mrworker" -dir "$d/w2/run" -wait-coordinator 3s "$BIN/wc.so"
	rc=$?
	elapsed=$((SECONDS - start))
	if timed_out "$rc"; then
		fail "worker with no coordinator still running after 15 s"
		return 1
	elif ((rc == 0)); then
		fail "worker with no coordinator exited 0"
		return 1
	elif ((elapsed > 10)); then
		fail "worker with no coordinator took ${elapsed}s to give up (want ~3 s, at most 10)"
		return 1
	fi
	echo "    no coordinator: status $rc after ${elapsed}s: $(last_line "$d/w2.log")"
}

# case_hostile: a job run with a job secret while mrhostile, a peer on the
# same host without the secret, attacks the coordinator's and every
# worker's port: path-like app names, guessed worker ids, fake reports,
# forged and garbage uploads, split reads, junk, oversized messages, huge
# headers, half-open connections (see main/mrhostile). The workers run
# straggler.so with a slow first Reduce, so the job is still running when
# the attacks land. The job must finish with mrsequential's output, every
# attack must be refused, nothing may be written outside -out, the
# coordinator's memory stays bounded, refusals are logged once per peer
# per minute, and the secret appears in no log.
case_hostile() {
	local secret i addr hwm=0 pid rc n stray
	local workers=()
	new_case_dirs || return 1
	reference straggler || return 1
	secret=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	JOB_ENV=(MR_SECRET="$secret")
	start_coordinator "$TIMEOUT" || return 1
	for i in 1 2 3; do
		mkdir -p "$CASE_DIR/w$i" && echo 6s >"$CASE_DIR/w$i/slow-reduce"
		start_worker "w$i" straggler "$TIMEOUT"
	done
	for i in 1 2 3; do
		addr=$(wait_for_line "$CASE_DIR/w$i.log" 'msg="worker registered"' 10 | grep -o ' addr=[^ ]*' | cut -d= -f2)
		[[ -n $addr ]] || {
			fail "worker w$i did not register within 10 s: $(last_line "$CASE_DIR/w$i.log")"
			return 1
		}
		workers+=(-worker "$addr")
	done
	run_bounded "$CASE_DIR/mrhostile.log" "$CASE_DIR" 60 "$BIN/mrhostile" -coordinator "$ADDR" "${workers[@]}"
	rc=$?
	pid=$(pgrep -P "$COORD_PID" -x mrcoordinator | head -n 1)
	[[ -n $pid ]] && hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	echo "    $(tail -n 1 "$CASE_DIR/mrhostile.log"); coordinator peak RSS ${hwm:-?} KiB"
	if ((rc != 0)); then
		fail "mrhostile exited $rc: $(grep -m 3 -E ': (ACCEPTED|unreached): ' "$CASE_DIR/mrhostile.log" | tr '\n' ' ')"
		return 1
	fi
	finish_job || return 1
	check_outputs straggler || return 1
	stray=$(find "$CASE_DIR" -name '*pwned*' -o -name 'passwd' | head -n 3)
	[[ -z $stray ]] || {
		fail "files written outside -out: $stray"
		return 1
	}
	stray=$(find "$CASE_DIR/coord" -mindepth 1 ! -name 'input-*.txt' | head -n 3)
	[[ -z $stray ]] || {
		fail "files written in the coordinator's directory: $stray"
		return 1
	}
	((${hwm:-0} < 400 * 1024)) || {
		fail "coordinator peak RSS ${hwm} KiB under attack (bound 400 MiB)"
		return 1
	}
	n=$(grep -c 'msg=refused' "$CASE_DIR/coordinator.log")
	((n >= 1 && n <= 3)) || {
		fail "the coordinator logged $n refusals for one attacking host in one minute (want 1 to 3)"
		return 1
	}
	if grep -lF "$secret" "$CASE_DIR"/*.log >/dev/null 2>&1; then
		fail "the secret appears in $(grep -lF "$secret" "$CASE_DIR"/*.log | head -n 1)"
		return 1
	fi
}

# case_flood: availability under a flood of connections (issue 15). A
# secured word count (MR_SECRET) with 3 workers runs first unattacked,
# which gives its wall time T0 (from the workers' start to the
# coordinator's exit) and every process's peak RSS; then once per kind of
# flood (idle, slow-headers, partial-body, trickle-frames, handshakes, and
# all of them mixed: see main/mrhostile), while mrhostile, an outsider
# without the secret dialling from 100 loopback addresses of its own
# (127.0.1.1 to 127.0.1.100: 100 hosts, so that per-host caps alone do
# not stop it; MR_FLOOD_SOURCE changes them), holds connections of that kind open: 4,000 against the
# coordinator (twice its cap), ramped before the workers start, and 2,000
# against each worker's run-file server (twice its cap), from the moment
# its registration line names that address: 10,000 in all, the issue's
# figure (4,000 for trickle-frames and handshakes, which only the
# coordinator serves). Each kind is a run of its own because a mix is
# weaker than its strongest kind: the kinds a server times out keep
# freeing the slots the others would hold. The app is straggler.so (wc's
# output) with each worker's first Map held FLOOD_MAP_DELAY: unattacked,
# the job takes 0.2 s, less than a flood needs to ramp, so without the
# delay the reduce phase would race the flood instead of running under it.
#
# Under every flood the coordinator must exit 0 within 2*T0 + 10 s of the
# workers' start, with mrsequential's output, and every worker exit 0;
# the summary (mr-straggler-summary.json) must show no worker dead or
# excluded and none charged with a failed, died or excluded attempt, a
# fetch failure or a lost output; and no process's peak RSS (VmHWM of the
# coordinator and of each mrworker, not of the app's executors) may
# exceed the unattacked run's (the coordinator's; the largest worker's) by
# more than 64 MiB. Each run's figures are printed before its checks; the
# case stops at the first kind that fails.
#
# Each mrhostile raises its own limit of open files, and the servers' caps
# bound theirs. The bound on time has no allowance: the flood's CPU use,
# printed with the figures, is bounded by its dial rate (1000 a second
# against the coordinator, 500 against each worker; connections a server
# closes at once are dialled again after a back-off) and its trickle (a
# byte every 3 s per connection). The race detector's shadow memory makes
# every goroutine and buffer cost several times what it costs in a plain
# build (an idle flood adds 216 MiB to a race-built coordinator, 20 MiB to
# a plain one), so when the suite's binaries are race-built the case
# builds the ones it runs (mrcoordinator, mrworker, mrhostile, mrcheck,
# mrsequential, straggler.so) without -race, once per suite, from the same
# tree: a few seconds with a warm build cache. To measure:
# MR_FLOOD_KINDS (default all six, in the order above) and MR_FLOOD_AT
# ("coordinator workers", or one of them) narrow the floods;
# MR_FLOOD_GRACE=S keeps watching (and flooding) S seconds past the bound,
# to see whether and when a job that misses it ends (it fails all the
# same).
FLOOD_KINDS=${MR_FLOOD_KINDS:-idle slow-headers partial-body trickle-frames handshakes all}
FLOOD_AT=${MR_FLOOD_AT:-coordinator workers}
FLOOD_GRACE=${MR_FLOOD_GRACE:-0}
FLOOD_COORD_CONNS=4000
FLOOD_WORKER_CONNS=2000
FLOOD_SOURCE=${MR_FLOOD_SOURCE:-$(printf '127.0.1.%d,' $(seq 1 100))}
FLOOD_SOURCE=${FLOOD_SOURCE%,}
FLOOD_MAP_DELAY=5s
FLOOD_BASE=
FLOOD_SECRET=
FLOOD_CPU=0              # CPU seconds the current run's mrhostile processes used
FLOOD_RC=                # the coordinator's exit status, once it exited
FLOOD_JOB=               # seconds from the workers' start to the coordinator's exit; empty: it did not
FLOOD_PIDS=()            # the current run's mrhostile processes
declare -A FLOOD_PEAK=() # "RUN LABEL" -> peak RSS in KiB (LABEL: coordinator, w1, w2, w3)

case_flood() {
	local t0 bound kind BIN=$BIN # the helpers run this case's binaries
	flood_plain_binaries || return 1
	FLOOD_BASE=$CASE_DIR
	FLOOD_SECRET=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	FLOOD_PEAK=()
	new_case_dirs || return 1
	reference straggler || return 1
	mv "$CASE_DIR/expected" "$FLOOD_BASE/expected.straggler"
	flood_job calm "" "$TIMEOUT" || return 1
	[[ -n $FLOOD_JOB ]] || {
		fail "the unattacked job did not end within ${TIMEOUT}s"
		return 1
	}
	finish_job && check_outputs straggler || return 1
	t0=$FLOOD_JOB
	bound=$(awk -v t="$t0" 'BEGIN { printf "%.1f", 2 * t + 10 }')
	echo "    unattacked: job ${t0}s; peak RSS (MiB) $(flood_peaks calm)"
	for kind in $FLOOD_KINDS; do
		flood_kind "$kind" "$t0" "$bound" || return 1
	done
}

# flood_plain_binaries: when the suite's binaries are race-built, builds
# the case's own without -race into $SCRATCH/plain (once) and points BIN
# there.
flood_plain_binaries() {
	local dir=$SCRATCH/plain log=$SCRATCH/plain-build.log start=$EPOCHREALTIME rc
	go version -m "$BIN/mrcoordinator" 2>/dev/null | grep -q -- '-race=true' || return 0
	if [[ ! -f $dir/straggler.so ]]; then
		mkdir -p "$dir"
		run_bounded "$log" "$ROOT" 600 sh -c 'go build -o "$1/" ./main/mrcoordinator ./main/mrworker ./main/mrhostile \
			./main/mrcheck ./main/mrsequential && go build -buildmode=plugin -o "$1/straggler.so" ./mrapps/straggler' sh "$dir"
		rc=$?
		if ((rc != 0)); then
			rm -f "$dir/straggler.so"
			fail "building the case's binaries without -race failed (status $rc): $(last_line "$log")"
			return 1
		fi
		echo "    built mrcoordinator, mrworker, mrhostile, mrcheck, mrsequential and straggler.so without -race in $(since "$start")s"
	fi
	BIN=$dir
}

# flood_kind KIND T0 BOUND: the job under a flood of KIND, its figures
# and its checks.
flood_kind() {
	local kind=$1 t0=$2 bound=$3 run=flood-$1 started label grow out
	flood_job "$run" "$kind" "$(awk -v b="$bound" -v g="$FLOOD_GRACE" 'BEGIN { print b + g }')"
	started=$?
	flood_figures "$kind" "$bound"
	((started == 0)) || return 1
	[[ -n $FLOOD_JOB ]] || {
		fail "under the $kind flood the coordinator did not exit within ${bound}s (2 x ${t0}s + 10s) of the workers' start; $(flood_registered)"
		return 1
	}
	awk -v j="$FLOOD_JOB" -v b="$bound" 'BEGIN { exit !(j <= b) }' || {
		fail "under the $kind flood the coordinator exited only ${FLOOD_JOB}s after the workers' start, past the bound of ${bound}s (2 x ${t0}s + 10s)"
		return 1
	}
	finish_job && check_outputs straggler || return 1
	out=$(flood_blame)
	[[ -z $out ]] || {
		fail "under the $kind flood the summary charges workers: $out"
		return 1
	}
	for label in coordinator w1 w2 w3; do
		grow=$(flood_growth "$run" "$label") || {
			fail "under the $kind flood no peak RSS was read for $label"
			return 1
		}
		((grow <= 64 * 1024)) || {
			fail "under the $kind flood $label's peak RSS grew by $((grow / 1024)) MiB over the unattacked run's (bound 64 MiB)"
			return 1
		}
	done
}

# flood_job RUN KIND SECS: runs the secured job in $FLOOD_BASE/RUN (as
# CASE_DIR), under a flood of KIND unless it is empty, and watches it
# until the coordinator exits or SECS seconds have passed since the
# workers started; then stops the flood and watches the workers until they
# exit (15 s at most). Sets FLOOD_JOB, FLOOD_RC, FLOOD_CPU and
# FLOOD_PEAK["RUN LABEL"].
flood_job() {
	local run=$1 kind=$2 secs=$3 t0 i addr end pid
	local -A flooding=()
	CASE_DIR=$FLOOD_BASE/$run
	mkdir -p "$CASE_DIR"
	new_case_dirs || return 1
	cp "$FLOOD_BASE/expected.straggler" "$CASE_DIR/expected"
	JOB_ENV=(MR_SECRET="$FLOOD_SECRET")
	FLOOD_PIDS=()
	FLOOD_JOB=
	FLOOD_RC=
	FLOOD_CPU=0
	start_coordinator "$TIMEOUT" || return 1
	if [[ -n $kind ]] && selected coordinator "$FLOOD_AT"; then
		flood_spawn coordinator "$kind" "$FLOOD_COORD_CONNS" 1000 "$secs" -coordinator "$ADDR"
		wait_for_line "$CASE_DIR/mrhostile-coordinator.log" '^flood ramped' 30 >/dev/null || {
			fail "mrhostile's flood of the coordinator did not ramp within 30 s: $(last_line "$CASE_DIR/mrhostile-coordinator.log")"
			return 1
		}
	fi
	t0=$EPOCHREALTIME
	for i in 1 2 3; do
		mkdir -p "$CASE_DIR/w$i" && echo "$FLOOD_MAP_DELAY" >"$CASE_DIR/w$i/straggler"
		start_worker "w$i" straggler "$TIMEOUT"
	done
	[[ -n $kind && $kind != trickle-frames && $kind != handshakes ]] && selected workers "$FLOOD_AT" ||
		flooding=([1]=- [2]=- [3]=-)
	while before "$t0" "$secs"; do
		flood_sample "$run"
		if ! alive "$COORD_PID"; then
			FLOOD_JOB=$(since "$t0")
			reap "$COORD_PID"
			FLOOD_RC=$?
			break
		fi
		for i in 1 2 3; do
			[[ -z ${flooding[$i]:-} ]] || continue
			addr=$(grep -m 1 'msg="worker registered"' "$CASE_DIR/w$i.log" 2>/dev/null | grep -o ' addr=[^ ]*' | cut -d= -f2)
			[[ -n $addr ]] || continue
			flooding[$i]=$addr
			flood_spawn "w$i" "$kind" "$FLOOD_WORKER_CONNS" 500 "$secs" -worker "$addr"
		done
		sleep 0.1
	done
	for pid in "${FLOOD_PIDS[@]}"; do
		FLOOD_CPU=$(awk -v a="$FLOOD_CPU" -v b="$(cpu_seconds "$(child_of "$pid" 2>/dev/null)")" 'BEGIN { print a + b }')
		kill "$pid" 2>/dev/null
	done
	for pid in "${FLOOD_PIDS[@]}"; do
		reap "$pid"
	done
	[[ -n $FLOOD_JOB ]] || return 0
	end=$((SECONDS + 15))
	while ((SECONDS < end)) && flood_sample "$run"; do
		sleep 0.1
	done
}

# flood_spawn LABEL KIND CONNS RATE SECS TARGET...: mrhostile floods
# TARGET (its -coordinator or -worker flag) with CONNS connections of
# KIND, dialling at most RATE a second, for SECS seconds (it is stopped
# sooner), logging to mrhostile-LABEL.log.
flood_spawn() {
	local label=$1 kind=$2 conns=$3 rate=$4 secs=$5
	shift 5
	spawn "$CASE_DIR/mrhostile-$label.log" "$CASE_DIR" "$(awk -v s="$secs" 'BEGIN { printf "%d", s + 60 }')" \
		"$BIN/mrhostile" -flood "$kind" -conns "$conns" -rate "$rate" -source "$FLOOD_SOURCE" \
		-duration "$(awk -v s="$secs" 'BEGIN { printf "%d", s + 30 }')s" "$@"
	FLOOD_PIDS+=("$SPAWNED")
}

# flood_sample RUN: records the peak RSS of the coordinator and of each
# worker still running (the processes timeout(1) runs); returns 1 once
# none is.
flood_sample() {
	local run=$1 i pid hwm none=1
	local -a labels=(coordinator w1 w2 w3) pids=("$COORD_PID" "${WORKER_PIDS[@]}")
	for i in "${!pids[@]}"; do
		alive "${pids[i]}" || continue
		none=0
		pid=$(child_of "${pids[i]}" 2>/dev/null) || continue
		hwm=$(vm_hwm "$pid") && FLOOD_PEAK["$run ${labels[i]}"]=$hwm
	done
	return "$none"
}

# vm_hwm PID: PID's peak resident memory, KiB.
vm_hwm() {
	local key value _
	while read -r key value _; do
		if [[ $key == VmHWM: ]]; then
			echo "$value"
			return 0
		fi
	done <"/proc/$1/status"
	return 1
} 2>/dev/null

# cpu_seconds PID: the CPU time PID has used, user and system, in seconds
# (0 if it is gone).
cpu_seconds() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	# after the command's name, in parentheses: fields 14 and 15 of the line
	awk -v hz="$(getconf CLK_TCK)" '{ print ($12 + $13) / hz }' <<<"${stat##*) }"
}

# flood_peaks RUN: "coordinator 14, w1 21, ..." in MiB, with the growth
# over the unattacked run when RUN is a flooded one.
flood_peaks() {
	local run=$1 label kib grow out=()
	for label in coordinator w1 w2 w3; do
		kib=${FLOOD_PEAK[$run $label]:-}
		if [[ -z $kib ]]; then
			out+=("$label ?")
		elif [[ $run != calm ]] && grow=$(flood_growth "$run" "$label"); then
			out+=("$label $((kib / 1024)) ($(printf '%+d' $((grow / 1024))))")
		else
			out+=("$label $((kib / 1024))")
		fi
	done
	printf '%s, ' "${out[@]}" | sed 's/, $//'
}

# flood_growth RUN LABEL: how many KiB LABEL's peak RSS in RUN exceeds the
# unattacked run's (for a worker, the largest worker's).
flood_growth() {
	local run=$1 label=$2 base=0 w now
	now=${FLOOD_PEAK[$run $label]:-}
	[[ -n $now ]] || return 1
	if [[ $label == coordinator ]]; then
		base=${FLOOD_PEAK[calm coordinator]:-0}
	else
		for w in w1 w2 w3; do
			((${FLOOD_PEAK[calm $w]:-0} > base)) && base=${FLOOD_PEAK[calm $w]}
		done
	fi
	((base > 0)) || return 1
	echo $((now - base))
}

# flood_figures KIND BOUND: the figures of the run under a flood of KIND:
# the job's time and end, the peak RSS of each process (and its growth),
# what the summary charges workers with, each flood's ramp and last line,
# and the flood's CPU.
flood_figures() {
	local kind=$1 bound=$2 log label ramp end=
	[[ -n $FLOOD_JOB ]] && end=", exit status $FLOOD_RC: $(last_line "$CASE_DIR/coordinator.log" | cut -c 1-140)"
	echo "    $kind flood: job ${FLOOD_JOB:-not over}${FLOOD_JOB:+s} (bound ${bound}s)$end"
	echo "      peak RSS (MiB, growth) $(flood_peaks "flood-$kind"); charged: $(flood_blame | sed 's/^$/nothing/')"
	for log in "$CASE_DIR"/mrhostile-*.log; do
		[[ -f $log ]] || continue
		label=${log##*/mrhostile-}
		ramp=$(grep -m 1 -o '^flood ramped in [^:]*' "$log" | cut -d' ' -f2-)
		echo "      flood of ${label%.log} (${ramp:-not ramped}):$(grep -m 1 '^mrhostile: flood over: ' "$log" | cut -d: -f3-)"
	done
	echo "      the flood's CPU: ${FLOOD_CPU}s"
}

# flood_registered: which workers registered, for a failure's reason.
flood_registered() {
	local i n=()
	for i in 1 2 3; do
		grep -q 'msg="worker registered"' "$CASE_DIR/w$i.log" 2>/dev/null && n+=("w$i")
	done
	echo "workers registered: ${n[*]:-none}"
}

# flood_blame: what the job's summary charges workers with, if anything:
# workers dead or excluded; attempts failed, died or excluded; fetch
# failures; lost outputs.
flood_blame() {
	local sum=$CASE_DIR/out/mr-straggler-summary.json
	[[ -f $sum ]] || {
		echo "no summary (mr-straggler-summary.json)"
		return
	}
	{
		"$BIN/mrcheck" "$sum" dead | grep -vx none | sed 's/^/worker dead: /'
		grep -oE '"excluded": *"([^"\\]|\\.)*"' "$sum" | sed -E 's/^"excluded": *"//; s/"$//; s/\\"/"/g' |
			cut -c 1-100 | sed 's/^/worker excluded: /'
		"$BIN/mrcheck" "$sum" not-won | grep -E '=(failed|died|excluded)$' |
			awk '{ n++; if (n <= 4) l = l (n > 1 ? " " : "") $0 } END { if (n) print n " attempts charged: " l (n > 4 ? " ..." : "") }'
		grep -oE '"(lost_outputs|fetch_failures)": *[0-9]+' "$sum" | tr -d '"' |
			awk -F': *' '{ n[$1] += $2 } END { for (k in n) print k " " n[k] " in all" }'
	} 2>&1 | paste -sd ';' | sed 's/;/; /g'
}

# case_poison: for each poisoned input (mrapps/poison: a Map that exits
# with status 3, one that panics in a goroutine of its own, one that never
# returns), a job over the inputs and that one file, run by 3 workers with
# -attempt-limit 1s: the coordinator exits non-zero within 90 s with a
# last line naming the file, and the workers leave too. The workers
# themselves survive every failed attempt (the app runs in a child).
case_poison() {
	local mode file start rc line elapsed i
	for mode in exit panic hang; do
		new_case_dirs || return 1
		file=poison-$mode.txt
		echo "the quick brown fox" >"$CASE_DIR/coord/$file"
		start=$SECONDS
		INPUTS+=("$file")
		start_coordinator 120 -attempt-limit 1s
		rc=$?
		unset 'INPUTS[-1]'
		((rc == 0)) || return 1
		for i in 1 2 3; do
			start_worker "w$i" poison 120
		done
		reap "$COORD_PID"
		rc=$?
		elapsed=$((SECONDS - start))
		line=$(last_line "$CASE_DIR/coordinator.log")
		if timed_out "$rc"; then
			fail "$file: the coordinator was still running after 120 s"
			return 1
		elif ((rc == 0)); then
			fail "$file: the job succeeded"
			return 1
		elif ((elapsed > 90)); then
			fail "$file: the job took ${elapsed}s to fail (want at most 90)"
			return 1
		elif [[ $line != *"$file"* ]]; then
			fail "$file: the coordinator's last line does not name it: $line"
			return 1
		fi
		wait_gone 15 "${WORKER_PIDS[@]}" || {
			fail "$file: workers still running 15 s after the coordinator failed the job"
			return 1
		}
		for i in "${WORKER_PIDS[@]}"; do reap "$i"; done
		if grep -l 'worker died' "$CASE_DIR/coordinator.log" >/dev/null; then
			fail "$file: a worker died: $(grep -m 1 'worker died' "$CASE_DIR/coordinator.log")"
			return 1
		fi
		echo "    $file: failed after ${elapsed}s: ${line#*msg=}"
		rm -rf "${CASE_DIR:?}"/coord "$CASE_DIR"/out "$CASE_DIR"/w[0-9]*
	done
}

# case_bad_worker: one bad worker among three never sinks the job. Each
# scenario runs wc with workers w1 (the bad one) and w2, w3 (healthy), and
# needs mrsequential's output, the healthy workers exiting 0, and no map
# output blamed on a healthy owner:
#   full disk     w1's -dir is a 64 KiB tmpfs (its own mount namespace; root
#                 only) and it starts first: every attempt it takes fails
#                 on its disk, which counts against it, not the tasks; it is
#                 excluded and told so.
#   reduce disk   w1's writes of fetched runs fail with ENOSPC (mrworker
#                 -inject-faults, a flag for tests):
#                 its reduce attempts fail as its own, no map is re-run for it.
#   garbage       w1 advertises a file server that answers random bytes
#                 (mrhostile -serve-garbage): its outputs are re-run.
#   lost reply    the reply to w1's first ReportMap is lost (-inject-faults): the
#                 retry is accepted, so nothing runs twice.
case_bad_worker() {
	local scenario rc i garbage_pid addr
	for scenario in full-disk reduce-disk garbage lost-reply; do
		garbage_pid=
		new_case_dirs || return 1
		[[ -f $CASE_DIR/expected ]] || reference wc || return 1
		start_coordinator "$TIMEOUT" -heartbeat-timeout 2s || return 1
		case $scenario in
		full-disk)
			if ((EUID != 0)) || ! unshare -m true 2>/dev/null; then
				echo "    full disk: skipped (needs root and mount namespaces for a private tmpfs)"
				stop_all
				continue
			fi
			start_worker_tmpfs w1 wc "$TIMEOUT" 64k
			wait_for_line "$CASE_DIR/w1.log" 'msg="worker registered"' 10 >/dev/null
			;;
		reduce-disk | lost-reply)
			WORKER_ARGS=(-inject-faults full-reduce-disk)
			[[ $scenario == lost-reply ]] && WORKER_ARGS=(-inject-faults drop-report-reply)
			start_worker w1 wc "$TIMEOUT"
			WORKER_ARGS=()
			;;
		garbage)
			spawn "$CASE_DIR/garbage.log" "$CASE_DIR" "$TIMEOUT" "$BIN/mrhostile" -serve-garbage 127.0.0.1:0
			garbage_pid=$SPAWNED
			addr=$(wait_for_line "$CASE_DIR/garbage.log" '^listening ' 10 | cut -d' ' -f2)
			[[ -n $addr ]] || {
				fail "garbage: the garbage server did not start"
				return 1
			}
			WORKER_ARGS=(-advertise "$addr")
			start_worker w1 wc "$TIMEOUT"
			WORKER_ARGS=()
			;;
		esac
		start_worker w2 wc "$TIMEOUT"
		start_worker w3 wc "$TIMEOUT"
		reap "$COORD_PID"
		rc=$?
		((rc == 0)) || {
			fail "$scenario: coordinator exited with status $rc: $(last_line "$CASE_DIR/coordinator.log")"
			return 1
		}
		wait_gone 15 "${WORKER_PIDS[@]}" || {
			fail "$scenario: workers still running 15 s after the job"
			return 1
		}
		for i in 1 2; do
			reap "${WORKER_PIDS[i]}" || {
				fail "$scenario: healthy worker w$((i + 1)) exited with status $?: $(last_line "$CASE_DIR/w$((i + 1)).log")"
				return 1
			}
		done
		reap "${WORKER_PIDS[0]}"
		[[ -n ${garbage_pid:-} ]] && kill "$garbage_pid" 2>/dev/null
		check_outputs wc || {
			REASON="$scenario: $REASON"
			return 1
		}
		check_bad_worker "$scenario" || return 1
		echo "    $scenario: job done; w1: $(last_line "$CASE_DIR/w1.log" | cut -c1-160)"
		stop_all
		rm -rf "${CASE_DIR:?}"/coord "$CASE_DIR"/out "$CASE_DIR"/w[0-9]* "$CASE_DIR"/*.log
	done
}

# check_bad_worker SCENARIO: the scenario's own facts, from the coordinator's
# log and the job summary.
check_bad_worker() {
	local log=$CASE_DIR/coordinator.log sum
	sum=$(ls "$CASE_DIR"/out/mr-*-summary.json 2>/dev/null | head -n 1)
	case $1 in
	full-disk)
		grep -q 'msg="worker excluded" worker=w1' "$log" || {
			fail "full-disk: w1 was not excluded: $(grep -m 1 'w1' "$log")"
			return 1
		}
		;;
	reduce-disk)
		if grep -q 'msg="fetch failure reported"' "$log"; then
			fail "reduce-disk: a map output was blamed for w1's disk: $(grep -m 1 'fetch failure reported' "$log")"
			return 1
		fi
		;;
	lost-reply)
		grep -q 'reply lost (injected' "$CASE_DIR/w1.log" || {
			fail "lost-reply: no reply was lost (-inject-faults had no effect)"
			return 1
		}
		"$BIN/mrcheck" "$sum" expect "map_attempts=$NFILES" >/dev/null || {
			fail "lost-reply: $("$BIN/mrcheck" "$sum" expect "map_attempts=$NFILES" 2>&1)"
			return 1
		}
		;;
	esac
}

# start_worker_tmpfs NAME APP SECS SIZE: start_worker, with the worker's
# -dir a fresh tmpfs of SIZE in a mount namespace of its own.
start_worker_tmpfs() {
	local name=$1 app=$2 secs=$3 size=$4 dir=$CASE_DIR/$1
	mkdir -p "$dir/run"
	spawn "$CASE_DIR/$name.log" "$dir" "$secs" unshare -m sh -c \
		'mount -t tmpfs -o size="$1" mr-test "$2" && shift 2 && exec "$@"' sh "$size" "$dir/run" \
		env COORDINATOR_HOST="$ADDR" MR_MARKER_DIR="$CASE_DIR/markers" \
		"$BIN/mrworker" -dir "$dir/run" "${VFLAG[@]}" "$BIN/$app.so"
	WORKER_PIDS+=("$SPAWNED")
}

# wait_for_line FILE PATTERN SECS: prints the first line of FILE matching
# PATTERN (grep -E) once there is one, waiting at most SECS seconds.
wait_for_line() {
	local file=$1 pattern=$2 deadline=$((SECONDS + $3)) line
	while ((SECONDS < deadline)); do
		line=$(grep -m 1 -E -- "$pattern" "$file" 2>/dev/null) && {
			echo "$line"
			return 0
		}
		sleep 0.1
	done
	return 1
}

# case_journal: a job that survives its coordinator (issue 17). For each
# moment (the map phase, the reduce phase, an upload, the final merge), a
# journaled job (-journal, one map task per input: -pack-size 1) of
# gated.so (wc's output; its calls leave markers, and one input's Map or
# one key's Reduce waits while a hold marker exists) with 2 workers has its coordinator killed with SIGKILL at
# that moment, then, 2 s later, the same command is run again: the job
# must finish with mrsequential's output, the workers must wait for the
# coordinator (saying so) and exit 0, no input whose map was committed
# before the kill may be mapped again (its owner is alive: it offers the
# output back), no reduce task committed before the kill may be assigned
# again, and the summary must show the restart. The upload and merge
# moments are caught as closely as the processes' logs allow (the final
# merge of these small outputs takes milliseconds: the kill often lands
# after it; mr/coordinator's TestRestartDuringTheFinalMerge builds that
# state exactly); when the kill lands after the job ended, the second run
# must say the job is finished, and exit 0.
# case_plugin_compat: plugins built before an edit of the engine still
# load (issue 14): in a copy of the tree, mr/coordinator and mr/worker
# each get one more unexported function, only the two binaries are
# rebuilt (with bin/'s flags), and they run a wc job with bin/wc.so,
# built before the edit: its output must be mrsequential's.
case_plugin_compat() {
	local d=$CASE_DIR tree=$CASE_DIR/tree flags=()
	go version -m "$BIN/mrworker" 2>/dev/null | grep -q -- '-race=true' && flags+=(-race)
	go version -m "$BIN/mrworker" 2>/dev/null | grep -q -- '-trimpath=true' && flags+=(-trimpath)
	mkdir -p "$tree" && (cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$tree" || {
		fail "cannot copy the tree"
		return 1
	}
	printf '\n// editedForTheTest changes the package'"'"'s source.\nfunc editedForTheTest() int { return 42 }\n' |
		tee -a "$tree/mr/coordinator/coordinator.go" >>"$tree/mr/worker/worker.go"
	run_bounded "$d/build.log" "$tree" 600 go build "${flags[@]}" -o "$tree/bin/" ./main/mrcoordinator ./main/mrworker || {
		fail "building the edited binaries failed: $(last_line "$d/build.log")"
		return 1
	}
	new_case_dirs || return 1
	reference wc || return 1
	local saved=$BIN
	BIN=$tree/bin
	cp "$saved/wc.so" "$saved/mrsequential" "$tree/bin/"
	start_job wc 2 || { BIN=$saved; return 1; }
	finish_job && check_outputs wc
	local rc=$?
	BIN=$saved
	((rc == 0)) && echo "    binaries rebuilt after an edit of mr/coordinator and mr/worker ran a job with the plugin built before it"
	return "$rc"
}

# JOURNAL_HELD_KEY is a word of the generated inputs that a held reduce
# task waits on (gated.so's hold-reduce).
JOURNAL_HELD_KEY=zindricai

case_journal() {
	local moment rc coord done_reduces r held base=$CASE_DIR
	for moment in map reduce upload merge; do
		CASE_DIR=$base/$moment
		mkdir -p "$CASE_DIR"
		new_case_dirs || return 1
		JOURNALED=1
		reference gated || return 1
		held=
		case $moment in
		map) held=input-$NFILES.txt ;;
		reduce | upload) held=reduce ;;
		esac
		[[ -n $held ]] && echo "$JOURNAL_HELD_KEY" >"$CASE_DIR/markers/hold-$held"
		start_coordinator "$TIMEOUT" -journal -pack-size 1 || return 1
		start_worker w1 gated "$TIMEOUT"
		start_worker w2 gated "$TIMEOUT"
		journal_moment "$moment" || return 1
		coord=$(pgrep -P "$COORD_PID" -x mrcoordinator)
		[[ -n $coord ]] && kill -KILL "$coord"
		reap "$COORD_PID" 2>/dev/null
		# Committed: uploads the coordinator acknowledged, journaled by then.
		done_reduces=$(cat "$CASE_DIR"/w[12].log | grep -o 'msg="attempt committed" attempt=reduce-[0-9]*' |
			sed 's/.*attempt=//' | sort -u)
		mv "$CASE_DIR/coordinator.log" "$CASE_DIR/coordinator-killed.log"
		sleep 2 # the issue's restart, 2 s later: the workers must wait
		rm -f "$CASE_DIR/markers/hold-"*
		if grep -q 'msg="phase changed" phase=done' "$CASE_DIR/coordinator-killed.log"; then
			journal_finished || return 1 # the kill came too late: the job was over
			continue
		fi
		start_coordinator "$TIMEOUT" -journal -pack-size 1 -addr "$ADDR" || return 1
		finish_job || return 1
		check_outputs gated || return 1
		journal_checks "$moment" "$done_reduces" || return 1
		JOURNALED=0
	done
}

# journal_moment MOMENT: waits until the job is at MOMENT.
journal_moment() {
	local log=$CASE_DIR/coordinator.log deadline=$((SECONDS + 30))
	case $1 in
	map) # every map but the held one committed
		until (($(grep -c 'msg="task done" attempt=map-' "$log") >= NFILES - 1)); do
			((SECONDS < deadline)) || { fail "map: the maps did not commit"; return 1; }
			sleep 0.05
		done ;;
	reduce) # some reduce committed, one held in a Reduce call
		until grep -q 'msg="task done" attempt=reduce-' "$log" && compgen -G "$CASE_DIR/markers/reduce-held-*" >/dev/null; do
			((SECONDS < deadline)) || { fail "reduce: no reduce committed while one is held"; return 1; }
			sleep 0.05
		done ;;
	upload) # a held reduce is let go: kill as its attempt uploads
		until compgen -G "$CASE_DIR/markers/reduce-held-*" >/dev/null; do
			((SECONDS < deadline)) || { fail "upload: no reduce held"; return 1; }
			sleep 0.05
		done
		rm -f "$CASE_DIR/markers/hold-reduce"
		until grep -qh 'msg="attempt done" attempt=reduce-' "$CASE_DIR"/w[12].log; do
			((SECONDS < deadline)) || { fail "upload: no reduce attempt done"; return 1; }
			sleep 0.01
		done ;;
	merge)
		until grep -q 'msg="phase changed" phase=merge' "$log"; do
			((SECONDS < deadline)) || { fail "merge: the job never reached its final merge"; return 1; }
			sleep 0.01
		done ;;
	esac
}

# journal_finished: the job ended before the kill: run again, the
# coordinator must say it is finished and exit 0 at once, and the output
# stand.
journal_finished() {
	local rc
	run_bounded "$CASE_DIR/coordinator.log" "$CASE_DIR/coord" 30 "$BIN/mrcoordinator" -addr "$ADDR" -journal -pack-size 1 \
		-nreduce "$NREDUCE" -out "$CASE_DIR/out" "${INPUTS[@]}"
	rc=$?
	((rc == 0)) && grep -q 'the job is already finished' "$CASE_DIR/coordinator.log" || {
		fail "a finished job run again: status $rc: $(last_line "$CASE_DIR/coordinator.log")"
		return 1
	}
	wait_gone 15 "${WORKER_PIDS[@]}" || {
		fail "workers still running after the job"
		return 1
	}
	check_outputs gated || return 1
	echo "    the kill came after the job's end; run again, it said so"
}

# journal_checks MOMENT REDUCES: no committed map ran again, none of
# REDUCES (committed before the kill) was assigned again, the workers
# waited, and the summary shows the restart (or the second run said the
# job was finished).
journal_checks() {
	local moment=$1 i n r log=$CASE_DIR/coordinator.log sum=$CASE_DIR/out/mr-gated-summary.json
	for ((i = 1; i <= NFILES; i++)); do
		n=$(compgen -G "$CASE_DIR/markers/map-input-$i.txt-*" | wc -l)
		if ((n != 1)) && ! [[ $moment == map && $i == "$NFILES" ]]; then
			fail "$moment: input-$i.txt was mapped $n times; its map was committed before the kill"
			return 1
		fi
	done
	for r in $2; do
		if grep -q "msg=\"task assigned\" attempt=$r\." "$log"; then
			fail "$moment: $r, committed before the kill, ran again"
			return 1
		fi
	done
	grep -q "its job is journaled: waiting" "$CASE_DIR/w1.log" "$CASE_DIR/w2.log" || {
		fail "$moment: no worker said it waited for the coordinator"
		return 1
	}
	"$BIN/mrcheck" "$sum" expect restarts=1 >/dev/null 2>&1 || grep -q '"restarts"' "$sum" || {
		fail "$moment: the summary shows no restart"
		return 1
	}
	echo "    $moment: resumed; reduces kept: $(echo $2 | wc -w); maps run again: $(grep -c 'msg="task assigned" attempt=map-' "$log")"
}

# case_pool: workers that stay (issue 18). Two pool workers (mrworker
# without a plugin, with the job secret) started once serve a wc job, then
# an indexer job, each started as mrcoordinator -app bin/APP.so on the
# same address, copying nothing: both outputs equal mrsequential's, and
# both workers still run afterwards, each having served two jobs. A
# coordinator without the secret gets no code run: the pool says why and
# joins nothing. A plugin that cannot load here (built without -race for
# race-built workers, else a file that is no plugin) is declined once per
# worker, in one line naming the plugin's build and the worker's, which the
# coordinator logs; nothing restarts in a loop. SIGTERM ends both workers
# with status 0.
case_pool() {
	local port w secret=pool-secret-$RANDOM$RANDOM app d=$CASE_DIR rc bad
	new_case_dirs || return 1
	port=$(free_port) || return 1
	ADDR=127.0.0.1:$port
	JOB_ENV=(MR_SECRET="$secret")
	for w in p1 p2; do
		mkdir -p "$d/$w"
		spawn "$d/$w.log" "$d/$w" 300 env "${JOB_ENV[@]}" "$BIN/mrworker" -coordinator "$ADDR" -dir "$d/$w/run" "${VFLAG[@]}"
		WORKER_PIDS+=("$SPAWNED")
	done
	for app in wc indexer; do
		reference "$app" || return 1
		mv "$d/expected" "$d/expected.$app"
		pool_job "$app" "$BIN/$app.so" || return 1
		cmp -s "$d/expected.$app" "$d/out/mr-$app-all" || {
			fail "$app through the pool: mr-$app-all differs from mrsequential's"
			return 1
		}
	done
	for w in 0 1; do
		alive "${WORKER_PIDS[w]}" || {
			fail "pool worker p$((w + 1)) exited after the jobs: $(last_line "$d/p$((w + 1)).log")"
			return 1
		}
		grep -q 'msg="job over; waiting for the next".*jobs_served=2' "$d/p$((w + 1)).log" || {
			fail "pool worker p$((w + 1)) did not serve both jobs"
			return 1
		}
	done
	echo "    two pool workers served wc, then indexer; both still run"
	pool_untrusted || return 1
	pool_declined || return 1
	for w in 0 1; do
		kill -TERM "${WORKER_PIDS[w]}"
	done
	wait_gone 10 "${WORKER_PIDS[@]}" || {
		fail "pool workers still running 10 s after SIGTERM"
		return 1
	}
	for w in 0 1; do
		reap "${WORKER_PIDS[w]}"
		rc=$?
		((rc == 0)) || {
			fail "pool worker p$((w + 1)) exited with status $rc on SIGTERM: $(last_line "$d/p$((w + 1)).log")"
			return 1
		}
	done
	echo "    SIGTERM: both exited 0"
}

# free_port: a loopback port nothing listens on (for a moment).
free_port() {
	local port
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
			echo "$port"
			return 0
		}
	done
	fail "no free port found"
	return 1
}

# pool_job APP PLUGIN: a job of PLUGIN's app through the pool at ADDR,
# with the secret; the coordinator must exit 0. The job starts once both
# pool workers have joined (-wait-workers 2): a pool worker polls for the
# next job with a backoff of up to 2 s, and a small job may be over before
# a worker polls again, so without it whether each worker serves each job
# would be a race.
pool_job() {
	local app=$1 plugin=$2 rc
	rm -rf "$CASE_DIR/out"
	run_bounded "$CASE_DIR/coordinator-$app.log" "$CASE_DIR/coord" "$TIMEOUT" env "${JOB_ENV[@]}" \
		"$BIN/mrcoordinator" -addr "$ADDR" -app "$plugin" -wait-workers 2 -nreduce "$NREDUCE" -out "$CASE_DIR/out" "${VFLAG[@]}" "${INPUTS[@]}"
	rc=$?
	((rc == 0)) || {
		fail "$app through the pool: the coordinator exited with status $rc: $(last_line "$CASE_DIR/coordinator-$app.log")"
		return 1
	}
}

# pool_untrusted: a coordinator without the job secret, shipping wc: the
# pool workers run nothing of it and say why.
pool_untrusted() {
	local pid
	spawn "$CASE_DIR/coordinator-nosecret.log" "$CASE_DIR/coord" 30 \
		"$BIN/mrcoordinator" -addr "$ADDR" -app "$BIN/wc.so" -out "$CASE_DIR/out-nosecret" "${INPUTS[@]}"
	pid=$SPAWNED
	wait_for_line "$CASE_DIR/p1.log" "job secret is not this pool's" 15 >/dev/null &&
		wait_for_line "$CASE_DIR/p2.log" "job secret is not this pool's" 15 >/dev/null || {
		fail "pool workers did not refuse a coordinator without the secret"
		return 1
	}
	kill "$pid" 2>/dev/null
	reap "$pid"
	if grep -q 'msg="worker joined"' "$CASE_DIR/coordinator-nosecret.log"; then
		fail "a pool worker joined a coordinator without the secret"
		return 1
	fi
	echo "    a coordinator without the secret: refused by both, nothing run"
}

# pool_declined: a coordinator shipping a plugin these workers cannot
# load: each declines once, in one line, and the coordinator logs it.
pool_declined() {
	local pid plugin=$CASE_DIR/bogus.so line
	if go version -m "$BIN/mrworker" 2>/dev/null | grep -q -- '-race=true'; then
		plugin=$CASE_DIR/plain.so
		run_bounded "$CASE_DIR/plain-build.log" "$ROOT" 600 go build -buildmode=plugin -o "$plugin" ./mrapps/nocrash || {
			fail "cannot build a plugin without -race: $(last_line "$CASE_DIR/plain-build.log")"
			return 1
		}
	else
		printf 'not a plugin\n' >"$plugin"
	fi
	spawn "$CASE_DIR/coordinator-declined.log" "$CASE_DIR/coord" 60 env "${JOB_ENV[@]}" \
		"$BIN/mrcoordinator" -addr "$ADDR" -app "$plugin" -out "$CASE_DIR/out-declined" "${INPUTS[@]}"
	pid=$SPAWNED
	line=$(wait_for_line "$CASE_DIR/coordinator-declined.log" 'msg="a pool worker declined the job"' 20) || {
		fail "the coordinator shows no declined job"
		return 1
	}
	wait_for_line "$CASE_DIR/p2.log" 'msg="job declined"' 20 >/dev/null || {
		fail "pool worker p2 did not decline the plugin"
		return 1
	}
	sleep 3 # room for a loop to show itself: nothing may restart
	kill "$pid" 2>/dev/null
	reap "$pid"
	for w in p1 p2; do
		[[ $(grep -c 'msg="job declined"' "$CASE_DIR/$w.log") == 1 ]] || {
			fail "pool worker $w declined $(grep -c 'msg="job declined"' "$CASE_DIR/$w.log") times, want once"
			return 1
		}
	done
	echo "    a plugin that cannot load: declined once each; the coordinator says ${line#*why=}" | cut -c1-300
}

# ---------------------------------------------------------------------------
# Counters and the status page.

STATUSCHECK=

# need_statuscheck: the Go checker of the status JSON, the page's DOM,
# screenshots and counters (main/mrstatuscheck), built with the rest.
need_statuscheck() {
	STATUSCHECK=$BIN/mrstatuscheck
	[[ -x $STATUSCHECK ]] || {
		fail "bin/mrstatuscheck is missing (run scripts/build.sh -race)"
		return 1
	}
}

# check WHAT ARGS...: runs statuscheck; fails the case with its first
# complaint.
check() {
	local log=$CASE_DIR/statuscheck.log
	"$STATUSCHECK" "$@" >"$log" 2>&1 || {
		fail "$(grep -m 1 . "$log")"
		return 1
	}
	grep -v '^mrstatuscheck' "$log" | sed 's/^/    /'
	return 0
}

# case_counters: word count with user counters, where one attempt fails
# (its counts are dropped) and one straggles past -task-timeout (a backup
# wins; the straggler's late report is refused): the summary's counters,
# engine's and app's, equal the inputs' own counts exactly, as does the
# coordinator's "job summary" line.
case_counters() {
	need_statuscheck || return 1
	new_case_dirs || return 1
	reference counters || return 1
	touch "$CASE_DIR/markers/fail-map"
	echo 3s >"$CASE_DIR/markers/slow-map"
	start_coordinator "$TIMEOUT" -task-timeout 1s || return 1
	start_worker w1 counters "$TIMEOUT"
	start_worker w2 counters "$TIMEOUT"
	finish_job || return 1
	check_outputs counters || return 1
	(cd "$CASE_DIR/coord" && check counters ../out/mr-counters-summary.json ../out/mr-counters-all \
		outcomes=failed,lost log=../coordinator.log "${INPUTS[@]}")
}

CHROMIUM=

# need_chromium: finds chromium, installing Debian's package if it is
# missing; returns 2 with REASON set when it cannot be had.
need_chromium() {
	local c
	for c in chromium chromium-browser; do
		if command -v "$c" >/dev/null; then
			CHROMIUM=$c
			return 0
		fi
	done
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		REASON="chromium is missing and cannot be installed here (needs root and apt-get: apt-get install chromium)"
		return 2
	fi
	echo "    chromium is missing: installing it (apt-get update && apt-get install -y chromium)"
	if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >"$SCRATCH/apt.log" 2>&1; then
		REASON="chromium is missing and apt-get could not install it: $(last_line "$SCRATCH/apt.log")"
		return 2
	fi
	CHROMIUM=chromium
}

# browse dom|shot URL OUT: headless chromium with a fresh profile, at most
# 60 s: the page's DOM after its scripts ran, or a screenshot, into OUT.
browse() {
	local what=$1 url=$2 out=$3 profile flags rc
	profile=$(mktemp -d "$CASE_DIR/chromium-profile.XXXXXX")
	flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
		--disable-component-update --disable-sync --user-data-dir="$profile" --window-size=1000,1100)
	if [[ $what == dom ]]; then
		timeout -k 2 60 "$CHROMIUM" "${flags[@]}" --dump-dom "$url" >"$out" 2>>"$CASE_DIR/chromium.log"
	else
		timeout -k 2 60 "$CHROMIUM" "${flags[@]}" --screenshot="$out" "$url" >>"$CASE_DIR/chromium.log" 2>&1
	fi
	rc=$?
	rm -rf "$profile"
	[[ $rc == 0 && -s $out ]] || {
		fail "chromium --$what $url exited with status $rc ($(last_line "$CASE_DIR/chromium.log"))"
		return 1
	}
}

# case_status_page: a real browser reads the page of a running job and of
# the finished one. The job's last map waits on a gate, so the running
# job is in a known state: 7 of 8 maps done, one failed attempt, the gated
# task running twice (the original and its backup), both showing how far
# they got, every map task its input, an ETA. Once the job is done and
# both workers were told so, they are exited, not live, and the headline
# rate is the job's mean. The coordinator lingers after the job; SIGTERM
# then ends it with status 0.
case_status_page() {
	local url lines keys pid
	need_chromium || return
	need_statuscheck || return 1
	new_case_dirs || return 1
	reference counters || return 1
	touch "$CASE_DIR/markers/fail-map"
	echo "input-$NFILES.txt" >"$CASE_DIR/markers/gate"
	# -pack-size 1: one map task per input, as the counts below have it.
	start_coordinator "$TIMEOUT" -task-timeout 2s -linger 60s -pack-size 1 || return 1
	url=http://$ADDR
	start_worker w1 counters "$TIMEOUT"
	start_worker w2 counters "$TIMEOUT"
	check wait 30 "$url/status" MapsDone=7 map_tasks.running=1 map_tasks.outcomes.running=2 LiveWorkers=2 \
		worker_counts.working=2 count.progress=2 count.input="$NFILES" 'work.eta_ms>=0' || return 1
	browse dom "$url/" "$CASE_DIR/running.html" && browse shot "$url/" "$CASE_DIR/running.png" || return 1
	check dom "$CASE_DIR/running.html" phase=map over=false '#maps-done=7' '#maps-total=8' \
		'#reduces-done=0' "#reduces-total=$NREDUCE" '#workers-live=2' '#workers-total=2' \
		tasks=$((NFILES + NREDUCE)) tasks.running=1 tasks.done=7 tasks.failed=1 tasks.input="$NFILES" \
		attempts.running=2 attempts.progress=2 attempts.failed=1 workers=2 workers.working=2 '#rate-note=now' || return 1
	check png "$CASE_DIR/running.png" || return 1
	touch "$CASE_DIR/markers/open"
	check wait 60 "$url/status" over=true Phase=done ReducesDone=$NREDUCE result.final=mr-counters-all \
		worker_counts.exited=2 || return 1
	browse dom "$url/" "$CASE_DIR/done.html" && browse shot "$url/" "$CASE_DIR/done.png" || return 1
	lines=$(cat "$INPUT_DIR"/input-*.txt | wc -l)
	keys=$(wc -l <"$CASE_DIR/expected")
	check dom "$CASE_DIR/done.html" phase=done over=true '#maps-done=8' "#reduces-done=$NREDUCE" \
		tasks=$((NFILES + NREDUCE)) tasks.done=$((NFILES + NREDUCE)) tasks.failed=1 attempts.running=0 \
		attempts.failed=1 'attempts.lost>=1' attempts.progress=0 workers=2 workers.dead=0 workers.exited=2 \
		'#workers-live=0' '#workers-total=2' '#rate-note=mean over the job' tasks.input="$NFILES" \
		"user.lines=$lines" "user.keys=$keys" "counter.map_input_records=$lines" "counter.reduce_output_records=$keys" || return 1
	check png "$CASE_DIR/done.png" || return 1
	check status "$url/status" over=true result.outputs="mr-out-0 … mr-out-$((NREDUCE - 1))" \
		'throughput.mean_bytes_per_s>=1' worker_counts.working=0 worker_counts.idle=0 || return 1
	[[ -n ${MR_SCREENSHOT:-} ]] && cp "$CASE_DIR/done.png" "$MR_SCREENSHOT"
	alive "$COORD_PID" || {
		fail "the coordinator did not linger after the job"
		return 1
	}
	# SIGTERM to the coordinator itself: timeout(1) would report 143.
	pid=$(child_of "$COORD_PID") && kill -TERM "$pid" || {
		fail "cannot find the coordinator's process under timeout (pid $COORD_PID)"
		return 1
	}
	finish_job || return 1
	check_outputs counters
}

# child_of PID: the pid of PID's child (the command timeout(1) runs).
child_of() {
	local c=
	read -r c _ <"/proc/$1/task/$1/children" 2>/dev/null
	[[ -n $c ]] && echo "$c"
}

# ---------------------------------------------------------------------------
# The multi-host scenarios.

# step_lan: runs scripts/lan-tests.sh on this suite's binaries, showing its
# lines as they come, and counts its PASS, FAIL and SKIP lines as cases of
# ours ("--- lan secret test: FAIL: ..." is the case "lan secret"); it
# prints no tally of its own here (LAN_TALLY=0).
step_lan() {
	local start=$EPOCHREALTIME log=$SCRATCH/lan-tests.log line rc counted=0
	CASE_LOGS=()
	REASON=
	echo "*** Starting multi-host (network namespace) scenarios."
	run_streamed "$log" "$ROOT" "${STEP_SECS[lan]}" \
		env LAN_BIN_FROM="$BIN" LAN_TALLY=0 bash scripts/lan-tests.sh
	rc=$?
	while IFS= read -r line; do
		[[ $line =~ ^---\ (lan\ [^:]*):\ (PASS|FAIL|SKIP) ]] || continue
		count_case "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]% test}"
		counted=$((counted + 1))
	done <"$log"
	if timed_out "$rc"; then
		fail "scripts/lan-tests.sh timed out after ${STEP_SECS[lan]}s"
		report "lan tests" 1
	elif ((counted == 0)); then
		fail "scripts/lan-tests.sh exited with status $rc and printed no result line"
		report "lan tests" 1
	elif ((rc != 0)) && ! grep -q -- '^--- lan .*: FAIL' "$log"; then
		fail "scripts/lan-tests.sh exited with status $rc but no scenario failed"
		report "lan tests" 1
	fi
	record_time lan "$start"
}

main() {
	local entry title name
	echo "test-mr.sh: scratch directory $SCRATCH"
	if [[ $MR_SKIP_GO_TESTS != 1 ]]; then
		step_go_vet
		step_go_test
	fi
	if step_build && step_inputs; then
		for entry in "${CASES[@]}"; do
			title=${entry%%|*}
			name=${entry#*|}
			selected "$name" "$MR_CASES" || continue
			run_case "$title" "$name"
		done
		if [[ $MR_SKIP_LAN != 1 && -z $MR_CASES ]]; then
			step_lan
		fi
	fi
	local wall=$((SECONDS - SUITE_START))
	echo "*** times: $(printf '%s, ' "${TIMES[@]}" | sed 's/, $//')"
	printf '*** wall time: %dm%02ds\n' $((wall / 60)) $((wall % 60))
	tally
}

main
