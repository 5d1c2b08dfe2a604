package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// logs reads a page of status changes after the log watermark. Every order
// with a change is brought to its current status: a linked deal is moved,
// an unlinked order is sent. Orders above the orders watermark are left to
// the next pass's new orders, orders not settled yet to the waiting list,
// and orders planned before in this pass are current already.
func (s *Source) logs(ctx context.Context) (*syncer.Batch, error) {
	if s.logsDone {
		return nil, nil
	}
	logs, err := s.shop.StatusLogs(ctx, s.logsMark, source.PageSize)
	if err != nil {
		return nil, fmt.Errorf("read order logs after %d: %w", s.logsMark, err)
	}
	read := len(logs.Changes) + len(logs.Skipped)
	if logs.LastID <= s.logsMark {
		return nil, nil
	}
	var ids []int64
	for _, c := range logs.Changes {
		if c.OrderID <= s.mem.mark && !slices.Contains(ids, c.OrderID) && !s.mem.plannedBefore(c.OrderID) && !s.mem.unsettled[c.OrderID] {
			ids = append(ids, c.OrderID)
		}
	}
	pl, err := s.plan.plan(ctx, ids, false)
	if err != nil {
		return nil, err
	}
	if !logs.Full {
		s.logsDone = true
	}
	span := int(logs.LastID - s.logsMark)
	s.logsMark = logs.LastID
	return &syncer.Batch{Plan: pl, Stream: syncer.SourceOrderLogs, Rows: read, Span: span,
		Cursor: syncer.Cursor{Watermarks: map[string]int64{syncer.SourceOrderLogs: logs.LastID}}}, nil
}
