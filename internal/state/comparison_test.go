package state_test

import (
	"context"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// The comparison of linked orders with what their deals last got, as the
// engine's comparison source runs it: a keyset page of the signatures the
// state recorded, the same ids' rows in the shop, the pure comparison. Two
// statements a page, whatever the page holds; nothing else is read for an
// order that did not change.

// comparison is a shop and a state whose every order is linked, as after a
// backfill, each reached through a relay that counts its statements.
type comparison struct {
	ctx                context.Context
	o                  modxtest.Options
	raw                *sqlx.DB
	shop               *modx.DB
	store              *state.Store
	shopStmts, stStmts *testdb.Commands
	ds                 *modxtest.Dataset
}

func newComparison(tb testing.TB, o modxtest.Options, orders int) *comparison {
	tb.Helper()
	c := &comparison{ctx: context.Background(), o: o}
	var dsn string
	c.raw, dsn = testdb.New(tb)
	if err := modxtest.Create(c.ctx, c.raw, o); err != nil {
		tb.Fatal(err)
	}
	var err error
	c.ds, err = modxtest.Generate(c.ctx, c.raw, modxtest.GenOptions{Prefix: o.Prefix, Generation: o.Generation, Orders: orders,
		Users: max(orders/10, 10), Seed: 23})
	if err != nil {
		tb.Fatal(err)
	}
	shopDSN, shopStmts := testdb.CountCommands(tb, testdb.User(tb, dsn, "SELECT ON {{db}}.*"))
	c.shopStmts = shopStmts
	if c.shop, err = modx.Open(c.ctx, shopDSN, modx.Options{Prefix: o.Prefix}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.shop.Close() })

	_, stateDSN := testdb.New(tb)
	stateDSN, c.stStmts = testdb.CountCommands(tb, stateDSN)
	stateDB, err := sqlx.Open("mysql", stateDSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stateDB.Close() })
	if c.store, err = state.Open(stateDB, prefix); err != nil {
		tb.Fatal(err)
	}
	if err := c.store.Migrate(c.ctx); err != nil {
		tb.Fatal(err)
	}
	c.linkAll(tb)
	return c
}

// linkAll records every order of the shop as sent, with a snapshot of a
// typical size.
func (c *comparison) linkAll(tb testing.TB) {
	tb.Helper()
	snapshot := make([]byte, 72)
	for first := c.ds.FirstOrderID; first <= c.ds.LastOrderID; first += 5000 {
		var ids []int64
		for id := first; id < first+5000 && id <= c.ds.LastOrderID; id++ {
			ids = append(ids, id)
		}
		rows, err := c.shop.OrderSignatures(c.ctx, ids)
		if err != nil {
			tb.Fatal(err)
		}
		sent := make([]state.OrderSent, len(rows))
		for i, r := range rows {
			sent[i] = state.OrderSent{OrderID: r.ID, Signature: transform.Signature(r), Sent: snapshot}
		}
		if err := c.store.Commit(c.ctx, func(tx *state.Tx) error { return tx.PutOrdersSent(sent) }); err != nil {
			tb.Fatal(err)
		}
	}
}

// passStats is what a pass cost: the most heap in use after a page, and
// the time spent reading each side.
type passStats struct {
	heap        uint64
	state, shop time.Duration
}

// pass compares every linked order, page orders at a time, and returns the
// edited and deleted ones and what it cost.
func (c *comparison) pass(tb testing.TB, page int) (edited, deleted []int64, st passStats) {
	tb.Helper()
	var ms runtime.MemStats
	for after := int64(0); ; {
		t0 := time.Now()
		recorded, last, err := c.store.OrderSignatures(c.ctx, after, page)
		if err != nil {
			tb.Fatal(err)
		}
		t1 := time.Now()
		rows, err := c.shop.OrderSignatures(c.ctx, slices.Sorted(maps.Keys(recorded)))
		if err != nil {
			tb.Fatal(err)
		}
		st.state, st.shop = st.state+t1.Sub(t0), st.shop+time.Since(t1)
		e, d := transform.EditedOrders(recorded, rows)
		edited, deleted = append(edited, e...), append(deleted, d...)
		runtime.ReadMemStats(&ms)
		st.heap = max(st.heap, ms.HeapInuse)
		if len(recorded) < page {
			return edited, deleted, st
		}
		after = last
	}
}

// TestComparisonFindsEditsAndDeletions edits and deletes orders of a
// generated shop the way the back office does and runs the comparison:
// it finds exactly the orders whose own row changed, and the deleted ones,
// in two statements a page.
func TestComparisonFindsEditsAndDeletions(t *testing.T) {
	for _, o := range []modxtest.Options{
		{Prefix: "modx_", Generation: modxtest.Gen4x, MyISAM: true},
		{Prefix: "modx_", Generation: modxtest.GenMS3},
	} {
		t.Run(o.Generation, func(t *testing.T) {
			c := newComparison(t, o, 2500)
			first := c.ds.FirstOrderID
			at := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
			comment := "уточнить адрес"
			// Lines change only while an order's status is not final.
			open := func(after int64) (order, line int64) {
				status := "status"
				if o.Generation == modxtest.GenMS3 {
					status = "status_id"
				}
				q := "SELECT o.id, MIN(l.id) FROM `modx_" + shopTable(o, "orders") + "` o JOIN `modx_" + shopTable(o, "order_statuses") +
					"` s ON s.id = o." + status + " AND s.final = 0 JOIN `modx_" + shopTable(o, "order_products") +
					"` l ON l.order_id = o.id WHERE o.id > ? GROUP BY o.id ORDER BY o.id LIMIT 1"
				if err := c.raw.QueryRow(q, after).Scan(&order, &line); err != nil {
					t.Fatal(err)
				}
				return order, line
			}
			added, _ := open(first + 1500)
			lineOrder, lineOf := open(first + 40)
			edits := []struct {
				order int64
				do    func() error
			}{
				{first + 10, func() error {
					return modxtest.SaveOrder(c.ctx, c.raw, o, first+10, modxtest.OrderSave{Manager: c.ds.ManagerID, At: at, Comment: &comment})
				}},
				{added, func() error {
					_, err := modxtest.AddOrderLine(c.ctx, c.raw, o, added, modxtest.LineSpec{Name: "Шнурки", Price: "10.00"}, c.ds.ManagerID, at)
					return err
				}},
				{lineOrder, func() error {
					return modxtest.UpdateOrderLine(c.ctx, c.raw, o, lineOf, modxtest.LineChange{Count: 7}, c.ds.ManagerID, at)
				}},
				{first + 2400, func() error {
					return modxtest.PluginEdit(c.ctx, c.raw, o, "orders", first+2400, map[string]any{"weight": "9.999"})
				}},
			}
			var want []int64
			for _, e := range edits {
				if err := e.do(); err != nil {
					t.Fatalf("edit order %d: %v", e.order, err)
				}
				want = append(want, e.order)
			}
			slices.Sort(want)
			deletedWant := []int64{first + 5, first + 1999}
			for _, id := range deletedWant {
				if err := modxtest.DeleteOrder(c.ctx, c.raw, o, id, c.ds.ManagerID, at); err != nil {
					t.Fatal(err)
				}
			}
			shopBefore, stateBefore := c.shopStmts.Statements(), c.stStmts.Statements()
			edited, deleted, _ := c.pass(t, 1000)
			if !slices.Equal(edited, want) {
				t.Errorf("edited: got %v, want %v", edited, want)
			}
			if !slices.Equal(deleted, deletedWant) {
				t.Errorf("deleted: got %v, want %v", deleted, deletedWant)
			}
			// 2500 orders, 2 deleted since: pages of 1000, 1000 and 498.
			if n := c.shopStmts.Statements() - shopBefore; n != 3 {
				t.Errorf("%d statements to the shop, want 3 (one a page)", n)
			}
			if n := c.stStmts.Statements() - stateBefore; n != 3 {
				t.Errorf("%d statements to the state, want 3 (one a page)", n)
			}
		})
	}
}

func shopTable(o modxtest.Options, name string) string {
	if o.Generation == modxtest.GenMS3 {
		return "ms3_" + name
	}
	return "ms2_" + name
}

// BenchmarkComparison compares every order of a generated miniShop2 4.x
// shop (MyISAM, as real ones are) of MXAMO_BENCH_ORDERS orders (default
// 1,000,000), all linked and none changed: the hourly comparison of an idle
// big shop. It reports the statements each side ran and the most heap in
// use, for pages of 1,000, 5,000 and 10,000 orders. It asks amoCRM nothing.
//
//	go test -run '^$' -bench Comparison -benchtime 3x -timeout 60m ./internal/state/
func BenchmarkComparison(b *testing.B) {
	orders := 1000000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	c := newComparison(b, modxtest.Options{Prefix: "modx_", MyISAM: true}, orders)
	for _, page := range []int{1000, 5000, 10000} {
		b.Run("page="+strconv.Itoa(page), func(b *testing.B) {
			b.ReportAllocs()
			shop, st := c.shopStmts.Statements(), c.stStmts.Statements()
			var sum passStats
			for b.Loop() {
				edited, deleted, s := c.pass(b, page)
				if len(edited) != 0 || len(deleted) != 0 {
					b.Fatalf("an idle shop has %d edited and %d deleted orders", len(edited), len(deleted))
				}
				sum.heap, sum.state, sum.shop = max(sum.heap, s.heap), sum.state+s.state, sum.shop+s.shop
			}
			b.ReportMetric(float64(c.shopStmts.Statements()-shop)/float64(b.N), "shop-statements/pass")
			b.ReportMetric(float64(c.stStmts.Statements()-st)/float64(b.N), "state-statements/pass")
			b.ReportMetric(sum.shop.Seconds()/float64(b.N), "shop-s/pass")
			b.ReportMetric(sum.state.Seconds()/float64(b.N), "state-s/pass")
			b.ReportMetric(float64(sum.heap)/(1<<20), "max-heap-MiB")
			b.ReportMetric(float64(orders)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
