package syncer_test

import (
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// entries collects a dry run's report.
type entries []plan.Entry

func (e *entries) Write(x plan.Entry) error { *e = append(*e, x); return nil }

// stateRows counts the rows of every state table.
func (h *harness) stateRows() map[string]int {
	h.t.Helper()
	var tables []string
	if err := h.db.Select(&tables, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'amocrm\\_sync\\_%'"); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for _, tbl := range tables {
		var n int
		if err := h.db.Get(&n, "SELECT COUNT(*) FROM `"+tbl+"`"); err != nil {
			h.t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func TestDryRunWritesNothing(t *testing.T) {
	forEachShop(t, modxtest.Options{FormIt: true, OldExtra: true}, testDryRunWritesNothing)
}

func testDryRunWritesNothing(t *testing.T, shop modxtest.Options) {
	h := newHarness(t, shop, func(c *config.Config) {
		c.Orders.PipelineID = config.IDRef{} // the site pipeline would be created
		c.Forms.Enabled, c.Forms.AsLead = true, true
		c.Users.Enabled = true
	})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Generation: shop.Generation, Orders: 60, Users: 20, Forms: 5, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// A first real pass of the forms only, so the dry run also meets links
	// and existing contacts.
	h.passWith(site.EngineOptions{Only: []string{"forms"}}, syncer.PassOptions{})
	before := h.stateRows()
	h.box.ResetRequests()

	var got entries
	res := h.passWith(site.EngineOptions{DryRun: true}, syncer.PassOptions{Report: &got})

	for _, r := range h.box.Requests() {
		if r.Method != "GET" {
			t.Errorf("dry run wrote to amoCRM: %s %s", r.Method, r.Path)
		}
	}
	after := h.stateRows()
	for tbl, n := range before {
		if after[tbl] != n {
			t.Errorf("dry run changed %s: %d rows, want %d", tbl, after[tbl], n)
		}
	}
	if len(got) == 0 {
		t.Fatal("dry run reported nothing")
	}
	kinds := map[string]bool{}
	for _, e := range got {
		kinds[e.Kind+"/"+string(e.Action)] = true
	}
	for _, want := range []string{"pipeline/create", "field/create", "lead/create", "contact/create"} {
		if !kinds[want] {
			t.Errorf("dry run report lacks %s; has %v", want, kinds)
		}
	}
	if res.Count("lead", plan.Create) == 0 {
		t.Errorf("dry run plans no deals: %s", res.Summary())
	}
	// And a real pass afterwards still does everything.
	real := h.pass(syncer.PassOptions{})
	for _, kind := range []string{"lead", "contact", "field"} {
		if got, want := real.Count(kind, plan.Create), res.Count(kind, plan.Create); got != want {
			t.Errorf("real pass created %d %ss, the dry run said %d", got, kind, want)
		}
	}
	// The dry run placed deals in the pipeline the real pass created.
	for _, e := range got {
		if e.Kind == "lead" && e.Source == "orders" {
			for _, c := range e.Changes {
				if c.Field == "pipeline" && c.New != "Магазин" {
					t.Fatalf("dry run puts order deals in %q, want the site pipeline Магазин", c.New)
				}
			}
		}
	}
}
