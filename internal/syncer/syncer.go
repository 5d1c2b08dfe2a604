// Package syncer runs one pass of the connector, batch by batch, one way:
// read MODX rows after their watermarks, map them (package transform) and
// plan them (package plan) against our links and the live account, apply
// the plan to amoCRM, report it, and commit links, failures and watermarks
// together. A dry run simulates the apply instead and commits to memory, so
// it renders exactly the plan the real run would apply. With [shop_status]
// on, a last source goes the other way (shopstatus.go): deals a manager
// moved in amoCRM move their orders in the shop.
package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// Sources a pass can run, in the order they run.
const (
	SourceOrders    = plan.SourceOrders
	SourceOrderLogs = plan.SourceOrderLogs
	SourceForms     = plan.SourceForms
	SourceUsers     = plan.SourceUsers
)

// Source is the MODX database, as the syncer reads it.
type Source interface {
	Detect(ctx context.Context) (*modx.Schema, error)
	Now(ctx context.Context) (time.Time, error)
	ResetCaches()
	Site(ctx context.Context) (modx.SiteFacts, error)
	MaxIDs(ctx context.Context) (modx.Cursors, error)
	FirstIDsSince(ctx context.Context, t time.Time) (modx.Cursors, error)
	OrderHeaders(ctx context.Context, afterID int64, limit int) ([]shop.OrderHeader, error)
	LoadOrders(ctx context.Context, ids []int64) ([]shop.Order, error)
	StatusLogs(ctx context.Context, afterID int64, limit int) (modx.StatusLogPage, error)
	OrderStatuses(ctx context.Context) ([]shop.OrderStatus, error)
	OldLeads(ctx context.Context) ([]shop.OldLink, error)
	OldUsers(ctx context.Context) ([]shop.OldLink, error)
	Forms(ctx context.Context, afterID int64, limit int) ([]shop.Form, error)
	FormItKey(ctx context.Context) (string, error)
	Users(ctx context.Context, afterID int64, limit int) ([]shop.Customer, error)
	UsersByIDs(ctx context.Context, ids []int64) ([]shop.Customer, error)
}

// CRM is the amoCRM account, as the syncer reads and writes it.
type CRM interface {
	Users(ctx context.Context) ([]crm.User, error)
	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	CreatePipelines(ctx context.Context, pipelines []crm.Pipeline) ([]crm.Pipeline, error)
	AddStatuses(ctx context.Context, pipelineID int64, statuses []crm.Status) ([]crm.Status, error)
	LeadFields(ctx context.Context) ([]crm.CustomField, error)
	ContactFields(ctx context.Context) ([]crm.CustomField, error)
	CreateLeadFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error)
	CreateContactFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error)
	ContactsByIDs(ctx context.Context, ids []int64) ([]crm.Contact, error)
	ContactsChangedSince(ctx context.Context, updatedFrom int64, fn func([]crm.Contact) error) error
	ContactsNewestFirst(ctx context.Context, downToID int64, fn func([]crm.Contact) error) error
	NewestContactID(ctx context.Context) (int64, error)
	CreateContacts(ctx context.Context, contacts []crm.Contact) ([]crm.Contact, error)
	UpdateContacts(ctx context.Context, contacts []crm.Contact) error
	LeadsByIDs(ctx context.Context, ids []int64, withContacts bool) ([]crm.Lead, error)
	SearchLeads(ctx context.Context, query string) ([]crm.Lead, error)
	LeadsNewestFirst(ctx context.Context, downToID int64, withContacts bool, fn func([]crm.Lead) error) error
	NewestLeadID(ctx context.Context) (int64, error)
	CreateLeads(ctx context.Context, leads []crm.Lead) ([]crm.Lead, error)
	UpdateLeads(ctx context.Context, leads []crm.Lead) error
	CreateComplexLeads(ctx context.Context, leads []crm.Lead) ([]crm.ComplexResult, error)
	AddLeadNotes(ctx context.Context, notes []crm.Note) ([]crm.Note, error)
	CreateUnsortedForms(ctx context.Context, forms []crm.UnsortedForm) ([]amocrm.UnsortedResult, error)
	LeadStatusEvents(ctx context.Context, from, to int64, fn func([]crm.Event) error) error
}

// Metrics receives what a pass did; *metrics.Metrics satisfies it and a nil
// one is a no-op.
type Metrics interface {
	RowsRead(source string, n int)
	Written(kind, result string, n int)
	PassDone(source string, ok bool, at time.Time)
	SetBacklog(source string, n int)
	SetParked(source string, n int)
}

// Syncer runs passes. It is not safe for concurrent passes: the scheduler
// never overlaps them, and across processes the leader lock keeps one.
type Syncer struct {
	cfg      *config.Config
	src      Source
	crm      CRM
	store    *state.Store
	shop     ShopWriter
	log      *slog.Logger
	metrics  Metrics
	now      func() time.Time
	requests func() int
	// baselined: no users baseline is left to take (one is begun only
	// with an empty state, by initWatermarks).
	baselined bool
}

// Options are the Syncer's collaborators besides the three data sides.
type Options struct {
	Logger  *slog.Logger
	Metrics Metrics
	Now     func() time.Time // nil: time.Now
	// Requests returns how many amoCRM requests were made so far (the
	// client's count), for the pass summary; nil leaves it 0.
	Requests func() int
	// Shop writes order statuses for shop_status; nil: shop_status cannot run.
	Shop ShopWriter
}

// New returns a Syncer.
func New(cfg *config.Config, src Source, crm CRM, store *state.Store, opts Options) *Syncer {
	s := &Syncer{cfg: cfg, src: src, crm: crm, store: store, shop: opts.Shop, log: opts.Logger, metrics: opts.Metrics, now: opts.Now, requests: opts.Requests}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	if s.requests == nil {
		s.requests = func() int { return 0 }
	}
	return s
}

type noMetrics struct{}

func (noMetrics) RowsRead(string, int)             {}
func (noMetrics) Written(string, string, int)      {}
func (noMetrics) PassDone(string, bool, time.Time) {}
func (noMetrics) SetBacklog(string, int)           {}
func (noMetrics) SetParked(string, int)            {}

// PassOptions select what one pass does.
type PassOptions struct {
	// Only lists the sources to run ("orders", "forms", "users",
	// "shop_status"); empty runs every enabled one. order_logs run with orders.
	Only []string
	// DryRun plans and reports without writing to amoCRM or to the state.
	DryRun bool
	// Since overrides sync.start for sources with an empty state.
	Since string
	// Report receives one entry per planned change; may be nil.
	Report Reporter
	// Progress is told how many rows are done and how many are known; may be nil.
	Progress func(done, total int)
	// FullUserScan forces the users comparison even when users.cron is not due.
	FullUserScan bool
	// CompareStatuses forces the comparison of orders' statuses with the
	// statuses last sent even when orders.compare_cron is not due.
	CompareStatuses bool
	// Stop, when closed, ends the pass after the batch in flight: a graceful
	// shutdown that leaves nothing half-written.
	Stop <-chan struct{}
}

// Reporter receives the plan's entries as they are decided.
type Reporter interface {
	Write(report.Entry) error
}

// ErrStopped means the pass was interrupted (context cancelled) after the
// last complete batch: everything before it is committed.
var ErrStopped = errors.New("pass stopped")

// Pass runs one pass over the selected sources, draining their backlogs.
func (s *Syncer) Pass(ctx context.Context, opts PassOptions) (*Result, error) {
	p, err := s.newPass(ctx, opts)
	if err != nil {
		return nil, err
	}
	runs := []struct {
		source string
		on     bool
		fn     func(context.Context, *pass) error
	}{
		{SourceOrders, s.cfg.Orders.Enabled && p.selected(SourceOrders), s.syncOrders},
		{SourceForms, s.cfg.Forms.Enabled && p.selected(SourceForms), s.syncForms},
		{SourceUsers, s.cfg.Users.Enabled && p.selected(SourceUsers), s.syncUsers},
		{SourceShopStatus, s.shopStatusOn(p), s.syncShopStatus},
	}
	if err := s.resumeShopWrites(ctx, p); err != nil { // before any source reads the shop's logs
		return p.finish(), fmt.Errorf("%s: %w", SourceShopStatus, err)
	}
	for _, r := range runs {
		if !r.on {
			continue
		}
		if err := r.fn(ctx, p); err != nil {
			s.metrics.PassDone(r.source, false, s.now())
			if errors.Is(err, ErrStopped) {
				return p.finish(), err
			}
			if ctx.Err() != nil {
				return p.finish(), fmt.Errorf("%w: %s: %w", ErrStopped, r.source, context.Cause(ctx))
			}
			return p.finish(), fmt.Errorf("%s: %w", r.source, err)
		}
		s.metrics.PassDone(r.source, true, s.now())
	}
	if err := s.reportParked(ctx, p); err != nil {
		return p.finish(), err
	}
	return p.finish(), nil
}
