package syncer_test

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// compare is a pass that runs the comparisons, as run -once does.
var compare = site.EngineOptions{CompareStatuses: true}

// productsOn turns the products list on.
func productsOn(c *config.Config) { c.Orders.Products.Enabled = true }

// fresh maps the orders ids as a new pass would now, against the account
// as it is.
func (h *harness) fresh(t *testing.T, ids []int64) map[int64]*transform.Deal {
	t.Helper()
	acct := account.New(h.cfg, h.site.Client, h.source, syncer.NewStoreLedger(h.store, slog.New(slog.DiscardHandler)),
		slog.New(slog.DiscardHandler), time.Now)
	if err := acct.Begin(h.ctx, false); err != nil {
		t.Fatal(err)
	}
	m, err := acct.Mapper(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := h.source.LoadOrders(h.ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]*transform.Deal{}
	for i := range orders {
		d, err := m.Order(&orders[i])
		if err != nil {
			t.Fatalf("map order %d: %v", orders[i].ID, err)
		}
		out[orders[i].ID] = d
	}
	return out
}

// checkDeals holds each order's deal against a fresh mapping of it: its
// price and every field the mapping gives (none it empties), and, with
// products on, exactly its products with their quantities.
func (h *harness) checkDeals(t *testing.T, ids []int64) {
	t.Helper()
	want := h.fresh(t, ids)
	leads := h.leadsByOrder()
	for _, id := range ids {
		l, ok := leads[strconv.FormatInt(id, 10)]
		if !ok {
			t.Errorf("order %d: no deal", id)
			continue
		}
		d := want[id]
		if d.Lead.Price != nil && l.Price != *d.Lead.Price {
			t.Errorf("order %d: deal price %d, a fresh mapping %d", id, l.Price, *d.Lead.Price)
		}
		has := map[int64]string{}
		for _, f := range l.CustomFieldsValues {
			has[f.FieldID] = sandboxValues(f.Values)
		}
		for _, f := range d.Lead.CustomFieldsValues {
			if got, want := has[f.FieldID], mappedValues(f.Values); got != want {
				t.Errorf("order %d: deal field %d holds %q, a fresh mapping %q", id, f.FieldID, got, want)
			}
		}
		for _, f := range d.EmptyFields {
			if got := has[f]; got != "" {
				t.Errorf("order %d: deal field %d holds %q, the order has no value", id, f, got)
			}
		}
	}
	if h.cfg.Orders.Products.Enabled {
		h.checkProducts(t, ids)
	}
}

func sandboxValues(vs []sandbox.Value) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprint(v.Value))
	}
	return strings.Join(parts, "|")
}

func mappedValues(vs []crm.FieldValue) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprint(v.Value))
	}
	return strings.Join(parts, "|")
}

// notesOf are the texts of each deal's common notes, by deal id.
func (h *harness) notesOf() map[int64][]string {
	out := map[int64][]string{}
	for _, n := range h.box.Notes() {
		if n.NoteType == "common" {
			out[n.EntityID] = append(out[n.EntityID], crm.Note{Params: n.Params}.Text())
		}
	}
	return out
}

// TestOrderEdits is issue 23's end to end: on a generated shop after a
// backfill, a manager edits orders in the back office the way each shop
// generation writes it (a product added and one removed, a quantity, the
// delivery cost where the window has it, the address, the comment) and
// deletes some; the dry run lists each edited order with its changed fields
// and each deleted one, the real run does exactly that, and then every
// edited deal equals a fresh mapping of its order, products included, with
// one note saying what changed, and every deleted order's deal has its
// note. A second pass, comparing again, asks amoCRM nothing.
func TestOrderEdits(t *testing.T) {
	for _, shop := range []modxtest.Options{
		{Generation: modxtest.Gen4x, MyISAM: true},
		{Generation: modxtest.Gen24},
		{Generation: modxtest.GenMS3},
	} {
		t.Run(shop.Generation, func(t *testing.T) {
			h := newHarness(t, shop, productsOn)
			ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Generation: shop.Generation, Orders: 120, Users: 20, Seed: 23})
			if err != nil {
				t.Fatal(err)
			}
			h.passWith(compare, syncer.PassOptions{})
			edits, err := modxtest.EditBackOffice(h.ctx, h.db, h.shop, ds, 4, h.dbNow().Add(-time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			var dry, real entries
			h.passWith(site.EngineOptions{DryRun: true, CompareStatuses: true}, syncer.PassOptions{Report: &dry})
			before := h.notesOf()
			h.passWith(compare, syncer.PassOptions{Report: &real})
			sameReports(t, "edits", dry, real)

			edited := edits.Edited()
			for _, id := range edited {
				if !hasEntry(dry, "lead", plan.Update, "order:"+strconv.FormatInt(id, 10)) {
					t.Errorf("the dry run does not list edited order %d", id)
				}
			}
			for _, id := range edits.Deleted {
				if !hasEntry(dry, "note", plan.Create, "order:"+strconv.FormatInt(id, 10)) {
					t.Errorf("the dry run does not list deleted order %d's note", id)
				}
			}
			h.checkDeals(t, edited)
			leads, notes := h.leadsByOrder(), h.notesOf()
			for _, id := range edited {
				l := leads[strconv.FormatInt(id, 10)]
				added := notes[l.ID][len(before[l.ID]):]
				if len(added) != 1 || !strings.HasPrefix(added[0], "Изменено в магазине:\n") {
					t.Errorf("order %d: deal %d got notes %q, want one saying what changed", id, l.ID, added)
				}
			}
			for _, id := range edits.Deleted {
				l := leads[strconv.FormatInt(id, 10)]
				added := notes[l.ID][len(before[l.ID]):]
				if len(added) != 1 || !strings.Contains(added[0], "удалён в магазине") {
					t.Errorf("deleted order %d: deal %d got notes %q, want one saying so", id, l.ID, added)
				}
			}
			h.box.ResetRequests()
			h.passWith(compare, syncer.PassOptions{})
			if n := len(h.box.Requests()); n != 0 {
				t.Errorf("the pass after: %d requests (%v), want none", n, requestsByPath(h.box))
			}
		})
	}
}

// TestOrderDeleted: an order deleted in the shop gets, by orders.on_delete,
// a note on its deal, the note and the deal closed as lost (a deal a
// manager already won stays won, and its note does not say it was closed),
// or nothing; then nothing is sent for it again.
func TestOrderDeleted(t *testing.T) {
	for _, c := range []struct {
		onDelete string
		notes    int    // on each deal
		status   string // of the open deals after
	}{
		{config.OnDeleteNote, 1, "Первичный контакт"},
		{config.OnDeleteLose, 1, "Закрыто и не реализовано"},
		{config.OnDeleteNothing, 0, "Первичный контакт"},
	} {
		t.Run(c.onDelete, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{}, func(cfg *config.Config) { cfg.Orders.OnDelete = c.onDelete })
			open := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 920 000-00-01"}})
			won := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 920 000-00-02"}})
			kept := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 920 000-00-03"}})
			h.passWith(compare, syncer.PassOptions{})
			h.move(won, "Успешно реализовано")
			for _, id := range []int64{open, won} {
				if err := modxtest.DeleteOrder(h.ctx, h.db, h.shop, id, 1, h.dbNow()); err != nil {
					t.Fatal(err)
				}
			}
			var dry, real entries
			h.passWith(site.EngineOptions{DryRun: true, CompareStatuses: true}, syncer.PassOptions{Report: &dry})
			h.box.ResetRequests()
			h.passWith(compare, syncer.PassOptions{Report: &real})
			sameReports(t, "deleted", dry, real)
			for _, id := range []int64{open, won} {
				want := plan.Unchanged
				switch {
				case c.onDelete == config.OnDeleteNothing:
					want = plan.Skip
				case c.onDelete == config.OnDeleteLose && id == open:
					want = plan.Update
				}
				if !hasEntry(real, "lead", want, "order:"+itoa(id)) {
					t.Errorf("order %d: the report does not say %s of its deal: %+v", id, want, real)
				}
			}
			if c.onDelete == config.OnDeleteNothing && len(h.box.Requests()) != 0 {
				t.Errorf("on_delete = nothing made requests: %v", requestsByPath(h.box))
			}
			if got := h.dealStatus(open); got != c.status {
				t.Errorf("the open deal is at %q, want %q", got, c.status)
			}
			if got := h.dealStatus(won); got != "Успешно реализовано" {
				t.Errorf("the deal a manager won is at %q", got)
			}
			leads, notes := h.leadsByOrder(), h.notesOf()
			for _, id := range []int64{open, won} {
				if got := notes[leads[itoa(id)].ID]; len(got) != c.notes {
					t.Errorf("order %d: notes %q, want %d", id, got, c.notes)
				}
			}
			if c.onDelete == config.OnDeleteLose {
				if got := notes[leads[itoa(won)].ID]; len(got) != 1 || strings.Contains(got[0], "закрыта") {
					t.Errorf("the won deal's note %q says it was closed", got)
				}
			}
			if got := notes[leads[itoa(kept)].ID]; len(got) != 0 {
				t.Errorf("the order still in the shop got notes %q", got)
			}
			h.box.ResetRequests()
			h.passWith(compare, syncer.PassOptions{})
			h.passWith(compare, syncer.PassOptions{})
			if n := len(h.box.Requests()); n != 0 {
				t.Errorf("the passes after: %d requests (%v), want none", n, requestsByPath(h.box))
			}
		})
	}
}

// TestEditLeavesManagersWork: the shop's edit reaches the deal, compared
// with what the deal last got, not with what amoCRM holds: a field a
// manager changed in amoCRM and the shop did not stays as the manager left
// it, and so do the deal's status and responsible.
func TestEditLeavesManagersWork(t *testing.T) {
	h := newHarness(t, modxtest.Options{Generation: modxtest.Gen4x}, nil)
	id := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 921 000-00-01", "city": "Тула"},
		Lines: []modxtest.LineSpec{{Name: "Чайник", Count: 1, Price: "2500.00"}, {Name: "Кружка", Count: 2, Price: "300.00"}}})
	h.passWith(compare, syncer.PassOptions{})
	lead := h.leadsByOrder()[itoa(id)]
	city := int64(0)
	for _, f := range lead.CustomFieldsValues {
		if f.FieldName == "address.city" {
			city = f.FieldID
		}
	}
	users, err := h.site.Client.Users(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	manager := users[len(users)-1].ID
	_, status := h.pipelineStatus("Воронка", "Принимают решение")
	err = h.site.Client.UpdateLeads(h.ctx, []crm.Lead{{ID: lead.ID, StatusID: status, ResponsibleUserID: manager,
		CustomFieldsValues: []crm.CustomFieldValues{{FieldID: city, Values: []crm.FieldValue{{Value: "Тула, уточнено"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := modxtest.UpdateOrderLine(h.ctx, h.db, h.shop, h.lines(id)[1], modxtest.LineChange{Count: 5}, 1, h.dbNow()); err != nil {
		t.Fatal(err)
	}
	h.passWith(compare, syncer.PassOptions{})
	got := h.leadsByOrder()[itoa(id)]
	if got.Price != 2500+5*300 {
		t.Errorf("price %d, want the shop's new cost 4000", got.Price)
	}
	for _, f := range got.CustomFieldsValues {
		if f.FieldID == city && sandboxValues(f.Values) != "Тула, уточнено" {
			t.Errorf("the manager's city became %q", sandboxValues(f.Values))
		}
	}
	if got.StatusID != status || got.ResponsibleUserID != manager {
		t.Errorf("status %d, responsible %d: want the manager's %d and %d", got.StatusID, got.ResponsibleUserID, status, manager)
	}
}

// TestShopStatusWritesAreNoEdits: a deal a manager moves in amoCRM moves its
// order ([shop_status] writes the status and updatedon); the comparison then
// reads that order, finds nothing its deal does not show, and records it:
// two passes that compare everything write nothing on either side.
func TestShopStatusWritesAreNoEdits(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newShopHarness(t, shop, nil)
		order := h.order(modxtest.OrderSpec{})
		h.passWith(compare, syncer.PassOptions{})
		h.move(order, "Оплачен")
		h.pass(syncer.PassOptions{})
		if got := h.shopStatus(order); got != h.statuses().Paid {
			t.Fatalf("the move did not reach the shop: order at %d", got)
		}
		for i := range 2 {
			before := h.snapshot()
			h.box.ResetRequests()
			var r entries
			h.passWith(compare, syncer.PassOptions{Report: &r})
			if c := h.snapshot().changes(before); len(c) != 0 {
				t.Errorf("pass %d changed MODX: %v", i+1, c)
			}
			if w := h.writes(); len(w) != 0 {
				t.Errorf("pass %d wrote to amoCRM: %v", i+1, w)
			}
			for _, e := range r {
				if e.Action != plan.Unchanged {
					t.Errorf("pass %d reported %+v", i+1, e)
				}
			}
		}
		if got := h.dealStatus(order); got != "Оплачен" {
			t.Errorf("deal at %q", got)
		}
		recorded, _, err := h.store.OrderSignatures(h.ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := h.source.OrderSignatures(h.ctx, []int64{order})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || recorded[order] != transform.Signature(rows[0]) {
			t.Errorf("order %d's signature %d is not its row's as the shop wrote it: %+v", order, recorded[order], rows)
		}
	})
}

// TestUpgradeRecordsLinkedOrders: orders sent before edits were followed
// (a state with their links and no signatures) are recorded as they are
// by the first comparison, with no request; an edit after that sends only
// what changed.
func TestUpgradeRecordsLinkedOrders(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: 40, Users: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	h.passWith(compare, syncer.PassOptions{})
	testdb.Exec(t, h.db, "DELETE FROM amocrm_sync_order_signatures")
	testdb.Exec(t, h.db, "DELETE FROM amocrm_sync_order_sent")
	h.box.ResetRequests()
	var dry, real entries
	h.passWith(site.EngineOptions{DryRun: true, CompareStatuses: true}, syncer.PassOptions{Report: &dry})
	h.passWith(compare, syncer.PassOptions{Report: &real})
	if n := len(h.box.Requests()); n != 0 || len(real) != 0 || len(dry) != 0 {
		t.Errorf("the upgrade's comparison: %d requests (%v), reports %+v and %+v; want nothing", n, requestsByPath(h.box), dry, real)
	}
	var recorded, linked int
	if err := h.db.Get(&recorded, "SELECT COUNT(*) FROM amocrm_sync_order_signatures"); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Get(&linked, "SELECT COUNT(*) FROM amocrm_sync_links WHERE kind = 'order'"); err != nil {
		t.Fatal(err)
	}
	if recorded != linked || linked == 0 {
		t.Errorf("%d orders recorded, want every one of the %d linked", recorded, linked)
	}
	edits, err := modxtest.EditBackOffice(h.ctx, h.db, h.shop, ds, 1, h.dbNow().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h.passWith(compare, syncer.PassOptions{Report: &real})
	h.checkDeals(t, edits.Edited())
	for _, e := range real {
		if e.Kind == "lead" && e.Action == plan.Update && len(e.Changes) > 3 {
			t.Errorf("%s: %d changes %v: more than the edit made", e.Key, len(e.Changes), e.Changes)
		}
	}
}
