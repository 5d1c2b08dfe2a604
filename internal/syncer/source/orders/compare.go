package orders

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

const metaStatusesCompared = "order_statuses_compared_at"

// comparePage is how many orders a status comparison reads at a time: most
// are unchanged and cost no request.
const comparePage = 1000

// comparison compares, when orders.compare_cron is due (and on -once),
// every order's status with the status last sent, and brings the deals of
// those that differ to their current status: a status set with no log row
// (imports, plugins, direct SQL; one live shop had 3.8k logs for 13.9k
// orders) reaches its deal here. Orders this pass read as new are current
// already, so the comparison stops at the watermark the pass began at.
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
		ids := make([]int64, 0, len(headers))
		for _, h := range headers {
			if h.ID <= s.mem.newFrom {
				ids = append(ids, h.ID)
			}
		}
		b := &syncer.Batch{Plan: s.env.Plan(syncer.SourceOrders, plan.KindOrder)}
		if len(ids) > 0 {
			sent, err := s.env.Ledger.Links(ctx, plan.LinkOrderStatus, ids)
			if err != nil {
				return nil, fmt.Errorf("read order status links: %w", err)
			}
			var changed []int64
			for _, h := range headers[:len(ids)] {
				if l, ok := sent[h.ID]; ok && l.Hash != strconv.FormatInt(h.Status, 10) && !s.mem.planned[h.ID] && !s.mem.unsettled[h.ID] {
					changed = append(changed, h.ID)
				}
			}
			if b.Plan, err = s.plan.plan(ctx, changed, false); err != nil {
				return nil, err
			}
			after = ids[len(ids)-1]
		}
		if len(ids) == 0 || len(headers) < comparePage || after >= s.mem.newFrom {
			done = true
			b.Cursor.Meta = s.env.Compared(metaStatusesCompared)
		}
		return b, nil
	})
}
