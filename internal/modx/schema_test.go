package modx_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		opts    modxtest.Options
		shop    string
		draft   int64
		myisam  bool
		markers []string
		version string
	}{
		{"2.4 MyISAM", modxtest.Options{Prefix: "chatmodx_", Generation: "2.4", MyISAM: true}, modx.ShopMiniShop2, 0, true,
			[]string{"ms2_orders.address", "ms2_orders.comment"}, "2.6.1-pl"},
		{"3.0", modxtest.Options{Prefix: "modx_", Generation: "3.0", FormIt: true}, modx.ShopMiniShop2, 999, false,
			[]string{"ms2_orders.session_id", "ms2_orders.address", "ms2_orders.order_comment", "ms2_order_products.properties"}, "2.8.4-pl"},
		{"4.x no underscore", modxtest.Options{Prefix: "modx_partners", Generation: "4.x", FormIt: true, OldExtra: true}, modx.ShopMiniShop2, 5, false,
			[]string{"ms2_order_addresses.order_id", "ms2_orders.session_id", "ms2_orders.order_comment", "ms2_order_products.properties"}, "2.8.7-pl"},
		{"4.x no prefix", modxtest.Options{Generation: "4.x"}, modx.ShopMiniShop2, 5, false,
			[]string{"ms2_order_addresses.order_id", "ms2_orders.session_id", "ms2_orders.order_comment", "ms2_order_products.properties"}, "2.8.7-pl"},
		{"MiniShop3", modxtest.Options{Prefix: "modx_", Generation: modxtest.GenMS3, FormIt: true, OldExtra: true}, modx.ShopMiniShop3, 1, false,
			[]string{"ms3_orders.customer_id", "ms3_orders.uuid", "ms3_orders.idempotency_key", "ms3_order_addresses.first_name", "ms3_order_logs.visible"}, "3.0.5-pl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newShop(t, tt.opts)
			s := must(db.Detect(context.Background()))(t)
			if s.Shop != tt.shop || s.Generation != tt.opts.Generation {
				t.Errorf("shop: got %s %q, want %s %q", s.Shop, s.Generation, tt.shop, tt.opts.Generation)
			}
			if !reflect.DeepEqual(s.Markers, tt.markers) || s.MODXVersion != tt.version {
				t.Errorf("markers, MODX version: got %q, %q, want %q, %q", s.Markers, s.MODXVersion, tt.markers, tt.version)
			}
			if s.DraftStatus != tt.draft {
				t.Errorf("draft status: got %d, want %d", s.DraftStatus, tt.draft)
			}
			if want := modxtest.Statuses(tt.opts).New; s.NewStatus != want {
				t.Errorf("new status: got %d, want %d", s.NewStatus, want)
			}
			if s.FormIt != tt.opts.FormIt || s.OldLeads != tt.opts.OldExtra || s.OldStatus != tt.opts.OldExtra {
				t.Errorf("formit/old extra: got %v/%v, want %v/%v", s.FormIt, s.OldLeads, tt.opts.FormIt, tt.opts.OldExtra)
			}
			if got := len(s.MyISAM()) > 0; got != tt.myisam {
				t.Errorf("MyISAM tables %v, want some: %v", s.MyISAM(), tt.myisam)
			}
		})
	}
}

// A site moved from MODX 2 to 3 may hold both shops' tables: "auto" then
// refuses to guess, and modx.shop picks one.
func TestDetectShopChoice(t *testing.T) {
	raw, dsn := createShop(t, modxtest.Options{Prefix: "modx_", Generation: modxtest.GenMS3})
	ctx := context.Background()
	for _, tt := range []struct {
		shop string
		want string
		err  error
	}{{modx.ShopAuto, modx.ShopMiniShop3, nil}, {modx.ShopMiniShop2, "", modx.ErrNoShop}, {modx.ShopMiniShop3, modx.ShopMiniShop3, nil}} {
		s, err := open(t, dsn, modx.Options{Prefix: "modx_", Shop: tt.shop}).Detect(ctx)
		if !errors.Is(err, tt.err) || err == nil && s.Shop != tt.want {
			t.Errorf("shop %s on MiniShop3 alone: got %+v, %v; want %s, %v", tt.shop, s, err, tt.want, tt.err)
		}
	}
	testdb.Exec(t, raw, "CREATE TABLE modx_ms2_orders (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, status int unsigned DEFAULT 0)")
	for _, tt := range []struct {
		shop string
		want string
		err  error
	}{{"", "", modx.ErrTwoShops}, {modx.ShopMiniShop2, modx.ShopMiniShop2, nil}, {modx.ShopMiniShop3, modx.ShopMiniShop3, nil}} {
		s, err := open(t, dsn, modx.Options{Prefix: "modx_", Shop: tt.shop}).Detect(ctx)
		if !errors.Is(err, tt.err) || err == nil && s.Shop != tt.want {
			t.Errorf("shop %q on both: got %+v, %v; want %s, %v", tt.shop, s, err, tt.want, tt.err)
		}
	}
	if _, err := modx.Open(ctx, dsn, modx.Options{Prefix: "modx_", Shop: "shopkeeper"}); !errors.Is(err, modx.ErrBadShop) {
		t.Errorf("unknown shop: got %v, want ErrBadShop", err)
	}
}

// TestWrongPrefix: a prefix with no tables under it names the prefix the
// shop's tables have, in Open (settings) and in Detect (miniShop2).
func TestWrongPrefix(t *testing.T) {
	ctx := context.Background()
	_, dsn := createShop(t, modxtest.Options{Prefix: "shop_"})
	const hint = `; the database has %s with prefix "shop_": set modx.table_prefix to it`

	_, err := modx.Open(ctx, dsn, modx.Options{Prefix: "modx_"})
	if want := "read settings: no table modx_system_settings" + fmt.Sprintf(hint, "system_settings"); err == nil || err.Error() != want {
		t.Errorf("Open: got %v, want %q", err, want)
	}

	db := open(t, dsn, modx.Options{Prefix: "modx_", Location: "UTC"})
	_, err = db.Detect(ctx)
	if !errors.Is(err, modx.ErrNoShop) {
		t.Fatalf("Detect: got %v, want ErrNoShop", err)
	}
	if want := `no shop tables: neither ms2_orders (miniShop2) nor ms3_orders (MiniShop3) with prefix "modx_"` + fmt.Sprintf(hint, "ms2_orders"); err.Error() != want {
		t.Errorf("Detect: got %q, want %q", err, want)
	}

	// MiniShop3's orders table is looked for too.
	_, ms3 := createShop(t, modxtest.Options{Prefix: "shop_", Generation: modxtest.GenMS3})
	_, err = open(t, ms3, modx.Options{Prefix: "modx_", Location: "UTC"}).Detect(ctx)
	if want := `no shop tables: neither ms2_orders (miniShop2) nor ms3_orders (MiniShop3) with prefix "modx_"` + fmt.Sprintf(hint, "ms3_orders"); err == nil || err.Error() != want {
		t.Errorf("MiniShop3: got %v, want %q", err, want)
	}

	// An empty database has nothing to suggest.
	_, empty := testdb.New(t)
	_, err = open(t, empty, modx.Options{Prefix: "nope_", Location: "UTC"}).Detect(ctx)
	if want := `no shop tables: neither ms2_orders (miniShop2) nor ms3_orders (MiniShop3) with prefix "nope_"`; err == nil || err.Error() != want {
		t.Errorf("empty database: got %v, want %q", err, want)
	}
}

func TestOpenRejectsBadPrefix(t *testing.T) {
	_, err := modx.Open(context.Background(), "root@tcp(127.0.0.1:1)/x", modx.Options{Prefix: "modx`; DROP"})
	if !errors.Is(err, modx.ErrBadPrefix) {
		t.Fatalf("got %v, want ErrBadPrefix", err)
	}
}

// A 4.x shop that drafted a status row 999 while upgrading from 3.0 keeps
// the setting; a 4.x shop whose setting is still 0 falls back to 5 like
// miniShop2's code does.
func TestDraftStatusSetting(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  int64
	}{{"999", 999}, {"0", 5}} {
		t.Run(tt.value, func(t *testing.T) {
			o := modxtest.Options{Prefix: "modx_"}
			db, raw := newShop(t, o)
			ctx := context.Background()
			if err := modxtest.SetSetting(ctx, raw, o, "ms2_status_draft", tt.value); err != nil {
				t.Fatal(err)
			}
			if got := must(db.Detect(ctx))(t).DraftStatus; got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
