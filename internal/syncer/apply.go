package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// apply writes a batch's plan to amoCRM in the order its parts depend on
// each other: fields, contact updates, contacts created on their own, new
// deals, notes on form deals, re-sent and moved deals, incoming leads.
// Outcomes (ids, refusals, unknown outcomes) are written onto the plan.
func (s *Syncer) apply(ctx context.Context, p *pass, pl *plan.Plan) error {
	steps := []func(context.Context, *plan.Plan) error{
		s.updateContacts,
		s.createContacts,
		s.createDeals,
		s.addNotes,
		s.updateDeals,
		s.sendIncoming,
	}
	if err := s.applyFields(ctx, p, pl); err != nil {
		return err
	}
	for _, step := range steps {
		if err := step(ctx, pl); err != nil {
			return err
		}
	}
	return nil
}

func never[T any](T) bool { return false }

// updateContacts PATCHes the contacts that gain phones, e-mails or fields.
func (s *Syncer) updateContacts(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Contact
	for _, c := range pl.Contacts {
		if c.Action == report.Update {
			todo = append(todo, c)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		patches := make([]amocrm.Contact, len(cs))
		for i, c := range cs {
			patches[i] = c.Payload
			patches[i].RequestID = strconv.Itoa(i)
		}
		return s.crm.UpdateContacts(ctx, patches)
	}, never, func(c *plan.Contact, _ []amocrm.ItemError, reason string) {
		c.Refused = "contact update refused: " + reason
	})
	if err != nil {
		return fmt.Errorf("update contacts: %w", err)
	}
	return nil
}

// createContacts creates the contacts made on their own before their
// deals. A pending marker per contact comes first; after an unknown
// outcome each is looked up by phone or e-mail before anything is created
// again.
func (s *Syncer) createContacts(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Contact
	var marks []state.PendingCreate
	for _, c := range pl.Contacts {
		if c.Action == report.Create && c.Separate {
			todo = append(todo, c)
			marks = append(marks, state.PendingCreate{Kind: plan.ContactMarkerKind(pl.Kind), SourceID: c.Records[0].ID, Key: c.Keys[0]})
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark contacts pending: %w", err)
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		want := make([]amocrm.Contact, len(cs))
		for i, c := range cs {
			want[i] = c.Payload
			want[i].RequestID = strconv.Itoa(i)
		}
		created, err := s.crm.CreateContacts(ctx, want)
		for _, x := range created {
			if i, ok := requestIndex(x.RequestID, len(cs)); ok {
				cs[i].ID = x.ID
			}
		}
		return err
	}, func(c *plan.Contact) bool { return c.ID != 0 },
		func(c *plan.Contact, _ []amocrm.ItemError, reason string) { c.Refused = "contact refused: " + reason })
	if err != nil && !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create contacts: %w", err)
	}
	if err == nil {
		return nil
	}
	for _, c := range todo {
		if c.ID != 0 || c.Refused != "" {
			continue
		}
		found, ferr := s.findContact(ctx, c.Keys)
		if ferr != nil {
			return fmt.Errorf("look up contact after %v: %w", err, ferr)
		}
		c.ID, c.Unknown = found, found == 0
	}
	return nil
}

// requestIndex parses a request id this package set (the item's index).
func requestIndex(id string, n int) (int, bool) {
	i, err := strconv.Atoi(id)
	return i, err == nil && i >= 0 && i < n
}

// createDeals creates the plan's deals: through leads/complex with their new
// contact, or through leads with the contact's id. Each gets a pending
// marker first; a deal whose outcome is unknown is looked up by its key
// field, and what is still unknown stays pending for the next pass.
func (s *Syncer) createDeals(ctx context.Context, pl *plan.Plan) error {
	var complex, plain []*plan.Deal
	var marks []state.PendingCreate
	for _, d := range pl.Deals {
		if !d.Creates() || d.Contact != nil && d.Contact.Failed() {
			continue
		}
		if d.Mode == plan.CreateComplex {
			complex = append(complex, d)
		} else {
			plain = append(plain, d)
		}
		marks = append(marks, state.PendingCreate{Kind: pl.Kind, SourceID: d.Record.ID, Key: d.LookupKey, PayloadHash: d.Hash})
	}
	if len(marks) == 0 {
		return nil
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark %ss pending: %w", pl.Kind, err)
	}
	refuse := func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Refused = "amoCRM refused the deal: " + reason
	}
	created := func(d *plan.Deal) bool { return d.ID != 0 }
	errC := sendRefusable(ctx, complex, func(ctx context.Context, ds []*plan.Deal) error {
		res, err := s.crm.CreateComplexLeads(ctx, dealPayloads(ds))
		for _, r := range res {
			for _, req := range r.RequestID {
				if i, ok := requestIndex(req, len(ds)); ok {
					ds[i].ID, ds[i].Contact.ID = r.ID, r.ContactID
				}
			}
		}
		return err
	}, created, refuse)
	if errC != nil && !errors.Is(errC, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create deals: %w", errC)
	}
	if errC != nil {
		if err := s.findUnknownDeals(ctx, complex); err != nil {
			return err
		}
	}
	// Deals whose new contact came with an earlier deal wait for its id.
	plain = slices.DeleteFunc(plain, func(d *plan.Deal) bool {
		if d.Contact.ID == 0 {
			d.Refused = "its new contact, made with " + carrierOf(complex, d.Contact) + ", has no id yet; sent again on the next try"
		}
		return d.Contact.ID == 0
	})
	errP := sendRefusable(ctx, plain, func(ctx context.Context, ds []*plan.Deal) error {
		res, err := s.crm.CreateLeads(ctx, dealPayloads(ds))
		for _, l := range res {
			if i, ok := requestIndex(l.RequestID, len(ds)); ok {
				ds[i].ID = l.ID
			}
		}
		return err
	}, created, refuse)
	switch {
	case errors.Is(errP, amocrm.ErrOutcomeUnknown):
		return s.findUnknownDeals(ctx, plain)
	case errP != nil:
		return fmt.Errorf("create deals: %w", errP)
	}
	return nil
}

// carrierOf names the deal that carries contact c in leads/complex.
func carrierOf(complex []*plan.Deal, c *plan.Contact) string {
	for _, d := range complex {
		if d.Contact == c {
			return d.Record.Key()
		}
	}
	return "another deal"
}

// dealPayloads are the deals as leads and leads/complex take them, the i-th
// with request id i; a complex deal carries its whole new contact.
func dealPayloads(ds []*plan.Deal) []amocrm.Lead {
	leads := make([]amocrm.Lead, len(ds))
	for i, d := range ds {
		l := d.Lead
		l.RequestID = strconv.Itoa(i)
		emb := &amocrm.LeadEmbedded{}
		if l.Embedded != nil {
			*emb = *l.Embedded
		}
		if d.Mode == plan.CreateComplex {
			emb.Contacts = []amocrm.Contact{d.Contact.Payload}
		} else {
			emb.Contacts = []amocrm.Contact{{ID: d.Contact.ID, IsMain: true}}
		}
		l.Embedded = emb
		leads[i] = l
	}
	return leads
}

// findUnknownDeals looks up, by their key field, the deals that got no
// answer: found ones are taken as created, the others stay pending.
func (s *Syncer) findUnknownDeals(ctx context.Context, ds []*plan.Deal) error {
	for _, d := range ds {
		if d.ID != 0 || d.Refused != "" {
			continue
		}
		lead, err := s.findLeadByField(ctx, d.KeyField, d.LookupKey)
		switch {
		case err != nil:
			if amocrm.IsFatal(err) {
				return err
			}
			s.log.Warn("deal lookup failed; stays pending", "source", d.Source, "record", d.Record.Key(), "err", err)
			d.Unknown = true
		case lead == nil:
			d.Unknown = true
		default:
			d.ID = lead.ID
			if d.Mode == plan.CreateComplex && lead.Embedded != nil && len(lead.Embedded.Contacts) > 0 {
				d.Contact.ID = lead.Embedded.Contacts[0].ID
			}
		}
	}
	return nil
}

// addNotes puts every submitted value of a form on its new deal. A lost
// note is not worth a duplicate deal: notes are sent once, and a failure is
// only logged with the deals it concerned.
func (s *Syncer) addNotes(ctx context.Context, pl *plan.Plan) error {
	var notes []amocrm.Note
	for _, d := range pl.Deals {
		if d.Creates() && d.ID != 0 && d.Note != "" {
			params, err := json.Marshal(map[string]string{"text": d.Note})
			if err != nil {
				return fmt.Errorf("note of %s: %w", d.Record.Key(), err)
			}
			notes = append(notes, amocrm.Note{EntityID: d.ID, NoteType: "common", Params: params})
		}
	}
	if len(notes) == 0 {
		return nil
	}
	if _, err := s.crm.AddLeadNotes(ctx, notes); err != nil {
		if amocrm.IsFatal(err) {
			return err
		}
		s.log.Warn("form notes not added", "source", pl.Source, "deals", len(notes), "err", err)
	}
	return nil
}

// updateDeals PATCHes re-sent and moved deals (safe to retry, so the client
// does).
func (s *Syncer) updateDeals(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Deal
	for _, d := range pl.Deals {
		if d.Mode == plan.Resend || d.Mode == plan.Move {
			todo = append(todo, d)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, ds []*plan.Deal) error {
		leads := make([]amocrm.Lead, len(ds))
		for i, d := range ds {
			leads[i] = d.Lead
			if d.Mode == plan.Move {
				leads[i] = amocrm.Lead{ID: d.Lead.ID, PipelineID: d.Lead.PipelineID, StatusID: d.To}
			}
			leads[i].RequestID = strconv.Itoa(i)
		}
		return s.crm.UpdateLeads(ctx, leads)
	}, never, func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Refused = "amoCRM refused the update: " + reason
	})
	if err != nil {
		return fmt.Errorf("update deals: %w", err)
	}
	return nil
}

// sendIncoming sends incoming leads. Their source_uid is the form id, and
// amoCRM refuses a second entry with the same one, so a refusal naming only
// source_uid means the entry is there already.
func (s *Syncer) sendIncoming(ctx context.Context, pl *plan.Plan) error {
	todo := pl.Incoming
	err := sendRefusable(ctx, todo, func(ctx context.Context, ins []*plan.Incoming) error {
		forms := make([]amocrm.UnsortedForm, len(ins))
		for i, in := range ins {
			forms[i] = in.Form
			forms[i].RequestID = strconv.Itoa(i)
		}
		res, err := s.crm.CreateUnsortedForms(ctx, forms)
		for _, r := range res {
			if i, ok := requestIndex(r.RequestID, len(ins)); ok && len(r.Embedded.Leads) > 0 {
				ins[i].ID = r.Embedded.Leads[0].ID
			}
		}
		return err
	}, func(in *plan.Incoming) bool { return in.ID != 0 }, func(in *plan.Incoming, errs []amocrm.ItemError, reason string) {
		if onlySourceUID(errs) {
			in.AlreadySent = true
			return
		}
		in.Refused = "amoCRM refused the incoming lead: " + reason
	})
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		for _, in := range todo {
			in.Unknown = in.ID == 0 && in.Refused == "" && !in.AlreadySent
		}
	case err != nil:
		return fmt.Errorf("create incoming leads: %w", err)
	}
	return nil
}

// onlySourceUID reports whether every error is about source_uid: the entry
// is in amoCRM already.
func onlySourceUID(errs []amocrm.ItemError) bool {
	for _, e := range errs {
		if e.Path != "source_uid" {
			return false
		}
	}
	return len(errs) > 0
}
