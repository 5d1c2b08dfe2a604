package amocrm_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
)

// testLongLived is the token of the httptest servers; tests assert it never
// surfaces in errors.
const testLongLived = "long-lived-token-5b8d"

// tokenBox is the backing store shared by several memStore handles, as a
// database row is shared by processes. Its lock is held while fn runs, like
// SELECT ... FOR UPDATE.
type tokenBox struct {
	mu  sync.Mutex
	tok *oauth2.Token
}

type memStore struct{ box *tokenBox }

func (s memStore) LoadToken(context.Context, string) (*oauth2.Token, error) {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	return copyToken(s.box.tok), nil
}

func (s memStore) UpdateToken(_ context.Context, _ string, fn func(*oauth2.Token) (*oauth2.Token, error)) (*oauth2.Token, error) {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	next, err := fn(copyToken(s.box.tok))
	if err != nil {
		return nil, err
	}
	if next != nil {
		s.box.tok = copyToken(next)
	}
	return copyToken(s.box.tok), nil
}

func (b *tokenBox) current() *oauth2.Token {
	b.mu.Lock()
	defer b.mu.Unlock()
	return copyToken(b.tok)
}

func (b *tokenBox) expire() {
	b.mu.Lock()
	b.tok.Expiry = time.Now().Add(-time.Minute)
	b.mu.Unlock()
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// noSleep records the waits instead of sleeping.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func longLivedClient(t *testing.T, url string, mod func(*amocrm.Config)) *amocrm.Client {
	t.Helper()
	cfg := amocrm.Config{BaseURL: url, LongLivedToken: testLongLived, RateLimit: 1000, Sleep: new(noSleep).sleep}
	if mod != nil {
		mod(&cfg)
	}
	c, err := amocrm.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertNoSecrets fails when err's text contains any of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append(secrets, testLongLived) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}
