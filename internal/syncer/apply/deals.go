package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
)

// dealCRM is what the deals' creates call.
type dealCRM interface {
	LeadsByIDs(ctx context.Context, ids []int64, withContacts bool) ([]crm.Lead, error)
	CreateLeads(ctx context.Context, leads []crm.Lead) ([]crm.Lead, error)
	CreateComplexLeads(ctx context.Context, leads []crm.Lead) ([]crm.ComplexResult, error)
}

// dealCreates create the plan's deals in rounds: through leads/complex
// with their new contact, then through leads with the contact's id. Each
// gets a pending marker first, with the newest deal id known; a deal whose
// outcome is unknown is looked up by its key field above it, and what is
// still unknown stays pending for the next pass. Between rounds the plan
// decides what the outcomes change (plan.Unmerge, Reroute, Defer).
type dealCreates struct {
	crm   dealCRM
	match *match.Matcher
	log   *slog.Logger
}

func (dc dealCreates) write(ctx context.Context, pl *plan.Plan) error {
	complex, plain := pl.Creates()
	if len(complex)+len(plain) == 0 {
		return nil
	}
	var marks []state.PendingCreate
	for _, d := range slices.Concat(complex, plain) {
		marks = append(marks, state.PendingCreate{Kind: pl.Kind, SourceID: d.Record.ID, Key: d.LookupKey, PayloadHash: d.Hash})
	}
	above, err := dc.match.Leads.Mark(ctx, marks)
	if err != nil {
		return fmt.Errorf("create deals: %w", err)
	}
	r := rounds{dc: dc, above: above}
	for len(complex) > 0 {
		merged, err := r.sendComplex(ctx, complex)
		if err != nil {
			return err
		}
		again, err := r.unmerge(ctx, merged)
		if err != nil {
			return err
		}
		complex, plain = pl.Reroute(append(again, plain...))
	}
	return r.sendPlain(ctx, plan.Defer(plain))
}

// rounds are the create rounds of a batch's deals, under the bound their
// markers recorded.
type rounds struct {
	dc    dealCreates
	above int64
}

var refuseDeal = func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
	d.Refused = "amoCRM refused the deal: " + reason
}

func dealCreated(d *plan.Deal) bool { return d.ID != 0 }

// sendComplex creates deals through leads/complex, each with its whole new
// contact, and returns those amoCRM's duplicate control merged into a deal
// it had.
func (r rounds) sendComplex(ctx context.Context, ds []*plan.Deal) ([]*plan.Deal, error) {
	dc := r.dc
	var merged []*plan.Deal
	err := sendRefusable(ctx, ds, func(ctx context.Context, ds []*plan.Deal) error {
		res, err := dc.crm.CreateComplexLeads(ctx, dealPayloads(ds))
		for _, r := range res {
			dc.match.Leads.Saw(r.ID)
			dc.match.Contacts.Saw(r.ContactID)
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
	}, dealCreated, refuseDeal)
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return merged, r.findUnknown(ctx, ds)
	case err != nil:
		return nil, fmt.Errorf("create deals: %w", err)
	}
	return merged, nil
}

// sendPlain creates deals through leads on their contact's id.
func (r rounds) sendPlain(ctx context.Context, ds []*plan.Deal) error {
	dc := r.dc
	err := sendRefusable(ctx, ds, func(ctx context.Context, ds []*plan.Deal) error {
		res, err := dc.crm.CreateLeads(ctx, dealPayloads(ds))
		for _, l := range res {
			if i, ok := requestIndex(l.RequestID, len(ds)); ok {
				ds[i].ID = l.ID
				dc.match.Leads.Saw(l.ID)
			}
		}
		return err
	}, dealCreated, refuseDeal)
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return r.findUnknown(ctx, ds)
	case err != nil:
		return fmt.Errorf("create deals: %w", err)
	}
	return nil
}

// unmerge reads the deals amoCRM's duplicate control answered with, for the
// plan to decide which deals are made again (plan.Unmerge).
func (r rounds) unmerge(ctx context.Context, merged []*plan.Deal) ([]*plan.Deal, error) {
	dc := r.dc
	if len(merged) == 0 {
		return nil, nil
	}
	var ids []int64
	for _, d := range merged {
		if !slices.Contains(ids, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	leads, err := dc.crm.LeadsByIDs(ctx, ids, false)
	if err != nil {
		return nil, fmt.Errorf("read merged deals: %w", err)
	}
	live := make(map[int64]*crm.Lead, len(leads))
	for i := range leads {
		live[leads[i].ID] = &leads[i]
	}
	again := plan.Unmerge(merged, live, func(l *crm.Lead, d *plan.Deal) bool {
		return match.Holds(l, match.LeadKey{Code: d.KeyField, Value: d.LookupKey})
	})
	for _, d := range again {
		dc.log.Warn("amoCRM merged the deal into another record's; creating it on its own", "source", d.Source,
			"record", d.Record.Key(), "contact_id", d.Contact.ID)
	}
	return again, nil
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

// findUnknown looks up, by their key field above the batch's bound, the
// deals that got no answer: found ones are taken as created, the others
// stay pending.
func (r rounds) findUnknown(ctx context.Context, ds []*plan.Deal) error {
	dc := r.dc
	var lost []*plan.Deal
	var keys []match.LeadKey
	for _, d := range ds {
		if d.ID == 0 && d.Refused == "" {
			lost = append(lost, d)
			keys = append(keys, match.LeadKey{Code: d.KeyField, Value: d.LookupKey})
		}
	}
	found, err := dc.match.FindLost(ctx, keys, r.above)
	if err != nil {
		return err
	}
	for _, d := range lost {
		lead := found[match.LeadKey{Code: d.KeyField, Value: d.LookupKey}]
		if lead == nil {
			d.Unknown = true
			continue
		}
		d.ID = lead.ID
		if d.Mode == plan.CreateComplex && lead.Embedded != nil && len(lead.Embedded.Contacts) > 0 {
			d.Contact.ID = lead.Embedded.Contacts[0].ID
		}
		dc.log.Info("deal found after an unknown outcome", "source", d.Source, "record", d.Record.Key(), "lead_id", d.ID)
	}
	return nil
}
