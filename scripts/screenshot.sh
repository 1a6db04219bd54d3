#!/usr/bin/env bash
# screenshot.sh [FILE]: makes the README's picture of the status page
# (default docs/status-page.png). It builds bin/ and runs test-mr.sh's
# "status page" case on it, which has headless chromium read the page of
# a finished job (a failed attempt, a straggler and its backup included)
# and copies that screenshot to FILE (1000 x 1100 px, about 140 KB).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case ${1:-} in -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
out=$(realpath -m "${1:-docs/status-page.png}")
mkdir -p "$(dirname "$out")"
bash scripts/build.sh >/dev/null
MR_SKIP_GO_TESTS=1 MR_BIN="$PWD/bin" MR_CASES=status_page MR_SCREENSHOT="$out" bash test-mr.sh
[[ -s $out ]] || { echo "screenshot.sh: no screenshot was made" >&2; exit 1; }
echo "screenshot.sh: $out ($(wc -c <"$out") bytes)"
