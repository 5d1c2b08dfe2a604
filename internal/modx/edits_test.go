package modx_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// editShop is a shop of one generation with a manager and three products,
// whose order() is placed with two lines: 2 × 300.00 (0.500 kg) and
// 1 × 100.00 (1.000 kg), cost 700.00.
type editShop struct {
	t        *testing.T
	ctx      context.Context
	o        modxtest.Options
	db       *modx.DB
	raw      *sqlx.DB
	manager  int64
	products [3]int64
}

func newEditShop(t *testing.T, gen string) *editShop {
	o := modxtest.Options{Prefix: "modx_", Generation: gen, MyISAM: gen != modxtest.GenMS3}
	db, raw := newShop(t, o)
	s := &editShop{t: t, ctx: context.Background(), o: o, db: db, raw: raw}
	s.manager = must(modxtest.InsertUser(s.ctx, raw, o, modxtest.UserSpec{Username: "manager", Sudo: true}))(t)
	for i, title := range []string{"Кроссовки", "Кепка", "Носки"} {
		s.products[i] = must(modxtest.InsertProduct(s.ctx, raw, o, modxtest.ProductSpec{Title: title}))(t)
	}
	return s
}

func (s *editShop) order() int64 {
	s.t.Helper()
	return must(modxtest.InsertOrder(s.ctx, s.raw, s.o, modxtest.OrderSpec{Cost: "700.00", Manager: s.manager, Lines: []modxtest.LineSpec{
		{ProductID: s.products[0], Name: "Кроссовки", Count: 2, Price: "300.00", Weight: "0.500"},
		{ProductID: s.products[1], Name: "Кепка", Price: "100.00", Weight: "1.000"},
	}}))(s.t)
}

// signature reads an order's signature row; ok is false when it is gone.
func (s *editShop) signature(id int64) (shop.OrderSignature, bool) {
	s.t.Helper()
	rows := must(s.db.OrderSignatures(s.ctx, []int64{id}))(s.t)
	if len(rows) == 0 {
		return shop.OrderSignature{}, false
	}
	return rows[0], true
}

func (s *editShop) load(id int64) shop.Order {
	s.t.Helper()
	orders := must(s.db.LoadOrders(s.ctx, []int64{id}))(s.t)
	if len(orders) != 1 {
		s.t.Fatalf("order %d: read %d orders", id, len(orders))
	}
	return orders[0]
}

// count counts the rows of a table (without its prefix) for which
// "where = id" holds; where ends with a column.
func (s *editShop) count(table, where string, id int64) int {
	s.t.Helper()
	var n int
	if err := s.raw.Get(&n, "SELECT COUNT(*) FROM `modx_"+table+"` WHERE "+where+" = ?", id); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *editShop) shopTable(name string) string {
	if s.o.Generation == modxtest.GenMS3 {
		return "ms3_" + name
	}
	return "ms2_" + name
}

// TestBackOfficeEdits writes each edit the back office makes, per
// generation, and checks the rows it leaves and whether the order's
// signature tells it.
func TestBackOfficeEdits(t *testing.T) {
	saved := time.Date(2025, 2, 1, 9, 30, 0, 0, time.UTC)
	comment := "перезвонить после обеда"
	type edit struct {
		name    string
		gens    []string // nil: every generation
		do      func(s *editShop, id int64) error
		signed  bool // the signature changes
		check   func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature)
		refused bool
	}
	totals := func(cart, cost, weight string) func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature) {
		return func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature) {
			if after.CartCost != cart || after.Cost != cost || after.Weight != weight {
				t.Errorf("cart_cost %s, cost %s, weight %s; want %s, %s, %s", after.CartCost, after.Cost, after.Weight, cart, cost, weight)
			}
			if !after.UpdatedOn.Equal(before.UpdatedOn) {
				t.Errorf("updatedon moved from %v to %v: a line's write leaves it alone", before.UpdatedOn, after.UpdatedOn)
			}
		}
	}
	costs := func(delivery, cost string) func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature) {
		return func(t *testing.T, _ *editShop, _ int64, _, after shop.OrderSignature) {
			if after.DeliveryCost != delivery || after.Cost != cost {
				t.Errorf("delivery_cost %s, cost %s; want %s, %s", after.DeliveryCost, after.Cost, delivery, cost)
			}
		}
	}
	saveDelivery := func(s *editShop, id int64) error {
		return modxtest.SaveOrder(s.ctx, s.raw, s.o, id, modxtest.OrderSave{Manager: s.manager, At: saved, DeliveryCost: "300.00"})
	}
	line := func(s *editShop, id int64, product int) int64 {
		for _, p := range s.load(id).Products {
			if p.ProductID == s.products[product] {
				return p.ID
			}
		}
		s.t.Fatalf("order %d has no line of product %d", id, product)
		return 0
	}
	edits := []edit{
		{
			name: "window: the manager's comment",
			do: func(s *editShop, id int64) error {
				return modxtest.SaveOrder(s.ctx, s.raw, s.o, id, modxtest.OrderSave{Manager: s.manager, At: saved, Comment: &comment})
			},
			signed: true,
			check: func(t *testing.T, s *editShop, id int64, _, after shop.OrderSignature) {
				if !after.UpdatedOn.Equal(saved) {
					t.Errorf("updatedon: got %v, want the save's %v", after.UpdatedOn, saved)
				}
				if got := s.load(id).Comment; got != comment {
					t.Errorf("comment: got %q", got)
				}
				if after.Cost != "700.00" {
					t.Errorf("cost: got %s, want 700.00 (cart 700 + delivery 0)", after.Cost)
				}
				if s.o.Generation != modxtest.GenMS3 {
					var user int64
					if err := s.raw.Get(&user, "SELECT `user` FROM modx_manager_log WHERE action = 'msOrder_update' AND item = ?", itoa(id)); err != nil {
						t.Errorf("manager_log msOrder_update: %v", err)
					} else if user != s.manager {
						t.Errorf("manager_log user: got %d, want the manager %d", user, s.manager)
					}
				}
			},
		},
		{
			name: "window: the address",
			do: func(s *editShop, id int64) error {
				return modxtest.SaveOrder(s.ctx, s.raw, s.o, id, modxtest.OrderSave{Manager: s.manager, At: saved,
					Address: map[string]any{"city": "Тверь", "receiver": "Пётр Иванов", "comment": "домофон 12"}})
			},
			signed: true,
			check: func(t *testing.T, s *editShop, id int64, _, _ shop.OrderSignature) {
				a := s.load(id).Address
				if a == nil || a.City != "Тверь" || a.Receiver != "Пётр Иванов" || a.Comment != "домофон 12" {
					t.Errorf("address: got %+v", a)
				}
			},
		},
		{
			name:   "window: delivery cost, miniShop2 4.4 recomputes cost",
			gens:   []string{modxtest.Gen4x},
			do:     saveDelivery,
			signed: true,
			check:  costs("300.00", "1000.00"),
		},
		{
			name:    "window: delivery cost is read-only before miniShop2 4.4",
			gens:    []string{modxtest.Gen24, modxtest.Gen30},
			do:      saveDelivery,
			refused: true,
		},
		{
			name:   "window: delivery cost, MiniShop3 keeps cost until recalculated",
			gens:   []string{modxtest.GenMS3},
			do:     saveDelivery,
			signed: true,
			check: func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature) {
				costs("300.00", "700.00")(t, s, id, before, after)
				if n := s.count("ms3_order_logs", "action = 'field' AND order_id", id); n != 1 {
					t.Errorf("%d field log rows, want 1", n)
				}
				if err := modxtest.RecalculateOrder(s.ctx, s.raw, s.o, id, "300.00", s.manager, saved.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				if sig, _ := s.signature(id); sig.Cost != "1000.00" {
					t.Errorf("cost after the recalculation: got %s, want 1000.00", sig.Cost)
				}
			},
		},
		{
			name: "window: status, through changeOrderStatus and its log row",
			do: func(s *editShop, id int64) error {
				return modxtest.SaveOrder(s.ctx, s.raw, s.o, id, modxtest.OrderSave{Manager: s.manager, At: saved, Status: modxtest.Statuses(s.o).Paid})
			},
			signed: true,
			check: func(t *testing.T, s *editShop, id int64, before, after shop.OrderSignature) {
				if after.Status != modxtest.Statuses(s.o).Paid {
					t.Errorf("status: got %d", after.Status)
				}
				if n := s.count(s.shopTable("order_logs"), "action = 'status' AND user_id = "+itoa(s.manager)+" AND order_id", id); n != 1 {
					t.Errorf("%d status log rows by the manager, want 1", n)
				}
			},
		},
		{
			name: "line added: totals rewritten, updatedon untouched",
			do: func(s *editShop, id int64) error {
				_, err := modxtest.AddOrderLine(s.ctx, s.raw, s.o, id, modxtest.LineSpec{ProductID: s.products[2], Name: "Носки", Price: "50.00", Weight: "0.250"}, s.manager, saved)
				return err
			},
			signed: true,
			check:  totals("750.00", "750.00", "2.250"),
		},
		{
			name: "line's count changed",
			do: func(s *editShop, id int64) error {
				return modxtest.UpdateOrderLine(s.ctx, s.raw, s.o, line(s, id, 0), modxtest.LineChange{Count: 3}, s.manager, saved)
			},
			signed: true,
			check:  totals("1000.00", "1000.00", "2.500"),
		},
		{
			name: "line removed",
			do: func(s *editShop, id int64) error {
				return modxtest.RemoveOrderLine(s.ctx, s.raw, s.o, line(s, id, 1), s.manager, saved)
			},
			signed: true,
			check:  totals("600.00", "600.00", "1.000"),
		},
		{
			name: "a plugin rewrites the address alone: no trace in the order's row",
			do: func(s *editShop, id int64) error {
				return modxtest.PluginEdit(s.ctx, s.raw, s.o, "order_addresses", s.load(id).Address.ID, map[string]any{"city": "Тверь"})
			},
		},
		{
			name: "a plugin rewrites the cost",
			do: func(s *editShop, id int64) error {
				return modxtest.PluginEdit(s.ctx, s.raw, s.o, "orders", id, map[string]any{"cost": "650.00"})
			},
			signed: true,
		},
	}
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			s := newEditShop(t, gen)
			for _, e := range edits {
				if e.gens != nil && !slices.Contains(e.gens, gen) {
					continue
				}
				t.Run(e.name, func(t *testing.T) {
					s.t = t
					id := s.order()
					before, _ := s.signature(id)
					full := s.load(id)
					if got, want := transform.Signature(before), transform.SignatureOf(&full); got != want {
						t.Fatalf("the scan's signature %d differs from the full read's %d", got, want)
					}
					err := e.do(s, id)
					if e.refused {
						if !errors.Is(err, modxtest.ErrRefused) {
							t.Fatalf("got %v, want the back office's refusal", err)
						}
					} else if err != nil {
						t.Fatal(err)
					}
					after, ok := s.signature(id)
					if !ok {
						t.Fatal("the order is gone")
					}
					if changed := transform.Signature(after) != transform.Signature(before); changed != e.signed {
						t.Errorf("signature changed: %v, want %v (before %+v, after %+v)", changed, e.signed, before, after)
					}
					if e.check != nil {
						e.check(t, s, id, before, after)
					}
				})
			}
		})
	}
}

// TestDeleteOrder deletes orders the way the back office does: the order,
// its lines and its log rows go; its address goes too, except on 2.x, whose
// Address relation is no composite.
func TestDeleteOrder(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			s := newEditShop(t, gen)
			id, kept := s.order(), s.order()
			addr := s.load(id).Address.ID
			if err := modxtest.DeleteOrder(s.ctx, s.raw, s.o, id, s.manager, time.Time{}); err != nil {
				t.Fatal(err)
			}
			rows := must(s.db.OrderSignatures(s.ctx, []int64{id, kept}))(t)
			if len(rows) != 1 || rows[0].ID != kept {
				t.Fatalf("signatures after the delete: got %+v, want only order %d", rows, kept)
			}
			if n := s.count(s.shopTable("order_products"), "order_id", id); n != 0 {
				t.Errorf("%d lines left", n)
			}
			if n := s.count(s.shopTable("order_logs"), "order_id", id); n != 0 {
				t.Errorf("%d log rows left", n)
			}
			wantAddr := 0
			if gen == modxtest.Gen24 {
				wantAddr = 1
			}
			if n := s.count(s.shopTable("order_addresses"), "id", addr); n != wantAddr {
				t.Errorf("%d address rows left, want %d", n, wantAddr)
			}
			if got := len(s.load(kept).Products); got != 2 {
				t.Errorf("the other order has %d lines, want 2", got)
			}
		})
	}
}

// TestBackOfficeRefusals: miniShop2 changes no line of an order at a final
// status; MiniShop3 adds none to one and never removes an order's last line.
func TestBackOfficeRefusals(t *testing.T) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			s := newEditShop(t, gen)
			sent := must(modxtest.InsertOrder(s.ctx, s.raw, s.o, modxtest.OrderSpec{Status: modxtest.Statuses(s.o).Sent}))(t)
			_, err := modxtest.AddOrderLine(s.ctx, s.raw, s.o, sent, modxtest.LineSpec{ProductID: s.products[0]}, s.manager, time.Time{})
			if !errors.Is(err, modxtest.ErrRefused) {
				t.Errorf("a line added to a sent order: got %v, want a refusal", err)
			}
			if gen != modxtest.GenMS3 {
				return
			}
			single := must(modxtest.InsertOrder(s.ctx, s.raw, s.o, modxtest.OrderSpec{}))(t)
			if err := modxtest.RemoveOrderLine(s.ctx, s.raw, s.o, s.load(single).Products[0].ID, s.manager, time.Time{}); !errors.Is(err, modxtest.ErrRefused) {
				t.Errorf("the last line removed: got %v, want a refusal", err)
			}
		})
	}
}

// TestEditBackOffice: the edits the engine's end-to-end test makes in a
// generated shop all show in the orders' signatures.
func TestEditBackOffice(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, MyISAM: gen != modxtest.GenMS3}
			db, raw := newShop(t, o)
			ctx := context.Background()
			ds := must(modxtest.Generate(ctx, raw, modxtest.GenOptions{Prefix: o.Prefix, Generation: gen, Orders: 400, Users: 40, Seed: 3}))(t)
			var ids []int64
			for id := ds.FirstOrderID; id <= ds.LastOrderID; id++ {
				ids = append(ids, id)
			}
			recorded := map[int64]int64{}
			for _, r := range must(db.OrderSignatures(ctx, ids))(t) {
				recorded[r.ID] = transform.Signature(r)
			}
			e := must(modxtest.EditBackOffice(ctx, raw, o, ds, 4, time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)))(t)
			delivery := 4
			if gen == modxtest.Gen24 {
				delivery = 0 // its window shows the delivery cost read-only
			}
			for _, k := range []struct {
				name string
				list []int64
				want int
			}{{"products", e.Products, 4}, {"quantity", e.Quantity, 4}, {"delivery", e.Delivery, delivery},
				{"address", e.Address, 4}, {"comment", e.Comment, 4}, {"deleted", e.Deleted, 4}} {
				if len(k.list) != k.want {
					t.Errorf("%s: %d orders edited, want %d", k.name, len(k.list), k.want)
				}
			}
			edited, deleted := transform.EditedOrders(recorded, must(db.OrderSignatures(ctx, ids))(t))
			if want := e.Edited(); !slices.Equal(edited, want) {
				t.Errorf("edited: got %v, want %v", edited, want)
			}
			if want := slices.Sorted(slices.Values(e.Deleted)); !slices.Equal(deleted, want) {
				t.Errorf("deleted: got %v, want %v", deleted, want)
			}
		})
	}
}
