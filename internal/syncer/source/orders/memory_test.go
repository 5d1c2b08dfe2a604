package orders

import (
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

var (
	now   = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock = source.Clock{Now: now, Settle: 5 * time.Second}
)

const abandon = time.Hour

// atZero is the order id of the tests' orders at status 0 with their
// products and address written.
const atZero = 950

// TestArriving: a settled new order is sent once placed (at status 0: with
// its products and address); one not placed yet waits from its own
// createdon until sync.abandon_after, after which a status-0 order is
// parked and a cart forgotten.
func TestArriving(t *testing.T) {
	m := newMemory()
	m.draft = 5
	m.zero[atZero], m.zero[1] = true, false
	tests := []struct {
		name      string
		id        int64
		status    int64
		created   time.Time
		want      verdict
		wantSince time.Time
	}{
		{"placed", 1, 1, now.Add(-time.Minute), send, now.Add(-time.Minute)},
		{"status 0 with products and address", atZero, 0, now.Add(-time.Minute), send, now.Add(-time.Minute)},
		{"status 0 with them, long ago", atZero, 0, now.Add(-2 * time.Hour), send, now.Add(-2 * time.Hour)},
		{"status 0, young", 1, 0, now.Add(-time.Minute), wait, now.Add(-time.Minute)},
		{"draft, young", 1, 5, now.Add(-time.Minute), wait, now.Add(-time.Minute)},
		{"status 0, abandoned", 1, 0, now.Add(-2 * time.Hour), park, now.Add(-2 * time.Hour)},
		{"draft, abandoned", 1, 5, now.Add(-2 * time.Hour), forget, now.Add(-2 * time.Hour)},
		{"no createdon: waits from now", 1, 0, time.Time{}, wait, now},
		{"dated ahead: waits from now", 1, 0, now.Add(time.Hour), wait, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, since := m.arriving(tt.id, tt.status, tt.created, clock, abandon)
			if got != tt.want || !since.Equal(tt.wantSince) {
				t.Errorf("got %d since %s, want %d since %s", got, since, tt.want, tt.wantSince)
			}
		})
	}
}

// TestWaited: a waiting order holds until it has settled (by its own time,
// or a settle after it was first seen), is sent once placed (at status 0:
// once its products and address are written), and is parked (status 0) or
// forgotten (a draft) sync.abandon_after after its clock started.
func TestWaited(t *testing.T) {
	m := newMemory()
	m.draft = 999
	m.zero[atZero] = true
	tests := []struct {
		name           string
		id, status     int64
		created, since time.Time
		want           verdict
	}{
		{"future-dated, seen just now", 1, 1, now.Add(time.Hour), now, hold},
		{"future-dated, seen a settle ago", 1, 1, now.Add(time.Hour), now.Add(-10 * time.Second), send},
		{"placed meanwhile", 1, 2, now.Add(-time.Hour), now.Add(-time.Hour), send},
		{"its products and address written meanwhile", atZero, 0, now.Add(-time.Minute), now.Add(-time.Minute), send},
		{"still at 0", 1, 0, now.Add(-time.Minute), now.Add(-time.Minute), wait},
		{"still a draft", 1, 999, now.Add(-time.Minute), now.Add(-time.Minute), wait},
		{"at 0 too long", 1, 0, now.Add(-2 * time.Hour), now.Add(-2 * time.Hour), park},
		{"a draft too long", 1, 999, now.Add(-2 * time.Hour), now.Add(-2 * time.Hour), forget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.waited(tt.id, tt.status, tt.created, tt.since, clock, abandon); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestPlannedBefore: each order is planned once a pass: the orders read as
// new (between the watermark the pass began at and where it stands) and
// those a queue planned are current; the others are not.
func TestPlannedBefore(t *testing.T) {
	m := newMemory()
	m.newFrom, m.mark = 100, 150
	m.planned[42] = true
	for id, want := range map[int64]bool{42: true, 100: false, 101: true, 150: true, 151: false, 7: false} {
		if got := m.plannedBefore(id); got != want {
			t.Errorf("order %d: planned before %v, want %v", id, got, want)
		}
	}
}

// TestNotPlaced: status 0 is inside submit() until the products and
// address are written; the draft status is a cart (4.x), and a shop
// without drafts (before 4.0) has none.
func TestNotPlaced(t *testing.T) {
	for _, tt := range []struct {
		draft, id, status int64
		placed            bool
	}{{0, 1, 0, false}, {0, atZero, 0, true}, {0, 1, 1, true}, {5, 1, 5, false}, {5, 1, 1, true}, {999, 1, 999, false}, {0, 1, 5, true}} {
		m := newMemory()
		m.draft = tt.draft
		m.zero[atZero] = true
		if got := m.notPlaced(tt.id, tt.status) == ""; got != tt.placed {
			t.Errorf("draft %d, status %d: placed %v, want %v", tt.draft, tt.status, got, tt.placed)
		}
	}
}

// TestCompared: the comparison of edits takes an order sent before this
// pass, not one this pass read as new, wrote whole or found not settled.
func TestCompared(t *testing.T) {
	m := newMemory()
	m.newFrom = 100
	m.whole[7], m.unsettled[8] = true, true
	m.planned[9] = true // moved by its status log: its snapshot is as it was
	for id, want := range map[int64]bool{1: true, 7: false, 8: false, 9: true, 100: true, 101: false} {
		if got := m.compared(id); got != want {
			t.Errorf("order %d: compared %v, want %v", id, got, want)
		}
	}
}
