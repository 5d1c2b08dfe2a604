package syncer_test

import (
	"fmt"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

func TestFormsMakeContactsAndDeals(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Forms.Enabled = true
		c.Forms.AsLead = true
		c.Forms.RequiredFields = []string{"phone"}
	})
	const key = "modx5f1a2b3c4d5e6.12345678"
	if err := modxtest.SetSetting(h.ctx, h.db, h.shop, "formit.form_encryptkey", key); err != nil {
		t.Fatal(err)
	}
	insert := func(spec modxtest.FormSpec) int64 {
		id, err := modxtest.InsertForm(h.ctx, h.db, h.shop, spec)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	insert(modxtest.FormSpec{Values: `{"name":"Ольга","phone":"+7 900 111-22-33","message":"Перезвоните"}`})
	insert(modxtest.FormSpec{Values: `{"Ф.И.О":"Пётр","Адрес эл. почты":"petr@example.org"}`}) // no phone: contact, no deal
	insert(modxtest.FormSpec{Encrypted: true, Values: modxtest.EncryptFormValues(key, `{"fio":"Зашифрованный","tel":"89005556677"}`)})

	res := h.pass(syncer.PassOptions{})
	if got, want := res.Count("contact", plan.Create), 3; got != want {
		t.Errorf("contacts created: got %d, want %d (%s)", got, want, res.Summary())
	}
	if got, want := len(h.box.Leads()), 2; got != want {
		t.Errorf("deals: got %d, want %d (the form without a phone makes none)", got, want)
	}
	if got := res.Count("lead", plan.Skip); got != 1 {
		t.Errorf("skipped deals: got %d, want 1", got)
	}
	if got := len(h.box.Notes()); got != 2 {
		t.Errorf("notes with the submitted values: got %d, want 2", got)
	}
	// Nothing is sent twice.
	res = h.pass(syncer.PassOptions{})
	if got := len(h.box.Leads()); got != 2 {
		t.Errorf("deals after a second pass: got %d, want 2", got)
	}
	if got := res.Read["forms"]; got != 0 {
		t.Errorf("second pass read %d forms, want 0 (the watermark moved past them)", got)
	}
}

func TestSamePersonThroughFormOrderAndProfile(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Forms.Enabled = true
		c.Users.Enabled = true
	})
	user := h.user(modxtest.UserSpec{FullName: "Мария", Email: "maria@example.org", MobilePhone: "+79001234567"})
	// The order has no e-mail of its own: her profile's fills it in.
	h.order(modxtest.OrderSpec{UserID: user, Address: map[string]any{"receiver": "Мария", "phone": "8 900 123-45-67", "email": ""}})
	if _, err := modxtest.InsertForm(h.ctx, h.db, h.shop, modxtest.FormSpec{Values: `{"name":"Маша","email":"Maria@Example.org"}`}); err != nil {
		t.Fatal(err)
	}
	h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if got := len(h.box.Contacts()); got != 1 {
		for _, c := range h.box.Contacts() {
			t.Logf("contact %d %q %+v", c.ID, c.Name, c.CustomFieldsValues)
		}
		t.Fatalf("contacts: got %d, want 1", got)
	}
}

func TestUsersOnlyChangedOnesAreWritten(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Users.Enabled = true
	})
	var ids []int64
	for i := range 120 {
		ids = append(ids, h.user(modxtest.UserSpec{FullName: fmt.Sprintf("Клиент %d", i), Email: fmt.Sprintf("c%d@example.org", i),
			Phone: fmt.Sprintf("+7 901 000-%04d", i)}))
	}
	res := h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if got, want := res.Count("contact", plan.Create), len(ids); got != want {
		t.Fatalf("first comparison created %d contacts, want %d (%s)", got, want, res.Summary())
	}

	writes := func() int {
		n := 0
		for _, r := range h.box.Requests() {
			if r.Method != "GET" {
				n++
			}
		}
		return n
	}
	h.box.ResetRequests()
	// Login counters change; nothing the contact shows does.
	if _, err := h.db.Exec("UPDATE modx_user_attributes SET logincount = logincount + 1, lastlogin = 1700000000"); err != nil {
		t.Fatal(err)
	}
	res = h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if got := writes(); got != 0 {
		t.Errorf("unchanged users: %d write requests, want 0", got)
	}
	if got, want := res.Count("contact", plan.Unchanged), len(ids); got != want {
		t.Errorf("unchanged: got %d, want %d", got, want)
	}

	if _, err := h.db.Exec("UPDATE modx_user_attributes SET phone = '+7 902 999-88-77' WHERE internalKey = ?", ids[57]); err != nil {
		t.Fatal(err)
	}
	h.box.ResetRequests()
	res = h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if got := res.Count("contact", plan.Update); got != 1 {
		t.Errorf("updated contacts: got %d, want 1 (%s)", got, res.Summary())
	}
	if got := writes(); got != 1 {
		t.Errorf("write requests after one phone edit: got %d, want 1", got)
	}
	if got := len(h.box.Contacts()); got != len(ids) {
		t.Errorf("contacts: got %d, want %d", got, len(ids))
	}
}

// TestSinceSendsBaselineUsers: with sync.start = "now" the first pass
// records the users as they are and sends none; -since all then sends them,
// once, as it sends the orders' history.
func TestSinceSendsBaselineUsers(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) {
		c.Sync.Start = "now"
		c.Orders.Enabled = false
		c.Users.Enabled = true
	})
	for i := range 2 {
		h.user(modxtest.UserSpec{FullName: fmt.Sprintf("Клиент %d", i), Email: fmt.Sprintf("c%d@example.org", i)})
	}
	h.pass(syncer.PassOptions{})
	if got := len(h.box.Contacts()); got != 0 {
		t.Fatalf("start now: %d contacts, want none", got)
	}
	res := h.passWith(site.EngineOptions{Since: "all"}, syncer.PassOptions{})
	if got := res.Count("contact", plan.Create); got != 2 {
		t.Errorf("-since all: created %d contacts, want the 2 users (%s)", got, res.Summary())
	}
	h.passWith(site.EngineOptions{Since: "all"}, syncer.PassOptions{})
	if got := len(h.box.Contacts()); got != 2 {
		t.Errorf("after a second -since all: %d contacts, want 2: nothing twice", got)
	}
}
