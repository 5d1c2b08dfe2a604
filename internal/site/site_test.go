package site_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/metrics"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

const token = "site-test-token"

// newConfig is a shop in a throw-away database and the sandbox, with the
// state in the shop's schema.
func newConfig(t *testing.T) *config.Config {
	t.Helper()
	db, dsn := testdb.New(t)
	if err := modxtest.Create(context.Background(), db, modxtest.Options{Prefix: "modx_"}); err != nil {
		t.Fatal(err)
	}
	_, url := sandboxtest.Start(t, sandbox.Options{LongLivedTokens: []string{token}, RPS: -1})
	cfg := config.Default()
	cfg.MODX.DSN = dsn
	cfg.AmoCRM.BaseURL = url
	cfg.AmoCRM.LongLivedToken = token
	return &cfg
}

func open(t *testing.T, cfg *config.Config, opts site.Options) *site.Site {
	t.Helper()
	s, err := site.Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMaxAttempts: sync.max_attempts reaches the state store. With 2, a
// record parked twice is no longer retried automatically and waits for
// `retry`; the default of 5 would have retried it again.
func TestMaxAttempts(t *testing.T) {
	ctx := context.Background()
	cfg := newConfig(t)
	cfg.Sync.MaxAttempts = 2
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := open(t, cfg, site.Options{Now: func() time.Time { return now }})

	park := func() state.Failure {
		t.Helper()
		err := s.Store.Commit(ctx, func(tx *state.Tx) error {
			return tx.Park(state.Failure{Kind: "order", SourceID: 7, Reason: "amoCRM rejected the deal"})
		})
		if err != nil {
			t.Fatal(err)
		}
		failures, err := s.Store.Failures(ctx)
		if err != nil || len(failures) != 1 {
			t.Fatalf("failures: %v, %+v; want one", err, failures)
		}
		return failures[0]
	}
	if f := park(); f.Attempts != 1 || f.NextAttemptAt == nil {
		t.Fatalf("after the first failure: attempts %d, next %v; want 1 and a next attempt", f.Attempts, f.NextAttemptAt)
	}
	if f := park(); f.Attempts != 2 || f.NextAttemptAt != nil {
		t.Errorf("after the second failure: attempts %d, next %v; want 2 and none (waits for retry)", f.Attempts, f.NextAttemptAt)
	}
	due, err := s.Store.DueFailures(ctx, "order", now.Add(1000*time.Hour), 10)
	if err != nil || len(due) != 0 {
		t.Errorf("due failures long after: %v, %+v; want none", err, due)
	}
}

// TestRequestsAndMetrics: every amoCRM request the client makes is counted
// for the summary and observed by the metrics.
func TestRequestsAndMetrics(t *testing.T) {
	m := metrics.New("test", "")
	s := open(t, newConfig(t), site.Options{Metrics: m})
	if _, err := s.Client.Account(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.Pipelines(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests(); got != 2 {
		t.Errorf("Requests: got %d, want 2", got)
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var observed float64
	for _, f := range families {
		if f.GetName() == "modx_amocrm_api_requests_total" {
			for _, metric := range f.GetMetric() {
				observed += metric.GetCounter().GetValue()
			}
		}
	}
	if observed != 2 {
		t.Errorf("modx_amocrm_api_requests_total: got %v, want 2", observed)
	}
}

// TestOpenOnlyWhatIsNeeded: a long-lived token needs no state database, so
// `pipelines` works without one; OAuth keeps its tokens in the state.
func TestOpenOnlyWhatIsNeeded(t *testing.T) {
	cfg := config.Default()
	cfg.MODX.DSN = "modx@tcp(127.0.0.1:1)/modx" // never dialled
	cfg.AmoCRM.BaseURL = "http://127.0.0.1:1"
	cfg.AmoCRM.LongLivedToken = token
	s := site.New(&cfg, site.Options{})
	if err := s.OpenClient(context.Background()); err != nil {
		t.Fatalf("OpenClient with a long-lived token: %v", err)
	}
	if s.Store != nil || s.Shop != nil {
		t.Error("a long-lived client opened a database")
	}

	oauth := newConfig(t)
	oauth.AmoCRM.LongLivedToken = ""
	oauth.AmoCRM.ClientID, oauth.AmoCRM.ClientSecret, oauth.AmoCRM.RedirectURI = "id", "secret", "https://example.com/"
	s = site.New(oauth, site.Options{})
	defer s.Close()
	if err := s.OpenClient(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Store == nil || s.Shop != nil || len(s.Migrated) == 0 {
		t.Errorf("OAuth client: store %v, shop %v, migrated %v; want the state opened and migrated, no shop", s.Store, s.Shop, s.Migrated)
	}
}

func TestTokenNameAndLock(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://example.amocrm.ru", "example.amocrm.ru"},
		{"http://127.0.0.1:8099", "127.0.0.1:8099"},
		{"not a url", "not a url"},
	} {
		if got := site.TokenName(tc.url); got != tc.want {
			t.Errorf("TokenName(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
	cfg := config.Default()
	cfg.MODX.DSN = "modx@tcp(127.0.0.1:3306)/shop"
	cfg.AmoCRM.Account = "example"
	l, err := site.New(&cfg, site.Options{}).Locker()
	if err != nil {
		t.Fatal(err)
	}
	if want := "modx-amocrm:shop:amocrm_sync_:https://example.amocrm.ru"; l.Name != want {
		t.Errorf("lock name %q, want %q", l.Name, want)
	}
}

// TestGuessedZoneIsLogged: with modx.timezone and date_timezone empty and
// no guest checkout to measure, every command that opens the shop warns
// that its times are read in a guessed zone; a named zone draws nothing.
func TestGuessedZoneIsLogged(t *testing.T) {
	for _, tc := range []struct {
		name string
		shop modxtest.Options
		warn bool
	}{
		{"date_timezone set", modxtest.Options{Prefix: "modx_"}, false},
		{"nothing names the zone", modxtest.Options{Prefix: "modx_", PHPTimezone: "Europe/Moscow"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, dsn := testdb.New(t)
			if err := modxtest.Create(context.Background(), db, tc.shop); err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.MODX.DSN = dsn
			var log bytes.Buffer
			s := site.New(&cfg, site.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			t.Cleanup(func() { s.Close() })
			if err := s.OpenShop(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(log.String(), `level=WARN msg="shop times are read in a guessed zone; set modx.timezone"`)
			if got != tc.warn {
				t.Errorf("warned %v, want %v; log:\n%s", got, tc.warn, log.String())
			}
		})
	}
}
