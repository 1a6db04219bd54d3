#!/usr/bin/env bash
# bench.sh [-size 256M] [-apps wc,wcraw] [-workers 2] [-no-sequential] [-no-coordinator]
#
# Measures the engine on a generated corpus and prints one table. Not a
# test: nothing here passes or fails on time, but every output is checked
# against the others (a difference is an error, exit 1).
#
#   -size S          corpus size (bytes, or with K/M/G), cut in files of at most 64 MiB;
#                    generated once by mrgen (Zipf words, some non-ASCII) and cached in mr-bench/
#   -apps A,B        apps to run: wc (with combiner) and wcraw (none: every record is shuffled)
#   -workers N       workers of the cluster (default 2, one per core)
#   -no-sequential   skip mrsequential (it holds every record in memory: ~13 bytes of RSS per input byte)
#   -no-coordinator  skip the coordinator benchmark (100,000 no-op tasks, 50 simulated workers)
#
# For each app: mrsequential, then the cluster (coordinator + N workers on
# loopback, each its own process and directory); once: `mrbench limit`, a
# fused single-process word count on all cores, the practical limit. Wall
# time, MB/s and the peak RSS of every process (wait4's rusage) are shown.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

size=256M apps=wc,wcraw workers=2 sequential=1 coordinator=1
while (($#)); do
	case $1 in
	-size) size=$2; shift 2 ;;
	-apps) apps=$2; shift 2 ;;
	-workers) workers=$2; shift 2 ;;
	-no-sequential) sequential=0; shift ;;
	-no-coordinator) coordinator=0; shift ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument $1 (see -h)" >&2; exit 2 ;;
	esac
done

bytes=$(numfmt --from=iec "$size") || { echo "bench.sh: bad -size $size" >&2; exit 2; }
bash scripts/build.sh >/dev/null
B=$root/bin
work=$root/mr-bench
corpus=$work/corpus-$bytes

# make_corpus writes ceil(bytes / 64 MiB) files of equal size, once.
make_corpus() {
	[[ -f $corpus/.complete ]] && return
	rm -rf "$corpus"
	local per=$((64 << 20)) n
	n=$(((bytes + per - 1) / per))
	echo "bench: generating $size of text in $n file(s) (cached in $corpus)" >&2
	"$B/mrgen" -out "$corpus" -files "$n" -size $((bytes / n)) -seed 42 >&2
	touch "$corpus/.complete"
}
make_corpus
inputs=("$corpus"/*.txt)
total=$(cat "${inputs[@]}" | wc -c)

run=$work/run
rm -rf "$run"
mkdir -p "$run"

# measure NAME CMD...: runs CMD under mrbench time, recording "wall rss code" in $run/NAME.t
measure() {
	local name=$1
	shift
	"$B/mrbench" time -o "$run/$name.t" -- "$@"
}
wall() { awk '{ print $1 }' "$run/$1.t"; }
rss_mib() { awk '{ printf "%.0f", $2 / 1024 }' "$run/$1.t"; }
mbps() { awk -v b="$total" -v s="$(wall "$1")" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }

rows=()
row() { rows+=("$(printf '%-22s %9ss %9s %s' "$1" "$2" "$3" "$4")"); }

# cluster APP: a coordinator and $workers workers on loopback; the
# coordinator's wall time is the job's (it starts first and ends last).
cluster() {
	local app=$1 d=$run/$1-cluster i
	mkdir -p "$d/out"
	measure "$app-coordinator" "$B/mrcoordinator" -addr 127.0.0.1:0 -addr-file "$d/addr" -out "$d/out" \
		"${inputs[@]}" 2>"$d/coordinator.log" &
	local coord=$!
	for _ in $(seq 100); do [[ -s $d/addr ]] && break; sleep 0.05; done
	for i in $(seq "$workers"); do
		mkdir -p "$d/w$i"
		(cd "$d/w$i" && COORDINATOR_HOST=$(cat "$d/addr") measure "$app-worker$i" "$B/mrworker" "$B/$app.so" 2>"$d/w$i/worker.log") &
	done
	wait
	local rss="coordinator $(rss_mib "$app-coordinator") MiB, workers"
	for i in $(seq "$workers"); do rss+=" $(rss_mib "$app-worker$i")"; done
	row "$app cluster ($workers workers)" "$(wall "$app-coordinator")" "$(mbps "$app-coordinator")" "$rss MiB"
	grep -o 'map_attempts=[0-9]* reduces=[0-9]* reduce_attempts=[0-9]*' "$d/coordinator.log" >&2
}

sequential() {
	local app=$1 d=$run/$1-sequential
	mkdir -p "$d"
	(cd "$d" && measure "$app-sequential" "$B/mrsequential" "$B/$app.so" "${inputs[@]}")
	row "$app mrsequential" "$(wall "$app-sequential")" "$(mbps "$app-sequential")" "$(rss_mib "$app-sequential") MiB"
}

same() {
	if ! cmp -s "$1" "$2"; then
		echo "bench: OUTPUTS DIFFER: $1 $2" >&2
		exit 1
	fi
}

echo "bench: $total bytes in ${#inputs[@]} file(s), $(nproc) cores, $(go version | cut -d' ' -f3)" >&2
measure limit "$B/mrbench" limit -o "$run/limit.out" "${inputs[@]}"
row "limit (fused wc)" "$(wall limit)" "$(mbps limit)" "$(rss_mib limit) MiB"
IFS=, read -ra app_list <<<"$apps"
for app in "${app_list[@]}"; do
	echo "bench: $app" >&2
	cluster "$app"
	same "$run/$app-cluster/out/mr-$app-all" "$run/limit.out"
	if ((sequential)); then
		sequential "$app"
		same "$run/$app-sequential/mr-out-0" "$run/limit.out"
	fi
done

echo
printf '%-22s %10s %9s %s\n' case wall MB/s "peak RSS"
printf '%s\n' "${rows[@]}"
echo
ratio() { awk -v a="$(wall "$1")" -v b="$(wall "$2")" 'BEGIN { printf "%.3f", a / b }'; }
for app in "${app_list[@]}"; do
	if ((sequential)); then
		echo "$app: cluster / mrsequential = $(ratio "$app-coordinator" "$app-sequential")"
	fi
	echo "$app: cluster / limit        = $(ratio "$app-coordinator" limit)"
done
echo "all outputs identical"

if ((coordinator)); then
	echo
	echo "coordinator: 100,000 no-op map tasks over loopback RPC to 50 simulated workers"
	go test -run '^$' -bench BenchmarkCoordinatorTasks -benchtime 1x ./mr | grep -E '^Benchmark'
fi
