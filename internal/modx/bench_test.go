package modx_test

import (
	"context"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
)

// BenchmarkLoadOrders reads a generated miniShop2 4.x and MiniShop3 shop of
// 5000 orders each in keyset pages of 500 full orders (headers, then
// LoadOrders):
//
//	go test -run '^$' -bench LoadOrders ./internal/modx/
func BenchmarkLoadOrders(b *testing.B) {
	for _, gen := range []string{modxtest.Gen4x, modxtest.GenMS3} {
		b.Run(gen, func(b *testing.B) { benchmarkLoadOrders(b, modxtest.Options{Prefix: "modx_", Generation: gen}) })
	}
}

func benchmarkLoadOrders(b *testing.B, o modxtest.Options) {
	raw, dsn := createShop(b, o)
	ctx := context.Background()
	ds, err := modxtest.Generate(ctx, raw, modxtest.GenOptions{Prefix: o.Prefix, Generation: o.Generation, Orders: 5000, Users: 500, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	db := open(b, dsn, modx.Options{Prefix: o.Prefix})
	b.ResetTimer()
	for b.Loop() {
		db.ResetCaches()
		n := 0
		for after := int64(0); ; {
			headers, err := db.OrderHeaders(ctx, after, 500)
			if err != nil {
				b.Fatal(err)
			}
			if len(headers) == 0 {
				break
			}
			ids := make([]int64, len(headers))
			for i, h := range headers {
				ids[i] = h.ID
			}
			orders, err := db.LoadOrders(ctx, ids)
			if err != nil {
				b.Fatal(err)
			}
			n += len(orders)
			after = ids[len(ids)-1]
		}
		if n != ds.Orders {
			b.Fatalf("read %d orders, want %d", n, ds.Orders)
		}
	}
	b.ReportMetric(float64(ds.Orders)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
