package amocrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// LeadsByIDs fetches deals by id, with their contact ids when withContacts.
// On an account that ignores filters it reads each id on its own (see
// FiltersIgnored).
func (c *Client) LeadsByIDs(ctx context.Context, ids []int64, withContacts bool) ([]crm.Lead, error) {
	return byIDs(ctx, c, "leads", "/api/v4/leads", "leads", ids, withContactsQuery(withContacts), leadID)
}

// LeadsNewestFirst pages through the deals with an id above downToID, newest
// first (GET /api/v4/leads?order[id]=desc, which needs neither filters nor
// search), with their contact ids when withContacts, and stops there. fn may
// return ErrStopPaging to stop sooner. Deals created meanwhile are passed
// once or not at all; none already there is passed twice.
func (c *Client) LeadsNewestFirst(ctx context.Context, downToID int64, withContacts bool, fn func([]crm.Lead) error) error {
	return newestFirst(ctx, c, "leads_newest", "/api/v4/leads", "leads", withContactsQuery(withContacts), downToID, leadID, fn)
}

// NewestLeadID returns the highest deal id of the account, 0 when it has
// none: one request.
func (c *Client) NewestLeadID(ctx context.Context) (int64, error) {
	return newestID(ctx, c, "leads_newest", "/api/v4/leads", "leads", leadID)
}

func leadID(l crm.Lead) int64 { return l.ID }

func withContactsQuery(withContacts bool) url.Values {
	if withContacts {
		return url.Values{"with": {"contacts"}}
	}
	return nil
}

// SearchLeads returns every deal matching query (full text, field values
// included), with contact ids.
func (c *Client) SearchLeads(ctx context.Context, query string) ([]crm.Lead, error) {
	q := url.Values{"query": {query}, "with": {"contacts"}}
	return listAll[crm.Lead](ctx, c, "leads_search", "/api/v4/leads", "leads", q)
}

// CreateLeads creates deals and returns them with their ids. An empty
// RequestID is set to the item's index. On error the deals created by the
// earlier requests are returned with it.
func (c *Client) CreateLeads(ctx context.Context, leads []crm.Lead) ([]crm.Lead, error) {
	return createItems(ctx, c, "leads", "/api/v4/leads", "leads", leads,
		func(x *crm.Lead) *string { return &x.RequestID }, func(x *crm.Lead) *int64 { return &x.ID })
}

// LeadNotes returns a deal's notes of noteType ("common"), oldest first:
// GET /api/v4/leads/{id}/notes, the official SDK's
// EntityNotes::getByParentId. After a note's create ended without an
// answer, the note is looked for here before it is sent again. The type is
// checked here too, as an account may ignore filters (reference §7 16).
func (c *Client) LeadNotes(ctx context.Context, leadID int64, noteType string) ([]crm.Note, error) {
	q := url.Values{"filter[note_type][]": {noteType}, "order[id]": {"asc"}}
	all, err := listAll[crm.Note](ctx, c, "notes_list", fmt.Sprintf("/api/v4/leads/%d/notes", leadID), "notes", q)
	return slices.DeleteFunc(all, func(n crm.Note) bool { return n.NoteType != noteType }), err
}

// UpdateLeads patches deals (each with its ID).
func (c *Client) UpdateLeads(ctx context.Context, leads []crm.Lead) error {
	in := withRequestIDs(leads, func(x *crm.Lead) *string { return &x.RequestID })
	_, err := writeChunks[crm.Lead, ref](ctx, c, "leads", http.MethodPatch, "/api/v4/leads", "leads", in, c.batchSize)
	return err
}

// CreateComplexLeads creates deals each with a new contact in its
// _embedded.contacts, 50 per request. Results carry the request_id of their
// lead (an empty RequestID is set to the lead's index). On error the results
// of the earlier requests are returned with it.
func (c *Client) CreateComplexLeads(ctx context.Context, leads []crm.Lead) ([]crm.ComplexResult, error) {
	in := withRequestIDs(leads, func(x *crm.Lead) *string { return &x.RequestID })
	var out []crm.ComplexResult
	size := min(c.batchSize, complexBatchSize)
	for start := 0; start < len(in); start += size {
		cl, err := jsonCall("leads_complex", http.MethodPost, "/api/v4/leads/complex", in[start:min(start+size, len(in))])
		if err != nil {
			return out, err
		}
		cl.create = true
		var got []crm.ComplexResult // a plain array, not HAL
		if _, err := c.do(ctx, cl, &got); err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// AddLeadNotes adds notes to deals (EntityID is the deal).
func (c *Client) AddLeadNotes(ctx context.Context, notes []crm.Note) ([]crm.Note, error) {
	return createItems(ctx, c, "notes", "/api/v4/leads/notes", "notes", notes,
		func(x *crm.Note) *string { return &x.RequestID }, func(x *crm.Note) *int64 { return &x.ID })
}

// UnsortedResult is one created incoming lead.
type UnsortedResult struct {
	UID       string `json:"uid"`
	RequestID string `json:"request_id"`
	Embedded  struct {
		Leads    []struct{ ID int64 } `json:"leads"`
		Contacts []struct{ ID int64 } `json:"contacts"`
	} `json:"_embedded"`
}

// CreateUnsortedForms sends form submissions to the incoming leads column.
func (c *Client) CreateUnsortedForms(ctx context.Context, forms []crm.UnsortedForm) ([]UnsortedResult, error) {
	in := withRequestIDs(forms, func(x *crm.UnsortedForm) *string { return &x.RequestID })
	return writeChunks[crm.UnsortedForm, UnsortedResult](ctx, c, "unsorted", http.MethodPost, "/api/v4/leads/unsorted/forms", "unsorted", in, c.batchSize)
}
