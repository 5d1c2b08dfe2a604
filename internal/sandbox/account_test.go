package sandbox_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

func TestDefaultPipelines(t *testing.T) {
	a := start(t, sandbox.Options{})
	var v struct {
		Total    int `json:"_total_items"`
		Embedded struct {
			Pipelines []struct {
				ID       int64  `json:"id"`
				Name     string `json:"name"`
				IsMain   bool   `json:"is_main"`
				Embedded struct {
					Statuses []struct {
						ID   int64 `json:"id"`
						Type int   `json:"type"`
					} `json:"statuses"`
				} `json:"_embedded"`
			} `json:"pipelines"`
		} `json:"_embedded"`
	}
	a.do("GET", "/api/v4/leads/pipelines", nil).want(t, 200).json(t, &v)
	if v.Total != 3 || len(v.Embedded.Pipelines) != 3 {
		t.Fatalf("pipelines = %d", len(v.Embedded.Pipelines))
	}
	main := v.Embedded.Pipelines[0]
	if main.ID != sandbox.MainPipelineID || main.Name != "Воронка" || !main.IsMain {
		t.Errorf("main pipeline = %+v", main)
	}
	for _, p := range v.Embedded.Pipelines {
		var open, unsorted int
		has := map[int64]bool{}
		for _, s := range p.Embedded.Statuses {
			has[s.ID] = true
			switch {
			case s.Type == 1:
				unsorted++
			case s.ID != 142 && s.ID != 143:
				open++
			}
		}
		if open < 3 || unsorted != 1 || !has[142] || !has[143] {
			t.Errorf("pipeline %s: %d open, %d unsorted, 142 %v, 143 %v", p.Name, open, unsorted, has[142], has[143])
		}
	}
	r := a.do("GET", "/api/v4/leads/pipelines/999", nil).want(t, http.StatusNotFound)
	var p struct{ Detail string }
	r.json(t, &p)
	if p.Detail != "Pipeline not found" {
		t.Errorf("404 detail = %q", p.Detail)
	}
}

func TestCreatePipelineAndStatuses(t *testing.T) {
	a := start(t, sandbox.Options{})
	r := a.do("POST", "/api/v4/leads/pipelines", []any{map[string]any{"name": "Сайт", "_embedded": map[string]any{
		"statuses": []any{map[string]any{"name": "Новый"}, map[string]any{"name": "Оплачен"}}}}}).want(t, 200)
	id := ids(t, r, "pipelines")[0]
	a.do("POST", fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses", id), []any{map[string]any{"name": "Отправлен"}}).want(t, 200)
	if got := firstError(t, a.do("POST", fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses", id), []any{map[string]any{"name": "новый"}})); got != "0 NotUnique name" {
		t.Errorf("duplicate status: %q", got)
	}
	ps := a.srv.Pipelines()
	p := ps[len(ps)-1]
	var names []string
	for _, s := range p.Statuses {
		names = append(names, s.Name)
	}
	if got, want := fmt.Sprint(names), "[Неразобранное Новый Оплачен Отправлен Успешно реализовано Закрыто и не реализовано]"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
	a.do("PATCH", fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses/%d", id, p.Statuses[1].ID), map[string]any{"name": "Принят"}).want(t, 200)
	a.do("PATCH", fmt.Sprintf("/api/v4/leads/pipelines/%d/statuses/142", id), map[string]any{"name": "x"}).want(t, http.StatusBadRequest)
	if got := a.srv.Pipelines()[3].Statuses[1].Name; got != "Принят" {
		t.Errorf("patched status name = %q", got)
	}
	if got := firstError(t, a.do("POST", "/api/v4/leads/pipelines", []any{map[string]any{"name": "воронка"}})); got != "0 NotUnique name" {
		t.Errorf("duplicate pipeline: %q", got)
	}
}

func TestCustomFields(t *testing.T) {
	a := start(t, sandbox.Options{})
	tracking := len(sandbox.TrackingCodes)
	if got := len(ids(t, a.do("GET", "/api/v4/leads/custom_fields?limit=250", nil).want(t, 200), "custom_fields")); got != tracking {
		t.Errorf("default lead fields: %d, want the %d tracking fields", got, tracking)
	}
	var v struct {
		Embedded struct {
			Fields []struct {
				Code  *string `json:"code"`
				Type  string  `json:"type"`
				Enums []struct {
					Value string `json:"value"`
				} `json:"enums"`
			} `json:"custom_fields"`
		} `json:"_embedded"`
	}
	a.do("GET", "/api/v4/contacts/custom_fields", nil).want(t, 200).json(t, &v)
	if len(v.Embedded.Fields) != 3 || *v.Embedded.Fields[0].Code != "PHONE" || len(v.Embedded.Fields[0].Enums) != 6 || len(v.Embedded.Fields[1].Enums) != 3 {
		t.Fatalf("contact fields = %+v", v.Embedded.Fields)
	}
	tests := []struct {
		field map[string]any
		want  string
	}{
		{map[string]any{"name": "Телефоны", "type": "multitext", "enums": []any{map[string]any{"value": "WORK"}}}, "0 NotSupportedChoice type"},
		{map[string]any{"name": "Вид", "type": "select"}, "0 FieldMissing enums"},
		{map[string]any{"name": "Трекинг", "type": "tracking_data"}, "0 NotSupportedChoice type"},
		{map[string]any{"type": "text"}, "0 FieldMissing name"},
	}
	for _, tt := range tests {
		if got := firstError(t, a.do("POST", "/api/v4/leads/custom_fields", []any{tt.field})); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.field, got, tt.want)
		}
	}
	a.do("POST", "/api/v4/leads/custom_fields", []any{map[string]any{"name": "Вес", "type": "numeric"}}).want(t, 200)
	if got := firstError(t, a.do("POST", "/api/v4/leads/custom_fields", []any{map[string]any{"name": "вес", "type": "text"}})); got != "0 NotUnique name" {
		t.Errorf("duplicate name: %q", got)
	}
	if n := len(a.srv.Fields("leads")); n != tracking+1 {
		t.Errorf("lead fields = %d, want %d", n, tracking+1)
	}
}

func TestUnsortedForms(t *testing.T) {
	a := start(t, sandbox.Options{})
	form := unsortedForm
	a.do("POST", "/api/v4/leads/unsorted/forms", []any{form("f-1")}).want(t, 200)
	leads, contacts := a.srv.Leads(), a.srv.Contacts()
	if len(leads) != 1 || leads[0].StatusID != 20011 || leads[0].PipelineID != sandbox.WholesalePipelineID || len(contacts) != 1 || leads[0].Contacts[0].ID != contacts[0].ID {
		t.Fatalf("unsorted lead = %+v, contacts %+v", leads, contacts)
	}
	if got := firstError(t, a.do("POST", "/api/v4/leads/unsorted/forms", []any{form("f-1")})); got != "0 NotUnique source_uid" {
		t.Errorf("duplicate source_uid: %q", got)
	}
	noMeta := form("f-2")
	delete(noMeta["metadata"].(map[string]any), "form_page")
	if got := firstError(t, a.do("POST", "/api/v4/leads/unsorted/forms", []any{noMeta})); got != "0 FieldMissing metadata.form_page" {
		t.Errorf("missing form_page: %q", got)
	}
}

func TestNotes(t *testing.T) {
	a := start(t, sandbox.Options{})
	id := ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "x"}}).want(t, 200), "leads")[0]
	a.do("POST", fmt.Sprintf("/api/v4/leads/%d/notes", id), []any{map[string]any{"note_type": "common", "params": map[string]any{"text": "Товары: …"}}}).want(t, 200)
	a.do("POST", "/api/v4/leads/notes", []any{map[string]any{"entity_id": id, "note_type": "common", "params": map[string]any{"text": "2"}}}).want(t, 200)
	if got := firstError(t, a.do("POST", "/api/v4/leads/notes", []any{map[string]any{"entity_id": id, "note_type": "common", "text": "outside"}})); got != "0 FieldMissing params.text" {
		t.Errorf("text outside params: %q", got)
	}
	a.do("POST", "/api/v4/leads/999/notes", []any{map[string]any{"note_type": "common", "params": map[string]any{"text": "x"}}}).want(t, http.StatusNotFound)
	if n := a.srv.Notes(); len(n) != 2 || n[0].EntityID != id {
		t.Errorf("notes = %+v", n)
	}
}

// TestLeadNoteList reads a deal's notes back as EntityNotes::getByParentId
// does: by type, in pages, 204 when none, 404 for an unknown deal.
func TestLeadNoteList(t *testing.T) {
	a := start(t, sandbox.Options{})
	deals := ids(t, a.do("POST", "/api/v4/leads", []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}).want(t, 200), "leads")
	note := func(lead int64, typ string, params map[string]any) map[string]any {
		return map[string]any{"entity_id": lead, "note_type": typ, "params": params}
	}
	a.do("POST", "/api/v4/leads/notes", []any{
		note(deals[0], "common", map[string]any{"text": "первая"}),
		note(deals[0], "service_message", map[string]any{"service": "shop", "text": "служебная"}),
		note(deals[1], "common", map[string]any{"text": "чужая"}),
		note(deals[0], "common", map[string]any{"text": "вторая"}),
	}).want(t, 200)
	type view struct {
		Embedded struct {
			Notes []struct {
				ID        int64          `json:"id"`
				EntityID  int64          `json:"entity_id"`
				NoteType  string         `json:"note_type"`
				Params    map[string]any `json:"params"`
				CreatedBy int64          `json:"created_by"`
			} `json:"notes"`
		} `json:"_embedded"`
		Links struct {
			Next *struct{} `json:"next"`
		} `json:"_links"`
	}
	texts := func(path string) ([]string, bool) {
		var v view
		a.do("GET", path, nil).want(t, 200).json(t, &v)
		var out []string
		for _, n := range v.Embedded.Notes {
			if n.EntityID != deals[0] || n.CreatedBy == 0 {
				t.Errorf("%s: note %+v", path, n)
			}
			out = append(out, n.Params["text"].(string))
		}
		return out, v.Links.Next != nil
	}
	base := fmt.Sprintf("/api/v4/leads/%d/notes", deals[0])
	for path, want := range map[string][]string{
		base:                                 {"первая", "служебная", "вторая"},
		base + "?filter[note_type]=common":   {"первая", "вторая"},
		base + "?filter[note_type][]=common": {"первая", "вторая"},
		base + "?filter[note_type][0]=common&order[id]=desc": {"вторая", "первая"},
	} {
		if got, _ := texts(path); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
	}
	if got, more := texts(base + "?limit=2"); len(got) != 2 || !more {
		t.Errorf("a page of 2: got %q, next page %v", got, more)
	}
	a.do("GET", base+"?filter[note_type]=call_in", nil).want(t, http.StatusNoContent)
	a.do("GET", base+"?filter[created_at][from]=1", nil).want(t, http.StatusBadRequest)
	a.do("GET", "/api/v4/leads/999/notes", nil).want(t, http.StatusNotFound)
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a := start(t, sandbox.Options{StatePath: path})
	a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "Сохранённый"}}).want(t, 200)
	var tok tokens
	tokenRequest(t, a.base, codeGrant(sandbox.DefaultAuthCode), false).want(t, 200).json(t, &tok)
	if err := a.srv.Save(); err != nil {
		t.Fatalf("save: %v", err)
	}

	b := start(t, sandbox.Options{StatePath: path})
	if c := b.srv.Contacts(); len(c) != 1 || c[0].Name != "Сохранённый" {
		t.Fatalf("contacts after restart = %+v", c)
	}
	wantHint(t, tokenRequest(t, b.base, codeGrant(sandbox.DefaultAuthCode), false), 400, "Authorization code has been revoked")
	b.token = tok.AccessToken
	b.do("GET", "/api/v4/account", nil).want(t, 200)
	tokenRequest(t, b.base, refreshGrant(tok.RefreshToken), false).want(t, 200)
	b.token = testToken
	if id := ids(t, b.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "n"}}), "contacts")[0]; id <= b.srv.Contacts()[0].ID {
		t.Errorf("new id %d does not follow the restored ones", id)
	}
}

func TestSeedReplacesAccount(t *testing.T) {
	seed := &sandbox.Seed{
		Account:   sandbox.Account{ID: 1, Name: "Shop", Subdomain: "shop"},
		Pipelines: []sandbox.Pipeline{{ID: 77, Name: "Заказы", IsMain: true, Statuses: []sandbox.Status{{ID: 501, Name: "Новый"}}}},
		Users:     []sandbox.User{{ID: 9, Name: "Админ"}},
	}
	a := start(t, sandbox.Options{Seed: seed})
	ps := a.srv.Pipelines()
	if len(ps) != 1 || len(ps[0].Statuses) != 3 {
		t.Fatalf("pipelines = %+v, want one with 501, 142, 143", ps)
	}
	a.do("GET", "/api/v4/contacts/custom_fields", nil).want(t, http.StatusNoContent)
	if got := ids(t, a.do("GET", "/api/v4/users", nil).want(t, 200), "users"); fmt.Sprint(got) != "[9]" {
		t.Errorf("users = %v", got)
	}
}

func TestLoadSeedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.json")
	const seed = `{"account": {"id": 1, "name": "Shop", "subdomain": "shop", "current_user_id": 9},
	 "pipelines": [{"id": 77, "name": "Заказы", "is_main": true, "is_unsorted_on": true,
	                "statuses": [{"id": 501, "name": "Новый", "sort": 20, "is_editable": true}]}],
	 "users": [{"id": 9, "name": "Админ", "email": "admin@shop.example"}],
	 "custom_fields": {"contacts": [{"id": 700001, "name": "Телефон", "type": "multitext", "code": "PHONE",
	                                 "enums": [{"id": 800001, "value": "WORK"}]}]}}`
	if err := os.WriteFile(path, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sandbox.LoadSeed(path)
	if err != nil {
		t.Fatalf("LoadSeed: %v", err)
	}
	a := start(t, sandbox.Options{Seed: s})
	if ps := a.srv.Pipelines(); len(ps[0].Statuses) != 4 || ps[0].Statuses[0].Type != 1 {
		t.Errorf("statuses = %+v, want unsorted, 501, 142, 143", ps[0].Statuses)
	}
	a.do("POST", "/api/v4/contacts", []any{map[string]any{"name": "x", "custom_fields_values": []any{phone("+7999", "WORK")}}}).want(t, 200)
	if _, err := sandbox.LoadSeed(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadSeed of a missing file: no error")
	}
}
