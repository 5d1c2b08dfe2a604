package sandbox

import (
	"net/http/httptest"
	"testing"
)

// Start serves a new sandbox on 127.0.0.1 for the test's lifetime and
// returns it with its base URL.
func Start(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	ts := httptest.NewServer(s) // httptest listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return s, ts.URL
}
