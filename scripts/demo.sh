#!/usr/bin/env bash
# demo.sh [-app wc] [-workers 3] [-files 8] [-size BYTES] [-linger 60s] [inputs...]
#
# Runs one job on this machine the way it runs on a LAN: a coordinator and
# N workers as separate processes, each in a directory of its own, talking
# over loopback TCP only. Builds bin/ first (scripts/build.sh, its steps
# shown as they go), generates 8 deterministic text files with mrgen unless
# inputs are given, follows the job's progress, checks the result against
# mrsequential, and leaves everything in mr-demo/. It prints the address
# of the job's status page at the start, and keeps the coordinator up for
# -linger after the job (default 60s; Ctrl-C ends it) so the page can be
# opened at leisure; -linger 0 exits at once.
#
#   mr-demo/out/mr-<app>-all            the job's output, sorted by key
#   mr-demo/out/mr-out-*                one file per reduce task
#   mr-demo/out/mr-<app>-summary.json   every attempt of every task
#   mr-demo/mrsequential-out            mrsequential's output, the reference
#   mr-demo/*.log                       the coordinator's and workers' logs
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$PWD

die() {
	echo "demo: $*" >&2
	exit 1
}
usage() {
	echo "usage: scripts/demo.sh [-app wc] [-workers 3] [-files 8] [-size BYTES] [-linger 60s] [inputs...] (-h for more)" >&2
	exit 2
}

app=wc workers=3 files=8 size=400000 linger=60s
while (($#)); do
	case $1 in
	-app | -workers | -files | -size | -linger)
		(($# >= 2)) || { echo "demo: $1 needs a value" >&2 && usage; }
		case $1 in
		-app) app=$2 ;;
		-workers) workers=$2 ;;
		-files) files=$2 ;;
		-size) size=$2 ;;
		-linger) linger=$2 ;;
		esac
		shift 2
		;;
	-h | -help | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	--) shift && break ;;
	-*) echo "demo: unknown flag $1" >&2 && usage ;;
	*) break ;;
	esac
done
[[ $workers =~ ^[1-9][0-9]?$ ]] || { echo "demo: -workers $workers: want 1 to 99" >&2 && usage; }
[[ $files =~ ^[1-9][0-9]*$ ]] || { echo "demo: -files $files: want a positive number" >&2 && usage; }
[[ $app =~ ^[A-Za-z0-9_]+$ ]] || { echo "demo: -app $app: want the name of a folder of mrapps/" >&2 && usage; }
[[ -d mrapps/$app && $app != internal ]] ||
	die "-app $app: no such app (apps: $(cd mrapps && ls -d */ | tr -d / | grep -vx internal | paste -sd' '))"
for f in "$@"; do
	[[ -f $f && -r $f ]] || die "input $f: not a readable file"
done

t0=$EPOCHREALTIME
# secs T: seconds (one decimal) since T (an $EPOCHREALTIME).
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

echo "demo: building bin/ with scripts/build.sh (the first build on this machine takes about 30 s on 2 CPUs, up to a minute when busy; later ones a few seconds)"
bash scripts/build.sh || die "the build failed (see above)"

demo=$root/mr-demo
rm -rf "$demo"
mkdir -p "$demo/in" "$demo/out" || die "cannot create $demo"
if (($#)); then
	inputs=()
	for f in "$@"; do inputs+=("$(realpath "$f")"); done
	echo "demo: inputs: ${#inputs[@]} files of yours"
else
	echo "demo: generating $files text files of about $size bytes with bin/mrgen into mr-demo/in/"
	bin/mrgen -out "$demo/in" -files "$files" -size "$size" -seed 1 || die "mrgen failed"
	inputs=("$demo"/in/*.txt)
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM

echo "demo: starting the coordinator on 127.0.0.1 (a free port; log mr-demo/coordinator.log)"
start=$EPOCHREALTIME
bin/mrcoordinator -addr 127.0.0.1:0 -addr-file "$demo/addr" -out "$demo/out" -linger "$linger" "${inputs[@]}" \
	2>"$demo/coordinator.log" &
coord=$!
pids+=("$coord")
for _ in $(seq 100); do
	[[ -s $demo/addr ]] && break
	kill -0 "$coord" 2>/dev/null || break
	sleep 0.1
done
[[ -s $demo/addr ]] || {
	echo "demo: the coordinator did not start:" >&2
	cat "$demo/coordinator.log" >&2
	exit 1
}
COORDINATOR_HOST=$(<"$demo/addr")
export COORDINATOR_HOST
echo "demo: status page http://$COORDINATOR_HOST/"

echo "demo: starting $workers workers running bin/$app.so (logs mr-demo/worker-*.log)"
workers_pids=()
for i in $(seq "$workers"); do
	mkdir -p "$demo/w$i"
	(cd "$demo/w$i" && exec "$root/bin/mrworker" -dir runs "$root/bin/$app.so") 2>"$demo/worker-$i.log" &
	pids+=("$!")
	workers_pids+=("$!")
done

# job_progress: "map 5/8 · reduce 0/10 · 3 workers", from the coordinator's
# /status (its first keys are stable), fetched over bash's /dev/tcp.
job_progress() {
	local line body='' v
	declare -A n=()
	{ exec 5<>"/dev/tcp/${COORDINATOR_HOST%:*}/${COORDINATOR_HOST##*:}"; } 2>/dev/null || return 1
	printf 'GET /status HTTP/1.0\r\nHost: %s\r\n\r\n' "$COORDINATOR_HOST" >&5
	while IFS= read -r -t 2 line <&5; do
		[[ $line == '{'* ]] && body=$line && break
	done
	exec 5<&-
	for v in MapsDone Maps ReducesDone Reduces LiveWorkers; do
		[[ $body =~ \"$v\":([0-9]+) ]] || return 1
		n[$v]=${BASH_REMATCH[1]}
	done
	echo "map ${n[MapsDone]}/${n[Maps]} · reduce ${n[ReducesDone]}/${n[Reduces]} · ${n[LiveWorkers]} workers"
}

# The workers exit when the coordinator tells them the job is over;
# meanwhile, a progress line whenever it changes (at most one a second).
last='' next=0
while :; do
	running=0
	for p in "${workers_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && running=1
	done
	((running)) || break
	if ((SECONDS >= next)) && now=$(job_progress) && [[ $now != "$last" ]]; then
		echo "demo: job: $now ($(secs "$start") s)"
		last=$now
		next=$((SECONDS + 1))
	fi
	sleep 0.1
done
failed=0
for i in "${!workers_pids[@]}"; do
	wait "${workers_pids[i]}" || {
		echo "demo: worker $((i + 1)) exited with status $?: $(tail -n 1 "$demo/worker-$((i + 1)).log")" >&2
		failed=1
	}
done
elapsed=$(secs "$start")
if [[ ! -f $demo/out/mr-$app-all ]]; then
	echo "demo: the job did not finish; the coordinator's last lines:" >&2
	tail -n 5 "$demo/coordinator.log" >&2
	exit 1
fi
sum=$demo/out/mr-$app-summary.json
summary=$(grep -E '^  "(elapsed|maps|map_attempts|reduces|reduce_attempts)": ' "$sum" | tr -d ' ",' | tr : = | paste -sd' ')
echo "demo: job done in ${elapsed} s (the job's summary: $summary workers=$(bin/mrcheck "$sum" workers))"
((failed == 0)) || die "a worker failed (see above)"

echo "demo: checking against bin/mrsequential (the same app in one process)"
bin/mrsequential -o "$demo/mrsequential-out" "bin/$app.so" "${inputs[@]}" || die "mrsequential failed"
if cmp -s "$demo/out/mr-$app-all" "$demo/mrsequential-out"; then
	verdict="identical to mrsequential's"
else
	verdict="DIFFERENT from mrsequential's (mr-demo/mrsequential-out)"
fi
printf 'demo: %s over %d files (%s bytes) with %d workers: %s s\n' "$app" "${#inputs[@]}" \
	"$(cat "${inputs[@]}" | wc -c)" "$workers" "$elapsed"
echo "demo: output mr-demo/out/mr-$app-all ($(wc -l <"$demo/out/mr-$app-all") keys), $verdict"
head -5 "$demo/out/mr-$app-all" | sed 's/^/    /'
echo "demo: all done in $(secs "$t0") s; mr-demo/out/mr-$app-all is $verdict"
if [[ $linger != 0 && $linger != 0s ]] && kill -0 "$coord" 2>/dev/null; then
	echo "demo: the status page stays up for $linger at http://$COORDINATOR_HOST/ (Ctrl-C ends it)"
	trap 'kill "$coord" 2>/dev/null' INT
	wait "$coord"
	trap 'echo "demo: interrupted" >&2; exit 130' INT
	echo "demo: mr-demo/out/mr-$app-all is $verdict" # the verdict is the last line
fi
[[ $verdict == identical* ]]
