package syncer_test

import (
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
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

// TestIdlePassStatements: once a process has started, a pass with nothing
// new reads no information_schema and sends at most 20 statements, each one
// protocol command (parameters interpolated, nothing prepared), with
// orders, forms and users all on.
func TestIdlePassStatements(t *testing.T) {
	h := newHarness(t, modxtest.Options{FormIt: true}, func(c *config.Config) {
		c.Sync.Start = "now"
		c.Forms.Enabled, c.Forms.AsLead = true, true
		c.Users.Enabled = true
	})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: 300, Users: 30, Forms: 5, Seed: 6}); err != nil {
		t.Fatal(err)
	}
	counted, cmds := testdb.CountCommands(t, h.dsn)
	h.cfg.MODX.DSN = counted
	s, err := site.Open(h.ctx, h.cfg, site.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.Engine(site.EngineOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // the start, then passes that find nothing new
		cmds.Reset()
		h.box.ResetRequests()
		if _, err := e.Pass(h.ctx, syncer.PassOptions{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			continue
		}
		sql := strings.Join(cmds.SQL(), "\n")
		if n := cmds.Statements(); n > 20 || cmds.Total() != n {
			t.Errorf("idle pass %d: %d statements in %d commands (%s), want at most 20, one command each:\n%s", i, n, cmds.Total(), cmds, sql)
		}
		t.Logf("idle pass %d: %d statements", i, cmds.Statements())
		if strings.Contains(strings.ToLower(sql), "information_schema") {
			t.Errorf("idle pass %d read information_schema:\n%s", i, sql)
		}
		if n := len(h.box.Requests()); n != 0 {
			t.Errorf("idle pass %d: %d amoCRM requests, want none", i, n)
		}
	}
}
