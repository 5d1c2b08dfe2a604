package amocrm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
)

// pagedContacts serves n contacts (ids 1..n, updated at 1700000000+id),
// limit per page, HAL-style, 204 past the end; filter[id][] is honoured.
func pagedContacts(n int, queries *[]string) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*queries = append(*queries, r.URL.RawQuery)
		mu.Unlock()
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var all []int
		for i := range n {
			if ids := r.URL.Query()["filter[id][]"]; ids == nil || slices.Contains(ids, strconv.Itoa(i+1)) {
				all = append(all, i+1)
			}
		}
		from := (page - 1) * limit
		if from >= len(all) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var items []string
		for _, id := range all[from:min(from+limit, len(all))] {
			items = append(items, fmt.Sprintf(`{"id":%d,"name":"c%d","updated_at":%d,"custom_fields_values":[{"field_id":1,"field_type":"tracking_data","values":[{"value":{"a":1}}]}]}`, id, id, 1700000000+id))
		}
		next := ""
		if from+limit < len(all) {
			next = fmt.Sprintf(`,"next":{"href":"https://x.amocrm.ru/api/v4/contacts?page=%d"}`, page+1)
		}
		fmt.Fprintf(w, `{"_page":%d,"_links":{"self":{"href":"x"}%s},"_embedded":{"contacts":[%s]}}`, page, next, strings.Join(items, ","))
	})
}

func TestListContactsFollowsPages(t *testing.T) {
	var queries []string
	c := longLivedClient(t, serve(t, pagedContacts(600, &queries)), nil)
	var got []int64
	err := c.ListContacts(context.Background(), 1700000000, func(page []crm.Contact) error {
		for _, ct := range page {
			got = append(got, ct.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 600 || got[599] != 600 {
		t.Fatalf("got %d contacts, want 600 in order", len(got))
	}
	if len(queries) != 3 {
		t.Errorf("requests = %d, want 3 (250+250+100, no next on the last)", len(queries))
	}
	want := "filter%5Bupdated_at%5D%5Bfrom%5D=1700000000&limit=250&order%5Bupdated_at%5D=asc&page=1"
	if queries[0] != want {
		t.Errorf("first query = %s, want %s", queries[0], want)
	}
}

func TestEmptyListIs204(t *testing.T) {
	var queries []string
	c := longLivedClient(t, serve(t, pagedContacts(0, &queries)), nil)
	got, err := c.SearchContacts(context.Background(), "79991234567", 10)
	if err != nil || got != nil {
		t.Fatalf("got %v, %v; want nil, nil", got, err)
	}
	if want := "limit=10&query=79991234567"; queries[0] != want {
		t.Errorf("query = %s, want %s", queries[0], want)
	}
}

func TestContactsByIDsBatchesIDs(t *testing.T) {
	var queries []string
	c := longLivedClient(t, serve(t, pagedContacts(10, &queries)), nil)
	ids := make([]int64, 150)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if _, err := c.ContactsByIDs(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	if len(queries) != 2 {
		t.Fatalf("requests = %d, want 2 (100 + 50 ids)", len(queries))
	}
}

// echoCreate answers a create with an id per item, keeping request_id, and
// remembers the size of every batch.
func echoCreate(key string, sizes *[]int) http.Handler {
	next := int64(100)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var items []struct {
			RequestID string `json:"request_id"`
		}
		json.NewDecoder(r.Body).Decode(&items)
		*sizes = append(*sizes, len(items))
		var out []map[string]any
		for i := len(items) - 1; i >= 0; i-- { // reversed: mapping must use request_id
			next++
			out = append(out, map[string]any{"id": next, "request_id": items[i].RequestID})
		}
		json.NewEncoder(w).Encode(map[string]any{"_embedded": map[string]any{key: out}})
	})
}

func TestCreateLeadsChunksAndMapsIDs(t *testing.T) {
	var sizes []int
	c := longLivedClient(t, serve(t, echoCreate("leads", &sizes)), func(cfg *amocrm.Config) { cfg.BatchSize = 2 })
	in := []crm.Lead{{Name: "a"}, {Name: "b", RequestID: "order-7"}, {Name: "c"}, {Name: "d"}, {Name: "e"}}
	got, err := c.CreateLeads(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Errorf("batch sizes = %v, want [2 2 1]", sizes)
	}
	want := map[string]int64{"a": 102, "b": 101, "c": 104, "d": 103, "e": 105}
	for _, l := range got {
		if l.ID != want[l.Name] {
			t.Errorf("lead %s id = %d, want %d", l.Name, l.ID, want[l.Name])
		}
	}
	if got[1].RequestID != "order-7" || got[0].RequestID != "0" {
		t.Errorf("request ids = %q, %q; want order-7 kept and 0 assigned", got[1].RequestID, got[0].RequestID)
	}
	if in[0].RequestID != "" {
		t.Error("input slice was modified")
	}
}

func TestComplexLeadsAtMost50(t *testing.T) {
	var sizes []int
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var leads []crm.Lead
		json.NewDecoder(r.Body).Decode(&leads)
		sizes = append(sizes, len(leads))
		var out []crm.ComplexResult
		for _, l := range leads {
			out = append(out, crm.ComplexResult{ID: 1, ContactID: 2, RequestID: []string{l.RequestID}})
		}
		json.NewEncoder(w).Encode(out)
	})
	c := longLivedClient(t, serve(t, h), func(cfg *amocrm.Config) { cfg.BatchSize = 250 })
	got, err := c.CreateComplexLeads(context.Background(), make([]crm.Lead, 120))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || len(got) != 120 || got[119].RequestID[0] != "119" {
		t.Errorf("sizes %v, %d results; want [50 50 20] and 120 with request ids", sizes, len(got))
	}
}
