package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// waiting looks again at orders that were waiting: not settled yet (dated
// in the future), at status 0, drafts, or whose write waited for something
// outside them. Settled placed ones are sent (at status 0: with their
// products and address); ones still at status 0 without them
// sync.abandon_after after their clock started are parked, drafts that old
// are given up with a log line (a draft placed later still arrives through
// its status log); orders deleted from the shop are done. An order planned
// before in this pass (one whose deal waits for its contact to be looked
// up) stays waiting for the next pass.
func (s *Source) waiting(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	orders, err := s.shop.LoadOrders(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read waiting orders: %w", err)
	}
	clock, err := s.env.Clock(ctx)
	if err != nil {
		return nil, err
	}
	var zero []int64
	for i := range orders {
		if orders[i].Status == 0 {
			zero = append(zero, orders[i].ID)
		}
	}
	if err := s.plan.lookAtZero(ctx, zero); err != nil {
		return nil, err
	}
	var ready, done []int64
	var stuck []*shop.Order
	present := map[int64]bool{}
	abandon := s.env.Config.Sync.AbandonAfter.Duration
	for i := range orders {
		o := &orders[i]
		present[o.ID] = true
		if s.mem.plannedBefore(o.ID) {
			continue // its write waits for the next pass (a contact looked up first): it stays waiting
		}
		switch s.mem.waited(o.ID, o.Status, o.CreatedOn, s.since[o.ID], clock, abandon) {
		case hold:
			s.mem.unsettled[o.ID] = true
			s.mem.leftWaiting(o.ID, o.Num, futureWait(o.CreatedOn))
		case send:
			ready = append(ready, o.ID)
			done = append(done, o.ID)
		case wait:
			s.mem.leftWaiting(o.ID, o.Num, s.mem.notPlacedWait(o.ID, o.Status, abandon))
		case park:
			stuck = append(stuck, o)
			done = append(done, o.ID)
		case forget:
			s.env.Log.Warn("order abandoned before it was placed", "source", syncer.SourceOrders, "order_id", o.ID,
				"status", o.Status, "waited", clock.Now.Sub(s.since[o.ID]).Round(time.Second))
			done = append(done, o.ID)
		}
	}
	for _, id := range ids {
		if !present[id] {
			done = append(done, id) // deleted from the shop
		}
	}
	pl, err := s.plan.plan(ctx, ready, false)
	if err != nil {
		return nil, err
	}
	for _, o := range stuck {
		pl.Park(syncer.SourceOrders, orderRecord(o.ID, o.Num), "lead", stuckReason(o.CreatedOn, abandon))
	}
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Done: map[string][]int64{plan.KindOrder: done}}}, nil
}
