package syncer_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// TestMergedIntoAnotherOrdersDeal: with amoCRM's duplicate control on, a
// new customer whose phone amoCRM takes for a known contact's (the same
// last ten digits, another country code) is merged into that contact, and
// leads/complex answers with the contact's newest deal, another order's,
// and merged: true. The order gets a deal of its own on the merged contact
// instead of being linked to the other order's; the merged contact, which
// kept its own values, is updated with the customer's phone on the
// customer's next order.
func TestMergedIntoAnotherOrdersDeal(t *testing.T) {
	forEachAccount(t, sandbox.Modes{DuplicateControl: true}, func(t *testing.T, m sandbox.Modes) {
		h := newHarnessModes(t, modxtest.Options{}, nil, m)
		order := func(phone string) int64 {
			return h.order(modxtest.OrderSpec{Address: map[string]any{"phone": phone, "email": nil}})
		}
		first := order("+7 903 000-00-01")
		h.pass(syncer.PassOptions{})
		second := order("+44 903 000-00-01")
		h.pass(syncer.PassOptions{})
		h.checkOnce(t, once{orders: []int64{first, second}, deals: 2, contacts: 1})
		leads := h.leadsByOrder()
		a, b := leads[strconv.FormatInt(first, 10)], leads[strconv.FormatInt(second, 10)]
		if len(b.Contacts) != 1 || len(a.Contacts) != 1 || b.Contacts[0].ID != a.Contacts[0].ID {
			t.Errorf("contacts of the deals: %+v and %+v, want both the merged contact", a.Contacts, b.Contacts)
		}

		third := order("+44 903 000-00-01")
		h.pass(syncer.PassOptions{})
		h.checkOnce(t, once{orders: []int64{first, second, third}, deals: 3, contacts: 1})
		if phones := contactPhones(h.box.Contacts()[0]); !slices.Contains(phones, "449030000001") {
			t.Errorf("merged contact's phones: %v, want the second customer's added", phones)
		}
	})
}

// contactPhones are the digits of a contact's phones.
func contactPhones(c sandbox.ContactState) []string {
	var out []string
	for _, f := range c.CustomFieldsValues {
		if f.FieldCode == "PHONE" {
			for _, v := range f.Values {
				out = append(out, strings.Map(func(r rune) rune {
					if r < '0' || r > '9' {
						return -1
					}
					return r
				}, valueString(v.Value)))
			}
		}
	}
	return out
}

// TestIndexRefreshReadsOnlyWhatChanged: the contact index is refreshed
// newest change first and stops below its cursor, so on an account that
// ignores filter[updated_at] a pass reads the contacts changed since the
// last one, not the whole account.
func TestIndexRefreshReadsOnlyWhatChanged(t *testing.T) {
	forEachAccount(t, sandbox.Modes{}, func(t *testing.T, m sandbox.Modes) {
		clock := sandboxtest.NewClock() // contacts of one pass changed in one second
		h := newHarnessTB(t, modxtest.Options{}, nil, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1, Modes: m, Now: clock.Now})
		for i := range 600 { // three pages of 250
			h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 907 000-%02d-%02d", i/100, i%100), "email": nil}})
		}
		h.pass(syncer.PassOptions{})
		// Each pass reads the contacts changed since the newest change the
		// one before it saw (that second included), so the second and third
		// read the first's 600 again; the fourth reads two.
		phones := []string{"+7 907 999-99-97", "+7 907 999-99-98", "+7 907 999-99-99"}
		for i, phone := range phones {
			h.order(modxtest.OrderSpec{Address: map[string]any{"phone": phone, "email": nil}})
			clock.Add(time.Minute)
			h.box.ResetRequests()
			h.pass(syncer.PassOptions{})
			if got := h.requests("GET", "/api/v4/contacts"); i == len(phones)-1 && got != 1 {
				t.Errorf("contact list requests of the fourth pass: %d, want 1 (%v)", got, requestsByPath(h.box))
			}
		}
		if got := len(h.box.Contacts()); got != 603 {
			t.Errorf("contacts: got %d, want 603", got)
		}
	})
}

// TestNewestIDKeptBetweenPasses: the bound a create's marker records is
// asked of amoCRM once, kept in the state with the markers and raised by
// the ids the creates return, so a later pass that creates asks nothing
// more until the kept answer is an hour old.
func TestNewestIDKeptBetweenPasses(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	asks := func() int {
		n := 0
		for _, r := range h.box.Requests() {
			if r.Path == "/api/v4/leads" && strings.Contains(r.Query, "limit=1&") {
				n++
			}
		}
		return n
	}
	var orders []int64
	for i, want := range []int{1, 1, 2} {
		if i == 2 {
			testdb.Exec(t, h.db, `UPDATE amocrm_sync_meta SET value = JSON_SET(value, '$.asked_at', '2020-01-01T00:00:00Z') WHERE name = 'newest_lead_id'`)
		}
		orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": fmt.Sprintf("+7 908 000-00-%02d", i), "email": nil}}))
		h.pass(syncer.PassOptions{})
		if got := asks(); got != want {
			t.Errorf("after pass %d: amoCRM asked for its newest deal %d times, want %d", i+1, got, want)
		}
	}
	marks, err := h.store.Pending(h.ctx, plan.KindOrder)
	if err != nil || len(marks) != 0 {
		t.Fatalf("pending: %+v %v", marks, err)
	}
	h.checkOnce(t, once{orders: orders, deals: 3, contacts: 3})
}
