package orders

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaEditsCompared = "order_edits_compared_at"

// editPage is how many linked orders the comparison of edits reads at a
// time: two statements a page (the signatures recorded, the same orders'
// rows in the shop), whatever it holds.
const editPage = 10000

// found is an order the comparison of edits plans.
type found struct {
	id   int64
	kind foundKind
}

type foundKind int

const (
	edited  foundKind = iota // its row's signature changed
	deleted                  // its row is gone
	adopted                  // linked before edits were followed: recorded as it is
)

// editScan compares, when orders.compare_cron is due (and on -once), every
// linked order's own row with the signature recorded when its deal last
// got it (transform.Signature): an edit in the shop's back office rewrites
// one of its columns, so a page of orders costs the two reads and nothing
// else unless one changed. First it records, as they are, the orders
// linked before edits were followed (an upgrade, the old extra's links).
// Orders this pass made or sent whole are current already, and ones edited
// within sync.settle may still be half-written: the next comparison takes
// them. Orders whose edit marker stands (an earlier try may have written
// part of theirs) are planned whatever their signature says.
type editScan struct {
	s                 *Source
	started, done     bool
	marked            map[int64]bool
	adopting, last    bool
	adoptAfter, after int64
	queue             []found
}

// edits is the comparison of edited and deleted orders.
func (s *Source) edits() source.Reader { return &editScan{s: s} }

// Next plans the next orders found, a page at a time; a page where nothing
// changed is an empty batch, so a pass can stop between pages.
func (e *editScan) Next(ctx context.Context) (*syncer.Batch, error) {
	if e.done {
		return nil, nil
	}
	if !e.started {
		e.started = true
		env := e.s.env
		due, err := env.ComparisonDue(ctx, e.s.compare, metaEditsCompared, "orders.compare_cron", env.Config.Orders.CompareCron)
		if err != nil || !due {
			e.done = true
			return nil, err
		}
		marks, err := env.Ledger.Pending(ctx, plan.EditMarker)
		if err != nil {
			return nil, fmt.Errorf("read pending order edits: %w", err)
		}
		e.marked, e.adopting = map[int64]bool{}, true
		for _, m := range marks {
			e.marked[m.SourceID] = true
		}
	}
	b := &syncer.Batch{Plan: e.s.env.Plan(syncer.SourceOrders, plan.KindOrder)}
	if len(e.queue) == 0 {
		if err := e.read(ctx); err != nil {
			return nil, err
		}
	}
	if len(e.queue) > 0 {
		page := e.queue[:min(len(e.queue), source.PageSize)]
		e.queue = e.queue[len(page):]
		var err error
		if b.Plan, err = e.s.plan.revise(ctx, page, e.marked); err != nil {
			return nil, err
		}
	}
	if len(e.queue) == 0 && e.last {
		e.done = true
		b.Cursor.Meta = e.s.env.Compared(metaEditsCompared)
	}
	return b, nil
}

// read reads the next page: of the orders linked with no signature while
// there are any, then of the signatures, and queues what it found.
func (e *editScan) read(ctx context.Context) error {
	env, mem := e.s.env, e.s.mem
	if e.adopting {
		ids, err := env.Ledger.LinkedWithoutSignature(ctx, plan.LinkOrder, e.adoptAfter, editPage)
		if err != nil {
			return fmt.Errorf("compare orders: %w", err)
		}
		e.adopting = len(ids) == editPage
		for _, id := range ids {
			if mem.compared(id) {
				e.queue = append(e.queue, found{id, adopted})
			}
			e.adoptAfter = id
		}
		return nil
	}
	recorded, last, err := env.Ledger.OrderSignatures(ctx, e.after, editPage)
	if err != nil {
		return fmt.Errorf("compare orders: %w", err)
	}
	e.last = len(recorded) < editPage
	rows, err := e.s.shop.OrderSignatures(ctx, slices.Sorted(maps.Keys(recorded)))
	if err != nil {
		return fmt.Errorf("compare orders after %d: %w", e.after, err)
	}
	changed, gone := transform.EditedOrders(recorded, rows)
	for _, r := range rows { // a marked order is planned again, whatever its signature
		if _, ok := recorded[r.ID]; ok && e.marked[r.ID] && !slices.Contains(changed, r.ID) {
			changed = append(changed, r.ID)
		}
	}
	ready, err := e.settled(ctx, changed, rows)
	if err != nil {
		return err
	}
	for _, id := range ready {
		if mem.compared(id) {
			e.queue = append(e.queue, found{id, edited})
		}
	}
	for _, id := range gone {
		if mem.compared(id) {
			e.queue = append(e.queue, found{id, deleted})
		}
	}
	e.after = last
	return nil
}

// settled leaves out the orders saved within sync.settle by the database's
// clock: the order window writes the order, then its address (miniShop2
// 4.x), so a young one may be half-written. The clock is read only for a
// page with changes.
func (e *editScan) settled(ctx context.Context, ids []int64, rows []shop.OrderSignature) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	clock, err := e.s.env.Clock(ctx)
	if err != nil {
		return nil, err
	}
	young := map[int64]bool{}
	for _, r := range rows {
		young[r.ID] = clock.Young(r.UpdatedOn)
	}
	var out []int64
	for _, id := range ids {
		if !young[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}
