// Package orders is the source of the shop's orders: new orders become
// deals with their customers' contacts, status changes move the deals,
// and orders that are not placed, not settled, parked or left pending by a
// create with an unknown outcome come back when they can be sent.
package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// Shop is the shop as the orders source reads it (*modx.DB).
type Shop interface {
	source.Ends
	Detect(ctx context.Context) (*modx.Schema, error)
	OrderHeaders(ctx context.Context, afterID int64, limit int) ([]shop.OrderHeader, error)
	LoadOrders(ctx context.Context, ids []int64) ([]shop.Order, error)
	PlacedAtZero(ctx context.Context, ids []int64) (map[int64]bool, error)
	OrderSignatures(ctx context.Context, ids []int64) ([]shop.OrderSignature, error)
	StatusLogs(ctx context.Context, afterID int64, limit int) (modx.StatusLogPage, error)
}

// CRM is what the orders source reads of amoCRM: the live deals that may
// move or change, and what deals hold of their products, tasks and notes
// where those may have been written before.
type CRM interface {
	source.ReadBackCRM
	LeadsByIDs(ctx context.Context, ids []int64, withContacts bool) ([]crm.Lead, error)
	LeadNotes(ctx context.Context, leadID int64, noteType string) ([]crm.Note, error)
}

// Source is the orders of one pass. It reads, in this order:
//
//  1. the site pipeline step (orders.pipeline_id = 0), written before any
//     order is mapped with it;
//  2. orders whose create had an unknown outcome (or the links or task of
//     whose deal): looked up before anything is created again;
//  3. new orders after the watermark;
//  4. orders that were waiting: not placed, not settled, or whose write
//     waited for something outside them;
//  5. parked orders whose retry is due;
//  6. status changes after the log watermark: every order they name is
//     brought to its current status, except the orders 2-5 planned in this
//     pass (each order is planned once a pass, at its current status),
//     orders above the orders watermark (new orders of the next pass) and
//     orders not settled yet (the waiting list brings them);
//  7. when orders.compare_cron is due, every linked order against what the
//     state recorded of its deal, below the watermark the pass began at
//     (orders above it were read as new): deals where the current config
//     does not put their orders' statuses are moved;
//  8. then every linked order's own row against the signature recorded when
//     its deal last got it (edits.go): an edited order's deal gets what
//     changed, a deleted one's what orders.on_delete says, except orders
//     this pass wrote whole or that are not settled;
//  9. the orders the pass leaves waiting, listed with why.
type Source struct {
	env     *source.Env
	shop    Shop
	crm     CRM
	compare bool // compare on every pass (run -once)

	started  bool
	start    *source.Start
	schema   *modx.Schema
	readers  source.Drain
	mem      *memory
	plan     *planner
	logsMark int64 // the order logs' watermark
	logsDone bool
	since    map[int64]time.Time // when each waiting order began to wait
}

// New returns the orders source of one pass; compare forces the status
// comparison whether or not orders.compare_cron is due.
func New(env *source.Env, s Shop, c CRM, compare bool) *Source {
	mem := newMemory()
	return &Source{env: env, shop: s, crm: c, compare: compare, mem: mem, since: map[int64]time.Time{},
		plan: &planner{env: env, shop: s, crm: c, mem: mem}}
}

// Name is the source's name.
func (s *Source) Name() string { return syncer.SourceOrders }

// Backlog is how many order and log rows are after the watermarks.
func (s *Source) Backlog(ctx context.Context) (map[string]int, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return source.Backlog(ctx, s.shop, s.start.Marks)
}

// Next is the next batch of the first reader not drained.
func (s *Source) Next(ctx context.Context) (*syncer.Batch, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return s.readers.Next(ctx)
}

// begin reads where the streams stand and the shop's schema, and lines
// the readers up.
func (s *Source) begin(ctx context.Context) error {
	if s.started {
		return nil
	}
	schema, err := s.shop.Detect(ctx)
	if err != nil {
		return fmt.Errorf("detect shop schema: %w", err)
	}
	start, err := s.env.Begin(ctx, s.shop, syncer.SourceOrders, syncer.SourceOrderLogs)
	if err != nil {
		return err
	}
	s.started, s.schema, s.start = true, schema, start
	s.mem.draft = schema.DraftStatus
	s.mem.newFrom, s.mem.mark = start.Marks[syncer.SourceOrders], start.Marks[syncer.SourceOrders]
	s.logsMark = start.Marks[syncer.SourceOrderLogs]
	s.readers.Then(
		source.ReaderFunc(func(context.Context) (*syncer.Batch, error) { return s.start.Batch(), nil }),
		source.ReaderFunc(s.sitePipeline),
		source.ReaderFunc(func(context.Context) (*syncer.Batch, error) { return batchOf(s.env.Account.Notices()), nil }),
		&source.Queue{Load: s.env.PendingIDs(s.markers()...), Plan: s.byID},
		s.newOrders(),
		&source.Queue{Load: s.env.Waiting(plan.KindOrder, s.since), Plan: s.waiting},
		&source.Queue{Load: s.due, Plan: s.byID},
		source.ReaderFunc(s.logs),
		s.comparison(),
		s.edits(),
		source.ReaderFunc(s.waitReport),
	)
	return nil
}

// sitePipeline is the site pipeline step's batch, once a pass.
func (s *Source) sitePipeline(context.Context) (*syncer.Batch, error) {
	return batchOf(s.env.Account.SitePipeline()), nil
}

// batchOf is a plan with nothing read for it as a batch; nil for none.
func batchOf(pl *plan.Plan) *syncer.Batch {
	if pl == nil {
		return nil
	}
	return &syncer.Batch{Plan: pl}
}

// markers are the pending-marker kinds that bring an order back: its
// deal's, and its products' and task's while they are on.
func (s *Source) markers() []string {
	kinds := []string{plan.KindOrder}
	if s.env.Config.Orders.Products.Enabled {
		kinds = append(kinds, plan.ProductsKind(plan.KindOrder))
	}
	if s.env.Config.Orders.Task.Enabled {
		kinds = append(kinds, plan.TaskKind(plan.KindOrder))
	}
	return kinds
}

// due loads the parked orders whose retry is due, remembering them: one
// still not placed is parked again, its backoff growing.
func (s *Source) due(ctx context.Context) ([]int64, error) {
	ids, err := s.env.DueIDs(plan.KindOrder)(ctx)
	for _, id := range ids {
		s.mem.retried[id] = true
	}
	return ids, err
}

// byID plans orders read by id, as a batch of their own.
func (s *Source) byID(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	pl, err := s.plan.plan(ctx, ids, false)
	return &syncer.Batch{Plan: pl}, err
}

func orderRecord(id int64, num string) plan.Record {
	title := fmt.Sprintf("order #%d", id)
	if num != "" {
		title = "order " + num
	}
	return plan.Record{Kind: plan.KindOrder, ID: id, Title: title}
}
