package state_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

const prefix = "amocrm_sync_"

// clock is a settable time source for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newStore returns a migrated store on a fresh database and its DSN.
func newStore(t testing.TB, opts ...state.Option) (*state.Store, string) {
	t.Helper()
	db, dsn := testdb.New(t)
	s, err := state.Open(db, prefix, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, dsn
}

// openStore opens a store on its own connection pool to dsn, as another
// process would.
func openStore(t testing.TB, dsn string) (*state.Store, *sqlx.DB) {
	t.Helper()
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := state.Open(db, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// inProcesses runs fn at once in n goroutines, each with its own store and
// pool, and returns their errors by index.
func inProcesses(t *testing.T, dsn string, n int, fn func(i int, s *state.Store) error) []error {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		s, _ := openStore(t, dsn)
		wg.Go(func() {
			<-start
			errs[i] = fn(i, s)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func commit(t testing.TB, s *state.Store, fn func(tx *state.Tx) error) {
	t.Helper()
	if err := s.Commit(context.Background(), fn); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func TestOpen_Prefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"amocrm_sync_", true},
		{"_x9", true},
		{strings.Repeat("a", 40), true},
		{strings.Repeat("a", 41), false},
		{"1e5", false},
		{"a-b", false},
		{"x`; DROP TABLE modx_users; --", false},
		{"тест_", false},
	} {
		_, err := state.Open(nil, tc.prefix)
		if got := err == nil; got != tc.ok {
			t.Errorf("Open(%q) error = %v, want ok=%v", tc.prefix, err, tc.ok)
		}
		if err != nil && !errors.Is(err, state.ErrBadPrefix) {
			t.Errorf("Open(%q) error = %v, want ErrBadPrefix", tc.prefix, err)
		}
	}
}

func TestCommit_RollsBackOnError(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.SetWatermark("orders", 7); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Commit error = %v, want %v", err, boom)
	}
	if _, ok, err := s.Watermark(ctx, "orders"); err != nil || ok {
		t.Fatalf("Watermark after rollback: ok=%v err=%v, want none", ok, err)
	}
}

// Two transactions taking two rows in opposite order deadlock; InnoDB rolls
// one back and Commit must run it again rather than fail.
func TestCommit_RetriesDeadlock(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		calls int
	)
	crossed := func(first, second string, mine, theirs chan struct{}, once *sync.Once) func(*state.Tx) error {
		return func(tx *state.Tx) error {
			mu.Lock()
			calls++
			mu.Unlock()
			if err := tx.SetWatermark(first, 1); err != nil {
				return err
			}
			once.Do(func() { close(mine) })
			<-theirs
			return tx.SetWatermark(second, 1)
		}
	}
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	var onceA, onceB sync.Once
	errs := make(chan error, 2)
	go func() { errs <- s.Commit(ctx, crossed("a", "b", aHeld, bHeld, &onceA)) }()
	go func() { errs <- s.Commit(ctx, crossed("b", "a", bHeld, aHeld, &onceB)) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	if calls != 3 {
		t.Errorf("transaction functions ran %d times, want 3 (one deadlock retry)", calls)
	}
	for _, src := range []string{"a", "b"} {
		if v, ok, err := s.Watermark(ctx, src); err != nil || !ok || v != 1 {
			t.Errorf("Watermark(%s) = %d, %v, %v; want 1, true, nil", src, v, ok, err)
		}
	}
}

func TestWatermark_NeverMovesBack(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, ok, err := s.Watermark(ctx, "orders"); err != nil || ok {
		t.Fatalf("Watermark of empty state: ok=%v err=%v, want none", ok, err)
	}
	for _, tc := range []struct{ set, want int64 }{{10, 10}, {5, 10}, {10, 10}, {20, 20}} {
		commit(t, s, func(tx *state.Tx) error { return tx.SetWatermark("orders", tc.set) })
		got, ok, err := s.Watermark(ctx, "orders")
		if err != nil || !ok || got != tc.want {
			t.Errorf("after set %d: Watermark = %d, %v, %v; want %d", tc.set, got, ok, err, tc.want)
		}
	}
	if _, ok, _ := s.Watermark(ctx, "forms"); ok {
		t.Errorf("Watermark(forms) set by orders")
	}
}

func TestMeta(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, ok, err := s.Meta(ctx, "pipeline_id"); err != nil || ok {
		t.Fatalf("Meta of empty state: ok=%v err=%v, want none", ok, err)
	}
	for _, want := range []string{"1480825", "", "Воронка 🚀"} {
		if err := s.SetMeta(ctx, "pipeline_id", want); err != nil {
			t.Fatalf("SetMeta: %v", err)
		}
		if got, ok, err := s.Meta(ctx, "pipeline_id"); err != nil || !ok || got != want {
			t.Errorf("Meta = %q, %v, %v; want %q", got, ok, err, want)
		}
	}
}

// Watermarks and AllMeta read many values in one statement each, as a
// pass with nothing new reads them.
func TestWatermarksAndMetas(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if got, err := s.Watermarks(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Watermarks of an empty state = %v, %v; want none", got, err)
	}
	err := s.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.SetWatermark("orders", 7); err != nil {
			return err
		}
		if err := tx.SetWatermark("users", 3); err != nil {
			return err
		}
		if err := tx.SetMeta("a", "1"); err != nil {
			return err
		}
		return tx.SetMeta("b", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Watermarks(ctx); err != nil || len(got) != 2 || got["orders"] != 7 || got["users"] != 3 {
		t.Errorf("Watermarks = %v, %v; want orders 7, users 3", got, err)
	}
	got, err := s.AllMeta(ctx)
	if want := map[string]string{"a": "1", "b": ""}; err != nil || !maps.Equal(got, want) {
		t.Errorf("AllMeta = %v, %v; want %v", got, err, want)
	}
}
