package source

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

type row struct {
	id   int64
	at   time.Time
	pass bool
}

// TestKeyset: rows no one takes are passed, a row dated in the future
// waits (first seen now) and the page goes on, a row younger than
// sync.settle stops the page; the watermark moves past what was read, and
// the rows behind a young one are left for the next pass.
func TestKeyset(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	cfg := config.Default()
	cfg.Sync.Settle = config.Duration{Duration: 5 * time.Second}
	env := &Env{Config: &cfg, DBNow: func(context.Context) (time.Time, error) { return now, nil }}
	rows := []row{
		{1, now.Add(-time.Hour), false},
		{2, now.Add(-time.Hour), true},    // no one takes it
		{3, now.Add(time.Hour), false},    // dated in the future
		{4, now.Add(-time.Minute), false}, // settled
		{5, now.Add(-2 * time.Second), false},
		{6, now.Add(-time.Hour), false}, // behind the young one
	}
	var planned []int64
	var moved int64
	k := &Keyset[row]{
		Env: env, Stream: "orders", Kind: plan.KindOrder, Mark: 0,
		Read: func(_ context.Context, after int64, limit int) ([]row, error) {
			var out []row
			for _, r := range rows {
				if r.id > after && len(out) < limit {
					out = append(out, r)
				}
			}
			return out, nil
		},
		Row:  func(r row) (int64, time.Time) { return r.id, r.at },
		Pass: func(r row) bool { return r.pass },
		Plan: func(_ context.Context, rs []row, _ Page) (*syncer.Batch, error) {
			for _, r := range rs {
				planned = append(planned, r.id)
			}
			return &syncer.Batch{Plan: plan.New("orders", plan.KindOrder, nil)}, nil
		},
		Moved: func(mark int64) { moved = mark },
	}
	b, err := k.Next(context.Background())
	if err != nil || b == nil {
		t.Fatalf("first page: %v, %v", b, err)
	}
	if !slices.Equal(planned, []int64{1, 4}) {
		t.Errorf("planned %v, want 1 and 4", planned)
	}
	if got := b.Cursor.Watermarks["orders"]; got != 4 || moved != 4 || k.Mark != 4 {
		t.Errorf("watermark %d (moved %d, mark %d), want 4: the young order 5 stops the page", got, moved, k.Mark)
	}
	if len(b.Cursor.Waiting) != 1 || b.Cursor.Waiting[0].SourceID != 3 || !b.Cursor.Waiting[0].Since.Equal(now) {
		t.Errorf("waiting %+v, want order 3 since now", b.Cursor.Waiting)
	}
	if b.Span != 4 {
		t.Errorf("span %d, want the 4 ids the watermark moved", b.Span)
	}
	if b.Rows != len(rows) || b.Stream != "orders" {
		t.Errorf("rows %d of %s, want %d of orders", b.Rows, b.Stream, len(rows))
	}
	if b, err := k.Next(context.Background()); b != nil || err != nil {
		t.Errorf("after a young row: %v, %v; want the stream done for this pass", b, err)
	}
}

// TestQueue: ids read once, planned a page at a time.
func TestQueue(t *testing.T) {
	ids := make([]int64, PageSize+3)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	loads := 0
	var pages [][]int64
	q := &Queue{
		Load: func(context.Context) ([]int64, error) { loads++; return ids, nil },
		Plan: func(_ context.Context, page []int64) (*syncer.Batch, error) {
			pages = append(pages, page)
			return &syncer.Batch{}, nil
		},
	}
	for {
		b, err := q.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
	}
	if loads != 1 || len(pages) != 2 || len(pages[0]) != PageSize || len(pages[1]) != 3 {
		t.Errorf("%d loads, pages of %d; want one load, a page of %d then 3", loads, len(pages), PageSize)
	}
}

// TestClock: ready by its own time older than settle, or a settle after it
// was first seen.
func TestClock(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c := Clock{Now: now, Settle: 5 * time.Second}
	if !c.Young(now.Add(-time.Second)) || c.Young(now.Add(-10*time.Second)) || c.Young(now.Add(time.Second)) || c.Young(time.Time{}) {
		t.Error("young: want only a row within the last settle")
	}
	if !c.Ahead(now.Add(time.Second)) || c.Ahead(now) {
		t.Error("ahead: want only a row dated after now")
	}
	if !c.Ready(now.Add(time.Hour), now.Add(-10*time.Second)) || c.Ready(now.Add(time.Hour), now) || !c.Ready(now.Add(-time.Minute), now) {
		t.Error("ready: want an own time or a first sighting older than settle")
	}
}
