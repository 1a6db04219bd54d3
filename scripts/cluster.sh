#!/usr/bin/env bash
# cluster.sh: runs a MapReduce job on a LAN of its own, made of Linux
# network namespaces, with no file system shared between its processes.
#
#   sudo scripts/cluster.sh [-workers 3] [-app wc] [-nreduce 10] [-secret]
#                           [-secret-file F] [-linger D] [-timeout 300]
#                           [-binary] [-link-rate RATE] [-worker-data all|spread|none]
#                           [-coordinator-data all|none] [-split-size N]
#                           [-keep-logs DIR] [-keep] [-v] inputs...
#
# It builds the LAN, runs the coordinator on host 0 with the inputs and one
# mrworker on each of hosts 1..N, waits for the job, copies mr-<app>-all
# and mr-<app>-summary.json into the current directory, and tears the LAN
# down, also on failure and on Ctrl-C. The job starts only once every
# host's worker has joined (mrcoordinator -wait-workers N). This machine
# is on the LAN too, as .1, so the coordinator's status page, whose link
# is printed, opens in a browser here. The binaries come from bin/ (build
# them first with scripts/build.sh). Exit status: the coordinator's (0
# when the job is done), 1 when a worker fails before the job is over, 2
# for bad usage, 3 when this machine cannot run it (the reason is printed:
# not root, no ip/unshare/nsenter, no netns...).
#
# -workers N       worker hosts (default 3)
# -app NAME        the plugin bin/NAME.so (default wc)
# -nreduce R       reduce tasks (default 10)
# -secret          give the job a fresh random secret (every host gets it
#                  in its private directory; it is never printed); the
#                  status page's link then carries its read-only token
# -secret-file F   the same with the secret in F (the engine's -secret-file)
# -linger D        keep the coordinator, its status page and the LAN up D
#                  after the job (e.g. 2m; Ctrl-C ends it sooner)
# -timeout S       seconds allowed to every process (default 300; the
#                  coordinator gets -linger's on top)
# -binary          accept inputs that are not text (mrcoordinator -binary)
# -keep-logs DIR   write the logs (hostH.log; host 0 is the coordinator)
#                  into DIR, created if missing, and keep them
# -keep            keep the logs' temporary directory and print its path
# -v               pass -v to the coordinator and the workers
# -link-rate RATE  limit every host's link to RATE (tc's units: 100mbit,
#                  1gbit) in both directions: a token bucket (tc tbf; this
#                  kernel may have no netem) on the host's eth0 and on its
#                  port of the switch
# -worker-data W   copy the inputs into each worker host's private data/
#                  directory and start its worker with -data data: all
#                  (every input on every worker), spread (input i on
#                  workers i mod N and i+1 mod N: each on 2 of N), none
#                  (default: the workers read every input over the LAN)
# -split-size N    the coordinator's -split-size (bytes; default its own)
# -coordinator-data C  all (default): the coordinator holds the inputs;
#                  none: it gets only their manifest (bin/mrmanifest, run
#                  here) and plans the job from it (-manifest): then the
#                  workers must hold the data (-worker-data all or spread)
# Inputs are files or folders, taken by mrcoordinator's rule (it checks
# them here first, -check, and its lines are printed as they are: skipped
# folder entries, refusals). Host 0's coordinator gets each under the name
# mrsequential gets here (in/a.txt), so Map sees the same names; an input
# given by an absolute path goes by its base name, and a line says so.
# Without -keep-logs or -keep, the logs live in a temporary directory that
# is removed at the end if the job succeeded; when it failed, the tail of
# every log is printed and the directory is kept (its path printed), as
# when it is interrupted before the job is over.
#
# The LAN. A "switch" namespace holds a bridge; host H is a namespace
# whose eth0 (address $LAN_SUBNET.(10+H)/24) is one end of a veth pair
# whose other end, pH, is a port of the bridge. The command line also
# cables the root namespace to the bridge (lan_attach_host): an interface
# mrl-<pid>-<n> with address $LAN_SUBNET.1, on the first 10.77.X.0/24
# this machine has no address or route in; that is all it creates in the
# root namespace, besides /run/netns, which `ip netns` needs. (The library
# alone, as scripts/lan-tests.sh uses it, creates nothing there: its LANs
# are closed.) Names carry this shell's pid and a counter
# (mrlan-<pid>-<n>-sw, mrlan-<pid>-<n>-h0 ...), so two runs can coexist.
# Each process runs in its host's network namespace and in a
# mount namespace of its own (unshare --mount) in which a fresh tmpfs is
# its current directory, its only writable place ($TMPDIR points into it
# too): nobody else can see its files. Inputs are copied into host 0's
# tmpfs; the coordinator's outputs are copied out of it when it exits.
# Logs (standard error) go to files the harness opens beforehand.
#
# As a library (source scripts/cluster.sh): lan_check, lan_up, lan_down,
# start_coordinator, start_worker, start_pool_worker, limit_links, data_for, host_pid, wait_host,
# link_down, link_up, lan_exec, wait_for_log ... (see each
# function's comment);
# scripts/lan-tests.sh uses them. Sourcing changes no shell option.

# ---------------------------------------------------------------------------
# Settings. A caller may set these before lan_up.

LAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAN_BIN=${LAN_BIN:-$LAN_ROOT/bin}       # mrcoordinator, mrworker, *.so
LAN_SUBNET_GIVEN=${LAN_SUBNET:-}        # the command line picks a free one unless given
LAN_SUBNET=${LAN_SUBNET:-10.77.0}       # host H is $LAN_SUBNET.(10+H)/24
LAN_COORD_PORT=${LAN_COORD_PORT:-7000}  # the coordinator's RPC + HTTP port
LAN_WORKER_PORT=${LAN_WORKER_PORT:-7100} # each worker's run-file server
LAN_TIMEOUT=${LAN_TIMEOUT:-300}         # seconds allowed to each process
LAN_TMPFS_SIZE=${LAN_TMPFS_SIZE:-2g}    # size limit of each private tmpfs
LAN_VFLAG=()                            # (-v) for the processes
LAN_SECRET_FILE=                        # a job secret every process gets (-secret-file)

# State of the current LAN (one at a time per shell).
LAN_NAME=      # namespace name prefix, "" when no LAN is up
LAN_DIR=       # logs, pid files and collected outputs (host-visible)
LAN_HOSTS=0    # hosts 0..LAN_HOSTS-1
LAN_SEQ=0      # LANs made by this shell so far
LAN_WHY=       # why lan_check failed
LAN_ROOT_IF=   # the root namespace's cable to the switch, if any
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

# lan_attach_host: cables this machine's root namespace to the switch:
# a veth pair, LAN_ROOT_IF (mrl-<pid>-<n>, address $LAN_SUBNET.1/24) in
# the root namespace and port "proot" on the bridge, so that a browser
# here reaches the hosts (the coordinator's status page). lan_down
# removes it.
lan_attach_host() {
	local sw
	sw=$(lan_sw)
	LAN_ROOT_IF=mrl-$$-$LAN_SEQ
	lan_ip link add "$LAN_ROOT_IF" type veth peer name proot netns "$sw" &&
		lan_ip -n "$sw" link set proot master br0 &&
		lan_ip -n "$sw" link set proot up &&
		lan_ip addr add "$LAN_SUBNET.1/24" dev "$LAN_ROOT_IF" &&
		lan_ip link set "$LAN_ROOT_IF" up
}

# lan_free_subnet: the first 10.77.X (X = 0..255) in which this machine's
# root namespace has no address and no route, so that attaching a LAN
# there changes nothing else; fails when all are taken.
lan_free_subnet() {
	local x used
	used=$(ip -4 -o addr show 2>/dev/null; ip -4 route show table all 2>/dev/null)
	for ((x = 0; x < 256; x++)); do
		grep -qE "(^|[^0-9])10\.77\.$x\.[0-9]" <<<"$used" || {
			echo "10.77.$x"
			return 0
		}
	done
	return 1
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
# and anything else found inside its namespaces), deletes the root
# namespace's cable if there is one, then its namespaces (which destroys
# their links and the bridge) and forgets it. The private
# tmpfs mounts vanish with their last process. Safe to call twice.
lan_down() {
	local ns h
	[[ -n $LAN_NAME ]] || return 0
	lan_stop_all
	if [[ -n $LAN_ROOT_IF ]]; then
		ip link del "$LAN_ROOT_IF" 2>/dev/null
		LAN_ROOT_IF=
	fi
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
#   lan_private FS PIDFILE OUTDIR [-copy FILE]... [-copy-as NAME FILE]...
#               [-file NAME=TEXT]... [-collect DIR] [-restore SAVED] -- CMD...
# It mounts a fresh tmpfs on FS (an empty directory), makes it the current
# directory and $TMPDIR, copies FILEs in (as NAME, a relative path, with
# -copy-as; into data/ with -data), writes NAME with TEXT, copies
# the files of SAVED (a DIR collected from an earlier process) back into
# DIR, then runs CMD, writes CMD's pid to PIDFILE and waits for it. After
# CMD exits it copies the files of DIR (in the tmpfs) to OUTDIR, and exits
# with CMD's status. Only this copy ever leaves the tmpfs; -restore is how
# a host's disk outlives its process (a coordinator restarted after a
# crash finds its -out directory as it left it).
lan_private() {
	local fs=$1 pidfile=$2 outdir=$3 collect='' restore='' pid rc
	shift 3
	mount -t tmpfs -o "size=${LAN_TMPFS_SIZE:-2g},mode=0755" mrlan "$fs" || exit 125
	cd "$fs" && mkdir tmp || exit 125
	export TMPDIR=$fs/tmp HOME=$fs
	while (($# > 0)) && [[ $1 != -- ]]; do
		case $1 in
		-copy) cp -p -- "$2" . || exit 125 ;; # -p: a copy made again is the same file (a journal checks inputs' times)
		-data) mkdir -p data && cp -p -- "$2" data/ || exit 125 ;;
		-copy-as) mkdir -p -- "$(dirname -- "$2")" && cp -p -- "$3" "$2" && shift || exit 125 ;;
		-file) printf '%s' "${2#*=}" >"${2%%=*}" || exit 125 ;;
		-collect) collect=$2 ;;
		-restore) restore=$2 ;;
		*) echo "cluster: lan_private: bad option $1" >&2 && exit 125 ;;
		esac
		shift 2
	done
	shift
	if [[ -n $restore ]]; then
		[[ -n $collect ]] && mkdir -p "$collect" && cp -pR -- "$restore"/. "$collect"/ || exit 125
	fi
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

# start_coordinator [-timeout SECS] [-restore SAVED] [-with FILE]...
# [mrcoordinator flags...] -- INPUTS...: the coordinator on host 0,
# listening on $(lan_coord), with copies of INPUTS, files or folders
# (their regular files that are not hidden), passed to it under their
# names (lan_input_name), and -out out; its out/ is collected into
# $LAN_DIR/host0.out when it exits. -restore puts the files of SAVED (an
# out/ collected before) back into out/ first. -with copies FILE into its
# directory without naming it an input (a manifest, for -manifest NAME).
# With LAN_SECRET_FILE, a copy of it is its -secret-file.
start_coordinator() {
	local secs=$LAN_TIMEOUT flags=() copies=() names=() f restore=() name e
	local secret=()
	lan_secret_args
	while (($# > 1)); do
		case $1 in
		-timeout) secs=$2 ;;
		-restore) restore=(-restore "$2") ;;
		-with)
			f=$2
			[[ $f == /* ]] || f=$PWD/$f
			copies+=(-copy "$f")
			;;
		*) break ;;
		esac
		shift 2
	done
	while (($# > 0)) && [[ $1 != -- ]]; do
		flags+=("$1")
		shift
	done
	shift
	for f in "$@"; do
		name=$(lan_input_name "$f")
		[[ $f == /* ]] || f=$PWD/$f
		if [[ -d $f ]]; then
			for e in "$f"/*; do
				[[ -f $e && ! -L $e ]] && copies+=(-copy-as "$name/${e##*/}" "$e")
			done
		else
			copies+=(-copy-as "$name" "$f")
		fi
		names+=("$name")
	done
	lan_spawn 0 "$secs" "${copies[@]}" "${secret[@]:0:2}" "${restore[@]}" -collect out -- \
		"$LAN_BIN/mrcoordinator" -addr "$(lan_coord)" -out out "${LAN_VFLAG[@]}" "${secret[@]:2}" \
		"${flags[@]}" "${names[@]}"
}

# lan_input_name INPUT: the name the coordinator on host 0 gets for INPUT,
# the one Map sees: INPUT itself when it is a relative path that stays
# below the current directory (in/a.txt, as mrsequential is given it
# here), else its base name.
lan_input_name() {
	local f=${1%/}
	if [[ $f == /* || /$f/ == */../* || -z $f ]]; then
		basename -- "$1"
	else
		printf '%s\n' "$f"
	fi
}

# lan_secret_args: sets the caller's array secret to (-copy FILE
# -secret-file NAME) for LAN_SECRET_FILE, if set: lan_private's option
# and the process's flag.
lan_secret_args() {
	secret=()
	[[ -n $LAN_SECRET_FILE ]] || return 0
	secret=(-copy "$LAN_SECRET_FILE" -secret-file "$(basename "$LAN_SECRET_FILE")")
}

# start_worker HOST APP [-timeout SECS] [-file NAME=TEXT]... [-data FILE]...
# [mrworker flags...]: an mrworker of bin/APP.so on HOST, finding the
# coordinator through COORDINATOR_HOST, advertising the host's address,
# serving its run files on port $LAN_WORKER_PORT from the directory run/
# of its tmpfs. -file puts a file in its current directory first (a
# marker for the app); -data copies FILE into its data/ directory, which
# it then holds inputs in (mrworker -data data). With LAN_SECRET_FILE, a
# copy of it is its -secret-file.
start_worker() {
	local h=$1 app=$2 secs=$LAN_TIMEOUT files=() data=() f
	shift 2
	while (($# > 0)); do
		case $1 in
		-timeout) secs=$2 ;;
		-file) files+=(-file "$2") ;;
		-data)
			f=$2
			[[ $f == /* ]] || f=$PWD/$f
			files+=(-data "$f")
			data=(-data data)
			;;
		*) break ;;
		esac
		shift 2
	done
	lan_mrworker "$h" "$secs" "${files[@]}" -- "${data[@]}" "$@" "$LAN_BIN/$app.so"
}

# limit_links RATE: every host's link limited to RATE (tc's units, as
# 100mbit) in both directions: a token bucket filter on the host's eth0
# (what it sends) and on its switch port (what it receives).
limit_links() {
	local h rate=$1
	for ((h = 0; h < LAN_HOSTS; h++)); do
		lan_tc "$(lan_ns "$h")" eth0 "$rate" && lan_tc "$(lan_sw)" "p$h" "$rate" || return 1
	done
}

# lan_tc NS DEV RATE: a tbf of RATE at the root of NS's DEV.
lan_tc() {
	local out
	out=$(ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "$3" burst 256kb latency 100ms 2>&1) || {
		echo "cluster: tc qdisc ... tbf rate $3 on $2 of $1: $out" >&2
		return 1
	}
}

# input_files INPUTS...: the regular files INPUTS name, NUL-separated: a
# file as given, a folder's regular files that are not hidden, in name
# order (the coordinator's rule).
input_files() {
	local f e
	for f in "$@"; do
		if [[ -d $f ]]; then
			for e in "${f%/}"/*; do
				[[ -f $e && ! -L $e && $(basename -- "$e") != .* ]] && printf '%s\0' "$e"
			done
		else
			printf '%s\0' "$f"
		fi
	done
}

# data_for W NWORKERS HOST FILES...: the -data options of HOST's worker
# for -worker-data W: every input (all), input i on hosts i mod N + 1 and
# (i+1) mod N + 1 (spread: each on 2 of N), none.
data_for() {
	local w=$1 n=$2 h=$3 i=0 f
	shift 3
	[[ $w == none ]] && return 0
	for f in "$@"; do
		if [[ $w == all ]] || ((n < 3 || i % n + 1 == h || (i + 1) % n + 1 == h)); then
			printf -- '-data\0%s\0' "$f"
		fi
		i=$((i + 1))
	done
}

# start_pool_worker HOST [-timeout SECS] [mrworker flags...]: a pool
# worker on HOST (mrworker without a plugin): it serves one job after
# another of the coordinator at $(lan_coord), fetching each job's plugin
# from it; nothing of the app is copied to HOST. With LAN_SECRET_FILE, a
# copy of it is its -secret-file.
start_pool_worker() {
	local h=$1 secs=$LAN_TIMEOUT
	shift
	[[ ${1:-} == -timeout ]] && secs=$2 && shift 2
	lan_mrworker "$h" "$secs" -- "$@"
}

# lan_mrworker HOST SECS [lan_private options] -- ARGS...: mrworker ARGS
# on HOST, as start_worker describes.
lan_mrworker() {
	local h=$1 secs=$2 opts=()
	local secret=()
	lan_secret_args
	shift 2
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	lan_spawn "$h" "$secs" "${opts[@]}" "${secret[@]:0:2}" -- \
		env COORDINATOR_HOST="$(lan_coord)" \
		"$LAN_BIN/mrworker" -dir run -listen ":$LAN_WORKER_PORT" -advertise "$(lan_addr "$h")" \
		"${LAN_VFLAG[@]}" "${secret[@]:2}" "$@"
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

# ---------------------------------------------------------------------------
# Command line.

lan_usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

lan_main() {
	local nworkers=3 app=wc nreduce=10 keep=0 logdir='' secret=0 secret_file='' linger=''
	local rate='' wdata=none cdata=all split=''
	local inputs=() h rc f name coord_flags=() binary=() renamed=() linger_secs line
	local data=() manifest='' with=() names=() files=()
	declare -A seen=()
	while (($# > 0)); do
		case $1 in
		-workers | -app | -nreduce | -timeout | -keep-logs | -secret-file | -linger | -link-rate | -worker-data | -coordinator-data | -split-size)
			(($# >= 2)) || lan_usage_error "$1 needs a value"
			case $1 in
			-split-size) split=$2 ;;
			-link-rate) rate=$2 ;;
			-worker-data) wdata=$2 ;;
			-coordinator-data) cdata=$2 ;;
			-workers) nworkers=$2 ;;
			-app) app=$2 ;;
			-nreduce) nreduce=$2 ;;
			-timeout) LAN_TIMEOUT=$2 ;;
			-keep-logs) logdir=$2 ;;
			-secret-file) secret_file=$2 ;;
			-linger) linger=$2 ;;
			esac
			shift
			;;
		-secret) secret=1 ;;
		-binary) binary=(-binary) ;;
		-keep) keep=1 ;;
		-v) LAN_VFLAG=(-v) ;;
		-h | -help | --help) lan_usage && exit 0 ;;
		-*) lan_usage_error "unknown flag $1" ;;
		*) inputs+=("$1") ;;
		esac
		shift
	done
	[[ $nworkers =~ ^[1-9][0-9]?$ && $nreduce =~ ^[1-9][0-9]*$ && $LAN_TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
		lan_usage_error "-workers (1..99), -nreduce and -timeout must be positive numbers"
	((${#inputs[@]} > 0)) || lan_usage_error "no inputs: name the files (or folders of files) to process"
	[[ -z $split || $split =~ ^[1-9][0-9]*$ ]] || lan_usage_error "-split-size $split: want a number of bytes"
	[[ $wdata =~ ^(all|spread|none)$ ]] || lan_usage_error "-worker-data $wdata: want all, spread or none"
	[[ $cdata =~ ^(all|none)$ ]] || lan_usage_error "-coordinator-data $cdata: want all or none"
	[[ $cdata == all || $wdata != none ]] ||
		lan_usage_error "-coordinator-data none needs workers that hold the data (-worker-data all or spread)"
	[[ -z $rate || $rate =~ ^[0-9]+(\.[0-9]+)?([kmg]?bit|[kmg]?bps)$ ]] ||
		lan_usage_error "-link-rate $rate: want a rate as tc writes it (100mbit, 1gbit)"
	((secret == 0)) || [[ -z $secret_file ]] || lan_usage_error "-secret and -secret-file exclude each other"
	[[ -z $secret_file || (-f $secret_file && -r $secret_file) ]] ||
		lan_usage_error "-secret-file $secret_file: not a readable file"
	for f in "${inputs[@]}"; do
		name=$(lan_input_name "$f")
		[[ $f == "$name" || $f == "$name/" ]] || renamed+=("$name")
		[[ -z ${seen[$name]:-} ]] || lan_usage_error "two inputs are named $name on host 0 (an absolute path goes by its base name)"
		case ${name%%/*} in
		out | tmp) lan_usage_error "input $f: host 0 keeps its own ${name%%/*}/ there; give it another path" ;;
		job.secret) ((secret == 0)) && [[ -z $secret_file ]] ||
			lan_usage_error "input $f: its name is the job secret's file name on host 0; rename it" ;;
		esac
		seen[$name]=1
	done
	linger_secs=$(lan_seconds "${linger:-0s}") || lan_usage_error "-linger $linger: give it as 90s, 2m or 1h"
	if [[ -n $logdir ]]; then
		mkdir -p "$logdir" && logdir=$(cd "$logdir" && pwd) || lan_usage_error "-keep-logs $logdir: cannot create it"
		[[ -z $(ls -A "$logdir") ]] || lan_usage_error "-keep-logs $logdir: not empty (its logs would be mixed with older ones)"
	fi
	for f in mrcoordinator mrworker "$app.so" $([[ $cdata == none ]] && echo mrmanifest); do
		[[ -f $LAN_BIN/$f ]] || { echo "cluster.sh: $LAN_BIN/$f is missing: run scripts/build.sh" >&2 && exit 2; }
	done
	# The inputs, by the coordinator's own rule, in its own words.
	if ! line=$("$LAN_BIN/mrcoordinator" -check "${binary[@]}" -- "${inputs[@]}" 2>&1); then
		sed 's/^mrcoordinator: /cluster.sh: /' <<<"$line" >&2
		exit 2
	fi
	[[ -z $line ]] || sed 's/^mrcoordinator: /cluster.sh: /' <<<"$line" >&2
	((${#renamed[@]} == 0)) || echo "cluster.sh: ${#renamed[@]} input(s) given by an absolute path go to the coordinator" \
		"by their base names (${renamed[0]}...): Map sees those names; a relative path keeps its own" >&2
	lan_check || { echo "cluster.sh: cannot run here: $LAN_WHY" >&2 && exit 3; }
	[[ -z $rate ]] || command -v tc >/dev/null || { echo "cluster.sh: cannot run here: -link-rate needs tc (install iproute2)" >&2 && exit 3; }

	trap 'lan_main_cleanup' EXIT
	trap 'echo "cluster.sh: interrupted" >&2; exit 130' INT
	trap 'echo "cluster.sh: terminated" >&2; exit 143' TERM
	LAN_MAIN_KEEP=$keep LAN_MAIN_LINGER=$linger
	[[ -n $logdir ]] && LAN_MAIN_KEEP=1
	LAN_MAIN_SECRET_DIR=
	if ((secret == 1)) || [[ -n $secret_file ]]; then
		LAN_MAIN_SECRET_DIR=$(mktemp -d) || exit 1
		LAN_SECRET_FILE=$LAN_MAIN_SECRET_DIR/job.secret
		(umask 077 && if ((secret == 1)); then head -c 32 /dev/urandom | base64; else cat "$secret_file"; fi \
			>"$LAN_SECRET_FILE") || { echo "cluster.sh: cannot write the job secret" >&2 && exit 1; }
	fi
	if [[ -z $LAN_SUBNET_GIVEN ]]; then
		LAN_SUBNET=$(lan_free_subnet) || {
			echo "cluster.sh: every 10.77.X.0/24 is in use on this machine; set LAN_SUBNET=A.B.C" >&2
			exit 1
		}
	fi

	lan_up "$nworkers" "$logdir" || exit 1
	echo "cluster: LAN $LAN_NAME: coordinator $(lan_coord) (host 0), workers on hosts 1..$nworkers ($(lan_addr 1)..$(lan_addr "$nworkers"))"
	if [[ -n $rate ]]; then
		limit_links "$rate" || exit 1
		echo "cluster: every host's link is limited to $rate each way (tc tbf)"
	fi
	if lan_attach_host; then
		echo "cluster: this machine is $LAN_SUBNET.1 on the LAN ($LAN_ROOT_IF)"
	else
		echo "cluster: could not cable this machine to the LAN (see above): the status page will not open from here" >&2
	fi
	if [[ -n $logdir ]]; then
		echo "cluster: logs in $LAN_DIR (kept)"
	elif ((keep == 1)); then
		echo "cluster: logs in $LAN_DIR (kept: -keep)"
	else
		echo "cluster: logs go to a temporary directory, removed at the end if the job succeeds (-keep-logs DIR keeps them)"
	fi
	[[ -n $LAN_SECRET_FILE ]] && echo "cluster: job secret: $([[ -n $secret_file ]] && echo "from $secret_file" || echo "a fresh random one") on every host"

	coord_flags=(-timeout $((LAN_TIMEOUT + linger_secs)) -nreduce "$nreduce" -app "$app" "${binary[@]}")
	[[ -n $linger ]] && coord_flags+=(-linger "$linger")
	[[ -n $split ]] && coord_flags+=(-split-size "$split")
	names=("${inputs[@]}")
	if [[ $cdata == none ]]; then
		manifest=$LAN_DIR/corpus.manifest
		"$LAN_BIN/mrmanifest" -o "$manifest" "${inputs[@]}" || exit 1
		with=(-with "$manifest")
		coord_flags+=(-manifest corpus.manifest)
		names=()
		echo "cluster: the coordinator holds only the inputs' manifest (mrmanifest)"
	fi
	[[ $wdata != none ]] && echo "cluster: worker data: $wdata (copies in each worker host's data/, mrworker -data data)"
	mapfile -d '' files < <(input_files "${inputs[@]}")
	if "$LAN_BIN/mrcoordinator" -h 2>&1 | grep -q -- '-wait-workers'; then
		echo "cluster: the job starts once all $nworkers workers have joined (mrcoordinator -wait-workers $nworkers)"
		start_coordinator "${with[@]}" "${coord_flags[@]}" -wait-workers "$nworkers" -- "${names[@]}"
		for ((h = 1; h <= nworkers; h++)); do
			mapfile -d '' data < <(data_for "$wdata" "$nworkers" "$h" "${files[@]}")
			start_worker "$h" "$app" "${data[@]}"
		done
	else
		echo "cluster: $LAN_BIN/mrcoordinator has no -wait-workers flag (an older build; rebuild with scripts/build.sh):" \
			"starting the workers first, so that they join as soon as it listens, but a small job may end before all have" >&2
		for ((h = 1; h <= nworkers; h++)); do
			mapfile -d '' data < <(data_for "$wdata" "$nworkers" "$h" "${files[@]}")
			start_worker "$h" "$app" "${data[@]}"
		done
		for ((h = 1; h <= nworkers; h++)); do
			wait_for_log "$(lan_log "$h")" 'msg="waiting for the coordinator"' 10 ||
				echo "cluster: the worker on host $h did not say it waits for the coordinator: $(tail -n 1 "$(lan_log "$h")")" >&2
		done
		start_coordinator "${with[@]}" "${coord_flags[@]}" -- "${names[@]}"
	fi
	lan_follow "$nworkers" || exit 1
	rc=${LAN_RC[0]:-1}
	tail -n 3 "$(lan_log 0)" | sed 's/^/cluster: coordinator: /'
	for f in "mr-$app-all" "mr-$app-summary.json"; do
		[[ -f $LAN_DIR/host0.out/$f ]] && cp "$LAN_DIR/host0.out/$f" . && echo "cluster: wrote ./$f"
	done
	# The workers hear Exit from the coordinator; give them a moment.
	for ((h = 1; h <= nworkers; h++)); do
		wait_host "$h" 10 || echo "cluster: worker on host $h still running 10 s after the job; stopping it" >&2
	done
	if ((rc != 0)); then
		if ((rc == 124 || rc == 137)); then
			echo "cluster: the coordinator timed out after ${LAN_TIMEOUT}s (-timeout)" >&2
		else
			echo "cluster: the coordinator exited with status $rc" >&2
		fi
		lan_show_logs "$nworkers"
		LAN_MAIN_KEEP=1
	fi
	exit "$rc"
}

# lan_seconds D: a duration as mrcoordinator's -linger takes it (90s, 2m,
# 1h30m; whole units), in whole seconds; status 1 if it is not one.
lan_seconds() {
	local d=$1 n=0
	[[ $d =~ ^([0-9]+[hms])+$ ]] || return 1
	while [[ $d =~ ^([0-9]+)([hms])(.*)$ ]]; do
		case ${BASH_REMATCH[2]} in
		h) n=$((n + 10#${BASH_REMATCH[1]} * 3600)) ;;
		m) n=$((n + 10#${BASH_REMATCH[1]} * 60)) ;;
		s) n=$((n + 10#${BASH_REMATCH[1]})) ;;
		esac
		d=${BASH_REMATCH[3]}
	done
	echo "$n"
}

# lan_usage_error MESSAGE: the message and the usage line; exit 2.
lan_usage_error() {
	echo "cluster.sh: $1" >&2
	echo "usage: sudo scripts/cluster.sh [-workers 3] [-app wc] [-nreduce 10] [-secret] [-secret-file F]" \
		"[-linger D] [-timeout 300] [-binary] [-link-rate RATE] [-worker-data all|spread|none]" \
		"[-coordinator-data all|none] [-split-size N] [-keep-logs DIR] [-keep] [-v] inputs... (-h for more)" >&2
	exit 2
}

# lan_follow NWORKERS: while the coordinator runs, prints the status page's
# link once the coordinator logs it, each worker as it joins, the phases
# and the job's end. Returns 1, after the logs' tails, when a worker exits
# with an error before the coordinator; 0 once the coordinator exited
# (status in LAN_RC[0]).
lan_follow() {
	local n=$1 seen=0 line h rc t0=$SECONDS next=$((SECONDS + 15))
	local -A gone=()
	while ! wait_host 0 0.2; do
		while IFS= read -r line; do
			seen=$((seen + 1))
			lan_follow_line "$line"
		done < <(tail -n +"$((seen + 1))" "$(lan_log 0)" 2>/dev/null)
		for ((h = 1; h <= n; h++)); do
			[[ -z ${gone[$h]:-} ]] && ! host_alive "$h" || continue
			gone[$h]=1
			wait_host "$h" 1
			rc=${LAN_RC[$h]:-?}
			[[ $rc == 0 ]] && continue
			echo "cluster: the worker on host $h exited with status $rc before the job ended: $(tail -n 1 "$(lan_log "$h")")" >&2
			lan_show_logs "$n"
			LAN_MAIN_KEEP=1
			return 1
		done
		if ((SECONDS >= next)); then
			echo "cluster: the coordinator still runs ($((SECONDS - t0)) s)"
			next=$((SECONDS + 15))
		fi
	done
	while IFS= read -r line; do
		lan_follow_line "$line"
	done < <(tail -n +"$((seen + 1))" "$(lan_log 0)" 2>/dev/null)
}

# lan_follow_line LINE: what lan_follow says about one line of the
# coordinator's log, if anything.
lan_follow_line() {
	local line=$1 addr
	case $line in
	*'msg="status page" url='*)
		addr=${line##*url=}
		if [[ -n ${LAN_MAIN_LINGER:-} ]]; then
			echo "cluster: status page ${addr//\"/} (open it from this machine; it stays up $LAN_MAIN_LINGER after the job, -linger)"
		else
			echo "cluster: status page ${addr//\"/} (open it from this machine; it goes with the LAN at the job's end: -linger D keeps both up D longer)"
		fi
		;;
	*'msg="worker joined"'*)
		addr=$(grep -oE 'addr=[0-9.]+' <<<"$line")
		addr=${addr#addr=}
		echo "cluster: host $((${addr##*.} - 10))'s worker joined as $(grep -oE 'worker=w[0-9]+' <<<"$line" | cut -d= -f2)"
		;;
	*'msg="phase changed"'*)
		echo "cluster: phase ${line##*phase=}"
		;;
	*'msg="job over; the status page stays up"'*)
		echo "cluster: job over; the status page stays up for ${line##*for=} (Ctrl-C ends it)"
		;;
	esac
}

# lan_show_logs NWORKERS: the tails of the coordinator's and workers' logs.
lan_show_logs() {
	local h
	for ((h = 0; h <= $1; h++)); do
		[[ -s $(lan_log "$h") ]] || continue
		echo "cluster: ==> host $h ($( ((h == 0)) && echo coordinator || echo worker)), last lines <=="
		tail -n $((h == 0 ? 15 : 5)) "$(lan_log "$h")" | cut -c1-300 | sed 's/^/    /'
	done >&2
}

lan_main_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local dir=$LAN_DIR
	# Interrupted before the job was over: keep what tells why.
	if ((rc != 0)) && [[ -n $dir ]] && ! grep -qE 'msg="job (done|over)' "$dir/host0.log" 2>/dev/null; then
		LAN_MAIN_KEEP=1
	fi
	lan_down
	[[ -n ${LAN_MAIN_SECRET_DIR:-} ]] && rm -rf "$LAN_MAIN_SECRET_DIR"
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
