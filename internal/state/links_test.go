package state_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func hash(n int) string { return fmt.Sprintf("%064x", n) }

func TestLinks(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now))
	ctx := context.Background()
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutLinks([]plan.Link{
			{Kind: "order", SourceID: 1, AmoID: 9001, Hash: hash(1)},
			{Kind: "order", SourceID: 2, AmoID: 9002, Hash: hash(2)},
			{Kind: "form", SourceID: 1, AmoID: 7001, Hash: hash(3)},
		})
	})
	clk.Add(time.Hour)
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutLinks([]plan.Link{{Kind: "order", SourceID: 2, AmoID: 9003, Hash: hash(4)}})
	})

	got, err := s.Links(ctx, "order", []int64{1, 2, 3})
	if err != nil {
		t.Fatalf("Links: %v", err)
	}
	want := map[int64]plan.Link{
		1: {Kind: "order", SourceID: 1, AmoID: 9001, Hash: hash(1)},
		2: {Kind: "order", SourceID: 2, AmoID: 9003, Hash: hash(4)},
	}
	if !maps.Equal(got, want) {
		t.Errorf("Links = %v, want %v", got, want)
	}
	if got, err := s.Links(ctx, "order", nil); err != nil || len(got) != 0 {
		t.Errorf("Links(no ids) = %v, %v; want empty", got, err)
	}

}

func TestLinksByAmoIDs(t *testing.T) {
	s, _ := newStore(t)
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutLinks([]plan.Link{
			{Kind: "order", SourceID: 3, AmoID: 9001, Hash: hash(1)},
			{Kind: "order", SourceID: 1, AmoID: 9001, Hash: hash(2)}, // two orders, one deal
			{Kind: "order", SourceID: 2, AmoID: 9002, Hash: hash(3)},
			{Kind: "form", SourceID: 4, AmoID: 9003, Hash: hash(4)},
		})
	})
	got, err := s.LinksByAmoIDs(context.Background(), "order", []int64{9001, 9002, 9003, 9004})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[int64][]int64{}
	for amo, ls := range got {
		for _, l := range ls {
			sources[amo] = append(sources[amo], l.SourceID)
		}
	}
	if want := map[int64][]int64{9001: {1, 3}, 9002: {2}}; fmt.Sprint(sources) != fmt.Sprint(want) {
		t.Errorf("orders by deal: got %v, want %v", sources, want)
	}
}

// More ids than one IN list holds, written in more than one INSERT.
func TestLinks_ManyIDs(t *testing.T) {
	s, _ := newStore(t)
	const n = 2500
	var links []plan.Link
	for id := int64(1); id <= n; id += 2 {
		links = append(links, plan.Link{Kind: "order", SourceID: id, AmoID: id * 10, Hash: strings.Repeat("a", 64)})
	}
	commit(t, s, func(tx *state.Tx) error { return tx.PutLinks(links) })
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	got, err := s.Links(context.Background(), "order", ids)
	if err != nil {
		t.Fatalf("Links: %v", err)
	}
	if len(got) != (n+1)/2 || got[n-1].AmoID != (n-1)*10 {
		t.Errorf("Links of %d ids: %d links, last %+v; want %d", n, len(got), got[n-1], (n+1)/2)
	}
}

// BenchmarkCommit commits a batch of 50 links and a watermark, the shape of
// one applied amoCRM batch.
func BenchmarkCommit(b *testing.B) {
	for _, bc := range []struct {
		name string
		put  func(tx *state.Tx, links []plan.Link) error
	}{
		{"PutLinks", (*state.Tx).PutLinks},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, _ := newStore(b)
			ctx := context.Background()
			links := make([]plan.Link, 50)
			var next int64
			for b.Loop() {
				for i := range links {
					next++
					links[i] = plan.Link{Kind: "order", SourceID: next, AmoID: next, Hash: hash(int(next))}
				}
				err := s.Commit(ctx, func(tx *state.Tx) error {
					if err := bc.put(tx, links); err != nil {
						return err
					}
					return tx.SetWatermark("orders", next)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
