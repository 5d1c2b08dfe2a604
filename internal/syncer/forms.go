package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// The lead field holding the FormIt row id of a form's deal: deals are
// looked up by it after a create whose outcome is unknown.
const (
	formFieldCode = "MODX_FORM"
	formFieldName = "Заявка MODX"
)

// syncForms drains forms whose deal had an unknown outcome, the saved forms
// after the forms watermark, forms that waited to settle, then parked forms
// that are due.
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
	byID := func(ctx context.Context, p *pass, ids []int64) (*page, error) { return s.formsByID(ctx, p, ids, key) }
	readers := []reader{
		&queue{load: func(ctx context.Context, p *pass) ([]int64, error) {
			pending, err := p.pending(ctx, plan.KindForm)
			return sortedIDs(pending), err
		}, plan: byID},
		readerFunc(func(ctx context.Context, p *pass) (*page, error) { return s.newForms(ctx, p, key) }),
		&queue{load: func(ctx context.Context, p *pass) ([]int64, error) { return p.waitingIDs(ctx, plan.KindForm) },
			plan: func(ctx context.Context, p *pass, ids []int64) (*page, error) {
				return s.waitingForms(ctx, p, ids, key)
			}},
		&queue{load: s.dueIDs(plan.KindForm), plan: byID},
	}
	for _, r := range readers {
		if err := s.drain(ctx, p, r); err != nil {
			return err
		}
	}
	return nil
}

// newForms reads one page of forms after the watermark; forms not in
// forms.names only move the watermark. Sync.settle applies as to orders: a
// young form stops the page, one dated in the future waits one settle and
// the page goes on.
func (s *Syncer) newForms(ctx context.Context, p *pass, key string) (*page, error) {
	wm := p.marks[SourceForms]
	forms, err := s.src.Forms(ctx, wm, pageSize)
	if err != nil {
		return nil, fmt.Errorf("read forms after %d: %w", wm, err)
	}
	p.result.Read[SourceForms] += len(forms)
	s.metrics.RowsRead(SourceForms, len(forms))
	if len(forms) == 0 {
		return nil, nil
	}
	clock, err := s.settling(ctx)
	if err != nil {
		return nil, err
	}
	var take []shop.Form
	var waits []state.Waiting
	mark, more := wm, len(forms) == pageSize
	for _, f := range forms {
		if clock.young(f.Date) {
			more = false
			break
		}
		mark = f.ID
		switch {
		case len(s.cfg.Forms.Names) > 0 && !slices.Contains(s.cfg.Forms.Names, f.Name):
		case clock.ahead(f.Date):
			s.log.Warn("form dated in the future: sent one settle after it appeared", "source", SourceForms,
				"form_id", f.ID, "date", f.Date, "db_now", clock.now)
			waits = append(waits, state.Waiting{Kind: plan.KindForm, SourceID: f.ID, Since: clock.now, Reason: "dated in the future"})
		default:
			take = append(take, f)
		}
	}
	if mark == wm {
		return nil, nil
	}
	pl, err := s.planForms(ctx, p, take, key)
	if err != nil {
		return nil, err
	}
	return &page{plan: pl, rows: len(forms), more: more,
		commit: waitAndMark(waits, SourceForms, mark),
		done:   func() { p.marks[SourceForms] = mark },
	}, nil
}

// waitingForms sends the waiting forms that have settled.
func (s *Syncer) waitingForms(ctx context.Context, p *pass, ids []int64, key string) (*page, error) {
	forms, gone, err := s.readForms(ctx, ids)
	if err != nil {
		return nil, err
	}
	clock, err := s.settling(ctx)
	if err != nil {
		return nil, err
	}
	var ready []shop.Form
	done := gone
	for _, f := range forms {
		if clock.ready(f.Date, p.waitingSince[state.Key{Kind: plan.KindForm, SourceID: f.ID}].Since) {
			ready = append(ready, f)
			done = append(done, f.ID)
		}
	}
	pl, err := s.planForms(ctx, p, ready, key)
	return &page{plan: pl, commit: func(tx *state.Tx) error { return tx.DeleteWaitings(plan.KindForm, done) }}, err
}

// formsByID reads forms again from MODX by id and plans them. A form
// FormIt has deleted meanwhile (its clean-up) has nothing left to send: its
// failure and marker are dropped.
func (s *Syncer) formsByID(ctx context.Context, p *pass, ids []int64, key string) (*page, error) {
	forms, gone, err := s.readForms(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := s.settleMissing(ctx, p, plan.KindForm, gone); err != nil {
		return nil, err
	}
	pl, err := s.planForms(ctx, p, forms, key)
	return &page{plan: pl}, err
}

// readForms reads forms by id (a keyset read just below each id); gone are
// the ids FormIt no longer has.
func (s *Syncer) readForms(ctx context.Context, ids []int64) (forms []shop.Form, gone []int64, err error) {
	for _, id := range ids {
		rows, err := s.src.Forms(ctx, id-1, 1)
		if err != nil {
			return nil, nil, fmt.Errorf("read form %d: %w", id, err)
		}
		if len(rows) == 1 && rows[0].ID == id {
			forms = append(forms, rows[0])
		} else {
			gone = append(gone, id)
		}
	}
	return forms, gone, nil
}

// planForms decodes and maps forms (a form already linked is never sent
// twice: after a crash before the commit, the watermark brings back forms
// the pending step just linked), finds their deals after an unknown
// outcome, matches their contacts with every other source's, and plans them.
func (s *Syncer) planForms(ctx context.Context, p *pass, forms []shop.Form, key string) (*plan.Plan, error) {
	pl := plan.New(SourceForms, plan.KindForm)
	if len(forms) == 0 {
		return pl, nil
	}
	ids := make([]int64, len(forms))
	for i, f := range forms {
		ids[i] = f.ID
	}
	links, err := p.links(ctx, plan.LinkForm, ids)
	if err != nil {
		return nil, err
	}
	var jobs []*plan.Form
	for i := range forms {
		f := &forms[i]
		if _, sent := links[f.ID]; sent {
			continue
		}
		rec := plan.Record{Kind: plan.KindForm, ID: f.ID, Title: f.Name}
		raw, err := modx.FormValues(*f, key)
		if err != nil {
			pl.Park(SourceForms, rec, "contact", err.Error())
			continue
		}
		values, err := transform.FormValues(raw)
		var res *transform.FormResult
		if err == nil {
			res, err = p.mapper.Form(f, values)
		}
		switch {
		case errors.Is(err, transform.ErrNoContact):
			pl.Skip(SourceForms, rec, "contact", err.Error())
			continue
		case err != nil:
			pl.Park(SourceForms, rec, "contact", err.Error())
			continue
		}
		jobs = append(jobs, &plan.Form{Record: rec, Result: res, Key: "form:" + strconv.FormatInt(f.ID, 10)})
	}
	fieldID, err := s.formKeyField(p, pl, jobs)
	if err != nil {
		return nil, err
	}
	if err := s.reconcileForms(ctx, p, jobs); err != nil {
		return nil, err
	}
	var drafts []*transform.ContactDraft
	for _, j := range jobs {
		if j.Result.Unsorted == nil { // amoCRM makes the contact of an incoming lead itself
			drafts = append(drafts, j.Result.Contact)
		}
	}
	customers, of, err := s.customersOf(ctx, p, drafts)
	if err != nil {
		return nil, err
	}
	pl.AddForms(p.mapper, jobs, customers, of, fieldID, formFieldCode)
	return pl, nil
}

// formKeyField returns the id of the lead field holding a form's key,
// planning the field when the batch has deals or incoming leads to create
// and the account lacks it.
func (s *Syncer) formKeyField(p *pass, pl *plan.Plan, jobs []*plan.Form) (int64, error) {
	for _, f := range p.meta.LeadFields {
		if f.Code == formFieldCode {
			return f.ID, nil
		}
	}
	if !slices.ContainsFunc(jobs, func(j *plan.Form) bool { return j.Result.Lead != nil || j.Result.Unsorted != nil }) {
		return 0, nil
	}
	if _, err := s.planFields(p, pl, []transform.FieldSpec{{Name: formFieldName, Code: formFieldCode, Type: "text", Required: true}}, nil); err != nil {
		return 0, err
	}
	return pl.Field("lead", formFieldName).ID, nil
}

// reconcileForms looks up, by the form key, the deals and incoming leads of
// forms with a pending marker before anything is sent again: one scan of
// the deals above the markers' bounds for the batch.
func (s *Syncer) reconcileForms(ctx context.Context, p *pass, jobs []*plan.Form) error {
	if len(jobs) == 0 {
		return nil
	}
	pending, err := p.pending(ctx, plan.KindForm)
	if err != nil {
		return err
	}
	want := map[leadKey]int64{}
	for _, j := range jobs {
		if m, ok := pending[j.Record.ID]; ok && (j.Result.Lead != nil || j.Result.Unsorted != nil) {
			j.Pending = true
			want[leadKey{formFieldCode, j.Key}] = m.AboveID
		}
	}
	if len(want) == 0 {
		return nil
	}
	found, err := s.findLeads(ctx, want)
	if err != nil {
		return fmt.Errorf("look up the deals of %d pending forms: %w", len(want), err)
	}
	for _, j := range jobs {
		if j.Pending {
			j.Found = found[leadKey{formFieldCode, j.Key}]
		}
	}
	return nil
}
