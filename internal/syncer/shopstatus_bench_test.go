package syncer_test

import (
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
	"github.com/modx-amocrm/modx-amocrm/internal/testdb"
)

// BenchmarkShopStatusPass times the pass that follows 200 deals a manager
// moved, on a MyISAM miniShop2 4.x shop: one iteration reads the events,
// the deals and their orders and moves every order (a status, updatedon
// and a log row each). The deals move between «Оплачен» and «Первичный
// контакт» (the shop's statuses made neither fixed nor final for it), so
// every iteration has 200 moves. Neither side limits the rate: the time is
// the connector's own, and the requests of the first pass (reported; later
// ones also read the earlier iterations' events again, all within the
// cursor's overlap) times 1/6 s is what amoCRM's limit adds.
func BenchmarkShopStatusPass(b *testing.B) {
	const deals = 200
	shop := modxtest.Options{Generation: modxtest.Gen4x, MyISAM: true}
	st := modxtest.Statuses(shop)
	h := newHarnessTB(b, shop, func(c *config.Config) {
		c.Orders.StatusMap = map[string]config.IDRef{itoa(st.Paid): {Name: "Оплачен"}, itoa(st.New): {Name: "Первичный контакт"}}
		c.ShopStatus.Enabled = true
	}, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1})
	h.engineOpts.ShopStatusNow = true // each pass follows the moves just made
	testdb.Exec(b, h.db, "UPDATE modx_ms2_order_statuses SET fixed = 0, final = 0")
	var orders []int64
	for i := range deals {
		orders = append(orders, h.order(modxtest.OrderSpec{Address: map[string]any{"phone": "+7901" + itoa(int64(1000000+i))}}))
	}
	h.pass(syncer.PassOptions{})
	leads := h.leadsByOrder()
	_, paid := h.pipelineStatus("Воронка", "Оплачен")
	_, initial := h.pipelineStatus("Воронка", "Первичный контакт")
	first := 0
	for i := range b.N {
		b.StopTimer()
		to := paid
		if i%2 == 1 {
			to = initial
		}
		moves := make([]crm.Lead, 0, deals)
		for _, o := range orders {
			moves = append(moves, crm.Lead{ID: leads[itoa(o)].ID, StatusID: to})
		}
		if err := h.site.Client.UpdateLeads(h.ctx, moves); err != nil {
			b.Fatal(err)
		}
		h.box.ResetRequests()
		b.StartTimer()
		res := h.pass(syncer.PassOptions{})
		b.StopTimer()
		if n := res.Count("order_status", plan.Update); n != deals {
			b.Fatalf("pass %d moved %d orders, want %d (%s)", i, n, deals, res.Summary())
		}
		if i == 0 {
			first = len(h.box.Requests())
		}
	}
	b.ReportMetric(float64(first), "requests/first-pass")
}
