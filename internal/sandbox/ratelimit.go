package sandbox

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter enforces amoCRM's per-integration limit: a token bucket per bearer
// token, refilled at rps with a burst of rps requests. It is driven by the
// server's clock, so a fake clock makes it exact in tests. Rejected requests
// consume nothing. amoCRM sends no Retry-After with its 429, and neither
// does the sandbox.
type limiter struct {
	rps float64
	mu  sync.Mutex
	per map[string]*rate.Limiter
}

func newLimiter(rps float64) *limiter {
	return &limiter{rps: rps, per: map[string]*rate.Limiter{}}
}

// allow reports whether the token (by id) may make a request at now. Only
// authenticated token ids reach it, so the map is bounded by issued tokens.
func (l *limiter) allow(tokenID string, now time.Time) bool {
	if l.rps <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.per[tokenID]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(l.rps), int(math.Ceil(l.rps)))
		l.per[tokenID] = lim
	}
	return lim.AllowN(now, 1)
}
