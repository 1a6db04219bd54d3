package coordinator

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// Closing the front closes its RPC connections before it waits for the
// HTTP requests in flight: a request whose handler waits for the RPC
// connection to close still ends as it should, where it would be cut
// after the second Shutdown allows if the connections were closed after
// it. A connection tracked once the front closes is closed at once.
func TestFrontClosesRPCBeforeHTTP(t *testing.T) {
	f := newFront(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	server, client := net.Pipe()
	defer client.Close()
	rpcClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, client) // ends when server is closed
		close(rpcClosed)
	}()
	f.track(server)
	entered := make(chan struct{})
	f.http = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-rpcClosed:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	go f.http.Serve(ln)
	status := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-entered
	f.close()
	select {
	case got := <-status:
		if got != http.StatusOK {
			t.Fatalf("the request in flight ended with %d, want 200: the RPC connection was not closed before the HTTP server waited", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to the request in flight")
	}
	late, other := net.Pipe()
	defer other.Close()
	f.track(late)
	if _, err := late.Write([]byte{1}); err == nil {
		t.Fatal("a connection tracked after close is open")
	}
	if _, tracked := f.conns[late]; tracked {
		t.Fatal("a connection tracked after close is counted")
	}
}
