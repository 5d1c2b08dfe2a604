package syncer_test

import (
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox/sandboxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer/account"
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
	deals, err := sandboxtest.Deals(h.box, "MODX_ORDER")
	if err != nil {
		t.Fatal(err)
	}
	quantities, err := modxtest.Quantities(h.ctx, h.db, h.shop)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		key := strconv.FormatInt(id, 10)
		l, ok := leads[key]
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
		if !h.cfg.Orders.Products.Enabled {
			continue
		}
		wantProducts := map[string]float64{}
		for p, n := range quantities[id] {
			wantProducts[strconv.FormatInt(p, 10)] = n
		}
		if got := deals[key].Products; !maps.Equal(got, wantProducts) {
			t.Errorf("order %d: deal links %v, the order has %v", id, got, wantProducts)
		}
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

// sameReports holds a real run's report to the dry run's, entry by entry.
func sameReports(t *testing.T, name string, dry, real []plan.Entry) {
	t.Helper()
	pd, pr := planned(dry), planned(real)
	for i := range max(len(pd), len(pr)) {
		switch {
		case i >= len(pr):
			t.Errorf("%s: dry run entry %d %+v has no real counterpart", name, i, pd[i])
		case i >= len(pd):
			t.Errorf("%s: real entry %d %+v was not predicted", name, i, pr[i])
		case pd[i] != pr[i]:
			t.Errorf("%s: entry %d:\n dry  %+v\n real %+v", name, i, pd[i], pr[i])
		}
		if t.Failed() && i > 5 {
			t.FailNow()
		}
	}
}

// TestOrderEdits is issue 23's end to end: on a generated shop after a
// backfill, a manager edits orders in the back office the way each shop
// generation writes it (a product added and one removed, a quantity, the
// delivery cost where the window has it, the address, the comment) and
// deletes some; the dry run lists each edited order with its changed fields
// and each deleted one, the real run does exactly that, and then every
// edited deal equals a fresh mapping of its order, products included, with
// one note saying what changed, and every deleted order's deal has its
// note. A second pass writes nothing.
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
			if w := h.writes(); len(w) != 0 {
				t.Errorf("the pass after: writes %v, want none", w)
			}
		})
	}
}
