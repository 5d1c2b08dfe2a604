package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver of sqlx.Open
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// loadConfig reads and validates the config named by -config (or its default).
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(config.ResolvePath(path))
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// openState connects to the state database and brings its tables up to date.
// The caller closes the returned DB.
func openState(ctx context.Context, cfg *config.Config) (*state.Store, *sqlx.DB, error) {
	dsn, err := cfg.StateDSN()
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlx.Open("mysql", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open state database: %w", err)
	}
	store, err := state.Open(db, cfg.State.TablePrefix)
	if err == nil {
		err = store.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open state database: %w", err)
	}
	return store, db, nil
}

// newAmoClient builds the amoCRM client of cfg. store keeps the OAuth tokens;
// it may be nil with a long-lived token.
func newAmoClient(cfg *config.Config, store amocrm.TokenStore) (*amocrm.Client, error) {
	return amocrm.New(amoConfig(cfg), store)
}

// amoConfig is the client configuration of cfg; `run` adds its logger and
// request hook to it.
func amoConfig(cfg *config.Config) amocrm.Config {
	a := cfg.AmoCRM
	base := cfg.AmoBaseURL()
	return amocrm.Config{
		BaseURL:        base,
		ClientID:       a.ClientID,
		ClientSecret:   a.ClientSecret,
		RedirectURI:    a.RedirectURI,
		LongLivedToken: a.LongLivedToken,
		TokenName:      tokenName(base),
		RateLimit:      a.RateLimit,
		Timeout:        a.Timeout.Duration,
		BatchSize:      cfg.Sync.BatchSize,
	}
}

// metaFiltersIgnored, followed by the account's host, is the state meta
// entry saying the account ignores list filters (it lacks amoCRM's
// filtering alpha).
const metaFiltersIgnored = "amocrm_filters_ignored:"

// rememberFilters starts ac knowing what an earlier run found out about the
// account's list filters, so an account that ignores them is read by id
// from the first request on, and has the client store what it finds out.
func rememberFilters(ctx context.Context, store *state.Store, ac *amocrm.Config, log *slog.Logger) error {
	name := metaFiltersIgnored + tokenName(ac.BaseURL)
	_, ignored, err := store.Meta(ctx, name)
	if err != nil {
		return err
	}
	ac.FiltersIgnored = ignored
	ac.OnFiltersIgnored = func() {
		// Called in the middle of a request, whose context it is not given.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := store.SetMeta(wctx, name, "1"); err != nil {
			log.Warn("remember that the amoCRM account ignores list filters", "err", err)
		}
	}
	return nil
}

// tokenName keys the token by the account's host, so pointing the config at
// another account never reuses the first account's token.
func tokenName(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return baseURL
}

// amoSession is what a command talking to amoCRM opens: the config, the
// client and, in OAuth mode, the state database holding the tokens.
type amoSession struct {
	cfg    *config.Config
	client *amocrm.Client
	db     *sqlx.DB // nil with a long-lived token
}

// openAmo loads the config and connects a client. The state database is
// opened only when OAuth tokens must be kept there.
func openAmo(ctx context.Context, configPath string) (*amoSession, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, err
	}
	s := &amoSession{cfg: cfg}
	var store amocrm.TokenStore
	if cfg.AmoCRM.LongLivedToken == "" {
		var st *state.Store
		if st, s.db, err = openState(ctx, cfg); err != nil {
			return nil, err
		}
		store = st
	}
	if s.client, err = newAmoClient(cfg, store); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *amoSession) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}
