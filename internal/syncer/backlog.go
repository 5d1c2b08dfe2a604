package syncer

import (
	"context"
	"fmt"
)

// estimateBacklog adds the rows after the sources' watermarks to the pass's
// known total (for Progress) and sets the backlog gauges. The estimate is
// max id minus watermark: an upper bound, since ids have gaps, that costs a
// MAX(id) per table.
func (s *Syncer) estimateBacklog(ctx context.Context, p *pass, sources ...string) error {
	cur, err := s.src.MaxIDs(ctx)
	if err != nil {
		return fmt.Errorf("estimate the backlog: %w", err)
	}
	for _, src := range sources {
		n := int(max(cur.Of(src)-p.marks[src], 0))
		p.total += n
		s.metrics.SetBacklog(src, n)
	}
	return nil
}
