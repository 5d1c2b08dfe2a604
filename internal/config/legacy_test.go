package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The example leaves secrets to the environment, as it recommends.
	env := map[string]string{"MODX_AMOCRM_CLIENT_SECRET": "s", "MODX_AMOCRM_LONG_LIVED_TOKEN": ""}
	c, err := Parse(data, "config.example.toml", testEnv(env))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	c.AmoCRM.ClientID = "id" // left empty in the example on purpose
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := c.Forms.Form["Обратный звонок"].Map["tel"]; got != "phone" {
		t.Errorf("forms.form map: got %q, want phone", got)
	}
	for _, s := range legacySettings {
		if s.Key != "" && !strings.Contains(string(data), s.Name) && !strings.HasPrefix(s.Name, "site_url") && s.Name != "date_timezone" {
			t.Errorf("config.example.toml does not say which key replaces %s", s.Name)
		}
	}
}

func TestParseFieldSet(t *testing.T) {
	tests := []struct {
		in   string
		want []fieldPair
	}{
		{"", nil},
		{"weight,delivery_cost,goods", []fieldPair{{"weight", "weight"}, {"delivery_cost", "delivery_cost"}, {"goods", "goods"}}},
		{" weight,  delivery_cost , ,goods ", []fieldPair{{"weight", "weight"}, {"delivery_cost", "delivery_cost"}, {"goods", "goods"}}},
		{"phone==Телефон||email", []fieldPair{{"phone", "Телефон"}, {"email", "email"}}},
		{"phone||email", []fieldPair{{"phone", "phone"}, {"email", "email"}}},
		{`{"phone":"WORK","email":"PRIV"}`, []fieldPair{{"phone", "WORK"}, {"email", "PRIV"}}},
		{`{"z":"1","a":"2"}`, []fieldPair{{"z", "1"}, {"a", "2"}}},
		{`["city", " street"]`, []fieldPair{{"city", "city"}, {"street", "street"}}},
		{`[]`, nil},
	}
	for _, tc := range tests {
		got, err := parseFieldSet(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
	if _, err := parseFieldSet(`{"a":`); err == nil {
		t.Error("broken JSON: got no error")
	}
}

func TestLegacyBool(t *testing.T) {
	for in, want := range map[string]bool{"": false, "0": false, "1": true, "Yes": true, "no": false, " true ": true} {
		if got, remark := legacyBool(in, !want); got != want || remark != "" {
			t.Errorf("%q: got %t %q, want %t", in, got, remark, want)
		}
	}
	if got, remark := legacyBool("maybe", true); !got || remark == "" {
		t.Errorf("maybe: got %t %q, want the fallback and a remark", got, remark)
	}
}

func TestFromLegacyDefaults(t *testing.T) {
	c, notes := FromLegacy(Legacy{})
	if c.Orders.StatusID != (IDRef{}) {
		t.Errorf("orders.status_id: got %v, want 0 for the old default 1", c.Orders.StatusID)
	}
	if !c.Contacts.SkipEmpty || !c.Orders.AutoCreateFields || c.Users.Enabled || c.Forms.AsLead {
		t.Errorf("booleans: got %+v %+v", c.Contacts, c.Users)
	}
	if got, want := c.Contacts.Fields, []string{"phone", "email", "fullname", "mobilephone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("contacts.fields: got %v, want %v", got, want)
	}
	if c.Sync.Start != "now" {
		t.Errorf("sync.start: got %q, want now", c.Sync.Start)
	}
	if len(c.Orders.Category) != 0 {
		t.Errorf("orders.category: got %v, want none from {}", c.Orders.Category)
	}
	if len(notes) < len(legacySettings) {
		t.Errorf("got %d notes, want one per setting (%d)", len(notes), len(legacySettings))
	}
}

func TestFromLegacyCategories(t *testing.T) {
	c, notes := FromLegacy(Legacy{Settings: map[string]string{
		"amocrm_categories_pipelines": `{"31":{"pipeline_id":"200","status_id":"","responsible_user_id":7},
			"5":{"pipeline_id":100,"status_id":10},"abc":{"pipeline_id":1},"9":{"status_id":3},"17":{"pipeline_id":300}}`,
		"amocrm_responsible_id_priority_category": "0",
		"amocrm_weird": "x",
	}})
	var ids []int
	for _, r := range c.Orders.Category {
		ids = append(ids, r.ID)
	}
	if want := []int{31, 5, 17}; !reflect.DeepEqual(ids, want) {
		t.Errorf("category order: got %v, want %v", ids, want)
	}
	if r := c.Orders.Category[0]; r.PipelineID != (IDRef{ID: 200}) || !r.StatusID.IsZero() || r.ResponsibleUserID != (IDRef{ID: 7}) {
		t.Errorf("first rule: got %+v", r)
	}
	if c.Orders.ResponsiblePriority != PriorityOrder {
		t.Errorf("responsible_priority: got %q, want order", c.Orders.ResponsiblePriority)
	}
	all := noteText(notes)
	for _, want := range []string{`"abc" is not a category id`, "category 9 has no pipeline_id", "amocrm_weird", "unknown setting"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes do not mention %q:\n%s", want, all)
		}
	}
}

// TestFromLegacyDecisions: what the import decides otherwise than the extra
// did is explained next to its key, and category pipelines without a
// status map draw a warning.
func TestFromLegacyDecisions(t *testing.T) {
	c, notes := FromLegacy(Legacy{Settings: map[string]string{"amocrm_form_as_lead": "1", "amocrm_categories_pipelines": `{"40":{"pipeline_id":2}}`}})
	byKey := map[string]string{}
	for _, n := range notes {
		if n.Setting == "" {
			byKey[n.Key] = n.Text
		}
	}
	want := map[string]string{
		"sync.start": `sync.start = "now", where the extra simply sent what happened next: nothing it sent is sent again, and ` +
			"the orders begin right after the newest one it sent, so none placed after it stopped is lost. To send the older history too, run once `modx-amocrm run -once -since all` (orders the extra linked in amocrm_leads are not sent twice)",
		"forms.enabled": "forms.enabled = false although amocrm_form_as_lead is on: the extra sent forms from its FormIt hook amocrmaddcontact (amoCRMAddContact); " +
			"modx-amocrm reads the forms FormIt saves (FormItSaveForm in a form's &hooks), so check that your forms save, take the extra's hook out of their &hooks " +
			"(`modx-amocrm check` says where it is named: it keeps sending while it is there), then set forms.enabled = true",
		"orders.status_map": "WARNING: " + StatusMapWarning(&c),
	}
	if !strings.HasPrefix(want["orders.status_map"], "WARNING: deals go to the pipelines of category rules") {
		t.Fatalf("StatusMapWarning: got %q", want["orders.status_map"])
	}
	if !reflect.DeepEqual(byKey, want) {
		t.Errorf("decision notes:\ngot  %q\nwant %q", byKey, want)
	}
	if c.Forms.Enabled || !c.Forms.AsLead || c.Sync.Start != "now" {
		t.Errorf("forms.enabled %v, as_lead %v, sync.start %q; want false, true, now", c.Forms.Enabled, c.Forms.AsLead, c.Sync.Start)
	}

	// With a status map, or without category rules, there is nothing to warn about.
	c.Orders.StatusMap = map[string]IDRef{"2": {Name: "Оплачен"}}
	if w := StatusMapWarning(&c); w != "" {
		t.Errorf("with a status map: warning %q", w)
	}
	if _, notes := FromLegacy(Legacy{}); strings.Contains(noteText(notes), "WARNING") {
		t.Errorf("no category rules: a warning in\n%s", noteText(notes))
	}
}

func noteText(notes []Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(n.Text + "\n")
	}
	return b.String()
}

func TestRenderTOMLRoundTrip(t *testing.T) {
	settings := map[string]string{
		"amocrm_account":              "supershop.kommo.com",
		"amocrm_client_id":            "3f2a",
		"amocrm_client_secret":        secretInTOML,
		"amocrm_token_field":          `{"access_token":"` + secretInEnv + `"}`,
		"amocrm_pipeline_id":          "1480825",
		"amocrm_new_order_status_id":  "22834243",
		"amocrm_categories_pipelines": `{"40":{"pipeline_id":2},"12":{"pipeline_id":3}}`,
		"amocrm_user_enum_fields":     `{"Phone":"MOB","email":"PRIV"}`,
		"amocrm_form_filled_fields":   "phone, name",
	}
	c, notes := FromLegacy(Legacy{Settings: settings})
	c.MODX.DSN = "modx@tcp(127.0.0.1:3306)/modx"
	out := RenderTOML(c, notes)
	assertNoSecretExcept(t, string(out), secretInTOML) // the client secret is a value of the file, on purpose
	back, err := Parse(out, "imported.toml", testEnv(nil))
	if err != nil {
		t.Fatalf("parse rendered: %v\n%s", err, out)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("validate rendered: %v\n%s", err, out)
	}
	if back.AmoCRM.Account != "supershop" || back.AmoCRM.Domain != "kommo.com" || back.AmoCRM.ClientSecret != secretInTOML {
		t.Errorf("amocrm: got account %q domain %q", back.AmoCRM.Account, back.AmoCRM.Domain)
	}
	if back.Orders.PipelineID != (IDRef{ID: 1480825}) || back.Orders.StatusID != (IDRef{ID: 22834243}) {
		t.Errorf("orders ids: got %v %v", back.Orders.PipelineID, back.Orders.StatusID)
	}
	if len(back.Orders.Category) != 2 || back.Orders.Category[0].ID != 40 || back.Orders.Category[1].ID != 12 {
		t.Errorf("categories: got %+v, want 40 then 12", back.Orders.Category)
	}
	if got, want := back.Contacts.EnumTypes, map[string]string{"phone": "MOB", "email": "PRIV"}; !reflect.DeepEqual(got, want) {
		t.Errorf("enum_types: got %v, want %v", got, want)
	}
	if got, want := back.Forms.RequiredFields, []string{"phone", "name"}; !reflect.DeepEqual(got, want) {
		t.Errorf("required_fields: got %v, want %v", got, want)
	}
	for _, s := range legacySettings {
		if !strings.Contains(string(out), "# "+s.Name+" = ") {
			t.Errorf("output has no comment for %s", s.Name)
		}
	}
	if !strings.Contains(string(out), "# amocrm_categories_pipelines = ") || strings.Index(string(out), "# amocrm_categories_pipelines") > strings.Index(string(out), "[[orders.category]]") {
		t.Error("the categories note is not above [[orders.category]]")
	}
}

func assertNoSecretExcept(t *testing.T, s, allowed string) {
	t.Helper()
	for _, secret := range []string{secretInFile, secretInEnv, secretInCred, secretInTOML} {
		if secret != allowed && strings.Contains(s, secret) {
			t.Errorf("output contains a secret: %q", s)
		}
	}
	if strings.Contains(s, "amocrm_client_secret = \""+allowed) {
		t.Error("a comment shows the client secret")
	}
}

// TestFromLegacyEnumTypes: 1.9.3 installs a Cyrillic key naming the phone
// field; plain aliases map to our keys, an explicit key wins over its
// alias, and keys naming no field are dropped, each with a remark.
func TestFromLegacyEnumTypes(t *testing.T) {
	tests := []struct {
		name    string
		setting string
		want    map[string]string
		remarks []string
	}{
		{"1.9.3 default", `{"phone":"WORK","email":"WORK","телефон":"WORK"}`, map[string]string{"phone": "WORK", "email": "WORK"},
			[]string{`"телефон" is the phone field by another name, already phone = "WORK"`}},
		{"alias alone", `{"телефон":"MOB","e-mail":"PRIV"}`, map[string]string{"phone": "MOB", "email": "PRIV"},
			[]string{`"телефон" is the phone field by another name: phone = "MOB"`, `"e-mail" is the email field by another name: email = "PRIV"`}},
		{"alias first, explicit key wins", `{"Телефон":"MOB","phone":"WORK"}`, map[string]string{"phone": "WORK"},
			[]string{`"Телефон" = "MOB" dropped: it names the phone field, already phone = "WORK"`}},
		{"unknown key", `{"skype":"WORK","phone":"WORK"}`, map[string]string{"phone": "WORK"},
			[]string{`"skype" dropped: no contact field of that name (phone, mobilephone, email are)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, notes := FromLegacy(Legacy{Settings: map[string]string{"amocrm_user_enum_fields": tt.setting}})
			if !reflect.DeepEqual(c.Contacts.EnumTypes, tt.want) {
				t.Errorf("enum_types: got %v, want %v", c.Contacts.EnumTypes, tt.want)
			}
			note := noteFor(notes, "amocrm_user_enum_fields")
			for _, r := range tt.remarks {
				if !strings.Contains(note, r) {
					t.Errorf("note %q lacks %q", note, r)
				}
			}
			c.MODX.DSN, c.AmoCRM.Account, c.AmoCRM.LongLivedToken = "u@tcp(h:3306)/db", "shop", "t"
			if err := c.Validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
		})
	}
}

func noteFor(notes []Note, setting string) string {
	for _, n := range notes {
		if n.Setting == setting {
			return n.Text
		}
	}
	return ""
}

// TestFromLegacyStatuses: amocrm_status of one pipeline is orders.status_map;
// of several, one orders.pipeline_status_map table each. Rows naming
// nothing, and a second row for a shop status of a pipeline, are skipped
// with a note; the first row wins, as the extra's getObject found it.
func TestFromLegacyStatuses(t *testing.T) {
	one, notes := FromLegacy(Legacy{Statuses: []LegacyStatus{{1, 20002, 1001}, {2, 20005, 1001}, {0, 20003, 1001}, {2, 20004, 1001}}})
	if want := map[string]IDRef{"1": {ID: 20002}, "2": {ID: 20005}}; !reflect.DeepEqual(one.Orders.StatusMap, want) {
		t.Errorf("one pipeline: status_map %v, want %v", one.Orders.StatusMap, want)
	}
	if one.Orders.PipelineStatusMap != nil {
		t.Errorf("one pipeline: pipeline_status_map %v, want none", one.Orders.PipelineStatusMap)
	}
	all := noteText(notes)
	for _, want := range []string{"status 0 -> 20003 in pipeline 1001 names no shop status", "status 2 -> 20004 in pipeline 1001: already -> 20005"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}

	two, _ := FromLegacy(Legacy{Statuses: []LegacyStatus{{1, 20002, 1001}, {3, 142, 1001}, {1, 20012, 1002}, {3, 142, 1002}}})
	want := map[string]map[string]IDRef{
		"1001": {"1": {ID: 20002}, "3": {ID: 142}},
		"1002": {"1": {ID: 20012}, "3": {ID: 142}},
	}
	if !reflect.DeepEqual(two.Orders.PipelineStatusMap, want) || len(two.Orders.StatusMap) != 0 {
		t.Errorf("two pipelines: pipeline_status_map %v, status_map %v; want %v and none", two.Orders.PipelineStatusMap, two.Orders.StatusMap, want)
	}
	// It survives the round trip through the rendered file.
	two.MODX.DSN, two.AmoCRM.Account, two.AmoCRM.LongLivedToken = "u@tcp(h:3306)/db", "shop", "t"
	back, err := Parse(RenderTOML(two, nil), "imported.toml", testEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Orders.PipelineStatusMap, want) {
		t.Errorf("parsed back: %v, want %v", back.Orders.PipelineStatusMap, want)
	}
	if err := back.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

// TestFromLegacyFieldIDs: amocrm_custom_fields rows whose key is one of our
// field names bind it by id; others are dropped with a note.
func TestFromLegacyFieldIDs(t *testing.T) {
	c, notes := FromLegacy(Legacy{Fields: []LegacyField{{"goods", 501}, {"address.city", 502}, {"Телефон", 503}, {"city", 504}, {"utm_source", 505}, {"goods", 506}}})
	if want := map[string]int64{"goods": 501, "address.city": 502}; !reflect.DeepEqual(c.Orders.FieldIDs, want) {
		t.Errorf("orders.field_ids: got %v, want %v", c.Orders.FieldIDs, want)
	}
	if want := map[string]int64{"phone": 503, "city": 504}; !reflect.DeepEqual(c.Contacts.FieldIDs, want) {
		t.Errorf("contacts.field_ids: got %v, want %v", c.Contacts.FieldIDs, want)
	}
	all := noteText(notes)
	for _, want := range []string{`"utm_source" = 505 dropped: not a field modx-amocrm sends`, `"goods" = 506 dropped: goods is bound already`} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
}

func TestValidatePipelineStatusMap(t *testing.T) {
	c := Default()
	c.MODX.DSN, c.AmoCRM.Account, c.AmoCRM.LongLivedToken = "u@tcp(h:3306)/db", "shop", "t"
	c.Orders.PipelineStatusMap = map[string]map[string]IDRef{
		"0":       {"2": {ID: 20005}},
		"Воронка": {"x": {ID: 20005}, "3": {}},
	}
	c.Orders.FieldIDs = map[string]int64{"goods": 0}
	err := c.Validate()
	for _, want := range []string{
		`orders.pipeline_status_map.0: want an amoCRM pipeline id or name as the key, got "0"`,
		`orders.pipeline_status_map."Воронка".x: want a shop status id (an integer) as the key, got "x"`,
		`orders.pipeline_status_map."Воронка".3: want an amoCRM status id or name`,
		"orders.field_ids.goods: want an amoCRM field id above zero, got 0",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v; want %q", err, want)
		}
	}
	// shop_status read backwards needs one shop status per amoCRM status in each pipeline's map too.
	c = Default()
	c.MODX.DSN, c.AmoCRM.Account, c.AmoCRM.LongLivedToken = "u@tcp(h:3306)/db", "shop", "t"
	c.ShopStatus.Enabled = true
	c.Orders.PipelineStatusMap = map[string]map[string]IDRef{"1001": {"3": {ID: 142}, "4": {ID: 142}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `orders.pipeline_status_map.1001 read backwards, where "142" is the amoCRM status of shop statuses 3 and 4`) {
		t.Errorf("validate: %v", err)
	}
}
