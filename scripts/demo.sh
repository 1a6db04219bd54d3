#!/usr/bin/env bash
# demo.sh [-app wc] [-workers 3] [-files 8] [-size BYTES] [-linger 60s] [inputs...]
#
# Runs one job on this machine the way it runs on a LAN: a coordinator and
# N workers as separate processes, each in a directory of its own, talking
# over loopback TCP only. Builds bin/ first, generates 8 deterministic text
# files with mrgen unless inputs are given, checks the result against
# mrsequential, and leaves everything in mr-demo/. It prints the address
# of the job's status page at the start, and keeps the coordinator up for
# -linger after the job (default 60s; Ctrl-C ends it) so the page can be
# opened at leisure; -linger 0 exits at once.
#
#   mr-demo/out/mr-<app>-all            the job's output, sorted by key
#   mr-demo/out/mr-out-*                one file per reduce task
#   mr-demo/out/mr-<app>-summary.json   every attempt of every task
#   mr-demo/*.log                       the coordinator's and workers' logs
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

app=wc workers=3 files=8 size=400000 linger=60s
while (($#)); do
	case $1 in
	-app) app=$2; shift 2 ;;
	-workers) workers=$2; shift 2 ;;
	-files) files=$2; shift 2 ;;
	-size) size=$2; shift 2 ;;
	-linger) linger=$2; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "demo.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done

bash scripts/build.sh >/dev/null
demo=$root/mr-demo
rm -rf "$demo"
mkdir -p "$demo/in" "$demo/out"
if (($#)); then
	inputs=()
	for f in "$@"; do inputs+=("$(realpath "$f")"); done
else
	bin/mrgen -out "$demo/in" -files "$files" -size "$size" -seed 1
	inputs=("$demo"/in/*.txt)
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start=$(date +%s.%N)
bin/mrcoordinator -addr 127.0.0.1:0 -addr-file "$demo/addr" -out "$demo/out" -linger "$linger" "${inputs[@]}" 2>"$demo/coordinator.log" &
coord=$!
pids+=("$coord")
for _ in $(seq 100); do [[ -s $demo/addr ]] && break; sleep 0.1; done
[[ -s $demo/addr ]] || { echo "demo: coordinator did not start:" >&2; cat "$demo/coordinator.log" >&2; exit 1; }
export COORDINATOR_HOST=$(cat "$demo/addr")
echo "demo: status page http://$COORDINATOR_HOST/"
workers_pids=()
for i in $(seq "$workers"); do
	mkdir -p "$demo/w$i"
	(cd "$demo/w$i" && exec "$root/bin/mrworker" -dir runs "$root/bin/$app.so") 2>"$demo/worker-$i.log" &
	pids+=("$!")
	workers_pids+=("$!")
done
# The workers exit when the coordinator tells them the job is over.
for p in "${workers_pids[@]}"; do wait "$p"; done
end=$(date +%s.%N)

(cd "$demo" && "$root/bin/mrsequential" "$root/bin/$app.so" "${inputs[@]}")
if cmp -s "$demo/out/mr-$app-all" "$demo/mr-out-0"; then
	verdict="identical to mrsequential's"
else
	verdict="DIFFERENT from mrsequential's ($demo/mr-out-0)"
fi
printf 'demo: %s over %d files (%s bytes) with %d workers: %ss\n' "$app" "${#inputs[@]}" \
	"$(cat "${inputs[@]}" | wc -c)" "$workers" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
echo "demo: $(grep -o 'msg="job summary".*' "$demo/coordinator.log")"
echo "demo: output $demo/out/mr-$app-all ($(wc -l <"$demo/out/mr-$app-all") keys), $verdict"
head -5 "$demo/out/mr-$app-all" | sed 's/^/    /'
if [[ $linger != 0 && $linger != 0s ]] && kill -0 "$coord" 2>/dev/null; then
	echo "demo: the status page stays up for $linger at http://$COORDINATOR_HOST/ (Ctrl-C ends it)"
	wait "$coord" || true
fi
[[ $verdict == identical* ]]
