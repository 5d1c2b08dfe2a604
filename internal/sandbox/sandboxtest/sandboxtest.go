// Package sandboxtest serves the amoCRM sandbox to tests. It lives apart
// from package sandbox so that the production binary, which serves the
// sandbox as a subcommand, does not link the testing package.
package sandboxtest

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// Start serves a new sandbox on 127.0.0.1 for the test's lifetime and
// returns it with its base URL.
func Start(t testing.TB, opts sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	s, err := sandbox.New(opts)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	ts := httptest.NewServer(s) // httptest listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// Clock is a settable time source for Options.Now, so tests step through
// token lifetimes, rate limits, search lag and blocks without waiting.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at a fixed date.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
