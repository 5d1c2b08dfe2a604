package syncer

import (
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// overlay is what a dry run would have committed and written to amoCRM, in
// memory: links, contact-index keys, settled markers, and the contacts as
// amoCRM would hold them. Reads during the dry run look here first, so each
// batch is planned exactly as the real run would plan it after the batches
// before it.
type overlay struct {
	linked   map[string]map[int64]state.Link
	keys     map[string]int64
	cleared  map[string]map[int64]bool
	contacts map[int64]*crm.Contact
	lastID   int64 // the last made-up id; amoCRM's are positive
}

func newOverlay() *overlay {
	return &overlay{linked: map[string]map[int64]state.Link{}, keys: map[string]int64{},
		cleared: map[string]map[int64]bool{}, contacts: map[int64]*crm.Contact{}}
}

// nextID is a made-up id for something the dry run would create.
func (o *overlay) nextID() int64 {
	o.lastID--
	return o.lastID
}

func (o *overlay) putLink(l state.Link) {
	if o.linked[l.Kind] == nil {
		o.linked[l.Kind] = map[int64]state.Link{}
	}
	o.linked[l.Kind][l.SourceID] = l
}

// links lays the overlay's links of kind for ids over into.
func (o *overlay) links(kind string, ids []int64, into map[int64]state.Link) {
	for _, id := range ids {
		if l, ok := o.linked[kind][id]; ok {
			into[id] = l
		}
	}
}

// absorb takes in a simulated batch: its writes, and the contacts it
// creates or updates as amoCRM would store them. Links of orders the pass
// planned are not kept: no later step of the pass plans those orders again,
// and the memory of a dry run over a large backlog stays flat.
func (o *overlay) absorb(pl *plan.Plan, w plan.Writes, planned func(id int64) bool) {
	for _, l := range w.Links {
		if (l.Kind == plan.LinkOrder || l.Kind == plan.LinkOrderStatus) && planned(l.SourceID) {
			continue
		}
		o.putLink(state.Link{Kind: l.Kind, SourceID: l.SourceID, AmoID: l.AmoID, Hash: l.Hash})
	}
	for k, id := range w.ContactKeys {
		o.keys[k] = id
	}
	for kind, ids := range w.Cleared {
		if o.cleared[kind] == nil {
			o.cleared[kind] = map[int64]bool{}
		}
		for _, id := range ids {
			o.cleared[kind][id] = true
		}
	}
	for _, c := range pl.Contacts {
		if c.ID == 0 || c.Failed() {
			continue
		}
		live := o.contact(c.ID, c.Live)
		live.ID = c.ID
		applyPatch(live, c.Payload)
	}
}

// contact returns the overlay's copy of a contact, starting from live.
func (o *overlay) contact(id int64, live *crm.Contact) *crm.Contact {
	if c := o.contacts[id]; c != nil {
		return c
	}
	c := &crm.Contact{}
	if live != nil {
		*c = *live
		c.CustomFieldsValues = slices.Clone(live.CustomFieldsValues)
	}
	o.contacts[id] = c
	return c
}

// applyPatch does to c what amoCRM does with a create or a PATCH: a field's
// value list is replaced whole, a name set when given.
func applyPatch(c *crm.Contact, patch crm.Contact) {
	if patch.Name != "" {
		c.Name = patch.Name
	}
	if patch.ResponsibleUserID != 0 {
		c.ResponsibleUserID = patch.ResponsibleUserID
	}
	for _, f := range patch.CustomFieldsValues {
		i := slices.IndexFunc(c.CustomFieldsValues, func(x crm.CustomFieldValues) bool { return x.FieldID == f.FieldID })
		if i < 0 {
			c.CustomFieldsValues = append(c.CustomFieldsValues, f)
			continue
		}
		c.CustomFieldsValues[i] = f
	}
}

// liveContacts splits ids into the contacts the overlay holds and the ids
// that must be read from amoCRM.
func (o *overlay) liveContacts(ids []int64) (known map[int64]*crm.Contact, read []int64) {
	known = map[int64]*crm.Contact{}
	for _, id := range ids {
		if c := o.contacts[id]; c != nil {
			known[id] = c
		} else if id > 0 {
			read = append(read, id)
		}
	}
	return known, read
}
