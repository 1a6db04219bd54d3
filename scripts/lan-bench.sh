#!/usr/bin/env bash
# lan-bench.sh: the cost of the coordinator's link, and what holding the
# data on the workers saves (issue "Data where it lives"). Not a test:
# nothing passes or fails on time. Needs root (scripts/cluster.sh) and a
# build (scripts/build.sh, without -race for meaningful times).
#
#   sudo scripts/lan-bench.sh [-size 128M] [-file-size 8M] [-workers 3]
#                             [-rates unlimited,100mbit] [-runs 1]
#
# It generates -size of text in files of -file-size (bin/mrgen, seed 1),
# then for every rate and every case runs one wc job with
# scripts/cluster.sh (-link-rate RATE unless unlimited, -split-size
# -file-size) -runs times and prints one row: the case, the rate, the
# job's time (the summary's elapsed; with several runs, their median and
# all of them), map input bytes read locally, from peers and from the
# coordinator (of the last run), and whether every output is
# mrsequential's. Cases:
#   coordinator   the inputs only on the coordinator (as before workers held data)
#   all           every input on every worker
#   spread        each input on 2 of the workers
#   manifest      each input on 2 of the workers, the coordinator holding only the manifest
# Then, per rate, each case's time over the same case's unlimited time.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
size=128M fsize=8M workers=3 rates=unlimited,100mbit runs=1
while (($# > 0)); do
	case $1 in
	-size) size=$2 ;;
	-file-size) fsize=$2 ;;
	-workers) workers=$2 ;;
	-rates) rates=$2 ;;
	-runs) runs=$2 ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" && exit 0 ;;
	*) echo "lan-bench.sh: unknown argument $1" >&2 && exit 2 ;;
	esac
	shift 2
done
bytes() { numfmt --from=iec "$1"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mr-lan-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
"$ROOT/bin/mrgen" -out "$work/in" -total "$size" -size "$fsize" -seed 1 -prefix in- >/dev/null || exit 1
(cd "$work/in" && "$ROOT/bin/mrsequential" "$ROOT/bin/wc.so" in-*.txt >/dev/null 2>&1 && sort mr-out-0 >"$work/ref" && rm mr-out-0) || exit 1
declare -A took=()
# elapsed SUMMARY: the job's elapsed time in seconds.
elapsed() {
	local d
	d=$(grep -oE '"elapsed": *"[^"]*"' "$1" | head -n 1 | sed -E 's/.*"([^"]*)"$/\1/')
	awk -v d="$d" 'BEGIN { if (d ~ /ms$/) { sub(/ms$/, "", d); print d / 1000 } else if (d ~ /m/) { split(d, a, "m"); sub(/s$/, "", a[2]); print a[1] * 60 + a[2] } else { sub(/s$/, "", d); print d + 0 } }'
}
printf '%-12s %-10s %9s %12s %12s %12s  %s\n' case rate seconds local peer coordinator output
IFS=, read -ra rlist <<<"$rates"
for rate in "${rlist[@]}"; do
	for c in coordinator all spread manifest; do
		args=(-workers "$workers" -split-size "$(bytes "$fsize")")
		[[ $rate != unlimited ]] && args+=(-link-rate "$rate")
		case $c in
		all) args+=(-worker-data all) ;;
		spread) args+=(-worker-data spread) ;;
		manifest) args+=(-worker-data spread -coordinator-data none) ;;
		esac
		times=() out=same
		for ((r = 1; r <= runs; r++)); do
			dir=$work/run-$c-$rate-$r
			mkdir -p "$dir"
			(cd "$dir" && bash "$ROOT/scripts/cluster.sh" "${args[@]}" "$work"/in/in-*.txt >cluster.log 2>&1)
			sum=$dir/mr-wc-summary.json
			[[ -f $sum ]] || break
			times+=("$(elapsed "$sum")")
			sort "$dir/mr-wc-all" | cmp -s - "$work/ref" || out=DIFFERENT
		done
		if ((${#times[@]} < runs)); then
			printf '%-12s %-10s %9s  (failed: see %s)\n' "$c" "$rate" - "$dir/cluster.log"
			trap - EXIT
			continue
		fi
		secs=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		printf '%-12s %-10s %9.2f %12s %12s %12s  %s%s\n' "$c" "$rate" "$secs" \
			"$("$ROOT/bin/mrcheck" "$sum" counter local_bytes)" "$("$ROOT/bin/mrcheck" "$sum" counter peer_bytes)" \
			"$("$ROOT/bin/mrcheck" "$sum" counter coordinator_bytes)" "$out" "$( ((runs > 1)) && echo " (runs: ${times[*]})")"
		took[$c,$rate]=$secs
	done
done
for rate in "${rlist[@]}"; do
	[[ $rate == unlimited ]] && continue
	for c in coordinator all spread manifest; do
		[[ -n ${took[$c,$rate]:-} && -n ${took[$c,unlimited]:-} ]] || continue
		awk -v c="$c" -v r="$rate" -v a="${took[$c,$rate]}" -v b="${took[$c,unlimited]}" \
			'BEGIN { printf "%s at %s: %.2fx its time on unlimited links\n", c, r, a / b }'
	done
done
