package state_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// TestPassRecords: the last pass is replaced by each pass; the last failed
// pass stays until another pass fails.
func TestPassRecords(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, ok, err := s.LastPass(ctx); ok || err != nil {
		t.Fatalf("before any pass: ok %v, %v", ok, err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	failed := state.PassRecord{Started: at, Finished: at.Add(time.Second), Host: "shop1", PID: 7, Error: "read pipelines: amoCRM account is not paid"}
	good := state.PassRecord{Started: at.Add(time.Minute), Finished: at.Add(61 * time.Second), Host: "shop1", PID: 7,
		Summary: "created 1, ...", Read: map[string]int{"orders": 3}, Parked: 1}
	for _, rec := range []state.PassRecord{failed, good} {
		if err := s.RecordPass(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if got, ok, err := s.LastPass(ctx); err != nil || !ok || !reflect.DeepEqual(got, good) {
		t.Errorf("LastPass: %+v, %v, %v; want %+v", got, ok, err, good)
	}
	if got, ok, err := s.LastFailedPass(ctx); err != nil || !ok || !reflect.DeepEqual(got, failed) {
		t.Errorf("LastFailedPass: %+v, %v, %v; want %+v", got, ok, err, failed)
	}
}

func TestLeaderRecord(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	rec := state.LeaderRecord{Host: "shop1", PID: 42, ConnectionID: 1234, Since: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	if err := s.SetLeader(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.Leader(ctx); err != nil || !ok || got != rec {
		t.Errorf("Leader: %+v, %v, %v; want %+v", got, ok, err, rec)
	}
}

// TestParkedCountsAndNotParked: counts per kind tell records still retried
// from those waiting for retry; NotParked names the keys with no record.
func TestParkedCountsAndNotParked(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, state.WithMaxAttempts(1))
	park(t, s, state.Failure{Kind: "order", SourceID: 7, Reason: "x"})
	park(t, s, state.Failure{Kind: "order", SourceID: 8, Reason: "x"})
	park(t, s, state.Failure{Kind: "form", SourceID: 3, Reason: "x"})
	if _, err := s.Retry(ctx, false, []state.Key{{Kind: "order", SourceID: 8}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ParkedCounts(ctx)
	want := []state.ParkedCount{{Kind: "form", Parked: 1, Exhausted: 1}, {Kind: "order", Parked: 2, Exhausted: 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParkedCounts: %+v, %v; want %+v", got, err, want)
	}
	missing, err := s.NotParked(ctx, []state.Key{{Kind: "order", SourceID: 7}, {Kind: "order", SourceID: 9}, {Kind: "user", SourceID: 3}})
	if want := []state.Key{{Kind: "order", SourceID: 9}, {Kind: "user", SourceID: 3}}; err != nil || !reflect.DeepEqual(missing, want) {
		t.Errorf("NotParked: %v, %v; want %v", missing, err, want)
	}
}

// TestTokenNames lists only names that hold a token: a row locked before
// its first token (empty JSON) is none.
func TestTokenNames(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if _, err := s.UpdateToken(ctx, "b.amocrm.ru", func(*oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "a", RefreshToken: "r"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateToken(ctx, "a.amocrm.ru", func(*oauth2.Token) (*oauth2.Token, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TokenNames(ctx); err != nil || !reflect.DeepEqual(got, []string{"b.amocrm.ru"}) {
		t.Errorf("TokenNames: %v, %v; want [b.amocrm.ru]", got, err)
	}
}
