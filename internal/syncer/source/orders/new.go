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
// its products and address are written). An order not placed yet waits
// from its createdon, so the watermark moves past it; one at status 0 for
// longer than sync.abandon_after is parked at once, a cart that old is
// forgotten, and MiniShop3's carts are not remembered at all: every
// MiniShop3 order is a cart first, and its placing is a logged status
// change.
func (s *Source) newOrders() *source.Keyset[shop.OrderHeader] {
	s.keyset = &source.Keyset[shop.OrderHeader]{
		Env:    s.env,
		Stream: syncer.SourceOrders,
		Kind:   plan.KindOrder,
		Mark:   s.start.Marks[syncer.SourceOrders],
		Read:   s.shop.OrderHeaders,
		Row:    func(h shop.OrderHeader) (int64, time.Time) { return h.ID, h.CreatedOn },
		Pass: func(h shop.OrderHeader) bool {
			return s.schema.Shop == modx.ShopMiniShop3 && s.notPlaced(h.Status) != ""
		},
		Early: func(h shop.OrderHeader, clock source.Clock) {
			s.env.Log.Warn("order dated in the future: sent one settle after it appeared", "source", syncer.SourceOrders,
				"order_id", h.ID, "createdon", h.CreatedOn, "db_now", clock.Now, "zone", h.CreatedOn.Location().String())
			s.unsettle[h.ID] = true
		},
		Plan: s.placed,
	}
	return s.keyset
}

// placed plans the settled new orders that are placed; the others wait, or
// are parked or forgotten by how long they have been carts.
func (s *Source) placed(ctx context.Context, headers []shop.OrderHeader, clock source.Clock) (*syncer.Batch, error) {
	var send []int64
	var stuck []shop.OrderHeader
	var waits []state.Waiting
	for _, h := range headers {
		reason := s.notPlaced(h.Status)
		since := clock.Since(h.CreatedOn)
		switch {
		case reason == "":
			send = append(send, h.ID)
		case clock.Now.Sub(since) <= s.env.Config.Sync.AbandonAfter.Duration:
			waits = append(waits, state.Waiting{Kind: plan.KindOrder, SourceID: h.ID, Since: since, Reason: reason})
		case h.Status == 0:
			stuck = append(stuck, h)
		default:
			s.env.Log.Debug("cart left before it was placed", "source", syncer.SourceOrders, "order_id", h.ID, "createdon", h.CreatedOn)
		}
	}
	pl, err := s.plan(ctx, send, true)
	if err != nil {
		return nil, err
	}
	for _, h := range stuck {
		pl.Park(syncer.SourceOrders, orderRecord(h.ID, h.Num), "lead", s.stuckReason(h.CreatedOn))
	}
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Waiting: waits}}, nil
}
