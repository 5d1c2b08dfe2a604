package notify

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// Heartbeat ties watchdog keep-alives to the progress of the scheduler loop:
// the loop calls Beat while it is idle and as a pass makes progress, and Run
// pings systemd only while the last beat is recent. A wedged pass stops the
// beats, the pings stop with them, and systemd restarts the service.
//
// A nil *Heartbeat ignores beats, so code driven outside systemd need not
// create one.
type Heartbeat struct {
	// Beats are kept as offsets from start on the monotonic clock, so a
	// wall-clock step (NTP) neither kills nor hides a wedged loop.
	start time.Time
	last  atomic.Int64 // nanoseconds from start to the last beat
}

// NewHeartbeat returns a heartbeat whose first beat is now.
func NewHeartbeat() *Heartbeat {
	return &Heartbeat{start: time.Now()}
}

// Beat records progress. It is cheap enough to call per batch.
func (h *Heartbeat) Beat() {
	if h == nil {
		return
	}
	h.last.Store(int64(time.Since(h.start)))
}

// alive reports whether the last beat is younger than maxAge.
func (h *Heartbeat) alive(maxAge time.Duration) bool {
	return time.Since(h.start)-time.Duration(h.last.Load()) < maxAge
}

// Run sends WATCHDOG=1 every interval/2 for as long as the last beat is
// younger than interval, until ctx is done. interval is systemd's watchdog
// timeout (WatchdogInterval); the loop must beat at least that often.
//
//	if d, ok := notify.WatchdogInterval(); ok {
//		go hb.Run(ctx, d)
//	}
func (h *Heartbeat) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("watchdog interval %v: must be positive", interval)
	}
	tick := time.NewTicker(interval / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if !h.alive(interval) {
				continue
			}
			if err := Watchdog(); err != nil {
				return err
			}
		}
	}
}
