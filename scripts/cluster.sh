#!/usr/bin/env bash
# cluster.sh: runs a MapReduce job on a LAN of network namespaces; it is
# bin/mrcluster (main/mrcluster: flags, exit status and the LAN in
# `bin/mrcluster -h`), kept under this name for the README's commands.
# Build first with scripts/build.sh; $LAN_BIN names another bin/.
bin=${LAN_BIN:-$(dirname "${BASH_SOURCE[0]}")/../bin}
[[ -x $bin/mrcluster ]] || { echo "cluster.sh: $bin/mrcluster is missing: run scripts/build.sh" >&2 && exit 2; }
exec "$bin/mrcluster" "$@"
