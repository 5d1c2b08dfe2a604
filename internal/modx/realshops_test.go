package modx_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// TestZoneMeasured (issue 11 case 1): with date_timezone empty (MODX's
// default), DATETIMEs are in php.ini's zone, measured from guest checkouts;
// modx.timezone and a date_timezone setting name it outright; a shop with
// no guest checkout is read in UTC, and says it guessed.
func TestZoneMeasured(t *testing.T) {
	ctx := context.Background()
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x} {
		t.Run(gen, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: gen, PHPTimezone: "Asia/Yekaterinburg"}
			raw, dsn := createShop(t, o)
			empty := open(t, dsn, modx.Options{Prefix: o.Prefix})
			if z := empty.Zone(); !z.Guessed || z.Location != time.UTC || !strings.Contains(z.Source, "no guest checkout") {
				t.Errorf("no orders yet: got %s (%s, guessed %v), want a UTC guess", z.Location, z.Source, z.Guessed)
			}
			regular := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Email: "regular@example.org",
				CreatedOn: modxtest.DefaultTime.AddDate(-1, 0, 0)}))(t)
			var last int64
			for i := range 4 {
				at := modxtest.DefaultTime.Add(time.Duration(i) * time.Hour)
				last = must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Guest: true, CreatedOn: at,
					Address: map[string]any{"email": fmt.Sprintf("guest%d@example.org", i), "receiver": fmt.Sprintf("Гость %d", i)}}))(t)
				must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{UserID: regular, CreatedOn: at.Add(17 * time.Minute)}))(t)
			}
			// A returning guest: their account is older than the order.
			must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{Guest: true, CreatedOn: modxtest.DefaultTime.Add(5 * time.Hour),
				Address: map[string]any{"email": "guest0@example.org"}}))(t)

			// The running daemon measures again once it has something to measure.
			must(empty.Detect(ctx))(t)
			for _, db := range []*modx.DB{empty, open(t, dsn, modx.Options{Prefix: o.Prefix})} {
				z := db.Zone()
				if _, off := time.Now().In(z.Location).Zone(); off != 5*3600 || !z.Guessed || !strings.Contains(z.Source, "4 guest checkouts agree") {
					t.Errorf("measured: got %s, offset %d (%s, guessed %v), want +05:00 from 4 checkouts", z.Location, off, z.Source, z.Guessed)
				}
				got := must(db.LoadOrders(ctx, []int64{last}))(t)[0].CreatedOn
				if want := modxtest.DefaultTime.Add(3 * time.Hour); !got.Equal(want) {
					t.Errorf("createdon: got %v, want %v", got, want)
				}
			}

			named := open(t, dsn, modx.Options{Prefix: o.Prefix, Location: "Asia/Yekaterinburg"})
			if z := named.Zone(); z.Guessed || z.Source != "modx.timezone" || z.Location.String() != "Asia/Yekaterinburg" {
				t.Errorf("modx.timezone: got %s (%s, guessed %v)", z.Location, z.Source, z.Guessed)
			}
			testdb.Exec(t, raw, "UPDATE modx_system_settings SET value = 'Asia/Yekaterinburg' WHERE `key` = 'date_timezone'")
			must(empty.Detect(ctx))(t)
			if z := empty.Zone(); z.Guessed || z.Source != "date_timezone setting" || z.Location.String() != "Asia/Yekaterinburg" {
				t.Errorf("date_timezone set: got %s (%s, guessed %v)", z.Location, z.Source, z.Guessed)
			}
		})
	}
}

// TestVersionRanges (case 7): check names the release range the columns
// tell, not "2.4" for every 2.x.
func TestVersionRanges(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		gen   string
		alter []string
		want  string
	}{
		{modxtest.Gen24, nil, "miniShop2 2.4–2.9.2"},
		{modxtest.Gen24, []string{"ALTER TABLE modx_ms2_order_addresses ADD entrance varchar(10), ADD floor varchar(10), ADD text_address text"},
			"miniShop2 2.9.3"},
		{modxtest.Gen30, []string{"ALTER TABLE modx_ms2_orders CHANGE order_comment comment text"}, "miniShop2 3.0.0–3.0.4"},
		{modxtest.Gen30, nil, "miniShop2 3.0.5–3.0.7"},
		{modxtest.Gen4x, nil, "miniShop2 4.x"},
		{"upgraded", nil, "miniShop2 4.x, upgraded from 3.0"},
		{modxtest.GenMS3, nil, "MiniShop3 1.x"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_", Generation: tt.gen}
			if tt.gen == "upgraded" {
				o.Generation, o.Upgraded = modxtest.Gen4x, true
			}
			db, raw := newShop(t, o)
			for _, q := range tt.alter {
				testdb.Exec(t, raw, q)
			}
			if got := must(db.Detect(ctx))(t).Title(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUpgradedShopAddresses (case 3): after the 4.x upgrade dropped
// ms2_orders.address, an order placed before it finds its address by
// user_id and createdon; two orders of one account in one second take its
// two addresses in order.
func TestUpgradedShopAddresses(t *testing.T) {
	ctx := context.Background()
	o := modxtest.Options{Prefix: "modx_", Generation: modxtest.Gen30, MyISAM: true}
	raw, dsn := createShop(t, o)
	shared := must(modxtest.InsertUser(ctx, raw, o, modxtest.UserSpec{Email: "noemail@shop.example"}))(t)
	city := map[int64]string{}
	for _, c := range []string{"Казань", "Тула", "Омск"} {
		at := modxtest.DefaultTime
		if c == "Омск" {
			at = at.Add(time.Minute)
		}
		id := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{UserID: shared, CreatedOn: at, Address: map[string]any{"city": c}}))(t)
		city[id] = c
	}
	orphan := must(modxtest.InsertOrder(ctx, raw, o, modxtest.OrderSpec{UserID: shared, NoAddress: true, CreatedOn: modxtest.DefaultTime.Add(time.Hour)}))(t)
	up := must(modxtest.Upgrade(ctx, raw, o))(t)
	fresh := must(modxtest.InsertOrder(ctx, raw, up, modxtest.OrderSpec{UserID: shared, CreatedOn: modxtest.DefaultTime, Address: map[string]any{"city": "Сочи"}}))(t)
	city[fresh] = "Сочи"

	db := open(t, dsn, modx.Options{Prefix: o.Prefix})
	if s := must(db.Detect(ctx))(t); s.Generation != modx.Gen4x || s.DraftStatus != 999 {
		t.Fatalf("upgraded shop: generation %s, draft %d; want 4.x, 999", s.Generation, s.DraftStatus)
	}
	ids := []int64{orphan, fresh}
	for id := range city {
		ids = append(ids, id)
	}
	for _, ord := range must(db.LoadOrders(ctx, ids))(t) {
		switch {
		case ord.ID == orphan && ord.Address != nil:
			t.Errorf("order %d had no address, got %+v", ord.ID, ord.Address)
		case ord.ID != orphan && (ord.Address == nil || ord.Address.City != city[ord.ID]):
			t.Errorf("order %d: address %+v, want city %s", ord.ID, ord.Address, city[ord.ID])
		}
	}
}
