package orders

import (
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// memory is what the orders source remembers within a pass, so that each
// order is planned once a pass, at its current status, whichever reader
// reaches it first.
type memory struct {
	draft   int64 // the shop's draft status; 0: it has no drafts
	newFrom int64 // the orders watermark the pass began at
	mark    int64 // where the new orders stand: newFrom up to it were read as new
	// planned are orders a queue planned (pending, waiting, parked, a
	// status log): the set stays as small as those lists. unsettled are
	// orders seen and not settled yet: their status logs leave them to the
	// waiting list. retried are parked orders retried in this pass. whole
	// are orders a queue planned to write whole (created, found, re-sent):
	// their snapshot is taken with it, so the comparison leaves them be.
	planned, unsettled, retried, whole map[int64]bool
}

func newMemory() *memory {
	return &memory{planned: map[int64]bool{}, unsettled: map[int64]bool{}, retried: map[int64]bool{}, whole: map[int64]bool{}}
}

// plannedBefore reports whether this pass already planned order id: as a
// new order, or from a queue.
func (m *memory) plannedBefore(id int64) bool {
	return m.planned[id] || id > m.newFrom && id <= m.mark
}

// compared reports whether the comparison of edits takes order id: not a
// new order of this pass, nor one written whole or not settled in it.
func (m *memory) compared(id int64) bool {
	return id <= m.newFrom && !m.whole[id] && !m.unsettled[id]
}

// notPlaced says why an order with this status is not an order yet, or "".
func (m *memory) notPlaced(status int64) string {
	switch {
	case status == 0:
		return "status 0: still being written"
	case m.draft != 0 && status == m.draft:
		return "draft (cart)"
	}
	return ""
}

// verdict is what becomes of an order that is not sent as it is read.
type verdict int

const (
	send   verdict = iota
	wait           // remembered as waiting
	park           // at status 0 longer than sync.abandon_after
	forget         // a cart older than sync.abandon_after
	hold           // not settled yet: it stays waiting
)

// arriving decides about a new order that has settled: placed ones are
// sent; the others wait from since (their createdon: a historical row is
// not new) until sync.abandon_after, after which one at status 0 is parked
// and a cart forgotten.
func (m *memory) arriving(status int64, created time.Time, clock source.Clock, abandon time.Duration) (v verdict, since time.Time) {
	since = clock.Since(created)
	switch {
	case m.notPlaced(status) == "":
		return send, since
	case clock.Now.Sub(since) <= abandon:
		return wait, since
	case status == 0:
		return park, since
	}
	return forget, since
}

// waited decides about an order that was waiting since since: one not
// settled yet holds, a placed one is sent, one still not placed waits
// until sync.abandon_after, then is parked (status 0) or forgotten.
func (m *memory) waited(status int64, created, since time.Time, clock source.Clock, abandon time.Duration) verdict {
	switch {
	case !clock.Ready(created, since):
		return hold
	case m.notPlaced(status) == "":
		return send
	case clock.Now.Sub(since) <= abandon:
		return wait
	case status == 0:
		return park
	}
	return forget
}

// stuckReason is why an order still at status 0 is parked.
func stuckReason(created time.Time, abandon time.Duration) string {
	return fmt.Sprintf("still at status 0 since %s, longer than sync.abandon_after (%s): not placed, or placed by "+
		"miniShop2 4.4.1, which leaves new orders there (its issue #950); sent once its status is set",
		created.Format("2006-01-02 15:04 MST"), abandon)
}
