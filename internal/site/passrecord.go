package site

import (
	"errors"
	"os"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// PassRecord is what `status` shows of a pass; res is nil when the pass
// failed before it began.
func PassRecord(started time.Time, res *syncer.Result, err error) state.PassRecord {
	rec := state.PassRecord{Host: Hostname(), PID: os.Getpid(), Started: started, Finished: time.Now()}
	if res != nil {
		rec.Started, rec.Finished = res.Started, res.Finished
		rec.Summary, rec.Read, rec.Parked = res.Summary(), res.Read, res.Parked
	}
	// A graceful stop is no failure: what was done is committed.
	rec.Interrupted = errors.Is(err, syncer.ErrStopped)
	if err != nil && !rec.Interrupted {
		rec.Error = err.Error()
	}
	return rec
}

// Hostname names this machine in the state (the last pass, the leader).
func Hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}
