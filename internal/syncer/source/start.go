package source

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// Ends are the current ends of the shop's streams.
type Ends interface {
	MaxIDs(ctx context.Context) (modx.Cursors, error)
	FirstIDsSince(ctx context.Context, t time.Time) (modx.Cursors, error)
}

// Start is where a source's streams stand at the start of a pass.
type Start struct {
	Marks map[string]int64
	// Begun are the streams an empty state began in this pass; Cursor
	// commits where they begin, with the source's first batch, so a later
	// run does not move it.
	Begun  []string
	Cursor syncer.Cursor
}

// Batch is the start as a batch of its own, nil when nothing began.
func (s *Start) Batch() *syncer.Batch {
	if len(s.Begun) == 0 {
		return nil
	}
	b := &syncer.Batch{Plan: plan.New("", "", nil), Cursor: s.Cursor}
	s.Begun, s.Cursor = nil, syncer.Cursor{}
	return b
}

// Begin reads the streams' watermarks; an empty state starts where
// sync.start (or -since for this run) says: "now" at the current end of
// every stream, "all" at the beginning, a date at the first row created
// since.
func (e *Env) Begin(ctx context.Context, ends Ends, streams ...string) (*Start, error) {
	s := &Start{Marks: map[string]int64{}}
	for _, stream := range streams {
		v, ok, err := e.Ledger.Watermark(ctx, stream)
		if err != nil {
			return nil, fmt.Errorf("read %s watermark: %w", stream, err)
		}
		if ok {
			s.Marks[stream] = v
			continue
		}
		s.Begun = append(s.Begun, stream)
	}
	if len(s.Begun) == 0 {
		return s, nil
	}
	cur, err := startCursors(ctx, ends, e.Start)
	if err != nil {
		return nil, err
	}
	s.Cursor.Watermarks = map[string]int64{}
	for _, stream := range s.Begun {
		s.Marks[stream] = cur.Of(stream)
		s.Cursor.Watermarks[stream] = s.Marks[stream]
		e.Log.Info("starting source", "source", stream, "start", e.Start, "after_id", s.Marks[stream])
	}
	return s, nil
}

func startCursors(ctx context.Context, ends Ends, start string) (modx.Cursors, error) {
	switch start {
	case "all":
		return modx.Cursors{}, nil
	case "now", "":
		cur, err := ends.MaxIDs(ctx)
		if err != nil {
			return cur, fmt.Errorf("read current ends of the sources: %w", err)
		}
		return cur, nil
	}
	day, err := time.ParseInLocation(time.DateOnly, start, time.UTC)
	if err != nil {
		return modx.Cursors{}, fmt.Errorf("sync.start: want \"now\", \"all\" or a date like 2024-01-01, got %q", start)
	}
	first, err := ends.FirstIDsSince(ctx, day)
	if err != nil {
		return first, fmt.Errorf("find the first rows since %s: %w", start, err)
	}
	// FirstIDsSince gives the first id to send; the watermark is the one before.
	return modx.Cursors{Orders: max(first.Orders-1, 0), OrderLogs: max(first.OrderLogs-1, 0),
		Forms: max(first.Forms-1, 0), Users: max(first.Users-1, 0)}, nil
}

// Backlog is how many rows each stream has after its watermark: the max id
// minus the watermark, an upper bound (ids have gaps) that costs a MAX(id)
// per table.
func Backlog(ctx context.Context, ends Ends, marks map[string]int64) (map[string]int, error) {
	cur, err := ends.MaxIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(marks))
	for stream, mark := range marks {
		out[stream] = int(max(cur.Of(stream)-mark, 0))
	}
	return out, nil
}
