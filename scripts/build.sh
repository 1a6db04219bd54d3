#!/usr/bin/env bash
# build.sh [-race] [-flags] [-out DIR]: builds every binary and every
# plugin of the repository into bin/ (or DIR), all with exactly the same
# `go build` flags.
#
#   bin/<name> for every folder main/<name> (mrcoordinator, mrworker, mrsequential, mrgen, ...)
#   bin/<app>.so for every folder mrapps/<app> except mrapps/internal
#
# Go refuses to load a plugin built with other flags than its host binary
# (-race on one side only, for instance), so nothing is ever built here with
# flags of its own: one BUILD_FLAGS array serves every artefact.
#
# -race     build everything with the race detector (the test suite does).
# -flags    print those flags on one line and build nothing: test-mr.sh
#           runs go vet and go test with them, so that the three share
#           their compiling (on an empty cache, 20 s less with -race).
# -out DIR  build into DIR instead of bin/ (test-mr.sh builds its -race
#           binaries in its scratch directory, leaving bin/ as it was).
# Env: GO   the go command to use (default: go).
#
# Two steps, each announced as it starts and as it ends with its seconds,
# a line per artefact, and a "still compiling" line every 10 s meanwhile:
#   1. the binaries (one go command, which compiles in parallel) and, side
#      by side, one plugin alone (wc): it compiles, once, what every plugin
#      shares (the standard library and the packages apps import, in plugin
#      mode, which the binaries cannot share);
#   2. the other plugins, at most one per CPU at a time, each compiling
#      only its own package and linking, from the cache step 1 filled.
# Built all at once on an empty cache, the plugins would each compile the
# shared part again, all together.
# Works from any directory and on a fresh clone (creates bin/). Exits
# non-zero after the compiler's output (each distinct one once) when a
# build fails.
set -uo pipefail

CALLER_DIR=$PWD # a relative -out is the caller's
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

GO=${GO:-go}
TICK=10 # seconds between "still compiling" lines
BUILD_FLAGS=(-trimpath) # plugins and binaries built in different directories still match
PRINT_FLAGS=0
OUT=bin
while (($# > 0)); do
	arg=$1
	shift
	case $arg in
	-race) BUILD_FLAGS+=(-race) ;;
	-flags) PRINT_FLAGS=1 ;;
	-out)
		[[ $# -gt 0 && -n $1 ]] || { echo "build.sh: -out needs a directory" >&2 && exit 2; }
		OUT=$1
		[[ $OUT == /* ]] || OUT=$CALLER_DIR/$OUT
		shift
		;;
	-h | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "build.sh: unknown argument $arg (usage: scripts/build.sh [-race] [-flags] [-out DIR])" >&2
		exit 2
		;;
	esac
done
if ((PRINT_FLAGS)); then
	echo "${BUILD_FLAGS[*]}"
	exit 0
fi
command -v "$GO" >/dev/null || {
	echo "build.sh: $GO not found: install Go 1.26 (https://go.dev/dl/) or set GO" >&2
	exit 1
}

BINARIES=()
for d in main/*/; do
	BINARIES+=("$(basename "$d")")
done
APPS=()
for d in mrapps/*/; do
	app=$(basename "$d")
	[[ $app == internal ]] && continue
	compgen -G "$d*.go" >/dev/null || continue
	APPS+=("$app")
done
# wc first: the demo's app, and the one built alone.
for i in "${!APPS[@]}"; do
	if [[ ${APPS[i]} == wc ]]; then
		APPS=(wc "${APPS[@]:0:i}" "${APPS[@]:i+1}")
		break
	fi
done
((${#APPS[@]} > 0)) || {
	echo "build.sh: no app in mrapps/ (a folder with .go files): is this a checkout of the repository?" >&2
	exit 1
}
CPUS=$(nproc 2>/dev/null || echo 2)

mkdir -p "$OUT" || exit 1
SHOWN=$OUT # how the lines below name it
[[ $OUT == bin ]] || SHOWN=$(cd "$OUT" && pwd) || exit 1
LOGDIR=$(mktemp -d) || exit 1
declare -A PID=() # artefact -> pid of its go command, while it runs
declare -A T0=()  # artefact -> $EPOCHREALTIME at its start

# stop_builds: ends the go commands still running (on failure, Ctrl-C).
stop_builds() {
	local p
	for p in "${PID[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$LOGDIR"
}
trap stop_builds EXIT
trap 'echo "build: interrupted" >&2; exit 130' INT
trap 'echo "build: terminated" >&2; exit 143' TERM

# secs T: whole seconds since T (an $EPOCHREALTIME).
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a + 0.5 }'; }

# launch NAME: starts, in the background, the go command that builds NAME
# ("binaries" or "<app>.so"), its output to $LOGDIR/NAME.log.
launch() {
	local name=$1 pkgs=() b
	if [[ $name == binaries ]]; then
		for b in "${BINARIES[@]}"; do pkgs+=("./main/$b"); done
		"$GO" build "${BUILD_FLAGS[@]}" -o "$OUT/" "${pkgs[@]}" >"$LOGDIR/$name.log" 2>&1 &
	else
		"$GO" build "${BUILD_FLAGS[@]}" -buildmode=plugin -o "$OUT/$name" "./mrapps/${name%.so}" \
			>"$LOGDIR/$name.log" 2>&1 &
	fi
	PID[$name]=$!
	T0[$name]=$EPOCHREALTIME
}

# describe NAME: what NAME's go command builds, for the progress lines.
describe() {
	if [[ $1 == binaries ]]; then
		echo "the binaries"
	else
		echo "$1"
	fi
}

FAILED=() # artefacts whose build failed

# run_group WHAT MAX NAME...: builds the NAMEs, at most MAX at a time. It
# prints a line as each ends, and "build: still compiling WHAT (N s)" every
# TICK seconds while any runs. Returns 1 when one failed (once all ended).
run_group() {
	local what=$1 max=$2 start=$EPOCHREALTIME next=$((SECONDS + TICK)) queue running still n rc done=0 total
	shift 2
	queue=("$@")
	total=$#
	running=()
	while ((${#queue[@]} + ${#running[@]} > 0)); do
		while ((${#running[@]} < max && ${#queue[@]} > 0)); do
			launch "${queue[0]}"
			running+=("${queue[0]}")
			queue=("${queue[@]:1}")
		done
		sleep 0.2
		still=()
		for n in "${running[@]}"; do
			if kill -0 "${PID[$n]}" 2>/dev/null; then
				still+=("$n")
				continue
			fi
			wait "${PID[$n]}"
			rc=$?
			unset "PID[$n]"
			done=$((done + 1))
			if ((rc == 0)) && [[ $n == binaries ]]; then
				echo "build: ${#BINARIES[@]} binaries ($(secs "${T0[$n]}") s):$(printf " $SHOWN/%s" "${BINARIES[@]}")"
			elif ((rc == 0)); then
				echo "build: $SHOWN/$n ($(secs "${T0[$n]}") s)"
			else
				FAILED+=("$n")
				echo "build: FAIL: $(describe "$n") (go build exited with status $rc)" >&2
				show_failure "$n"
			fi
		done
		running=("${still[@]}")
		if ((SECONDS >= next && ${#running[@]} > 0)); then
			next=$((SECONDS + TICK))
			if ((total > 1)); then
				echo "build: still compiling $what ($(secs "$start") s, $done of $total done)"
			else
				echo "build: still compiling $what ($(secs "$start") s)"
			fi
		fi
	done
	((${#FAILED[@]} == 0))
}

# show_failure NAME: the compiler's output for NAME, unless an earlier
# failure printed the same (a broken shared package breaks every plugin
# the same way).
show_failure() {
	local n=$1 f
	for f in "${FAILED[@]}"; do
		[[ $f != "$n" ]] && cmp -s "$LOGDIR/$f.log" "$LOGDIR/$n.log" && return
	done
	cat "$LOGDIR/$n.log" >&2
}

START=$EPOCHREALTIME
FLAGS_DESC="${BUILD_FLAGS[*]:-(none)}"
echo "build: go build flags: $FLAGS_DESC; $CPUS CPUs; Go cache $("$GO" env GOCACHE)"

step() { echo "build: step $1/2: $2"; }
step_done() { echo "build: step $1/2 done ($(secs "$2") s)"; }

t=$EPOCHREALTIME
step 1 "${#BINARIES[@]} binaries, and $SHOWN/${APPS[0]}.so alone (it compiles what every plugin shares)"
run_group "the binaries and ${APPS[0]}.so" 2 binaries "${APPS[0]}.so" || {
	echo "build: failed: $(for n in "${FAILED[@]}"; do describe "$n"; done | paste -sd, | sed 's/,/, /g') (the compiler's output is above)" >&2
	exit 1
}
step_done 1 "$t"

t=$EPOCHREALTIME
rest=()
for app in "${APPS[@]:1}"; do rest+=("$app.so"); done
step 2 "${#rest[@]} more plugins, $CPUS at a time"
run_group "the plugins" "$CPUS" "${rest[@]}" || {
	echo "build: failed: ${FAILED[*]} (the compiler's output is above)" >&2
	exit 1
}
step_done 2 "$t"

echo "build: ${#BINARIES[@]} binaries and ${#APPS[@]} plugins in $SHOWN/ ($(secs "$START") s, flags: $FLAGS_DESC)"
