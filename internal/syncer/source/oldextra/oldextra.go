// Package oldextra is the source that takes over what the old PHP "amoCRM"
// extra sent: its links (amocrm_leads: order -> deal, amocrm_users: user ->
// contact), once, before any other source reads links, so nothing it sent
// is sent again, and where the orders of a switch begin.
package oldextra

import (
	"context"
	"fmt"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
)

// Shop is the shop as this source reads it (*modx.DB).
type Shop interface {
	OldDeals(ctx context.Context, afterRow int64, limit int) ([]shop.OldLink, error)
	OldContacts(ctx context.Context, afterRow int64, limit int) ([]shop.OldLink, error)
	MaxIDs(ctx context.Context) (modx.Cursors, error)
}

// Name is the source's name, in reports.
const Name = "old_extra"

const metaImported = "old_extra_links_imported"

// page is how many rows of the extra's tables a batch takes over.
const page = 1000

// table is one of the extra's link tables, read a page at a time.
type table struct {
	name, kind string // the table, and the kind of link its rows become
	read       func(ctx context.Context, afterRow int64, limit int) ([]shop.OldLink, error)
	after      int64 // the last row read
	done       bool
	taken      int // links taken over
}

// Source takes the old extra's links over, once a state: a batch per page
// of its tables, then one that says what it took and marks it done (an
// interrupted takeover starts again, skipping the links taken already).
type Source struct {
	env             *source.Env
	shop            Shop
	deals, contacts *table
	newest          int64 // the newest order the extra linked
	checked, done   bool
}

// New returns the source.
func New(env *source.Env, s Shop) *Source {
	return &Source{env: env, shop: s,
		deals:    &table{name: "amocrm_leads", kind: plan.LinkOrder, read: s.OldDeals},
		contacts: &table{name: "amocrm_users", kind: plan.LinkUser, read: s.OldContacts}}
}

// Name is the source's name.
func (s *Source) Name() string { return Name }

// Next is the next page of the old extra's links, the first time; then the
// batch that closes the takeover.
func (s *Source) Next(ctx context.Context) (*syncer.Batch, error) {
	if !s.checked {
		s.checked = true
		_, done, err := s.env.Ledger.Meta(ctx, metaImported)
		if err != nil {
			return nil, fmt.Errorf("read old extra import flag: %w", err)
		}
		s.done = done
	}
	if s.done {
		return nil, nil
	}
	for _, t := range []*table{s.deals, s.contacts} {
		if !t.done {
			return s.page(ctx, t)
		}
	}
	s.done = true
	return s.close(ctx)
}

// page takes over the links of a page of t. Links we already have win:
// they carry what we sent.
func (s *Source) page(ctx context.Context, t *table) (*syncer.Batch, error) {
	rows, err := t.read(ctx, t.after, page)
	if err != nil {
		return nil, fmt.Errorf("read the old extra's %s: %w", t.name, err)
	}
	t.done = len(rows) < page
	if len(rows) > 0 {
		t.after = rows[len(rows)-1].Row
	}
	ids := make([]int64, 0, len(rows))
	for _, l := range rows {
		ids = append(ids, l.SourceID)
	}
	have, err := s.env.Ledger.Links(ctx, t.kind, ids)
	if err != nil {
		return nil, fmt.Errorf("read %s links: %w", t.kind, err)
	}
	var links []plan.Link
	for _, l := range rows {
		if t.kind == plan.LinkOrder {
			s.newest = max(s.newest, l.SourceID)
		}
		if _, ok := have[l.SourceID]; ok || l.SourceID <= 0 { // order 0: a form's deal, no record to link
			continue
		}
		have[l.SourceID] = plan.Link{} // the extra updates an order's first row: a later one is not its link
		links = append(links, plan.Link{Kind: t.kind, SourceID: l.SourceID, AmoID: l.AmoID})
		t.taken++
	}
	return &syncer.Batch{Plan: plan.New(Name, "", nil), Cursor: syncer.Cursor{Links: links}, Stream: Name, Rows: len(rows)}, nil
}

// close is the takeover's last batch: what it took, where the orders
// begin, and the mark that it is done.
func (s *Source) close(ctx context.Context) (*syncer.Batch, error) {
	deals, contacts := s.deals.taken, s.contacts.taken
	pl := plan.New(Name, "", nil)
	c := syncer.Cursor{Meta: map[string]string{metaImported: s.env.Now().UTC().Format(time.RFC3339)}}
	if deals+contacts > 0 {
		s.env.Log.Info("took over the old extra's links", "source", Name, "deals", deals, "contacts", contacts)
		pl.Info = append(pl.Info, plan.Entry{Source: Name, Kind: "link", Key: "old_extra:links", Action: plan.Unchanged,
			Title: "the old extra's links", Reason: fmt.Sprintf("taken over: %d order deals (amocrm_leads) and %d contacts of MODX users "+
				"(amocrm_users); a linked order keeps its deal, moved where its status goes; a user's own orders go to their linked contact", deals, contacts)})
	}
	from, err := s.ordersFrom(ctx)
	if err != nil {
		return nil, err
	}
	if from > 0 {
		c.Watermarks = map[string]int64{syncer.SourceOrders: from}
		s.env.Log.Info("starting source after the old extra's newest deal", "source", syncer.SourceOrders, "after_id", from)
		pl.Info = append(pl.Info, plan.Entry{Source: syncer.SourceOrders, Kind: "start", Key: "start:" + syncer.SourceOrders,
			Action: plan.Update, Title: syncer.SourceOrders, Reason: fmt.Sprintf(`start "now" after the old extra: orders up to id %d, `+
				"the newest it sent, are history; the orders after it, which it did not send (placed after it stopped, "+
				"or where it failed), are sent; sync.start = a date starts elsewhere", from)})
	}
	return &syncer.Batch{Plan: pl, Cursor: c}, nil
}

// ordersFrom is where the orders of an empty state begin after a switch,
// or 0 to leave it to sync.start: with start "now", right after the newest
// order the extra sent rather than at the shop's current end, so the
// orders placed between stopping the extra and the first run are not lost
// (nothing the extra sent is sent again: those are linked).
func (s *Source) ordersFrom(ctx context.Context) (int64, error) {
	if s.newest == 0 || !s.env.Config.Orders.Enabled || s.env.Start != "now" && s.env.Start != "" {
		return 0, nil
	}
	if _, begun, err := s.env.Ledger.Watermark(ctx, syncer.SourceOrders); err != nil || begun {
		return 0, err
	}
	end, err := s.shop.MaxIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("read current ends of the sources: %w", err)
	}
	if s.newest >= end.Orders {
		return 0, nil
	}
	return s.newest, nil
}
