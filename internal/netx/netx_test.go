// Tests of Host and IsLoopback, with a fuzzer of Host.

package netx

import (
	"net/netip"
	"testing"
)

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestHost(t *testing.T) {
	tests := map[string]string{
		"10.0.0.7:4000":             "10.0.0.7",
		"[::ffff:10.0.0.7]:4000":    "10.0.0.7",
		"[::1]:80":                  "::1",
		"[2001:db8:1:2:3::9]:7000":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ff::1]:7000": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:7000":       "fe80::/64",
		"example.com:80":            "example.com",
		"pipe":                      "pipe",
	}
	for in, want := range tests {
		if got := Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "127.0.0.9:1": true, "[::1]:1": true,
		"localhost:1": true, "10.0.0.1:1": false, ":7000": false, "0.0.0.0:7000": false, "junk": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}

func FuzzHost(f *testing.F) {
	for _, s := range []string{"10.0.0.7:4000", "[::1]:80", "[2001:db8::1]:1", "[fe80::1%eth0]:7", "", ":", "[::ffff:1.2.3.4]:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := Host(s)
		if len(h) > len(s)+48 {
			t.Fatalf("Host(%q) = %q", s, h)
		}
	})
}
