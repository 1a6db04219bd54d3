// Package e2e is the acceptance suite's job cases on real processes: its
// tests build mrcoordinator, mrworker, the other commands and the test
// apps' plugins once (TestMain, with scripts/build.sh's flags and -race,
// into a temporary directory; or take them from $MR_E2E_BIN, where
// test-mr.sh built them), start each process in a directory of its own,
// wait on GET /status (protocol.Status) and check the job summary
// (protocol.Summary) and the outputs, never the processes' log text.
//
// It sits at the top of the repository, beside main/ and mrapps/, because
// what it tests is those commands and apps as a user runs them, not a
// package of the engine; mr/coordinator's cluster tests run the engine in process.
// go test -short skips it. test-mr.sh runs three of its tests apart from
// the others: TestFlood (with -v, for its figures: peak RSS, the floods'
// CPU), TestStatusPage (headless chromium) and TestLAN (the multi-host
// scenarios, each on a LAN of network namespaces made by internal/lan;
// it needs root and skips, saying why, without it or with MR_SKIP_LAN=1).
package e2e
