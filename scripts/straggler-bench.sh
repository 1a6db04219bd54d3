#!/usr/bin/env bash
# straggler-bench.sh: what one slow machine costs a job (paper §3.6).
#
#   bash scripts/straggler-bench.sh [-files 24] [-file-size 8M] [-slow 3] [-runs 3]
#
# Runs wc on a coordinator and 3 workers over loopback, first with every
# worker healthy, then with one of them (and its app process) slowed SLOW
# times by a SIGSTOP/SIGCONT duty cycle: it runs 100 ms out of every
# SLOW x 100 ms. Prints the best wall time of RUNS runs of each, and their
# ratio. With backups of the attempts expected to finish last, the slow
# worker's last tasks are taken over by the fast ones, and the ratio stays
# near 1 (target: at most 1.3). This is a benchmark, not a test: it prints
# numbers and exits 0 unless a job fails.
#
# The corpus is generated once into mr-bench/straggler-<files>x<size>/;
# binaries come from scripts/build.sh (without -race).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FILES=24 SIZE=8M SLOW=3 RUNS=3
while (($# > 0)); do
	case $1 in
	-file-size) SIZE=$2 ;;
	-files) FILES=$2 ;;
	-slow) SLOW=$2 ;;
	-runs) RUNS=$2 ;;
	-h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
	*) echo "straggler-bench.sh: unknown argument $1 (see -h)" >&2 && exit 2 ;;
	esac
	shift 2
done

bash scripts/build.sh >/dev/null
corpus=mr-bench/straggler-${FILES}x$SIZE
if [[ ! -f $corpus/done ]]; then
	rm -rf "$corpus"
	bin/mrgen -out "$corpus" -files "$FILES" -size "$SIZE" -seed 7 >/dev/null
	touch "$corpus/done"
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mr-straggler.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -CONT -- "-$p" 2>/dev/null || true; kill -- "-$p" 2>/dev/null || true; done
	rm -rf "$scratch"
}
trap cleanup EXIT

# job SLOWED: runs one job; with SLOWED=1 worker 1 is slowed. Prints the
# wall time in seconds.
job() {
	local slowed=$1 start end coord i duty=
	rm -rf "$scratch/out" "$scratch/addr"
	start=$EPOCHREALTIME
	bin/mrcoordinator -addr 127.0.0.1:0 -addr-file "$scratch/addr" -out "$scratch/out" "$corpus"/*.txt 2>"$scratch/coord.log" &
	coord=$!
	until [[ -s $scratch/addr ]]; do sleep 0.01; done
	pids=()
	for i in 1 2 3; do
		COORDINATOR_HOST=$(<"$scratch/addr") setsid bin/mrworker bin/wc.so 2>"$scratch/w$i.log" &
		pids+=("$!")
	done
	if ((slowed)); then
		(
			p=${pids[0]}
			while kill -0 "$p" 2>/dev/null; do
				kill -CONT -- "-$p" 2>/dev/null || break
				sleep 0.1
				kill -STOP -- "-$p" 2>/dev/null || break
				sleep "$(awk -v s="$SLOW" 'BEGIN { printf "%.1f", (s - 1) / 10 }')"
			done
			kill -CONT -- "-$p" 2>/dev/null || true
		) &
		duty=$!
	fi
	wait "$coord" || {
		echo "straggler-bench.sh: the job failed: $(tail -n 1 "$scratch/coord.log")" >&2
		exit 1
	}
	end=$EPOCHREALTIME
	[[ -n $duty ]] && kill "$duty" 2>/dev/null
	for p in "${pids[@]}"; do kill -CONT -- "-$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

best() { tr ' ' '\n' | sort -n | head -n 1; }

echo "straggler benchmark: wc, $FILES files of $SIZE, 3 workers, worker 1 slowed ${SLOW}x; best of $RUNS"
base=() slow=()
for ((r = 1; r <= RUNS; r++)); do
	base+=("$(job 0)")
	slow+=("$(job 1)")
	echo "  run $r: healthy ${base[-1]} s, one slow ${slow[-1]} s"
done
b=$(echo "${base[*]}" | best)
s=$(echo "${slow[*]}" | best)
echo "healthy: $b s; one worker ${SLOW}x slower: $s s; ratio $(awk -v a="$s" -v b="$b" 'BEGIN { printf "%.2f", a / b }') (target <= 1.3)"
