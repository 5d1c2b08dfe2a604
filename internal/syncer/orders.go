package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// syncOrders drains the orders backlog: deals left pending by an earlier
// run, new orders by id, orders that were waiting at status 0, parked orders
// that are due, and status changes from the order log.
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
	steps := []func(context.Context, *pass) (bool, error){
		s.pendingOrders,
		s.newOrders,
		s.waitingOrders,
		s.dueOrders,
		s.orderLogs,
	}
	for _, step := range steps {
		for {
			if err := p.stopping(ctx); err != nil {
				return err
			}
			more, err := step(ctx, p)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// pendingOrders sends again the orders whose create had an unknown outcome
// (a crash, a timeout, a dropped connection) once a lookup by their order
// number has shown the deal does not exist; sendOrders does that lookup.
func (s *Syncer) pendingOrders(ctx context.Context, p *pass) (bool, error) {
	pending, err := s.store.Pending(ctx, kindOrder)
	if err != nil {
		return false, fmt.Errorf("read pending orders: %w", err)
	}
	var ids []int64
	for _, pc := range pending {
		ids = append(ids, pc.SourceID)
	}
	return false, s.sendInBatches(ctx, p, ids, nil)
}

// newOrders reads one page of orders after the watermark. Orders younger
// than sync.settle stop the page (their products and address may still be
// being written: miniShop2's tables are usually MyISAM); orders at status 0
// or draft are remembered as waiting so the watermark can move past them.
func (s *Syncer) newOrders(ctx context.Context, p *pass) (bool, error) {
	wm := p.marks[SourceOrders]
	headers, err := s.src.OrderHeaders(ctx, wm, s.batchSize())
	if err != nil {
		return false, fmt.Errorf("read orders after %d: %w", wm, err)
	}
	settled := p.now().Add(-s.cfg.Sync.Settle.Duration)
	var send []int64
	var waits []state.Waiting
	mark, more := wm, len(headers) == s.batchSize()
	for _, h := range headers {
		if !h.CreatedOn.IsZero() && h.CreatedOn.After(settled) {
			more = false
			break
		}
		mark = h.ID
		if reason := p.notPlaced(h.Status); reason != "" {
			waits = append(waits, state.Waiting{Kind: kindOrder, SourceID: h.ID, Since: p.now(), Reason: reason})
			continue
		}
		send = append(send, h.ID)
	}
	p.result.Read[SourceOrders] += len(headers)
	s.metrics.RowsRead(SourceOrders, len(headers))
	if mark == wm {
		return false, nil
	}
	err = s.sendOrders(ctx, p, send, func(tx *state.Tx) error {
		for _, w := range waits {
			if err := tx.PutWaiting(w); err != nil {
				return err
			}
		}
		return tx.SetWatermark(SourceOrders, mark)
	})
	if err != nil {
		return false, err
	}
	p.marks[SourceOrders] = mark
	p.progress(len(headers))
	return more, nil
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

// waitingOrders looks again at orders that were at status 0 or draft: placed
// ones are sent, ones older than sync.abandon_after are given up with a log
// line (a draft that is placed later still arrives through its status log).
func (s *Syncer) waitingOrders(ctx context.Context, p *pass) (bool, error) {
	waiting, err := s.store.Waiting(ctx, kindOrder)
	if err != nil {
		return false, fmt.Errorf("read waiting orders: %w", err)
	}
	if len(waiting) == 0 {
		return false, nil
	}
	ids := make([]int64, 0, len(waiting))
	since := map[int64]state.Waiting{}
	for _, w := range waiting {
		ids = append(ids, w.SourceID)
		since[w.SourceID] = w
	}
	for batch := range slices.Chunk(ids, s.batchSize()) {
		orders, err := s.src.LoadOrders(ctx, batch)
		if err != nil {
			return false, fmt.Errorf("read waiting orders: %w", err)
		}
		var send, drop []int64
		present := map[int64]bool{}
		for _, o := range orders {
			present[o.ID] = true
			switch {
			case p.notPlaced(o.Status) == "":
				send = append(send, o.ID)
			case p.now().Sub(since[o.ID].Since) > s.cfg.Sync.AbandonAfter.Duration:
				s.log.Warn("order abandoned before it was placed", "source", SourceOrders, "order_id", o.ID,
					"status", o.Status, "waited", p.now().Sub(since[o.ID].Since).Round(1e9))
				drop = append(drop, o.ID)
			}
		}
		for _, id := range batch {
			if !present[id] {
				drop = append(drop, id) // deleted from the shop
			}
		}
		done := append(send, drop...)
		err = s.sendOrders(ctx, p, send, func(tx *state.Tx) error {
			for _, id := range done {
				if err := tx.DeleteWaiting(kindOrder, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// dueOrders retries parked orders whose next attempt is due.
func (s *Syncer) dueOrders(ctx context.Context, p *pass) (bool, error) {
	due, err := s.store.DueFailures(ctx, kindOrder, p.now(), s.batchSize())
	if err != nil {
		return false, fmt.Errorf("read parked orders: %w", err)
	}
	var ids []int64
	for _, f := range due {
		if !p.retried[f.SourceID] {
			ids = append(ids, f.SourceID)
			p.retried[f.SourceID] = true
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	return len(due) == s.batchSize(), s.sendOrders(ctx, p, ids, nil)
}

// orderLogs reads status changes after the log watermark. Every order with a
// change is brought to its current status (sendOrders): a linked deal is
// moved, an unlinked order is sent. Orders above the orders watermark are
// left to newOrders.
func (s *Syncer) orderLogs(ctx context.Context, p *pass) (bool, error) {
	wm := p.marks[SourceOrderLogs]
	page, err := s.src.StatusLogs(ctx, wm, s.batchSize())
	if err != nil {
		return false, fmt.Errorf("read order logs after %d: %w", wm, err)
	}
	p.result.Read[SourceOrderLogs] += len(page.Changes) + len(page.Skipped)
	s.metrics.RowsRead(SourceOrderLogs, len(page.Changes)+len(page.Skipped))
	if page.LastID <= wm {
		return false, nil
	}
	var ids []int64
	for _, c := range page.Changes {
		if c.OrderID <= p.marks[SourceOrders] && !slices.Contains(ids, c.OrderID) {
			ids = append(ids, c.OrderID)
		}
	}
	err = s.sendOrders(ctx, p, ids, func(tx *state.Tx) error {
		return tx.SetWatermark(SourceOrderLogs, page.LastID)
	})
	if err != nil {
		return false, err
	}
	p.marks[SourceOrderLogs] = page.LastID
	p.progress(len(page.Changes) + len(page.Skipped))
	return page.Full, nil
}

// sendInBatches calls sendOrders for ids, a batch at a time.
func (s *Syncer) sendInBatches(ctx context.Context, p *pass, ids []int64, commit func(*state.Tx) error) error {
	for batch := range slices.Chunk(ids, s.batchSize()) {
		if err := s.sendOrders(ctx, p, batch, commit); err != nil {
			return err
		}
	}
	return nil
}

// orderJob is one order of a batch on its way to amoCRM.
type orderJob struct {
	order  *modx.Order
	deal   *transform.Deal
	link   state.Link // zero: not sent yet
	status state.Link // the order_status link
	cust   *customer
	hash   string
	leadID int64 // after the create
}

// sendOrders brings the given orders to amoCRM: unlinked placed orders are
// created as deals with their contacts, linked ones follow their miniShop2
// status. Then, in one transaction, links, failures and whatever commit adds
// (the watermark) are written. commit runs even for an empty batch.
func (s *Syncer) sendOrders(ctx context.Context, p *pass, ids []int64, commit func(*state.Tx) error) error {
	b := &batch{pass: p, kind: kindOrder, source: SourceOrders}
	b.draftFailed = b.failOrderDraft
	if len(ids) > 0 {
		if err := s.planOrders(ctx, p, b, ids); err != nil {
			return err
		}
		if !p.opts.DryRun {
			if err := s.applyOrders(ctx, p, b); err != nil {
				return err
			}
		}
	}
	return s.finish(ctx, b, commit)
}

// planOrders loads and maps the batch and decides, per order, what happens.
func (s *Syncer) planOrders(ctx context.Context, p *pass, b *batch, ids []int64) error {
	links, err := p.links(ctx, s.store, linkOrder, ids)
	if err != nil {
		return err
	}
	statusLinks, err := p.links(ctx, s.store, linkOrderStatus, ids)
	if err != nil {
		return err
	}
	orders, err := s.src.LoadOrders(ctx, ids)
	if err != nil {
		return fmt.Errorf("load orders %d..%d: %w", ids[0], ids[len(ids)-1], err)
	}
	var jobs []*orderJob
	for i := range orders {
		o := &orders[i]
		j := &orderJob{order: o, link: links[o.ID], status: statusLinks[o.ID]}
		if j.link.AmoID == 0 && p.notPlaced(o.Status) != "" {
			continue // not an order (yet): the waiting list or its status log brings it back
		}
		if p.planned[o.ID] {
			continue // already brought to its current status in this pass
		}
		p.planned[o.ID] = true
		jobs = append(jobs, j)
	}
	if err := s.mapOrders(ctx, p, b, jobs); err != nil {
		return err
	}
	var creates, linked []*orderJob
	for _, j := range jobs {
		switch {
		case j.deal == nil:
		case j.link.AmoID != 0:
			linked = append(linked, j)
		default:
			creates = append(creates, j)
		}
	}
	if err := s.reconcileOrders(ctx, p, b, &creates); err != nil {
		return err
	}
	if err := s.planCreates(ctx, p, b, creates); err != nil {
		return err
	}
	return s.planLinked(ctx, p, b, linked)
}

// mapOrders maps every job; bad records are parked. Fields the batch needs
// and the account lacks are created first (auto_create_fields), then the
// batch is mapped again against the new fields.
func (s *Syncer) mapOrders(ctx context.Context, p *pass, b *batch, jobs []*orderJob) error {
	for attempt := 0; ; attempt++ {
		var leadFields, contactFields []transform.FieldSpec
		for _, j := range jobs {
			if b.parkedOrder(j.order.ID) {
				continue
			}
			deal, err := p.mapper.Order(j.order)
			var rerr *transform.RecordError
			switch {
			case errors.As(err, &rerr):
				b.fail(SourceOrders, kindOrder, j.order.ID, "lead", orderTitle(j.order), err.Error(), "")
				continue
			case err != nil:
				return fmt.Errorf("map order %d: %w", j.order.ID, err)
			}
			j.deal = deal
			leadFields = append(leadFields, deal.MissingFields...)
			if deal.Contact != nil {
				contactFields = append(contactFields, deal.Contact.MissingFields...)
			}
		}
		if attempt > 0 {
			return nil
		}
		changed, err := s.ensureFields(ctx, p, SourceOrders, leadFields, contactFields)
		if err != nil || !changed {
			return err
		}
	}
}

func orderTitle(o *modx.Order) string {
	if o.Num != "" {
		return "order " + o.Num
	}
	return "order #" + strconv.FormatInt(o.ID, 10)
}

// reconcileOrders looks up, by their order number, the deals of orders that
// have a pending marker (a create with an unknown outcome): found ones are
// linked instead of created again (DESIGN rule 2).
func (s *Syncer) reconcileOrders(ctx context.Context, p *pass, b *batch, creates *[]*orderJob) error {
	ids := make([]int64, 0, len(*creates))
	for _, j := range *creates {
		ids = append(ids, j.order.ID)
	}
	pending, err := s.store.Pending(ctx, kindOrder)
	if err != nil {
		return fmt.Errorf("read pending orders: %w", err)
	}
	marked := map[int64]bool{}
	for _, pc := range pending {
		if slices.Contains(ids, pc.SourceID) {
			marked[pc.SourceID] = true
		}
	}
	keep := (*creates)[:0]
	for _, j := range *creates {
		if !marked[j.order.ID] {
			keep = append(keep, j)
			continue
		}
		lead, err := s.findOrderLead(ctx, j.deal.OrderKey)
		if err != nil {
			return fmt.Errorf("look up the deal of order %d: %w", j.order.ID, err)
		}
		if lead == nil {
			b.clearPending = append(b.clearPending, j.order.ID) // really absent: create it now
			keep = append(keep, j)
			continue
		}
		s.log.Info("deal found after an unknown outcome", "source", SourceOrders, "order_id", j.order.ID, "lead_id", lead.ID)
		j.leadID = lead.ID
		b.adopt(j, lead)
	}
	*creates = keep
	return nil
}

// findOrderLead finds the deal whose order-number field is exactly key.
func (s *Syncer) findOrderLead(ctx context.Context, key string) (*amocrm.Lead, error) {
	return s.findLeadByField(ctx, transform.OrderFieldCode, key)
}

// planCreates groups the new deals' contacts by customer, matches them
// against the contact index and decides how each deal is created.
func (s *Syncer) planCreates(ctx context.Context, p *pass, b *batch, creates []*orderJob) error {
	var drafts []*transform.ContactDraft
	for _, j := range creates {
		drafts = append(drafts, j.deal.Contact)
	}
	customers, of := groupCustomers(drafts)
	if err := s.resolveCustomers(ctx, p, customers); err != nil {
		return err
	}
	for _, c := range customers {
		b.planContact(p, SourceOrders, c)
	}
	for _, j := range creates {
		j.cust = of[j.deal.Contact]
		if j.cust.sourceID == 0 {
			j.cust.sourceID = j.order.ID
		}
		var err error
		if j.hash, err = transform.Hash(j.deal.Lead); err != nil {
			return fmt.Errorf("hash order %d: %w", j.order.ID, err)
		}
		b.creates = append(b.creates, j)
	}
	return nil
}

// planLinked decides what happens to deals that exist: with
// resend_on_status_change the whole deal is sent again when its payload
// changed; otherwise it is moved when its miniShop2 status changed since the
// last time it was set.
func (s *Syncer) planLinked(ctx context.Context, p *pass, b *batch, linked []*orderJob) error {
	var moves []*orderJob
	for _, j := range linked {
		if s.cfg.Orders.ResendOnStatusChange {
			hash, err := transform.Hash(j.deal.Lead)
			if err != nil {
				return fmt.Errorf("hash order %d: %w", j.order.ID, err)
			}
			if hash != j.link.Hash {
				j.hash = hash
				b.resends = append(b.resends, j)
				continue
			}
		}
		if j.status.Hash == strconv.FormatInt(j.order.Status, 10) {
			b.unchanged(SourceOrders, "lead", j, "")
			continue
		}
		moves = append(moves, j)
	}
	if len(moves) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(moves))
	for _, j := range moves {
		ids = append(ids, j.link.AmoID)
	}
	leads, err := s.crm.LeadsByIDs(ctx, ids, false)
	if err != nil {
		return fmt.Errorf("read deals to move: %w", err)
	}
	byID := map[int64]amocrm.Lead{}
	for _, l := range leads {
		byID[l.ID] = l
	}
	for _, j := range moves {
		lead, ok := byID[j.link.AmoID]
		if !ok {
			// A manager deleted the deal: it is not made again behind their
			// back, and its status is no longer followed.
			b.statusSet(j, 0)
			b.resolved = append(b.resolved, j.order.ID)
			b.entries = append(b.entries, report.Entry{Source: SourceOrderLogs, Kind: "status_move", SourceID: j.order.ID,
				Key: sourceKey(kindOrder, j.order.ID), Action: report.Skip, AmoID: j.link.AmoID, Title: orderTitle(j.order),
				Reason: fmt.Sprintf("deal %d was deleted in amoCRM", j.link.AmoID)})
			continue
		}
		target, mapped := p.mapper.StatusChange(lead.PipelineID, j.order.Status)
		if !mapped || target == lead.StatusID {
			reason := ""
			if !mapped {
				reason = fmt.Sprintf("miniShop2 status %d is not mapped in pipeline %d", j.order.Status, lead.PipelineID)
			}
			b.statusSet(j, lead.StatusID)
			b.unchanged(SourceOrderLogs, "status_move", j, reason)
			continue
		}
		b.moves = append(b.moves, move{job: j, from: lead, to: target})
	}
	return nil
}
