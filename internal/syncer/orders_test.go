package syncer_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

func TestOrdersEndToEnd(t *testing.T) {
	forEachShop(t, modxtest.Options{}, testOrdersEndToEnd)
}

func testOrdersEndToEnd(t *testing.T, shop modxtest.Options) {
	st := modxtest.Statuses(shop)
	h := newHarness(t, shop, func(c *config.Config) {
		c.Orders.StatusMap = map[string]config.IDRef{strconv.FormatInt(st.Paid, 10): {Name: "Оплачен"}, strconv.FormatInt(st.Sent, 10): {ID: 142}}
	})
	var placed []int64
	for i := range 5 {
		placed = append(placed, h.order(modxtest.OrderSpec{Address: map[string]any{
			"receiver": "Покупатель " + strconv.Itoa(i), "phone": "+7 999 000-00-0" + strconv.Itoa(i)}}))
	}
	// Left unplaced: at status 0 with its products and address, which on
	// miniShop2 is a placed order (4.4.1's #950) and is sent; a MiniShop3
	// order is a cart until placed.
	unplaced := h.order(modxtest.OrderSpec{Unplaced: true, Address: map[string]any{"receiver": "Покупатель 5", "phone": "+7 999 000-00-05"}})
	draft := h.order(modxtest.OrderSpec{Status: st.Draft})
	notPlaced := []int64{draft}
	atZero := shop.Generation != modxtest.GenMS3
	if atZero {
		placed = append(placed, unplaced)
	} else {
		notPlaced = append(notPlaced, unplaced)
	}

	res := h.pass(syncer.PassOptions{})
	if got, want := res.Count("lead", plan.Create), len(placed); got != want {
		t.Fatalf("first pass created %d deals, want %d (%s)", got, want, res.Summary())
	}
	leads := h.leadsByOrder()
	for _, id := range placed {
		if _, ok := leads[strconv.FormatInt(id, 10)]; !ok {
			t.Errorf("order %d has no deal", id)
		}
	}
	for _, id := range notPlaced {
		if _, ok := leads[strconv.FormatInt(id, 10)]; ok {
			t.Errorf("order %d is not placed but has a deal", id)
		}
	}
	if got, want := len(h.box.Contacts()), len(placed); got != want {
		t.Errorf("contacts: got %d, want %d", got, want)
	}

	// A second pass has nothing to do.
	res = h.pass(syncer.PassOptions{})
	if got := res.Count("lead", plan.Create); got != 0 {
		t.Fatalf("second pass created %d deals, want 0", got)
	}
	if got, want := len(h.box.Leads()), len(placed); got != want {
		t.Fatalf("deals after the second pass: got %d, want %d", got, want)
	}

	// The unplaced order is placed (a deal made at status 0 was made at the
	// new status already: nothing moves); a paid order moves.
	h.place(unplaced)
	h.changeStatus(placed[0], st.Paid)
	res = h.pass(syncer.PassOptions{})
	if got, want := res.Count("lead", plan.Create), len(notPlaced)-1; got != want {
		t.Errorf("third pass created %d deals, want %d (the order placed late, unless sent at status 0)", got, want)
	}
	if got := res.Count("status_move", plan.Update); got != 1 {
		t.Errorf("third pass moved %d deals, want 1", got)
	}
	_, paid := h.pipelineStatus("Воронка", "Оплачен")
	if got := h.leadsByOrder()[strconv.FormatInt(placed[0], 10)].StatusID; got != paid {
		t.Errorf("paid order's deal status: got %d, want %d", got, paid)
	}
}

func TestOneCustomerOneContact(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	// Same phone written two ways, in one batch; then a third order later.
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Анна", "phone": "+7 (912) 345-67-89"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Анна", "phone": "89123456789"}})
	h.pass(syncer.PassOptions{})
	if got := len(h.box.Contacts()); got != 1 {
		t.Fatalf("after one batch: %d contacts, want 1", got)
	}
	h.order(modxtest.OrderSpec{Address: map[string]any{"receiver": "Анна П.", "phone": "9123456789", "email": "anna@example.org"}})
	h.pass(syncer.PassOptions{})
	contacts := h.box.Contacts()
	if got := len(contacts); got != 1 {
		t.Fatalf("after the second batch: %d contacts, want 1", got)
	}
	if got := len(h.box.Leads()); got != 3 {
		t.Fatalf("deals: got %d, want 3", got)
	}
	for _, l := range h.box.Leads() {
		if len(l.Contacts) != 1 || l.Contacts[0].ID != contacts[0].ID {
			t.Errorf("deal %d contacts: got %+v, want [%d]", l.ID, l.Contacts, contacts[0].ID)
		}
	}
}

// TestSinceMovesBack: a state begun with start "now" says in the report
// what it leaves behind; a later run with -since all sends that history,
// once, and a run with -since past the position skips nothing.
func TestSinceMovesBack(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newHarness(t, shop, func(c *config.Config) { c.Sync.Start = "now" })
		var history []int64
		for i := range 3 {
			history = append(history, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 100-00-0" + strconv.Itoa(i)}}))
		}
		var got entries
		h.pass(syncer.PassOptions{Report: &got})
		if n := len(h.box.Leads()); n != 0 {
			t.Fatalf("start now: %d deals, want none", n)
		}
		if !slices.ContainsFunc(got, func(e plan.Entry) bool {
			return e.Kind == "start" && e.Source == syncer.SourceOrders && strings.Contains(e.Reason, "-since all")
		}) {
			t.Errorf("the report does not say what start now leaves behind: %+v", got)
		}
		later := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 100-00-09"}})
		h.passWith(site.EngineOptions{Since: "now"}, syncer.PassOptions{})
		if n := len(h.box.Leads()); n != 1 {
			t.Fatalf("-since now past the position: %d deals, want the 1 order placed since", n)
		}
		res := h.passWith(site.EngineOptions{Since: "all"}, syncer.PassOptions{})
		if c := res.Count("lead", plan.Create); c != len(history) {
			t.Errorf("-since all: created %d deals, want the %d of the history (%s)", c, len(history), res.Summary())
		}
		h.passWith(site.EngineOptions{Since: "all"}, syncer.PassOptions{})
		leads := h.leadsByOrder()
		if len(h.box.Leads()) != len(history)+1 {
			t.Errorf("after a second -since all: %d deals, want %d: nothing twice", len(h.box.Leads()), len(history)+1)
		}
		for _, id := range append(history, later) {
			if _, ok := leads[strconv.FormatInt(id, 10)]; !ok {
				t.Errorf("order %d has no deal", id)
			}
		}
	})
}

// TestWaitingOrdersAreReported (issue 21): every pass's report lists the
// orders that wait, each with why: a cart, an order at status 0 without
// its products yet, one dated in the future, and the newest, younger than
// sync.settle, where the reader stops.
func TestWaitingOrdersAreReported(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, func(c *config.Config) { c.Sync.Settle = config.Duration{Duration: time.Minute} })
	now := h.dbNow()
	cart := h.order(modxtest.OrderSpec{Status: h.statuses().Draft, CreatedOn: now.Add(-10 * time.Minute)})
	writing := h.order(modxtest.OrderSpec{Unplaced: true, CreatedOn: now.Add(-5 * time.Minute)})
	testdb.Exec(t, h.db, "DELETE FROM modx_ms2_order_products WHERE order_id = "+strconv.FormatInt(writing, 10))
	future := h.order(modxtest.OrderSpec{CreatedOn: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
	young := h.order(modxtest.OrderSpec{CreatedOn: now})
	want := map[int64]string{
		cart:    "waits: a cart (draft status 5): sent once placed; forgotten after sync.abandon_after (1h0m0s)",
		writing: "waits: status 0 without its products or address yet: sent once they are written; parked after sync.abandon_after (1h0m0s)",
		future:  "waits: dated in the future (createdon 2099-01-01 ",
		young:   "waits: younger than sync.settle (1m0s): read on the next pass, with the orders after it",
	}
	for pass := 1; pass <= 2; pass++ {
		var got entries
		res := h.pass(syncer.PassOptions{Report: &got})
		waits := map[int64]string{}
		for _, e := range got {
			if e.Kind == "wait" {
				waits[e.SourceID] = e.Reason
			}
		}
		for id, reason := range want {
			if !strings.HasPrefix(waits[id], reason) {
				t.Errorf("pass %d: order %d: %q, want %q", pass, id, waits[id], reason)
			}
		}
		if len(waits) != len(want) || res.Count("wait", plan.Skip) != len(want) || res.Count("lead", plan.Create) != 0 {
			t.Errorf("pass %d: %s, waits %v; want the %d orders listed and nothing sent", pass, res.Summary(), waits, len(want))
		}
	}
}
