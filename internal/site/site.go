// Package site builds, from one config, the objects every command works
// with: the MODX database, the state store with every option the config
// sets, the amoCRM client counting its requests, and the instance lock. The
// daemon, the one-shot commands, the demo and the tests all build them here,
// so they cannot drift apart. A caller opens only the parts it needs.
//
// It does not import internal/syncer: the syncer's own tests build their
// harness with it.
package site

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql" // also the "mysql" driver of sqlx.Open
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/leader"
	"github.com/modx-amocrm/modx-amocrm/internal/metrics"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// Connection pools: the most MySQL sessions each part holds. A process holds
// at most ShopConns + StateConns, the daemon LockConns more; sql/grants.sql's
// MAX_USER_CONNECTIONS is sized from these (see README, Install).
const (
	ShopConns  = modx.MaxOpenConns
	StateConns = 4
	LockConns  = 1
)

// Options are what a caller adds to the config: where logs and metrics go,
// and, for tests, the clock and the transport.
type Options struct {
	Logger  *slog.Logger     // nil discards
	Metrics *metrics.Metrics // nil records nothing
	// Now is the state store's clock (parked records' times); nil: time.Now.
	Now func() time.Time
	// HTTPClient carries amoCRM requests; nil: a default client.
	HTTPClient *http.Client
	// Sleep waits between amoCRM retries; nil sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// QueryTimeout bounds each MODX query; zero: modx.DefaultQueryTimeout.
	QueryTimeout time.Duration
}

// Site is one shop's MODX database, state and amoCRM account. The Open
// methods set the fields; Close closes what was opened.
type Site struct {
	Config *config.Config
	Shop   *modx.DB       // set by OpenShop
	Store  *state.Store   // set by OpenState
	Client *amocrm.Client // set by OpenClient
	// Migrated lists the state migrations OpenState applied.
	Migrated []int

	opts     Options
	stateDB  *sqlx.DB
	requests atomic.Int64
}

// New returns a site that has opened nothing yet.
func New(cfg *config.Config, opts Options) *Site {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Site{Config: cfg, opts: opts}
}

// Open opens every part: the MODX database, the state (migrated) and the
// amoCRM client. On error nothing stays open.
func Open(ctx context.Context, cfg *config.Config, opts Options) (*Site, error) {
	s := New(cfg, opts)
	err := s.OpenShop(ctx)
	if err == nil {
		err = s.OpenState(ctx)
	}
	if err == nil {
		err = s.OpenClient(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Logger is the logger of Options, never nil.
func (s *Site) Logger() *slog.Logger { return s.opts.Logger }

// Metrics is the metrics of Options; nil records nothing.
func (s *Site) Metrics() *metrics.Metrics { return s.opts.Metrics }

// OpenShop connects to the MODX database.
func (s *Site) OpenShop(ctx context.Context) error {
	if s.Shop != nil {
		return nil
	}
	dsn, err := MODXDSN(s.Config)
	if err != nil {
		return err
	}
	shop, err := modx.Open(ctx, dsn, modx.Options{Prefix: s.Config.MODX.TablePrefix, Location: s.Config.MODX.Timezone,
		Shop: s.Config.MODX.Shop, QueryTimeout: s.opts.QueryTimeout})
	if err != nil {
		return fmt.Errorf("open MODX database: %w", err)
	}
	if z := shop.Zone(); z.Guessed {
		// An hour's error in every order time otherwise goes unnoticed
		// by anyone who does not run check.
		s.Logger().Warn("shop times are read in a guessed zone; set modx.timezone", "zone", z.Location.String(), "guess", z.Source)
	}
	s.Shop = shop
	return nil
}

// OpenState connects to the state database and applies pending migrations.
func (s *Site) OpenState(ctx context.Context) error {
	if s.Store != nil {
		return nil
	}
	dsn, err := StateDSN(s.Config)
	if err != nil {
		return err
	}
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return fmt.Errorf("open state database: %w", err)
	}
	db.SetMaxOpenConns(StateConns)
	db.SetMaxIdleConns(2)
	db.SetConnMaxLifetime(5 * time.Minute)
	opts := []state.Option{state.WithMaxAttempts(s.Config.Sync.MaxAttempts), state.WithLogger(s.opts.Logger)}
	if s.opts.Now != nil {
		opts = append(opts, state.WithClock(s.opts.Now))
	}
	store, err := state.Open(db, s.Config.State.TablePrefix, opts...)
	var pending []int
	if err == nil {
		pending, err = store.PendingMigrations(ctx)
	}
	if err == nil && len(pending) > 0 {
		err = store.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		return fmt.Errorf("open state database: %w", err)
	}
	s.stateDB, s.Store, s.Migrated = db, store, pending
	return nil
}

// OpenClient builds the amoCRM client. In OAuth mode it opens the state,
// which keeps the tokens; a long-lived token needs no database at all.
func (s *Site) OpenClient(ctx context.Context) error {
	if s.Client != nil {
		return nil
	}
	var tokens amocrm.TokenStore
	if s.Config.AmoCRM.LongLivedToken == "" {
		if err := s.OpenState(ctx); err != nil {
			return err
		}
		tokens = s.Store
	}
	a := s.Config.AmoCRM
	base := s.Config.AmoBaseURL()
	ac := amocrm.Config{
		BaseURL:        base,
		ClientID:       a.ClientID,
		ClientSecret:   a.ClientSecret,
		RedirectURI:    a.RedirectURI,
		LongLivedToken: a.LongLivedToken,
		TokenName:      TokenName(base),
		RateLimit:      a.RateLimit,
		Timeout:        a.Timeout.Duration,
		BatchSize:      s.Config.Sync.BatchSize,
		HTTPClient:     s.opts.HTTPClient,
		Logger:         s.opts.Logger,
		OnRequest:      s.observe,
		Sleep:          s.opts.Sleep,
	}
	if s.Store != nil {
		if err := s.rememberFilters(ctx, &ac); err != nil {
			return err
		}
	}
	client, err := amocrm.New(ac, tokens)
	if err != nil {
		return err
	}
	s.Client = client
	return nil
}

// metaFiltersIgnored, followed by the account's host, names the state meta
// entry saying that the account ignores list filters (it lacks amoCRM's
// filtering alpha).
const metaFiltersIgnored = "amocrm_filters_ignored:"

// rememberFilters starts the client knowing what an earlier run found out
// about the account's list filters, so an account that ignores them is read
// by id from the first request on, and has the client store what it finds
// out. Without an opened state (a command that needs none) nothing is
// remembered.
func (s *Site) rememberFilters(ctx context.Context, ac *amocrm.Config) error {
	name := metaFiltersIgnored + TokenName(ac.BaseURL)
	_, ignored, err := s.Store.Meta(ctx, name)
	if err != nil {
		return err
	}
	ac.FiltersIgnored = ignored
	ac.OnFiltersIgnored = func() {
		// Called in the middle of a request, whose context it is not given.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.Store.SetMeta(wctx, name, "1"); err != nil {
			s.opts.Logger.Warn("remember that the amoCRM account ignores list filters", "err", err)
		}
	}
	return nil
}

// observe counts one amoCRM request attempt and feeds the metrics.
func (s *Site) observe(r amocrm.RequestInfo) {
	s.requests.Add(1)
	s.opts.Metrics.ObserveRequest(r.Class, r.Status, r.Duration)
	if r.RateLimitWait > 0 {
		s.opts.Metrics.RateLimitWait(r.RateLimitWait)
	}
}

// Requests is how many amoCRM request attempts the client has made.
func (s *Site) Requests() int { return int(s.requests.Load()) }

// Close closes every part that was opened.
func (s *Site) Close() error {
	var errs []error
	if s.Shop != nil {
		errs = append(errs, s.Shop.Close())
	}
	if s.stateDB != nil {
		errs = append(errs, s.stateDB.Close())
	}
	return errors.Join(errs...)
}

// TokenName keys the OAuth token by the account's host, so pointing the
// config at another account never reuses the first account's token.
func TokenName(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return baseURL
}

// Locker is the single-instance lock of the site. It lives on the state
// database and is named after what a second instance must not share with the
// first: the state schema, its table prefix and the amoCRM account.
func (s *Site) Locker() (*leader.Locker, error) {
	dsn, err := StateDSN(s.Config)
	if err != nil {
		return nil, err
	}
	parsed, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("state database DSN: %w", err)
	}
	name := leader.LockName(parsed.DBName, s.Config.State.TablePrefix, s.Config.AmoBaseURL())
	return &leader.Locker{DSN: dsn, Name: name, Logger: s.opts.Logger}, nil
}
