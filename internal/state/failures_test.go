package state_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want state.Key
		ok   bool
	}{
		{"order:123", state.Key{Kind: "order", SourceID: 123}, true},
		{"form:45", state.Key{Kind: "form", SourceID: 45}, true},
		{"user:6", state.Key{Kind: "user", SourceID: 6}, true},
		{"order_log:7", state.Key{Kind: "order_log", SourceID: 7}, true},
		{"order", state.Key{}, false},
		{"order:", state.Key{}, false},
		{":12", state.Key{}, false},
		{"order:0", state.Key{}, false},
		{"order:-1", state.Key{}, false},
		{"order:12x", state.Key{}, false},
		{"Order:12", state.Key{}, false},
	} {
		got, err := state.ParseKey(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseKey(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, state.ErrBadKey) {
			t.Errorf("ParseKey(%q) error = %v, want ErrBadKey", tc.in, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("ParseKey(%q).String() = %q", tc.in, got.String())
		}
	}
}

func park(t *testing.T, s *state.Store, f state.Failure) {
	t.Helper()
	commit(t, s, func(tx *state.Tx) error { return tx.Park(f) })
}

func failure(t *testing.T, s *state.Store, kind string, id int64) state.Failure {
	t.Helper()
	all, err := s.Failures(context.Background())
	if err != nil {
		t.Fatalf("Failures: %v", err)
	}
	for _, f := range all {
		if f.Kind == kind && f.SourceID == id {
			return f
		}
	}
	t.Fatalf("no failure %s:%d in %+v", kind, id, all)
	return state.Failure{}
}

func TestPark_Backoff(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now), state.WithMaxAttempts(5))
	first := clk.Now()
	for i, wantDelay := range []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 0} {
		payload := ""
		if i == 0 {
			payload = `{"name":"Заказ 1"}`
		}
		park(t, s, state.Failure{Kind: "order", SourceID: 1, Reason: "400: bad field", Payload: payload})
		f := failure(t, s, "order", 1)
		if f.Attempts != i+1 {
			t.Errorf("park #%d: attempts = %d, want %d", i+1, f.Attempts, i+1)
		}
		switch {
		case wantDelay == 0 && f.NextAttemptAt != nil:
			t.Errorf("park #%d: next attempt %v, want none (waits for retry)", i+1, *f.NextAttemptAt)
		case wantDelay != 0 && (f.NextAttemptAt == nil || !f.NextAttemptAt.Equal(clk.Now().Add(wantDelay))):
			t.Errorf("park #%d: next attempt %v, want now+%v", i+1, f.NextAttemptAt, wantDelay)
		}
		if !f.FirstFailedAt.Equal(first) || !f.LastFailedAt.Equal(clk.Now()) {
			t.Errorf("park #%d: first/last failed = %v/%v, want %v/%v", i+1, f.FirstFailedAt, f.LastFailedAt, first, clk.Now())
		}
		if f.Payload != `{"name":"Заказ 1"}` {
			t.Errorf("park #%d: payload = %q, want the first one kept", i+1, f.Payload)
		}
		clk.Add(3 * time.Hour)
	}
}

func TestDueFailures_ResolveRetry(t *testing.T) {
	clk := newClock()
	s, _ := newStore(t, state.WithClock(clk.Now), state.WithMaxAttempts(2))
	ctx := context.Background()
	t0 := clk.Now()
	park(t, s, state.Failure{Kind: "order", SourceID: 1, Reason: "a"})
	park(t, s, state.Failure{Kind: "order", SourceID: 2, Reason: "b"})
	park(t, s, state.Failure{Kind: "order", SourceID: 2, Reason: "b again"}) // exhausted
	park(t, s, state.Failure{Kind: "form", SourceID: 3, Reason: "c"})

	due := func(kind string, at time.Time, limit int) []int64 {
		t.Helper()
		fs, err := s.DueFailures(ctx, kind, at, limit)
		if err != nil {
			t.Fatalf("DueFailures: %v", err)
		}
		var ids []int64
		for _, f := range fs {
			ids = append(ids, f.SourceID)
		}
		return ids
	}
	if got := due("order", t0.Add(30*time.Second), 10); len(got) != 0 {
		t.Errorf("due orders before a minute = %v, want none", got)
	}
	if got := due("order", t0.Add(time.Hour), 10); len(got) != 1 || got[0] != 1 {
		t.Errorf("due orders after an hour = %v, want [1] (2 waits for retry)", got)
	}
	if got := due("form", t0.Add(time.Hour), 0); len(got) != 0 {
		t.Errorf("due forms with limit 0 = %v, want none", got)
	}

	clk.Add(time.Hour)
	n, err := s.Retry(ctx, false, []state.Key{{Kind: "order", SourceID: 2}, {Kind: "order", SourceID: 99}})
	if err != nil || n != 1 {
		t.Fatalf("Retry(order:2, order:99) = %d, %v; want 1", n, err)
	}
	if f := failure(t, s, "order", 2); f.Attempts != 0 || f.NextAttemptAt == nil || !f.NextAttemptAt.Equal(clk.Now()) {
		t.Errorf("order 2 after retry: attempts %d, next %v; want 0, now", f.Attempts, f.NextAttemptAt)
	}
	if got := due("order", clk.Now(), 10); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("due orders after retry = %v, want [1 2]", got)
	}
	if n, err := s.Retry(ctx, true, nil); err != nil || n != 3 {
		t.Errorf("Retry(all) = %d, %v; want 3", n, err)
	}
	if n, err := s.Retry(ctx, false, nil); err != nil || n != 0 {
		t.Errorf("Retry(nothing) = %d, %v; want 0", n, err)
	}

	commit(t, s, func(tx *state.Tx) error { return tx.Resolve("order", 1) })
	all, err := s.Failures(ctx)
	if err != nil || len(all) != 2 || all[0].Kind != "form" || all[1].SourceID != 2 {
		t.Errorf("Failures after resolve = %+v, %v; want form:3, order:2", all, err)
	}
}
