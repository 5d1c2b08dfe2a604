// Package forms is the source of FormIt's saved forms: each becomes a
// contact, and a deal or an incoming lead where forms.as_lead and
// forms.unsorted say so.
package forms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/match"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/source"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Shop is the shop as the forms source reads it (*modx.DB).
type Shop interface {
	source.Ends
	Forms(ctx context.Context, afterID int64, limit int) ([]shop.Form, error)
	FormItKey(ctx context.Context) (string, error)
}

// Source is the forms of one pass. It reads, in this order: forms whose
// deal had an unknown outcome (looked up before anything is sent again),
// the forms after the watermark, forms that waited (to settle, or for
// something outside them), then parked forms that are due.
type Source struct {
	env  *source.Env
	shop Shop
	crm  source.ReadBackCRM // the tasks of deals whose task may have been made

	started bool
	key     string // FormIt's encryption key; without it only encrypted rows fail
	start   *source.Start
	readers source.Drain
	since   map[int64]time.Time
}

// New returns the forms source of one pass.
func New(env *source.Env, s Shop, c source.ReadBackCRM) *Source {
	return &Source{env: env, shop: s, crm: c, since: map[int64]time.Time{}}
}

// Name is the source's name.
func (s *Source) Name() string { return syncer.SourceForms }

// Backlog is how many forms are after the watermark.
func (s *Source) Backlog(ctx context.Context) (map[string]int, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return source.Backlog(ctx, s.shop, s.start.Marks)
}

// Next is the next batch of the first reader not drained.
func (s *Source) Next(ctx context.Context) (*syncer.Batch, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	return s.readers.Next(ctx)
}

func (s *Source) begin(ctx context.Context) error {
	if s.started {
		return nil
	}
	start, err := s.env.Begin(ctx, s.shop, syncer.SourceForms)
	if err != nil {
		return err
	}
	key, err := s.shop.FormItKey(ctx)
	if err != nil && !errors.Is(err, modx.ErrNoFormItKey) {
		return fmt.Errorf("read FormIt key: %w", err)
	}
	s.started, s.start, s.key = true, start, key
	s.readers.Then(
		source.ReaderFunc(func(context.Context) (*syncer.Batch, error) { return s.start.Batch(), nil }),
		&source.Queue{Load: s.env.PendingIDs(s.markers()...), Plan: s.byID},
		&source.Keyset[shop.Form]{
			Env:    s.env,
			Stream: syncer.SourceForms,
			Kind:   plan.KindForm,
			Mark:   start.Marks[syncer.SourceForms],
			Read:   s.shop.Forms,
			Row:    func(f shop.Form) (int64, time.Time) { return f.ID, f.Date },
			Pass: func(f shop.Form) bool {
				return len(s.env.Config.Forms.Names) > 0 && !slices.Contains(s.env.Config.Forms.Names, f.Name)
			},
			Early: func(f shop.Form, clock source.Clock) {
				s.env.Log.Warn("form dated in the future: sent one settle after it appeared", "source", syncer.SourceForms,
					"form_id", f.ID, "date", f.Date, "db_now", clock.Now)
			},
			Plan: func(ctx context.Context, forms []shop.Form, _ source.Clock) (*syncer.Batch, error) {
				pl, err := s.plan(ctx, forms)
				return &syncer.Batch{Plan: pl}, err
			},
		},
		&source.Queue{Load: s.env.Waiting(plan.KindForm, s.since), Plan: s.waiting},
		&source.Queue{Load: s.env.DueIDs(plan.KindForm), Plan: s.byID},
	)
	return nil
}

// markers are the pending-marker kinds that bring a form back: its deal's,
// and its task's while forms.task is on.
func (s *Source) markers() []string {
	if s.env.Config.Forms.Task.Enabled {
		return []string{plan.KindForm, plan.TaskKind(plan.KindForm)}
	}
	return []string{plan.KindForm}
}

// waiting sends the waiting forms that have settled.
func (s *Source) waiting(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	forms, gone, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	clock, err := s.env.Clock(ctx)
	if err != nil {
		return nil, err
	}
	var ready []shop.Form
	done := gone
	for _, f := range forms {
		if clock.Ready(f.Date, s.since[f.ID]) {
			ready = append(ready, f)
			done = append(done, f.ID)
		}
	}
	pl, err := s.plan(ctx, ready)
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Done: map[string][]int64{plan.KindForm: done}}}, err
}

// byID reads forms again from MODX by id and plans them. A form FormIt has
// deleted meanwhile (its clean-up) has nothing left to send: its failure
// and marker are dropped.
func (s *Source) byID(ctx context.Context, ids []int64) (*syncer.Batch, error) {
	forms, gone, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	pl, err := s.plan(ctx, forms)
	return &syncer.Batch{Plan: pl, Cursor: syncer.Cursor{Gone: map[string][]int64{plan.KindForm: gone}}}, err
}

// read reads forms by id (a keyset read just below each id); gone are the
// ids FormIt no longer has.
func (s *Source) read(ctx context.Context, ids []int64) (forms []shop.Form, gone []int64, err error) {
	for _, id := range ids {
		rows, err := s.shop.Forms(ctx, id-1, 1)
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

// plan decodes and maps forms (a form already linked is never sent twice:
// after a crash before the commit, the watermark brings back forms the
// pending queue just linked; only a task it owes is made), finds their
// deals after an unknown outcome, matches their contacts with every other
// source's, and plans them.
func (s *Source) plan(ctx context.Context, forms []shop.Form) (*plan.Plan, error) {
	pl := s.env.Plan(syncer.SourceForms, plan.KindForm)
	if len(forms) == 0 {
		return pl, nil
	}
	ids := make([]int64, len(forms))
	for i, f := range forms {
		ids[i] = f.ID
	}
	links, err := s.env.Ledger.Links(ctx, plan.LinkForm, ids)
	if err != nil {
		return nil, fmt.Errorf("read form links: %w", err)
	}
	owed, err := s.owedTasks(ctx, links)
	if err != nil {
		return nil, err
	}
	mapper, err := s.env.Mapper(ctx)
	if err != nil {
		return nil, err
	}
	var jobs []*plan.Form
	for i := range forms {
		f := &forms[i]
		if _, sent := links[f.ID]; sent && owed[f.ID] == nil {
			continue
		}
		rec := plan.Record{Kind: plan.KindForm, ID: f.ID, Title: f.Name}
		res, err := s.mapForm(mapper, f)
		if errors.Is(err, transform.ErrNoContact) {
			pl.Skip(syncer.SourceForms, rec, "contact", err.Error())
			continue
		}
		if ok, err := source.MapErr(pl, rec, "contact", err); !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if res.Task != nil && res.Task.CompleteTill == 0 { // a form without a date: due after now
			res.Task.CompleteTill = mapper.FormTaskDue(s.env.Now())
		}
		job := &plan.Form{Record: rec, Result: res, Key: "form:" + strconv.FormatInt(f.ID, 10)}
		if x := owed[f.ID]; x != nil {
			job.LeadID, job.Extras = links[f.ID].AmoID, *x
		}
		jobs = append(jobs, job)
	}
	fieldID, err := s.keyField(pl, jobs)
	if err != nil {
		return nil, err
	}
	if err := s.reconcile(ctx, jobs); err != nil {
		return nil, err
	}
	if err := s.readTasks(ctx, jobs); err != nil {
		return nil, err
	}
	var drafts []*transform.ContactDraft
	for _, j := range jobs {
		// amoCRM makes the contact of an incoming lead itself; a form sent
		// before has its contact.
		if j.Result.Unsorted == nil && j.LeadID == 0 {
			drafts = append(drafts, j.Result.Contact)
		}
	}
	if mapper, err = s.env.Mapper(ctx); err != nil {
		return nil, err
	}
	customers, of, err := s.env.Match.Customers(ctx, mapper, drafts)
	if err != nil {
		return nil, err
	}
	pl.AddForms(mapper, jobs, customers, of, fieldID, plan.FormFieldCode)
	return pl, nil
}

// mapForm decodes a form's values (FormIt may have encrypted them) and
// maps them; values that cannot be decoded are the record's bad data.
func (s *Source) mapForm(mapper *transform.Mapper, f *shop.Form) (*transform.FormResult, error) {
	raw, err := modx.FormValues(*f, s.key)
	if err != nil {
		return nil, &transform.RecordError{Field: "values", Err: err}
	}
	values, err := transform.FormValues(raw)
	if err != nil {
		return nil, err
	}
	return mapper.Form(f, values)
}

// keyField returns the id of the lead field holding a form's key, planning
// the field when the batch has deals or incoming leads to create and the
// account lacks it.
func (s *Source) keyField(pl *plan.Plan, jobs []*plan.Form) (int64, error) {
	for _, f := range s.env.Account.Meta().LeadFields {
		if f.Code == plan.FormFieldCode {
			return f.ID, nil
		}
	}
	if !slices.ContainsFunc(jobs, func(j *plan.Form) bool { return j.Result.Lead != nil || j.Result.Unsorted != nil }) {
		return 0, nil
	}
	spec := transform.FieldSpec{Name: plan.FormFieldName, Code: plan.FormFieldCode, Type: "text", Required: true}
	if _, err := s.env.Account.PlanFields(pl, []transform.FieldSpec{spec}, nil); err != nil {
		return 0, err
	}
	return pl.Field("lead", plan.FormFieldName).ID, nil
}

// reconcile looks up, by the form key, the deals and incoming leads of
// forms with a pending marker before anything is sent again.
func (s *Source) reconcile(ctx context.Context, jobs []*plan.Form) error {
	keys := map[int64]match.LeadKey{}
	for _, j := range jobs {
		if j.Result.Lead != nil || j.Result.Unsorted != nil {
			keys[j.Record.ID] = match.LeadKey{Code: plan.FormFieldCode, Value: j.Key}
		}
	}
	pending, found, err := s.env.FindPending(ctx, plan.KindForm, keys)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		j.Pending, j.Found = pending[j.Record.ID], found[j.Record.ID]
	}
	return nil
}

// owedTasks are the extras of linked forms whose deal owes its task (made
// while forms.task was on, its create's outcome still unknown or refused).
func (s *Source) owedTasks(ctx context.Context, links map[int64]plan.Link) (map[int64]*plan.Extras, error) {
	var linked []int64
	for id, l := range links {
		if l.AmoID > 0 {
			linked = append(linked, id)
		}
	}
	if !s.env.Config.Forms.Task.Enabled || len(linked) == 0 {
		return nil, nil
	}
	kind := plan.TaskKind(plan.KindForm)
	rows, err := s.env.Ledger.Links(ctx, kind, linked)
	if err != nil {
		return nil, fmt.Errorf("read %s links: %w", kind, err)
	}
	owed := map[int64]*plan.Extras{}
	for id, row := range rows {
		if x := (plan.Extras{Task: row}); x.TaskOwed() {
			owed[id] = &x
		}
	}
	return owed, nil
}

// readTasks reads the tasks of the deals whose task may have been made
// before: owing it, or found after an unknown outcome with the task marked
// as about to be made.
func (s *Source) readTasks(ctx context.Context, jobs []*plan.Form) error {
	if !s.env.Config.Forms.Task.Enabled {
		return nil
	}
	var found []int64
	for _, j := range jobs {
		if j.Found != nil {
			found = append(found, j.Record.ID)
		}
	}
	kind := plan.TaskKind(plan.KindForm)
	var marked map[string]map[int64]bool
	if len(found) > 0 {
		var err error
		if marked, err = s.env.Marked(ctx, found, kind); err != nil {
			return err
		}
	}
	var reads []source.ReadBack
	for _, j := range jobs {
		switch {
		case j.Found != nil && marked[kind][j.Record.ID]:
			reads = append(reads, source.ReadBack{LeadID: j.Found.ID, Extras: &j.Extras, Tasks: true})
		case j.LeadID != 0:
			reads = append(reads, source.ReadBack{LeadID: j.LeadID, Extras: &j.Extras, Tasks: true})
		}
	}
	return source.ReadBacks(ctx, s.crm, reads)
}
