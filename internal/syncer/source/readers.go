package source

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// Reader is one stream a source is made of; a source drains its readers in
// order.
type Reader interface {
	Next(ctx context.Context) (*syncer.Batch, error)
}

// Drain is a source made of readers drained one after the other.
type Drain struct {
	readers []Reader
}

// Then adds readers, drained after those before them.
func (d *Drain) Then(rs ...Reader) { d.readers = append(d.readers, rs...) }

// Next is the next batch of the first reader not drained yet.
func (d *Drain) Next(ctx context.Context) (*syncer.Batch, error) {
	for len(d.readers) > 0 {
		b, err := d.readers[0].Next(ctx)
		if err != nil || b != nil {
			return b, err
		}
		d.readers = d.readers[1:]
	}
	return nil, nil
}

// ReaderFunc makes a function a reader.
type ReaderFunc func(ctx context.Context) (*syncer.Batch, error)

func (f ReaderFunc) Next(ctx context.Context) (*syncer.Batch, error) { return f(ctx) }

// Keyset reads a stream's rows after its watermark, a page at a time, and
// settles them (sync.settle, Clock): a row dated within the last settle
// stops the page, the rows after it being written later still; one dated in
// the future waits, first seen now, and the page goes on. Plan plans the
// settled rows; the batch's cursor moves the watermark past the page and
// remembers the rows that wait.
type Keyset[R any] struct {
	Env    *Env
	Stream string // the watermark's name
	Kind   string // of the rows that wait
	Mark   int64  // the watermark, moved as pages are planned
	Read   func(ctx context.Context, after int64, limit int) ([]R, error)
	// Row gives a row's id and own time.
	Row func(R) (id int64, at time.Time)
	// Pass are rows no one takes (forms not in forms.names, MiniShop3's
	// carts): the watermark passes them, unsettled.
	Pass func(R) bool
	// Plan plans the page's settled rows.
	Plan func(ctx context.Context, rows []R, clock Clock) (*syncer.Batch, error)
	// Early is told of a row dated in the future.
	Early func(row R, clock Clock)
	// Moved is told where the watermark stands after each page.
	Moved func(mark int64)

	done bool
}

// Next reads and plans the next page.
func (k *Keyset[R]) Next(ctx context.Context) (*syncer.Batch, error) {
	if k.done {
		return nil, nil
	}
	rows, err := k.Read(ctx, k.Mark, PageSize)
	if err != nil {
		return nil, fmt.Errorf("read %s after %d: %w", k.Stream, k.Mark, err)
	}
	if len(rows) == 0 {
		k.done = true
		return nil, nil
	}
	clock, err := k.Env.Clock(ctx)
	if err != nil {
		return nil, err
	}
	var ready []R
	var waits []state.Waiting
	mark, more := k.Mark, len(rows) == PageSize
scan:
	for _, r := range rows {
		id, at := k.Row(r)
		switch {
		case k.Pass != nil && k.Pass(r):
		case clock.Ahead(at):
			if k.Early != nil {
				k.Early(r, clock)
			}
			waits = append(waits, state.Waiting{Kind: k.Kind, SourceID: id, Since: clock.Now, Reason: "dated in the future"})
		case clock.Young(at):
			more = false
			break scan
		default:
			ready = append(ready, r)
		}
		mark = id
	}
	k.done = !more
	if mark == k.Mark {
		return nil, nil
	}
	b, err := k.Plan(ctx, ready, clock)
	if err != nil {
		return nil, err
	}
	b.Span = int(mark - k.Mark)
	k.Mark = mark
	if k.Moved != nil {
		k.Moved(mark)
	}
	b.Stream, b.Rows = k.Stream, len(rows)
	b.Cursor.Waiting = append(waits, b.Cursor.Waiting...)
	if b.Cursor.Watermarks == nil {
		b.Cursor.Watermarks = map[string]int64{}
	}
	b.Cursor.Watermarks[k.Stream] = mark
	return b, nil
}

// Queue plans a list of ids read once (pending creates, waiting rows, due
// parked records), a page at a time.
type Queue struct {
	Load func(ctx context.Context) ([]int64, error)
	Plan func(ctx context.Context, ids []int64) (*syncer.Batch, error)

	ids    []int64
	loaded bool
}

// Next plans the next page of the queue.
func (q *Queue) Next(ctx context.Context) (*syncer.Batch, error) {
	if !q.loaded {
		ids, err := q.Load(ctx)
		if err != nil {
			return nil, err
		}
		q.ids, q.loaded = ids, true
	}
	if len(q.ids) == 0 {
		return nil, nil
	}
	n := min(len(q.ids), PageSize)
	page := q.ids[:n]
	q.ids = q.ids[n:]
	return q.Plan(ctx, page)
}

// PendingIDs loads a queue with the records of the kinds whose create had
// an unknown outcome (a crash, a timeout, a dropped connection): they are
// looked up before anything is created again. Several marker kinds may
// name one record (its deal's, its products', its task's).
func (e *Env) PendingIDs(kinds ...string) func(context.Context) ([]int64, error) {
	return func(ctx context.Context) ([]int64, error) {
		var ids []int64
		for _, kind := range kinds {
			marks, err := e.Ledger.Pending(ctx, kind)
			if err != nil {
				return nil, fmt.Errorf("read pending %s creates: %w", kind, err)
			}
			for _, m := range marks {
				ids = append(ids, m.SourceID)
			}
		}
		slices.Sort(ids)
		return slices.Compact(ids), nil
	}
}

// maxDue bounds the parked records of a kind retried in one pass.
const maxDue = 100 * PageSize

// DueIDs loads a queue with the parked records of kind whose next attempt
// is due.
func (e *Env) DueIDs(kind string) func(context.Context) ([]int64, error) {
	return func(ctx context.Context) ([]int64, error) {
		due, err := e.Ledger.DueFailures(ctx, kind, e.Now(), maxDue)
		if err != nil {
			return nil, fmt.Errorf("read parked %ss: %w", kind, err)
		}
		ids := make([]int64, len(due))
		for i, f := range due {
			ids[i] = f.SourceID
		}
		return ids, nil
	}
}

// Waiting loads a queue with the rows of kind that wait, keeping when each
// began to wait in since.
func (e *Env) Waiting(kind string, since map[int64]time.Time) func(context.Context) ([]int64, error) {
	return func(ctx context.Context) ([]int64, error) {
		waiting, err := e.Ledger.Waiting(ctx, kind)
		if err != nil {
			return nil, fmt.Errorf("read waiting %s rows: %w", kind, err)
		}
		ids := make([]int64, len(waiting))
		for i, w := range waiting {
			ids[i] = w.SourceID
			since[w.SourceID] = w.Since
		}
		return ids, nil
	}
}
