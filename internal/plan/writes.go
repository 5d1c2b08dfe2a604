package plan

import (
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// Writes is what a batch leaves in the state once its plan has been applied
// (or, in a dry run, simulated): committed in one transaction with the
// batch's watermark.
type Writes struct {
	Links       []Link
	Elements    []ElementRow
	ContactKeys map[string]int64
	// Cleared are pending markers whose create is settled, by marker kind.
	Cleared map[string][]int64
	// Resolved are records whose parked failure, if any, is settled, by kind.
	Resolved map[string][]int64
	Parked   []*Parked
	// Meta are state meta entries: the site pipeline's id.
	Meta map[string]string
	// Waits are records to try again next pass: their write failed for a
	// reason outside them. They wait, not parked.
	Waits []Wait
	// Sent are the snapshots of orders whose deals got them; Deleted the
	// orders gone from the shop whose deals got what orders.on_delete says.
	Sent    []OrderSent
	Deleted []int64
}

// Wait is a record that waits for the next pass, with why.
type Wait struct {
	Record Record
	Reason string
}

// Empty reports whether there is nothing to commit.
func (w *Writes) Empty() bool {
	return len(w.Links)+len(w.Elements)+len(w.ContactKeys)+len(w.Cleared)+len(w.Resolved)+len(w.Parked)+len(w.Meta)+len(w.Waits)+
		len(w.Sent)+len(w.Deleted) == 0
}

// ContactMarkerKind is the pending-marker kind of the contacts a batch of
// records of kind creates on their own. The marker's id is the first
// record's id, and an order and a form may share one.
func ContactMarkerKind(kind string) string { return "contact_" + kind }

func (w *Writes) link(kind string, sourceID, amoID int64, hash string) {
	w.Links = append(w.Links, Link{Kind: kind, SourceID: sourceID, AmoID: amoID, Hash: hash})
}

func (w *Writes) wait(r Record, reason string) {
	w.Waits = append(w.Waits, Wait{Record: r, Reason: reason})
	w.resolve(r.Kind, r.ID) // nothing is wrong with it: not listed as parked
}

func (w *Writes) clear(kind string, id int64) {
	if w.Cleared == nil {
		w.Cleared = map[string][]int64{}
	}
	w.Cleared[kind] = append(w.Cleared[kind], id)
}

func (w *Writes) resolve(kind string, id int64) {
	if w.Resolved == nil {
		w.Resolved = map[string][]int64{}
	}
	if !slices.Contains(w.Resolved[kind], id) {
		w.Resolved[kind] = append(w.Resolved[kind], id)
	}
}

func (w *Writes) index(keys []string, contactID int64) {
	if contactID == 0 {
		return
	}
	if w.ContactKeys == nil {
		w.ContactKeys = map[string]int64{}
	}
	for _, k := range keys {
		w.ContactKeys[k] = contactID
	}
}

// contactSent records that a contact now holds the customer's payload.
func (w *Writes) contactSent(c *Contact) {
	if c.ID != 0 && c.Hash != "" && !c.Merged {
		w.link(LinkContact, c.ID, c.ID, c.Hash)
	}
	w.index(c.Keys, c.ID)
}

// Writes derives the state changes from the plan and its outcomes.
func (p *Plan) Writes() Writes {
	var w Writes
	if p.Pipeline != nil {
		p.Pipeline.writes(&w)
	}
	parked := map[int64]bool{}
	park := func(pk *Parked) {
		if !parked[pk.Record.ID] {
			parked[pk.Record.ID] = true
			w.Parked = append(w.Parked, pk)
		}
	}
	for _, pk := range p.Parked {
		park(pk)
	}
	for _, c := range p.Contacts {
		if c.Action == Create && !c.Separate {
			continue // made with its deal in leads/complex: settled with it
		}
		switch {
		case c.Refused != "":
			for _, r := range c.Records {
				park(&Parked{Source: c.Source, Record: r, Entity: "contact", Reason: c.Refused})
			}
			if c.Separate {
				w.clear(ContactMarkerKind(p.Kind), c.Records[0].ID)
			}
			continue
		case c.waits():
			for _, r := range c.Records {
				w.wait(r, contactUnknown)
				parked[r.ID] = true // its deal is not sent either
			}
			continue
		}
		w.contactSent(c)
		if c.Action == Create {
			w.clear(ContactMarkerKind(p.Kind), c.Records[0].ID)
		}
	}
	for _, d := range p.Deals {
		if parked[d.Record.ID] {
			continue
		}
		if d.Revision != nil {
			d.Revision.writes(&w, p, d, park)
			continue
		}
		if d.Refused != "" {
			park(&Parked{Source: d.Source, Record: d.Record, Entity: "lead", Reason: d.Refused})
			if d.Creates() {
				w.clear(p.Kind, d.Record.ID)
			}
			continue
		}
		if d.Deferred != "" {
			w.wait(d.Record, d.Deferred)
			w.clear(p.Kind, d.Record.ID) // marked, never sent
			continue
		}
		if d.Creates() && d.ID == 0 {
			continue // outcome unknown: the marker stays, the next pass looks first
		}
		p.settle(&w, d)
	}
	for _, d := range p.Adopted {
		p.settle(&w, d)
	}
	p.Elements.writes(&w)
	for _, d := range p.dealsWithExtras() {
		if d.Products != nil {
			d.Products.writes(&w, p, d, park)
		}
		if d.Task != nil {
			d.Task.writes(&w, p, d, park)
		}
	}
	for _, in := range p.Incoming {
		switch {
		case in.Refused != "":
			park(&Parked{Source: SourceForms, Record: in.Record, Entity: "lead", Reason: in.Refused})
			w.clear(p.Kind, in.Record.ID)
		case in.ID == 0 && !in.AlreadySent:
			continue // outcome unknown: the marker stays, the next pass looks first
		default:
			w.link(LinkForm, in.Record.ID, in.ID, "")
			w.resolve(p.Kind, in.Record.ID)
			w.clear(p.Kind, in.Record.ID)
		}
	}
	for _, u := range p.Users {
		if parked[u.Record.ID] || u.Contact.ID == 0 {
			continue
		}
		w.link(LinkUser, u.Record.ID, u.Contact.ID, u.Hash)
		w.resolve(p.Kind, u.Record.ID)
		w.clear(p.Kind, u.Record.ID)
	}
	for _, s := range p.Skipped {
		w.resolve(s.Record.Kind, s.Record.ID)
	}
	w.Sent = append(w.Sent, p.Baselines...)
	for _, id := range p.Settled {
		if !p.creates(id) { // a create rewrote the marker: its outcome settles it
			w.clear(p.Kind, id)
		}
	}
	return w
}

// creates reports whether the plan creates a deal or an incoming lead for
// record id.
func (p *Plan) creates(id int64) bool {
	for _, d := range p.Deals {
		if d.Record.ID == id && d.Creates() {
			return true
		}
	}
	for _, in := range p.Incoming {
		if in.Record.ID == id && !in.AlreadySent {
			return true
		}
	}
	return false
}

// settle records a deal that is done: written, unchanged or adopted.
// Builders set LinkKind only where a link is (re)written and MS2Status to
// -1 where no status is recorded.
func (p *Plan) settle(w *Writes, d *Deal) {
	if d.LinkKind != "" {
		w.link(d.LinkKind, d.Record.ID, d.ID, d.Hash)
	}
	if d.MS2Status >= 0 {
		w.link(LinkOrderStatus, d.Record.ID, d.SetStatus, strconv.FormatInt(d.MS2Status, 10))
	}
	w.resolve(d.Record.Kind, d.Record.ID)
	if d.LinkKind != "" {
		w.clear(p.Kind, d.Record.ID)
	}
	if d.Snapshot != nil {
		w.Sent = append(w.Sent, OrderSent{OrderID: d.Record.ID, Snapshot: *d.Snapshot})
	}
	if c := d.Contact; c != nil && c.ID != 0 {
		if d.Mode == CreateComplex {
			w.contactSent(c)
		} else {
			w.index(c.Keys, c.ID)
		}
	}
}

// contactUnknown is why the records of a contact whose create had no answer
// wait.
const contactUnknown = "its contact's create had no answer and was not found; looked up before the next try"

// waits reports whether a contact made on its own has no id after its
// create: no answer, and the lookup found nothing. Its records wait for the
// next pass, where the contact index finds it if amoCRM stored it.
func (c *Contact) waits() bool {
	return c.Action == Create && c.Separate && c.ID == 0 && c.Refused == ""
}

// Failed reports whether the contact could not be written (refused, or no
// answer): its records' deals are not sent.
func (c *Contact) Failed() bool { return c.Refused != "" || c.waits() }

// Refusals counts the writes amoCRM refused.
func (p *Plan) Refusals() int {
	n := 0
	for _, c := range p.Contacts {
		n += btoi(c.Refused != "")
	}
	for _, d := range p.Deals {
		n += btoi(d.Refused != "")
	}
	for _, in := range p.Incoming {
		n += btoi(in.Refused != "")
	}
	for _, e := range p.Elements {
		n += btoi(e.Refused != "")
	}
	for _, d := range p.dealsWithExtras() {
		n += btoi(d.Products != nil && d.Products.Refused != "")
		n += btoi(d.Task != nil && d.Task.Refused != "")
		if d.Revision != nil {
			n += d.Revision.refusals()
		}
	}
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Simulate gives what a plan creates made-up negative ids from next, as a
// dry run's stand-in for applying it: later batches then match the planned
// contacts and deals exactly as the real run matches the created ones.
func (p *Plan) Simulate(next func() int64) {
	if p.Pipeline != nil {
		p.Pipeline.simulate(next, p.Meta.Pipelines)
	}
	for _, c := range p.Contacts {
		if c.Action == Create {
			c.ID = next()
		}
	}
	for _, d := range p.Deals {
		if d.Creates() {
			if d.Mode == CreateComplex {
				d.Contact.ID = next()
			}
			d.ID = next()
		}
	}
	for _, in := range p.Incoming {
		if !in.AlreadySent {
			in.ID = next()
		}
	}
	for _, e := range p.Elements {
		if e.Action == Create {
			e.ID = next()
		}
	}
	for _, d := range p.Linking() {
		d.Products.Linked = true
	}
	for _, d := range p.Tasking() {
		d.Task.ID = next()
	}
	for _, d := range p.Relinking() {
		d.Revision.Relink.Done = true
	}
	for _, d := range p.Noting() {
		d.Revision.Note.ID = next()
	}
}

// ResolveFieldIDs replaces the made-up ids of planned fields with the ids
// amoCRM gave them, in every payload of the plan.
func (p *Plan) ResolveFieldIDs(ids map[int64]int64) {
	if len(ids) == 0 {
		return
	}
	fix := func(cfv []crm.CustomFieldValues) {
		for i := range cfv {
			if id, ok := ids[cfv[i].FieldID]; ok {
				cfv[i].FieldID = id
			}
		}
	}
	for _, f := range p.Fields {
		if id, ok := ids[f.ID]; ok {
			f.ID = id
		}
	}
	for _, c := range p.Contacts {
		fix(c.Payload.CustomFieldsValues)
	}
	for _, d := range p.dealsWithExtras() {
		fix(d.Lead.CustomFieldsValues)
		if d.Snapshot != nil {
			d.Snapshot.resolveFields(ids)
		}
	}
	for i := range p.Baselines {
		p.Baselines[i].resolveFields(ids)
	}
	for _, in := range p.Incoming {
		for i := range in.Form.Embedded.Leads {
			fix(in.Form.Embedded.Leads[i].CustomFieldsValues)
		}
		for i := range in.Form.Embedded.Contacts {
			fix(in.Form.Embedded.Contacts[i].CustomFieldsValues)
		}
	}
}
