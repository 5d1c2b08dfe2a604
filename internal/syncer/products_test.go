package syncer_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// product inserts a product of the shop.
func (h *harness) product(title, article, price string) int64 {
	h.t.Helper()
	id, err := modxtest.InsertProduct(h.ctx, h.db, h.shop, modxtest.ProductSpec{Title: title, Article: article, Price: price})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// orderOf inserts an order of one customer per phone, with lines of
// products (id, count).
func (h *harness) orderOf(phone string, lines ...int64) int64 {
	h.t.Helper()
	var ls []modxtest.LineSpec
	for i := 0; i+1 < len(lines); i += 2 {
		ls = append(ls, modxtest.LineSpec{ProductID: lines[i], Count: lines[i+1]})
	}
	return h.order(modxtest.OrderSpec{Address: map[string]any{"phone": phone, "email": nil}, Lines: ls})
}

// element is the products list's element with an external id, or nil.
func (h *harness) element(productID int64) *sandbox.ElementState {
	for _, e := range h.box.Elements() {
		for _, f := range e.CustomFieldsValues {
			if f.FieldCode == crm.FieldExternalID && len(f.Values) > 0 && valueString(f.Values[0].Value) == strconv.FormatInt(productID, 10) {
				return &e
			}
		}
	}
	return nil
}

// TestProductElements: each product becomes one element of the products
// list. A product renamed and repriced in the shop updates its element once,
// when it is next ordered. An element a manager made by hand is found by
// its article and given the external id, not made again; after our state
// lost its elements they are found by their external id. An account whose
// plan has no lists gets its deals without products, and the report says
// why.
func TestProductElements(t *testing.T) {
	const elements = "/api/v4/catalogs/7001/elements"
	t.Run("renamed", func(t *testing.T) {
		h := newHarness(t, modxtest.Options{}, extrasOn)
		p := h.product("Кружка", "MUG-1", "300.00")
		first := h.orderOf("+7 901 000-00-01", p, 2)
		h.pass(syncer.PassOptions{})
		testdb.Exec(t, h.db, fmt.Sprintf("UPDATE modx_site_content SET pagetitle = 'Кружка большая' WHERE id = %d", p))
		testdb.Exec(t, h.db, fmt.Sprintf("UPDATE modx_ms2_products SET price = 350 WHERE id = %d", p))
		h.box.ResetRequests()
		second := h.orderOf("+7 901 000-00-02", p, 1)
		var r entries
		h.pass(syncer.PassOptions{Report: &r})
		third := h.orderOf("+7 901 000-00-03", p, 4)
		h.pass(syncer.PassOptions{})
		if got := h.requests("PATCH", elements); got != 1 {
			t.Errorf("element updates: %d, want 1", got)
		}
		if got := h.requests("POST", elements); got != 0 {
			t.Errorf("element creates after the first order: %d, want 0", got)
		}
		e := h.element(p)
		if e == nil || e.Name != "Кружка большая" || fieldText(e.CustomFieldsValues, crm.FieldPrice) != "350" {
			t.Errorf("element after the rename: %+v", e)
		}
		if len(h.box.Elements()) != 1 {
			t.Errorf("elements: %d, want 1", len(h.box.Elements()))
		}
		if !hasEntry(r, "element", plan.Update, "product:"+strconv.FormatInt(p, 10)) {
			t.Errorf("the report does not show the element's update: %+v", r)
		}
		h.checkExtras(t, []int64{first, second, third})
	})
	t.Run("hand-made", func(t *testing.T) {
		h := newHarness(t, modxtest.Options{}, extrasOn)
		p := h.product("Кружка", "MUG-1", "300.00")
		made, err := h.site.Client.CreateCatalogElements(h.ctx, sandbox.ProductsCatalogID, []crm.CatalogElement{{Name: "Кружка (склад)",
			CustomFieldsValues: []crm.CustomFieldValues{{FieldCode: crm.FieldSKU, Values: []crm.FieldValue{{Value: "MUG-1"}}}}}})
		if err != nil || len(made) != 1 {
			t.Fatalf("make an element by hand: %v", err)
		}
		id := h.orderOf("+7 901 000-00-01", p, 2)
		h.pass(syncer.PassOptions{})
		if got := len(h.box.Elements()); got != 1 {
			t.Errorf("elements: %d, want the hand-made one only", got)
		}
		if e := h.element(p); e == nil || e.ID != made[0].ID {
			t.Errorf("the hand-made element %d did not get the product's external id: %+v", made[0].ID, e)
		}
		h.checkExtras(t, []int64{id})

		// Our state loses its elements: they are found by external id.
		testdb.Exec(t, h.db, "DELETE FROM amocrm_sync_catalog_elements")
		testdb.Exec(t, h.db, "DELETE FROM amocrm_sync_meta WHERE name = 'products_list_read'")
		h.box.ResetRequests()
		again := h.orderOf("+7 901 000-00-02", p, 3)
		h.pass(syncer.PassOptions{})
		if got := h.requests("POST", elements) + h.requests("PATCH", elements); got != 0 {
			t.Errorf("element writes after the state lost them: %d, want 0 (found by external id)", got)
		}
		h.checkExtras(t, []int64{id, again})
	})
	t.Run("no lists", func(t *testing.T) {
		h := newHarnessModes(t, modxtest.Options{}, extrasOn, sandbox.Modes{NoLists: true})
		p := h.product("Кружка", "MUG-1", "300.00")
		id := h.orderOf("+7 901 000-00-01", p, 2)
		var r entries
		res := h.pass(syncer.PassOptions{Report: &r})
		if res.Count("lead", plan.Create) != 1 || res.Parked != 0 {
			t.Errorf("the deal goes without its products: %s", res.Summary())
		}
		if !hasEntry(r, "products", plan.Skip, "products") {
			t.Errorf("the report does not say why deals go without products: %+v", r)
		}
		h.box.ResetRequests()
		h.orderOf("+7 901 000-00-02", p, 1)
		h.pass(syncer.PassOptions{})
		if got := h.requests("GET", "/api/v4/catalogs"); got != 0 {
			t.Errorf("lists read again within the hour: %d requests", got)
		}
		if d := h.leadsByOrder()[strconv.FormatInt(id, 10)]; len(d.Elements) != 0 {
			t.Errorf("deal has products on an account without lists: %+v", d.Elements)
		}
	})
}

// TestExtrasRefused: amoCRM refuses an element (a list field deleted since
// the account's metadata was cached), a deal's links (an element a manager
// deleted) or a task (a task type deleted). The deal is made all the same:
// the record is parked with amoCRM's reason, its deal reported created and
// the refused part failed, and the other deals of the batch get theirs. A
// refused element is made on the retry, with the list's fields read again,
// and the deal linked then.
func TestExtrasRefused(t *testing.T) {
	type setup struct {
		// spoil makes amoCRM refuse a part of the next orders, after a
		// first pass that made a deal and the element of product p.
		spoil func(h *harness, p int64)
		kind  string // the refused part's report entry
		// refused picks the parked orders among the new ones: the second
		// orders a new product, the third the first order's.
		refused func(second, third int64) []int64
		healed  bool // a retry sends what was refused
	}
	cases := map[string]setup{
		"element": {kind: "products", healed: true, refused: func(second, _ int64) []int64 { return []int64{second} },
			spoil: func(h *harness, _ int64) {
				editCache(h, func(c map[string]json.RawMessage) {
					var list struct {
						Catalog json.RawMessage
						Fields  []crm.CustomField
					}
					mustJSON(h.t, c["products"], &list)
					for i := range list.Fields {
						if list.Fields[i].Code == crm.FieldPrice {
							list.Fields[i].ID = 999999 // deleted from the list since
						}
					}
					c["products"] = toJSON(h.t, list)
				})
			}},
		"links": {kind: "products", refused: func(_, third int64) []int64 { return []int64{third} },
			spoil: func(h *harness, p int64) {
				testdb.Exec(h.t, h.db, fmt.Sprintf("UPDATE amocrm_sync_catalog_elements SET element_id = 999999 WHERE product_id = %d", p))
			}},
		"task": {kind: "task", refused: func(second, third int64) []int64 { return []int64{second, third} },
			spoil: func(h *harness, _ int64) {
				editCache(h, func(c map[string]json.RawMessage) {
					c["task_types"] = toJSON(h.t, []crm.TaskType{{ID: 1, Name: "Связаться"}, {ID: 999, Name: "Позвонить дважды"}})
				})
				h.cfg.Orders.Task.Type = config.IDRef{Name: "Позвонить дважды"}
			}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			forEachAccount(t, sandbox.Modes{}, func(t *testing.T, modes sandbox.Modes) {
				h := newHarnessModes(t, modxtest.Options{}, extrasOn, modes)
				mug, spoon := h.product("Кружка", "MUG-1", "300.00"), h.product("Ложка", "SP-1", "90.00")
				first := h.orderOf("+7 901 000-00-01", mug, 1)
				h.pass(syncer.PassOptions{})
				tc.spoil(h, mug)
				second := h.orderOf("+7 901 000-00-02", spoon, 2)
				third := h.orderOf("+7 901 000-00-03", mug, 3)
				var r entries
				// A task type gone from amoCRM is then the config's mistake:
				// the pass stops at the next batch, after committing this one.
				_, err := h.engine(site.EngineOptions{}).Pass(h.ctx, syncer.PassOptions{Report: &r})
				if err != nil && !(name == "task" && strings.Contains(err.Error(), "orders.task.type")) {
					t.Fatalf("pass: %v", err)
				}
				failed, err := h.store.Failures(h.ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.refused(second, third)
				var got []int64
				for _, f := range failed {
					got = append(got, f.SourceID)
					if !strings.Contains(f.Reason, "refused") {
						t.Errorf("order %d parked with %q, which does not say amoCRM refused it", f.SourceID, f.Reason)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("parked: %+v, want orders %v", failed, want)
				}
				for _, id := range want {
					key := "order:" + strconv.FormatInt(id, 10)
					if !hasEntry(r, "lead", plan.Create, key) || !hasEntry(r, tc.kind, plan.Fail, key) {
						t.Errorf("report: want %s's deal created and its %s failed; got %+v", key, tc.kind, r)
					}
				}
				if tc.kind == "products" {
					h.checkExtras(t, slices.DeleteFunc([]int64{first, second, third}, func(id int64) bool { return slices.Contains(want, id) }))
				}
				if !tc.healed {
					return
				}
				if _, err := h.store.Retry(h.ctx, true, nil); err != nil {
					t.Fatal(err)
				}
				h.pass(syncer.PassOptions{})
				h.checkOnce(t, once{orders: []int64{first, second, third}, deals: 3, contacts: 3, extras: true})
				if failed, err := h.store.Failures(h.ctx); err != nil || len(failed) > 0 {
					t.Errorf("parked after the retry: %+v %v", failed, err)
				}
			})
		})
	}
}

// editCache changes the cached account metadata, as if amoCRM changed
// since it was read: the cache is trusted for an hour.
func editCache(h *harness, edit func(map[string]json.RawMessage)) {
	h.t.Helper()
	const key = "account_meta"
	v, ok, err := h.store.Meta(h.ctx, key)
	if err != nil || !ok {
		h.t.Fatalf("cached account metadata: %v (present: %v)", err, ok)
	}
	var cache map[string]json.RawMessage
	mustJSON(h.t, json.RawMessage(v), &cache)
	edit(cache)
	if err := h.store.SetMeta(h.ctx, key, string(toJSON(h.t, cache))); err != nil {
		h.t.Fatal(err)
	}
}

func mustJSON(t testing.TB, b json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func toJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hasEntry reports whether a report has an entry of kind with action and key.
func hasEntry(es entries, kind string, a plan.Action, key string) bool {
	return slices.ContainsFunc(es, func(e plan.Entry) bool { return e.Kind == kind && e.Action == a && e.Key == key })
}

// fieldText is the first value of the field with code.
func fieldText(fs []sandbox.FieldValues, code string) string {
	for _, f := range fs {
		if f.FieldCode == code && len(f.Values) > 0 {
			return valueString(f.Values[0].Value)
		}
	}
	return ""
}
