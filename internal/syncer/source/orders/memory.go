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
	// zero are the orders at status 0 looked at in this pass: true when
	// their products and address are written. Status 0 lasts only inside
	// miniShop2's submit(); one that has both and has settled is a placed
	// order whose changeOrderStatus() failed (4.4.1's issue #950).
	zero map[int64]bool
	// waits are the orders this pass leaves waiting, with why: the run
	// report lists them every pass (waits.go).
	waits map[int64]waiting
	// held are new orders whose deal waits for more deals to share a
	// request with: the waiting list plans them again.
	held map[int64]bool
}

// waiting is an order left waiting, as the report names it.
type waiting struct {
	title, reason string
}

func newMemory() *memory {
	return &memory{planned: map[int64]bool{}, unsettled: map[int64]bool{}, retried: map[int64]bool{}, whole: map[int64]bool{},
		zero: map[int64]bool{}, waits: map[int64]waiting{}, held: map[int64]bool{}}
}

// heldReason is why a new order's deal waits a moment.
const heldReason = "sent with the next deals of known customers, to fill a request"

// plannedBefore reports whether this pass already planned order id: as a
// new order, or from a queue.
func (m *memory) plannedBefore(id int64) bool {
	return m.planned[id] || id > m.newFrom && id <= m.mark && !m.held[id]
}

// compared reports whether the comparison of edits takes order id: not a
// new order of this pass, nor one written whole or not settled in it.
func (m *memory) compared(id int64) bool {
	return id <= m.newFrom && !m.whole[id] && !m.unsettled[id]
}

// notPlaced says why order id with this status is not an order yet, or "":
// at status 0 without its products or address (still inside submit()), or
// a cart. An order at 0 is asked about (zero) before it is decided.
func (m *memory) notPlaced(id, status int64) string {
	switch {
	case status == 0 && !m.zero[id]:
		return "status 0 without its products or address yet"
	case m.draft != 0 && status == m.draft:
		return fmt.Sprintf("a cart (draft status %d)", m.draft)
	}
	return ""
}

// verdict is what becomes of an order that is not sent as it is read.
type verdict int

const (
	send   verdict = iota
	wait           // remembered as waiting
	park           // at status 0 without its products or address longer than sync.abandon_after
	forget         // a cart older than sync.abandon_after
	hold           // not settled yet: it stays waiting
)

// arriving decides about a new order that has settled: placed ones (also
// at status 0 with products and address) are sent; the others wait from
// since (their createdon: a historical row is not new) until
// sync.abandon_after, after which one at status 0 is parked and a cart
// forgotten.
func (m *memory) arriving(id, status int64, created time.Time, clock source.Clock, abandon time.Duration) (v verdict, since time.Time) {
	since = clock.Since(created)
	switch {
	case m.notPlaced(id, status) == "":
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
func (m *memory) waited(id, status int64, created, since time.Time, clock source.Clock, abandon time.Duration) verdict {
	switch {
	case !clock.Ready(created, since):
		return hold
	case m.notPlaced(id, status) == "":
		return send
	case clock.Now.Sub(since) <= abandon:
		return wait
	case status == 0:
		return park
	}
	return forget
}

// stuckReason is why an order still at status 0 without its products or
// address is parked: the checkout died before writing them.
func stuckReason(created time.Time, abandon time.Duration) string {
	return fmt.Sprintf("still at status 0 without its products or address since %s, longer than sync.abandon_after (%s): "+
		"the checkout failed before writing them; sent once they are written or its status is set",
		created.Format("2006-01-02 15:04 MST"), abandon)
}
