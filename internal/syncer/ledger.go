package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// StoreLedger is the ledger of a real run: the state store.
type StoreLedger struct {
	*state.Store
	log *slog.Logger

	// parked are the record kinds with parked failures: only they need
	// their failures settled at commit. Read once; then only this
	// process's commits park (the leader lock keeps one runner).
	parked map[string]bool
	cache  passCache
}

// NewStoreLedger returns the ledger of store; it logs the records it parks.
func NewStoreLedger(store *state.Store, log *slog.Logger) *StoreLedger {
	return &StoreLedger{Store: store, log: log}
}

// Commit writes a batch's outcome and its cursor in one transaction, a
// statement per table where the rows allow it, and nothing where there is
// nothing to write.
func (l *StoreLedger) Commit(ctx context.Context, w plan.Writes, c Cursor) error {
	if err := l.loadParked(ctx); err != nil {
		return err
	}
	for kind := range w.Resolved {
		if !l.parked[kind] {
			delete(w.Resolved, kind) // nothing of the kind is parked: nothing to settle
		}
	}
	for _, pk := range w.Parked {
		l.parked[pk.Record.Kind] = true
	}
	for _, wt := range w.Waits { // after the cursor's done rows: a row done and waiting again stays
		c.Waiting = append(c.Waiting, state.Waiting{Kind: wt.Record.Kind, SourceID: wt.Record.ID, Reason: wt.Reason})
	}
	if w.Empty() && c.empty() {
		return nil
	}
	err := l.Store.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.PutLinks(slices.Concat(w.Links, c.Links)); err != nil {
			return err
		}
		if err := tx.PutContactKeys(w.ContactKeys, "sync"); err != nil {
			return err
		}
		if err := tx.PutElements(elements(w.Elements)); err != nil {
			return err
		}
		if err := putOrdersSent(tx, w.Sent, w.Deleted); err != nil {
			return err
		}
		for _, kind := range slices.Sorted(maps.Keys(w.Cleared)) {
			if err := tx.ClearPendings(kind, w.Cleared[kind]); err != nil {
				return err
			}
		}
		for _, kind := range slices.Sorted(maps.Keys(w.Resolved)) {
			if err := tx.ResolveAll(kind, w.Resolved[kind]); err != nil {
				return err
			}
		}
		for _, pk := range w.Parked {
			if err := tx.Park(state.Failure{Kind: pk.Record.Kind, SourceID: pk.Record.ID, Reason: pk.Reason}); err != nil {
				return err
			}
		}
		for _, name := range slices.Sorted(maps.Keys(w.Meta)) {
			if err := tx.SetMeta(name, w.Meta[name]); err != nil {
				return err
			}
		}
		return commitCursor(tx, c)
	})
	if err != nil {
		l.cache = passCache{} // the transaction may or may not have landed
		return err
	}
	l.committed(w, c)
	for _, pk := range w.Parked {
		l.log.Warn("record parked", "source", pk.Source, "record", pk.Record.Key(), "reason", pk.Reason)
	}
	return nil
}

// commitCursor writes a cursor: rows gone from MODX settled, waiting rows
// added and done, meta and watermarks.
func commitCursor(tx *state.Tx, c Cursor) error {
	for _, kind := range slices.Sorted(maps.Keys(c.Gone)) {
		if err := tx.ResolveAll(kind, c.Gone[kind]); err != nil {
			return err
		}
		if err := tx.ClearPendings(kind, c.Gone[kind]); err != nil {
			return err
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(c.Done)) {
		if err := tx.DeleteWaitings(kind, c.Done[kind]); err != nil {
			return err
		}
	}
	for _, wt := range c.Waiting {
		if err := tx.PutWaiting(wt); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Meta)) {
		if err := tx.SetMeta(name, c.Meta[name]); err != nil {
			return err
		}
	}
	for _, src := range slices.Sorted(maps.Keys(c.Watermarks)) {
		if err := tx.SetWatermark(src, c.Watermarks[src]); err != nil {
			return err
		}
	}
	return nil
}

func (l *StoreLedger) loadParked(ctx context.Context) error {
	if l.parked != nil {
		return nil
	}
	all, err := l.Failures(ctx)
	if err != nil {
		return fmt.Errorf("read parked records: %w", err)
	}
	l.parked = map[string]bool{}
	for _, f := range all {
		l.parked[f.Kind] = true
	}
	return nil
}

// MarkPendings commits the markers of creates about to start, with meta
// that must be kept with them (the newest ids they are bounded by).
func (l *StoreLedger) MarkPendings(ctx context.Context, marks []state.PendingCreate, meta map[string]string) error {
	err := l.Store.Commit(ctx, func(tx *state.Tx) error {
		if err := tx.MarkPendings(marks); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(meta)) {
			if err := tx.SetMeta(name, meta[name]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.cache = passCache{}
		return err
	}
	l.cache.pending = nil
	l.committed(plan.Writes{Meta: meta}, Cursor{})
	return nil
}

// elements are element rows as the state keeps them.
func elements(rows []plan.ElementRow) []state.Element {
	out := make([]state.Element, len(rows))
	for i, r := range rows {
		out[i] = state.ElementOf(r)
	}
	return out
}

// putOrdersSent records orders' snapshots, then the deleted orders (which
// a snapshot never brings back).
func putOrdersSent(tx *state.Tx, sent []plan.OrderSent, deleted []int64) error {
	rows := make([]state.OrderSent, len(sent))
	for i, s := range sent {
		b, err := s.Sent.MarshalBinary()
		if err != nil {
			return fmt.Errorf("encode what order %d's deal got: %w", s.OrderID, err)
		}
		rows[i] = state.OrderSent{OrderID: s.OrderID, Signature: s.Signature, Sent: b}
	}
	if err := tx.PutOrdersSent(rows); err != nil {
		return err
	}
	return tx.MarkOrdersDeleted(deleted)
}

func (c Cursor) empty() bool {
	return len(c.Watermarks)+len(c.Waiting)+len(c.Done)+len(c.Meta)+len(c.Links)+len(c.Gone) == 0
}
