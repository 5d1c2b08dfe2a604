package modx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		opts   modxtest.Options
		draft  int64
		myisam bool
	}{
		{"2.4 MyISAM", modxtest.Options{Prefix: "chatmodx_", Generation: "2.4", MyISAM: true}, 0, true},
		{"3.0", modxtest.Options{Prefix: "modx_", Generation: "3.0", FormIt: true}, 999, false},
		{"4.x no underscore", modxtest.Options{Prefix: "modx_partners", Generation: "4.x", FormIt: true, OldExtra: true}, 5, false},
		{"4.x no prefix", modxtest.Options{Generation: "4.x"}, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newShop(t, tt.opts)
			s := must(db.Detect(context.Background()))(t)
			if s.Generation != tt.opts.Generation {
				t.Errorf("generation: got %q, want %q", s.Generation, tt.opts.Generation)
			}
			if s.DraftStatus != tt.draft {
				t.Errorf("draft status: got %d, want %d", s.DraftStatus, tt.draft)
			}
			if s.NewStatus != 1 {
				t.Errorf("new status: got %d, want 1", s.NewStatus)
			}
			if s.FormIt != tt.opts.FormIt || s.OldLeads != tt.opts.OldExtra || s.OldStatus != tt.opts.OldExtra {
				t.Errorf("formit/old extra: got %v/%v, want %v/%v", s.FormIt, s.OldLeads, tt.opts.FormIt, tt.opts.OldExtra)
			}
			if got := len(s.MyISAM()) > 0; got != tt.myisam {
				t.Errorf("MyISAM tables %v, want some: %v", s.MyISAM(), tt.myisam)
			}
			wantEmail := tt.opts.Generation != "2.4"
			if got := s.Has("ms2_order_addresses", "email"); got != wantEmail {
				t.Errorf("address email column: got %v, want %v", got, wantEmail)
			}
		})
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
	if !errors.Is(err, modx.ErrNoMiniShop2) {
		t.Fatalf("Detect: got %v, want ErrNoMiniShop2", err)
	}
	if want := `no miniShop2 tables with prefix "modx_"` + fmt.Sprintf(hint, "ms2_orders"); err.Error() != want {
		t.Errorf("Detect: got %q, want %q", err, want)
	}

	// An empty database has nothing to suggest.
	_, empty := testdb.New(t)
	_, err = open(t, empty, modx.Options{Prefix: "nope_", Location: "UTC"}).Detect(ctx)
	if want := `no miniShop2 tables with prefix "nope_"`; err == nil || err.Error() != want {
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
