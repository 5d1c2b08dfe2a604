package orders

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// The run report lists, every pass, the orders that wait and why: an order
// that is not a deal yet is never silent.

// leftWaiting remembers an order the pass leaves waiting, with why.
func (m *memory) leftWaiting(id int64, num, reason string) {
	m.waits[id] = waiting{title: orderRecord(id, num).Title, reason: reason}
}

// notPlacedWait is why an order not placed yet waits, and how long.
func (m *memory) notPlacedWait(id, status int64, abandon time.Duration) string {
	next := fmt.Sprintf("sent once placed; forgotten after sync.abandon_after (%s)", abandon)
	if status == 0 && !m.zero[id] {
		next = fmt.Sprintf("sent once they are written; parked after sync.abandon_after (%s)", abandon)
	}
	return m.notPlaced(id, status) + ": " + next
}

// futureWait is why an order dated in the future waits. The database's
// clock is in the warning logged with it, not here: a dry run and the real
// run a second later report the same reason.
func futureWait(created time.Time) string {
	return fmt.Sprintf("dated in the future (createdon %s is ahead of the database's clock): sent one sync.settle after it appeared",
		created.Format(time.DateTime))
}

// youngWait is why the newest orders wait: the reader stopped at the
// first one younger than settle, the rows after it being written later.
func youngWait(settle time.Duration) string {
	return fmt.Sprintf("younger than sync.settle (%s): read on the next pass, with the orders after it", settle)
}

// waitReport is the pass's last batch: an entry for each order it leaves
// waiting, in id order. Entries that inform: nothing is written.
func (s *Source) waitReport(context.Context) (*syncer.Batch, error) {
	if len(s.mem.waits) == 0 {
		return nil, nil
	}
	pl := s.env.Plan(syncer.SourceOrders, plan.KindOrder)
	for _, id := range slices.Sorted(maps.Keys(s.mem.waits)) {
		w := s.mem.waits[id]
		pl.Info = append(pl.Info, plan.Entry{Source: syncer.SourceOrders, Kind: "wait", SourceID: id, Key: plan.Record{Kind: plan.KindOrder, ID: id}.Key(),
			Action: plan.Skip, Title: w.title, Reason: "waits: " + w.reason})
	}
	clear(s.mem.waits)
	return &syncer.Batch{Plan: pl}, nil
}
