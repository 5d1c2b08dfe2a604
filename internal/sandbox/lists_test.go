package sandbox_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
)

// product is an element body of the default products list.
func product(name, sku, price, external string) map[string]any {
	fv := func(code, v string) map[string]any {
		return map[string]any{"field_code": code, "values": []any{map[string]any{"value": v}}}
	}
	return map[string]any{"name": name, "request_id": external,
		"custom_fields_values": []any{fv("SKU", sku), fv("PRICE", price), fv("EXTERNAL_ID", external)}}
}

var elementsPath = fmt.Sprintf("/api/v4/catalogs/%d/elements", sandbox.ProductsCatalogID)

func TestCatalogs(t *testing.T) {
	a := start(t, sandbox.Options{})
	var list struct {
		Embedded struct {
			Catalogs []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"catalogs"`
		} `json:"_embedded"`
	}
	a.do("GET", "/api/v4/catalogs?type=products", nil).want(t, 200).json(t, &list)
	if c := list.Embedded.Catalogs; len(c) != 1 || c[0].ID != sandbox.ProductsCatalogID || c[0].Type != "products" || c[0].Name != "Товары" {
		t.Errorf("products lists = %+v, want the one «Товары»", c)
	}
	a.do("GET", "/api/v4/catalogs?type=invoices", nil).want(t, http.StatusNoContent)
	var fields struct {
		Embedded struct {
			Fields []struct {
				ID   int64  `json:"id"`
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"custom_fields"`
		} `json:"_embedded"`
	}
	a.do("GET", fmt.Sprintf("/api/v4/catalogs/%d/custom_fields", sandbox.ProductsCatalogID), nil).want(t, 200).json(t, &fields)
	var codes []string
	for _, f := range fields.Embedded.Fields {
		codes = append(codes, f.Code+":"+f.Type)
	}
	for _, want := range []string{"SKU:text", "PRICE:price", "EXTERNAL_ID:text", "GROUP:category"} {
		if !slices.Contains(codes, want) {
			t.Errorf("products list fields %v lack %s", codes, want)
		}
	}
	a.do("GET", "/api/v4/catalogs/1", nil).want(t, http.StatusNotFound)

	b := start(t, sandbox.Options{Seed: sandbox.SeedWithoutProducts()})
	b.do("GET", "/api/v4/catalogs?type=products", nil).want(t, http.StatusNoContent)
	if n := len(ids(t, b.do("GET", "/api/v4/catalogs", nil).want(t, 200), "catalogs")); n != 1 {
		t.Errorf("account without products: %d lists, want its one regular list", n)
	}
}

func TestElementsWrite(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", elementsPath, []any{product("Кроссовки", "ART-1", "1500.00", "101"), product("Сапоги", "", "2500", "102")})
	if got := firstError(t, r); got != "102 NotBlank custom_fields_values.0.values.0.value" {
		t.Errorf("blank SKU: %q", got)
	}
	var created struct {
		Embedded struct {
			Elements []struct {
				ID        int64  `json:"id"`
				Name      string `json:"name"`
				RequestID string `json:"request_id"`
				CatalogID int64  `json:"catalog_id"`
			} `json:"elements"`
		} `json:"_embedded"`
	}
	a.do("POST", elementsPath, []any{product("Кроссовки", "ART-1", "1500.00", "101"), product("Сапоги", "ART-2", "2500", "102")}).
		want(t, 200).json(t, &created)
	els := created.Embedded.Elements
	if len(els) != 2 || els[0].RequestID != "101" || els[1].Name != "Сапоги" || els[0].CatalogID != sandbox.ProductsCatalogID {
		t.Fatalf("created = %+v", els)
	}
	a.do("PATCH", elementsPath, []any{map[string]any{"id": els[0].ID, "name": "Кроссовки беговые",
		"custom_fields_values": []any{map[string]any{"field_id": sandbox.PriceFieldID, "values": []any{map[string]any{"value": 1700}}}}}}).want(t, 200)
	stored := a.srv.Elements()
	if stored[0].Name != "Кроссовки беговые" || len(stored[0].CustomFieldsValues) != 3 {
		t.Errorf("after PATCH: %+v, want the new name and the SKU and EXTERNAL_ID kept", stored[0])
	}
	tests := []struct {
		name, method string
		body         any
		want         string
	}{
		{"no name", "POST", []any{map[string]any{"custom_fields_values": []any{}}}, "0 FieldMissing name"},
		{"id on create", "POST", []any{map[string]any{"id": 5, "name": "x"}}, "0 FieldNotExpected id"},
		{"unknown code", "POST", []any{map[string]any{"name": "x", "custom_fields_values": []any{map[string]any{"field_code": "BARCODE", "values": []any{map[string]any{"value": "1"}}}}}}, "0 NotSupportedChoice custom_fields_values.0.field_code"},
		{"price not a number", "POST", []any{map[string]any{"name": "x", "custom_fields_values": []any{map[string]any{"field_code": "PRICE", "values": []any{map[string]any{"value": "дорого"}}}}}}, "0 InvalidType custom_fields_values.0.values.0.value"},
		{"catalog_id in the body", "POST", []any{map[string]any{"name": "x", "catalog_id": sandbox.ProductsCatalogID}}, "0 FieldNotExpected catalog_id"},
		{"patch without id", "PATCH", []any{map[string]any{"name": "x"}}, "0 FieldMissing id"},
		{"patch unknown id", "PATCH", []any{map[string]any{"id": 1, "name": "x"}}, "0 NotSupportedChoice id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstError(t, a.do(tt.method, elementsPath, tt.body)); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	a.do("POST", "/api/v4/catalogs/1/elements", []any{product("x", "y", "1", "z")}).want(t, http.StatusNotFound)
	if n := len(a.srv.Elements()); n != 2 {
		t.Errorf("%d elements stored, want 2: refused writes store nothing", n)
	}
}

// TestElementsPaging: whatever limit asks, a page holds at most 100 and
// names no next page (amocrm-api-php #528); the last page is the short one.
func TestElementsPaging(t *testing.T) {
	a := start(t, sandbox.Options{})
	var batch []any
	for i := range 130 {
		batch = append(batch, product(fmt.Sprintf("Товар %d", i), fmt.Sprintf("ART-%03d", i), "100", fmt.Sprint(1000+i)))
	}
	a.do("POST", elementsPath, batch).want(t, 200)
	var page struct {
		Links struct {
			Next *struct{ Href string } `json:"next"`
		} `json:"_links"`
	}
	first := a.do("GET", elementsPath+"?limit=250", nil).want(t, 200)
	first.json(t, &page)
	if n := len(ids(t, first, "elements")); n != 100 || page.Links.Next != nil {
		t.Errorf("limit=250: %d elements, next %v; want 100 and no next", n, page.Links.Next)
	}
	if n := len(ids(t, a.do("GET", elementsPath+"?limit=250&page=2", nil).want(t, 200), "elements")); n != 30 {
		t.Errorf("page 2: %d elements, want 30", n)
	}
	a.do("GET", elementsPath+"?page=3", nil).want(t, http.StatusNoContent)
	all := a.srv.Elements()
	got := ids(t, a.do("GET", fmt.Sprintf("%s?filter[id][]=%d&filter[id][]=%d", elementsPath, all[5].ID, all[7].ID), nil).want(t, 200), "elements")
	if !slices.Equal(got, []int64{all[5].ID, all[7].ID}) {
		t.Errorf("filter[id] = %v", got)
	}
	if got := ids(t, a.do("GET", elementsPath+"?query=ART-042", nil).want(t, 200), "elements"); !slices.Equal(got, []int64{all[42].ID}) {
		t.Errorf("query by SKU = %v, want element 42", got)
	}
	a.do("GET", elementsPath+"?order[id]=desc", nil).want(t, http.StatusBadRequest)
}

// linkFixture makes two leads, a contact and three products.
func linkFixture(t *testing.T, a *api) (leads, elements []int64, contact int64) {
	t.Helper()
	leads = ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "Заказ 1"}, map[string]any{"name": "Заказ 2"}}).want(t, 200), "leads")
	contact = ids(t, a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Иван"}}).want(t, 200), "contacts")[0]
	elements = ids(t, a.do("POST", elementsPath, []any{product("A", "A-1", "10", "1"), product("B", "B-1", "20", "2"),
		product("C", "C-1", "30", "3")}).want(t, 200), "elements")
	return leads, elements, contact
}

func elementLink(id, quantity any) map[string]any {
	return map[string]any{"to_entity_id": id, "to_entity_type": "catalog_elements",
		"metadata": map[string]any{"catalog_id": sandbox.ProductsCatalogID, "quantity": quantity, "price_id": nil}}
}

func quantities(t *testing.T, s *sandbox.Server, lead int64) map[int64]float64 {
	t.Helper()
	for _, l := range s.Leads() {
		if l.ID == lead {
			out := map[int64]float64{}
			for _, e := range l.Elements {
				out[e.ElementID] = float64(e.Quantity)
			}
			return out
		}
	}
	t.Fatalf("no lead %d", lead)
	return nil
}

func TestLinks(t *testing.T) {
	a := start(t, sandbox.Options{})
	leads, els, contact := linkFixture(t, a)
	one := fmt.Sprintf("/api/v4/leads/%d/link", leads[0])
	r := a.do("POST", one, []any{elementLink(els[0], 2), elementLink(els[1], 1.5),
		map[string]any{"to_entity_id": contact, "to_entity_type": "contacts", "metadata": map[string]any{"is_main": true}}}).want(t, 200)
	if !strings.Contains(string(r.body), `"quantity":2.0`) || !strings.Contains(string(r.body), `"main_contact":true`) {
		t.Errorf("link answer %s: want quantities as floats and main_contact", r.body)
	}
	a.do("POST", one, []any{elementLink(els[0], 3)}).want(t, 200)
	if got := quantities(t, a.srv, leads[0]); got[els[0]] != 3 || got[els[1]] != 1.5 {
		t.Errorf("after linking again: %v, want the quantity set to 3", got)
	}
	// The mass form: items name their lead.
	mass := []any{elementLink(els[2], 4), elementLink(els[0], 1)}
	mass[0].(map[string]any)["entity_id"] = leads[0]
	mass[1].(map[string]any)["entity_id"] = leads[1]
	mass[1].(map[string]any)["entity_type"] = "leads"
	a.do("POST", "/api/v4/leads/link", mass).want(t, 200)
	if got := quantities(t, a.srv, leads[1]); len(got) != 1 || got[els[0]] != 1 {
		t.Errorf("second lead after the mass link: %v", got)
	}

	var back struct {
		Embedded struct {
			Links []struct {
				EntityID     int64  `json:"entity_id"`
				ToEntityID   int64  `json:"to_entity_id"`
				ToEntityType string `json:"to_entity_type"`
				Metadata     struct {
					Quantity  float64 `json:"quantity"`
					CatalogID int64   `json:"catalog_id"`
				} `json:"metadata"`
			} `json:"links"`
		} `json:"_embedded"`
	}
	a.do("GET", fmt.Sprintf("/api/v4/leads/%d/links?filter[to_catalog_id]=%d", leads[0], sandbox.ProductsCatalogID), nil).want(t, 200).json(t, &back)
	if l := back.Embedded.Links; len(l) != 3 || l[0].EntityID != 0 || l[2].ToEntityID != els[2] || l[2].Metadata.Quantity != 4 {
		t.Errorf("links of the first lead = %+v", l)
	}
	back.Embedded.Links = nil
	a.do("GET", fmt.Sprintf("/api/v4/leads/links?filter[entity_id][]=%d&filter[entity_id][]=%d&filter[to_entity_type]=contacts&filter[to_entity_id]=%d",
		leads[0], leads[1], contact), nil).want(t, 200).json(t, &back)
	if l := back.Embedded.Links; len(l) != 1 || l[0].EntityID != leads[0] || l[0].ToEntityType != "contacts" {
		t.Errorf("mass read of the contact link = %+v", l)
	}
	r = a.do("GET", fmt.Sprintf("/api/v4/leads/%d?with=catalog_elements", leads[1]), nil).want(t, 200)
	if !strings.Contains(string(r.body), fmt.Sprintf(`"catalog_elements":[{"id":%d,"metadata":{"quantity":1.0,"catalog_id":%d}}]`, els[0], sandbox.ProductsCatalogID)) {
		t.Errorf("with=catalog_elements: %s", r.body)
	}

	a.do("POST", fmt.Sprintf("/api/v4/leads/%d/unlink", leads[0]), []any{elementLink(els[1], nil)}).want(t, http.StatusNoContent)
	unmass := []any{elementLink(els[0], nil)}
	unmass[0].(map[string]any)["entity_id"] = leads[1]
	a.do("POST", "/api/v4/leads/unlink", unmass).want(t, http.StatusNoContent)
	a.do("POST", "/api/v4/leads/unlink", unmass).want(t, http.StatusNoContent) // nothing linked: nothing done
	if got := quantities(t, a.srv, leads[0]); len(got) != 2 || got[els[1]] != 0 {
		t.Errorf("first lead after unlink: %v", got)
	}
	a.do("GET", fmt.Sprintf("/api/v4/leads/%d/links", leads[1]), nil).want(t, http.StatusNoContent)
}

func TestLinkValidation(t *testing.T) {
	a := start(t, sandbox.Options{})
	leads, els, contact := linkFixture(t, a)
	other := ids(t, a.do("POST", elementsPath, []any{product("D", "D-1", "1", "4")}).want(t, 200), "elements")[0]
	a.do("PATCH", elementsPath, []any{map[string]any{"id": other, "name": "D"}}).want(t, 200)
	one := fmt.Sprintf("/api/v4/leads/%d/link", leads[0])
	noCatalog := map[string]any{"to_entity_id": els[0], "to_entity_type": "catalog_elements", "metadata": map[string]any{"quantity": 1}}
	tests := []struct {
		name, path string
		item       any
		want       string
	}{
		{"no catalog_id", one, noCatalog, "0 FieldMissing metadata.catalog_id"},
		{"unknown element", one, elementLink(1, 1), "0 NotSupportedChoice to_entity_id"},
		{"zero quantity", one, elementLink(els[0], 0), "0 InvalidType metadata.quantity"},
		{"quantity as text", one, elementLink(els[0], "два"), "0 InvalidType metadata.quantity"},
		{"unknown user", one, map[string]any{"to_entity_id": contact, "to_entity_type": "contacts", "metadata": map[string]any{"updated_by": 1}}, "0 NotSupportedChoice metadata.updated_by"},
		{"company", one, map[string]any{"to_entity_id": 5, "to_entity_type": "companies"}, "0 NotSupportedChoice to_entity_id"},
		{"other lead's entity_id", one, map[string]any{"entity_id": leads[1], "to_entity_id": contact, "to_entity_type": "contacts"}, "0 NotSupportedChoice entity_id"},
		{"mass without entity_id", "/api/v4/leads/link", elementLink(els[0], 1), "0 FieldMissing entity_id"},
		{"request_id", one, map[string]any{"to_entity_id": contact, "to_entity_type": "contacts", "request_id": "x"}, "x FieldNotExpected request_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstError(t, a.do("POST", tt.path, []any{tt.item})); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	a.do("POST", "/api/v4/leads/1/link", []any{elementLink(els[0], 1)}).want(t, http.StatusNotFound)
	a.do("POST", one, []any{elementLink(els[0], 1), elementLink(1, 1)}).want(t, http.StatusBadRequest)
	if got := quantities(t, a.srv, leads[0]); len(got) != 0 {
		t.Errorf("a refused request linked %v", got)
	}
}

func TestLinksStrict(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{LinksStrict: true}})
	leads, els, _ := linkFixture(t, a)
	one := fmt.Sprintf("/api/v4/leads/%d/link", leads[0])
	a.do("POST", one, []any{elementLink(els[0], 2)}).want(t, 200)
	a.do("POST", one, []any{elementLink(els[0], 2)}).want(t, 200)
	if got := quantities(t, a.srv, leads[0]); got[els[0]] != 4 {
		t.Errorf("linked twice: quantity %v, want 4 (added up)", got[els[0]])
	}
	unlink := fmt.Sprintf("/api/v4/leads/%d/unlink", leads[0])
	if got := firstError(t, a.do("POST", unlink, []any{elementLink(els[0], nil), elementLink(els[1], nil)})); got != "1 NotSupportedChoice to_entity_id" {
		t.Errorf("unlinking what is not linked: %q", got)
	}
	if got := quantities(t, a.srv, leads[0]); got[els[0]] != 4 {
		t.Error("a refused unlink removed a link")
	}
}

func TestNoLists(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{NoLists: true}})
	lead := ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "Заказ"}}).want(t, 200), "leads")[0]
	contact := ids(t, a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Иван"}}).want(t, 200), "contacts")[0]
	for _, path := range []string{"/api/v4/catalogs", elementsPath} {
		r := a.do("GET", path, nil).want(t, http.StatusForbidden)
		if r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s, want problem+json", path, r.header.Get("Content-Type"))
		}
	}
	a.do("POST", elementsPath, []any{product("A", "A", "1", "1")}).want(t, http.StatusForbidden)
	link := fmt.Sprintf("/api/v4/leads/%d/link", lead)
	a.do("POST", link, []any{map[string]any{"to_entity_id": contact, "to_entity_type": "contacts"}}).want(t, 200)
	a.do("GET", "/api/v4/account", nil).want(t, 200)
}

func TestTasks(t *testing.T) {
	a := start(t, sandbox.Options{})
	leads := ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "1"}, map[string]any{"name": "2"}}).want(t, 200), "leads")
	task := func(lead int64, text string, typ int) map[string]any {
		return map[string]any{"text": text, "complete_till": 1767225600, "task_type_id": typ, "entity_id": lead,
			"entity_type": "leads", "responsible_user_id": sandbox.AdminUserID + 1, "request_id": text}
	}
	r := a.do("POST", "/api/v4/tasks", []any{task(leads[0], "Позвонить", 1), task(leads[1], "Написать", sandbox.LettersTaskTypeID)}).want(t, 200)
	created := ids(t, r, "tasks")
	if len(created) != 2 || !strings.Contains(string(r.body), `"request_id":"Написать"`) {
		t.Fatalf("created %v: %s", created, r.body)
	}
	tests := []struct {
		name string
		item map[string]any
		want string
	}{
		{"no text", map[string]any{"complete_till": 1}, "0 FieldMissing text"},
		{"blank text", map[string]any{"text": " ", "complete_till": 1}, "0 NotBlank text"},
		{"no due", map[string]any{"text": "x"}, "0 FieldMissing complete_till"},
		{"unknown type", map[string]any{"text": "x", "complete_till": 1, "task_type_id": 9}, "0 NotSupportedChoice task_type_id"},
		{"entity without type", map[string]any{"text": "x", "complete_till": 1, "entity_id": leads[0]}, "0 FieldMissing entity_type"},
		{"unknown lead", map[string]any{"text": "x", "complete_till": 1, "entity_id": 1, "entity_type": "leads"}, "0 NotSupportedChoice entity_id"},
		{"unknown responsible", map[string]any{"text": "x", "complete_till": 1, "responsible_user_id": 1}, "0 NotSupportedChoice responsible_user_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstError(t, a.do("POST", "/api/v4/tasks", []any{tt.item})); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	got := ids(t, a.do("GET", fmt.Sprintf("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id][]=%d", leads[1]), nil).want(t, 200), "tasks")
	if !slices.Equal(got, created[1:]) {
		t.Errorf("tasks of the second lead = %v, want %v", got, created[1:])
	}
	a.do("GET", fmt.Sprintf("/api/v4/tasks?filter[entity_id]=%d", leads[1]), nil).want(t, http.StatusBadRequest)
	if got := ids(t, a.do("GET", "/api/v4/tasks?order[id]=desc&limit=1", nil).want(t, 200), "tasks"); !slices.Equal(got, created[1:]) {
		t.Errorf("newest task = %v", got)
	}
	a.do("GET", fmt.Sprintf("/api/v4/tasks/%d", created[0]), nil).want(t, 200)
	a.do("GET", "/api/v4/tasks/1", nil).want(t, http.StatusNoContent)
	if ts := a.srv.Tasks(); len(ts) != 2 || ts[0].TaskTypeID != 1 || ts[0].ResponsibleUserID != sandbox.AdminUserID+1 {
		t.Errorf("stored tasks = %+v", ts)
	}

	var acc struct {
		Embedded struct {
			TaskTypes []struct {
				ID   int64   `json:"id"`
				Code *string `json:"code"`
			} `json:"task_types"`
		} `json:"_embedded"`
	}
	a.do("GET", "/api/v4/account?with=task_types", nil).want(t, 200).json(t, &acc)
	if tt := acc.Embedded.TaskTypes; len(tt) != 3 || tt[0].ID != 1 || *tt[0].Code != "FOLLOW_UP" || tt[2].Code != nil {
		t.Errorf("task types = %+v", tt)
	}
}

func TestTrackingFields(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "Заказ", "custom_fields_values": []any{
		map[string]any{"field_code": "UTM_SOURCE", "values": []any{map[string]any{"value": "yandex"}}},
		map[string]any{"field_code": "_ym_uid", "values": []any{map[string]any{"value": "1699999999123456789"}}},
	}, "_embedded": map[string]any{"catalog_elements": []any{map[string]any{"id": 1}}}}}).want(t, 200)
	l := a.srv.Leads()[0]
	if len(l.CustomFieldsValues) != 2 || l.CustomFieldsValues[0].FieldType != "tracking_data" || l.CustomFieldsValues[1].FieldCode != "_YM_UID" {
		t.Errorf("tracking values = %+v", l.CustomFieldsValues)
	}
	if len(l.Elements) != 0 {
		t.Error("products in a create body were linked; amoCRM drops them (#487)")
	}
}

func TestDealsHelper(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/leads/custom_fields", []any{map[string]any{"name": "Номер заказа MODX", "type": "text", "code": "MODX_ORDER"}}).want(t, 200)
	order := func(n string) map[string]any {
		return map[string]any{"name": "Заказ " + n, "_embedded": map[string]any{"tags": []any{map[string]any{"name": "сайт"}}},
			"custom_fields_values": []any{map[string]any{"field_code": "MODX_ORDER", "values": []any{map[string]any{"value": n}}}}}
	}
	leads := ids(t, a.do("POST", "/api/v4/leads", []any{order("7"), order("8"), map[string]any{"name": "руками"}}).want(t, 200), "leads")
	els := ids(t, a.do("POST", elementsPath, []any{product("A", "A-1", "1", "100"), map[string]any{"name": "без id"}}).want(t, 200), "elements")
	a.do("POST", fmt.Sprintf("/api/v4/leads/%d/link", leads[0]), []any{elementLink(els[0], 2), elementLink(els[1], 1)}).want(t, 200)
	a.do("POST", "/api/v4/tasks", []any{map[string]any{"text": "x", "complete_till": 1, "entity_id": leads[0], "entity_type": "leads"}}).want(t, 200)
	deals, err := sandboxtest.Deals(a.srv, "MODX_ORDER")
	if err != nil {
		t.Fatal(err)
	}
	d := deals["7"]
	if len(deals) != 2 || d.LeadID != leads[0] || d.Products["100"] != 2 || d.Unknown != 1 || len(d.Tasks) != 1 || d.Tags[0] != "сайт" ||
		len(deals["8"].Products) != 0 {
		t.Errorf("Deals = %+v", deals)
	}
	a.do("POST", "/api/v4/leads", []any{order("7")}).want(t, 200)
	if _, err := sandboxtest.Deals(a.srv, "MODX_ORDER"); err == nil || !strings.Contains(err.Error(), "MODX_ORDER 7: two deals") {
		t.Errorf("a duplicate deal: %v", err)
	}
}
