package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

func draft(keys ...string) *transform.ContactDraft { return &transform.ContactDraft{Keys: keys} }

func TestGroup(t *testing.T) {
	tests := []struct {
		name   string
		drafts [][]string
		want   [][]int // customers as indexes of the drafts they hold
	}{
		{"one phone, two orders", [][]string{{"phone:79001"}, {"phone:79001"}}, [][]int{{0, 1}}},
		{"phone links e-mail", [][]string{{"phone:79001", "email:a@x.ru"}, {"email:a@x.ru"}}, [][]int{{0, 1}}},
		{"chain through keys", [][]string{{"phone:79001"}, {"phone:79001", "email:a@x.ru"}, {"email:a@x.ru"}},
			[][]int{{0, 1, 2}}},
		{"one e-mail on two phones is one person", [][]string{{"phone:79001", "email:a@x.ru"}, {"phone:79002", "email:a@x.ru"}},
			[][]int{{0, 1}}},
		{"placeholder e-mail on three phones does not merge",
			[][]string{{"phone:79001", "email:no@shop.ru"}, {"phone:79002", "email:no@shop.ru"}, {"phone:79003", "email:no@shop.ru"}},
			[][]int{{0}, {1}, {2}}},
		{"placeholder phone on three e-mails does not merge",
			[][]string{{"phone:74950000001", "email:a@x.ru"}, {"phone:74950000001", "email:b@x.ru"}, {"phone:74950000001", "email:c@x.ru"}},
			[][]int{{0}, {1}, {2}}},
		{"only a placeholder still stands on it",
			[][]string{{"phone:79001", "email:no@shop.ru"}, {"phone:79002", "email:no@shop.ru"}, {"phone:79003", "email:no@shop.ru"}, {"email:no@shop.ru"}},
			[][]int{{0}, {1}, {2}, {3}}},
		{"strangers", [][]string{{"phone:79001"}, {"email:b@x.ru"}}, [][]int{{0}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds []*transform.ContactDraft
			for _, ks := range tt.drafts {
				ds = append(ds, draft(ks...))
			}
			cs, of := Group(ds)
			var got [][]int
			for _, c := range cs {
				var idx []int
				for _, d := range c.Drafts {
					idx = append(idx, slices.Index(ds, d))
				}
				got = append(got, idx)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, d := range ds {
				if !slices.Contains(of[d].Drafts, d) {
					t.Errorf("of[%v] does not hold its draft", d.Keys)
				}
			}
		})
	}
}

func TestGroupKeysPhonesFirst(t *testing.T) {
	cs, _ := Group([]*transform.ContactDraft{draft("email:a@x.ru", "phone:79001"), draft("phone:79001", "phone:79002")})
	if got, want := cs[0].Keys, []string{"phone:79001", "phone:79002", "email:a@x.ru"}; !slices.Equal(got, want) {
		t.Errorf("keys: got %v, want %v", got, want)
	}
}

func TestSharedKeys(t *testing.T) {
	got := SharedKeys([]*transform.ContactDraft{
		draft("phone:1", "email:shared@x"), draft("phone:2", "email:shared@x"), draft("phone:3", "email:shared@x"),
		draft("phone:4", "email:two@x"), draft("phone:5", "email:two@x"),
		draft("phone:9", "email:a@x"), draft("phone:9", "email:b@x"), draft("phone:9", "email:c@x"),
		draft("phone:6", "email:own@x"), draft("email:own@x"),
	})
	want := map[string]bool{"email:shared@x": true, "phone:9": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestMergedDropsPlaceholders: a placeholder is neither matched nor sent,
// unless it is all a customer has.
func TestMergedDropsPlaceholders(t *testing.T) {
	const phoneField, emailField = 700001, 700002
	multitext := func(id int64) bool { return id == phoneField || id == emailField }
	mk := func(phone, email string) *transform.ContactDraft {
		d := &transform.ContactDraft{Contact: crm.Contact{Name: "Гость"}}
		if phone != "" {
			d.Keys = append(d.Keys, "phone:"+phone)
			d.Contact.CustomFieldsValues = append(d.Contact.CustomFieldsValues,
				crm.CustomFieldValues{FieldID: phoneField, Values: []crm.FieldValue{{Value: "+" + phone}}})
		}
		d.Keys = append(d.Keys, "email:"+email)
		d.Contact.CustomFieldsValues = append(d.Contact.CustomFieldsValues,
			crm.CustomFieldValues{FieldID: emailField, Values: []crm.FieldValue{{Value: email}}})
		return d
	}
	cs, _ := Group([]*transform.ContactDraft{mk("79001112233", "no@shop.ru"), mk("79001112234", "no@shop.ru"),
		mk("79001112235", "no@shop.ru"), mk("", "no@shop.ru")})
	if len(cs) != 4 {
		t.Fatalf("customers: got %d, want 4", len(cs))
	}
	got := cs[0].Merged(multitext).Contact.CustomFieldsValues
	want := []crm.CustomFieldValues{{FieldID: phoneField, Values: []crm.FieldValue{{Value: "+79001112233"}}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first customer: got %v, want %v (the placeholder e-mail left out)", got, want)
	}
	if got := cs[3].Merged(multitext).Contact.CustomFieldsValues; len(got) != 1 || got[0].FieldID != emailField {
		t.Errorf("customer with only the placeholder: got %v, want its e-mail kept", got)
	}
}

// TestMergedKeepsEveryDraftsPhones: the transform sets only field ids, so
// multitext fields are told by id (a merge by field code lost the later
// drafts' phones).
func TestMergedKeepsEveryDraftsPhones(t *testing.T) {
	const phoneField, nameField = 700001, 700003
	multitext := func(id int64) bool { return id == phoneField }
	mk := func(phone, position string) *transform.ContactDraft {
		return &transform.ContactDraft{Keys: []string{"phone:" + phone}, Contact: crm.Contact{Name: "Ира",
			CustomFieldsValues: []crm.CustomFieldValues{
				{FieldID: phoneField, Values: []crm.FieldValue{{Value: "+" + phone}}},
				{FieldID: nameField, Values: []crm.FieldValue{{Value: position}}},
			}}}
	}
	c := &Customer{Drafts: []*transform.ContactDraft{mk("79001", "первая"), mk("79002", "вторая"), mk("79001", "третья")}}
	got := c.Merged(multitext).Contact.CustomFieldsValues
	want := []crm.CustomFieldValues{
		{FieldID: phoneField, Values: []crm.FieldValue{{Value: "+79001"}, {Value: "+79002"}}},
		{FieldID: nameField, Values: []crm.FieldValue{{Value: "первая"}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if first := c.Drafts[0].Contact.CustomFieldsValues[0].Values; len(first) != 1 {
		t.Errorf("merging changed the first draft: %v", first)
	}
}

func TestContactKeys(t *testing.T) {
	c := crm.Contact{CustomFieldsValues: []crm.CustomFieldValues{
		{FieldCode: "PHONE", Values: []crm.FieldValue{{Value: "8 (916) 123-45-67"}, {Value: "+7 916 123 45 68"}}},
		{FieldCode: "EMAIL", Values: []crm.FieldValue{{Value: " Ira@Example.RU "}}},
		{FieldCode: "POSITION", Values: []crm.FieldValue{{Value: "+7 916 000 00 00"}}},
	}}
	got := ContactKeys(c)
	want := []string{"phone:79161234567", "phone:79161234568", "email:ira@example.ru"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestGroupByAccount: the drafts of one account's holder are one customer
// whatever phones and e-mails they carry, and the customer names the
// account; two accounts stay two customers.
func TestGroupByAccount(t *testing.T) {
	ds := []*transform.ContactDraft{draft("phone:79001"), draft("phone:79002", "email:new@x.ru"), draft("email:b@x.ru"), draft("phone:79003")}
	ds[0].Account, ds[1].Account, ds[3].Account = 7, 7, 8
	cs, of := Group(ds)
	if len(cs) != 3 || of[ds[0]] != of[ds[1]] || of[ds[3]] == of[ds[0]] {
		t.Fatalf("got %d customers, want 3: account 7's two drafts together, account 8 apart", len(cs))
	}
	if got := of[ds[0]]; got.Account != 7 || !slices.Equal(got.Keys, []string{"phone:79001", "phone:79002", "email:new@x.ru"}) {
		t.Errorf("account 7's customer: account %d, keys %v", got.Account, got.Keys)
	}
	if of[ds[2]].Account != 0 || of[ds[3]].Account != 8 {
		t.Errorf("accounts: got %d and %d, want 0 and 8", of[ds[2]].Account, of[ds[3]].Account)
	}
}
