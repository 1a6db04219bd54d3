// lan_test.go: the pure parts; the namespaces are tested by the
// multi-host scenarios (e2e.TestLAN).

package lan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestFreeSubnet(t *testing.T) {
	used := "2: eth0    inet 10.77.0.1/24 brd 10.77.0.255 scope global eth0\n" +
		"10.77.1.0/24 dev x proto kernel\n110.77.2.5 via 1.2.3.4\n"
	if got, ok := freeSubnet(used); !ok || got != "10.77.2" {
		t.Fatalf("freeSubnet = %q, %v; want 10.77.2 (110.77.2.5 is another address)", got, ok)
	}
	var all strings.Builder
	for x := 0; x < 256; x++ {
		fmt.Fprintf(&all, " 10.77.%d.0/24\n", x)
	}
	if got, ok := freeSubnet(all.String()); ok {
		t.Fatalf("every 10.77.X in use, yet freeSubnet = %q", got)
	}
}

// Spread puts input i on hosts i mod n + 1 and (i+1) mod n + 1: each on 2
// of n; all puts every input everywhere; none nowhere.
func TestDataFor(t *testing.T) {
	files := []string{"a", "b", "c", "d"}
	for _, c := range []struct {
		mode string
		n, h int
		want []string
	}{
		{"all", 3, 2, files},
		{"none", 3, 2, nil},
		{"spread", 3, 1, []string{"a", "c", "d"}},
		{"spread", 3, 2, []string{"a", "b", "d"}},
		{"spread", 3, 3, []string{"b", "c"}},
		{"spread", 2, 1, files},
	} {
		if got := DataFor(c.mode, c.n, c.h, files); !slices.Equal(got, c.want) {
			t.Errorf("DataFor(%s, %d, %d) = %v, want %v", c.mode, c.n, c.h, got, c.want)
		}
	}
}

func TestInside(t *testing.T) {
	for _, name := range []string{"a", "data/a", "./in/b.txt"} {
		if _, err := inside("/d", name); err != nil {
			t.Errorf("inside(%q): %v", name, err)
		}
	}
	for _, name := range []string{"/etc/x", "../x", "a/../../x", ""} {
		if _, err := inside("/d", name); err == nil {
			t.Errorf("inside(%q) accepted", name)
		}
	}
}

func TestRateRE(t *testing.T) {
	for _, r := range []string{"100mbit", "1gbit", "1.5mbit", "10kbps"} {
		if !RateRE.MatchString(r) {
			t.Errorf("%s refused", r)
		}
	}
	for _, r := range []string{"fast", "100", "mbit", "1 gbit"} {
		if RateRE.MatchString(r) {
			t.Errorf("%s accepted", r)
		}
	}
}
