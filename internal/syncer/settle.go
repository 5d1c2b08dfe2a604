package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// settling applies sync.settle to new rows. A row is ready when it is older
// than settle by its own time, or when settle has passed since the
// connector first saw it, whichever comes first, both by the database
// server's clock (the shop's PHP writes rows' times by it; ours may be
// elsewhere). So a row dated in the future (a wrong clock or zone, an
// import) is sent one settle after it appeared, and the rows behind it do
// not wait for its date.
type settling struct {
	now    time.Time // the database server's clock
	settle time.Duration
}

func (s *Syncer) settling(ctx context.Context) (settling, error) {
	now, err := s.src.Now(ctx)
	if err != nil {
		return settling{}, fmt.Errorf("settle: %w", err)
	}
	return settling{now: now, settle: s.cfg.Sync.Settle.Duration}, nil
}

// ahead reports a row dated after now: it is remembered as waiting, first
// seen now, and the reader goes on past it.
func (c settling) ahead(own time.Time) bool { return own.After(c.now) }

// young reports a row dated within the last settle: it is ready by its own
// time before a settle from now, so the reader stops at it (the rows after
// it were written later still).
func (c settling) young(own time.Time) bool {
	return !own.IsZero() && own.After(c.now.Add(-c.settle)) && !c.ahead(own)
}

// ready reports whether a waiting row first seen at since is ready.
func (c settling) ready(own, since time.Time) bool {
	cut := c.now.Add(-c.settle)
	return !own.After(cut) || !since.After(cut)
}

// since is when the waiting clock of a row not placed yet starts: its own
// time (a historical row is not new), else now.
func (c settling) since(own time.Time) time.Time {
	if own.IsZero() || own.After(c.now) {
		return c.now
	}
	return own
}

// waitAndMark commits a page of new rows: the ones left waiting, and the
// watermark moved past them.
func waitAndMark(waits []state.Waiting, source string, mark int64) func(*state.Tx) error {
	return func(tx *state.Tx) error {
		for _, w := range waits {
			if err := tx.PutWaiting(w); err != nil {
				return err
			}
		}
		return tx.SetWatermark(source, mark)
	}
}
