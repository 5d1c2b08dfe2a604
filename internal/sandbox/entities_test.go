package sandbox_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

func TestListsPageAndEmpty(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("GET", "/api/v4/leads", nil).want(t, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("204 body = %q, want empty", r.body)
	}
	batch := make([]map[string]any, 120)
	for i := range batch {
		batch[i] = map[string]any{"name": fmt.Sprintf("Клиент %d", i)}
	}
	res := a.do("POST", "/api/v4/contacts", batch).want(t, http.StatusOK)
	if got := res.header.Get("Content-Type"); got != "application/hal+json" {
		t.Errorf("Content-Type = %q, want application/hal+json", got)
	}

	var page struct {
		Page  int `json:"_page"`
		Links struct {
			Self struct{ Href string }  `json:"self"`
			Next *struct{ Href string } `json:"next"`
		} `json:"_links"`
	}
	first := a.do("GET", "/api/v4/contacts?limit=50", nil).want(t, http.StatusOK)
	first.json(t, &page)
	if n := len(ids(t, first, "contacts")); n != 50 || page.Page != 1 || page.Links.Next == nil || !strings.Contains(page.Links.Next.Href, "page=2") {
		t.Fatalf("page 1: %d items, _page %d, next %v", n, page.Page, page.Links.Next)
	}
	last := a.do("GET", "/api/v4/contacts?limit=50&page=3", nil).want(t, http.StatusOK)
	page.Links.Next = nil
	last.json(t, &page)
	if n := len(ids(t, last, "contacts")); n != 20 || page.Links.Next != nil {
		t.Errorf("page 3: %d items, next %v; want 20 and no next", n, page.Links.Next)
	}
	a.do("GET", "/api/v4/contacts?limit=50&page=4", nil).want(t, http.StatusNoContent)
	if n := len(ids(t, a.do("GET", "/api/v4/contacts", nil), "contacts")); n != 50 {
		t.Errorf("default limit gave %d items, want 50", n)
	}
	a.do("GET", "/api/v4/contacts?limit=251", nil).want(t, http.StatusBadRequest)
	a.do("GET", "/api/v4/contacts?filter[pipeline_id]=1", nil).want(t, http.StatusBadRequest)
}

func TestWriteValidation(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/leads/custom_fields", []map[string]any{
		{"name": "Номер заказа", "type": "text"}, {"name": "Комментарий", "type": "textarea"},
		{"name": "Доставка", "type": "select", "enums": []any{map[string]any{"value": "Курьер"}}},
	}).want(t, http.StatusOK)
	byName := map[string]int64{}
	for _, f := range a.srv.Fields("leads") {
		byName[f.Name] = f.ID
	}
	text, textarea, sel := byName["Номер заказа"], byName["Комментарий"], byName["Доставка"]
	value := func(id int64, v any) map[string]any {
		return map[string]any{"field_id": id, "values": []any{map[string]any{"value": v}}}
	}
	lead := func(fv ...map[string]any) map[string]any {
		return map[string]any{"name": "x", "custom_fields_values": fv, "request_id": "bad"}
	}
	tests := []struct {
		name string
		path string
		body any
		want string
	}{
		{"unknown top-level key", "/api/v4/leads", []any{map[string]any{"name": "x", "nmae": "y"}}, "0 FieldNotExpected nmae"},
		{"unknown field id", "/api/v4/leads", []any{lead(value(999, "x"))}, "bad NotSupportedChoice custom_fields_values.0.field_id"},
		{"unknown field code", "/api/v4/contacts", []any{map[string]any{"custom_fields_values": []any{map[string]any{"field_code": "SKYPE", "values": []any{map[string]any{"value": "x"}}}}}}, "0 NotSupportedChoice custom_fields_values.0.field_code"},
		{"bad enum code", "/api/v4/contacts", []any{map[string]any{"custom_fields_values": []any{phone("+79990000000", "CELL")}}}, "0 NotSupportedChoice custom_fields_values.0.values.0.enum_code"},
		{"text over 256", "/api/v4/leads", []any{lead(value(text, strings.Repeat("я", 257)))}, "bad TooLongValue custom_fields_values.0.values.0.value"},
		{"textarea over 10000", "/api/v4/leads", []any{lead(value(textarea, strings.Repeat("a", 10001)))}, "bad TooLongValue custom_fields_values.0.values.0.value"},
		{"text as number", "/api/v4/leads", []any{lead(value(text, 5))}, "bad InvalidType custom_fields_values.0.values.0.value"},
		{"select option", "/api/v4/leads", []any{lead(value(sel, "Самовывоз"))}, "bad NotSupportedChoice custom_fields_values.0.values.0.value"},
		{"price not integer", "/api/v4/leads", []any{map[string]any{"price": 10.5}}, "0 InvalidType price"},
		{"unknown pipeline", "/api/v4/leads", []any{map[string]any{"pipeline_id": 5}}, "0 NotSupportedChoice pipeline_id"},
		{"status of other pipeline", "/api/v4/leads", []any{map[string]any{"pipeline_id": sandbox.MainPipelineID, "status_id": 20012}}, "0 NotSupportedChoice status_id"},
		{"unsorted status", "/api/v4/leads", []any{map[string]any{"status_id": 20001}}, "0 NotSupportedChoice status_id"},
		{"unknown user", "/api/v4/leads", []any{map[string]any{"responsible_user_id": 1}}, "0 NotSupportedChoice responsible_user_id"},
		{"unknown contact link", "/api/v4/leads", []any{map[string]any{"_embedded": map[string]any{"contacts": []any{map[string]any{"id": 7}}}}}, "0 NotSupportedChoice _embedded.contacts.0.id"},
		{"patch without id", "/api/v4/leads", []any{map[string]any{"name": "x"}}, "0 FieldMissing id"},
		{"post with id", "/api/v4/contacts", []any{map[string]any{"id": 1, "name": "x"}}, "0 FieldNotExpected id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if strings.HasPrefix(tt.name, "patch") {
				method = "PATCH"
			}
			if got := firstError(t, a.do(method, tt.path, tt.body)); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	for _, body := range []string{`{"name":"x"}`, `[]`, `not json`} {
		a.do("POST", "/api/v4/leads", body).want(t, http.StatusBadRequest)
	}
	a.do("POST", "/api/v4/leads", make([]map[string]any, 251)).want(t, http.StatusBadRequest)
	if n := len(a.srv.Leads()); n != 0 {
		t.Errorf("stored %d leads from invalid requests, want 0", n)
	}
}

func TestInvalidItemRejectsWholeRequest(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", "/api/v4/contacts", []any{
		map[string]any{"name": "ok", "request_id": "a"},
		map[string]any{"name": "bad", "request_id": "b", "custom_fields_values": []any{phone("+7", "NOPE")}},
		map[string]any{"name": "ok too", "request_id": "c"},
	})
	var v validation
	r.want(t, http.StatusBadRequest).json(t, &v)
	if len(v.Errors) != 1 || v.Errors[0].RequestID != "b" || v.Detail != "Request validation failed" || v.Status != 400 {
		t.Errorf("validation = %+v, want one entry for request b", v)
	}
	if n := len(a.srv.Contacts()); n != 0 {
		t.Errorf("stored %d contacts, want none from a rejected request", n)
	}
}

func TestWriteEchoesRequestID(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "a", "request_id": "order-7"}, map[string]any{"name": "b"}}).want(t, 200)
	var v struct {
		Embedded struct {
			Leads []struct {
				ID        int64  `json:"id"`
				RequestID string `json:"request_id"`
			} `json:"leads"`
		} `json:"_embedded"`
	}
	r.json(t, &v)
	if len(v.Embedded.Leads) != 2 || v.Embedded.Leads[0].RequestID != "order-7" || v.Embedded.Leads[1].RequestID != "1" {
		t.Fatalf("results = %+v, want request ids order-7 and 1", v.Embedded.Leads)
	}
	leads := a.srv.Leads()
	if leads[0].PipelineID != sandbox.MainPipelineID || leads[0].StatusID != 20002 {
		t.Errorf("default placement = pipeline %d status %d, want %d / 20002", leads[0].PipelineID, leads[0].StatusID, sandbox.MainPipelineID)
	}
	a.do("PATCH", "/api/v4/leads", []any{map[string]any{"id": v.Embedded.Leads[0].ID, "status_id": sandbox.StatusWon}}).want(t, 200)
	if got := a.srv.Leads()[0]; got.StatusID != sandbox.StatusWon || got.ClosedAt == 0 {
		t.Errorf("after win: status %d closed_at %d", got.StatusID, got.ClosedAt)
	}
	if got := firstError(t, a.do("PATCH", "/api/v4/leads", []any{map[string]any{"id": 1}})); got != "0 NotSupportedChoice id" {
		t.Errorf("unknown id: %q", got)
	}
}

func TestPatchReplacesFieldValues(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", "/api/v4/contacts", []any{map[string]any{"first_name": "Иван", "last_name": "Петров",
		"custom_fields_values": []any{
			map[string]any{"field_code": "PHONE", "values": []any{
				map[string]any{"value": "+79990000001", "enum_code": "WORK"}, map[string]any{"value": "+79990000002", "enum_code": "MOB"}}},
			email("ivan@example.com"),
		}}}).want(t, 200)
	id := ids(t, r, "contacts")[0]
	c := a.srv.Contacts()[0]
	if c.Name != "Иван Петров" || len(c.CustomFieldsValues) != 2 || len(c.CustomFieldsValues[0].Values) != 2 {
		t.Fatalf("created = %+v", c)
	}

	a.do("PATCH", "/api/v4/contacts", []any{map[string]any{"id": id, "custom_fields_values": []any{phone("+79990000003", "HOME")}}}).want(t, 200)
	c = a.srv.Contacts()[0]
	if len(c.CustomFieldsValues) != 2 {
		t.Fatalf("fields after patch = %+v, want phone and email", c.CustomFieldsValues)
	}
	ph := c.CustomFieldsValues[0]
	if len(ph.Values) != 1 || ph.Values[0].Value != "+79990000003" || ph.Values[0].EnumCode != "HOME" || ph.Values[0].EnumID == 0 {
		t.Errorf("phone = %+v, want the single new HOME value", ph)
	}

	a.do("PATCH", "/api/v4/contacts", []any{map[string]any{"id": id, "custom_fields_values": []any{map[string]any{"field_code": "EMAIL", "values": nil}}}}).want(t, 200)
	c = a.srv.Contacts()[0]
	if len(c.CustomFieldsValues) != 1 || c.CustomFieldsValues[0].FieldCode != "PHONE" {
		t.Errorf("after values:null = %+v, want only the phone", c.CustomFieldsValues)
	}
}

// A PHONE or EMAIL value without an enum is taken, as amoCRM takes the
// official SDK's examples (examples/leads_complex_actions.php sends none).
func TestMultitextWithoutEnum(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Иван", "custom_fields_values": []any{
		map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": "+79991234567"}}},
		map[string]any{"field_code": "EMAIL", "values": []any{map[string]any{"value": "ivan@example.com"}}},
	}}}).want(t, 200)
	c := a.srv.Contacts()[0]
	if len(c.CustomFieldsValues) != 2 || c.CustomFieldsValues[0].Values[0].Value != "+79991234567" || c.CustomFieldsValues[0].Values[0].EnumCode != "" {
		t.Errorf("stored = %+v, want the phone and the e-mail with no enum", c.CustomFieldsValues)
	}
	if got := firstError(t, a.do("POST", "/api/v4/contacts", []any{map[string]any{"custom_fields_values": []any{
		map[string]any{"field_code": "PHONE", "values": []any{map[string]any{"value": " "}}}}}})); got != "0 NotBlank custom_fields_values.0.values.0.value" {
		t.Errorf("blank phone: %q", got)
	}
}

func TestComplexLeads(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", "/api/v4/leads/complex", []any{map[string]any{
		"name": "Заказ #1", "price": 1500, "request_id": "order-1",
		"_embedded": map[string]any{"contacts": []any{map[string]any{"first_name": "Анна",
			"custom_fields_values": []any{phone("+79991112233", "WORK")}}}},
	}}).want(t, 200)
	var res []struct {
		ID        int64    `json:"id"`
		ContactID int64    `json:"contact_id"`
		RequestID []string `json:"request_id"`
		Merged    bool     `json:"merged"`
	}
	r.json(t, &res)
	if len(res) != 1 || res[0].ID == 0 || res[0].ContactID == 0 || len(res[0].RequestID) != 1 || res[0].RequestID[0] != "order-1" {
		t.Fatalf("complex result = %+v", res)
	}
	var lead struct {
		Embedded struct {
			Contacts []struct {
				ID     int64 `json:"id"`
				IsMain bool  `json:"is_main"`
			} `json:"contacts"`
		} `json:"_embedded"`
	}
	a.do("GET", fmt.Sprintf("/api/v4/leads/%d?with=contacts", res[0].ID), nil).want(t, 200).json(t, &lead)
	if len(lead.Embedded.Contacts) != 1 || lead.Embedded.Contacts[0].ID != res[0].ContactID || !lead.Embedded.Contacts[0].IsMain {
		t.Errorf("lead contacts = %+v, want main contact %d", lead.Embedded.Contacts, res[0].ContactID)
	}

	existing := map[string]any{"name": "x", "_embedded": map[string]any{"contacts": []any{map[string]any{"id": res[0].ContactID}}}}
	if got := firstError(t, a.do("POST", "/api/v4/leads/complex", []any{existing})); got != "0 FieldNotExpected _embedded.contacts.0.id" {
		t.Errorf("existing contact: %q", got)
	}
	values := make([]any, 41)
	for i := range values {
		values[i] = map[string]any{"value": fmt.Sprintf("+7999%07d", i), "enum_code": "WORK"}
	}
	tooMany := map[string]any{"name": "x", "_embedded": map[string]any{"contacts": []any{map[string]any{
		"custom_fields_values": []any{map[string]any{"field_code": "PHONE", "values": values}}}}}}
	if got := firstError(t, a.do("POST", "/api/v4/leads/complex", []any{tooMany})); got != "0 InvalidCount _embedded.contacts.0.custom_fields_values" {
		t.Errorf("41 values: %q", got)
	}
	a.do("POST", "/api/v4/leads/complex", make([]map[string]any, 51)).want(t, http.StatusBadRequest)
	if n := len(a.srv.Leads()); n != 1 {
		t.Errorf("leads = %d, want 1", n)
	}
}

func TestQuerySearch(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("POST", "/api/v4/contacts", []any{
		map[string]any{"name": "Иван Петров", "custom_fields_values": []any{phone("+7 (999) 123-45-67", "WORK"), email("Ivan@Example.com")}},
		map[string]any{"name": "Мария", "custom_fields_values": []any{phone("+79990000000", "MOB")}},
	}).want(t, 200)
	tests := []struct {
		query string
		want  int
	}{
		{"79991234567", 1},
		{"9991234567", 1},
		{"+7 999 123 45 67", 1},
		{"89991234567", 0}, // no 8 -> 7 rewriting: the client normalises
		{"ivan@example.com", 1},
		{"петров", 1},
		{"999", 2},
		{"nobody", 0},
	}
	for _, tt := range tests {
		r := a.do("GET", "/api/v4/contacts?query="+urlEscape(tt.query), nil)
		if tt.want == 0 {
			r.want(t, http.StatusNoContent)
			continue
		}
		if got := len(ids(t, r.want(t, 200), "contacts")); got != tt.want {
			t.Errorf("query %q: %d contacts, want %d", tt.query, got, tt.want)
		}
	}
	a.do("POST", "/api/v4/leads/custom_fields", []any{map[string]any{"name": "Номер заказа", "type": "text", "code": "ORDER_NO"}}).want(t, 200)
	a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "Заказ", "custom_fields_values": []any{
		map[string]any{"field_code": "ORDER_NO", "values": []any{map[string]any{"value": "A-1042"}}}}}}).want(t, 200)
	if got := len(ids(t, a.do("GET", "/api/v4/leads?query=a-1042", nil).want(t, 200), "leads")); got != 1 {
		t.Errorf("lead by field value: %d, want 1", got)
	}
}

func TestFiltersAndOrder(t *testing.T) {
	a := start(t, sandbox.Options{})
	for i := range 3 {
		a.do("POST", "/api/v4/leads", []any{map[string]any{"name": fmt.Sprint(i)}}).want(t, 200)
		a.clock.Add(60e9)
	}
	all := a.srv.Leads()
	tests := []struct {
		query string
		want  []int64
	}{
		{fmt.Sprintf("filter[id][]=%d&filter[id][]=%d", all[0].ID, all[2].ID), []int64{all[0].ID, all[2].ID}},
		{fmt.Sprintf("filter[id]=%d,%d", all[1].ID, all[2].ID), []int64{all[1].ID, all[2].ID}},
		{fmt.Sprintf("filter[updated_at][from]=%d", all[1].UpdatedAt), []int64{all[1].ID, all[2].ID}},
		{"order[updated_at]=desc", []int64{all[2].ID, all[1].ID, all[0].ID}},
		{"order[id]=asc&limit=1&page=2", []int64{all[1].ID}},
	}
	for _, tt := range tests {
		got := ids(t, a.do("GET", "/api/v4/leads?"+tt.query, nil).want(t, 200), "leads")
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: ids %v, want %v", tt.query, got, tt.want)
		}
	}
}

func urlEscape(s string) string {
	return strings.NewReplacer("+", "%2B", " ", "+", "@", "%40", "(", "%28", ")", "%29").Replace(s)
}
