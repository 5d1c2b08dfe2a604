package dryrun

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// errMarked is a wiring mistake: a create was about to start in a dry run.
var errMarked = errors.New("dry run: a write was about to start (the real writer was built into a dry run)")

// ledger is the state as the dry run would have left it: reads go to the
// ledger under it (base) and see what the run committed so far (its
// memory); nothing reaches base. The reads the memory cannot change are
// base's, promoted: OrderSignatures and SentOrders, since the run keeps no
// snapshot or deletion in memory (the comparison reads each order once a
// pass, and orders written whole earlier in the pass are left out of it,
// the orders source's rule, as in a real run). Every write is overridden
// here, and so must be any write the interface gains.
type ledger struct {
	syncer.Ledger
	mem *memory
}

// memory is what the dry run committed.
type memory struct {
	links    map[string]map[int64]plan.Link
	elements map[int64]map[int64]plan.ElementRow // by list, then product
	keys     map[string]int64
	cleared  map[string]map[int64]bool
	waiting  map[state.Key]*state.Waiting // nil value: done
	resolved map[state.Key]bool
	parked   map[state.Key]state.Failure
	marks    map[string]int64
	meta     map[string]string
}

// Ledger returns the dry run's ledger over base.
func (r *Run) Ledger(base syncer.Ledger) syncer.Ledger {
	return &ledger{Ledger: base, mem: &memory{links: map[string]map[int64]plan.Link{}, elements: map[int64]map[int64]plan.ElementRow{}, keys: map[string]int64{},
		cleared: map[string]map[int64]bool{}, waiting: map[state.Key]*state.Waiting{}, resolved: map[state.Key]bool{},
		parked: map[state.Key]state.Failure{}, marks: map[string]int64{}, meta: map[string]string{}}}
}

// orderLinks are the kinds of links a plan writes for orders.
var orderLinks = []string{plan.LinkOrder, plan.LinkOrderStatus, plan.ProductsKind(plan.KindOrder), plan.TaskKind(plan.KindOrder)}

// Commit keeps a batch in memory. Links and snapshots of orders written by
// a plan are not kept: a pass plans an order once (the orders source's
// rule), so no later batch of the pass reads them, and the memory of a dry
// run over a large backlog stays flat. Links a source commits with its cursor (taken
// over from the old extra, a baseline) are kept, and so are elements, one
// per product.
func (l *ledger) Commit(_ context.Context, w plan.Writes, c syncer.Cursor) error {
	m := l.mem
	for _, lk := range w.Links {
		if !slices.Contains(orderLinks, lk.Kind) {
			m.putLink(lk)
		}
	}
	for _, e := range w.Elements {
		if m.elements[e.CatalogID] == nil {
			m.elements[e.CatalogID] = map[int64]plan.ElementRow{}
		}
		m.elements[e.CatalogID][e.ProductID] = e
	}
	for _, lk := range c.Links {
		m.putLink(lk)
	}
	maps.Copy(m.keys, w.ContactKeys)
	for kind, ids := range w.Cleared {
		m.clear(kind, ids)
	}
	for kind, ids := range w.Resolved {
		for _, id := range ids {
			m.resolve(state.Key{Kind: kind, SourceID: id})
		}
	}
	for _, pk := range w.Parked {
		k := state.Key{Kind: pk.Record.Kind, SourceID: pk.Record.ID}
		delete(m.resolved, k)
		m.parked[k] = state.Failure{Kind: k.Kind, SourceID: k.SourceID, Reason: pk.Reason}
	}
	for kind, ids := range c.Gone {
		m.clear(kind, ids)
		for _, id := range ids {
			m.resolve(state.Key{Kind: kind, SourceID: id})
		}
	}
	for kind, ids := range c.Done {
		for _, id := range ids {
			m.waiting[state.Key{Kind: kind, SourceID: id}] = nil
		}
	}
	for _, wt := range c.Waiting {
		m.wait(wt)
	}
	for _, wt := range w.Waits {
		m.wait(state.Waiting{Kind: wt.Record.Kind, SourceID: wt.Record.ID, Reason: wt.Reason})
	}
	maps.Copy(m.meta, w.Meta)
	maps.Copy(m.meta, c.Meta)
	maps.Copy(m.marks, c.Watermarks)
	return nil
}

func (m *memory) putLink(lk plan.Link) {
	if m.links[lk.Kind] == nil {
		m.links[lk.Kind] = map[int64]plan.Link{}
	}
	m.links[lk.Kind][lk.SourceID] = lk
}

func (m *memory) clear(kind string, ids []int64) {
	if m.cleared[kind] == nil {
		m.cleared[kind] = map[int64]bool{}
	}
	for _, id := range ids {
		m.cleared[kind][id] = true
	}
}

func (m *memory) resolve(k state.Key) {
	m.resolved[k] = true
	delete(m.parked, k)
}

func (m *memory) wait(w state.Waiting) {
	k := state.Key{Kind: w.Kind, SourceID: w.SourceID}
	if w.Since.IsZero() {
		w.Since = time.Now()
	}
	m.waiting[k] = &w
}

// BeginPass passes the start of a pass on to the ledger under it.
func (l *ledger) BeginPass() {
	if b, ok := l.Ledger.(interface{ BeginPass() }); ok {
		b.BeginPass()
	}
}

func (l *ledger) Watermark(ctx context.Context, source string) (int64, bool, error) {
	if v, ok := l.mem.marks[source]; ok {
		return v, true, nil
	}
	return l.Ledger.Watermark(ctx, source)
}

func (l *ledger) Links(ctx context.Context, kind string, ids []int64) (map[int64]plan.Link, error) {
	out, err := l.Ledger.Links(ctx, kind, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if lk, ok := l.mem.links[kind][id]; ok {
			out[id] = lk
		}
	}
	return out, nil
}

func (l *ledger) LinksByAmoIDs(ctx context.Context, kind string, amoIDs []int64) (map[int64][]plan.Link, error) {
	out, err := l.Ledger.LinksByAmoIDs(ctx, kind, amoIDs)
	if err != nil || len(l.mem.links[kind]) == 0 {
		return out, err
	}
	for amo, links := range out { // a link the run replaced points elsewhere now
		out[amo] = slices.DeleteFunc(links, func(lk plan.Link) bool {
			mem, ok := l.mem.links[kind][lk.SourceID]
			return ok && mem.AmoID != amo
		})
	}
	want := map[int64]bool{}
	for _, id := range amoIDs {
		want[id] = true
	}
	for _, lk := range l.mem.links[kind] {
		if want[lk.AmoID] && !slices.ContainsFunc(out[lk.AmoID], func(x plan.Link) bool { return x.SourceID == lk.SourceID }) {
			out[lk.AmoID] = append(out[lk.AmoID], lk)
		}
	}
	return out, nil
}

func (l *ledger) Pending(ctx context.Context, kind string) ([]state.PendingCreate, error) {
	marks, err := l.Ledger.Pending(ctx, kind)
	return slices.DeleteFunc(marks, func(m state.PendingCreate) bool { return l.mem.cleared[kind][m.SourceID] }), err
}

func (l *ledger) Waiting(ctx context.Context, kind string) ([]state.Waiting, error) {
	base, err := l.Ledger.Waiting(ctx, kind)
	if err != nil {
		return nil, err
	}
	var out []state.Waiting
	for _, w := range base {
		if mem, ok := l.mem.waiting[state.Key{Kind: kind, SourceID: w.SourceID}]; !ok {
			out = append(out, w)
		} else if mem != nil {
			out = append(out, w) // waiting again: it keeps its Since, as the state does
		}
	}
	for k, w := range l.mem.waiting {
		if w != nil && k.Kind == kind && !slices.ContainsFunc(base, func(b state.Waiting) bool { return b.SourceID == k.SourceID }) {
			out = append(out, *w)
		}
	}
	slices.SortFunc(out, func(a, b state.Waiting) int { return int(a.SourceID - b.SourceID) })
	return out, nil
}

func (l *ledger) Failures(ctx context.Context) ([]state.Failure, error) {
	base, err := l.Ledger.Failures(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(base, l.mem.settled)
	for _, f := range l.mem.parked {
		out = append(out, f)
	}
	return out, nil
}

// DueFailures are the state's due failures the run has not settled: what
// the run parks is due later, as in the state.
func (l *ledger) DueFailures(ctx context.Context, kind string, now time.Time, limit int) ([]state.Failure, error) {
	due, err := l.Ledger.DueFailures(ctx, kind, now, limit)
	return slices.DeleteFunc(due, l.mem.settled), err
}

// settled says whether the run has settled a failure of the state: sent
// the record, or parked it again (its own failure replaces the state's).
func (m *memory) settled(f state.Failure) bool {
	k := state.Key{Kind: f.Kind, SourceID: f.SourceID}
	_, again := m.parked[k]
	return m.resolved[k] || again
}

func (l *ledger) LookupContacts(ctx context.Context, keys []string) (map[string]int64, error) {
	found, err := l.Ledger.LookupContacts(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if id, ok := l.mem.keys[k]; ok {
			found[k] = id
		}
	}
	return found, nil
}

func (l *ledger) Elements(ctx context.Context, catalogID int64, productIDs []int64) (map[int64]state.Element, error) {
	out, err := l.Ledger.Elements(ctx, catalogID, productIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range productIDs {
		if e, ok := l.mem.elements[catalogID][id]; ok {
			out[id] = state.ElementOf(e)
		}
	}
	return out, nil
}

// LinkedWithoutSignature adds to the state's the links of kind a source
// committed in the run (the old extra's, taken over): they have no
// signature yet.
func (l *ledger) LinkedWithoutSignature(ctx context.Context, kind string, afterID int64, limit int) ([]int64, error) {
	ids, err := l.Ledger.LinkedWithoutSignature(ctx, kind, afterID, limit)
	if err != nil {
		return nil, err
	}
	for id := range l.mem.links[kind] {
		if id > afterID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return ids[:min(len(ids), limit)], nil
}

func (l *ledger) Meta(ctx context.Context, name string) (string, bool, error) {
	if v, ok := l.mem.meta[name]; ok {
		return v, true, nil
	}
	return l.Ledger.Meta(ctx, name)
}

func (l *ledger) SetMeta(_ context.Context, name, value string) error {
	l.mem.meta[name] = value
	return nil
}

func (l *ledger) PutContactKeys(_ context.Context, keys map[string]int64, _ string) error {
	maps.Copy(l.mem.keys, keys)
	return nil
}

func (l *ledger) MarkPendings(context.Context, []state.PendingCreate, map[string]string) error {
	return errMarked
}
