package sandboxtest

import (
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// Deal is what the sandbox holds of one deal besides its fields, for an
// end-to-end test to hold against the shop: its products by EXTERNAL_ID
// (the shop's product id) with their quantities, its tags and its tasks.
type Deal struct {
	LeadID   int64
	Products map[string]float64
	Tags     []string
	Tasks    []sandbox.TaskState
	// Unknown counts linked elements without an EXTERNAL_ID.
	Unknown int
}

// Deals returns the deals by the value of their field with code (the
// order-number field, "MODX_ORDER"); deals without it are left out. A value
// two deals share is an error: the test has found a duplicate.
func Deals(s *sandbox.Server, code string) (map[string]Deal, error) {
	external := map[int64]string{}
	for _, e := range s.Elements() {
		for _, f := range e.CustomFieldsValues {
			if f.FieldCode == "EXTERNAL_ID" && len(f.Values) > 0 {
				external[e.ID] = fmt.Sprint(f.Values[0].Value)
			}
		}
	}
	tasks := map[int64][]sandbox.TaskState{}
	for _, t := range s.Tasks() {
		if t.EntityType == "leads" {
			tasks[t.EntityID] = append(tasks[t.EntityID], t)
		}
	}
	out := map[string]Deal{}
	for _, l := range s.Leads() {
		key := ""
		for _, f := range l.CustomFieldsValues {
			if f.FieldCode == code && len(f.Values) > 0 {
				key = fmt.Sprint(f.Values[0].Value)
			}
		}
		if key == "" {
			continue
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s %s: two deals", code, key)
		}
		d := Deal{LeadID: l.ID, Products: map[string]float64{}, Tasks: tasks[l.ID]}
		for _, t := range l.Tags {
			d.Tags = append(d.Tags, t.Name)
		}
		for _, e := range l.Elements {
			if ext, ok := external[e.ElementID]; ok {
				d.Products[ext] = float64(e.Quantity)
			} else {
				d.Unknown++
			}
		}
		out[key] = d
	}
	return out, nil
}
