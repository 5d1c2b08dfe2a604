package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

const pageLimit = 250

// halPage is a HAL list page: _embedded.<key> holds the items.
type halPage struct {
	Links struct {
		Next *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
	Embedded map[string]json.RawMessage `json:"_embedded"`
}

func (p *halPage) items(key string, out any) error {
	raw, ok := p.Embedded[key]
	if !ok {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// eachPage pages through a list (limit 250) following _links.next, calling fn
// with every non-empty page. A 204 ends the list.
func eachPage[T any](ctx context.Context, c *Client, class, path, key string, query url.Values, fn func([]T) error) error {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if q.Get("limit") == "" {
		q.Set("limit", strconv.Itoa(pageLimit))
	}
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		var p halPage
		ok, err := c.do(ctx, call{class: class, method: http.MethodGet, path: path, query: q}, &p)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		var items []T
		if err := p.items(key, &items); err != nil {
			return fmt.Errorf("decode %s page %d: %w", class, page, err)
		}
		if len(items) > 0 {
			if err := fn(items); err != nil {
				return err
			}
		}
		if p.Links.Next == nil || p.Links.Next.Href == "" || len(items) == 0 {
			return nil
		}
	}
}

// listAll collects every page of a list.
func listAll[T any](ctx context.Context, c *Client, class, path, key string, query url.Values) ([]T, error) {
	var all []T
	err := eachPage(ctx, c, class, path, key, query, func(items []T) error {
		all = append(all, items...)
		return nil
	})
	return all, err
}

// writeChunks sends items in chunks of size and returns the _embedded.<key>
// items of every response, in order. On error it returns what the chunks
// before the failing one returned, so the caller can record them.
func writeChunks[In, Out any](ctx context.Context, c *Client, class, method, path, key string, items []In, size int) ([]Out, error) {
	var out []Out
	for start := 0; start < len(items); start += size {
		chunk := items[start:min(start+size, len(items))]
		got, err := writeOne[In, Out](ctx, c, class, method, path, key, chunk)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func writeOne[In, Out any](ctx context.Context, c *Client, class, method, path, key string, chunk []In) ([]Out, error) {
	cl, err := jsonCall(class, method, path, chunk)
	if err != nil {
		return nil, err
	}
	cl.create = method == http.MethodPost
	cl.splittable = method == http.MethodPatch && len(chunk) > 1
	var p halPage
	if _, err := c.do(ctx, cl, &p); err != nil {
		var aerr *APIError
		if cl.splittable && errors.As(err, &aerr) && aerr.Status == http.StatusGatewayTimeout {
			// amoCRM's advice for a 504: send less per request.
			half := len(chunk) / 2
			first, err := writeOne[In, Out](ctx, c, class, method, path, key, chunk[:half])
			if err != nil {
				return first, err
			}
			second, err := writeOne[In, Out](ctx, c, class, method, path, key, chunk[half:])
			return append(first, second...), err
		}
		return nil, err
	}
	var got []Out
	if err := p.items(key, &got); err != nil {
		return nil, fmt.Errorf("decode %s response: %w", class, err)
	}
	return got, nil
}

// ref is an item of a create or update response.
type ref struct {
	ID        int64  `json:"id"`
	RequestID string `json:"request_id"`
}

// createItems creates items and returns them with their new ids, matched
// through request_id. On error it returns the items created before it.
func createItems[T any](ctx context.Context, c *Client, class, path, key string, items []T, rid func(*T) *string, id func(*T) *int64) ([]T, error) {
	in := withRequestIDs(items, rid)
	got, err := writeChunks[T, ref](ctx, c, class, http.MethodPost, path, key, in, c.batchSize)
	ids := make(map[string]int64, len(got))
	for _, r := range got {
		ids[r.RequestID] = r.ID
	}
	var done []T
	for i := range in {
		if v, ok := ids[*rid(&in[i])]; ok {
			*id(&in[i]) = v
			done = append(done, in[i])
		}
	}
	return done, err
}

// withRequestIDs returns a copy of items where every empty request_id is the
// item's index, so responses and validation errors map back to the input.
func withRequestIDs[T any](items []T, rid func(*T) *string) []T {
	out := make([]T, len(items))
	copy(out, items)
	for i := range out {
		if p := rid(&out[i]); *p == "" {
			*p = strconv.Itoa(i)
		}
	}
	return out
}
