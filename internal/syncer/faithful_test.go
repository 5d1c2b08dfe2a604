package syncer_test

import (
	"fmt"
	"regexp"
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

// plannedEntry is what a dry run must predict of a real run's report entry:
// everything but the ids amoCRM hands out.
type plannedEntry struct {
	Source, Kind, Key, Title, Reason string
	Action                           plan.Action
	Changes                          string // the changes, in order: field, old and new value
}

func planned(es []plan.Entry) []plannedEntry {
	out := make([]plannedEntry, len(es))
	for i, e := range es {
		changes := make([]string, len(e.Changes))
		for j, c := range e.Changes {
			changes[j] = c.Field + ": " + c.Old + " -> " + c.New
		}
		out[i] = plannedEntry{Source: e.Source, Kind: e.Kind, Key: e.Key, Title: e.Title, Reason: e.Reason,
			Action: e.Action, Changes: strings.Join(changes, "; ")}
	}
	return out
}

// sameReports holds a real run's report to the dry run's, entry by entry.
func sameReports(t testing.TB, name string, dry, real []plan.Entry) {
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

// summaryCounts are the numbers of a summary line before its request count
// and time, which a dry run cannot predict.
func summaryCounts(r *syncer.Result) string {
	s := r.Summary()
	return strings.Join(regexp.MustCompile(`\d+`).FindAllString(s[:strings.Index(s, ";")], -1), " ")
}

var bareFieldID = regexp.MustCompile(`^field -?\d+$`)

// predicted runs a dry pass, then the real pass, built with eopts, and
// holds them to the dry run's contract: the same summary counts, the same
// report entry by entry, and amoCRM gaining exactly the deals and contacts
// (and elements, deals with products, tasks) the dry run said it would.
func (h *harness) predicted(name string, eopts site.EngineOptions) (dry, real []plan.Entry) {
	t := h.t
	t.Helper()
	var d, r entries
	eopts.DryRun = true
	dres := h.passWith(eopts, syncer.PassOptions{Report: &d})
	leadsBefore, contactsBefore := len(h.box.Leads()), len(h.box.Contacts())
	elementsBefore, tasksBefore, linkedBefore := len(h.box.Elements()), len(h.box.Tasks()), h.linkedDeals()
	eopts.DryRun = false
	rres := h.passWith(eopts, syncer.PassOptions{Report: &r})
	if got, want := summaryCounts(rres), summaryCounts(dres); got != want {
		t.Errorf("%s: real run %q, dry run predicted %q", name, rres.Summary(), dres.Summary())
	}
	if got, want := fmt.Sprint(rres.Counts), fmt.Sprint(dres.Counts); got != want {
		t.Errorf("%s: real run counts %s, dry run predicted %s", name, got, want)
	}
	t.Logf("%s: dry run %s; real run %s", name, dres.Summary(), rres.Summary())
	sameReports(t, name, d, r)
	if got, want := len(h.box.Leads())-leadsBefore, dres.Count("lead", plan.Create); got != want {
		t.Errorf("%s: amoCRM gained %d deals, the dry run predicted %d", name, got, want)
	}
	if got, want := len(h.box.Contacts())-contactsBefore, dres.Count("contact", plan.Create); got != want {
		t.Errorf("%s: amoCRM gained %d contacts, the dry run predicted %d", name, got, want)
	}
	if got, want := len(h.box.Elements())-elementsBefore, dres.Count("element", plan.Create); got != want {
		t.Errorf("%s: amoCRM gained %d elements, the dry run predicted %d", name, got, want)
	}
	if got, want := len(h.box.Tasks())-tasksBefore, dres.Count("task", plan.Create); got != want {
		t.Errorf("%s: amoCRM gained %d tasks, the dry run predicted %d", name, got, want)
	}
	if got, want := h.linkedDeals()-linkedBefore, dres.Count("products", plan.Create); got != want {
		t.Errorf("%s: amoCRM gained %d deals with products, the dry run predicted %d", name, got, want)
	}
	return d, r
}

// TestDryRunPredictsRealRun is the contract of a dry run: on a generated
// shop with repeat customers, users and forms, where customers came with
// UTM marks, in an account that needs its site pipeline and fields, with
// products, tasks, tags and a category rule on, the dry run's report and
// the following real run's report agree entry by entry, every value of
// every change included (tags, tracking values, quantities, due times),
// and amoCRM then holds exactly the creates it predicted: deals,
// contacts, elements, deals with products, tasks. The same holds after
// status changes in the shop, and after edits and deletions in its back
// office.
func TestDryRunPredictsRealRun(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Orders.PipelineID = config.IDRef{}
		c.Forms.Enabled, c.Forms.AsLead = true, true
		c.Users.Enabled = true
		extrasOn(c)
		c.Orders.Tags, c.Forms.Tags = []string{"сайт"}, []string{"заявка"}
		c.Orders.LeadName = "{site_name}: заказ {num}, {receiver}, {cost} ₽ ({delivery}, {payment})"
	})
	ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: 240, Users: 30, Forms: 12, Seed: 11, Marks: true})
	if err != nil {
		t.Fatal(err)
	}
	h.cfg.Orders.Category = []config.CategoryRule{{ID: int(ds.TopCategories[0]), ResponsibleUserID: config.IDRef{Name: "Иван Менеджеров"}, Tags: []string{"опт"}}}

	round := func(name string) (dry, real []plan.Entry) {
		t.Helper()
		d, r := h.predicted(name, site.EngineOptions{CompareStatuses: true})
		for _, e := range d {
			for _, c := range e.Changes {
				if bareFieldID.MatchString(c.Field) {
					t.Errorf("%s: %s names a field by its id: %q", name, e.Key, c.Field)
				}
			}
		}
		return d, r
	}

	dry, _ := round("backfill")
	kinds := map[string]bool{}
	for _, e := range dry {
		kinds[e.Kind+"/"+string(e.Action)] = true
	}
	for _, want := range []string{"pipeline/create", "field/create", "lead/create", "contact/create", "contact/unchanged",
		"element/create", "products/create", "task/create"} {
		if !kinds[want] {
			t.Errorf("backfill: the report lacks %s, so the contract proves less than it says; has %v", want, slices.Sorted(mapKeys(kinds)))
		}
	}

	// Managers' shop: some orders change status, some of them with no log
	// row, a returning customer orders again with a new e-mail, a user edits
	// their phone; an order dated in the future and two left at status 0
	// for hours, one without its address, arrive.
	for id := ds.FirstOrderID; id < ds.FirstOrderID+12; id++ {
		testdb.Exec(t, h.db, fmt.Sprintf("UPDATE modx_ms2_orders SET status = 3 WHERE id = %d", id))
		if _, err := modxtest.InsertStatusLog(h.ctx, h.db, h.shop, modxtest.LogSpec{OrderID: id, Entry: "3"}); err != nil {
			t.Fatal(err)
		}
	}
	for id := ds.FirstOrderID + 20; id < ds.FirstOrderID+23; id++ {
		if err := modxtest.SetStatus(h.ctx, h.db, h.shop, id, 2, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	h.order(modxtest.OrderSpec{CreatedOn: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
	stuck := h.order(modxtest.OrderSpec{Unplaced: true, NoAddress: true, CreatedOn: h.dbNow().Add(-3 * time.Hour)})
	atZero := h.order(modxtest.OrderSpec{Unplaced: true, CreatedOn: h.dbNow().Add(-3 * time.Hour)})
	testdb.Exec(t, h.db, "UPDATE modx_user_attributes SET phone = '+7 (999) 000-11-22' WHERE internalKey = (SELECT MIN(internalKey) FROM (SELECT internalKey FROM modx_user_attributes) u)")
	_, real := round("changes")
	got := map[string]bool{}
	for _, e := range real {
		got[e.Kind+"/"+string(e.Action)+" "+e.Key] = true
	}
	for _, want := range []string{"status_move/update order:" + strconv.FormatInt(ds.FirstOrderID+20, 10),
		"lead/fail order:" + strconv.FormatInt(stuck, 10), "lead/create order:" + strconv.FormatInt(atZero, 10)} {
		if !got[want] {
			t.Errorf("changes: the report lacks %s (a status set without a log, orders left at status 0 without and with their address)", want)
		}
	}

	// Managers edit and delete orders in the back office.
	edits, err := modxtest.EditBackOffice(h.ctx, h.db, h.shop, ds, 3, h.dbNow().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	_, real = round("edits")
	got = map[string]bool{}
	for _, e := range real {
		got[e.Kind+"/"+string(e.Action)+" "+e.Key] = true
	}
	for _, want := range []string{"lead/update order:" + strconv.FormatInt(edits.Products[0], 10),
		"products/update order:" + strconv.FormatInt(edits.Products[0], 10), "note/create order:" + strconv.FormatInt(edits.Address[0], 10),
		"note/create order:" + strconv.FormatInt(edits.Deleted[0], 10)} {
		if !got[want] {
			t.Errorf("edits: the report lacks %s (an edit, its products and note, a deletion's note)", want)
		}
	}
}

// linkedDeals counts the deals with products linked.
func (h *harness) linkedDeals() int {
	n := 0
	for _, l := range h.box.Leads() {
		n += min(len(l.Elements), 1)
	}
	return n
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
