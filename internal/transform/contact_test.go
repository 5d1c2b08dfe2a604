package transform

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"8 (999) 123-45-67", "79991234567"},
		{"+7 999 123 45 67", "79991234567"},
		{"79991234567", "79991234567"},
		{"9991234567", "79991234567"},
		{"+8 (916) 123-45-67", "79161234567"}, // "+" typed before the trunk prefix: one customer with 8 916…
		{"+9161234567", "79161234567"},        // "+" without the 7
		{"+9000000000", "79000000000"},        // FuzzNormalizePhone found it: a normal form is its own
		{"+375 29 123-45-67", "375291234567"},
		{"123-45-67", "1234567"},
		{"4951234567", "4951234567"}, // 10 digits not starting with 9: not assumed Russian
		{"", ""},
		{"нет", ""},
	}
	for _, tt := range tests {
		if got := NormalizePhone(tt.in); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"8 (999) 123-45-67", "+7 999", "9991234567", "", "+", "+8 916 123-45-67"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizePhone(s)
		for _, r := range n {
			if r < '0' || r > '9' {
				t.Fatalf("NormalizePhone(%q) = %q: not digits only", s, n)
			}
		}
		if len(n) == 11 && n[0] == '8' {
			t.Fatalf("NormalizePhone(%q) = %q: Russian 8 prefix kept", s, n)
		}
		// The result is a fixed point: matching keys compare equal.
		if again := NormalizePhone(n); again != n {
			t.Fatalf("NormalizePhone(%q) = %q, but of that %q", s, n, again)
		}
		// A "+" typed or not is the same customer.
		if plus := NormalizePhone("+" + s); plus != n {
			t.Fatalf("NormalizePhone(%q) = %q, but with a + %q", s, n, plus)
		}
	})
}

func TestPlaceholderPhone(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"+7 (000) 000-00-00", true},
		{"8 (999) 999-99-99", true},
		{"+7 (123) 456-78-90", true},
		{"0000000", true},
		{"9876543210", true},
		{"+7 (916) 000-00-00", false}, // a "beautiful" number people buy
		{"8 (999) 123-45-67", false},
		{"+375 29 123-45-67", false},
		{"7777777", true},
	}
	for _, tt := range tests {
		if _, ok := usablePhone(tt.in); ok == tt.want {
			t.Errorf("usablePhone(%q) = %v, want %v", tt.in, ok, !tt.want)
		}
	}
}

func TestUsableEmail(t *testing.T) {
	cfg := testConfig()
	cfg.Contacts.IgnoreEmails = []string{"Noreply@Shop.com"}
	m := newTestMapper(t, cfg, testMeta())
	tests := []struct {
		in   string
		want bool
	}{
		{"Ivan@Mail.ru", true},
		{"ivan123@shop.ru", false},     // {receiver}@{host}, host without www
		{"ivan123@www.shop.ru", false}, // the host as configured
		{"79991234567@emails.shop.ru", false},
		{"noreply@shop.com", false}, // contacts.ignore_emails
		{"ivan@sub.shop.ru", true},
		{"ivan", false},
		{"@mail.ru", false},
		{"ivan@localhost", false},
		{"a b@mail.ru", false},
	}
	for _, tt := range tests {
		if got := m.UsableEmail(tt.in); got != tt.want {
			t.Errorf("UsableEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestOrder_contact(t *testing.T) {
	tests := []struct {
		name   string
		order  func(*shop.Order)
		fields []string
		cname  string
		keys   []string
		phones []crm.FieldValue
		emails []crm.FieldValue
		user   int64 // the user whose profile the contact took
		note   string
	}{
		{
			name:   "the order's own phone and e-mail: the profile's are not added",
			cname:  "Иван Петров",
			keys:   []string{"phone:79991234567", "email:ivan@mail.ru"},
			phones: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name:   "an order without a phone takes the profile's, guests' mobilephone too",
			order:  func(o *shop.Order) { o.Address.Phone, o.Customer.Phone = "", "+7 (999) 123-45-67" },
			cname:  "Иван Петров",
			keys:   []string{"phone:79991234567", "phone:79997654321", "email:ivan@mail.ru"},
			phones: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}, {Value: "+79997654321", EnumCode: "WORK"}},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name: "synthetic e-mail is neither sent nor a key; no receiver takes fullname",
			order: func(o *shop.Order) {
				o.Address.Receiver, o.Address.Email, o.Customer.Email = "", "", "79991234567@emails.shop.ru"
			},
			cname:  "Иван",
			keys:   []string{"phone:79991234567"},
			phones: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name:   "contacts.fields without mobilephone: matched by it, not sent",
			order:  func(o *shop.Order) { o.Address.Phone = "" },
			fields: []string{"fullname", "phone", "email"},
			cname:  "Иван Петров",
			keys:   []string{"phone:79997654321", "email:ivan@mail.ru"},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name: "contactFields then extended.amoCRMFields override",
			order: func(o *shop.Order) {
				o.Properties = json.RawMessage(`{"amoCRMFields":{"contactFields":{"phone":"8 911 000-00-00","name":"Из заказа","email":""}}}`)
				o.Customer.Extended = json.RawMessage(`{"amoCRMFields":{"name":"Из профиля","Должность":"Закупщик"}}`)
			},
			cname:  "Из профиля",
			keys:   []string{"phone:79110000000", "email:ivan@mail.ru"},
			phones: []crm.FieldValue{{Value: "+79110000000", EnumCode: "WORK"}},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name: "a manager's order: the manager's profile is not the customer's",
			order: func(o *shop.Order) {
				o.Address.Email, o.Customer.Manager = "", true
				o.Customer.Extended = json.RawMessage(`{"amoCRMFields":{"name":"Менеджер"}}`)
			},
			cname:  "Иван Петров",
			keys:   []string{"phone:79991234567"},
			phones: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}},
		},
		{
			name: "a shared account: four receivers with four phones",
			order: func(o *shop.Order) {
				o.Address.Phone, o.Customer.Receivers, o.Customer.Phones = "", 4, 4
			},
			cname:  "Иван Петров",
			keys:   []string{"email:ivan@mail.ru"},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
		},
		{
			name: "one customer writing their name three ways keeps their profile",
			order: func(o *shop.Order) {
				o.Address.Email, o.Customer.Receivers, o.Customer.Phones = "", 3, 1
			},
			cname:  "Иван Петров",
			keys:   []string{"phone:79991234567", "email:ivan@mail.ru"},
			phones: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
		},
		{
			name:   "a made-up phone is neither sent nor a key: the profile's fills in",
			order:  func(o *shop.Order) { o.Address.Phone = "+7 (000) 000-00-00" },
			cname:  "Иван Петров",
			keys:   []string{"phone:79997654321", "email:ivan@mail.ru"},
			phones: []crm.FieldValue{{Value: "+79997654321", EnumCode: "WORK"}},
			emails: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}},
			user:   7,
			note:   `phone "+7 (000) 000-00-00" looks made up: not sent`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, o := testConfig(), testOrder()
			if tt.fields != nil {
				cfg.Contacts.Fields = tt.fields
			}
			call(tt.order, o)
			d, err := newTestMapper(t, cfg, testMeta()).Order(o)
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			c := d.Contact
			if c.Contact.Name != tt.cname {
				t.Errorf("name = %q, want %q", c.Contact.Name, tt.cname)
			}
			if !reflect.DeepEqual(c.Keys, tt.keys) {
				t.Errorf("keys = %q, want %q", c.Keys, tt.keys)
			}
			if got := liveValues(c.Contact.CustomFieldsValues, fieldPhone); !reflect.DeepEqual(got, tt.phones) {
				t.Errorf("phones = %+v, want %+v", got, tt.phones)
			}
			if got := liveValues(c.Contact.CustomFieldsValues, fieldEmail); !reflect.DeepEqual(got, tt.emails) {
				t.Errorf("emails = %+v, want %+v", got, tt.emails)
			}
			if c.UserID != tt.user {
				t.Errorf("user id = %d, want %d", c.UserID, tt.user)
			}
			if notes := strings.Join(c.Notes, "\n"); tt.note != "" && !strings.Contains(notes, tt.note) {
				t.Errorf("notes %q lack %q", notes, tt.note)
			}
		})
	}
}

func TestMergeContact(t *testing.T) {
	cfg := testConfig()
	cfg.Contacts.ReadonlyFields = []string{"name", "Должность"}
	m := newTestMapper(t, cfg, testMeta())
	want := &ContactDraft{Contact: crm.Contact{
		Name: "Иван Петров",
		CustomFieldsValues: []crm.CustomFieldValues{
			{FieldID: fieldPhone, Values: []crm.FieldValue{{Value: "+79991234567", EnumCode: "WORK"}, {Value: "+79110000000", EnumCode: "WORK"}}},
			{FieldID: fieldEmail, Values: []crm.FieldValue{{Value: "ivan@mail.ru", EnumCode: "WORK"}}},
			{FieldID: 803, Values: []crm.FieldValue{{Value: "Закупщик"}}},
			{FieldID: fieldContactCity, Values: []crm.FieldValue{{Value: "Москва"}}},
		},
	}}
	live := crm.Contact{
		ID:   55,
		Name: "Ваня",
		CustomFieldsValues: []crm.CustomFieldValues{
			{FieldID: fieldPhone, Values: []crm.FieldValue{{Value: "8 (999) 123-45-67", EnumID: 1}, {Value: "+7 495 000-00-00", EnumID: 1}}},
			{FieldID: fieldEmail, Values: []crm.FieldValue{{Value: "Ivan@Mail.ru", EnumID: 3}}},
			{FieldID: 803, Values: []crm.FieldValue{{Value: "Директор"}}},
			{FieldID: fieldContactCity, Values: []crm.FieldValue{{Value: "Тула"}}},
		},
	}
	patch, changed := m.MergeContact(live, want)
	if !changed {
		t.Fatal("changed = false, want true")
	}
	wantPatch := crm.Contact{
		ID: 55, // name is read-only and amoCRM has one; e-mail and position unchanged
		CustomFieldsValues: []crm.CustomFieldValues{
			{FieldID: fieldPhone, Values: []crm.FieldValue{
				{Value: "8 (999) 123-45-67", EnumID: 1}, {Value: "+7 495 000-00-00", EnumID: 1}, {Value: "+79110000000", EnumCode: "WORK"},
			}},
			{FieldID: fieldContactCity, Values: []crm.FieldValue{{Value: "Москва"}}},
		},
	}
	if !reflect.DeepEqual(patch, wantPatch) {
		t.Errorf("patch =\n%+v\nwant\n%+v", patch, wantPatch)
	}

	// Applying the patch leaves nothing to do.
	live.CustomFieldsValues[0] = patch.CustomFieldsValues[0]
	live.CustomFieldsValues[3] = patch.CustomFieldsValues[1]
	if patch, changed := m.MergeContact(live, want); changed {
		t.Errorf("second merge changed: %+v", patch)
	}

	// An empty live name is filled even though name is read-only.
	live.Name = ""
	if patch, _ := m.MergeContact(live, want); patch.Name != "Иван Петров" {
		t.Errorf("empty live name: patch name = %q, want it filled", patch.Name)
	}
}

func TestUser(t *testing.T) {
	cfg := testConfig()
	cfg.Contacts.Fields = append(cfg.Contacts.Fields, "city", "zip")
	m := newTestMapper(t, cfg, testMeta())
	c := &shop.Customer{ID: 9, FullName: "Мария", Email: "maria@mail.ru", Phone: "89161112233", City: "Казань", Zip: "420000",
		Blocked: true, Extended: json.RawMessage(`{"amoCRMFields":{"email":"m@corp.ru"},"logins":5}`)}
	d, err := m.User(c)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got, want := d.Keys, []string{"phone:79161112233", "email:m@corp.ru"}; !reflect.DeepEqual(got, want) {
		t.Errorf("keys = %q, want %q", got, want)
	}
	if got := fieldText(d.Contact.CustomFieldsValues, fieldContactCity); got != "Казань" {
		t.Errorf("city = %q, want Казань", got)
	}
	if len(d.MissingFields) != 1 || d.MissingFields[0].Name != "zip" {
		t.Errorf("missing = %+v, want zip", d.MissingFields)
	}

	// Unmapped columns do not change the payload, so not its hash.
	h1, _ := Hash(d.Contact)
	c2 := *c
	c2.Extended = json.RawMessage(`{"logins":6,"amoCRMFields":{"email":"m@corp.ru"}}`)
	c2.Comment = "changed, but not in contacts.fields"
	d2, err := m.User(&c2)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if h2, _ := Hash(d2.Contact); h1 != h2 {
		t.Errorf("hash changed with unmapped columns: %s != %s", h1, h2)
	}

	_, err = m.User(&shop.Customer{ID: 10, FullName: "Без контактов", Email: "x@shop.ru"})
	if !errors.Is(err, ErrNoContact) {
		t.Errorf("err = %v, want ErrNoContact", err)
	}

	// An e-mail that is no address is bad input to fix, not "no contact".
	_, err = m.User(&shop.Customer{ID: 11, FullName: "Опечатка", Email: "ivan.mail.ru"})
	var re *RecordError
	if !errors.As(err, &re) || errors.Is(err, ErrNoContact) || re.Field != "email" || !strings.Contains(err.Error(), "not an e-mail address") {
		t.Errorf("err = %v, want an e-mail RecordError that is not ErrNoContact", err)
	}
}
