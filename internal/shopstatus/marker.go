package shopstatus

import (
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Marker is a status write about to start, kept as a pending marker (kind
// MarkerKind, the order's id) so that a crash between its steps is
// finished, or dropped, by the next pass: the shop's tables are usually
// MyISAM, so the status and its log row are two writes that cannot be
// undone together.
type Marker struct {
	Order    int64
	From, To int64 // the shop statuses
	Amo      int64 // the amoCRM status the deal was at
	AfterLog int64 // the order's newest log row before the write
	At       int64 // the write's time (Unix seconds), its updatedon
}

const markerFormat = "%d>%d amo=%d log>%d at=%d"

// Key is the marker's lookup key in the state.
func (m Marker) Key() string {
	return fmt.Sprintf(markerFormat, m.From, m.To, m.Amo, m.AfterLog, m.At)
}

// ParseMarker reads the marker of order from its key.
func ParseMarker(order int64, key string) (Marker, error) {
	m := Marker{Order: order}
	if _, err := fmt.Sscanf(key, markerFormat, &m.From, &m.To, &m.Amo, &m.AfterLog, &m.At); err != nil {
		return m, fmt.Errorf("status write marker of order %d: %q: %w", order, key, err)
	}
	return m, nil
}

// Step is what an interrupted write still needs.
type Step int

const (
	// Drop: the write never moved the order, or the shop has moved it on
	// since; the events it came from are read again and decide anew.
	Drop Step = iota
	// Link: the write is whole; only the state is left to record it.
	Link
	// LogThenLink: the write moved the order and its log row is missing:
	// write the row, then record it.
	LogThenLink
)

// Resumed is an interrupted write and what the pass does about it.
type Resumed struct {
	Marker Marker
	Order  Order
	Step   Step
}

// Resume decides what the marker's write needs from the order as the shop
// has it now (nil: deleted) and whether the write's log row exists. An
// order at the write's status with the write's updatedon was moved by it
// (the shop's own status changes leave updatedon alone), so only then is a
// log row added.
func Resume(m Marker, o *shop.OrderState, logged bool) *Resumed {
	r := &Resumed{Marker: m, Step: Drop}
	if o == nil {
		return r
	}
	r.Order = Order{OrderState: *o}
	switch {
	case logged:
		r.Step = Link
	case o.Status == m.To && o.UpdatedOn.Unix() == m.At:
		r.Step = LogThenLink
	}
	return r
}
