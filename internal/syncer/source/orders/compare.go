package orders

import (
	"context"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

const metaStatusesCompared = "order_statuses_compared_at"

// comparePage is how many orders a status comparison reads at a time: most
// are unchanged and cost no request.
const comparePage = 1000

// comparison compares, when orders.compare_cron is due (and on -once),
// every linked order with what the state recorded of its deal, and brings
// the deals that are due (stale) where the current config puts their
// orders' statuses: a status set with no log row (imports, plugins, direct
// SQL; one live shop had 3.8k logs for 13.9k orders), a status map edited
// since a deal's status was set, and the deals taken over from the old
// extra, whose status was never set by us. Orders this pass read as new
// are current already, so the comparison stops at the watermark the pass
// began at.
func (s *Source) comparison() source.Reader {
	var after int64
	var checked, done bool
	return source.ReaderFunc(func(ctx context.Context) (*syncer.Batch, error) {
		if done {
			return nil, nil
		}
		if !checked {
			checked = true
			due, err := s.env.ComparisonDue(ctx, s.compare, metaStatusesCompared, "orders.compare_cron", s.env.Config.Orders.CompareCron)
			if err != nil || !due {
				done = true
				return nil, err
			}
		}
		headers, err := s.shop.OrderHeaders(ctx, after, comparePage)
		if err != nil {
			return nil, fmt.Errorf("compare statuses after order %d: %w", after, err)
		}
		n := 0
		for _, h := range headers {
			if h.ID <= s.mem.newFrom {
				n++
			}
		}
		b := &syncer.Batch{Plan: s.env.Plan(syncer.SourceOrders, plan.KindOrder)}
		if n > 0 {
			stale, err := s.stale(ctx, headers[:n])
			if err != nil {
				return nil, err
			}
			if b.Plan, err = s.plan.plan(ctx, stale, false); err != nil {
				return nil, err
			}
			after = headers[n-1].ID
		}
		if n == 0 || len(headers) < comparePage || after >= s.mem.newFrom {
			done = true
			b.Cursor.Meta = s.env.Compared(metaStatusesCompared)
		}
		return b, nil
	})
}

// stale picks the orders of a page whose deals are due a move, from the
// state alone (plan.StatusDue), so an unchanged shop costs no request:
// their order_status links, and for the orders without one their deal
// links (a deal taken over from the old extra has no status set yet). The
// orders this pass planned are current, and those not settled wait.
//
// This is the one place a comparison decides which linked orders to plan
// again; another reason to (an edited order) belongs beside this one.
func (s *Source) stale(ctx context.Context, headers []shop.OrderHeader) ([]int64, error) {
	ids := make([]int64, len(headers))
	for i, h := range headers {
		ids[i] = h.ID
	}
	set, err := s.env.Ledger.Links(ctx, plan.LinkOrderStatus, ids)
	if err != nil {
		return nil, fmt.Errorf("read order status links: %w", err)
	}
	var unset []int64
	for _, id := range ids {
		if _, ok := set[id]; !ok {
			unset = append(unset, id)
		}
	}
	deals, err := s.env.Ledger.Links(ctx, plan.LinkOrder, unset)
	if err != nil {
		return nil, fmt.Errorf("read order links: %w", err)
	}
	mapper, err := s.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	var stale []int64
	for _, h := range headers {
		l, ok := set[h.ID]
		switch {
		case s.mem.planned[h.ID] || s.mem.unsettled[h.ID]:
		case !ok && deals[h.ID].AmoID == 0: // never sent
		case plan.StatusDue(mapper, l, mapper.PlacedStatus(h.Status)):
			stale = append(stale, h.ID)
		}
	}
	return stale, nil
}
