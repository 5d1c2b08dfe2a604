package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// The lead field holding the FormIt row id of a form's deal: deals are
// looked up by it after a create whose outcome is unknown.
const (
	formFieldCode = "MODX_FORM"
	formFieldName = "Заявка MODX"
)

// formJob is one saved form on its way to amoCRM.
type formJob struct {
	form   modx.Form
	res    *transform.FormResult
	cust   *customer
	key    string // value of the form field: "form:<id>"
	leadID int64
	// alreadySent: amoCRM refused the incoming lead as a duplicate of
	// itself, sent by an earlier try whose answer was lost.
	alreadySent bool
}

// syncForms drains the saved forms after the forms watermark, then parked
// forms that are due.
func (s *Syncer) syncForms(ctx context.Context, p *pass) error {
	if err := s.initWatermarks(ctx, p, SourceForms); err != nil {
		return err
	}
	if err := s.estimateBacklog(ctx, p, SourceForms); err != nil {
		return err
	}
	// Without a key only encrypted rows fail, each with its reason.
	key, err := s.src.FormItKey(ctx)
	if err != nil && !errors.Is(err, modx.ErrNoFormItKey) {
		return fmt.Errorf("read FormIt key: %w", err)
	}
	if err := s.pendingForms(ctx, p, key); err != nil {
		return err
	}
	for {
		if err := p.stopping(ctx); err != nil {
			return err
		}
		wm := p.marks[SourceForms]
		forms, err := s.src.Forms(ctx, wm, s.batchSize())
		if err != nil {
			return fmt.Errorf("read forms after %d: %w", wm, err)
		}
		p.result.Read[SourceForms] += len(forms)
		s.metrics.RowsRead(SourceForms, len(forms))
		settled := p.now().Add(-s.cfg.Sync.Settle.Duration)
		var take []modx.Form
		mark := wm
		for _, f := range forms {
			if !f.Date.IsZero() && f.Date.After(settled) {
				break
			}
			mark = f.ID
			if len(s.cfg.Forms.Names) == 0 || slices.Contains(s.cfg.Forms.Names, f.Name) {
				take = append(take, f)
			}
		}
		if mark == wm {
			break
		}
		err = s.sendForms(ctx, p, take, key, func(tx *state.Tx) error { return tx.SetWatermark(SourceForms, mark) })
		if err != nil {
			return err
		}
		p.marks[SourceForms] = mark
		p.progress(len(forms))
		if len(forms) < s.batchSize() {
			break
		}
	}
	return s.dueForms(ctx, p, key)
}

// dueForms retries parked forms whose next attempt is due.
func (s *Syncer) dueForms(ctx context.Context, p *pass, key string) error {
	due, err := s.store.DueFailures(ctx, kindForm, p.now(), s.batchSize())
	if err != nil {
		return fmt.Errorf("read parked forms: %w", err)
	}
	ids := make([]int64, len(due))
	for i, f := range due {
		ids[i] = f.SourceID
	}
	return s.sendFormsByID(ctx, p, ids, key)
}

// pendingForms sends again the forms whose deal had an unknown outcome;
// createFormDeals looks each deal up by its form id first.
func (s *Syncer) pendingForms(ctx context.Context, p *pass, key string) error {
	pending, err := s.store.Pending(ctx, kindForm)
	if err != nil {
		return fmt.Errorf("read pending forms: %w", err)
	}
	ids := make([]int64, len(pending))
	for i, pc := range pending {
		ids[i] = pc.SourceID
	}
	return s.sendFormsByID(ctx, p, ids, key)
}

// sendFormsByID reads forms again from MODX by id (a keyset read just below
// each id) and sends them. A form FormIt has deleted meanwhile (its
// clean-up) has nothing left to send: its failure and marker are dropped.
func (s *Syncer) sendFormsByID(ctx context.Context, p *pass, ids []int64, key string) error {
	var forms []modx.Form
	for _, id := range ids {
		rows, err := s.src.Forms(ctx, id-1, 1)
		if err != nil {
			return fmt.Errorf("read form %d: %w", id, err)
		}
		if len(rows) == 1 && rows[0].ID == id {
			forms = append(forms, rows[0])
			continue
		}
		if p.opts.DryRun {
			continue
		}
		err = s.store.Commit(ctx, func(tx *state.Tx) error {
			if err := tx.Resolve(kindForm, id); err != nil {
				return err
			}
			return tx.ClearPending(kindForm, id)
		})
		if err != nil {
			return err
		}
	}
	if len(forms) == 0 {
		return nil
	}
	return s.sendForms(ctx, p, forms, key, nil)
}

// sendForms maps forms to contacts (de-duplicated with every other source)
// and, when configured, deals or incoming leads, writes them and commits
// links, failures and the watermark together.
func (s *Syncer) sendForms(ctx context.Context, p *pass, forms []modx.Form, key string, commit func(*state.Tx) error) error {
	b := &batch{pass: p, kind: kindForm, source: SourceForms}
	// A form already sent is not sent again: after a crash before the
	// commit, the watermark brings back forms the pending step just linked.
	ids := make([]int64, len(forms))
	for i, f := range forms {
		ids[i] = f.ID
	}
	links, err := p.links(ctx, s.store, linkForm, ids)
	if err != nil {
		return err
	}
	forms = slices.DeleteFunc(slices.Clone(forms), func(f modx.Form) bool {
		_, sent := links[f.ID]
		return sent
	})
	jobs := s.mapForms(p, b, forms, key)
	b.draftFailed = func(d *transform.ContactDraft, reason string) {
		for _, j := range jobs {
			if j.res.Contact == d {
				b.fail(SourceForms, kindForm, j.form.ID, "contact", j.form.Name, reason, "")
			}
		}
	}
	if err := s.ensureFormField(ctx, p, jobs); err != nil {
		return err
	}
	var drafts []*transform.ContactDraft
	for _, j := range jobs {
		if j.res.Unsorted == nil { // amoCRM makes the contact of an incoming lead itself
			drafts = append(drafts, j.res.Contact)
		}
	}
	customers, of := groupCustomers(drafts)
	if err := s.resolveCustomers(ctx, p, customers); err != nil {
		return err
	}
	for _, j := range jobs {
		if c := of[j.res.Contact]; c != nil {
			j.cust = c
			if c.sourceID == 0 {
				c.sourceID = j.form.ID
			}
		}
	}
	for _, c := range customers {
		b.planContact(p, SourceForms, c)
		if c.contactID == 0 && !slices.Contains(b.preCreate, c) {
			b.preCreate = append(b.preCreate, c) // forms create contacts first, then deals by id
		}
	}
	if !p.opts.DryRun {
		if err := s.applyContactUpdates(ctx, b); err != nil {
			return err
		}
		if err := s.preCreateContacts(ctx, b); err != nil {
			return err
		}
		if err := s.createFormDeals(ctx, p, b, jobs); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		if b.parkedIDs[j.form.ID] {
			continue
		}
		b.formDone(j)
	}
	return s.finish(ctx, b, commit)
}

// mapForms decodes and maps forms; bad ones are parked, ones with nothing
// to match a contact by are skipped with the reason.
func (s *Syncer) mapForms(p *pass, b *batch, forms []modx.Form, key string) []*formJob {
	var jobs []*formJob
	for _, f := range forms {
		raw, err := modx.FormValues(f, key)
		if err != nil {
			b.fail(SourceForms, kindForm, f.ID, "contact", f.Name, err.Error(), "")
			continue
		}
		values, err := transform.FormValues(raw)
		var res *transform.FormResult
		if err == nil {
			res, err = p.mapper.Form(&f, values)
		}
		switch {
		case errors.Is(err, transform.ErrNoContact):
			b.resolved = append(b.resolved, f.ID)
			b.entries = append(b.entries, report.Entry{Source: SourceForms, Kind: "contact", SourceID: f.ID, Key: sourceKey(kindForm, f.ID),
				Action: report.Skip, Title: f.Name, Reason: err.Error()})
			continue
		case err != nil:
			b.fail(SourceForms, kindForm, f.ID, "contact", f.Name, err.Error(), "")
			continue
		}
		jobs = append(jobs, &formJob{form: f, res: res, key: "form:" + strconv.FormatInt(f.ID, 10)})
	}
	return jobs
}

// ensureFormField makes sure the lead field holding the form id exists when
// the batch has deals to create.
func (s *Syncer) ensureFormField(ctx context.Context, p *pass, jobs []*formJob) error {
	if formField(p) != nil || !slices.ContainsFunc(jobs, func(j *formJob) bool { return j.res.Lead != nil }) {
		return nil
	}
	_, err := s.ensureFields(ctx, p, SourceForms, []transform.FieldSpec{{Name: formFieldName, Code: formFieldCode, Type: "text", Required: true}}, nil)
	return err
}

func formField(p *pass) *amocrm.CustomField {
	for i, f := range p.meta.LeadFields {
		if f.Code == formFieldCode {
			return &p.meta.LeadFields[i]
		}
	}
	return nil
}

// createFormDeals creates the batch's deals (each with its contact id) and
// incoming leads, with pending markers first and a lookup by form id after
// an unknown outcome; then a note with every submitted value on each deal.
func (s *Syncer) createFormDeals(ctx context.Context, p *pass, b *batch, jobs []*formJob) error {
	var leads []amocrm.Lead
	var marks []state.PendingCreate
	var withLead []*formJob
	field := formField(p)
	pending, err := s.store.Pending(ctx, kindForm)
	if err != nil {
		return fmt.Errorf("read pending forms: %w", err)
	}
	marked := map[int64]bool{}
	for _, pc := range pending {
		marked[pc.SourceID] = true
	}
	for _, j := range jobs {
		if marked[j.form.ID] && j.res.Lead != nil {
			// A create with an unknown outcome: look before creating again.
			lead, err := s.findLeadByField(ctx, formFieldCode, j.key)
			if err != nil {
				return fmt.Errorf("look up the deal of form %d: %w", j.form.ID, err)
			}
			if lead != nil {
				j.leadID = lead.ID
				continue
			}
		}
		switch {
		case b.parkedIDs[j.form.ID]:
		case j.res.Lead != nil && field != nil:
			l := *j.res.Lead
			l.CustomFieldsValues = append(l.CustomFieldsValues, amocrm.CustomFieldValues{FieldID: field.ID, Values: []amocrm.FieldValue{{Value: j.key}}})
			l.Embedded = &amocrm.LeadEmbedded{Contacts: []amocrm.Contact{{ID: j.cust.contactID, IsMain: true}}}
			l.RequestID = strconv.FormatInt(j.form.ID, 10)
			leads = append(leads, l)
			withLead = append(withLead, j)
			marks = append(marks, state.PendingCreate{Kind: kindForm, SourceID: j.form.ID, Key: j.key})
		}
	}
	if err := s.store.MarkPendings(ctx, marks); err != nil {
		return fmt.Errorf("mark forms pending: %w", err)
	}
	if err := s.createFormLeads(ctx, b, leads, withLead); err != nil {
		return err
	}
	if err := s.createUnsorted(ctx, b, jobs); err != nil {
		return err
	}
	var notes []amocrm.Note
	for _, j := range withLead {
		if j.leadID != 0 && j.res.LeadNote != "" {
			params, _ := json.Marshal(map[string]string{"text": j.res.LeadNote})
			notes = append(notes, amocrm.Note{EntityID: j.leadID, NoteType: "common", Params: params})
		}
	}
	if len(notes) == 0 {
		return nil
	}
	// A lost note is not worth a duplicate deal: notes are sent once, and a
	// failure is only logged with the deals it concerned.
	if _, err := s.crm.AddLeadNotes(ctx, notes); err != nil {
		if amocrm.IsFatal(err) {
			return err
		}
		s.log.Warn("form notes not added", "source", SourceForms, "deals", len(notes), "err", err)
	}
	return nil
}

func (s *Syncer) createFormLeads(ctx context.Context, b *batch, leads []amocrm.Lead, jobs []*formJob) error {
	if len(leads) == 0 {
		return nil
	}
	created, err := s.crm.CreateLeads(ctx, leads)
	var verr *amocrm.ValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		return fmt.Errorf("create form deals: %w", err)
	}
	byReq := map[string]int64{}
	for _, l := range created {
		byReq[l.RequestID] = l.ID
	}
	var again []amocrm.Lead
	var againJobs []*formJob
	for i, j := range jobs {
		req := leads[i].RequestID
		if id := byReq[req]; id != 0 {
			j.leadID = id
			continue
		}
		if verr != nil {
			if msgs, bad := verr.Items[req]; bad {
				b.fail(SourceForms, kindForm, j.form.ID, "lead", j.form.Name, "amoCRM refused the deal: "+itemErrors(msgs), "")
				b.clearPending = append(b.clearPending, j.form.ID)
				continue
			}
		}
		lead, ferr := s.findLeadByField(ctx, formFieldCode, j.key)
		if ferr != nil {
			s.log.Warn("deal lookup failed; stays pending", "source", SourceForms, "form_id", j.form.ID, "err", ferr)
			continue
		}
		if lead != nil {
			j.leadID = lead.ID
			continue
		}
		if verr != nil {
			again = append(again, leads[i])
			againJobs = append(againJobs, j)
		}
	}
	if len(again) > 0 && len(again) < len(leads) {
		return s.createFormLeads(ctx, b, again, againJobs)
	}
	return nil
}

// createUnsorted sends incoming leads. Their source_uid is the form id, and
// amoCRM refuses a second entry with the same one, so sending again after
// an unknown outcome cannot duplicate: that refusal means "already there".
func (s *Syncer) createUnsorted(ctx context.Context, b *batch, jobs []*formJob) error {
	var todo []*formJob
	for _, j := range jobs {
		if j.res.Unsorted != nil && !b.parkedIDs[j.form.ID] {
			todo = append(todo, j)
		}
	}
	for len(todo) > 0 {
		forms := make([]amocrm.UnsortedForm, len(todo))
		for i, j := range todo {
			forms[i] = *j.res.Unsorted
		}
		res, err := s.crm.CreateUnsortedForms(ctx, forms)
		for _, r := range res {
			for _, j := range todo {
				if j.res.Unsorted.RequestID == r.RequestID && len(r.Embedded.Leads) > 0 {
					j.leadID = r.Embedded.Leads[0].ID
				}
			}
		}
		var verr *amocrm.ValidationError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, amocrm.ErrOutcomeUnknown):
			for _, j := range todo {
				if j.leadID == 0 {
					b.fail(SourceForms, kindForm, j.form.ID, "lead", j.form.Name, "outcome unknown; sent again later (amoCRM refuses a duplicate source_uid)", "")
				}
			}
			return nil
		case !errors.As(err, &verr):
			return fmt.Errorf("create incoming leads: %w", err)
		}
		// The request was refused as a whole: settle the items amoCRM named
		// and send the others again.
		var again []*formJob
		for _, j := range todo {
			msgs, bad := verr.Items[j.res.Unsorted.RequestID]
			switch {
			case !bad:
				again = append(again, j)
			case onlySourceUID(msgs):
				j.alreadySent = true
			default:
				b.fail(SourceForms, kindForm, j.form.ID, "lead", j.form.Name, "amoCRM refused the incoming lead: "+itemErrors(msgs), "")
			}
		}
		if len(again) == len(todo) {
			return fmt.Errorf("create incoming leads: %w", err) // nothing named: do not loop
		}
		todo = again
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

// findLeadByField finds the deal whose field with code holds exactly value.
func (s *Syncer) findLeadByField(ctx context.Context, code, value string) (*amocrm.Lead, error) {
	leads, err := s.crm.SearchLeads(ctx, value)
	if err != nil {
		return nil, err
	}
	for i, l := range leads {
		for _, f := range l.CustomFieldsValues {
			if f.FieldCode != code {
				continue
			}
			for _, v := range f.Values {
				if fmt.Sprint(v.Value) == value {
					return &leads[i], nil
				}
			}
		}
	}
	return nil, nil
}

// formDone records a form's deal and its link.
func (b *batch) formDone(j *formJob) {
	p := b.pass
	e := report.Entry{Source: SourceForms, Kind: "lead", SourceID: j.form.ID, Key: sourceKey(kindForm, j.form.ID), Title: j.form.Name, AmoID: j.leadID}
	switch {
	case j.res.Lead != nil:
		e.Action, e.Changes = report.Create, leadChanges(p, nil, *j.res.Lead)
	case j.res.Unsorted != nil && j.alreadySent:
		e.Action, e.Reason = report.Unchanged, "already in amoCRM's incoming leads"
	case j.res.Unsorted != nil:
		e.Action, e.Reason = report.Create, "incoming lead (unsorted)"
	default:
		e.Action, e.Reason = report.Skip, "no deal: "+noDealReason(j.res)
	}
	if e.Action == report.Create && !p.opts.DryRun && j.leadID == 0 && !j.alreadySent {
		// Its pending marker stays: the next pass looks the deal up first.
		e.Action, e.Reason = report.Skip, "outcome unknown: looked up again next pass, never created twice"
	} else {
		b.clearPending = append(b.clearPending, j.form.ID)
		b.links = append(b.links, state.Link{Kind: linkForm, SourceID: j.form.ID, AmoID: j.leadID})
	}
	b.resolved = append(b.resolved, j.form.ID)
	if j.cust != nil {
		b.indexKeys(j.cust.keys, j.cust.contactID)
	}
	b.entries = append(b.entries, e)
}

func noDealReason(r *transform.FormResult) string {
	if r.NoDeal != "" {
		return r.NoDeal
	}
	return "forms.as_lead is off"
}
