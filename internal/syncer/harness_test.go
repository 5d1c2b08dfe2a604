package syncer_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

const testToken = "sandbox-long-lived-token"

// harness is a shop database, our state in it, the sandbox and a syncer
// wired the way `run` wires them.
type harness struct {
	t      testing.TB
	ctx    context.Context
	db     *sqlx.DB
	dsn    string
	shop   modxtest.Options
	cfg    *config.Config
	box    *sandbox.Server
	url    string
	site   *site.Site
	store  *state.Store
	source *modx.DB
	// engineOpts are the options of the engines h.pass builds.
	engineOpts site.EngineOptions
}

func newHarness(t *testing.T, shop modxtest.Options, edit func(*config.Config)) *harness {
	t.Helper()
	return newHarnessTB(t, shop, edit, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1})
}

// newHarnessModes is newHarness against a sandbox account with modes.
func newHarnessModes(t *testing.T, shop modxtest.Options, edit func(*config.Config), modes sandbox.Modes) *harness {
	t.Helper()
	return newHarnessTB(t, shop, edit, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1, Modes: modes})
}

func newHarnessTB(t testing.TB, shop modxtest.Options, edit func(*config.Config), box sandbox.Options) *harness {
	t.Helper()
	ctx := context.Background()
	db, dsn := testdb.New(t)
	if shop.Prefix == "" {
		shop.Prefix = "modx_"
	}
	if err := modxtest.Create(ctx, db, shop); err != nil {
		t.Fatalf("create shop: %v", err)
	}
	sb, url := sandboxtest.Start(t, box)
	cfg := config.Default()
	cfg.MODX.DSN = dsn
	cfg.MODX.TablePrefix = shop.Prefix
	cfg.AmoCRM.BaseURL = url
	cfg.AmoCRM.LongLivedToken = testToken
	cfg.Orders.Enabled = true
	cfg.Orders.PipelineID = config.IDRef{Name: "Воронка"}
	cfg.Sync.Start = "all"
	cfg.Sync.Settle = config.Duration{}
	cfg.AmoCRM.RateLimit = 1000 // the sandbox limits rates only where a test asks it to
	cfg.AmoCRM.Timeout = config.Duration{Duration: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := site.Open(ctx, &cfg, site.Options{Logger: logger, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatalf("open site: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &harness{t: t, ctx: ctx, db: db, dsn: dsn, shop: shop, cfg: &cfg, box: sb, url: url, site: s, store: s.Store, source: s.Shop}
}

// shops are the shops the end-to-end order tests run on: miniShop2's
// current generation and MiniShop3 (TestGenerations has every generation).
var shops = []struct{ name, gen string }{{"miniShop2-4.x", modxtest.Gen4x}, {"MiniShop3-1.x", modxtest.GenMS3}}

// forEachShop runs f as a subtest per shop, with base's other options.
func forEachShop(t *testing.T, base modxtest.Options, f func(t *testing.T, shop modxtest.Options)) {
	for _, s := range shops {
		o := base
		o.Generation = s.gen
		t.Run(s.name, func(t *testing.T) { f(t, o) })
	}
}

// statuses are the shop's default status ids.
func (h *harness) statuses() modxtest.StatusIDs { return modxtest.Statuses(h.shop) }

// place completes the checkout of an unplaced order or a draft.
func (h *harness) place(id int64) {
	h.t.Helper()
	if err := modxtest.PlaceOrder(h.ctx, h.db, h.shop, id, time.Time{}); err != nil {
		h.t.Fatalf("place order %d: %v", id, err)
	}
}

// changeStatus moves an order to status with a log row, as the shop does.
func (h *harness) changeStatus(id, status int64) {
	h.t.Helper()
	if err := modxtest.ChangeStatus(h.ctx, h.db, h.shop, id, status, time.Time{}); err != nil {
		h.t.Fatalf("change status of order %d: %v", id, err)
	}
}

// engine builds an engine the way `run` does (site.Engine); faults are set
// on the sandbox.
func (h *harness) engine(opts site.EngineOptions) *syncer.Engine {
	h.t.Helper()
	h.site.Shop = h.source
	e, err := h.site.Engine(opts)
	if err != nil {
		h.t.Fatalf("build the engine: %v", err)
	}
	return e
}

// pass runs one real pass and fails the test on error.
func (h *harness) pass(opts syncer.PassOptions) *syncer.Result {
	h.t.Helper()
	return h.passWith(h.engineOpts, opts)
}

// passWith runs one pass of an engine built with eopts and fails the test
// on error.
func (h *harness) passWith(eopts site.EngineOptions, opts syncer.PassOptions) *syncer.Result {
	h.t.Helper()
	res, err := h.engine(eopts).Pass(h.ctx, opts)
	if err != nil {
		h.t.Fatalf("pass: %v", err)
	}
	return res
}

func (h *harness) order(spec modxtest.OrderSpec) int64 {
	h.t.Helper()
	id, err := modxtest.InsertOrder(h.ctx, h.db, h.shop, spec)
	if err != nil {
		h.t.Fatalf("insert order: %v", err)
	}
	return id
}

func (h *harness) user(spec modxtest.UserSpec) int64 {
	h.t.Helper()
	id, err := modxtest.InsertUser(h.ctx, h.db, h.shop, spec)
	if err != nil {
		h.t.Fatalf("insert user: %v", err)
	}
	return id
}

// leadOf returns the sandbox deal whose MODX order field holds the order id.
func (h *harness) leadsByOrder() map[string]sandbox.LeadState {
	out := map[string]sandbox.LeadState{}
	for _, l := range h.box.Leads() {
		for _, f := range l.CustomFieldsValues {
			if f.FieldCode == "MODX_ORDER" && len(f.Values) > 0 {
				out[valueString(f.Values[0].Value)] = l
			}
		}
	}
	return out
}

// requests counts the sandbox's logged requests with method and path.
func (h *harness) requests(method, path string) int {
	n := 0
	for _, r := range h.box.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func valueString(v any) string { return fmt.Sprint(v) }

func (h *harness) pipelineStatus(pipeline, name string) (int64, int64) {
	h.t.Helper()
	for _, p := range h.box.Pipelines() {
		if p.Name != pipeline {
			continue
		}
		for _, s := range p.Statuses {
			if s.Name == name {
				return p.ID, s.ID
			}
		}
	}
	h.t.Fatalf("no status %q in pipeline %q", name, pipeline)
	return 0, 0
}
