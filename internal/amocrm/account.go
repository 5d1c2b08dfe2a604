package amocrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// Account returns the account the token belongs to; a cheap health check.
func (c *Client) Account(ctx context.Context) (crm.Account, error) {
	var a crm.Account
	if _, err := c.do(ctx, call{class: "account", method: http.MethodGet, path: "/api/v4/account"}, &a); err != nil {
		return crm.Account{}, err
	}
	return a, nil
}

// FilterSupport is what an account says of amoCRM's API filtering, the
// alpha without which filter[...] on lists is ignored (reference §7 16).
type FilterSupport int

const (
	// FiltersUnknown: the account did not say; the Client finds out from
	// the answers to filtered reads.
	FiltersUnknown FilterSupport = iota
	FiltersEnabled
	FiltersDisabled
)

func (f FilterSupport) String() string {
	switch f {
	case FiltersEnabled:
		return "enabled"
	case FiltersDisabled:
		return "disabled"
	}
	return "unknown"
}

// Filters asks amoCRM, once per Client, whether the account has the API
// filtering alpha: GET /api/v4/account?with=is_api_filter_enabled, the
// flag the official SDK reads (AccountModel::IS_API_FILTER_ENABLED, a
// top-level bool present only when asked for). Disabled: reads by id go one
// id a request from then on without a probe, and OnFiltersIgnored is told.
// Enabled: "ignored" remembered from an earlier run (Config.FiltersIgnored)
// is dropped; answers are still checked, so an account that says so and
// ignores filters all the same is caught at its first answer. Unknown: the
// Client keeps finding out from answers. A failed request is not
// remembered: the next call asks again.
func (c *Client) Filters(ctx context.Context) (FilterSupport, error) {
	c.filterMu.Lock()
	defer c.filterMu.Unlock()
	if c.filterAsked {
		return c.filterAnswer, nil
	}
	var a struct {
		Enabled *bool `json:"is_api_filter_enabled"`
	}
	q := url.Values{"with": {"is_api_filter_enabled"}}
	if _, err := c.do(ctx, call{class: "account", method: http.MethodGet, path: "/api/v4/account", query: q}, &a); err != nil {
		return FiltersUnknown, fmt.Errorf("ask whether the account has api filters: %w", err)
	}
	switch {
	case a.Enabled == nil:
		c.filterAnswer = FiltersUnknown
	case *a.Enabled:
		c.filterAnswer = FiltersEnabled
		c.filtersIgnored.Store(false)
	default:
		c.filterAnswer = FiltersDisabled
		c.noteFiltersIgnored()
	}
	c.filterAsked = true
	return c.filterAnswer, nil
}

// Users lists the account's users (managers), for responsible_user_id.
func (c *Client) Users(ctx context.Context) ([]crm.User, error) {
	return listAll[crm.User](ctx, c, "users", "/api/v4/users", "users", nil)
}

// Pipelines lists the deal pipelines with their statuses.
func (c *Client) Pipelines(ctx context.Context) ([]crm.Pipeline, error) {
	return listAll[crm.Pipeline](ctx, c, "pipelines", "/api/v4/leads/pipelines", "pipelines", nil)
}

// CreatePipelines creates pipelines (with their statuses) and returns them as
// amoCRM stored them, ids included.
func (c *Client) CreatePipelines(ctx context.Context, pipelines []crm.Pipeline) ([]crm.Pipeline, error) {
	in := withRequestIDs(pipelines, func(p *crm.Pipeline) *string { return &p.RequestID })
	return writeChunks[crm.Pipeline, crm.Pipeline](ctx, c, "pipelines", http.MethodPost, "/api/v4/leads/pipelines", "pipelines", in, c.batchSize)
}

// AddStatuses adds statuses to a pipeline and returns them with their ids.
func (c *Client) AddStatuses(ctx context.Context, pipelineID int64, statuses []crm.Status) ([]crm.Status, error) {
	in := withRequestIDs(statuses, func(s *crm.Status) *string { return &s.RequestID })
	path := fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses", pipelineID)
	return writeChunks[crm.Status, crm.Status](ctx, c, "statuses", http.MethodPost, path, "statuses", in, c.batchSize)
}

// UpdateStatus changes the name, sort and color of st.ID in a pipeline.
func (c *Client) UpdateStatus(ctx context.Context, pipelineID int64, st crm.Status) (crm.Status, error) {
	// The other fields are read-only and refused in the body.
	patch := struct {
		Name  string `json:"name,omitempty"`
		Sort  int64  `json:"sort,omitempty"`
		Color string `json:"color,omitempty"`
	}{st.Name, st.Sort, st.Color}
	cl, err := jsonCall("statuses", http.MethodPatch, fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses/%d", pipelineID, st.ID), patch)
	if err != nil {
		return crm.Status{}, err
	}
	var out crm.Status
	if _, err := c.do(ctx, cl, &out); err != nil {
		return crm.Status{}, err
	}
	return out, nil
}

// LeadFields lists the custom fields of deals. Types amoCRM adds later are
// kept as their strings.
func (c *Client) LeadFields(ctx context.Context) ([]crm.CustomField, error) {
	return listAll[crm.CustomField](ctx, c, "lead_fields", "/api/v4/leads/custom_fields", "custom_fields", nil)
}

// ContactFields lists the custom fields of contacts.
func (c *Client) ContactFields(ctx context.Context) ([]crm.CustomField, error) {
	return listAll[crm.CustomField](ctx, c, "contact_fields", "/api/v4/contacts/custom_fields", "custom_fields", nil)
}

// CreateLeadFields creates deal fields and returns them with ids and enum ids.
func (c *Client) CreateLeadFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error) {
	return c.createFields(ctx, "lead_fields", "/api/v4/leads/custom_fields", fields)
}

// CreateContactFields creates contact fields and returns them with ids and enum ids.
func (c *Client) CreateContactFields(ctx context.Context, fields []crm.CustomField) ([]crm.CustomField, error) {
	return c.createFields(ctx, "contact_fields", "/api/v4/contacts/custom_fields", fields)
}

func (c *Client) createFields(ctx context.Context, class, path string, fields []crm.CustomField) ([]crm.CustomField, error) {
	in := withRequestIDs(fields, func(f *crm.CustomField) *string { return &f.RequestID })
	return writeChunks[crm.CustomField, crm.CustomField](ctx, c, class, http.MethodPost, path, "custom_fields", in, c.batchSize)
}
