package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/shopstatus"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// SourceShopStatus is the way back: deals moved in amoCRM move their orders.
const SourceShopStatus = shopstatus.Source

// ShopWriter is the shop as the shop_status source reads and writes it
// (*modx.DB).
type ShopWriter interface {
	OrderStates(ctx context.Context, ids []int64) (map[int64]modx.OrderState, error)
	WriteStatus(ctx context.Context, w modx.StatusWrite) (int64, error)
	LogStatus(ctx context.Context, w modx.StatusWrite) (int64, error)
	StatusLogged(ctx context.Context, orderID, status, afterLogID int64) (bool, error)
}

// errNoShopWriter is a wiring mistake: shop_status is on and New was given
// no Options.Shop.
var errNoShopWriter = errors.New("shop_status is on but the syncer has no shop to write to")

// eventsOverlap is how far before its cursor a pass reads amoCRM's event
// list again: an event listed late, or in the cursor's own second, is not
// lost, nor one stamped by an amoCRM clock up to this much behind ours (the
// cursor is our clock). Reading one twice is harmless: its deal is then
// where the connector left it, which costs no read.
const eventsOverlap = 5 * time.Minute

func (s *Syncer) shopStatusOn(p *pass) bool {
	return s.cfg.ShopStatus.Enabled && p.selected(SourceShopStatus)
}

// syncShopStatus reads the deals' status changes since the cursor, and
// moves the orders linked to them, a batch of deals at a time; the cursor
// moves with the last batch. An empty state starts now: moves made before
// the connector followed them are history.
func (s *Syncer) syncShopStatus(ctx context.Context, p *pass) error {
	if s.shop == nil {
		return errNoShopWriter
	}
	until := p.now().Unix()
	from, ok, err := s.store.Watermark(ctx, SourceShopStatus)
	if err != nil {
		return err
	}
	if !ok {
		return s.commitShop(ctx, p, shopstatus.New(&p.meta), &until)
	}
	latest, err := s.readMoves(ctx, p, from-int64(eventsOverlap/time.Second), until)
	if err != nil {
		return err
	}
	m, err := s.movedOrders(ctx, p, latest)
	if err != nil {
		return err
	}
	p.total += len(m.leads)
	for leads := m.leads; ; {
		if err := p.stopping(ctx); err != nil {
			return err
		}
		batch := leads[:min(len(leads), pageSize)]
		leads = leads[len(batch):]
		pl, err := s.planShopMoves(ctx, p, batch, m)
		if err != nil {
			return err
		}
		if err := s.applyShopMoves(ctx, p, pl); err != nil {
			return err
		}
		var cursor *int64
		if len(leads) == 0 {
			cursor = &until
		}
		if err := s.commitShop(ctx, p, pl, cursor); err != nil {
			return err
		}
		p.progress(len(batch))
		if cursor != nil {
			return nil
		}
	}
}

// readMoves reads the status change events created from from to to and
// keeps each deal's newest: where a deal was moved last is what counts.
func (s *Syncer) readMoves(ctx context.Context, p *pass, from, to int64) (*shopstatus.Latest, error) {
	latest := shopstatus.NewLatest()
	read := 0
	err := s.crm.LeadStatusEvents(ctx, from, to, func(events []crm.Event) error {
		read += len(events)
		latest.Add(events)
		return nil
	})
	p.result.Read[SourceShopStatus] += read
	s.metrics.RowsRead(SourceShopStatus, read)
	if err != nil {
		return nil, fmt.Errorf("read deal moves since %s: %w", time.Unix(from, 0).UTC().Format(time.DateTime), err)
	}
	return latest, nil
}

// moved are the moved deals whose orders may follow, with what the state
// holds of them.
type moved struct {
	leads  []int64 // sorted
	latest *shopstatus.Latest
	linked map[int64][]state.Link // the deal's orders
	synced map[int64]state.Link   // an order's order_status link
}

// movedOrders keeps the deals we sent orders as whose newest move left
// them somewhere else than the connector knew them: the rest (its own
// moves, events read again) ask for no read of amoCRM.
func (s *Syncer) movedOrders(ctx context.Context, p *pass, latest *shopstatus.Latest) (*moved, error) {
	m := &moved{latest: latest, leads: latest.Leads()}
	var err error
	if m.linked, err = s.store.LinksByAmoIDs(ctx, plan.LinkOrder, m.leads); err != nil {
		return nil, err
	}
	var ids []int64
	for _, ls := range m.linked {
		for _, l := range ls {
			ids = append(ids, l.SourceID)
		}
	}
	if m.synced, err = p.links(ctx, plan.LinkOrderStatus, ids); err != nil {
		return nil, err
	}
	m.leads = slices.DeleteFunc(m.leads, func(lead int64) bool {
		var synced []shopstatus.Synced
		for _, l := range m.linked[lead] {
			synced = append(synced, shopstatus.SyncedFrom(planLink(m.synced[l.SourceID])))
		}
		return len(synced) == 0 || latest.WhereLeft(lead, synced)
	})
	return m, nil
}

// planShopMoves reads what the moves of leads need (the deals as they are
// now, the linked orders as the shop has them) and plans them.
func (s *Syncer) planShopMoves(ctx context.Context, p *pass, leads []int64, m *moved) (*shopstatus.Plan, error) {
	if len(leads) == 0 {
		return shopstatus.New(&p.meta), nil
	}
	live, err := s.crm.LeadsByIDs(ctx, leads, false)
	if err != nil {
		return nil, fmt.Errorf("read moved deals: %w", err)
	}
	var ids []int64
	for _, lead := range leads {
		for _, l := range m.linked[lead] {
			ids = append(ids, l.SourceID)
		}
	}
	states, err := s.shop.OrderStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read orders of moved deals: %w", err)
	}
	orders := make(map[int64][]shopstatus.Order, len(leads))
	for _, lead := range leads {
		for _, l := range m.linked[lead] {
			if st, ok := states[l.SourceID]; ok { // an order deleted from the shop follows nothing
				orders[lead] = append(orders[lead], shopstatus.Order{OrderState: st, Synced: shopstatus.SyncedFrom(planLink(m.synced[l.SourceID]))})
			}
		}
	}
	return shopstatus.Build(p.mapper, &p.meta, m.latest.Moves(live), orders), nil
}

// applyShopMoves writes the plan's status changes to the shop, each under a
// pending marker committed before the batch starts. An order the shop
// moved meanwhile is left as it is. A dry run writes nothing.
func (s *Syncer) applyShopMoves(ctx context.Context, p *pass, pl *shopstatus.Plan) error {
	if p.dry != nil || len(pl.Writes) == 0 {
		return nil
	}
	at := p.now()
	marks := make([]state.PendingCreate, len(pl.Writes))
	for i, w := range pl.Writes {
		m := w.Marker(at)
		marks[i] = state.PendingCreate{Kind: shopstatus.MarkerKind, SourceID: m.Order, Key: m.Key()}
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark status writes pending: %w", err)
	}
	for _, w := range pl.Writes {
		id, err := s.shop.WriteStatus(ctx, modx.StatusWrite{OrderID: w.Order.ID, From: w.Order.Status, To: w.To, At: at})
		switch {
		case errors.Is(err, modx.ErrStatusMoved):
			w.Moved = true
			s.log.Info("order changed in the shop meanwhile; its deal's move is not followed", "source", SourceShopStatus,
				"order_id", w.Order.ID, "lead_id", w.Move.Lead)
		case err != nil:
			return err
		default:
			w.LogID = id
			s.log.Info("order follows its deal", "source", SourceShopStatus, "order_id", w.Order.ID, "lead_id", w.Move.Lead,
				"from", w.Order.Status, "to", w.To)
		}
	}
	return nil
}

// commitShop reports a batch and commits its links, cleared markers and,
// when cursor is set, the event cursor, in one transaction. A dry run
// reports only.
func (s *Syncer) commitShop(ctx context.Context, p *pass, pl *shopstatus.Plan, cursor *int64) error {
	if err := p.entries(pl.Entries()); err != nil {
		return err
	}
	if pl.Unchanged > 0 {
		p.counted(shopstatus.Kind, report.Unchanged, pl.Unchanged)
	}
	if p.dry != nil {
		return nil
	}
	var extra func(*state.Tx) error
	if cursor != nil {
		extra = func(tx *state.Tx) error { return tx.SetWatermark(SourceShopStatus, *cursor) }
	}
	return s.commit(ctx, p, shopstatus.MarkerKind, pl.StateWrites(), extra)
}

// resumeShopWrites finishes the status writes a crash interrupted, or
// drops their markers, before any source reads the shop's logs: an order
// moved without its log row gets the row, once, and the link of a whole
// write is recorded, so the orders direction sees nothing to send.
func (s *Syncer) resumeShopWrites(ctx context.Context, p *pass) error {
	if !s.shopStatusOn(p) {
		return nil
	}
	if s.shop == nil {
		return errNoShopWriter
	}
	marks, err := s.store.Pending(ctx, shopstatus.MarkerKind)
	if err != nil || len(marks) == 0 {
		return err
	}
	ids := make([]int64, len(marks))
	for i, m := range marks {
		ids[i] = m.SourceID
	}
	states, err := s.shop.OrderStates(ctx, ids)
	if err != nil {
		return fmt.Errorf("read orders of interrupted status writes: %w", err)
	}
	pl := shopstatus.New(&p.meta)
	for _, mk := range marks {
		m, err := shopstatus.ParseMarker(mk.SourceID, mk.Key)
		if err != nil { // not ours to finish: dropped, and the events decide again
			s.log.Warn("status write marker dropped", "source", SourceShopStatus, "order_id", mk.SourceID, "err", err)
			pl.Resumed = append(pl.Resumed, shopstatus.Resume(m, nil, false))
			continue
		}
		var order *modx.OrderState
		logged := false
		if st, ok := states[m.Order]; ok {
			order = &st
			if logged, err = s.shop.StatusLogged(ctx, m.Order, m.To, m.AfterLog); err != nil {
				return err
			}
		}
		r := shopstatus.Resume(m, order, logged)
		if r.Step == shopstatus.LogThenLink && p.dry == nil {
			if _, err := s.shop.LogStatus(ctx, modx.StatusWrite{OrderID: m.Order, From: m.From, To: m.To, At: time.Unix(m.At, 0)}); err != nil {
				return err
			}
			s.log.Warn("status write finished after a crash: log row written", "source", SourceShopStatus, "order_id", m.Order, "to", m.To)
		}
		pl.Resumed = append(pl.Resumed, r)
	}
	return s.commitShop(ctx, p, pl, nil)
}
