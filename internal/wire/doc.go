// Package wire carries what package protocol names: the RPC connection's
// CONNECT handshake and its proof of the job secret (rpcconn.go), the
// length-prefixed, MACed frames that net/rpc's gob rides in, with their
// limits and deadlines before and after authentication (codec.go), and
// the HTTP side's attempt URLs and signed bodies (http.go). It imports
// protocol and auth; the scheduler imports neither it nor anything of
// the network. Protocol's package comment tells the whole protocol.
package wire
