package site

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
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
	// orders.compare_cron schedule, and ShopStatusNow the reading of
	// amoCRM's events shop_status.cron schedules (run -once; -only
	// shop_status reads them too).
	FullUserScan, CompareStatuses, ShopStatusNow bool
}

// Sources are the sources a config turns on, each named as its config
// section (-only takes these names).
var Sources = []string{syncer.SourceOrders, syncer.SourceForms, syncer.SourceUsers, syncer.SourceShopStatus}

// SourceEnabled reports whether cfg turns the source src on.
func SourceEnabled(cfg *config.Config, src string) bool {
	switch src {
	case syncer.SourceOrders:
		return cfg.Orders.Enabled
	case syncer.SourceForms:
		return cfg.Forms.Enabled
	case syncer.SourceUsers:
		return cfg.Users.Enabled
	case syncer.SourceShopStatus:
		return cfg.ShopStatus.Enabled
	}
	return false
}

// CheckOnly refuses an -only list naming a source there is not.
func CheckOnly(only []string) error {
	for _, o := range only {
		if !slices.Contains(Sources, o) {
			return fmt.Errorf("-only: unknown source %q: want orders, forms, users or shop_status", o)
		}
	}
	return nil
}

// PassSources names the sources a pass covers: only, else the enabled ones.
func PassSources(cfg *config.Config, only []string) []string {
	if len(only) > 0 {
		return only
	}
	return slices.DeleteFunc(slices.Clone(Sources), func(src string) bool { return !SourceEnabled(cfg, src) })
}

// Engine builds the sync engine of the site, which must have its shop, its
// state and its client open. It is the one place that lists the sources, in
// the order they run, and the one place that chooses between a real run and
// a dry run.
func (s *Site) Engine(opts EngineOptions) (*syncer.Engine, error) {
	if err := CheckOnly(opts.Only); err != nil {
		return nil, err
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
	on := func(name string) bool {
		return SourceEnabled(cfg, name) && (len(opts.Only) == 0 || slices.Contains(opts.Only, name))
	}
	ordersOn, formsOn, usersOn, shopStatusOn := on(syncer.SourceOrders), on(syncer.SourceForms), on(syncer.SourceUsers), on(syncer.SourceShopStatus)
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
			force := opts.ShopStatusNow || slices.Contains(opts.Only, syncer.SourceShopStatus)
			list = append(list, shopstatus.NewMoves(env, s.Shop, s.Client, force))
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
