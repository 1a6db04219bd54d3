#!/usr/bin/env bash
# test-mr-many.sh N: runs the acceptance suite (test-mr.sh) N times, to catch
# failures that show up only now and then.
#
# The binaries are built once (scripts/build.sh -race -out, in a temporary
# directory) and every run uses them (MR_BIN). Run 1 is the full suite
# (go vet, go test -race, the cases); runs 2..N skip go vet and the unit
# tests, but not the job cases of e2e/ (MR_SKIP_GO_TESTS=1). Other MR_*
# variables of test-mr.sh
# (MR_CASES, MR_KEEP, ...) pass through. Every run's output is shown as
# it comes. Stops at the first failing run, repeats that run's tally (which
# names the failed cases) and exits non-zero; otherwise ends with
# "N/N runs passed".
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

if (($# != 1)) || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bash test-mr-many.sh N   (N >= 1 runs of test-mr.sh)" >&2
	exit 2
fi
n=$1
start=$SECONDS
out=$(mktemp "${TMPDIR:-/tmp}/test-mr-many.XXXXXX") || exit 1
bin=$(mktemp -d "${TMPDIR:-/tmp}/test-mr-many-bin.XXXXXX") || exit 1
trap 'rm -rf "$out" "$bin"' EXIT
bash scripts/build.sh -race -out "$bin" || exit 1

for ((i = 1; i <= n; i++)); do
	echo "=== test-mr-many: run $i/$n"
	if ((i == 1)); then
		MR_BIN=$bin bash test-mr.sh | tee "$out"
	else
		MR_BIN=$bin MR_SKIP_GO_TESTS=1 bash test-mr.sh | tee "$out"
	fi
	rc=${PIPESTATUS[0]}
	if ((rc != 0)); then
		echo "=== test-mr-many: run $i/$n FAILED (exit status $rc) after $((SECONDS - start))s: $(tail -n 1 "$out")"
		echo "$((i - 1))/$n runs passed"
		exit 1
	fi
done
echo "=== test-mr-many: all runs passed in $((SECONDS - start))s"
echo "$n/$n runs passed"
