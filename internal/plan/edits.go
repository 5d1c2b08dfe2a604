package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Orders edited or deleted in the shop after their deal was made. The
// comparison finds them by the signature of their own row; an edited one is
// mapped afresh and compared with what its deal last got (a snapshot kept
// per order), and only what differs is written: the changed fields through
// the update step, its product links, and one note saying what changed. A
// deleted one gets what orders.on_delete says. Every write that records a
// deal's whole payload records the snapshot of the read it was made from.

// Edit is the mode of an edited order's deal: only the changed name, price
// and custom fields are PATCHed (the update step, 50 a request).
const Edit DealMode = "edit"

// EditMarker is the pending-marker kind of an order's edit or deletion,
// committed before its first write that is not safe to repeat (an unlink, a
// link, a note). While it stands, the next try reads the deal's links and
// notes back before sending any; it is cleared with the order's snapshot.
const EditMarker = "order_edit"

// Snapshot is what a deal written from one read of its order records: the
// read's signature and what the deal got (transform.SignatureOf, SentOf).
// The comparison holds the order against it from then on.
type Snapshot struct {
	Signature int64
	Sent      transform.Sent
}

// OrderSent is an order's snapshot, as a batch commits it.
type OrderSent struct {
	OrderID int64
	Snapshot
}

// Revision is what an edited or deleted order's deal gets.
type Revision struct {
	// Change is an edit's changes; OnDelete is set instead for a deleted
	// order (config.OnDeleteNote, config.OnDeleteLose or config.OnDeleteNothing).
	Change   transform.Edit
	OnDelete string
	Note     *DealNote
	Relink   *Relink
}

// DealNote is a note on a deal, written once: under the order's marker,
// and, where an earlier try may have written it, only when the deal's notes
// read back do not hold it.
type DealNote struct {
	Text  string
	Found bool // the deal's notes, read back, hold it already

	ID      int64  // outcome: the note made
	Refused string // outcome: amoCRM's reason for refusing it
	Unknown bool   // outcome: no answer, and the deal's notes did not show it
}

// EditedOrder is a linked order whose signature changed, with what was
// read for it.
type EditedOrder struct {
	Record Record
	LeadID int64
	// Live is the deal as amoCRM has it; nil when a manager deleted it.
	Live *crm.Lead
	// Deal is a fresh mapping of the order; Change compares it with what
	// the deal last got (Mapper.Edit), and Note says so (Mapper.EditNote).
	Deal   *transform.Deal
	Change transform.Edit
	Note   string
	// Signature is the signature of the row Deal was mapped from.
	Signature int64
	// Baseline says nothing readable was recorded of what the deal got
	// (a snapshot lost or of an unknown version): the order is recorded as
	// it is and nothing is sent.
	Baseline bool
	// Relink is its product links' change; nil when products are off, the
	// deal has no links of ours, or its products did not change.
	Relink *Relink
	// Notes are the texts of the deal's notes, read back (NotesRead)
	// where an earlier try may have written its note.
	Notes     []string
	NotesRead bool
}

// DeletedOrder is a linked order gone from the shop, with what was read
// for it.
type DeletedOrder struct {
	Record   Record
	LeadID   int64
	OnDelete string
	// Sent is what the deal last got (zero when nothing was recorded):
	// its order number names the order in the note.
	Sent transform.Sent
	// Live is the deal as amoCRM has it, read unless OnDelete is
	// config.OnDeleteNothing; nil when a manager deleted it.
	Live      *crm.Lead
	Notes     []string
	NotesRead bool
}

// AddEdits plans edited orders: an edit that changes nothing the deal
// shows, and a baseline, only record the order's snapshot (counted, not
// listed); the others PATCH what changed, relink products and add a note.
func (p *Plan) AddEdits(edits []*EditedOrder) error {
	for _, e := range edits {
		snap := Snapshot{Signature: e.Signature, Sent: e.Change.Sent}
		if e.Baseline || e.Change.Empty() {
			p.Baselines = append(p.Baselines, OrderSent{OrderID: e.Record.ID, Snapshot: snap})
			p.Count("lead", Unchanged)
			continue
		}
		d := &Deal{Source: SourceOrders, Record: e.Record, Kind: "lead", ID: e.LeadID, MS2Status: -1, Snapshot: &snap,
			Revision: &Revision{Change: e.Change}}
		if e.Live == nil {
			// A manager deleted the deal: nothing is written, and the order is
			// recorded as it is.
			d.Mode, d.Action = Keep, Skip
			d.Reason = fmt.Sprintf("edited in the shop (%s); deal %d was deleted in amoCRM", strings.Join(e.Change.Changed(), ", "), e.LeadID)
			d.Lead.Name = e.Record.Title
			p.Deals = append(p.Deals, d)
			continue
		}
		h, err := transform.Hash(e.Deal.Lead)
		if err != nil {
			return fmt.Errorf("hash order %d: %w", e.Record.ID, err)
		}
		d.Mode, d.Action, d.From, d.Hash, d.LinkKind, d.Repairs = Edit, Update, e.Live, h, LinkOrder, e.Deal.Notes
		d.Reason = "edited in the shop"
		d.Lead = e.Change.Lead
		d.Lead.ID = e.LeadID
		d.Revision.Note = newNote(e.Note, e.Notes, e.NotesRead)
		if e.Relink != nil {
			r := *e.Relink
			var err error
			if r.Hash, err = quantitiesHash(e.Deal.Products); err != nil {
				return err
			}
			d.Revision.Relink = &r
		}
		p.Deals = append(p.Deals, d)
	}
	return nil
}

// AddDeletions plans deleted orders by orders.on_delete: a note on the
// deal, the note and the deal closed as lost (unless a manager closed it
// already), or nothing. A deal a manager deleted gets nothing. Each order is
// recorded as deleted once its deal has what it gets.
func (p *Plan) AddDeletions(deleted []*DeletedOrder) {
	for _, o := range deleted {
		d := &Deal{Source: SourceOrders, Record: o.Record, Kind: "lead", ID: o.LeadID, MS2Status: -1,
			Mode: Keep, Action: Unchanged, Revision: &Revision{OnDelete: o.OnDelete}}
		d.Lead.Name = o.Record.Title
		switch {
		case o.OnDelete == config.OnDeleteNothing:
			d.Action, d.Reason = Skip, `deleted in the shop; orders.on_delete = "nothing": the deal is left as it is`
		case o.Live == nil:
			d.Action, d.Reason = Skip, fmt.Sprintf("deleted in the shop; deal %d was deleted in amoCRM", o.LeadID)
		default:
			d.Lead.Name = o.Live.Name
			closed := o.Live.StatusID == crm.StatusLost
			if o.OnDelete == config.OnDeleteLose {
				if patch, ok := transform.LoseDeal(*o.Live); ok {
					d.Mode, d.Action, d.From, d.To, d.SetStatus, d.Lead = Move, Update, o.Live, patch.StatusID, patch.StatusID, patch
					d.Lead.Name, closed = o.Live.Name, true
				}
			}
			d.Reason = fmt.Sprintf("deleted in the shop; orders.on_delete = %q", o.OnDelete)
			d.Revision.Note = newNote(transform.DeletedNote(o.Sent, closed), o.Notes, o.NotesRead)
		}
		p.Deals = append(p.Deals, d)
	}
}

func newNote(text string, have []string, read bool) *DealNote {
	return &DealNote{Text: text, Found: read && slices.Contains(have, text)}
}

// Patches reports whether an edit's deal has fields to PATCH; one whose
// products alone changed has none.
func (d *Deal) Patches() bool {
	l := d.Lead
	return d.Mode == Edit && (l.Name != "" || l.Price != nil || len(l.CustomFieldsValues) > 0)
}

// Noting returns the deals whose note is added now: the deal is written,
// and its notes read back do not hold the note.
func (p *Plan) Noting() []*Deal {
	var out []*Deal
	for _, d := range p.Deals {
		if r := d.Revision; r != nil && r.Note != nil && !r.Note.Found && d.written() {
			out = append(out, d)
		}
	}
	return out
}

// Revising returns the deals of edited and deleted orders that send
// unlinks, links or a note now, once each: they need their order's marker
// first (EditMarker).
func (p *Plan) Revising() []*Deal {
	var out []*Deal
	for _, d := range p.Relinking() {
		if x := d.Revision.Relink; len(x.Unlink)+len(x.Link) > 0 {
			out = append(out, d)
		}
	}
	for _, d := range p.Noting() {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// writes records an edited or deleted order whose deal has all it gets:
// its snapshot (an edit), or that it is deleted; with its deal's link and
// product links. An order whose deal amoCRM refused something is parked;
// one with an outcome unknown is left as it is, its marker standing, for
// the next comparison to read back and finish.
func (r *Revision) writes(w *Writes, p *Plan, d *Deal, park func(*Parked)) {
	if d.Refused != "" {
		park(&Parked{Source: d.Source, Record: d.Record, Entity: "lead", Reason: d.Refused})
		return
	}
	if entity, reason, refused := r.failure(p); reason != "" {
		if refused {
			park(&Parked{Source: d.Source, Record: d.Record, Entity: entity, Reason: reason})
		}
		return
	}
	switch {
	case r.OnDelete != "":
		w.Deleted = append(w.Deleted, d.Record.ID)
		w.clear(ProductsKind(p.Kind), d.Record.ID) // nothing owed to its deal is sent any more
		w.clear(TaskKind(p.Kind), d.Record.ID)
	case d.Snapshot != nil:
		w.Sent = append(w.Sent, OrderSent{OrderID: d.Record.ID, Snapshot: *d.Snapshot})
	}
	if d.LinkKind != "" {
		w.link(d.LinkKind, d.Record.ID, d.ID, d.Hash)
	}
	if r.Relink != nil {
		w.link(ProductsKind(p.Kind), d.Record.ID, d.ID, r.Relink.Hash)
	}
	w.resolve(d.Record.Kind, d.Record.ID)
	w.clear(EditMarker, d.Record.ID)
}

// failure says why a revision is not done: what amoCRM refused (refused),
// or what had no answer or waits for an element.
func (r *Revision) failure(p *Plan) (entity, reason string, refused bool) {
	if x := r.Relink; x != nil {
		if reason, refused := x.failure(p); reason != "" {
			return "products", reason, refused
		}
	}
	if n := r.Note; n != nil {
		if reason, refused := n.failure(); reason != "" {
			return "note", reason, refused
		}
	}
	return "", "", false
}

// failure says why the relink is not done: what amoCRM refused (refused),
// or what had no answer or waits for an element; "" when it is done.
func (x *Relink) failure(p *Plan) (reason string, refused bool) {
	switch {
	case x.Refused != "":
		return x.Refused, true
	case x.Unknown:
		return relinkUnknown, false
	}
	return x.missing(p)
}

// failure says why the note is not written: what amoCRM refused
// (refused), or that its create had no answer; "" when it is written.
func (n *DealNote) failure() (reason string, refused bool) {
	switch {
	case n.Refused != "":
		return n.Refused, true
	case n.Unknown:
		return noteUnknown, false
	}
	return "", false
}

// notDone sets e's action and reason from a failure: refused fails,
// anything else not done is skipped; no reason leaves e as it is.
func (e *Entry) notDone(reason string, refused bool) {
	switch {
	case refused:
		e.Action, e.Reason = Fail, oneLine(reason)
	case reason != "":
		e.Action, e.Reason = Skip, reason
	}
}

const (
	relinkUnknown = "outcome unknown: the deal's products are read back at the next comparison, never linked twice"
	noteUnknown   = "outcome unknown: the deal's notes are read back at the next comparison, never added twice"
)

// revisionEntries render what an edited or deleted order's deal gets
// besides its own entry: its product links and its note.
func (n names) revisionEntries(p *Plan, d *Deal) []Entry {
	r := d.Revision
	var out []Entry
	if x := r.Relink; x != nil && x.attempted() {
		e := Entry{Source: d.Source, Kind: "products", SourceID: d.Record.ID, Key: d.Record.Key(), AmoID: shown(d.ID),
			Title: revisionTitle(d), Action: Update, Changes: productChanges(r.Change.Products)}
		e.notDone(x.failure(p))
		out = append(out, e)
	}
	if nt := r.Note; nt != nil && (nt.Found || nt.ID != 0 || nt.Refused != "" || nt.Unknown) {
		e := Entry{Source: d.Source, Kind: "note", SourceID: d.Record.ID, Key: d.Record.Key(), AmoID: shown(nt.ID),
			Title: revisionTitle(d), Action: Create, Changes: []Change{{Field: "text", New: oneLine(nt.Text)}}}
		if nt.Found {
			e.Action, e.Reason = Unchanged, "already on the deal"
		} else {
			e.notDone(nt.failure())
		}
		out = append(out, e)
	}
	return out
}

// revisionTitle is the deal's name as amoCRM had it, else as planned.
func revisionTitle(d *Deal) string {
	if d.From != nil {
		return d.From.Name
	}
	return dealTitle(d)
}

// editChanges are what an edit changes on the deal, field by field: the
// price, the name and the custom fields (their old values are kept only as
// digests, so a field shows its new value alone).
func (n names) editChanges(e transform.Edit) []Change {
	var out []Change
	if pc := e.Price; pc != nil {
		out = append(out, Change{Field: "price", Old: price(pc.From), New: strconv.FormatInt(pc.To, 10)})
	}
	if e.Renamed {
		out = append(out, Change{Field: "name", New: e.Lead.Name})
	}
	for _, f := range e.Fields {
		c := Change{Field: f.Name, New: f.Value}
		switch {
		case f.Cleared:
			c.New = "(cleared)"
		case f.Value == "":
			c.New = "(changed)"
		}
		out = append(out, c)
	}
	return out
}

// productChanges are the products whose links change, with their
// quantities before and after ("" where there is none).
func productChanges(d transform.ProductDiff) []Change {
	var out []Change
	count := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, l := range d.Added {
		out = append(out, Change{Field: l.Name, New: count(l.Count)})
	}
	for _, l := range d.Removed {
		out = append(out, Change{Field: l.Name, Old: count(l.Count)})
	}
	for _, c := range d.Changed {
		if c.From.Count != c.To.Count {
			out = append(out, Change{Field: c.To.Name, Old: count(c.From.Count), New: count(c.To.Count)})
		}
	}
	return out
}

// refusals counts what amoCRM refused of a revision besides its deal's
// PATCH.
func (r *Revision) refusals() int {
	return btoi(r.Relink != nil && r.Relink.Refused != "") + btoi(r.Note != nil && r.Note.Refused != "")
}

// resolveFields gives a snapshot the ids amoCRM gave the fields planned
// with made-up ones, as the payload it was taken with got them.
func (s *Snapshot) resolveFields(ids map[int64]int64) {
	for made, id := range ids {
		if v, ok := s.Sent.Fields[made]; ok {
			delete(s.Sent.Fields, made)
			s.Sent.Fields[id] = v
		}
	}
}
