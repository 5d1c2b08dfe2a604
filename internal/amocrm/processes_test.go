package amocrm_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/oauth2"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// Environment of a child process of TestTwoProcessesRefreshOnceMySQL.
const (
	envChildURL = "MXAMO_TOKEN_CHILD_URL"
	envChildDSN = "MXAMO_TOKEN_CHILD_DSN"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(envChildURL); url != "" {
		os.Exit(tokenChild(url, os.Getenv(envChildDSN)))
	}
	os.Exit(m.Run())
}

// tokenChild is one "process": its own pool, store and client, making a
// few calls with the shared, expired token.
func tokenChild(url, dsn string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	store, err := state.Open(db, "amocrm_sync_")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := amocrm.New(amocrm.Config{BaseURL: url, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURI: sandbox.DefaultRedirectURI, RateLimit: 100}, store)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for range 3 {
		if _, err := c.Account(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// TestTwoProcessesRefreshOnceMySQL: two real processes find the stored
// token expired at the same moment; the state database's row lock lets one
// refresh, the other picks up the new pair, and both work.
func TestTwoProcessesRefreshOnceMySQL(t *testing.T) {
	ctx := context.Background()
	db, dsn := testdb.New(t)
	store, err := state.Open(db, "amocrm_sync_")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv, url := sandboxtest.Start(t, sandbox.Options{RPS: -1})
	c, err := amocrm.New(amocrm.Config{BaseURL: url, ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURI: sandbox.DefaultRedirectURI}, store)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exchange(ctx, sandbox.DefaultAuthCode); err != nil {
		t.Fatal(err)
	}
	// Age the stored token so both children must refresh.
	if _, err := store.UpdateToken(ctx, "default", func(cur *oauth2.Token) (*oauth2.Token, error) {
		cur.Expiry = time.Now().Add(-time.Minute)
		return cur, nil
	}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()

	var wg sync.WaitGroup
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildURL+"="+url, envChildDSN+"="+dsn)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	if got := countRequests(srv, isTokenCall); got != 1 {
		t.Errorf("refreshes: got %d, want exactly 1", got)
	}
}
