package account

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// MetaSitePipeline keeps the id of the pipeline a run created (or adopted)
// for orders.pipeline_id = 0.
const MetaSitePipeline = plan.MetaSitePipeline

// sitePipeline is the pass's site pipeline step, until the mapper takes it.
type sitePipeline struct {
	step    *plan.Pipeline
	planned bool // handed to the orders source as a plan
}

// settled reports whether the step needs no write, or its write is done.
func (s *sitePipeline) settled() bool {
	return s.step.Action == plan.Unchanged && len(s.step.Add) == 0 || s.step.ID != 0 && s.step.Written
}

// SitePipelineID returns the id of the pipeline a run created (or adopted)
// for orders.pipeline_id = 0; ok is false before the first run.
func SitePipelineID(ctx context.Context, l Ledger) (id int64, ok bool, err error) {
	v, ok, err := l.Meta(ctx, MetaSitePipeline)
	if err != nil || !ok {
		return 0, false, err
	}
	id, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("site pipeline id %q: %w", v, err)
	}
	return id, true, nil
}

// decideSitePipeline settles the old extra's zero-config path: a pipeline
// named after the site whose statuses mirror the shop's. The one
// remembered in our state is used; else one already in the account under
// the site's name is adopted (a fresh state on an account the extra or an
// earlier install set up); else it is created. MODX is never written.
func (a *Account) decideSitePipeline(ctx context.Context, site shop.SiteFacts) error {
	step, err := DecideSitePipeline(ctx, a.ledger, a.meta.Pipelines, a.meta.MS2Statuses, site.Name, a.cfg.Orders.AutoUpdatePipelines)
	if err != nil {
		return err
	}
	a.site = &sitePipeline{step: step}
	if a.site.settled() {
		a.meta.SitePipelineID = step.ID
	}
	return nil
}

// SitePipeline returns, once a pass, the plan of the site pipeline step
// (nil when orders.pipeline_id names a pipeline): written before any batch
// is planned, and reported even when it writes nothing but has something
// to say (adopted, statuses missing).
func (a *Account) SitePipeline() *plan.Plan {
	if a.site == nil || a.site.planned {
		return nil
	}
	a.site.planned = true
	pl := plan.New(plan.SourceOrders, "", &a.meta)
	pl.Pipeline = a.site.step
	return pl
}

// takeSitePipeline moves the written step into the metadata: the
// account's pipelines after it, and its id.
func (a *Account) takeSitePipeline(ctx context.Context) error {
	s := a.site
	if s == nil {
		return nil
	}
	if !s.settled() {
		return fmt.Errorf("planned before the site pipeline step was written")
	}
	a.site = nil
	a.meta.SitePipelineID = s.step.ID
	if s.step.After == nil {
		return nil
	}
	a.meta.Pipelines = s.step.After
	return a.save(ctx)
}

// DecideSitePipeline settles the site pipeline step against the account's
// pipelines: the one our state remembers, else one of the site's name
// (adopted), else a new one. `run` and `check` both decide with it.
func DecideSitePipeline(ctx context.Context, l Ledger, pipelines []crm.Pipeline, statuses []shop.OrderStatus, siteName string, autoUpdate bool) (*plan.Pipeline, error) {
	name := siteName
	if name == "" {
		name = "MODX"
	}
	step := &plan.Pipeline{Name: name, Statuses: activeNames(statuses)}
	if id, ok, err := SitePipelineID(ctx, l); err != nil {
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

// activeNames are the names of the shop statuses a deal can be in: the
// active ones.
func activeNames(all []shop.OrderStatus) []string {
	var out []string
	for _, st := range all {
		if st.Active {
			out = append(out, st.Name)
		}
	}
	return out
}
