package state_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func TestOrderSignatures(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var rows []state.OrderSent
	for id := int64(1); id <= 1200; id++ {
		rows = append(rows, state.OrderSent{OrderID: id * 2, Signature: -id, Sent: []byte{byte(id), 0, 0xff}})
	}
	commit(t, s, func(tx *state.Tx) error { return tx.PutOrdersSent(rows) })
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutOrdersSent([]state.OrderSent{{OrderID: 4, Signature: 44, Sent: []byte("new")}})
	})
	commit(t, s, func(tx *state.Tx) error { return tx.MarkOrdersDeleted([]int64{6, 7}) })

	var pages [][]int64
	got := map[int64]int64{}
	for after := int64(0); ; {
		page, last, err := s.OrderSignatures(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, slices.Sorted(maps.Keys(page)))
		maps.Copy(got, page)
		if len(page) < 500 {
			break
		}
		after = last
	}
	if len(pages) != 3 || len(pages[0]) != 500 || len(pages[2]) != 1199-1000 {
		t.Errorf("pages of %d, %d, %d orders, want 500, 500, 199", len(pages[0]), len(pages[1]), len(pages[len(pages)-1]))
	}
	if len(got) != 1199 || got[4] != 44 || got[8] != -4 {
		t.Errorf("%d signatures, order 4: %d, order 8: %d; want 1199, 44, -4", len(got), got[4], got[8])
	}
	if _, ok := got[6]; ok {
		t.Error("a deleted order is still compared")
	}

	sent, err := s.SentOrders(ctx, []int64{4, 6, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 || string(sent[4]) != "new" || string(sent[8]) != "\x04\x00\xff" {
		t.Errorf("SentOrders = %v, want orders 4 and 8 only (6 was deleted, 9 never sent)", sent)
	}

	// A deleted order stays deleted whatever is recorded for it later.
	commit(t, s, func(tx *state.Tx) error {
		return tx.PutOrdersSent([]state.OrderSent{{OrderID: 6, Signature: 1, Sent: []byte("x")}})
	})
	if page, _, err := s.OrderSignatures(ctx, 5, 1); err != nil || page[6] != 0 || len(page) != 1 {
		t.Errorf("after 5: %v, %v; want order 8 only", page, err)
	}
}

func TestLinkedWithoutSignature(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	commit(t, s, func(tx *state.Tx) error {
		links := []plan.Link{{Kind: "form", SourceID: 9, AmoID: 109, Hash: hash(9)}}
		for id := int64(1); id <= 5; id++ {
			links = append(links, plan.Link{Kind: "order", SourceID: id, AmoID: 100 + id, Hash: hash(int(id))})
		}
		if err := tx.PutLinks(links); err != nil {
			return err
		}
		return tx.PutOrdersSent([]state.OrderSent{{OrderID: 2, Signature: 1, Sent: []byte{1}}})
	})
	commit(t, s, func(tx *state.Tx) error { return tx.MarkOrdersDeleted([]int64{4}) })
	got, err := s.LinkedWithoutSignature(ctx, "order", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 3}; !slices.Equal(got, want) {
		t.Errorf("first page: got %v, want %v", got, want)
	}
	got, err = s.LinkedWithoutSignature(ctx, "order", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{5}; !slices.Equal(got, want) {
		t.Errorf("second page: got %v, want %v (4 is a tombstone, the form is no order)", got, want)
	}
}
