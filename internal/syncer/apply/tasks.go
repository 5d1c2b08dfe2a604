package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// taskCRM is what the tasks' creates call.
type taskCRM interface {
	CreateTasks(ctx context.Context, tasks []crm.Task) ([]crm.Task, error)
	TasksOfLeads(ctx context.Context, leadIDs []int64) ([]crm.Task, error)
}

// taskCreates make the tasks of the batch's deals (plan.Tasking), many a
// request, a pending marker per deal first. After an unknown outcome the
// deals' tasks are read: a task found there is taken as made, the others
// are owed and looked for again next pass before anything is made.
type taskCreates struct {
	crm    taskCRM
	ledger marker
	log    *slog.Logger
}

func (tc taskCreates) write(ctx context.Context, pl *plan.Plan) error {
	todo := pl.Tasking()
	if len(todo) == 0 {
		return nil
	}
	if err := markDeals(ctx, tc.ledger, plan.TaskKind(pl.Kind), todo, nil); err != nil {
		return fmt.Errorf("create tasks: %w", err)
	}
	err := sendRefusable(ctx, todo, func(ctx context.Context, ds []*plan.Deal) error {
		tasks := make([]crm.Task, len(ds))
		for i, d := range ds {
			tasks[i] = d.Task.Want
			tasks[i].RequestID = strconv.Itoa(i)
		}
		created, err := tc.crm.CreateTasks(ctx, tasks)
		for _, t := range created {
			if i, ok := requestIndex(t.RequestID, len(ds)); ok {
				ds[i].Task.ID = t.ID
			}
		}
		return err
	}, func(d *plan.Deal) bool { return d.Task.ID != 0 }, func(d *plan.Deal, _ []amocrm.ItemError, reason string) {
		d.Task.Refused = "amoCRM refused the task: " + reason
	})
	switch {
	case errors.Is(err, amocrm.ErrOutcomeUnknown):
		return tc.find(ctx, todo)
	case err != nil:
		return fmt.Errorf("create tasks: %w", err)
	}
	return nil
}

// find looks for the tasks that got no answer on their deals.
func (tc taskCreates) find(ctx context.Context, ds []*plan.Deal) error {
	var lost []*plan.Deal
	var ids []int64
	for _, d := range ds {
		if d.Task.ID == 0 && d.Task.Refused == "" {
			lost = append(lost, d)
			ids = append(ids, d.ID)
		}
	}
	have, err := tc.crm.TasksOfLeads(ctx, ids)
	if err := tolerate(tc.log, err, "task lookup after an unknown outcome failed; looked up again next pass",
		"source", lost[0].Source, "deals", len(lost)); err != nil {
		return err
	}
	for _, d := range lost {
		for _, t := range have {
			if d.Task.Is(t) {
				d.Task.ID = t.ID
			}
		}
		d.Task.Unknown = d.Task.ID == 0
	}
	return nil
}
