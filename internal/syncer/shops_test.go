package syncer_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestGenerations runs a generated shop of every miniShop2 generation
// (MyISAM, as real shops have them) and of MiniShop3 (InnoDB, whatever the
// option says) through a pass and a second pass.
func TestGenerations(t *testing.T) {
	for _, gen := range []string{modxtest.Gen24, modxtest.Gen30, modxtest.Gen4x, modxtest.GenMS3} {
		t.Run(gen, func(t *testing.T) {
			h := newHarness(t, modxtest.Options{Generation: gen, MyISAM: true, Prefix: "shop_"}, nil)
			ds, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "shop_", Generation: gen, Orders: 120, Users: 40, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			res := h.pass(syncer.PassOptions{})
			// Drafts are carts; orders at status 0 are placed orders when
			// they have their address (and lines), else parked long after.
			stuck := 0
			for _, id := range ds.UnplacedOrders {
				if slices.Contains(ds.NoAddressOrders, id) {
					stuck++
				}
			}
			created, parked := res.Count("lead", plan.Create), res.Count("lead", plan.Fail)
			if want := ds.Orders - len(ds.DraftOrders); created == 0 || created+parked != want || parked < stuck {
				t.Fatalf("created %d + parked %d deals, want %d orders, %d of them parked at status 0 without an address (%s)",
					created, parked, want, stuck, res.Summary())
			}
			if got := len(h.box.Leads()); got != created {
				t.Errorf("sandbox holds %d deals, want %d", got, created)
			}
			res = h.pass(syncer.PassOptions{})
			if got := res.Count("lead", plan.Create); got != 0 {
				t.Errorf("second pass created %d deals, want 0", got)
			}
		})
	}
}

// TestOldExtraLinksAreHonoured: orders and users the old extra sent are
// linked, not sent again.
func TestOldExtraLinksAreHonoured(t *testing.T) {
	h := newHarness(t, modxtest.Options{OldExtra: true}, nil)
	sent := h.order(modxtest.OrderSpec{})
	fresh := h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 907 000-00-01"}})
	if _, err := h.db.Exec("INSERT INTO modx_amocrm_leads (`order`, order_id, pipeline_id) VALUES (?, 777, 1001)", sent); err != nil {
		t.Fatal(err)
	}
	res := h.pass(syncer.PassOptions{})
	if got := res.Count("lead", plan.Create); got != 1 {
		t.Fatalf("created %d deals, want 1 (only the order the old extra never sent)", got)
	}
	leads := h.leadsByOrder()
	if _, ok := leads[strconv.FormatInt(fresh, 10)]; !ok {
		t.Error("the new order has no deal")
	}
	if _, ok := leads[strconv.FormatInt(sent, 10)]; ok {
		t.Error("the order the old extra sent was sent again")
	}
}

// TestSitePipelineIsCreatedOnce: with orders.pipeline_id = 0 a pipeline
// named after the site mirrors miniShop2's statuses, created once.
func TestSitePipelineIsCreatedOnce(t *testing.T) {
	h := newHarness(t, modxtest.Options{SiteName: "Мой магазин"}, func(c *config.Config) { c.Orders.PipelineID = config.IDRef{} })
	h.order(modxtest.OrderSpec{})
	h.pass(syncer.PassOptions{})
	h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 908 000-00-01"}})
	h.pass(syncer.PassOptions{})
	var site []int64
	for _, p := range h.box.Pipelines() {
		if p.Name == "Мой магазин" {
			site = append(site, p.ID)
		}
	}
	if len(site) != 1 {
		t.Fatalf("site pipelines: got %d, want 1", len(site))
	}
	_, newStatus := h.pipelineStatus("Мой магазин", "Новый")
	for _, l := range h.box.Leads() {
		if l.PipelineID != site[0] || l.StatusID != newStatus {
			t.Errorf("deal %d in pipeline %d status %d, want %d status %d (Новый)", l.ID, l.PipelineID, l.StatusID, site[0], newStatus)
		}
	}
}

// TestDraftPlacedLaterArrivesThroughItsLog: a cart (draft) passed by the
// watermark and given up is sent when its status log says it was placed;
// on MiniShop3 every order is such a draft first.
func TestDraftPlacedLaterArrivesThroughItsLog(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		h := newHarness(t, shop, func(c *config.Config) { c.Sync.AbandonAfter = config.Duration{} })
		draft := h.order(modxtest.OrderSpec{Status: h.statuses().Draft})
		h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 909 000-00-01"}})
		h.pass(syncer.PassOptions{})
		if got := len(h.box.Leads()); got != 1 {
			t.Fatalf("deals: got %d, want 1", got)
		}
		h.place(draft)
		h.pass(syncer.PassOptions{})
		if _, ok := h.leadsByOrder()[strconv.FormatInt(draft, 10)]; !ok {
			t.Fatal("the placed draft has no deal")
		}
	})
}

// TestBadOrderIsParkedAndOthersGoOn: broken properties JSON parks one order
// with its reason; the rest of the batch is sent.
func TestBadOrderIsParkedAndOthersGoOn(t *testing.T) {
	h := newHarness(t, modxtest.Options{}, nil)
	bad := h.order(modxtest.OrderSpec{Properties: `{"amoCRMFields": {`})
	h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7 910 000-00-01"}})
	h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "", "email": ""}, UserID: h.user(modxtest.UserSpec{})})
	res := h.pass(syncer.PassOptions{})
	if got := len(h.box.Leads()); got != 1 {
		t.Errorf("deals: got %d, want 1", got)
	}
	if got := res.Parked; got != 2 {
		t.Errorf("parked: got %d, want 2 (%s)", got, res.Summary())
	}
	failures, err := h.store.Failures(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int64]string{}
	for _, f := range failures {
		reasons[f.SourceID] = f.Reason
	}
	if r := reasons[bad]; r == "" {
		t.Errorf("order %d not parked; failures %v", bad, reasons)
	} else {
		t.Logf("order %d parked: %s", bad, r)
	}
}

// TestDeletedDealIsNotRecreated: a deal a manager deleted is neither made
// again nor parked when its order's status changes.
func TestDeletedDealIsNotRecreated(t *testing.T) {
	forEachShop(t, modxtest.Options{}, func(t *testing.T, shop modxtest.Options) {
		paid := modxtest.Statuses(shop).Paid
		h := newHarness(t, shop, func(c *config.Config) {
			c.Orders.StatusMap = map[string]config.IDRef{strconv.FormatInt(paid, 10): {Name: "Оплачен"}}
		})
		id := h.order(modxtest.OrderSpec{})
		h.pass(syncer.PassOptions{})
		// Point the link at a deal amoCRM does not have, as after a deletion.
		if _, err := h.db.Exec("UPDATE amocrm_sync_links SET amo_id = 999999 WHERE kind = 'order' AND source_id = ?", id); err != nil {
			t.Fatal(err)
		}
		h.changeStatus(id, paid)
		res := h.pass(syncer.PassOptions{})
		if got := res.Count("status_move", plan.Skip); got != 1 {
			t.Errorf("skipped moves: got %d, want 1 (%s)", got, res.Summary())
		}
		if res.Parked != 0 || len(h.box.Leads()) != 1 {
			t.Errorf("parked %d, deals %d; want 0 and 1", res.Parked, len(h.box.Leads()))
		}
	})
}
