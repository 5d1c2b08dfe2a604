package syncer

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// The ledger reads its small tables (meta, watermarks, pending markers,
// waiting rows, parked records) at most once a pass, a statement each, and
// serves every source from what it read: a pass with nothing new then
// costs a handful of statements whatever the number of sources. Its own
// writes keep what it read up to date or drop it to be read again; only
// this process writes them while it runs (the leader lock keeps one
// runner; `retry` and `auth` in between passes are read by the next pass).

// passCache is what the ledger read in the current pass; nil parts are to
// be read.
type passCache struct {
	meta     map[string]string
	marks    map[string]int64
	pending  []state.PendingCreate
	waiting  []state.Waiting
	failures []state.Failure
}

// BeginPass drops what the ledger read in the last pass.
func (l *StoreLedger) BeginPass() { l.cache = passCache{} }

func (l *StoreLedger) Meta(ctx context.Context, name string) (string, bool, error) {
	if l.cache.meta == nil {
		m, err := l.Store.AllMeta(ctx)
		if err != nil {
			return "", false, err
		}
		l.cache.meta = m
	}
	v, ok := l.cache.meta[name]
	return v, ok, nil
}

func (l *StoreLedger) SetMeta(ctx context.Context, name, value string) error {
	if err := l.Store.SetMeta(ctx, name, value); err != nil {
		return err
	}
	if l.cache.meta != nil {
		l.cache.meta[name] = value
	}
	return nil
}

func (l *StoreLedger) Watermark(ctx context.Context, source string) (int64, bool, error) {
	if l.cache.marks == nil {
		m, err := l.Store.Watermarks(ctx)
		if err != nil {
			return 0, false, err
		}
		l.cache.marks = m
	}
	v, ok := l.cache.marks[source]
	return v, ok, nil
}

func (l *StoreLedger) Pending(ctx context.Context, kind string) ([]state.PendingCreate, error) {
	if l.cache.pending == nil {
		all, err := l.Store.AllPending(ctx)
		if err != nil {
			return nil, err
		}
		l.cache.pending = nonNil(all)
	}
	return filterKind(l.cache.pending, kind, func(p state.PendingCreate) string { return p.Kind }), nil
}

func (l *StoreLedger) Waiting(ctx context.Context, kind string) ([]state.Waiting, error) {
	if l.cache.waiting == nil {
		all, err := l.Store.AllWaiting(ctx)
		if err != nil {
			return nil, err
		}
		l.cache.waiting = nonNil(all)
	}
	return filterKind(l.cache.waiting, kind, func(w state.Waiting) string { return w.Kind }), nil
}

func (l *StoreLedger) Failures(ctx context.Context) ([]state.Failure, error) {
	if l.cache.failures == nil {
		all, err := l.Store.Failures(ctx)
		if err != nil {
			return nil, err
		}
		l.cache.failures = nonNil(all)
	}
	return slices.Clone(l.cache.failures), nil
}

// DueFailures are the parked records of kind whose next attempt is at or
// before now, earliest first, at most limit.
func (l *StoreLedger) DueFailures(ctx context.Context, kind string, now time.Time, limit int) ([]state.Failure, error) {
	all, err := l.Failures(ctx)
	if err != nil {
		return nil, err
	}
	due := slices.DeleteFunc(all, func(f state.Failure) bool {
		return f.Kind != kind || f.NextAttemptAt == nil || f.NextAttemptAt.After(now)
	})
	slices.SortFunc(due, func(a, b state.Failure) int {
		return cmp.Or(a.NextAttemptAt.Compare(*b.NextAttemptAt), cmp.Compare(a.SourceID, b.SourceID))
	})
	return due[:min(len(due), limit)], nil
}

// committed keeps the cache up to date with a commit: meta and watermarks
// in place, the lists it changed dropped, to be read again.
func (l *StoreLedger) committed(w plan.Writes, c Cursor) {
	for _, m := range []map[string]string{w.Meta, c.Meta} {
		if l.cache.meta != nil {
			maps.Copy(l.cache.meta, m)
		}
	}
	for src, v := range c.Watermarks {
		if l.cache.marks != nil {
			l.cache.marks[src] = max(l.cache.marks[src], v)
		}
	}
	if len(w.Cleared)+len(c.Gone) > 0 {
		l.cache.pending = nil
	}
	if len(c.Waiting)+len(c.Done) > 0 {
		l.cache.waiting = nil
	}
	if len(w.Parked)+len(w.Resolved)+len(c.Gone) > 0 {
		l.cache.failures = nil
	}
}

func filterKind[T any](all []T, kind string, of func(T) string) []T {
	var out []T
	for _, x := range all {
		if of(x) == kind {
			out = append(out, x)
		}
	}
	return out
}

// nonNil marks an empty list as read.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
