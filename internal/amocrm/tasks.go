package amocrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// CreateTasks creates tasks, Config.BatchSize a request, and returns them
// with their ids, matched by request_id (an empty one is set to the index).
// A lost answer is *OutcomeUnknownError: look for the task on its deal
// (TasksOfLeads) before creating it again.
func (c *Client) CreateTasks(ctx context.Context, tasks []crm.Task) ([]crm.Task, error) {
	return createItems(ctx, c, "tasks", "/api/v4/tasks", "tasks", tasks,
		func(x *crm.Task) *string { return &x.RequestID }, func(x *crm.Task) *int64 { return &x.ID })
}

// TasksOfLeads lists the tasks of deals, 100 deals a request
// (filter[entity_type]=leads&filter[entity_id][], the tasks method's own
// filters: amocrm.ru crm_platform/tasks-api). An answer holding a task of
// another entity means the filter was not applied, and is an error rather
// than a wrong list.
func (c *Client) TasksOfLeads(ctx context.Context, leadIDs []int64) ([]crm.Task, error) {
	var out []crm.Task
	for start := 0; start < len(leadIDs); start += idsPerRequest {
		chunk := leadIDs[start:min(start+idsPerRequest, len(leadIDs))]
		q := url.Values{"filter[entity_type]": {"leads"}}
		asked := make(map[int64]bool, len(chunk))
		for _, id := range chunk {
			q.Add("filter[entity_id][]", strconv.FormatInt(id, 10))
			asked[id] = true
		}
		tasks, err := listAll[crm.Task](ctx, c, "tasks", "/api/v4/tasks", "tasks", q)
		if err != nil {
			return out, err
		}
		for _, t := range tasks {
			if t.EntityType != "leads" || !asked[t.EntityID] {
				return out, fmt.Errorf("tasks: the account ignored filter[entity_id], answering task %d of %s %d", t.ID, t.EntityType, t.EntityID)
			}
		}
		out = append(out, tasks...)
	}
	return out, nil
}

// TaskTypes lists the account's task types (GET
// /api/v4/account?with=task_types): 1 and 2 and those the account added.
func (c *Client) TaskTypes(ctx context.Context) ([]crm.TaskType, error) {
	var a struct {
		Embedded struct {
			TaskTypes []crm.TaskType `json:"task_types"`
		} `json:"_embedded"`
	}
	q := url.Values{"with": {"task_types"}}
	if _, err := c.do(ctx, call{class: "account", method: http.MethodGet, path: "/api/v4/account", query: q}, &a); err != nil {
		return nil, err
	}
	return a.Embedded.TaskTypes, nil
}
