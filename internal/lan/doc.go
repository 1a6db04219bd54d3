// Package lan builds LANs of Linux network namespaces on one machine, for
// running a job's processes as if on separate hosts with no file system
// shared between them: the multi-host scenarios (e2e) and mrcluster use it.
//
// A LAN is a "switch" namespace holding a bridge, and hosts 0..N-1, each a
// namespace whose eth0 (address Subnet.(10+H)/24) is one end of a veth
// pair whose other end, pH, is a port of the bridge. Names carry the
// process id and a counter (mrlan-<pid>-<n>-sw, mrlan-<pid>-<n>-h0, ...),
// so that runs coexist. A LAN creates nothing in the root namespace
// unless AttachRoot cables it to the bridge, besides /run/netns, which
// ip netns needs (and which Close removes again when it made it).
//
// Each process runs in its host's network namespace and in a mount
// namespace of its own, in which a fresh tmpfs is its current directory
// and its only writable place ($TMPDIR and $HOME point into it): nobody
// else sees its files. Files are copied in before it starts; a directory
// of it is copied out when it exits. Every process runs under a deadline
// (timeout(1)); Close ends them all, deletes what the LAN made, and says
// what, if anything, is left.
//
// Everything here needs root; Check says exactly why a machine cannot.
package lan
