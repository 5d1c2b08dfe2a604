package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/report"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

const metaSitePipeline = "site_pipeline_id"

// SitePipeline returns the id of the pipeline a run created (or adopted)
// for orders.pipeline_id = 0; ok is false before the first run.
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

// Account metadata (pipelines, users, custom fields) is cached in the
// state for accountTTL, so a pass with nothing to do asks amoCRM nothing. It
// is read again sooner when the config names something the cache lacks, or
// when amoCRM refuses a write (a field or status may be gone).
const (
	metaAccount = "account_meta"
	accountTTL  = time.Hour
)

// accountCache is the cached metadata as the state holds it.
type accountCache struct {
	FetchedAt     time.Time         `json:"fetched_at"`
	Pipelines     []crm.Pipeline    `json:"pipelines"`
	Users         []crm.User        `json:"users"`
	LeadFields    []crm.CustomField `json:"lead_fields"`
	ContactFields []crm.CustomField `json:"contact_fields"`
}

// loadMeta reads the account's metadata (from the cache while it is
// fresh) and the shop's statuses, settles the site pipeline when
// orders.pipeline_id = 0 (a step of its own, applied before any batch), and
// builds the mapper.
func (s *Syncer) loadMeta(ctx context.Context, p *pass) error {
	if err := s.loadAccount(ctx, p, false); err != nil {
		return err
	}
	statuses, err := s.src.OrderStatuses(ctx)
	if err != nil {
		return fmt.Errorf("read order statuses: %w", err)
	}
	site, err := s.src.Site(ctx)
	if err != nil {
		return fmt.Errorf("read site settings: %w", err)
	}
	p.meta.MS2Statuses, p.meta.SiteHost = statuses, site.Host
	p.meta.Currency, p.meta.CountUnit = "руб.", "шт."
	if s.cfg.Orders.Enabled && p.selected(SourceOrders) && s.cfg.Orders.PipelineID.IsZero() {
		if err := s.sitePipeline(ctx, p, site); err != nil {
			return err
		}
	}
	err = s.remap(p)
	if err != nil && p.metaCached {
		// The config may name a pipeline, status or user made since the
		// cache was filled: ask amoCRM before calling the config wrong.
		if err := s.loadAccount(ctx, p, true); err != nil {
			return err
		}
		err = s.remap(p)
	}
	return err
}

// loadAccount fills the pass's account metadata: from the cache unless
// fresh or the cache is stale, else from amoCRM (and caches it).
func (s *Syncer) loadAccount(ctx context.Context, p *pass, fresh bool) error {
	if !fresh {
		v, ok, err := s.store.Meta(ctx, metaAccount)
		if err != nil {
			return fmt.Errorf("read cached account metadata: %w", err)
		}
		var c accountCache
		if ok && json.Unmarshal([]byte(v), &c) == nil && p.now().Sub(c.FetchedAt) < accountTTL && len(c.Pipelines) > 0 {
			p.meta.Pipelines, p.meta.Users, p.meta.LeadFields, p.meta.ContactFields = c.Pipelines, c.Users, c.LeadFields, c.ContactFields
			p.metaCached = true
			return nil
		}
	}
	var err error
	if p.meta.Pipelines, err = s.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	if p.meta.Users, err = s.crm.Users(ctx); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	if p.meta.LeadFields, err = s.crm.LeadFields(ctx); err != nil {
		return fmt.Errorf("read lead fields: %w", err)
	}
	if p.meta.ContactFields, err = s.crm.ContactFields(ctx); err != nil {
		return fmt.Errorf("read contact fields: %w", err)
	}
	p.metaCached = false
	return s.saveAccount(ctx, p)
}

// saveAccount caches the pass's account metadata; a dry run, whose
// metadata holds what it would create, caches nothing.
func (s *Syncer) saveAccount(ctx context.Context, p *pass) error {
	if p.dry != nil {
		return nil
	}
	v, err := json.Marshal(accountCache{FetchedAt: p.now().UTC(), Pipelines: p.meta.Pipelines, Users: p.meta.Users,
		LeadFields: p.meta.LeadFields, ContactFields: p.meta.ContactFields})
	if err != nil {
		return fmt.Errorf("cache account metadata: %w", err)
	}
	if err := s.store.SetMeta(ctx, metaAccount, string(v)); err != nil {
		return fmt.Errorf("cache account metadata: %w", err)
	}
	return nil
}

// refreshAccount reads the metadata again after amoCRM refused writes made
// with cached metadata: a field or status may be gone.
func (s *Syncer) refreshAccount(ctx context.Context, p *pass) error {
	if !p.metaCached {
		return nil
	}
	s.log.Info("amoCRM refused writes made with cached account metadata; reading it again", "source", "meta")
	if err := s.loadAccount(ctx, p, true); err != nil {
		return err
	}
	if p.meta.SitePipelineID != 0 && plan.FindPipeline(p.meta.Pipelines, p.meta.SitePipelineID) == nil {
		return fmt.Errorf("the site pipeline %d is gone from amoCRM; the next pass makes it again", p.meta.SitePipelineID)
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

// sitePipeline is the old extra's zero-config path: a pipeline named after
// the site whose statuses mirror miniShop2's. The one remembered in our
// state is used; else one already in the account under the site's name is
// adopted (a fresh state on an account the extra or an earlier install set
// up); else it is created. MODX is never written.
func (s *Syncer) sitePipeline(ctx context.Context, p *pass, site modx.SiteFacts) error {
	step, err := DecideSitePipeline(ctx, s.store, p.meta.Pipelines, p.meta.MS2Statuses, site.Name, s.cfg.Orders.AutoUpdatePipelines)
	if err != nil {
		return err
	}
	if step.Action == report.Create && p.dry != nil {
		// Plan as if it existed, so the report shows where deals would go.
		step.ID = p.dry.nextID()
		p.meta.Pipelines = append(p.meta.Pipelines, plannedPipeline(step))
	}
	if p.dry == nil {
		if err := s.applyPipeline(ctx, p, step); err != nil {
			return err
		}
	}
	p.meta.SitePipelineID = step.ID
	pl := &plan.Plan{Source: SourceOrders, Pipeline: step}
	return p.record(pl, plan.Writes{})
}

// applyPipeline creates the site pipeline, or adds its missing statuses,
// and remembers its id; amoCRM adds its own system statuses, so the
// pipelines are read back.
func (s *Syncer) applyPipeline(ctx context.Context, p *pass, step *plan.Pipeline) error {
	switch {
	case step.Action == report.Create:
		var statuses []crm.Status
		for i, n := range step.Statuses {
			statuses = append(statuses, crm.Status{Name: n, Sort: int64(10 * (i + 1))})
		}
		created, err := s.crm.CreatePipelines(ctx, []crm.Pipeline{{Name: step.Name, Sort: 100,
			Embedded: &crm.PipelineEmbedded{Statuses: statuses}}})
		if err != nil {
			return fmt.Errorf("create pipeline %q (or set orders.pipeline_id to an existing pipeline): %w", step.Name, err)
		}
		if len(created) != 1 || created[0].ID == 0 {
			return fmt.Errorf("create pipeline %q: no id in the response", step.Name)
		}
		step.ID = created[0].ID
		s.log.Info("created site pipeline", "pipeline_id", step.ID, "name", step.Name)
	case len(step.Add) > 0:
		var add []crm.Status
		for i, n := range step.Add {
			add = append(add, crm.Status{Name: n, Sort: int64(1000 + i)})
		}
		if _, err := s.crm.AddStatuses(ctx, step.ID, add); err != nil {
			return fmt.Errorf("add statuses to pipeline %d: %w", step.ID, err)
		}
	}
	if !step.Known {
		if err := s.store.SetMeta(ctx, metaSitePipeline, strconv.FormatInt(step.ID, 10)); err != nil {
			return fmt.Errorf("remember site pipeline %d: %w", step.ID, err)
		}
	}
	if step.Action == report.Unchanged && len(step.Add) == 0 {
		return nil
	}
	var err error
	if p.meta.Pipelines, err = s.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	return s.saveAccount(ctx, p)
}

// DecideSitePipeline settles the site pipeline step against the account's
// pipelines: the one our state remembers, else one of the site's name
// (adopted), else a new one. `run` and `check` both decide with it.
func DecideSitePipeline(ctx context.Context, store *state.Store, pipelines []crm.Pipeline, statuses []shop.OrderStatus, siteName string, autoUpdate bool) (*plan.Pipeline, error) {
	name := siteName
	if name == "" {
		name = "MODX"
	}
	step := &plan.Pipeline{Name: name, Statuses: statusNames(sendableStatuses(statuses))}
	if id, ok, err := SitePipeline(ctx, store); err != nil {
		return nil, fmt.Errorf("read site pipeline id: %w", err)
	} else if ok && plan.FindPipeline(pipelines, id) != nil {
		step.ID, step.Known = id, true
	}
	if !step.Known {
		for _, pl := range pipelines {
			if strings.EqualFold(strings.TrimSpace(pl.Name), name) {
				step.ID = pl.ID
				break
			}
		}
	}
	step.Decide(pipelines, autoUpdate)
	return step, nil
}

// plannedPipeline is the pipeline a dry run would create under step.ID (a
// made-up negative id), with the system statuses amoCRM adds; its statuses
// get made-up ids below it, keeping amoCRM's fixed 142 and 143.
func plannedPipeline(step *plan.Pipeline) crm.Pipeline {
	status := func(i int, st crm.Status) crm.Status {
		st.PipelineID = step.ID
		if st.ID == 0 {
			st.ID = step.ID*1_000_000 - int64(i)
		}
		return st
	}
	statuses := []crm.Status{status(0, crm.Status{Name: "Неразобранное", Type: crm.StatusTypeUnsorted})}
	for i, n := range step.Statuses {
		statuses = append(statuses, status(i+1, crm.Status{Name: n, Sort: int64(10 * (i + 1))}))
	}
	statuses = append(statuses,
		status(0, crm.Status{ID: crm.StatusWon, Name: "Успешно реализовано"}),
		status(0, crm.Status{ID: crm.StatusLost, Name: "Закрыто и не реализовано"}))
	return crm.Pipeline{ID: step.ID, Name: step.Name, Sort: 100, Embedded: &crm.PipelineEmbedded{Statuses: statuses}}
}

// sendableStatuses are the miniShop2 statuses a deal can be in: active ones.
func sendableStatuses(all []shop.OrderStatus) []shop.OrderStatus {
	var out []shop.OrderStatus
	for _, st := range all {
		if st.Active {
			out = append(out, st)
		}
	}
	return out
}

func statusNames(sts []shop.OrderStatus) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = st.Name
	}
	return out
}

// planFields adds to pl the custom fields its records need and the account
// lacks (auto_create_fields), with made-up ids in the pass's metadata, and
// rebuilds the mapper: the batch is then mapped again and its payloads
// carry the planned ids until the fields exist (applyFields).
func (s *Syncer) planFields(p *pass, pl *plan.Plan, lead, contact []transform.FieldSpec) (bool, error) {
	added := false
	for _, set := range []struct {
		entity string
		specs  []transform.FieldSpec
		fields *[]crm.CustomField
	}{
		{"lead", lead, &p.meta.LeadFields},
		{"contact", contact, &p.meta.ContactFields},
	} {
		for _, spec := range set.specs {
			if pl.Field(set.entity, spec.Name) != nil {
				continue
			}
			f := &plan.Field{Source: pl.Source, Entity: set.entity, Spec: spec, ID: s.plannedFieldID(p)}
			pl.Fields = append(pl.Fields, f)
			*set.fields = append(*set.fields, crm.CustomField{ID: f.ID, Name: spec.Name, Code: spec.Code, Type: spec.Type})
			added = true
		}
	}
	if !added {
		return false, nil
	}
	return true, s.remap(p)
}

// plannedFieldID is a made-up negative id for a field still to be created.
func (s *Syncer) plannedFieldID(p *pass) int64 {
	if p.dry != nil {
		return p.dry.nextID()
	}
	p.fieldSeq--
	return p.fieldSeq
}

// applyFields creates the plan's fields, puts their real ids in every
// payload of the plan and in the pass's metadata, and rebuilds the mapper.
func (s *Syncer) applyFields(ctx context.Context, p *pass, pl *plan.Plan) error {
	if len(pl.Fields) == 0 {
		return nil
	}
	ids := map[int64]int64{}
	for _, set := range []struct {
		entity string
		create func(context.Context, []crm.CustomField) ([]crm.CustomField, error)
		read   func(context.Context) ([]crm.CustomField, error)
		fields *[]crm.CustomField
	}{
		{"lead", s.crm.CreateLeadFields, s.crm.LeadFields, &p.meta.LeadFields},
		{"contact", s.crm.CreateContactFields, s.crm.ContactFields, &p.meta.ContactFields},
	} {
		var todo []*plan.Field
		var want []crm.CustomField
		for _, f := range pl.Fields {
			if f.Entity == set.entity {
				todo = append(todo, f)
				want = append(want, crm.CustomField{Name: f.Spec.Name, Code: f.Spec.Code, Type: f.Spec.Type})
			}
		}
		if len(todo) == 0 {
			continue
		}
		created, err := set.create(ctx, want)
		var refused *amocrm.ValidationError
		createErr := func() error {
			return fmt.Errorf("create %s fields (turn off auto_create_fields if the account's plan does not allow it): %w", set.entity, err)
		}
		switch {
		case errors.Is(err, amocrm.ErrOutcomeUnknown), errors.As(err, &refused):
			// Fields are found by name: read them back instead of creating
			// them twice. A refusal may be of names an interrupted run
			// created after the metadata was cached (not unique).
			var rerr error
			if created, rerr = set.read(ctx); rerr != nil {
				return fmt.Errorf("read %s fields: %w", set.entity, rerr)
			}
		case err != nil:
			return createErr()
		}
		for _, f := range todo {
			for _, c := range created {
				if c.Name == f.Spec.Name && c.ID > 0 {
					ids[f.ID] = c.ID
				}
			}
			switch {
			case ids[f.ID] != 0:
			case refused != nil:
				return createErr()
			default:
				return fmt.Errorf("create %s field %q: not in amoCRM's answer", set.entity, f.Spec.Name)
			}
		}
		for i := range *set.fields {
			if id, ok := ids[(*set.fields)[i].ID]; ok {
				(*set.fields)[i].ID = id
			}
		}
	}
	pl.ResolveFieldIDs(ids)
	if err := s.saveAccount(ctx, p); err != nil {
		return err
	}
	return s.remap(p)
}
