package transform

import (
	"slices"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestSignature(t *testing.T) {
	moscow := time.FixedZone("MSK", 3*3600)
	base := shop.OrderSignature{ID: 7, Status: 2, Cost: "1499.50", CartCost: "1200.00", DeliveryCost: "299.50", Weight: "1.250",
		UpdatedOn: time.Date(2025, 3, 1, 12, 30, 0, 0, moscow)}
	same := []struct {
		name string
		edit func(*shop.OrderSignature)
	}{
		{"decimals by value", func(s *shop.OrderSignature) { s.Cost, s.CartCost, s.Weight = "1499.5", "1200", "01.25" }},
		{"updatedon by its wall clock", func(s *shop.OrderSignature) {
			s.UpdatedOn = time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC)
		}},
		{"the id is not part of it", func(s *shop.OrderSignature) { s.ID = 8 }},
	}
	for _, tc := range same {
		s := base
		tc.edit(&s)
		if Signature(s) != Signature(base) {
			t.Errorf("%s: the signature changed", tc.name)
		}
	}
	differ := []struct {
		name string
		edit func(*shop.OrderSignature)
	}{
		{"status", func(s *shop.OrderSignature) { s.Status = 3 }},
		{"cost", func(s *shop.OrderSignature) { s.Cost = "1499.51" }},
		{"cart cost", func(s *shop.OrderSignature) { s.CartCost = "1300.00" }},
		{"delivery cost", func(s *shop.OrderSignature) { s.DeliveryCost = "0.00" }},
		{"weight", func(s *shop.OrderSignature) { s.Weight = "1.251" }},
		{"updatedon", func(s *shop.OrderSignature) { s.UpdatedOn = s.UpdatedOn.Add(time.Second) }},
		{"updatedon set to NULL", func(s *shop.OrderSignature) { s.UpdatedOn = time.Time{} }},
		{"a cost moved to another column", func(s *shop.OrderSignature) { s.CartCost, s.DeliveryCost = s.DeliveryCost, s.CartCost }},
	}
	for _, tc := range differ {
		s := base
		tc.edit(&s)
		if Signature(s) == Signature(base) {
			t.Errorf("%s: the signature did not change", tc.name)
		}
	}
}

func TestSignatureOfAFullOrderEqualsItsRow(t *testing.T) {
	o := testOrder()
	o.UpdatedOn = time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC)
	row := shop.OrderSignature{ID: o.ID, Status: o.Status, Cost: o.Cost, CartCost: o.CartCost, DeliveryCost: o.DeliveryCost,
		Weight: o.Weight, UpdatedOn: o.UpdatedOn}
	if SignatureOf(o) != Signature(row) {
		t.Error("an order read in full and its row in a scan sign differently")
	}
}

func TestEditedOrders(t *testing.T) {
	row := func(id int64, cost string) shop.OrderSignature {
		return shop.OrderSignature{ID: id, Status: 1, Cost: cost}
	}
	recorded := map[int64]int64{
		1: Signature(row(1, "100")),
		2: Signature(row(2, "100")),
		3: Signature(row(3, "100")),
		5: Signature(row(5, "100")),
	}
	rows := []shop.OrderSignature{row(1, "100"), row(3, "150"), row(4, "100"), row(5, "100.00")}
	edited, deleted := EditedOrders(recorded, rows)
	if want := []int64{3}; !slices.Equal(edited, want) {
		t.Errorf("edited: got %v, want %v", edited, want)
	}
	if want := []int64{2}; !slices.Equal(deleted, want) {
		t.Errorf("deleted: got %v, want %v (order 4 was never recorded: not ours)", deleted, want)
	}
}
