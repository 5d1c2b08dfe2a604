package orders

import (
	"context"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// newOrders reads the orders after the watermark, settled (sync.settle:
// miniShop2's tables are usually MyISAM, so an order can be visible before
// its products and address are written). A settled order at status 0 with
// its products and address is a placed order and is sent at once
// (miniShop2 4.4.1 leaves every web order there, its #950). An order not
// placed yet waits from its createdon, so the watermark moves past it; one
// at status 0 without products or address for longer than
// sync.abandon_after is parked at once, a cart that old is forgotten, and
// MiniShop3's carts are not remembered at all: every MiniShop3 order is a
// cart first, and its placing is a logged status change.
func (s *Source) newOrders() *source.Keyset[shop.OrderHeader] {
	return &source.Keyset[shop.OrderHeader]{
		Env:    s.env,
		Stream: syncer.SourceOrders,
		Kind:   plan.KindOrder,
		Mark:   s.mem.newFrom,
		Read:   s.shop.OrderHeaders,
		Row:    func(h shop.OrderHeader) (int64, time.Time) { return h.ID, h.CreatedOn },
		Pass: func(h shop.OrderHeader) bool {
			return s.schema.Shop == modx.ShopMiniShop3 && s.mem.notPlaced(h.ID, h.Status) != ""
		},
		Early: func(h shop.OrderHeader, clock source.Clock) {
			s.env.Log.Warn("order dated in the future: sent one settle after it appeared", "source", syncer.SourceOrders,
				"order_id", h.ID, "createdon", h.CreatedOn, "db_now", clock.Now, "zone", h.CreatedOn.Location().String())
			s.mem.unsettled[h.ID] = true
			s.mem.leftWaiting(h.ID, h.Num, futureWait(h.CreatedOn))
		},
		Young: func(h shop.OrderHeader, clock source.Clock) { s.mem.leftWaiting(h.ID, h.Num, youngWait(clock.Settle)) },
		Plan:  s.placed,
		Moved: func(mark int64) { s.mem.mark = mark },
	}
}

// placed plans the settled new orders that are placed; the others wait, or
// are parked or forgotten by how long they have been carts.
func (s *Source) placed(ctx context.Context, headers []shop.OrderHeader, page source.Page) (*syncer.Batch, error) {
	clock := page.Clock
	var zero []int64
	for _, h := range headers {
		if h.Status == 0 {
			zero = append(zero, h.ID)
		}
	}
	if err := s.plan.lookAtZero(ctx, zero); err != nil {
		return nil, err
	}
	var ids []int64
	var stuck []shop.OrderHeader
	var waits []state.Waiting
	abandon := s.env.Config.Sync.AbandonAfter.Duration
	for _, h := range headers {
		switch v, since := s.mem.arriving(h.ID, h.Status, h.CreatedOn, clock, abandon); v {
		case send:
			ids = append(ids, h.ID)
		case wait:
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: h.ID, Since: since, Reason: s.mem.notPlaced(h.ID, h.Status)})
			s.mem.leftWaiting(h.ID, h.Num, s.mem.notPlacedWait(h.ID, h.Status, abandon))
		case park:
			stuck = append(stuck, h)
		default:
			s.env.Log.Debug("cart left before it was placed", "source", syncer.SourceOrders, "order_id", h.ID, "createdon", h.CreatedOn)
		}
	}
	pl, err := s.plan.plan(ctx, ids, true)
	if err != nil {
		return nil, err
	}
	for _, h := range stuck {
		pl.Park(syncer.SourceOrders, orderRecord(h.ID, h.Num), "lead", stuckReason(h.CreatedOn, abandon))
	}
	if page.More {
		// Known customers' deals go 50 to a request: those that would
		// leave the last one half empty wait for the next pages' (the
		// waiting list brings them back in this pass).
		for _, r := range pl.HoldPlain(s.env.Config.Sync.BatchSize) {
			s.mem.held[r.ID] = true
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: r.ID, Reason: heldReason})
		}
	}
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Waiting: waits}}, nil
}
