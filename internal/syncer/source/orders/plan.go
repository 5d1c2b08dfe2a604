package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// planner plans orders read by any reader of the source.
type planner struct {
	env  *source.Env
	shop Shop
	crm  CRM
	mem  *memory
}

// plan loads and maps the orders, reads what planning needs (links,
// pending markers and the deals they may have made, the customers'
// contacts, the live deals that may move) and plans them. fresh says the
// ids are new orders above the watermark: the keyset's range remembers
// those, no set needs to.
func (s *planner) plan(ctx context.Context, ids []int64, fresh bool) (*plan.Plan, error) {
	pl := s.env.Plan(syncer.SourceOrders, plan.KindOrder)
	if len(ids) == 0 {
		return pl, nil
	}
	links, err := s.env.Ledger.Links(ctx, plan.LinkOrder, ids)
	if err != nil {
		return nil, fmt.Errorf("read order links: %w", err)
	}
	statusLinks, err := s.env.Ledger.Links(ctx, plan.LinkOrderStatus, ids)
	if err != nil {
		return nil, fmt.Errorf("read order status links: %w", err)
	}
	loaded, err := s.shop.LoadOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load orders %d..%d: %w", ids[0], ids[len(ids)-1], err)
	}
	var zero []int64
	for i := range loaded {
		if loaded[i].Status == 0 && links[loaded[i].ID].AmoID == 0 {
			zero = append(zero, loaded[i].ID)
		}
	}
	if err := s.lookAtZero(ctx, zero); err != nil {
		return nil, err
	}
	var orders []*plan.Order
	var rows []*shop.Order
	for i := range loaded {
		o := &loaded[i]
		link := links[o.ID]
		if link.AmoID == 0 && s.mem.notPlaced(o.ID, o.Status) != "" {
			if s.mem.retried[o.ID] { // a parked order still not placed: parked again, its backoff grows
				reason := stuckReason(o.CreatedOn, s.env.Config.Sync.AbandonAfter.Duration)
				if o.Status != 0 {
					reason = "not placed: " + s.mem.notPlaced(o.ID, o.Status) + "; sent once placed"
				}
				pl.Park(syncer.SourceOrders, orderRecord(o.ID, o.Num), "lead", reason)
			}
			continue // not an order (yet): the waiting list or its status log brings it back
		}
		if s.mem.plannedBefore(o.ID) {
			continue // already brought to its current status in this pass
		}
		if !fresh {
			s.mem.planned[o.ID] = true
		}
		orders = append(orders, &plan.Order{Record: orderRecord(o.ID, o.Num), MS2Status: o.Status, Link: link, Status: statusLinks[o.ID]})
		rows = append(rows, o)
	}
	if orders, err = s.mapOrders(ctx, pl, orders, rows); err != nil {
		return nil, err
	}
	snapshots(orders, rows)
	for _, o := range orders {
		for _, note := range slices.Concat(o.Deal.Notes, o.Deal.Contact.Notes) {
			s.env.Log.Warn("order mapped with a repair", "source", syncer.SourceOrders, "order_id", o.Record.ID, "note", note)
		}
	}
	if err := s.reconcile(ctx, orders); err != nil {
		return nil, err
	}
	var drafts []*transform.ContactDraft
	for _, o := range orders {
		if o.Link.AmoID == 0 && o.Found == nil {
			drafts = append(drafts, o.Deal.Contact)
		}
	}
	mapper, err := s.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	customers, of, err := s.env.Match.Customers(ctx, mapper, drafts)
	if err != nil {
		return nil, err
	}
	if err := s.readMovingDeals(ctx, mapper, orders); err != nil {
		return nil, err
	}
	if err := s.readExtras(ctx, orders); err != nil {
		return nil, err
	}
	if err := pl.AddOrders(mapper, orders, customers, of, s.env.Config.Orders.ResendOnStatusChange); err != nil {
		return nil, err
	}
	if !fresh {
		for _, d := range slices.Concat(pl.Deals, pl.Adopted) {
			if d.Snapshot != nil {
				s.mem.whole[d.Record.ID] = true
			}
		}
	}
	return pl, s.planElements(ctx, pl)
}

// lookAtZero asks which of the orders at status 0 have their products and
// address written (placed orders, see memory.zero), once a pass each.
func (s *planner) lookAtZero(ctx context.Context, ids []int64) error {
	ids = slices.DeleteFunc(ids, func(id int64) bool { _, seen := s.mem.zero[id]; return seen })
	if len(ids) == 0 {
		return nil
	}
	placed, err := s.shop.PlacedAtZero(ctx, ids)
	if err != nil {
		return fmt.Errorf("look at %d orders at status 0: %w", len(ids), err)
	}
	for _, id := range ids {
		s.mem.zero[id] = placed[id]
	}
	return nil
}

// mapOrders maps every order (source.MapErr: bad ones are parked). Fields
// the batch needs and the account lacks are planned first
// (auto_create_fields), then the batch is mapped again against them.
func (s *planner) mapOrders(ctx context.Context, pl *plan.Plan, orders []*plan.Order, rows []*shop.Order) ([]*plan.Order, error) {
	for attempt := 0; ; attempt++ {
		mapper, err := s.env.Mapper(ctx)
		if err != nil {
			return nil, err
		}
		var lead, contact []transform.FieldSpec
		var mapped []*plan.Order
		for i, o := range orders {
			deal, err := mapper.Order(rows[i])
			var rerr *transform.RecordError
			if attempt > 0 && errors.As(err, &rerr) {
				continue // parked on the first attempt
			}
			if ok, err := source.MapErr(pl, o.Record, "lead", err); !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			if deal.Task != nil && deal.Task.CompleteTill == 0 { // an order without a date: due after now
				deal.Task.CompleteTill = mapper.OrderTaskDue(s.env.Now())
			}
			o.Deal, o.MS2Status = deal, mapper.PlacedStatus(rows[i].Status)
			mapped = append(mapped, o)
			lead = append(lead, deal.MissingFields...)
			if deal.Contact != nil {
				contact = append(contact, deal.Contact.MissingFields...)
			}
		}
		if attempt > 0 {
			return mapped, nil
		}
		again, err := s.env.Account.PlanFields(pl, lead, contact)
		if err != nil || !again {
			return mapped, err
		}
	}
}

// snapshots gives each mapped order the snapshot of the read it was mapped
// from, which a deal written whole from it records.
func snapshots(orders []*plan.Order, rows []*shop.Order) {
	byID := make(map[int64]*shop.Order, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	for _, o := range orders {
		row := byID[o.Record.ID]
		o.Snapshot = &plan.Snapshot{Signature: transform.SignatureOf(row), Sent: transform.SentOf(o.Deal, row)}
	}
}

// reconcile looks up, by their order number, the deals of new orders with
// a pending marker (a create whose outcome was unknown): found ones are
// adopted instead of created again, the others are certainly not in
// amoCRM.
func (s *planner) reconcile(ctx context.Context, orders []*plan.Order) error {
	keys := map[int64]match.LeadKey{}
	for _, o := range orders {
		if o.Link.AmoID == 0 {
			keys[o.Record.ID] = match.LeadKey{Code: transform.OrderFieldCode, Value: o.Deal.OrderKey}
		}
	}
	pending, found, err := s.env.FindPending(ctx, plan.KindOrder, keys)
	if err != nil {
		return err
	}
	for _, o := range orders {
		o.Pending, o.Found = pending[o.Record.ID], found[o.Record.ID]
	}
	return nil
}

// readMovingDeals reads the live deals of linked orders whose status is due
// (plan.Order.Due): their move depends on where a manager left them.
func (s *planner) readMovingDeals(ctx context.Context, m plan.Mapper, orders []*plan.Order) error {
	var ids []int64
	for _, o := range orders {
		resend, err := o.Resends(s.env.Config.Orders.ResendOnStatusChange)
		if err != nil {
			return err
		}
		if o.Link.AmoID > 0 && o.Found == nil && !resend && o.Due(m) {
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
