package syncer_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// values lists a contact's values of the field with code, as sent.
func values(c sandbox.ContactState, code string) []string {
	var out []string
	for _, f := range c.CustomFieldsValues {
		if f.FieldCode == code {
			for _, v := range f.Values {
				out = append(out, valueString(v.Value))
			}
		}
	}
	return out
}

// contactsByName are the sandbox's contacts by name, failing on a name
// held twice.
func (h *harness) contactsByName() map[string]sandbox.ContactState {
	h.t.Helper()
	out := map[string]sandbox.ContactState{}
	for _, c := range h.box.Contacts() {
		if _, dup := out[c.Name]; dup {
			h.t.Fatalf("two contacts named %q", c.Name)
		}
		out[c.Name] = c
	}
	return out
}

func (h *harness) logContacts() {
	for _, c := range h.box.Contacts() {
		h.t.Logf("contact %d %q phones %v e-mails %v", c.ID, c.Name, values(c, "PHONE"), values(c, "EMAIL"))
	}
}

// failure returns the parked failure of kind:id, if any.
func (h *harness) failure(kind string, id int64) (state.Failure, bool) {
	h.t.Helper()
	all, err := h.store.Failures(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range all {
		if f.Kind == kind && f.SourceID == id {
			return f, true
		}
	}
	return state.Failure{}, false
}

// TestManagerOrdersAreTheirCustomers: in the 4.x back office a manager's
// orders carry the manager's own user_id. The customers are the orders'
// receivers: the manager's phone and e-mail reach no contact, and two
// customers of one manager stay two contacts.
func TestManagerOrdersAreTheirCustomers(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	manager := h.user(modxtest.UserSpec{Username: "manager", FullName: "Менеджер Магазина",
		Email: "manager@shop.example", MobilePhone: "+7 900 000-11-22"})
	if err := modxtest.JoinGroup(h.ctx, h.db, h.shop, manager, modxtest.AdminGroup); err != nil {
		t.Fatal(err)
	}
	// Taken by phone: no e-mail on the orders.
	h.order(modxtest.OrderSpec{UserID: manager, Address: map[string]any{"receiver": "Анна Смирнова", "phone": "+7 911 111-11-11", "email": ""}})
	h.order(modxtest.OrderSpec{UserID: manager, Address: map[string]any{"receiver": "Борис Волков", "phone": "+7 922 222-22-22", "email": ""}})
	h.pass(syncer.PassOptions{})

	byName := h.contactsByName()
	if len(byName) != 2 {
		h.logContacts()
		t.Fatalf("contacts: got %d, want 2 (one per receiver)", len(byName))
	}
	for name, phone := range map[string]string{"Анна Смирнова": "+79111111111", "Борис Волков": "+79222222222"} {
		c, ok := byName[name]
		if !ok {
			h.logContacts()
			t.Fatalf("no contact named %q", name)
		}
		if got := values(c, "PHONE"); !slices.Equal(got, []string{phone}) {
			t.Errorf("%s: phones %v, want only %s (not the manager's)", name, got, phone)
		}
		if got := values(c, "EMAIL"); len(got) != 0 {
			t.Errorf("%s: e-mails %v, want none (not the manager's)", name, got)
		}
	}
}

// TestSharedGuestAccount: a shop placing every guest order under user 1,
// with a placeholder e-mail and the last buyer's phone in its profile
// (checkout copies it to mobilephone): four receivers are four contacts,
// and the account's profile reaches none of them.
func TestSharedGuestAccount(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x} {
		t.Run(gen, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{Generation: gen}, nil)
			guest := h.user(modxtest.UserSpec{Username: "guest", FullName: "Гость", Email: "noreply@shop.example",
				MobilePhone: "+7 933 000-00-04"})
			if guest != 1 {
				t.Fatalf("guest account is user %d, want 1", guest)
			}
			receivers := []string{"Ольга", "Сергей", "Мария", "Олег"}
			for i, r := range receivers {
				h.order(modxtest.OrderSpec{UserID: guest, Address: map[string]any{
					"receiver": r, "phone": fmt.Sprintf("+7 933 000-00-0%d", i+1), "email": ""}})
			}
			h.pass(syncer.PassOptions{})

			byName := h.contactsByName()
			if len(byName) != len(receivers) {
				h.logContacts()
				t.Fatalf("contacts: got %d, want %d", len(byName), len(receivers))
			}
			for i, r := range receivers {
				c := byName[r]
				if got, want := values(c, "PHONE"), []string{fmt.Sprintf("+7933000000%d", i+1)}; !slices.Equal(got, want) {
					t.Errorf("%s: phones %v, want %v", r, got, want)
				}
				if got := values(c, "EMAIL"); len(got) != 0 {
					t.Errorf("%s: e-mails %v, want none (the account's placeholder)", r, got)
				}
			}
		})
	}
}

// TestPlaceholderPhones: a made-up number (+7 (000) 000-00-00) and one
// number on the orders of three different e-mails (the shop's own) are
// placeholders: they merge nobody and reach no contact.
func TestPlaceholderPhones(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Анна", "phone": "+7 (000) 000-00-00", "email": "anna@example.org"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Борис", "phone": "+7 (000) 000-00-00", "email": "boris@example.org"}})
	for name, email := range map[string]string{"Вера": "vera@example.org", "Глеб": "gleb@example.org", "Дина": "dina@example.org"} {
		h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": name, "phone": "+7 (495) 123-45-67", "email": email}})
	}
	h.pass(syncer.PassOptions{})

	byName := h.contactsByName()
	if len(byName) != 5 {
		h.logContacts()
		t.Fatalf("contacts: got %d, want 5", len(byName))
	}
	for name, c := range byName {
		if got := values(c, "PHONE"); len(got) != 0 {
			t.Errorf("%s: phones %v, want none (placeholders)", name, got)
		}
		if got := values(c, "EMAIL"); len(got) != 1 {
			t.Errorf("%s: e-mails %v, want their own", name, got)
		}
	}
}

// TestOneNewCustomerInOneBatch: one new customer's orders of one batch
// with an e-mail on two phones, and a second e-mail on one of them, are one
// contact holding every phone and e-mail of every order (a merge once kept
// only the first order's).
func TestOneNewCustomerInOneBatch(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Ирина", "phone": "+7 944 000-00-01", "email": "ira@example.org"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Ирина", "phone": "+7 944 000-00-02", "email": "ira@example.org"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Ирина", "phone": "+7 944 000-00-02", "email": "ira@work.example"}})
	h.pass(syncer.PassOptions{})

	contacts := h.box.Contacts()
	if len(contacts) != 1 {
		h.logContacts()
		t.Fatalf("contacts: got %d, want 1", len(contacts))
	}
	c := contacts[0]
	if got, want := values(c, "PHONE"), []string{"+79440000001", "+79440000002"}; !slices.Equal(got, want) {
		t.Errorf("phones %v, want %v", got, want)
	}
	if got, want := values(c, "EMAIL"), []string{"ira@example.org", "ira@work.example"}; !slices.Equal(got, want) {
		t.Errorf("e-mails %v, want %v", got, want)
	}
	for _, l := range h.box.Leads() {
		if len(l.Contacts) != 1 || l.Contacts[0].ID != c.ID {
			t.Errorf("deal %d contacts %+v, want [%d]", l.ID, l.Contacts, c.ID)
		}
	}
}

// TestRepeatCustomerNewEmail: a customer who has a contact orders again,
// twice in one batch, with two new e-mails: both are added to the contact.
func TestRepeatCustomerNewEmail(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Лев", "phone": "+7 955 000-00-01", "email": "lev@example.org"}})
	h.pass(syncer.PassOptions{})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Лев", "phone": "8 955 000-00-01", "email": "lev@home.example"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Лев", "phone": "+7 955 000-00-01", "email": "lev@work.example"}})
	h.pass(syncer.PassOptions{})

	contacts := h.box.Contacts()
	if len(contacts) != 1 {
		h.logContacts()
		t.Fatalf("contacts: got %d, want 1", len(contacts))
	}
	if got, want := values(contacts[0], "EMAIL"), []string{"lev@example.org", "lev@home.example", "lev@work.example"}; !slices.Equal(got, want) {
		t.Errorf("e-mails %v, want %v", got, want)
	}
}

// TestPlusEightIsTheSameCustomer: "+8 (916) …" typed for "8 916 …" is one
// customer, across batches.
func TestPlusEightIsTheSameCustomer(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Нина", "phone": "8 916 123-45-67", "email": ""}})
	h.pass(syncer.PassOptions{})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Нина", "phone": "+8 (916) 123-45-67", "email": ""}})
	h.pass(syncer.PassOptions{})
	if contacts := h.box.Contacts(); len(contacts) != 1 {
		h.logContacts()
		t.Fatalf("contacts: got %d, want 1", len(contacts))
	}
	if got := values(h.box.Contacts()[0], "PHONE"); !slices.Equal(got, []string{"+79161234567"}) {
		t.Errorf("phones %v, want one, +79161234567", got)
	}
}

// TestCustomerExtendedBrokenStillSends: broken JSON in the customer's
// extended column is the profile's fault, not the order's: the deal and its
// contact are sent without the profile's overrides, with a warning.
func TestCustomerExtendedBrokenStillSends(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	broken := `{"amoCRMFields":{"name":"Из профиля",`
	user := h.user(modxtest.UserSpec{FullName: "Пётр", Email: "petr@example.org", Extended: &broken})
	id := h.order(modxtest.OrderSpec{UserID: user, Address: map[string]any{"receiver": "Пётр", "phone": "+7 966 000-00-01"}})
	res, log := h.loggedPass(syncer.PassOptions{})
	if res.Parked != 0 {
		t.Fatalf("parked %d, want 0 (%s)", res.Parked, res.Summary())
	}
	warning := fmt.Sprintf(`level=WARN msg="order mapped with a repair" source=orders order_id=%d note="user_attributes.extended: invalid JSON`, id)
	if !strings.Contains(log, warning) || !strings.Contains(log, "without the profile's overrides") {
		t.Errorf("log lacks the warning %q:\n%s", warning, log)
	}
	if _, ok := h.leadsByOrder()[fmt.Sprint(id)]; !ok {
		t.Fatalf("order %d has no deal", id)
	}
	if c := h.box.Contacts(); len(c) != 1 || c[0].Name != "Пётр" {
		t.Errorf("contacts %+v, want one named Пётр", c)
	}
}

// TestNegativeCostIsParkedBeforeSending: amoCRM refuses a negative price;
// the order is parked with its reason before a request is spent on it.
func TestNegativeCostIsParkedBeforeSending(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	id := h.order(modxtest.OrderSpec{Cost: "-100.00"})
	h.box.ResetRequests()
	res := h.pass(syncer.PassOptions{})
	f, ok := h.failure("order", id)
	if !ok || !strings.Contains(f.Reason, "cannot be negative") {
		t.Fatalf("failure %+v (parked: %v), want the order parked for its negative cost (%s)", f, ok, res.Summary())
	}
	for _, r := range h.box.Requests() {
		if r.Method != "GET" {
			t.Errorf("%s %s: nothing should be written", r.Method, r.Path)
		}
	}
}

// TestUsersWithoutContact: a user with nothing to match a contact by is
// skipped with its reason in the report; one whose e-mail is no address
// and who has no phone is parked with that reason.
func TestUsersWithoutContact(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Users.Enabled = true
	})
	empty := h.user(modxtest.UserSpec{FullName: "Пустой"})
	typo := h.user(modxtest.UserSpec{FullName: "Опечатка", Email: "ivan.mail.ru"})
	var es entries
	h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{Report: &es})

	byKey := map[string]plan.Entry{}
	for _, e := range es {
		byKey[e.Key] = e
	}
	if e := byKey[fmt.Sprintf("user:%d", empty)]; e.Action != plan.Skip || !strings.Contains(e.Reason, "no phone and no e-mail") {
		t.Errorf("user without contact: entry %+v, want a skip with its reason", e)
	}
	f, ok := h.failure("user", typo)
	if !ok || !strings.Contains(f.Reason, `"ivan.mail.ru" is not an e-mail address`) {
		t.Errorf("user with a bad e-mail: failure %+v (parked: %v), want parked with the reason", f, ok)
	}
	if e := byKey[fmt.Sprintf("user:%d", typo)]; e.Action != plan.Fail {
		t.Errorf("user with a bad e-mail: entry %+v, want a fail", e)
	}
}

// TestParkedUserWaitsForItsBackoff: a parked user (here: broken JSON in
// its extended column) is not tried again by every full comparison, only
// when its next attempt is due (here: after `retry`); fixed in MODX by
// then, it is sent.
func TestParkedUserWaitsForItsBackoff(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) {
		c.Orders.Enabled = false
		c.Users.Enabled = true
	})
	broken := `{"amoCRMFields":`
	id := h.user(modxtest.UserSpec{FullName: "Сломанный", Email: "broken@example.org", Extended: &broken})
	h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{})
	if f, ok := h.failure("user", id); !ok || f.Attempts != 1 {
		t.Fatalf("after the first comparison: failure %+v (parked: %v), want 1 attempt", f, ok)
	}

	var es entries
	h.passWith(site.EngineOptions{FullUserScan: true}, syncer.PassOptions{Report: &es})
	if f, _ := h.failure("user", id); f.Attempts != 1 {
		t.Errorf("a comparison before the next attempt is due tried again: %d attempts, want 1", f.Attempts)
	}
	for _, e := range es {
		if e.Key == fmt.Sprintf("user:%d", id) {
			t.Errorf("a comparison before the next attempt is due planned the user: %+v", e)
		}
	}

	testdb.Exec(t, h.db, fmt.Sprintf("UPDATE modx_user_attributes SET extended = NULL WHERE internalKey = %d", id))
	if _, err := h.store.Retry(h.ctx, false, []state.Key{{Kind: "user", SourceID: id}}); err != nil {
		t.Fatal(err)
	}
	h.pass(syncer.PassOptions{})
	if f, ok := h.failure("user", id); ok {
		t.Errorf("after retry and a fix: still parked %+v", f)
	}
	if c := h.box.Contacts(); len(c) != 1 || !slices.Equal(values(c[0], "EMAIL"), []string{"broken@example.org"}) {
		t.Errorf("contacts %+v, want the fixed user's", c)
	}
}
