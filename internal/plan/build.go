package plan

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Mapper is the part of transform.Mapper planning needs.
type Mapper interface {
	StatusChange(pipelineID, ms2Status int64) (statusID int64, ok bool)
	Stands(stage, ms2Status int64) bool
	MergeContact(live crm.Contact, want *transform.ContactDraft) (patch crm.Contact, changed bool)
	IsMultitext(fieldID int64) bool
}

// Prepare fills in the customer's merged payload and its hash, which the
// reads before planning compare with the hash last sent.
func (c *Customer) Prepare(m Mapper) error {
	c.want = c.Merged(m.IsMultitext)
	h, err := transform.Hash(c.want.Contact)
	if err != nil {
		return fmt.Errorf("hash contact %s: %w", c.Keys, err)
	}
	c.Hash = h
	return nil
}

// contact decides one customer's contact: an update of the matched contact
// (new phones and e-mails added, read-only fields and empty values left
// alone), nothing, or a create.
func (p *Plan) contact(m Mapper, source string, c *Customer, records []Record, separate bool) *Contact {
	want := c.want
	out := &Contact{Source: source, Key: "contact:" + c.Keys[0], Keys: c.Keys, Title: want.Contact.Name,
		ID: c.ContactID, Hash: c.Hash, Records: records, Repairs: want.Notes}
	switch {
	case c.ContactID != 0 && c.Sent:
		out.Action, out.Reason = Unchanged, "same as last sent"
	case c.ContactID != 0:
		patch, changed := m.MergeContact(*c.Live, want)
		out.Action = Unchanged
		if changed {
			patch.ID = c.ContactID
			out.Action, out.Payload, out.Live = Update, patch, c.Live
		}
	default:
		out.Action, out.Payload, out.Separate = Create, want.Contact, separate
	}
	if c.Linked {
		out.Reason = joinReason(fmt.Sprintf("the contact linked to MODX user %d, whose own order this is", c.Account), out.Reason)
	}
	p.Contacts = append(p.Contacts, out)
	return out
}

// Order is one order of a batch with what was read for it.
type Order struct {
	Record Record
	// MS2Status is the shop status the order counts as (transform's
	// PlacedStatus: an order placed but left at 0 counts as new).
	MS2Status int64
	Deal      *transform.Deal
	Link      Link // the order's deal; AmoID 0: not sent yet
	Status    Link // the amoCRM status last set; Hash: the miniShop2 status it was set for
	// Found is the deal found by its order number after a create whose
	// outcome was unknown; Pending says there was such a create.
	Found   *crm.Lead
	Pending bool
	// Live is the linked deal as amoCRM has it, read when it may move; nil
	// when amoCRM no longer has it.
	Live *crm.Lead
	// Extras is what was read of its deal's products and task.
	Extras Extras
	// Snapshot is of the read Deal was mapped from, recorded with a deal
	// written whole from it.
	Snapshot *Snapshot
	hash     string
}

// Hash is the hash of the order's deal payload.
func (o *Order) Hash() (string, error) {
	if o.hash == "" {
		h, err := transform.Hash(o.Deal.Lead)
		if err != nil {
			return "", fmt.Errorf("hash order %d: %w", o.Record.ID, err)
		}
		o.hash = h
	}
	return o.hash, nil
}

// Resends reports whether a linked order's deal is sent again whole
// (orders.resend_on_status_change and a payload that changed).
func (o *Order) Resends(resendOnChange bool) (bool, error) {
	if !resendOnChange || o.Link.AmoID == 0 {
		return false, nil
	}
	h, err := o.Hash()
	return h != o.Link.Hash, err
}

// Due reports whether a linked order's deal is read, to be moved where its
// status goes (StatusDue).
func (o *Order) Due(m Mapper) bool { return StatusDue(m, o.Status, o.MS2Status) }

// StatusDue reports whether the deal of a linked order at shop status is
// due a move, by its order_status link (set): the status changed since the
// deal's status was last set (a deal taken over from the old extra never
// had it set), or the config now puts a deal of that status elsewhere than
// where it was left (a status map edited since). The comparison asks it of
// every linked order, so an unchanged shop costs no request.
func StatusDue(m Mapper, set Link, status int64) bool {
	return set.Hash != strconv.FormatInt(status, 10) || !m.Stands(set.AmoID, status)
}

// TakenOver reports whether an order's deal link was taken over from the
// old extra: it carries no payload hash, which every deal we send has.
func (l Link) TakenOver() bool { return l.Kind == LinkOrder && l.AmoID != 0 && l.Hash == "" }

// AddOrders plans a batch of mapped orders: new ones become deals with their
// customers' contacts (customers groups the new orders' drafts), linked ones
// are re-sent or follow their miniShop2 status.
func (p *Plan) AddOrders(m Mapper, orders []*Order, customers []*Customer, of map[*transform.ContactDraft]*Customer, resendOnChange bool) error {
	var creates []*Order
	for _, o := range orders {
		switch {
		case o.Found != nil:
			if err := p.adopt(o); err != nil {
				return err
			}
		case o.Link.AmoID == 0:
			creates = append(creates, o)
		default:
			if err := p.linkedOrder(m, o, resendOnChange); err != nil {
				return err
			}
		}
		if o.Pending && o.Found == nil {
			p.Settled = append(p.Settled, o.Record.ID) // looked up, not there: created now
		}
	}
	records := map[*Customer][]Record{}
	for _, o := range creates {
		c := of[o.Deal.Contact]
		records[c] = append(records[c], o.Record)
	}
	contacts := map[*Customer]*Contact{}
	for _, c := range customers {
		if rs := records[c]; len(rs) > 0 {
			contacts[c] = p.contact(m, SourceOrders, c, rs, false)
		}
	}
	// A new customer's first deal carries the new contact through
	// leads/complex; their other deals of the batch follow through leads
	// with the id it gets, so no request is spent on the contact alone.
	carried := map[*Contact]bool{}
	for _, o := range creates {
		h, err := o.Hash()
		if err != nil {
			return err
		}
		c := contacts[of[o.Deal.Contact]]
		mode := CreatePlain
		if c.Action == Create && !carried[c] {
			mode, carried[c] = CreateComplex, true
		}
		d := &Deal{Source: SourceOrders, Record: o.Record, Kind: "lead", Mode: mode, Action: Create,
			Lead: o.Deal.Lead, Contact: c, KeyField: transform.OrderFieldCode, LookupKey: o.Deal.OrderKey, Hash: h,
			LinkKind: LinkOrder, MS2Status: o.MS2Status, SetStatus: o.Deal.Lead.StatusID, Repairs: o.Deal.Notes, Snapshot: o.Snapshot}
		if err := attach(p.Meta, d, o.Deal.Products, o.Deal.Task, Extras{}, true); err != nil {
			return err
		}
		p.Deals = append(p.Deals, d)
	}
	return nil
}

// adopt links an order to the deal found after an unknown outcome.
func (p *Plan) adopt(o *Order) error {
	h, err := o.Hash()
	if err != nil {
		return err
	}
	d := &Deal{Source: SourceOrders, Record: o.Record, Kind: "lead", Mode: Keep, Action: Unchanged,
		Reason: "found in amoCRM after an unknown outcome; linked", Lead: o.Deal.Lead, Hash: h, LinkKind: LinkOrder,
		MS2Status: o.MS2Status, SetStatus: o.Found.StatusID, ID: o.Found.ID, Snapshot: o.Snapshot}
	if o.Deal.Contact != nil && o.Found.Embedded != nil && len(o.Found.Embedded.Contacts) > 0 {
		d.Contact = &Contact{Keys: o.Deal.Contact.Keys, ID: o.Found.Embedded.Contacts[0].ID, Action: Unchanged}
	}
	p.Adopted = append(p.Adopted, d)
	return attach(p.Meta, d, o.Deal.Products, o.Deal.Task, o.Extras, true)
}

// linkedOrder decides what happens to an order whose deal exists: with
// resend_on_status_change the whole deal is sent again when its payload
// changed; otherwise, when its status is due (Order.Due), the live deal is
// moved where the config puts its order's status in the pipeline it is in.
func (p *Plan) linkedOrder(m Mapper, o *Order, resendOnChange bool) error {
	resend, err := o.Resends(resendOnChange)
	if err != nil {
		return err
	}
	d := &Deal{Source: SourceOrderLogs, Record: o.Record, Kind: "lead", ID: o.Link.AmoID, Hash: o.Link.Hash, MS2Status: o.MS2Status}
	switch {
	case resend:
		l := o.Deal.Lead
		l.ID, l.Embedded, l.CreatedAt = o.Link.AmoID, nil, 0 // contacts and the creation date stay as they are
		d.Mode, d.Action, d.Lead, d.Hash, d.LinkKind, d.SetStatus = Resend, Update, l, o.hash, LinkOrder, l.StatusID
		d.Repairs, d.Snapshot = o.Deal.Notes, o.Snapshot
	case !o.Due(m):
		d.Source, d.Mode, d.Action, d.Lead, d.MS2Status = SourceOrders, Keep, Unchanged, o.Deal.Lead, -1
	case o.Live == nil:
		// A manager deleted the deal: it is not made again behind their
		// back, and its status is no longer followed.
		d.Kind, d.Mode, d.Action, d.Lead, d.SetStatus = "status_move", Keep, Skip, o.Deal.Lead, 0
		d.Reason = fmt.Sprintf("deal %d was deleted in amoCRM", o.Link.AmoID)
		d.Lead.Name = o.Record.Title
	default:
		live := o.Live
		d.Kind, d.Lead, d.From = "status_move", *live, live
		target, mapped := m.StatusChange(live.PipelineID, o.MS2Status)
		d.Reason = p.dueReason(o)
		if !mapped || target == live.StatusID {
			d.Mode, d.Action, d.SetStatus = Keep, Unchanged, live.StatusID
			if !mapped {
				d.Reason = joinReason(d.Reason, fmt.Sprintf("shop status %d is not mapped in %q", o.MS2Status, PipelineName(p.Meta.Pipelines, live.PipelineID)))
			}
			break
		}
		d.Mode, d.Action, d.To, d.SetStatus = Move, Update, target, target
		d.Lead = crm.Lead{ID: live.ID, Name: live.Name, PipelineID: live.PipelineID, StatusID: target}
	}
	p.Deals = append(p.Deals, d)
	if d.Action == Skip {
		return nil // the deal is gone: nothing owed to it is sent
	}
	return attach(p.Meta, d, o.Deal.Products, o.Deal.Task, o.Extras, false)
}

// dueReason says why a linked deal whose shop status did not change was
// read: it was taken over from the old extra, or the config puts its
// status elsewhere now. A changed shop status needs no word: the entry
// shows the move.
func (p *Plan) dueReason(o *Order) string {
	switch {
	case o.Status.Kind == "" && o.Link.TakenOver():
		return "deal taken over from the old extra (amocrm_leads): it goes where its order's status does"
	case o.Status.Hash == strconv.FormatInt(o.MS2Status, 10):
		return fmt.Sprintf("the config puts shop status %d elsewhere than the status last set", o.MS2Status)
	}
	return ""
}

// Form is one saved form of a batch with what was read for it.
type Form struct {
	Record Record
	Result *transform.FormResult
	Key    string    // the value of the form's key field: "form:<id>"
	Found  *crm.Lead // its deal, found after an unknown outcome
	// Pending says a create had an unknown outcome.
	Pending bool
	// LeadID is the deal of a form sent before whose task is owed; Extras
	// is what was read of its task.
	LeadID int64
	Extras Extras
}

// AddForms plans a batch of mapped forms: contacts (created on their own, then
// the deals by id), deals carrying the form's key in keyFieldID, incoming
// leads, or nothing with the reason.
func (p *Plan) AddForms(m Mapper, forms []*Form, customers []*Customer, of map[*transform.ContactDraft]*Customer, keyFieldID int64, keyFieldCode string) {
	records := map[*Customer][]Record{}
	for _, f := range forms {
		if c := of[f.Result.Contact]; c != nil && f.Result.Unsorted == nil {
			records[c] = append(records[c], f.Record)
		}
	}
	contacts := map[*Customer]*Contact{}
	for _, c := range customers {
		if rs := records[c]; len(rs) > 0 {
			contacts[c] = p.contact(m, SourceForms, c, rs, true)
		}
	}
	for _, f := range forms {
		r := f.Result
		d := &Deal{Source: SourceForms, Record: f.Record, Kind: "lead", LinkKind: LinkForm, MS2Status: -1,
			KeyField: keyFieldCode, LookupKey: f.Key, Contact: contacts[of[r.Contact]]}
		switch {
		case f.LeadID != 0:
			d.Mode, d.Action, d.ID, d.Reason = Keep, Unchanged, f.LeadID, "sent before; its task is owed"
			if d.Lead.Name = f.Record.Title; r.Lead != nil {
				d.Lead = *r.Lead
			}
			attachTask(d, r.Task, f.Extras, false)
		case r.Unsorted != nil:
			// Found after an unknown outcome, it is linked, not sent again
			// (amoCRM may store the copy as a tagged duplicate).
			in := &Incoming{Record: f.Record, Form: *r.Unsorted, Key: f.Key}
			leads := slices.Clone(in.Form.Embedded.Leads)
			for i := range leads {
				leads[i].CustomFieldsValues = withKey(leads[i].CustomFieldsValues, keyFieldID, f.Key)
			}
			in.Form.Embedded.Leads = leads
			if f.Found != nil {
				in.ID, in.AlreadySent = f.Found.ID, true
			}
			p.Incoming = append(p.Incoming, in)
			continue
		case r.Lead != nil && f.Found != nil:
			d.Mode, d.Action, d.Lead, d.ID = Keep, Unchanged, *r.Lead, f.Found.ID
			d.Reason = "found in amoCRM after an unknown outcome; linked"
			attachTask(d, r.Task, f.Extras, true)
		case r.Lead != nil:
			l := *r.Lead
			l.CustomFieldsValues = withKey(l.CustomFieldsValues, keyFieldID, f.Key)
			d.Mode, d.Action, d.Lead, d.Note = CreatePlain, Create, l, r.LeadNote
			attachTask(d, r.Task, Extras{}, true)
		default:
			d.Mode, d.Action, d.Reason = Keep, Skip, "no deal: "+noDealReason(r)
			d.Lead.Name = f.Record.Title
		}
		if f.Pending && f.Found == nil {
			p.Settled = append(p.Settled, f.Record.ID)
		}
		p.Deals = append(p.Deals, d)
	}
}

// withKey returns a copy of a lead's field values with the form's key in
// its key field.
func withKey(cfv []crm.CustomFieldValues, fieldID int64, key string) []crm.CustomFieldValues {
	return append(cfv[:len(cfv):len(cfv)], crm.CustomFieldValues{FieldID: fieldID, Values: []crm.FieldValue{{Value: key}}})
}

func noDealReason(r *transform.FormResult) string {
	if r.NoDeal != "" {
		return r.NoDeal
	}
	return "forms.as_lead is off"
}

// User is a MODX user whose contact payload changed since it was last sent.
type User struct {
	Record Record
	Draft  *transform.ContactDraft
	Hash   string
	Link   Link // its contact; AmoID 0: none yet
}

// AddUsers plans a batch of changed users. customers holds one customer per
// linked user (its contact, read live) and the unlinked users' drafts
// grouped; of finds a draft's customer.
func (p *Plan) AddUsers(m Mapper, users []*User, customers []*Customer, of map[*transform.ContactDraft]*Customer) {
	records := map[*Customer][]Record{}
	for _, u := range users {
		c := of[u.Draft]
		records[c] = append(records[c], u.Record)
	}
	contacts := map[*Customer]*Contact{}
	for _, c := range customers {
		contacts[c] = p.contact(m, SourceUsers, c, records[c], true)
	}
	for _, u := range users {
		p.Users = append(p.Users, &UserContact{Record: u.Record, Contact: contacts[of[u.Draft]], Hash: u.Hash})
	}
}
