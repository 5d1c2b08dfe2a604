package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// syncOrders drains the order streams in order: orders whose create had an
// unknown outcome, new orders, orders that were waiting to be placed,
// parked orders that are due, then status changes.
func (s *Syncer) syncOrders(ctx context.Context, p *pass) error {
	schema, err := s.src.Detect(ctx)
	if err != nil {
		return fmt.Errorf("detect shop schema: %w", err)
	}
	p.draftStatus = schema.DraftStatus
	if err := s.initWatermarks(ctx, p, SourceOrders, SourceOrderLogs); err != nil {
		return err
	}
	if err := s.estimateBacklog(ctx, p, SourceOrders, SourceOrderLogs); err != nil {
		return err
	}
	p.newFrom = p.marks[SourceOrders]
	readers := []reader{
		&queue{load: s.pendingOrderIDs, plan: s.orderPage},
		readerFunc(s.newOrders),
		&queue{load: s.waitingOrderIDs, plan: s.waitingPage},
		readerFunc(s.dueOrders),
		readerFunc(s.orderLogs),
	}
	for _, r := range readers {
		if err := s.drain(ctx, p, r); err != nil {
			return err
		}
	}
	return nil
}

// readerFunc makes a function a reader.
type readerFunc func(ctx context.Context, p *pass) (*page, error)

func (f readerFunc) next(ctx context.Context, p *pass) (*page, error) { return f(ctx, p) }

// queue is a reader over a list of ids read once, planned a batch at a time.
type queue struct {
	load   func(ctx context.Context, p *pass) ([]int64, error)
	plan   func(ctx context.Context, p *pass, ids []int64) (*page, error)
	ids    []int64
	loaded bool
}

func (q *queue) next(ctx context.Context, p *pass) (*page, error) {
	if !q.loaded {
		ids, err := q.load(ctx, p)
		if err != nil {
			return nil, err
		}
		q.ids, q.loaded = ids, true
	}
	if len(q.ids) == 0 {
		return nil, nil
	}
	n := min(len(q.ids), pageSize)
	batch := q.ids[:n]
	q.ids = q.ids[n:]
	pg, err := q.plan(ctx, p, batch)
	if pg != nil {
		pg.more = len(q.ids) > 0
	}
	return pg, err
}

// dueIDs loads a queue with the parked records of kind whose next attempt
// is due, a page of them a pass.
func (s *Syncer) dueIDs(kind string) func(ctx context.Context, p *pass) ([]int64, error) {
	return func(ctx context.Context, p *pass) ([]int64, error) {
		due, err := s.store.DueFailures(ctx, kind, p.now(), pageSize)
		if err != nil {
			return nil, fmt.Errorf("read parked %ss: %w", kind, err)
		}
		ids := make([]int64, len(due))
		for i, f := range due {
			ids[i] = f.SourceID
		}
		return ids, nil
	}
}

// orderPage plans ids as a page of their own.
func (s *Syncer) orderPage(ctx context.Context, p *pass, ids []int64) (*page, error) {
	pl, err := s.planOrders(ctx, p, ids, false)
	return &page{plan: pl}, err
}

// pendingOrderIDs are the orders whose create had an unknown outcome (a
// crash, a timeout, a dropped connection): planOrders looks each deal up by
// its order number before anything is created again.
func (s *Syncer) pendingOrderIDs(ctx context.Context, p *pass) ([]int64, error) {
	pending, err := p.pending(ctx, plan.KindOrder)
	if err != nil {
		return nil, err
	}
	return sortedIDs(pending), nil
}

func sortedIDs(set map[int64]bool) []int64 {
	ids := make([]int64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// newOrders reads one page of orders after the watermark. Orders younger
// than sync.settle stop the page (their products and address may still be
// being written: miniShop2's tables are usually MyISAM); orders at status 0
// or draft are remembered as waiting so the watermark can move past them.
func (s *Syncer) newOrders(ctx context.Context, p *pass) (*page, error) {
	wm := p.marks[SourceOrders]
	headers, err := s.src.OrderHeaders(ctx, wm, pageSize)
	if err != nil {
		return nil, fmt.Errorf("read orders after %d: %w", wm, err)
	}
	p.result.Read[SourceOrders] += len(headers)
	s.metrics.RowsRead(SourceOrders, len(headers))
	settled := p.now().Add(-s.cfg.Sync.Settle.Duration)
	var send []int64
	var waits []state.Waiting
	mark, more := wm, len(headers) == pageSize
	for _, h := range headers {
		if !h.CreatedOn.IsZero() && h.CreatedOn.After(settled) {
			more = false
			break
		}
		mark = h.ID
		if reason := p.notPlaced(h.Status); reason != "" {
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: h.ID, Since: p.now(), Reason: reason})
			continue
		}
		send = append(send, h.ID)
	}
	if mark == wm {
		return nil, nil
	}
	pl, err := s.planOrders(ctx, p, send, true)
	if err != nil {
		return nil, err
	}
	return &page{plan: pl, rows: len(headers), more: more,
		commit: func(tx *state.Tx) error {
			for _, w := range waits {
				if err := tx.PutWaiting(w); err != nil {
					return err
				}
			}
			return tx.SetWatermark(SourceOrders, mark)
		},
		done: func() { p.marks[SourceOrders] = mark },
	}, nil
}

// plannedBefore reports whether this pass already planned order id.
func (p *pass) plannedBefore(id int64) bool {
	return p.planned[id] || id > p.newFrom && id <= p.marks[SourceOrders]
}

// notPlaced says why an order with this status is not an order yet, or "".
func (p *pass) notPlaced(status int64) string {
	switch {
	case status == 0:
		return "status 0: still being written"
	case p.draftStatus != 0 && status == p.draftStatus:
		return "draft (cart)"
	}
	return ""
}

func (s *Syncer) waitingOrderIDs(ctx context.Context, p *pass) ([]int64, error) {
	waiting, err := s.store.Waiting(ctx, plan.KindOrder)
	if err != nil {
		return nil, fmt.Errorf("read waiting orders: %w", err)
	}
	p.waitingSince = map[int64]state.Waiting{}
	ids := make([]int64, 0, len(waiting))
	for _, w := range waiting {
		ids = append(ids, w.SourceID)
		p.waitingSince[w.SourceID] = w
	}
	return ids, nil
}

// waitingPage looks again at orders that were at status 0 or draft: placed
// ones are sent, ones older than sync.abandon_after are given up with a log
// line (a draft that is placed later still arrives through its status log).
func (s *Syncer) waitingPage(ctx context.Context, p *pass, ids []int64) (*page, error) {
	orders, err := s.src.LoadOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read waiting orders: %w", err)
	}
	var send, done []int64
	present := map[int64]bool{}
	for _, o := range orders {
		present[o.ID] = true
		since := p.waitingSince[o.ID].Since
		switch {
		case p.notPlaced(o.Status) == "":
			send = append(send, o.ID)
			done = append(done, o.ID)
		case p.now().Sub(since) > s.cfg.Sync.AbandonAfter.Duration:
			s.log.Warn("order abandoned before it was placed", "source", SourceOrders, "order_id", o.ID,
				"status", o.Status, "waited", p.now().Sub(since).Round(1e9))
			done = append(done, o.ID)
		}
	}
	for _, id := range ids {
		if !present[id] {
			done = append(done, id) // deleted from the shop
		}
	}
	pl, err := s.planOrders(ctx, p, send, false)
	if err != nil {
		return nil, err
	}
	return &page{plan: pl, commit: func(tx *state.Tx) error { return tx.DeleteWaitings(plan.KindOrder, done) }}, nil
}

// dueOrders retries parked orders whose next attempt is due, each once a pass.
func (s *Syncer) dueOrders(ctx context.Context, p *pass) (*page, error) {
	due, err := s.store.DueFailures(ctx, plan.KindOrder, p.now(), pageSize)
	if err != nil {
		return nil, fmt.Errorf("read parked orders: %w", err)
	}
	var ids []int64
	for _, f := range due {
		if !p.retried[f.SourceID] {
			ids = append(ids, f.SourceID)
			p.retried[f.SourceID] = true
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	pl, err := s.planOrders(ctx, p, ids, false)
	return &page{plan: pl, more: len(due) == pageSize}, err
}

// orderLogs reads status changes after the log watermark. Every order with a
// change is brought to its current status: a linked deal is moved, an
// unlinked order is sent. Orders above the orders watermark are left to
// newOrders.
func (s *Syncer) orderLogs(ctx context.Context, p *pass) (*page, error) {
	wm := p.marks[SourceOrderLogs]
	logs, err := s.src.StatusLogs(ctx, wm, pageSize)
	if err != nil {
		return nil, fmt.Errorf("read order logs after %d: %w", wm, err)
	}
	read := len(logs.Changes) + len(logs.Skipped)
	p.result.Read[SourceOrderLogs] += read
	s.metrics.RowsRead(SourceOrderLogs, read)
	if logs.LastID <= wm {
		return nil, nil
	}
	var ids []int64
	for _, c := range logs.Changes {
		if c.OrderID <= p.marks[SourceOrders] && !slices.Contains(ids, c.OrderID) && !p.plannedBefore(c.OrderID) {
			ids = append(ids, c.OrderID)
		}
	}
	pl, err := s.planOrders(ctx, p, ids, false)
	if err != nil {
		return nil, err
	}
	return &page{plan: pl, rows: read, more: logs.Full,
		commit: func(tx *state.Tx) error { return tx.SetWatermark(SourceOrderLogs, logs.LastID) },
		done:   func() { p.marks[SourceOrderLogs] = logs.LastID },
	}, nil
}

// planOrders loads and maps the orders, reads what planning needs (links,
// pending markers and the deals they may have made, the customers' contacts,
// the live deals that may move) and plans them.
// fresh says the ids are new orders above the watermark: the pass's range
// remembers those, no set needs to.
func (s *Syncer) planOrders(ctx context.Context, p *pass, ids []int64, fresh bool) (*plan.Plan, error) {
	pl := plan.New(SourceOrders, plan.KindOrder)
	if len(ids) == 0 {
		return pl, nil
	}
	links, err := p.links(ctx, plan.LinkOrder, ids)
	if err != nil {
		return nil, err
	}
	statusLinks, err := p.links(ctx, plan.LinkOrderStatus, ids)
	if err != nil {
		return nil, err
	}
	loaded, err := s.src.LoadOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load orders %d..%d: %w", ids[0], ids[len(ids)-1], err)
	}
	var orders []*plan.Order
	var rows []*modx.Order
	for i := range loaded {
		o := &loaded[i]
		link := links[o.ID]
		if link.AmoID == 0 && p.notPlaced(o.Status) != "" {
			continue // not an order (yet): the waiting list or its status log brings it back
		}
		if p.plannedBefore(o.ID) {
			continue // already brought to its current status in this pass
		}
		if !fresh {
			p.planned[o.ID] = true
		}
		orders = append(orders, &plan.Order{Record: orderRecord(o), MS2Status: o.Status, Link: planLink(link), Status: planLink(statusLinks[o.ID])})
		rows = append(rows, o)
	}
	if orders, err = s.mapOrders(p, pl, orders, rows); err != nil {
		return nil, err
	}
	for _, o := range orders {
		for _, note := range slices.Concat(o.Deal.Notes, o.Deal.Contact.Notes) {
			s.log.Warn("order mapped with a repair", "source", SourceOrders, "order_id", o.Record.ID, "note", note)
		}
	}
	if err := s.reconcileOrders(ctx, p, orders); err != nil {
		return nil, err
	}
	var drafts []*transform.ContactDraft
	for _, o := range orders {
		if o.Link.AmoID == 0 && o.Found == nil {
			drafts = append(drafts, o.Deal.Contact)
		}
	}
	customers, of, err := s.customersOf(ctx, p, drafts)
	if err != nil {
		return nil, err
	}
	if err := s.readMovingDeals(ctx, orders); err != nil {
		return nil, err
	}
	if err := pl.AddOrders(p.mapper, orders, customers, of, s.cfg.Orders.ResendOnStatusChange); err != nil {
		return nil, err
	}
	return pl, nil
}

func orderRecord(o *modx.Order) plan.Record {
	title := "order #" + strconv.FormatInt(o.ID, 10)
	if o.Num != "" {
		title = "order " + o.Num
	}
	return plan.Record{Kind: plan.KindOrder, ID: o.ID, Title: title}
}

// mapOrders maps every order; bad ones are parked. Fields the batch needs
// and the account lacks are planned first (auto_create_fields), then the
// batch is mapped again against them.
func (s *Syncer) mapOrders(p *pass, pl *plan.Plan, orders []*plan.Order, rows []*modx.Order) ([]*plan.Order, error) {
	for attempt := 0; ; attempt++ {
		var lead, contact []transform.FieldSpec
		var mapped []*plan.Order
		for i, o := range orders {
			deal, err := p.mapper.Order(rows[i])
			var rerr *transform.RecordError
			switch {
			case errors.As(err, &rerr):
				if attempt == 0 {
					pl.Park(SourceOrders, o.Record, "lead", err.Error())
				}
				continue
			case err != nil:
				return nil, fmt.Errorf("map order %d: %w", o.Record.ID, err)
			}
			o.Deal = deal
			mapped = append(mapped, o)
			lead = append(lead, deal.MissingFields...)
			if deal.Contact != nil {
				contact = append(contact, deal.Contact.MissingFields...)
			}
		}
		if attempt > 0 {
			return mapped, nil
		}
		again, err := s.planFields(p, pl, lead, contact)
		if err != nil || !again {
			return mapped, err
		}
	}
}

// reconcileOrders looks up, by their order number, the deals of new orders
// with a pending marker (a create whose outcome was unknown): found ones
// are adopted instead of created again (DESIGN rule 2).
func (s *Syncer) reconcileOrders(ctx context.Context, p *pass, orders []*plan.Order) error {
	var unlinked bool
	for _, o := range orders {
		unlinked = unlinked || o.Link.AmoID == 0
	}
	if !unlinked {
		return nil
	}
	pending, err := p.pending(ctx, plan.KindOrder)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if o.Link.AmoID != 0 || !pending[o.Record.ID] {
			continue
		}
		lead, err := s.findLeadByField(ctx, transform.OrderFieldCode, o.Deal.OrderKey)
		if err != nil {
			return fmt.Errorf("look up the deal of order %d: %w", o.Record.ID, err)
		}
		o.Pending, o.Found = true, lead
		if lead != nil {
			s.log.Info("deal found after an unknown outcome", "source", SourceOrders, "order_id", o.Record.ID, "lead_id", lead.ID)
		}
	}
	return nil
}

// readMovingDeals reads the live deals of linked orders whose miniShop2
// status changed: their move depends on where a manager left them.
func (s *Syncer) readMovingDeals(ctx context.Context, orders []*plan.Order) error {
	var ids []int64
	for _, o := range orders {
		resend, err := o.Resends(s.cfg.Orders.ResendOnStatusChange)
		if err != nil {
			return err
		}
		if o.Link.AmoID > 0 && o.Found == nil && !resend && o.StatusChanged() {
			ids = append(ids, o.Link.AmoID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	leads, err := s.crm.LeadsByIDs(ctx, ids, false)
	if err != nil {
		return fmt.Errorf("read deals to move: %w", err)
	}
	byID := make(map[int64]*amocrm.Lead, len(leads))
	for i := range leads {
		byID[leads[i].ID] = &leads[i]
	}
	for _, o := range orders {
		o.Live = byID[o.Link.AmoID]
	}
	return nil
}
