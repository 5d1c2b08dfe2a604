package amocrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
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
	return pages(ctx, c, class, path, key, q, func(p *halPage, n int) bool {
		return p.Links.Next != nil && p.Links.Next.Href != "" && n > 0
	}, fn)
}

// pages calls fn with every non-empty page of a list, from page 1 while
// more says a page of n items has one after it. A 204 ends the list.
func pages[T any](ctx context.Context, c *Client, class, path, key string, q url.Values, more func(p *halPage, n int) bool, fn func([]T) error) error {
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
		if !more(&p, len(items)) {
			return nil
		}
	}
}

// ErrStopPaging, returned by the callback of a paging method, ends the
// paging early; the method then returns nil.
var ErrStopPaging = errors.New("stop paging")

// scanDown pages a list sorted newest first and calls fn with the items of
// each page that take keeps; an item take reports as below the bound ends
// the paging after its page. A 204 or the last page ends it too.
func scanDown[T any](ctx context.Context, c *Client, class, path, key string, query url.Values, take func(T) (keep, below bool), fn func([]T) error) error {
	err := eachPage(ctx, c, class, path, key, query, func(page []T) error {
		var kept []T
		end := false
		for _, it := range page {
			keep, below := take(it)
			end = end || below
			if keep {
				kept = append(kept, it)
			}
		}
		if len(kept) > 0 {
			if err := fn(kept); err != nil {
				return err
			}
		}
		if end {
			return ErrStopPaging
		}
		return nil
	})
	if errors.Is(err, ErrStopPaging) {
		return nil
	}
	return err
}

// newestFirst pages path by order[id]=desc, the one order every account has
// (filters are an alpha), and calls fn with the entities above downTo. An
// entity created meanwhile pushes the list down a place, so a page may
// repeat the last one's tail: ids are passed strictly decreasing, none
// twice. One deleted meanwhile pulls it up and can hide the entity after it
// on the next page; a second scan finds it.
func newestFirst[T any](ctx context.Context, c *Client, class, path, key string, query url.Values, downTo int64, id func(T) int64, fn func([]T) error) error {
	q := url.Values{"order[id]": {"desc"}}
	maps.Copy(q, query)
	last := int64(math.MaxInt64)
	return scanDown(ctx, c, class, path, key, q, func(it T) (bool, bool) {
		n := id(it)
		if n <= downTo {
			return false, true
		}
		if n >= last {
			return false, false
		}
		last = n
		return true, false
	}, fn)
}

// newestID is the highest id of path's entities, 0 when there is none.
func newestID[T any](ctx context.Context, c *Client, class, path, key string, id func(T) int64) (int64, error) {
	q := url.Values{"order[id]": {"desc"}, "limit": {"1"}}
	var p halPage
	ok, err := c.do(ctx, call{class: class, method: http.MethodGet, path: path, query: q}, &p)
	if err != nil || !ok {
		return 0, err
	}
	var items []T
	if err := p.items(key, &items); err != nil {
		return 0, fmt.Errorf("decode %s: %w", class, err)
	}
	var newest int64
	for _, it := range items {
		newest = max(newest, id(it))
	}
	return newest, nil
}

// byIDs fetches entities by id, 100 per filter[id][] request, and checks
// that only asked-for ids came back: an account without the filter alpha
// ignores the filter and answers its whole list (reference §3.3; sandbox
// -filters-ignored). Only the first page of a filtered answer is read, which
// holds all of an honoured one, so such an account costs one page. From then
// on, and on a Client made with Config.FiltersIgnored, the ids are read
// without filters (scanForIDs, then GET path/{id} each); ids amoCRM does not
// know are missing from the result.
func byIDs[T any](ctx context.Context, c *Client, class, path, key string, ids []int64, extra url.Values, id func(T) int64) ([]T, error) {
	var out []T
	for start := 0; start < len(ids); start += idsPerRequest {
		chunk := ids[start:min(start+idsPerRequest, len(ids))]
		if !c.filtersIgnored.Load() {
			got, honoured, err := filteredByIDs(ctx, c, class, path, key, chunk, extra, id)
			if err != nil {
				return out, err
			}
			if honoured {
				out = append(out, got...)
				continue
			}
			c.noteFiltersIgnored()
		}
		if len(chunk) > 1 {
			got, rest, err := scanForIDs(ctx, c, class, path, key, chunk, extra, id)
			out = append(out, got...)
			if err != nil {
				return out, err
			}
			chunk = rest
		}
		for _, n := range chunk {
			var v T
			ok, err := c.do(ctx, call{class: class + "_by_id", method: http.MethodGet, path: fmt.Sprintf("%s/%d", path, n), query: extra}, &v)
			var aerr *APIError
			switch {
			case errors.As(err, &aerr) && aerr.Status == http.StatusNotFound:
				// Reports vary between 204 and 404 for a missing entity (reference §8 q5).
			case err != nil:
				return out, err
			case ok:
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// scanForIDs reads ids without filters from the top of the list: the
// entities a connector reads again are mostly its own recent ones, which the
// newest-first pages (order[id]=desc, 250 a page, every account has it)
// hold a page at a time. It pages while each page holds some of the ids and
// returns what it found and the ids left, to be read one a request. Every
// page but the last finds one, so n ids cost at most n+1 requests, and a
// page for up to 250 of ours.
func scanForIDs[T any](ctx context.Context, c *Client, class, path, key string, ids []int64, extra url.Values, id func(T) int64) (found []T, rest []int64, err error) {
	want := make(map[int64]bool, len(ids))
	for _, n := range ids {
		want[n] = true
	}
	err = newestFirst(ctx, c, class+"_newest", path, key, extra, slices.Min(ids)-1, id, func(page []T) error {
		hit := false
		for _, it := range page {
			if want[id(it)] {
				found, hit = append(found, it), true
				delete(want, id(it))
			}
		}
		if len(want) == 0 || !hit {
			return ErrStopPaging
		}
		return nil
	})
	for _, n := range ids {
		if want[n] {
			rest = append(rest, n) // also one a deletion hid from the scan
		}
	}
	return found, rest, err
}

// filteredByIDs asks for ids with filter[id][] and reports whether the
// answer held nothing else.
func filteredByIDs[T any](ctx context.Context, c *Client, class, path, key string, ids []int64, extra url.Values, id func(T) int64) ([]T, bool, error) {
	q := url.Values{"limit": {strconv.Itoa(pageLimit)}}
	maps.Copy(q, extra)
	asked := make(map[int64]bool, len(ids))
	for _, n := range ids {
		q.Add("filter[id][]", strconv.FormatInt(n, 10))
		asked[n] = true
	}
	var p halPage
	ok, err := c.do(ctx, call{class: class, method: http.MethodGet, path: path, query: q}, &p)
	if err != nil || !ok {
		return nil, true, err
	}
	var items []T
	if err := p.items(key, &items); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", class, err)
	}
	for _, it := range items {
		if !asked[id(it)] {
			return nil, false, nil
		}
	}
	return items, true, nil
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
