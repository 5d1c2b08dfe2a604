package apply

import (
	"context"
	"fmt"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// leadUpdater PATCHes deals.
type leadUpdater interface {
	UpdateLeads(ctx context.Context, leads []crm.Lead) error
}

// dealUpdates PATCH re-sent, moved and edited deals (safe to retry, so
// the client does), 50 a request; an edit whose products alone changed
// has nothing to PATCH.
type dealUpdates struct {
	crm leadUpdater
}

func (u dealUpdates) write(ctx context.Context, pl *plan.Plan) error {
	var todo []*plan.Deal
	for _, d := range pl.Deals {
		if d.Mode == plan.Resend || d.Mode == plan.Move || d.Patches() {
			todo = append(todo, d)
		}
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, ds []*plan.Deal) error {
		leads := make([]crm.Lead, len(ds))
		for i, d := range ds {
			leads[i] = d.Lead
			if d.Mode == plan.Move {
				leads[i] = crm.Lead{ID: d.Lead.ID, PipelineID: d.Lead.PipelineID, StatusID: d.To}
			}
			leads[i].RequestID = strconv.Itoa(i)
		}
		return u.crm.UpdateLeads(ctx, leads)
	}, never, func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Refused = "amoCRM refused the update: " + reason
	})
	if err != nil {
		return fmt.Errorf("update deals: %w", err)
	}
	return nil
}
