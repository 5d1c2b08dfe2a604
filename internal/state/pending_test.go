package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func TestPending(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now))
	ctx := context.Background()
	for _, p := range []state.PendingCreate{
		{Kind: "order", SourceID: 2, Key: "2603/12", PayloadHash: hash(1), AboveID: 31000500},
		{Kind: "contact", SourceID: 5, Key: "phone:79991234567", PayloadHash: hash(2)},
		{Kind: "order", SourceID: 1, Key: "2603/11", PayloadHash: hash(3)},
	} {
		if err := s.MarkPending(ctx, p); err != nil {
			t.Fatalf("MarkPending: %v", err)
		}
		clk.Add(time.Second)
	}
	got, err := s.Pending(ctx, "order")
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	if len(got) != 2 || got[0].SourceID != 2 || got[0].Key != "2603/12" || got[0].PayloadHash != hash(1) || got[1].SourceID != 1 {
		t.Fatalf("Pending(order) = %+v, want orders 2 then 1", got)
	}
	if got[0].AboveID != 31000500 || got[1].AboveID != 0 {
		t.Errorf("AboveID = %d, %d; want 31000500 and 0", got[0].AboveID, got[1].AboveID)
	}
	if want := newClock().Now(); !got[0].CreatedAt.Equal(want) {
		t.Errorf("CreatedAt = %v, want %v", got[0].CreatedAt, want)
	}

	commit(t, s, func(tx *state.Tx) error { return tx.ClearPending("order", 2) })
	if got, err := s.Pending(ctx, "order"); err != nil || len(got) != 1 || got[0].SourceID != 1 {
		t.Errorf("Pending(order) after clear = %+v, %v; want order 1 only", got, err)
	}
	if got, err := s.Pending(ctx, "contact"); err != nil || len(got) != 1 {
		t.Errorf("Pending(contact) = %+v, %v; want 1", got, err)
	}
}

func TestWaiting(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now))
	ctx := context.Background()
	start := clk.Now()
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutWaiting(state.Waiting{Kind: "order", SourceID: 10, Reason: "status 0"})
	})
	clk.Add(time.Minute)
	commit(t, s, func(tx *state.Tx) error {
		if err := tx.PutWaiting(state.Waiting{Kind: "order", SourceID: 10, Reason: "no products yet"}); err != nil {
			return err
		}
		return tx.PutWaiting(state.Waiting{Kind: "order", SourceID: 11, Since: start.Add(-time.Hour), Reason: "status 0"})
	})
	got, err := s.Waiting(ctx, "order")
	if err != nil {
		t.Fatalf("Waiting: %v", err)
	}
	if len(got) != 2 || got[0].SourceID != 11 || got[1].SourceID != 10 {
		t.Fatalf("Waiting = %+v, want orders 11 then 10", got)
	}
	if w := got[1]; !w.Since.Equal(start) || w.Reason != "no products yet" {
		t.Errorf("Waiting order 10 = %+v, want since %v (kept) and the new reason", w, start)
	}
	commit(t, s, func(tx *state.Tx) error { return tx.DeleteWaiting("order", 11) })
	if got, err := s.Waiting(ctx, "order"); err != nil || len(got) != 1 || got[0].SourceID != 10 {
		t.Errorf("Waiting after delete = %+v, %v; want order 10 only", got, err)
	}
}
