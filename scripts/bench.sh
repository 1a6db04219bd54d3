#!/usr/bin/env bash
# bench.sh [flags]: builds the binaries and plugins, then runs the
# benchmark, `bin/mrbench bench` (main/mrbench): each row a command beside
# its reference in alternating pairs, every output checked. `bench.sh -h`
# lists the rows and the flags.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build.sh >/dev/null
exec bin/mrbench bench "$@"
