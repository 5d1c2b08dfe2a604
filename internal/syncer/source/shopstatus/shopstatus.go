// Package shopstatus is the source of the way back ([shop_status]): deals a
// manager moved in amoCRM move their orders in the shop. Its Resume source
// runs before every other, so that no source reads the shop's logs while a
// status write a crash interrupted is half done; its Moves source runs
// last.
package shopstatus

import (
	"context"

	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/shopstatus"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// Shop is the shop as the way back reads it (*modx.DB).
type Shop interface {
	OrderStates(ctx context.Context, ids []int64) (map[int64]shop.OrderState, error)
	StatusLogged(ctx context.Context, orderID, status, afterLogID int64) (bool, error)
}

// CRM is what the way back reads of amoCRM.
type CRM interface {
	LeadStatusEvents(ctx context.Context, from, to int64, fn func([]crm.Event) error) error
	LeadsByIDs(ctx context.Context, ids []int64, withContacts bool) ([]crm.Lead, error)
}

// eventsOverlap is how far before its cursor a pass reads amoCRM's event
// list again: an event listed late, or in the cursor's own second, is not
// lost, nor one stamped by an amoCRM clock up to this much behind ours (the
// cursor is our clock). Reading one twice is harmless: its deal is then
// where the connector left it, which costs no read.
const eventsOverlap = 5 * time.Minute

// Resume finishes the status writes a crash interrupted, or drops their
// markers: an order moved without its log row gets the row, once, and the
// link of a whole write is recorded, so the orders source sees nothing to
// send.
type Resume struct {
	env  *source.Env
	shop Shop
	done bool
}

// NewResume returns the resume source of one pass.
func NewResume(env *source.Env, s Shop) *Resume { return &Resume{env: env, shop: s} }

// Name is the source's name.
func (r *Resume) Name() string { return syncer.SourceShopStatus }

// Next is the one batch of interrupted writes, if there are any.
func (r *Resume) Next(ctx context.Context) (*syncer.Batch, error) {
	if r.done {
		return nil, nil
	}
	r.done = true
	marks, err := r.env.Ledger.Pending(ctx, shopstatus.MarkerKind)
	if err != nil || len(marks) == 0 {
		return nil, err
	}
	ids := make([]int64, len(marks))
	for i, m := range marks {
		ids[i] = m.SourceID
	}
	states, err := r.shop.OrderStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read orders of interrupted status writes: %w", err)
	}
	pl := shopstatus.New(r.env.Account.Meta())
	for _, mk := range marks {
		m, err := shopstatus.ParseMarker(mk.SourceID, mk.Key)
		if err != nil { // not ours to finish: dropped, and the events decide again
			r.env.Log.Warn("status write marker dropped", "source", syncer.SourceShopStatus, "order_id", mk.SourceID, "err", err)
			pl.Resumed = append(pl.Resumed, shopstatus.Resume(m, nil, false))
			continue
		}
		var order *shop.OrderState
		logged := false
		if st, ok := states[m.Order]; ok {
			order = &st
			if logged, err = r.shop.StatusLogged(ctx, m.Order, m.To, m.AfterLog); err != nil {
				return nil, err
			}
		}
		pl.Resumed = append(pl.Resumed, shopstatus.Resume(m, order, logged))
	}
	return &syncer.Batch{Plan: pl}, nil
}

// Moves reads the deals' status changes since the cursor, and moves the
// orders linked to them, a batch of deals at a time; the cursor moves with
// the last batch. An empty state starts now: moves made before the
// connector followed them are history. It reads on its own schedule,
// shop_status.cron: the cursor is when it last read, so a pass it is not
// due in costs amoCRM nothing.
type Moves struct {
	env        *source.Env
	shop       Shop
	crm        CRM
	force      bool // read whatever shop_status.cron says (run -once, -only shop_status)
	until      int64
	eventsRead int    // events read, counted with the first batch
	moved      *moved // nil until the events are read
}

// NewMoves returns the moves source of one pass; force reads the events
// whether or not shop_status.cron is due.
func NewMoves(env *source.Env, s Shop, c CRM, force bool) *Moves {
	return &Moves{env: env, shop: s, crm: c, force: force}
}

// Name is the source's name.
func (m *Moves) Name() string { return syncer.SourceShopStatus }

// Next plans the next batch of moved deals.
func (m *Moves) Next(ctx context.Context) (*syncer.Batch, error) {
	if m.moved == nil {
		b, err := m.read(ctx)
		if err != nil || b != nil {
			return b, err
		}
	}
	if m.moved.done {
		return nil, nil
	}
	leads := m.moved.leads
	batch := leads[:min(len(leads), source.PageSize)]
	m.moved.leads = leads[len(batch):]
	pl, err := m.plan(ctx, batch)
	if err != nil {
		return nil, err
	}
	b := &syncer.Batch{Plan: pl, Rows: m.eventsRead}
	m.eventsRead = 0
	if len(m.moved.leads) == 0 {
		m.moved.done = true
		b.Cursor.Watermarks = map[string]int64{syncer.SourceShopStatus: m.until}
	}
	return b, nil
}

// read reads the events since the cursor and keeps the deals whose orders
// may follow; an empty state's first pass only starts the cursor.
func (m *Moves) read(ctx context.Context) (*syncer.Batch, error) {
	m.until = m.env.Now().Unix()
	from, ok, err := m.env.Ledger.Watermark(ctx, syncer.SourceShopStatus)
	if err != nil {
		return nil, err
	}
	if !ok {
		m.moved = &moved{done: true}
		return &syncer.Batch{Plan: shopstatus.New(m.env.Account.Meta()),
			Cursor: syncer.Cursor{Watermarks: map[string]int64{syncer.SourceShopStatus: m.until}}}, nil
	}
	if due, err := m.due(from); err != nil || !due {
		m.moved = &moved{done: true}
		return nil, err
	}
	latest, err := m.events(ctx, from-int64(eventsOverlap/time.Second), m.until)
	if err != nil {
		return nil, err
	}
	if m.moved, err = m.movedOrders(ctx, latest); err != nil {
		return nil, err
	}
	if len(m.moved.leads) == 0 { // the cursor still moves
		m.moved.done = true
		return &syncer.Batch{Plan: shopstatus.New(m.env.Account.Meta()), Rows: m.eventsRead,
			Cursor: syncer.Cursor{Watermarks: map[string]int64{syncer.SourceShopStatus: m.until}}}, nil
	}
	return nil, nil
}

// due says whether shop_status.cron has come round since the events were
// last read (at from, the cursor).
func (m *Moves) due(from int64) (bool, error) {
	if m.force {
		return true, nil
	}
	return m.env.CronDue("shop_status.cron", m.env.Config.ShopStatus.Cron, time.Unix(from, 0))
}

// events reads the status change events created from from to to and keeps
// each deal's newest: where a deal was moved last is what counts.
func (m *Moves) events(ctx context.Context, from, to int64) (*shopstatus.Latest, error) {
	latest := shopstatus.NewLatest()
	err := m.crm.LeadStatusEvents(ctx, from, to, func(events []crm.Event) error {
		m.eventsRead += len(events)
		latest.Add(events)
		return nil
	})
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
	linked map[int64][]plan.Link // the deal's orders
	synced map[int64]plan.Link   // an order's order_status link
	done   bool
}

// movedOrders keeps the deals we sent orders as whose newest move left
// them somewhere else than the connector knew them: the rest (its own
// moves, events read again) ask for no read of amoCRM.
func (m *Moves) movedOrders(ctx context.Context, latest *shopstatus.Latest) (*moved, error) {
	mv := &moved{latest: latest, leads: latest.Leads()}
	var err error
	if mv.linked, err = m.env.Ledger.LinksByAmoIDs(ctx, plan.LinkOrder, mv.leads); err != nil {
		return nil, err
	}
	var ids []int64
	for _, ls := range mv.linked {
		for _, l := range ls {
			ids = append(ids, l.SourceID)
		}
	}
	if mv.synced, err = m.env.Ledger.Links(ctx, plan.LinkOrderStatus, ids); err != nil {
		return nil, err
	}
	mv.leads = slices.DeleteFunc(mv.leads, func(lead int64) bool {
		var synced []shopstatus.Synced
		for _, l := range mv.linked[lead] {
			synced = append(synced, shopstatus.SyncedFrom(mv.synced[l.SourceID]))
		}
		return len(synced) == 0 || latest.WhereLeft(lead, synced)
	})
	return mv, nil
}

// plan reads what the moves of leads need (the deals as they are now, the
// linked orders as the shop has them) and plans them.
func (m *Moves) plan(ctx context.Context, leads []int64) (*shopstatus.Plan, error) {
	mv := m.moved
	live, err := m.crm.LeadsByIDs(ctx, leads, false)
	if err != nil {
		return nil, fmt.Errorf("read moved deals: %w", err)
	}
	var ids []int64
	for _, lead := range leads {
		for _, l := range mv.linked[lead] {
			ids = append(ids, l.SourceID)
		}
	}
	states, err := m.shop.OrderStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read orders of moved deals: %w", err)
	}
	orders := make(map[int64][]shopstatus.Order, len(leads))
	for _, lead := range leads {
		for _, l := range mv.linked[lead] {
			if st, ok := states[l.SourceID]; ok { // an order deleted from the shop follows nothing
				orders[lead] = append(orders[lead], shopstatus.Order{OrderState: st, Synced: shopstatus.SyncedFrom(mv.synced[l.SourceID])})
			}
		}
	}
	mapper, err := m.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	return shopstatus.Build(mapper, m.env.Account.Meta(), mv.latest.Moves(live), orders), nil
}
