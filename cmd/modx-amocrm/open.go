package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"golang.org/x/term"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/metrics"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// site is everything a sync opens for one shop: its MODX database, our state
// and the amoCRM client, wired the way `run` uses them.
type site struct {
	cfg     *config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	shop    *modx.DB
	stateDB *sqlx.DB
	store   *state.Store
	client  *amocrm.Client
	// requests counts amoCRM request attempts, for the summary line.
	requests atomic.Int64
}

// shopOptions are the [modx] keys the MODX readers take.
func shopOptions(cfg *config.Config) modx.Options {
	return modx.Options{Prefix: cfg.MODX.TablePrefix, Location: cfg.MODX.Timezone, Shop: cfg.MODX.Shop}
}

// openSite connects to MODX, the state database (migrating it) and amoCRM.
// m may be nil. The caller closes the site.
func openSite(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics) (*site, error) {
	s := &site{cfg: cfg, log: log, metrics: m}
	dsn, err := cfg.MODXDSN()
	if err != nil {
		return nil, err
	}
	s.shop, err = modx.Open(ctx, dsn, shopOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("open MODX database: %w", err)
	}
	if s.store, s.stateDB, err = openState(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	ac := amoConfig(cfg)
	ac.Logger = log
	ac.OnRequest = func(r amocrm.RequestInfo) {
		s.requests.Add(1)
		m.ObserveRequest(r.Class, r.Status, r.Duration)
		if r.RateLimitWait > 0 {
			m.RateLimitWait(r.RateLimitWait)
		}
	}
	if s.client, err = amocrm.New(ac, s.store); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pass runs one pass, logging to log, and fills in the requests it made.
func (s *site) pass(ctx context.Context, opts syncer.PassOptions, log *slog.Logger) (*syncer.Result, error) {
	before := s.requests.Load()
	sy := syncer.New(s.cfg, s.shop, s.client, s.store, syncer.Options{Logger: log, Metrics: s.metrics, Shop: s.shop})
	res, err := sy.Pass(ctx, opts)
	if res != nil {
		res.Requests = int(s.requests.Load() - before)
		s.metrics.PassDuration(res.Finished.Sub(res.Started))
	}
	return res, err
}

func (s *site) Close() error {
	var errs []error
	if s.shop != nil {
		errs = append(errs, s.shop.Close())
	}
	if s.stateDB != nil {
		errs = append(errs, s.stateDB.Close())
	}
	return errors.Join(errs...)
}

// openStore opens only the state database of the config at configPath, for
// the commands that read or change parked records.
func openStore(ctx context.Context, configPath string) (*state.Store, func() error, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return nil, nil, err
	}
	store, db, err := openState(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return store, db.Close, nil
}

// isTerminal reports whether w is a terminal, for colours and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
