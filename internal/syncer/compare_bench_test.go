package syncer_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/modx/modxtest"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// BenchmarkStatusComparison is the status comparison (orders.compare_cron,
// every run -once) of a shop whose MXAMO_BENCH_ORDERS generated orders
// (default 20,000) were all sent and where nothing changed since: it
// decides from the state, so it reports 0 requests per pass, and the SQL
// statements and time a comparison of that many orders costs.
func BenchmarkStatusComparison(b *testing.B) {
	orders := 20000
	if v := os.Getenv("MXAMO_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	h := newHarnessTB(b, modxtest.Options{}, func(c *config.Config) {
		c.Orders.StatusMap = map[string]config.IDRef{"2": {Name: "Оплачен"}, "3": {ID: 142}, "4": {ID: 143}}
	}, sandbox.Options{LongLivedTokens: []string{testToken}, RPS: -1})
	if _, err := modxtest.Generate(h.ctx, h.db, modxtest.GenOptions{Prefix: "modx_", Orders: orders, Users: orders / 10, Seed: 8}); err != nil {
		b.Fatal(err)
	}
	statements := h.ownUser(b)
	s := h.benchEngine(b, 1000, site.EngineOptions{CompareStatuses: true})
	if _, err := s.Pass(h.ctx, syncer.PassOptions{}); err != nil { // the backfill
		b.Fatal(err)
	}
	h.measurePasses(b, s, statements)
}
