package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const (
	defaultLimit = 50
	maxLimit     = 250
)

// listParams are the query parameters of a list request.
type listParams struct {
	page, limit int
	query       string
	with        map[string]bool
	ids         map[int64]bool
	ranges      map[string][2]int64 // "created_at"/"updated_at" -> [from, to]; 0 is open
	orderBy     string
	desc        bool

	// Set by the list handler from the modes, not by the request.
	queryFields  bool  // query also matches custom-field values
	writtenUntil int64 // query finds only entities written up to then (Unix ns); 0: any
}

// parseList reads page, limit, query, with, filter[...] and order[...].
// A limit above 250 is an error rather than a silent 50 (reference §8 q6,
// stricter side); filters the sandbox does not implement are errors too, so
// a test never trusts a filter that was ignored.
func parseList(q url.Values) (listParams, error) {
	p := listParams{page: 1, limit: defaultLimit, with: map[string]bool{}, ranges: map[string][2]int64{}, orderBy: "id"}
	var err error
	if p.page, err = intParam(q, "page", 1); err != nil {
		return p, err
	}
	if p.limit, err = intParam(q, "limit", defaultLimit); err != nil {
		return p, err
	}
	if p.limit > maxLimit {
		return p, fmt.Errorf("limit must be at most %d", maxLimit)
	}
	p.query = strings.TrimSpace(q.Get("query"))
	for _, w := range strings.Split(q.Get("with"), ",") {
		if w = strings.TrimSpace(w); w != "" {
			p.with[w] = true
		}
	}
	for key, vals := range q {
		switch {
		case strings.HasPrefix(key, "filter["):
			err = p.addFilter(key, vals)
		case strings.HasPrefix(key, "order["):
			err = p.setOrder(key, q.Get(key))
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func intParam(q url.Values, key string, def int) (int, error) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer", key)
	}
	return n, nil
}

func (p *listParams) addFilter(key string, vals []string) error {
	switch {
	case key == "filter[id]" || strings.HasPrefix(key, "filter[id]["):
		if p.ids == nil {
			p.ids = map[int64]bool{}
		}
		for _, v := range vals {
			for _, s := range strings.Split(v, ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
				if err != nil {
					return fmt.Errorf("%s: %q is not an id", key, s)
				}
				p.ids[id] = true
			}
		}
		return nil
	}
	for _, field := range []string{"created_at", "updated_at"} {
		bound, ok := strings.CutPrefix(key, "filter["+field+"]")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(vals[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a timestamp", key, vals[0])
		}
		r := p.ranges[field]
		switch bound {
		case "[from]", "":
			r[0] = n
		case "[to]":
			r[1] = n
		default:
			return fmt.Errorf("unsupported filter %s", key)
		}
		p.ranges[field] = r
		return nil
	}
	return fmt.Errorf("filter %s is not supported by the sandbox", key)
}

func (p *listParams) setOrder(key, dir string) error {
	field := strings.TrimSuffix(strings.TrimPrefix(key, "order["), "]")
	if field != "id" && field != "created_at" && field != "updated_at" {
		return fmt.Errorf("unsupported order %s", key)
	}
	if dir != "asc" && dir != "desc" {
		return fmt.Errorf("%s must be asc or desc", key)
	}
	p.orderBy, p.desc = field, dir == "desc"
	return nil
}

// selectEntities filters, orders and pages entities; it also reports
// whether a further page exists.
func selectEntities(p listParams, all []*Entity) ([]*Entity, bool) {
	var out []*Entity
	for _, e := range all {
		if p.keeps(e) {
			out = append(out, e)
		}
	}
	key := func(e *Entity) int64 {
		switch p.orderBy {
		case "created_at":
			return e.CreatedAt
		case "updated_at":
			return e.UpdatedAt
		}
		return e.ID
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := key(out[i]), key(out[j])
		if a == b {
			a, b = out[i].ID, out[j].ID
		}
		if p.desc {
			return a > b
		}
		return a < b
	})
	return pageOf(out, p)
}

func (p listParams) keeps(e *Entity) bool {
	if p.ids != nil && !p.ids[e.ID] {
		return false
	}
	for field, r := range p.ranges {
		v := e.CreatedAt
		if field == "updated_at" {
			v = e.UpdatedAt
		}
		if r[0] != 0 && v < r[0] || r[1] != 0 && v > r[1] {
			return false
		}
	}
	if p.query == "" {
		return true
	}
	return (p.writtenUntil == 0 || e.writtenAt <= p.writtenUntil) && matchesQuery(p.query, e, p.queryFields)
}

func pageOf[T any](items []T, p listParams) ([]T, bool) {
	start := (p.page - 1) * p.limit
	if start >= len(items) {
		return nil, false
	}
	end := min(start+p.limit, len(items))
	return items[start:end], end < len(items)
}

// matchesQuery is the `query` search: a case-insensitive substring of the
// name or, with fields, of any custom-field value; a query that looks like a
// phone number matches phone-like values whose digits contain its digits.
// There is no 8 -> 7 rewriting (stricter than amoCRM may be): the client
// normalises.
func matchesQuery(q string, e *Entity, fields bool) bool {
	lq := strings.ToLower(q)
	if strings.Contains(strings.ToLower(e.Name), lq) {
		return true
	}
	if !fields {
		return false
	}
	qd, phone := phoneDigits(q)
	for _, f := range e.CustomFieldsValues {
		for _, v := range f.Values {
			s := valueText(v.Value)
			if strings.Contains(strings.ToLower(s), lq) {
				return true
			}
			if !phone {
				continue
			}
			if vd, ok := phoneDigits(s); ok && strings.Contains(vd, qd) {
				return true
			}
		}
	}
	return false
}

func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}

// phoneDigits returns the digits of s and whether s looks like a phone
// number: only digits and + - ( ) spaces, with at least five digits.
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("+-() ", r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() >= 5
}

// listPage is a HAL list response.
type listPage struct {
	Page     int            `json:"_page"`
	Links    links          `json:"_links"`
	Embedded map[string]any `json:"_embedded"`
}

// writePage answers a list: 204 with an empty body when there is nothing,
// else _page, _links.self/next and _embedded[key].
func writePage(w http.ResponseWriter, r *http.Request, p listParams, key string, items any, n int, more bool) {
	if n == 0 {
		noContent(w)
		return
	}
	writeHAL(w, listPage{Page: p.page, Links: pageLinks(r, p, more), Embedded: map[string]any{key: items}})
}

func pageLinks(r *http.Request, p listParams, more bool) links {
	at := func(page int) *link {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("limit", strconv.Itoa(p.limit))
		return &link{Href: baseURL(r) + r.URL.Path + "?" + q.Encode()}
	}
	l := links{Self: *at(p.page)}
	if more {
		l.Next = at(p.page + 1)
	}
	if p.page > 1 {
		l.Prev = at(p.page - 1)
	}
	return l
}

// withoutFilters returns q without its filter[...] parameters.
func withoutFilters(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if !strings.HasPrefix(k, "filter[") {
			out[k] = v
		}
	}
	return out
}

// listOrFail parses list parameters, answering 400 when they are wrong.
func listOrFail(w http.ResponseWriter, q url.Values) (listParams, bool) {
	p, err := parseList(q)
	if err != nil {
		badRequest(w, err.Error())
		return p, false
	}
	return p, true
}

// pathID reads the {name} path segment as an id.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
