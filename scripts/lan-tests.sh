#!/usr/bin/env bash
# lan-tests.sh: the multi-host scenarios, on LANs of network namespaces
# made by scripts/cluster.sh. Usage: sudo bash scripts/lan-tests.sh [-build]
#
# Every scenario builds a LAN of its own (coordinator on host 0, three
# worker hosts), runs one job over the same generated inputs, checks the
# output against mrsequential's byte for byte plus the facts below, and
# tears the LAN down, checking that nothing of it is left. Facts about the
# finished job (attempts, winners, outcomes, dead workers) are asked of
# bin/mrcheck, which reads the job summary collected from host 0; what
# happens during the job is asked of the coordinator's GET /status
# (bin/mrstatuscheck, run in host 0's network). Each prints
# "--- lan <name> test: PASS" or "--- lan <name> test: FAIL: <why>" (then
# the tails of its logs); the last line is "N passed, N failed".
#
#   happy-wc, happy-indexer  3 workers; exactly M map and R reduce attempts,
#                        every worker exits 0.
#   secret               happy-wc with a job secret (MR_SECRET) on every host:
#                        the same counts, and the secret in no log.
#   owner-killed         as the reduce phase starts, kill -9 the worker that
#                        won the most maps: reducers fail to fetch from it and
#                        report it; its maps (and only they) run once more,
#                        elsewhere.
#   partition            a worker owning map output is cut off (its switch
#                        port down) while inside a reduce, until declared
#                        dead, then reconnected: its work is redone, its late
#                        upload is refused, it re-registers and finishes.
#   straggler            one worker's first Map sleeps 8 s (task timeout 5 s)
#                        while it heartbeats: once the other maps are done, a
#                        backup elsewhere wins (end-of-phase rule, after half
#                        the task timeout), nobody ever connects to its file
#                        server (no TCP passive open in its namespace); that its
#                        late report is ignored, mr/scheduler's tests pin.
#   frozen               like partition, but SIGSTOP / SIGCONT.
#   coordinator-killed   kill -9 the coordinator while the workers sit in a
#                        5-20 s Reduce: every worker is gone within 5 s, exit
#                        status non-zero, last line "...coordinator at ADDR
#                        stopped answering...".
#   wrong-app            an indexer.so worker joins a straggler.so job: one
#                        clear line, exit 1; the job is unaffected.
#   coordinator-restart  a journaled job (-journal): kill -9 the coordinator
#                        once some reduces are committed while two workers
#                        sit in a long Reduce; 2 s later the same command
#                        on host 0, its out/ directory (journal, committed
#                        outputs) as the crash left it: the workers waited
#                        and rejoin, no Map runs again, no committed reduce
#                        runs again, the summary records the restart, the
#                        output is mrsequential's.
#   pool                 a pool: mrworker without a plugin, once on each
#                        worker host, with the job secret; two jobs (wc,
#                        then indexer) started on host 0 with -app PATH.so,
#                        copying nothing to the worker hosts: every worker
#                        fetches each plugin and serves both jobs, both
#                        outputs are mrsequential's, the workers still run
#                        afterwards and exit 0 on SIGTERM.
#   data-local           inputs where they live, every link limited to 100mbit
#                        (tc tbf): every input on every worker (>= 95 % of map
#                        input bytes read locally, under 2 % from the
#                        coordinator); each input on 2 of 3 workers with a
#                        coordinator holding only the manifest (nothing from
#                        it); a worker alone whose copy of one input has one
#                        byte changed, same size and time (the output is
#                        still mrsequential's, its log names that file once,
#                        that map read from the coordinator). Counters checked
#                        with mrcheck.
#
# Timing. Coordinators run with -heartbeat-timeout 2s and -task-timeout 5s
# (10s where backups would only add noise). The app is mrapps/straggler,
# word count whose output equals wc's, slowed by marker files put in one
# host's private directory: "straggler" makes the process's first Map call
# sleep, "slow-reduce" its first Reduce call (after that reduce attempt has
# fetched its inputs). A slow first Reduce keeps the reduce phase open for
# seconds, so a worker can be killed, cut or frozen while reducers are at
# work and later reduce tasks still need its map output; different delays
# on different hosts order the late reports before the job's end.
#
# Exit status: 0 when every scenario passed, 1 when one failed, 0 with the
# single line "--- lan tests: SKIP (<reason>)" when this machine cannot
# build the LAN (not root, no ip/unshare/nsenter, namespaces forbidden).
# The last line is the tally, "N passed, N failed; failed: <names>",
# except under test-mr.sh (LAN_TALLY=0), which counts the scenarios as
# its own cases and prints the one tally of the whole suite.
#
# Environment:
#   LAN_BUILD=1           build first with scripts/build.sh $LAN_BUILD_FLAGS
#                         (default -race; "none" for no flags); -build is
#                         the same. Otherwise bin/ must be built already.
#   LAN_BIN_FROM=DIR      take the binaries from DIR instead of bin/
#   LAN_CASES="a b"       run only these scenarios (names as above)
#   LAN_KEEP=1            keep the scratch directory (logs) and print it
#   LAN_VERBOSE=1         -v for the coordinator and the workers
#   LAN_TALLY=0           print no tally at the end (test-mr.sh sets it)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD

LAN_BUILD=${LAN_BUILD:-0}
LAN_BUILD_FLAGS=${LAN_BUILD_FLAGS:--race}
LAN_CASES=${LAN_CASES:-}
LAN_KEEP=${LAN_KEEP:-0}
LAN_BIN_FROM=${LAN_BIN_FROM:-$ROOT/bin}
LAN_TALLY=${LAN_TALLY:-1}
for arg in "$@"; do
	case $arg in
	-build) LAN_BUILD=1 ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" && exit 0 ;;
	*) echo "lan-tests.sh: unknown argument $arg" >&2 && exit 2 ;;
	esac
done

# shellcheck source-path=SCRIPTDIR source=cluster.sh
source "$ROOT/scripts/cluster.sh"
# shellcheck source-path=SCRIPTDIR source=testlib.sh
source "$ROOT/scripts/testlib.sh"

if ! lan_check; then
	echo "--- lan tests: SKIP ($LAN_WHY)"
	exit 0
fi

NFILES=8
NREDUCE=10
EACH=(-pack-size 1) # one map task per input, as the cases count them (NFILES maps)
FAST=(-heartbeat-timeout 2s -task-timeout 5s)
NOBACKUP=(-heartbeat-timeout 2s -task-timeout 10s)
PROC_SECS=60 # timeout(1) of every process
JOB_SECS=45  # how long a scenario waits for its coordinator
SCENARIO_SECS=60 # a scenario that takes longer fails
[[ ${LAN_VERBOSE:-0} == 1 ]] && LAN_VFLAG=(-v)

SCENARIOS=(happy-wc happy-indexer secret owner-killed partition straggler frozen coordinator-killed wrong-app
	coordinator-restart pool data-local)

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mr-lan.XXXXXX") || exit 1
LAN_BIN=$SCRATCH/bin
INPUTS=()

cleanup_on_exit lan-tests.sh lan_down "$LAN_KEEP"

# ---------------------------------------------------------------------------
# Bookkeeping (fail, report, since... come from scripts/testlib.sh).

# show_logs: the tails of the current LAN's logs.
show_logs() {
	local f n
	for f in "$LAN_DIR"/host*.log; do
		[[ -f $f ]] || continue
		n=8
		[[ $f == */host0.log ]] && n=20
		show_tail "$f" "$n"
	done
}

# leftovers NAME: what is left of the LAN NAME after lan_down, if anything.
leftovers() {
	local name=$1 f pid left=()
	while read -r f; do
		[[ -n $f ]] && left+=("namespace $f")
	done < <(ip netns list 2>/dev/null | awk -v p="$name-" 'index($1, p) == 1 { print $1 }')
	for f in "$LAN_DIR"/host*.pid; do
		[[ -f $f ]] || continue
		pid=$(<"$f")
		kill -0 "$pid" 2>/dev/null && left+=("process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60))")
	done
	for pid in "${LAN_TPID[@]}"; do
		kill -0 "$pid" 2>/dev/null && left+=("timeout process $pid")
	done
	if mount | grep -q "$LAN_DIR/"; then
		left+=("a mount under $LAN_DIR")
	fi
	echo "${left[*]}"
}

# run_scenario NAME: runs scenario_NAME on a fresh LAN and reports it.
run_scenario() {
	local name=$1 start=$EPOCHREALTIME status left lan
	REASON=
	echo "*** Starting lan $name test."
	if lan_up 3 "$SCRATCH/$name"; then
		lan=$LAN_NAME
		"scenario_${name//-/_}"
		status=$?
	else
		lan=$LAN_NAME
		status=1
		REASON="cannot build the LAN (see above)"
	fi
	lan_down
	if ((status == 0)) && ! before "$start" "$SCENARIO_SECS"; then
		status=1
		REASON="took $(since "$start")s, more than ${SCENARIO_SECS}s"
	fi
	left=$(leftovers "$lan")
	if [[ -n $left ]]; then
		((status == 0)) && REASON="left behind after teardown: $left"
		status=1
	fi
	report "lan $name test" "$status" "lan $name"
	((status != 0)) && show_logs
	record_time "$name" "$start"
}

# ---------------------------------------------------------------------------
# Set-up: binaries, inputs, references.

setup() {
	local f log=$SCRATCH/setup.log
	if [[ $LAN_BUILD == 1 ]]; then
		local flags=()
		[[ $LAN_BUILD_FLAGS != none ]] && read -ra flags <<<"$LAN_BUILD_FLAGS"
		echo "*** scripts/build.sh ${flags[*]}"
		timeout 900 bash scripts/build.sh "${flags[@]}" 2>&1 | tee "$log"
		((PIPESTATUS[0] == 0)) || {
			fail "scripts/build.sh ${flags[*]} failed"
			return 1
		}
	fi
	echo "*** setting up: binaries, inputs, mrsequential's references"
	# A copy of bin/, so that a rebuild during the run changes nothing.
	mkdir -p "$LAN_BIN"
	for f in mrcoordinator mrworker mrsequential mrgen mrcheck mrstatuscheck mrmanifest wc.so indexer.so straggler.so; do
		[[ -f $LAN_BIN_FROM/$f ]] || {
			fail "$LAN_BIN_FROM/$f is missing: build with scripts/build.sh (or run with LAN_BUILD=1)"
			return 1
		}
		cp -p "$LAN_BIN_FROM/$f" "$LAN_BIN/" || return 1
	done
	timeout 60 "$LAN_BIN/mrgen" -out "$SCRATCH/inputs" -files "$NFILES" -size 150000 -seed 1 \
		-prefix input- >"$log" 2>&1 || {
		fail "mrgen failed: $(last_line "$log")"
		return 1
	}
	for ((f = 1; f <= NFILES; f++)); do
		INPUTS+=("$SCRATCH/inputs/input-$f.txt")
	done
	reference wc && reference indexer && reference straggler || return 1
	cmp -s "$SCRATCH/ref-wc" "$SCRATCH/ref-straggler" ||
		fail "mrsequential straggler.so and wc.so disagree"
}

# reference APP: mrsequential's output for APP, in $SCRATCH/ref-APP. It
# runs where the inputs are, so Map sees the same names as on host 0.
reference() {
	local app=$1 log=$SCRATCH/ref-$1.log
	(cd "$SCRATCH/inputs" && timeout 120 "$LAN_BIN/mrsequential" "$LAN_BIN/$app.so" input-*.txt) >"$log" 2>&1 &&
		mv "$SCRATCH/inputs/mr-out-0" "$SCRATCH/ref-$app" || {
		fail "mrsequential $app.so failed: $(last_line "$log")"
		return 1
	}
}

# ---------------------------------------------------------------------------
# Helpers of the scenarios.

# job COORDFLAGS...: the coordinator with the inputs, R reduce tasks.
job() {
	start_coordinator -timeout "$PROC_SECS" -nreduce "$NREDUCE" "$@" "${EACH[@]}" -- "${INPUTS[@]}"
}

# worker HOST APP [start_worker options...]
worker() {
	local h=$1 app=$2
	shift 2
	start_worker "$h" "$app" -timeout "$PROC_SECS" "$@"
}

# wait_coordinator: waits for the coordinator to exit 0.
wait_coordinator() {
	wait_host 0 "$JOB_SECS" || {
		fail "the job did not end within ${JOB_SECS}s"
		return 1
	}
	[[ ${LAN_RC[0]} == 0 ]] || {
		fail "coordinator exited with status ${LAN_RC[0]}: $(last_line "$(lan_log 0)")"
		return 1
	}
}

# wait_workers HOST...: each exits 0 within 10 s (of the coordinator).
wait_workers() {
	local h
	for h in "$@"; do
		wait_host "$h" 10 || {
			fail "the worker on host $h was still running 10 s after the job ended"
			return 1
		}
		[[ ${LAN_RC[$h]} == 0 ]] || {
			fail "the worker on host $h exited with status ${LAN_RC[$h]} after the job: $(last_line "$(lan_log "$h")")"
			return 1
		}
	done
}

# check_output APP: mr-APP-all collected from host 0 is mrsequential's
# output (ref-wc for straggler).
check_output() {
	local app=$1 ref=$1 got=$LAN_DIR/host0.out/mr-$1-all
	[[ $app == straggler ]] && ref="wc"
	[[ -f $got ]] || {
		fail "no mr-$app-all came back from host 0"
		return 1
	}
	cmp -s "$got" "$SCRATCH/ref-$ref" || {
		fail "mr-$app-all differs from mrsequential $ref.so: $(cmp "$got" "$SCRATCH/ref-$ref" 2>&1 | head -n 1)"
		return 1
	}
}

# expect_summary FACT...: fails, with mrcheck's reason, unless every FACT
# holds for the job summary collected from host 0 (mr-<app>-summary.json;
# facts are QUERY[:ARG]=VALUE, see bin/mrcheck -h). A -race build sleeps
# 1 s at exit in case other goroutines have races to report; mrcheck has
# no other goroutine, so GORACE turns that off.
expect_summary() {
	local why
	why=$(GORACE="atexit_sleep_ms=0 ${GORACE:-}" \
		"$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json expect "$@" 2>&1) ||
		fail "job summary: ${why#mrcheck: }"
}

# expect_counts MAP_ATTEMPTS REDUCE_ATTEMPTS WORKERS [FACT...]: the FACTs
# hold (checked first, as they tell more than a count), and the job had
# NFILES maps, NREDUCE reduces and these attempt and worker counts.
expect_counts() {
	expect_summary "${@:4}" maps="$NFILES" reduces="$NREDUCE" map_attempts="$1" \
		reduce_attempts="$2" workers="$3"
}

# coord_status CHECK ARGS...: bin/mrstatuscheck CHECK on the running
# coordinator's GET /status, from host 0's network (mrstatuscheck -h; the
# URL comes first in ARGS, or after SECS for wait).
coord_status() {
	local what=$1 url=http://$(lan_coord)/status
	shift
	if [[ $what == wait ]]; then
		set -- "$1" "$url" "${@:2}"
	else
		set -- "$url" "$@"
	fi
	GORACE="atexit_sleep_ms=0 ${GORACE:-}" lan_exec 0 "$LAN_BIN/mrstatuscheck" "$what" "$@"
}

# wait_status SECS PATH=VALUE...: waits until /status says so.
wait_status() { coord_status wait "$@" >/dev/null 2>&1; }

# maps_won_so_far ID: the map tasks /status shows won by worker ID (as
# "map-3").
maps_won_so_far() {
	coord_status won 2>/dev/null | awk -v w="$1" '$1 ~ /^map-/ && $2 == w { print $1 }'
}

# status_worker HOST: "ID ADDR STATE ATTEMPT" of the host's latest worker
# on /status.
status_worker() {
	coord_status workers 2>/dev/null | awk -v a="$(lan_addr "$1"):" 'index($2, a) == 1' | tail -n 1
}

# log_has HOST ERE: whether the host's log has a matching line.
log_has() { grep -qE -- "$2" "$(lan_log "$1")"; }

# need_log HOST ERE WHAT: fails with "no WHAT" unless log_has.
need_log() {
	log_has "$1" "$2" || fail "no $3 in host $1's log"
}

# tcp_passive_opens HOST: TCP connections ever accepted in its namespace.
tcp_passive_opens() {
	lan_exec "$1" awk '$1 == "Tcp:" && $2 ~ /^[0-9]+$/ { print $7 }' /proc/net/snmp
}

# check_redone ID MAPS...: the map tasks MAPS, once won by worker ID,
# ran exactly once more; every other map task ran once; ID, declared dead,
# wins no task (so MAPS were won by other workers).
check_redone() {
	local id=$1 t facts=()
	shift
	for ((t = 0; t < NFILES; t++)); do
		if [[ " $* " == *" map-$t "* ]]; then
			facts+=("attempts:map-$t=2")
		else
			facts+=("attempts:map-$t=1")
		fi
	done
	expect_summary "${facts[@]}" || fail "$REASON ($id held ${*:-no map})" || return 1
	# It may have committed a reduce before it was cut off: that output is
	# the coordinator's; but no map output of it is used.
	! "$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json won-by "$id" | grep -q '^map-' ||
		fail "$id, gone, still wins $("$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json won-by "$id" | paste -sd,)"
}

# check_isolation HOST: while HOST's worker and the coordinator run, each
# sees its own files only. Seen through a process's /proc/PID/root (its
# mount namespace), its private directory holds its files while the same
# path is an empty directory for us and for the other; host 0's inputs
# are invisible from HOST.
check_isolation() {
	local h=$1 wpid cpid mine=$LAN_DIR/host$1.fs coord=$LAN_DIR/host0.fs
	wpid=$(host_pid "$h") && cpid=$(host_pid 0) || fail "no pid for host $h or 0" || return 1
	[[ -d /proc/$wpid/root$mine/run && -f /proc/$cpid/root$coord/input-1.txt ]] ||
		fail "host $h's run/ or host 0's input-1.txt is not in their private directories" || return 1
	[[ -z $(ls -A "$mine") && -z $(ls -A "$coord") ]] ||
		fail "the private directories show through on the host: $(ls -A "$mine" "$coord" | tr '\n' ' ')" || return 1
	[[ -z $(ls -A "/proc/$wpid/root$coord") && -z $(ls -A "/proc/$cpid/root$mine") ]] ||
		fail "host $h and host 0 see each other's files" || return 1
}

# ---------------------------------------------------------------------------
# The scenarios.

scenario_happy() {
	local app=$1 h
	job "${FAST[@]}"
	for h in 1 2 3; do worker "$h" "$app"; done
	wait_coordinator || return 1
	wait_workers 1 2 3 || return 1
	check_output "$app" || return 1
	expect_counts "$NFILES" "$NREDUCE" 3 not-won=none
}
scenario_happy_wc() { scenario_happy wc; }

# scenario_secret: the happy path, authenticated: every process gets the
# same MR_SECRET; the coordinator says it has one; the secret itself is
# in no log.
scenario_secret() {
	local h secret
	secret=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	MR_SECRET=$secret job "${FAST[@]}"
	for h in 1 2 3; do MR_SECRET=$secret worker "$h" wc; done
	wait_coordinator || return 1
	wait_workers 1 2 3 || return 1
	check_output wc || return 1
	expect_counts "$NFILES" "$NREDUCE" 3 not-won=none || return 1
	grep -q 'msg="coordinator listening".* secret=true' "$(lan_log 0)" ||
		fail "the coordinator did not run with the secret" || return 1
	if grep -qF "$secret" "$LAN_DIR"/host*.log; then
		fail "the secret appears in $(grep -lF "$secret" "$LAN_DIR"/host*.log | head -n 1)"
		return 1
	fi
}
scenario_happy_indexer() { scenario_happy indexer; }

# scenario_owner_killed: kill -9 the top map owner as the reduce phase
# starts. Every reducer sits 1 s in its first Reduce (its inputs already
# fetched); the next reduce attempts then fetch from the dead owner, fail,
# and report it, well before the 4 s heartbeat timeout would tell.
scenario_owner_killed() {
	local h victim vh owned=() survivors=() reports won addr
	job -heartbeat-timeout 4s -task-timeout 10s
	for h in 1 2 3; do worker "$h" straggler -file slow-reduce=1s; done
	wait_status 30 Phase=reduce || fail "the map phase did not end within 30 s" || return 1
	# One look at /status: the top map owner, its host, its maps.
	won=$(coord_status won 2>/dev/null)
	victim=$(awk '$1 ~ /^map-/ { print $2 }' <<<"$won" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	addr=$(awk -v w="$victim" '$2 == w { print $3; exit }' <<<"$won")
	addr=${addr%:*}
	vh=$((${addr##*.} - 10))
	((vh >= 1 && vh <= 3)) || fail "no host for worker $victim (address $addr)" || return 1
	mapfile -t owned < <(awk -v w="$victim" '$1 ~ /^map-/ && $2 == w { print $1 }' <<<"$won")
	kill -KILL "$(host_pid "$vh")"
	wait_coordinator || return 1
	wait_host "$vh" 5 && [[ ${LAN_RC[$vh]} == 137 ]] ||
		fail "the killed worker's status is ${LAN_RC[$vh]:-unknown}, want 137" || return 1
	for h in 1 2 3; do
		((h == vh)) || survivors+=("$h")
	done
	wait_workers "${survivors[@]}" || return 1
	check_output straggler || return 1
	check_redone "$victim" "${owned[@]}" || return 1
	reports=$("$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json fetch-failures "$victim")
	((reports > 0)) || fail "no reducer reported a failed fetch from $victim" || return 1
	echo "    killed $victim (host $vh), owner of ${owned[*]}; $reports fetch failures reported;" \
		"dead: $("$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json dead | paste -sd,)"
}

# cut_or_freeze HOW: HOW is partition or frozen. Host 3 starts alone, so it
# owns map output; it sits in a 4 s first Reduce when it is cut off or
# stopped, until declared dead; then it comes back, its upload is refused,
# it registers again and the job ends, while hosts 1 and 2 (8 s first
# Reduce) keep the job open until then.
cut_or_freeze() {
	local how=$1 vid owned=() ra t0 pid
	job "${NOBACKUP[@]}"
	worker 3 straggler -file slow-reduce=4s -lost-after 60s
	wait_status 20 'MapsDone>=1' || fail "host 3 did no map within 20 s" || return 1
	worker 1 straggler -file slow-reduce=8s
	worker 2 straggler -file slow-reduce=8s
	wait_for_log "$(lan_log 3)" '^straggler: Reduce sleeping' 30 ||
		fail "host 3 never reached its slow Reduce" || return 1
	read -r vid _ _ ra < <(status_worker 3)
	mapfile -t owned < <(maps_won_so_far "$vid")
	[[ $ra == reduce-* ]] || fail "host 3 ($vid) sleeps in its Reduce, but /status shows it running '$ra'" || return 1
	t0=$(now)
	if [[ $how == partition ]]; then
		link_down 3
	else
		pid=$(host_pid 3)
		kill -STOP "$pid"
	fi
	wait_status 10 'worker_counts.dead=1'
	local died=$?
	if [[ $how == partition ]]; then link_up 3; else kill -CONT "$pid"; fi
	((died == 0)) || fail "$vid (host 3) was not declared dead within 10 s" || return 1
	echo "    host 3 ($vid, owner of ${owned[*]}, running $ra) $how for $(since "$t0")s"
	wait_coordinator || return 1
	wait_workers 1 2 3 || return 1
	check_output straggler || return 1
	# It came back as a fourth worker; its late upload of ra did not win.
	expect_summary workers=4 "outcome:$ra=died" "winner:${ra%.a*}!=$ra" || return 1
	check_redone "$vid" "${owned[@]}"
}
scenario_partition() { cut_or_freeze partition; }
scenario_frozen() { cut_or_freeze frozen; }

# scenario_straggler: host 3's first Map sleeps 8 s; a backup wins from
# 2.5 s on. Hosts 1 and 2 sit 8 s in their first Reduce, so that the job is
# still open when host 3's late report comes (host 3 may then back those
# reduces up).
scenario_straggler() {
	local vid slow opens
	job "${FAST[@]}"
	worker 3 straggler -file straggler=8s
	wait_for_log "$(lan_log 3)" '^straggler: Map\(.*\) sleeping' 20 ||
		fail "host 3 never reached its slow Map" || return 1
	check_isolation 3 || return 1
	read -r vid _ _ slow < <(status_worker 3)
	[[ $slow == map-*.a1 ]] || fail "host 3 ($vid) sleeps in its Map, but /status shows it running '$slow'" || return 1
	worker 1 straggler -file slow-reduce=8s
	worker 2 straggler -file slow-reduce=8s
	wait_coordinator || return 1
	wait_workers 1 2 3 || return 1
	check_output straggler || return 1
	# Hosts 1 and 2's sleeping first reduces are stragglers too: host 3 may
	# back them up once it is free, so reduce attempts are not counted.
	expect_summary dead=none "outcome:$slow=lost" "attempts:${slow%.a1}=2" maps="$NFILES" reduces="$NREDUCE" \
		map_attempts=$((NFILES + 1)) workers=3 || return 1
	# Nothing but reducers ever connects to a worker: the counter shows
	# whether anyone fetched from host 3 (and, on 1 and 2, that it counts).
	opens=$(tcp_passive_opens 3)
	[[ $opens == 0 ]] || fail "host 3 accepted $opens TCP connections: its output was fetched" || return 1
	(($(tcp_passive_opens 1) + $(tcp_passive_opens 2) > 0)) ||
		fail "hosts 1 and 2 accepted no connection: reducers fetched nothing?" || return 1
	echo "    $slow on $vid lost to a backup; host 3 accepted $opens connections, hosts 1 and 2 $(tcp_passive_opens 1) and $(tcp_passive_opens 2)"
}

# scenario_coordinator_killed: kill -9 the coordinator while every worker
# sits in a long Reduce; all must leave within 5 s.
scenario_coordinator_killed() {
	local h t0 pids=() gone=() re
	job "${FAST[@]}"
	for h in 1 2 3; do worker "$h" straggler -file slow-reduce=20s; done
	for h in 1 2 3; do
		wait_for_log "$(lan_log "$h")" '^straggler: Reduce sleeping' 30 ||
			fail "host $h never reached its slow Reduce" || return 1
		pids[h]=$(host_pid "$h")
	done
	kill -KILL "$(host_pid 0)"
	t0=$(now)
	for h in 1 2 3; do
		while kill -0 "${pids[h]}" 2>/dev/null; do
			before "$t0" 8 || break
			sleep 0.05
		done
		gone[h]=$(since "$t0")
	done
	echo "    workers gone ${gone[1]}s, ${gone[2]}s, ${gone[3]}s after the coordinator was killed"
	re="^mrworker: mr: coordinator lost: coordinator at $(lan_coord | sed 's/\./\\./g') stopped answering"
	for h in 1 2 3; do
		awk -v g="${gone[h]}" 'BEGIN { exit !(g <= 5.0) }' ||
			fail "the worker on host $h was still running ${gone[h]}s after the coordinator was killed" || return 1
		wait_host "$h" 5 || fail "host $h's wrapper did not exit" || return 1
		[[ ${LAN_RC[$h]} != 0 ]] || fail "the worker on host $h exited 0" || return 1
		[[ $(last_line "$(lan_log "$h")") =~ $re ]] ||
			fail "host $h's last line is: $(last_line "$(lan_log "$h")")" || return 1
	done
}

# scenario_wrong_app: indexer.so tries to join a straggler.so job.
scenario_wrong_app() {
	local want line n
	job "${FAST[@]}"
	worker 1 straggler -file slow-reduce=3s
	worker 2 straggler -file slow-reduce=3s
	wait_status 20 Workers=2 || fail "hosts 1 and 2 did not join within 20 s" || return 1
	worker 3 indexer
	wait_host 3 10 || fail "the indexer worker still runs 10 s after starting" || return 1
	[[ ${LAN_RC[3]} == 1 ]] || fail "the indexer worker exited with status ${LAN_RC[3]}, want 1" || return 1
	want="mrworker: mr: registering with $(lan_coord): mr: worker runs a different app than the job: "
	want+="worker at $(lan_addr 3):$LAN_WORKER_PORT runs \"indexer\", the job runs \"straggler\""
	line=$(last_line "$(lan_log 3)")
	[[ $line == "$want" ]] || fail "the refused worker's last line is: $line" || return 1
	n=$(grep -c . "$(lan_log 3)")
	((n == 1)) || fail "the refused worker wrote $n lines, want 1" || return 1
	host_alive 0 || fail "the job ended before the wrong worker was refused" || return 1
	wait_coordinator || return 1
	wait_workers 1 2 || return 1
	check_output straggler || return 1
	expect_counts "$NFILES" "$NREDUCE" 2
}

# scenario_coordinator_restart: kill -9 a journaled job's coordinator
# once host 1 (no delay) has committed reduces while hosts 2 and 3 sit 6 s
# in their first Reduce; restart it 2 s later with the same command and
# the out/ it left.
scenario_coordinator_restart() {
	local h run1=$LAN_DIR/host0.run1.log saved=$LAN_DIR/host0.out.run1 log r committed=() n recovered
	local flags=(-journal -heartbeat-timeout 2s -task-timeout 10s -nreduce "$NREDUCE")
	start_coordinator -timeout "$PROC_SECS" "${flags[@]}" "${EACH[@]}" -- "${INPUTS[@]}"
	worker 1 straggler
	worker 2 straggler -file slow-reduce=6s
	worker 3 straggler -file slow-reduce=6s
	for h in 2 3; do
		wait_for_log "$(lan_log "$h")" '^straggler: Reduce sleeping' 30 ||
			fail "host $h never reached its slow Reduce" || return 1
	done
	wait_status 20 'ReducesDone>=1' || fail "no reduce was committed within 20 s" || return 1
	# Committed: done on /status 1 s before the kill (the status shows a
	# commit a moment before the journal has it).
	mapfile -t committed < <(coord_status won 2>/dev/null | awk '$1 ~ /^reduce-/ { print $1 }')
	sleep 1
	wait_status 1 Phase=reduce || fail "the job reached its merge before the kill: nothing to resume" || return 1
	kill -KILL "$(host_pid 0)"
	wait_host 0 10 && [[ ${LAN_RC[0]} == 137 ]] ||
		fail "the killed coordinator's status is ${LAN_RC[0]:-unknown}, want 137" || return 1
	log=$(lan_log 0)
	mv "$log" "$run1" && mv "$LAN_DIR/host0.out" "$saved" || return 1
	for h in 1 2 3; do
		host_alive "$h" || fail "the worker on host $h exited when its journaled job's coordinator died:" \
			"$(last_line "$(lan_log "$h")")" || return 1
	done
	sleep 2 # the restart comes 2 s after the crash, as an operator's would
	start_coordinator -timeout "$PROC_SECS" -restore "$saved" "${flags[@]}" "${EACH[@]}" -- "${INPUTS[@]}"
	wait_coordinator || return 1
	wait_workers 1 2 3 || return 1
	check_output straggler || return 1
	# Every map was committed and its owner is alive: all are taken back,
	# as is every reduce committed before the kill; the workers waited
	# (they exited 0, not 1).
	recovered=" $("$LAN_BIN/mrcheck" "$LAN_DIR"/host0.out/mr-*-summary.json recovered | paste -sd' ') "
	for ((n = 0; n < NFILES; n++)); do
		[[ $recovered == *" map-$n "* ]] || fail "map-$n ran again after the restart; its owner was alive" || return 1
	done
	for r in "${committed[@]}"; do
		[[ $recovered == *" $r "* ]] || fail "$r, committed before the kill, ran again after the restart" || return 1
	done
	expect_summary restarts=1 || return 1
	echo "    killed the coordinator with ${#committed[@]} reduces committed (${committed[*]}); restarted 2 s later:" \
		"taken back:$recovered; no map ran again"
}

# pool_job APP: a job of bin/APP.so through the pool, started on host 0
# (-app PATH.so: the coordinator ships the plugin), once all three pool
# workers have joined; its logs and outputs are kept as host0.APP.*.
pool_job() {
	local app=$1
	start_coordinator -timeout "$PROC_SECS" -app "$LAN_BIN/$app.so" -wait-workers 3 "${FAST[@]}" \
		-nreduce "$NREDUCE" "${EACH[@]}" -- "${INPUTS[@]}"
	wait_coordinator || return 1
	check_output "$app" || return 1
	expect_counts "$NFILES" "$NREDUCE" 3 || return 1
	mv "$(lan_log 0)" "$LAN_DIR/host0.$app.log" && mv "$LAN_DIR/host0.out" "$LAN_DIR/host0.$app.out"
}

# scenario_pool: three pool workers, started once, serve a wc job, then
# an indexer job, then stop on SIGTERM with status 0.
scenario_pool() {
	local h app n secret
	secret=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	for h in 1 2 3; do MR_SECRET=$secret start_pool_worker "$h" -timeout "$PROC_SECS"; done
	for app in wc indexer; do
		MR_SECRET=$secret pool_job "$app" || return 1
	done
	# Each of the second job's three workers is a pool worker that served the first.
	n=$("$LAN_BIN/mrcheck" "$LAN_DIR"/host0.indexer.out/mr-indexer-summary.json pool-jobs | grep -c '=1$')
	((n == 3)) || fail "$n of the indexer job's workers are pool workers that served the wc job, want 3" || return 1
	for h in 1 2 3; do
		host_alive "$h" || fail "the pool worker on host $h exited after the jobs: $(last_line "$(lan_log "$h")")" || return 1
		kill -TERM "$(host_pid "$h")"
	done
	for h in 1 2 3; do
		wait_host "$h" 10 || fail "the pool worker on host $h still runs 10 s after SIGTERM" || return 1
		[[ ${LAN_RC[$h]} == 0 ]] || fail "the pool worker on host $h exited with status ${LAN_RC[$h]} on SIGTERM" || return 1
	done
	if grep -qF "$secret" "$LAN_DIR"/host*.log; then
		fail "the secret appears in $(grep -lF "$secret" "$LAN_DIR"/host*.log | head -n 1)"
		return 1
	fi
	echo "    three pool workers fetched wc.so and indexer.so from host 0 and served both jobs; SIGTERM: all exited 0"
}

# data_job WORKERDATA COORDFLAGS... -- COORDINPUTS...: one wc job whose
# workers hold inputs as data_for WORKERDATA says; its output is
# mrsequential's, and every process exits 0.
data_job() {
	local wdata=$1 h flags=() data=()
	shift
	while [[ $1 != -- ]]; do
		flags+=("$1")
		shift
	done
	shift
	start_coordinator -timeout "$PROC_SECS" "${flags[@]}" -nreduce "$NREDUCE" "${FAST[@]}" -wait-workers 3 "${EACH[@]}" -- "$@"
	for h in 1 2 3; do
		mapfile -d '' data < <(data_for "$wdata" 3 "$h" "${INPUTS[@]}")
		worker "$h" wc "${data[@]}"
	done
	wait_coordinator && wait_workers 1 2 3 && check_output wc
}

scenario_data_local() {
	local bad corrupt=$SCRATCH/corrupt data=() f
	limit_links 100mbit || fail "cannot limit the links (tc)" || return 1
	data_job all -- "${INPUTS[@]}" || return 1
	expect_summary local_percent\>=95 coordinator_percent\<=1 counter:local_maps="$NFILES" || return 1
	"$LAN_BIN/mrmanifest" -o "$SCRATCH/corpus.manifest" "${INPUTS[@]}" 2>"$SCRATCH/mrmanifest.log" ||
		fail "mrmanifest failed: $(last_line "$SCRATCH/mrmanifest.log")" || return 1
	data_job spread -with "$SCRATCH/corpus.manifest" -manifest corpus.manifest -- || return 1
	expect_summary counter:coordinator_bytes=0 counter:coordinator_maps=0 || return 1
	# Host 1's worker, alone, holds every input, one of them with a byte
	# changed (same size, same time): it maps them all, that one from the
	# coordinator.
	mkdir -p "$corrupt" && cp -p "${INPUTS[@]}" "$corrupt"/ || return 1
	bad=$corrupt/input-3.txt
	printf 'Q' | dd of="$bad" bs=1 seek=1000 conv=notrunc status=none && touch -r "${INPUTS[2]}" "$bad" || return 1
	start_coordinator -timeout "$PROC_SECS" -nreduce "$NREDUCE" "${FAST[@]}" "${EACH[@]}" -- "${INPUTS[@]}"
	for f in "$corrupt"/*; do data+=(-data "$f"); done
	worker 1 wc "${data[@]}"
	wait_coordinator && wait_workers 1 && check_output wc || return 1
	need_log 1 'msg="input copy not used" file=data/input-3.txt' "line naming the changed copy" || return 1
	(($(grep -c 'msg="input copy not used"' "$(lan_log 1)") == 1)) || fail "the changed copy was named more than once" || return 1
	expect_summary counter:coordinator_maps=1 counter:local_maps=$((NFILES - 1)) copies-differ=input-3.txt || return 1
	echo "    100mbit links: all on every worker read locally; manifest-only coordinator sent nothing; a changed copy was named and not used"
}

# ---------------------------------------------------------------------------

# lan_tally: the suite's tally, unless LAN_TALLY=0; its status either way.
lan_tally() {
	if [[ $LAN_TALLY == 0 ]]; then
		((FAILED == 0))
	else
		tally
	fi
}

SUITE_START=$EPOCHREALTIME
if ! setup; then
	report "lan setup" 1
	lan_tally
	exit 1
fi
for s in "${SCENARIOS[@]}"; do
	selected "$s" "$LAN_CASES" && run_scenario "$s"
done
echo "times: ${TIMES[*]} (suite $(since "$SUITE_START")s)"
lan_tally
