#!/usr/bin/env bash
# build.sh [-race]: builds every binary and every plugin of the repository
# into bin/, all with exactly the same `go build` flags.
#
#   bin/<name> for every folder main/<name> (mrcoordinator, mrworker, mrsequential, mrgen, mrbench)
#   bin/<app>.so for every folder mrapps/<app> except mrapps/internal
#
# Go refuses to load a plugin built with other flags than its host binary
# (-race on one side only, for instance), so nothing is ever built here with
# flags of its own: one BUILD_FLAGS array serves every artefact.
#
# -race     build everything with the race detector (the test suite does).
# Env: GO   the go command to use (default: go).
#
# Works from any directory and on a fresh clone (creates bin/). Prints one
# line per artefact and exits non-zero on the first failure, after showing
# the compiler's output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

GO=${GO:-go}
BUILD_FLAGS=(-trimpath) # plugins and binaries built in different directories still match
for arg in "$@"; do
	case $arg in
	-race) BUILD_FLAGS+=(-race) ;;
	-h | --help)
		sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "build.sh: unknown argument $arg (usage: scripts/build.sh [-race])" >&2
		exit 2
		;;
	esac
done

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

mkdir -p bin
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

start=$SECONDS
flags_desc="${BUILD_FLAGS[*]:-(none)}"
echo "build: go build flags: $flags_desc"

# One go command builds all the binaries, compiling in parallel.
pkgs=()
for b in "${BINARIES[@]}"; do
	pkgs+=("./main/$b")
done
if ! "$GO" build "${BUILD_FLAGS[@]}" -o bin/ "${pkgs[@]}" >"$logdir/binaries.log" 2>&1; then
	cat "$logdir/binaries.log" >&2
	echo "build: FAIL: binaries (${BINARIES[*]})" >&2
	exit 1
fi
for b in "${BINARIES[@]}"; do
	echo "build: bin/$b"
done

# -buildmode=plugin takes exactly one main package per go command; the
# plugins are independent, so link them in parallel and report in order.
declare -A pids=()
for app in "${APPS[@]}"; do
	"$GO" build "${BUILD_FLAGS[@]}" -buildmode=plugin -o "bin/$app.so" "./mrapps/$app" \
		>"$logdir/$app.log" 2>&1 &
	pids[$app]=$!
done
failed=()
for app in "${APPS[@]}"; do
	if wait "${pids[$app]}"; then
		echo "build: bin/$app.so"
		continue
	fi
	# A broken shared package breaks every plugin the same way: show each
	# distinct compiler output once.
	if ((${#failed[@]} == 0)) || ! cmp -s "$logdir/$app.log" "$logdir/${failed[0]}.log"; then
		cat "$logdir/$app.log" >&2
	fi
	failed+=("$app")
done
if ((${#failed[@]} > 0)); then
	echo "build: FAIL: plugins ${failed[*]}" >&2
	exit 1
fi

echo "build: ${#BINARIES[@]} binaries and ${#APPS[@]} plugins in bin/ ($((SECONDS - start))s, flags: $flags_desc)"
