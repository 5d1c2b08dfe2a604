package site

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/apply"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/dryrun"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source/forms"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source/oldextra"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source/orders"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source/shopstatus"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source/users"
)

// EngineOptions are what a command adds to the config for its passes.
type EngineOptions struct {
	// DryRun plans and reports without writing to amoCRM, the shop or the
	// state.
	DryRun bool
	// Only lists the sources to run ("orders", "forms", "users",
	// "shop_status"); empty runs every enabled one. Order logs run with
	// orders.
	Only []string
	// Since overrides sync.start for sources with an empty state.
	Since string
	// FullUserScan and CompareStatuses force the comparisons users.cron and
	// orders.compare_cron schedule (run -once).
	FullUserScan, CompareStatuses bool
}

// Engine builds the sync engine of the site, which must have its shop, its
// state and its client open. It is the one place that lists the sources, in
// the order they run, and the one place that chooses between a real run and
// a dry run.
func (s *Site) Engine(opts EngineOptions) (*syncer.Engine, error) {
	for _, o := range opts.Only {
		if !slices.Contains([]string{syncer.SourceOrders, syncer.SourceForms, syncer.SourceUsers, syncer.SourceShopStatus}, o) {
			return nil, fmt.Errorf("-only: unknown source %q: want orders, forms, users or shop_status", o)
		}
	}
	cfg, log, now := s.Config, s.Logger(), s.now
	run := s.run(opts.DryRun)
	acct := account.New(cfg, s.Client, s.Shop, run.ledger, log, now)
	m := match.New(run.reads, run.ledger, log, now)
	start := cfg.Sync.Start
	if opts.Since != "" {
		start = opts.Since
	}
	env := &source.Env{Config: cfg, Ledger: run.ledger, Account: acct, Match: m, Log: log, Now: now, DBNow: s.Shop.Now, Start: start}
	on := func(enabled bool, name string) bool {
		return enabled && (len(opts.Only) == 0 || slices.Contains(opts.Only, name))
	}
	ordersOn := on(cfg.Orders.Enabled, syncer.SourceOrders)
	formsOn := on(cfg.Forms.Enabled, syncer.SourceForms)
	usersOn := on(cfg.Users.Enabled, syncer.SourceUsers)
	shopStatusOn := on(cfg.ShopStatus.Enabled, syncer.SourceShopStatus)
	mem := &users.Memory{}
	rewind := opts.Since
	sources := func(ctx context.Context) ([]syncer.Source, error) {
		env.Rewind, rewind = rewind, "" // the first pass moves positions back to -since, once
		s.Shop.ResetCaches()            // the category tree and accounts may have changed since the last pass
		m.Begin()
		if err := acct.Begin(ctx, ordersOn && cfg.Orders.PipelineID.IsZero()); err != nil {
			return nil, err
		}
		var list []syncer.Source
		if shopStatusOn { // before any source reads the shop's logs
			list = append(list, shopstatus.NewResume(env, s.Shop))
		}
		list = append(list, oldextra.New(env, s.Shop))
		if ordersOn {
			list = append(list, orders.New(env, s.Shop, s.Client, opts.CompareStatuses))
		}
		if formsOn {
			list = append(list, forms.New(env, s.Shop, s.Client))
		}
		if usersOn {
			list = append(list, users.New(env, s.Shop, mem, opts.FullUserScan))
		}
		if shopStatusOn {
			list = append(list, shopstatus.NewMoves(env, s.Shop, s.Client))
		}
		return list, nil
	}
	return syncer.New(syncer.Options{
		Sources:  sources,
		Writer:   run.writer(acct, m),
		Ledger:   run.ledger,
		DryRun:   opts.DryRun,
		Logger:   log,
		Metrics:  run.metrics,
		Now:      now,
		Requests: s.Requests,
	}), nil
}

// kind is a real run or a dry run: its ledger, how it reads amoCRM, its
// writer and its metrics.
type kind struct {
	ledger  syncer.Ledger
	reads   match.CRM
	writer  func(*account.Account, *match.Matcher) syncer.Writer
	metrics syncer.Metrics
}

// run makes the one choice between a real run and a dry run.
func (s *Site) run(dry bool) kind {
	ledger := syncer.NewStoreLedger(s.Store, s.Logger())
	if dry {
		d := dryrun.New()
		return kind{ledger: d.Ledger(ledger), reads: d.CRM(s.Client),
			writer: func(*account.Account, *match.Matcher) syncer.Writer { return d.Writer() }}
	}
	k := kind{ledger: ledger, reads: s.Client, metrics: s.opts.Metrics}
	k.writer = func(a *account.Account, m *match.Matcher) syncer.Writer {
		return apply.New(s.Client, s.Shop, ledger, a, m, s.Logger(), s.now)
	}
	return k
}

// now is the clock of the state and the engine.
func (s *Site) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}
