package state_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

const account = "https://example.amocrm.ru"

func TestTokens(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if tok, err := s.LoadToken(ctx, account); tok != nil || err != nil {
		t.Fatalf("LoadToken of empty state = %v, %v; want nil, nil", tok, err)
	}
	expiry := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))
	want := &oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1", TokenType: "Bearer", Expiry: expiry}
	got, err := s.UpdateToken(ctx, account, func(cur *oauth2.Token) (*oauth2.Token, error) {
		if cur != nil {
			t.Errorf("first UpdateToken saw %v, want nil", cur)
		}
		return want, nil
	})
	if err != nil || got != want {
		t.Fatalf("UpdateToken = %v, %v; want the new token", got, err)
	}
	loaded, err := s.LoadToken(ctx, account)
	if err != nil || loaded == nil {
		t.Fatalf("LoadToken = %v, %v", loaded, err)
	}
	if loaded.AccessToken != want.AccessToken || loaded.RefreshToken != want.RefreshToken ||
		loaded.TokenType != want.TokenType || !loaded.Expiry.Equal(expiry) {
		t.Errorf("LoadToken = %+v, want %+v", loaded, want)
	}

	// (nil, nil): nothing written, the stored token returned.
	got, err = s.UpdateToken(ctx, account, func(*oauth2.Token) (*oauth2.Token, error) { return nil, nil })
	if err != nil || got == nil || got.RefreshToken != "refresh-1" {
		t.Errorf("UpdateToken(no change) = %v, %v; want the stored token", got, err)
	}
	// An error from fn is returned and nothing is written.
	boom := errors.New("refresh failed")
	if _, err := s.UpdateToken(ctx, account, func(*oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "lost"}, boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateToken error = %v, want %v", err, boom)
	}
	if tok, _ := s.LoadToken(ctx, account); tok == nil || tok.AccessToken != "access-1" {
		t.Errorf("token after a failed update = %v, want access-1 kept", tok)
	}
	if tok, err := s.LoadToken(ctx, "other"); tok != nil || err != nil {
		t.Errorf("LoadToken(other) = %v, %v; want nil, nil", tok, err)
	}
}

func TestLoadToken_CorruptKeepsSecret(t *testing.T) {
	s, dsn := newStore(t)
	_, db := openStore(t, dsn)
	db.MustExec(`INSERT INTO amocrm_sync_tokens (name, token_json, updated_at) VALUES (?, ?, NOW())`,
		account, `{"access_token":"sekret-value`)
	_, err := s.LoadToken(context.Background(), account)
	if err == nil || strings.Contains(err.Error(), "sekret") {
		t.Errorf("LoadToken of corrupt JSON: error %v, want one without the token", err)
	}
}

// Two processes refreshing at once: fn runs strictly one after the other and
// the second sees the token the first stored.
func TestUpdateToken_Serialised(t *testing.T) {
	_, dsn := newStore(t)
	ctx := context.Background()
	var (
		inside atomic.Int32
		mu     sync.Mutex
		seen   []string
	)
	errs := inProcesses(t, dsn, 2, func(i int, s *state.Store) error {
		me := []string{"A", "B"}[i]
		_, err := s.UpdateToken(ctx, account, func(cur *oauth2.Token) (*oauth2.Token, error) {
			if n := inside.Add(1); n != 1 {
				t.Errorf("%d refreshes inside the lock at once", n)
			}
			defer inside.Add(-1)
			prev := ""
			if cur != nil {
				prev = cur.RefreshToken
			}
			mu.Lock()
			seen = append(seen, prev)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond) // widen the window for an overlap
			return &oauth2.Token{AccessToken: "a", RefreshToken: prev + me}, nil
		})
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("UpdateToken: %v", err)
		}
	}
	if len(seen) != 2 || seen[0] != "" || (seen[1] != "A" && seen[1] != "B") {
		t.Errorf("refresh tokens seen = %q, want \"\" then the first writer's", seen)
	}
	s, _ := openStore(t, dsn)
	tok, err := s.LoadToken(ctx, account)
	if err != nil || tok == nil || len(tok.RefreshToken) != 2 {
		t.Errorf("final token = %v, %v; want both refreshes applied in turn", tok, err)
	}
}
