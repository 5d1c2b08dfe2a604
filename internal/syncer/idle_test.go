package syncer_test

import (
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestIdlePassAsksAmoCRMNothing: account metadata is cached and the contact
// index is refreshed only when there is a customer to match, so a pass with
// nothing new in the shop makes no request; a new order then costs the
// index refresh and its deal.
func TestIdlePassAsksAmoCRMNothing(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Forms.Enabled, c.Forms.AsLead = true, true
		c.Users.Enabled = true
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

	h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 901 555-44-33"}})
	h.box.ResetRequests()
	res = h.pass(syncer.PassOptions{})
	if got := res.Count("lead", plan.Create); got != 1 {
		t.Errorf("new order: created %d deals, want 1", got)
	}
	if n, max := len(h.box.Requests()), 3; n > max {
		t.Errorf("new order: %d requests (%v), want at most %d", n, requestsByPath(h.box), max)
	}
}
