package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
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
	p.draftStatus, p.shop = schema.DraftStatus, schema.Shop
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
	return s.compareStatuses(ctx, p)
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

func sortedIDs[V any](set map[int64]V) []int64 {
	ids := make([]int64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// newOrders reads one page of orders after the watermark. A young order
// (within sync.settle of its own time) stops the page: its products and
// address may still be being written (miniShop2's tables are usually
// MyISAM). One dated in the future is remembered as waiting and the page
// goes on (see settling). Orders not placed yet are remembered as waiting
// from their createdon, so the watermark moves past them; one at status 0
// for longer than sync.abandon_after is parked at once, a cart that old is
// forgotten, and MiniShop3's carts are not remembered at all: every
// MiniShop3 order is a cart first, and its placing is a logged status change.
func (s *Syncer) newOrders(ctx context.Context, p *pass) (*page, error) {
	wm := p.marks[SourceOrders]
	headers, err := s.src.OrderHeaders(ctx, wm, pageSize)
	if err != nil {
		return nil, fmt.Errorf("read orders after %d: %w", wm, err)
	}
	p.result.Read[SourceOrders] += len(headers)
	s.metrics.RowsRead(SourceOrders, len(headers))
	if len(headers) == 0 {
		return nil, nil
	}
	clock, err := s.settling(ctx)
	if err != nil {
		return nil, err
	}
	var send []int64
	var stuck []shop.OrderHeader
	var waits []state.Waiting
	mark, more := wm, len(headers) == pageSize
scan:
	for _, h := range headers {
		reason := p.notPlaced(h.Status)
		switch {
		case reason != "" && p.shop == modx.ShopMiniShop3:
			mark = h.ID
			continue
		case clock.ahead(h.CreatedOn):
			s.log.Warn("order dated in the future: sent one settle after it appeared", "source", SourceOrders,
				"order_id", h.ID, "createdon", h.CreatedOn, "db_now", clock.now, "zone", h.CreatedOn.Location().String())
			p.unsettled[h.ID] = true
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: h.ID, Since: clock.now, Reason: "dated in the future"})
			mark = h.ID
			continue
		case clock.young(h.CreatedOn):
			more = false
			break scan
		}
		mark = h.ID
		since := clock.since(h.CreatedOn)
		switch {
		case reason == "":
			send = append(send, h.ID)
		case clock.now.Sub(since) <= s.cfg.Sync.AbandonAfter.Duration:
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: h.ID, Since: since, Reason: reason})
		case h.Status == 0:
			stuck = append(stuck, h)
		default:
			s.log.Debug("cart left before it was placed", "source", SourceOrders, "order_id", h.ID, "createdon", h.CreatedOn)
		}
	}
	if mark == wm {
		return nil, nil
	}
	pl, err := s.planOrders(ctx, p, send, true)
	if err != nil {
		return nil, err
	}
	for _, h := range stuck {
		pl.Park(SourceOrders, orderRecord(h.ID, h.Num), "lead", s.stuckReason(h.CreatedOn))
	}
	return &page{plan: pl, rows: len(headers), more: more,
		commit: waitAndMark(waits, SourceOrders, mark),
		done:   func() { p.marks[SourceOrders] = mark },
	}, nil
}

// stuckReason is why an order still at status 0 is parked.
func (s *Syncer) stuckReason(created time.Time) string {
	return fmt.Sprintf("still at status 0 since %s, longer than sync.abandon_after (%s): not placed, or placed by "+
		"miniShop2 4.4.1, which leaves new orders there (its issue #950); sent once its status is set",
		created.Format("2006-01-02 15:04 MST"), s.cfg.Sync.AbandonAfter.Duration)
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
	return p.waitingIDs(ctx, plan.KindOrder)
}

// waitingPage looks again at orders that were waiting: not settled yet
// (dated in the future), at status 0, or drafts. Settled placed ones are
// sent; ones still at status 0 sync.abandon_after after their clock
// started are parked, drafts that old are given up with a log line (a
// draft placed later still arrives through its status log).
func (s *Syncer) waitingPage(ctx context.Context, p *pass, ids []int64) (*page, error) {
	orders, err := s.src.LoadOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read waiting orders: %w", err)
	}
	clock, err := s.settling(ctx)
	if err != nil {
		return nil, err
	}
	var send, done []int64
	var stuck []*shop.Order
	present := map[int64]bool{}
	for i := range orders {
		o := &orders[i]
		present[o.ID] = true
		since := p.waitingSince[state.Key{Kind: plan.KindOrder, SourceID: o.ID}].Since
		waited := clock.now.Sub(since)
		switch {
		case !clock.ready(o.CreatedOn, since):
			p.unsettled[o.ID] = true
		case p.notPlaced(o.Status) == "":
			send = append(send, o.ID)
			done = append(done, o.ID)
		case waited <= s.cfg.Sync.AbandonAfter.Duration:
		case o.Status == 0:
			stuck = append(stuck, o)
			done = append(done, o.ID)
		default:
			s.log.Warn("order abandoned before it was placed", "source", SourceOrders, "order_id", o.ID,
				"status", o.Status, "waited", waited.Round(time.Second))
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
	for _, o := range stuck {
		pl.Park(SourceOrders, orderRecord(o.ID, o.Num), "lead", s.stuckReason(o.CreatedOn))
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
// newOrders, and orders not settled yet to the waiting list.
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
		if c.OrderID <= p.marks[SourceOrders] && !slices.Contains(ids, c.OrderID) && !p.plannedBefore(c.OrderID) &&
			!p.unsettled[c.OrderID] {
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
	var rows []*shop.Order
	for i := range loaded {
		o := &loaded[i]
		link := links[o.ID]
		if link.AmoID == 0 && p.notPlaced(o.Status) != "" {
			if p.retried[o.ID] { // a parked order still not placed: parked again, its backoff grows
				reason := s.stuckReason(o.CreatedOn)
				if o.Status != 0 {
					reason = "not placed: " + p.notPlaced(o.Status) + "; sent once placed"
				}
				pl.Park(SourceOrders, orderRecord(o.ID, o.Num), "lead", reason)
			}
			continue // not an order (yet): the waiting list or its status log brings it back
		}
		if p.plannedBefore(o.ID) {
			continue // already brought to its current status in this pass
		}
		if !fresh {
			p.planned[o.ID] = true
		}
		orders = append(orders, &plan.Order{Record: orderRecord(o.ID, o.Num), MS2Status: o.Status, Link: planLink(link), Status: planLink(statusLinks[o.ID])})
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

func orderRecord(id int64, num string) plan.Record {
	title := "order #" + strconv.FormatInt(id, 10)
	if num != "" {
		title = "order " + num
	}
	return plan.Record{Kind: plan.KindOrder, ID: id, Title: title}
}

// mapOrders maps every order; bad ones are parked. Fields the batch needs
// and the account lacks are planned first (auto_create_fields), then the
// batch is mapped again against them.
func (s *Syncer) mapOrders(p *pass, pl *plan.Plan, orders []*plan.Order, rows []*shop.Order) ([]*plan.Order, error) {
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
// with a pending marker (a create whose outcome was unknown), all in one
// scan of the deals above their markers' bounds: found ones are adopted
// instead of created again, the others are certainly not in amoCRM (DESIGN
// rule 2).
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
	want := map[leadKey]int64{}
	for _, o := range orders {
		if m, ok := pending[o.Record.ID]; ok && o.Link.AmoID == 0 {
			o.Pending = true
			want[leadKey{transform.OrderFieldCode, o.Deal.OrderKey}] = m.AboveID
		}
	}
	if len(want) == 0 {
		return nil
	}
	found, err := s.findLeads(ctx, want)
	if err != nil {
		return fmt.Errorf("look up the deals of %d pending orders: %w", len(want), err)
	}
	for _, o := range orders {
		if !o.Pending {
			continue
		}
		o.Found = found[leadKey{transform.OrderFieldCode, o.Deal.OrderKey}]
		if o.Found != nil {
			s.log.Info("deal found after an unknown outcome", "source", SourceOrders, "order_id", o.Record.ID, "lead_id", o.Found.ID)
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
	byID := make(map[int64]*crm.Lead, len(leads))
	for i := range leads {
		byID[leads[i].ID] = &leads[i]
	}
	for _, o := range orders {
		o.Live = byID[o.Link.AmoID]
	}
	return nil
}

const metaStatusesCompared = "order_statuses_compared_at"

// comparePage is how many orders a status comparison reads at a time: most
// are unchanged and cost no request.
const comparePage = 1000

// compareStatuses compares, when orders.compare_cron is due (and on -once),
// every order's status with the status last sent, and brings the deals of
// those that differ to their current status: a status set with no log row
// (imports, plugins, direct SQL; one live shop had 3.8k logs for 13.9k
// orders) reaches its deal here. Orders this pass read as new are current
// already, so the comparison stops at the watermark the pass began at.
func (s *Syncer) compareStatuses(ctx context.Context, p *pass) error {
	due, err := s.comparisonDue(ctx, p, p.opts.CompareStatuses, metaStatusesCompared, "orders.compare_cron", s.cfg.Orders.CompareCron)
	if err != nil || !due {
		return err
	}
	var after int64
	next := func(ctx context.Context, p *pass) (*page, error) {
		headers, err := s.src.OrderHeaders(ctx, after, comparePage)
		if err != nil {
			return nil, fmt.Errorf("compare statuses after order %d: %w", after, err)
		}
		ids := make([]int64, 0, len(headers))
		for _, h := range headers {
			if h.ID <= p.newFrom {
				ids = append(ids, h.ID)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		sent, err := p.links(ctx, plan.LinkOrderStatus, ids)
		if err != nil {
			return nil, err
		}
		var changed []int64
		for _, h := range headers[:len(ids)] {
			if l, ok := sent[h.ID]; ok && l.Hash != strconv.FormatInt(h.Status, 10) && !p.planned[h.ID] && !p.unsettled[h.ID] {
				changed = append(changed, h.ID)
			}
		}
		last := ids[len(ids)-1]
		pl, err := s.planOrders(ctx, p, changed, false)
		return &page{plan: pl, rows: len(ids), more: len(headers) == comparePage && last < p.newFrom,
			done: func() { after = last }}, err
	}
	if err := s.drain(ctx, p, readerFunc(next)); err != nil {
		return err
	}
	return s.compared(ctx, p, metaStatusesCompared)
}
