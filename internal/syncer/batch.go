package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// batch is one batch of orders from plan to commit: what to write, and
// everything the commit must record about it.
type batch struct {
	pass *pass
	// kind and source of the batch's records: failures, pending markers
	// and report entries carry them.
	kind, source string
	// draftFailed parks the records whose contact amoCRM refused.
	draftFailed func(d *transform.ContactDraft, reason string)
	creates     []*orderJob
	resends     []*orderJob
	moves       []move
	// contact updates and contacts created before their deals (a new
	// customer with several deals in the batch)
	contactUpdates []*customer
	preCreate      []*customer
	userCustomer   map[*userJob]*customer

	entries      []report.Entry
	links        []state.Link
	parked       []state.Failure
	parkedIDs    map[int64]bool
	resolved     []int64 // order ids whose parked failure is settled
	clearPending []int64
	contactKeys  map[string]int64
}

type move struct {
	job  *orderJob
	from amocrm.Lead
	to   int64
}

func (b *batch) parkedOrder(id int64) bool { return b.parkedIDs[id] }

// contactPendingKind keeps contact markers of different sources apart: the
// marker's id is the first record's id, and an order and a form may share one.
func (b *batch) contactPendingKind() string { return kindContact + "_" + b.kind }

// fail parks a record with its reason (a dry run only reports it).
func (b *batch) fail(source, kind string, id int64, entity, title, reason, payload string) {
	if b.parkedIDs == nil {
		b.parkedIDs = map[int64]bool{}
	}
	b.parkedIDs[id] = true
	b.parked = append(b.parked, state.Failure{Kind: kind, SourceID: id, Reason: reason, Payload: payload})
	b.entries = append(b.entries, report.Entry{Source: source, Kind: entity, SourceID: id, Key: sourceKey(kind, id),
		Action: report.Fail, Title: title, Reason: oneLine(reason)})
}

func (b *batch) unchanged(source, entity string, j *orderJob, reason string) {
	b.resolved = append(b.resolved, j.order.ID)
	b.entries = append(b.entries, report.Entry{Source: source, Kind: entity, SourceID: j.order.ID, Key: sourceKey(kindOrder, j.order.ID),
		Action: report.Unchanged, AmoID: j.link.AmoID, Title: orderTitle(j.order), Reason: reason})
}

// statusSet records the amoCRM status now set for the order's miniShop2 status.
func (b *batch) statusSet(j *orderJob, amoStatus int64) {
	b.links = append(b.links, state.Link{Kind: linkOrderStatus, SourceID: j.order.ID, AmoID: amoStatus,
		Hash: strconv.FormatInt(j.order.Status, 10)})
}

// adopt links an order to a deal found in amoCRM after an unknown outcome.
func (b *batch) adopt(j *orderJob, lead *amocrm.Lead) {
	hash, _ := transform.Hash(j.deal.Lead)
	b.links = append(b.links, state.Link{Kind: linkOrder, SourceID: j.order.ID, AmoID: lead.ID, Hash: hash})
	b.statusSet(j, lead.StatusID)
	b.resolved = append(b.resolved, j.order.ID)
	b.clearPending = append(b.clearPending, j.order.ID)
	if j.deal.Contact != nil && lead.Embedded != nil && len(lead.Embedded.Contacts) > 0 {
		b.indexKeys(j.deal.Contact.Keys, lead.Embedded.Contacts[0].ID)
	}
	b.entries = append(b.entries, report.Entry{Source: SourceOrders, Kind: "lead", SourceID: j.order.ID, Key: sourceKey(kindOrder, j.order.ID),
		Action: report.Unchanged, AmoID: lead.ID, Title: j.deal.Lead.Name, Reason: "found in amoCRM after an unknown outcome; linked"})
}

// contactSent records that the contact now holds the customer's payload.
func (b *batch) contactSent(c *customer) {
	if c.contactID != 0 && c.hash != "" {
		b.links = append(b.links, state.Link{Kind: linkContact, SourceID: c.contactID, AmoID: c.contactID, Hash: c.hash})
	}
}

func (b *batch) indexKeys(keys []string, contactID int64) {
	if contactID == 0 {
		return
	}
	if b.contactKeys == nil {
		b.contactKeys = map[string]int64{}
	}
	for _, k := range keys {
		b.contactKeys[k] = contactID
	}
}

// planContact decides what happens to one customer's contact: an update of
// the matched contact (new phones and e-mails added, read-only fields and
// empty values left alone), nothing, or a create.
func (b *batch) planContact(p *pass, source string, c *customer) {
	want := c.merged()
	title := want.Contact.Name
	key := "contact:" + c.keys[0]
	switch {
	case c.plannedEarlier:
		b.entries = append(b.entries, report.Entry{Source: source, Kind: "contact", Key: key, Action: report.Unchanged, Title: title,
			Reason: "the contact planned above"})
		return
	case c.contactID != 0 && c.sent:
		b.entries = append(b.entries, report.Entry{Source: source, Kind: "contact", Key: key, Action: report.Unchanged, AmoID: c.contactID, Title: title,
			Reason: "same as last sent"})
		return
	}
	if c.contactID != 0 {
		patch, changed := p.mapper.MergeContact(*c.live, want)
		b.indexKeys(c.keys, c.contactID)
		if !changed {
			b.contactSent(c)
			b.entries = append(b.entries, report.Entry{Source: source, Kind: "contact", Key: key, Action: report.Unchanged, AmoID: c.contactID, Title: title})
			return
		}
		patch.ID = c.contactID
		c.patch = &patch
		b.contactUpdates = append(b.contactUpdates, c)
		b.entries = append(b.entries, report.Entry{Source: source, Kind: "contact", Key: key, Action: report.Update, AmoID: c.contactID, Title: title,
			Changes: contactChanges(c.live, patch)})
		return
	}
	c.want = want
	if p.opts.DryRun {
		p.index.plan(c.keys)
	}
	if len(c.drafts) > 1 {
		b.preCreate = append(b.preCreate, c)
	}
	b.entries = append(b.entries, report.Entry{Source: source, Kind: "contact", Key: key, Action: report.Create, Title: title,
		Changes: contactChanges(nil, want.Contact)})
}

// report streams the batch's entries. Creates are reported here, once their
// ids are known (a real run) or as planned (a dry run).
func (b *batch) report() error {
	p := b.pass
	for _, j := range b.creates {
		if b.parkedIDs[j.order.ID] {
			continue
		}
		action, reason := report.Create, ""
		if !p.opts.DryRun && j.leadID == 0 {
			action, reason = report.Skip, "outcome unknown: looked up again next pass, never created twice"
		}
		b.entries = append(b.entries, report.Entry{Source: SourceOrders, Kind: "lead", SourceID: j.order.ID, Key: sourceKey(kindOrder, j.order.ID),
			Action: action, AmoID: j.leadID, Title: j.deal.Lead.Name, Reason: reason, Changes: leadChanges(p, nil, j.deal.Lead)})
	}
	for _, j := range b.resends {
		if b.parkedIDs[j.order.ID] {
			continue
		}
		b.entries = append(b.entries, report.Entry{Source: SourceOrderLogs, Kind: "lead", SourceID: j.order.ID, Key: sourceKey(kindOrder, j.order.ID),
			Action: report.Update, AmoID: j.link.AmoID, Title: j.deal.Lead.Name, Changes: leadChanges(p, nil, j.deal.Lead)})
	}
	for _, m := range b.moves {
		if b.parkedIDs[m.job.order.ID] {
			continue
		}
		b.entries = append(b.entries, report.Entry{Source: SourceOrderLogs, Kind: "status_move", SourceID: m.job.order.ID,
			Key: sourceKey(kindOrder, m.job.order.ID), Action: report.Update, AmoID: m.from.ID, Title: m.from.Name,
			Changes: []report.Change{{Field: "status", Old: p.statusName(m.from.PipelineID, m.from.StatusID), New: p.statusName(m.from.PipelineID, m.to)}}})
	}
	for _, e := range b.entries {
		if err := p.record(e); err != nil {
			return err
		}
	}
	return nil
}

// finish reports the batch and, in a real run, commits it together with
// what commit adds (the watermark) in one transaction.
func (s *Syncer) finish(ctx context.Context, b *batch, commit func(*state.Tx) error) error {
	if err := b.report(); err != nil {
		return err
	}
	if b.pass.opts.DryRun {
		return nil
	}
	return s.store.Commit(ctx, func(tx *state.Tx) error {
		if err := b.commit(tx); err != nil {
			return err
		}
		if commit != nil {
			return commit(tx)
		}
		return nil
	})
}

// commit writes what the batch did in the pass's transaction.
func (b *batch) commit(tx *state.Tx) error {
	if err := tx.PutLinks(b.links); err != nil {
		return err
	}
	for _, id := range b.clearPending {
		if err := tx.ClearPending(b.kind, id); err != nil {
			return err
		}
	}
	for _, c := range b.preCreate {
		if err := tx.ClearPending(b.contactPendingKind(), c.sourceID); err != nil {
			return err
		}
	}
	if err := tx.PutContactKeys(b.contactKeys, "sync"); err != nil {
		return err
	}
	for _, id := range b.resolved {
		if err := tx.Resolve(b.kind, id); err != nil {
			return err
		}
	}
	for _, f := range b.parked {
		if err := tx.Park(f); err != nil {
			return err
		}
	}
	return nil
}

// applyOrders writes the batch to amoCRM: contact updates, contacts shared
// by several new deals, new deals (leads/complex for a new contact, leads
// otherwise), re-sent deals and status moves.
func (s *Syncer) applyOrders(ctx context.Context, p *pass, b *batch) error {
	if err := s.applyContactUpdates(ctx, b); err != nil {
		return err
	}
	if err := s.preCreateContacts(ctx, b); err != nil {
		return err
	}
	var complex, plain []*orderJob
	for _, j := range b.creates {
		switch {
		case b.parkedIDs[j.order.ID]:
		case j.cust.contactID == 0:
			complex = append(complex, j)
		default:
			plain = append(plain, j)
		}
	}
	if err := s.createDeals(ctx, b, complex, true); err != nil {
		return err
	}
	if err := s.createDeals(ctx, b, plain, false); err != nil {
		return err
	}
	if err := s.applyResends(ctx, b); err != nil {
		return err
	}
	return s.applyMoves(ctx, b)
}

func (s *Syncer) applyContactUpdates(ctx context.Context, b *batch) error {
	if len(b.contactUpdates) == 0 {
		return nil
	}
	patches := make([]amocrm.Contact, len(b.contactUpdates))
	for i, c := range b.contactUpdates {
		patches[i] = *c.patch
		patches[i].RequestID = strconv.Itoa(i)
	}
	err := s.crm.UpdateContacts(ctx, patches)
	var verr *amocrm.ValidationError
	switch {
	case err == nil:
		for _, c := range b.contactUpdates {
			b.contactSent(c)
		}
	case errors.As(err, &verr):
		// The request was refused as a whole: park the customers amoCRM
		// named, and send the others' updates again.
		var again []amocrm.Contact
		for i, c := range b.contactUpdates {
			if msgs, bad := verr.Items[strconv.Itoa(i)]; bad {
				for _, d := range c.drafts {
					b.draftFailed(d, "contact update refused: "+itemErrors(msgs))
				}
				continue
			}
			again = append(again, patches[i])
			b.contactSent(c)
		}
		if len(again) > 0 {
			if err := s.crm.UpdateContacts(ctx, again); err != nil {
				return fmt.Errorf("update contacts: %w", err)
			}
		}
	case err != nil:
		return fmt.Errorf("update contacts: %w", err)
	}
	return nil
}

// failOrderDraft parks every order of the batch whose contact draft is d.
func (b *batch) failOrderDraft(d *transform.ContactDraft, reason string) {
	for _, j := range b.creates {
		if j.deal.Contact == d {
			b.fail(SourceOrders, kindOrder, j.order.ID, "lead", j.deal.Lead.Name, reason, "")
		}
	}
}

// preCreateContacts creates, before their deals, the contacts of new
// customers with several deals in the batch, so they share one contact.
// A pending marker per contact comes first; after an unknown outcome the
// contact is looked up by phone or e-mail before anything is created again.
func (s *Syncer) preCreateContacts(ctx context.Context, b *batch) error {
	return s.createContacts(ctx, b, b.preCreate)
}

func (s *Syncer) createContacts(ctx context.Context, b *batch, cs []*customer) error {
	if len(cs) == 0 {
		return nil
	}
	want := make([]amocrm.Contact, len(cs))
	marks := make([]state.PendingCreate, len(cs))
	for i, c := range cs {
		want[i] = c.want.Contact
		want[i].RequestID = strconv.Itoa(i)
		marks[i] = state.PendingCreate{Kind: b.contactPendingKind(), SourceID: c.sourceID, Key: c.keys[0]}
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark contacts pending: %w", err)
	}
	created, err := s.crm.CreateContacts(ctx, want)
	byReq := map[string]int64{}
	for _, c := range created {
		byReq[c.RequestID] = c.ID
	}
	var verr *amocrm.ValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create contacts: %w", err)
	}
	var again []*customer
	for i, c := range cs {
		id := byReq[strconv.Itoa(i)]
		if verr != nil {
			if msgs, bad := verr.Items[strconv.Itoa(i)]; bad {
				for _, d := range c.drafts {
					b.draftFailed(d, "contact refused: "+itemErrors(msgs))
				}
				continue
			}
		}
		if id == 0 && err != nil {
			// No answer for it: look it up before anything is created again.
			found, ferr := s.findContact(ctx, c.keys)
			if ferr != nil {
				return fmt.Errorf("look up contact after %v: %w", err, ferr)
			}
			id = found
		}
		switch {
		case id != 0:
			c.contactID = id
			b.indexKeys(c.keys, id)
			b.contactSent(c)
		case verr != nil:
			again = append(again, c) // valid, refused with the others
		default:
			for _, d := range c.drafts {
				b.draftFailed(d, "contact create had no result; it will be looked up before the next try")
			}
		}
	}
	if len(again) < len(cs) {
		return s.createContacts(ctx, b, again)
	}
	return nil
}

// findContact looks a contact up by each key (phone digits or e-mail) and
// returns the first whose own keys contain it exactly.
func (s *Syncer) findContact(ctx context.Context, keys []string) (int64, error) {
	for _, k := range keys {
		_, q, _ := strings.Cut(k, ":")
		found, err := s.crm.SearchContacts(ctx, q, 50)
		if err != nil {
			return 0, err
		}
		for _, c := range found {
			if slices.Contains(contactKeys(c), k) {
				return c.ID, nil
			}
		}
	}
	return 0, nil
}

// createDeals creates deals for jobs: through leads/complex with their new
// contact, or through leads with the contact id. Each order gets a pending
// marker first; created deals are linked in the batch's commit; deals whose
// outcome is unknown are looked up by order number now, and what is still
// unknown stays pending for the next pass.
func (s *Syncer) createDeals(ctx context.Context, b *batch, jobs []*orderJob, complex bool) error {
	if len(jobs) == 0 {
		return nil
	}
	marks := make([]state.PendingCreate, len(jobs))
	leads := make([]amocrm.Lead, len(jobs))
	for i, j := range jobs {
		marks[i] = state.PendingCreate{Kind: kindOrder, SourceID: j.order.ID, Key: j.deal.OrderKey, PayloadHash: j.hash}
		leads[i] = j.deal.Lead
		leads[i].RequestID = strconv.FormatInt(j.order.ID, 10)
		emb := leadEmbeddedCopy(leads[i].Embedded)
		if complex {
			emb.Contacts = []amocrm.Contact{j.cust.want.Contact}
		} else {
			emb.Contacts = []amocrm.Contact{{ID: j.cust.contactID, IsMain: true}}
		}
		leads[i].Embedded = emb
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark orders pending: %w", err)
	}
	results, err := s.createLeads(ctx, leads, complex)
	var verr *amocrm.ValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create deals: %w", err)
	}
	var retry []*orderJob
	for _, j := range jobs {
		req := strconv.FormatInt(j.order.ID, 10)
		if r, ok := results[req]; ok {
			j.leadID = r.ID
			b.created(j, r.ContactID)
			continue
		}
		if verr != nil {
			if msgs, bad := verr.Items[req]; bad {
				b.fail(SourceOrders, kindOrder, j.order.ID, "lead", j.deal.Lead.Name, "amoCRM refused the deal: "+itemErrors(msgs), "")
				b.clearPending = append(b.clearPending, j.order.ID)
				continue
			}
		}
		// No result: the request failed as a whole. Look the deal up before
		// anything is created again.
		lead, ferr := s.findOrderLead(ctx, j.deal.OrderKey)
		if ferr != nil {
			s.log.Warn("deal lookup failed; stays pending", "source", SourceOrders, "order_id", j.order.ID, "err", ferr)
			continue
		}
		if lead != nil {
			j.leadID = lead.ID
			b.adopt(j, lead)
			continue
		}
		if verr != nil {
			retry = append(retry, j) // valid, refused with the others: send again
		}
		// outcome unknown and not found: stays pending, the next pass sends it
	}
	if len(retry) > 0 && len(retry) < len(jobs) {
		return s.createDeals(ctx, b, retry, complex)
	}
	return nil
}

// created records a new deal (and its new contact) for the commit.
func (b *batch) created(j *orderJob, contactID int64) {
	b.links = append(b.links, state.Link{Kind: linkOrder, SourceID: j.order.ID, AmoID: j.leadID, Hash: j.hash})
	b.statusSet(j, j.deal.Lead.StatusID)
	b.resolved = append(b.resolved, j.order.ID)
	b.clearPending = append(b.clearPending, j.order.ID)
	if contactID == 0 {
		contactID = j.cust.contactID
	}
	b.indexKeys(j.cust.keys, contactID)
	j.cust.contactID = contactID
	b.contactSent(j.cust)
}

type createResult struct{ ID, ContactID int64 }

// createLeads calls leads/complex or leads and returns the results by request id.
func (s *Syncer) createLeads(ctx context.Context, leads []amocrm.Lead, complex bool) (map[string]createResult, error) {
	out := map[string]createResult{}
	if complex {
		res, err := s.crm.CreateComplexLeads(ctx, leads)
		for _, r := range res {
			for _, req := range r.RequestID {
				out[req] = createResult{ID: r.ID, ContactID: r.ContactID}
			}
		}
		return out, err
	}
	res, err := s.crm.CreateLeads(ctx, leads)
	for _, l := range res {
		out[l.RequestID] = createResult{ID: l.ID}
	}
	return out, err
}

// leadEmbeddedCopy returns a copy of e (or a new one) that can be changed
// without touching the mapper's deal.
func leadEmbeddedCopy(e *amocrm.LeadEmbedded) *amocrm.LeadEmbedded {
	if e == nil {
		return &amocrm.LeadEmbedded{}
	}
	c := *e
	return &c
}

func (s *Syncer) applyResends(ctx context.Context, b *batch) error {
	var leads []amocrm.Lead
	var jobs []*orderJob
	for _, j := range b.resends {
		l := j.deal.Lead
		l.ID = j.link.AmoID
		l.Embedded = nil // contacts stay as they are
		l.CreatedAt = 0
		l.RequestID = strconv.FormatInt(j.order.ID, 10)
		leads = append(leads, l)
		jobs = append(jobs, j)
	}
	return s.updateLeads(ctx, b, leads, jobs, func(j *orderJob) {
		b.links = append(b.links, state.Link{Kind: linkOrder, SourceID: j.order.ID, AmoID: j.link.AmoID, Hash: j.hash})
		b.statusSet(j, j.deal.Lead.StatusID)
	})
}

func (s *Syncer) applyMoves(ctx context.Context, b *batch) error {
	var leads []amocrm.Lead
	var jobs []*orderJob
	targets := map[*orderJob]int64{}
	for _, m := range b.moves {
		leads = append(leads, amocrm.Lead{ID: m.from.ID, PipelineID: m.from.PipelineID, StatusID: m.to, RequestID: strconv.FormatInt(m.job.order.ID, 10)})
		jobs = append(jobs, m.job)
		targets[m.job] = m.to
	}
	return s.updateLeads(ctx, b, leads, jobs, func(j *orderJob) { b.statusSet(j, targets[j]) })
}

// updateLeads PATCHes leads (safe to retry, so the client does) and parks
// the orders whose items amoCRM refused.
func (s *Syncer) updateLeads(ctx context.Context, b *batch, leads []amocrm.Lead, jobs []*orderJob, done func(*orderJob)) error {
	if len(leads) == 0 {
		return nil
	}
	err := s.crm.UpdateLeads(ctx, leads)
	var verr *amocrm.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return fmt.Errorf("update deals: %w", err)
	}
	var again []amocrm.Lead
	var againJobs []*orderJob
	for i, j := range jobs {
		if verr != nil {
			if msgs, bad := verr.Items[leads[i].RequestID]; bad {
				b.fail(SourceOrderLogs, kindOrder, j.order.ID, "lead", orderTitle(j.order), "amoCRM refused the update: "+itemErrors(msgs), "")
				continue
			}
			again = append(again, leads[i])
			againJobs = append(againJobs, j)
			continue
		}
		done(j)
		b.resolved = append(b.resolved, j.order.ID)
	}
	if len(again) > 0 {
		return s.updateLeads(ctx, b, again, againJobs, done)
	}
	return nil
}

func itemErrors(errs []amocrm.ItemError) string {
	s := ""
	for i, e := range errs {
		if i > 0 {
			s += "; "
		}
		s += e.Path + ": " + e.Detail
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
	}
	return s
}
