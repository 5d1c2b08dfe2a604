package modx_test

import (
	"context"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

// TestLoadOrdersCurrentProduct: a line keeps the name it was ordered under,
// and carries the product as the shop has it now (its resource's pagetitle
// and list price), for the products list; a deleted product has neither.
func TestLoadOrdersCurrentProduct(t *testing.T) {
	for _, gen := range []string{"2.4", "4.x", modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen}
			db, raw := newShop(t, o)
			ctx := context.Background()
			boot := must(modxtest.InsertProduct(ctx, raw, o, modxtest.ProductSpec{Title: "Сапоги", Article: "SKU-1", Price: "700.00"}))(t)
			order := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Lines: []modxtest.LineSpec{
				{ProductID: boot, Name: "Сапоги", Price: "650.00"},
				{ProductID: 999999, Name: "Снятый с продажи", Price: "10.00"},
			}}))(t)
			// Renamed and repriced after the order, as in the manager.
			if _, err := raw.ExecContext(ctx, "UPDATE modx_site_content SET pagetitle = 'Сапоги зимние' WHERE id = ?", boot); err != nil {
				t.Fatal(err)
			}
			products := "modx_ms2_products"
			if gen == modxtest.GenMS3 {
				products = "modx_ms3_products"
			}
			if _, err := raw.ExecContext(ctx, "UPDATE "+products+" SET price = 720.5 WHERE id = ?", boot); err != nil {
				t.Fatal(err)
			}
			got := must(db.LoadOrders(ctx, []int64{order}))(t)
			lines := got[0].Products
			if len(lines) != 2 {
				t.Fatalf("%d lines, want 2", len(lines))
			}
			if l := lines[0]; l.Name != "Сапоги" || l.Price != "650.00" || l.Title != "Сапоги зимние" || l.ListPrice != "720.50" || l.Article != "SKU-1" {
				t.Errorf("line of a renamed product: %+v", l)
			}
			if l := lines[1]; l.Title != "" || l.ListPrice != "" || l.Name != "Снятый с продажи" {
				t.Errorf("line of a deleted product: %+v", l)
			}
		})
	}
}
