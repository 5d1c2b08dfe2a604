package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

func TestSearchLag(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{SearchLag: time.Minute}})
	id := ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "Заказ 1042"}}).want(t, 200), "leads")[0]
	found := func() bool {
		r := a.do("GET", "/api/v4/leads?query=1042", nil)
		return r.status == http.StatusOK && slices.Equal(ids(t, r, "leads"), []int64{id})
	}
	a.clock.Add(59 * time.Second)
	if found() {
		t.Error("found 59s after the create, want blind for a minute")
	}
	if got := ids(t, a.do("GET", "/api/v4/leads", nil).want(t, 200), "leads"); !slices.Equal(got, []int64{id}) {
		t.Errorf("list without query = %v, want the lead: only search lags", got)
	}
	a.clock.Add(time.Second)
	if !found() {
		t.Fatal("not found a minute after the create")
	}
	a.do("PATCH", "/api/v4/leads", []any{map[string]any{"id": id, "name": "Заказ 1042 (оплачен)"}}).want(t, 200)
	if found() {
		t.Error("found right after an update, want blind again")
	}
}

func TestSearchNoFields(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{SearchNoFields: true}})
	a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Иван Петров",
		"custom_fields_values": []any{phone("+79991234567", "WORK"), email("ivan@example.com")}}}).want(t, 200)
	for _, q := range []string{"79991234567", "ivan@example.com"} {
		a.do("GET", "/api/v4/contacts?query="+urlEscape(q), nil).want(t, http.StatusNoContent)
	}
	if n := len(ids(t, a.do("GET", "/api/v4/contacts?query=петров", nil).want(t, 200), "contacts")); n != 1 {
		t.Errorf("by name: %d contacts, want 1", n)
	}
}

func TestFiltersIgnored(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{FiltersIgnored: true}})
	for i := range 3 {
		a.do("POST", "/api/v4/leads", []any{map[string]any{"name": fmt.Sprint(i)}}).want(t, 200)
		a.clock.Add(time.Minute)
	}
	all := a.srv.Leads()
	everything := []int64{all[0].ID, all[1].ID, all[2].ID}
	for _, q := range []string{
		fmt.Sprintf("filter[id][]=%d", all[0].ID),
		fmt.Sprintf("filter[updated_at][from]=%d", all[2].UpdatedAt),
		"filter[pipeline_id]=1", // refused by the default account
	} {
		if got := ids(t, a.do("GET", "/api/v4/leads?"+q, nil).want(t, 200), "leads"); !slices.Equal(got, everything) {
			t.Errorf("%s: ids %v, want all of %v", q, got, everything)
		}
	}
	if got := ids(t, a.do("GET", "/api/v4/leads?order[id]=desc&limit=2", nil).want(t, 200), "leads"); !slices.Equal(got, []int64{all[2].ID, all[1].ID}) {
		t.Errorf("order[id]=desc: %v, want the two newest, newest first", got)
	}
}

func TestValidationWithoutRequestID(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{NoRequestID: true}})
	r := a.do("POST", "/api/v4/contacts", []any{
		map[string]any{"name": "ok", "request_id": "a"},
		map[string]any{"name": "bad", "request_id": "b", "custom_fields_values": []any{phone("+79990000000", "CELL")}},
	}).want(t, http.StatusBadRequest)
	var body struct {
		Errors []map[string]json.RawMessage `json:"validation-errors"`
		Detail string                       `json:"detail"`
	}
	r.json(t, &body)
	if len(body.Errors) != 1 || body.Errors[0]["errors"] == nil || body.Detail != "Request validation failed" {
		t.Fatalf("body = %s, want one item with its errors", r.body)
	}
	if _, ok := body.Errors[0]["request_id"]; ok {
		t.Errorf("item names its request_id: %s", r.body)
	}
	if n := len(a.srv.Contacts()); n != 0 {
		t.Errorf("stored %d contacts, want none", n)
	}
}

func TestError244(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{Error244: true}})
	const want = `{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Код ошибки 244. В случае повторного возникновения ошибки, обращайтесь в нашу техническую поддержку - support@amocrm.ru"}`
	for _, method := range []string{"POST", "PATCH"} {
		r := a.do(method, "/api/v4/leads", []any{map[string]any{"name": "x"}}).want(t, http.StatusBadRequest)
		if got := strings.TrimSpace(string(r.body)); got != want {
			t.Errorf("%s body = %s, want %s", method, got, want)
		}
	}
	a.do("GET", "/api/v4/leads", nil).want(t, http.StatusNoContent)
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
}

func TestUnsortedDuplicatesStored(t *testing.T) {
	a := start(t, sandbox.Options{Modes: sandbox.Modes{UnsortedDuplicates: true}})
	a.do("POST", "/api/v4/leads/unsorted/forms", []any{unsortedForm("f-1"), unsortedForm("f-2")}).want(t, 200)
	a.do("POST", "/api/v4/leads/unsorted/forms", []any{unsortedForm("f-1")}).want(t, 200)
	a.do("POST", "/api/v4/leads/unsorted/forms", []any{unsortedForm("f-3"), unsortedForm("f-3")}).want(t, 200)
	tagged := map[string]int{}
	leads := map[int64]sandbox.LeadState{}
	for _, l := range a.srv.Leads() {
		leads[l.ID] = l
	}
	for _, u := range a.srv.Unsorted() {
		if slices.ContainsFunc(leads[u.LeadID].Tags, func(t sandbox.Tag) bool { return t.Name == sandbox.DuplicateTag }) {
			tagged[u.SourceUID]++
		}
	}
	if n := len(a.srv.Unsorted()); n != 5 || tagged["f-1"] != 2 || tagged["f-2"] != 0 || tagged["f-3"] != 2 {
		t.Errorf("%d incoming leads, tagged by source_uid %v; want 5 and both copies of f-1 and f-3", n, tagged)
	}
}

func TestDuplicateControl(t *testing.T) {
	type result struct {
		ID        int64 `json:"id"`
		ContactID int64 `json:"contact_id"`
		Merged    bool  `json:"merged"`
	}
	complex := func(a *api, body ...any) []result {
		var res []result
		a.do("POST", "/api/v4/leads/complex", body).want(t, 200).json(t, &res)
		return res
	}
	lead := func(name string, fields ...any) map[string]any {
		return map[string]any{"name": name, "_embedded": map[string]any{"contacts": []any{
			map[string]any{"name": "Анна", "custom_fields_values": fields}}}}
	}

	a := start(t, sandbox.Options{})
	first := complex(a, lead("Заказ 1", phone("+79991112233", "WORK")))[0]
	if again := complex(a, lead("Заказ 2", phone("+79991112233", "WORK")))[0]; again.Merged || again.ID == first.ID {
		t.Errorf("default account: %+v, want a new lead, not merged", again)
	}

	a = start(t, sandbox.Options{Modes: sandbox.Modes{DuplicateControl: true}})
	first = complex(a, lead("Заказ 1", phone("+7 (999) 111-22-33", "WORK")))[0]
	merged := complex(a, lead("Заказ 2", phone("89991112233", "MOB"), email("anna@example.com")))[0]
	if !merged.Merged || merged.ID != first.ID || merged.ContactID != first.ContactID {
		t.Fatalf("same phone: %+v, want merged into lead %d, contact %d", merged, first.ID, first.ContactID)
	}
	if leads, contacts := a.srv.Leads(), a.srv.Contacts(); len(leads) != 1 || leads[0].Name != "Заказ 1" || len(contacts) != 1 || len(contacts[0].CustomFieldsValues) != 2 {
		t.Errorf("after merge: leads %+v, contacts %+v; want the first lead kept and the e-mail added to the contact", leads, contacts)
	}

	cid := ids(t, a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Олег", "custom_fields_values": []any{email("oleg@example.com")}}}).want(t, 200), "contacts")[0]
	onContact := complex(a, lead("Заказ 3", email("OLEG@example.com")))[0]
	if !onContact.Merged || onContact.ContactID != cid || onContact.ID == first.ID {
		t.Errorf("e-mail of a contact without deals: %+v, want a new lead on contact %d, merged", onContact, cid)
	}

	twins := complex(a, lead("Заказ 4", phone("+79990000009", "WORK")), lead("Заказ 5", phone("+79990000009", "WORK")))
	if twins[0].Merged || twins[1].Merged || twins[0].ContactID == twins[1].ContactID {
		t.Errorf("one request: %+v, want no duplicate control between its leads", twins)
	}
}

func TestBlockAfterRepeated429(t *testing.T) {
	a := start(t, sandbox.Options{RPS: 1, Modes: sandbox.Modes{BlockAfter429: 3, BlockFor: 10 * time.Minute}})
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
	for range 3 {
		a.do("GET", "/api/v4/account", nil).want(t, http.StatusTooManyRequests)
	}
	a.clock.Add(time.Minute)
	for _, path := range []string{"/api/v4/account", "/api/v4/leads", "/oauth2/access_token"} {
		method := "GET"
		if strings.HasPrefix(path, "/oauth2") {
			method = "POST"
		}
		r := a.do(method, path, nil).want(t, http.StatusForbidden)
		if !strings.Contains(string(r.body), "403 Forbidden") {
			t.Errorf("%s: body %q, want nginx's 403 page", path, r.body)
		}
	}
	a.clock.Add(9 * time.Minute)
	a.do("GET", "/api/v4/account", nil).want(t, http.StatusOK)
}

func TestContactsOrder(t *testing.T) {
	a := start(t, sandbox.Options{})
	a.do("GET", "/api/v4/contacts?order[created_at]=asc", nil).want(t, http.StatusBadRequest)
	a.do("GET", "/api/v4/contacts?order[updated_at]=desc", nil).want(t, http.StatusNoContent)
	a.do("GET", "/api/v4/leads?order[created_at]=asc", nil).want(t, http.StatusNoContent)
}

func TestModesString(t *testing.T) {
	tests := []struct {
		m    sandbox.Modes
		want string
	}{
		{sandbox.Modes{}, "default"},
		{sandbox.Modes{}.Strict(), "-search-lag 1m0s -search-no-fields -filters-ignored -no-request-id -unsorted-duplicates -links-strict"},
		{sandbox.Modes{SearchLag: 5 * time.Second, Error244: true}.Strict(), "-search-lag 5s -search-no-fields -filters-ignored -no-request-id -unsorted-duplicates -error-244 -links-strict"},
		{sandbox.Modes{DuplicateControl: true, BlockAfter429: 10}, "-duplicate-control -block-after-429 10 -block-for 1h0m0s"},
		{sandbox.Modes{NoLists: true}, "-no-lists"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
