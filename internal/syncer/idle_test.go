package syncer_test

import (
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestIdlePassAsksAmoCRMNothing: account metadata (with the products list
// and task types while they are on) is cached and the contact index is
// refreshed only when there is a customer to match, so a pass with nothing
// new in the shop makes no request; a new order then costs the index
// refresh and its deal, and with products and tasks on its links and task.
func TestIdlePassAsksAmoCRMNothing(t *testing.T) {
	for _, tt := range []struct {
		name   string
		extras bool
		max    int // requests of one new order
	}{{"plain", false, 3}, {"products and tasks", true, 3 + 3}} { // and the new product's element, the links, the task
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
				c.Forms.Enabled, c.Forms.AsLead = true, true
				c.Users.Enabled = true
				if tt.extras {
					extrasOn(c)
				}
			})
			if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: 80, Users: 10, Forms: 4, Seed: 5}); err != nil {
				t.Fatal(err)
			}
			h.pass(syncer.PassOptions{})

			h.box.ResetRequests()
			res := h.pass(syncer.PassOptions{})
			if n := len(h.box.Requests()); n != 0 {
				t.Errorf("idle pass: %d requests (%v), want 0; %s", n, requestsByPath(h.box), res.Summary())
			}

			p := h.product("Кружка", "MUG-1", "300.00")
			h.orderOf("+7 901 555-44-33", p, 2)
			h.box.ResetRequests()
			res = h.pass(syncer.PassOptions{})
			if got := res.Count("lead", plan.Create); got != 1 {
				t.Errorf("new order: created %d deals, want 1", got)
			}
			if n := len(h.box.Requests()); n > tt.max {
				t.Errorf("new order: %d requests (%v), want at most %d", n, requestsByPath(h.box), tt.max)
			}
		})
	}
}
