#!/usr/bin/env bash
# bench.sh [-vocab 20000,200000] [-layout large,small] [-size S] [-small-file 48K]
#          [-apps wc,wcraw] [-workers 2] [-no-sequential] [-no-many-reduces] [-no-coordinator]
# bench.sh -model SIZE [-workers 2]
# bench.sh -stream SIZE [-no-python] [-workers 2]
#
# Measures the engine on generated corpora and prints a table per corpus and
# a summary. Not a test: nothing here passes or fails on time, but every
# output is checked against the others (a difference is an error, exit 1).
#
#   -vocab V,W       vocabulary sizes, one corpus each (default 20000,200000: about
#                    38,000 and 250,000 distinct words per 64 MiB, capitals counted apart;
#                    1000000 gives about 560,000)
#   -layout L,M      file layouts, one corpus each (default large,small):
#                      large  files of 64 MiB (the last ones smaller), 256 MiB in all
#                      small  files of 48 KiB, 96 MiB in all (2048 files)
#                      N      (a number) one text of 256 MiB (or -size) cut at line ends
#                             into N files of about equal size: -layout 1,4,16,128,2048
#                             is the same bytes in every cut (tasks are sized by bytes)
#   -size S          total size of every corpus instead (bytes, or with K/M/G), so that
#                    both layouts hold the same text; e.g. -size 16M for a quick check
#   -small-file S    file size of the small layout (default 48K)
#   -apps A,B        apps to run: wc (with combiner) and wcraw (none: every record is shuffled)
#   -workers N       workers of the cluster (default 2, one per core)
#   -no-sequential   skip mrsequential (~30 s and 3.5 GiB of RSS per 256 MiB; ~13 bytes per input byte)
#   -no-many-reduces skip the fixed cost of a task: wc over 2 MB in 4 files with
#                    -nreduce 5000 and 3 workers, beside the same job at -nreduce 4
#   -no-coordinator  skip the coordinator benchmark (100,000 no-op tasks, 50 simulated workers)
#   -no-uniq         skip the shuffle-heavy job: uniq (every line a key, counted) on the
#                    256 MiB text of -layout 1, plain and -total-order, beside
#                    `LC_ALL=C sort -S 4G --parallel=2 | uniq -c`, outputs checked equal
#   -model SIZE      only the paper's two benchmarks, on SIZE of input (e.g. 1G): grep (map-only,
#                    -param pattern) beside `grep -c`, its matches checked against `grep -n`; sort
#                    (100-byte records from mrgen -records, -total-order) beside
#                    `LC_ALL=C sort --parallel=2`, its output checked against sort's byte for byte;
#                    MB/s and MB/s per core, and the paper's figures for scale
#   -stream SIZE     only streaming apps against plugins, on SIZE of text in files of 64 MiB:
#                    identity (mapper and reducer `cat`) beside identity.so, and a Python word
#                    count beside wc.so (if python3 is here, and not -no-python: it maps about
#                    1 MB/s); outputs checked equal pair by pair
#
# The 4 GiB run of the README is: bench.sh -layout large -size 4G -no-sequential
# -no-many-reduces -no-coordinator (about 8 GiB of disk for the corpus).
#
# Every corpus (vocabulary x layout) is made once by mrgen (Zipf words, some
# non-ASCII, seed 42) and cached in mr-bench/, keyed by its parameters and a
# hash of mrgen's source. On each: `mrbench limit` (a fused word count on
# all cores, the practical limit), then for each app the cluster (coordinator
# + N workers on loopback, each its own process and directory) and
# mrsequential. Wall time, MB/s and the peak RSS of every process (wait4's
# rusage) are shown, then per corpus the ratios wc cluster / limit, wc
# cluster / mrsequential and wcraw cluster / mrsequential. mrsequential
# takes most of a default run's time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

vocabs=20000,200000 layouts=large,small size= small_file=48K model= stream= python=1
apps=wc,wcraw workers=2 sequential=1 many_reduces=1 coordinator=1 uniq=1
while (($#)); do
	case $1 in
	-vocab) vocabs=$2; shift 2 ;;
	-layout) layouts=$2; shift 2 ;;
	-size) size=$2; shift 2 ;;
	-small-file) small_file=$2; shift 2 ;;
	-apps) apps=$2; shift 2 ;;
	-workers) workers=$2; shift 2 ;;
	-no-sequential) sequential=0; shift ;;
	-no-many-reduces) many_reduces=0; shift ;;
	-no-coordinator) coordinator=0; shift ;;
	-no-uniq) uniq=0; shift ;;
	-model) model=$2; shift 2 ;;
	-stream) stream=$2; shift 2 ;;
	-no-python) python=0; shift ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown argument $1 (see -h)" >&2; exit 2 ;;
	esac
done

bytes_of() { numfmt --from=iec "$1" 2>/dev/null || { echo "bench.sh: bad size $1" >&2; exit 2; }; }
IFS=, read -ra vocab_list <<<"$vocabs"
IFS=, read -ra layout_list <<<"$layouts"
IFS=, read -ra app_list <<<"$apps"
for l in "${layout_list[@]}"; do
	[[ $l == large || $l == small || $l =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: -layout $l: want large, small or a number of files" >&2; exit 2; }
done
for v in "${vocab_list[@]}"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: -vocab $v: want a number of words" >&2; exit 2; }
done
large_bytes=$(bytes_of "${size:-256M}")
small_bytes=$(bytes_of "${size:-96M}")
small_file_bytes=$(bytes_of "$small_file")

bash scripts/build.sh >/dev/null
B=$root/bin
work=$root/mr-bench
# Corpora are keyed by mrgen's source too; those of other sources are stale.
gen=$(cat $(ls main/mrgen/*.go | grep -v _test.go) | sha256sum | cut -c1-8)
rm -rf "$work/run"
mkdir -p "$work"
for d in "$work"/corpus-*; do
	[[ -d $d && $d != *-g$gen ]] && rm -rf "$d"
done

# make_corpus LAYOUT VOCAB: sets $corpus to the corpus's directory, making it once.
make_corpus() {
	local layout=$1 vocab=$2 bytes args per=$((64 << 20)) n
	if [[ $layout =~ ^[0-9]+$ ]]; then
		cut_corpus "$layout" "$vocab"
		return
	fi
	if [[ $layout == large ]]; then
		bytes=$large_bytes
		n=$(((bytes + per - 1) / per))
		args=(-files "$n" -size $((bytes / n)))
	else
		bytes=$small_bytes per=$small_file_bytes
		args=(-total "$bytes" -size "$per")
	fi
	corpus=$work/corpus-$layout-$bytes-$per-v$vocab-g$gen
	[[ -f $corpus/.complete ]] && return
	rm -rf "$corpus"
	echo "bench: generating $corpus" >&2
	"$B/mrgen" -out "$corpus" "${args[@]}" -vocab "$vocab" -seed 42 >&2
	touch "$corpus/.complete"
}

# cut_corpus N VOCAB: sets $corpus to one text of $large_bytes cut at line
# ends into N files (split -n l/N), making it once.
cut_corpus() {
	local n=$1 vocab=$2 one=$work/corpus-one-$large_bytes-v$vocab-g$gen
	if [[ ! -f $one/.complete ]]; then
		rm -rf "$one"
		echo "bench: generating $one" >&2
		"$B/mrgen" -out "$one" -files 1 -size "$large_bytes" -vocab "$vocab" -seed 42 >&2
		touch "$one/.complete"
	fi
	corpus=$work/corpus-cut$n-$large_bytes-v$vocab-g$gen
	((n == 1)) && corpus=$one
	[[ -f $corpus/.complete ]] && return
	rm -rf "$corpus"
	mkdir -p "$corpus"
	(cd "$corpus" && split -n "l/$n" -a 5 -d --additional-suffix=.txt "$one"/*.txt part-)
	touch "$corpus/.complete"
}

# measure NAME CMD...: runs CMD under mrbench time, recording "wall rss code" in $run/NAME.t
measure() {
	local name=$1
	shift
	"$B/mrbench" time -o "$run/$name.t" -- "$@"
}
wall() { awk '{ print $1 }' "$run/$1.t"; }
rss_mib() { awk '{ printf "%.0f", $2 / 1024 }' "$run/$1.t"; }
mbps() { awk -v b="$total" -v s="$(wall "$1")" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
ratio() { [[ -f $run/$1.t && -f $run/$2.t ]] && awk -v a="$(wall "$1")" -v b="$(wall "$2")" 'BEGIN { printf "%.3f", a / b }' || echo -; }

row() { rows+=("$(printf '%-26s %9ss %9s %s' "$1" "$2" "$3" "$4")"); }

# cluster APP [NAME N_WORKERS COORDINATOR_FLAGS...]: a coordinator and
# $workers (or N_WORKERS) workers on loopback, measured as NAME (default
# APP); the coordinator's wall time is the job's (it starts first and ends
# last, and waits for every worker: -wait-workers).
cluster() {
	local app=$1 name=${2:-$1} nw=${3:-$workers} i
	shift $(($# < 3 ? $# : 3))
	local d=$run/$name-cluster
	mkdir -p "$d/out"
	measure "$name-coordinator" "$B/mrcoordinator" -addr 127.0.0.1:0 -addr-file "$d/addr" -out "$d/out" \
		-wait-workers "$nw" "$@" "${inputs[@]}" 2>"$d/coordinator.log" &
	for _ in $(seq 100); do [[ -s $d/addr ]] && break; sleep 0.05; done
	for i in $(seq "$nw"); do
		mkdir -p "$d/w$i"
		(cd "$d/w$i" && COORDINATOR_HOST=$(cat "$d/addr") measure "$name-worker$i" "$B/mrworker" "$B/$app.so" 2>"$d/w$i/worker.log") &
	done
	wait
	local rss="coordinator $(rss_mib "$name-coordinator") MiB, workers"
	for i in $(seq "$nw"); do rss+=" $(rss_mib "$name-worker$i")"; done
	row "$name cluster ($nw workers)" "$(wall "$name-coordinator")" "$(mbps "$name-coordinator")" "$rss MiB"
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

# per_core RUN: MB/s per core of a measured run.
per_core() { awk -v m="$(mbps "$1")" -v n="$(nproc)" 'BEGIN { printf "%.1f", m / n }'; }

# bench_model BYTES: grep and sort, the paper's benchmarks (OSDI'04 §5.2,
# §5.3), beside the tools that do the same on one machine.
bench_model() {
	local bytes=$1 per=$((64 << 20)) n pattern='th[a-z]+st\b'
	n=$(((bytes + per - 1) / per))
	# grep: text, files of 64 MiB, map-only.
	corpus=$work/corpus-grep-$bytes-g$gen
	if [[ ! -f $corpus/.complete ]]; then
		rm -rf "$corpus"
		"$B/mrgen" -out "$corpus" -files "$n" -size $((bytes / n)) -vocab 20000 -seed 42 >&2
		touch "$corpus/.complete"
	fi
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	run=$work/run/model
	rm -rf "$run"
	mkdir -p "$run"
	rows=()
	LC_ALL=C measure grep-c grep -cE "$pattern" "${inputs[@]}" >"$run/grep-c.out"
	row "grep -c" "$(wall grep-c)" "$(mbps grep-c)" "$(per_core grep-c) MB/s per core"
	cluster grep grep "$workers" -nreduce 0 -app "$B/grep.so" -param "pattern=$pattern"
	LC_ALL=C grep -HnE "$pattern" "${inputs[@]}" | sed 's/:/ /2' >"$run/grep-n.out"
	same "$run/grep-cluster/out/mr-grep-all" "$run/grep-n.out"
	rows[-1]+=", $(per_core grep-coordinator) MB/s per core"
	echo
	echo "== grep: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') in ${#inputs[@]} file(s), $(wc -l <"$run/grep-n.out") matches of $pattern"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS / per core"
	printf '%s\n' "${rows[@]}"
	echo "paper (OSDI'04 §5.2): 1 TB in about 150 s on 1,764 workers, about 17 MB/s per worker at the peak (30 GB/s in all)"
	# sort: 100-byte records, files of 64 MiB, total order.
	corpus=$work/corpus-sort-$bytes-g$gen
	if [[ ! -f $corpus/.complete ]]; then
		rm -rf "$corpus"
		"$B/mrgen" -out "$corpus" -records $((bytes / 100)) -size "$per" -seed 42 >&2
		touch "$corpus/.complete"
	fi
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	rows=()
	LC_ALL=C measure sort sort --parallel=2 -S 25% -T "$run" -o "$run/sort.out" "${inputs[@]}"
	row "LC_ALL=C sort --parallel=2" "$(wall sort)" "$(mbps sort)" "$(rss_mib sort) MiB, $(per_core sort) MB/s per core"
	cluster sort sort "$workers" -total-order -app "$B/sort.so" -nreduce 8
	same "$run/sort-cluster/out/mr-sort-all" "$run/sort.out"
	rows[-1]+=", $(per_core sort-coordinator) MB/s per core"
	echo
	echo "== sort: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') in ${#inputs[@]} file(s) of 100-byte records"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS / per core"
	printf '%s\n' "${rows[@]}"
	grep -o '"skew": [0-9.]*' "$run/sort-cluster/out/mr-sort-summary.json" | sed 's/^/total order /'
	echo "paper (OSDI'04 §5.3): 1 TB (10^10 100-byte records) in 891 s on about 1,746 workers: about 0.64 MB/s per worker"
	echo "all outputs identical"
}

# bench_corpus LAYOUT VOCAB: every measurement on one corpus, its table,
# and a line of the summary.
bench_corpus() {
	local layout=$1 vocab=$2 name app
	make_corpus "$layout" "$vocab"
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	name="$layout files, vocab $vocab"
	run=$work/run/$layout-v$vocab
	rm -rf "$run"
	mkdir -p "$run"
	rows=()
	echo "bench: $name: $total bytes in ${#inputs[@]} file(s)" >&2
	measure limit "$B/mrbench" limit -o "$run/limit.out" "${inputs[@]}"
	row "limit (fused wc)" "$(wall limit)" "$(mbps limit)" "$(rss_mib limit) MiB"
	for app in "${app_list[@]}"; do
		echo "bench: $name: $app" >&2
		cluster "$app"
		same "$run/$app-cluster/out/mr-$app-all" "$run/limit.out"
		if [[ $app == wc && $layout == small ]]; then # what the journal costs, where commits are most frequent
			cluster wc wc-journal "$workers" -journal
			same "$run/wc-journal-cluster/out/mr-wc-all" "$run/limit.out"
		fi
		if ((sequential)); then
			sequential "$app"
			same "$run/$app-sequential/mr-out-0" "$run/limit.out"
		fi
	done
	echo
	echo "== $name: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') in ${#inputs[@]} file(s)"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS"
	printf '%s\n' "${rows[@]}"
	summary+=("$(printf '%-26s %8s %6s %10s %9s %9s %9s' "$name" "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1e6 }')" \
		"${#inputs[@]}" "$(mbps limit)" \
		"$(ratio wc-coordinator limit)" "$(ratio wc-coordinator wc-sequential)" \
		"$(ratio wcraw-coordinator wcraw-sequential)")")
}

# pool_cluster NAME COORDINATOR_FLAGS...: like cluster, with pool workers
# (no plugin, on loopback without a secret), which run what the
# coordinator ships them and are stopped once it exits.
pool_cluster() {
	local name=$1 i pids=()
	shift
	local d=$run/$name-cluster
	mkdir -p "$d/out"
	measure "$name-coordinator" "$B/mrcoordinator" -addr 127.0.0.1:0 -addr-file "$d/addr" -out "$d/out" \
		-wait-workers "$workers" "$@" "${inputs[@]}" 2>"$d/coordinator.log" &
	local coord=$!
	for _ in $(seq 100); do [[ -s $d/addr ]] && break; sleep 0.05; done
	for i in $(seq "$workers"); do
		mkdir -p "$d/w$i"
		(cd "$d/w$i" && COORDINATOR_HOST=$(cat "$d/addr") exec "$B/mrworker" -insecure-accept-code 2>"$d/w$i/worker.log") &
		pids+=($!)
	done
	wait "$coord"
	kill -TERM "${pids[@]}" 2>/dev/null
	wait
	row "$name cluster ($workers pool)" "$(wall "$name-coordinator")" "$(mbps "$name-coordinator")" \
		"coordinator $(rss_mib "$name-coordinator") MiB"
}

# bench_stream BYTES: streaming jobs beside the same jobs as plugins.
bench_stream() {
	large_bytes=$1
	make_corpus large 200000
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	run=$work/run/stream
	mkdir -p "$run"
	rows=()
	cluster identity identity "$workers" -nreduce 4
	pool_cluster cat -app cat -mapper cat -reducer cat -nreduce 4
	same "$run/identity-cluster/out/mr-identity-all" "$run/cat-cluster/out/mr-cat-all"
	cluster wc wc "$workers" -nreduce 4
	if ((python)) && command -v python3 >/dev/null; then
		local py=$run/py
		mkdir -p "$py"
		printf '%s\n' 'import sys' \
			"sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')" \
			'for line in sys.stdin:' \
			"    for w in ''.join(c if c.isalpha() else ' ' for c in line).split():" \
			"        print(w + '\\t1')" >"$py/wc_map.py"
		printf '%s\n' 'import sys' \
			"sys.stdin.reconfigure(encoding='utf-8'); sys.stdout.reconfigure(encoding='utf-8')" \
			'key, n = None, 0' \
			'for line in sys.stdin:' \
			"    k, v = line.rstrip('\\n').split('\\t', 1)" \
			'    if k != key:' \
			'        if key is not None:' \
			"            print(key + '\\t' + str(n))" \
			'        key, n = k, 0' \
			'    n += int(v)' \
			'if key is not None:' \
			"    print(key + '\\t' + str(n))" >"$py/wc_reduce.py"
		pool_cluster pywc -app pywc -mapper 'python3 wc_map.py' -reducer 'python3 wc_reduce.py' \
			-combiner 'python3 wc_reduce.py' -file "$py/wc_map.py" -file "$py/wc_reduce.py" -nreduce 4
		same "$run/wc-cluster/out/mr-wc-all" "$run/pywc-cluster/out/mr-pywc-all"
	fi
	echo
	echo "== streaming: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') in ${#inputs[@]} file(s)"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS"
	printf '%s\n' "${rows[@]}"
	echo "identity: streaming / plugin $(ratio cat-coordinator identity-coordinator)"
	[[ -f $run/pywc-coordinator.t ]] && echo "word count: Python streaming / wc.so $(ratio pywc-coordinator wc-coordinator)"
	return 0
}

echo "bench: $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [[ -n $stream ]]; then
	bench_stream "$(bytes_of "$stream")"
	exit 0
fi
if [[ -n $model ]]; then
	bench_model "$(bytes_of "$model")"
	exit 0
fi
summary=()
for layout in "${layout_list[@]}"; do
	for vocab in "${vocab_list[@]}"; do
		bench_corpus "$layout" "$vocab"
	done
done

# The fixed cost of a task: 5,000 reduce tasks over a small input, most of
# them with a key or two; the same job at R = 4 beside it.
if ((many_reduces)); then
	corpus=$work/corpus-many-reduces-g$gen
	if [[ ! -f $corpus/.complete ]]; then
		rm -rf "$corpus"
		"$B/mrgen" -out "$corpus" -files 4 -size 500000 -vocab 20000 -seed 42 >&2
		touch "$corpus/.complete"
	fi
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	run=$work/run/many-reduces
	rm -rf "$run"
	mkdir -p "$run"
	rows=()
	measure limit "$B/mrbench" limit -o "$run/limit.out" "${inputs[@]}"
	row "limit (fused wc)" "$(wall limit)" "$(mbps limit)" "$(rss_mib limit) MiB"
	cluster wc wc-R4 3 -nreduce 4
	same "$run/wc-R4-cluster/out/mr-wc-all" "$run/limit.out"
	cluster wc wc-R5000 3 -nreduce 5000
	same "$run/wc-R5000-cluster/out/mr-wc-all" "$run/limit.out"
	echo
	echo "== many reduce tasks: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') in ${#inputs[@]} file(s)"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS"
	printf '%s\n' "${rows[@]}"
fi

# The shuffle-heavy job: every line a key, few repeating; sort | uniq -c
# does the same on one machine.
if ((uniq)); then
	cut_corpus 1 200000
	inputs=("$corpus"/*.txt)
	total=$(cat "${inputs[@]}" | wc -c)
	run=$work/run/uniq
	rm -rf "$run"
	mkdir -p "$run"
	rows=()
	measure sort-uniq bash -c 'LC_ALL=C sort -S 4G --parallel=2 "$@" | LC_ALL=C uniq -c >"'"$run"'/sort-uniq.out"' - "${inputs[@]}"
	row "sort | uniq -c" "$(wall sort-uniq)" "$(mbps sort-uniq)" "$(rss_mib sort-uniq) MiB"
	sed 's/^ *\([0-9]*\) \(.*\)$/\2 \1/' "$run/sort-uniq.out" >"$run/sort-uniq.ref"
	cluster uniq
	same "$run/uniq-cluster/out/mr-uniq-all" "$run/sort-uniq.ref"
	cluster uniq uniq-total-order "$workers" -total-order -app "$B/uniq.so"
	same "$run/uniq-total-order-cluster/out/mr-uniq-all" "$run/sort-uniq.ref"
	echo
	echo "== every line a key: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $(wc -l <"$run/sort-uniq.ref") distinct lines"
	printf '%-26s %10s %9s %s\n' case wall MB/s "peak RSS"
	printf '%s\n' "${rows[@]}"
	echo "uniq cluster / sort | uniq -c: $(ratio uniq-coordinator sort-uniq), with -total-order $(ratio uniq-total-order-coordinator sort-uniq)"
fi

echo
echo "== summary (ratios of wall times; - where not measured)"
printf '%-26s %8s %6s %10s %9s %9s %9s\n' corpus MB files "limit MB/s" "wc/limit" "wc/seq" "wcraw/seq"
printf '%s\n' "${summary[@]}"
echo "all outputs identical"

if ((coordinator)); then
	echo
	echo "coordinator: 100,000 no-op map tasks over loopback RPC to 50 simulated workers"
	go test -run '^$' -bench BenchmarkCoordinatorTasks -benchtime 1x ./mr/coordinator | grep -E '^Benchmark'
fi
