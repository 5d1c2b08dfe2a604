package modxtest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func generate(t testing.TB, o modxtest.Options, g modxtest.GenOptions) (*sqlx.DB, string, *modxtest.Dataset) {
	t.Helper()
	raw, dsn := testdb.New(t)
	ctx := context.Background()
	if err := modxtest.Create(ctx, raw, o); err != nil {
		t.Fatal(err)
	}
	g.Prefix, g.Generation = o.Prefix, o.Generation
	ds, err := modxtest.Generate(ctx, raw, g)
	if err != nil {
		t.Fatal(err)
	}
	return raw, dsn, ds
}

func TestGenerate(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, FormIt: true, MyISAM: gen == modxtest.Gen24 || gen == modxtest.Gen30}
			raw, dsn, ds := generate(t, o, modxtest.GenOptions{Orders: 500, Users: 60, Forms: 50, Seed: 7})
			ctx := context.Background()
			db, err := modx.Open(ctx, dsn, modx.Options{Prefix: o.Prefix})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()

			var ids []int64
			for after := int64(0); ; {
				page, err := db.OrderHeaders(ctx, after, 128)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				for _, h := range page {
					ids = append(ids, h.ID)
				}
				after = page[len(page)-1].ID
			}
			if len(ids) != ds.Orders {
				t.Fatalf("orders read: got %d, want %d", len(ids), ds.Orders)
			}
			orders, err := db.LoadOrders(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			var lines, addresses, deep int
			for _, o := range orders {
				lines += len(o.Products)
				if o.Address != nil {
					addresses++
				}
				if o.Customer == nil {
					t.Errorf("order %d: no customer", o.ID)
				}
				for _, p := range o.Products {
					if len(p.Categories) >= 3 {
						deep++
					}
				}
			}
			if lines != ds.Lines || addresses != ds.Addresses {
				t.Errorf("lines/addresses: got %d/%d, want %d/%d", lines, addresses, ds.Lines, ds.Addresses)
			}
			if deep == 0 {
				t.Error("no product sits three categories deep")
			}
			// MiniShop3 has no status 0: what is not placed yet is a draft.
			if (len(ds.UnplacedOrders) == 0) != (gen == modxtest.GenMS3) || len(ds.NoAddressOrders) == 0 || len(ds.NullNumOrders) == 0 {
				t.Errorf("edge cases missing: %+v", ds)
			}
			page, err := db.StatusLogs(ctx, 0, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Changes) != ds.StatusLogs || len(page.Skipped) != 0 {
				t.Errorf("status changes: got %d (%d skipped), want %d", len(page.Changes), len(page.Skipped), ds.StatusLogs)
			}
			if (gen == modxtest.Gen24) != (len(ds.DraftOrders) == 0) {
				t.Errorf("draft orders on %s: got %d", gen, len(ds.DraftOrders))
			}
			// The customer places the order, the manager moves it on; on 4.x
			// the manager also makes orders in the back office.
			logs, placing := "modx_ms2_order_logs", "1"
			if gen == modxtest.GenMS3 {
				logs, placing = "modx_ms3_order_logs", `{"status_id":2}`
			}
			var byManager, notByManager int
			if err := raw.Get(&byManager, "SELECT COUNT(*) FROM "+logs+" WHERE user_id = ?", ds.ManagerID); err != nil {
				t.Fatal(err)
			}
			if err := raw.Get(&notByManager, "SELECT COUNT(*) FROM "+logs+" WHERE user_id <> ? AND entry <> ?", ds.ManagerID, placing); err != nil {
				t.Fatal(err)
			}
			if byManager == 0 || notByManager != 0 || (gen == modxtest.Gen4x) != (len(ds.ManagerOrders) > 0) {
				t.Errorf("manager %d: %d log rows, %d later changes by others, %d orders of theirs", ds.ManagerID, byManager, notByManager, len(ds.ManagerOrders))
			}

			forms, err := db.Forms(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			key, err := db.FormItKey(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range forms {
				if _, err := modx.FormValues(f, key); err != nil {
					t.Errorf("form %d: %v", f.ID, err)
				}
			}
			if len(forms) != ds.Forms {
				t.Errorf("forms: got %d, want %d", len(forms), ds.Forms)
			}
		})
	}
}

// TestGenerateDatesGuestsByTheirCheckout (issue 11 case 8): a guest's
// account is made by their first checkout, in the same second as the
// order, so a generated shop with an empty date_timezone shows its zone.
func TestGenerateDatesGuestsByTheirCheckout(t *testing.T) {
	o := modxtest.Options{Prefix: "modx_", PHPTimezone: "Asia/Vladivostok"}
	_, dsn, _ := generate(t, o, modxtest.GenOptions{Orders: 300, Users: 60, Seed: 7, PHPTimezone: o.PHPTimezone})
	db, err := modx.Open(context.Background(), dsn, modx.Options{Prefix: o.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	z := db.Zone()
	if _, off := time.Now().In(z.Location).Zone(); off != 10*3600 || !z.Guessed {
		t.Errorf("zone: %s (%s), want a measured +10:00", z.Location, z.Source)
	}
}

// The same seed gives the same shop.
func TestGenerateDeterministic(t *testing.T) {
	for _, tt := range []struct {
		gen     string
		queries []string
	}{
		{modxtest.Gen4x, []string{
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, user_id, num, cost, status, createdon) ORDER BY id SEPARATOR ';')) FROM modx_ms2_orders",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, receiver, phone, city) ORDER BY id SEPARATOR ';')) FROM modx_ms2_order_addresses",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, order_id, product_id, options) ORDER BY id SEPARATOR ';')) FROM modx_ms2_order_products",
		}},
		{modxtest.GenMS3, []string{
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, user_id, customer_id, token, uuid, num, cost, status_id, createdon) ORDER BY id SEPARATOR ';')) FROM modx_ms3_orders",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, first_name, last_name, phone, city) ORDER BY id SEPARATOR ';')) FROM modx_ms3_order_addresses",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, order_id, product_id, product_key, options) ORDER BY id SEPARATOR ';')) FROM modx_ms3_order_products",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, order_id, entry, `timestamp`) ORDER BY id SEPARATOR ';')) FROM modx_ms3_order_logs",
			"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, user_id, first_name, email, phone) ORDER BY id SEPARATOR ';')) FROM modx_ms3_customers",
		}},
	} {
		t.Run(tt.gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: tt.gen, FormIt: true}
			g := modxtest.GenOptions{Orders: 200, Users: 30, Forms: 10, Seed: 42, Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
			a, _, _ := generate(t, o, g)
			b, _, _ := generate(t, o, g)
			for _, q := range append(tt.queries,
				"SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, form, `values`) ORDER BY id SEPARATOR ';')) FROM modx_formit_forms") {
				var x, y sql.NullString
				if err := a.QueryRow(q).Scan(&x); err != nil {
					t.Fatal(err)
				}
				if err := b.QueryRow(q).Scan(&y); err != nil {
					t.Fatal(err)
				}
				if !x.Valid || x != y {
					t.Errorf("%s: checksums differ: %v vs %v", q, x, y)
				}
			}
		})
	}
}

// BenchmarkGenerate100k measures the generator on 100k orders:
//
//	go test -run '^$' -bench Generate100k -benchtime 1x ./internal/modx/modxtest/
func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		raw, _ := testdb.New(b)
		o := modxtest.Options{Prefix: "modx_", FormIt: true}
		if err := modxtest.Create(context.Background(), raw, o); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := modxtest.Generate(context.Background(), raw, modxtest.GenOptions{
			Prefix: o.Prefix, Orders: 100_000, Users: 10_000, Forms: 2_000, Seed: 1,
		}); err != nil {
			b.Fatal(err)
		}
	}
}
