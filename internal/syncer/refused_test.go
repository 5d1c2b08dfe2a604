package syncer_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// TestRefusedItemWithoutRequestID: amoCRM may refuse a batch with a 400
// whose errors name no item (reference §4.1). Every write path then halves
// the batch until the bad item is alone, parks it with amoCRM's reason,
// sends the good ones, and ends within about 2·log2(batch) extra requests.
// The bad deal carries a field deleted in amoCRM after the account's
// metadata was cached: amoCRM refuses what the transform could not foresee.
func TestRefusedItemWithoutRequestID(t *testing.T) {
	const n = 9 // records in the batch; the bad one is in the middle
	const bad = 5
	type setup struct {
		edit func(*config.Config)
		// seed writes the shop; record i (1-based) is the bad one when bad.
		seed func(h *harness, i int, bad bool) int64
		// change runs a first pass and makes the change the tested pass
		// writes; nil when the tested pass is the first.
		change func(h *harness, ids []int64)
		kind   string // the parked record's kind
		count  func(h *harness) int
	}
	cases := map[string]setup{
		"create": {
			seed: func(h *harness, i int, bad bool) int64 {
				spec := modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7900000%04d", i)}}
				if bad {
					spec.Properties = goneFieldProperties
				}
				return h.order(spec)
			},
			change: func(h *harness, ids []int64) { goneLeadField(h) },
			kind:   "order",
			count:  func(h *harness) int { return len(h.box.Leads()) },
		},
		"update": {
			edit: func(c *config.Config) { c.Orders.ResendOnStatusChange = true },
			seed: func(h *harness, i int, bad bool) int64 {
				return h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7900000%04d", i)}})
			},
			change: func(h *harness, ids []int64) {
				h.pass(syncer.PassOptions{})
				goneLeadField(h)
				for i, id := range ids {
					if i+1 == bad {
						testdb.Exec(h.t, h.db, fmt.Sprintf("UPDATE modx_ms2_orders SET properties = '%s' WHERE id = %d", goneFieldProperties, id))
					}
					testdb.Exec(h.t, h.db, fmt.Sprintf("UPDATE modx_ms2_orders SET status = 2, cost = '250.00' WHERE id = %d", id))
					if _, err := modxtest.InsertStatusLog(h.ctx, h.db, h.shop, modxtest.LogSpec{OrderID: id, Entry: "2"}); err != nil {
						h.t.Fatal(err)
					}
				}
			},
			kind: "order",
			count: func(h *harness) int {
				n := 0
				for _, l := range h.box.Leads() {
					if l.Price == 250 {
						n++
					}
				}
				return n
			},
		},
		"unsorted": {
			edit: func(c *config.Config) {
				c.Orders.Enabled = false
				c.Forms.Enabled, c.Forms.AsLead, c.Forms.Unsorted = true, true, true
			},
			seed: func(h *harness, i int, bad bool) int64 {
				id, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{
					Values: fmt.Sprintf(`{"name":"Гость %d","phone":"+7900000%04d"}`, i, i)})
				if err != nil {
					h.t.Fatal(err)
				}
				if bad { // no form name: amoCRM wants metadata.form_id
					testdb.Exec(h.t, h.db, fmt.Sprintf("UPDATE modx_formit_forms SET form = '' WHERE id = %d", id))
				}
				return id
			},
			kind:  "form",
			count: func(h *harness) int { return len(h.box.Unsorted()) },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarnessTB(t, modxtest.Options{FormIt: true}, tc.edit,
				sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1, Modes: sandbox.Modes{NoRequestID: true}})
			var ids []int64
			for i := 1; i <= n; i++ {
				ids = append(ids, tc.seed(h, i, i == bad))
			}
			if tc.change != nil {
				tc.change(h, ids)
			}
			h.box.ResetRequests()
			res := h.pass(syncer.PassOptions{})

			if got, want := tc.count(h), n-1; got != want {
				t.Errorf("good records written: got %d, want %d (%s)", got, want, res.Summary())
			}
			failed, err := h.store.Failures(h.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) != 1 || failed[0].Kind != tc.kind || failed[0].SourceID != ids[bad-1] {
				t.Fatalf("parked: got %+v, want only %s:%d", failed, tc.kind, ids[bad-1])
			}
			if !strings.Contains(failed[0].Reason, "refused") {
				t.Errorf("parked reason %q does not say amoCRM refused it", failed[0].Reason)
			}
			writes := 0
			for _, r := range h.box.Requests() {
				if r.Method != "GET" {
					writes++
				}
			}
			// One request for the batch, then at most two per halving.
			if limit := 1 + 2*int(math.Ceil(math.Log2(n))) + 1; writes > limit {
				t.Errorf("writes: %d requests, want at most %d", writes, limit)
			}
			if res.Parked != 1 {
				t.Errorf("summary parked %d, want 1: %s", res.Parked, res.Summary())
			}
		})
	}
}

// goneFieldProperties set the lead field goneLeadField makes up.
const goneFieldProperties = `{"amoCRMFields":{"Удалённое поле":"значение"}}`

// goneLeadField runs a pass that caches the account's metadata (orders are
// not selected) and adds to the cache a lead field amoCRM does not have, as
// if a manager deleted it since: the cache is trusted for an hour.
func goneLeadField(h *harness) {
	h.t.Helper()
	h.passWith(site.EngineOptions{Only: []string{syncer.SourceForms}}, syncer.PassOptions{})
	const key = "account_meta" // the syncer's cache of pipelines, users and fields
	v, ok, err := h.store.Meta(h.ctx, key)
	if err != nil || !ok {
		h.t.Fatalf("cached account metadata: %v (present: %v)", err, ok)
	}
	var cache map[string]json.RawMessage
	var fields []crm.CustomField
	if err := json.Unmarshal([]byte(v), &cache); err != nil {
		h.t.Fatal(err)
	}
	if err := json.Unmarshal(cache["lead_fields"], &fields); err != nil {
		h.t.Fatal(err)
	}
	fields = append(fields, crm.CustomField{ID: 999999, Name: "Удалённое поле", Type: "text"})
	if cache["lead_fields"], err = json.Marshal(fields); err != nil {
		h.t.Fatal(err)
	}
	b, err := json.Marshal(cache)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.SetMeta(h.ctx, key, string(b)); err != nil {
		h.t.Fatal(err)
	}
}
