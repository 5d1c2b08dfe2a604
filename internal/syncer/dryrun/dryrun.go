// Package dryrun is the dry run's side of the one choice the engine's
// builder makes: a writer that gives what a plan creates made-up ids
// instead of writing it, a ledger that keeps in memory what the run would
// have committed (reading through to the state under it), and amoCRM's
// contacts as the run would have left them, for the merges of later
// batches. Built with them, the engine plans every batch exactly as the
// real run would plan it after the batches before.
package dryrun

import (
	"context"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
)

// Run is one dry run's memory, shared by its writer, ledger and contacts.
type Run struct {
	lastID   int64 // the last made-up id; amoCRM's are positive
	contacts map[int64]*crm.Contact
}

// New returns the memory of a dry run.
func New() *Run { return &Run{contacts: map[int64]*crm.Contact{}} }

// next is a made-up id for something the dry run would create.
func (r *Run) next() int64 {
	r.lastID--
	return r.lastID
}

// Writer returns the writer that simulates writes.
func (r *Run) Writer() syncer.Writer { return writer{r} }

type writer struct{ r *Run }

// Write gives what the plan creates made-up ids, and keeps the contacts it
// creates or updates as amoCRM would store them.
func (w writer) Write(_ context.Context, p syncer.Plan) error {
	p.Simulate(w.r.next)
	if pl, ok := p.(*plan.Plan); ok {
		w.r.absorb(pl)
	}
	return nil
}

// absorb keeps a simulated batch's contacts as amoCRM would hold them.
func (r *Run) absorb(pl *plan.Plan) {
	for _, c := range pl.Contacts {
		if c.ID == 0 || c.Failed() {
			continue
		}
		live := r.contact(c.ID, c.Live)
		live.ID = c.ID
		applyPatch(live, c.Payload)
	}
}

// contact returns the run's copy of a contact, starting from live.
func (r *Run) contact(id int64, live *crm.Contact) *crm.Contact {
	if c := r.contacts[id]; c != nil {
		return c
	}
	c := &crm.Contact{}
	if live != nil {
		*c = *live
		c.CustomFieldsValues = slices.Clone(live.CustomFieldsValues)
	}
	r.contacts[id] = c
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

// CRM returns amoCRM as the dry run reads it: contacts it would have made
// or changed as it would have left them, the rest from base.
func (r *Run) CRM(base match.CRM) match.CRM { return contacts{base, r} }

type contacts struct {
	match.CRM
	r *Run
}

func (c contacts) ContactsByIDs(ctx context.Context, ids []int64) ([]crm.Contact, error) {
	var out []crm.Contact
	var read []int64
	for _, id := range ids {
		if ct := c.r.contacts[id]; ct != nil {
			out = append(out, *ct)
		} else if id > 0 {
			read = append(read, id)
		}
	}
	if len(read) == 0 {
		return out, nil
	}
	live, err := c.CRM.ContactsByIDs(ctx, read)
	return append(out, live...), err
}
