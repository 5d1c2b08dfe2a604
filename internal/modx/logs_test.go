package modx_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestStatusLogs(t *testing.T) {
	for _, o := range []modxtest.Options{
		{Prefix: "modx_", Generation: modxtest.Gen30, MyISAM: true},
		{Prefix: "modx_", Generation: modxtest.GenMS3},
	} {
		t.Run(o.Generation, func(t *testing.T) { testStatusLogs(t, o) })
	}
}

func testStatusLogs(t *testing.T, o modxtest.Options) {
	db, raw := newShop(t, o)
	ctx := context.Background()
	at := time.Date(2025, 2, 1, 9, 30, 0, 0, time.UTC)
	logs := []modxtest.LogSpec{
		{OrderID: 1, Entry: "1", At: at},
		{OrderID: 1, Action: "comment", Entry: "hello"},
		{OrderID: 1, Entry: "2", At: at},
		{OrderID: 2, Entry: "oops"},
		{OrderID: 2, Action: "delete"},
	}
	var ids []int64
	for _, l := range logs {
		ids = append(ids, must(modxtest.InsertStatusLog(ctx, raw, o, l))(t))
	}

	first := must(db.StatusLogs(ctx, 0, 2))(t)
	if len(first.Changes) != 1 || first.LastID != ids[1] || !first.Full {
		t.Fatalf("page 1: got %+v, want one change up to log %d", first, ids[1])
	}
	want := shop.StatusChange{LogID: ids[0], OrderID: 1, Status: 1, Timestamp: at}
	if got := first.Changes[0]; got.LogID != want.LogID || got.Status != want.Status || !got.Timestamp.Equal(want.Timestamp) {
		t.Errorf("change: got %+v, want %+v", got, want)
	}

	second := must(db.StatusLogs(ctx, first.LastID, 10))(t)
	if second.LastID != ids[4] || second.Full {
		t.Errorf("page 2: got last id %d full %v, want %d, false", second.LastID, second.Full, ids[4])
	}
	if len(second.Changes) != 1 || second.Changes[0].Status != 2 {
		t.Errorf("page 2 changes: got %+v", second.Changes)
	}
	entry := "oops"
	if o.Generation == modxtest.GenMS3 {
		entry = `{"status_id":"oops"}` // OrderLogService::add wraps whatever it is given
	}
	wantSkipped := []modx.SkippedLog{{LogID: ids[3], OrderID: 2, Entry: entry, Reason: fmt.Sprintf("entry %q is not a status id", entry)}}
	if !reflect.DeepEqual(second.Skipped, wantSkipped) {
		t.Errorf("skipped: got %+v, want %+v", second.Skipped, wantSkipped)
	}

	empty := must(db.StatusLogs(ctx, ids[4], 10))(t)
	if empty.LastID != ids[4] || len(empty.Changes) != 0 {
		t.Errorf("past the end: got %+v", empty)
	}
}

func TestOrderStatuses(t *testing.T) {
	tests := []struct {
		gen   string
		ids   []int64 // by rank (position)
		names []string
		final []bool
		fixed []bool
	}{
		{modxtest.Gen4x, []int64{5, 1, 2, 3, 4}, []string{"Черновик", "Новый", "Оплачен", "Отправлен", "Отменён"},
			[]bool{false, false, false, true, true}, []bool{false, true, true, true, true}},
		// MiniShop3 1.x stores lexicon keys as names; the manager shows these.
		{modxtest.GenMS3, []int64{1, 2, 3, 4, 5}, []string{"Черновик", "Новый", "Оплачен", "Отправлен", "Отменен"},
			[]bool{false, false, false, true, true}, []bool{false, true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.gen, func(t *testing.T) {
			db, _ := newShop(t, modxtest.Options{Prefix: "modx_", Generation: tt.gen})
			var (
				ids   []int64
				names []string
				final []bool
				fixed []bool
			)
			for _, s := range must(db.OrderStatuses(context.Background()))(t) {
				ids, names, final, fixed = append(ids, s.ID), append(names, s.Name), append(final, s.Final), append(fixed, s.Fixed)
			}
			if !reflect.DeepEqual(ids, tt.ids) || !reflect.DeepEqual(names, tt.names) || !reflect.DeepEqual(final, tt.final) || !reflect.DeepEqual(fixed, tt.fixed) {
				t.Errorf("got ids %v names %v final %v fixed %v, want %v %v %v %v", ids, names, final, fixed, tt.ids, tt.names, tt.final, tt.fixed)
			}
		})
	}
}
