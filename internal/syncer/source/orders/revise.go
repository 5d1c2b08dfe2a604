package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// revise plans orders the comparison of edits found: an edited one is read
// in full, mapped as a new one would be, and compared with what its deal
// last got; a deleted one gets what orders.on_delete says; one linked
// before edits were followed is recorded as it is (one found gone is
// deleted). What was read of a deal is read again where an earlier try
// left its marker: the deal's product links and notes, so nothing is sent
// twice. It asks amoCRM for the deals that change (one request for the
// page), and for nothing when nothing changes.
func (s *planner) revise(ctx context.Context, page []found, marked map[int64]bool) (*plan.Plan, error) {
	pl := s.env.Plan(syncer.SourceOrders, plan.KindOrder)
	var read []int64
	for _, f := range page {
		if f.kind != deleted {
			read = append(read, f.id)
		}
	}
	loaded, err := s.shop.LoadOrders(ctx, read)
	if err != nil {
		return nil, fmt.Errorf("load edited orders: %w", err)
	}
	rows := make(map[int64]*shop.Order, len(loaded))
	for i := range loaded {
		rows[loaded[i].ID] = &loaded[i]
	}
	var edits, gone, adopt []int64
	for _, f := range page {
		switch {
		case f.kind == deleted || rows[f.id] == nil:
			gone = append(gone, f.id)
		case f.kind == edited:
			edits = append(edits, f.id)
		default:
			adopt = append(adopt, f.id)
		}
	}
	if err := s.adopt(ctx, pl, adopt, rows); err != nil {
		return nil, err
	}
	r := &revision{planner: s, pl: pl, marked: marked}
	if err := r.read(ctx, slices.Concat(edits, gone)); err != nil {
		return nil, err
	}
	eds, err := r.edits(ctx, edits, rows)
	if err != nil {
		return nil, err
	}
	dels := r.deletions(gone)
	if err := r.readDeals(ctx, eds, dels); err != nil {
		return nil, err
	}
	if err := r.relinks(ctx, eds); err != nil {
		return nil, err
	}
	if err := pl.AddEdits(eds); err != nil {
		return nil, err
	}
	pl.AddDeletions(dels)
	return pl, s.planElements(ctx, pl)
}

// adopt records orders linked before edits were followed as they are now,
// with no request. One that does not map is left for a later comparison
// (it is not being sent: nothing to park).
func (s *planner) adopt(ctx context.Context, pl *plan.Plan, ids []int64, rows map[int64]*shop.Order) error {
	if len(ids) == 0 {
		return nil
	}
	mapper, err := s.env.Mapper(ctx)
	if err != nil {
		return err
	}
	var snaps []plan.OrderSent
	for _, id := range ids {
		deal, err := mapper.Order(rows[id])
		var rerr *transform.RecordError
		switch {
		case errors.As(err, &rerr):
			s.env.Log.Debug("linked order not recorded: it does not map", "source", syncer.SourceOrders, "order_id", id, "err", err)
			continue
		case err != nil:
			return fmt.Errorf("map order:%d: %w", id, err)
		}
		snaps = append(snaps, plan.OrderSent{OrderID: id, Snapshot: plan.Snapshot{Signature: transform.SignatureOf(rows[id]),
			Sent: transform.SentOf(deal, rows[id])}})
	}
	if len(snaps) > 0 {
		s.env.Log.Info("orders sent before edits were followed recorded as they are", "source", syncer.SourceOrders, "orders", len(snaps))
	}
	pl.Baselines = append(pl.Baselines, snaps...)
	return nil
}

// revision is what is read for a page's edited and deleted orders.
type revision struct {
	*planner
	pl     *plan.Plan
	marked map[int64]bool
	links  map[int64]plan.Link
	sent   map[int64]*transform.Sent // nil value: nothing readable recorded
}

// read reads the orders' deals and what each deal last got.
func (r *revision) read(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var err error
	if r.links, err = r.env.Ledger.Links(ctx, plan.LinkOrder, ids); err != nil {
		return fmt.Errorf("read order links: %w", err)
	}
	raw, err := r.env.Ledger.SentOrders(ctx, ids)
	if err != nil {
		return err
	}
	r.sent = make(map[int64]*transform.Sent, len(ids))
	for _, id := range ids {
		var s transform.Sent
		switch err := s.UnmarshalBinary(raw[id]); {
		case raw[id] == nil:
			r.sent[id] = nil
		case err != nil:
			r.env.Log.Warn("what the deal last got is unreadable: the order is recorded as it is", "source", syncer.SourceOrders,
				"order_id", id, "err", err)
			r.sent[id] = nil
		default:
			r.sent[id] = &s
		}
	}
	return nil
}

// edits maps the edited orders (source.MapErr: one that does not map is
// parked) and compares each with what its deal last got.
func (r *revision) edits(ctx context.Context, ids []int64, rows map[int64]*shop.Order) ([]*plan.EditedOrder, error) {
	var orders []*plan.Order
	var read []*shop.Order
	for _, id := range ids {
		if link := r.links[id]; link.AmoID != 0 {
			orders = append(orders, &plan.Order{Record: orderRecord(id, rows[id].Num), MS2Status: rows[id].Status, Link: link})
			read = append(read, rows[id])
		}
	}
	if len(orders) == 0 {
		return nil, nil
	}
	orders, err := r.mapOrders(ctx, r.pl, orders, read)
	if err != nil {
		return nil, err
	}
	mapper, err := r.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*plan.EditedOrder, len(orders))
	for i, o := range orders {
		row := rows[o.Record.ID]
		e := &plan.EditedOrder{Record: o.Record, LeadID: o.Link.AmoID, Deal: o.Deal, Signature: transform.SignatureOf(row)}
		sent := r.sent[o.Record.ID]
		if e.Baseline = sent == nil; e.Baseline {
			sent = &transform.Sent{}
		}
		e.Change = mapper.Edit(*sent, o.Deal, row)
		e.Note = mapper.EditNote(e.Change)
		out[i] = e
	}
	return out, nil
}

// deletions are the deleted orders with what orders.on_delete says; one
// never linked has no deal to tell.
func (r *revision) deletions(ids []int64) []*plan.DeletedOrder {
	var out []*plan.DeletedOrder
	for _, id := range ids {
		link := r.links[id]
		if link.AmoID == 0 {
			continue
		}
		d := &plan.DeletedOrder{LeadID: link.AmoID, OnDelete: r.env.Config.Orders.OnDelete}
		if s := r.sent[id]; s != nil {
			d.Sent = *s
		}
		d.Record = orderRecord(id, d.Sent.Num)
		out = append(out, d)
	}
	return out
}

// readDeals reads the deals that change, as amoCRM has them (a manager
// may have deleted one, or closed it), and, where an earlier try left the
// order's marker, their notes.
func (r *revision) readDeals(ctx context.Context, eds []*plan.EditedOrder, dels []*plan.DeletedOrder) error {
	var ids []int64
	for _, e := range eds {
		if !e.Baseline && !e.Change.Empty() {
			ids = append(ids, e.LeadID)
		}
	}
	for _, d := range dels {
		if d.OnDelete != config.OnDeleteNothing {
			ids = append(ids, d.LeadID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	leads, err := r.crm.LeadsByIDs(ctx, ids, false)
	if err != nil {
		return fmt.Errorf("read the deals of edited orders: %w", err)
	}
	live := make(map[int64]*crm.Lead, len(leads))
	for i := range leads {
		live[leads[i].ID] = &leads[i]
	}
	for _, e := range eds {
		if e.Live = live[e.LeadID]; e.Live != nil && r.marked[e.Record.ID] {
			if e.Notes, err = r.notes(ctx, e.LeadID); err != nil {
				return err
			}
			e.NotesRead = true
		}
	}
	for _, d := range dels {
		if d.Live = live[d.LeadID]; d.Live != nil && r.marked[d.Record.ID] {
			if d.Notes, err = r.notes(ctx, d.LeadID); err != nil {
				return err
			}
			d.NotesRead = true
		}
	}
	return nil
}

// notes reads the texts of a deal's notes.
func (r *revision) notes(ctx context.Context, leadID int64) ([]string, error) {
	notes, err := r.crm.LeadNotes(ctx, leadID, "common")
	if err != nil {
		return nil, fmt.Errorf("read back the notes of deal %d: %w", leadID, err)
	}
	texts := make([]string, len(notes))
	for i, n := range notes {
		texts[i] = n.Text()
	}
	return texts, nil
}

// relinks plans the product links of the edited deals whose products
// changed, with products on and links of ours on the deal (its products
// link row done): the products that came and the requantified ones are
// linked, the elements of those that went and of the requantified ones
// unlinked. Where an earlier try left the marker, the deal's elements are
// read back.
func (r *revision) relinks(ctx context.Context, eds []*plan.EditedOrder) error {
	meta := r.pl.Meta
	if meta.Products == nil {
		return nil
	}
	var ids []int64
	for _, e := range eds {
		if e.Live != nil && !e.Baseline && !e.Change.Products.Empty() {
			ids = append(ids, e.Record.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := r.env.Ledger.Links(ctx, plan.ProductsKind(plan.KindOrder), ids)
	if err != nil {
		return fmt.Errorf("read order product links: %w", err)
	}
	var drops []int64
	var relinked []*plan.EditedOrder
	for _, e := range eds {
		p := e.Change.Products
		if row, ok := rows[e.Record.ID]; !ok || row.Hash == "" || len(p.Added)+len(p.Removed)+len(p.Requantified()) == 0 {
			continue // no links of ours, links owed (their own step links them), or only costs changed
		}
		e.Relink = &plan.Relink{}
		for _, l := range slices.Concat(p.Added, p.Requantified()) {
			if i := slices.IndexFunc(e.Deal.Products, func(pl transform.ProductLine) bool { return pl.ProductID == l.ProductID }); i >= 0 {
				e.Relink.Lines = append(e.Relink.Lines, e.Deal.Products[i])
			}
		}
		for _, l := range slices.Concat(p.Removed, p.Requantified()) {
			drops = append(drops, l.ProductID)
		}
		relinked = append(relinked, e)
	}
	known, err := r.env.Ledger.Elements(ctx, meta.Products.Catalog.ID, drops)
	if err != nil {
		return err
	}
	var back []source.ReadBack
	for _, e := range relinked {
		p := e.Change.Products
		for _, l := range slices.Concat(p.Removed, p.Requantified()) {
			if k, ok := known[l.ProductID]; ok {
				e.Relink.Drop = append(e.Relink.Drop, k.ElementID)
			}
		}
		if r.marked[e.Record.ID] {
			back = append(back, source.ReadBack{LeadID: e.LeadID, Extras: &plan.Extras{}, Products: true})
		}
	}
	if err := source.ReadBacks(ctx, r.crm, back); err != nil {
		return err
	}
	for _, b := range back {
		for _, e := range relinked {
			if e.LeadID == b.LeadID {
				e.Relink.Have, e.Relink.Read = b.Extras.Linked, true
			}
		}
	}
	return nil
}
