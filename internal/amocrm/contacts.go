package amocrm

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// idsPerRequest keeps filter[id][] query strings well under common URL limits.
const idsPerRequest = 100

// SearchContacts returns up to limit (max 250) contacts matching query
// (name, phone digits, e-mail, field values): one request.
func (c *Client) SearchContacts(ctx context.Context, query string, limit int) ([]Contact, error) {
	q := url.Values{"query": {query}, "limit": {strconv.Itoa(min(max(limit, 1), pageLimit))}}
	var p halPage
	ok, err := c.do(ctx, call{class: "contacts_search", method: http.MethodGet, path: "/api/v4/contacts", query: q}, &p)
	if err != nil || !ok {
		return nil, err
	}
	var out []Contact
	return out, p.items("contacts", &out)
}

// ContactsByIDs fetches contacts by id; ids amoCRM does not know are missing
// from the result.
func (c *Client) ContactsByIDs(ctx context.Context, ids []int64) ([]Contact, error) {
	return byIDs[Contact](ctx, c, "contacts", "/api/v4/contacts", "contacts", ids, nil)
}

// ListContacts pages through every contact updated at or after updatedFrom
// (Unix seconds; 0: all), oldest change first, 250 at a time.
func (c *Client) ListContacts(ctx context.Context, updatedFrom int64, fn func([]Contact) error) error {
	q := url.Values{"order[updated_at]": {"asc"}}
	if updatedFrom > 0 {
		q.Set("filter[updated_at][from]", strconv.FormatInt(updatedFrom, 10))
	}
	return eachPage(ctx, c, "contacts", "/api/v4/contacts", "contacts", q, fn)
}

// CreateContacts creates contacts and returns them with their ids. An empty
// RequestID is set to the item's index. On error the contacts created by the
// earlier requests are returned with it.
func (c *Client) CreateContacts(ctx context.Context, contacts []Contact) ([]Contact, error) {
	return createItems(ctx, c, "contacts", "/api/v4/contacts", "contacts", contacts,
		func(x *Contact) *string { return &x.RequestID }, func(x *Contact) *int64 { return &x.ID })
}

// UpdateContacts patches contacts (each with its ID).
func (c *Client) UpdateContacts(ctx context.Context, contacts []Contact) error {
	in := withRequestIDs(contacts, func(x *Contact) *string { return &x.RequestID })
	_, err := writeChunks[Contact, ref](ctx, c, "contacts", http.MethodPatch, "/api/v4/contacts", "contacts", in, c.batchSize)
	return err
}

// byIDs fetches entities by filter[id][], a batch of ids per request.
func byIDs[T any](ctx context.Context, c *Client, class, path, key string, ids []int64, extra url.Values) ([]T, error) {
	var out []T
	for start := 0; start < len(ids); start += idsPerRequest {
		q := url.Values{}
		for k, v := range extra {
			q[k] = v
		}
		for _, id := range ids[start:min(start+idsPerRequest, len(ids))] {
			q.Add("filter[id][]", strconv.FormatInt(id, 10))
		}
		got, err := listAll[T](ctx, c, class, path, key, q)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}
