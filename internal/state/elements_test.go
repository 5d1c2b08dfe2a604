package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func TestElements(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now))
	ctx := context.Background()
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutElements([]state.Element{
			{CatalogID: 7001, ProductID: 100, ElementID: 80000001, Hash: hash(1)},
			{CatalogID: 7001, ProductID: 200, ElementID: 80000002, Hash: hash(2)},
			{CatalogID: 7002, ProductID: 100, ElementID: 80000003, Hash: hash(3)}, // the same product in another list
		})
	})
	clk.Add(time.Hour)
	commit(t, s, func(tx *state.Tx) error { // renamed: the element was updated
		return tx.PutElements([]state.Element{{CatalogID: 7001, ProductID: 200, ElementID: 80000002, Hash: hash(4)}})
	})
	got, err := s.Elements(ctx, 7001, []int64{100, 200, 300})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[100].ElementID != 80000001 || got[200].Hash != hash(4) || !got[200].UpdatedAt.Equal(clk.Now()) ||
		!got[100].UpdatedAt.Equal(newClock().Now()) {
		t.Errorf("Elements = %+v", got)
	}
	if other, err := s.Elements(ctx, 7002, []int64{100}); err != nil || other[100].ElementID != 80000003 {
		t.Errorf("the other list's = %+v, %v", other, err)
	}
	if none, err := s.Elements(ctx, 7001, nil); err != nil || len(none) != 0 {
		t.Errorf("Elements(no ids) = %v, %v", none, err)
	}
}
