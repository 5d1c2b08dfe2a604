package source

import (
	"context"
	"fmt"
	"slices"
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
	// Begun are the streams an empty state began in this pass, Rewound
	// those -since moved back; Cursor commits where they stand, with the
	// source's first batch, so a later run does not move them again.
	Begun, Rewound []string
	Cursor         syncer.Cursor
	// info are the report's lines about it: what a start leaves behind.
	info []plan.Entry
}

// Batch is the start as a batch of its own, nil when nothing began or
// moved.
func (s *Start) Batch() *syncer.Batch {
	if len(s.Begun)+len(s.Rewound) == 0 {
		return nil
	}
	pl := plan.New("", "", nil)
	pl.Info = s.info
	b := &syncer.Batch{Plan: pl, Cursor: s.Cursor}
	s.Begun, s.Rewound, s.Cursor, s.info = nil, nil, syncer.Cursor{}, nil
	return b
}

// Begin reads the streams' watermarks; an empty state starts where
// sync.start (or -since for this run) says: "now" at the current end of
// every stream, "all" at the beginning, a date at the first row created
// since. A stream that has a position is moved back to -since (Rewind),
// never forward.
func (e *Env) Begin(ctx context.Context, ends Ends, streams ...string) (*Start, error) {
	s := &Start{Marks: map[string]int64{}, Cursor: syncer.Cursor{Watermarks: map[string]int64{}}}
	for _, stream := range streams {
		v, ok, err := e.Ledger.Watermark(ctx, stream)
		if err != nil {
			return nil, fmt.Errorf("read %s watermark: %w", stream, err)
		}
		if !ok {
			s.Begun = append(s.Begun, stream)
		}
		s.Marks[stream] = v
	}
	if len(s.Begun) > 0 {
		cur, err := startCursors(ctx, ends, e.Start)
		if err != nil {
			return nil, err
		}
		for _, stream := range s.Begun {
			s.Marks[stream] = cur.Of(stream)
			s.Cursor.Watermarks[stream] = s.Marks[stream]
			e.Log.Info("starting source", "source", stream, "start", e.Start, "after_id", s.Marks[stream])
			if e.Start != "all" && s.Marks[stream] > 0 {
				s.info = append(s.info, plan.Entry{Source: stream, Kind: "start", Key: "start:" + stream, Action: plan.Skip,
					Title: stream, Reason: fmt.Sprintf("start %q: %s up to id %d are history, not sent; "+
						"`run -once -since all` (or a date) sends them, and nothing already sent is sent twice",
						startName(e.Start), stream, s.Marks[stream])})
			}
		}
	}
	if e.Rewind == "" || len(s.Begun) == len(streams) {
		return s, nil
	}
	cur, err := startCursors(ctx, ends, e.Rewind)
	if err != nil {
		return nil, err
	}
	for _, stream := range streams {
		to := cur.Of(stream)
		if slices.Contains(s.Begun, stream) {
			continue
		}
		if to >= s.Marks[stream] {
			e.Log.Info("-since is past the position: nothing before it is sent again, and nothing not sent yet is skipped",
				"source", stream, "since", e.Rewind, "after_id", s.Marks[stream])
			continue
		}
		s.info = append(s.info, plan.Entry{Source: stream, Kind: "start", Key: "start:" + stream, Action: plan.Update,
			Title: stream, Reason: fmt.Sprintf("-since %s: %s after id %d are read again (not id %d): what was not sent is sent, "+
				"what was is left as it is", e.Rewind, stream, to, s.Marks[stream])})
		e.Log.Info("moving a source back to -since", "source", stream, "since", e.Rewind, "from_id", s.Marks[stream], "after_id", to)
		s.Marks[stream] = to
		s.Cursor.Watermarks[stream] = to
		s.Rewound = append(s.Rewound, stream)
	}
	return s, nil
}

// startName is a start as the config says it: "now" when empty.
func startName(start string) string {
	if start == "" {
		return "now"
	}
	return start
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

// Backlog is how far each stream has to go from its watermark: the max id
// minus the watermark, in ids as the batches' Span counts them (ids have
// gaps, so this is more than the rows), at the cost of a MAX(id) per table.
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
