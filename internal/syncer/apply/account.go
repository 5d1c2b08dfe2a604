package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// pipelineCRM is what the site pipeline's write calls.
type pipelineCRM interface {
	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	CreatePipelines(ctx context.Context, pipelines []crm.Pipeline) ([]crm.Pipeline, error)
	AddStatuses(ctx context.Context, pipelineID int64, statuses []crm.Status) ([]crm.Status, error)
}

// sitePipeline creates the site pipeline, or adds its missing statuses;
// amoCRM adds its own system statuses, so the pipelines are read back.
type sitePipeline struct {
	crm pipelineCRM
	log *slog.Logger
}

func (s sitePipeline) write(ctx context.Context, pl *plan.Plan) error {
	step := pl.Pipeline
	if step == nil {
		return nil
	}
	switch {
	case step.Action == plan.Create:
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
	default:
		step.Written = true
		return nil
	}
	after, err := s.crm.Pipelines(ctx)
	if err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	step.After, step.Written = after, true
	return nil
}

// fieldCRM is what the fields' creates call.
type fieldCRM interface {
	LeadFields(ctx context.Context) ([]crm.CustomField, error)
	ContactFields(ctx context.Context) ([]crm.CustomField, error)
	CreateLeadFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error)
	CreateContactFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error)
}

// fieldCreates create the plan's fields and puts their real ids in every payload
// of the plan and in the account's metadata. Fields are found by name: after
// an unknown outcome, or a refusal of names an interrupted run created
// after the metadata was cached (not unique), they are read back instead of
// made twice.
type fieldCreates struct {
	crm     fieldCRM
	account fieldsMade
}

// fieldsMade tells the account the ids of the fields made
// (*account.Account).
type fieldsMade interface {
	FieldsMade(ctx context.Context, ids map[int64]int64) error
}

func (f fieldCreates) write(ctx context.Context, pl *plan.Plan) error {
	if len(pl.Fields) == 0 {
		return nil
	}
	ids := map[int64]int64{}
	for _, set := range []struct {
		entity string
		create func(context.Context, []crm.CustomField) ([]crm.CustomField, error)
		read   func(context.Context) ([]crm.CustomField, error)
	}{
		{"lead", f.crm.CreateLeadFields, f.crm.LeadFields},
		{"contact", f.crm.CreateContactFields, f.crm.ContactFields},
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
	}
	pl.ResolveFieldIDs(ids)
	return f.account.FieldsMade(ctx, ids)
}
