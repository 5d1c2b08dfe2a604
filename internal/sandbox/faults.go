package sandbox

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults are failures injected into /api/v4 requests. The zero value
// injects nothing.
type Faults struct {
	// ErrorRate is the share (0..1) of API requests answered with an HTML
	// 500, 502 or 503 instead of being served. The sequence is seeded, so a
	// run is repeatable.
	ErrorRate float64
	// BatchLimit answers 504 to any write whose body has more items.
	BatchLimit int
	// Latency delays every response (also OAuth), for client timeouts.
	Latency time.Duration
	// DropAfterWrite accepts and stores the next n successful writes
	// (POST/PATCH), then closes each connection without a response.
	DropAfterWrite int
	// Blocked answers 403 with nginx's HTML page to everything, as an
	// account blocked for rate abuse.
	Blocked bool
	// Unpaid answers 402 problem+json to every API request.
	Unpaid bool
}

type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func newFaultState() *faultState {
	return &faultState{rng: rand.New(rand.NewPCG(1, 2))}
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// injected returns the status of an injected failure for a request with
// the given number of body items, or 0.
func (fs *faultState) injected(items int) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f.BatchLimit > 0 && items > fs.f.BatchLimit {
		return http.StatusGatewayTimeout
	}
	if fs.f.ErrorRate > 0 && fs.rng.Float64() < fs.f.ErrorRate {
		return []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[fs.rng.IntN(3)]
	}
	return 0
}

// shouldDrop reports whether the response to this (already applied) write
// must be dropped, and counts it.
func (fs *faultState) shouldDrop(r *http.Request, status int) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, "/api/") || status >= 300 {
		return false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f.DropAfterWrite <= 0 {
		return false
	}
	fs.f.DropAfterWrite--
	return true
}

// dropConnection closes the client connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	// net/http closes the connection on this panic without logging it.
	panic(http.ErrAbortHandler)
}

// sleep waits d unless ctx ends first; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
