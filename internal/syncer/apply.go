package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// apply writes a batch's plan to amoCRM in the order its parts depend on
// each other: fields, contact updates, contacts created on their own, new
// deals, notes on form deals, re-sent and moved deals, incoming leads.
// Outcomes (ids, refusals, unknown outcomes) are written onto the plan.
func (s *Syncer) apply(ctx context.Context, p *pass, pl *plan.Plan) error {
	steps := []func(context.Context, *pass, *plan.Plan) error{
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
		if err := step(ctx, p, pl); err != nil {
			return err
		}
	}
	return nil
}

func never[T any](T) bool { return false }

// updateContacts PATCHes the contacts that gain phones, e-mails or fields.
func (s *Syncer) updateContacts(ctx context.Context, _ *pass, pl *plan.Plan) error {
	var todo []*plan.Contact
	for _, c := range pl.Contacts {
		if c.Action == report.Update {
			todo = append(todo, c)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		patches := make([]crm.Contact, len(cs))
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
// deals. A pending marker per contact comes first, with the newest contact
// id known; after an unknown outcome the contacts above it are paged for
// their phones and e-mails before anything is created again.
func (s *Syncer) createContacts(ctx context.Context, p *pass, pl *plan.Plan) error {
	var todo []*plan.Contact
	for _, c := range pl.Contacts {
		if c.Action == report.Create && c.Separate {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	marks := make([]state.PendingCreate, len(todo))
	for i, c := range todo {
		marks[i] = state.PendingCreate{Kind: plan.ContactMarkerKind(pl.Kind), SourceID: c.Records[0].ID, Key: c.Keys[0]}
	}
	above, err := s.markPending(ctx, p, &p.newestContact, marks)
	if err != nil {
		return fmt.Errorf("create contacts: %w", err)
	}
	err = sendRefusable(ctx, todo, func(ctx context.Context, cs []*plan.Contact) error {
		want := make([]crm.Contact, len(cs))
		for i, c := range cs {
			want[i] = c.Payload
			want[i].RequestID = strconv.Itoa(i)
		}
		created, err := s.crm.CreateContacts(ctx, want)
		for _, x := range created {
			if i, ok := requestIndex(x.RequestID, len(cs)); ok {
				cs[i].ID = x.ID
				p.newestContact.saw(x.ID)
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
	lost := slices.DeleteFunc(slices.Clone(todo), func(c *plan.Contact) bool { return c.ID != 0 || c.Refused != "" })
	if ferr := s.findContacts(ctx, lost, above); ferr != nil {
		if amocrm.IsFatal(ferr) {
			return ferr
		}
		s.log.Warn("contact lookup after an unknown outcome failed", "source", pl.Source, "contacts", len(lost), "err", ferr)
	}
	for _, c := range lost {
		c.Unknown = c.ID == 0
		if c.ID != 0 {
			p.newestContact.saw(c.ID)
			s.log.Info("contact found after an unknown outcome", "source", pl.Source, "record", c.Records[0].Key(), "contact_id", c.ID)
		}
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
// marker first, with the newest deal id known; a deal whose outcome is
// unknown is looked up by its key field above it, and what is still unknown
// stays pending for the next pass. A complex deal amoCRM's duplicate
// control merged into another order's deal is made again through leads.
func (s *Syncer) createDeals(ctx context.Context, p *pass, pl *plan.Plan) error {
	var complex, plain []*plan.Deal
	for _, d := range pl.Deals {
		if !d.Creates() || d.Contact != nil && d.Contact.Failed() {
			continue
		}
		if d.Mode == plan.CreateComplex {
			complex = append(complex, d)
		} else {
			plain = append(plain, d)
		}
	}
	if len(complex)+len(plain) == 0 {
		return nil
	}
	var marks []state.PendingCreate
	for _, d := range slices.Concat(complex, plain) {
		marks = append(marks, state.PendingCreate{Kind: pl.Kind, SourceID: d.Record.ID, Key: d.LookupKey, PayloadHash: d.Hash})
	}
	above, err := s.markPending(ctx, p, &p.newestLead, marks)
	if err != nil {
		return fmt.Errorf("create deals: %w", err)
	}
	refuse := func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Refused = "amoCRM refused the deal: " + reason
	}
	created := func(d *plan.Deal) bool { return d.ID != 0 }
	var merged []*plan.Deal
	errC := sendRefusable(ctx, complex, func(ctx context.Context, ds []*plan.Deal) error {
		res, err := s.crm.CreateComplexLeads(ctx, dealPayloads(ds))
		for _, r := range res {
			p.newestLead.saw(r.ID)
			p.newestContact.saw(r.ContactID)
			for _, req := range r.RequestID {
				if i, ok := requestIndex(req, len(ds)); ok {
					ds[i].ID, ds[i].Contact.ID = r.ID, r.ContactID
					if r.Merged || len(r.RequestID) > 1 {
						merged = append(merged, ds[i])
					}
				}
			}
		}
		return err
	}, created, refuse)
	if errC != nil && !errors.Is(errC, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create deals: %w", errC)
	}
	if errC != nil {
		if err := s.findUnknownDeals(ctx, p, complex, above); err != nil {
			return err
		}
	}
	again, err := s.unmerge(ctx, merged)
	if err != nil {
		return fmt.Errorf("create deals: %w", err)
	}
	plain = append(again, plain...)
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
				p.newestLead.saw(l.ID)
			}
		}
		return err
	}, created, refuse)
	switch {
	case errors.Is(errP, amocrm.ErrOutcomeUnknown):
		return s.findUnknownDeals(ctx, p, plain, above)
	case errP != nil:
		return fmt.Errorf("create deals: %w", errP)
	}
	return nil
}

// unmerge checks the deals amoCRM's duplicate control answered with an
// existing deal (merged: true, or one deal for several of ours): the deal is
// this record's when it holds the record's key; the others are returned to
// be made through leads, on the contact amoCRM merged theirs into. Merged
// contacts kept their own values, so their payload is not taken as sent.
func (s *Syncer) unmerge(ctx context.Context, merged []*plan.Deal) ([]*plan.Deal, error) {
	if len(merged) == 0 {
		return nil, nil
	}
	var ids []int64
	for _, d := range merged {
		if !slices.Contains(ids, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	leads, err := s.crm.LeadsByIDs(ctx, ids, false)
	if err != nil {
		return nil, fmt.Errorf("read merged deals: %w", err)
	}
	byID := make(map[int64]*crm.Lead, len(leads))
	for i := range leads {
		byID[leads[i].ID] = &leads[i]
	}
	var again []*plan.Deal
	for _, d := range merged {
		d.Contact.Merged = true
		if l := byID[d.ID]; l != nil && holds(l, leadKey{d.KeyField, d.LookupKey}) {
			continue
		}
		s.log.Warn("amoCRM merged the deal into another record's; creating it on its own", "source", d.Source,
			"record", d.Record.Key(), "lead_id", d.ID, "contact_id", d.Contact.ID)
		d.ID, d.Mode = 0, plan.CreatePlain
		again = append(again, d)
	}
	return again, nil
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
func dealPayloads(ds []*plan.Deal) []crm.Lead {
	leads := make([]crm.Lead, len(ds))
	for i, d := range ds {
		l := d.Lead
		l.RequestID = strconv.Itoa(i)
		emb := &crm.LeadEmbedded{}
		if l.Embedded != nil {
			*emb = *l.Embedded
		}
		if d.Mode == plan.CreateComplex {
			emb.Contacts = []crm.Contact{d.Contact.Payload}
		} else {
			emb.Contacts = []crm.Contact{{ID: d.Contact.ID, IsMain: true}}
		}
		l.Embedded = emb
		leads[i] = l
	}
	return leads
}

// findUnknownDeals looks up, by their key field above the batch's bound,
// the deals that got no answer: found ones are taken as created, the others
// stay pending.
func (s *Syncer) findUnknownDeals(ctx context.Context, p *pass, ds []*plan.Deal, above int64) error {
	var lost []*plan.Deal
	var keys []leadKey
	for _, d := range ds {
		if d.ID == 0 && d.Refused == "" {
			lost = append(lost, d)
			keys = append(keys, leadKey{d.KeyField, d.LookupKey})
		}
	}
	found, err := s.findLost(ctx, p, keys, above)
	if err != nil {
		return err
	}
	for _, d := range lost {
		lead := found[leadKey{d.KeyField, d.LookupKey}]
		if lead == nil {
			d.Unknown = true
			continue
		}
		d.ID = lead.ID
		if d.Mode == plan.CreateComplex && lead.Embedded != nil && len(lead.Embedded.Contacts) > 0 {
			d.Contact.ID = lead.Embedded.Contacts[0].ID
		}
		s.log.Info("deal found after an unknown outcome", "source", d.Source, "record", d.Record.Key(), "lead_id", d.ID)
	}
	return nil
}

// findLost looks up deals created with an unknown outcome above one bound.
// A lookup that fails for a reason that does not stop the run finds
// nothing: the deals stay pending and are looked up again next pass.
func (s *Syncer) findLost(ctx context.Context, p *pass, keys []leadKey, above int64) (map[leadKey]*crm.Lead, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	want := make(map[leadKey]int64, len(keys))
	for _, k := range keys {
		want[k] = above
	}
	found, err := s.findLeads(ctx, want)
	switch {
	case err != nil && amocrm.IsFatal(err):
		return nil, err
	case err != nil:
		s.log.Warn("lookup after an unknown outcome failed; looked up again next pass", "deals", len(keys), "err", err)
		return nil, nil
	}
	for _, l := range found {
		p.newestLead.saw(l.ID)
	}
	return found, nil
}

// addNotes puts every submitted value of a form on its new deal. A lost
// note is not worth a duplicate deal: notes are sent once, and a failure is
// only logged with the deals it concerned.
func (s *Syncer) addNotes(ctx context.Context, _ *pass, pl *plan.Plan) error {
	var notes []crm.Note
	for _, d := range pl.Deals {
		if d.Creates() && d.ID != 0 && d.Note != "" {
			params, err := json.Marshal(map[string]string{"text": d.Note})
			if err != nil {
				return fmt.Errorf("note of %s: %w", d.Record.Key(), err)
			}
			notes = append(notes, crm.Note{EntityID: d.ID, NoteType: "common", Params: params})
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
func (s *Syncer) updateDeals(ctx context.Context, _ *pass, pl *plan.Plan) error {
	var todo []*plan.Deal
	for _, d := range pl.Deals {
		if d.Mode == plan.Resend || d.Mode == plan.Move {
			todo = append(todo, d)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, ds []*plan.Deal) error {
		leads := make([]crm.Lead, len(ds))
		for i, d := range ds {
			leads[i] = d.Lead
			if d.Mode == plan.Move {
				leads[i] = crm.Lead{ID: d.Lead.ID, PipelineID: d.Lead.PipelineID, StatusID: d.To}
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

// sendIncoming sends incoming leads. Each gets a pending marker first, with
// the newest deal id known: after an unknown outcome its lead is looked up
// by the form's key field above it, as a deal is, because amoCRM may store
// a repeated source_uid as a tagged duplicate rather than refuse it. Where
// it refuses one, a refusal naming only source_uid means the entry is there
// already.
func (s *Syncer) sendIncoming(ctx context.Context, p *pass, pl *plan.Plan) error {
	todo := slices.DeleteFunc(slices.Clone(pl.Incoming), func(in *plan.Incoming) bool { return in.AlreadySent })
	if len(todo) == 0 {
		return nil
	}
	marks := make([]state.PendingCreate, len(todo))
	for i, in := range todo {
		marks[i] = state.PendingCreate{Kind: pl.Kind, SourceID: in.Record.ID, Key: in.Key}
	}
	above, err := s.markPending(ctx, p, &p.newestLead, marks)
	if err != nil {
		return fmt.Errorf("create incoming leads: %w", err)
	}
	err = sendRefusable(ctx, todo, func(ctx context.Context, ins []*plan.Incoming) error {
		forms := make([]crm.UnsortedForm, len(ins))
		for i, in := range ins {
			forms[i] = in.Form
			forms[i].RequestID = strconv.Itoa(i)
		}
		res, err := s.crm.CreateUnsortedForms(ctx, forms)
		for _, r := range res {
			if i, ok := requestIndex(r.RequestID, len(ins)); ok && len(r.Embedded.Leads) > 0 {
				ins[i].ID = r.Embedded.Leads[0].ID
				p.newestLead.saw(ins[i].ID)
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
		return s.findUnknownIncoming(ctx, p, todo, above)
	case err != nil:
		return fmt.Errorf("create incoming leads: %w", err)
	}
	return nil
}

// findUnknownIncoming looks up, by the form's key, the incoming leads that
// got no answer: found ones are taken as created, the others stay pending.
func (s *Syncer) findUnknownIncoming(ctx context.Context, p *pass, ins []*plan.Incoming, above int64) error {
	var lost []*plan.Incoming
	var keys []leadKey
	for _, in := range ins {
		if in.ID == 0 && in.Refused == "" && !in.AlreadySent {
			lost = append(lost, in)
			keys = append(keys, leadKey{formFieldCode, in.Key})
		}
	}
	found, err := s.findLost(ctx, p, keys, above)
	if err != nil {
		return err
	}
	for _, in := range lost {
		if l := found[leadKey{formFieldCode, in.Key}]; l != nil {
			in.ID = l.ID
			s.log.Info("incoming lead found after an unknown outcome", "source", SourceForms, "record", in.Record.Key(), "lead_id", l.ID)
			continue
		}
		in.Unknown = true
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
