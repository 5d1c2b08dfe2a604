package syncer_test

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// The switch from the old extra 1.9.3 (issue 21), on the shop it ran on
// (modxtest.BuildExtraShop): its deals and its name-only contacts, its
// status map of two pipelines, a 4.4.1 web order it sent at status 0 and
// one placed after it was stopped.

// extraHarness is a harness on the shop the extra ran on, configured as
// import-settings converts its settings and tables.
func extraHarness(t *testing.T) (*harness, *modxtest.ExtraShop) {
	t.Helper()
	h := newHarnessTB(t, modxtest.Options{OldExtra: true, MyISAM: true}, nil,
		sandbox.Options{Seed: sandboxtest.ExtraSeed(), LongLivedTokens: []string{testToken}, RPS: -1})
	extra := &modxtest.Extra{DB: h.db, Shop: h.shop, BaseURL: h.url}
	auth := modxtest.ExtraAuth{Account: "example", ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		Code: sandbox.DefaultAuthCode, RedirectURI: sandbox.DefaultRedirectURI}
	x, err := modxtest.BuildExtraShop(h.ctx, extra, auth, sandboxtest.ExtraMain, sandboxtest.ExtraWholesale, h.dbNow())
	if err != nil {
		t.Fatal(err)
	}
	table := func(first int64) map[string]config.IDRef {
		return map[string]config.IDRef{"1": {ID: first + 1}, "2": {ID: first + 2}, "3": {ID: first + 3}, "4": {ID: first + 4}}
	}
	h.cfg.Sync.Start = "now"
	h.cfg.Orders.PipelineID = config.IDRef{ID: sandboxtest.ExtraMain}
	h.cfg.Orders.Category = []config.CategoryRule{{ID: int(x.Category), PipelineID: config.IDRef{ID: sandboxtest.ExtraWholesale}}}
	h.cfg.Orders.PipelineStatusMap = map[string]map[string]config.IDRef{"3001": table(31000), "3002": table(32000)}
	return h, x
}

// byKey indexes report entries by kind and key.
func byKey(es []plan.Entry) map[string]plan.Entry {
	out := map[string]plan.Entry{}
	for _, e := range es {
		out[e.Kind+" "+e.Key] = e
	}
	return out
}

func orderKey(id int64) string { return "order:" + strconv.FormatInt(id, 10) }

// TestSwitchFromExtra: the first run takes the extra's links over (the dry
// run shows it and predicts the run entry by entry): no second deal for an
// order it sent, its deals moved where their orders' statuses go, the
// order it missed while stopped sent, Мария's own order with a new phone
// and e-mail on her linked contact; an edited status map moves the deals
// at that status on the next run, later status changes move deals, and an
// idle comparison asks amoCRM nothing.
func TestSwitchFromExtra(t *testing.T) {
	h, x := extraHarness(t)
	st := h.statuses()
	// While the extra was stopped a manager cancelled Мария's order: no log
	// the first run reads (it starts at the current end), no deal moved.
	h.changeStatus(x.Sent[1], st.Cancelled)
	contactsBefore := len(h.box.Contacts())

	_, got := h.predicted("switch", site.EngineOptions{CompareStatuses: true})
	es := byKey(got)
	if e := es["link old_extra:links"]; !strings.Contains(e.Reason, "4 order deals (amocrm_leads) and 2 contacts") {
		t.Errorf("the report does not show the links taken over: %+v", e)
	}
	if e := es["start start:orders"]; !strings.Contains(e.Reason, "up to id "+strconv.FormatInt(x.Sent[3], 10)+", the newest it sent") {
		t.Errorf("the orders do not start after the extra's newest deal: %+v", e)
	}
	for _, id := range x.Sent {
		if e, ok := es["lead "+orderKey(id)]; ok && e.Action == plan.Create {
			t.Errorf("order %d, which the extra sent, gets a second deal", id)
		}
		if e := es["status_move "+orderKey(id)]; !strings.Contains(e.Reason, "taken over from the old extra") {
			t.Errorf("order %d: the report does not list its deal as taken over: %+v", id, e)
		}
	}
	if e := es["status_move "+orderKey(x.Sent[1])]; e.Action != plan.Update || e.Changes[0].New != "Отменён" {
		t.Errorf("Мария's cancelled order: %+v, want its deal moved to «Отменён»", e)
	}
	if got := h.box.Leads(); len(got) != len(x.Sent)+1 {
		t.Errorf("deals: got %d, want the extra's %d and the order placed after it stopped", len(got), len(x.Sent))
	}
	for id, want := range map[int64]int64{x.Sent[0]: 31002, x.Sent[1]: 31004, x.Sent[2]: 32004, x.Sent[3]: 31001} {
		if got := h.leadStatus(x.Deals[id]); got != want {
			t.Errorf("order %d's deal: status %d, want %d", id, got, want)
		}
	}

	// Мария's order placed at status 0 after the switch, with a new phone
	// and e-mail, goes to her linked contact, which gains them.
	if e := es["lead "+orderKey(x.AtZero[1])]; e.Action != plan.Create || !strings.Contains(e.Reason, "issue #950") {
		t.Errorf("the order placed at status 0 after the switch: %+v, want created with the #950 warning", e)
	}
	maria := x.Contacts[x.Maria]
	if e := es["contact contact:phone:79220000002"]; e.Action != plan.Update || e.AmoID != maria || !strings.Contains(e.Reason, "linked to MODX user") {
		t.Errorf("Мария's contact: %+v, want her linked contact %d updated", e, maria)
	}
	if got := len(h.box.Contacts()); got != contactsBefore {
		t.Errorf("contacts: got %d, want the extra's %d: no second contact for a linked customer", got, contactsBefore)
	}
	c := h.contact(maria)
	if !slices.Contains(values(c, "PHONE"), "+79220000002") || !slices.Contains(values(c, "EMAIL"), "maria.new@mail.ru") {
		t.Errorf("Мария's contact holds %v %v, want her new phone and e-mail", values(c, "PHONE"), values(c, "EMAIL"))
	}
	if l := h.lead(x.AtZero[1]); l.StatusID != 31001 || len(l.Contacts) != 1 || l.Contacts[0].ID != maria {
		t.Errorf("the deal of the order at status 0: status %d, contacts %v; want «Новый» on Мария's contact %d", l.StatusID, l.Contacts, maria)
	}

	// The map is edited: paid orders' deals go to «Отправлен» in the main
	// pipeline now. The next run moves Иван's, the dry run saying so first.
	h.cfg.Orders.PipelineStatusMap["3001"]["2"] = config.IDRef{ID: 31003}
	_, got = h.predicted("map edited", site.EngineOptions{CompareStatuses: true})
	es = byKey(got)
	if e := es["status_move "+orderKey(x.Sent[0])]; e.Action != plan.Update || !strings.Contains(e.Reason, "the config puts shop status 2 elsewhere") {
		t.Errorf("Иван's paid order after the map edit: %+v, want its deal moved", e)
	}
	if n := strings.Count(strings.Join(keysOf(es), " "), "status_move "); n != 1 {
		t.Errorf("%d deals read after the map edit, want only the one at the edited status", n)
	}
	if got := h.leadStatus(x.Deals[x.Sent[0]]); got != 31003 {
		t.Errorf("Иван's deal: status %d, want 31003", got)
	}

	// A later status change moves its deal; a comparison of a shop where
	// nothing changed asks amoCRM nothing.
	h.changeStatus(x.Sent[2], st.Sent)
	if res := h.pass(syncer.PassOptions{}); res.Count("status_move", plan.Update) != 1 || h.leadStatus(x.Deals[x.Sent[2]]) != 32003 {
		t.Errorf("a later status change: %s, deal at %d; want it moved to 32003", res.Summary(), h.leadStatus(x.Deals[x.Sent[2]]))
	}
	h.box.ResetRequests()
	if res := h.passWith(site.EngineOptions{CompareStatuses: true}, syncer.PassOptions{}); len(h.box.Requests()) != 0 {
		t.Errorf("an idle comparison made %d requests (%s), want none", len(h.box.Requests()), res.Summary())
	}
}

func keysOf(m map[string]plan.Entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// leadStatus is the status of deal id in the sandbox.
func (h *harness) leadStatus(id int64) int64 {
	h.t.Helper()
	for _, l := range h.box.Leads() {
		if l.ID == id {
			return l.StatusID
		}
	}
	h.t.Fatalf("no deal %d", id)
	return 0
}

// contact is contact id in the sandbox.
func (h *harness) contact(id int64) sandbox.ContactState {
	h.t.Helper()
	for _, c := range h.box.Contacts() {
		if c.ID == id {
			return c
		}
	}
	h.t.Fatalf("no contact %d", id)
	return sandbox.ContactState{}
}

// TestOldExtraTakeoverPages: the extra's tables are taken over a page at a
// time, an order's first row being its link (the one the extra updates),
// form deals (order 0) left out, and links we have kept.
func TestOldExtraTakeoverPages(t *testing.T) {
	h := newHarness(t, modxtest.Options{OldExtra: true}, nil)
	var rows []string
	for id := 1; id <= 1001; id++ {
		rows = append(rows, fmt.Sprintf("(%d, %d, 1001)", id, 500000+id))
	}
	testdb.Exec(t, h.db, "INSERT INTO modx_amocrm_leads (`order`, order_id, pipeline_id) VALUES "+strings.Join(rows, ", ")+
		", (0, 9001, 1001), (5, 9005, 1001);\nINSERT INTO modx_amocrm_users (`user`, user_id) VALUES (3, 7003), (4, 7004)")
	if err := h.store.Commit(h.ctx, func(tx *state.Tx) error {
		return tx.PutLinks([]plan.Link{{Kind: plan.LinkUser, SourceID: 4, AmoID: 8004, Hash: "ours"}})
	}); err != nil {
		t.Fatal(err)
	}
	var got entries
	h.pass(syncer.PassOptions{Report: &got})
	if e := byKey(got)["link old_extra:links"]; !strings.Contains(e.Reason, "1001 order deals (amocrm_leads) and 1 contacts") {
		t.Errorf("the takeover's entry: %+v", e)
	}
	orders, err := h.store.Links(h.ctx, plan.LinkOrder, []int64{0, 1, 5, 1000, 1001})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 4 || orders[5].AmoID != 500005 || orders[1001].AmoID != 501001 {
		t.Errorf("order links: %+v, want orders 1, 5 (its first row), 1000 and 1001", orders)
	}
	users, err := h.store.Links(h.ctx, plan.LinkUser, []int64{3, 4})
	if err != nil || users[3].AmoID != 7003 || users[4].AmoID != 8004 {
		t.Errorf("user links: %+v, %v; want user 3 taken over, user 4 ours", users, err)
	}
}

// TestOwnAccountContact: an account holder's own order goes to the contact
// the old extra linked to the account (a name and nothing else), which
// gains the order's phone and e-mail; a manager's order for a customer
// does not follow the manager's link; a link to a contact amoCRM no longer
// has leaves the phones and e-mails to decide. The dry run predicts it.
func TestOwnAccountContact(t *testing.T) {
	h := newHarness(t, modxtest.Options{OldExtra: true}, nil)
	maria := h.user(modxtest.UserSpec{Username: "maria", FullName: "Мария Иванова", Email: "maria@mail.ru", Phone: "+7 911 000-00-01"})
	admin := h.user(modxtest.UserSpec{Username: "admin", FullName: "Администратор", Email: "admin@shop.test", Sudo: true})
	anna := h.user(modxtest.UserSpec{Username: "anna", FullName: "Анна Смирнова", Email: "anna@mail.ru", Phone: "+7 912 000-00-03"})
	made, err := h.site.Client.CreateContacts(h.ctx, []crm.Contact{{Name: "Мария Иванова"}, {Name: "Администратор"}})
	if err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, h.db, fmt.Sprintf("INSERT INTO modx_amocrm_users (`user`, user_id) VALUES (%d, %d), (%d, %d), (%d, 999999)",
		maria, made[0].ID, admin, made[1].ID, anna))
	own := h.order(modxtest.OrderSpec{UserID: maria, Address: map[string]any{"receiver": "Мария Иванова", "phone": "+7 922 000-00-02", "email": "maria.new@mail.ru"}})
	h.order(modxtest.OrderSpec{ByManager: true, Manager: admin, Address: map[string]any{"receiver": "Пётр Сидоров", "phone": "+7 913 000-00-04", "email": ""}})
	h.order(modxtest.OrderSpec{UserID: anna, Address: map[string]any{"receiver": "Анна Смирнова", "phone": "+7 912 000-00-03", "email": "anna@mail.ru"}})

	_, got := h.predicted("own accounts", site.EngineOptions{})
	es := byKey(got)
	if e := es["contact contact:phone:79220000002"]; e.Action != plan.Update || e.AmoID != made[0].ID {
		t.Errorf("Мария's own order: %+v, want her linked contact %d updated", e, made[0].ID)
	}
	if l := h.lead(own); len(l.Contacts) != 1 || l.Contacts[0].ID != made[0].ID {
		t.Errorf("Мария's deal is on %v, want her linked contact %d", l.Contacts, made[0].ID)
	}
	c := h.contact(made[0].ID)
	if !slices.Contains(values(c, "PHONE"), "+79220000002") || !slices.Contains(values(c, "EMAIL"), "maria.new@mail.ru") {
		t.Errorf("Мария's contact holds %v %v", values(c, "PHONE"), values(c, "EMAIL"))
	}
	if c := h.contact(made[1].ID); len(c.CustomFieldsValues) != 0 {
		t.Errorf("the manager's contact was changed: %+v", c)
	}
	names := h.contactsByName()
	if _, ok := names["Пётр Сидоров"]; !ok {
		t.Errorf("the manager's order for Пётр made no contact of his: %v", slices.Sorted(maps.Keys(names)))
	}
	annas := names["Анна Смирнова"]
	if annas.ID == 0 || len(h.box.Contacts()) != 4 {
		t.Fatalf("contacts: %v, want Анна's made by her keys beside the two linked and Пётр's", slices.Sorted(maps.Keys(names)))
	}

	// Her next order, the link still pointing nowhere, finds her contact by
	// its phone.
	again := h.order(modxtest.OrderSpec{UserID: anna, Address: map[string]any{"receiver": "Анна Смирнова", "phone": "+7 912 000-00-03", "email": "anna@mail.ru"}})
	h.pass(syncer.PassOptions{})
	if l := h.lead(again); len(l.Contacts) != 1 || l.Contacts[0].ID != annas.ID || len(h.box.Contacts()) != 4 {
		t.Errorf("Анна's second deal is on %v (%d contacts), want her contact %d", l.Contacts, len(h.box.Contacts()), annas.ID)
	}
}
