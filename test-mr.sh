#!/usr/bin/env bash
# test-mr.sh: the acceptance suite. Usage: bash test-mr.sh
#
# 1. go vet ./... (then gofmt -l: nothing unformatted), with the build's
#    flags (-trimpath -race), so that vet, build and tests share their
#    compiling;
# 2. scripts/build.sh -race -out SCRATCH/bin: the binaries and plugins, in
#    the scratch directory (bin/ is left as it was);
# 3. go test -trimpath -race ./..., which runs the job cases of e2e/ on
#    those binaries (MR_E2E_BIN): wc, indexer, map and reduce
#    parallelism, job count, early exit, crash, bad input, poison input,
#    bad workers, a hostile peer, plugin compatibility, a journaled
#    coordinator killed and run again, a pool of workers, counters (see
#    e2e/doc.go: real processes, waits on /status, checks on the summary);
# 4. what needs the shell: floods of outsiders' connections (the
#    processes' peak RSS) and the status page in a real browser (headless
#    chromium, installed with apt-get when missing; the case is skipped,
#    saying why, only when it cannot be installed);
# 5. the multi-host scenarios of scripts/lan-tests.sh (network namespaces,
#    no shared disk, faults injected), with the same binaries; each of its
#    "--- lan <name> test" lines counts as a case. Without root or
#    namespaces it prints exactly why it skipped (MR_SKIP_LAN=1 skips it).
#
# Every case prints "--- <name> test: PASS", "--- <name> test: FAIL: <why>"
# or (status page only) "--- <name> test: SKIP: <why>" (the steps print
# "--- go vet: ...", "--- build: ...", "--- go test: ...") and, on
# failure, the tail of its processes' logs (go test: the failed tests'
# output). The last line is the one tally of the suite: "N passed, N
# failed" (", N skipped" when some were), then "; failed: " and the name
# of every failed case ("go test (TestCrash, TestPool), flood, lan
# secret"), and "; skipped: " likewise; the exit status is 0 only when
# nothing failed.
#
# Progress. Every step starts with a "*** " line. go vet, the build, go
# test and the multi-host scenarios show their output as it comes (go
# test: a line per package as it finishes). Whatever runs, the suite never
# stays silent for more than 20 s: a line such as
#   "    ... go test -trimpath -race ./... still running (120 s; now: e2e.test)"
# says which step runs, since when, and which commands are at work. Each
# step has a timeout far above its usual time (STEP_SECS below), so that a
# loaded machine passes, and a hung step fails instead of hanging the
# suite.
#
# Isolation: everything runs in a fresh scratch directory (mktemp -d) that
# is removed on exit, together with every process the suite started. Each
# case of the shell has a directory of its own in it: coord/ (the
# coordinator's cwd, holding the only copy of the inputs, input-1.txt ..
# input-8.txt, passed by these relative names; mrsequential runs there
# too), out/ (its -out), w1/ w2/ ... (one cwd per worker, with its -dir
# run/ inside), markers/ (MR_MARKER_DIR), expected (mrsequential's
# output) and one log per process. A job passes when the coordinator
# exits 0, every worker exits 0 within 15 s after it, out/ holds
# mr-out-0..9, mr-<app>-all, optionally mr-<app>-summary.json and nothing
# else, mr-<app>-all equals mrsequential's output byte for byte, and no log
# reports a data race. Coordinators listen on 127.0.0.1:0 and publish
# their address through -addr-file, so two suites can run at once on one
# machine. Every process runs under timeout(1).
#
# Environment:
#   MR_SKIP_GO_TESTS=1  skip go vet and the unit tests: go test runs the
#                       job cases of e2e/ alone (test-mr-many.sh repeats)
#   MR_SKIP_LAN=1       skip the multi-host scenarios
#   MR_BIN=DIR          use the binaries in DIR (built with scripts/build.sh
#                       -race -out DIR) rather than build them
#   MR_CASES="go_test flood" run only these (go_test, flood, status_page)
#   MR_VERBOSE=1        pass -v to the coordinator and the workers
#   MR_KEEP=1           keep the scratch directory and print its path
#   MR_TIMEOUT=120      seconds allowed to each process of a case
#   MR_SCREENSHOT=F     the status page case copies its screenshot of the
#                       finished job to F (scripts/screenshot.sh uses it)
#
# To add a case that needs the shell (a job case belongs in e2e/): write a
# function case_<name> that returns 0 to pass, or calls `fail "reason"`
# and returns 1 (or sets REASON and returns 2 to be skipped), and add
# "<title>|<name>" to CASES. Helpers: new_case_dirs, reference,
# start_coordinator, start_worker, finish_job, check_outputs (see their
# comments); fail, last_line, report and the timing helpers are in
# scripts/testlib.sh, shared with scripts/lan-tests.sh.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
ROOT=$PWD
# shellcheck source=scripts/testlib.sh
source "$ROOT/scripts/testlib.sh"

MR_SKIP_GO_TESTS=${MR_SKIP_GO_TESTS:-0}
MR_BIN=${MR_BIN:-}
MR_SKIP_LAN=${MR_SKIP_LAN:-0}
MR_CASES=${MR_CASES:-}
MR_VERBOSE=${MR_VERBOSE:-0}
MR_KEEP=${MR_KEEP:-0}
TIMEOUT=${MR_TIMEOUT:-120}

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
	"flood|flood"
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

# check_no_races: fails if any log of the case reports a data race.
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

# step_go_test: go test ./... with GO_FLAGS, the job cases of e2e/
# included (listed last: go test prints its packages in the order given,
# so the others' lines come as they finish), on the binaries built in BIN
# (MR_E2E_BIN); with MR_SKIP_GO_TESTS=1, the job cases alone. A failure
# names the tests that failed ("go test (TestCrash, TestPool)").
step_go_test() {
	local start=$EPOCHREALTIME log=$SCRATCH/go-test.log rc pkgs=() failed
	CASE_LOGS=()
	REASON=
	if [[ $MR_SKIP_GO_TESTS == 1 ]]; then
		pkgs=(-count=1 ./e2e/)
	else
		mapfile -t pkgs < <(cd "$ROOT" && go list ./... | grep -v '/e2e$')
		pkgs+=(./e2e/)
	fi
	if [[ $MR_SKIP_GO_TESTS == 1 ]]; then
		echo "*** go test ${GO_FLAGS[*]} ${pkgs[*]} (the job cases, on the binaries in $BIN)"
	else
		echo "*** go test ${GO_FLAGS[*]} ./... (e2e/ last: the job cases, on the binaries in $BIN)"
	fi
	run_streamed "$log" "$ROOT" "${STEP_SECS[test]}" env MR_E2E_BIN="$BIN" go test "${GO_FLAGS[@]}" "${pkgs[@]}"
	rc=$?
	failed=$(grep -oE '^--- FAIL: Test[^ ]*' "$log" | cut -d' ' -f3 | sort -u | paste -sd, | sed 's/,/, /g')
	if timed_out "$rc"; then
		fail "go test timed out after ${STEP_SECS[test]}s"
	elif ((rc != 0)); then
		fail "go test exited with status $rc${failed:+: $failed failed}"
	fi
	report "go test" "$rc" "go test${failed:+ ($failed)}"
	record_time "go test" "$start"
}

# step_build: builds the binaries and plugins with scripts/build.sh -race
# into the scratch directory ($BIN), leaving bin/ as it was; with MR_BIN,
# takes them from there instead (copied, so that a rebuild during the run
# cannot change them under the cases' feet).
step_build() {
	local start=$EPOCHREALTIME log=$SCRATCH/build.log rc=0 f
	CASE_LOGS=()
	REASON=
	if [[ -z $MR_BIN ]]; then
		echo "*** scripts/build.sh -race -out $BIN"
		run_streamed "$log" "$ROOT" "${STEP_SECS[build]}" bash scripts/build.sh -race -out "$BIN"
		rc=$?
		if timed_out "$rc"; then
			fail "build timed out after ${STEP_SECS[build]}s"
		elif ((rc != 0)); then
			fail "scripts/build.sh -race exited with status $rc"
		fi
	else
		echo "*** using the binaries in $MR_BIN (MR_BIN)"
		mkdir -p "$BIN" && cp -p "$MR_BIN"/* "$BIN"/ || fail "cannot copy $MR_BIN to $BIN" || rc=1
	fi
	for f in mrcoordinator mrworker mrsequential mrgen mrcheck mrhostile mrstatuscheck wc.so indexer.so straggler.so \
		counters.so; do
		((rc == 0)) || break
		[[ -f $BIN/$f ]] || fail "$f is missing from $BIN (scripts/build.sh -race -out DIR builds it)" || rc=1
	done
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
JOB_ENV=() # NAME=value pairs for the job's processes (the flood's MR_SECRET)

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
# 127.0.0.1:0 with the inputs, one map task each (-pack-size 1: the cases
# count NFILES maps), waits (at most 10 s) for its address file and sets
# COORD_PID and ADDR.
start_coordinator() {
	local secs=$1 addr_file=$CASE_DIR/coord.addr deadline
	shift
	rm -f "$addr_file"
	spawn "$CASE_DIR/coordinator.log" "$CASE_DIR/coord" "$secs" \
		env "${JOB_ENV[@]}" "$BIN/mrcoordinator" -addr 127.0.0.1:0 -addr-file "$addr_file" \
		-nreduce "$NREDUCE" -out "$CASE_DIR/out" -pack-size 1 "${VFLAG[@]}" "$@" "${INPUTS[@]}"
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
		"$BIN/mrworker" -dir "$dir/run" "${VFLAG[@]}" "$BIN/$app.so"
	WORKER_PIDS+=("$SPAWNED")
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
		fail "worker w$((i + 1)) still running 15 s after the coordinator exited 0"
		return 1
	fi
	for ((i = 0; i < ${#WORKER_PIDS[@]}; i++)); do
		pid=${WORKER_PIDS[i]}
		reap "$pid"
		rc=$?
		if ((rc != 0)); then
			if timed_out "$rc"; then
				fail "worker w$((i + 1)) timed out after ${TIMEOUT}s"
			else
				fail "worker w$((i + 1)) exited with status $rc after the job: $(last_line "$CASE_DIR/w$((i + 1)).log")"
			fi
			return 1
		fi
	done
}

# sorted FILE...: the lines of the files, sorted bytewise.
sorted() { cat "$@" | LC_ALL=C sort; }

# check_files APP: out/ holds exactly mr-out-0..mr-out-(R-1), mr-APP-all
# and (optionally) the job summary mr-APP-summary.json and the
# coordinator's lock: no temp or other files. mr-APP-all has the lines of the mr-out-*.
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
		[[ $base == "mr-$app-all" || $base == "mr-$app-summary.json" || $base == .mr-coordinator.lock ]] && continue
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
# /status lists that worker: 10,000 in all, the issue's
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
FLOOD_HIT=3              # the workers flooded (3 when none is to be)
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
	((FLOOD_HIT == 3)) || fail "under the $kind flood only $FLOOD_HIT of 3 workers were flooded (/status did not list them)" ||
		return 1
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
	local run=$1 kind=$2 secs=$3 t0 i id addr end pid workers=0
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
	[[ -n $kind && $kind != trickle-frames && $kind != handshakes ]] && selected workers "$FLOOD_AT" && workers=1
	while before "$t0" "$secs"; do
		flood_sample "$run"
		if ! alive "$COORD_PID"; then
			FLOOD_JOB=$(since "$t0")
			reap "$COORD_PID"
			FLOOD_RC=$?
			break
		fi
		((workers && ${#flooding[@]} < 3)) && while read -r id addr _; do
			[[ -n $addr && -z ${flooding[$id]:-} ]] || continue
			flooding[$id]=$addr
			flood_spawn "$id" "$kind" "$FLOOD_WORKER_CONNS" 500 "$secs" -worker "$addr"
		done < <(flood_workers)
		sleep 0.1
	done
	FLOOD_HIT=$((workers ? ${#flooding[@]} : 3))
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

# flood_workers: "ID ADDR STATE ATTEMPT" of each worker registered, from /status.
flood_workers() {
	MR_SECRET=$FLOOD_SECRET "$SCRATCH/bin/mrstatuscheck" workers "http://$ADDR/status" 2>/dev/null
}

# flood_registered: which workers registered, for a failure's reason.
flood_registered() {
	echo "workers registered: $(flood_workers | cut -d' ' -f1 | paste -sd' ' | sed 's/^$/none/')"
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

# ---------------------------------------------------------------------------
# The status page.

STATUSCHECK=

# need_statuscheck: the Go checker of the status JSON, the page's DOM and
# screenshots (main/mrstatuscheck), built with the rest.
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
	start_coordinator "$TIMEOUT" -task-timeout 2s -linger 60s || return 1
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
	[[ $MR_SKIP_GO_TESTS != 1 ]] && step_go_vet
	if step_build; then
		selected go_test "$MR_CASES" && step_go_test
		step_inputs && for entry in "${CASES[@]}"; do
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
