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
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$LOGDIR"' EXIT
trap 'echo "build: interrupted" >&2; exit 130' INT
trap 'echo "build: terminated" >&2; exit 143' TERM

# secs T: whole seconds since T (an $EPOCHREALTIME).
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a + 0.5 }'; }

# build_one NAME: builds NAME ("binaries" or "<app>.so"), its output to
# $LOGDIR/NAME.log, and prints a line when it ends; a failure also leaves
# $LOGDIR/NAME.failed.
build_one() {
	local name=$1 t=$EPOCHREALTIME pkgs=() b rc
	if [[ $name == binaries ]]; then
		for b in "${BINARIES[@]}"; do pkgs+=("./main/$b"); done
		"$GO" build "${BUILD_FLAGS[@]}" -o "$OUT/" "${pkgs[@]}"
	else
		"$GO" build "${BUILD_FLAGS[@]}" -buildmode=plugin -o "$OUT/$name" "./mrapps/${name%.so}"
	fi >"$LOGDIR/$name.log" 2>&1
	rc=$?
	if ((rc != 0)); then
		echo "build: FAIL: $name (go build exited with status $rc)" >&2
		touch "$LOGDIR/$name.failed"
	elif [[ $name == binaries ]]; then
		echo "build: ${#BINARIES[@]} binaries ($(secs "$t") s):$(printf " $SHOWN/%s" "${BINARIES[@]}")"
	else
		echo "build: $SHOWN/$name ($(secs "$t") s)"
	fi
}

FAILED=() # artefacts whose build failed

# run_group WHAT MAX NAME...: builds the NAMEs, at most MAX at a time,
# with "build: still compiling WHAT (N s)" every TICK seconds meanwhile.
# Then it prints the compiler's output of each failure, unless an earlier
# one printed the same (a broken shared package breaks every plugin the
# same way), and returns 1 if one failed.
run_group() {
	local what=$1 max=$2 start=$EPOCHREALTIME ticker running=0 n f
	shift 2
	(while sleep "$TICK"; do echo "build: still compiling $what ($(secs "$start") s)"; done) &
	ticker=$!
	for n in "$@"; do
		((running < max)) || { wait -n; running=$((running - 1)); }
		build_one "$n" &
		running=$((running + 1))
	done
	for ((; running > 0; running--)); do wait -n; done
	kill "$ticker" && wait "$ticker" 2>/dev/null
	for n in "$@"; do
		[[ -f $LOGDIR/$n.failed ]] || continue
		FAILED+=("$n")
		for f in "${FAILED[@]}"; do
			[[ $f == "$n" ]] && cat "$LOGDIR/$n.log" >&2
			cmp -s "$LOGDIR/$f.log" "$LOGDIR/$n.log" && break
		done
	done
	((${#FAILED[@]} == 0))
}

START=$EPOCHREALTIME
FLAGS_DESC="${BUILD_FLAGS[*]:-(none)}"
echo "build: go build flags: $FLAGS_DESC; $CPUS CPUs; Go cache $("$GO" env GOCACHE)"

step() { echo "build: step $1/2: $2"; }
step_done() { echo "build: step $1/2 done ($(secs "$2") s)"; }

t=$EPOCHREALTIME
step 1 "${#BINARIES[@]} binaries, and $SHOWN/${APPS[0]}.so alone (it compiles what every plugin shares)"
run_group "the binaries and ${APPS[0]}.so" 2 binaries "${APPS[0]}.so" || {
	echo "build: failed: ${FAILED[*]} (the compiler's output is above)" >&2
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
