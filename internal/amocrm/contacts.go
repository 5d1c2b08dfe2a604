package amocrm

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// idsPerRequest keeps filter[id][] query strings well under common URL
// limits, and an honoured answer within one page of pageLimit.
const idsPerRequest = 100

// SearchContacts returns up to limit (max 250) contacts matching query
// (name, phone digits, e-mail, field values): one request.
func (c *Client) SearchContacts(ctx context.Context, query string, limit int) ([]crm.Contact, error) {
	q := url.Values{"query": {query}, "limit": {strconv.Itoa(min(max(limit, 1), pageLimit))}}
	var p halPage
	ok, err := c.do(ctx, call{class: "contacts_search", method: http.MethodGet, path: "/api/v4/contacts", query: q}, &p)
	if err != nil || !ok {
		return nil, err
	}
	var out []crm.Contact
	return out, p.items("contacts", &out)
}

// ContactsByIDs fetches contacts by id; ids amoCRM does not know are missing
// from the result. On an account that ignores filters it reads each id on
// its own (see FiltersIgnored).
func (c *Client) ContactsByIDs(ctx context.Context, ids []int64) ([]crm.Contact, error) {
	return byIDs(ctx, c, "contacts", "/api/v4/contacts", "contacts", ids, nil, contactID)
}

// ListContacts pages through every contact updated at or after updatedFrom
// (Unix seconds; 0: all), oldest change first, 250 at a time. An account that
// ignores the filter answers all its contacts: fn still gets only those
// changed since updatedFrom, but every page is read; ContactsChangedSince
// stops early on such an account.
func (c *Client) ListContacts(ctx context.Context, updatedFrom int64, fn func([]crm.Contact) error) error {
	q := url.Values{"order[updated_at]": {"asc"}}
	if updatedFrom > 0 {
		q.Set("filter[updated_at][from]", strconv.FormatInt(updatedFrom, 10))
	}
	return eachPage(ctx, c, "contacts", "/api/v4/contacts", "contacts", q, func(page []crm.Contact) error {
		changed := slices.DeleteFunc(page, func(ct crm.Contact) bool { return ct.UpdatedAt < updatedFrom })
		if len(changed) < len(page) {
			c.noteFiltersIgnored()
		}
		if len(changed) == 0 {
			return nil
		}
		return fn(changed)
	})
}

// ContactsChangedSince pages through the contacts updated at or after
// updatedFrom (Unix seconds), most recent change first, and stops at the
// first one changed before it, so it reads only the pages it needs whether
// or not the account honours filters. A contact changed while paging moves
// to the front: it may be missed by this scan but not by the next one from
// the newest updated_at seen; contacts pushed down a page are passed once.
func (c *Client) ContactsChangedSince(ctx context.Context, updatedFrom int64, fn func([]crm.Contact) error) error {
	q := url.Values{"order[updated_at]": {"desc"}}
	filtered := updatedFrom > 0 && !c.filtersIgnored.Load()
	if filtered {
		q.Set("filter[updated_at][from]", strconv.FormatInt(updatedFrom, 10))
	}
	seen := map[int64]bool{}
	return scanDown(ctx, c, "contacts", "/api/v4/contacts", "contacts", q, func(ct crm.Contact) (bool, bool) {
		if ct.UpdatedAt < updatedFrom {
			if filtered {
				c.noteFiltersIgnored()
			}
			return false, true
		}
		if seen[ct.ID] {
			return false, false
		}
		seen[ct.ID] = true
		return true, false
	}, fn)
}

// ContactsNewestFirst pages through the contacts with an id above downToID,
// newest first, and stops there (see LeadsNewestFirst). fn may return
// ErrStopPaging to stop sooner.
func (c *Client) ContactsNewestFirst(ctx context.Context, downToID int64, fn func([]crm.Contact) error) error {
	return newestFirst(ctx, c, "contacts_newest", "/api/v4/contacts", "contacts", nil, downToID, contactID, fn)
}

// NewestContactID returns the highest contact id of the account, 0 when it
// has none: one request.
func (c *Client) NewestContactID(ctx context.Context) (int64, error) {
	return newestID(ctx, c, "contacts_newest", "/api/v4/contacts", "contacts", contactID)
}

// CreateContacts creates contacts and returns them with their ids. An empty
// RequestID is set to the item's index. On error the contacts created by the
// earlier requests are returned with it.
func (c *Client) CreateContacts(ctx context.Context, contacts []crm.Contact) ([]crm.Contact, error) {
	return createItems(ctx, c, "contacts", "/api/v4/contacts", "contacts", contacts,
		func(x *crm.Contact) *string { return &x.RequestID }, func(x *crm.Contact) *int64 { return &x.ID })
}

// UpdateContacts patches contacts (each with its ID).
func (c *Client) UpdateContacts(ctx context.Context, contacts []crm.Contact) error {
	in := withRequestIDs(contacts, func(x *crm.Contact) *string { return &x.RequestID })
	_, err := writeChunks[crm.Contact, ref](ctx, c, "contacts", http.MethodPatch, "/api/v4/contacts", "contacts", in, c.batchSize)
	return err
}

func contactID(ct crm.Contact) int64 { return ct.ID }
