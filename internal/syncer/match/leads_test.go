package match

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// leadList is an account's deals for findLeads: listed newest first a page
// at a time, and searched by a `query` that finds only what search finds.
type leadList struct {
	CRM          // the methods FindLeads does not call panic
	leads        []crm.Lead
	searchable   map[string]bool // values `query` finds
	pages, calls int
	searched     []string
}

func (l *leadList) SearchLeads(_ context.Context, query string) ([]crm.Lead, error) {
	l.searched = append(l.searched, query)
	if !l.searchable[query] {
		return nil, nil
	}
	var out []crm.Lead
	for _, ld := range l.leads {
		if Holds(&ld, LeadKey{"MODX_ORDER", query}) {
			out = append(out, ld)
		}
	}
	return out, nil
}

func (l *leadList) LeadsNewestFirst(_ context.Context, downTo int64, _ bool, fn func([]crm.Lead) error) error {
	l.calls++
	byID := slices.SortedFunc(slices.Values(l.leads), func(a, b crm.Lead) int { return cmp.Compare(b.ID, a.ID) })
	for page := range slices.Chunk(byID, 2) {
		l.pages++
		kept := slices.DeleteFunc(slices.Clone(page), func(ld crm.Lead) bool { return ld.ID <= downTo })
		if len(kept) > 0 {
			if err := fn(kept); errors.Is(err, amocrm.ErrStopPaging) {
				return nil
			} else if err != nil {
				return err
			}
		}
		if len(kept) < len(page) {
			return nil
		}
	}
	return nil
}

func orderLead(id int64, order string) crm.Lead {
	return crm.Lead{ID: id, CustomFieldsValues: []crm.CustomFieldValues{{FieldCode: "MODX_ORDER", Values: []crm.FieldValue{{Value: order}}}}}
}

// TestFindLeads: one scan down to the lowest bound settles every key,
// matching only deals above the key's own bound and stopping once all are
// found; a key without a bound is searched for first, and a search that
// finds nothing proves nothing.
func TestFindLeads(t *testing.T) {
	key := func(order int) LeadKey { return LeadKey{"MODX_ORDER", strconv.Itoa(order)} }
	tests := []struct {
		name       string
		leads      []crm.Lead
		searchable []string
		want       map[LeadKey]int64
		found      map[LeadKey]int64 // key -> lead id
		pages      int
		searched   int
	}{
		{
			name:  "found above their bounds",
			leads: []crm.Lead{orderLead(101, "1"), orderLead(102, "2"), orderLead(103, "x"), orderLead(104, "y")},
			want:  map[LeadKey]int64{key(1): 100, key(2): 100},
			found: map[LeadKey]int64{key(1): 101, key(2): 102},
			pages: 2,
		},
		{
			// Another order's old deal holding the same number is not this
			// create's: it is below the bound.
			name:  "below the bound is not it",
			leads: []crm.Lead{orderLead(90, "3"), orderLead(101, "1")},
			want:  map[LeadKey]int64{key(1): 100, key(3): 100},
			found: map[LeadKey]int64{key(1): 101},
			pages: 1,
		},
		{
			name:  "stops once everything is found",
			leads: []crm.Lead{orderLead(1, "a"), orderLead(2, "b"), orderLead(3, "c"), orderLead(4, "d"), orderLead(105, "1")},
			want:  map[LeadKey]int64{key(1): 0},
			found: map[LeadKey]int64{key(1): 105},
			pages: 1,
		},
		{
			name:       "no bound: searched first",
			leads:      []crm.Lead{orderLead(7, "5"), orderLead(8, "x"), orderLead(9, "y")},
			searchable: []string{"5"},
			want:       map[LeadKey]int64{key(5): state.NoBound},
			found:      map[LeadKey]int64{key(5): 7},
			searched:   1,
		},
		{
			name:     "no bound, search blind: the whole list",
			leads:    []crm.Lead{orderLead(7, "5"), orderLead(8, "x"), orderLead(9, "y")},
			want:     map[LeadKey]int64{key(5): state.NoBound},
			found:    map[LeadKey]int64{key(5): 7},
			pages:    2,
			searched: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crm := &leadList{leads: tt.leads, searchable: map[string]bool{}}
			for _, v := range tt.searchable {
				crm.searchable[v] = true
			}
			found, err := (&Matcher{crm: crm}).FindLeads(context.Background(), tt.want)
			if err != nil {
				t.Fatal(err)
			}
			got := map[LeadKey]int64{}
			for k, l := range found {
				got[k] = l.ID
			}
			if !maps.Equal(got, tt.found) {
				t.Errorf("found %v, want %v", got, tt.found)
			}
			if crm.pages != tt.pages || crm.calls > 1 || len(crm.searched) != tt.searched {
				t.Errorf("%d scans, %d pages, searches %v; want at most one scan of %d pages and %d searches",
					crm.calls, crm.pages, crm.searched, tt.pages, tt.searched)
			}
		})
	}
}
