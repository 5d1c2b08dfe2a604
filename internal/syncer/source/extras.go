package source

import (
	"context"
	"fmt"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// ReadBackCRM is what reading back a deal's products and tasks asks of
// amoCRM.
type ReadBackCRM interface {
	LeadsCatalogElements(ctx context.Context, ids []int64) (map[int64][]crm.ElementLink, error)
	TasksOfLeads(ctx context.Context, leadIDs []int64) ([]crm.Task, error)
}

// ReadBack is one deal whose products or task may have been written
// before: a deal found after an unknown outcome, or one that owes them.
type ReadBack struct {
	LeadID          int64
	Extras          *plan.Extras
	Products, Tasks bool // what to read
}

// ReadBacks reads what the deals hold of their products and tasks into
// their extras: 100 deals a request for each.
func ReadBacks(ctx context.Context, c ReadBackCRM, rs []ReadBack) error {
	var linked, tasked []int64
	for _, r := range rs {
		if r.Products {
			linked = append(linked, r.LeadID)
		}
		if r.Tasks {
			tasked = append(tasked, r.LeadID)
		}
	}
	var elements map[int64][]crm.ElementLink
	var tasks []crm.Task
	var err error
	if len(linked) > 0 {
		if elements, err = c.LeadsCatalogElements(ctx, slices.Compact(slices.Sorted(slices.Values(linked)))); err != nil {
			return fmt.Errorf("read back the products of %d deals: %w", len(linked), err)
		}
	}
	if len(tasked) > 0 {
		if tasks, err = c.TasksOfLeads(ctx, slices.Compact(slices.Sorted(slices.Values(tasked)))); err != nil {
			return fmt.Errorf("read back the tasks of %d deals: %w", len(tasked), err)
		}
	}
	for _, r := range rs {
		if r.Products {
			r.Extras.Linked, r.Extras.LinkedRead = elements[r.LeadID], true
		}
		if r.Tasks {
			r.Extras.Tasks, r.Extras.TasksRead = nil, true
			for _, t := range tasks {
				if t.EntityID == r.LeadID {
					r.Extras.Tasks = append(r.Extras.Tasks, t)
				}
			}
		}
	}
	return nil
}

// Marked returns which of ids have a pending marker, by marker kind.
func (e *Env) Marked(ctx context.Context, ids []int64, kinds ...string) (map[string]map[int64]bool, error) {
	out := map[string]map[int64]bool{}
	for _, kind := range kinds {
		marks, err := e.Ledger.Pending(ctx, kind)
		if err != nil {
			return nil, fmt.Errorf("read pending %s: %w", kind, err)
		}
		out[kind] = map[int64]bool{}
		for _, m := range marks {
			if slices.Contains(ids, m.SourceID) {
				out[kind][m.SourceID] = true
			}
		}
	}
	return out, nil
}
