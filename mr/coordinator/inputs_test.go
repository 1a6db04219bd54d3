package coordinator

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mapreduce/internal/protocol"
)

// serve is what sendPiece makes of piece p: the bytes sent, or the error
// that ends the job.
func serve(c *Coordinator, p protocol.Split) (string, error) {
	var out bytes.Buffer
	err := c.sendPiece(&out, p)
	return out.String(), err
}

// The coordinator serves an input only from the file the job listed: a
// name swapped for a link to a private file is refused, even with that
// file's size and time (issue 24); and, once its inputs are described,
// a file edited in place, size and time kept, is refused too: its blocks
// no longer match.
func TestSendPieceOnlyFromTheFileListed(t *testing.T) {
	for _, how := range []string{"symlink", "renamed over", "edited in place"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			private := filepath.Join(dir, "private.txt")
			os.WriteFile(private, []byte("zanzibar quixotic\n"), 0o600)
			st, _ := os.Stat(private)
			decoy := filepath.Join(dir, "decoy.txt")
			os.WriteFile(decoy, []byte("ordinary words!!\n\n"), 0o644)
			os.Chtimes(decoy, st.ModTime(), st.ModTime())
			cfg := testConfig(t.TempDir())
			cfg.BlockSize = 512
			c, err := New(cfg, []string{decoy})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.ln.Close() })
			p := c.tasks[0][0]
			if how == "edited in place" {
				c.in.wanted()
				go c.describeInputs()
				<-c.in.described
				if c.in.describedAs(0) == nil {
					t.Fatal("decoy.txt not described")
				}
			}
			if got, err := serve(c, p); err != nil || got != "ordinary words!!\n\n" {
				t.Fatalf("before: %q, %v", got, err)
			}
			switch how {
			case "symlink":
				os.Remove(decoy)
				os.Symlink(private, decoy)
			case "renamed over":
				os.Rename(private, decoy)
			default:
				os.WriteFile(decoy, []byte("zanzibar quixotic\n"), 0o644)
				os.Chtimes(decoy, st.ModTime(), st.ModTime())
			}
			got, err := serve(c, p)
			if err == nil || !strings.Contains(err.Error(), decoy) || strings.Contains(got, "zanzibar") {
				t.Fatalf("after: sent %q, %v", got, err)
			}
		})
	}
}

// Inputs are described only once a worker says it holds one: a job whose
// workers hold no data reads nothing more than before.
func TestInputsDescribedOnlyWhenWanted(t *testing.T) {
	c := newTestCoordinator(t, testConfig(t.TempDir()))
	go c.describeInputs()
	select {
	case <-c.in.described:
		t.Fatal("inputs described with no worker holding any")
	default:
	}
	if c.in.describedAs(0) != nil {
		t.Fatal("an input described with no worker holding any")
	}
	c.in.wanted()
	<-c.in.described
	if f := c.in.describedAs(1); f == nil || f.Name != "in-1.txt" || f.Size != c.in.sizes[1] {
		t.Fatalf("in-1.txt described as %+v", f)
	}
	close(c.stop)
}
