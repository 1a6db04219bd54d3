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
# 4. two cases of e2e/ run apart: flood (e2e.TestFlood, -v: floods of
#    outsiders' connections, with the processes' peak RSS and the floods'
#    CPU as figures), then status page (e2e.TestStatusPage: the page read
#    by headless chromium, installed here with apt-get when missing; the
#    case is skipped, saying why, only when it cannot be had);
# 5. the multi-host scenarios, e2e.TestLAN (-v; network namespaces made by
#    internal/lan, no shared disk, faults injected), with the same
#    binaries, after the other cases (step 3 leaves TestLAN out); each of
#    its subtests counts as a case, "lan <name>" ("--- lan secret test:
#    PASS"). Without root or namespaces it is one skipped case saying
#    exactly why (MR_SKIP_LAN=1 skips the step).
#
# Every step prints "--- <name>: PASS", "--- <name>: FAIL: <why>" or
# "--- <name>: SKIP: <why>" (a failed go test shows the failed tests'
# output). The last line is the one tally of the suite: "N passed, N
# failed" (", N skipped" when some were), then "; failed: " and the name
# of every failed case ("go test (TestCrash, TestPool), flood, lan
# secret"), and "; skipped: " likewise; the exit status is 0 only when
# nothing failed.
#
# Progress. Every step starts with a "*** " line and shows its output as
# it comes (go test: a line per package as it finishes). Whatever runs,
# the suite never stays silent for more than 20 s: a line such as
#   "    ... go test -trimpath -race ./... still running (120 s; now: e2e.test)"
# says which step runs, since when, and which commands are at work. Each
# step has a timeout far above its usual time (STEP_SECS below), so that a
# loaded machine passes, and a hung step fails instead of hanging the
# suite. Everything runs in a fresh scratch directory (mktemp -d), removed
# on exit together with every process the suite started.
#
# Environment:
#   MR_SKIP_GO_TESTS=1  skip go vet and the unit tests: go test runs the
#                       job cases of e2e/ alone (test-mr-many.sh repeats)
#   MR_SKIP_LAN=1       skip the multi-host scenarios
#   MR_BIN=DIR          use the binaries in DIR (built with scripts/build.sh
#                       -race -out DIR) rather than build them
#   MR_CASES="go_test flood" run only these (go_test, flood, status_page, lan)
#   MR_KEEP=1           keep the scratch directory and print its path
#   MR_PARALLEL=N       e2e's job cases and LAN scenarios run N at a time
#                       (go test -parallel; 4 by default)
#   MR_SCREENSHOT=F     the status page case copies its screenshot of the
#                       finished job to F (scripts/screenshot.sh uses it)
#   MR_FLOOD_*          narrow the floods (see e2e/flood_test.go)
#
# A new job case belongs in e2e/, a multi-host one in e2e/lanscenarios_test.go.
# fail, report, tally and the timing helpers are in scripts/testlib.sh.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1
ROOT=$PWD
# shellcheck source=scripts/testlib.sh
source "$ROOT/scripts/testlib.sh"

MR_SKIP_GO_TESTS=${MR_SKIP_GO_TESTS:-0}
MR_BIN=${MR_BIN:-}
MR_SKIP_LAN=${MR_SKIP_LAN:-0}
MR_CASES=${MR_CASES:-}
MR_KEEP=${MR_KEEP:-0}
# e2e's cases mostly wait (for a timeout, a heartbeat, a process): 2 at a
# time, as go test's default on 2 CPUs, they kept 28 % of the cores busy
# (104 s of wall time for 58 s of CPU); 4 at a time, 51 to 56 s, and 68 s
# with two busy CPU loops beside them.
MR_PARALLEL=${MR_PARALLEL:-4}

# Seconds allowed to the steps under timeout(1). On 2 CPUs with an empty
# Go cache they took 30, 50, 40 and 55 s (go vet, go test, the build, the
# multi-host scenarios), and 105, 120, 120 and 65 s with two busy CPU
# loops beside the suite; the flood takes about 80 s.
declare -A STEP_SECS=([vet]=600 [test]=1200 [build]=900 [flood]=900 [page]=600 [lan]=900)
TICK_SECS=20 # the longest the suite stays silent

SUITE_START=$SECONDS
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mr-test.XXXXXX") || exit 1
BIN=$SCRATCH/bin
STEP_PID= # the step running, if any
PLAIN_PID= # the background build of the flood's plain binaries, if any

# run_streamed LOG SECS CMD...: runs CMD in ROOT under timeout(1), its
# output to LOG, shown as it comes; returns CMD's status (124 or 137 when
# it timed out).
run_streamed() {
	local log=$1 secs=$2 rc follower
	shift 2
	: >"$log"
	(cd "$ROOT" && exec timeout -k 2 "$secs" "$@") </dev/null >"$log" 2>&1 &
	STEP_PID=$!
	tail -n +1 -s 0.2 -f --pid="$STEP_PID" "$log" 2>/dev/null &
	follower=$!
	wait "$STEP_PID"
	rc=$?
	STEP_PID=
	wait "$follower"
	return "$rc"
}

# timed_out RC: whether an exit status is timeout(1)'s.
timed_out() { [[ $1 == 124 || $1 == 137 ]]; }

# stop_step: ends the step running, if any, and the background build
# (on exit).
stop_step() {
	[[ -n $STEP_PID ]] && kill "$STEP_PID" 2>/dev/null && wait "$STEP_PID"
	[[ -n $PLAIN_PID ]] && kill -- -"$PLAIN_PID" 2>/dev/null && wait "$PLAIN_PID"
	return 0
}

start_forwarding "$TICK_SECS"
cleanup_on_exit test-mr.sh stop_step "$MR_KEEP"

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
	local start=$EPOCHREALTIME rc flags=("${GO_FLAGS[@]}") f unformatted
	REASON=
	if grep -rqE --include='*.go' '^//go:build.*\brace\b' "$ROOT"; then
		flags=()
		for f in "${GO_FLAGS[@]}"; do [[ $f == -race ]] || flags+=("$f"); done
	fi
	echo "*** go vet ${flags[*]} ./..."
	run_streamed "$SCRATCH/go-vet.log" "${STEP_SECS[vet]}" go vet "${flags[@]}" ./...
	rc=$?
	if timed_out "$rc"; then
		fail "go vet timed out after ${STEP_SECS[vet]}s"
	elif ((rc != 0)); then
		fail "go vet exited with status $rc"
	else
		# gofmt is part of the same promise: the tree as gofmt would write it.
		unformatted=$(cd "$ROOT" && "$(go env GOROOT)/bin/gofmt" -l . 2>&1)
		[[ -z $unformatted ]] || {
			rc=1
			fail "gofmt -l lists: $(echo $unformatted)"
		}
	fi
	report "go vet" "$rc"
	record_time "go vet" "$start"
}

# step_build: builds the binaries and plugins with scripts/build.sh -race
# into the scratch directory ($BIN), leaving bin/ as it was; with MR_BIN,
# takes them from there instead (copied, so that a rebuild during the run
# cannot change them under the cases' feet).
step_build() {
	local start=$EPOCHREALTIME rc=0
	REASON=
	if [[ -z $MR_BIN ]]; then
		echo "*** scripts/build.sh -race -out $BIN"
		run_streamed "$SCRATCH/build.log" "${STEP_SECS[build]}" bash scripts/build.sh -race -out "$BIN"
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
	report "build" "$rc"
	record_time build "$start"
	return "$rc"
}

# start_plain_build: when the suite's binaries are race-built, the flood
# test runs binaries built without -race (its RSS bounds are a plain
# build's): scripts/build.sh builds them here, in the background and at
# the lowest priority, in what the tests before the flood leave of the
# cores, rather than in 25 s of the flood's own step. step_flood waits for
# it; if it failed, the test builds them itself and says why it could not.
start_plain_build() {
	[[ " ${GO_FLAGS[*]} " == *" -race "* ]] || return 0
	# setsid: a process group of its own, which stop_step ends as a whole.
	(cd "$ROOT" && exec setsid timeout -k 2 "${STEP_SECS[build]}" nice -n 19 bash scripts/build.sh -out "$SCRATCH/plain") \
		</dev/null >"$SCRATCH/plain-build.log" 2>&1 &
	PLAIN_PID=$!
}

# wait_plain_build: waits for start_plain_build's build and, if it built
# the binaries, exports MR_E2E_PLAIN_BIN for the flood test.
wait_plain_build() {
	[[ -n $PLAIN_PID ]] || return 0
	kill -0 "$PLAIN_PID" 2>/dev/null && echo "    waiting for the background build of the flood's binaries"
	if wait "$PLAIN_PID"; then
		export MR_E2E_PLAIN_BIN=$SCRATCH/plain
	else
		echo "    the background build of the flood's binaries failed; the test builds them: $(last_line "$SCRATCH/plain-build.log")"
	fi
	PLAIN_PID=
}

# go_test TITLE NAME SECS ARGS...: go test GO_FLAGS ARGS on the suite's
# binaries (MR_E2E_BIN), reported as TITLE and counted as NAME; a failure
# names the tests that failed ("go test (TestCrash, TestPool)"), and a
# test that skipped (go test -v) makes the case skipped, with its reason.
# -count=1: every run tests afresh, never go test's cached results.
go_test() {
	local title=$1 name=$2 secs=$3 start=$EPOCHREALTIME log=$SCRATCH/$2.log rc failed
	shift 3
	REASON=
	run_streamed "$log" "$secs" env MR_E2E_BIN="$BIN" go test "${GO_FLAGS[@]}" -count=1 "$@"
	rc=$?
	failed=$(grep -oE '^--- FAIL: Test[^ ]*' "$log" | cut -d' ' -f3 | sort -u | paste -sd, | sed 's/,/, /g')
	if timed_out "$rc"; then
		fail "go test timed out after ${secs}s"
	elif ((rc != 0)); then
		fail "go test exited with status $rc${failed:+: $failed failed}"
	elif grep -q '^--- SKIP' "$log"; then
		rc=2 REASON=$(grep -B 1 -m 1 '^--- SKIP' "$log" | head -n 1 | sed -E 's/^ *[a-z_]+\.go:[0-9]+: //')
	fi
	report "$title" "$rc" "$name${failed:+ ($failed)}"
	record_time "$name" "$start"
}

# step_go_test: go test ./..., but for the three cases run apart; with
# MR_SKIP_GO_TESTS=1, the job cases of e2e/ alone. e2e/ is listed first:
# go test then builds and starts it first, and its jobs, which mostly
# wait, run while the other packages compile (on 2 CPUs with an empty
# cache and a busy CPU loop beside it, the step took 139 and 154 s so,
# 186 and 191 s with e2e/ listed last).
step_go_test() {
	local pkgs=()
	if [[ $MR_SKIP_GO_TESTS != 1 ]]; then
		mapfile -t pkgs < <(cd "$ROOT" && go list ./... | grep -v '/e2e$')
	fi
	pkgs=(./e2e/ "${pkgs[@]}")
	echo "*** go test ${GO_FLAGS[*]} $([[ $MR_SKIP_GO_TESTS == 1 ]] && echo ./e2e/ || echo ./...)"
	echo "    (e2e/ first: the job cases, on the binaries in $BIN)"
	go_test "go test" "go test" "${STEP_SECS[test]}" -parallel "$MR_PARALLEL" -skip '^(TestFlood|TestStatusPage|TestLAN)$' "${pkgs[@]}"
}

# step_flood: e2e.TestFlood, with its figures (-v).
step_flood() {
	echo "*** Starting flood test (e2e.TestFlood)."
	wait_plain_build
	go_test "flood test" flood "${STEP_SECS[flood]}" -v -run '^TestFlood$' ./e2e/
}

# step_status_page: e2e.TestStatusPage, with chromium installed first if
# it can be; skipped, saying why, if it cannot.
step_status_page() {
	echo "*** Starting status page test (e2e.TestStatusPage)."
	if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
		if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
			REASON="chromium is missing and cannot be installed here (needs root and apt-get: apt-get install chromium)"
			report "status page test" 2 "status page"
			return
		fi
		echo "    chromium is missing: installing it (apt-get update && apt-get install -y chromium)"
		if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >"$SCRATCH/apt.log" 2>&1; then
			REASON="chromium is missing and apt-get could not install it: $(last_line "$SCRATCH/apt.log")"
			report "status page test" 2 "status page"
			return
		fi
	fi
	go_test "status page test" "status page" "${STEP_SECS[page]}" -v -run '^TestStatusPage$' ./e2e/
}

# step_lan: e2e.TestLAN (-v) on this suite's binaries. Its scenarios run
# in parallel and go test prints their verdicts at the end, so each says
# "TestLAN/<name>: PASS in 9.3s" as it ends; each verdict line ("--- PASS:
# TestLAN/secret") is then counted as a case of ours, "lan secret".
step_lan() {
	local start=$EPOCHREALTIME log=$SCRATCH/lan.log line rc counted=0
	REASON=
	echo "*** Starting multi-host (network namespace) scenarios (e2e.TestLAN)."
	run_streamed "$log" "${STEP_SECS[lan]}" env MR_E2E_BIN="$BIN" go test "${GO_FLAGS[@]}" -count=1 -v -parallel "$MR_PARALLEL" -run '^TestLAN$' ./e2e/
	rc=$?
	while IFS= read -r line; do
		[[ $line =~ ^\ +---\ (PASS|FAIL|SKIP):\ TestLAN/([^ ]+) ]] || continue
		echo "--- lan ${BASH_REMATCH[2]} test: ${BASH_REMATCH[1]}"
		count_case "${BASH_REMATCH[1]}" "lan ${BASH_REMATCH[2]}"
		counted=$((counted + 1))
	done <"$log"
	if timed_out "$rc"; then
		fail "go test -run TestLAN timed out after ${STEP_SECS[lan]}s"
	elif ((rc == 0 && counted == 0)) && grep -q '^--- SKIP: TestLAN' "$log"; then
		REASON=$(grep -B 1 -m 1 '^--- SKIP: TestLAN' "$log" | head -n 1 | sed -E 's/^ *[a-z_]+\.go:[0-9]+: //')
		report "lan tests" 2 lan
		REASON=
	elif ((counted == 0)); then
		fail "go test -run TestLAN exited with status $rc and reported no scenario"
	elif ((rc != 0)) && ! grep -q -- '^ *--- FAIL: TestLAN/' "$log"; then
		fail "go test -run TestLAN exited with status $rc but no scenario failed"
	fi
	[[ -n $REASON ]] && report "lan tests" 1
	record_time lan "$start"
}

main() {
	local wall
	echo "test-mr.sh: scratch directory $SCRATCH"
	[[ $MR_SKIP_GO_TESTS != 1 ]] && step_go_vet
	if step_build; then
		selected flood "$MR_CASES" && start_plain_build
		selected go_test "$MR_CASES" && step_go_test
		selected flood "$MR_CASES" && step_flood
		selected status_page "$MR_CASES" && step_status_page
		[[ $MR_SKIP_LAN != 1 ]] && selected lan "$MR_CASES" && step_lan
	fi
	wall=$((SECONDS - SUITE_START))
	echo "*** times: $(printf '%s, ' "${TIMES[@]}" | sed 's/, $//')"
	printf '*** wall time: %dm%02ds\n' $((wall / 60)) $((wall % 60))
	tally
}

main
