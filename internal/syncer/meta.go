package syncer

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaSitePipeline = "site_pipeline_id"

// SitePipeline returns the id of the pipeline a run created for
// orders.pipeline_id = 0; ok is false before the first run created it.
func SitePipeline(ctx context.Context, store *state.Store) (id int64, ok bool, err error) {
	v, ok, err := store.Meta(ctx, metaSitePipeline)
	if err != nil || !ok {
		return 0, false, err
	}
	id, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("site pipeline id %q: %w", v, err)
	}
	return id, true, nil
}

// loadMeta reads the account's pipelines, users and fields and the shop's
// statuses, makes sure the site pipeline exists when orders.pipeline_id = 0,
// and builds the mapper.
func (s *Syncer) loadMeta(ctx context.Context, p *pass) error {
	var m transform.Meta
	var err error
	if m.Pipelines, err = s.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	if m.Users, err = s.crm.Users(ctx); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	if m.LeadFields, err = s.crm.LeadFields(ctx); err != nil {
		return fmt.Errorf("read lead fields: %w", err)
	}
	if m.ContactFields, err = s.crm.ContactFields(ctx); err != nil {
		return fmt.Errorf("read contact fields: %w", err)
	}
	if m.MS2Statuses, err = s.src.OrderStatuses(ctx); err != nil {
		return fmt.Errorf("read order statuses: %w", err)
	}
	site, err := s.src.Site(ctx)
	if err != nil {
		return fmt.Errorf("read site settings: %w", err)
	}
	m.SiteHost = site.Host
	m.Currency, m.CountUnit = "руб.", "шт."
	p.meta = m
	if s.cfg.Orders.Enabled && p.selected(SourceOrders) && s.cfg.Orders.PipelineID.IsZero() {
		if err := s.ensureSitePipeline(ctx, p, site); err != nil {
			return err
		}
	}
	return s.remap(p)
}

// remap rebuilds the mapper after the metadata changed.
func (s *Syncer) remap(p *pass) error {
	mapper, err := transform.NewMapper(s.cfg, p.meta)
	if err != nil {
		return fmt.Errorf("config does not fit the account: %w", err)
	}
	p.mapper = mapper
	return nil
}

// ensureSitePipeline is the old extra's zero-config path: a pipeline named
// after the site whose statuses mirror miniShop2's, created once and
// remembered in our state (MODX is never written).
func (s *Syncer) ensureSitePipeline(ctx context.Context, p *pass, site modx.SiteFacts) error {
	name := site.Name
	if name == "" {
		name = "MODX"
	}
	if id, ok, err := SitePipeline(ctx, s.store); err != nil {
		return fmt.Errorf("read site pipeline id: %w", err)
	} else if ok {
		if pl := findPipeline(p.meta.Pipelines, id); pl != nil {
			p.meta.SitePipelineID = id
			if s.cfg.Orders.AutoUpdatePipelines {
				return s.addMissingStatuses(ctx, p, *pl)
			}
			return nil
		}
		// Deleted in amoCRM: fall through and create it again.
	}
	var statuses []amocrm.Status
	for i, st := range sendableStatuses(p.meta.MS2Statuses) {
		statuses = append(statuses, amocrm.Status{Name: st.Name, Sort: int64(10 * (i + 1))})
	}
	want := amocrm.Pipeline{Name: name, Sort: 100, IsUnsortedOn: false, Embedded: &amocrm.PipelineEmbedded{Statuses: statuses}}
	entry := report.Entry{Source: SourceOrders, Kind: "pipeline", Key: "pipeline:" + name, Action: report.Create, Title: name}
	for _, st := range statuses {
		entry.Changes = append(entry.Changes, report.Change{Field: "status", New: st.Name})
	}
	if p.opts.DryRun {
		// Plan as if it existed, so the report shows where deals would go.
		p.meta.Pipelines = append(p.meta.Pipelines, plannedPipeline(want))
		p.meta.SitePipelineID = plannedID
		return p.record(entry)
	}
	created, err := s.crm.CreatePipelines(ctx, []amocrm.Pipeline{want})
	if err != nil {
		return fmt.Errorf("create pipeline %q: %w", name, err)
	}
	if len(created) != 1 || created[0].ID == 0 {
		return fmt.Errorf("create pipeline %q: no id in the response", name)
	}
	id := created[0].ID
	if err := s.store.SetMeta(ctx, metaSitePipeline, strconv.FormatInt(id, 10)); err != nil {
		return fmt.Errorf("remember site pipeline %d: %w", id, err)
	}
	s.log.Info("created site pipeline", "pipeline_id", id, "name", name)
	entry.AmoID = id
	if err := p.record(entry); err != nil {
		return err
	}
	// Read it back: amoCRM adds its own system statuses (unsorted, 142, 143).
	if p.meta.Pipelines, err = s.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	p.meta.SitePipelineID = id
	return nil
}

// plannedID marks what a dry run would create: amoCRM ids are positive, so
// a negative one never collides, and reads never ask for it.
const plannedID = -1

// plannedPipeline is the pipeline a dry run would create, with the system
// statuses amoCRM adds and made-up negative status ids.
func plannedPipeline(want amocrm.Pipeline) amocrm.Pipeline {
	pl := want
	pl.ID = plannedID
	statuses := []amocrm.Status{{ID: plannedID, Name: "Неразобранное", Type: amocrm.StatusTypeUnsorted, PipelineID: plannedID}}
	for i, st := range want.Statuses() {
		st.ID = plannedID - int64(i) - 1
		st.PipelineID = plannedID
		statuses = append(statuses, st)
	}
	statuses = append(statuses,
		amocrm.Status{ID: amocrm.StatusWon, Name: "Успешно реализовано", PipelineID: plannedID},
		amocrm.Status{ID: amocrm.StatusLost, Name: "Закрыто и не реализовано", PipelineID: plannedID})
	pl.Embedded = &amocrm.PipelineEmbedded{Statuses: statuses}
	return pl
}

// addMissingStatuses keeps the site pipeline's statuses in step with
// miniShop2's (orders.auto_update_pipelines): statuses are matched by name
// and only added, never renamed or removed, so managers' deals stay put.
func (s *Syncer) addMissingStatuses(ctx context.Context, p *pass, pl amocrm.Pipeline) error {
	have := map[string]bool{}
	for _, st := range pl.Statuses() {
		have[st.Name] = true
	}
	var add []amocrm.Status
	for _, st := range sendableStatuses(p.meta.MS2Statuses) {
		if !have[st.Name] {
			add = append(add, amocrm.Status{Name: st.Name, Sort: 1000 + st.Rank})
		}
	}
	if len(add) == 0 {
		return nil
	}
	for _, st := range add {
		if err := p.record(report.Entry{Source: SourceOrders, Kind: "status", Key: "status:" + st.Name, Action: report.Create, Title: st.Name, AmoID: pl.ID}); err != nil {
			return err
		}
	}
	if p.opts.DryRun {
		return nil
	}
	if _, err := s.crm.AddStatuses(ctx, pl.ID, add); err != nil {
		return fmt.Errorf("add statuses to pipeline %d: %w", pl.ID, err)
	}
	var err error
	if p.meta.Pipelines, err = s.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	return nil
}

// sendableStatuses are the miniShop2 statuses a deal can be in: active ones.
func sendableStatuses(all []modx.OrderStatus) []modx.OrderStatus {
	var out []modx.OrderStatus
	for _, st := range all {
		if st.Active {
			out = append(out, st)
		}
	}
	return out
}

func findPipeline(ps []amocrm.Pipeline, id int64) *amocrm.Pipeline {
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i]
		}
	}
	return nil
}

// ensureFields creates the custom fields the batch's records need and the
// account lacks (auto_create_fields), then rebuilds the mapper. It reports
// whether anything changed, so the caller maps its batch again. A dry run
// reports "would create" once per field and changes nothing.
func (s *Syncer) ensureFields(ctx context.Context, p *pass, source string, lead, contact []transform.FieldSpec) (bool, error) {
	lead, contact = p.newFieldSpecs("lead", lead), p.newFieldSpecs("contact", contact)
	if len(lead)+len(contact) == 0 {
		return false, nil
	}
	for _, set := range []struct {
		entity string
		specs  []transform.FieldSpec
		create func(context.Context, []amocrm.CustomField) ([]amocrm.CustomField, error)
		read   func(context.Context) ([]amocrm.CustomField, error)
		fields *[]amocrm.CustomField
	}{
		{"lead", lead, s.crm.CreateLeadFields, s.crm.LeadFields, &p.meta.LeadFields},
		{"contact", contact, s.crm.CreateContactFields, s.crm.ContactFields, &p.meta.ContactFields},
	} {
		if len(set.specs) == 0 {
			continue
		}
		var want []amocrm.CustomField
		for _, f := range set.specs {
			want = append(want, amocrm.CustomField{Name: f.Name, Code: f.Code, Type: f.Type})
		}
		var created []amocrm.CustomField
		if !p.opts.DryRun {
			var err error
			created, err = set.create(ctx, want)
			switch {
			case errors.Is(err, amocrm.ErrOutcomeUnknown):
				// Fields are found by name and code: read them back instead of
				// creating them twice.
				if *set.fields, err = set.read(ctx); err != nil {
					return false, fmt.Errorf("read %s fields: %w", set.entity, err)
				}
				created = nil
			case err != nil:
				return false, fmt.Errorf("create %s fields (turn off auto_create_fields if the account's plan does not allow it): %w", set.entity, err)
			default:
				*set.fields = append(*set.fields, created...)
			}
		}
		for i, f := range want {
			e := report.Entry{Source: source, Kind: "field", Key: "field:" + set.entity + ":" + f.Name, Action: report.Create, Title: f.Name,
				Changes: []report.Change{{Field: "type", New: f.Type}, {Field: "entity", New: set.entity + "s"}}}
			if i < len(created) {
				e.AmoID = created[i].ID
			}
			if err := p.record(e); err != nil {
				return false, err
			}
		}
	}
	if p.opts.DryRun {
		return false, nil
	}
	return true, s.remap(p)
}

// newFieldSpecs drops specs already handled in this pass, so a dry run
// reports each missing field once.
func (p *pass) newFieldSpecs(entity string, specs []transform.FieldSpec) []transform.FieldSpec {
	if p.fieldsSeen == nil {
		p.fieldsSeen = map[string]bool{}
	}
	var out []transform.FieldSpec
	for _, f := range specs {
		k := entity + "\x00" + f.Name
		if p.fieldsSeen[k] {
			continue
		}
		p.fieldsSeen[k] = true
		out = append(out, f)
	}
	return out
}
