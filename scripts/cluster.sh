#!/usr/bin/env bash
# cluster.sh: runs a MapReduce job on a LAN of its own, made of Linux
# network namespaces, with no file system shared between its processes.
#
#   sudo scripts/cluster.sh [-workers 3] [-app wc] [-nreduce 10]
#                           [-timeout 300] [-keep] [-v] inputs...
#
# It builds the LAN, runs the coordinator on host 0 with the inputs and one
# mrworker on each of hosts 1..N, waits for the job, copies mr-<app>-all
# and mr-<app>-summary.json into the current directory, and tears the LAN
# down, also on failure and on Ctrl-C. The binaries come from bin/ (build
# them first with scripts/build.sh). Exit status: the coordinator's (0 when
# the job is done), 2 for bad usage, 3 when this machine cannot run it
# (the reason is printed: not root, no ip/unshare/nsenter, no netns...).
#
# -workers N   worker hosts (default 3)
# -app NAME    the plugin bin/NAME.so (default wc)
# -nreduce R   reduce tasks (default 10)
# -timeout S   seconds allowed to every process (default 300)
# -keep        keep the logs directory and print its path
# -v           pass -v to the coordinator and the workers
#
# The LAN. A "switch" namespace holds a bridge; host H is a namespace
# whose eth0 (address 10.77.0.(10+H)/24) is one end of a veth pair whose
# other end, pH, is a port of the bridge. Nothing is created in the root
# namespace (except /run/netns, which `ip netns` needs). Names carry this
# shell's pid and a counter (mrlan-<pid>-<n>-sw, mrlan-<pid>-<n>-h0 ...),
# so two runs can coexist; the addresses may repeat, as every LAN is
# closed. Each process runs in its host's network namespace and in a
# mount namespace of its own (unshare --mount) in which a fresh tmpfs is
# its current directory, its only writable place ($TMPDIR points into it
# too): nobody else can see its files. Inputs are copied into host 0's
# tmpfs; the coordinator's outputs are copied out of it when it exits.
# Logs (standard error) go to files the harness opens beforehand.
#
# As a library (source scripts/cluster.sh): lan_check, lan_up, lan_down,
# start_coordinator, start_worker, host_pid, wait_host, link_down, link_up,
# lan_exec, wait_for_log, worker_id_host ... (see each function's comment);
# scripts/lan-tests.sh uses them. Sourcing changes no shell option.

# ---------------------------------------------------------------------------
# Settings. A caller may set these before lan_up.

LAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAN_BIN=${LAN_BIN:-$LAN_ROOT/bin}       # mrcoordinator, mrworker, *.so
LAN_SUBNET=${LAN_SUBNET:-10.77.0}       # host H is $LAN_SUBNET.(10+H)/24
LAN_COORD_PORT=${LAN_COORD_PORT:-7000}  # the coordinator's RPC + HTTP port
LAN_WORKER_PORT=${LAN_WORKER_PORT:-7100} # each worker's run-file server
LAN_TIMEOUT=${LAN_TIMEOUT:-300}         # seconds allowed to each process
LAN_TMPFS_SIZE=${LAN_TMPFS_SIZE:-2g}    # size limit of each private tmpfs
LAN_VFLAG=()                            # (-v) for the processes

# State of the current LAN (one at a time per shell).
LAN_NAME=      # namespace name prefix, "" when no LAN is up
LAN_DIR=       # logs, pid files and collected outputs (host-visible)
LAN_HOSTS=0    # hosts 0..LAN_HOSTS-1
LAN_SEQ=0      # LANs made by this shell so far
LAN_WHY=       # why lan_check failed
# Whether /run/netns was there (as a mount point) before we came.
LAN_NETNS_EXISTED=0
[[ -e /run/netns ]] && LAN_NETNS_EXISTED=1
LAN_NETNS_WAS_MOUNTED=0
mountpoint -q /run/netns 2>/dev/null && LAN_NETNS_WAS_MOUNTED=1
declare -A LAN_TPID=() # host -> pid of its process's timeout(1)
declare -A LAN_RC=()   # host -> exit status, once wait_host saw it

# ---------------------------------------------------------------------------
# Prerequisites.

# lan_check: whether this machine can build a LAN. On failure it sets
# LAN_WHY to the exact reason and returns 1. It tries everything once in
# a throw-away namespace: netns, veth, bridge, a tmpfs in a mount namespace.
lan_check() {
	local c probe out mnt
	LAN_WHY=
	if ((EUID != 0)); then
		LAN_WHY="needs root for network and mount namespaces (euid is $EUID); run with sudo"
		return 1
	fi
	for c in ip unshare nsenter timeout mount mountpoint; do
		command -v "$c" >/dev/null || {
			LAN_WHY="$c not found (install iproute2, util-linux and coreutils)"
			return 1
		}
	done
	probe=mrlan-probe-$$
	if ! out=$(ip netns add "$probe" 2>&1); then
		LAN_WHY="cannot create a network namespace: ip netns add: ${out:-failed}"
		lan_forget_run_netns
		return 1
	fi
	mnt=$(mktemp -d "${TMPDIR:-/tmp}/mrlan-probe.XXXXXX")
	if ! out=$(ip -n "$probe" link add probe0 type veth peer name probe1 2>&1); then
		LAN_WHY="cannot create a veth pair: ${out:-failed}"
	elif ! out=$(ip -n "$probe" link add probebr type bridge 2>&1); then
		LAN_WHY="cannot create a bridge: ${out:-failed}"
	elif ! out=$(ip netns exec "$probe" unshare --mount --propagation private \
		mount -t tmpfs -o size=1m mrlan-probe "$mnt" 2>&1); then
		LAN_WHY="cannot mount a tmpfs in a private mount namespace: ${out:-failed}"
	fi
	ip netns del "$probe" 2>/dev/null
	rmdir "$mnt" 2>/dev/null
	lan_forget_run_netns
	[[ -z $LAN_WHY ]]
}

# ---------------------------------------------------------------------------
# The LAN.

lan_sw() { echo "$LAN_NAME-sw"; }         # the switch namespace
lan_ns() { echo "$LAN_NAME-h$1"; }        # lan_ns HOST: host's namespace
lan_addr() { echo "$LAN_SUBNET.$((10 + $1))"; } # lan_addr HOST: its IPv4 address
lan_coord() { echo "$(lan_addr 0):$LAN_COORD_PORT"; } # the coordinator's host:port
lan_log() { echo "$LAN_DIR/host$1.log"; } # lan_log HOST: its process's log

# lan_up NWORKERS [DIR]: builds a LAN of hosts 0..NWORKERS with DIR (made
# with mktemp if not given) for logs. Fails, tearing down what it made, if
# any step fails.
lan_up() {
	local n=$1 h
	[[ -z $LAN_NAME ]] || lan_down
	LAN_SEQ=$((LAN_SEQ + 1))
	LAN_NAME=mrlan-$$-$LAN_SEQ
	LAN_HOSTS=$((n + 1))
	LAN_TPID=()
	LAN_RC=()
	LAN_DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/$LAN_NAME.XXXXXX")} || return 1
	mkdir -p "$LAN_DIR" || return 1
	lan_ip netns add "$(lan_sw)" &&
		lan_ip -n "$(lan_sw)" link set lo up &&
		lan_ip -n "$(lan_sw)" link add br0 type bridge &&
		lan_ip -n "$(lan_sw)" link set br0 up || {
		lan_down
		return 1
	}
	for ((h = 0; h < LAN_HOSTS; h++)); do
		lan_add_host "$h" || {
			lan_down
			return 1
		}
	done
}

# lan_add_host HOST: a namespace with lo up and eth0 cabled to the switch.
lan_add_host() {
	local h=$1 ns sw
	ns=$(lan_ns "$h")
	sw=$(lan_sw)
	lan_ip netns add "$ns" &&
		lan_ip -n "$ns" link set lo up &&
		lan_ip -n "$sw" link add "p$h" type veth peer name eth0 netns "$ns" &&
		lan_ip -n "$sw" link set "p$h" master br0 &&
		lan_ip -n "$sw" link set "p$h" up &&
		lan_ip -n "$ns" addr add "$(lan_addr "$h")/24" dev eth0 &&
		lan_ip -n "$ns" link set eth0 up
}

# lan_ip ARGS...: ip, with its complaint prefixed by what was asked.
lan_ip() {
	local out
	out=$(ip "$@" 2>&1) || {
		echo "cluster: ip $*: $out" >&2
		return 1
	}
}

# lan_down: stops every process of the LAN (TERM, then KILL after 3 s,
# and anything else found inside its namespaces), deletes its namespaces
# (which destroys their links and the bridge) and forgets it. The private
# tmpfs mounts vanish with their last process. Safe to call twice.
lan_down() {
	local ns h
	[[ -n $LAN_NAME ]] || return 0
	lan_stop_all
	for ns in $(lan_namespaces); do
		ip netns del "$ns" 2>/dev/null
	done
	LAN_NAME=
	lan_forget_run_netns
}

# lan_namespaces: the namespaces of the current LAN that exist.
lan_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$LAN_NAME-" 'index($1, p) == 1 { print $1 }'
}

# lan_stop_all: ends every process of the LAN and reaps the ones we started.
lan_stop_all() {
	local h pid ns deadline
	for h in "${!LAN_TPID[@]}"; do
		# timeout(1) leads its own process group: the wrapper and the process.
		kill -TERM -- "-${LAN_TPID[$h]}" 2>/dev/null
		kill -CONT -- "-${LAN_TPID[$h]}" 2>/dev/null
	done
	deadline=$((SECONDS + 3))
	for h in "${!LAN_TPID[@]}"; do
		while kill -0 "${LAN_TPID[$h]}" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.05
		done
		kill -KILL -- "-${LAN_TPID[$h]}" 2>/dev/null
	done
	for ns in $(lan_namespaces); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for h in "${!LAN_TPID[@]}"; do
		wait_host "$h" 5 >/dev/null 2>&1
	done
}

# lan_forget_run_netns: `ip netns add` creates /run/netns and makes it a
# mount point; undo that when it was not so before this shell came and no
# namespace is left in it. (Two runs at once may leave it mounted.)
lan_forget_run_netns() {
	((LAN_NETNS_WAS_MOUNTED == 0)) || return 0
	[[ -d /run/netns && -z $(ls -A /run/netns 2>/dev/null) ]] || return 0
	if mountpoint -q /run/netns; then
		umount /run/netns 2>/dev/null || return 0
	fi
	((LAN_NETNS_EXISTED == 1)) || rmdir /run/netns 2>/dev/null
}

# lan_exec HOST CMD...: runs CMD in the host's network namespace (not in
# a private mount namespace: for looking around, e.g. ss -tn).
lan_exec() {
	local h=$1
	shift
	ip netns exec "$(lan_ns "$h")" "$@"
}

# link_down HOST / link_up HOST: pulls out / plugs back the host's cable
# (its port on the switch). The host keeps its address; its packets go
# nowhere meanwhile.
link_down() { ip -n "$(lan_sw)" link set "p$1" down; }
link_up() { ip -n "$(lan_sw)" link set "p$1" up; }

# ---------------------------------------------------------------------------
# Processes.

# lan_private: runs inside the namespaces, as
#   lan_private FS PIDFILE OUTDIR [-copy FILE]... [-file NAME=TEXT]...
#               [-collect DIR] -- CMD...
# It mounts a fresh tmpfs on FS (an empty directory), makes it the current
# directory and $TMPDIR, copies FILEs in, writes NAME with TEXT, then runs
# CMD, writes CMD's pid to PIDFILE and waits for it. After CMD exits it
# copies the files of DIR (in the tmpfs) to OUTDIR, and exits with CMD's
# status. Only this copy ever leaves the tmpfs.
lan_private() {
	local fs=$1 pidfile=$2 outdir=$3 collect='' pid rc
	shift 3
	mount -t tmpfs -o "size=${LAN_TMPFS_SIZE:-2g},mode=0755" mrlan "$fs" || exit 125
	cd "$fs" && mkdir tmp || exit 125
	export TMPDIR=$fs/tmp HOME=$fs
	while (($# > 0)) && [[ $1 != -- ]]; do
		case $1 in
		-copy) cp -- "$2" . || exit 125 ;;
		-file) printf '%s' "${2#*=}" >"${2%%=*}" || exit 125 ;;
		-collect) collect=$2 ;;
		*) echo "cluster: lan_private: bad option $1" >&2 && exit 125 ;;
		esac
		shift 2
	done
	shift
	"$@" </dev/null &
	pid=$!
	# Pass TERM and INT on and stay to reap CMD, so nothing is orphaned.
	trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
	echo "$pid" >"$pidfile"
	while kill -0 "$pid" 2>/dev/null; do
		wait "$pid"
	done
	wait "$pid"
	rc=$?
	if [[ -n $collect && -d $collect ]]; then
		mkdir -p "$outdir" && cp -pR -- "$collect"/. "$outdir"/
	fi
	exit "$rc"
}

# lan_spawn HOST SECS [lan_private options] -- CMD...: starts CMD on HOST
# under `timeout -k 2 SECS`, in the host's network namespace and a private
# mount namespace (see lan_private), in the background. Its standard
# output and error go to $(lan_log HOST); its pid (once running) is
# host_pid HOST; what it leaves in the -collect directory ends up in
# $LAN_DIR/hostH.out/.
lan_spawn() {
	local h=$1 secs=$2 fs
	shift 2
	fs=$LAN_DIR/host$h.fs
	mkdir -p "$fs" && rm -f "$LAN_DIR/host$h.pid" || return 1
	unset "LAN_RC[$h]"
	timeout -k 2 "$secs" ip netns exec "$(lan_ns "$h")" \
		unshare --mount --propagation private \
		env LAN_TMPFS_SIZE="$LAN_TMPFS_SIZE" bash -c "$(declare -f lan_private); lan_private \"\$@\"" \
		"lan-host$h" "$fs" "$LAN_DIR/host$h.pid" "$LAN_DIR/host$h.out" "$@" \
		</dev/null >"$(lan_log "$h")" 2>&1 &
	LAN_TPID[$h]=$!
}

# start_coordinator [-timeout SECS] [mrcoordinator flags...] -- INPUTS...:
# the coordinator on host 0, listening on $(lan_coord), with copies of
# INPUTS (passed to it by their base names) and -out out; its out/ is
# collected into $LAN_DIR/host0.out when it exits.
start_coordinator() {
	local secs=$LAN_TIMEOUT flags=() copies=() names=() f
	[[ $1 == -timeout ]] && secs=$2 && shift 2
	while (($# > 0)) && [[ $1 != -- ]]; do
		flags+=("$1")
		shift
	done
	shift
	for f in "$@"; do
		[[ $f == /* ]] || f=$PWD/$f
		copies+=(-copy "$f")
		names+=("$(basename "$f")")
	done
	lan_spawn 0 "$secs" "${copies[@]}" -collect out -- \
		"$LAN_BIN/mrcoordinator" -addr "$(lan_coord)" -out out "${LAN_VFLAG[@]}" "${flags[@]}" "${names[@]}"
}

# start_worker HOST APP [-timeout SECS] [-file NAME=TEXT]... [mrworker flags...]:
# an mrworker of bin/APP.so on HOST, finding the coordinator through
# COORDINATOR_HOST, advertising the host's address, serving its run files
# on port $LAN_WORKER_PORT from the directory run/ of its tmpfs. -file
# puts a file in its current directory first (a marker for the app).
start_worker() {
	local h=$1 app=$2 secs=$LAN_TIMEOUT files=()
	shift 2
	while (($# > 0)); do
		case $1 in
		-timeout) secs=$2 ;;
		-file) files+=(-file "$2") ;;
		*) break ;;
		esac
		shift 2
	done
	lan_spawn "$h" "$secs" "${files[@]}" -- \
		env COORDINATOR_HOST="$(lan_coord)" \
		"$LAN_BIN/mrworker" -dir run -listen ":$LAN_WORKER_PORT" -advertise "$(lan_addr "$h")" \
		"${LAN_VFLAG[@]}" "$@" "$LAN_BIN/$app.so"
}

# host_pid HOST: prints the pid of the host's process (mrcoordinator or
# mrworker, not its wrappers), waiting up to 5 s for it to start. Signals
# sent to it reach that process only.
host_pid() {
	local f=$LAN_DIR/host$1.pid deadline=$((SECONDS + 5))
	until [[ -s $f ]]; do
		((SECONDS < deadline)) || return 1
		sleep 0.02
	done
	cat "$f"
}

# wait_host HOST SECS: waits up to SECS for the host's process to exit;
# then sets LAN_RC[HOST] to its exit status (124/137: it timed out) and
# returns 0, else returns 1.
wait_host() {
	local h=$1 secs=$2 tpid=${LAN_TPID[$1]:-} deadline
	[[ -n ${LAN_RC[$h]:-} ]] && return 0
	[[ -n $tpid ]] || return 1
	deadline=$(lan_deadline "$secs")
	while kill -0 "$tpid" 2>/dev/null; do
		(($(date +%s%N) < deadline)) || return 1
		sleep 0.05
	done
	wait "$tpid"
	LAN_RC[$h]=$?
}

# host_alive HOST: whether the host's process is still running.
host_alive() { [[ -n ${LAN_TPID[$1]:-} ]] && kill -0 "${LAN_TPID[$1]}" 2>/dev/null; }

# wait_for_log FILE ERE SECS: waits up to SECS (may be fractional) for a
# line of FILE to match the extended regular expression ERE.
wait_for_log() {
	local file=$1 re=$2 deadline
	deadline=$(lan_deadline "$3")
	until grep -qE -- "$re" "$file" 2>/dev/null; do
		(($(date +%s%N) < deadline)) || return 1
		sleep 0.05
	done
}

# lan_deadline SECS: the time SECS (may be fractional) from now, in ns.
lan_deadline() {
	echo $(($(date +%s%N) + $(awk -v s="$1" 'BEGIN { printf "%.0f", s * 1e9 }')))
}

# worker_id_host ID: the host of the worker the coordinator calls ID
# (w1, w2...), from its "worker joined" line.
worker_id_host() {
	local addr
	addr=$(grep -E "msg=\"worker joined\".* worker=$1 " "$(lan_log 0)" | grep -oE 'addr=[0-9.]+' | head -n 1)
	addr=${addr#addr=}
	[[ -n $addr ]] || return 1
	echo $((${addr##*.} - 10))
}

# host_worker_ids HOST: every id the coordinator gave the host's worker.
host_worker_ids() {
	grep -E 'msg="worker joined"' "$(lan_log 0)" |
		grep -F "addr=$(lan_addr "$1"):" | grep -oE 'worker=w[0-9]+' | cut -d= -f2
}

# ---------------------------------------------------------------------------
# Command line.

lan_usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

lan_main() {
	local nworkers=3 app=wc nreduce=10 keep=0 inputs=() h rc f base
	declare -A seen=()
	while (($# > 0)); do
		case $1 in
		-workers) nworkers=$2 && shift ;;
		-app) app=$2 && shift ;;
		-nreduce) nreduce=$2 && shift ;;
		-timeout) LAN_TIMEOUT=$2 && shift ;;
		-keep) keep=1 ;;
		-v) LAN_VFLAG=(-v) ;;
		-h | -help | --help) lan_usage && exit 0 ;;
		-*) echo "cluster.sh: unknown flag $1" >&2 && exit 2 ;;
		*) inputs+=("$1") ;;
		esac
		shift
	done
	[[ $nworkers =~ ^[1-9][0-9]?$ && $nreduce =~ ^[1-9][0-9]*$ && $LAN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || {
		echo "cluster.sh: -workers (1..99), -nreduce and -timeout must be positive numbers" >&2
		exit 2
	}
	((${#inputs[@]} > 0)) || {
		echo "usage: sudo scripts/cluster.sh [-workers 3] [-app wc] [-nreduce 10] [-timeout 300] [-keep] [-v] inputs..." >&2
		exit 2
	}
	for f in "${inputs[@]}"; do
		base=$(basename "$f")
		[[ -f $f && -r $f ]] || { echo "cluster.sh: input $f: not a readable file" >&2 && exit 2; }
		[[ -z ${seen[$base]:-} ]] || { echo "cluster.sh: two inputs are named $base" >&2 && exit 2; }
		seen[$base]=1
	done
	for f in mrcoordinator mrworker "$app.so"; do
		[[ -f $LAN_BIN/$f ]] || { echo "cluster.sh: $LAN_BIN/$f is missing: run scripts/build.sh" >&2 && exit 2; }
	done
	lan_check || { echo "cluster.sh: cannot run here: $LAN_WHY" >&2 && exit 3; }

	trap 'lan_main_cleanup' EXIT
	trap 'echo "cluster.sh: interrupted" >&2; exit 130' INT
	trap 'echo "cluster.sh: terminated" >&2; exit 143' TERM
	LAN_MAIN_KEEP=$keep
	lan_up "$nworkers" || exit 1
	echo "cluster: LAN $LAN_NAME: coordinator $(lan_coord), workers $(lan_addr 1)..$(lan_addr "$nworkers"); logs in $LAN_DIR"
	start_coordinator -nreduce "$nreduce" -app "$app" -- "${inputs[@]}"
	for ((h = 1; h <= nworkers; h++)); do
		start_worker "$h" "$app"
	done
	wait_host 0 $((LAN_TIMEOUT + 5))
	rc=${LAN_RC[0]:-1}
	tail -n 3 "$(lan_log 0)" | sed 's/^/cluster: coordinator: /'
	for f in "mr-$app-all" "mr-$app-summary.json"; do
		[[ -f $LAN_DIR/host0.out/$f ]] && cp "$LAN_DIR/host0.out/$f" . && echo "cluster: wrote ./$f"
	done
	# The workers hear Exit from the coordinator; give them a moment.
	for ((h = 1; h <= nworkers; h++)); do
		wait_host "$h" 10 || echo "cluster: worker on host $h still running; stopping it" >&2
	done
	((rc == 0)) || echo "cluster: the coordinator exited with status $rc; see $LAN_DIR/host0.log" >&2
	((rc == 0)) || LAN_MAIN_KEEP=1
	exit "$rc"
}

lan_main_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local dir=$LAN_DIR
	lan_down
	if [[ ${LAN_MAIN_KEEP:-0} == 1 ]]; then
		echo "cluster: logs kept in $dir" >&2
	elif [[ -n $dir ]]; then
		rm -rf "$dir"
	fi
	exit "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	lan_main "$@"
fi
